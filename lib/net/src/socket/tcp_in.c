/*
 * TCP input (RFC 9293 3.10.7, "SEGMENT ARRIVES"), with RFC 5961's checks of RST, SYN and
 * ACK, RFC 7323's PAWS, NewReno's ACK processing (RFC 5681, RFC 6582), reassembly of
 * out-of-order data in the receive ring, listeners with a bounded backlog and SYN cookies.
 */
#include "tcp_internal.h"

#include <vallum/net/siphash.h>

#include <string.h>

/* MSS values a SYN cookie can carry in its three bits (the largest not above the peer's). */
static const uint16_t cookie_mss[8] = {216, 536, 1024, 1200, 1360, 1400, 1440, TCP_MSS};

/* RFC 5681 3.1's initial window: min(4 SMSS, max(2 SMSS, 4380)). */
static uint32_t
initial_window(uint32_t smss)
{
    return tcp_min32(4 * smss, tcp_max32(2 * smss, 4380));
}

/* The 24-bit keyed hash in a SYN cookie for the peer's SYN (isn) at time counter count. */
static uint32_t
cookie_hash(struct net_stack *s, const struct net_ipv4 *ip, uint16_t sport, uint16_t dport,
            uint32_t isn, uint32_t count)
{
    uint8_t msg[20];

    net_put32(msg, ip->src);
    net_put32(msg + 4, ip->dst);
    net_put16(msg + 8, sport);
    net_put16(msg + 10, dport);
    net_put32(msg + 12, isn);
    net_put32(msg + 16, count);
    return (uint32_t)net_siphash24(s->tcp->cfg.isn_key, msg, sizeof(msg)) & 0xffffff;
}

/* A SYN cookie: 5 bits of time counter, 3 bits of MSS index, 24 bits of keyed hash. */
static uint32_t
cookie_make(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip,
            const struct net_tcp_seg *seg, uint16_t *mss)
{
    uint32_t count = (uint32_t)(now / NET_TCP_COOKIE_PERIOD_MS);
    uint16_t peer = seg->mss != 0 ? seg->mss : 536;
    uint32_t i = 7;

    while (i > 0 && cookie_mss[i] > peer) {
        i--;
    }
    *mss = cookie_mss[i];
    return ((count & 31) << 27) | (i << 24) |
           cookie_hash(s, ip, seg->sport, seg->dport, seg->seq, count);
}

/* Checks the cookie an ACK returns (SEG.ACK - 1); returns the MSS index, or -1. */
static int
cookie_check(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip,
             const struct net_tcp_seg *seg)
{
    uint32_t cookie = seg->ack - 1, count = (uint32_t)(now / NET_TCP_COOKIE_PERIOD_MS);
    uint32_t k;

    for (k = 0; k < 2 && k <= count; k++) {
        uint32_t c = count - k;
        if ((cookie >> 27) == (c & 31) &&
            (cookie & 0xffffff) == cookie_hash(s, ip, seg->sport, seg->dport, seg->seq - 1, c)) {
            return (int)((cookie >> 24) & 7);
        }
    }
    return -1;
}

/* Takes the options of the peer's SYN into c. */
static void
syn_options(struct net_stack *s, struct net_tcp_conn *c, const struct net_tcp_seg *seg)
{
    uint16_t peer = seg->mss != 0 ? seg->mss : 536;

    /* Below 64 bytes a segment is mostly header: clamp rather than send slivers. */
    c->mss = (uint16_t)tcp_max32(64, tcp_min32(peer, TCP_MSS));
    c->ws_ok = seg->wscale >= 0 && !s->tcp->cfg.no_wscale;
    c->snd_wscale = c->ws_ok ? (uint8_t)seg->wscale : 0;
    if (!c->ws_ok) {
        c->rcv_wscale = 0;
    }
    c->ts_ok = seg->has_ts && !s->tcp->cfg.no_timestamps;
    c->sack_ok = seg->sack_ok && !s->tcp->cfg.no_sack;
    c->ts_recent = seg->tsval;
    c->irs = seg->seq;
    c->rcv_nxt = seg->seq + 1;
    c->rcv_adv = c->rcv_nxt;
    /* The window of a SYN is never scaled (RFC 7323 2.2). */
    c->snd_wnd = c->max_snd_wnd = seg->wnd;
    c->snd_wl1 = seg->seq;
    c->snd_wl2 = seg->ack;
}

