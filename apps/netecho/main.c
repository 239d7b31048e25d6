/*
 * netecho: the client of the net example (systems/net). It runs lib/net, the stack as a
 * library in the client (docs/network.md), over two lib/ring rings to the virtio-net
 * driver: frames arrive on the rx ring (the buffers mapped read-only here) and leave on the
 * tx ring (the client's own buffers, which the driver and the device only read). It gets
 * its address by DHCP, prints it, answers ping, pings its gateway once, and runs the UDP
 * echo service (RFC 862) on port 7.
 *
 * Time is the goldfish RTC's (a device this component holds until a timer service exists):
 * milliseconds since boot, and its alarm wakes the component at the stack's next deadline.
 *
 * Randomness comes from the entropy service (apps/rng, interfaces/entropy.idl) on call
 * channel CH_RNG: the IPv4 identification seed, the first ephemeral port, TCP's secret for
 * ISNs, SYN cookies and ports, and every draw of the DHCP client (transaction ids, jitter)
 * and of a DNS resolver given the same callback. It prints the DHCP transaction id and its
 * first ephemeral port, so the tests can see two boots differ.
 */
#include <stdio.h>
#include <string.h>
#include <vallum/goldfish_rtc.h>
#include <vallum/hw.h>
#include <vallum/net/dhcp.h>
#include <vallum/net/net.h>
#include <vallum/net/tcp.h>
#include <vallum/os.h>
#include <vallum/ring.h>

#include "../../lib/hw/example/goldfish_clock.h"
#include "entropy.h"

#define CH_NIC 0
#define CH_RTC 1
#define CH_RNG 2
#define MAX_BUFS 64
#define ECHO_PORT 7
#define PING_ID 0x7e57

NET_MEM_DEFINE(mem, 16, 32, 2, 16384, 4);
NET_TCP_MEM_DEFINE(tcp_mem, 2, 4 * NET_TCP_BLOCK);
static struct net_stack stack;
static struct net_tcp tcp;
static struct net_dhcp dhcp;
static struct ring rx, tx;
static uint64_t rx_owned[RING_OWNED_WORDS(MAX_BUFS)];
static uint64_t tx_owned[RING_OWNED_WORDS(MAX_BUFS)];
static uint32_t tx_free[MAX_BUFS]; /* offsets of transmit buffers held and unused */
static unsigned tx_nfree;
static uint32_t buf_size;
static uint8_t *tx_base; /* the transmit data region, for a buffer's offset */
static struct goldfish_clock clock;
static uint64_t boot_ns, now;
static net_ip4_t shown_addr;
static bool pinged, running;
static bool entropy_broken; /* the service refused a draw: the component stops */
static uint64_t echoes;
static uint8_t pool[256]; /* bytes drawn from the entropy service and not yet used */
static size_t pool_left;
static uint16_t first_port; /* where the stack's ephemeral ports start (from the service) */

static uint64_t
clock_ms(void)
{
    return (goldfish_clock_ns(&clock) - boot_ns) / 1000000u;
}

/* Takes n bytes from the entropy service, drawing sizeof(pool) at a time (one call per 64
 * DHCP transaction ids). Returns false if the service refused (then out is untouched). */
static bool
draw(void *out, size_t n)
{
    if (pool_left < n) {
        size_t got = 0;
        int st = entropy_random(CH_RNG, sizeof(pool), pool, &got);
        if (st != 0 || got != sizeof(pool)) {
            printf("netecho: entropy service: status %d, %u bytes\n", st, (unsigned)got);
            return false;
        }
        pool_left = sizeof(pool);
    }
    uint8_t *p = pool + sizeof(pool) - pool_left;
    memcpy(out, p, n);
    memset(p, 0, n); /* a byte is used once */
    pool_left -= n;
    return true;
}

/* lib/net's entropy callback (DHCP, DNS). The service does not fail once seeded, which
 * init() checked; if it ever does, the component stops rather than use predictable ids. */
static uint32_t
entropy(void *ctx)
{
    (void)ctx;
    uint32_t v = 0;
    if (!draw(&v, sizeof(v))) {
        entropy_broken = true;
    }
    return v;
}

static uint8_t *
tx_acquire(void *ctx, size_t *cap)
{
    (void)ctx;
    struct ring_desc d;
    int s;
    while (tx_nfree == 0 && (s = ring_dequeue(&tx, &d)) != RING_EMPTY) {
        if (s == RING_OK) {
            tx_free[tx_nfree++] = d.offset;
        } else if (ring_is_broken(&tx)) {
            return NULL;
        }
    }
    if (tx_nfree == 0) {
        return NULL;
    }
    uint32_t offset = tx_free[--tx_nfree];
    *cap = buf_size;
    return ring_buffer(&tx, (struct ring_desc){offset, buf_size});
}

