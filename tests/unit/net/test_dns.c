/*
 * Host tests of lib/net's DNS stub resolver under ASan + UBSan: a client stack on the
 * virtual link (netsim.h) whose queries the test reads from the link and answers with
 * responses it builds byte by byte. Time is virtual; entropy is a generator the test seeds.
 */
#include <vallum/net/dns.h>

#define VLTEST_STRERROR net_strerror
#include "../vltest.h"
#include "netsim.h"

static const net_ip4_t CLIENT = NET_IP4(10, 0, 2, 15);
static const net_ip4_t NS1 = NET_IP4(10, 0, 2, 3);
static const net_ip4_t NS2 = NET_IP4(10, 0, 2, 4);

static struct sim_node g_c;
static struct net_dns g_d;
static struct net_dns_cache_entry g_cache[2];
static struct net_dns_query g_q[2];
static uint32_t g_entropy;
static uint8_t g_frame[NET_FRAME_MAX];

static struct {
    int calls;
    char name[NET_DNS_NAME_MAX + 1];
    enum net_dns_status status;
    net_ip4_t addr;
} g_res;

static uint32_t
entropy(void *ctx)
{
    (void)ctx;
    g_entropy = g_entropy * 1103515245u + 12345u;
    return g_entropy >> 8;
}

static void
on_result(void *ctx, const char *name, enum net_dns_status status, net_ip4_t addr)
{
    (void)ctx;
    g_res.calls++;
    snprintf(g_res.name, sizeof(g_res.name), "%s", name);
    g_res.status = status;
    g_res.addr = addr;
}

static void
udp_sink(void *ctx, int sock, net_ip4_t src, uint16_t sport, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)sock;
    (void)src;
    (void)sport;
    (void)data;
    (void)len;
}

/* Teaches the client a server's MAC (02:..:ns's last byte) so queries leave at once. */
static void
learn(net_ip4_t ns, uint64_t now)
{
    struct net_arp a = {
        .op = NET_ARP_REQUEST, .sha = {{0x02, 0, 0, 0, 0, (uint8_t)ns}}, .spa = ns, .tpa = CLIENT};
    static const struct net_mac bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

    memset(g_frame, 0, 60);
    sim_eth(g_frame, &bcast, (uint8_t)ns, NET_ETHERTYPE_ARP);
    net_arp_emit(g_frame + NET_ETH_HDR_LEN, &a);
    net_input(&g_c.s, now, g_frame, 60);
    g_c.nout = 0;
}

static bool
start(uint32_t seed)
{
    struct net_config cfg = {
        .mac = {{0x02, 0, 0, 0, 0, 0x0c}}, .addr = CLIENT, .netmask = NET_IP4(255, 255, 255, 0)};
    struct net_mem mem = {g_c.arp,   SIM_ARP,       g_c.pkts,      SIM_PKTS, g_c.reass,
                          SIM_REASS, g_c.reass_buf, SIM_REASS_BUF, g_c.udp,  SIM_UDP};
    struct net_netif netif = {sim_tx_acquire, sim_tx_submit, &g_c};
    net_ip4_t servers[] = {NS1, NS2};

    memset(&g_c, 0, sizeof(g_c));
    memset(&g_res, 0, sizeof(g_res));
    g_c.tx_limit = SIM_TXBUFS;
    g_entropy = seed;
    if (net_init(&g_c.s, &cfg, &mem, &netif) != 0 ||
        net_dns_init(&g_d, &g_c.s, g_cache, 2, g_q, 2, entropy, NULL) != 0 ||
        net_dns_set_servers(&g_d, servers, 2) != 0) {
        return false;
    }
    learn(NS1, 0);
    learn(NS2, 0);
    return true;
}

/* The last query the client sent: its DNS bytes, source port and destination. */
struct sent {
    uint8_t msg[NET_DNS_QUERY_MAX];
    size_t len;
    uint16_t sport;
    net_ip4_t dst;
};

static bool
last_query(struct sent *q)
{
    const uint8_t *f;
    struct net_ipv4 ip;
    struct net_udp u;

    if (g_c.nout == 0) {
        return fail_with("no query sent");
    }
    f = g_c.out[g_c.nout - 1].data;
    if (net_ipv4_parse(f + 14, g_c.out[g_c.nout - 1].len - 14, &ip) != 0 ||
        net_udp_parse(f + 14 + ip.hdr_len, ip.total_len - ip.hdr_len, ip.src, ip.dst, &u) != 0 ||
        u.dport != 53 || u.payload_len > sizeof(q->msg)) {
        return fail_with("the last frame is not a DNS query");
    }
    memcpy(q->msg, u.payload, u.payload_len);
    q->len = u.payload_len;
    q->sport = u.sport;
    q->dst = ip.dst;
    return true;
}

