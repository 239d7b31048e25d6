/*
 * Host tests of lib/net under ASan + UBSan: byte-vector tests of each wire format, then
 * stacks on a virtual link (tests/unit/net/netsim.h) exchanging ARP, pings and UDP, and
 * raw frames for reassembly, the ARP cache, ICMP errors and every drop reason. Time is
 * virtual. Every stack test ends with net_check and with every packet buffer back in the
 * pool once the timers have run (end()).
 */
#include <vallum/net/net.h>

#define VLTEST_STRERROR net_strerror
#include "../vltest.h"
#include "netsim.h"

static const net_ip4_t IP_A = NET_IP4(10, 0, 2, 1);
static const net_ip4_t IP_B = NET_IP4(10, 0, 2, 2);
static const net_ip4_t IP_X = NET_IP4(10, 0, 2, 99); /* nobody */
static const net_ip4_t GW = NET_IP4(10, 0, 2, 254);
static const struct net_mac MAC_BCAST = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static struct sim_node g_a, g_b;
static uint8_t g_frame[NET_FRAME_MAX];
static uint8_t g_payload[70000];

/* What the receive and echo handlers saw. */
static struct {
    int calls;
    net_ip4_t src;
    uint16_t sport;
    size_t len;
    uint8_t data[70000];
    uint16_t id, seq;
} g_rx;

static void
rx_record(void *ctx, int sock, net_ip4_t src, uint16_t sport, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)sock;
    g_rx.calls++;
    g_rx.src = src;
    g_rx.sport = sport;
    g_rx.len = len;
    memcpy(g_rx.data, data, len);
}

/* The classic echo service: sends every datagram back (from inside the handler). */
static void
rx_echo(void *ctx, int sock, net_ip4_t src, uint16_t sport, const uint8_t *data, size_t len)
{
    struct sim_node *n = ctx;

    net_udp_sendto(&n->s, 0, sock, src, sport, data, len);
}

static void
echo_record(void *ctx, net_ip4_t src, uint16_t id, uint16_t seq, const uint8_t *data, size_t len)
{
    (void)ctx;
    g_rx.calls++;
    g_rx.src = src;
    g_rx.id = id;
    g_rx.seq = seq;
    g_rx.len = len;
    memcpy(g_rx.data, data, len);
}

static bool
checked(struct sim_node *n)
{
    char why[200];

    if (!net_check(&n->s, why, sizeof(why))) {
        return fail_with("net_check: %s", why);
    }
    return true;
}

/* Runs n's timers far past every timeout; then every buffer must be free again. */
static bool
end(struct sim_node *n, uint64_t now)
{
    uint64_t t = now;
    int i;

    if (!checked(n)) {
        return false;
    }
    /* Every timer ends after a bounded number of steps (ARP retries, then expiry). */
    for (i = 0; i < 100 && t != NET_NO_DEADLINE; i++) {
        t = net_poll(&n->s, t);
    }
    if (t != NET_NO_DEADLINE) {
        return fail_with("timers still run after 100 polls");
    }
    if (!checked(n)) {
        return false;
    }
    if (net_pkts_free(&n->s) != SIM_PKTS) {
        return fail_with("%zu of %d packet buffers free after all timers ran", net_pkts_free(&n->s),
                         SIM_PKTS);
    }
    return true;
}

static bool
two_nodes(void)
{
    memset(&g_rx, 0, sizeof(g_rx));
    /* Reassembly may use the whole pool: the largest datagram needs 45 buffers. */
    return sim_node_init(&g_a, 1, IP_A, GW, SIM_PKTS) == 0 &&
           sim_node_init(&g_b, 2, IP_B, GW, SIM_PKTS) == 0;
}

static uint64_t
drops(const struct sim_node *n, enum net_drop r)
{
    return n->s.stats.rx_drops[r];
}

/* Delivers a frame to node b and returns whether it was dropped for reason r. */
static bool
dropped_for(struct sim_node *n, const uint8_t *f, size_t len, enum net_drop r)
{
    uint64_t before = drops(n, r);

    net_input(&n->s, 0, f, len);
    return drops(n, r) == before + 1;
}

/* Teaches node b that IP_X is at MAC 02:..:99 (so raw frames from "X" can be answered). */
static void
learn_x(struct sim_node *n, uint64_t now)
{
    struct net_arp a = {.op = NET_ARP_REQUEST,
                        .sha = {{0x02, 0, 0, 0, 0, 0x99}},
                        .spa = IP_X,
                        .tpa = n->s.cfg.addr};

    memset(g_frame, 0, 60);
    sim_eth(g_frame, &MAC_BCAST, 0x99, NET_ETHERTYPE_ARP);
    net_arp_emit(g_frame + NET_ETH_HDR_LEN, &a);
    net_input(&n->s, now, g_frame, 60);
    n->nout = 0;
}

/* --- wire formats ------------------------------------------------------------------------ */

static bool
test_checksum_vector(void)
{
    /* RFC 1071 section 3's example: the one's-complement sum is 0xddf2. */
    static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

    EXPECT_EQ(net_csum_finish(net_csum_add(0, b, sizeof(b))), (uint16_t)~0xddf2);
    /* An odd length pads with zero; a split at an even offset gives the same sum. */
    EXPECT_EQ(net_csum_add(0, b, 3), 0x00 * 256 + 0x01 + 0xf200);
    EXPECT_EQ(net_csum_finish(net_csum_add(net_csum_add(0, b, 4), b + 4, 4)),
              net_csum_finish(net_csum_add(0, b, 8)));
    /* Carries out of 32 bits wrap around (one's complement), in both sums. */
    EXPECT_EQ(net_csum_add(0xffffffffu, b, 2), 1);
    EXPECT_EQ(net_csum_pseudo(0xffffffffu, 0, 0, 0, 1), 1);
    return true;
}

static bool
test_eth_parse(void)
{
    struct net_eth e, back;
    uint8_t f[NET_FRAME_MAX + 1] = {0};

    e = (struct net_eth){.dst = {{1, 2, 3, 4, 5, 6}}, .src = {{2, 3, 4, 5, 6, 7}}, .type = 0x0806};
    net_eth_emit(f, &e);
    EXPECT_EQ(f[12], 0x08);
    EXPECT_EQ(f[13], 0x06);
    EXPECT_EQ(net_eth_parse(f, 14, &back), 0);
    EXPECT(net_mac_equal(&back.dst, &e.dst) && net_mac_equal(&back.src, &e.src));
    EXPECT_EQ(back.type, 0x0806);
    EXPECT_ERR(net_eth_parse(f, 13, &back), -NET_DROP_ETH_SHORT);
    EXPECT_ERR(net_eth_parse(f, NET_FRAME_MAX + 1, &back), -NET_DROP_ETH_LONG);
    f[6] = 0x03;
    EXPECT_ERR(net_eth_parse(f, 14, &back), -NET_DROP_ETH_SRC);
    return true;
}

static bool
test_arp_parse(void)
{
    /* A request from 10.0.2.2 (52:54:00:12:34:56) for 10.0.2.15, as QEMU's slirp sends. */
    static const uint8_t req[] = {0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54,
                                  0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x02, 0x02, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x0f};
    uint8_t b[sizeof(req)];
    struct net_arp a;

    EXPECT_EQ(net_arp_parse(req, sizeof(req), &a), 0);
    EXPECT_EQ(a.op, NET_ARP_REQUEST);
    EXPECT_EQ(a.spa, NET_IP4(10, 0, 2, 2));
    EXPECT_EQ(a.tpa, NET_IP4(10, 0, 2, 15));
    EXPECT_EQ(a.sha.b[5], 0x56);
    net_arp_emit(b, &a);
    EXPECT(memcmp(b, req, sizeof(req)) == 0);
    EXPECT_ERR(net_arp_parse(req, sizeof(req) - 1, &a), -NET_DROP_ARP_SHORT);
    memcpy(b, req, sizeof(b));
    b[1] = 6; /* IEEE 802 hardware type */
    EXPECT_ERR(net_arp_parse(b, sizeof(b), &a), -NET_DROP_ARP_FORMAT);
    memcpy(b, req, sizeof(b));
    b[4] = 8;
    EXPECT_ERR(net_arp_parse(b, sizeof(b), &a), -NET_DROP_ARP_FORMAT);
    memcpy(b, req, sizeof(b));
    b[7] = 3; /* RARP */
    EXPECT_ERR(net_arp_parse(b, sizeof(b), &a), -NET_DROP_ARP_OP);
    memcpy(b, req, sizeof(b));
    b[8] = 0x01; /* group sender MAC */
    EXPECT_ERR(net_arp_parse(b, sizeof(b), &a), -NET_DROP_ARP_SENDER);
    memcpy(b, req, sizeof(b));
    b[14] = 224; /* multicast sender address */
    EXPECT_ERR(net_arp_parse(b, sizeof(b), &a), -NET_DROP_ARP_SENDER);
    return true;
}

