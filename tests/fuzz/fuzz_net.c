/*
 * libFuzzer target for lib/net: every parser (Ethernet, ARP, IPv4 with options and
 * reassembly, ICMP, UDP) through the stack's own input path, with time, transmissions and
 * socket calls mixed in. Two stacks, A and B, share a virtual link (tests/unit/net/netsim.h).
 *
 * The input is a sequence of records: one op byte, a 16-bit little-endian length, then
 * that many bytes (fewer at the end of the input). Ops (op % 8):
 *   0  the bytes as a raw frame to B
 *   1  the bytes as an IPv4 packet to B behind a valid Ethernet header; the op byte's high
 *      bits ask for the IPv4 header checksum and a UDP or ICMP checksum to be made right,
 *      so the fuzzer reaches reassembly and the protocols without solving checksums
 *   2  time advances by the first two bytes (ms, times the third byte + 1); both stacks poll
 *   3  A sends the bytes by UDP to B's port 7 (the echo service) or another port
 *   4  A pings B with the bytes as data
 *   5  frames cross the link both ways until it is quiet
 *   6  B binds a socket, or closes one that op 6 bound
 *   7  B's link has the first byte's number of transmit buffers (0: none)
 * except that a record whose op has bits 0x18 set goes to a third stack, C, which has no
 * address and runs the DHCP client: the bytes are a DHCP reply from a server (port 67,
 * broadcast; with op bit 0x20 its transaction ID and MAC are made C's), then C polls with
 * the time advanced by op bit 0x40 to the client's next deadline; and a record whose op
 * has bits 0x18 equal to 0x08 goes to B's DNS resolver (server 10.0.2.99): with op bit
 * 0x20 B resolves the bytes as a name, otherwise the bytes are a response from the server
 * to B's first query in flight (with op bit 0x40 its ID and question made the query's),
 * then the resolver polls, time advanced by op bit 0x80 to its next deadline.
 *
 * The oracle, after every record: net_check holds for both stacks (each packet buffer in
 * exactly one place, counts right, queues and reassembly within their bounds); every frame
 * B sends parses with lib/net's own parsers, carries B's MAC and address and valid
 * checksums. C's client keeps its lease consistent with C's address (an address only
 * while bound, renewing or rebinding, and T1 <= T2 <= expiry), and C sends only ARP and
 * DHCP requests. At the end, once every timer has run, every packet buffer is free again.
 */
#include <vallum/net/dhcp.h>
#include <vallum/net/dns.h>
#include <vallum/net/net.h>

#include <stdio.h>

#include "../unit/net/netsim.h"

static const net_ip4_t IP_A = NET_IP4(10, 0, 2, 1);
static const net_ip4_t IP_B = NET_IP4(10, 0, 2, 2);

static struct sim_node a, b, c;
static struct net_dhcp dhcp;
static struct net_dns dns;
static struct net_dns_cache_entry dns_cache[4];
static struct net_dns_query dns_queries[2];
static int dns_answers; /* callbacks */
static uint32_t entropy_state;
static uint8_t frame[NET_FRAME_MAX];

static void
fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_net: %s: %s\n", what, detail);
    abort();
}

static void
rx_echo(void *ctx, int sock, net_ip4_t src, uint16_t sport, const uint8_t *data, size_t len)
{
    struct sim_node *n = ctx;

    net_udp_sendto(&n->s, 0, sock, src, sport, data, len);
}

static void
rx_sink(void *ctx, int sock, net_ip4_t src, uint16_t sport, const uint8_t *data, size_t len)
{
    volatile uint8_t sum = 0;
    size_t i;

    (void)ctx;
    (void)sock;
    (void)src;
    (void)sport;
    /* Touch every byte: ASan checks the stack handed over readable memory. */
    for (i = 0; i < len; i++) {
        sum = (uint8_t)(sum + data[i]);
    }
}

static void
check_stack(const struct sim_node *n, const char *name)
{
    char why[200];

    if (!net_check(&n->s, why, sizeof(why))) {
        fail(name, why);
    }
}

