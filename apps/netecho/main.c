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
 */
#include <stdio.h>
#include <string.h>
#include <vallum/goldfish_rtc.h>
#include <vallum/hw.h>
#include <vallum/net/dhcp.h>
#include <vallum/net/net.h>
#include <vallum/os.h>
#include <vallum/ring.h>

#include "../../lib/hw/example/goldfish_clock.h"

#define CH_NIC 0
#define CH_RTC 1
#define MAX_BUFS 64
#define ECHO_PORT 7
#define PING_ID 0x7e57

NET_MEM_DEFINE(mem, 16, 32, 2, 16384, 4);
static struct net_stack stack;
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
static uint64_t echoes;
static uint32_t seed;

static uint64_t
clock_ms(void)
{
    return (goldfish_clock_ns(&clock) - boot_ns) / 1000000u;
}

/* Randomness for DHCP transaction ids and jitter: the clock's nanoseconds and the cycle
 * counter stirred by xorshift. Not a CSPRNG: the virtio-rng driver (issue 12, item 5) is to
 * replace it. */
static uint32_t
entropy(void *ctx)
{
    (void)ctx;
    uint64_t cycles;
    __asm__ volatile("rdcycle %0" : "=r"(cycles));
    seed ^= (uint32_t)(cycles ^ goldfish_clock_ns(&clock));
    seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
    return seed;
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
    boot_ns = goldfish_clock_ns(&clock);
    seed = (uint32_t)(boot_ns ^ boot_ns >> 32) | 1;
    cfg.ip_id_seed = (uint16_t)entropy(NULL);
    static const struct net_netif link = {tx_acquire, tx_submit, NULL};
    int err = net_init(&stack, &cfg, &mem, &link);
    if (err == 0) {
        net_set_echo_handler(&stack, echo_reply, NULL);
        err = net_udp_bind(&stack, ECHO_PORT, echo, NULL);
    }
    if (err >= 0) {
        err = net_dhcp_start(&dhcp, &stack, 0, entropy, NULL);
    }
    if (err < 0) {
        printf("netecho: stack: %s\n", net_strerror(err));
        return;
    }
    printf("netecho: stack up, asking for an address by DHCP\n");
    running = true;
    run();
}

void
notified(unsigned id)
{
    if (!running) {
        return;
    }
    if (id == CH_RTC) {
        hw_write32(&clock.regs, GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
        (void)vl_os_irq_ack(CH_RTC);
    }
    run();
}
