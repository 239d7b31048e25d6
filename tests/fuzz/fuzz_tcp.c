/*
 * libFuzzer target for lib/net's TCP: segments fed to live connection state. Two stacks, A
 * and B, share a virtual link (tests/unit/net/tcpsim.h); A listens on port 80 and B holds
 * a connection to it when the input starts, so the fuzzer begins in ESTABLISHED.
 *
 * The input is a sequence of records: one op byte, a 16-bit little-endian length, then
 * that many bytes (fewer at the end of the input). Ops (op % 8):
 *   0  a segment to A from B's address: bytes 0 flags, 1-2 and 3-4 sequence and
 *      acknowledgment numbers as signed offsets from the A connection's RCV.NXT and
 *      SND.UNA (op bit 0x80: taken as they are), 5-6 window, 7 option bytes that follow
 *      (padded with EOL to words), then data; op bit 0x20 addresses the listener from
 *      source port 40000 + byte 8 instead of a connection; op bit 0x40 spoils the checksum
 *   1  time advances by bytes 0-1 (ms, times byte 2 + 1); both stacks poll
 *   2  frames cross the link both ways until it is quiet
 *   3  A (byte 0 even) or B sends the rest of the bytes on its connection
 *   4  A or B reads up to bytes 1-2 bytes
 *   5  socket calls by byte 0: shutdown, close, abort on A or B; B connects again; A
 *      accepts; options (TCP_NODELAY, SO_KEEPALIVE) on either
 *   6  frames in flight are lost (byte 0 even) or delivered newest first
 *   7  B's link has byte 0's number of transmit buffers
 *
 * The oracle, after every record: net_check and net_tcp_check hold for both stacks (every
 * pool block owned by the connection that claims it, rings within capacity, sequence
 * numbers ordered, out-of-order ranges sorted within the window, listener counts right);
 * every frame A sends parses with lib/net's parsers with correct checksums, from A's MAC
 * and address. At the end every socket is closed and the timers run out: then every
 * connection slot, pool block and packet buffer must be free again.
 */
#include <vallum/net/tcp.h>

#include <stdio.h>

#include "../unit/net/tcpsim.h"

#define FZ_CONNS 8
#define FZ_POOL (64 * NET_TCP_BLOCK)

static const net_ip4_t IP_A = NET_IP4(10, 0, 2, 1);
static const net_ip4_t IP_B = NET_IP4(10, 0, 2, 2);
static const struct net_mac MAC_A = {{0x02, 0, 0, 0, 0, 1}};

static struct tcp_node a, b;
static int a_listen, a_sock[4], b_sock[4];
static uint8_t frame[NET_FRAME_MAX];
static uint8_t buf[65536];

static uint64_t
umin_(uint64_t x, uint64_t y)
{
    return x < y ? x : y;
}

static void
fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_tcp: %s: %s\n", what, detail);
    abort();
}

static void
check_node(const struct tcp_node *n, const char *name)
{
    char why[200];

    if (!net_check(&n->n.s, why, sizeof(why)) || !net_tcp_check(&n->n.s, why, sizeof(why))) {
        fail(name, why);
    }
}

/* Checks every frame A sent from index from on. */
static void
check_sent(size_t from)
{
    size_t i;

    for (i = from; i < a.n.nout; i++) {
        const uint8_t *f = a.n.out[i].data;
        size_t len = a.n.out[i].len;
        struct net_eth eth;
        struct net_ipv4 ip;
        struct net_tcp_seg seg;

        if (net_eth_parse(f, len, &eth) != 0 || !net_mac_equal(&eth.src, &MAC_A)) {
            fail("sent frame", "bad Ethernet header");
        }
        if (eth.type == NET_ETHERTYPE_ARP) {
            continue;
        }
        if (eth.type != NET_ETHERTYPE_IPV4 ||
            net_ipv4_parse(f + NET_ETH_HDR_LEN, len - NET_ETH_HDR_LEN, &ip) != 0 ||
            ip.src != IP_A) {
            fail("sent frame", "bad IPv4");
        }
        if (ip.proto == NET_PROTO_TCP && !tcp_frame_parse(f, len, &seg, &ip)) {
            fail("sent frame", "bad TCP segment");
        }
    }
}

/* The first of A's connections from B that is not a listener, or NULL. */
static const struct net_tcp_conn *
a_conn(void)
{
    size_t i;

    for (i = 0; i < FZ_CONNS; i++) {
        if (a.conns[i].state > NET_TCP_LISTEN && a.conns[i].raddr == IP_B) {
            return &a.conns[i];
        }
    }
    return NULL;
}

