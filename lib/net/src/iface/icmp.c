/*
 * ICMP: answering echo requests, passing echo replies to the component, and sending
 * errors under the rules of RFC 1122 3.2.2 and a token-bucket rate limit.
 */
#include "../net_internal.h"

#include <string.h>

void
net_icmp_input(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip, const uint8_t *p,
               bool bcast)
{
    const uint8_t *msg = p + ip->hdr_len;
    size_t len = ip->total_len - ip->hdr_len;
    struct net_icmp icmp;
    int err = net_icmp_parse(msg, len, &icmp);

    if (err != 0) {
        net_drop(s, -err);
        return;
    }
    switch (icmp.type) {
    case NET_ICMP_ECHO_REQUEST: {
        uint8_t hdr[NET_ICMP_HDR_LEN];
        struct net_icmp reply = {.type = NET_ICMP_ECHO_REPLY, .code = 0, .rest = icmp.rest};
        uint32_t sum;

        /* Answering broadcasts would let one forged request fan out (RFC 1122 3.2.2.6
         * allows silence), and a reply to 0.0.0.0 has nowhere to go. */
        if (bcast || ip->src == 0) {
            net_drop(s, NET_DROP_ICMP_BROADCAST);
            return;
        }
        /* The reply echoes identifier, sequence and data (RFC 792); its checksum covers the
         * new header and the data, which stays in the received frame. */
        hdr[NET_ICMP_TYPE] = reply.type;
        hdr[NET_ICMP_CODE] = 0;
        net_put16(hdr + NET_ICMP_CSUM, 0);
        net_put32(hdr + NET_ICMP_REST, reply.rest);
        sum = net_csum_add(0, hdr, sizeof(hdr));
        sum = net_csum_add(sum, icmp.data, icmp.data_len);
        net_put16(hdr + NET_ICMP_CSUM, net_csum_finish(sum));
        if (net_ipv4_output(s, now, ip->src, NET_PROTO_ICMP, hdr, sizeof(hdr), icmp.data,
                            icmp.data_len) == 0) {
            s->stats.icmp_echo_replied++;
        }
        return;
    }
    case NET_ICMP_ECHO_REPLY:
        if (s->echo_reply != NULL) {
            s->echo_reply(s->echo_ctx, ip->src, (uint16_t)(icmp.rest >> 16), (uint16_t)icmp.rest,
                          icmp.data, icmp.data_len);
            return;
        }
        net_drop(s, NET_DROP_ICMP_UNHANDLED);
        return;
    default:
        /* Errors about our own datagrams are for the sockets once they track connections
         * (TCP, part 2); nothing else is acted on. */
        net_drop(s, NET_DROP_ICMP_UNHANDLED);
        return;
    }
}

/* True if an ICMP error may be sent now; takes a token if so. Tokens are counted in
 * thousandths so a rate that does not divide 1000 ms still refills exactly. */
static bool
rate_ok(struct net_stack *s, uint64_t now)
{
    uint64_t cap = (uint64_t)s->cfg.icmp_burst * 1000;

    if (now > s->icmp_last) {
        uint64_t dt = now - s->icmp_last;
        /* A long pause refills at most the burst; comparing before multiplying keeps the
         * product in range whatever the clock does. */
        uint64_t add = dt > cap / s->cfg.icmp_rate_per_s ? cap : dt * s->cfg.icmp_rate_per_s;
        s->icmp_tokens = add >= cap - s->icmp_tokens ? cap : s->icmp_tokens + add;
        s->icmp_last = now;
    }
    if (s->icmp_tokens < 1000) {
        return false;
    }
    s->icmp_tokens -= 1000;
    return true;
}

void
net_icmp_error(struct net_stack *s, uint64_t now, uint8_t type, uint8_t code, uint32_t rest,
               const struct net_ipv4 *ip, const uint8_t *orig, bool bcast)
{
    uint8_t hdr[NET_ICMP_HDR_LEN];
    struct net_icmp h = {.type = type, .code = code, .rest = rest};
    /* RFC 792: the original header and the first 8 bytes of its payload. */
    size_t quote = ip->hdr_len + 8 < ip->total_len ? (size_t)ip->hdr_len + 8 : ip->total_len;
    uint32_t sum;

    /* RFC 1122 3.2.2: never about a broadcast, a non-first fragment, a datagram from a
     * non-host source, or an ICMP error (which could start an error storm). */
    if (bcast || ip->frag_off != 0 || ip->src == 0 || net_ip4_is_multicast_or_reserved(ip->src) ||
        net_ip4_is_broadcast(s, ip->src) || s->cfg.addr == 0) {
        return;
    }
    if (ip->proto == NET_PROTO_ICMP) {
        const uint8_t *m = orig + ip->hdr_len;
        if (ip->total_len - ip->hdr_len < 1 ||
            (m[0] != NET_ICMP_ECHO_REQUEST && m[0] != NET_ICMP_ECHO_REPLY)) {
            return;
        }
    }
    if (!rate_ok(s, now)) {
        net_drop(s, NET_DROP_ICMP_RATE);
        return;
    }
    hdr[NET_ICMP_TYPE] = h.type;
    hdr[NET_ICMP_CODE] = h.code;
    net_put16(hdr + NET_ICMP_CSUM, 0);
    net_put32(hdr + NET_ICMP_REST, h.rest);
    sum = net_csum_add(net_csum_add(0, hdr, sizeof(hdr)), orig, quote);
    net_put16(hdr + NET_ICMP_CSUM, net_csum_finish(sum));
    if (net_ipv4_output(s, now, ip->src, NET_PROTO_ICMP, hdr, sizeof(hdr), orig, quote) == 0) {
        s->stats.icmp_errors_sent++;
    }
}

int
net_ping(struct net_stack *s, uint64_t now, net_ip4_t dst, uint16_t id, uint16_t seq,
         const void *data, size_t len)
{
    uint8_t hdr[NET_ICMP_HDR_LEN];
    uint32_t sum;

    if (dst == 0 || net_ip4_is_multicast_or_reserved(dst)) {
        return -NET_EINVAL;
    }
    if (len > NET_IP_MAX_LEN - NET_IP_HDR_LEN - NET_ICMP_HDR_LEN) {
        return -NET_EMSGSIZE;
    }
    hdr[NET_ICMP_TYPE] = NET_ICMP_ECHO_REQUEST;
    hdr[NET_ICMP_CODE] = 0;
    net_put16(hdr + NET_ICMP_CSUM, 0);
    net_put16(hdr + NET_ICMP_REST, id);
    net_put16(hdr + NET_ICMP_REST + 2, seq);
    sum = net_csum_add(net_csum_add(0, hdr, sizeof(hdr)), data, len);
    net_put16(hdr + NET_ICMP_CSUM, net_csum_finish(sum));
    return net_ipv4_output(s, now, dst, NET_PROTO_ICMP, hdr, sizeof(hdr), data, len);
}