static void
tx_submit(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    uint32_t offset = (uint32_t)(buf - tx_base); /* a buffer tx_acquire gave */
    if (ring_enqueue(&tx, (struct ring_desc){offset, (uint32_t)len}) != RING_OK) {
        tx_free[tx_nfree++] = offset; /* only on a broken ring: keep it */
    }
}

/* Every ECHO_REPORT echoes, the instructions retired so far by the hart and those run in
 * netecho's run() (rdinstret): under QEMU's -icount, differences between two reports give
 * the cost of an echo in the whole system and in the client (docs/virtio.md, "Measured");
 * without -icount the figures mean nothing. */
#define ECHO_REPORT 256
static uint64_t busy; /* instructions retired inside run() */

static uint64_t
instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

static void
echo(void *ctx, int sock, net_ip4_t src, uint16_t sport, const uint8_t *data, size_t len)
{
    (void)ctx;
    if (net_udp_sendto(&stack, now, sock, src, sport, data, len) != 0) {
        return;
    }
    if (++echoes % ECHO_REPORT == 0) {
        printf("netecho: %lu echoes, %lu instructions retired, %lu in netecho\n",
               (unsigned long)echoes, (unsigned long)instret(), (unsigned long)busy);
    }
}

static void
print_ip(const char *what, net_ip4_t a)
{
    printf("%s%u.%u.%u.%u", what, (unsigned)(a >> 24), (unsigned)(a >> 16 & 255),
           (unsigned)(a >> 8 & 255), (unsigned)(a & 255));
}

static void
echo_reply(void *ctx, net_ip4_t src, uint16_t id, uint16_t seq, const uint8_t *data, size_t len)
{
    (void)ctx, (void)data;
    if (id == PING_ID) {
        print_ip("netecho: ping reply from ", src);
        printf(", seq %u, %u bytes\n", (unsigned)seq, (unsigned)len);
    }
}

/* Prints the address when DHCP gives (or takes) one; pings the gateway once. */
static void
show_address(void)
{
    net_ip4_t a = stack.cfg.addr;
    if (a == shown_addr) {
        return;
    }
    shown_addr = a;
    if (a == 0) {
        printf("netecho: address lost\n");
        return;
    }
    unsigned bits = 0;
    for (net_ip4_t m = stack.cfg.netmask; m != 0; m <<= 1) {
        bits++;
    }
    if (!pinged) { /* the first lease: the transaction that got it */
        printf("netecho: entropy from the service: DHCP xid %#010lx, first ephemeral port %u\n",
               (unsigned long)dhcp.xid, (unsigned)first_port);
    }
    print_ip("netecho: address ", a);
    printf("/%u", bits);
    print_ip(", gateway ", stack.cfg.gateway);
    print_ip(", from DHCP server ", dhcp.lease.server);
    printf("; UDP echo on port %u\n", ECHO_PORT);
    if (!pinged && stack.cfg.gateway != 0) {
        static const uint8_t payload[] = "vallum";
        pinged =
            net_ping(&stack, now, stack.cfg.gateway, PING_ID, 1, payload, sizeof(payload)) == 0;
    }
}

/* Takes every frame the driver passed, then runs the timers and sets the alarm. */
static void run_stack(void);

static void
run(void)
{
    uint64_t t0 = instret();
    run_stack();
    busy += instret() - t0;
}

static void
run_stack(void)
{
    for (unsigned pass = 0; pass < 64; pass++) {
        ring_awake(&rx);
        struct ring_desc d;
        int s;
        now = clock_ms();
        while ((s = ring_dequeue(&rx, &d)) != RING_EMPTY && !ring_is_broken(&rx)) {
            if (s != RING_OK) {
                continue;
            }
            const uint8_t *frame = ring_buffer(&rx, d);
            if (frame != NULL) {
                net_input(&stack, now, frame, d.length);
            }
            (void)ring_enqueue(&rx, (struct ring_desc){d.offset, 0}); /* held: it fits */
        }
        uint64_t next = net_poll(&stack, now), dnext = net_dhcp_poll(&dhcp, now);
        show_address();
        if (ring_signal_needed(&rx) | ring_signal_needed(&tx)) {
            vl_os_notify(CH_NIC);
        }
        if (ring_sleep_prepare(&rx)) {
            next = dnext < next ? dnext : next;
            if (next != NET_NO_DEADLINE) {
                goldfish_clock_set_alarm(&clock, boot_ns + (next + 1) * 1000000u);
            }
            return;
        }
    }
}