/* Wikipedia's IPv4 header checksum example: 192.168.0.1 -> 192.168.0.199, UDP. */
static const uint8_t ip_hdr[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

/* Copies ip_hdr with options into b (fixing IHL, length and checksum); returns length. */
static size_t
ip_with_options(uint8_t *b, const uint8_t *opt, size_t olen, size_t total)
{
    memcpy(b, ip_hdr, 20);
    memcpy(b + 20, opt, olen);
    b[0] = (uint8_t)(0x40 | ((20 + olen) / 4));
    net_put16(b + NET_IP_LEN, (uint16_t)total);
    net_put16(b + NET_IP_CSUM, 0);
    net_put16(b + NET_IP_CSUM, net_csum_finish(net_csum_add(0, b, 20 + olen)));
    return total;
}

static bool
test_ipv4_parse(void)
{
    uint8_t b[0x73 + 4] = {0};
    struct net_ipv4 ip, back;
    static const uint8_t ok_opts[] = {0x01, 0x94, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00};
    static const uint8_t lsrr[] = {0x83, 0x07, 0x04, 10, 0, 0, 1, 0x00};
    static const uint8_t runs_over[] = {0x01, 0x01, 0x44, 0x09, 0x05, 0x00, 0x00, 0x00};
    static const uint8_t len_one[] = {0x07, 0x01, 0x00, 0x00};
    static const uint8_t no_len[] = {0x01, 0x01, 0x01, 0x44};

    memcpy(b, ip_hdr, sizeof(ip_hdr));
    EXPECT_EQ(net_ipv4_parse(b, 0x73 + 4, &ip), 0); /* trailing link padding is fine */
    EXPECT_EQ(ip.hdr_len, 20);
    EXPECT_EQ(ip.total_len, 0x73);
    EXPECT(ip.df && !ip.mf);
    EXPECT_EQ(ip.proto, NET_PROTO_UDP);
    EXPECT_EQ(ip.src, NET_IP4(192, 168, 0, 1));
    EXPECT_EQ(ip.dst, NET_IP4(192, 168, 0, 199));
    memset(b, 0, sizeof(b));
    net_ipv4_emit(b, &ip);
    EXPECT(memcmp(b, ip_hdr, sizeof(ip_hdr)) == 0);
    EXPECT_EQ(net_ipv4_parse(b, 0x73, &back), 0);

    EXPECT_ERR(net_ipv4_parse(b, 19, &ip), -NET_DROP_IP_SHORT);
    EXPECT_ERR(net_ipv4_parse(b, 0x72, &ip), -NET_DROP_IP_SHORT);
    b[0] = 0x65;
    EXPECT_ERR(net_ipv4_parse(b, 0x73, &ip), -NET_DROP_IP_VERSION);
    b[0] = 0x44;
    EXPECT_ERR(net_ipv4_parse(b, 0x73, &ip), -NET_DROP_IP_IHL);
    memcpy(b, ip_hdr, 20);
    net_put16(b + NET_IP_LEN, 19);
    EXPECT_ERR(net_ipv4_parse(b, 0x73, &ip), -NET_DROP_IP_LENGTH);
    memcpy(b, ip_hdr, 20);
    b[NET_IP_CSUM + 1] ^= 1;
    EXPECT_ERR(net_ipv4_parse(b, 0x73, &ip), -NET_DROP_IP_CHECKSUM);

    /* Options: NOP and router alert pass; a source route, an option running past the
     * header, a length of 1, and a type without room for its length are rejected. */
    EXPECT_EQ(net_ipv4_parse(b, ip_with_options(b, ok_opts, 8, 0x73), &ip), 0);
    EXPECT_EQ(ip.hdr_len, 28);
    EXPECT_ERR(net_ipv4_parse(b, ip_with_options(b, lsrr, 8, 0x73), &ip),
               -NET_DROP_IP_SOURCE_ROUTE);
    EXPECT_ERR(net_ipv4_parse(b, ip_with_options(b, runs_over, 8, 0x73), &ip),
               -NET_DROP_IP_OPTIONS);
    EXPECT_ERR(net_ipv4_parse(b, ip_with_options(b, len_one, 4, 0x73), &ip), -NET_DROP_IP_OPTIONS);
    EXPECT_ERR(net_ipv4_parse(b, ip_with_options(b, no_len, 4, 0x73), &ip), -NET_DROP_IP_OPTIONS);

    /* Fragments: offset + length beyond 65,535; a non-last fragment not a multiple of 8. */
    memcpy(b, ip_hdr, 20);
    net_put16(b + NET_IP_FRAG, 8189); /* 65,512 bytes in, 0x73 long */
    net_put16(b + NET_IP_CSUM, 0);
    net_put16(b + NET_IP_CSUM, net_csum_finish(net_csum_add(0, b, 20)));
    EXPECT_ERR(net_ipv4_parse(b, 0x73, &ip), -NET_DROP_IP_FRAGMENT);
    net_put16(b + NET_IP_FRAG, NET_IP_FLAG_MF | 1); /* 0x73 - 20 = 95 bytes, not 8k */
    net_put16(b + NET_IP_CSUM, 0);
    net_put16(b + NET_IP_CSUM, net_csum_finish(net_csum_add(0, b, 20)));
    EXPECT_ERR(net_ipv4_parse(b, 0x73, &ip), -NET_DROP_IP_FRAGMENT);
    return true;
}

static bool
test_icmp_udp_parse(void)
{
    uint8_t b[64] = {0};
    struct net_icmp icmp = {.type = NET_ICMP_ECHO_REQUEST, .rest = 0x12340001};
    struct net_udp u;
    net_ip4_t s = NET_IP4(10, 0, 0, 1), d = NET_IP4(10, 0, 0, 2);
    size_t n;

    memcpy(b + 8, "abcde", 5);
    net_icmp_emit(b, &icmp, 5);
    EXPECT_EQ(net_icmp_parse(b, 13, &icmp), 0);
    EXPECT_EQ(icmp.rest, 0x12340001);
    EXPECT_EQ(icmp.data_len, 5);
    EXPECT_ERR(net_icmp_parse(b, 7, &icmp), -NET_DROP_ICMP_SHORT);
    b[9] ^= 0x40;
    EXPECT_ERR(net_icmp_parse(b, 13, &icmp), -NET_DROP_ICMP_CHECKSUM);

    n = sim_udp(b, s, d, 1000, 7, (const uint8_t *)"hello", 5);
    EXPECT_EQ(net_udp_parse(b, n, s, d, &u), 0);
    EXPECT_EQ(u.sport, 1000);
    EXPECT_EQ(u.dport, 7);
    EXPECT_EQ(u.payload_len, 5);
    EXPECT(memcmp(u.payload, "hello", 5) == 0);
    EXPECT_EQ(net_udp_parse(b, n + 3, s, d, &u), 0); /* IP payload longer than UDP's */
    /* The pseudo-header counts: the same bytes from another source do not verify. */
    EXPECT_ERR(net_udp_parse(b, n, s + 1, d, &u), -NET_DROP_UDP_CHECKSUM);
    EXPECT_ERR(net_udp_parse(b, 7, s, d, &u), -NET_DROP_UDP_SHORT);
    EXPECT_ERR(net_udp_parse(b, n - 1, s, d, &u), -NET_DROP_UDP_LENGTH);
    net_put16(b + NET_UDP_LEN, 7);
    EXPECT_ERR(net_udp_parse(b, n, s, d, &u), -NET_DROP_UDP_LENGTH);
    net_put16(b + NET_UDP_LEN, (uint16_t)n);
    net_put16(b + NET_UDP_CSUM, 0); /* no checksum: accepted */
    EXPECT_EQ(net_udp_parse(b, n, s + 1, d, &u), 0);
    EXPECT(strcmp(net_drop_name(NET_DROP_UDP_CHECKSUM), "udp_checksum") == 0);
    EXPECT(strcmp(net_drop_name(NET_DROP_COUNT), "?") == 0);
    return true;
}

/* --- creating a stack -------------------------------------------------------------------- */

static bool
test_init_errors(void)
{
    static struct sim_node n;
    struct net_config cfg = {
        .mac = {{0x02, 0, 0, 0, 0, 1}}, .addr = IP_A, .netmask = NET_IP4(255, 255, 255, 0)};
    struct net_mem mem = {n.arp,     SIM_ARP,     n.pkts,        SIM_PKTS, n.reass,
                          SIM_REASS, n.reass_buf, SIM_REASS_BUF, n.udp,    SIM_UDP};
    struct net_netif netif = {sim_tx_acquire, sim_tx_submit, &n};
    struct net_config c;
    struct net_mem m;

    EXPECT_EQ(net_init(&n.s, &cfg, &mem, &netif), 0);
    m = mem;
    m.arp_count = 0;
    EXPECT_ERR(net_init(&n.s, &cfg, &m, &netif), -NET_EINVAL);
    m = mem;
    m.pkt_count = NET_PKT_NONE;
    EXPECT_ERR(net_init(&n.s, &cfg, &m, &netif), -NET_EINVAL);
    m = mem;
    m.udp_count = 0;
    EXPECT_ERR(net_init(&n.s, &cfg, &m, &netif), -NET_EINVAL);
    m = mem;
    m.reass_buf_len = 65536;
    EXPECT_ERR(net_init(&n.s, &cfg, &m, &netif), -NET_EINVAL);
    c = cfg;
    c.mac.b[0] = 0x01;
    EXPECT_ERR(net_init(&n.s, &c, &mem, &netif), -NET_EINVAL);
    c = cfg;
    c.netmask = NET_IP4(255, 0, 255, 0);
    EXPECT_ERR(net_init(&n.s, &c, &mem, &netif), -NET_EINVAL);
    c = cfg;
    c.addr = NET_IP4(10, 0, 2, 255); /* the subnet's broadcast */
    EXPECT_ERR(net_init(&n.s, &c, &mem, &netif), -NET_EINVAL);
    c = cfg;
    c.addr = NET_IP4(127, 0, 0, 1);
    EXPECT_ERR(net_init(&n.s, &c, &mem, &netif), -NET_EINVAL);
    c = cfg;
    c.gateway = NET_IP4(10, 0, 3, 1); /* not on the subnet */
    EXPECT_ERR(net_init(&n.s, &c, &mem, &netif), -NET_EINVAL);
    /* net_set_addr checks the same, and a failed call changes nothing. */
    EXPECT_EQ(net_init(&n.s, &cfg, &mem, &netif), 0);
    EXPECT_ERR(net_set_addr(&n.s, NET_IP4(224, 0, 0, 1), NET_IP4(255, 255, 255, 0), 0),
               -NET_EINVAL);
    EXPECT_EQ(n.s.cfg.addr, IP_A);
    EXPECT_EQ(net_set_addr(&n.s, NET_IP4(192, 168, 1, 5), NET_IP4(255, 255, 255, 0), 0), 0);
    EXPECT_EQ(n.s.cfg.addr, NET_IP4(192, 168, 1, 5));
    EXPECT(strcmp(net_strerror(-NET_EBADF), "NET_EBADF") == 0);
    EXPECT(strcmp(net_strerror(99), "NET_E?") == 0);
    return checked(&n);
}

/* --- two stacks back to back ------------------------------------------------------------- */

static bool
test_link_ping(void)
{
    static const uint8_t data[] = "ping payload 0123456789";

    EXPECT(two_nodes());
    net_set_echo_handler(&g_a.s, echo_record, NULL);
    EXPECT_EQ(net_ping(&g_a.s, 0, IP_B, 0x1234, 7, data, sizeof(data)), 0);
    /* The echo request waits for ARP: one broadcast request went out. */
    EXPECT_EQ(g_a.nout, 1);
    EXPECT_EQ(g_a.s.stats.arp_requests_sent, 1);
    EXPECT(memcmp(g_a.out[0].data, MAC_BCAST.b, 6) == 0);
    EXPECT_EQ(net_pkts_free(&g_a.s), SIM_PKTS - 1);
    EXPECT(checked(&g_a));
    sim_settle(&g_a, &g_b, 1);
    EXPECT_EQ(g_b.s.stats.arp_replies_sent, 1);
    EXPECT_EQ(g_b.s.stats.icmp_echo_replied, 1);
    EXPECT_EQ(g_rx.calls, 1);
    EXPECT_EQ(g_rx.src, IP_B);
    EXPECT_EQ(g_rx.id, 0x1234);
    EXPECT_EQ(g_rx.seq, 7);
    EXPECT_EQ(g_rx.len, sizeof(data));
    EXPECT(memcmp(g_rx.data, data, sizeof(data)) == 0);
    /* B learned A from its request, so B answered without asking. */
    EXPECT_EQ(g_b.s.stats.arp_requests_sent, 0);
    /* A second ping needs no ARP. */
    EXPECT_EQ(net_ping(&g_a.s, 2, IP_B, 0x1234, 8, data, 4), 0);
    EXPECT_EQ(g_a.nout, 1);
    sim_settle(&g_a, &g_b, 2);
    EXPECT_EQ(g_rx.calls, 2);
    EXPECT_EQ(g_rx.seq, 8);
    EXPECT_EQ(g_a.s.stats.arp_requests_sent, 1);
    return end(&g_a, 2) && end(&g_b, 2);
}

static bool
test_link_udp_echo(void)
{
    int a, b;
    size_t sizes[] = {0, 1, 1472, 1473, 8000, 65507};
    size_t i, k;

    EXPECT(two_nodes());
    b = net_udp_bind(&g_b.s, 7, rx_echo, &g_b);
    EXPECT_EQ(b, 0);
    a = net_udp_bind(&g_a.s, 0, rx_record, NULL);
    EXPECT(a >= 0);
    EXPECT_EQ(net_udp_port(&g_a.s, a), NET_EPHEMERAL_FIRST);
    for (i = 0; i < sizeof(g_payload); i++) {
        g_payload[i] = (uint8_t)(i * 7 + (i >> 8));
    }
    /* A datagram of more fragments than may wait for ARP is refused, but ARP asks ... */
    EXPECT_ERR(net_udp_sendto(&g_a.s, 0, a, IP_B, 7, g_payload, 8000), -NET_ENOBUFS);
    EXPECT_EQ(g_a.nout, 1);
    EXPECT_EQ(g_a.s.stats.arp_requests_sent, 1);
    EXPECT_EQ(net_pkts_free(&g_a.s), SIM_PKTS);
    /* ... and asks only once while the answer is awaited. */
    EXPECT_ERR(net_udp_sendto(&g_a.s, 0, a, IP_B, 7, g_payload, 8000), -NET_ENOBUFS);
    EXPECT_EQ(g_a.s.stats.arp_requests_sent, 1);
    /* Four fragments may wait. */
    EXPECT_EQ(net_udp_sendto(&g_a.s, 0, a, IP_B, 7, g_payload, 4 * 1480 - 8), 0);
    sim_settle(&g_a, &g_b, 0);
    EXPECT_EQ(g_rx.calls, 1);
    EXPECT_EQ(g_rx.len, 4 * 1480 - 8);
    EXPECT_EQ(g_b.s.stats.reassembled, 1);
    g_b.s.stats.reassembled = 0;
    g_a.s.stats.reassembled = 0;
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        memset(&g_rx, 0, sizeof(g_rx));
        EXPECT_EQ(net_udp_sendto(&g_a.s, 1, a, IP_B, 7, g_payload, sizes[i]), 0);
        /* Fragments: ceil((8 + n) / 1480) frames. */
        k = (8 + sizes[i] + 1479) / 1480;
        EXPECT_EQ(g_a.nout, k);
        sim_settle(&g_a, &g_b, 1);
        EXPECT_EQ(g_rx.calls, 1);
        EXPECT_EQ(g_rx.len, sizes[i]);
        EXPECT_EQ(g_rx.src, IP_B);
        EXPECT_EQ(g_rx.sport, 7);
        EXPECT(memcmp(g_rx.data, g_payload, sizes[i]) == 0);
        EXPECT(checked(&g_a) && checked(&g_b));
    }
    EXPECT_EQ(g_b.s.stats.reassembled, 3);
    EXPECT_EQ(g_a.s.stats.reassembled, 3);
    return end(&g_a, 1) && end(&g_b, 1);
}

