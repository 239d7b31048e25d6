/* net_check: the stack's invariants, walked in full (for tests and fuzzing). */
#include <vallum/net/net.h>

#include <stdio.h>

/* Walks a list of packets from head, checking each is owned by owner and not seen before
 * (check_mark); returns the list's length, or -1 on a broken list. */
static long
walk_list(const struct net_stack *s, uint16_t head, enum net_pkt_owner owner, uint16_t *tail)
{
    long n = 0;
    uint16_t i = head;

    *tail = NET_PKT_NONE;
    while (i != NET_PKT_NONE) {
        if (i >= s->mem.pkt_count || s->mem.pkts[i].check_mark || s->mem.pkts[i].owner != owner) {
            return -1;
        }
        s->mem.pkts[i].check_mark = 1;
        *tail = i;
        i = s->mem.pkts[i].next;
        n++;
    }
    return n;
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            snprintf(why, why_len, __VA_ARGS__);                                                   \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

bool
net_check(const struct net_stack *s, char *why, size_t why_len)
{
    size_t i, j, arp_held = 0, reass_held = 0;
    uint16_t tail;
    long n;

    /* The marks live in the packets (written through mem's pointer), so the checker needs
     * no memory of its own the size of the largest pool. */
    for (i = 0; i < s->mem.pkt_count; i++) {
        s->mem.pkts[i].check_mark = 0;
    }
    n = walk_list(s, s->free_head, NET_PKT_FREE, &tail);
    CHECK(n >= 0, "free list broken");
    CHECK((size_t)n == s->free_count, "free list holds %ld, free_count %u", n, s->free_count);
    for (i = 0; i < s->mem.arp_count; i++) {
        const struct net_arp_entry *e = &s->mem.arp[i];
        CHECK(e->state <= NET_ARP_REACHABLE, "arp[%zu] state %u", i, e->state);
        if (e->state != NET_ARP_INCOMPLETE) {
            CHECK(e->pending_head == NET_PKT_NONE && e->pending_count == 0,
                  "arp[%zu] not waiting but holds packets", i);
            continue;
        }
        n = walk_list(s, e->pending_head, NET_PKT_ARP, &tail);
        CHECK(n >= 0, "arp[%zu] pending list broken", i);
        CHECK((size_t)n == e->pending_count && tail == e->pending_tail,
              "arp[%zu] pending list holds %ld, count %u", i, n, e->pending_count);
        CHECK(n <= NET_ARP_PENDING_MAX, "arp[%zu] holds %ld packets", i, n);
        CHECK(e->tries >= 1 && e->tries <= NET_ARP_TRIES, "arp[%zu] tries %u", i, e->tries);
        arp_held += (size_t)n;
    }
    for (i = 0; i < s->mem.reass_count; i++) {
        const struct net_reass *r = &s->mem.reass[i];
        if (!r->used) {
            CHECK(r->nfrags == 0, "reass[%zu] free but holds fragments", i);
            continue;
        }
        CHECK(r->nfrags >= 1 && r->nfrags <= NET_REASS_MAX_FRAGS, "reass[%zu] nfrags %u", i,
              r->nfrags);
        for (j = 0; j < r->nfrags; j++) {
            uint16_t k = r->frag[j];
            CHECK(k < s->mem.pkt_count && !s->mem.pkts[k].check_mark &&
                      s->mem.pkts[k].owner == NET_PKT_REASS,
                  "reass[%zu] fragment %zu is packet %u, not held by it alone", i, j, k);
            s->mem.pkts[k].check_mark = 1;
            CHECK(!r->have_last || s->mem.pkts[k].frag_off <= r->total_len,
                  "reass[%zu] fragment beyond the datagram", i);
        }
        reass_held += r->nfrags;
    }
    CHECK(reass_held == s->reass_held, "reassembly holds %zu, reass_held %u", reass_held,
          s->reass_held);
    CHECK(reass_held <= s->cfg.reass_budget, "reassembly holds %zu over budget %u", reass_held,
          s->cfg.reass_budget);
    CHECK(s->free_count + arp_held + reass_held == s->mem.pkt_count,
          "%u free + %zu waiting for ARP + %zu in reassembly != %zu packets", s->free_count,
          arp_held, reass_held, s->mem.pkt_count);
    for (i = 0; i < s->mem.udp_count; i++) {
        for (j = i + 1; j < s->mem.udp_count && s->mem.udp[i].port != 0; j++) {
            CHECK(s->mem.udp[j].port != s->mem.udp[i].port, "sockets %zu and %zu share port %u", i,
                  j, s->mem.udp[i].port);
        }
    }
    CHECK(s->icmp_tokens <= (uint64_t)s->cfg.icmp_burst * 1000, "ICMP tokens over the burst");
    return true;
}
