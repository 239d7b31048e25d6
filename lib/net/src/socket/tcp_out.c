/*
 * TCP transmission: segments built from a connection's send ring, what may be sent now
 * (windows, congestion, Nagle), the retransmission timer (RFC 6298), delayed ACKs,
 * zero-window probes, keepalive and TIME_WAIT, and segments sent without a connection
 * (resets, SYN cookie answers).
 */
#include "tcp_internal.h"

#include <string.h>

/* The window field to send, updating RCV.ADV: the free receive buffer, never moving the
 * right edge back (RFC 9293 3.8.6.2.2 forbids shrinking) and not moving it forward by less
 * than min(half the buffer, one MSS) (receiver silly window avoidance, RFC 1122 4.2.3.3). */
static uint16_t
rcv_window(struct net_tcp_conn *c, bool syn)
{
    uint32_t free = c->rx_cap - c->rx_len;
    uint32_t edge = c->rcv_nxt + free;
    uint32_t old = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv : c->rcv_nxt;
    uint8_t shift = syn ? 0 : c->rcv_wscale;
    uint32_t win;

    if (SEQ_LT(edge, old) || edge - old < tcp_min32(c->rx_cap / 2, TCP_MSS)) {
        edge = old;
    }
    win = edge - c->rcv_nxt;
    /* Rounded up so that the scaled window never falls short of the edge promised. */
    win = (win + (1u << shift) - 1) >> shift;
    if (win > 65535) {
        win = 65535;
    }
    c->rcv_adv = c->rcv_nxt + (win << shift);
    return (uint16_t)win;
}

/* Fills h's SACK blocks from the out-of-order data held (RFC 2018 4): the range with the
 * latest arrival first, then the others in order, as many as the option space holds. Only
 * segments without data carry them, so that they never cost a data segment its MSS. */
static void
sack_blocks(const struct net_tcp_conn *c, struct net_tcp_seg *h)
{
    uint8_t max = h->has_ts ? 3 : NET_TCP_SACK_BLOCKS, i, first = 0;

    for (i = 0; i < c->nooo; i++) {
        if (SEQ_LEQ(c->ooo[i].start, c->ooo_recent) && SEQ_LT(c->ooo_recent, c->ooo[i].end)) {
            first = i;
        }
    }
    h->nsack = 0;
    if (c->nooo == 0) {
        return;
    }
    h->sack[h->nsack].start = c->ooo[first].start;
    h->sack[h->nsack++].end = c->ooo[first].end;
    for (i = 0; i < c->nooo && h->nsack < max; i++) {
        if (i != first) {
            h->sack[h->nsack].start = c->ooo[i].start;
            h->sack[h->nsack++].end = c->ooo[i].end;
        }
    }
}

/* Builds and sends one segment of c: flags at seq, with len bytes of the send ring from
 * offset off past SND.UNA. Returns 0 or -NET_E* (nothing sent). */
static int
send_seg(struct net_stack *s, uint64_t now, struct net_tcp_conn *c, uint32_t seq, uint8_t flags,
         uint32_t off, uint32_t len)
{
    struct net_tcp *t = s->tcp;
    bool syn = (flags & NET_TCP_SYN) != 0;
    bool active = c->state == NET_TCP_SYN_SENT;
    struct net_tcp_seg h = {.sport = c->lport,
                            .dport = c->rport,
                            .seq = seq,
                            .ack = (flags & NET_TCP_ACKF) ? c->rcv_nxt : 0,
                            .flags = flags,
                            .wscale = -1};
    size_t hl;
    int err;

    h.wnd = (flags & NET_TCP_RST) ? 0 : rcv_window(c, syn);
    if (syn) {
        h.mss = TCP_MSS;
        if (active ? !t->cfg.no_wscale : c->ws_ok) {
            h.wscale = (int8_t)c->rcv_wscale;
        }
        h.has_ts = active ? !t->cfg.no_timestamps : c->ts_ok;
        h.sack_ok = active ? !t->cfg.no_sack : c->sack_ok;
    } else {
        h.has_ts = c->ts_ok && !(flags & NET_TCP_RST);
        if (c->sack_ok && len == 0 && !(flags & NET_TCP_RST)) {
            sack_blocks(c, &h);
        }
    }
    h.tsval = tcp_ts_now(c, now);
    h.tsecr = c->ts_recent;
    hl = net_tcp_emit_header(t->seg, &h);
    if (len > 0) {
        uint32_t at = (c->tx_head + off) % c->tx_cap;
        uint32_t first = tcp_min32(len, c->tx_cap - at);
        const uint8_t *ring = t->mem.pool + (size_t)c->tx_block * NET_TCP_BLOCK;
        memcpy(t->seg + hl, ring + at, first);
        memcpy(t->seg + hl + first, ring, len - first);
    }
    net_put16(t->seg + NET_TCP_CSUM, net_tcp_checksum(t->seg, hl + len, c->laddr, c->raddr));
    err = net_ipv4_output(s, now, c->raddr, NET_PROTO_TCP, t->seg, hl + len, NULL, 0);
    if (err != 0) {
        return err;
    }
    t->stats.segs_out++;
    if (flags & NET_TCP_ACKF) {
        c->last_ack_sent = c->rcv_nxt;
        c->unacked = 0;
        c->ack_now = false;
        c->t_delack = NET_NO_DEADLINE;
    }
    return 0;
}

