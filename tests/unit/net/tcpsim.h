/*
 * TCP on lib/net's virtual link (netsim.h), for the TCP host tests and fuzzer: nodes with
 * TCP tables, a timed link between two of them with seeded loss, duplication, reordering,
 * delay and a bandwidth limit (all in virtual milliseconds), and helpers to inject raw
 * segments from a fake peer and to read the segments a node sent.
 */
#pragma once

#include <vallum/net/tcp.h>

#include "netsim.h"

#define TS_CONNS 16
#define TS_POOL (4u << 20) /* 4 MiB of connection buffers per node */

struct tcp_node {
    struct sim_node n;
    struct net_tcp tcp;
    struct net_tcp_conn conns[TS_CONNS];
    uint8_t pool[TS_POOL];
    uint8_t used[TS_POOL / NET_TCP_BLOCK];
};

/* Creates n as sim_node_init does (no gateway), with TCP keyed by last. */
static int __attribute__((unused))
tcp_node_init(struct tcp_node *n, uint8_t last, net_ip4_t addr, const struct net_tcp_config *cfg,
              size_t nconns, size_t pool_len)
{
    struct net_tcp_config c = {0};
    struct net_tcp_mem mem = {n->conns, nconns, n->pool, pool_len, n->used};
    int err = sim_node_init(&n->n, last, addr, 0, 0);

    if (err != 0) {
        return err;
    }
    if (cfg != NULL) {
        c = *cfg;
    }
    c.isn_key[0] ^= last;
    return net_tcp_init(&n->n.s, &n->tcp, &c, &mem);
}

/* --- A timed link ---------------------------------------------------------------------- */

#define TL_QUEUE 4096

struct tl_frame {
    uint64_t at; /* ms: delivered at this time */
    uint64_t order;
    size_t len;
    uint8_t data[NET_FRAME_MAX];
};

struct tl_dir {
    struct tl_frame q[TL_QUEUE]; /* in flight, unsorted */
    size_t n;
    uint64_t busy_us; /* us: the link is sending until then */
    uint64_t sent, lost, duplicated, reordered, overflowed;
};

struct tl_params {
    uint32_t loss_ppm, dup_ppm, reorder_ppm; /* per frame, parts per million */
    uint32_t delay_ms;                       /* one way */
    uint32_t reorder_ms;                     /* extra delay of a reordered frame */
    uint32_t bytes_per_ms;                   /* 0: unlimited */
    uint32_t queue_frames;                   /* frames queued at most (drop tail); 0: TL_QUEUE */
};

struct tl_link {
    struct tl_params p;
    struct tl_dir ab, ba;
    uint64_t rng;
    uint64_t order;
    /* Optional: called for each frame before the link's own loss; return false to drop. */
    bool (*filter)(void *ctx, bool a_to_b, const uint8_t *f, size_t len);
    void *filter_ctx;
};

static uint64_t __attribute__((unused)) tl_rand(struct tl_link *l)
{
    /* xorshift64*: seeded, so every run of a test is the same run. */
    l->rng ^= l->rng >> 12;
    l->rng ^= l->rng << 25;
    l->rng ^= l->rng >> 27;
    return l->rng * 2685821657736338717ull;
}

static bool __attribute__((unused)) tl_chance(struct tl_link *l, uint32_t ppm)
{
    return ppm != 0 && tl_rand(l) % 1000000 < ppm;
}

static void __attribute__((unused))
tl_push(struct tl_link *l, struct tl_dir *d, uint64_t at, const uint8_t *f, size_t len)
{
    size_t limit = l->p.queue_frames != 0 ? l->p.queue_frames : TL_QUEUE;
    struct tl_frame *q;

    if (d->n >= limit) {
        d->overflowed++;
        return;
    }
    q = &d->q[d->n++];
    q->at = at;
    q->order = l->order++;
    q->len = len;
    memcpy(q->data, f, len);
}

