/*
 * serial: the NS16550 driver component (docs/drivers.md, "Writing a driver"). It owns the
 * console UART (a device with `console: true`: the UART's page, its interrupt, and the
 * kernel log's signal on VL_COMP_CONSOLE_LOG_CHANNEL) and moves bytes between it and the
 * console virtualiser over two lib/ring rings (apps/serial/serial.h):
 *
 *   output  whole lines from the virtualiser's tx ring and the kernel's log, in the order
 *           they reach the driver, each line whole (the log is cut at its last newline;
 *           a tail without one goes out when nothing else waits, or at OUT_TAIL_MAX bytes),
 *           with "\n" sent as "\r\n" as terminals want;
 *   input   bytes the UART receives, in rx buffers to the virtualiser; with no buffer free
 *           they are dropped and counted (the UART's interrupt must be served).
 *
 * The UART is driven by the host-tested core drivers/serial/ns16550, which resets it at
 * start, whatever a previous driver left. Config: `fail_after` (test hook, default off):
 * fault on purpose once that many bytes have gone to the UART.
 */
#include <stdio.h>
#include <string.h>
#include <vallum/component.h>
#include <vallum/os.h>
#include <vallum/ring.h>

#include "../../drivers/serial/ns16550/ns16550.h"
#include "serial.h"

#define OUT_SIZE 2048    /* bytes of converted output waiting for the UART (a power of 2) */
#define LOG_SIZE 512     /* kernel log bytes read but not yet moved to out */
#define OUT_TAIL_MAX 256 /* a log tail without newline this long goes out anyway */
#define MAX_PASSES 64    /* bound on each loop per wakeup */

static struct ns16550 uart;
static bool have_uart;
static struct ring tx, rx;
static uint64_t tx_owned[RING_OWNED_WORDS(SERIAL_TX_NBUFS)];
static uint64_t rx_owned[RING_OWNED_WORDS(SERIAL_RX_NBUFS)];
static bool have_rings;

/* Output, converted, as a ring of bytes: [out_head, out_tail) free-running. */
static char out[OUT_SIZE];
static uint32_t out_head, out_tail;
/* Kernel log read but not yet in out (a line in progress). */
static char log_buf[LOG_SIZE];
static uint32_t log_len;
static uint64_t rx_dropped; /* bytes received with no rx buffer to put them in */
static int64_t fail_after = -1;

static uint32_t
out_room(void)
{
    return OUT_SIZE - (out_tail - out_head);
}

/* Appends n bytes of s to out, each "\n" as "\r\n"; the caller checked 2 * n fits. */
static void
out_put(const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            out[out_tail++ % OUT_SIZE] = '\r';
        }
        out[out_tail++ % OUT_SIZE] = s[i];
    }
}

/* Feeds the UART from out while it takes bytes; asks for its THR-empty interrupt while
 * anything is left. The test hook faults here, mid-stream. */
static void
uart_pump(void)
{
    for (unsigned pass = 0; pass < MAX_PASSES && out_head != out_tail; pass++) {
        uint32_t at = out_head % OUT_SIZE;
        uint32_t n = out_tail - out_head;
        if (n > OUT_SIZE - at) {
            n = OUT_SIZE - at; /* up to the wrap; the rest next pass */
        }
        size_t sent = ns16550_tx(&uart, (const uint8_t *)out + at, n);
        if (sent == 0) {
            break;
        }
        out_head += (uint32_t)sent;
        if (fail_after >= 0 && uart.stats.tx_bytes >= (uint64_t)fail_after) {
            *(volatile int *)0 = 0; /* the test hook: a driver bug, mid-stream */
        }
    }
    ns16550_tx_irq(&uart, out_head != out_tail);
}

/* Moves whole lines of log_buf to out (all of it if `all`); keeps the tail. */
static void
log_flush(bool all)
{
    uint32_t n = log_len;
    if (!all && log_len < OUT_TAIL_MAX) {
        while (n > 0 && log_buf[n - 1] != '\n') {
            n--;
        }
    }
    if (n == 0 || 2 * n > out_room()) {
        return;
    }
    out_put(log_buf, n);
    memmove(log_buf, log_buf + n, log_len - n);
    log_len -= n;
}