/* Makes c, synchronized with the peer at last, an established connection. */
static void
establish(struct net_stack *s, uint64_t now, struct net_tcp_conn *c, const struct net_tcp_seg *seg)
{
    c->state = NET_TCP_ESTABLISHED;
    c->cwnd = initial_window(tcp_smss(c));
    c->recover = c->snd_una;
    c->backoff = 0;
    c->t_rexmt = NET_NO_DEADLINE;
    if (c->ts_ok && seg->has_ts && seg->tsecr != 0) {
        tcp_rtt_sample(c, tcp_ts_now(c, now) - seg->tsecr);
    }
    c->last_rx = now;
    (void)s;
}

/* Creates the connection for a listener's SYN or valid cookie; NULL if out of memory. */
static struct net_tcp_conn *
child_new(struct net_stack *s, struct net_tcp_conn *l, const struct net_ipv4 *ip,
          const struct net_tcp_seg *seg)
{
    struct net_tcp_conn *c = tcp_alloc(s);

    if (c == NULL) {
        return NULL;
    }
    c->sndbuf = l->sndbuf;
    c->rcvbuf = l->rcvbuf;
    c->nodelay = l->nodelay;
    c->keepalive = l->keepalive;
    if (tcp_buffers(s, c) != 0) {
        tcp_free(s, c);
        return NULL;
    }
    c->laddr = ip->dst;
    c->lport = seg->dport;
    c->raddr = ip->src;
    c->rport = seg->sport;
    c->parent = tcp_index(s, l);
    l->children++;
    return c;
}

static void conn_input(struct net_stack *s, uint64_t now, struct net_tcp_conn *c,
                       const struct net_tcp_seg *seg);

/* A segment for listener l (RFC 9293 3.10.7.2). */
static void
listen_input(struct net_stack *s, uint64_t now, struct net_tcp_conn *l, const struct net_ipv4 *ip,
             const struct net_tcp_seg *seg)
{
    struct net_tcp_conn *c;
    uint16_t mss;
    int mi;

    if (seg->flags & NET_TCP_RST) {
        net_drop(s, NET_DROP_TCP_FLAGS);
        return;
    }
    if (seg->flags & NET_TCP_ACKF) {
        /* Only the ACK of a SYN cookie opens a connection here. */
        mi = (seg->flags & NET_TCP_SYN) ? -1 : cookie_check(s, now, ip, seg);
        if (mi < 0) {
            net_drop(s, NET_DROP_TCP_COOKIE);
            tcp_send_reset(s, now, ip->dst, seg->dport, ip->src, seg->sport, seg->ack, 0, false);
            return;
        }
        c = child_new(s, l, ip, seg);
        if (c == NULL) {
            net_drop(s, NET_DROP_TCP_NO_MEMORY);
            tcp_send_reset(s, now, ip->dst, seg->dport, ip->src, seg->sport, seg->ack, 0, false);
            return;
        }
        s->tcp->stats.cookies_accepted++;
        tcp_init_seq(c, seg->ack - 1);
        c->snd_una = c->snd_nxt = c->snd_max = seg->ack;
        c->mss = cookie_mss[mi];
        c->cookie = true;
        c->ws_ok = c->ts_ok = c->sack_ok = false;
        c->snd_wscale = c->rcv_wscale = 0;
        c->irs = seg->seq - 1;
        c->rcv_nxt = c->rcv_adv = seg->seq;
        c->snd_wnd = c->max_snd_wnd = seg->wnd;
        c->snd_wl1 = seg->seq;
        c->snd_wl2 = seg->ack;
        establish(s, now, c, seg);
        conn_input(s, now, c, seg);
        return;
    }
    if (!(seg->flags & NET_TCP_SYN)) {
        net_drop(s, NET_DROP_TCP_FLAGS);
        return;
    }
    /* A SYN: a connection of its own while the backlog has room, else a cookie, so that a
     * flood fills nothing and established connections are never evicted. */
    c = l->children < l->backlog ? child_new(s, l, ip, seg) : NULL;
    if (c == NULL) {
        tcp_send_cookie(s, now, ip, seg, cookie_make(s, now, ip, seg, &mss), mss);
        return;
    }
    tcp_init_seq(c, tcp_isn(s, now, c->laddr, c->lport, c->raddr, c->rport));
    syn_options(s, c, seg);
    c->state = NET_TCP_SYN_RCVD;
    c->last_rx = now;
    tcp_output(s, now, c);
}

