/*
 * Host tests of lib/net's TCP under ASan + UBSan, all in virtual time: SipHash's published
 * vectors, the segment format, each state transition between two stacks, RFC 5961's
 * defences, SYN cookies and the backlog, timers (retransmission backoff, delayed ACK, zero
 * window probes, keepalive, TIME_WAIT) and congestion control against a scripted peer, every
 * API error, and bulk transfers both ways over a link with seeded loss, duplication,
 * reordering, delay and a bandwidth limit. Every test ends with net_check and net_tcp_check.
 *
 * test_tcp --long runs the bulk transfers with more data and more seeds (make unit-tcp-long).
 */
#include <vallum/net/siphash.h>
#include <vallum/net/tcp.h>

#define VLTEST_STRERROR net_strerror
#include "../vltest.h"
#include "tcpsim.h"

#include <stdlib.h>

static const net_ip4_t IP_A = NET_IP4(10, 0, 2, 1);
static const net_ip4_t IP_B = NET_IP4(10, 0, 2, 2);
static const net_ip4_t IP_X = NET_IP4(10, 0, 2, 99); /* a scripted peer */
static const struct net_mac MAC_BCAST = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct net_mac MAC_A = {{0x02, 0, 0, 0, 0, 1}};

static struct tcp_node g_a, g_b;
static struct tl_link g_link;
static uint8_t g_frame[NET_FRAME_MAX];
static uint8_t g_buf[1u << 20];
static bool g_long;
static bool g_x_sack;                 /* the scripted peer offers SACK in its SYNs */
static struct net_tcp_seg g_x_blocks; /* SACK blocks it sends (nsack, sack[]) */

/* --- Helpers --------------------------------------------------------------------------- */

static uint64_t
umin(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static bool
checked(struct tcp_node *n)
{
    char why[200];

    if (!net_check(&n->n.s, why, sizeof(why))) {
        return fail_with("net_check: %s", why);
    }
    if (!net_tcp_check(&n->n.s, why, sizeof(why))) {
        return fail_with("net_tcp_check: %s", why);
    }
    return true;
}

/* Two nodes A and B with TCP (cfg for both, or NULL) that know each other's MAC. */
static bool
pair(const struct net_tcp_config *cfg)
{
    g_x_sack = false;
    g_x_blocks.nsack = 0;
    if (tcp_node_init(&g_a, 1, IP_A, cfg, TS_CONNS, TS_POOL) != 0 ||
        tcp_node_init(&g_b, 2, IP_B, cfg, TS_CONNS, TS_POOL) != 0) {
        return false;
    }
    net_ping(&g_a.n.s, 0, IP_B, 1, 1, "x", 1);
    sim_settle(&g_a.n, &g_b.n, 0);
    return true;
}

static void
settle(uint64_t now)
{
    sim_settle(&g_a.n, &g_b.n, now);
}

/* Polls both nodes at now and carries what they send. */
static void
tick(uint64_t now)
{
    net_poll(&g_a.n.s, now);
    net_poll(&g_b.n.s, now);
    settle(now);
}

static int
state(struct tcp_node *n, int sock)
{
    const struct net_tcp_conn *c = net_tcp_conn(&n->n.s, sock);

    return c == NULL ? -1 : c->state;
}

/* Connects B to a listener on A's port 80; returns A's accepted socket in *as, B's in *bs. */
static bool
connect_pair(uint64_t now, int *ls, int *as, int *bs)
{
    *ls = net_tcp_socket(&g_a.n.s);
    EXPECT(*ls >= 0);
    EXPECT_ERR(net_tcp_bind(&g_a.n.s, *ls, 80), 0);
    EXPECT_ERR(net_tcp_listen(&g_a.n.s, *ls, 4), 0);
    *bs = net_tcp_socket(&g_b.n.s);
    EXPECT(*bs >= 0);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, now, *bs, IP_A, 80), 0);
    settle(now);
    *as = net_tcp_accept(&g_a.n.s, *ls);
    EXPECT(*as >= 0);
    EXPECT_EQ(state(&g_a, *as), NET_TCP_ESTABLISHED);
    EXPECT_EQ(state(&g_b, *bs), NET_TCP_ESTABLISHED);
    return true;
}

/* Runs both nodes' timers far past every timeout; then every slot and block must be free. */
static bool
end(uint64_t now)
{
    struct tcp_node *nodes[2] = {&g_a, &g_b};
    int i, k;

    for (k = 0; k < 2; k++) {
        uint64_t t = now;
        if (!checked(nodes[k])) {
            return false;
        }
        for (i = 0; i < 1000 && t != NET_NO_DEADLINE; i++) {
            t = net_poll(&nodes[k]->n.s, t);
            nodes[k]->n.nout = 0;
        }
        if (!checked(nodes[k])) {
            return false;
        }
        for (i = 0; i < TS_CONNS; i++) {
            if (nodes[k]->conns[i].state != NET_TCP_FREE && !nodes[k]->conns[i].has_handle) {
                return fail_with("node %d slot %d left in %s", k, i,
                                 net_tcp_state_name(nodes[k]->conns[i].state));
            }
        }
    }
    return true;
}

/* The scripted peer X talks to node A directly: A learns X's MAC from an ARP request. */
static void
learn_x(struct tcp_node *n, uint64_t now)
{
    struct net_arp a = {.op = NET_ARP_REQUEST,
                        .sha = {{0x02, 0, 0, 0, 0, 0x99}},
                        .spa = IP_X,
                        .tpa = n->n.s.cfg.addr};

    memset(g_frame, 0, 60);
    sim_eth(g_frame, &MAC_BCAST, 0x99, NET_ETHERTYPE_ARP);
    net_arp_emit(g_frame + NET_ETH_HDR_LEN, &a);
    net_input(&n->n.s, now, g_frame, 60);
    n->n.nout = 0;
}

/* Sends a segment from X:xport to A:80 at now. */
static void
x_send(uint64_t now, uint16_t xport, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
       const uint8_t *data, size_t len)
{
    struct net_tcp_seg h = {.sport = xport,
                            .dport = 80,
                            .seq = seq,
                            .ack = ack,
                            .flags = flags,
                            .wnd = wnd,
                            .wscale = -1};
    size_t n;

    if (flags & NET_TCP_SYN) {
        h.mss = 1000;
        h.sack_ok = g_x_sack;
    } else {
        h.nsack = g_x_blocks.nsack;
        memcpy(h.sack, g_x_blocks.sack, sizeof(h.sack));
    }
    n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, data, len);
    net_input(&g_a.n.s, now, g_frame, n);
}

/* Parses A's i-th frame sent; false if it is not a TCP segment. */
static bool
a_sent(size_t i, struct net_tcp_seg *seg)
{
    struct net_ipv4 ip;

    return i < g_a.n.nout && tcp_frame_parse(g_a.n.out[i].data, g_a.n.out[i].len, seg, &ip);
}

/* X opens a connection to A:80 from xport (A listening with backlog 4, returned in *ls);
 * returns A's accepted socket, X's ISN is 1000 and A's in *iss. */
static int
x_connect(uint64_t now, uint16_t xport, int *ls, uint32_t *iss)
{
    struct net_tcp_seg seg;

    if (*ls < 0) {
        *ls = net_tcp_socket(&g_a.n.s);
        net_tcp_bind(&g_a.n.s, *ls, 80);
        net_tcp_listen(&g_a.n.s, *ls, 4);
    }
    x_send(now, xport, NET_TCP_SYN, 1000, 0, 65535, NULL, 0);
    if (!a_sent(0, &seg) || seg.flags != (NET_TCP_SYN | NET_TCP_ACKF) || seg.ack != 1001) {
        return -1;
    }
    *iss = seg.seq;
    g_a.n.nout = 0;
    x_send(now, xport, NET_TCP_ACKF, 1001, *iss + 1, 65535, NULL, 0);
    return net_tcp_accept(&g_a.n.s, *ls);
}

/* --- SipHash and the wire format -------------------------------------------------------- */

static bool
test_siphash_vectors(void)
{
    /* The reference implementation's vectors: key 00..0f, message 00..n-1. */
    static const struct {
        size_t n;
        uint64_t want;
    } v[] = {{0, 0x726fdb47dd0e0e31ull},  {1, 0x74f839c593dc67fdull}, {2, 0x0d6c8009d9a94f5aull},
             {3, 0x85676696d7fb7e2dull},  {4, 0xcf2794e0277187b7ull}, {8, 0x93f5f5799a932462ull},
             {15, 0xa129ca6149be45e5ull}, {16, 0x3f2acc7f57c29bdbull}};
    uint8_t key[16], msg[16];
    size_t i;

    for (i = 0; i < 16; i++) {
        key[i] = msg[i] = (uint8_t)i;
    }
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (net_siphash24(key, msg, v[i].n) != v[i].want) {
            return fail_with("siphash of %zu bytes = %#llx", v[i].n,
                             (unsigned long long)net_siphash24(key, msg, v[i].n));
        }
    }
    return true;
}

/* Builds a segment with raw option bytes; returns its length. */
static size_t
raw_seg(uint8_t *p, const uint8_t *opt, size_t opt_len, size_t data_len)
{
    memset(p, 0, NET_TCP_HDR_MAX + data_len);
    net_put16(p + NET_TCP_SPORT, 1);
    net_put16(p + NET_TCP_DPORT, 2);
    p[NET_TCP_OFF] = (uint8_t)(((NET_TCP_HDR_LEN + opt_len) / 4) << 4);
    p[NET_TCP_FLAGS] = NET_TCP_SYN;
    memcpy(p + NET_TCP_HDR_LEN, opt, opt_len);
    net_put16(p + NET_TCP_CSUM,
              net_tcp_checksum(p, NET_TCP_HDR_LEN + opt_len + data_len, IP_A, IP_B));
    return NET_TCP_HDR_LEN + opt_len + data_len;
}