static void
setup(void)
{
    struct net_tcp_config cfg = {.keepidle_ms = 5000, .keepintvl_ms = 500, .msl_ms = 2000};
    int i;

    if (tcp_node_init(&a, 1, IP_A, &cfg, FZ_CONNS, FZ_POOL) != 0 ||
        tcp_node_init(&b, 2, IP_B, &cfg, FZ_CONNS, FZ_POOL) != 0) {
        fail("setup", "init");
    }
    for (i = 0; i < 4; i++) {
        a_sock[i] = b_sock[i] = -1;
    }
    a_listen = net_tcp_socket(&a.n.s);
    net_tcp_setopt(&a.n.s, a_listen, NET_SO_SNDBUF, 4 * NET_TCP_BLOCK);
    net_tcp_setopt(&a.n.s, a_listen, NET_SO_RCVBUF, 4 * NET_TCP_BLOCK);
    net_tcp_bind(&a.n.s, a_listen, 80);
    net_tcp_listen(&a.n.s, a_listen, 2);
    b_sock[0] = net_tcp_socket(&b.n.s);
    net_tcp_connect(&b.n.s, 0, b_sock[0], IP_A, 80);
    sim_settle(&a.n, &b.n, 0);
    a_sock[0] = net_tcp_accept(&a.n.s, a_listen);
    if (a_sock[0] < 0) {
        fail("setup", "no connection");
    }
}

/* Op 0: a segment from B's address to A. */
static void
inject(uint8_t op, const uint8_t *p, size_t n, uint64_t now)
{
    const struct net_tcp_conn *c = a_conn();
    struct net_tcp_seg h = {.wscale = -1};
    uint8_t seg[NET_MTU];
    size_t opt, hl, len;

    if (n < 8) {
        return;
    }
    h.flags = p[0] & 0x3f;
    h.seq = (uint32_t)(int16_t)(p[1] | p[2] << 8);
    h.ack = (uint32_t)(int16_t)(p[3] | p[4] << 8);
    h.wnd = (uint16_t)(p[5] | p[6] << 8);
    opt = p[7] % 41;
    if ((op & 0x20) || c == NULL) {
        h.sport = (uint16_t)(40000 + (n > 8 ? p[8] : 0));
        h.dport = 80;
    } else {
        h.sport = c->rport;
        h.dport = c->lport;
        if (!(op & 0x80)) {
            h.seq += c->rcv_nxt;
            h.ack += c->snd_una;
        }
    }
    if (opt > n - 8) {
        opt = n - 8;
    }
    /* The header by hand: the options are the fuzzer's bytes, not net_tcp_emit_header's. */
    net_tcp_emit_header(seg, &h);
    hl = NET_TCP_HDR_LEN + ((opt + 3) & ~(size_t)3);
    memset(seg + NET_TCP_HDR_LEN, 0, hl - NET_TCP_HDR_LEN);
    memcpy(seg + NET_TCP_HDR_LEN, p + 8, opt);
    seg[NET_TCP_OFF] = (uint8_t)((hl / 4) << 4);
    len = n - 8 - opt;
    if (len > NET_MTU - NET_IP_HDR_LEN - hl) {
        len = NET_MTU - NET_IP_HDR_LEN - hl;
    }
    memcpy(seg + hl, p + 8 + opt, len);
    net_put16(seg + NET_TCP_CSUM, 0);
    net_put16(seg + NET_TCP_CSUM, net_tcp_checksum(seg, hl + len, IP_B, IP_A));
    if (op & 0x40) {
        seg[NET_TCP_CSUM] ^= 1;
    }
    n = sim_ip_frame(frame, &MAC_A, IP_B, IP_A, NET_PROTO_TCP, 1, 0, false, NULL, 0, seg, hl + len);
    net_input(&a.n.s, now, frame, n);
}

/* The socket of a side chosen by k, or -1. */
static int *
pick(int *socks, uint8_t k)
{
    return &socks[k % 4];
}

/* Op 5: socket calls. */
static void
calls(const uint8_t *p, size_t n, uint64_t now)
{
    uint8_t k = n > 1 ? p[1] : 0;
    int *as = pick(a_sock, k), *bs = pick(b_sock, k), i;

    if (n == 0) {
        return;
    }
    switch (p[0] % 12) {
    case 0:
        net_tcp_shutdown(&a.n.s, now, *as);
        break;
    case 1:
        net_tcp_shutdown(&b.n.s, now, *bs);
        break;
    case 2:
        net_tcp_close(&a.n.s, now, *as);
        *as = -1;
        break;
    case 3:
        net_tcp_close(&b.n.s, now, *bs);
        *bs = -1;
        break;
    case 4:
        net_tcp_abort(&a.n.s, now, *as);
        *as = -1;
        break;
    case 5:
        net_tcp_abort(&b.n.s, now, *bs);
        *bs = -1;
        break;
    case 6:
        if (*bs < 0 && (*bs = net_tcp_socket(&b.n.s)) >= 0) {
            net_tcp_connect(&b.n.s, now, *bs, IP_A, 80);
        }
        break;
    case 7:
        for (i = 0; i < 4; i++) {
            if (a_sock[i] < 0) {
                a_sock[i] = net_tcp_accept(&a.n.s, a_listen);
                break;
            }
        }
        break;
    case 8:
        net_tcp_setopt(&a.n.s, *as, NET_TCP_NODELAY, k & 1);
        break;
    case 9:
        net_tcp_setopt(&a.n.s, *as, NET_SO_KEEPALIVE, k & 1);
        break;
    case 10:
        net_tcp_setopt(&b.n.s, *bs, NET_TCP_NODELAY, k & 1);
        break;
    default:
        net_tcp_setopt(&b.n.s, *bs, NET_SO_KEEPALIVE, k & 1);
        break;
    }
}

