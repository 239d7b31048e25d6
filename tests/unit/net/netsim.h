/*
 * A virtual link for lib/net's host tests and fuzzer: nodes whose netif puts every frame
 * sent into an outbox, a wire that carries outboxes to the other node, and helpers that
 * build raw frames. Each node's transmit buffers are a fixed pool, so tests can run the
 * link out of them.
 */
#pragma once

#include <vallum/net/net.h>

#include <stdlib.h>
#include <string.h>

#define SIM_TXBUFS 128 /* frames a node may have sent and not yet delivered */
#define SIM_ARP 8
#define SIM_PKTS 64
#define SIM_REASS 4
#define SIM_REASS_BUF 65535
#define SIM_UDP 4

struct sim_frame {
    size_t len;
    uint8_t data[NET_FRAME_MAX];
};

struct sim_node {
    struct net_stack s;
    struct net_arp_entry arp[SIM_ARP];
    struct net_pkt pkts[SIM_PKTS];
    struct net_reass reass[SIM_REASS];
    uint8_t reass_buf[SIM_REASS_BUF];
    struct net_udp_sock udp[SIM_UDP];
    struct sim_frame out[SIM_TXBUFS]; /* frames sent, oldest first */
    size_t nout;
    size_t tx_limit;      /* tx_acquire fails once nout reaches this */
    size_t tx_cap;        /* size tx_acquire reports (0: NET_FRAME_MAX) */
    bool acquired;        /* a buffer is out between tx_acquire and tx_submit */
    size_t submits_empty; /* buffers handed back unused */
};

static uint8_t *__attribute__((unused)) sim_tx_acquire(void *ctx, size_t *cap)
{
    struct sim_node *n = ctx;

    if (n->acquired) {
        abort(); /* the stack must submit each buffer before it takes another */
    }
    if (n->nout >= n->tx_limit) {
        return NULL;
    }
    n->acquired = true;
    *cap = n->tx_cap != 0 ? n->tx_cap : sizeof(n->out[n->nout].data);
    return n->out[n->nout].data;
}

static void __attribute__((unused)) sim_tx_submit(void *ctx, uint8_t *buf, size_t len)
{
    struct sim_node *n = ctx;

    if (!n->acquired || buf != n->out[n->nout].data || len > NET_FRAME_MAX) {
        abort();
    }
    n->acquired = false;
    if (len == 0) {
        n->submits_empty++;
        return;
    }
    n->out[n->nout].len = len;
    n->nout++;
}

/* Creates a node with MAC 02:00:00:00:00:last and address addr/24 (gateway gw). */
static int __attribute__((unused))
sim_node_init(struct sim_node *n, uint8_t last, net_ip4_t addr, net_ip4_t gw, uint32_t budget)
{
    struct net_config cfg = {.mac = {{0x02, 0, 0, 0, 0, last}},
                             .addr = addr,
                             .netmask = NET_IP4(255, 255, 255, 0),
                             .gateway = gw,
                             .ip_id_seed = (uint16_t)(last * 1000),
                             .reass_budget = budget};
    struct net_mem mem = {n->arp,    SIM_ARP,      n->pkts,       SIM_PKTS, n->reass,
                          SIM_REASS, n->reass_buf, SIM_REASS_BUF, n->udp,   SIM_UDP};
    struct net_netif netif = {sim_tx_acquire, sim_tx_submit, n};

    memset(n, 0, sizeof(*n));
    n->tx_limit = SIM_TXBUFS;
    return net_init(&n->s, &cfg, &mem, &netif);
}

/* Delivers every frame a sent to b (and clears a's outbox); returns how many. */
static size_t __attribute__((unused))
sim_carry(struct sim_node *a, struct sim_node *b, uint64_t now)
{
    static struct sim_frame copy[SIM_TXBUFS];
    size_t i, k = a->nout;

    /* Copy first: b's answers may go into a's outbox while it is delivered. */
    memcpy(copy, a->out, k * sizeof(copy[0]));
    a->nout = 0;
    for (i = 0; i < k; i++) {
        net_input(&b->s, now, copy[i].data, copy[i].len);
    }
    return k;
}

/* Carries frames both ways until the link is quiet (at most rounds times). */
static void __attribute__((unused)) sim_settle(struct sim_node *a, struct sim_node *b, uint64_t now)
{
    int rounds;

    for (rounds = 0; rounds < 100; rounds++) {
        if (sim_carry(a, b, now) + sim_carry(b, a, now) == 0) {
            return;
        }
    }
}

/* Writes an Ethernet header from MAC 02:..:src_last to dst. */
static void __attribute__((unused))
sim_eth(uint8_t *f, const struct net_mac *dst, uint8_t src_last, uint16_t type)
{
    struct net_eth e = {.dst = *dst, .src = {{0x02, 0, 0, 0, 0, src_last}}, .type = type};

    net_eth_emit(f, &e);
}

/* Builds an IPv4 frame to dst_mac: header with opt_len bytes of options, then payload.
 * frag_off in bytes. Returns the frame's length. */
static size_t __attribute__((unused))
sim_ip_frame(uint8_t *f, const struct net_mac *dst_mac, net_ip4_t src, net_ip4_t dst, uint8_t proto,
             uint16_t id, uint16_t frag_off, bool mf, const uint8_t *opt, size_t opt_len,
             const uint8_t *payload, size_t plen)
{
    uint8_t *ip = f + NET_ETH_HDR_LEN;
    size_t hl = NET_IP_HDR_LEN + opt_len;
    uint16_t frag = (uint16_t)((frag_off / 8) | (mf ? NET_IP_FLAG_MF : 0));

    sim_eth(f, dst_mac, 0x99, NET_ETHERTYPE_IPV4);
    ip[NET_IP_VER_IHL] = (uint8_t)(0x40 | (hl / 4));
    ip[NET_IP_TOS] = 0;
    net_put16(ip + NET_IP_LEN, (uint16_t)(hl + plen));
    net_put16(ip + NET_IP_ID, id);
    net_put16(ip + NET_IP_FRAG, frag);
    ip[NET_IP_TTL] = 64;
    ip[NET_IP_PROTO] = proto;
    net_put16(ip + NET_IP_CSUM, 0);
    net_put32(ip + NET_IP_SRC, src);
    net_put32(ip + NET_IP_DST, dst);
    if (opt_len > 0) {
        memcpy(ip + NET_IP_HDR_LEN, opt, opt_len);
    }
    net_put16(ip + NET_IP_CSUM, net_csum_finish(net_csum_add(0, ip, hl)));
    if (plen > 0) {
        memcpy(ip + hl, payload, plen);
    }
    return NET_ETH_HDR_LEN + hl + plen;
}

/* Builds a UDP datagram (header and data) in out; returns its length. */
static size_t __attribute__((unused))
sim_udp(uint8_t *out, net_ip4_t src, net_ip4_t dst, uint16_t sport, uint16_t dport,
        const uint8_t *data, size_t len)
{
    net_udp_emit_header(out, sport, dport, len);
    memcpy(out + NET_UDP_HDR_LEN, data, len);
    net_put16(out + NET_UDP_CSUM, net_udp_checksum(out, out + NET_UDP_HDR_LEN, len, src, dst));
    return NET_UDP_HDR_LEN + len;
}