void
tcp_send_ctl(struct net_stack *s, uint64_t now, struct net_tcp_conn *c, uint32_t seq, uint8_t flags)
{
    if (send_seg(s, now, c, seq, flags, 0, 0) == 0 && (flags & NET_TCP_RST)) {
        s->tcp->stats.resets_sent++;
    }
}

void
tcp_send_ack(struct net_stack *s, uint64_t now, struct net_tcp_conn *c)
{
    /* At SND.MAX, not SND.NXT: after a timeout SND.NXT goes back to SND.UNA, below what the
     * peer may hold already, and an ACK there would be outside its window and dropped (two
     * such peers then trade unacceptable ACKs for ever, as the long bulk test found). */
    if (send_seg(s, now, c, c->snd_max, NET_TCP_ACKF, 0, 0) != 0) {
        /* No buffer: try again from the delayed-ACK timer rather than lose the ACK. */
        c->t_delack = now + 1;
    }
}

void
tcp_challenge_ack(struct net_stack *s, uint64_t now, struct net_tcp_conn *c)
{
    struct net_tcp *t = s->tcp;
    uint64_t cap = (uint64_t)NET_TCP_CHALLENGE_PER_S * 1000;

    t->challenge_tokens += (now - t->challenge_last) * NET_TCP_CHALLENGE_PER_S;
    if (t->challenge_tokens > cap) {
        t->challenge_tokens = cap;
    }
    t->challenge_last = now;
    if (t->challenge_tokens < 1000) {
        return;
    }
    t->challenge_tokens -= 1000;
    t->stats.challenge_acks++;
    c->challenge_acks++;
    tcp_send_ack(s, now, c);
}

/* Sends h (header only) from us to raddr, outside any connection. */
static void
send_raw(struct net_stack *s, uint64_t now, net_ip4_t raddr, struct net_tcp_seg *h)
{
    struct net_tcp *t = s->tcp;
    size_t hl = net_tcp_emit_header(t->seg, h);

    net_put16(t->seg + NET_TCP_CSUM, net_tcp_checksum(t->seg, hl, s->cfg.addr, raddr));
    if (net_ipv4_output(s, now, raddr, NET_PROTO_TCP, t->seg, hl, NULL, 0) == 0) {
        t->stats.segs_out++;
    }
}

void
tcp_send_reset(struct net_stack *s, uint64_t now, net_ip4_t laddr, uint16_t lport, net_ip4_t raddr,
               uint16_t rport, uint32_t seq, uint32_t ack, bool with_ack)
{
    struct net_tcp_seg h = {.sport = lport,
                            .dport = rport,
                            .seq = seq,
                            .ack = with_ack ? ack : 0,
                            .flags = (uint8_t)(NET_TCP_RST | (with_ack ? NET_TCP_ACKF : 0)),
                            .wscale = -1};

    (void)laddr;
    s->tcp->stats.resets_sent++;
    send_raw(s, now, raddr, &h);
}

void
tcp_send_cookie(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip,
                const struct net_tcp_seg *seg, uint32_t cookie, uint16_t mss)
{
    struct net_tcp_seg h = {.sport = seg->dport,
                            .dport = seg->sport,
                            .seq = cookie,
                            .ack = seg->seq + 1,
                            .flags = NET_TCP_SYN | NET_TCP_ACKF,
                            .wnd = 65535,
                            .mss = mss,
                            .wscale = -1};

    s->tcp->stats.cookies_sent++;
    send_raw(s, now, ip->src, &h);
}