static bool
test_udp_api_errors(void)
{
    int socks[SIM_UDP];
    int i, a;

    EXPECT(two_nodes());
    EXPECT_ERR(net_udp_bind(&g_a.s, 7, NULL, NULL), -NET_EINVAL);
    for (i = 0; i < SIM_UDP; i++) {
        socks[i] = net_udp_bind(&g_a.s, (uint16_t)(100 + i), rx_record, NULL);
        EXPECT_EQ(socks[i], i);
    }
    EXPECT_ERR(net_udp_bind(&g_a.s, 200, rx_record, NULL), -NET_EAGAIN);
    EXPECT_EQ(net_udp_close(&g_a.s, socks[1]), 0);
    EXPECT_ERR(net_udp_close(&g_a.s, socks[1]), -NET_EBADF);
    EXPECT_ERR(net_udp_close(&g_a.s, -1), -NET_EBADF);
    EXPECT_ERR(net_udp_close(&g_a.s, SIM_UDP), -NET_EBADF);
    EXPECT_ERR(net_udp_bind(&g_a.s, 100, rx_record, NULL), -NET_EADDRINUSE);
    a = net_udp_bind(&g_a.s, 0, rx_record, NULL);
    EXPECT_EQ(a, 1);
    EXPECT_EQ(net_udp_port(&g_a.s, 1), NET_EPHEMERAL_FIRST);
    EXPECT_EQ(net_udp_port(&g_a.s, 99), 0);
    EXPECT_ERR(net_udp_sendto(&g_a.s, 0, 99, IP_B, 7, "x", 1), -NET_EBADF);
    EXPECT_ERR(net_udp_sendto(&g_a.s, 0, a, IP_B, 0, "x", 1), -NET_EINVAL);
    EXPECT_ERR(net_udp_sendto(&g_a.s, 0, a, 0, 7, "x", 1), -NET_EINVAL);
    EXPECT_ERR(net_udp_sendto(&g_a.s, 0, a, NET_IP4(224, 0, 0, 1), 7, "x", 1), -NET_EINVAL);
    EXPECT_ERR(net_udp_sendto(&g_a.s, 0, a, IP_B, 7, g_payload, 65508), -NET_EMSGSIZE);
    EXPECT_ERR(net_ping(&g_a.s, 0, IP_B, 1, 1, g_payload, 65508), -NET_EMSGSIZE);
    EXPECT_ERR(net_ping(&g_a.s, 0, 0, 1, 1, "x", 1), -NET_EINVAL);
    EXPECT_EQ(g_a.nout, 0);
    /* Off-link without a gateway; with no address at all. */
    EXPECT_EQ(net_set_addr(&g_a.s, IP_A, NET_IP4(255, 255, 255, 0), 0), 0);
    EXPECT_ERR(net_udp_sendto(&g_a.s, 0, a, NET_IP4(8, 8, 8, 8), 53, "x", 1), -NET_EHOSTUNREACH);
    EXPECT_EQ(net_set_addr(&g_a.s, 0, 0, 0), 0);
    EXPECT_ERR(net_udp_sendto(&g_a.s, 0, a, IP_B, 7, "x", 1), -NET_EHOSTUNREACH);
    /* Broadcast needs no route nor ARP: a DHCP discover goes out at once, from 0.0.0.0. */
    EXPECT_EQ(net_udp_sendto(&g_a.s, 0, a, NET_IP4_BROADCAST, 67, "x", 1), 0);
    EXPECT_EQ(g_a.nout, 1);
    EXPECT(memcmp(g_a.out[0].data, MAC_BCAST.b, 6) == 0);
    EXPECT_EQ(net_get32(g_a.out[0].data + NET_ETH_HDR_LEN + NET_IP_SRC), 0);
    /* Out of transmit buffers: -NET_ENOBUFS, counted, nothing held. */
    g_a.tx_limit = g_a.nout;
    EXPECT_ERR(net_udp_sendto(&g_a.s, 0, a, NET_IP4_BROADCAST, 67, "x", 1), -NET_ENOBUFS);
    EXPECT_EQ(drops(&g_a, NET_DROP_TX_NO_BUFFER), 1);
    /* The off-link route goes through the gateway's MAC: ARP asks for the gateway. */
    g_a.tx_limit = SIM_TXBUFS;
    g_a.nout = 0;
    EXPECT_EQ(net_set_addr(&g_a.s, IP_A, NET_IP4(255, 255, 255, 0), GW), 0);
    EXPECT_EQ(net_udp_sendto(&g_a.s, 0, a, NET_IP4(8, 8, 8, 8), 53, "x", 1), 0);
    EXPECT_EQ(g_a.nout, 1);
    EXPECT_EQ(net_get32(g_a.out[0].data + NET_ETH_HDR_LEN + NET_ARP_TPA), GW);
    return end(&g_a, 0);
}

/* --- ARP -------------------------------------------------------------------------------- */

