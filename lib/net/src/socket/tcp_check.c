/* net_tcp_check: TCP's invariants, walked in full (for tests and fuzzing). */
#include "tcp_internal.h"

#include <stdio.h>

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            snprintf(why, why_len, __VA_ARGS__);                                                   \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

/* Checks that blocks [first, first + n) are in use and not claimed yet, and claims them
 * (block_used 2 while the check runs; every block goes back to 1 after it). */
static bool
claim(const struct net_tcp *t, uint32_t first, uint32_t n)
{
    uint32_t b;

    if (first > t->nblocks || n > t->nblocks - first) {
        return false;
    }
    for (b = first; b < first + n; b++) {
        if (t->mem.block_used[b] != 1) {
            return false;
        }
        t->mem.block_used[b] = 2;
    }
    return true;
}

/* Returns the blocks claimed to 1; true if every block in use was claimed. */
static bool
unclaim(const struct net_tcp *t)
{
    bool all = true;
    size_t b;

    for (b = 0; b < t->nblocks; b++) {
        all = all && t->mem.block_used[b] != 1;
        if (t->mem.block_used[b] == 2) {
            t->mem.block_used[b] = 1;
        }
    }
    return all;
}

/* The per-connection invariants of c. */
static bool
check_conn(const struct net_stack *s, const struct net_tcp_conn *c, size_t i, char *why,
           size_t why_len)
{
    const struct net_tcp *t = s->tcp;
    uint32_t k;

    CHECK(c->state <= NET_TCP_TIME_WAIT, "tcp %zu: state %u", i, c->state);
    if (c->state == NET_TCP_CLOSED || c->state == NET_TCP_LISTEN) {
        return true;
    }
    CHECK(c->tx_len <= c->tx_cap && c->rx_len <= c->rx_cap, "tcp %zu: ring over capacity", i);
    CHECK(c->tx_cap == 0 || c->tx_head < c->tx_cap, "tcp %zu: tx head", i);
    CHECK(c->rx_cap == 0 || c->rx_head < c->rx_cap, "tcp %zu: rx head", i);
    CHECK(SEQ_LEQ(c->snd_una, c->snd_nxt) && SEQ_LEQ(c->snd_nxt, c->snd_max),
          "tcp %zu: una %u nxt %u max %u", i, c->snd_una, c->snd_nxt, c->snd_max);
    if (tcp_synchronized(c) && c->state != NET_TCP_TIME_WAIT) {
        /* What is in flight is queued data plus at most a FIN. */
        CHECK(tcp_flight(c) <= c->tx_len + (c->fin_sent ? 1u : 0u),
              "tcp %zu: flight %u > queued %u", i, tcp_flight(c), c->tx_len);
        CHECK(c->cwnd > 0, "tcp %zu: cwnd 0", i);
    }
    CHECK(c->nooo <= NET_TCP_OOO_MAX, "tcp %zu: %u ooo ranges", i, c->nooo);
    for (k = 0; k < c->nooo; k++) {
        /* Ranges are beyond RCV.NXT, sorted, apart, and within the receive buffer. */
        CHECK(SEQ_GT(c->ooo[k].start, c->rcv_nxt) && SEQ_LT(c->ooo[k].start, c->ooo[k].end),
              "tcp %zu: ooo %u [%u,%u) rcv_nxt %u", i, k, c->ooo[k].start, c->ooo[k].end,
              c->rcv_nxt);
        CHECK(c->ooo[k].end - c->rcv_nxt <= c->rx_cap - c->rx_len, "tcp %zu: ooo past buffer", i);
        CHECK(k == 0 || SEQ_LT(c->ooo[k - 1].end, c->ooo[k].start), "tcp %zu: ooo order", i);
    }
    CHECK(c->nsacked <= NET_TCP_OOO_MAX, "tcp %zu: %u sacked ranges", i, c->nsacked);
    for (k = 0; k < c->nsacked; k++) {
        /* The scoreboard lies within SND.UNA..SND.MAX, sorted and apart. */
        CHECK(SEQ_LEQ(c->snd_una, c->sacked[k].start) &&
                  SEQ_LT(c->sacked[k].start, c->sacked[k].end) &&
                  SEQ_LEQ(c->sacked[k].end, c->snd_max),
              "tcp %zu: sacked %u [%u,%u) una %u max %u", i, k, c->sacked[k].start,
              c->sacked[k].end, c->snd_una, c->snd_max);
        CHECK(k == 0 || SEQ_LT(c->sacked[k - 1].end, c->sacked[k].start), "tcp %zu: sacked order",
              i);
    }
    CHECK(c->parent == NET_TCP_NONE ||
              (c->parent < t->mem.conn_count && t->mem.conns[c->parent].state == NET_TCP_LISTEN),
          "tcp %zu: parent %u not a listener", i, c->parent);
    CHECK(!(c->has_handle && c->parent != NET_TCP_NONE), "tcp %zu: handle and parent", i);
    return true;
}

/* The invariants of every slot, claiming the blocks each owns. */
static bool
check_slots(const struct net_stack *s, char *why, size_t why_len)
{
    const struct net_tcp *t = s->tcp;
    size_t i;

    for (i = 0; i < t->mem.conn_count; i++) {
        const struct net_tcp_conn *c = &t->mem.conns[i];
        size_t j, kids = 0;
        if (c->state == NET_TCP_FREE) {
            continue;
        }
        if (!check_conn(s, c, i, why, why_len)) {
            return false;
        }
        if (c->tx_cap != 0) {
            CHECK(c->tx_cap % NET_TCP_BLOCK == 0 && c->rx_cap % NET_TCP_BLOCK == 0 &&
                      c->rx_cap != 0,
                  "tcp %zu: buffer sizes", i);
            CHECK(claim(t, c->tx_block, c->tx_cap / NET_TCP_BLOCK) &&
                      claim(t, c->rx_block, c->rx_cap / NET_TCP_BLOCK),
                  "tcp %zu: blocks not its own", i);
        }
        if (c->state == NET_TCP_LISTEN) {
            for (j = 0; j < t->mem.conn_count; j++) {
                kids += t->mem.conns[j].state != NET_TCP_FREE && t->mem.conns[j].parent == i;
            }
            CHECK(kids == c->children, "tcp %zu: %zu children, counted %u", i, kids, c->children);
        }
    }
    return true;
}

bool
net_tcp_check(const struct net_stack *s, char *why, size_t why_len)
{
    bool ok;
    size_t b;

    if (s->tcp == NULL) {
        return true;
    }
    for (b = 0; b < s->tcp->nblocks; b++) {
        if (s->tcp->mem.block_used[b] > 1) {
            snprintf(why, why_len, "tcp: block %zu marked %u", b, s->tcp->mem.block_used[b]);
            return false;
        }
    }
    ok = check_slots(s, why, why_len);
    if (!unclaim(s->tcp) && ok) {
        snprintf(why, why_len, "tcp: a block in use belongs to no connection");
        return false;
    }
    return ok;
}