/* Builds a response to query q in out: flags' low bits (rcode, TC), then answers written
 * by the caller at *len; returns the length so far (header and question). */
static size_t
response(uint8_t *out, const struct sent *q, uint16_t extra_flags, uint16_t ancount)
{
    memcpy(out, q->msg, q->len);
    net_put16(out + NET_DNS_FLAGS, (uint16_t)(0x8180 | extra_flags)); /* QR, RD, RA */
    net_put16(out + NET_DNS_ANCOUNT, ancount);
    return q->len;
}

/* Appends a record: owner (a pointer to offset owner_off), type, TTL and rdata. */
static size_t
record(uint8_t *out, size_t at, uint16_t owner_off, uint16_t type, uint32_t ttl,
       const uint8_t *rdata, uint16_t rdlen)
{
    net_put16(out + at, (uint16_t)(0xc000 | owner_off));
    net_put16(out + at + 2, type);
    net_put16(out + at + 4, 1);
    net_put32(out + at + 6, ttl);
    net_put16(out + at + 10, rdlen);
    memcpy(out + at + 12, rdata, rdlen);
    return at + 12 + rdlen;
}

/* Delivers a DNS payload from src:sport to the client's port. */
static void
deliver(const uint8_t *payload, size_t n, net_ip4_t src, uint16_t sport, uint16_t dport,
        uint64_t now)
{
    static uint8_t u[NET_FRAME_MAX];
    size_t ul = sim_udp(u, src, CLIENT, sport, dport, payload, n);
    size_t len = sim_ip_frame(g_frame, &g_c.s.cfg.mac, src, CLIENT, NET_PROTO_UDP, 1, 0, false,
                              NULL, 0, u, ul);

    net_input(&g_c.s, now, g_frame, len);
}

static const uint8_t ADDR[4] = {93, 184, 216, 34};

static bool
test_build_query(void)
{
    /* "Example.COM." as RFC 1035 spells it on the wire, with ID 0xbeef and RD. */
    static const uint8_t want[] = {0xbe, 0xef, 0x01, 0x00, 0,   1,   0,   0,   0,   0,
                                   0,    0,    7,    'E',  'x', 'a', 'm', 'p', 'l', 'e',
                                   3,    'C',  'O',  'M',  0,   0,   1,   0,   1};
    uint8_t m[NET_DNS_QUERY_MAX];
    char name[300];

    EXPECT_EQ(net_dns_build_query(m, 0xbeef, "Example.COM."), sizeof(want));
    EXPECT(memcmp(m, want, sizeof(want)) == 0);
    EXPECT_EQ(net_dns_build_query(m, 1, ""), -1);
    EXPECT_EQ(net_dns_build_query(m, 1, "."), -1);
    EXPECT_EQ(net_dns_build_query(m, 1, "a..b"), -1);
    EXPECT_EQ(net_dns_build_query(m, 1, ".a"), -1);
    EXPECT_EQ(net_dns_build_query(m, 1, "a.."), -1);
    memset(name, 'a', 64);
    name[64] = '\0';
    EXPECT_EQ(net_dns_build_query(m, 1, name), -1); /* a 64-byte label */
    name[63] = '\0';
    EXPECT(net_dns_build_query(m, 1, name) > 0);
    memset(name, 'a', 253);
    for (int i = 63; i < 253; i += 64) {
        name[i] = '.';
    }
    name[253] = '\0';
    EXPECT(net_dns_build_query(m, 1, name) > 0); /* 253 bytes: the longest name */
    name[253] = 'a';
    name[254] = '\0';
    EXPECT_EQ(net_dns_build_query(m, 1, name), -1);
    return true;
}