static bool
test_arp_expiry(void)
{
    uint64_t t;
    int a;

    EXPECT(two_nodes());
    a = net_udp_bind(&g_a.s, 0, rx_record, NULL);
    EXPECT_EQ(net_udp_sendto(&g_a.s, 0, a, IP_B, 9, "x", 1), 0);
    sim_settle(&g_a, &g_b, 0);
    EXPECT_EQ(g_a.s.stats.arp_requests_sent, 1);
    /* Resolved: the next deadline is the entry's expiry. */
    t = net_poll(&g_a.s, 1);
    EXPECT_EQ(t, NET_ARP_REACHABLE_MS);
    EXPECT_EQ(net_udp_sendto(&g_a.s, t - 1, a, IP_B, 9, "x", 1), 0);
    EXPECT_EQ(g_a.s.stats.arp_requests_sent, 1);
    sim_settle(&g_a, &g_b, t - 1);
    EXPECT_EQ(net_poll(&g_a.s, t), NET_NO_DEADLINE);
    /* Expired: asking again. */
    EXPECT_EQ(net_udp_sendto(&g_a.s, t, a, IP_B, 9, "x", 1), 0);
    EXPECT_EQ(g_a.s.stats.arp_requests_sent, 2);
    sim_settle(&g_a, &g_b, t);
    EXPECT_EQ(drops(&g_b, NET_DROP_UDP_NO_PORT), 3);
    return end(&g_a, t) && end(&g_b, t);
}

static bool
test_arp_unresolved(void)
{
    uint64_t t = 0;
    int a, i;

    EXPECT(two_nodes());
    a = net_udp_bind(&g_a.s, 0, rx_record, NULL);
    EXPECT_EQ(net_udp_sendto(&g_a.s, 0, a, IP_X, 9, "x", 1), 0);
    for (i = 1; i < NET_ARP_TRIES; i++) {
        t = net_poll(&g_a.s, t);
        EXPECT_EQ(t, (uint64_t)i * NET_ARP_RETRY_MS);
        EXPECT_EQ(g_a.s.stats.arp_requests_sent, (uint64_t)i);
    }
    t = net_poll(&g_a.s, t);
    EXPECT_EQ(g_a.s.stats.arp_requests_sent, NET_ARP_TRIES);
    EXPECT_EQ(t, (uint64_t)NET_ARP_TRIES * NET_ARP_RETRY_MS);
    EXPECT_EQ(net_pkts_free(&g_a.s), SIM_PKTS - 1);
    /* No answer after the last try: the waiting datagram is dropped. */
    EXPECT_EQ(net_poll(&g_a.s, t), NET_NO_DEADLINE);
    EXPECT_EQ(drops(&g_a, NET_DROP_ARP_UNRESOLVED), 1);
    EXPECT_EQ(net_pkts_free(&g_a.s), SIM_PKTS);
    return end(&g_a, t);
}

static bool
test_arp_pending_bound(void)
{
    uint8_t v;
    int a, b;

    EXPECT(two_nodes());
    a = net_udp_bind(&g_a.s, 0, rx_record, NULL);
    b = net_udp_bind(&g_b.s, 9, rx_record, NULL);
    EXPECT(a >= 0 && b >= 0);
    for (v = 0; v < 10; v++) {
        EXPECT_EQ(net_udp_sendto(&g_a.s, 0, a, IP_B, 9, &v, 1), 0);
        EXPECT(checked(&g_a));
    }
    EXPECT_EQ(g_a.s.stats.arp_requests_sent, 1);
    EXPECT_EQ(net_pkts_free(&g_a.s), SIM_PKTS - NET_ARP_PENDING_MAX);
    EXPECT_EQ(drops(&g_a, NET_DROP_ARP_PENDING_FULL), 10 - NET_ARP_PENDING_MAX);
    /* The newest wait; when B answers they go in order, and only they. */
    sim_carry(&g_a, &g_b, 0);
    EXPECT_EQ(sim_carry(&g_b, &g_a, 0), 1);
    EXPECT_EQ(g_a.nout, NET_ARP_PENDING_MAX);
    EXPECT_EQ(net_pkts_free(&g_a.s), SIM_PKTS);
    for (v = 0; v < NET_ARP_PENDING_MAX; v++) {
        const uint8_t *f = g_a.out[v].data;
        EXPECT(memcmp(f, g_b.s.cfg.mac.b, 6) == 0);
        EXPECT_EQ(f[NET_ETH_HDR_LEN + NET_IP_HDR_LEN + NET_UDP_HDR_LEN],
                  10 - NET_ARP_PENDING_MAX + v);
    }
    sim_settle(&g_a, &g_b, 0);
    EXPECT_EQ(g_rx.calls, NET_ARP_PENDING_MAX);
    EXPECT_EQ(g_rx.data[0], 9);
    return end(&g_a, 0) && end(&g_b, 0);
}

static bool
test_arp_table_full(void)
{
    int a, i;

    EXPECT(two_nodes());
    a = net_udp_bind(&g_a.s, 0, rx_record, NULL);
    /* SIM_ARP + 2 unresolved neighbours: each new one takes the oldest entry, dropping its
     * waiting datagram; the table never grows. */
    for (i = 0; i < SIM_ARP + 2; i++) {
        EXPECT_EQ(net_udp_sendto(&g_a.s, (uint64_t)i, a, NET_IP4(10, 0, 2, 10 + i), 9, "x", 1), 0);
        EXPECT(checked(&g_a));
    }
    EXPECT_EQ(drops(&g_a, NET_DROP_ARP_NO_ENTRY), 2);
    EXPECT_EQ(net_pkts_free(&g_a.s), SIM_PKTS - SIM_ARP);
    for (i = 0; i < SIM_ARP; i++) {
        EXPECT(g_a.s.mem.arp[i].ip != NET_IP4(10, 0, 2, 10) &&
               g_a.s.mem.arp[i].ip != NET_IP4(10, 0, 2, 11));
    }
    return end(&g_a, SIM_ARP + 2);
}

static bool
test_arp_rejects(void)
{
    struct net_arp a = {
        .op = NET_ARP_REQUEST, .sha = {{0x02, 0, 0, 0, 0, 0x99}}, .spa = IP_X, .tpa = IP_A};
    uint8_t *arp = g_frame + NET_ETH_HDR_LEN;
    struct net_arp r;

    EXPECT(two_nodes());
    memset(g_frame, 0, sizeof(g_frame));
    sim_eth(g_frame, &MAC_BCAST, 0x99, NET_ETHERTYPE_ARP);
    /* Someone claiming our address: not learned, not answered. */
    a.spa = IP_A;
    net_arp_emit(arp, &a);
    EXPECT(dropped_for(&g_a, g_frame, 60, NET_DROP_ARP_SENDER));
    EXPECT_EQ(g_a.nout, 0);
    /* A probe (RFC 5227) for our address is answered, and teaches nothing. */
    a.spa = 0;
    net_arp_emit(arp, &a);
    net_input(&g_a.s, 0, g_frame, 60);
    EXPECT_EQ(g_a.nout, 1);
    EXPECT_EQ(net_arp_parse(g_a.out[0].data + NET_ETH_HDR_LEN, NET_ARP_LEN, &r), 0);
    EXPECT_EQ(r.op, NET_ARP_REPLY);
    EXPECT_EQ(r.spa, IP_A);
    EXPECT(net_mac_equal(&r.sha, &g_a.s.cfg.mac));
    EXPECT_EQ(g_a.out[0].len, 60); /* padded to Ethernet's minimum */
    EXPECT_EQ(g_a.s.mem.arp[0].state, NET_ARP_FREE);
    /* A request for someone else from an unknown host: not learned (no cache churn). */
    a.spa = IP_X;
    a.tpa = IP_B;
    net_arp_emit(arp, &a);
    EXPECT(dropped_for(&g_a, g_frame, 60, NET_DROP_ARP_NOT_US));
    EXPECT_EQ(g_a.s.mem.arp[0].state, NET_ARP_FREE);
    EXPECT(dropped_for(&g_a, g_frame, NET_ETH_HDR_LEN + 27, NET_DROP_ARP_SHORT));
    /* Frames not for us at the Ethernet layer; EtherTypes we do not speak. */
    g_frame[0] = 0x02;
    EXPECT(dropped_for(&g_a, g_frame, 60, NET_DROP_ETH_NOT_US));
    g_frame[0] = 0x01; /* a multicast group we did not join */
    EXPECT(dropped_for(&g_a, g_frame, 60, NET_DROP_ETH_NOT_US));
    sim_eth(g_frame, &MAC_BCAST, 0x99, NET_ETHERTYPE_IPV6);
    EXPECT(dropped_for(&g_a, g_frame, 60, NET_DROP_ETH_TYPE));
    sim_eth(g_frame, &MAC_BCAST, 0x99, 0x8100);
    EXPECT(dropped_for(&g_a, g_frame, 60, NET_DROP_ETH_TYPE));
    EXPECT(dropped_for(&g_a, g_frame, 10, NET_DROP_ETH_SHORT));
    return end(&g_a, 0);
}

/* --- IPv4 input ------------------------------------------------------------------------- */

