/* The Internet checksum (RFC 1071), used by IPv4, ICMP and UDP. */
#include <vallum/net/wire.h>

uint32_t
net_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = sum;
    size_t i;

    /* A 64-bit accumulator cannot overflow for any length an IPv4 packet can have. */
    for (i = 0; i + 1 < len; i += 2) {
        acc += net_get16(p + i);
    }
    if (i < len) {
        acc += (uint32_t)p[i] << 8;
    }
    while (acc >> 32) {
        acc = (acc & 0xffffffffu) + (acc >> 32);
    }
    return (uint32_t)acc;
}

uint32_t
net_csum_pseudo(uint32_t sum, net_ip4_t src, net_ip4_t dst, uint8_t proto, size_t len)
{
    uint64_t acc = sum;

    acc += (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
    acc += proto;
    acc += (uint32_t)len;
    while (acc >> 32) {
        acc = (acc & 0xffffffffu) + (acc >> 32);
    }
    return (uint32_t)acc;
}

uint16_t
net_csum_finish(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}