static bool
test_wire(void)
{
    struct net_tcp_seg h = {.sport = 1234,
                            .dport = 80,
                            .seq = 0xdeadbeef,
                            .ack = 7,
                            .flags = NET_TCP_SYN | NET_TCP_ACKF,
                            .wnd = 512,
                            .mss = 1460,
                            .wscale = 7,
                            .sack_ok = true,
                            .has_ts = true,
                            .tsval = 5,
                            .tsecr = 6};
    struct net_tcp_seg g;
    uint8_t p[128];
    size_t n = net_tcp_emit_header(p, &h), len;
    /* Each bad option list: length 0, 1, past the header, wrong for MSS/WS/SACK_OK/TS. */
    static const uint8_t bad[][8] = {
        {2, 0, 0, 0}, {8, 1, 0, 0}, {30, 9, 0, 0, 0, 0, 0, 0}, {2, 3, 0, 0},
        {3, 4, 0, 0}, {4, 3, 0, 0}, {8, 8, 0, 0, 0, 0, 0, 0},  {1, 1, 1, 2}};

    EXPECT_EQ(n, 44);
    net_put16(p + NET_TCP_CSUM, net_tcp_checksum(p, n, IP_A, IP_B));
    EXPECT_ERR(net_tcp_parse(p, n, IP_A, IP_B, &g), 0);
    EXPECT(g.sport == 1234 && g.dport == 80 && g.seq == 0xdeadbeef && g.ack == 7);
    EXPECT(g.flags == (NET_TCP_SYN | NET_TCP_ACKF) && g.wnd == 512 && g.mss == 1460);
    EXPECT(g.wscale == 7 && g.sack_ok && g.has_ts && g.tsval == 5 && g.tsecr == 6);
    EXPECT_EQ(g.payload_len, 0);
    /* Checksum, length and offset rejections. */
    EXPECT_ERR(net_tcp_parse(p, n, IP_A, IP_X, &g), -NET_DROP_TCP_CHECKSUM);
    EXPECT_ERR(net_tcp_parse(p, 19, IP_A, IP_B, &g), -NET_DROP_TCP_SHORT);
    EXPECT_ERR(net_tcp_parse(p, 43, IP_A, IP_B, &g), -NET_DROP_TCP_SHORT);
    p[NET_TCP_OFF] = 4 << 4;
    EXPECT_ERR(net_tcp_parse(p, n, IP_A, IP_B, &g), -NET_DROP_TCP_SHORT);
    /* A shift over 14 is taken as 14; unknown options are skipped; EOL ends the list. */
    len = raw_seg(p, (const uint8_t[]){3, 3, 15, 99, 2, 0, 0, 0}, 8, 0);
    EXPECT_ERR(net_tcp_parse(p, len, IP_A, IP_B, &g), 0);
    EXPECT_EQ(g.wscale, 14);
    len = raw_seg(p, (const uint8_t[]){0, 9, 9, 9}, 4, 3);
    EXPECT_ERR(net_tcp_parse(p, len, IP_A, IP_B, &g), 0);
    EXPECT(g.wscale == -1 && g.mss == 0 && g.payload_len == 3);
    /* SACK blocks: written and read back; lengths other than 2 + 8n (n 1..4) refused. */
    memset(&h, 0, sizeof(h));
    h.wscale = -1;
    h.has_ts = true;
    h.nsack = 3;
    h.sack[0].start = 1, h.sack[0].end = 2, h.sack[1].start = 3, h.sack[1].end = 4;
    h.sack[2].start = 0xfffffff0u, h.sack[2].end = 5;
    n = net_tcp_emit_header(p, &h);
    EXPECT_EQ(n, 60);
    net_put16(p + NET_TCP_CSUM, net_tcp_checksum(p, n, IP_A, IP_B));
    EXPECT_ERR(net_tcp_parse(p, n, IP_A, IP_B, &g), 0);
    EXPECT(g.nsack == 3 && g.sack[0].start == 1 && g.sack[1].end == 4 &&
           g.sack[2].start == 0xfffffff0u && g.sack[2].end == 5 && g.has_ts);
    len = raw_seg(p, (const uint8_t[]){5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1}, 12, 0);
    EXPECT_ERR(net_tcp_parse(p, len, IP_A, IP_B, &g), 0);
    EXPECT(g.nsack == 1 && g.sack[0].start == 1 && g.sack[0].end == 2);
    len = raw_seg(p, (const uint8_t[]){5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1}, 12, 0);
    EXPECT_ERR(net_tcp_parse(p, len, IP_A, IP_B, &g), -NET_DROP_TCP_OPTIONS);
    len = raw_seg(p, (const uint8_t[]){5, 2, 1, 1}, 4, 0);
    EXPECT_ERR(net_tcp_parse(p, len, IP_A, IP_B, &g), -NET_DROP_TCP_OPTIONS);
    {
        uint8_t five[40] = {5, 34};
        len = raw_seg(p, five, 36, 0);
        EXPECT_ERR(net_tcp_parse(p, len, IP_A, IP_B, &g), 0);
        EXPECT_EQ(g.nsack, 4);
        five[1] = 42;
        len = raw_seg(p, five, 40, 0);
        EXPECT_ERR(net_tcp_parse(p, len, IP_A, IP_B, &g), -NET_DROP_TCP_OPTIONS);
    }
    for (n = 0; n < sizeof(bad) / sizeof(bad[0]); n++) {
        len = raw_seg(p, bad[n], 8, 0);
        if (net_tcp_parse(p, len, IP_A, IP_B, &g) != -NET_DROP_TCP_OPTIONS) {
            return fail_with("bad option list %zu accepted", n);
        }
    }
    return true;
}

/* --- State transitions between two stacks ------------------------------------------------ */

static bool
test_open_data_close(void)
{
    int ls, as, bs;
    char buf[16];

    EXPECT(pair(NULL));
    EXPECT(connect_pair(0, &ls, &as, &bs));
    EXPECT(net_tcp_events(&g_b.n.s, bs) == NET_TCP_WRITABLE);
    EXPECT_EQ(net_tcp_send(&g_b.n.s, 0, bs, "hello", 5), 5);
    settle(0);
    EXPECT(net_tcp_events(&g_a.n.s, as) & NET_TCP_READABLE);
    EXPECT_EQ(net_tcp_recv(&g_a.n.s, 0, as, buf, sizeof(buf)), 5);
    EXPECT(memcmp(buf, "hello", 5) == 0);
    EXPECT_ERR(net_tcp_recv(&g_a.n.s, 0, as, buf, sizeof(buf)), -NET_EAGAIN);
    /* B closes its half: A sees the end of the stream and may still send. */
    EXPECT_ERR(net_tcp_shutdown(&g_b.n.s, 0, bs), 0);
    EXPECT_EQ(state(&g_b, bs), NET_TCP_FIN_WAIT_1);
    settle(0);
    EXPECT_EQ(state(&g_b, bs), NET_TCP_FIN_WAIT_2);
    EXPECT_EQ(state(&g_a, as), NET_TCP_CLOSE_WAIT);
    EXPECT(net_tcp_events(&g_a.n.s, as) & NET_TCP_HUP);
    EXPECT_EQ(net_tcp_recv(&g_a.n.s, 0, as, buf, sizeof(buf)), 0);
    EXPECT_EQ(net_tcp_send(&g_a.n.s, 0, as, "bye", 3), 3);
    EXPECT_ERR(net_tcp_send(&g_b.n.s, 0, bs, "x", 1), -NET_EPIPE);
    settle(0);
    EXPECT_EQ(net_tcp_recv(&g_b.n.s, 0, bs, buf, sizeof(buf)), 3);
    /* A closes: LAST_ACK, then gone; B is in TIME_WAIT for 2 MSL. */
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, as), 0);
    settle(0);
    EXPECT_EQ(state(&g_b, bs), NET_TCP_TIME_WAIT);
    EXPECT_EQ(net_tcp_recv(&g_b.n.s, 0, bs, buf, sizeof(buf)), 0);
    EXPECT_EQ(net_tcp_conn(&g_b.n.s, bs)->t_close, 2 * NET_TCP_MSL_MS);
    net_poll(&g_b.n.s, 2 * NET_TCP_MSL_MS - 1);
    EXPECT_EQ(state(&g_b, bs), NET_TCP_TIME_WAIT);
    net_poll(&g_b.n.s, 2 * NET_TCP_MSL_MS);
    EXPECT_EQ(state(&g_b, bs), NET_TCP_CLOSED);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, 0, bs), 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, ls), 0);
    return end(2 * NET_TCP_MSL_MS);
}

static bool
test_simultaneous_open(void)
{
    int a, b;

    EXPECT(pair(NULL));
    a = net_tcp_socket(&g_a.n.s);
    b = net_tcp_socket(&g_b.n.s);
    EXPECT_ERR(net_tcp_bind(&g_a.n.s, a, 1000), 0);
    EXPECT_ERR(net_tcp_bind(&g_b.n.s, b, 2000), 0);
    EXPECT_ERR(net_tcp_connect(&g_a.n.s, 0, a, IP_B, 2000), 0);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, b, IP_A, 1000), 0);
    /* The SYNs cross: each side goes to SYN_RCVD, then ESTABLISHED. */
    sim_carry(&g_a.n, &g_b.n, 0);
    EXPECT_EQ(state(&g_b, b), NET_TCP_SYN_RCVD);
    sim_carry(&g_b.n, &g_a.n, 0);
    settle(0);
    EXPECT_EQ(state(&g_a, a), NET_TCP_ESTABLISHED);
    EXPECT_EQ(state(&g_b, b), NET_TCP_ESTABLISHED);
    EXPECT_EQ(net_tcp_send(&g_a.n.s, 0, a, "ab", 2), 2);
    settle(0);
    EXPECT_EQ(net_tcp_recv(&g_b.n.s, 0, b, g_buf, 10), 2);
    /* Simultaneous close: both FINs cross, both go through CLOSING to TIME_WAIT. */
    EXPECT_ERR(net_tcp_shutdown(&g_a.n.s, 0, a), 0);
    EXPECT_ERR(net_tcp_shutdown(&g_b.n.s, 0, b), 0);
    sim_carry(&g_a.n, &g_b.n, 0);
    EXPECT_EQ(state(&g_b, b), NET_TCP_CLOSING);
    sim_carry(&g_b.n, &g_a.n, 0);
    EXPECT_EQ(state(&g_a, a), NET_TCP_TIME_WAIT);
    settle(0);
    EXPECT_EQ(state(&g_b, b), NET_TCP_TIME_WAIT);
    /* Closed in TIME_WAIT: the buffers go back to the pool at once. */
    EXPECT(g_a.conns[a & 0xffff].tx_cap != 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, a), 0);
    EXPECT(g_a.conns[a & 0xffff].tx_cap == 0 && g_a.conns[a & 0xffff].state == NET_TCP_TIME_WAIT);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, 0, b), 0);
    return end(0);
}

static bool
test_half_close_bulk(void)
{
    int ls, as, bs, n;
    size_t sent = 0, got = 0, i;

    EXPECT(pair(NULL));
    EXPECT(connect_pair(0, &ls, &as, &bs));
    EXPECT_ERR(net_tcp_shutdown(&g_b.n.s, 0, bs), 0);
    settle(0);
    /* A streams 300 KB to B after B's FIN; B reads it all. */
    for (i = 0; i < sizeof(g_buf); i++) {
        g_buf[i] = (uint8_t)(i * 7);
    }
    while (got < 300000) {
        if (sent < 300000) {
            n = net_tcp_send(&g_a.n.s, 0, as, g_buf + sent, 300000 - sent);
            EXPECT(n > 0 || n == -NET_EAGAIN);
            sent += n > 0 ? (size_t)n : 0;
        }
        settle(0);
        n = net_tcp_recv(&g_b.n.s, 0, bs, g_buf + 400000 + got, 300000 - got);
        EXPECT(n > 0 || n == -NET_EAGAIN);
        got += n > 0 ? (size_t)n : 0;
    }
    EXPECT(memcmp(g_buf, g_buf + 400000, 300000) == 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, as), 0);
    settle(0);
    EXPECT_EQ(net_tcp_recv(&g_b.n.s, 0, bs, g_buf, 10), 0);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, 0, bs), 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, ls), 0);
    return end(0);
}

static bool
test_refused_and_reset(void)
{
    int bs, ls, as;
    char c;

    EXPECT(pair(NULL));
    bs = net_tcp_socket(&g_b.n.s);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, IP_A, 81), 0);
    settle(0);
    EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_TCP_NO_SOCKET], 1);
    EXPECT(net_tcp_events(&g_b.n.s, bs) & NET_TCP_ERROR);
    EXPECT_ERR(net_tcp_recv(&g_b.n.s, 0, bs, &c, 1), -NET_ECONNREFUSED);
    EXPECT_ERR(net_tcp_recv(&g_b.n.s, 0, bs, &c, 1), 0);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, 0, bs), 0);
    /* Abort sends a reset: the peer's next call reports it. */
    EXPECT(connect_pair(0, &ls, &as, &bs));
    EXPECT_ERR(net_tcp_abort(&g_a.n.s, 0, as), 0);
    settle(0);
    EXPECT_EQ(state(&g_b, bs), NET_TCP_CLOSED);
    EXPECT_ERR(net_tcp_send(&g_b.n.s, 0, bs, "x", 1), -NET_ECONNRESET);
    EXPECT_ERR(net_tcp_send(&g_b.n.s, 0, bs, "x", 1), -NET_EPIPE);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, 0, bs), 0);
    /* Closing with unread data resets too (RFC 1122 4.2.2.13). */
    bs = net_tcp_socket(&g_b.n.s);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, IP_A, 80), 0);
    settle(0);
    as = net_tcp_accept(&g_a.n.s, ls);
    EXPECT(as >= 0);
    EXPECT_EQ(net_tcp_send(&g_b.n.s, 0, bs, "data", 4), 4);
    settle(0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, as), 0);
    settle(0);
    EXPECT_ERR(net_tcp_recv(&g_b.n.s, 0, bs, &c, 1), -NET_ECONNRESET);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, 0, bs), 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, ls), 0);
    return end(0);
}