/* A segment in SYN_SENT (RFC 9293 3.10.7.3). */
static void
syn_sent_input(struct net_stack *s, uint64_t now, struct net_tcp_conn *c,
               const struct net_tcp_seg *seg)
{
    bool ack = (seg->flags & NET_TCP_ACKF) != 0;

    if (ack && (SEQ_LEQ(seg->ack, c->iss) || SEQ_GT(seg->ack, c->snd_max))) {
        net_drop(s, NET_DROP_TCP_ACK);
        if (!(seg->flags & NET_TCP_RST)) {
            tcp_send_reset(s, now, c->laddr, c->lport, c->raddr, c->rport, seg->ack, 0, false);
        }
        return;
    }
    if (seg->flags & NET_TCP_RST) {
        /* Only a reset that acknowledges our SYN is believed (RFC 5961 3.2 for SYN_SENT). */
        if (ack) {
            tcp_drop(s, c, NET_ECONNREFUSED);
        } else {
            net_drop(s, NET_DROP_TCP_RST);
        }
        return;
    }
    if (!(seg->flags & NET_TCP_SYN)) {
        net_drop(s, NET_DROP_TCP_FLAGS);
        return;
    }
    syn_options(s, c, seg);
    if (ack) {
        c->snd_una = seg->ack;
        c->snd_wl2 = seg->ack;
        establish(s, now, c, seg);
        c->ack_now = true;
        tcp_output(s, now, c);
        return;
    }
    /* Simultaneous open: both sides sent SYNs; ours is answered again with an ACK. */
    c->state = NET_TCP_SYN_RCVD;
    c->snd_nxt = c->iss;
    tcp_output(s, now, c);
}

/* Copies len bytes to the receive ring at off bytes past the in-order data. */
static void
ring_put(struct net_stack *s, struct net_tcp_conn *c, uint32_t off, const uint8_t *data,
         uint32_t len)
{
    uint8_t *ring = s->tcp->mem.pool + (size_t)c->rx_block * NET_TCP_BLOCK;
    uint32_t at = (c->rx_head + c->rx_len + off) % c->rx_cap;
    uint32_t first = tcp_min32(len, c->rx_cap - at);

    memcpy(ring + at, data, first);
    memcpy(ring, data + first, len - first);
}

/* Adds [start, end) to the sorted, disjoint ranges r[0..*n), merging those it touches;
 * false if that needs more than NET_TCP_OOO_MAX ranges. */
static bool
ranges_add(struct net_tcp_range *r, uint8_t *n, uint32_t start, uint32_t end)
{
    uint8_t i = 0, j;

    while (i < *n && SEQ_LT(r[i].end, start)) {
        i++;
    }
    /* Ranges i..j-1 touch [start, end): they merge into one. */
    j = i;
    while (j < *n && SEQ_LEQ(r[j].start, end)) {
        if (SEQ_LT(r[j].start, start)) {
            start = r[j].start;
        }
        if (SEQ_GT(r[j].end, end)) {
            end = r[j].end;
        }
        j++;
    }
    if (j == i && *n == NET_TCP_OOO_MAX) {
        return false;
    }
    memmove(&r[i + 1], &r[j], (size_t)(*n - j) * sizeof(r[0]));
    *n = (uint8_t)(*n - (j - i) + 1);
    r[i].start = start;
    r[i].end = end;
    return true;
}

/* Takes the SACK blocks of an acceptable ACK into the scoreboard (RFC 6675 4's Update):
 * only blocks within SND.UNA..SND.MAX (others are old, D-SACKs or lies), clipped to SND.UNA;
 * when the scoreboard is full the block is ignored (recovery then falls back on what it
 * holds, and on the timer). */
static void
sack_update(struct net_tcp_conn *c, const struct net_tcp_seg *seg)
{
    uint8_t k;

    for (k = 0; k < seg->nsack; k++) {
        uint32_t start = seg->sack[k].start, end = seg->sack[k].end;
        if (!SEQ_LT(start, end) || SEQ_GT(end, c->snd_max) || SEQ_LEQ(end, c->snd_una)) {
            continue;
        }
        if (SEQ_LT(start, c->snd_una)) {
            start = c->snd_una;
        }
        ranges_add(c->sacked, &c->nsacked, start, end);
    }
}