static bool
test_resolve_and_cache(void)
{
    uint8_t r[512];
    struct sent q, q2;
    size_t n;

    EXPECT(start(1));
    EXPECT_EQ(net_dns_resolve(&g_d, 0, "Example.com", on_result, NULL), 0);
    EXPECT(last_query(&q));
    EXPECT_EQ(q.dst, NS1);
    EXPECT(q.sport >= NET_EPHEMERAL_FIRST);
    n = response(r, &q, 0, 1);
    n = record(r, n, 12, 1, 300, ADDR, 4);
    deliver(r, n, NS1, 53, q.sport, 10);
    EXPECT_EQ(g_res.calls, 1);
    EXPECT_EQ(g_res.status, NET_DNS_OK);
    EXPECT_EQ(g_res.addr, NET_IP4(93, 184, 216, 34));
    EXPECT(strcmp(g_res.name, "example.com") == 0);
    /* The socket is gone; a second resolve is answered from the cache, sending nothing. */
    EXPECT_EQ(net_udp_port(&g_c.s, 0), 0);
    g_c.nout = 0;
    EXPECT_EQ(net_dns_resolve(&g_d, 1000, "EXAMPLE.com.", on_result, NULL), 0);
    EXPECT_EQ(g_res.calls, 2);
    EXPECT_EQ(g_c.nout, 0);
    /* After the TTL, asked again: another port and another ID. */
    learn(NS1, 310 * 1000);
    EXPECT_EQ(net_dns_resolve(&g_d, 310 * 1000, "example.com", on_result, NULL), 0);
    EXPECT(last_query(&q2));
    EXPECT(q2.sport != q.sport);
    EXPECT(net_get16(q2.msg) != net_get16(q.msg));
    /* Its answer replaces the expired entry of the same name. */
    n = response(r, &q2, 0, 1);
    n = record(r, n, 12, 1, 300, (const uint8_t *)"\x0a\x00\x00\x01", 4);
    deliver(r, n, NS1, 53, q2.sport, 311 * 1000);
    EXPECT_EQ(g_res.calls, 3);
    EXPECT_EQ(g_res.addr, NET_IP4(10, 0, 0, 1));
    EXPECT_EQ(g_cache[0].addr, NET_IP4(10, 0, 0, 1));
    EXPECT_EQ(g_cache[1].name[0], '\0');
    /* Another boot with other entropy: another ID and port for the same first query. */
    EXPECT(start(2));
    EXPECT_EQ(net_dns_resolve(&g_d, 0, "example.com", on_result, NULL), 0);
    EXPECT(last_query(&q2));
    EXPECT(q2.sport != q.sport && net_get16(q2.msg) != net_get16(q.msg));
    return true;
}

static bool
test_cname_and_outcomes(void)
{
    uint8_t r[512], rd[64];
    struct sent q;
    size_t n, cname_at;

    EXPECT(start(3));
    /* www.example.com CNAME edge.example.com (its name compressed), then the A record. */
    EXPECT_EQ(net_dns_resolve(&g_d, 0, "www.example.com", on_result, NULL), 0);
    EXPECT(last_query(&q));
    n = response(r, &q, 0, 3);
    rd[0] = 4;
    memcpy(rd + 1, "edge", 4);
    net_put16(rd + 5, 0xc000 | 16); /* "example.com" inside the question */
    cname_at = n + 12;
    n = record(r, n, 12, 5, 60, rd, 7);
    n = record(r, n, 12, 16, 60, (const uint8_t *)"\x03txt", 4); /* a TXT record: skipped */
    n = record(r, n, (uint16_t)cname_at, 1, 60, ADDR, 4);
    deliver(r, n, NS1, 53, q.sport, 0);
    EXPECT_EQ(g_res.status, NET_DNS_OK);
    EXPECT_EQ(g_res.addr, NET_IP4(93, 184, 216, 34));
    /* NXDOMAIN; SERVFAIL and truncation fail; no A record is NODATA. */
    EXPECT_EQ(net_dns_resolve(&g_d, 0, "nope.example", on_result, NULL), 0);
    EXPECT(last_query(&q));
    n = response(r, &q, 3, 0);
    deliver(r, n, NS1, 53, q.sport, 0);
    EXPECT_EQ(g_res.status, NET_DNS_NXDOMAIN);
    EXPECT_EQ(net_dns_resolve(&g_d, 0, "fail.example", on_result, NULL), 0);
    EXPECT(last_query(&q));
    n = response(r, &q, 2, 0);
    deliver(r, n, NS1, 53, q.sport, 0);
    EXPECT_EQ(g_res.status, NET_DNS_FAILED);
    EXPECT_EQ(net_dns_resolve(&g_d, 0, "big.example", on_result, NULL), 0);
    EXPECT(last_query(&q));
    n = response(r, &q, 0x0200, 0);
    deliver(r, n, NS1, 53, q.sport, 0);
    EXPECT_EQ(g_res.status, NET_DNS_FAILED);
    EXPECT_EQ(net_dns_resolve(&g_d, 0, "empty.example", on_result, NULL), 0);
    EXPECT(last_query(&q));
    n = response(r, &q, 0, 1);
    n = record(r, n, 12, 1, 60, ADDR, 3); /* an A record of 3 bytes is not an address */
    deliver(r, n, NS1, 53, q.sport, 0);
    EXPECT_EQ(g_res.status, NET_DNS_NODATA);
    EXPECT_EQ(g_res.calls, 5);
    return true;
}