/* --- Defences (RFC 5961), cookies, PAWS, TIME_WAIT reuse, against the scripted peer ------ */

static bool
test_rst_syn_ack_defences(void)
{
    struct net_tcp_seg seg;
    uint32_t iss = 0;
    int ls = -1, as, i;
    char c;

    EXPECT(pair(NULL));
    learn_x(&g_a, 0);
    as = x_connect(0, 5000, &ls, &iss);
    EXPECT(as >= 0);
    /* An in-window RST not at RCV.NXT: challenge ACK, connection intact. */
    x_send(0, 5000, NET_TCP_RST, 1001 + 100, 0, 0, NULL, 0);
    EXPECT_EQ(g_a.n.nout, 1);
    EXPECT(a_sent(0, &seg) && seg.flags == NET_TCP_ACKF && seg.ack == 1001 && seg.seq == iss + 1);
    EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_TCP_RST], 1);
    EXPECT_EQ(state(&g_a, as), NET_TCP_ESTABLISHED);
    g_a.n.nout = 0;
    /* Outside the window: dropped without an answer. */
    x_send(0, 5000, NET_TCP_RST, 1001 + 1000000, 0, 0, NULL, 0);
    EXPECT_EQ(g_a.n.nout, 0);
    EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_TCP_SEQ], 1);
    /* A SYN on the connection: challenge ACK (RFC 5961 4). */
    x_send(0, 5000, NET_TCP_SYN, 1001, 0, 65535, NULL, 0);
    EXPECT(a_sent(0, &seg) && seg.flags == NET_TCP_ACKF && seg.ack == 1001);
    EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_TCP_SYN], 1);
    g_a.n.nout = 0;
    /* An ACK of data never sent, and one older than the window: challenged, dropped. */
    x_send(0, 5000, NET_TCP_ACKF, 1001, iss + 5000, 65535, (const uint8_t *)"zz", 2);
    EXPECT(a_sent(0, &seg) && seg.ack == 1001);
    x_send(0, 5000, NET_TCP_ACKF, 1001, iss - 200000, 65535, NULL, 0);
    EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_TCP_ACK], 2);
    EXPECT_ERR(net_tcp_recv(&g_a.n.s, 0, as, &c, 1), -NET_EAGAIN);
    EXPECT_EQ(g_a.tcp.stats.challenge_acks, 4);
    g_a.n.nout = 0;
    /* Challenge ACKs are rate limited for the whole stack. */
    for (i = 0; i < 2 * NET_TCP_CHALLENGE_PER_S; i++) {
        x_send(1, 5000, NET_TCP_RST, 1001 + 10, 0, 0, NULL, 0);
    }
    /* 4 were spent; 1 ms refilled a tenth of one. */
    EXPECT_EQ(g_a.n.nout, NET_TCP_CHALLENGE_PER_S - 4);
    g_a.n.nout = 0;
    /* The RST exactly at RCV.NXT resets the connection. */
    x_send(2, 5000, NET_TCP_RST, 1001, 0, 0, NULL, 0);
    EXPECT_EQ(state(&g_a, as), NET_TCP_CLOSED);
    EXPECT_ERR(net_tcp_recv(&g_a.n.s, 2, as, &c, 1), -NET_ECONNRESET);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 2, as), 0);
    /* Segments to no connection are answered with a reset; resets are not. */
    x_send(2, 6000, NET_TCP_ACKF, 7, 77, 0, NULL, 0);
    x_send(2, 6000, NET_TCP_RST, 7, 0, 0, NULL, 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 2, ls), 0);
    x_send(2, 6000, NET_TCP_SYN, 7, 0, 0, NULL, 0);
    EXPECT_EQ(g_a.n.nout, 2);
    EXPECT(a_sent(0, &seg) && seg.flags == NET_TCP_RST && seg.seq == 77);
    EXPECT(a_sent(1, &seg) && seg.flags == (NET_TCP_RST | NET_TCP_ACKF) && seg.seq == 0 &&
           seg.ack == 8);
    g_a.n.nout = 0;
    return end(2);
}

/* The SYN-ACK A sent to X's port, among its frames; false if none. */
static bool
synack_to(uint16_t port, struct net_tcp_seg *seg)
{
    size_t i;

    for (i = 0; i < g_a.n.nout; i++) {
        if (a_sent(i, seg) && seg->dport == port && seg->flags == (NET_TCP_SYN | NET_TCP_ACKF)) {
            return true;
        }
    }
    return false;
}

static bool
test_backlog_cookies(void)
{
    struct net_tcp_seg seg;
    uint32_t cookie[5];
    int ls, s, i, k, accepted[4];
    char buf[8];

    EXPECT(pair(NULL));
    learn_x(&g_a, 0);
    ls = net_tcp_socket(&g_a.n.s);
    EXPECT_ERR(net_tcp_bind(&g_a.n.s, ls, 80), 0);
    EXPECT_ERR(net_tcp_listen(&g_a.n.s, ls, 2), 0);
    /* Two SYNs fill the backlog; the next ones get cookies and hold nothing. */
    for (i = 0; i < 5; i++) {
        x_send(0, (uint16_t)(7000 + i), NET_TCP_SYN, 1000, 0, 65535, NULL, 0);
        EXPECT(synack_to((uint16_t)(7000 + i), &seg));
        cookie[i] = seg.seq;
    }
    EXPECT_EQ(g_a.tcp.stats.cookies_sent, 3);
    EXPECT_EQ(g_a.conns[ls & 0xffff].children, 2);
    /* A cookie carries the largest MSS of its table not above the peer's, and no options. */
    EXPECT(seg.mss == 536 && seg.wscale == -1 && !seg.has_ts);
    g_a.n.nout = 0;
    /* A wrong cookie is refused with a reset. */
    x_send(1, 7004, NET_TCP_ACKF, 1001, cookie[4] + 2, 65535, NULL, 0);
    EXPECT(a_sent(0, &seg) && seg.flags == NET_TCP_RST && seg.seq == cookie[4] + 2);
    EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_TCP_COOKIE], 1);
    /* The right one opens a connection, with the data its ACK carries. */
    x_send(1, 7004, NET_TCP_ACKF | NET_TCP_PSH, 1001, cookie[4] + 1, 65535, (const uint8_t *)"hi",
           2);
    EXPECT_EQ(g_a.tcp.stats.cookies_accepted, 1);
    EXPECT_EQ(net_tcp_events(&g_a.n.s, ls), NET_TCP_ACCEPTABLE);
    accepted[0] = net_tcp_accept(&g_a.n.s, ls);
    EXPECT(accepted[0] >= 0);
    EXPECT_EQ(net_tcp_recv(&g_a.n.s, 1, accepted[0], buf, sizeof(buf)), 2);
    EXPECT(net_tcp_conn(&g_a.n.s, accepted[0])->cookie);
    EXPECT_ERR(net_tcp_accept(&g_a.n.s, ls), -NET_EAGAIN);
    EXPECT_EQ(net_tcp_events(&g_a.n.s, ls), 0); /* two handshaking: not acceptable yet */
    /* A cookie is good for the next period too, not for the one after. */
    learn_x(&g_a, NET_TCP_COOKIE_PERIOD_MS);
    x_send(NET_TCP_COOKIE_PERIOD_MS, 7003, NET_TCP_ACKF, 1001, cookie[3] + 1, 65535, NULL, 0);
    EXPECT_EQ(g_a.tcp.stats.cookies_accepted, 2);
    accepted[1] = net_tcp_accept(&g_a.n.s, ls);
    EXPECT(accepted[1] >= 0);
    learn_x(&g_a, 2 * NET_TCP_COOKIE_PERIOD_MS);
    x_send(2 * NET_TCP_COOKIE_PERIOD_MS, 7002, NET_TCP_ACKF, 1001, cookie[2] + 1, 65535, NULL, 0);
    EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_TCP_COOKIE], 2);
    /* The backlog's handshakes complete. */
    for (i = 0; i < 2; i++) {
        x_send(2 * NET_TCP_COOKIE_PERIOD_MS, (uint16_t)(7000 + i), NET_TCP_ACKF, 1001,
               cookie[i] + 1, 65535, NULL, 0);
        accepted[2 + i] = net_tcp_accept(&g_a.n.s, ls);
        EXPECT(accepted[2 + i] >= 0);
    }
    /* A flood with the table nearly full: cookies, and no established connection touched. */
    g_a.n.nout = 0;
    for (i = 0; i < 40; i++) {
        x_send(2 * NET_TCP_COOKIE_PERIOD_MS, (uint16_t)(9000 + i), NET_TCP_SYN, 5, 0, 65535, NULL,
               0);
        if (i == 10) {
            EXPECT(synack_to(9010, &seg));
            cookie[0] = seg.seq;
        }
        g_a.n.nout = 0;
    }
    EXPECT_EQ(g_a.tcp.stats.cookies_sent, 3 + 38);
    for (i = 0; i < 4; i++) {
        EXPECT_EQ(state(&g_a, accepted[i]), NET_TCP_ESTABLISHED);
    }
    /* With every slot taken, a valid cookie is answered with a reset. */
    for (k = 0; (s = net_tcp_socket(&g_a.n.s)) >= 0; k++) {
    }
    EXPECT_ERR(s, -NET_EAGAIN);
    x_send(2 * NET_TCP_COOKIE_PERIOD_MS, 9010, NET_TCP_ACKF, 6, cookie[0] + 1, 65535, NULL, 0);
    EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_TCP_NO_MEMORY], 1);
    EXPECT(a_sent(0, &seg) && seg.flags == NET_TCP_RST && seg.seq == cookie[0] + 1);
    (void)k;
    return checked(&g_a);
}

/* --- Congestion control and timers against the scripted peer ---------------------------- */

