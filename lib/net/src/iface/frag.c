/*
 * IPv4 fragment reassembly within a fixed memory budget.
 *
 * Each fragment is kept whole (header and payload) in a packet buffer of the pool, in its
 * datagram's slot, in arrival order. Reassembly may hold at most cfg.reass_budget buffers
 * in all and NET_REASS_MAX_FRAGS per datagram, and gives a datagram up NET_REASS_TIMEOUT_MS
 * after its first fragment, so fragments that never complete (or never stop) cost a bounded
 * amount of memory for a bounded time. When the budget or the slots are exhausted the
 * oldest other datagram is evicted: a sender flooding fragments can delay reassembly of
 * others but not stop it for longer than the flood lasts.
 *
 * Overlaps: a fragment wholly inside one already held is a duplicate and dropped; partial
 * overlaps are kept, and when the datagram is put together earlier fragments win
 * (they are copied last). Fragments that disagree about where the datagram ends make the
 * whole datagram be dropped.
 */
#include "../net_internal.h"

#include <string.h>

static void
free_slot(struct net_stack *s, struct net_reass *r, enum net_drop reason)
{
    size_t i;

    for (i = 0; i < r->nfrags; i++) {
        net_pkt_free(s, r->frag[i]);
        s->reass_held--;
    }
    if (reason != NET_DROP_NONE) {
        net_drop(s, reason);
    }
    r->nfrags = 0;
    r->used = false;
}

static struct net_reass *
find(struct net_stack *s, const struct net_ipv4 *ip)
{
    size_t i;

    for (i = 0; i < s->mem.reass_count; i++) {
        struct net_reass *r = &s->mem.reass[i];
        if (r->used && r->id == ip->id && r->src == ip->src && r->dst == ip->dst &&
            r->proto == ip->proto) {
            return r;
        }
    }
    return NULL;
}

/* Evicts the slot with the earliest deadline other than slot keep (reass_count: none);
 * false if there is none. */
static bool
evict_oldest(struct net_stack *s, size_t keep)
{
    size_t i, oldest = s->mem.reass_count;

    for (i = 0; i < s->mem.reass_count; i++) {
        const struct net_reass *r = &s->mem.reass[i];
        if (r->used && i != keep &&
            (oldest == s->mem.reass_count || r->deadline < s->mem.reass[oldest].deadline)) {
            oldest = i;
        }
    }
    if (oldest == s->mem.reass_count) {
        return false;
    }
    free_slot(s, &s->mem.reass[oldest], NET_DROP_FRAG_EVICTED);
    return true;
}

static struct net_reass *
new_slot(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip)
{
    struct net_reass *r = NULL;
    size_t i;

    for (;;) {
        for (i = 0; i < s->mem.reass_count; i++) {
            if (!s->mem.reass[i].used) {
                r = &s->mem.reass[i];
                break;
            }
        }
        if (r != NULL || !evict_oldest(s, s->mem.reass_count)) {
            break;
        }
    }
    if (r == NULL) {
        return NULL;
    }
    memset(r, 0, sizeof(*r));
    r->used = true;
    r->id = ip->id;
    r->src = ip->src;
    r->dst = ip->dst;
    r->proto = ip->proto;
    r->deadline = now + NET_REASS_TIMEOUT_MS;
    return r;
}

static size_t
frag_len(const struct net_stack *s, uint16_t k)
{
    const struct net_pkt *pkt = &s->mem.pkts[k];

    return pkt->len - (size_t)((pkt->data[NET_IP_VER_IHL] & 0xf) * 4);
}

/* Checks the new fragment [off, end) against what r holds; returns 0 or a drop reason that
 * applies to the fragment (duplicate) or to the whole datagram (conflict, too big). */
static int
check_fragment(const struct net_stack *s, const struct net_reass *r, const struct net_ipv4 *ip,
               size_t off, size_t end)
{
    size_t i;

    /* The buffer holds the first fragment's header (20 bytes or more) and the payload;
     * assemble() checks again with the first fragment's own header length. */
    if (s->mem.reass_buf_len < NET_IP_HDR_LEN || end > s->mem.reass_buf_len - NET_IP_HDR_LEN) {
        return NET_DROP_FRAG_TOO_BIG;
    }
    if (r->have_last && (end > r->total_len || (!ip->mf && end != r->total_len))) {
        return NET_DROP_FRAG_CONFLICT;
    }
    for (i = 0; i < r->nfrags; i++) {
        size_t o = s->mem.pkts[r->frag[i]].frag_off;
        size_t e = o + frag_len(s, r->frag[i]);
        if (!ip->mf && e > end) {
            return NET_DROP_FRAG_CONFLICT;
        }
        if (o <= off && end <= e && (ip->mf || r->have_last)) {
            return NET_DROP_FRAG_DUPLICATE;
        }
    }
    return 0;
}

/* True if the fragments of r cover [0, total_len). Quadratic in the (bounded) number of
 * fragments, and run once per fragment that arrives after the last one. */
static bool
complete(const struct net_stack *s, const struct net_reass *r)
{
    size_t covered = 0;
    bool grew = true;
    size_t i;

    while (grew && covered < r->total_len) {
        grew = false;
        for (i = 0; i < r->nfrags; i++) {
            size_t o = s->mem.pkts[r->frag[i]].frag_off;
            size_t e = o + frag_len(s, r->frag[i]);
            if (o <= covered && e > covered) {
                covered = e;
                grew = true;
            }
        }
    }
    return covered >= r->total_len;
}