void
tcp_rtt_sample(struct net_tcp_conn *c, uint32_t rtt)
{
    uint32_t rto;

    /* A sample longer than the longest RTO is no usable round trip: it is a timestamp echo the
     * peer made up (one in our future reads as nearly 2^32 ms), and would wrap 8 SRTT and
     * 4 RTTVAR below. Bounded samples keep both far from wrapping. */
    if (rtt > NET_TCP_RTO_MAX_MS) {
        return;
    }
    if (c->srtt8 == 0) {
        /* RFC 6298 2.2: SRTT = R, RTTVAR = R/2. */
        c->srtt8 = rtt * 8 > 0 ? rtt * 8 : 1;
        c->rttvar4 = rtt * 2;
    } else {
        /* RFC 6298 2.3 with beta 1/4 and alpha 1/8, RTTVAR from the old SRTT. */
        int64_t delta = (int64_t)rtt - (int64_t)(c->srtt8 / 8);
        uint32_t adelta = (uint32_t)(delta < 0 ? -delta : delta);
        c->rttvar4 = c->rttvar4 - c->rttvar4 / 4 + adelta;
        c->srtt8 = (uint32_t)((int64_t)c->srtt8 + delta);
        if (c->srtt8 == 0) {
            c->srtt8 = 1;
        }
    }
    /* RTO = SRTT + max(G, 4 RTTVAR) with a clock granularity G of 1 ms. */
    rto = c->srtt8 / 8 + tcp_max32(1, c->rttvar4);
    c->rto = tcp_max32(NET_TCP_RTO_MIN_MS, tcp_min32(rto, NET_TCP_RTO_MAX_MS));
}

void
tcp_arm_rexmt(struct net_tcp_conn *c, uint64_t now)
{
    uint64_t rto = (uint64_t)c->rto << (c->backoff < 16 ? c->backoff : 16);

    c->t_rexmt = now + tcp_min64(rto, NET_TCP_RTO_MAX_MS);
}

void
tcp_time_wait(struct net_stack *s, uint64_t now, struct net_tcp_conn *c)
{
    c->state = NET_TCP_TIME_WAIT;
    c->t_rexmt = c->t_delack = c->t_keep = NET_NO_DEADLINE;
    c->t_close = now + 2 * (uint64_t)s->tcp->cfg.msl_ms;
    /* Nobody will read or send any more: the buffers go back to the pool now, so that
     * connections piling up in TIME_WAIT hold a slot each and no buffer. */
    if (!c->has_handle) {
        tcp_release_buffers(s, c);
    }
}

void
tcp_release_buffers(struct net_stack *s, struct net_tcp_conn *c)
{
    if (c->tx_cap == 0) {
        return;
    }
    memset(s->tcp->mem.block_used + c->tx_block, 0, c->tx_cap / NET_TCP_BLOCK);
    memset(s->tcp->mem.block_used + c->rx_block, 0, c->rx_cap / NET_TCP_BLOCK);
    c->tx_cap = c->rx_cap = 0;
    c->tx_len = c->rx_len = 0;
    c->nooo = 0;
}

/* Sends the SYN (SYN_SENT) or SYN-ACK (SYN_RCVD) if it is due. */
static void
output_syn(struct net_stack *s, uint64_t now, struct net_tcp_conn *c)
{
    uint8_t flags = NET_TCP_SYN | (c->state == NET_TCP_SYN_RCVD ? NET_TCP_ACKF : 0);

    if (c->snd_nxt == c->iss) {
        if (send_seg(s, now, c, c->iss, flags, 0, 0) == 0) {
            if (c->snd_max != c->iss) {
                c->retransmits++;
                s->tcp->stats.retransmits++;
            }
            c->snd_nxt = c->iss + 1;
            c->snd_max = c->iss + 1;
        }
        if (c->t_rexmt == NET_NO_DEADLINE) {
            tcp_arm_rexmt(c, now);
        }
    }
    c->ack_now = false;
}

/* True if a segment of len bytes (less than a full one) should wait for more data or an
 * ACK: Nagle's algorithm (RFC 896, RFC 1122 4.2.3.4) holds the last small piece of the
 * queue while data is unacknowledged, and a piece cut short by the congestion window waits
 * for the window to grow (ACKs are due: data is in flight). A piece cut short by the peer's
 * window goes: the peer avoids silly windows on its side (RFC 1122 4.2.3.3), and waiting
 * there could wait for ever. */