static bool
test_spoofs_and_malformed(void)
{
    uint8_t r[512], bad[512];
    struct sent q;
    size_t n;
    uint64_t rej;

    EXPECT(start(4));
    EXPECT_EQ(net_dns_resolve(&g_d, 0, "example.com", on_result, NULL), 0);
    EXPECT(last_query(&q));
    n = response(r, &q, 0, 1);
    n = record(r, n, 12, 1, 300, ADDR, 4);
    rej = g_d.rejected;
    /* From another host, from another port, with another ID, for another question. */
    deliver(r, n, NS2, 53, q.sport, 0);
    deliver(r, n, NS1, 5353, q.sport, 0);
    memcpy(bad, r, n);
    bad[1] ^= 1;
    deliver(bad, n, NS1, 53, q.sport, 0);
    memcpy(bad, r, n);
    bad[13] = 'X';
    deliver(bad, n, NS1, 53, q.sport, 0);
    /* Not a response; a question of another type; a forward pointer; cut short. */
    memcpy(bad, r, n);
    bad[2] &= 0x7f;
    deliver(bad, n, NS1, 53, q.sport, 0);
    memcpy(bad, r, n);
    bad[q.len - 3] = 28; /* AAAA */
    deliver(bad, n, NS1, 53, q.sport, 0);
    memcpy(bad, r, n);
    net_put16(bad + q.len, 0xc000 | (uint16_t)q.len); /* points at itself */
    deliver(bad, n, NS1, 53, q.sport, 0);
    deliver(r, n - 1, NS1, 53, q.sport, 0);
    deliver(r, 11, NS1, 53, q.sport, 0);
    deliver(r, q.len + 1, NS1, 53, q.sport, 0); /* half a pointer */
    {
        /* A CNAME whose target name runs past its record. */
        size_t m = response(bad, &q, 0, 1);
        m = record(bad, m, 12, 5, 60,
                   (const uint8_t *)"\x09"
                                    "ab",
                   3);
        deliver(bad, m, NS1, 53, q.sport, 0);
    }
    memcpy(bad, r, n);
    bad[q.len + 2] = 0x40; /* a label type that is reserved */
    net_put16(bad + q.len, 0x4000);
    deliver(bad, n, NS1, 53, q.sport, 0);
    EXPECT_EQ(g_d.rejected, rej + 12);
    EXPECT_EQ(g_res.calls, 0);
    /* The real answer still works. */
    deliver(r, n, NS1, 53, q.sport, 0);
    EXPECT_EQ(g_res.calls, 1);
    EXPECT_EQ(g_res.status, NET_DNS_OK);
    /* A late duplicate reaches a closed port. */
    deliver(r, n, NS1, 53, q.sport, 0);
    EXPECT_EQ(g_c.s.stats.rx_drops[NET_DROP_UDP_NO_PORT], 1);
    return true;
}

static bool
test_timeout_and_servers(void)
{
    struct sent q;
    uint64_t t = 0;
    int i;

    EXPECT(start(5));
    EXPECT_EQ(net_dns_resolve(&g_d, 0, "example.com", on_result, NULL), 0);
    EXPECT(last_query(&q));
    EXPECT_EQ(q.dst, NS1);
    /* Each try goes to the next server, NET_DNS_RETRY_MS apart. */
    for (i = 1; i < NET_DNS_TRIES; i++) {
        t = net_dns_poll(&g_d, t);
        EXPECT_EQ(t, (uint64_t)i * NET_DNS_RETRY_MS);
        learn(i % 2 ? NS2 : NS1, t); /* keep the ARP entries fresh */
        net_dns_poll(&g_d, t);
        EXPECT(last_query(&q));
        EXPECT_EQ(q.dst, i % 2 ? NS2 : NS1);
    }
    t = net_dns_poll(&g_d, t);
    EXPECT_EQ(net_dns_poll(&g_d, t), NET_NO_DEADLINE);
    EXPECT_EQ(g_res.calls, 1);
    EXPECT_EQ(g_res.status, NET_DNS_FAILED);
    EXPECT_EQ(net_udp_port(&g_c.s, 0), 0);
    return true;
}