/* Puts r's datagram together in the assembly buffer and delivers it. */
static void
assemble(struct net_stack *s, uint64_t now, struct net_reass *r, bool bcast)
{
    uint8_t *buf = s->mem.reass_buf;
    const struct net_pkt *first = NULL;
    struct net_ipv4 ip;
    size_t hl, i;

    for (i = 0; i < r->nfrags && first == NULL; i++) {
        if (s->mem.pkts[r->frag[i]].frag_off == 0) {
            first = &s->mem.pkts[r->frag[i]];
        }
    }
    /* complete() found offset 0 covered, so a fragment starts there. */
    if (first == NULL) {
        free_slot(s, r, NET_DROP_IP_FRAGMENT);
        return;
    }
    hl = (size_t)((first->data[NET_IP_VER_IHL] & 0xf) * 4);
    /* A long first header and a far last fragment can together pass 65,535 bytes (each
     * fragment alone was checked), or the buffer: the datagram cannot be represented. */
    if (hl + r->total_len > s->mem.reass_buf_len) {
        free_slot(s, r, NET_DROP_FRAG_TOO_BIG);
        return;
    }
    memcpy(buf, first->data, hl);
    /* Earlier fragments win overlaps: copy in reverse order of arrival. */
    for (i = r->nfrags; i-- > 0;) {
        const struct net_pkt *pkt = &s->mem.pkts[r->frag[i]];
        size_t fhl = (size_t)((pkt->data[NET_IP_VER_IHL] & 0xf) * 4);
        memcpy(buf + hl + pkt->frag_off, pkt->data + fhl, pkt->len - fhl);
    }
    /* The header now describes the whole datagram, so ICMP errors quote it correctly. */
    net_put16(buf + NET_IP_LEN, (uint16_t)(hl + r->total_len));
    net_put16(buf + NET_IP_FRAG, net_get16(buf + NET_IP_FRAG) & NET_IP_FLAG_DF);
    net_put16(buf + NET_IP_CSUM, 0);
    net_put16(buf + NET_IP_CSUM, net_csum_finish(net_csum_add(0, buf, hl)));
    free_slot(s, r, NET_DROP_NONE);
    s->stats.reassembled++;
    if (net_ipv4_parse(buf, hl + r->total_len, &ip) != 0) {
        /* Cannot happen: the first fragment's header was checked and only its length,
         * flags and checksum changed. Count it rather than trust it. */
        net_drop(s, NET_DROP_IP_FRAGMENT);
        return;
    }
    net_ipv4_deliver(s, now, &ip, buf, bcast);
}

void
net_reass_input(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip, const uint8_t *p,
                bool bcast)
{
    size_t off = ip->frag_off;
    size_t end = off + (size_t)(ip->total_len - ip->hdr_len);
    struct net_reass *r = find(s, ip);
    uint16_t k;
    int err;

    if (r == NULL) {
        r = new_slot(s, now, ip);
        if (r == NULL) {
            net_drop(s, NET_DROP_FRAG_NO_BUFFER);
            return;
        }
    }
    err = check_fragment(s, r, ip, off, end);
    if (err == NET_DROP_FRAG_DUPLICATE) {
        net_drop(s, err);
        return;
    }
    if (err != 0) {
        free_slot(s, r, err);
        return;
    }
    if (r->nfrags == NET_REASS_MAX_FRAGS) {
        free_slot(s, r, NET_DROP_FRAG_TOO_MANY);
        return;
    }
    while (s->reass_held >= s->cfg.reass_budget || s->free_count == 0) {
        if (!evict_oldest(s, (size_t)(r - s->mem.reass))) {
            break;
        }
    }
    k = NET_PKT_NONE;
    if (s->reass_held < s->cfg.reass_budget) {
        k = net_pkt_alloc(s, NET_PKT_REASS);
    }
    if (k == NET_PKT_NONE) {
        free_slot(s, r, NET_DROP_FRAG_NO_BUFFER);
        return;
    }
    memcpy(s->mem.pkts[k].data, p, ip->total_len);
    s->mem.pkts[k].len = ip->total_len;
    s->mem.pkts[k].frag_off = ip->frag_off;
    r->frag[r->nfrags++] = k;
    s->reass_held++;
    if (!ip->mf) {
        r->have_last = true;
        r->total_len = (uint16_t)end;
    }
    if (r->have_last && complete(s, r)) {
        assemble(s, now, r, bcast);
    }
}

uint64_t
net_reass_poll(struct net_stack *s, uint64_t now)
{
    uint64_t next = NET_NO_DEADLINE;
    size_t i, j;

    for (i = 0; i < s->mem.reass_count; i++) {
        struct net_reass *r = &s->mem.reass[i];
        if (!r->used) {
            continue;
        }
        if (now < r->deadline) {
            next = r->deadline < next ? r->deadline : next;
            continue;
        }
        /* RFC 792: time exceeded in reassembly, only if the first fragment came. */
        for (j = 0; j < r->nfrags; j++) {
            const struct net_pkt *pkt = &s->mem.pkts[r->frag[j]];
            struct net_ipv4 ip;
            if (pkt->frag_off == 0 && net_ipv4_parse(pkt->data, pkt->len, &ip) == 0) {
                net_icmp_error(s, now, NET_ICMP_TIME_EXCEEDED, NET_ICMP_EXCEEDED_REASS, 0, &ip,
                               pkt->data, net_ip4_is_broadcast(s, ip.dst));
                break;
            }
        }
        free_slot(s, r, NET_DROP_FRAG_TIMEOUT);
    }
    return next;
}