static bool
hold_small(const struct net_tcp_conn *c, uint32_t len, uint32_t avail, uint32_t rwnd_room)
{
    if (len == avail) {
        return !c->nodelay && c->snd_nxt != c->snd_una;
    }
    return len < rwnd_room;
}

void
tcp_output(struct net_stack *s, uint64_t now, struct net_tcp_conn *c)
{
    if (c->state == NET_TCP_SYN_SENT || c->state == NET_TCP_SYN_RCVD) {
        output_syn(s, now, c);
        return;
    }
    if (!tcp_synchronized(c)) {
        return;
    }
    for (;;) {
        uint32_t sent = c->snd_nxt - c->snd_una;
        bool fin_out = c->fin_sent && sent > c->tx_len;
        uint32_t avail = sent < c->tx_len ? c->tx_len - sent : 0;
        uint32_t rwnd_end = c->snd_una + c->snd_wnd, cwnd_end = c->snd_una + c->cwnd;
        uint32_t rwnd_room = SEQ_GT(rwnd_end, c->snd_nxt) ? rwnd_end - c->snd_nxt : 0;
        uint32_t cwnd_room = SEQ_GT(cwnd_end, c->snd_nxt) ? cwnd_end - c->snd_nxt : 0;
        uint32_t len = tcp_min32(tcp_min32(avail, tcp_min32(rwnd_room, cwnd_room)), tcp_smss(c));
        bool fin, retrans = SEQ_LT(c->snd_nxt, c->snd_max);
        uint8_t flags = NET_TCP_ACKF;

        fin = c->fin_queued && !fin_out && len == avail && c->state != NET_TCP_FIN_WAIT_2 &&
              c->state != NET_TCP_TIME_WAIT;
        if (len > 0 && len < tcp_smss(c) && !fin && hold_small(c, len, avail, rwnd_room)) {
            len = 0;
        }
        if (len == 0 && !fin) {
            if (c->ack_now) {
                tcp_send_ack(s, now, c);
            }
            break;
        }
        if (len > 0 && len == avail) {
            flags |= NET_TCP_PSH;
        }
        if (fin) {
            flags |= NET_TCP_FIN;
        }
        if (send_seg(s, now, c, c->snd_nxt, flags, sent, len) != 0) {
            /* The link is out of buffers: the timer tries again (an ACK may come first). */
            if (c->t_rexmt == NET_NO_DEADLINE) {
                tcp_arm_rexmt(c, now);
            }
            break;
        }
        if (retrans) {
            c->retransmits++;
            s->tcp->stats.retransmits++;
        } else if (!c->ts_ok && !c->rtt_timing && len > 0) {
            /* Karn: time only segments sent once. */
            c->rtt_timing = true;
            c->rtt_seq = c->snd_nxt;
            c->rtt_start = now;
        }
        c->snd_nxt += len + (fin ? 1 : 0);
        if (SEQ_GT(c->snd_nxt, c->snd_max)) {
            c->snd_max = c->snd_nxt;
        }
        if (c->t_rexmt == NET_NO_DEADLINE || c->persist) {
            c->persist = false;
            tcp_arm_rexmt(c, now);
        }
        if (fin) {
            c->fin_sent = true;
            if (c->state == NET_TCP_ESTABLISHED) {
                c->state = NET_TCP_FIN_WAIT_1;
            } else if (c->state == NET_TCP_CLOSE_WAIT) {
                c->state = NET_TCP_LAST_ACK;
            }
            break;
        }
    }
    /* Data waits behind a closed window with nothing in flight: probe it (RFC 9293
     * 3.8.6.1), on the retransmission timer. */
    if (c->snd_wnd == 0 && c->tx_len > c->snd_nxt - c->snd_una && c->snd_nxt == c->snd_una &&
        c->t_rexmt == NET_NO_DEADLINE) {
        c->persist = true;
        tcp_arm_rexmt(c, now);
    }
}

/* RFC 6675 4's pipe, with every hole below the highest SACKed byte taken as lost (FACK's
 * estimate, simpler than IsLost and the same once three segments are SACKed above a hole):
 * what was sent above the highest SACKed byte, plus the holes retransmitted. */