/* Checks every frame B sent since the last call. */
static void
check_sent(size_t from)
{
    size_t i;

    for (i = from; i < b.nout; i++) {
        const uint8_t *f = b.out[i].data;
        size_t len = b.out[i].len;
        struct net_eth eth;
        struct net_ipv4 ip;

        if (len > NET_FRAME_MAX || net_eth_parse(f, len, &eth) != 0) {
            fail("sent frame", "bad Ethernet header");
        }
        if (!net_mac_equal(&eth.src, &b.s.cfg.mac)) {
            fail("sent frame", "not from B's MAC");
        }
        if (eth.type == NET_ETHERTYPE_ARP) {
            struct net_arp arp;
            if (net_arp_parse(f + NET_ETH_HDR_LEN, len - NET_ETH_HDR_LEN, &arp) != 0 ||
                arp.spa != b.s.cfg.addr) {
                fail("sent frame", "bad ARP");
            }
            continue;
        }
        if (eth.type != NET_ETHERTYPE_IPV4 ||
            net_ipv4_parse(f + NET_ETH_HDR_LEN, len - NET_ETH_HDR_LEN, &ip) != 0 ||
            ip.src != b.s.cfg.addr || ip.ttl == 0) {
            fail("sent frame", "bad IPv4");
        }
        if (ip.frag_off == 0 && !ip.mf) {
            const uint8_t *p = f + NET_ETH_HDR_LEN + ip.hdr_len;
            size_t plen = ip.total_len - ip.hdr_len;
            struct net_icmp icmp;
            struct net_udp udp;
            if (ip.proto == NET_PROTO_ICMP && net_icmp_parse(p, plen, &icmp) != 0) {
                fail("sent frame", "bad ICMP");
            }
            if (ip.proto == NET_PROTO_UDP && net_udp_parse(p, plen, ip.src, ip.dst, &udp) != 0) {
                fail("sent frame", "bad UDP");
            }
        }
    }
}

/* Makes the IPv4 header (and a UDP or ICMP checksum, if fix says) of pkt[0..len) right. */
static void
fix_ip(uint8_t *pkt, size_t len, uint8_t fix)
{
    size_t hl, tl;

    if (len < NET_IP_HDR_LEN) {
        return;
    }
    hl = (size_t)(pkt[0] & 0xf) * 4;
    if (hl < NET_IP_HDR_LEN || hl > len) {
        hl = NET_IP_HDR_LEN;
    }
    pkt[0] = (uint8_t)(0x40 | (hl / 4));
    if (fix & 0x20) {
        net_put16(pkt + NET_IP_LEN, (uint16_t)len);
    }
    tl = net_get16(pkt + NET_IP_LEN);
    if ((fix & 0x40) && tl <= len && tl >= hl) {
        const uint8_t *frag = pkt + NET_IP_FRAG;
        bool whole = (net_get16(frag) & (NET_IP_FLAG_MF | NET_IP_OFFSET_MASK)) == 0;
        if (whole && pkt[NET_IP_PROTO] == NET_PROTO_UDP && tl - hl >= NET_UDP_HDR_LEN) {
            net_put16(pkt + hl + NET_UDP_LEN, (uint16_t)(tl - hl));
            net_put16(pkt + hl + NET_UDP_CSUM, 0);
            net_put16(pkt + hl + NET_UDP_CSUM,
                      net_udp_checksum(pkt + hl, pkt + hl + NET_UDP_HDR_LEN,
                                       tl - hl - NET_UDP_HDR_LEN, net_get32(pkt + NET_IP_SRC),
                                       net_get32(pkt + NET_IP_DST)));
        } else if (whole && pkt[NET_IP_PROTO] == NET_PROTO_ICMP && tl - hl >= NET_ICMP_HDR_LEN) {
            net_put16(pkt + hl + NET_ICMP_CSUM, 0);
            net_put16(pkt + hl + NET_ICMP_CSUM,
                      net_csum_finish(net_csum_add(0, pkt + hl, tl - hl)));
        }
    }
    net_put16(pkt + NET_IP_CSUM, 0);
    net_put16(pkt + NET_IP_CSUM, net_csum_finish(net_csum_add(0, pkt, hl)));
}

static uint32_t
entropy(void *ctx)
{
    (void)ctx;
    entropy_state = entropy_state * 1103515245u + 12345u;
    return entropy_state;
}