/* Reads the kernel log into log_buf while there is room, moving lines on to out. */
static void
log_drain(void)
{
    for (unsigned pass = 0; pass < MAX_PASSES; pass++) {
        log_flush(false);
        if (log_len == LOG_SIZE || 2 * (LOG_SIZE - log_len) > out_room()) {
            return; /* out is full: the UART's interrupt brings us back */
        }
        vl_word_t n = 0;
        if (vl_console_read_log(VL_COMP_SLOT_CONSOLE, log_buf + log_len, LOG_SIZE - log_len, &n) !=
                0 ||
            n == 0) {
            return;
        }
        log_len += (uint32_t)n;
    }
}

/* Moves the virtualiser's lines to out while they fit, giving each buffer back at once. */
static void
tx_drain(void)
{
    for (unsigned pass = 0; pass < MAX_PASSES; pass++) {
        ring_awake(&tx);
        struct ring_desc d;
        int s;
        /* At most a queue's worth per pass: a peer refilling the queue with bad descriptors
         * as fast as they are consumed must not hold the driver here. */
        for (unsigned k = 0; k < SERIAL_TX_CAPACITY && 2 * SERIAL_TX_BUF <= out_room() &&
                             (s = ring_dequeue(&tx, &d)) != RING_EMPTY && !ring_is_broken(&tx);
             k++) {
            if (s != RING_OK) {
                continue; /* dropped and counted by lib/ring: the peer's loss */
            }
            /* The virtualiser may rewrite the bytes meanwhile: it garbles only its own. */
            out_put(ring_buffer(&tx, d), d.length);
            (void)ring_enqueue(&tx, (struct ring_desc){d.offset, 0});
        }
        if (ring_signal_needed(&tx)) {
            vl_os_notify(SERIAL_CH_PEER); /* it may wait for free buffers */
        }
        if (2 * SERIAL_TX_BUF > out_room() || ring_is_broken(&tx)) {
            return; /* no sleep flag: the THR-empty interrupt comes back here */
        }
        if (ring_sleep_prepare(&tx)) {
            return;
        }
    }
}

/* A free rx buffer the virtualiser gave (it owns them all at first and gives each back
 * once it has read it); false if none waits. */
static bool
rx_buffer(struct ring_desc *d)
{
    return ring_dequeue_good(&rx, d, SERIAL_RX_CAPACITY);
}

/* Takes what the UART received into rx buffers for the virtualiser. A buffer is taken only
 * when a byte waits and given on at once, so the driver holds none between calls (what
 * lets a restarted driver re-attach; see reattach_index). With no buffer free, the bytes
 * stay in the UART and its receive interrupt goes off until the virtualiser gives one back
 * (it signals: the driver asked with ring_sleep_prepare); the UART holds the rest of the
 * input back meanwhile, so nothing typed is dropped here. */
static void
uart_receive(void)
{
    bool sent = false;
    if (have_rings) {
        ring_awake(&rx);
        ns16550_rx_irq(&uart, true);
    }
    for (unsigned pass = 0; pass < MAX_PASSES && ns16550_rx_ready(&uart); pass++) {
        struct ring_desc d;
        if (!have_rings) {
            uint8_t junk[16];
            rx_dropped += ns16550_rx(&uart, junk, sizeof(junk)); /* no one to give them to */
            continue;
        }
        if (!rx_buffer(&d)) {
            ns16550_rx_irq(&uart, false);
            if (ring_sleep_prepare(&rx)) {
                break;
            }
            ns16550_rx_irq(&uart, true); /* one came back meanwhile */
            continue;
        }
        /* n may be 0 (the byte had an error): the empty buffer goes on all the same. */
        d.length = (uint32_t)ns16550_rx(&uart, ring_buffer(&rx, d), SERIAL_RX_BUF);
        if (ring_enqueue(&rx, d) == RING_OK) {
            sent = true;
        }
    }
    if (sent && ring_signal_needed(&rx)) {
        vl_os_notify(SERIAL_CH_PEER);
    }
}

/*
 * Where this side's indices of the ring in region `queues` stand: the words an earlier run
 * of the driver wrote (0 in fresh memory). The driver gives back every tx buffer right after
 * taking it and passes on every rx buffer right after filling it, so its head of one queue
 * equals its tail of the other, and ring_init's one first_index restarts it exactly where
 * it stopped. false if they differ (it died between the two) or the region is missing.
 */