static uint32_t
sack_pipe(const struct net_tcp_conn *c)
{
    uint32_t high, lim, holes;
    uint8_t i;

    if (c->nsacked == 0) {
        return tcp_flight(c);
    }
    high = c->sacked[c->nsacked - 1].end;
    lim = SEQ_LT(c->rxt_high, high) ? c->rxt_high : high;
    holes = SEQ_GT(lim, c->snd_una) ? lim - c->snd_una : 0;
    for (i = 0; i < c->nsacked && SEQ_LT(c->sacked[i].start, lim); i++) {
        uint32_t end = SEQ_LT(c->sacked[i].end, lim) ? c->sacked[i].end : lim;
        holes -= end - c->sacked[i].start;
    }
    return c->snd_max - high + holes;
}

/* The next hole at or after HighRxt and below the highest SACKed byte (NextSeg's rule 1);
 * false if none. */
static bool
sack_next_hole(const struct net_tcp_conn *c, uint32_t *seq, uint32_t *len)
{
    uint32_t from = SEQ_GT(c->rxt_high, c->snd_una) ? c->rxt_high : c->snd_una;
    uint32_t prev = c->snd_una;
    uint8_t i;

    for (i = 0; i < c->nsacked; i++) {
        if (SEQ_LT(from, c->sacked[i].start)) {
            *seq = SEQ_GT(from, prev) ? from : prev;
            *len = tcp_min32(c->sacked[i].start - *seq, tcp_smss(c));
            return true;
        }
        prev = c->sacked[i].end;
    }
    return false;
}

void
tcp_sack_output(struct net_stack *s, uint64_t now, struct net_tcp_conn *c)
{
    uint32_t smss = tcp_smss(c), seq, len;
    int n;

    /* Bounded: each pass sends a segment or stops. */
    for (n = 0; n < 256 && sack_pipe(c) + smss <= c->cwnd; n++) {
        if (sack_next_hole(c, &seq, &len)) {
            uint32_t off = seq - c->snd_una;
            len = off < c->tx_len ? tcp_min32(len, c->tx_len - off) : 0;
            if (len == 0 || send_seg(s, now, c, seq, NET_TCP_ACKF, off, len) != 0) {
                break;
            }
            c->rxt_high = seq + len;
            c->retransmits++;
            s->tcp->stats.retransmits++;
            continue;
        }
        /* No hole left: new data, full segments only (tcp_output sends the rest). */
        {
            uint32_t sent = c->snd_nxt - c->snd_una;
            uint32_t rwnd_end = c->snd_una + c->snd_wnd;
            uint32_t room = SEQ_GT(rwnd_end, c->snd_nxt) ? rwnd_end - c->snd_nxt : 0;
            if (sent >= c->tx_len || c->tx_len - sent < smss || room < smss ||
                send_seg(s, now, c, c->snd_nxt, NET_TCP_ACKF, sent, smss) != 0) {
                break;
            }
            c->snd_nxt += smss;
            if (SEQ_GT(c->snd_nxt, c->snd_max)) {
                c->snd_max = c->snd_nxt;
            }
        }
    }
    if (c->t_rexmt == NET_NO_DEADLINE && c->snd_max != c->snd_una) {
        tcp_arm_rexmt(c, now);
    }
}