/* Checks C's client against C's stack, and every frame C sent. */
static void
check_dhcp(void)
{
    size_t i;

    if (dhcp.state >= NET_DHCP_BOUND) {
        if (c.s.cfg.addr != dhcp.lease.yiaddr || dhcp.t1_at > dhcp.t2_at ||
            dhcp.t2_at > dhcp.expiry_at) {
            fail("dhcp", "lease and stack disagree");
        }
    } else if (c.s.cfg.addr != 0) {
        fail("dhcp", "an address without a lease");
    }
    for (i = 0; i < c.nout; i++) {
        const uint8_t *f = c.out[i].data;
        size_t len = c.out[i].len;
        struct net_ipv4 ip;
        struct net_udp u;
        struct net_arp arp;

        if (len >= NET_ETH_HDR_LEN && net_get16(f + NET_ETH_TYPE) == NET_ETHERTYPE_ARP &&
            net_arp_parse(f + NET_ETH_HDR_LEN, len - NET_ETH_HDR_LEN, &arp) == 0) {
            continue;
        }
        if (len < NET_ETH_HDR_LEN ||
            net_ipv4_parse(f + NET_ETH_HDR_LEN, len - NET_ETH_HDR_LEN, &ip) != 0 ||
            ip.proto != NET_PROTO_UDP ||
            net_udp_parse(f + NET_ETH_HDR_LEN + ip.hdr_len, ip.total_len - ip.hdr_len, ip.src,
                          ip.dst, &u) != 0 ||
            u.sport != NET_DHCP_CLIENT_PORT || u.dport != NET_DHCP_SERVER_PORT ||
            u.payload_len < NET_DHCP_MIN_LEN) {
            fail("dhcp", "C sent something other than ARP or a DHCP request");
        }
    }
    c.nout = 0;
}

static void
dns_result(void *ctx, const char *name, enum net_dns_status status, net_ip4_t addr)
{
    (void)ctx;
    (void)addr;
    if (strlen(name) > NET_DNS_NAME_MAX || (unsigned)status > NET_DNS_FAILED) {
        fail("dns", "bad result");
    }
    dns_answers++;
}

/* Checks the resolver: each query in flight owns a bound socket, cache names are short. */
static void
check_dns(void)
{
    size_t i;

    for (i = 0; i < 2; i++) {
        const struct net_dns_query *q = &dns_queries[i];
        if (q->name[0] != '\0' &&
            (net_udp_port(&b.s, q->sock) == 0 || b.s.mem.udp[q->sock].ctx != q)) {
            fail("dns", "a query without its socket");
        }
    }
    for (i = 0; i < 4; i++) {
        if (memchr(dns_cache[i].name, '\0', sizeof(dns_cache[i].name)) == NULL) {
            fail("dns", "cache name not terminated");
        }
    }
}

/* A record for B's resolver (see the op list above). */
static void
dns_record(uint8_t op, const uint8_t *p, size_t n, uint64_t *now)
{
    static uint8_t msg[NET_MTU];
    static uint8_t u[NET_MTU];
    char name[64];
    const struct net_dns_query *q = dns_queries[0].name[0] ? &dns_queries[0] : &dns_queries[1];
    size_t ul, len;

    if (op & 0x20) {
        n = n < sizeof(name) - 1 ? n : sizeof(name) - 1;
        memcpy(name, p, n);
        name[n] = '\0';
        net_dns_resolve(&dns, *now, name, dns_result, NULL);
    } else if (q->name[0] != '\0') {
        n = n < NET_MTU - 28 ? n : NET_MTU - 28;
        memcpy(msg, p, n);
        if (op & 0x40) {
            int ql = net_dns_build_query(u, q->id, q->name);
            if (ql > 0 && (size_t)ql <= n) {
                memcpy(msg, u, (size_t)ql);
                msg[2] |= 0x80;
            }
        }
        ul = sim_udp(u, NET_IP4(10, 0, 2, 99), b.s.cfg.addr, NET_DNS_PORT,
                     net_udp_port(&b.s, q->sock), msg, n);
        len = sim_ip_frame(frame, &b.s.cfg.mac, NET_IP4(10, 0, 2, 99), b.s.cfg.addr, NET_PROTO_UDP,
                           1, 0, false, NULL, 0, u, ul);
        net_input(&b.s, *now, frame, len);
    }
    if (op & 0x80) {
        uint64_t t = net_dns_poll(&dns, *now);
        *now = t != NET_NO_DEADLINE ? t : *now;
    }
    net_dns_poll(&dns, *now);
    check_dns();
}