static bool
test_ip_input_checks(void)
{
    uint8_t u[64];
    size_t n, len;
    const struct net_mac *mac;
    static const uint8_t opts[] = {0x94, 0x04, 0x00, 0x00}; /* router alert */
    int b;

    EXPECT(two_nodes());
    mac = &g_b.s.cfg.mac;
    learn_x(&g_b, 0);
    b = net_udp_bind(&g_b.s, 9, rx_record, NULL);
    EXPECT(b >= 0);
    n = sim_udp(u, IP_X, IP_B, 5000, 9, (const uint8_t *)"data", 4);
    len = sim_ip_frame(g_frame, mac, IP_X, IP_B, NET_PROTO_UDP, 1, 0, false, NULL, 0, u, n);
    net_input(&g_b.s, 0, g_frame, len);
    EXPECT_EQ(g_rx.calls, 1);
    /* With options, TTL 0 and link padding: still delivered (hosts ignore TTL). */
    len = sim_ip_frame(g_frame, mac, IP_X, IP_B, NET_PROTO_UDP, 2, 0, false, opts, 4, u, n);
    g_frame[NET_ETH_HDR_LEN + NET_IP_TTL] = 0;
    net_put16(g_frame + NET_ETH_HDR_LEN + NET_IP_CSUM, 0);
    net_put16(g_frame + NET_ETH_HDR_LEN + NET_IP_CSUM,
              net_csum_finish(net_csum_add(0, g_frame + NET_ETH_HDR_LEN, 24)));
    net_input(&g_b.s, 0, g_frame, len + 10);
    EXPECT_EQ(g_rx.calls, 2);
    EXPECT_EQ(g_rx.len, 4);
    /* Header checksum, UDP checksum, addresses. */
    len = sim_ip_frame(g_frame, mac, IP_X, IP_B, NET_PROTO_UDP, 3, 0, false, NULL, 0, u, n);
    g_frame[NET_ETH_HDR_LEN + NET_IP_CSUM] ^= 0x10;
    EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_IP_CHECKSUM));
    len = sim_ip_frame(g_frame, mac, IP_X, IP_B, NET_PROTO_UDP, 3, 0, false, NULL, 0, u, n);
    g_frame[len - 1] ^= 0x10;
    EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_UDP_CHECKSUM));
    len = sim_ip_frame(g_frame, mac, IP_X, IP_A, NET_PROTO_UDP, 3, 0, false, NULL, 0, u, n);
    EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_IP_NOT_US));
    len = sim_ip_frame(g_frame, mac, IP_X, NET_IP4(224, 0, 0, 1), NET_PROTO_UDP, 3, 0, false, NULL,
                       0, u, n);
    EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_IP_NOT_US));
    len = sim_ip_frame(g_frame, mac, NET_IP4(224, 0, 0, 1), IP_B, NET_PROTO_UDP, 3, 0, false, NULL,
                       0, u, n);
    EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_IP_SRC));
    len = sim_ip_frame(g_frame, mac, IP_B, IP_B, NET_PROTO_UDP, 3, 0, false, NULL, 0, u, n);
    EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_IP_SRC));
    len = sim_ip_frame(g_frame, mac, NET_IP4(127, 0, 0, 1), IP_B, NET_PROTO_UDP, 3, 0, false, NULL,
                       0, u, n);
    EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_IP_SRC));
    len = sim_ip_frame(g_frame, mac, NET_IP4(10, 0, 2, 255), IP_B, NET_PROTO_UDP, 3, 0, false, NULL,
                       0, u, n);
    EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_IP_SRC));
    /* Truncated by the link. */
    len = sim_ip_frame(g_frame, mac, IP_X, IP_B, NET_PROTO_UDP, 3, 0, false, NULL, 0, u, n);
    EXPECT(dropped_for(&g_b, g_frame, len - 1, NET_DROP_IP_SHORT));
    /* Directed broadcast to a bound port is delivered; to an unbound one draws no error. */
    len = sim_ip_frame(g_frame, &MAC_BCAST, IP_X, NET_IP4(10, 0, 2, 255), NET_PROTO_UDP, 4, 0,
                       false, NULL, 0, u,
                       sim_udp(u, IP_X, NET_IP4(10, 0, 2, 255), 5000, 9, (const uint8_t *)"bc", 2));
    net_input(&g_b.s, 0, g_frame, len);
    EXPECT_EQ(g_rx.calls, 3);
    EXPECT_EQ(g_b.nout, 0);
    return end(&g_b, 0);
}

/* --- ICMP ------------------------------------------------------------------------------- */

static bool
test_icmp_errors(void)
{
    uint8_t u[64];
    size_t n, len;
    const struct net_mac *mac;
    struct net_ipv4 ip;
    struct net_icmp icmp;
    const uint8_t *f;
    int i;

    EXPECT(two_nodes());
    mac = &g_b.s.cfg.mac;
    learn_x(&g_b, 0);
    n = sim_udp(u, IP_X, IP_B, 5000, 9, (const uint8_t *)"data", 4);
    len = sim_ip_frame(g_frame, mac, IP_X, IP_B, NET_PROTO_UDP, 1, 0, false, NULL, 0, u, n);
    net_input(&g_b.s, 0, g_frame, len);
    /* Port unreachable, quoting the header and the first 8 bytes of the datagram. */
    EXPECT_EQ(g_b.nout, 1);
    f = g_b.out[0].data + NET_ETH_HDR_LEN;
    EXPECT_EQ(net_ipv4_parse(f, g_b.out[0].len - NET_ETH_HDR_LEN, &ip), 0);
    EXPECT_EQ(ip.dst, IP_X);
    EXPECT_EQ(ip.ttl, NET_DEFAULT_TTL);
    EXPECT_EQ(net_icmp_parse(f + 20, ip.total_len - 20u, &icmp), 0);
    EXPECT_EQ(icmp.type, NET_ICMP_DEST_UNREACH);
    EXPECT_EQ(icmp.code, NET_ICMP_UNREACH_PORT);
    EXPECT_EQ(icmp.data_len, 28);
    EXPECT(memcmp(icmp.data, g_frame + NET_ETH_HDR_LEN, 28) == 0);
    /* Protocol unreachable for a protocol we do not speak. */
    len = sim_ip_frame(g_frame, mac, IP_X, IP_B, 200, 2, 0, false, NULL, 0, u, n);
    EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_IP_PROTO));
    EXPECT_EQ(g_b.nout, 2);
    EXPECT_EQ(g_b.out[1].data[NET_ETH_HDR_LEN + 20 + NET_ICMP_CODE], NET_ICMP_UNREACH_PROTO);
    /* None about an ICMP error, a broadcast, or a datagram from 0.0.0.0. */
    {
        uint8_t m[16];
        struct net_icmp e = {.type = NET_ICMP_DEST_UNREACH, .code = 1};
        memset(m, 0, sizeof(m));
        net_icmp_emit(m, &e, 8);
        len = sim_ip_frame(g_frame, mac, IP_X, IP_B, NET_PROTO_ICMP, 3, 0, false, NULL, 0, m, 16);
        EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_ICMP_UNHANDLED));
        m[NET_ICMP_CODE] = 0;
        m[NET_ICMP_TYPE] = 42; /* unknown type */
        net_icmp_emit(m, &(struct net_icmp){.type = 42}, 8);
        len = sim_ip_frame(g_frame, mac, IP_X, IP_B, NET_PROTO_ICMP, 3, 0, false, NULL, 0, m, 16);
        EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_ICMP_UNHANDLED));
        g_frame[len - 1] ^= 1;
        EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_ICMP_CHECKSUM));
        len = sim_ip_frame(g_frame, mac, IP_X, IP_B, NET_PROTO_ICMP, 3, 0, false, NULL, 0, m, 7);
        EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_ICMP_SHORT));
        len = sim_ip_frame(g_frame, &MAC_BCAST, IP_X, NET_IP4_BROADCAST, 200, 3, 0, false, NULL, 0,
                           u, n);
        EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_IP_PROTO));
        len = sim_ip_frame(g_frame, mac, 0, IP_B, 200, 3, 0, false, NULL, 0, u, n);
        EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_IP_PROTO));
        /* A unicast datagram in a link broadcast is a broadcast too. */
        len = sim_ip_frame(g_frame, &MAC_BCAST, IP_X, IP_B, 200, 3, 0, false, NULL, 0, u, n);
        EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_IP_PROTO));
        EXPECT_EQ(g_b.nout, 2);
    }
    /* The rate limit: a burst, then one per 1000/rate ms. */
    g_b.nout = 0;
    len = sim_ip_frame(g_frame, mac, IP_X, IP_B, 200, 4, 0, false, NULL, 0, u, n);
    for (i = 0; i < 3 * NET_ICMP_BURST; i++) {
        net_input(&g_b.s, 100, g_frame, len);
    }
    /* Two errors were spent above at t=0; 100 ms refilled 100 * rate / 1000 of them. */
    EXPECT_EQ(g_b.nout, NET_ICMP_BURST);
    EXPECT_EQ(drops(&g_b, NET_DROP_ICMP_RATE), 2 * NET_ICMP_BURST);
    net_input(&g_b.s, 100 + 1000 / NET_ICMP_RATE_PER_S - 1, g_frame, len);
    EXPECT_EQ(g_b.nout, NET_ICMP_BURST);
    net_input(&g_b.s, 100 + 1000 / NET_ICMP_RATE_PER_S, g_frame, len);
    EXPECT_EQ(g_b.nout, NET_ICMP_BURST + 1);
    /* A long silence refills the burst and no more (X's ARP entry expired meanwhile). */
    learn_x(&g_b, 1000000);
    len = sim_ip_frame(g_frame, mac, IP_X, IP_B, 200, 5, 0, false, NULL, 0, u, n);
    for (i = 0; i < 3 * NET_ICMP_BURST; i++) {
        net_input(&g_b.s, 1000000, g_frame, len);
    }
    EXPECT_EQ(g_b.nout, NET_ICMP_BURST);
    return end(&g_b, 1000000);
}