static bool
test_fast_retransmit(void)
{
    struct net_tcp_seg seg;
    const struct net_tcp_conn *c;
    uint32_t iss = 0, ssthresh;
    int ls = -1, as;

    EXPECT(pair(NULL));
    learn_x(&g_a, 0);
    as = x_connect(0, 5000, &ls, &iss);
    EXPECT(as >= 0);
    c = net_tcp_conn(&g_a.n.s, as);
    EXPECT_ERR(net_tcp_setopt(&g_a.n.s, as, NET_TCP_NODELAY, 1), 0);
    /* X's MSS is 1000 and it sends no timestamps: the initial window is 4 segments. */
    EXPECT_EQ(c->cwnd, 4000);
    EXPECT_EQ(net_tcp_send(&g_a.n.s, 0, as, g_buf, 20000), 20000);
    EXPECT_EQ(g_a.n.nout, 4);
    EXPECT(a_sent(3, &seg) && seg.seq == iss + 1 + 3000 && seg.payload_len == 1000);
    g_a.n.nout = 0;
    /* The first segment is acknowledged: slow start opens cwnd by one segment. */
    x_send(10, 5000, NET_TCP_ACKF, 1001, iss + 1001, 65535, NULL, 0);
    EXPECT_EQ(c->cwnd, 5000);
    EXPECT_EQ(g_a.n.nout, 2);
    g_a.n.nout = 0;
    /* The second was lost: two duplicate ACKs change nothing, the third retransmits it. */
    x_send(11, 5000, NET_TCP_ACKF, 1001, iss + 1001, 65535, NULL, 0);
    x_send(11, 5000, NET_TCP_ACKF, 1001, iss + 1001, 65535, NULL, 0);
    EXPECT_EQ(g_a.n.nout, 0);
    EXPECT_EQ(c->fast_retransmits, 0);
    x_send(11, 5000, NET_TCP_ACKF, 1001, iss + 1001, 65535, NULL, 0);
    EXPECT_EQ(c->fast_retransmits, 1);
    EXPECT_EQ(g_a.n.nout, 1);
    EXPECT(a_sent(0, &seg) && seg.seq == iss + 1001 && seg.payload_len == 1000);
    /* ssthresh = FlightSize / 2 (5000 / 2), cwnd = ssthresh + 3 SMSS (RFC 5681 3.2). */
    EXPECT_EQ(c->ssthresh, 2500);
    EXPECT_EQ(c->cwnd, 5500);
    EXPECT(c->in_recovery && c->recover == iss + 1 + 6000);
    ssthresh = c->ssthresh;
    g_a.n.nout = 0;
    /* Each further duplicate inflates cwnd by a segment, which lets new data go. */
    x_send(12, 5000, NET_TCP_ACKF, 1001, iss + 1001, 65535, NULL, 0);
    EXPECT_EQ(c->cwnd, 6500);
    EXPECT_EQ(g_a.n.nout, 1);
    EXPECT(a_sent(0, &seg) && seg.seq == iss + 1 + 6000);
    g_a.n.nout = 0;
    /* A partial ACK (RFC 6582): the next hole is resent at once, recovery goes on. */
    x_send(13, 5000, NET_TCP_ACKF, 1001, iss + 3001, 65535, NULL, 0);
    EXPECT(c->in_recovery);
    EXPECT(a_sent(0, &seg) && seg.seq == iss + 3001);
    EXPECT_EQ(c->retransmits, 2);
    g_a.n.nout = 0;
    /* The full ACK ends recovery with cwnd = min(ssthresh, FlightSize + SMSS). */
    x_send(14, 5000, NET_TCP_ACKF, 1001, c->recover, 65535, NULL, 0);
    EXPECT(!c->in_recovery);
    EXPECT(c->cwnd <= ssthresh);
    EXPECT_EQ(c->dupacks, 0);
    return checked(&g_a);
}

static bool
test_rto_backoff(void)
{
    struct net_tcp_seg seg;
    const struct net_tcp_conn *c;
    uint32_t iss = 0, k;
    uint64_t t = 0, last = 0;
    int ls = -1, as;
    char ch;

    EXPECT(pair(NULL));
    learn_x(&g_a, 0);
    as = x_connect(0, 5000, &ls, &iss);
    EXPECT(as >= 0);
    c = net_tcp_conn(&g_a.n.s, as);
    EXPECT_EQ(net_tcp_send(&g_a.n.s, 0, as, g_buf, 3000), 3000);
    EXPECT_EQ(g_a.n.nout, 3);
    g_a.n.nout = 0;
    /* No answer: the first segment is resent after the initial RTO, then after twice the
     * previous interval each time (RFC 6298 5.5), up to NET_TCP_RTO_MAX_MS. */
    for (k = 0; k < NET_TCP_RETRIES; k++) {
        uint64_t want = (uint64_t)NET_TCP_RTO_INIT_MS << k;
        if (want > NET_TCP_RTO_MAX_MS) {
            want = NET_TCP_RTO_MAX_MS;
        }
        t = c->t_rexmt;
        EXPECT_EQ(t - last, want);
        learn_x(&g_a, t); /* X stays known: ARP entries expire after 30 s */
        last = t;
        net_poll(&g_a.n.s, t - 1);
        EXPECT_EQ(g_a.n.nout, 0);
        net_poll(&g_a.n.s, t);
        EXPECT_EQ(g_a.n.nout, 1);
        EXPECT(a_sent(0, &seg) && seg.seq == iss + 1 && seg.payload_len == 1000);
        g_a.n.nout = 0;
        if (k == 0) {
            /* RFC 5681 3.1 (4): one segment of cwnd, ssthresh = max(FlightSize / 2, 2 SMSS). */
            EXPECT_EQ(c->cwnd, 1000);
            EXPECT_EQ(c->ssthresh, 2000);
            /* SND.NXT went back for the resend, but an ACK goes at SND.MAX: the peer may
             * hold everything sent, and would drop an ACK below its window. */
            EXPECT(c->snd_nxt != c->snd_max);
            x_send(t, 5000, NET_TCP_ACKF, 1001 + 10, iss + 1, 65535, g_buf, 1);
            EXPECT(a_sent(0, &seg) && seg.payload_len == 0 && seg.seq == c->snd_max);
            g_a.n.nout = 0;
        }
    }
    EXPECT_EQ(c->timeouts, NET_TCP_RETRIES);
    /* One more timeout ends the connection with a reset. */
    t = c->t_rexmt;
    learn_x(&g_a, t);
    net_poll(&g_a.n.s, t);
    EXPECT(a_sent(0, &seg) && (seg.flags & NET_TCP_RST));
    g_a.n.nout = 0;
    EXPECT_ERR(net_tcp_recv(&g_a.n.s, t, as, &ch, 1), -NET_ETIMEDOUT);
    EXPECT_EQ(g_a.tcp.stats.conns_timed_out, 1);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, t, as), 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, t, ls), 0);
    return checked(&g_a);
}

static bool
test_syn_retries(void)
{
    int bs;
    uint64_t t = 0;
    uint32_t k;
    char ch;

    /* B's SYNs to a silent X: resent with backoff, then ETIMEDOUT. */
    EXPECT(pair(NULL));
    learn_x(&g_b, 0);
    bs = net_tcp_socket(&g_b.n.s);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, IP_X, 80), 0);
    EXPECT_EQ(g_b.n.nout, 1);
    g_b.n.nout = 0;
    for (k = 0; k < NET_TCP_SYN_RETRIES; k++) {
        t = net_tcp_conn(&g_b.n.s, bs)->t_rexmt;
        learn_x(&g_b, t);
        net_poll(&g_b.n.s, t);
        EXPECT_EQ(g_b.n.nout, 1);
        g_b.n.nout = 0;
    }
    EXPECT_EQ(t, (uint64_t)NET_TCP_RTO_INIT_MS * ((1u << NET_TCP_SYN_RETRIES) - 1));
    EXPECT(net_tcp_events(&g_b.n.s, bs) == 0);
    t = net_tcp_conn(&g_b.n.s, bs)->t_rexmt;
    net_poll(&g_b.n.s, t);
    EXPECT_ERR(net_tcp_send(&g_b.n.s, t, bs, &ch, 1), -NET_ETIMEDOUT);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, t, bs), 0);
    return end(t);
}

static bool
test_delayed_ack_nagle(void)
{
    int ls, as, bs;
    char buf[4000];

    EXPECT(pair(NULL));
    EXPECT(connect_pair(0, &ls, &as, &bs));
    /* One small segment: A's ACK waits NET_TCP_DELACK_MS. */
    EXPECT_EQ(net_tcp_send(&g_b.n.s, 100, bs, "abc", 3), 3);
    sim_carry(&g_b.n, &g_a.n, 100);
    EXPECT_EQ(g_a.n.nout, 0);
    EXPECT_EQ(net_poll(&g_a.n.s, 100), 100 + NET_TCP_DELACK_MS);
    net_poll(&g_a.n.s, 100 + NET_TCP_DELACK_MS - 1);
    EXPECT_EQ(g_a.n.nout, 0);
    /* Meanwhile Nagle holds B's next small write: data is in flight unacknowledged. */
    EXPECT_EQ(net_tcp_send(&g_b.n.s, 100, bs, "def", 3), 3);
    EXPECT_EQ(g_b.n.nout, 0);
    net_poll(&g_a.n.s, 100 + NET_TCP_DELACK_MS);
    EXPECT_EQ(g_a.n.nout, 1);
    sim_carry(&g_a.n, &g_b.n, 100 + NET_TCP_DELACK_MS);
    EXPECT_EQ(g_b.n.nout, 1); /* the ACK released it */
    settle(200);
    EXPECT_EQ(net_tcp_recv(&g_a.n.s, 200, as, buf, sizeof(buf)), 6);
    /* Two full segments are acknowledged at once. */
    EXPECT_EQ(net_tcp_send(&g_b.n.s, 300, bs, g_buf, 2 * 1448), 2 * 1448);
    EXPECT_EQ(g_b.n.nout, 2);
    sim_carry(&g_b.n, &g_a.n, 300);
    EXPECT_EQ(g_a.n.nout, 1);
    settle(300);
    EXPECT_EQ(net_tcp_recv(&g_a.n.s, 300, as, buf, sizeof(buf)), 2 * 1448);
    /* TCP_NODELAY sends small writes at once. */
    EXPECT_ERR(net_tcp_setopt(&g_b.n.s, bs, NET_TCP_NODELAY, 1), 0);
    EXPECT_EQ(net_tcp_send(&g_b.n.s, 400, bs, "g", 1), 1);
    EXPECT_EQ(net_tcp_send(&g_b.n.s, 400, bs, "h", 1), 1);
    EXPECT_EQ(g_b.n.nout, 2);
    settle(400);
    EXPECT_EQ(net_tcp_recv(&g_a.n.s, 400, as, buf, sizeof(buf)), 2);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 400, as), 0);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, 400, bs), 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 400, ls), 0);
    settle(400);
    return end(400);
}

static bool
test_zero_window(void)
{
    const struct net_tcp_conn *c;
    int ls, as, bs, n, probes = 0;
    size_t got = 0;
    uint64_t t = 0, next, last_probe = 0, gap = 0;

    EXPECT(pair(NULL));
    ls = net_tcp_socket(&g_a.n.s);
    EXPECT_ERR(net_tcp_bind(&g_a.n.s, ls, 80), 0);
    EXPECT_ERR(net_tcp_listen(&g_a.n.s, ls, 1), 0);
    bs = net_tcp_socket(&g_b.n.s);
    EXPECT_ERR(net_tcp_setopt(&g_b.n.s, bs, NET_SO_RCVBUF, 4096), 0);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, IP_A, 80), 0);
    settle(0);
    as = net_tcp_accept(&g_a.n.s, ls);
    EXPECT(as >= 0);
    c = net_tcp_conn(&g_a.n.s, as);
    EXPECT_EQ(net_tcp_send(&g_a.n.s, 0, as, g_buf, 20000), 20000);
    settle(0);
    tick(NET_TCP_DELACK_MS);
    /* B reads nothing: its window closes and A probes it with backoff. */
    EXPECT_EQ(c->snd_wnd, 0);
    EXPECT(c->persist);
    for (t = 0; t < 30000;) {
        next = net_poll(&g_a.n.s, t);
        if (g_a.n.nout > 0) {
            probes++;
            if (last_probe != 0) {
                EXPECT(t - last_probe >= gap);
                gap = t - last_probe;
            }
            last_probe = t;
        }
        settle(t);
        t = next;
    }
    EXPECT(probes >= 4);
    EXPECT_EQ(state(&g_a, as), NET_TCP_ESTABLISHED);
    /* B reads: the window opens and the rest flows. */
    while (got < 20000) {
        n = net_tcp_recv(&g_b.n.s, t, bs, g_buf + 100000 + got, 20000 - got);
        EXPECT(n > 0 || n == -NET_EAGAIN);
        got += n > 0 ? (size_t)n : 0;
        settle(t);
        if (n == -NET_EAGAIN) {
            t = net_poll(&g_a.n.s, t + 1);
            settle(t);
        }
    }
    EXPECT(memcmp(g_buf, g_buf + 100000, 20000) == 0);
    EXPECT(!c->persist);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, t, as), 0);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, t, bs), 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, t, ls), 0);
    settle(t);
    return end(t);
}