/* Delivers a DHCP reply to C (see the op list above). */
static void
dhcp_record(uint8_t op, const uint8_t *p, size_t n, uint64_t *now)
{
    static uint8_t msg[NET_MTU];
    static uint8_t u[NET_MTU];
    size_t ul, len;

    if (n > NET_MTU - NET_IP_HDR_LEN - NET_UDP_HDR_LEN) {
        n = NET_MTU - NET_IP_HDR_LEN - NET_UDP_HDR_LEN;
    }
    memcpy(msg, p, n);
    if ((op & 0x20) && n >= NET_DHCP_CHADDR + 6) {
        net_put32(msg + NET_DHCP_XID, dhcp.xid);
        memcpy(msg + NET_DHCP_CHADDR, c.s.cfg.mac.b, 6);
    }
    ul = sim_udp(u, NET_IP4(10, 0, 2, 2), NET_IP4_BROADCAST, NET_DHCP_SERVER_PORT,
                 NET_DHCP_CLIENT_PORT, msg, n);
    len = sim_ip_frame(frame, &(struct net_mac){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
                       NET_IP4(10, 0, 2, 2), NET_IP4_BROADCAST, NET_PROTO_UDP, 1, 0, false, NULL, 0,
                       u, ul);
    net_input(&c.s, *now, frame, len);
    if ((op & 0x40) && dhcp.next != NET_NO_DEADLINE && dhcp.next > *now) {
        *now = dhcp.next;
    }
    net_poll(&c.s, *now);
    net_dhcp_poll(&dhcp, *now);
    check_dhcp();
    check_stack(&c, "C");
}

static void
setup(void)
{
    struct net_config cfg = {.mac = {{0x02, 0, 0, 0, 0, 0x0c}}};
    struct net_mem mem = {c.arp,     SIM_ARP,     c.pkts,        SIM_PKTS, c.reass,
                          SIM_REASS, c.reass_buf, SIM_REASS_BUF, c.udp,    SIM_UDP};
    struct net_netif netif = {sim_tx_acquire, sim_tx_submit, &c};

    memset(&c, 0, sizeof(c));
    c.tx_limit = SIM_TXBUFS;
    entropy_state = 1;
    if (net_init(&c.s, &cfg, &mem, &netif) != 0 ||
        net_dhcp_start(&dhcp, &c.s, 0, entropy, NULL) != 0) {
        fail("setup", "dhcp");
    }
    net_dhcp_poll(&dhcp, 0);
    check_dhcp();
    if (sim_node_init(&a, 1, IP_A, 0, SIM_PKTS) != 0 ||
        sim_node_init(&b, 2, IP_B, NET_IP4(10, 0, 2, 254), 0) != 0) {
        fail("setup", "net_init");
    }
    if (net_udp_bind(&b.s, 7, rx_echo, &b) < 0 || net_udp_bind(&a.s, 7, rx_sink, NULL) < 0) {
        fail("setup", "bind");
    }
    {
        net_ip4_t ns = NET_IP4(10, 0, 2, 99);
        if (net_dns_init(&dns, &b.s, dns_cache, 4, dns_queries, 2, entropy, NULL) != 0 ||
            net_dns_set_servers(&dns, &ns, 1) != 0) {
            fail("setup", "dns");
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t now = 0, t;
    size_t i = 0, from;
    int k;

    setup();
    dns_answers = 0;
    while (i < size) {
        uint8_t op = data[i];
        size_t n = i + 2 < size ? (size_t)(data[i + 1] | (data[i + 2] << 8)) : 0;
        const uint8_t *p = data + (i + 3 < size ? i + 3 : size);

        i += 3;
        if (i > size) {
            i = size;
        }
        if (n > size - i) {
            n = size - i;
        }
        i += n;
        from = b.nout;
        if ((op & 0x18) == 0x18) {
            dhcp_record(op, p, n, &now);
            continue;
        }
        if ((op & 0x18) == 0x08) {
            dns_record(op, p, n, &now);
            check_sent(from);
            check_stack(&b, "B");
            continue;
        }
        switch (op % 8) {
        case 0:
            net_input(&b.s, now, p, n);
            break;
        case 1:
            if (n > NET_MTU) {
                n = NET_MTU;
            }
            sim_eth(frame,
                    (op & 0x80) ? &(struct net_mac){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
                                : &b.s.cfg.mac,
                    0x99, NET_ETHERTYPE_IPV4);
            memcpy(frame + NET_ETH_HDR_LEN, p, n);
            fix_ip(frame + NET_ETH_HDR_LEN, n, op);
            net_input(&b.s, now, frame, NET_ETH_HDR_LEN + n);
            break;
        case 2:
            if (n >= 2) {
                now += (uint64_t)(p[0] | (p[1] << 8)) * (n >= 3 ? p[2] + 1u : 1u);
            }
            net_poll(&a.s, now);
            net_poll(&b.s, now);
            break;
        case 3:
            net_udp_sendto(&a.s, now, 0, IP_B, (op & 0x80) ? 9 : 7, p, n);
            break;
        case 4:
            net_ping(&a.s, now, IP_B, 1, (uint16_t)n, p, n);
            break;
        case 5:
            sim_settle(&a, &b, now);
            from = 0;
            break;
        case 6:
            k = n > 0 ? p[0] % SIM_UDP : 0;
            if (b.s.mem.udp[k].port != 0) {
                /* Only sockets this op bound: the resolver's and the echo service stay. */
                if (b.s.mem.udp[k].recv == rx_sink) {
                    net_udp_close(&b.s, k);
                }
            } else {
                net_udp_bind(&b.s, n > 2 ? (uint16_t)(p[1] | (p[2] << 8)) : 0, rx_sink, NULL);
            }
            break;
        default:
            b.tx_limit = n > 0 ? p[0] : 0;
            break;
        }
        check_sent(from);
        /* Keep the outboxes from filling: what was checked is gone from the link. */
        if (b.nout > SIM_TXBUFS / 2) {
            b.nout = 0;
        }
        if (a.nout > SIM_TXBUFS / 2) {
            a.nout = 0;
        }
        check_stack(&a, "A");
        check_stack(&b, "B");
    }
    /* Every DNS query ends first (its retries may leave frames waiting for ARP): answered or given
     * up, its socket closed. */
    for (k = 0, t = now; k < 20 && t != NET_NO_DEADLINE; k++) {
        t = net_dns_poll(&dns, t);
    }
    if (dns_queries[0].name[0] != '\0' || dns_queries[1].name[0] != '\0') {
        fail("dns", "a query never ends");
    }
    /* Every timer ends, and then every buffer is back in its pool. */
    a.nout = b.nout = 0;
    b.tx_limit = SIM_TXBUFS;
    for (k = 0, t = now; k < 200 && t != NET_NO_DEADLINE; k++) {
        t = net_poll(&b.s, t);
        b.nout = 0;
    }
    for (k = 0, t = now; k < 200 && t != NET_NO_DEADLINE; k++) {
        t = net_poll(&a.s, t);
        a.nout = 0;
    }
    if (net_poll(&a.s, UINT64_MAX - 1) != NET_NO_DEADLINE ||
        net_poll(&b.s, UINT64_MAX - 1) != NET_NO_DEADLINE) {
        fail("end", "timers never stop");
    }
    for (k = 0, t = now; k < 200 && t != NET_NO_DEADLINE; k++) {
        t = net_poll(&c.s, t);
        c.nout = 0;
    }

    check_stack(&a, "A");
    check_stack(&b, "B");
    check_stack(&c, "C");
    if (net_pkts_free(&a.s) != SIM_PKTS || net_pkts_free(&b.s) != SIM_PKTS ||
        net_pkts_free(&c.s) != SIM_PKTS) {
        fail("end", "packet buffers leaked");
    }
    return 0;
}