static bool
test_icmp_echo_raw(void)
{
    uint8_t m[64];
    size_t len;
    const struct net_mac *mac;
    struct net_icmp e = {.type = NET_ICMP_ECHO_REQUEST, .rest = 0xbeef0003};
    struct net_icmp r;
    static const uint8_t opts[] = {0x44, 0x08, 0x05, 0x00, 0, 0, 0, 0}; /* timestamp */

    EXPECT(two_nodes());
    mac = &g_b.s.cfg.mac;
    learn_x(&g_b, 0);
    memcpy(m + 8, "odd", 3);
    net_icmp_emit(m, &e, 3);
    /* An echo request with IP options and an odd length: answered with the same id,
     * sequence and data, and a correct checksum. */
    len = sim_ip_frame(g_frame, mac, IP_X, IP_B, NET_PROTO_ICMP, 1, 0, false, opts, 8, m, 11);
    net_input(&g_b.s, 0, g_frame, len);
    EXPECT_EQ(g_b.nout, 1);
    EXPECT_EQ(net_icmp_parse(g_b.out[0].data + 34, 11, &r), 0);
    EXPECT_EQ(r.type, NET_ICMP_ECHO_REPLY);
    EXPECT_EQ(r.rest, 0xbeef0003);
    EXPECT(r.data_len == 3 && memcmp(r.data, "odd", 3) == 0);
    EXPECT(memcmp(g_b.out[0].data, "\x02\x00\x00\x00\x00\x99", 6) == 0);
    /* Not to a broadcast, and not when nobody handles replies. */
    len = sim_ip_frame(g_frame, &MAC_BCAST, IP_X, NET_IP4_BROADCAST, NET_PROTO_ICMP, 2, 0, false,
                       NULL, 0, m, 11);
    EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_ICMP_BROADCAST));
    e.type = NET_ICMP_ECHO_REPLY;
    net_icmp_emit(m, &e, 3);
    len = sim_ip_frame(g_frame, mac, IP_X, IP_B, NET_PROTO_ICMP, 3, 0, false, NULL, 0, m, 11);
    EXPECT(dropped_for(&g_b, g_frame, len, NET_DROP_ICMP_UNHANDLED));
    EXPECT_EQ(g_b.nout, 1);
    return end(&g_b, 0);
}

/* --- fragment reassembly ---------------------------------------------------------------- */

/* Sends bytes [off, off + n) of the ICMP echo request in g_payload (total bytes) to B as
 * one fragment of datagram id. */
static void
frag(uint16_t id, size_t off, size_t n, size_t total, uint64_t now)
{
    size_t len = sim_ip_frame(g_frame, &g_b.s.cfg.mac, IP_X, IP_B, NET_PROTO_ICMP, id,
                              (uint16_t)off, off + n < total, NULL, 0, g_payload + off, n);
    net_input(&g_b.s, now, g_frame, len);
}

/* Fills g_payload with an echo request of total bytes (data pattern p). */
static void
make_echo(size_t total, uint8_t p)
{
    struct net_icmp e = {.type = NET_ICMP_ECHO_REQUEST, .rest = 0x00010001};
    size_t i;

    for (i = 8; i < total; i++) {
        g_payload[i] = (uint8_t)(i ^ p);
    }
    net_icmp_emit(g_payload, &e, total - 8);
}

/* True if B sent an echo reply of total bytes of ICMP (fragmented or not) and nothing else. */
static bool
replied(size_t total)
{
    size_t got = 0, i;

    for (i = 0; i < g_b.nout; i++) {
        struct net_ipv4 ip;
        if (net_ipv4_parse(g_b.out[i].data + 14, g_b.out[i].len - 14, &ip) != 0 ||
            ip.proto != NET_PROTO_ICMP) {
            return fail_with("frame %zu is not ICMP", i);
        }
        got += ip.total_len - 20u;
    }
    if (got != total || g_b.s.stats.icmp_echo_replied != 1) {
        return fail_with("replied %zu bytes in %zu frames, want %zu", got, g_b.nout, total);
    }
    g_b.nout = 0;
    g_b.s.stats.icmp_echo_replied = 0;
    return true;
}

static bool
test_frag_orders(void)
{
    EXPECT(two_nodes());
    learn_x(&g_b, 0);
    make_echo(4000, 1);
    /* In order. */
    frag(1, 0, 1480, 4000, 0);
    frag(1, 1480, 1480, 4000, 0);
    EXPECT_EQ(g_b.s.reass_held, 2);
    frag(1, 2960, 1040, 4000, 0);
    EXPECT(replied(4000));
    EXPECT_EQ(g_b.s.reass_held, 0);
    /* Reverse order: the last fragment first. */
    frag(2, 2960, 1040, 4000, 0);
    frag(2, 1480, 1480, 4000, 0);
    frag(2, 0, 1480, 4000, 0);
    EXPECT(replied(4000));
    /* Shuffled and in small pieces. */
    frag(3, 800, 800, 4000, 0);
    frag(3, 3200, 800, 4000, 0);
    frag(3, 0, 800, 4000, 0);
    frag(3, 2400, 800, 4000, 0);
    EXPECT_EQ(g_b.nout, 0);
    frag(3, 1600, 800, 4000, 0);
    EXPECT(replied(4000));
    EXPECT_EQ(g_b.s.stats.reassembled, 3);
    EXPECT(checked(&g_b));
    return end(&g_b, 0);
}

static bool
test_frag_overlap_duplicate(void)
{
    EXPECT(two_nodes());
    learn_x(&g_b, 0);
    make_echo(3000, 2);
    /* Overlapping fragments with the same bytes reassemble. */
    frag(1, 0, 1200, 3000, 0);
    frag(1, 800, 1200, 3000, 0);
    frag(1, 2000, 1000, 3000, 0);
    EXPECT(replied(3000));
    /* A duplicate (wholly inside one held) is dropped and holds no buffer. */
    frag(2, 0, 1200, 3000, 0);
    frag(2, 400, 400, 3000, 0);
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_DUPLICATE), 1);
    EXPECT_EQ(g_b.s.reass_held, 1);
    frag(2, 0, 1200, 3000, 0);
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_DUPLICATE), 2);
    frag(2, 1200, 1480, 3000, 0);
    frag(2, 2680, 320, 3000, 0);
    EXPECT(replied(3000));
    /* Overlaps with different bytes: the first to arrive wins. The second copy of bytes
     * 800..1200 carries garbage; the echo reply must carry the original. */
    frag(3, 0, 1200, 3000, 0);
    memset(g_payload + 800, 0xee, 400);
    frag(3, 800, 1200, 3000, 0);
    make_echo(3000, 2);
    frag(3, 2000, 1000, 3000, 0);
    EXPECT_EQ(g_b.nout, 3); /* 3000 + 20 bytes leave in three frames */
    {
        uint8_t whole[3000];
        size_t i, at = 0;
        struct net_icmp r;
        for (i = 0; i < 3; i++) {
            size_t n = g_b.out[i].len - 34;
            memcpy(whole + at, g_b.out[i].data + 34, n);
            at += n;
        }
        EXPECT_EQ(at, 3000);
        EXPECT_EQ(net_icmp_parse(whole, 3000, &r), 0);
        EXPECT(memcmp(r.data, g_payload + 8, 2992) == 0);
    }
    g_b.nout = 0;
    return end(&g_b, 0);
}

static bool
test_frag_conflicts(void)
{
    EXPECT(two_nodes());
    learn_x(&g_b, 0);
    make_echo(4000, 3);
    /* Two different ends: the whole datagram goes. */
    frag(1, 0, 800, 3200, 0);
    frag(1, 1600, 800, 2400, 0);
    frag(1, 2400, 800, 3200, 0);
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_CONFLICT), 1);
    EXPECT_EQ(g_b.s.reass_held, 0);
    /* A fragment beyond the known end. */
    frag(2, 1600, 800, 2400, 0);
    frag(2, 2400, 800, 4000, 0);
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_CONFLICT), 2);
    /* A last fragment ending before data already held. */
    frag(3, 1600, 1200, 4000, 0);
    frag(3, 800, 800, 1600, 0);
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_CONFLICT), 3);
    EXPECT_EQ(g_b.nout, 0);
    EXPECT(checked(&g_b));
    return end(&g_b, 0);
}

static bool
test_frag_timeout(void)
{
    uint64_t t;
    struct net_icmp r;

    EXPECT(two_nodes());
    learn_x(&g_b, 10); /* X's entry outlives the datagrams below (NET_ARP_REACHABLE_MS) */
    make_echo(4000, 4);
    frag(1, 0, 1480, 4000, 5);
    frag(2, 1480, 1480, 4000, 6); /* no first fragment */
    t = net_poll(&g_b.s, 7);
    EXPECT_EQ(t, 5 + NET_REASS_TIMEOUT_MS);
    /* A fragment arriving later does not extend the time ("endless" fragments). */
    frag(1, 1480, 8, 4000, t - 1);
    EXPECT_EQ(net_poll(&g_b.s, t - 1), t);
    EXPECT_EQ(net_poll(&g_b.s, t), 6 + NET_REASS_TIMEOUT_MS);
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_TIMEOUT), 1);
    /* Time exceeded in reassembly, quoting the first fragment. */
    EXPECT_EQ(g_b.nout, 1);
    EXPECT_EQ(net_icmp_parse(g_b.out[0].data + 34, g_b.out[0].len - 34, &r), 0);
    EXPECT_EQ(r.type, NET_ICMP_TIME_EXCEEDED);
    EXPECT_EQ(r.code, NET_ICMP_EXCEEDED_REASS);
    EXPECT_EQ(net_poll(&g_b.s, t + 1), 10 + NET_ARP_REACHABLE_MS);
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_TIMEOUT), 2);
    EXPECT_EQ(g_b.nout, 1); /* none without the first fragment */
    EXPECT_EQ(net_pkts_free(&g_b.s), SIM_PKTS);
    return end(&g_b, t + 1);
}

/* A reassembly timeout whose ICMP error must first resolve the sender again: the poll that
 * sends it returns the new ARP timer (found by fuzz_net: it once returned no deadline). */
static bool
test_frag_timeout_needs_arp(void)
{
    uint64_t t;

    EXPECT(two_nodes());
    learn_x(&g_b, 0);
    make_echo(4000, 4);
    frag(1, 0, 1480, 4000, 0);
    EXPECT_EQ(NET_ARP_REACHABLE_MS, NET_REASS_TIMEOUT_MS); /* both expire at t below */
    t = net_poll(&g_b.s, NET_REASS_TIMEOUT_MS);
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_TIMEOUT), 1);
    EXPECT_EQ(g_b.s.stats.arp_requests_sent, 1);
    EXPECT_EQ(t, NET_REASS_TIMEOUT_MS + NET_ARP_RETRY_MS);
    return end(&g_b, t);
}

