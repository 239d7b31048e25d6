/*
 * Host tests of lib/net's DHCP client under ASan + UBSan: a client stack without an
 * address on the virtual link (netsim.h), and a scripted server whose replies the test
 * builds byte by byte and delivers as frames. Time is virtual; the entropy source is a
 * counter the test controls.
 */
#include <vallum/net/dhcp.h>

#define VLTEST_STRERROR net_strerror
#include "../vltest.h"
#include "netsim.h"

static const net_ip4_t SERVER = NET_IP4(10, 0, 2, 2);
static const net_ip4_t OFFERED = NET_IP4(10, 0, 2, 15);
static const net_ip4_t MASK = NET_IP4(255, 255, 255, 0);
static const struct net_mac MAC_BCAST = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static struct sim_node g_c;
static struct net_dhcp g_d;
static uint32_t g_entropy;
static uint8_t g_frame[NET_FRAME_MAX];

static uint32_t
entropy(void *ctx)
{
    (void)ctx;
    g_entropy = g_entropy * 1103515245u + 12345u;
    return g_entropy;
}

/* What the client sent last: message type, xid, ciaddr, IP destination; false if its last
 * frame is not a DHCP request from port 68 to 67. */
struct sent {
    uint8_t type;
    uint32_t xid;
    net_ip4_t ciaddr, dst, requested, server;
    uint16_t flags;
};

static bool
last_sent(struct sent *m)
{
    const uint8_t *f, *p;
    struct net_ipv4 ip;
    struct net_udp u;
    size_t i;

    if (g_c.nout == 0) {
        return fail_with("the client sent nothing");
    }
    f = g_c.out[g_c.nout - 1].data;
    if (net_ipv4_parse(f + 14, g_c.out[g_c.nout - 1].len - 14, &ip) != 0 ||
        ip.proto != NET_PROTO_UDP ||
        net_udp_parse(f + 14 + ip.hdr_len, ip.total_len - ip.hdr_len, ip.src, ip.dst, &u) != 0 ||
        u.sport != 68 || u.dport != 67 || u.payload_len < NET_DHCP_MIN_LEN) {
        return fail_with("the client's last frame is not a DHCP message");
    }
    p = u.payload;
    memset(m, 0, sizeof(*m));
    m->xid = net_get32(p + NET_DHCP_XID);
    m->ciaddr = net_get32(p + NET_DHCP_CIADDR);
    m->flags = net_get16(p + NET_DHCP_FLAGS);
    m->dst = ip.dst;
    if (p[NET_DHCP_OP] != 1 || net_get32(p + NET_DHCP_COOKIE) != NET_DHCP_MAGIC ||
        memcmp(p + NET_DHCP_CHADDR, g_c.s.cfg.mac.b, 6) != 0) {
        return fail_with("bad BOOTREQUEST header");
    }
    for (i = NET_DHCP_OPTIONS; i + 1 < u.payload_len && p[i] != 255; i += 2 + p[i + 1]) {
        if (p[i] == 53) {
            m->type = p[i + 2];
        } else if (p[i] == 50) {
            m->requested = net_get32(p + i + 2);
        } else if (p[i] == 54) {
            m->server = net_get32(p + i + 2);
        }
    }
    return true;
}

/* Options of a scripted reply. */
struct reply {
    uint8_t type;
    uint32_t xid;
    net_ip4_t yiaddr, mask, router, server;
    uint32_t lease, t1, t2;
};