/* Drops what SND.UNA has passed from the scoreboard. */
static void
sack_prune(struct net_tcp_conn *c)
{
    while (c->nsacked > 0 && SEQ_LEQ(c->sacked[0].end, c->snd_una)) {
        c->nsacked--;
        memmove(&c->sacked[0], &c->sacked[1], c->nsacked * sizeof(c->sacked[0]));
    }
    if (c->nsacked > 0 && SEQ_LT(c->sacked[0].start, c->snd_una)) {
        c->sacked[0].start = c->snd_una;
    }
}

/* Takes the data of an acceptable segment (RFC 9293 3.10.7.4, seventh). */
static void
receive_data(struct net_stack *s, uint64_t now, struct net_tcp_conn *c,
             const struct net_tcp_seg *seg)
{
    const uint8_t *data = seg->payload;
    uint32_t len = (uint32_t)seg->payload_len, seq = seg->seq, off, free;
    bool had_ooo = c->nooo > 0;

    if (len == 0 || c->rx_cap == 0) {
        return;
    }
    if (SEQ_LT(seq, c->rcv_nxt)) {
        uint32_t d = c->rcv_nxt - seq;
        if (d >= len) {
            c->ack_now = true;
            return;
        }
        data += d;
        len -= d;
        seq = c->rcv_nxt;
    }
    off = seq - c->rcv_nxt;
    free = c->rx_cap - c->rx_len;
    if (off >= free) {
        c->ack_now = true;
        return;
    }
    len = tcp_min32(len, free - off);
    if (off > 0) {
        /* Out of order: keep it in place, and say at once what is missing (RFC 5681 4.2)
         * in an ACK of its own: a duplicate ACK counts only without data (RFC 5681 2), so
         * it must not ride on a data segment, and only it carries SACK blocks. */
        if (!ranges_add(c->ooo, &c->nooo, seq, seq + len)) {
            net_drop(s, NET_DROP_TCP_OOO_FULL);
        } else {
            ring_put(s, c, off, data, len);
            c->ooo_recent = seq;
        }
        tcp_send_ack(s, now, c);
        return;
    }
    ring_put(s, c, 0, data, len);
    c->rx_len += len;
    c->rcv_nxt += len;
    while (c->nooo > 0 && SEQ_LEQ(c->ooo[0].start, c->rcv_nxt)) {
        if (SEQ_GT(c->ooo[0].end, c->rcv_nxt)) {
            c->rx_len += c->ooo[0].end - c->rcv_nxt;
            c->rcv_nxt = c->ooo[0].end;
        }
        c->nooo--;
        memmove(&c->ooo[0], &c->ooo[1], c->nooo * sizeof(c->ooo[0]));
    }
    /* An ACK at least every second full segment, at once when a hole was filled, else
     * after NET_TCP_DELACK_MS (RFC 1122 4.2.3.2, RFC 5681 4.2). */
    if (had_ooo || ++c->unacked >= 2) {
        c->ack_now = true;
    } else if (c->t_delack == NET_NO_DEADLINE) {
        c->t_delack = now + NET_TCP_DELACK_MS;
    }
}

/* Retransmits the first unacknowledged segment (fast retransmit, NewReno's partial ACK). */
static void
retransmit_first(struct net_stack *s, uint64_t now, struct net_tcp_conn *c)
{
    uint32_t saved = c->snd_nxt;
    uint32_t cwnd = c->cwnd;

    /* Output from SND.UNA with a window of one segment sends exactly that segment. */
    c->snd_nxt = c->snd_una;
    c->cwnd = tcp_smss(c);
    tcp_output(s, now, c);
    c->cwnd = cwnd;
    if (SEQ_GT(saved, c->snd_nxt)) {
        c->snd_nxt = saved;
    }
}