/* Op 6: frames in flight lost, or delivered newest first. */
static void
disorder(const uint8_t *p, size_t n, uint64_t now)
{
    static struct sim_frame copy[SIM_TXBUFS];
    size_t i, k = a.n.nout;

    if (n > 0 && p[0] % 2 == 0) {
        a.n.nout = b.n.nout = 0;
        return;
    }
    memcpy(copy, a.n.out, k * sizeof(copy[0]));
    a.n.nout = 0;
    for (i = k; i-- > 0;) {
        net_input(&b.n.s, now, copy[i].data, copy[i].len);
    }
}

/* Closes every socket and runs the timers out; then everything must be free. */
static void
finish(uint64_t now)
{
    uint64_t t;
    int i, k;

    for (i = 0; i < 4; i++) {
        net_tcp_close(&a.n.s, now, a_sock[i]);
        net_tcp_close(&b.n.s, now, b_sock[i]);
    }
    net_tcp_close(&a.n.s, now, a_listen);
    a.n.tx_limit = b.n.tx_limit = SIM_TXBUFS;
    for (k = 0; k < 10000; k++) {
        size_t from = a.n.nout;
        t = net_poll(&a.n.s, now);
        t = umin_(t, net_poll(&b.n.s, now));
        check_sent(from);
        sim_settle(&a.n, &b.n, now);
        a.n.nout = b.n.nout = 0;
        if (t == NET_NO_DEADLINE) {
            break;
        }
        now = t > now ? t : now + 1;
    }
    check_node(&a, "A");
    check_node(&b, "B");
    for (i = 0; i < FZ_CONNS; i++) {
        if (a.conns[i].state != NET_TCP_FREE || b.conns[i].state != NET_TCP_FREE) {
            fail("finish", "a connection slot is still in use after every timer ran");
        }
    }
    for (i = 0; i < FZ_POOL / NET_TCP_BLOCK; i++) {
        if (a.used[i] || b.used[i]) {
            fail("finish", "a pool block is still in use");
        }
    }
    if (net_pkts_free(&a.n.s) != SIM_PKTS || net_pkts_free(&b.n.s) != SIM_PKTS) {
        fail("finish", "packet buffers leaked");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t now = 0;
    size_t i = 0, from;
    int n;

    setup();
    while (i < size) {
        uint8_t op = data[i];
        size_t len = i + 2 < size ? (size_t)(data[i + 1] | (data[i + 2] << 8)) : 0;
        const uint8_t *p = data + (i + 3 < size ? i + 3 : size);
        uint8_t k;

        i = i + 3 < size ? i + 3 : size;
        if (len > size - i) {
            len = size - i;
        }
        i += len;
        k = len > 0 ? p[0] : 0;
        from = a.n.nout;
        switch (op % 8) {
        case 0:
            inject(op, p, len, now);
            break;
        case 1:
            if (len >= 3) {
                now += (uint64_t)(p[0] | p[1] << 8) * (uint64_t)(p[2] + 1);
            }
            net_poll(&a.n.s, now);
            net_poll(&b.n.s, now);
            break;
        case 2:
            check_sent(from);
            sim_settle(&a.n, &b.n, now);
            from = a.n.nout = 0;
            break;
        case 3:
            if (len > 0) {
                net_tcp_send(k % 2 ? &b.n.s : &a.n.s, now, *pick(k % 2 ? b_sock : a_sock, k / 2),
                             p + 1, len - 1);
            }
            break;
        case 4:
            n = net_tcp_recv(k % 2 ? &b.n.s : &a.n.s, now, *pick(k % 2 ? b_sock : a_sock, k / 2),
                             buf, len > 2 ? (size_t)(p[1] | p[2] << 8) : sizeof(buf));
            if (n > (int)sizeof(buf)) {
                fail("recv", "more than asked");
            }
            break;
        case 5:
            calls(p, len, now);
            break;
        case 6:
            check_sent(from);
            disorder(p, len, now);
            from = a.n.nout;
            break;
        default:
            b.n.tx_limit = k;
            break;
        }
        check_sent(from);
        check_node(&a, "A");
        check_node(&b, "B");
        /* The outbox is bounded: keep room so that A's sends are not all refused. */
        if (a.n.nout > SIM_TXBUFS / 2) {
            a.n.nout = 0;
        }
    }
    finish(now);
    return 0;
}
