/*
 * Host tests of the NS16550 driver core (drivers/serial/ns16550, the source the serial
 * component runs in QEMU) against the simulated UART of ns16550_model.c, under ASan and
 * UBSan: reset from any state, the transmit rule (never more than the FIFO takes, never
 * while it is busy), with and without FIFOs, the transmitter-empty interrupt, reception
 * with every line status error, and the bounds on every loop.
 */
#include "../../../drivers/serial/ns16550/ns16550.h"
#include "ns16550_model.h"

#include <vallum/ns16550.h>

#define VLTEST_STRERROR(x) "?"
#include "../vltest.h"

static struct ns16550_model m;

/* A fresh model attached as region "uart"; a 16550A unless has_fifos is false. */
static void
attach(bool has_fifos)
{
    hw_host_reset();
    ns16550_model_init(&m, has_fifos);
    hw_host_attach("uart", &ns16550_model_ops, &m, 4096);
}

/* Nothing the driver did broke a rule of the device or of lib/hw. */
static bool
clean(const struct ns16550 *u)
{
    EXPECT_EQ(u->regs.bad_accesses, 0);
    EXPECT_EQ(m.bad_widths, 0);
    EXPECT_EQ(m.thr_overflows, 0);
    return true;
}

static bool
test_open(void)
{
    struct ns16550 u = {.fifo_depth = 99};
    hw_host_reset();
    EXPECT(!ns16550_open(&u, "uart", 0)); /* no region */
    EXPECT_EQ(u.fifo_depth, 99);          /* untouched */
    ns16550_model_init(&m, true);
    EXPECT(hw_host_attach("small", &ns16550_model_ops, &m, NS16550_NREGS - 1));
    EXPECT(!ns16550_open(&u, "small", 0)); /* smaller than the registers */
    EXPECT(hw_host_attach("uart", &ns16550_model_ops, &m, 4096));
    EXPECT(!ns16550_open(&u, "uart", 3)); /* reg-shift beyond 32-bit registers */
    EXPECT(ns16550_open(&u, "uart", 0));
    EXPECT_EQ(u.fifo_depth, 16);
    EXPECT_EQ(m.lcr, NS16550_LCR_8N1);
    EXPECT_EQ(m.ier, NS16550_IER_RDI | NS16550_IER_RLSI);
    EXPECT(m.fifos_on);
    EXPECT(m.mcr & NS16550_MCR_OUT2);
    EXPECT(!ns16550_model_irq(&m));
    return clean(&u);
}

/* A UART a dead driver left in a mess: DLAB set, every interrupt on, stale bytes in both
 * directions, an overrun. The reset must leave it clean, and data must then flow. */
static bool
test_reset_from_any_state(void)
{
    struct ns16550 u;
    attach(true);
    EXPECT(ns16550_open(&u, "uart", 0));
    for (int i = 0; i < 20; i++) {
        ns16550_model_receive(&m, (uint8_t)('a' + i), 0); /* the last 4 overrun */
    }
    uint8_t junk[3] = {'x', 'y', 'z'};
    EXPECT_EQ(ns16550_tx(&u, junk, 3), 3);
    m.ier = 0x0f, m.lcr = NS16550_LCR_DLAB | 0x1b, m.thri_pending = true;
    u.stats.tx_bytes = 77;
    ns16550_reset(&u);
    EXPECT_EQ(m.lcr, NS16550_LCR_8N1);
    EXPECT_EQ(m.ier, NS16550_IER_RDI | NS16550_IER_RLSI);
    EXPECT_EQ(m.rx_count, 0);
    EXPECT_EQ(m.tx_count, 0); /* the stale bytes were dropped, not sent */
    EXPECT_EQ(m.out_len, 0);
    EXPECT(!m.overrun);
    EXPECT(!ns16550_model_irq(&m));
    EXPECT_EQ(u.stats.tx_bytes, 0);
    uint8_t hi[2] = {'h', 'i'};
    EXPECT_EQ(ns16550_tx(&u, hi, 2), 2);
    ns16550_model_send(&m, 16);
    EXPECT_EQ(m.out_len, 2);
    EXPECT(memcmp(m.out, "hi", 2) == 0);
    return clean(&u);
}

/* Sends len bytes of a pattern, the line taking `pace` bytes whenever the driver finds the
 * transmitter busy; checks the line got them all, in order, and no call over-filled. */