/* An ACK that acknowledges new data (RFC 9293 3.10.7.4 fifth; RFC 5681, RFC 6582). */
static void
new_ack(struct net_stack *s, uint64_t now, struct net_tcp_conn *c, const struct net_tcp_seg *seg)
{
    uint32_t acked = seg->ack - c->snd_una;
    uint32_t data = tcp_min32(acked, c->tx_len);
    uint32_t smss = tcp_smss(c);

    c->tx_head = c->tx_cap != 0 ? (c->tx_head + data) % c->tx_cap : 0;
    c->tx_len -= data;
    c->snd_una = seg->ack;
    if (SEQ_LT(c->snd_nxt, c->snd_una)) {
        c->snd_nxt = c->snd_una;
    }
    sack_prune(c);
    if (SEQ_LT(c->rxt_high, c->snd_una)) {
        c->rxt_high = c->snd_una;
    }
    if (c->ts_ok && seg->has_ts && seg->tsecr != 0) {
        tcp_rtt_sample(c, tcp_ts_now(c, now) - seg->tsecr);
    } else if (c->rtt_timing && SEQ_GT(seg->ack, c->rtt_seq)) {
        tcp_rtt_sample(c, (uint32_t)(now - c->rtt_start));
    }
    if (c->rtt_timing && SEQ_GT(seg->ack, c->rtt_seq)) {
        c->rtt_timing = false;
    }
    c->backoff = 0;
    c->keep_probes = 0;
    if (c->in_recovery) {
        if (SEQ_GEQ(seg->ack, c->recover)) {
            /* Full ACK: leave recovery with cwnd = min(ssthresh, FlightSize + SMSS). */
            c->cwnd = tcp_min32(c->ssthresh, tcp_max32(tcp_flight(c), smss) + smss);
            c->in_recovery = false;
            c->dupacks = 0;
        } else if (c->sack_ok) {
            /* RFC 6675: the scoreboard says which holes to fill; pipe, not inflation and
             * deflation, says how much may go. */
            tcp_sack_output(s, now, c);
        } else {
            /* Partial ACK: the next hole was lost too; resend it and deflate. */
            retransmit_first(s, now, c);
            c->cwnd = c->cwnd > acked ? c->cwnd - acked : smss;
            if (acked >= smss) {
                c->cwnd += smss;
            }
        }
    } else {
        c->dupacks = 0;
        if (c->cwnd < c->ssthresh) {
            c->cwnd += tcp_min32(acked, smss);
        } else {
            c->cwnd += tcp_max32(1, smss * smss / c->cwnd);
        }
        c->cwnd = tcp_min32(c->cwnd, 1u << 30);
    }
    if (c->snd_una == c->snd_max) {
        c->t_rexmt = NET_NO_DEADLINE;
        c->persist = false;
    } else {
        tcp_arm_rexmt(c, now);
    }
}

/* A duplicate ACK (RFC 5681 2's definition, checked by the caller). */
static void
dup_ack(struct net_stack *s, uint64_t now, struct net_tcp_conn *c)
{
    uint32_t smss = tcp_smss(c);

    c->dupacks++;
    c->dup_acks_rx++;
    if (c->in_recovery && c->sack_ok) {
        tcp_sack_output(s, now, c);
        return;
    }
    if (c->in_recovery) {
        c->cwnd += smss; /* another segment has left the network */
        return;
    }
    if (c->dupacks != 3 || SEQ_LT(c->snd_una, c->recover)) {
        return;
    }
    /* Fast retransmit and fast recovery (RFC 5681 3.2, RFC 6582 3.2). */
    c->ssthresh = tcp_max32(tcp_flight(c) / 2, 2 * smss);
    c->recover = c->snd_max;
    c->in_recovery = true;
    c->fast_retransmits++;
    s->tcp->stats.fast_retransmits++;
    c->rtt_timing = false;
    retransmit_first(s, now, c);
    if (c->sack_ok) {
        /* RFC 6675 5: cwnd = ssthresh, then as much as pipe allows, holes first. */
        c->cwnd = c->ssthresh;
        c->rxt_high = c->snd_una + tcp_min32(smss, c->tx_len);
        tcp_sack_output(s, now, c);
        return;
    }
    c->cwnd = c->ssthresh + 3 * smss;
}

/* True if the segment's sequence numbers are acceptable (RFC 9293 3.10.7.4 first). */
static bool
acceptable(const struct net_tcp_conn *c, const struct net_tcp_seg *seg)
{
    uint32_t len = (uint32_t)seg->payload_len + ((seg->flags & NET_TCP_SYN) ? 1 : 0) +
                   ((seg->flags & NET_TCP_FIN) ? 1 : 0);
    uint32_t adv = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    uint32_t wnd = tcp_max32(adv, c->rx_cap - c->rx_len);
    uint32_t off = seg->seq - c->rcv_nxt;

    if (wnd == 0) {
        /* A zero window takes only a segment at RCV.NXT; its data is then trimmed, but
         * its ACK and window are still read (3.10.7.4's note on zero windows). */
        return seg->seq == c->rcv_nxt;
    }
    if (len == 0) {
        return off < wnd;
    }
    return off < wnd || (uint32_t)(seg->seq + len - 1 - c->rcv_nxt) < wnd;
}

