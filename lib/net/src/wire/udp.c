/* UDP datagrams (RFC 768). */
#include <vallum/net/wire.h>

int
net_udp_parse(const uint8_t *p, size_t len, net_ip4_t src, net_ip4_t dst, struct net_udp *out)
{
    uint16_t ulen;
    uint32_t sum;

    if (len < NET_UDP_HDR_LEN) {
        return -NET_DROP_UDP_SHORT;
    }
    ulen = net_get16(p + NET_UDP_LEN);
    if (ulen < NET_UDP_HDR_LEN || ulen > len) {
        return -NET_DROP_UDP_LENGTH;
    }
    /* Zero means the sender computed no checksum (allowed over IPv4). */
    if (net_get16(p + NET_UDP_CSUM) != 0) {
        sum = net_csum_pseudo(0, src, dst, NET_PROTO_UDP, ulen);
        if (net_csum_finish(net_csum_add(sum, p, ulen)) != 0) {
            return -NET_DROP_UDP_CHECKSUM;
        }
    }
    out->sport = net_get16(p + NET_UDP_SPORT);
    out->dport = net_get16(p + NET_UDP_DPORT);
    out->payload = p + NET_UDP_HDR_LEN;
    out->payload_len = ulen - NET_UDP_HDR_LEN;
    return 0;
}

uint16_t
net_udp_checksum(const uint8_t *hdr, const uint8_t *payload, size_t payload_len, net_ip4_t src,
                 net_ip4_t dst)
{
    uint32_t sum = net_csum_pseudo(0, src, dst, NET_PROTO_UDP, NET_UDP_HDR_LEN + payload_len);
    uint16_t c;

    sum = net_csum_add(sum, hdr, NET_UDP_HDR_LEN);
    /* The header is 8 bytes, so the payload's words stay aligned to the sum's. */
    sum = net_csum_add(sum, payload, payload_len);
    c = net_csum_finish(sum);
    return c == 0 ? 0xffff : c;
}

void
net_udp_emit_header(uint8_t *hdr, uint16_t sport, uint16_t dport, size_t payload_len)
{
    net_put16(hdr + NET_UDP_SPORT, sport);
    net_put16(hdr + NET_UDP_DPORT, dport);
    net_put16(hdr + NET_UDP_LEN, (uint16_t)(NET_UDP_HDR_LEN + payload_len));
    net_put16(hdr + NET_UDP_CSUM, 0);
}