/* Builds the DHCP payload of r in p; returns its length. */
static size_t
build(uint8_t *p, const struct reply *r)
{
    size_t i = NET_DHCP_OPTIONS;

    memset(p, 0, NET_DHCP_MIN_LEN);
    p[NET_DHCP_OP] = 2;
    p[NET_DHCP_HTYPE] = 1;
    p[NET_DHCP_HLEN] = 6;
    net_put32(p + NET_DHCP_XID, r->xid);
    net_put32(p + NET_DHCP_YIADDR, r->yiaddr);
    memcpy(p + NET_DHCP_CHADDR, g_c.s.cfg.mac.b, 6);
    net_put32(p + NET_DHCP_COOKIE, NET_DHCP_MAGIC);
    p[i++] = 53;
    p[i++] = 1;
    p[i++] = r->type;
#define OPT32(code, v)                                                                             \
    if ((v) != 0) {                                                                                \
        p[i++] = (code);                                                                           \
        p[i++] = 4;                                                                                \
        net_put32(p + i, (v));                                                                     \
        i += 4;                                                                                    \
    }
    OPT32(54, r->server);
    OPT32(1, r->mask);
    OPT32(3, r->router);
    OPT32(51, r->lease);
    OPT32(58, r->t1);
    OPT32(59, r->t2);
#undef OPT32
    p[i++] = 6; /* two DNS servers */
    p[i++] = 8;
    net_put32(p + i, NET_IP4(10, 0, 2, 3));
    net_put32(p + i + 4, NET_IP4(10, 0, 2, 4));
    i += 8;
    p[i++] = 255;
    return i < NET_DHCP_MIN_LEN ? NET_DHCP_MIN_LEN : i;
}

/* Delivers a raw DHCP payload from the server's port (sport) to the client, broadcast. */
static void
deliver_raw(const uint8_t *payload, size_t n, uint16_t sport, uint64_t now)
{
    static uint8_t u[NET_FRAME_MAX];
    size_t ul = sim_udp(u, SERVER, NET_IP4_BROADCAST, sport, 68, payload, n);
    size_t len = sim_ip_frame(g_frame, &MAC_BCAST, SERVER, NET_IP4_BROADCAST, NET_PROTO_UDP, 1, 0,
                              false, NULL, 0, u, ul);

    net_input(&g_c.s, now, g_frame, len);
}

static void
deliver(const struct reply *r, uint64_t now)
{
    uint8_t p[NET_DHCP_MIN_LEN + 64];

    deliver_raw(p, build(p, r), 67, now);
}

/* The server asks for the client's MAC: the client learns the server's on the way, so a
 * unicast renewal goes out at once instead of waiting for ARP. */
static void
server_arp(uint64_t now)
{
    struct net_arp a = {.op = NET_ARP_REQUEST,
                        .sha = {{0x02, 0, 0, 0, 0, 0x99}},
                        .spa = SERVER,
                        .tpa = g_c.s.cfg.addr};

    memset(g_frame, 0, 60);
    sim_eth(g_frame, &MAC_BCAST, 0x99, NET_ETHERTYPE_ARP);
    net_arp_emit(g_frame + NET_ETH_HDR_LEN, &a);
    net_input(&g_c.s, now, g_frame, 60);
}

static struct reply
offer(uint8_t type, uint32_t xid)
{
    struct reply r = {.type = type,
                      .xid = xid,
                      .yiaddr = OFFERED,
                      .mask = MASK,
                      .router = SERVER,
                      .server = SERVER,
                      .lease = 3600};
    return r;
}

static bool
start(uint32_t seed)
{
    struct net_config cfg = {.mac = {{0x02, 0, 0, 0, 0, 0x0c}}};
    struct net_mem mem = {g_c.arp,   SIM_ARP,       g_c.pkts,      SIM_PKTS, g_c.reass,
                          SIM_REASS, g_c.reass_buf, SIM_REASS_BUF, g_c.udp,  SIM_UDP};
    struct net_netif netif = {sim_tx_acquire, sim_tx_submit, &g_c};

    memset(&g_c, 0, sizeof(g_c));
    g_c.tx_limit = SIM_TXBUFS;
    g_entropy = seed;
    return net_init(&g_c.s, &cfg, &mem, &netif) == 0 &&
           net_dhcp_start(&g_d, &g_c.s, 0, entropy, NULL) == 0;
}

