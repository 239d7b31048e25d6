/*
 * The ARP cache (RFC 826, RFC 1122 2.3.2): a fixed table of neighbours, each either
 * waiting for an answer (with at most NET_ARP_PENDING_MAX frames queued for it) or
 * resolved until it expires. When the table is full the oldest entry is replaced, so a
 * flood of new neighbours costs old ones their entries but can never grow the table.
 */
#include "../net_internal.h"

#include <string.h>

static const struct net_mac mac_broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static struct net_arp_entry *
find(struct net_stack *s, net_ip4_t ip)
{
    size_t i;

    for (i = 0; i < s->mem.arp_count; i++) {
        if (s->mem.arp[i].state != NET_ARP_FREE && s->mem.arp[i].ip == ip) {
            return &s->mem.arp[i];
        }
    }
    return NULL;
}

/* Drops every frame waiting in e, counting each under reason. */
static void
drop_pending(struct net_stack *s, struct net_arp_entry *e, enum net_drop reason)
{
    uint16_t i = e->pending_head;

    while (i != NET_PKT_NONE) {
        uint16_t next = s->mem.pkts[i].next;
        net_pkt_free(s, i);
        net_drop(s, reason);
        i = next;
    }
    e->pending_head = e->pending_tail = NET_PKT_NONE;
    e->pending_count = 0;
}

static void
release(struct net_stack *s, struct net_arp_entry *e, enum net_drop reason)
{
    drop_pending(s, e, reason);
    e->state = NET_ARP_FREE;
    e->tries = 0;
}

/* Returns a free entry, replacing the oldest one if there is none (net_init made sure the
 * table has at least one entry). */
static struct net_arp_entry *
take_entry(struct net_stack *s, uint64_t now)
{
    struct net_arp_entry *pick = &s->mem.arp[0];
    size_t i;

    for (i = 0; i < s->mem.arp_count && pick->state != NET_ARP_FREE; i++) {
        struct net_arp_entry *e = &s->mem.arp[i];
        if (e->state == NET_ARP_FREE || e->created < pick->created) {
            pick = e;
        }
    }
    release(s, pick, NET_DROP_ARP_NO_ENTRY);
    pick->created = now;
    return pick;
}

/* Builds and sends an ARP packet; a missing transmit buffer is counted and otherwise
 * ignored (the request is retried, a reply is asked for again). */
static void
send_arp(struct net_stack *s, uint16_t op, const struct net_mac *eth_dst, const struct net_mac *tha,
         net_ip4_t tpa)
{
    struct net_eth eth = {.dst = *eth_dst, .src = s->cfg.mac, .type = NET_ETHERTYPE_ARP};
    struct net_arp a = {.op = op, .sha = s->cfg.mac, .spa = s->cfg.addr, .tha = *tha, .tpa = tpa};
    size_t cap = 0;
    uint8_t *buf = s->netif.tx_acquire(s->netif.ctx, &cap);
    /* Short frames are padded to Ethernet's 60-byte minimum with zeros. */
    size_t len = NET_ETH_HDR_LEN + NET_ARP_LEN + 18;

    if (buf == NULL || cap < len) {
        if (buf != NULL) {
            s->netif.tx_submit(s->netif.ctx, buf, 0);
        }
        net_drop(s, NET_DROP_TX_NO_BUFFER);
        return;
    }
    memset(buf, 0, len);
    net_eth_emit(buf, &eth);
    net_arp_emit(buf + NET_ETH_HDR_LEN, &a);
    s->netif.tx_submit(s->netif.ctx, buf, len);
    s->stats.tx_frames++;
    if (op == NET_ARP_REQUEST) {
        s->stats.arp_requests_sent++;
    } else {
        s->stats.arp_replies_sent++;
    }
}

static void
send_request(struct net_stack *s, net_ip4_t ip)
{
    static const struct net_mac zero = {{0}};

    send_arp(s, NET_ARP_REQUEST, &mac_broadcast, &zero, ip);
}

/* Sends the frames that waited for e, now resolved, oldest first. */
static void
flush_pending(struct net_stack *s, struct net_arp_entry *e)
{
    uint16_t i = e->pending_head;

    while (i != NET_PKT_NONE) {
        struct net_pkt *pkt = &s->mem.pkts[i];
        uint16_t next = pkt->next;
        size_t cap = 0;
        uint8_t *buf = s->netif.tx_acquire(s->netif.ctx, &cap);

        if (buf != NULL && cap >= pkt->len) {
            memcpy(buf, pkt->data, pkt->len);
            memcpy(buf + NET_ETH_DST, e->mac.b, 6);
            s->netif.tx_submit(s->netif.ctx, buf, pkt->len);
            s->stats.tx_frames++;
        } else {
            if (buf != NULL) {
                s->netif.tx_submit(s->netif.ctx, buf, 0);
            }
            net_drop(s, NET_DROP_TX_NO_BUFFER);
        }
        net_pkt_free(s, i);
        i = next;
    }
    e->pending_head = e->pending_tail = NET_PKT_NONE;
    e->pending_count = 0;
}

static void
resolve(struct net_stack *s, uint64_t now, struct net_arp_entry *e, const struct net_mac *mac)
{
    e->mac = *mac;
    e->state = NET_ARP_REACHABLE;
    e->tries = 0;
    e->deadline = now + NET_ARP_REACHABLE_MS;
    flush_pending(s, e);
}