static bool
reattach_index(const char *queues, enum ring_role role, uint32_t capacity, uint32_t *first)
{
    size_t size = 0;
    uint8_t *base = vl_os_region(queues, &size);
    if (base == NULL || size < RING_QUEUES_SIZE(capacity)) {
        return false;
    }
    const struct ring_queue *free_q = (const void *)base;
    const struct ring_queue *active_q = (const void *)(base + RING_QUEUE_SIZE(capacity));
    uint32_t head =
        __atomic_load_n(role == RING_CONSUMER ? &active_q->head : &free_q->head, __ATOMIC_ACQUIRE);
    uint32_t tail =
        __atomic_load_n(role == RING_CONSUMER ? &free_q->tail : &active_q->tail, __ATOMIC_ACQUIRE);
    *first = head;
    return head == tail;
}

/* Everything there is to do: input first (the FIFO is small), then output in order. */
static void
service(void)
{
    if (!have_uart) {
        return;
    }
    uart_receive();
    log_drain();
    if (have_rings) {
        tx_drain();
    }
    if (out_head == out_tail && log_len > 0) {
        log_flush(true); /* nothing else waits: a tail without newline goes out too */
    }
    uart_pump();
}

void
init(void)
{
    /* The test hook fires in the first run only: the restarted driver must carry on. */
    if (vl_os_restarts() == 0) {
        (void)vl_os_config_int("fail_after", &fail_after);
    }
    have_uart = ns16550_open(&uart, "uart", 0);
    if (!have_uart) {
        printf("serial: no UART region\n");
        return;
    }
    struct ring_config txs = {.capacity = SERIAL_TX_CAPACITY,
                              .buf_size = SERIAL_TX_BUF,
                              .nbufs = SERIAL_TX_NBUFS,
                              .owned = tx_owned};
    struct ring_config rxs = {.capacity = SERIAL_RX_CAPACITY,
                              .buf_size = SERIAL_RX_BUF,
                              .nbufs = SERIAL_RX_NBUFS,
                              .owned = rx_owned};
    /* A restarted driver takes up the rings where its predecessor left them: what the
     * virtualiser queued meanwhile is still there. */
    bool same =
        reattach_index("serial_tx_queues", RING_CONSUMER, SERIAL_TX_CAPACITY, &txs.first_index) &&
        reattach_index("serial_rx_queues", RING_PRODUCER, SERIAL_RX_CAPACITY, &rxs.first_index);
    int s = vl_os_ring_open(&tx, RING_CONSUMER, "serial_tx_queues", "serial_tx_data", txs);
    if (s == VL_OS_OK) {
        s = vl_os_ring_open(&rx, RING_PRODUCER, "serial_rx_queues", "serial_rx_data", rxs);
    }
    if (s == VL_OS_OK && same) {
        have_rings = true;
    } else if (s == VL_OS_OK) {
        printf("serial: cannot re-attach to the rings: an earlier run died holding a buffer\n");
    } else {
        /* Still a console: the kernel log (and so every component's debug output) works. */
        printf("serial: no rings: %s\n", vl_os_status_name(s));
    }
    if (vl_os_restarts() != 0) {
        /* The line the UART was sending when the last run died may be cut: end it. */
        out_put("\n", 1);
        printf("serial: restarted (%lu): the UART reset, rings re-attached at tx %u, rx %u\n",
               (unsigned long)vl_os_restarts(), (unsigned)txs.first_index,
               (unsigned)rxs.first_index);
    }
    printf("serial: driving the console UART (%s, %u-byte FIFO)\n",
           uart.fifo_depth > 1 ? "16550A" : "16450", uart.fifo_depth);
    /* Output that arrived before this side asked for a signal came without one. */
    service();
    vl_os_irq_ack(SERIAL_CH_IRQ);
}

void
notified(unsigned id)
{
    service();
    if (id == SERIAL_CH_IRQ) {
        (void)ns16550_irq_pending(&uart); /* reading IIR acknowledges THR-empty */
        uart_pump();
        vl_os_irq_ack(SERIAL_CH_IRQ);
    }
}