static bool
test_frag_budget(void)
{
    int i;

    /* A budget of 6 buffers and SIM_REASS slots. */
    memset(&g_rx, 0, sizeof(g_rx));
    EXPECT(sim_node_init(&g_b, 2, IP_B, GW, 6) == 0);
    learn_x(&g_b, 0);
    make_echo(8000, 5);
    /* An endless datagram: fragments that never complete fill the budget ... */
    for (i = 0; i < 6; i++) {
        frag(1, (size_t)i * 8, 8, 8000, (uint64_t)i);
    }
    EXPECT_EQ(g_b.s.reass_held, 6);
    EXPECT(checked(&g_b));
    /* ... and a new datagram evicts it rather than being refused. */
    frag(2, 0, 1480, 3000, 10);
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_EVICTED), 1);
    EXPECT_EQ(g_b.s.reass_held, 1);
    frag(2, 1480, 1480, 3000, 10);
    frag(2, 2960, 40, 3000, 10);
    EXPECT_EQ(g_b.s.stats.reassembled, 1);
    EXPECT_EQ(g_b.s.reass_held, 0);
    g_b.nout = 0;
    /* One datagram alone over the budget is dropped whole. */
    for (i = 0; i < 7; i++) {
        frag(3, (size_t)i * 8, 8, 8000, 20);
    }
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_NO_BUFFER), 1);
    EXPECT_EQ(g_b.s.reass_held, 0);
    /* More datagrams than slots: the oldest is evicted. */
    for (i = 0; i < SIM_REASS + 1; i++) {
        frag((uint16_t)(10 + i), 0, 8, 8000, (uint64_t)(30 + i));
        EXPECT(checked(&g_b));
    }
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_EVICTED), 2);
    EXPECT_EQ(g_b.s.reass_held, SIM_REASS);
    return end(&g_b, 40);
}

static bool
test_frag_limits(void)
{
    static struct sim_node small;
    struct net_config cfg = {
        .mac = {{0x02, 0, 0, 0, 0, 2}}, .addr = IP_B, .netmask = NET_IP4(255, 255, 255, 0)};
    struct net_mem mem = {small.arp, SIM_ARP,         small.pkts, SIM_PKTS,  small.reass,
                          SIM_REASS, small.reass_buf, 2000,       small.udp, SIM_UDP};
    struct net_netif netif = {sim_tx_acquire, sim_tx_submit, &small};
    int i;

    EXPECT(two_nodes());
    learn_x(&g_b, 0);
    make_echo(65000, 6);
    /* Too many fragments for one datagram. */
    for (i = 0; i <= NET_REASS_MAX_FRAGS; i++) {
        frag(1, (size_t)i * 16, 8, 65000, 0);
    }
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_TOO_MANY), 1);
    EXPECT_EQ(g_b.s.reass_held, 0);
    /* The largest datagram (65,515 bytes of payload) in 45 fragments reassembles. */
    make_echo(65515, 7);
    for (i = 0; i < 45; i++) {
        size_t off = (size_t)i * 1480;
        frag(2, off, off + 1480 > 65515 ? 65515 - off : 1480, 65515, 1);
    }
    EXPECT(replied(65515));
    EXPECT(checked(&g_b));
    /* A datagram larger than the assembly buffer (2000 bytes here). */
    memset(&small, 0, sizeof(small));
    small.tx_limit = SIM_TXBUFS;
    EXPECT_EQ(net_init(&small.s, &cfg, &mem, &netif), 0);
    make_echo(2960, 8);
    for (i = 0; i < 2; i++) {
        size_t len =
            sim_ip_frame(g_frame, &small.s.cfg.mac, IP_X, IP_B, NET_PROTO_ICMP, 5,
                         (uint16_t)(i * 1480), i == 0, NULL, 0, g_payload + i * 1480, 1480);
        net_input(&small.s, 0, g_frame, len);
    }
    EXPECT_EQ(small.s.stats.rx_drops[NET_DROP_FRAG_TOO_BIG], 1);
    EXPECT_EQ(small.s.reass_held, 0);
    return checked(&small) && end(&g_b, 1);
}

/* The checker must notice a broken invariant (or every test's checked() would prove nothing). */
static bool
test_check_detects(void)
{
    char why[200];
    uint16_t k;
    int a;

    EXPECT(two_nodes());
    a = net_udp_bind(&g_a.s, 0, rx_record, NULL);
    EXPECT_EQ(net_udp_sendto(&g_a.s, 0, a, IP_B, 9, "x", 1), 0);
    EXPECT(checked(&g_a));
    g_a.s.free_count--;
    EXPECT(!net_check(&g_a.s, why, sizeof(why)));
    EXPECT(strstr(why, "free") != NULL);
    g_a.s.free_count++;
    /* A waiting packet also put on the free list: owned twice. */
    k = g_a.s.mem.arp[0].pending_head;
    g_a.s.mem.pkts[k].owner = NET_PKT_FREE;
    EXPECT(!net_check(&g_a.s, why, sizeof(why)));
    g_a.s.mem.pkts[k].owner = NET_PKT_ARP;
    g_a.s.reass_held = 1;
    EXPECT(!net_check(&g_a.s, why, sizeof(why)));
    EXPECT(strstr(why, "reass_held") != NULL);
    g_a.s.reass_held = 0;
    g_a.s.mem.udp[1] = g_a.s.mem.udp[0];
    EXPECT(!net_check(&g_a.s, why, sizeof(why)));
    EXPECT(strstr(why, "share port") != NULL);
    memset(&g_a.s.mem.udp[1], 0, sizeof(g_a.s.mem.udp[1]));
    return end(&g_a, 0);
}

/* --- paths that need unusual tables or a starved link ------------------------------------ */

static bool
test_starved_link(void)
{
    int a;

    EXPECT(two_nodes());
    a = net_udp_bind(&g_a.s, 0, rx_record, NULL);
    /* No buffer for the ARP request: counted; the datagram waits and the retry asks. */
    g_a.tx_limit = 0;
    EXPECT_EQ(net_udp_sendto(&g_a.s, 0, a, IP_B, 9, "x", 1), 0);
    EXPECT_EQ(drops(&g_a, NET_DROP_TX_NO_BUFFER), 1);
    EXPECT_EQ(g_a.s.stats.arp_requests_sent, 0);
    g_a.tx_limit = SIM_TXBUFS;
    EXPECT_EQ(net_poll(&g_a.s, NET_ARP_RETRY_MS), 2 * NET_ARP_RETRY_MS);
    EXPECT_EQ(g_a.s.stats.arp_requests_sent, 1);
    /* A buffer too small for the frame is handed back unused, as none. */
    g_a.tx_cap = 40;
    EXPECT_EQ(net_poll(&g_a.s, 2 * NET_ARP_RETRY_MS), 3 * NET_ARP_RETRY_MS);
    EXPECT_EQ(g_a.submits_empty, 1);
    EXPECT_EQ(drops(&g_a, NET_DROP_TX_NO_BUFFER), 2);
    g_a.tx_cap = 0;
    /* The answer comes but the link has no buffer for the waiting frames: dropped. */
    EXPECT_EQ(net_udp_sendto(&g_a.s, 0, a, IP_B, 9, "y", 1), 0);
    sim_carry(&g_a, &g_b, 0);
    g_a.tx_limit = 0;
    sim_carry(&g_b, &g_a, 0);
    EXPECT_EQ(drops(&g_a, NET_DROP_TX_NO_BUFFER), 4);
    EXPECT_EQ(net_pkts_free(&g_a.s), SIM_PKTS);
    /* Resolved now (B's answer), but no buffer: -NET_ENOBUFS at once; too small: the same. */
    g_a.nout = 0;
    g_b.nout = 0;
    EXPECT_ERR(net_udp_sendto(&g_a.s, 0, a, IP_B, 9, "w", 1), -NET_ENOBUFS);
    g_a.tx_limit = SIM_TXBUFS;
    g_a.tx_cap = 40;
    EXPECT_ERR(net_udp_sendto(&g_a.s, 0, a, IP_B, 9, "w", 1), -NET_ENOBUFS);
    g_a.tx_cap = 0;
    /* A new address forgets the neighbours, and what waits for them. */
    EXPECT_EQ(net_udp_sendto(&g_a.s, 0, a, IP_X, 9, "v", 1), 0);
    EXPECT_EQ(net_set_addr(&g_a.s, IP_A, NET_IP4(255, 255, 255, 0), 0), 0);
    EXPECT_EQ(net_pkts_free(&g_a.s), SIM_PKTS);
    EXPECT_EQ(drops(&g_a, NET_DROP_ARP_UNRESOLVED), 1);
    EXPECT_EQ(net_poll(&g_a.s, 0), NET_NO_DEADLINE);
    return end(&g_a, 0);
}

static bool
test_small_tables(void)
{
    static struct sim_node n;
    struct net_config cfg = {
        .mac = {{0x02, 0, 0, 0, 0, 2}}, .addr = IP_B, .netmask = NET_IP4(255, 255, 255, 0)};
    /* Three packet buffers, no reassembly at all. */
    struct net_mem mem = {n.arp, SIM_ARP, n.pkts, 3, n.reass, 0, n.reass_buf, 0, n.udp, SIM_UDP};
    struct net_netif netif = {sim_tx_acquire, sim_tx_submit, &n};
    int a, i;

    memset(&n, 0, sizeof(n));
    n.tx_limit = SIM_TXBUFS;
    EXPECT_EQ(net_init(&n.s, &cfg, &mem, &netif), 0);
    a = net_udp_bind(&n.s, 0, rx_record, NULL);
    for (i = 0; i < 3; i++) {
        EXPECT_EQ(net_udp_sendto(&n.s, 0, a, NET_IP4(10, 0, 2, 10 + i), 9, "x", 1), 0);
    }
    EXPECT_ERR(net_udp_sendto(&n.s, 0, a, NET_IP4(10, 0, 2, 20), 9, "x", 1), -NET_ENOBUFS);
    EXPECT(checked(&n));
    /* A fragment with no reassembly slot. */
    make_echo(3000, 9);
    {
        size_t len = sim_ip_frame(g_frame, &n.s.cfg.mac, IP_X, IP_B, NET_PROTO_ICMP, 1, 0, true,
                                  NULL, 0, g_payload, 1480);
        net_input(&n.s, 0, g_frame, len);
    }
    EXPECT_EQ(n.s.stats.rx_drops[NET_DROP_FRAG_NO_BUFFER], 1);
    /* Without an address, multicast destinations are still not ours. */
    EXPECT_EQ(net_set_addr(&n.s, 0, 0, 0), 0);
    {
        uint8_t u[16];
        size_t ul = sim_udp(u, IP_X, NET_IP4(224, 0, 0, 251), 5353, 5353, (const uint8_t *)"m", 1);
        size_t len = sim_ip_frame(g_frame, &n.s.cfg.mac, IP_X, NET_IP4(224, 0, 0, 251),
                                  NET_PROTO_UDP, 2, 0, false, NULL, 0, u, ul);
        net_input(&n.s, 0, g_frame, len);
    }
    EXPECT_EQ(n.s.stats.rx_drops[NET_DROP_IP_NOT_US], 1);
    return checked(&n);
}

