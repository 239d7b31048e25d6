/* ARP packets for IPv4 over Ethernet (RFC 826). */
#include <vallum/net/wire.h>

#include <string.h>

int
net_arp_parse(const uint8_t *p, size_t len, struct net_arp *out)
{
    if (len < NET_ARP_LEN) {
        return -NET_DROP_ARP_SHORT;
    }
    /* Only Ethernet hardware addresses for IPv4: the lengths follow from the types, and
     * checking them too means nothing below reads a length from the packet. */
    if (net_get16(p + NET_ARP_HTYPE) != 1 || net_get16(p + NET_ARP_PTYPE) != 0x0800 ||
        p[NET_ARP_HLEN] != 6 || p[NET_ARP_PLEN] != 4) {
        return -NET_DROP_ARP_FORMAT;
    }
    out->op = net_get16(p + NET_ARP_OPER);
    if (out->op != NET_ARP_REQUEST && out->op != NET_ARP_REPLY) {
        return -NET_DROP_ARP_OP;
    }
    memcpy(out->sha.b, p + NET_ARP_SHA, 6);
    out->spa = net_get32(p + NET_ARP_SPA);
    memcpy(out->tha.b, p + NET_ARP_THA, 6);
    out->tpa = net_get32(p + NET_ARP_TPA);
    /* A sender that claims a group MAC or address would make us send to many at once. */
    if (net_mac_is_multicast(&out->sha) || net_ip4_is_multicast_or_reserved(out->spa)) {
        return -NET_DROP_ARP_SENDER;
    }
    return 0;
}

void
net_arp_emit(uint8_t *p, const struct net_arp *a)
{
    net_put16(p + NET_ARP_HTYPE, 1);
    net_put16(p + NET_ARP_PTYPE, 0x0800);
    p[NET_ARP_HLEN] = 6;
    p[NET_ARP_PLEN] = 4;
    net_put16(p + NET_ARP_OPER, a->op);
    memcpy(p + NET_ARP_SHA, a->sha.b, 6);
    net_put32(p + NET_ARP_SPA, a->spa);
    memcpy(p + NET_ARP_THA, a->tha.b, 6);
    net_put32(p + NET_ARP_TPA, a->tpa);
}