static bool
test_keepalive(void)
{
    struct net_tcp_config cfg = {.keepidle_ms = 1000, .keepintvl_ms = 100};
    int ls, as, bs, k;
    uint64_t t;
    char ch;

    EXPECT(pair(&cfg));
    EXPECT(connect_pair(0, &ls, &as, &bs));
    EXPECT_ERR(net_tcp_setopt(&g_b.n.s, bs, NET_SO_KEEPALIVE, 1), 0);
    /* The peer answers: probes every idle period, and the connection stays. */
    EXPECT_EQ(net_poll(&g_b.n.s, 0), 1000);
    tick(1000);
    EXPECT_EQ(state(&g_b, bs), NET_TCP_ESTABLISHED);
    EXPECT_EQ(net_tcp_conn(&g_b.n.s, bs)->keep_probes, 0);
    EXPECT_EQ(net_poll(&g_b.n.s, 1000), 2000);
    /* The peer is gone: NET_TCP_KEEPCNT probes 100 ms apart, then ETIMEDOUT. */
    t = 2000;
    for (k = 0; k < NET_TCP_KEEPCNT; k++) {
        net_poll(&g_b.n.s, t);
        EXPECT_EQ(g_b.n.nout, 1);
        g_b.n.nout = 0;
        t += 100;
    }
    EXPECT_EQ(state(&g_b, bs), NET_TCP_ESTABLISHED);
    net_poll(&g_b.n.s, t);
    EXPECT_ERR(net_tcp_recv(&g_b.n.s, t, bs, &ch, 1), -NET_ETIMEDOUT);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, t, bs), 0);
    EXPECT_ERR(net_tcp_abort(&g_a.n.s, t, as), 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, t, ls), 0);
    g_a.n.nout = 0;
    return end(t);
}

static bool
test_options_negotiated(void)
{
    struct net_tcp_config no = {.no_timestamps = true, .no_wscale = true};
    const struct net_tcp_conn *a, *b;
    int ls, as, bs;

    EXPECT(pair(NULL));
    ls = net_tcp_socket(&g_a.n.s);
    EXPECT_ERR(net_tcp_setopt(&g_a.n.s, ls, NET_SO_RCVBUF, 1u << 20), 0);
    EXPECT_ERR(net_tcp_bind(&g_a.n.s, ls, 80), 0);
    EXPECT_ERR(net_tcp_listen(&g_a.n.s, ls, 1), 0);
    bs = net_tcp_socket(&g_b.n.s);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, IP_A, 80), 0);
    settle(0);
    as = net_tcp_accept(&g_a.n.s, ls);
    a = net_tcp_conn(&g_a.n.s, as);
    b = net_tcp_conn(&g_b.n.s, bs);
    /* 1 MiB needs a shift of 5 to be advertised whole; B applies A's shift to A's windows. */
    EXPECT(a->ws_ok && b->ws_ok && a->ts_ok && b->ts_ok);
    EXPECT_EQ(a->rcv_wscale, 5);
    EXPECT_EQ(b->snd_wscale, 5);
    EXPECT_EQ(b->snd_wnd, 65535); /* a SYN's window is never scaled */
    EXPECT_EQ(net_tcp_send(&g_a.n.s, 0, as, "x", 1), 1);
    settle(0);
    EXPECT_EQ(b->snd_wnd, 1u << 20);
    EXPECT_EQ(a->mss, 1460);
    /* Timestamps gave an RTT sample on both sides (0 ms here: the link is instant). */
    EXPECT_EQ(a->rto, NET_TCP_RTO_MIN_MS);
    /* A peer that offers neither: neither is used, and windows are unscaled. */
    EXPECT_ERR(net_tcp_abort(&g_a.n.s, 0, as), 0);
    g_a.n.nout = 0;
    EXPECT(tcp_node_init(&g_b, 2, IP_B, &no, TS_CONNS, TS_POOL) == 0);
    bs = net_tcp_socket(&g_b.n.s);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, IP_A, 80), 0);
    settle(0);
    as = net_tcp_accept(&g_a.n.s, ls);
    a = net_tcp_conn(&g_a.n.s, as);
    EXPECT(!a->ws_ok && !a->ts_ok && a->rcv_wscale == 0 && a->snd_wscale == 0);
    EXPECT_EQ(net_tcp_conn(&g_b.n.s, bs)->snd_wnd, 65535);
    return checked(&g_a) && checked(&g_b);
}

static bool
test_paws_and_time_wait_reuse(void)
{
    struct net_tcp_seg h = {.sport = 5000,
                            .dport = 80,
                            .seq = 1000,
                            .flags = NET_TCP_SYN,
                            .wnd = 65535,
                            .mss = 1000,
                            .wscale = -1,
                            .has_ts = true,
                            .tsval = 500};
    struct net_tcp_seg seg;
    int ls = -1, as;
    uint32_t iss;
    size_t n;
    char ch;

    EXPECT(pair(NULL));
    learn_x(&g_a, 0);
    ls = net_tcp_socket(&g_a.n.s);
    net_tcp_bind(&g_a.n.s, ls, 80);
    net_tcp_listen(&g_a.n.s, ls, 1);
    n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, NULL, 0);
    net_input(&g_a.n.s, 0, g_frame, n);
    EXPECT(a_sent(0, &seg) && seg.has_ts && seg.tsecr == 500);
    iss = seg.seq;
    g_a.n.nout = 0;
    h.flags = NET_TCP_ACKF;
    h.seq = 1001;
    h.ack = iss + 1;
    h.mss = 0;
    h.tsval = 600;
    n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, NULL, 0);
    net_input(&g_a.n.s, 0, g_frame, n);
    as = net_tcp_accept(&g_a.n.s, ls);
    EXPECT(as >= 0);
    EXPECT_EQ(net_tcp_conn(&g_a.n.s, as)->ts_recent, 600);
    /* An old timestamp: dropped (PAWS) and answered with an ACK. */
    h.tsval = 550;
    h.flags = NET_TCP_ACKF | NET_TCP_PSH;
    n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, (const uint8_t *)"x", 1);
    net_input(&g_a.n.s, 0, g_frame, n);
    EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_TCP_PAWS], 1);
    EXPECT_EQ(g_a.n.nout, 1);
    EXPECT_ERR(net_tcp_recv(&g_a.n.s, 0, as, &ch, 1), -NET_EAGAIN);
    g_a.n.nout = 0;
    /* A closes first and X answers: A ends in TIME_WAIT. */
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, as), 0);
    EXPECT(a_sent(0, &seg) && (seg.flags & NET_TCP_FIN));
    g_a.n.nout = 0;
    h.flags = NET_TCP_ACKF | NET_TCP_FIN;
    h.ack = iss + 2;
    h.tsval = 700;
    n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, NULL, 0);
    net_input(&g_a.n.s, 1, g_frame, n);
    EXPECT_EQ(g_a.conns[as & 0xffff].state, NET_TCP_TIME_WAIT);
    /* A retransmitted FIN is acknowledged again. */
    g_a.n.nout = 0;
    net_input(&g_a.n.s, 2, g_frame, n);
    EXPECT_EQ(g_a.n.nout, 1);
    /* A new SYN with an older timestamp does not reopen it; a newer one does. */
    h.flags = NET_TCP_SYN;
    h.seq = 5000;
    h.ack = 0;
    h.tsval = 650;
    n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, NULL, 0);
    net_input(&g_a.n.s, 3, g_frame, n);
    EXPECT_EQ(g_a.tcp.stats.tw_reused, 0);
    h.tsval = 800;
    n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, NULL, 0);
    g_a.n.nout = 0;
    net_input(&g_a.n.s, 3, g_frame, n);
    EXPECT_EQ(g_a.tcp.stats.tw_reused, 1);
    EXPECT(a_sent(0, &seg) && seg.flags == (NET_TCP_SYN | NET_TCP_ACKF) && seg.ack == 5001);
    g_a.n.nout = 0;
    return checked(&g_a);
}

/* Sequence number of X's k-th segment of 1000 bytes from A (1-based), after ISN iss. */
#define SEG(iss, k) ((iss) + 1 + ((uint32_t)(k)-1) * 1000)

/* The peer's timestamp echo is untrusted: a TSecr A never sent (in A's future, or a round
 * trip longer than the longest RTO) must not reach the RTT estimator, whose 8 SRTT and
 * 4 RTTVAR would wrap (a 2^29 ms "round trip" read as 100 ms) or pin the RTO at its
 * maximum, stalling loss recovery; a true echo still gives its sample. */
static bool
test_bogus_tsecr(void)
{
    struct net_tcp_seg h = {.sport = 5000,
                            .dport = 80,
                            .seq = 1000,
                            .flags = NET_TCP_SYN,
                            .wnd = 65535,
                            .mss = 1000,
                            .wscale = -1,
                            .has_ts = true,
                            .tsval = 500};
    const struct net_tcp_conn *c;
    struct net_tcp_seg seg;
    int ls, as;
    uint32_t iss;
    size_t n;

    EXPECT(pair(NULL));
    learn_x(&g_a, 0);
    ls = net_tcp_socket(&g_a.n.s);
    net_tcp_bind(&g_a.n.s, ls, 80);
    net_tcp_listen(&g_a.n.s, ls, 1);
    n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, NULL, 0);
    net_input(&g_a.n.s, 0, g_frame, n);
    EXPECT(a_sent(0, &seg) && seg.has_ts);
    iss = seg.seq;
    g_a.n.nout = 0;
    /* The handshake's ACK echoes a time one tick after any A sent. */
    h.flags = NET_TCP_ACKF;
    h.seq = 1001;
    h.ack = iss + 1;
    h.mss = 0;
    h.tsval = 600;
    h.tsecr = seg.tsval + 1;
    n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, NULL, 0);
    net_input(&g_a.n.s, 0, g_frame, n);
    as = net_tcp_accept(&g_a.n.s, ls);
    EXPECT(as >= 0);
    c = net_tcp_conn(&g_a.n.s, as);
    EXPECT_EQ(c->srtt8, 0);
    EXPECT_EQ(c->rto, NET_TCP_RTO_INIT_MS);
    /* A byte goes out; its ACK claims a round trip of 2^29 ms. */
    EXPECT_EQ(net_tcp_send(&g_a.n.s, 0, as, "x", 1), 1);
    EXPECT(a_sent(0, &seg) && seg.has_ts && seg.payload_len == 1);
    g_a.n.nout = 0;
    h.tsval = 700;
    h.tsecr = seg.tsval - (1u << 29);
    h.ack = iss + 2;
    n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, NULL, 0);
    net_input(&g_a.n.s, 100, g_frame, n);
    EXPECT_EQ(c->snd_una, iss + 2);
    EXPECT_EQ(c->srtt8, 0);
    EXPECT_EQ(c->rto, NET_TCP_RTO_INIT_MS);
    /* A true echo, 100 ms later: SRTT 100, RTTVAR 50, RTO 300. */
    EXPECT_EQ(net_tcp_send(&g_a.n.s, 100, as, "y", 1), 1);
    EXPECT(a_sent(0, &seg) && seg.has_ts && seg.payload_len == 1);
    g_a.n.nout = 0;
    h.tsval = 800;
    h.tsecr = seg.tsval;
    h.ack = iss + 3;
    n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, NULL, 0);
    net_input(&g_a.n.s, 200, g_frame, n);
    EXPECT_EQ(c->snd_una, iss + 3);
    EXPECT_EQ(c->srtt8, 800);
    EXPECT_EQ(c->rto, 300);
    return checked(&g_a);
}