/* The RST of an acceptable segment (RFC 5961 3.2): only one exactly at RCV.NXT resets. */
static void
rst_input(struct net_stack *s, uint64_t now, struct net_tcp_conn *c, const struct net_tcp_seg *seg)
{
    if (seg->seq != c->rcv_nxt) {
        net_drop(s, NET_DROP_TCP_RST);
        tcp_challenge_ack(s, now, c);
        return;
    }
    switch (c->state) {
    case NET_TCP_SYN_RCVD:
        if (c->parent != NET_TCP_NONE) {
            tcp_free(s, c); /* the listener carries on */
        } else {
            tcp_drop(s, c, NET_ECONNREFUSED);
        }
        break;
    case NET_TCP_CLOSING:
    case NET_TCP_LAST_ACK:
    case NET_TCP_TIME_WAIT:
        tcp_drop(s, c, 0);
        break;
    default:
        tcp_drop(s, c, NET_ECONNRESET);
        break;
    }
}

/* The ACK field of an acceptable segment; false if the segment is to be dropped. */
static bool
ack_input(struct net_stack *s, uint64_t now, struct net_tcp_conn *c, const struct net_tcp_seg *seg)
{
    uint32_t wnd = (uint32_t)seg->wnd << c->snd_wscale;
    bool fin_acked;

    if (c->state == NET_TCP_SYN_RCVD) {
        if (!SEQ_LT(c->snd_una, seg->ack) || SEQ_GT(seg->ack, c->snd_max)) {
            net_drop(s, NET_DROP_TCP_ACK);
            tcp_send_reset(s, now, c->laddr, c->lport, c->raddr, c->rport, seg->ack, 0, false);
            return false;
        }
        c->snd_una = c->iss + 1;
        c->snd_wnd = wnd;
        c->max_snd_wnd = tcp_max32(c->max_snd_wnd, wnd);
        c->snd_wl1 = seg->seq;
        c->snd_wl2 = seg->ack;
        establish(s, now, c, seg);
    }
    /* RFC 5961 5.2: acceptable only if SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT. */
    if (SEQ_GT(seg->ack, c->snd_max) ||
        SEQ_LT(seg->ack, c->snd_una - tcp_max32(c->max_snd_wnd, 1))) {
        net_drop(s, NET_DROP_TCP_ACK);
        tcp_challenge_ack(s, now, c);
        return false;
    }
    if (c->sack_ok) {
        sack_update(c, seg);
    }
    if (SEQ_GT(seg->ack, c->snd_una)) {
        new_ack(s, now, c, seg);
    } else if (seg->ack == c->snd_una && seg->payload_len == 0 &&
               !(seg->flags & (NET_TCP_SYN | NET_TCP_FIN)) && wnd == c->snd_wnd &&
               c->snd_max != c->snd_una) {
        dup_ack(s, now, c);
    }
    if (SEQ_LT(c->snd_wl1, seg->seq) || (c->snd_wl1 == seg->seq && SEQ_LEQ(c->snd_wl2, seg->ack))) {
        if (c->snd_wnd == 0 && wnd > 0) {
            c->backoff = 0;
            c->keep_probes = 0;
            if (c->persist) {
                c->persist = false;
                c->t_rexmt = c->snd_una == c->snd_max ? NET_NO_DEADLINE : c->t_rexmt;
            }
        }
        c->snd_wnd = wnd;
        c->max_snd_wnd = tcp_max32(c->max_snd_wnd, wnd);
        c->snd_wl1 = seg->seq;
        c->snd_wl2 = seg->ack;
    }
    fin_acked = c->fin_sent && c->snd_una == c->snd_max && c->tx_len == 0;
    if (fin_acked) {
        switch (c->state) {
        case NET_TCP_FIN_WAIT_1:
            c->state = NET_TCP_FIN_WAIT_2;
            if (!c->has_handle) {
                c->t_close = now + NET_TCP_FIN_WAIT2_MS;
            }
            break;
        case NET_TCP_CLOSING:
            tcp_time_wait(s, now, c);
            break;
        case NET_TCP_LAST_ACK:
            tcp_drop(s, c, 0);
            return false;
        default:
            break;
        }
    }
    return true;
}