/* Runs the exchange to BOUND at time now; the lease is r's with the given xid. */
static bool
get_lease(uint64_t now, struct reply r)
{
    struct sent m;

    net_dhcp_poll(&g_d, now);
    if (!last_sent(&m)) {
        return false;
    }
    EXPECT_EQ(m.type, NET_DHCPDISCOVER);
    EXPECT_EQ(m.dst, NET_IP4_BROADCAST);
    EXPECT_EQ(m.flags, NET_DHCP_FLAG_BROADCAST);
    r.type = NET_DHCPOFFER;
    r.xid = m.xid;
    deliver(&r, now);
    EXPECT(last_sent(&m));
    EXPECT_EQ(m.type, NET_DHCPREQUEST);
    EXPECT_EQ(m.requested, r.yiaddr);
    EXPECT_EQ(m.server, r.server);
    EXPECT_EQ(g_d.state, NET_DHCP_REQUESTING);
    r.type = NET_DHCPACK;
    deliver(&r, now);
    EXPECT_EQ(g_d.state, NET_DHCP_BOUND);
    return true;
}

static bool
test_lease(void)
{
    EXPECT(start(1));
    EXPECT(get_lease(0, offer(0, 0)));
    EXPECT_EQ(g_c.s.cfg.addr, OFFERED);
    EXPECT_EQ(g_c.s.cfg.netmask, MASK);
    EXPECT_EQ(g_c.s.cfg.gateway, SERVER);
    EXPECT_EQ(g_d.lease.ndns, 2);
    EXPECT_EQ(g_d.lease.dns[1], NET_IP4(10, 0, 2, 4));
    /* T1 and T2 default to 1/2 and 7/8 of the hour. */
    EXPECT_EQ(net_dhcp_poll(&g_d, 1), 1800 * 1000);
    EXPECT_EQ(g_d.t2_at, 3150 * 1000);
    EXPECT_EQ(g_d.expiry_at, 3600 * 1000);
    EXPECT_EQ(g_d.leases, 1);
    return true;
}

static bool
test_renew_rebind_expire(void)
{
    struct sent m;
    struct reply r;
    uint64_t t;

    EXPECT(start(2));
    EXPECT(get_lease(0, offer(0, 0)));
    /* T1: a unicast request to the server, with our address in ciaddr. */
    server_arp(1800 * 1000);
    t = net_dhcp_poll(&g_d, 1800 * 1000);
    EXPECT_EQ(g_d.state, NET_DHCP_RENEWING);
    EXPECT(last_sent(&m));
    EXPECT_EQ(m.type, NET_DHCPREQUEST);
    EXPECT_EQ(m.ciaddr, OFFERED);
    EXPECT_EQ(m.flags, 0);
    /* Retransmission: half the time to T2, at least 60 s. */
    EXPECT_EQ(t, 1800 * 1000 + (3150 - 1800) * 1000 / 2);
    /* The server stays silent until T2: rebinding by broadcast. */
    t = net_dhcp_poll(&g_d, 3150 * 1000);
    EXPECT_EQ(g_d.state, NET_DHCP_REBINDING);
    EXPECT(last_sent(&m));
    EXPECT_EQ(m.dst, NET_IP4_BROADCAST);
    EXPECT_EQ(m.ciaddr, OFFERED);
    EXPECT_EQ(t, 3150 * 1000 + (3600 - 3150) * 1000 / 2);
    /* Near expiry the retransmissions are 60 s apart, never past expiry. */
    EXPECT_EQ(net_dhcp_poll(&g_d, 3590 * 1000), 3600 * 1000);
    /* Expiry: the address is removed and a new discover goes out. */
    net_dhcp_poll(&g_d, 3600 * 1000);
    EXPECT_EQ(g_c.s.cfg.addr, 0);
    EXPECT(last_sent(&m));
    EXPECT_EQ(m.type, NET_DHCPDISCOVER);
    EXPECT_EQ(g_d.state, NET_DHCP_SELECTING);
    /* A renewal answered: the lease is extended from the answer's time. */
    EXPECT(get_lease(4000 * 1000, offer(0, 0)));
    server_arp(5800 * 1000);
    net_dhcp_poll(&g_d, 5800 * 1000);
    EXPECT(last_sent(&m));
    r = offer(NET_DHCPACK, m.xid);
    r.lease = 7200;
    r.t1 = 100;
    r.t2 = 200;
    deliver(&r, 5801 * 1000);
    EXPECT_EQ(g_d.state, NET_DHCP_BOUND);
    EXPECT_EQ(g_d.t1_at, 5901 * 1000);
    EXPECT_EQ(g_d.t2_at, 6001 * 1000);
    EXPECT_EQ(g_d.expiry_at, (5801 + 7200) * 1000);
    EXPECT_EQ(g_d.leases, 3);
    return true;
}