static bool
send_all(struct ns16550 *u, size_t len, unsigned pace)
{
    static uint8_t data[3000];
    for (size_t i = 0; i < len; i++) {
        data[i] = (uint8_t)(i * 7 + 1);
    }
    size_t done = 0, busy = 0;
    while (done < len) {
        size_t n = ns16550_tx(u, data + done, len - done);
        EXPECT(n <= u->fifo_depth);
        if (n == 0) {
            busy++;
            ns16550_model_send(&m, pace);
        }
        done += n;
        EXPECT(busy < 100000);
    }
    ns16550_model_send(&m, 16);
    EXPECT_EQ(m.out_len, len);
    EXPECT(memcmp(m.out, data, len) == 0);
    EXPECT_EQ(u->stats.tx_bytes, len);
    EXPECT(busy > 0); /* the transmitter was busy at times, so the rule was exercised */
    return true;
}

static bool
test_tx_fifo(void)
{
    struct ns16550 u;
    attach(true);
    EXPECT(ns16550_open(&u, "uart", 0));
    uint8_t b[40] = {0};
    EXPECT_EQ(ns16550_tx(&u, b, 40), 16); /* an empty FIFO takes 16 */
    EXPECT_EQ(ns16550_tx(&u, b, 40), 0);  /* and nothing while it is not empty */
    ns16550_model_send(&m, 15);
    EXPECT(!ns16550_tx_idle(&u));
    EXPECT_EQ(ns16550_tx(&u, b, 40), 0); /* one byte left: THRE still clear */
    ns16550_model_send(&m, 1);
    EXPECT(ns16550_tx_idle(&u));
    EXPECT_EQ(ns16550_tx(&u, b, 5), 5);
    ns16550_model_send(&m, 16);
    m.out_len = 0;
    u.stats.tx_bytes = 0;
    if (!send_all(&u, 3000, 3)) {
        return false;
    }
    return clean(&u);
}

/* A 16450 has no FIFO: the driver must find that at reset and send one byte at a time. */
static bool
test_tx_no_fifo(void)
{
    struct ns16550 u;
    attach(false);
    EXPECT(ns16550_open(&u, "uart", 0));
    EXPECT_EQ(u.fifo_depth, 1);
    if (!send_all(&u, 500, 1)) {
        return false;
    }
    return clean(&u);
}

static bool
test_tx_irq(void)
{
    struct ns16550 u;
    attach(true);
    EXPECT(ns16550_open(&u, "uart", 0));
    uint8_t b[20] = {0};
    EXPECT_EQ(ns16550_tx(&u, b, 20), 16);
    ns16550_tx_irq(&u, true); /* 4 bytes left: wake me when the FIFO is empty */
    EXPECT(m.ier & NS16550_IER_THRI);
    EXPECT(!ns16550_model_irq(&m)); /* still sending */
    ns16550_model_send(&m, 16);
    EXPECT(ns16550_model_irq(&m));
    EXPECT(ns16550_irq_pending(&u)); /* reading IIR acknowledges THRI */
    EXPECT(!ns16550_model_irq(&m));
    EXPECT_EQ(ns16550_tx(&u, b, 4), 4);
    ns16550_model_send(&m, 16);
    EXPECT(ns16550_model_irq(&m));
    ns16550_tx_irq(&u, false); /* all sent: an idle transmitter must not interrupt */
    EXPECT(!ns16550_model_irq(&m));
    EXPECT(!ns16550_irq_pending(&u));
    ns16550_tx_irq(&u, false); /* unchanged: no write */
    EXPECT_EQ(m.ier, NS16550_IER_RDI | NS16550_IER_RLSI);
    return clean(&u);
}

static bool
test_rx(void)
{
    struct ns16550 u;
    attach(true);
    EXPECT(ns16550_open(&u, "uart", 0));
    uint8_t buf[32];
    EXPECT_EQ(ns16550_rx(&u, buf, sizeof(buf)), 0);
    for (const char *s = "hello"; *s; s++) {
        ns16550_model_receive(&m, (uint8_t)*s, 0);
    }
    EXPECT(ns16550_model_irq(&m));
    EXPECT(ns16550_irq_pending(&u));
    EXPECT_EQ(ns16550_rx(&u, buf, sizeof(buf)), 5);
    EXPECT(memcmp(buf, "hello", 5) == 0);
    EXPECT(!ns16550_model_irq(&m));
    EXPECT_EQ(u.stats.rx_bytes, 5);
    /* At most max bytes; the rest stay in the UART, whose interrupt stays asserted. */
    for (int i = 0; i < 10; i++) {
        ns16550_model_receive(&m, (uint8_t)('0' + i), 0);
    }
    EXPECT_EQ(ns16550_rx(&u, buf, 4), 4);
    EXPECT(memcmp(buf, "0123", 4) == 0);
    EXPECT(ns16550_model_irq(&m));
    EXPECT_EQ(ns16550_rx(&u, buf, 0), 0);
    /* No room for input: the receive interrupt goes off, the bytes wait in the UART. */
    ns16550_rx_irq(&u, false);
    EXPECT(!ns16550_model_irq(&m));
    EXPECT_EQ(m.rx_count, 6);
    ns16550_rx_irq(&u, false); /* unchanged: no write */
    ns16550_rx_irq(&u, true);
    EXPECT(ns16550_model_irq(&m));
    EXPECT_EQ(m.ier, NS16550_IER_RDI | NS16550_IER_RLSI);
    EXPECT_EQ(ns16550_rx(&u, buf, sizeof(buf)), 6);
    EXPECT(memcmp(buf, "456789", 6) == 0);
    return clean(&u);
}