/* The FIN of an acceptable segment, all of whose data was taken (3.10.7.4 eighth). */
static void
fin_input(struct net_stack *s, uint64_t now, struct net_tcp_conn *c)
{
    /* Nothing comes after a FIN: out-of-order data the peer sent beyond it was never
     * valid, and left in place one such range could start at the new RCV.NXT (fuzz-tcp
     * found it) and be taken for data. */
    c->nooo = 0;
    c->rcv_nxt++;
    c->rcv_fin = true;
    c->ack_now = true;
    switch (c->state) {
    case NET_TCP_SYN_RCVD:
    case NET_TCP_ESTABLISHED:
        c->state = NET_TCP_CLOSE_WAIT;
        break;
    case NET_TCP_FIN_WAIT_1:
        c->state = NET_TCP_CLOSING;
        break;
    case NET_TCP_FIN_WAIT_2:
        tcp_time_wait(s, now, c);
        break;
    default:
        break;
    }
}

/* A SYN for a connection in TIME_WAIT: a new incarnation is allowed if it cannot be taken
 * for the old one (RFC 9293 3.6.1 via RFC 6191: a later timestamp, or without timestamps a
 * sequence number beyond the old connection's). Returns true if the old one was ended. */
static bool
time_wait_reuse(struct net_stack *s, struct net_tcp_conn *c, const struct net_tcp_seg *seg)
{
    bool newer =
        c->ts_ok && seg->has_ts ? SEQ_GT(seg->tsval, c->ts_recent) : SEQ_GT(seg->seq, c->rcv_nxt);

    if (!newer || (seg->flags & (NET_TCP_ACKF | NET_TCP_RST))) {
        return false;
    }
    s->tcp->stats.tw_reused++;
    tcp_drop(s, c, 0);
    return true;
}

static void
conn_input(struct net_stack *s, uint64_t now, struct net_tcp_conn *c, const struct net_tcp_seg *seg)
{
    struct net_tcp_seg synack;
    uint32_t fin_seq;

    /* Simultaneous open: the peer's SYN-ACK repeats the SYN we hold and acknowledges ours;
     * its ACK is what SYN_RCVD waits for (RFC 9293 figure 8, line 5), so take it without
     * the SYN rather than as an unacceptable segment. */
    if (c->state == NET_TCP_SYN_RCVD && c->parent == NET_TCP_NONE &&
        (seg->flags & (NET_TCP_SYN | NET_TCP_ACKF | NET_TCP_RST)) == (NET_TCP_SYN | NET_TCP_ACKF) &&
        seg->seq + 1 == c->rcv_nxt && seg->ack == c->snd_max) {
        synack = *seg;
        synack.seq = c->rcv_nxt;
        synack.flags &= (uint8_t)~NET_TCP_SYN;
        seg = &synack;
    }
    /* Our SYN-ACK was lost and the peer sends its SYN again: answer it again. */
    if (c->state == NET_TCP_SYN_RCVD && (seg->flags & NET_TCP_SYN) &&
        !(seg->flags & (NET_TCP_ACKF | NET_TCP_RST)) && seg->seq == c->irs) {
        c->snd_nxt = c->iss;
        tcp_output(s, now, c);
        return;
    }
    /* PAWS (RFC 7323 5.3): a segment with a timestamp older than TS.Recent is old. */
    if (c->ts_ok && seg->has_ts && !(seg->flags & NET_TCP_RST) &&
        SEQ_LT(seg->tsval, c->ts_recent)) {
        net_drop(s, NET_DROP_TCP_PAWS);
        tcp_send_ack(s, now, c);
        return;
    }
    if (!acceptable(c, seg)) {
        net_drop(s, NET_DROP_TCP_SEQ);
        if (!(seg->flags & NET_TCP_RST)) {
            if (c->state == NET_TCP_TIME_WAIT && (seg->flags & NET_TCP_FIN)) {
                c->t_close = now + 2 * (uint64_t)s->tcp->cfg.msl_ms;
            }
            tcp_send_ack(s, now, c);
        }
        return;
    }
    if (c->ts_ok && seg->has_ts && SEQ_LEQ(seg->seq, c->last_ack_sent)) {
        c->ts_recent = seg->tsval;
    }
    /* The peer is alive: keepalive starts counting again, and probes were answered. */
    c->last_rx = now;
    c->keep_probes = 0;
    if (c->keepalive) {
        c->t_keep = NET_NO_DEADLINE;
    }
    if (seg->flags & NET_TCP_RST) {
        rst_input(s, now, c, seg);
        return;
    }
    if (seg->flags & NET_TCP_SYN) {
        /* RFC 5961 4.2: any SYN on a synchronized connection gets a challenge ACK. */
        net_drop(s, NET_DROP_TCP_SYN);
        tcp_challenge_ack(s, now, c);
        return;
    }
    if (!(seg->flags & NET_TCP_ACKF)) {
        net_drop(s, NET_DROP_TCP_FLAGS);
        return;
    }
    if (!ack_input(s, now, c, seg)) {
        return;
    }
    if (c->state == NET_TCP_ESTABLISHED || c->state == NET_TCP_FIN_WAIT_1 ||
        c->state == NET_TCP_FIN_WAIT_2) {
        if (!c->has_handle && c->parent == NET_TCP_NONE && seg->payload_len > 0) {
            /* Closed by the component: nobody will read this (RFC 9293 3.10.7.4). */
            tcp_send_ctl(s, now, c, c->snd_max, NET_TCP_RST | NET_TCP_ACKF);
            tcp_drop(s, c, NET_ECONNRESET);
            return;
        }
        receive_data(s, now, c, seg);
        fin_seq = seg->seq + (uint32_t)seg->payload_len;
        if ((seg->flags & NET_TCP_FIN) && fin_seq == c->rcv_nxt) {
            fin_input(s, now, c);
        }
    } else if (c->state == NET_TCP_TIME_WAIT && (seg->flags & NET_TCP_FIN)) {
        c->ack_now = true;
        c->t_close = now + 2 * (uint64_t)s->tcp->cfg.msl_ms;
    }
    if (c->state != NET_TCP_FREE && c->state != NET_TCP_CLOSED) {
        tcp_output(s, now, c);
    }
}