static bool
test_sack_receiver(void)
{
    struct net_tcp_seg seg;
    uint32_t iss = 0;
    int ls = -1, as;

    EXPECT(pair(NULL));
    learn_x(&g_a, 0);
    g_x_sack = true;
    as = x_connect(0, 5000, &ls, &iss);
    EXPECT(as >= 0);
    EXPECT(net_tcp_conn(&g_a.n.s, as)->sack_ok);
    /* Data after a hole: A answers at once with a duplicate ACK that SACKs it. */
    x_send(1, 5000, NET_TCP_ACKF, 1001 + 100, iss + 1, 65535, g_buf, 50);
    EXPECT_EQ(g_a.n.nout, 1);
    EXPECT(a_sent(0, &seg) && seg.ack == 1001 && seg.payload_len == 0 && seg.nsack == 1);
    EXPECT(seg.sack[0].start == 1101 && seg.sack[0].end == 1151);
    g_a.n.nout = 0;
    /* A second island: it comes first (the latest), then the older one. */
    x_send(1, 5000, NET_TCP_ACKF, 1001 + 300, iss + 1, 65535, g_buf, 50);
    EXPECT(a_sent(0, &seg) && seg.nsack == 2);
    EXPECT(seg.sack[0].start == 1301 && seg.sack[1].start == 1101);
    g_a.n.nout = 0;
    /* The hole filled: a cumulative ACK up to the second island, which is still SACKed. */
    x_send(1, 5000, NET_TCP_ACKF, 1001, iss + 1, 65535, g_buf, 100);
    EXPECT(a_sent(0, &seg) && seg.ack == 1151 && seg.nsack == 1 && seg.sack[0].start == 1301);
    g_a.n.nout = 0;
    /* Data up to 1300 with a FIN: nothing comes after a FIN, so the island at 1301 goes
     * (kept, it would start at the new RCV.NXT and pass for data: fuzz-tcp found it). */
    x_send(1, 5000, NET_TCP_ACKF | NET_TCP_FIN, 1151, iss + 1, 65535, g_buf, 149);
    EXPECT(a_sent(0, &seg) && seg.ack == 1301 && seg.nsack == 0);
    EXPECT_EQ(net_tcp_conn(&g_a.n.s, as)->nooo, 0);
    g_a.n.nout = 0;
    return checked(&g_a);
}

static bool
test_sack_recovery(void)
{
    struct net_tcp_seg seg;
    const struct net_tcp_conn *c;
    uint32_t iss = 0;
    int ls = -1, as;

    EXPECT(pair(NULL));
    learn_x(&g_a, 0);
    g_x_sack = true;
    as = x_connect(0, 5000, &ls, &iss);
    EXPECT(as >= 0);
    c = net_tcp_conn(&g_a.n.s, as);
    EXPECT_ERR(net_tcp_setopt(&g_a.n.s, as, NET_TCP_NODELAY, 1), 0);
    EXPECT_EQ(net_tcp_send(&g_a.n.s, 0, as, g_buf, 20000), 20000);
    /* Segments 1-2 are acknowledged; the window opens to 3-8 in flight. */
    x_send(10, 5000, NET_TCP_ACKF, 1001, SEG(iss, 2), 65535, NULL, 0);
    x_send(10, 5000, NET_TCP_ACKF, 1001, SEG(iss, 3), 65535, NULL, 0);
    EXPECT_EQ(c->snd_max, SEG(iss, 9));
    g_a.n.nout = 0;
    /* Segments 3 and 5 are lost: three duplicate ACKs SACK 4, then 6-7. */
    g_x_blocks.nsack = 1;
    g_x_blocks.sack[0].start = SEG(iss, 4), g_x_blocks.sack[0].end = SEG(iss, 5);
    x_send(11, 5000, NET_TCP_ACKF, 1001, SEG(iss, 3), 65535, NULL, 0);
    g_x_blocks.nsack = 2;
    g_x_blocks.sack[1].start = SEG(iss, 6), g_x_blocks.sack[1].end = SEG(iss, 7);
    x_send(11, 5000, NET_TCP_ACKF, 1001, SEG(iss, 3), 65535, NULL, 0);
    EXPECT_EQ(g_a.n.nout, 0);
    g_x_blocks.sack[1].end = SEG(iss, 8);
    x_send(11, 5000, NET_TCP_ACKF, 1001, SEG(iss, 3), 65535, NULL, 0);
    EXPECT_EQ(c->nsacked, 2);
    /* RFC 6675: cwnd = ssthresh = 3000; segment 3 goes, and with pipe at 2000 the next hole,
     * segment 5, goes in the same round trip (NewReno would wait for a partial ACK). */
    EXPECT_EQ(c->ssthresh, 3000);
    EXPECT_EQ(c->cwnd, 3000);
    EXPECT_EQ(g_a.n.nout, 2);
    EXPECT(a_sent(0, &seg) && seg.seq == SEG(iss, 3) && seg.payload_len == 1000);
    EXPECT(a_sent(1, &seg) && seg.seq == SEG(iss, 5) && seg.payload_len == 1000);
    EXPECT_EQ(c->fast_retransmits, 1);
    EXPECT_EQ(c->retransmits, 2);
    g_a.n.nout = 0;
    /* A fourth duplicate changes nothing: pipe is at cwnd. */
    x_send(12, 5000, NET_TCP_ACKF, 1001, SEG(iss, 3), 65535, NULL, 0);
    EXPECT_EQ(g_a.n.nout, 0);
    /* Blocks outside SND.UNA..SND.MAX are ignored. */
    g_x_blocks.nsack = 1;
    g_x_blocks.sack[0].start = SEG(iss, 30), g_x_blocks.sack[0].end = SEG(iss, 31);
    x_send(12, 5000, NET_TCP_ACKF, 1001, SEG(iss, 3), 65535, NULL, 0);
    EXPECT_EQ(c->nsacked, 2);
    /* Everything up to segment 8 arrives: recovery ends, the scoreboard empties. */
    g_x_blocks.nsack = 0;
    x_send(13, 5000, NET_TCP_ACKF, 1001, SEG(iss, 9), 65535, NULL, 0);
    EXPECT(!c->in_recovery);
    EXPECT_EQ(c->nsacked, 0);
    EXPECT(c->cwnd <= 3000);
    return checked(&g_a);
}

/* --- The API's errors, and running out of memory ----------------------------------------- */

static bool
test_api_errors(void)
{
    static struct net_tcp t;
    struct net_tcp_config cfg = {0};
    struct net_tcp_mem mem = {g_a.conns, TS_CONNS, g_a.pool, TS_POOL, g_a.used};
    int ls, bs, s2, stale;
    char ch;

    /* Names: every state, error and drop reason TCP added has one. */
    EXPECT(strcmp(net_tcp_state_name(NET_TCP_ESTABLISHED), "ESTABLISHED") == 0);
    EXPECT(strcmp(net_tcp_state_name(NET_TCP_TIME_WAIT), "TIME_WAIT") == 0);
    EXPECT(strcmp(net_tcp_state_name(-1), "?") == 0 && strcmp(net_tcp_state_name(12), "?") == 0);
    EXPECT(strcmp(net_strerror(-NET_EPIPE), "NET_EPIPE") == 0);
    EXPECT(strcmp(net_strerror(NET_EPIPE + 1), "NET_E?") == 0);
    for (stale = NET_DROP_TCP_SHORT; stale < NET_DROP_COUNT; stale++) {
        EXPECT(strcmp(net_drop_name((enum net_drop)stale), "?") != 0);
    }
    /* A stack without TCP. */
    EXPECT(sim_node_init(&g_a.n, 1, IP_A, 0, 0) == 0);
    EXPECT_ERR(net_tcp_socket(&g_a.n.s), -NET_EINVAL);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, 0), -NET_EBADF);
    {
        /* It answers TCP as a protocol it does not speak. */
        struct net_tcp_seg h = {.sport = 1, .dport = 80, .flags = NET_TCP_SYN, .wscale = -1};
        size_t n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, NULL, 0);
        net_input(&g_a.n.s, 0, g_frame, n);
        EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_IP_PROTO], 1);
        EXPECT_EQ(g_a.n.s.stats.icmp_errors_sent, 1);
    }
    mem.conn_count = 0;
    EXPECT_ERR(net_tcp_init(&g_a.n.s, &t, &cfg, &mem), -NET_EINVAL);
    mem.conn_count = 65535;
    EXPECT_ERR(net_tcp_init(&g_a.n.s, &t, &cfg, &mem), -NET_EINVAL);
    mem.conn_count = TS_CONNS;
    mem.pool_len = NET_TCP_BLOCK;
    EXPECT_ERR(net_tcp_init(&g_a.n.s, &t, &cfg, &mem), -NET_EINVAL);
    mem.pool_len = TS_POOL;
    mem.block_used = NULL;
    EXPECT_ERR(net_tcp_init(&g_a.n.s, &t, &cfg, &mem), -NET_EINVAL);
    EXPECT(g_a.n.s.tcp == NULL);

    EXPECT(pair(NULL));
    {
        /* TCP to a broadcast address, or with a bad checksum, is dropped unanswered. */
        struct net_tcp_seg h = {.sport = 1, .dport = 80, .flags = NET_TCP_SYN, .wscale = -1};
        size_t n = tcp_frame_build(g_frame, &MAC_A, IP_X, NET_IP4(10, 0, 2, 255), &h, NULL, 0);
        net_input(&g_a.n.s, 0, g_frame, n);
        EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_TCP_BROADCAST], 1);
        n = tcp_frame_build(g_frame, &MAC_A, IP_X, IP_A, &h, NULL, 0);
        g_frame[n - 1] ^= 1;
        net_input(&g_a.n.s, 0, g_frame, n);
        EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_TCP_CHECKSUM], 1);
        EXPECT_EQ(g_a.n.nout, 0);
    }
    bs = net_tcp_socket(&g_b.n.s);
    /* Bad handles. */
    EXPECT_ERR(net_tcp_bind(&g_b.n.s, -1, 1), -NET_EBADF);
    EXPECT_ERR(net_tcp_bind(&g_b.n.s, TS_CONNS, 1), -NET_EBADF);
    EXPECT_ERR(net_tcp_bind(&g_b.n.s, bs + 0x10000, 1), -NET_EBADF);
    EXPECT_ERR(net_tcp_bind(&g_b.n.s, 5, 1), -NET_EBADF);
    EXPECT(net_tcp_events(&g_b.n.s, -1) == 0 && net_tcp_conn(&g_b.n.s, -1) == NULL);
    /* Options. */
    EXPECT_ERR(net_tcp_setopt(&g_b.n.s, -1, NET_TCP_NODELAY, 1), -NET_EBADF);
    EXPECT_ERR(net_tcp_setopt(&g_b.n.s, bs, 99, 1), -NET_EINVAL);
    EXPECT_ERR(net_tcp_setopt(&g_b.n.s, bs, NET_SO_SNDBUF, 0), -NET_EINVAL);
    EXPECT_ERR(net_tcp_setopt(&g_b.n.s, bs, NET_SO_RCVBUF, NET_TCP_BUF_MAX + 1), -NET_EINVAL);
    /* Sending and receiving before connecting. */
    EXPECT_ERR(net_tcp_send(&g_b.n.s, 0, bs, "x", 1), -NET_ENOTCONN);
    EXPECT_ERR(net_tcp_recv(&g_b.n.s, 0, bs, &ch, 1), -NET_ENOTCONN);
    EXPECT_ERR(net_tcp_shutdown(&g_b.n.s, 0, bs), -NET_ENOTCONN);
    EXPECT_ERR(net_tcp_accept(&g_b.n.s, bs), -NET_EINVAL);
    EXPECT_ERR(net_tcp_listen(&g_b.n.s, bs, 1), -NET_EINVAL);
    /* Connect's arguments. */
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, IP_A, 0), -NET_EINVAL);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, 0, 80), -NET_EINVAL);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, NET_IP4(224, 0, 0, 1), 80), -NET_EINVAL);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, NET_IP4(10, 0, 2, 255), 80), -NET_EINVAL);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, NET_IP4(127, 0, 0, 1), 80), -NET_EINVAL);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, -1, IP_A, 80), -NET_EBADF);
    /* Listening: a bound port, a backlog in range, once. */
    ls = net_tcp_socket(&g_a.n.s);
    EXPECT_ERR(net_tcp_bind(&g_a.n.s, ls, 80), 0);
    EXPECT_ERR(net_tcp_bind(&g_a.n.s, ls, 81), -NET_EISCONN);
    EXPECT_ERR(net_tcp_listen(&g_a.n.s, ls, 0), -NET_EINVAL);
    EXPECT_ERR(net_tcp_listen(&g_a.n.s, ls, 1025), -NET_EINVAL);
    EXPECT_ERR(net_tcp_listen(&g_a.n.s, -1, 1), -NET_EBADF);
    EXPECT_ERR(net_tcp_listen(&g_a.n.s, ls, 4), 0);
    EXPECT_ERR(net_tcp_listen(&g_a.n.s, ls, 4), -NET_EISCONN);
    EXPECT_ERR(net_tcp_accept(&g_a.n.s, ls), -NET_EAGAIN);
    EXPECT_ERR(net_tcp_accept(&g_a.n.s, -1), -NET_EBADF);
    EXPECT_ERR(net_tcp_send(&g_a.n.s, 0, ls, "x", 1), -NET_ENOTCONN);
    EXPECT_ERR(net_tcp_recv(&g_a.n.s, 0, ls, &ch, 1), -NET_ENOTCONN);
    EXPECT_ERR(net_tcp_connect(&g_a.n.s, 0, ls, IP_B, 80), -NET_EISCONN);
    EXPECT_ERR(net_tcp_setopt(&g_a.n.s, ls, NET_SO_SNDBUF, 4096), -NET_EISCONN);
    /* A listener's port is taken even with SO_REUSEADDR; another socket's is not. */
    s2 = net_tcp_socket(&g_a.n.s);
    EXPECT_ERR(net_tcp_setopt(&g_a.n.s, s2, NET_SO_REUSEADDR, 1), 0);
    EXPECT_ERR(net_tcp_bind(&g_a.n.s, s2, 80), -NET_EADDRINUSE);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, s2), 0);
    /* Connecting: in progress, then connected. */
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, IP_A, 80), 0);
    EXPECT_ERR(net_tcp_send(&g_b.n.s, 0, bs, "x", 1), -NET_EAGAIN);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, IP_A, 80), -NET_EISCONN);
    EXPECT_ERR(net_tcp_bind(&g_b.n.s, bs, 5), -NET_EISCONN);
    EXPECT_ERR(net_tcp_listen(&g_b.n.s, bs, 5), -NET_EISCONN);
    EXPECT_ERR(net_tcp_setopt(&g_b.n.s, bs, NET_SO_RCVBUF, 4096), -NET_EISCONN);
    settle(0);
    EXPECT_ERR(net_tcp_send(&g_b.n.s, 0, bs, "x", 0), 0);
    /* The same four-tuple twice, without and with SO_REUSEADDR for a TIME_WAIT. */
    s2 = net_tcp_socket(&g_b.n.s);
    EXPECT_ERR(net_tcp_bind(&g_b.n.s, s2, net_tcp_conn(&g_b.n.s, bs)->lport), -NET_EADDRINUSE);
    EXPECT_ERR(net_tcp_setopt(&g_b.n.s, s2, NET_SO_REUSEADDR, 1), 0);
    EXPECT_ERR(net_tcp_bind(&g_b.n.s, s2, net_tcp_conn(&g_b.n.s, bs)->lport), 0);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, s2, IP_A, 80), -NET_EADDRINUSE);
    /* Send buffer full. */
    EXPECT_ERR(net_tcp_setopt(&g_b.n.s, bs, NET_SO_KEEPALIVE, 0), 0);
    g_b.n.tx_limit = 0; /* nothing leaves: the ring fills */
    while (net_tcp_send(&g_b.n.s, 0, bs, g_buf, sizeof(g_buf)) > 0) {
    }
    EXPECT_ERR(net_tcp_send(&g_b.n.s, 0, bs, g_buf, 1), -NET_EAGAIN);
    EXPECT(!(net_tcp_events(&g_b.n.s, bs) & NET_TCP_WRITABLE));
    g_b.n.tx_limit = SIM_TXBUFS;
    /* After close, the handle is stale. */
    stale = bs;
    EXPECT_ERR(net_tcp_abort(&g_b.n.s, 0, bs), 0);
    EXPECT_ERR(net_tcp_send(&g_b.n.s, 0, stale, "x", 1), -NET_EBADF);
    EXPECT_ERR(net_tcp_recv(&g_b.n.s, 0, stale, &ch, 1), -NET_EBADF);
    EXPECT_ERR(net_tcp_shutdown(&g_b.n.s, 0, stale), -NET_EBADF);
    EXPECT_ERR(net_tcp_abort(&g_b.n.s, 0, stale), -NET_EBADF);
    EXPECT_ERR(net_tcp_accept(&g_b.n.s, stale), -NET_EBADF);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, 0, stale), -NET_EBADF);
    /* Shutdown of a connection still opening deletes it. */
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, s2, IP_A, 80), 0);
    EXPECT_ERR(net_tcp_shutdown(&g_b.n.s, 0, s2), 0);
    EXPECT_EQ(state(&g_b, s2), NET_TCP_CLOSED);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, 0, s2), 0);
    settle(0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, ls), 0);
    settle(0);
    /* No address: unreachable. */
    EXPECT(tcp_node_init(&g_b, 2, 0, NULL, TS_CONNS, TS_POOL) == 0);
    bs = net_tcp_socket(&g_b.n.s);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, IP_A, 80), -NET_EHOSTUNREACH);
    EXPECT(pair(NULL));
    return end(0);
}