static bool
test_rx_errors(void)
{
    struct ns16550 u;
    attach(true);
    EXPECT(ns16550_open(&u, "uart", 0));
    ns16550_model_receive(&m, 'a', 0);
    ns16550_model_receive(&m, 'b', NS16550_LSR_PE);
    ns16550_model_receive(&m, 'c', NS16550_LSR_FE);
    ns16550_model_receive(&m, 0, NS16550_LSR_BI | NS16550_LSR_FE);
    ns16550_model_receive(&m, 'd', 0);
    EXPECT(ns16550_model_irq(&m));
    uint8_t buf[32];
    EXPECT_EQ(ns16550_rx(&u, buf, sizeof(buf)), 2);
    EXPECT(memcmp(buf, "ad", 2) == 0);
    EXPECT_EQ(u.stats.parity, 1);
    EXPECT_EQ(u.stats.framing, 1);
    EXPECT_EQ(u.stats.breaks, 1); /* counted once, though FE came with it */
    EXPECT_EQ(u.stats.overruns, 0);
    /* ns16550_rx_ready reads LSR, which clears the head byte's error bits: the error must
     * still be seen by the next ns16550_rx. */
    EXPECT(!ns16550_rx_ready(&u));
    ns16550_model_receive(&m, 'x', NS16550_LSR_PE);
    ns16550_model_receive(&m, 'y', 0);
    EXPECT(ns16550_rx_ready(&u));
    EXPECT_EQ(ns16550_rx(&u, buf, sizeof(buf)), 1);
    EXPECT_EQ(buf[0], 'y');
    EXPECT_EQ(u.stats.parity, 2);
    u.stats.rx_bytes -= 1;
    /* An overrun: the 17th byte finds the FIFO full. The 16 are delivered, OE counted. */
    for (int i = 0; i < 17; i++) {
        ns16550_model_receive(&m, (uint8_t)('A' + i), 0);
    }
    EXPECT(ns16550_model_irq(&m));
    EXPECT_EQ(ns16550_rx(&u, buf, sizeof(buf)), 16);
    EXPECT_EQ(u.stats.overruns, 1);
    EXPECT(!ns16550_model_irq(&m));
    EXPECT_EQ(u.stats.rx_bytes, 18);
    return clean(&u);
}

/* A UART that always says a bad byte is waiting (broken, or a peer flooding breaks). */
static unsigned stuck_reads;

static uint64_t
stuck_read(void *ctx, uint64_t off, unsigned width)
{
    (void)ctx, (void)width;
    stuck_reads++;
    if (off == NS16550_LSR) {
        return NS16550_LSR_DR | NS16550_LSR_FE | NS16550_LSR_THRE;
    }
    return off == NS16550_IIR ? NS16550_IIR_FIFOS | NS16550_IIR_RLSI : 0;
}

static void
stuck_write(void *ctx, uint64_t off, unsigned width, uint64_t value)
{
    (void)ctx, (void)off, (void)width, (void)value;
}

static const struct hw_model stuck_model = {stuck_read, stuck_write};

static bool
test_rx_bounded(void)
{
    struct ns16550 u;
    hw_host_reset();
    EXPECT(hw_host_attach("uart", &stuck_model, NULL, 4096));
    EXPECT(ns16550_open(&u, "uart", 0)); /* its reset's read-away loop ends too */
    uint8_t buf[8];
    stuck_reads = 0;
    EXPECT_EQ(ns16550_rx(&u, buf, sizeof(buf)), 0);
    EXPECT_EQ(u.stats.framing, 8 + 2 * 16 + 2);
    EXPECT(stuck_reads <= 2 * (8 + 2 * 16 + 2));
    EXPECT_EQ(u.regs.bad_accesses, 0);
    return true;
}

int
main(void)
{
    run("ns16550/open", test_open);
    run("ns16550/reset_from_any_state", test_reset_from_any_state);
    run("ns16550/tx_fifo", test_tx_fifo);
    run("ns16550/tx_no_fifo", test_tx_no_fifo);
    run("ns16550/tx_irq", test_tx_irq);
    run("ns16550/rx", test_rx);
    run("ns16550/rx_errors", test_rx_errors);
    run("ns16550/rx_bounded", test_rx_bounded);
    return g_failed == 0 ? 0 : 1;
}
