/* IPv4 headers (RFC 791) and their options. */
#include <vallum/net/wire.h>

/* Option types (RFC 791 3.1; IANA's registry). Only the layout of options is checked;
 * the stack acts on none, except that it refuses source routes. */
#define IPOPT_EOL 0
#define IPOPT_NOP 1
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137

/* Walks the options in opt[0..len): each must fit, and a source route is refused because a
 * host that accepted one would owe the sender a reversed route (RFC 1122 3.2.1.8) that we
 * do not keep; Linux drops them by default too. */
static int
check_options(const uint8_t *opt, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint8_t type = opt[i];
        if (type == IPOPT_EOL) {
            return 0;
        }
        if (type == IPOPT_NOP) {
            i++;
            continue;
        }
        /* Every other option has a length byte, counting the type and itself. */
        if (i + 1 >= len || opt[i + 1] < 2 || opt[i + 1] > len - i) {
            return -NET_DROP_IP_OPTIONS;
        }
        if (type == IPOPT_LSRR || type == IPOPT_SSRR) {
            return -NET_DROP_IP_SOURCE_ROUTE;
        }
        i += opt[i + 1];
    }
    return 0;
}

int
net_ipv4_parse(const uint8_t *p, size_t len, struct net_ipv4 *out)
{
    uint16_t frag;
    int err;

    if (len < NET_IP_HDR_LEN) {
        return -NET_DROP_IP_SHORT;
    }
    if ((p[NET_IP_VER_IHL] >> 4) != 4) {
        return -NET_DROP_IP_VERSION;
    }
    out->hdr_len = (uint8_t)((p[NET_IP_VER_IHL] & 0xf) * 4);
    if (out->hdr_len < NET_IP_HDR_LEN) {
        return -NET_DROP_IP_IHL;
    }
    out->total_len = net_get16(p + NET_IP_LEN);
    if (out->total_len < out->hdr_len) {
        return -NET_DROP_IP_LENGTH;
    }
    /* Bytes beyond total_len are the link's padding; fewer means a truncated packet. */
    if (out->total_len > len) {
        return -NET_DROP_IP_SHORT;
    }
    if (net_csum_finish(net_csum_add(0, p, out->hdr_len)) != 0) {
        return -NET_DROP_IP_CHECKSUM;
    }
    err = check_options(p + NET_IP_HDR_LEN, out->hdr_len - NET_IP_HDR_LEN);
    if (err != 0) {
        return err;
    }
    out->tos = p[NET_IP_TOS];
    out->id = net_get16(p + NET_IP_ID);
    frag = net_get16(p + NET_IP_FRAG);
    out->df = (frag & NET_IP_FLAG_DF) != 0;
    out->mf = (frag & NET_IP_FLAG_MF) != 0;
    out->frag_off = (uint16_t)((frag & NET_IP_OFFSET_MASK) * 8);
    /* The reassembled datagram must fit IPv4's length field (the "ping of death"). */
    if ((size_t)out->frag_off + out->total_len > NET_IP_MAX_LEN) {
        return -NET_DROP_IP_FRAGMENT;
    }
    /* Every fragment but the last carries a multiple of 8 bytes (RFC 791), or the next
     * fragment's offset could not follow it. */
    if (out->mf && ((out->total_len - out->hdr_len) % 8 != 0 || out->total_len == out->hdr_len)) {
        return -NET_DROP_IP_FRAGMENT;
    }
    out->ttl = p[NET_IP_TTL];
    out->proto = p[NET_IP_PROTO];
    out->src = net_get32(p + NET_IP_SRC);
    out->dst = net_get32(p + NET_IP_DST);
    return 0;
}

void
net_ipv4_emit(uint8_t *p, const struct net_ipv4 *h)
{
    uint16_t frag = (uint16_t)((h->frag_off / 8) & NET_IP_OFFSET_MASK);

    if (h->df) {
        frag |= NET_IP_FLAG_DF;
    }
    if (h->mf) {
        frag |= NET_IP_FLAG_MF;
    }
    p[NET_IP_VER_IHL] = 0x45;
    p[NET_IP_TOS] = h->tos;
    net_put16(p + NET_IP_LEN, h->total_len);
    net_put16(p + NET_IP_ID, h->id);
    net_put16(p + NET_IP_FRAG, frag);
    p[NET_IP_TTL] = h->ttl;
    p[NET_IP_PROTO] = h->proto;
    net_put16(p + NET_IP_CSUM, 0);
    net_put32(p + NET_IP_SRC, h->src);
    net_put32(p + NET_IP_DST, h->dst);
    net_put16(p + NET_IP_CSUM, net_csum_finish(net_csum_add(0, p, NET_IP_HDR_LEN)));
}
