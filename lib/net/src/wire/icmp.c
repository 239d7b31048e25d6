/* ICMP messages (RFC 792). */
#include <vallum/net/wire.h>

int
net_icmp_parse(const uint8_t *p, size_t len, struct net_icmp *out)
{
    if (len < NET_ICMP_HDR_LEN) {
        return -NET_DROP_ICMP_SHORT;
    }
    if (net_csum_finish(net_csum_add(0, p, len)) != 0) {
        return -NET_DROP_ICMP_CHECKSUM;
    }
    out->type = p[NET_ICMP_TYPE];
    out->code = p[NET_ICMP_CODE];
    out->rest = net_get32(p + NET_ICMP_REST);
    out->data = p + NET_ICMP_HDR_LEN;
    out->data_len = len - NET_ICMP_HDR_LEN;
    return 0;
}

void
net_icmp_emit(uint8_t *p, const struct net_icmp *h, size_t data_len)
{
    p[NET_ICMP_TYPE] = h->type;
    p[NET_ICMP_CODE] = h->code;
    net_put16(p + NET_ICMP_CSUM, 0);
    net_put32(p + NET_ICMP_REST, h->rest);
    net_put16(p + NET_ICMP_CSUM, net_csum_finish(net_csum_add(0, p, NET_ICMP_HDR_LEN + data_len)));
}