/* The retransmission timer of c fired. */
static void
rexmt_expired(struct net_stack *s, uint64_t now, struct net_tcp_conn *c)
{
    struct net_tcp *t = s->tcp;
    bool syn = c->state == NET_TCP_SYN_SENT || c->state == NET_TCP_SYN_RCVD;
    uint32_t limit = syn ? NET_TCP_SYN_RETRIES : NET_TCP_RETRIES;

    c->t_rexmt = NET_NO_DEADLINE;
    if (tcp_synchronized(c) && c->snd_wnd == 0 && c->tx_len > 0) {
        /* A zero-window probe: one byte past the window, kept up while the peer answers
         * (keep_probes counts probes unanswered). */
        if (c->keep_probes >= NET_TCP_RETRIES) {
            tcp_drop(s, c, NET_ETIMEDOUT);
            return;
        }
        c->keep_probes++;
        c->persist = true;
        if (send_seg(s, now, c, c->snd_una, NET_TCP_ACKF, 0, 1) == 0 &&
            SEQ_LT(c->snd_nxt, c->snd_una + 1)) {
            c->snd_nxt = c->snd_una + 1;
            if (SEQ_GT(c->snd_nxt, c->snd_max)) {
                c->snd_max = c->snd_nxt;
            }
        }
        if (c->backoff < 16) {
            c->backoff++;
        }
        tcp_arm_rexmt(c, now);
        return;
    }
    if (c->snd_nxt == c->snd_una && c->snd_max == c->snd_una) {
        /* Armed for a send the link refused, and nothing is in flight: just try again. */
        tcp_output(s, now, c);
        return;
    }
    if (c->backoff >= limit) {
        if (tcp_synchronized(c)) {
            tcp_send_ctl(s, now, c, c->snd_max, NET_TCP_RST | NET_TCP_ACKF);
        }
        tcp_drop(s, c, NET_ETIMEDOUT);
        return;
    }
    c->backoff++;
    c->timeouts++;
    t->stats.timeouts++;
    if (tcp_synchronized(c)) {
        /* RFC 5681 3.1 (4): ssthresh = max(FlightSize / 2, 2 SMSS), cwnd = one segment;
         * RFC 6582 4: recover = the highest sequence sent, so later duplicate ACKs for data
         * sent before the timeout do not start a fast retransmit. */
        c->ssthresh = tcp_max32(tcp_flight(c) / 2, 2 * tcp_smss(c));
        c->cwnd = tcp_smss(c);
        c->in_recovery = false;
        c->recover = c->snd_max;
        c->dupacks = 0;
        /* RFC 6675 5.1: the scoreboard may be wrong now (the peer may renege): start over. */
        c->nsacked = 0;
        c->rxt_high = c->snd_una;
    }
    c->rtt_timing = false;
    c->snd_nxt = syn ? c->iss : c->snd_una;
    tcp_arm_rexmt(c, now);
    tcp_output(s, now, c);
}

/* The keepalive timer of c fired (RFC 1122 4.2.3.6). */
static void
keepalive_expired(struct net_stack *s, uint64_t now, struct net_tcp_conn *c)
{
    struct net_tcp *t = s->tcp;

    if (!c->keepalive || c->state != NET_TCP_ESTABLISHED) {
        c->t_keep = NET_NO_DEADLINE;
        return;
    }
    if (now < c->last_rx + t->cfg.keepidle_ms && c->keep_probes == 0) {
        c->t_keep = c->last_rx + t->cfg.keepidle_ms;
        return;
    }
    if (c->keep_probes >= NET_TCP_KEEPCNT) {
        tcp_drop(s, c, NET_ETIMEDOUT);
        return;
    }
    c->keep_probes++;
    /* SEG.SEQ = SND.NXT - 1 with no data: the peer must answer with an ACK. */
    tcp_send_ctl(s, now, c, c->snd_una - 1, NET_TCP_ACKF);
    c->t_keep = now + t->cfg.keepintvl_ms;
}

/* Runs the timers of c due at now; returns its next deadline. */
static uint64_t
conn_poll(struct net_stack *s, uint64_t now, struct net_tcp_conn *c)
{
    if (c->t_close <= now) {
        tcp_drop(s, c, 0);
        return NET_NO_DEADLINE;
    }
    if (c->t_rexmt <= now) {
        rexmt_expired(s, now, c);
        if (c->state <= NET_TCP_LISTEN) {
            return NET_NO_DEADLINE;
        }
    }
    if (c->t_delack <= now) {
        c->t_delack = NET_NO_DEADLINE;
        tcp_send_ack(s, now, c);
    }
    if (c->keepalive && c->state == NET_TCP_ESTABLISHED && c->t_keep == NET_NO_DEADLINE) {
        c->t_keep = c->last_rx + s->tcp->cfg.keepidle_ms;
    }
    if (c->t_keep <= now) {
        keepalive_expired(s, now, c);
        if (c->state <= NET_TCP_LISTEN) {
            return NET_NO_DEADLINE;
        }
    }
    return tcp_min64(tcp_min64(c->t_rexmt, c->t_delack), tcp_min64(c->t_keep, c->t_close));
}

uint64_t
net_tcp_poll(struct net_stack *s, uint64_t now)
{
    uint64_t next = NET_NO_DEADLINE;
    size_t i;

    for (i = 0; i < s->tcp->mem.conn_count; i++) {
        struct net_tcp_conn *c = tcp_slot(s, i);
        if (c->state > NET_TCP_LISTEN) {
            next = tcp_min64(next, conn_poll(s, now, c));
        }
    }
    return next;
}