static bool
test_frag_first_header_too_long(void)
{
    static struct sim_node n;
    struct net_config cfg = {
        .mac = {{0x02, 0, 0, 0, 0, 2}}, .addr = IP_B, .netmask = NET_IP4(255, 255, 255, 0)};
    struct net_mem mem = {n.arp,     SIM_ARP,     n.pkts, SIM_PKTS, n.reass,
                          SIM_REASS, n.reass_buf, 2000,   n.udp,    SIM_UDP};
    struct net_netif netif = {sim_tx_acquire, sim_tx_submit, &n};
    static const uint8_t opts[40] = {1, 1, 1, 1}; /* NOPs, then end of options */
    size_t len;

    memset(&n, 0, sizeof(n));
    n.tx_limit = SIM_TXBUFS;
    EXPECT_EQ(net_init(&n.s, &cfg, &mem, &netif), 0);
    make_echo(1960, 10);
    /* 1,960 bytes of payload fit the 2,000-byte buffer behind a 20-byte header, not behind
     * the first fragment's 60-byte one. */
    len = sim_ip_frame(g_frame, &n.s.cfg.mac, IP_X, IP_B, NET_PROTO_ICMP, 1, 1480, false, NULL, 0,
                       g_payload + 1480, 480);
    net_input(&n.s, 0, g_frame, len);
    len = sim_ip_frame(g_frame, &n.s.cfg.mac, IP_X, IP_B, NET_PROTO_ICMP, 1, 0, true, opts, 40,
                       g_payload, 1440);
    net_input(&n.s, 0, g_frame, len);
    EXPECT_EQ(n.s.stats.rx_drops[NET_DROP_FRAG_TOO_BIG], 0);
    len = sim_ip_frame(g_frame, &n.s.cfg.mac, IP_X, IP_B, NET_PROTO_ICMP, 1, 1440, true, NULL, 0,
                       g_payload + 1440, 40);
    net_input(&n.s, 0, g_frame, len);
    EXPECT_EQ(n.s.stats.rx_drops[NET_DROP_FRAG_TOO_BIG], 1);
    EXPECT_EQ(n.s.reass_held, 0);
    return checked(&n);
}

static bool
test_frag_timeout_icmp_error(void)
{
    uint8_t m[1480];
    struct net_icmp e = {.type = NET_ICMP_DEST_UNREACH, .code = 3};
    size_t len;

    EXPECT(two_nodes());
    learn_x(&g_b, 0);
    /* The first fragment of an ICMP error that never completes: no error about an error. */
    memset(m, 0, sizeof(m));
    net_icmp_emit(m, &e, sizeof(m) - 8);
    len = sim_ip_frame(g_frame, &g_b.s.cfg.mac, IP_X, IP_B, NET_PROTO_ICMP, 1, 0, true, NULL, 0, m,
                       sizeof(m));
    net_input(&g_b.s, 0, g_frame, len);
    net_poll(&g_b.s, NET_REASS_TIMEOUT_MS - 1);
    learn_x(&g_b, NET_REASS_TIMEOUT_MS - 1);
    net_poll(&g_b.s, NET_REASS_TIMEOUT_MS);
    EXPECT_EQ(drops(&g_b, NET_DROP_FRAG_TIMEOUT), 1);
    EXPECT_EQ(g_b.nout, 0);
    EXPECT_EQ(g_b.s.stats.icmp_errors_sent, 0);
    return end(&g_b, NET_REASS_TIMEOUT_MS);
}

/* The first ephemeral port comes from cfg.ephemeral_seed (the component's entropy), modulo
 * the range; ports then follow in turn and wrap around. */
static bool
test_ephemeral_seed(void)
{
    static struct net_udp_sock socks[3];
    static struct sim_node n;
    struct net_config cfg = {.mac = {{0x02, 0, 0, 0, 0, 2}},
                             .addr = IP_B,
                             .netmask = NET_IP4(255, 255, 255, 0),
                             .ephemeral_seed = 1000};
    struct net_mem mem = {n.arp,     SIM_ARP,     n.pkts,        SIM_PKTS, n.reass,
                          SIM_REASS, n.reass_buf, SIM_REASS_BUF, socks,    3};
    struct net_netif netif = {sim_tx_acquire, sim_tx_submit, &n};

    EXPECT_EQ(net_init(&n.s, &cfg, &mem, &netif), 0);
    EXPECT_EQ(net_udp_bind(&n.s, 0, rx_record, NULL), 0);
    EXPECT_EQ(net_udp_port(&n.s, 0), NET_EPHEMERAL_FIRST + 1000);
    cfg.ephemeral_seed = 65535; /* 65535 mod 16384 is the range's last port */
    EXPECT_EQ(net_init(&n.s, &cfg, &mem, &netif), 0);
    EXPECT_EQ(net_udp_bind(&n.s, 0, rx_record, NULL), 0);
    EXPECT_EQ(net_udp_bind(&n.s, 0, rx_record, NULL), 1);
    EXPECT_EQ(net_udp_port(&n.s, 0), NET_EPHEMERAL_LAST);
    EXPECT_EQ(net_udp_port(&n.s, 1), NET_EPHEMERAL_FIRST);
    return true;
}

static bool
test_ephemeral_exhausted(void)
{
    enum { NSOCK = NET_EPHEMERAL_LAST - NET_EPHEMERAL_FIRST + 2 };
    static struct net_udp_sock socks[NSOCK];
    static struct sim_node n;
    struct net_config cfg = {
        .mac = {{0x02, 0, 0, 0, 0, 2}}, .addr = IP_B, .netmask = NET_IP4(255, 255, 255, 0)};
    struct net_mem mem = {n.arp,     SIM_ARP,     n.pkts,        SIM_PKTS, n.reass,
                          SIM_REASS, n.reass_buf, SIM_REASS_BUF, socks,    NSOCK};
    struct net_netif netif = {sim_tx_acquire, sim_tx_submit, &n};
    int i;

    EXPECT_EQ(net_init(&n.s, &cfg, &mem, &netif), 0);
    /* One well-known port, then every ephemeral one; the next finds none. */
    EXPECT_EQ(net_udp_bind(&n.s, 7, rx_record, NULL), 0);
    for (i = 1; i < NSOCK; i++) {
        EXPECT_EQ(net_udp_bind(&n.s, 0, rx_record, NULL), i);
    }
    EXPECT_EQ(net_udp_port(&n.s, NSOCK - 1), NET_EPHEMERAL_LAST);
    EXPECT_EQ(net_udp_close(&n.s, 0), 0);
    EXPECT_ERR(net_udp_bind(&n.s, 0, rx_record, NULL), -NET_EAGAIN);
    /* Closing one frees it for the next (handed out in turn, wrapping around). */
    EXPECT_EQ(net_udp_close(&n.s, 5), 0);
    EXPECT_EQ(net_udp_bind(&n.s, 0, rx_record, NULL), 0);
    EXPECT_EQ(net_udp_port(&n.s, 0), NET_EPHEMERAL_FIRST + 4);
    return true;
}

int
main(void)
{
    run("net/wire_checksum_rfc1071", test_checksum_vector);
    run("net/wire_eth", test_eth_parse);
    run("net/wire_arp", test_arp_parse);
    run("net/wire_ipv4", test_ipv4_parse);
    run("net/wire_icmp_udp", test_icmp_udp_parse);
    run("net/init_errors", test_init_errors);
    run("net/link_arp_ping", test_link_ping);
    run("net/link_udp_echo_fragmented", test_link_udp_echo);
    run("net/udp_api_errors", test_udp_api_errors);
    run("net/arp_expiry", test_arp_expiry);
    run("net/arp_unresolved_retries", test_arp_unresolved);
    run("net/arp_pending_bound", test_arp_pending_bound);
    run("net/arp_table_full", test_arp_table_full);
    run("net/arp_eth_rejects", test_arp_rejects);
    run("net/ip_input_checks", test_ip_input_checks);
    run("net/icmp_errors_rate_limit", test_icmp_errors);
    run("net/icmp_echo_options", test_icmp_echo_raw);
    run("net/frag_orders", test_frag_orders);
    run("net/frag_overlap_duplicate", test_frag_overlap_duplicate);
    run("net/frag_conflicts", test_frag_conflicts);
    run("net/frag_timeout", test_frag_timeout);
    run("net/frag_timeout_needs_arp", test_frag_timeout_needs_arp);
    run("net/frag_budget", test_frag_budget);
    run("net/frag_limits", test_frag_limits);
    run("net/check_detects_corruption", test_check_detects);
    run("net/starved_link", test_starved_link);
    run("net/small_tables", test_small_tables);
    run("net/frag_first_header_too_long", test_frag_first_header_too_long);
    run("net/frag_timeout_no_error_about_error", test_frag_timeout_icmp_error);
    run("net/udp_ephemeral_exhausted", test_ephemeral_exhausted);
    run("net/udp_ephemeral_seed", test_ephemeral_seed);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