static bool
test_errors_and_bounds(void)
{
    uint8_t r[512];
    struct sent q;
    size_t n;
    net_ip4_t bad[] = {0, NET_IP4(224, 0, 0, 1)};
    static struct net_dns other;
    const char *names[] = {"a.example", "b.example", "c.example"};
    int i;

    EXPECT(start(6));
    EXPECT_ERR(net_dns_init(&other, &g_c.s, g_cache, 0, g_q, 2, entropy, NULL), -NET_EINVAL);
    EXPECT_ERR(net_dns_init(&other, &g_c.s, g_cache, 2, g_q, 2, NULL, NULL), -NET_EINVAL);
    EXPECT_ERR(net_dns_resolve(&g_d, 0, "a..b", on_result, NULL), -NET_EINVAL);
    EXPECT_ERR(net_dns_resolve(&g_d, 0, "ok.example", NULL, NULL), -NET_EINVAL);
    {
        char longname[300];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        EXPECT_ERR(net_dns_resolve(&g_d, 0, longname, on_result, NULL), -NET_EINVAL);
    }
    /* Every UDP socket of the stack taken: no socket for the query. */
    for (i = 0; i < SIM_UDP; i++) {
        EXPECT(net_udp_bind(&g_c.s, (uint16_t)(1000 + i), udp_sink, NULL) >= 0);
    }
    EXPECT_ERR(net_dns_resolve(&g_d, 0, "x.example", on_result, NULL), -NET_EAGAIN);
    for (i = 0; i < SIM_UDP; i++) {
        EXPECT_EQ(net_udp_close(&g_c.s, i), 0);
    }
    /* Both query slots busy. */
    EXPECT_EQ(net_dns_resolve(&g_d, 0, "x.example", on_result, NULL), 0);
    EXPECT_EQ(net_dns_resolve(&g_d, 0, "y.example", on_result, NULL), 0);
    EXPECT_ERR(net_dns_resolve(&g_d, 0, "z.example", on_result, NULL), -NET_EAGAIN);
    EXPECT_ERR(net_dns_set_servers(&g_d, bad, 2), -NET_EINVAL);
    EXPECT_ERR(net_dns_resolve(&g_d, 0, "z.example", on_result, NULL), -NET_EINVAL);
    /* The cache holds two names: a third replaces the one expiring first; TTL 0 is not
     * kept; a TTL with the top bit set counts as 0 (RFC 2181 8). */
    EXPECT(start(7));
    for (i = 0; i < 3; i++) {
        EXPECT_EQ(net_dns_resolve(&g_d, 0, names[i], on_result, NULL), 0);
        EXPECT(last_query(&q));
        n = response(r, &q, 0, 1);
        n = record(r, n, 12, 1, (uint32_t)(100 + i * 100), ADDR, 4);
        deliver(r, n, NS1, 53, q.sport, 0);
    }
    g_c.nout = 0;
    EXPECT_EQ(net_dns_resolve(&g_d, 1, "c.example", on_result, NULL), 0);
    EXPECT_EQ(net_dns_resolve(&g_d, 1, "b.example", on_result, NULL), 0);
    EXPECT_EQ(g_c.nout, 0);
    EXPECT_EQ(net_dns_resolve(&g_d, 1, "a.example", on_result, NULL), 0);
    EXPECT_EQ(g_c.nout, 1);
    EXPECT(last_query(&q));
    n = response(r, &q, 0, 1);
    n = record(r, n, 12, 1, 0x80000001u, ADDR, 4);
    deliver(r, n, NS1, 53, q.sport, 1);
    EXPECT_EQ(g_res.status, NET_DNS_OK);
    EXPECT_EQ(net_dns_resolve(&g_d, 2, "a.example", on_result, NULL), 0);
    EXPECT_EQ(g_c.nout, 2); /* asked again: not cached */
    return true;
}

int
main(void)
{
    run("dns/build_query", test_build_query);
    run("dns/resolve_and_cache", test_resolve_and_cache);
    run("dns/cname_and_outcomes", test_cname_and_outcomes);
    run("dns/spoofs_and_malformed", test_spoofs_and_malformed);
    run("dns/timeout_and_servers", test_timeout_and_servers);
    run("dns/errors_and_bounds", test_errors_and_bounds);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