static bool
test_nak(void)
{
    struct sent m;
    struct reply r;

    EXPECT(start(3));
    net_dhcp_poll(&g_d, 0);
    EXPECT(last_sent(&m));
    r = offer(NET_DHCPOFFER, m.xid);
    deliver(&r, 0);
    r.type = NET_DHCPNAK;
    deliver(&r, 0);
    EXPECT_EQ(g_d.state, NET_DHCP_INIT);
    EXPECT(get_lease(1, offer(0, 0)));
    /* A NAK to a renewal takes the address away. */
    server_arp(1801 * 1000);
    net_dhcp_poll(&g_d, 1801 * 1000);
    EXPECT(last_sent(&m));
    r = offer(NET_DHCPNAK, m.xid);
    deliver(&r, 1801 * 1000);
    EXPECT_EQ(g_d.state, NET_DHCP_INIT);
    EXPECT_EQ(g_c.s.cfg.addr, 0);
    return true;
}

static bool
test_retransmit_and_ids(void)
{
    struct sent m;
    uint64_t t = 0, prev;
    uint32_t xid1;
    int i;

    EXPECT(start(4));
    net_dhcp_poll(&g_d, 0);
    EXPECT(last_sent(&m));
    xid1 = m.xid;
    /* 4, 8, 16, 32, 64, 64 s, each +-1 s. */
    for (i = 0; i < 6; i++) {
        uint64_t base = 4000u << (i < 4 ? i : 4);
        prev = t;
        t = net_dhcp_poll(&g_d, t);
        EXPECT(t - prev >= base - 1000 && t - prev <= base + 1000);
        EXPECT_EQ(g_c.nout, (size_t)i + 1);
        EXPECT(last_sent(&m));
        EXPECT_EQ(m.xid, xid1); /* the same transaction */
    }
    /* Another boot with other entropy uses another transaction ID. */
    EXPECT(start(5));
    net_dhcp_poll(&g_d, 0);
    EXPECT(last_sent(&m));
    EXPECT(m.xid != xid1);
    /* An offer requested but never answered: after five requests, a new discover. */
    deliver(&(struct reply){.type = NET_DHCPOFFER,
                            .xid = m.xid,
                            .yiaddr = OFFERED,
                            .mask = MASK,
                            .server = SERVER,
                            .lease = 60},
            0);
    EXPECT_EQ(g_d.state, NET_DHCP_REQUESTING);
    for (i = 0, t = 0; i < 10 && g_d.state == NET_DHCP_REQUESTING; i++) {
        t = net_dhcp_poll(&g_d, t);
    }
    EXPECT_EQ(i, 1 + 5); /* the poll at 0 sends nothing: the request went with the offer */
    EXPECT_EQ(g_d.state, NET_DHCP_SELECTING);
    EXPECT(last_sent(&m));
    EXPECT_EQ(m.type, NET_DHCPDISCOVER);
    EXPECT(m.xid != 0);
    return true;
}