static bool
test_out_of_memory(void)
{
    int socks[TS_CONNS + 1], i, ls, as, bs;
    char ch;

    /* A pool of 4 blocks holds one connection of 2 + 2 blocks. */
    EXPECT(tcp_node_init(&g_a, 1, IP_A, NULL, 4, 4 * NET_TCP_BLOCK) == 0);
    EXPECT(tcp_node_init(&g_b, 2, IP_B, NULL, TS_CONNS, TS_POOL) == 0);
    net_ping(&g_a.n.s, 0, IP_B, 1, 1, "x", 1);
    settle(0);
    for (i = 0; i < 4; i++) {
        socks[i] = net_tcp_socket(&g_a.n.s);
        EXPECT(socks[i] >= 0);
        EXPECT_ERR(net_tcp_setopt(&g_a.n.s, socks[i], NET_SO_SNDBUF, 2 * NET_TCP_BLOCK), 0);
        EXPECT_ERR(net_tcp_setopt(&g_a.n.s, socks[i], NET_SO_RCVBUF, 2 * NET_TCP_BLOCK), 0);
    }
    EXPECT_ERR(net_tcp_socket(&g_a.n.s), -NET_EAGAIN);
    EXPECT_ERR(net_tcp_connect(&g_a.n.s, 0, socks[0], IP_B, 80), 0);
    EXPECT_ERR(net_tcp_connect(&g_a.n.s, 0, socks[1], IP_B, 80), -NET_ENOBUFS);
    EXPECT_ERR(net_tcp_setopt(&g_a.n.s, socks[1], NET_SO_RCVBUF, 1), 0);
    EXPECT_ERR(net_tcp_connect(&g_a.n.s, 0, socks[1], IP_B, 80), -NET_ENOBUFS);
    EXPECT(checked(&g_a));
    /* B refuses: the slot and the blocks come back. */
    settle(0);
    EXPECT_ERR(net_tcp_recv(&g_a.n.s, 0, socks[0], &ch, 1), -NET_ECONNREFUSED);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, socks[0]), 0);
    EXPECT_ERR(net_tcp_connect(&g_a.n.s, 0, socks[1], IP_B, 80), 0);
    settle(0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, socks[1]), 0);
    /* A listener with no buffers left answers with cookies, and a cookie's ACK with a
     * reset when there is still nothing. */
    ls = socks[2];
    EXPECT_ERR(net_tcp_setopt(&g_a.n.s, ls, NET_SO_RCVBUF, 3 * NET_TCP_BLOCK), 0);
    EXPECT_ERR(net_tcp_bind(&g_a.n.s, ls, 80), 0);
    EXPECT_ERR(net_tcp_listen(&g_a.n.s, ls, 8), 0);
    bs = net_tcp_socket(&g_b.n.s);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, IP_A, 80), 0);
    settle(0);
    EXPECT_EQ(g_a.tcp.stats.cookies_sent, 1);
    EXPECT_EQ(g_a.n.s.stats.rx_drops[NET_DROP_TCP_NO_MEMORY], 1);
    EXPECT_ERR(net_tcp_recv(&g_b.n.s, 0, bs, &ch, 1), -NET_ECONNRESET);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, 0, bs), 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, ls), 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, socks[3]), 0);
    /* TIME_WAIT slots give way to new sockets when the table is full. */
    EXPECT(pair(NULL));
    EXPECT(connect_pair(0, &ls, &as, &bs));
    EXPECT_ERR(net_tcp_close(&g_b.n.s, 0, bs), 0);
    settle(0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, as), 0);
    settle(0);
    for (i = 0; i < TS_CONNS; i++) {
        if (g_b.conns[i].state == NET_TCP_TIME_WAIT) {
            break;
        }
    }
    EXPECT(i < TS_CONNS && g_b.conns[i].tx_cap == 0);
    for (i = 0; i < TS_CONNS; i++) {
        socks[i] = net_tcp_socket(&g_b.n.s);
        EXPECT(socks[i] >= 0);
    }
    EXPECT_EQ(g_b.tcp.stats.tw_reused, 1);
    EXPECT_ERR(net_tcp_socket(&g_b.n.s), -NET_EAGAIN);
    for (i = 0; i < TS_CONNS; i++) {
        EXPECT_ERR(net_tcp_close(&g_b.n.s, 0, socks[i]), 0);
    }
    EXPECT_ERR(net_tcp_close(&g_a.n.s, 0, ls), 0);
    return end(0);
}

static bool
test_isn(void)
{
    uint32_t a, b, c;
    int s1, s2;

    /* RFC 6528: a keyed hash of the four-tuple plus a clock of 4 us ticks. */
    EXPECT(pair(NULL));
    s1 = net_tcp_socket(&g_b.n.s);
    s2 = net_tcp_socket(&g_b.n.s);
    net_tcp_bind(&g_b.n.s, s1, 1000);
    net_tcp_bind(&g_b.n.s, s2, 1001);
    net_tcp_connect(&g_b.n.s, 0, s1, IP_A, 80);
    net_tcp_connect(&g_b.n.s, 0, s2, IP_A, 80);
    a = net_tcp_conn(&g_b.n.s, s1)->iss;
    b = net_tcp_conn(&g_b.n.s, s2)->iss;
    EXPECT(a != b && a - b != 1 && b - a != 1);
    net_tcp_abort(&g_b.n.s, 0, s1);
    s1 = net_tcp_socket(&g_b.n.s);
    net_tcp_bind(&g_b.n.s, s1, 1000);
    net_tcp_connect(&g_b.n.s, 1000, s1, IP_A, 80);
    c = net_tcp_conn(&g_b.n.s, s1)->iss;
    EXPECT_EQ(c - a, 250000);
    /* Another key, another ISN. */
    EXPECT(tcp_node_init(&g_a, 2, IP_B, NULL, TS_CONNS, TS_POOL) == 0);
    s2 = net_tcp_socket(&g_a.n.s);
    net_tcp_bind(&g_a.n.s, s2, 1000);
    g_a.tcp.cfg.isn_key[5] ^= 1;
    net_tcp_connect(&g_a.n.s, 0, s2, IP_A, 80);
    EXPECT(net_tcp_conn(&g_a.n.s, s2)->iss != a);
    return true;
}