void
net_arp_input(struct net_stack *s, uint64_t now, const uint8_t *p, size_t len)
{
    struct net_arp a;
    struct net_arp_entry *e;
    bool for_us;
    int err = net_arp_parse(p, len, &a);

    if (err != 0) {
        net_drop(s, -err);
        return;
    }
    for_us = s->cfg.addr != 0 && a.tpa == s->cfg.addr;
    /* A probe (sender 0.0.0.0) teaches nothing; a sender claiming our own address or a
     * broadcast one must not become a neighbour. */
    if (a.spa == 0 || a.spa == s->cfg.addr || net_ip4_is_broadcast(s, a.spa) ||
        net_mac_equal(&a.sha, &s->cfg.mac)) {
        if (!for_us || a.spa != 0 || a.op != NET_ARP_REQUEST) {
            net_drop(s, NET_DROP_ARP_SENDER);
            return;
        }
    } else {
        /* RFC 826's merge: update a neighbour we know; add one only if it talks to us. */
        e = find(s, a.spa);
        if (e != NULL) {
            resolve(s, now, e, &a.sha);
        } else if (for_us) {
            e = take_entry(s, now);
            e->ip = a.spa;
            resolve(s, now, e, &a.sha);
        }
    }
    if (!for_us) {
        net_drop(s, NET_DROP_ARP_NOT_US);
        return;
    }
    if (a.op == NET_ARP_REQUEST) {
        /* A probe's answer goes to the prober's MAC (RFC 5227 2.1.1 relies on it). */
        send_arp(s, NET_ARP_REPLY, &a.sha, &a.sha, a.spa);
    }
}

bool
net_arp_lookup(struct net_stack *s, uint64_t now, net_ip4_t next_hop, struct net_mac *mac)
{
    struct net_arp_entry *e;

    if (net_ip4_is_broadcast(s, next_hop)) {
        *mac = mac_broadcast;
        return true;
    }
    e = find(s, next_hop);
    if (e != NULL && e->state == NET_ARP_REACHABLE && now < e->deadline) {
        *mac = e->mac;
        return true;
    }
    return false;
}

struct net_arp_entry *
net_arp_resolve(struct net_stack *s, uint64_t now, net_ip4_t next_hop)
{
    struct net_arp_entry *e = find(s, next_hop);

    /* The caller's lookup failed, so an entry found is waiting already or has expired. */
    if (e == NULL || e->state != NET_ARP_INCOMPLETE) {
        if (e == NULL) {
            e = take_entry(s, now);
        }
        e->ip = next_hop;
        e->state = NET_ARP_INCOMPLETE;
        e->tries = 1;
        e->created = now;
        e->deadline = now + NET_ARP_RETRY_MS;
        send_request(s, next_hop);
    }
    return e;
}

void
net_arp_output(struct net_stack *s, uint64_t now, net_ip4_t next_hop, uint16_t pkt, uint8_t *buf,
               size_t len)
{
    struct net_arp_entry *e;
    struct net_pkt *p;

    if (pkt == NET_PKT_NONE) {
        /* The caller found the MAC with net_arp_lookup and built into a transmit buffer. */
        s->netif.tx_submit(s->netif.ctx, buf, len);
        s->stats.tx_frames++;
        return;
    }
    p = &s->mem.pkts[pkt];
    p->len = (uint16_t)len;
    e = net_arp_resolve(s, now, next_hop);
    if (e->pending_count == NET_ARP_PENDING_MAX) {
        uint16_t oldest = e->pending_head;
        e->pending_head = s->mem.pkts[oldest].next;
        e->pending_count--;
        if (e->pending_head == NET_PKT_NONE) {
            e->pending_tail = NET_PKT_NONE;
        }
        net_pkt_free(s, oldest);
        net_drop(s, NET_DROP_ARP_PENDING_FULL);
    }
    p->next = NET_PKT_NONE;
    p->owner = NET_PKT_ARP;
    if (e->pending_tail == NET_PKT_NONE) {
        e->pending_head = pkt;
    } else {
        s->mem.pkts[e->pending_tail].next = pkt;
    }
    e->pending_tail = pkt;
    e->pending_count++;
}

uint64_t
net_arp_poll(struct net_stack *s, uint64_t now)
{
    uint64_t next = NET_NO_DEADLINE;
    size_t i;

    for (i = 0; i < s->mem.arp_count; i++) {
        struct net_arp_entry *e = &s->mem.arp[i];
        if (e->state == NET_ARP_FREE) {
            continue;
        }
        if (now >= e->deadline) {
            if (e->state == NET_ARP_REACHABLE || e->tries >= NET_ARP_TRIES) {
                release(s, e, NET_DROP_ARP_UNRESOLVED);
                continue;
            }
            e->tries++;
            e->deadline = now + NET_ARP_RETRY_MS;
            send_request(s, e->ip);
        }
        if (e->deadline < next) {
            next = e->deadline;
        }
    }
    return next;
}

void
net_arp_forget_all(struct net_stack *s)
{
    size_t i;

    for (i = 0; i < s->mem.arp_count; i++) {
        if (s->mem.arp[i].state != NET_ARP_FREE) {
            release(s, &s->mem.arp[i], NET_DROP_ARP_UNRESOLVED);
        }
    }
}