static bool
test_rejects(void)
{
    uint8_t p[NET_DHCP_MIN_LEN + 64], q[NET_DHCP_MIN_LEN + 64];
    struct net_dhcp_reply out;
    struct sent m;
    struct reply r;
    size_t n;
    uint64_t rej;

    EXPECT(start(6));
    net_dhcp_poll(&g_d, 0);
    EXPECT(last_sent(&m));
    r = offer(NET_DHCPOFFER, m.xid);
    n = build(p, &r);
    EXPECT_EQ(net_dhcp_parse(p, n, &g_c.s.cfg.mac, &out), 0);
    EXPECT_EQ(out.server, SERVER);
    EXPECT_EQ(out.lease_s, 3600);
#define REJECT(mutate)                                                                             \
    do {                                                                                           \
        memcpy(q, p, n);                                                                           \
        mutate;                                                                                    \
        EXPECT(net_dhcp_parse(q, n, &g_c.s.cfg.mac, &out) != 0);                                   \
    } while (0)
    EXPECT(net_dhcp_parse(p, NET_DHCP_OPTIONS - 1, &g_c.s.cfg.mac, &out) != 0);
    REJECT(q[NET_DHCP_OP] = 1);
    REJECT(q[NET_DHCP_HLEN] = 8);
    REJECT(q[NET_DHCP_CHADDR + 5] ^= 1);
    REJECT(q[NET_DHCP_COOKIE] = 0);
    REJECT(q[NET_DHCP_OPTIONS + 2] = NET_DHCPREQUEST); /* not a reply type */
    REJECT(q[NET_DHCP_OPTIONS + 1] = 2);               /* message type of length 2 */
    REJECT(q[NET_DHCP_OPTIONS + 4] = 3);               /* server id of length 3 */
    REJECT(q[NET_DHCP_OPTIONS + 3] = 0; q[NET_DHCP_OPTIONS + 4] = 0; q[NET_DHCP_OPTIONS + 5] = 0;
           q[NET_DHCP_OPTIONS + 6] = 0; q[NET_DHCP_OPTIONS + 7] = 0; q[NET_DHCP_OPTIONS + 8] = 0;
           q[NET_DHCP_OPTIONS + 9] = 0);                                        /* no server id */
    EXPECT(net_dhcp_parse(p, NET_DHCP_OPTIONS + 5, &g_c.s.cfg.mac, &out) != 0); /* option cut */
    REJECT(q[NET_DHCP_OPTIONS] = 0; q[NET_DHCP_OPTIONS + 1] = 0; q[NET_DHCP_OPTIONS + 2] = 0);
    REJECT(q[NET_DHCP_OPTIONS + 16] = 3);   /* router option of 3 bytes */
    REJECT(q[NET_DHCP_OPTIONS + 16] = 250); /* an option running past the message */
    /* An option we do not know is skipped (here the mask's code changed to 200). */
    memcpy(q, p, n);
    q[NET_DHCP_OPTIONS + 9] = 200;
    EXPECT_EQ(net_dhcp_parse(q, n, &g_c.s.cfg.mac, &out), 0);
    EXPECT_EQ(out.netmask, 0);
    EXPECT_EQ(out.router, SERVER);
#undef REJECT
    /* The client ignores: another transaction, another source port, garbage; nothing moves. */
    rej = g_d.rejected;
    r.xid = m.xid + 1;
    deliver(&r, 0);
    r.xid = m.xid;
    n = build(p, &r);
    deliver_raw(p, n, 1067, 0);
    deliver_raw(p, 10, 67, 0);
    /* Unusable offers: no lease time, a multicast address, a broken mask, address zero. */
    r.lease = 0;
    deliver(&r, 0);
    r = offer(NET_DHCPOFFER, m.xid);
    r.yiaddr = NET_IP4(224, 0, 0, 5);
    deliver(&r, 0);
    r = offer(NET_DHCPOFFER, m.xid);
    r.mask = NET_IP4(255, 0, 255, 0);
    deliver(&r, 0);
    r = offer(NET_DHCPOFFER, m.xid);
    r.yiaddr = 0;
    deliver(&r, 0);
    r = offer(NET_DHCPACK, m.xid); /* an ACK while selecting */
    deliver(&r, 0);
    EXPECT_EQ(g_d.rejected, rej + 8);
    EXPECT_EQ(g_d.state, NET_DHCP_SELECTING);
    /* In REQUESTING: an ACK for another address than offered is ignored. */
    r = offer(NET_DHCPOFFER, m.xid);
    deliver(&r, 0);
    r = offer(NET_DHCPACK, m.xid);
    r.yiaddr = NET_IP4(10, 0, 2, 16);
    deliver(&r, 0);
    EXPECT_EQ(g_d.state, NET_DHCP_REQUESTING);
    /* An ACK whose address is the subnet's broadcast: the stack refuses it, start again. */
    EXPECT(start(7));
    net_dhcp_poll(&g_d, 0);
    EXPECT(last_sent(&m));
    r = offer(NET_DHCPOFFER, m.xid);
    r.yiaddr = NET_IP4(10, 0, 2, 255);
    deliver(&r, 0);
    r.type = NET_DHCPACK;
    deliver(&r, 0);
    EXPECT_EQ(g_d.state, NET_DHCP_INIT);
    EXPECT_EQ(g_c.s.cfg.addr, 0);
    /* BOUND ignores stray replies. */
    EXPECT(get_lease(0, offer(0, 0)));
    rej = g_d.rejected;
    r = offer(NET_DHCPACK, g_d.xid);
    deliver(&r, 1);
    EXPECT_EQ(g_d.rejected, rej + 1);
    return true;
}

