/* TCP segments (RFC 9293 3.1) and the options lib/net speaks (RFC 9293 3.2, RFC 7323). */
#include <vallum/net/wire.h>

/* Reads the options in opt[0..len) into out; returns 0 or -NET_DROP_TCP_OPTIONS. */
static int
parse_options(const uint8_t *opt, size_t len, struct net_tcp_seg *out)
{
    size_t i = 0;

    while (i < len) {
        uint8_t kind = opt[i];
        uint8_t olen;

        if (kind == NET_TCP_OPT_EOL) {
            break;
        }
        if (kind == NET_TCP_OPT_NOP) {
            i++;
            continue;
        }
        /* Every other option has a length byte counting kind and length: at least 2 and
         * within the header, or the rest of the header cannot be walked. */
        if (i + 1 >= len || opt[i + 1] < 2 || opt[i + 1] > len - i) {
            return -NET_DROP_TCP_OPTIONS;
        }
        olen = opt[i + 1];
        switch (kind) {
        case NET_TCP_OPT_MSS:
            if (olen != 4) {
                return -NET_DROP_TCP_OPTIONS;
            }
            out->mss = net_get16(opt + i + 2);
            break;
        case NET_TCP_OPT_WSCALE:
            if (olen != 3) {
                return -NET_DROP_TCP_OPTIONS;
            }
            out->wscale =
                (int8_t)(opt[i + 2] > NET_TCP_WSCALE_MAX ? NET_TCP_WSCALE_MAX : opt[i + 2]);
            break;
        case NET_TCP_OPT_SACK_OK:
            if (olen != 2) {
                return -NET_DROP_TCP_OPTIONS;
            }
            out->sack_ok = true;
            break;
        case NET_TCP_OPT_TS:
            if (olen != 10) {
                return -NET_DROP_TCP_OPTIONS;
            }
            out->has_ts = true;
            out->tsval = net_get32(opt + i + 2);
            out->tsecr = net_get32(opt + i + 6);
            break;
        case NET_TCP_OPT_SACK:
            /* 2 + 8n bytes, n 1..4: anything else cannot be read as blocks. */
            if (olen < 10 || (olen - 2) % 8 != 0 || olen > 2 + 8 * NET_TCP_SACK_BLOCKS) {
                return -NET_DROP_TCP_OPTIONS;
            }
            for (out->nsack = 0; out->nsack < (olen - 2) / 8; out->nsack++) {
                out->sack[out->nsack].start = net_get32(opt + i + 2 + 8 * out->nsack);
                out->sack[out->nsack].end = net_get32(opt + i + 6 + 8 * out->nsack);
            }
            break;
        default:
            /* Unknown kinds: skipped by their length. */
            break;
        }
        i += olen;
    }
    return 0;
}

int
net_tcp_parse(const uint8_t *p, size_t len, net_ip4_t src, net_ip4_t dst, struct net_tcp_seg *out)
{
    size_t hl;
    uint32_t sum;
    int err;

    if (len < NET_TCP_HDR_LEN) {
        return -NET_DROP_TCP_SHORT;
    }
    hl = (size_t)(p[NET_TCP_OFF] >> 4) * 4;
    /* The data offset must cover the fixed header and stay within the segment. */
    if (hl < NET_TCP_HDR_LEN || hl > len) {
        return -NET_DROP_TCP_SHORT;
    }
    sum = net_csum_pseudo(0, src, dst, NET_PROTO_TCP, len);
    if (net_csum_finish(net_csum_add(sum, p, len)) != 0) {
        return -NET_DROP_TCP_CHECKSUM;
    }
    out->sport = net_get16(p + NET_TCP_SPORT);
    out->dport = net_get16(p + NET_TCP_DPORT);
    out->seq = net_get32(p + NET_TCP_SEQ);
    out->ack = net_get32(p + NET_TCP_ACK);
    out->flags = p[NET_TCP_FLAGS] & 0x3f;
    out->wnd = net_get16(p + NET_TCP_WND);
    out->urp = net_get16(p + NET_TCP_URP);
    out->mss = 0;
    out->wscale = -1;
    out->sack_ok = false;
    out->has_ts = false;
    out->tsval = out->tsecr = 0;
    out->nsack = 0;
    err = parse_options(p + NET_TCP_HDR_LEN, hl - NET_TCP_HDR_LEN, out);
    if (err != 0) {
        return err;
    }
    out->payload = p + hl;
    out->payload_len = len - hl;
    return 0;
}

size_t
net_tcp_emit_header(uint8_t *p, const struct net_tcp_seg *h)
{
    size_t n = NET_TCP_HDR_LEN;

    net_put16(p + NET_TCP_SPORT, h->sport);
    net_put16(p + NET_TCP_DPORT, h->dport);
    net_put32(p + NET_TCP_SEQ, h->seq);
    net_put32(p + NET_TCP_ACK, h->ack);
    p[NET_TCP_FLAGS] = h->flags;
    net_put16(p + NET_TCP_WND, h->wnd);
    net_put16(p + NET_TCP_CSUM, 0);
    net_put16(p + NET_TCP_URP, h->urp);
    if (h->mss != 0) {
        p[n] = NET_TCP_OPT_MSS;
        p[n + 1] = 4;
        net_put16(p + n + 2, h->mss);
        n += 4;
    }
    /* NOP padding keeps each option after it on the word alignment RFC 7323 A suggests. */
    if (h->wscale >= 0) {
        p[n] = NET_TCP_OPT_NOP;
        p[n + 1] = NET_TCP_OPT_WSCALE;
        p[n + 2] = 3;
        p[n + 3] = (uint8_t)h->wscale;
        n += 4;
    }
    if (h->sack_ok) {
        p[n] = NET_TCP_OPT_NOP;
        p[n + 1] = NET_TCP_OPT_NOP;
        p[n + 2] = NET_TCP_OPT_SACK_OK;
        p[n + 3] = 2;
        n += 4;
    }
    if (h->has_ts) {
        p[n] = NET_TCP_OPT_NOP;
        p[n + 1] = NET_TCP_OPT_NOP;
        p[n + 2] = NET_TCP_OPT_TS;
        p[n + 3] = 10;
        net_put32(p + n + 4, h->tsval);
        net_put32(p + n + 8, h->tsecr);
        n += 12;
    }
    if (h->nsack > 0) {
        uint8_t k;
        p[n] = NET_TCP_OPT_NOP;
        p[n + 1] = NET_TCP_OPT_NOP;
        p[n + 2] = NET_TCP_OPT_SACK;
        p[n + 3] = (uint8_t)(2 + 8 * h->nsack);
        for (k = 0; k < h->nsack && k < NET_TCP_SACK_BLOCKS; k++) {
            net_put32(p + n + 4 + 8 * k, h->sack[k].start);
            net_put32(p + n + 8 + 8 * k, h->sack[k].end);
        }
        n += 4 + 8 * (size_t)k;
    }
    p[NET_TCP_OFF] = (uint8_t)((n / 4) << 4);
    return n;
}

uint16_t
net_tcp_checksum(const uint8_t *p, size_t len, net_ip4_t src, net_ip4_t dst)
{
    return net_csum_finish(net_csum_add(net_csum_pseudo(0, src, dst, NET_PROTO_TCP, len), p, len));
}