void
init(void)
{
    int64_t nbufs = MAX_BUFS, size = 2048;
    const char *mac_str = "52:54:00:12:34:56";
    (void)vl_os_config_int("bufs", &nbufs);
    (void)vl_os_config_int("buf_size", &size);
    (void)vl_os_config_str("mac", &mac_str);
    struct net_config cfg = {0};
    unsigned m[6];
    if (sscanf(mac_str, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6 ||
        nbufs < 1 || nbufs > MAX_BUFS || size < NET_FRAME_MAX || size > 65536) {
        printf("netecho: bad config (mac, bufs 1..%d, buf_size %d..65536)\n", MAX_BUFS,
               NET_FRAME_MAX);
        return;
    }
    for (unsigned i = 0; i < 6; i++) {
        cfg.mac.b[i] = (uint8_t)m[i];
    }
    buf_size = (uint32_t)size;
    struct ring_config shape = {
        .capacity = MAX_BUFS, .buf_size = buf_size, .nbufs = (uint32_t)nbufs, .owned = rx_owned};
    int s = vl_os_ring_open(&rx, RING_CONSUMER, "rx_queues", "rx_data", shape);
    shape.owned = tx_owned;
    if (s == VL_OS_OK) {
        s = vl_os_ring_open(&tx, RING_PRODUCER, "tx_queues", "tx_data", shape);
    }
    if (s != VL_OS_OK || !goldfish_clock_open(&clock, "rtc")) {
        printf("netecho: rings or clock missing: %s\n", vl_os_status_name(s));
        return;
    }
    ring_own_all(&tx);
    tx_base = vl_os_region("tx_data", NULL);
    /* The description maps the buffer regions here without `paddr`: the device addresses
     * are the driver's alone. Shown, so the tests see the rule hold. */
    uint64_t paddr = 0;
    printf("netecho: physical address of rx_data: %s\n",
           vl_os_status_name(vl_os_region_paddr("rx_data", &paddr)));
    for (uint32_t i = 0; i < (uint32_t)nbufs; i++) {
        tx_free[tx_nfree++] = i * buf_size;
    }
    /* The service refuses sizes out of range (shown, so the tests see it). */
    size_t none = 0;
    int zero = entropy_random(CH_RNG, 0, pool, &none);
    int big = entropy_random(CH_RNG, 257, pool, &none);
    printf("netecho: entropy service refuses 0 bytes: %s, 257 bytes: %s\n",
           zero == ENTROPY_RANDOM_BAD_SIZE ? "bad_size" : "NOT REFUSED",
           big == ENTROPY_RANDOM_BAD_SIZE ? "bad_size" : "NOT REFUSED");
    boot_ns = goldfish_clock_ns(&clock);
    struct net_tcp_config tcp_cfg = {0};
    if (!draw(&cfg.ip_id_seed, sizeof(cfg.ip_id_seed)) ||
        !draw(&cfg.ephemeral_seed, sizeof(cfg.ephemeral_seed)) ||
        !draw(tcp_cfg.isn_key, sizeof(tcp_cfg.isn_key))) {
        return;
    }
    static const struct net_netif link = {tx_acquire, tx_submit, NULL};
    int err = net_init(&stack, &cfg, &mem, &link);
    if (err == 0) {
        err = net_tcp_init(&stack, &tcp, &tcp_cfg, &tcp_mem);
    }
    memset(tcp_cfg.isn_key, 0, sizeof(tcp_cfg.isn_key)); /* the stack keeps its copy */
    if (err == 0) {
        net_set_echo_handler(&stack, echo_reply, NULL);
        err = net_udp_bind(&stack, ECHO_PORT, echo, NULL);
    }
    int probe = err >= 0 ? net_udp_bind(&stack, 0, echo, NULL) : err;
    first_port = probe >= 0 ? net_udp_port(&stack, probe) : 0;
    if (probe >= 0) {
        err = net_udp_close(&stack, probe); /* only to show where ephemeral ports start */
    }
    if (err >= 0) {
        err = net_dhcp_start(&dhcp, &stack, 0, entropy, NULL);
    }
    if (err < 0 || probe < 0 || entropy_broken) {
        printf("netecho: stack: %s\n", net_strerror(err < 0 ? err : probe));
        return;
    }
    printf("netecho: stack up, asking for an address by DHCP\n");
    running = true;
    run();
}

void
notified(unsigned id)
{
    if (!running || entropy_broken) {
        return;
    }
    if (id == CH_RTC) {
        hw_write32(&clock.regs, GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
        (void)vl_os_irq_ack(CH_RTC);
    }
    run();
}