/* Takes the frames node from sent into direction d at time now. */
static void __attribute__((unused))
tl_take(struct tl_link *l, struct sim_node *from, struct tl_dir *d, bool a_to_b, uint64_t now)
{
    size_t i;

    for (i = 0; i < from->nout; i++) {
        const uint8_t *f = from->out[i].data;
        size_t len = from->out[i].len;
        uint64_t at;
        d->sent++;
        if (l->filter != NULL && !l->filter(l->filter_ctx, a_to_b, f, len)) {
            d->lost++;
            continue;
        }
        if (tl_chance(l, l->p.loss_ppm)) {
            d->lost++;
            continue;
        }
        /* Serialisation at the link's rate, then the propagation delay. */
        if (d->busy_us < now * 1000) {
            d->busy_us = now * 1000;
        }
        if (l->p.bytes_per_ms != 0) {
            d->busy_us += (uint64_t)len * 1000 / l->p.bytes_per_ms;
        }
        at = (d->busy_us + 999) / 1000 + l->p.delay_ms;
        if (tl_chance(l, l->p.reorder_ppm)) {
            d->reordered++;
            at += 1 + tl_rand(l) % (l->p.reorder_ms + 1);
        }
        tl_push(l, d, at, f, len);
        if (tl_chance(l, l->p.dup_ppm)) {
            d->duplicated++;
            tl_push(l, d, at + tl_rand(l) % 3, f, len);
        }
    }
    from->nout = 0;
}

/* Delivers every frame of d due by now to node to, in order of time; returns how many. */
static size_t __attribute__((unused))
tl_deliver(struct tl_dir *d, struct sim_node *to, uint64_t now)
{
    static struct tl_frame f;
    size_t count = 0;

    for (;;) {
        size_t i, best = d->n;
        for (i = 0; i < d->n; i++) {
            if (d->q[i].at <= now &&
                (best == d->n || d->q[i].at < d->q[best].at ||
                 (d->q[i].at == d->q[best].at && d->q[i].order < d->q[best].order))) {
                best = i;
            }
        }
        if (best == d->n) {
            return count;
        }
        f = d->q[best];
        d->q[best] = d->q[--d->n];
        net_input(&to->s, now, f.data, f.len);
        count++;
    }
}

/* The earliest delivery time in d, or NET_NO_DEADLINE. */
static uint64_t __attribute__((unused)) tl_next(const struct tl_dir *d)
{
    uint64_t t = NET_NO_DEADLINE;
    size_t i;

    for (i = 0; i < d->n; i++) {
        if (d->q[i].at < t) {
            t = d->q[i].at;
        }
    }
    return t;
}

/* --- Reading and writing raw segments --------------------------------------------------- */

/* Parses frame f (from node with address src to dst) as a TCP segment; false if it is not
 * one with correct checksums. */
static bool __attribute__((unused))
tcp_frame_parse(const uint8_t *f, size_t len, struct net_tcp_seg *seg, struct net_ipv4 *ip)
{
    struct net_eth eth;

    if (net_eth_parse(f, len, &eth) != 0 || eth.type != NET_ETHERTYPE_IPV4 ||
        net_ipv4_parse(f + NET_ETH_HDR_LEN, len - NET_ETH_HDR_LEN, ip) != 0 ||
        ip->proto != NET_PROTO_TCP) {
        return false;
    }
    return net_tcp_parse(f + NET_ETH_HDR_LEN + ip->hdr_len, ip->total_len - ip->hdr_len, ip->src,
                         ip->dst, seg) == 0;
}

/* Builds a frame carrying TCP segment h with len bytes of data from src to node dst_mac/dst;
 * returns its length. */
static size_t __attribute__((unused))
tcp_frame_build(uint8_t *f, const struct net_mac *dst_mac, net_ip4_t src, net_ip4_t dst,
                const struct net_tcp_seg *h, const uint8_t *data, size_t len)
{
    uint8_t seg[NET_MTU];
    size_t hl = net_tcp_emit_header(seg, h);

    if (len > 0) {
        memcpy(seg + hl, data, len);
    }
    net_put16(seg + NET_TCP_CSUM, net_tcp_checksum(seg, hl + len, src, dst));
    return sim_ip_frame(f, dst_mac, src, dst, NET_PROTO_TCP, 1, 0, false, NULL, 0, seg, hl + len);
}