/* The connection of a segment's four-tuple, or NULL. */
static struct net_tcp_conn *
lookup(struct net_stack *s, const struct net_ipv4 *ip, const struct net_tcp_seg *seg)
{
    size_t i;

    for (i = 0; i < s->tcp->mem.conn_count; i++) {
        struct net_tcp_conn *c = tcp_slot(s, i);
        if (c->state > NET_TCP_LISTEN && c->lport == seg->dport && c->rport == seg->sport &&
            c->raddr == ip->src) {
            return c;
        }
    }
    return NULL;
}

static struct net_tcp_conn *
listener(struct net_stack *s, uint16_t port)
{
    size_t i;

    for (i = 0; i < s->tcp->mem.conn_count; i++) {
        struct net_tcp_conn *c = tcp_slot(s, i);
        if (c->state == NET_TCP_LISTEN && c->lport == port) {
            return c;
        }
    }
    return NULL;
}

void
net_tcp_input(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip, const uint8_t *p,
              bool bcast)
{
    struct net_tcp_seg seg;
    struct net_tcp_conn *c;
    int err = net_tcp_parse(p + ip->hdr_len, ip->total_len - ip->hdr_len, ip->src, ip->dst, &seg);

    if (err != 0) {
        net_drop(s, -err);
        return;
    }
    s->tcp->stats.segs_in++;
    /* TCP is unicast only, and only to our own address (not "any" before DHCP). */
    if (bcast || ip->dst != s->cfg.addr || ip->src == 0) {
        net_drop(s, NET_DROP_TCP_BROADCAST);
        return;
    }
    c = lookup(s, ip, &seg);
    if (c != NULL && c->state == NET_TCP_TIME_WAIT && (seg.flags & NET_TCP_SYN) &&
        time_wait_reuse(s, c, &seg)) {
        c = NULL;
    }
    if (c != NULL) {
        if (c->state == NET_TCP_SYN_SENT) {
            syn_sent_input(s, now, c, &seg);
        } else {
            conn_input(s, now, c, &seg);
        }
        return;
    }
    c = listener(s, seg.dport);
    if (c != NULL) {
        listen_input(s, now, c, ip, &seg);
        return;
    }
    /* No one here (RFC 9293 3.10.7.1): answer with a reset, never a reset with one. */
    net_drop(s, NET_DROP_TCP_NO_SOCKET);
    if (seg.flags & NET_TCP_RST) {
        return;
    }
    if (seg.flags & NET_TCP_ACKF) {
        tcp_send_reset(s, now, ip->dst, seg.dport, ip->src, seg.sport, seg.ack, 0, false);
    } else {
        uint32_t len = (uint32_t)seg.payload_len + ((seg.flags & NET_TCP_SYN) ? 1 : 0) +
                       ((seg.flags & NET_TCP_FIN) ? 1 : 0);
        tcp_send_reset(s, now, ip->dst, seg.dport, ip->src, seg.sport, 0, seg.seq + len, true);
    }
}