/* --- Bulk transfers over a bad link --------------------------------------------------------- */

/* One direction of a transfer: a seeded byte stream, sent and checked byte for byte. */
struct flow {
    struct tcp_node *from, *to;
    int tx, rx;     /* sockets */
    uint64_t total; /* bytes to move */
    uint64_t sent, got;
    uint64_t gen_tx, gen_rx; /* generator states of the two ends */
    uint8_t chunk[16384];    /* generated, not yet accepted by send */
    size_t chunk_len, chunk_off;
    bool closed;
};

static struct flow g_flows[2];

static uint8_t
flow_byte(uint64_t *g)
{
    *g = *g * 6364136223846793005ull + 1442695040888963407ull;
    return (uint8_t)(*g >> 56);
}

/* Sends and receives what the sockets take; false if received data differs. */
static bool
flow_pump(struct flow *f, uint64_t now)
{
    static uint8_t in[65536];
    int n, i;

    while (f->sent < f->total) {
        if (f->chunk_off == f->chunk_len) {
            f->chunk_len = sizeof(f->chunk);
            if (f->total - f->sent < f->chunk_len) {
                f->chunk_len = (size_t)(f->total - f->sent);
            }
            for (f->chunk_off = 0; f->chunk_off < f->chunk_len; f->chunk_off++) {
                f->chunk[f->chunk_off] = flow_byte(&f->gen_tx);
            }
            f->chunk_off = 0;
        }
        n = net_tcp_send(&f->from->n.s, now, f->tx, f->chunk + f->chunk_off,
                         f->chunk_len - f->chunk_off);
        if (n == -NET_EAGAIN) {
            break;
        }
        if (n <= 0) {
            return fail_with("send: %d (%s)", n, net_strerror(n));
        }
        f->chunk_off += (size_t)n;
        f->sent += (uint64_t)n;
    }
    if (f->sent == f->total && !f->closed) {
        f->closed = true;
        EXPECT_ERR(net_tcp_shutdown(&f->from->n.s, now, f->tx), 0);
    }
    for (;;) {
        n = net_tcp_recv(&f->to->n.s, now, f->rx, in, sizeof(in));
        if (n == -NET_EAGAIN || n == 0) {
            break;
        }
        if (n < 0) {
            return fail_with("recv: %d (%s)", n, net_strerror(n));
        }
        for (i = 0; i < n; i++) {
            if (in[i] != flow_byte(&f->gen_rx)) {
                return fail_with("byte %llu differs", (unsigned long long)(f->got + (uint64_t)i));
            }
        }
        f->got += (uint64_t)n;
    }
    return true;
}

struct bulk {
    const char *name;
    struct tl_params link;
    struct net_tcp_config cfg;
    uint32_t buf;     /* socket buffers, bytes */
    uint64_t bytes;   /* each way */
    bool expect_loss; /* retransmissions must have happened */
};

/* Moves b->bytes each way at once between A and B over the timed link with seed; checks
 * every byte, then closes both ends and waits for every slot to be freed. */
static bool
run_bulk(const struct bulk *b, uint64_t seed)
{
    const struct net_tcp_conn *ca, *cb;
    uint64_t now = 0, next, t;
    int ls, as, bs, k;

    EXPECT(pair(&b->cfg));
    memset(&g_link, 0, sizeof(g_link));
    g_link.p = b->link;
    g_link.rng = seed * 0x9e3779b97f4a7c15ull + 1;
    ls = net_tcp_socket(&g_a.n.s);
    bs = net_tcp_socket(&g_b.n.s);
    EXPECT_ERR(net_tcp_setopt(&g_a.n.s, ls, NET_SO_SNDBUF, b->buf), 0);
    EXPECT_ERR(net_tcp_setopt(&g_a.n.s, ls, NET_SO_RCVBUF, b->buf), 0);
    EXPECT_ERR(net_tcp_setopt(&g_b.n.s, bs, NET_SO_SNDBUF, b->buf), 0);
    EXPECT_ERR(net_tcp_setopt(&g_b.n.s, bs, NET_SO_RCVBUF, b->buf), 0);
    EXPECT_ERR(net_tcp_bind(&g_a.n.s, ls, 80), 0);
    EXPECT_ERR(net_tcp_listen(&g_a.n.s, ls, 1), 0);
    EXPECT_ERR(net_tcp_connect(&g_b.n.s, 0, bs, IP_A, 80), 0);
    as = -1;
    memset(g_flows, 0, sizeof(g_flows));
    for (;;) {
        tl_deliver(&g_link.ab, &g_b.n, now);
        tl_deliver(&g_link.ba, &g_a.n, now);
        net_poll(&g_a.n.s, now);
        net_poll(&g_b.n.s, now);
        if (as < 0 && (as = net_tcp_accept(&g_a.n.s, ls)) >= 0) {
            g_flows[0] = (struct flow){.from = &g_a,
                                       .to = &g_b,
                                       .tx = as,
                                       .rx = bs,
                                       .total = b->bytes,
                                       .gen_tx = seed,
                                       .gen_rx = seed};
            g_flows[1] = (struct flow){.from = &g_b,
                                       .to = &g_a,
                                       .tx = bs,
                                       .rx = as,
                                       .total = b->bytes,
                                       .gen_tx = ~seed,
                                       .gen_rx = ~seed};
        }
        if (as >= 0) {
            for (k = 0; k < 2; k++) {
                if (!flow_pump(&g_flows[k], now)) {
                    return false;
                }
            }
            if (g_flows[0].got == b->bytes && g_flows[1].got == b->bytes) {
                break;
            }
        }
        tl_take(&g_link, &g_a.n, &g_link.ab, true, now);
        tl_take(&g_link, &g_b.n, &g_link.ba, false, now);
        next = umin(umin(net_poll(&g_a.n.s, now), net_poll(&g_b.n.s, now)),
                    umin(tl_next(&g_link.ab), tl_next(&g_link.ba)));
        if (next == NET_NO_DEADLINE) {
            return fail_with(
                "stalled at %llu ms: sent %llu/%llu got %llu/%llu", (unsigned long long)now,
                (unsigned long long)g_flows[0].sent, (unsigned long long)g_flows[1].sent,
                (unsigned long long)g_flows[0].got, (unsigned long long)g_flows[1].got);
        }
        now = next > now ? next : now + 1;
        if (now > 24ull * 3600 * 1000) {
            return fail_with("not done after a virtual day");
        }
    }
    ca = net_tcp_conn(&g_a.n.s, as);
    cb = net_tcp_conn(&g_b.n.s, bs);
    printf("# tcp bulk %s seed %llu: %llu bytes each way in %llu virtual ms; A: %u rexmt "
           "(%u fast, %u RTO) B: %u rexmt (%u fast, %u RTO); link lost %llu/%llu dup %llu "
           "reordered %llu\n",
           b->name, (unsigned long long)seed, (unsigned long long)b->bytes, (unsigned long long)now,
           ca->retransmits, ca->fast_retransmits, ca->timeouts, cb->retransmits,
           cb->fast_retransmits, cb->timeouts,
           (unsigned long long)(g_link.ab.lost + g_link.ba.lost + g_link.ab.overflowed +
                                g_link.ba.overflowed),
           (unsigned long long)(g_link.ab.sent + g_link.ba.sent),
           (unsigned long long)(g_link.ab.duplicated + g_link.ba.duplicated),
           (unsigned long long)(g_link.ab.reordered + g_link.ba.reordered));
    if (b->expect_loss) {
        EXPECT(ca->retransmits > 0 && cb->retransmits > 0);
        EXPECT(ca->fast_retransmits > 0 || cb->fast_retransmits > 0);
    }
    /* Both ends got each other's FIN: close and let the link drain until all is freed. */
    EXPECT(net_tcp_events(&g_a.n.s, as) & NET_TCP_HUP);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, now, as), 0);
    EXPECT_ERR(net_tcp_close(&g_b.n.s, now, bs), 0);
    EXPECT_ERR(net_tcp_close(&g_a.n.s, now, ls), 0);
    for (t = now; t < now + 600000;) {
        tl_deliver(&g_link.ab, &g_b.n, t);
        tl_deliver(&g_link.ba, &g_a.n, t);
        net_poll(&g_a.n.s, t);
        net_poll(&g_b.n.s, t);
        tl_take(&g_link, &g_a.n, &g_link.ab, true, t);
        tl_take(&g_link, &g_b.n, &g_link.ba, false, t);
        next = umin(umin(net_poll(&g_a.n.s, t), net_poll(&g_b.n.s, t)),
                    umin(tl_next(&g_link.ab), tl_next(&g_link.ba)));
        if (next == NET_NO_DEADLINE) {
            break;
        }
        t = next > t ? next : t + 1;
    }
    return end(t);
}

static const struct bulk g_bulks[] = {
    {"clean", {.delay_ms = 5, .bytes_per_ms = 12500}, {0}, 256 * 1024, 16u << 20, false},
    {"lossy",
     {.loss_ppm = 10000,
      .dup_ppm = 5000,
      .reorder_ppm = 10000,
      .delay_ms = 10,
      .reorder_ms = 5,
      .bytes_per_ms = 5000,
      .queue_frames = 200},
     {0},
     256 * 1024,
     12u << 20,
     true},
    {"lossy_no_options",
     {.loss_ppm = 30000,
      .dup_ppm = 10000,
      .reorder_ppm = 30000,
      .delay_ms = 3,
      .reorder_ms = 3,
      .bytes_per_ms = 2000,
      .queue_frames = 40},
     {.no_timestamps = true, .no_wscale = true, .no_sack = true},
     48 * 1024,
     6u << 20,
     true},
};

/* --- Main ---------------------------------------------------------------------------------- */

int
main(int argc, char **argv)
{
    size_t i;
    uint64_t seeds = 1, scale = 1, k;
    char name[64];

    g_long = argc > 1 && strcmp(argv[1], "--long") == 0;
    if (g_long) {
        seeds = 4;
        scale = 8;
    }
    run("tcp/siphash_vectors", test_siphash_vectors);
    run("tcp/wire", test_wire);
    run("tcp/open_data_close_time_wait", test_open_data_close);
    run("tcp/simultaneous_open_close", test_simultaneous_open);
    run("tcp/half_close_bulk", test_half_close_bulk);
    run("tcp/refused_reset_abort", test_refused_and_reset);
    run("tcp/rfc5961_rst_syn_ack", test_rst_syn_ack_defences);
    run("tcp/backlog_syn_cookies", test_backlog_cookies);
    run("tcp/fast_retransmit_newreno", test_fast_retransmit);
    run("tcp/rto_backoff", test_rto_backoff);
    run("tcp/syn_retries", test_syn_retries);
    run("tcp/delayed_ack_nagle", test_delayed_ack_nagle);
    run("tcp/zero_window_probe", test_zero_window);
    run("tcp/keepalive", test_keepalive);
    run("tcp/options_negotiated", test_options_negotiated);
    run("tcp/paws_time_wait_reuse", test_paws_and_time_wait_reuse);
    run("tcp/bogus_tsecr", test_bogus_tsecr);
    run("tcp/api_errors", test_api_errors);
    run("tcp/out_of_memory", test_out_of_memory);
    run("tcp/isn_rfc6528", test_isn);
    run("tcp/sack_receiver_blocks", test_sack_receiver);
    run("tcp/sack_recovery_rfc6675", test_sack_recovery);
    for (i = 0; i < sizeof(g_bulks) / sizeof(g_bulks[0]); i++) {
        struct bulk b = g_bulks[i];
        for (k = 0; k < seeds; k++) {
            b.bytes *= k == 0 ? scale : 1;
            snprintf(name, sizeof(name), "tcp/bulk_%s_seed%llu", b.name, (unsigned long long)k + 1);
            report(name, run_bulk(&b, k + 1));
        }
    }
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