static bool
test_odd_leases(void)
{
    struct reply r = offer(0, 0);

    /* A router off the subnet is dropped; T1/T2 out of order fall back to the defaults. */
    EXPECT(start(8));
    r.router = NET_IP4(192, 168, 0, 1);
    r.t1 = 3000;
    r.t2 = 2000;
    r.mask = 0; /* no mask: /24 */
    EXPECT(get_lease(0, r));
    EXPECT_EQ(g_c.s.cfg.gateway, 0);
    EXPECT_EQ(g_c.s.cfg.netmask, MASK);
    EXPECT_EQ(g_d.t1_at, 1800 * 1000);
    /* An infinite lease has no timers at all. */
    EXPECT(start(9));
    r = offer(0, 0);
    r.lease = 0xffffffffu;
    EXPECT(get_lease(0, r));
    EXPECT_EQ(net_dhcp_poll(&g_d, 1), NET_NO_DEADLINE);
    EXPECT_EQ(net_dhcp_poll(&g_d, UINT64_MAX - 1), NET_NO_DEADLINE);
    EXPECT_EQ(g_c.s.cfg.addr, OFFERED);
    return true;
}

static bool
test_start_errors(void)
{
    static struct net_dhcp other;

    EXPECT(start(10));
    EXPECT_ERR(net_dhcp_start(&other, &g_c.s, 0, entropy, NULL), -NET_EADDRINUSE);
    EXPECT_ERR(net_dhcp_start(&other, &g_c.s, 0, NULL, NULL), -NET_EINVAL);
    return true;
}

int
main(void)
{
    run("dhcp/lease", test_lease);
    run("dhcp/renew_rebind_expire", test_renew_rebind_expire);
    run("dhcp/nak", test_nak);
    run("dhcp/retransmit_and_ids", test_retransmit_and_ids);
    run("dhcp/rejects", test_rejects);
    run("dhcp/odd_leases", test_odd_leases);
    run("dhcp/start_errors", test_start_errors);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
