/*
 * console: the console virtualiser (docs/drivers.md). Many clients share the one console
 * through the console interface (interfaces/console.idl) on their call channels:
 *
 *   write  each client's output is kept in a line buffer of its own until a newline, or
 *          until LINES_MAX bytes without one, and only then goes to the serial driver, as
 *          one tx ring buffer: a line of one client is never cut by another's.
 *   read   one client reads: the one on the call channel the description names in the
 *          `reader` config (a channel id of this component); it is signalled on notify
 *          channel `reader_notify` when a line has been typed. Other clients get
 *          `not_reader`. Lines wait in a queue of INPUT_LINES; when it is full, a new line
 *          is dropped and counted.
 *
 * Typed characters are echoed (Enter as a newline, Backspace and Delete rub out), so the
 * person typing sees the line; the echo of a line being typed is the one output that
 * other clients' lines may come between. Clients are trusted by no one: a client gets
 * nothing but its own line buffer and, as the reader, the input.
 */
#include <stdio.h>
#include <string.h>
#include <vallum/os.h>
#include <vallum/ring.h>

#include "../serial/serial.h"
#include "console.h"
#include "lines.h"

#define INPUT_LINES 8 /* typed lines waiting for the reader */
#define MAX_PASSES 64

_Static_assert(LINES_MAX <= SERIAL_TX_BUF, "a line fits one tx buffer");

/* Per call channel id: its unfinished output line (lines.h). */
static struct lines_out clients[VL_COMP_MAX_CHANNELS];

static struct ring tx, rx;
static uint64_t tx_owned[RING_OWNED_WORDS(SERIAL_TX_NBUFS)];
static uint64_t rx_owned[RING_OWNED_WORDS(SERIAL_RX_NBUFS)];
static bool have_rings;
static uint32_t tx_fresh;
static bool waiting; /* some client's line waits for a tx buffer */

static int64_t reader = -1, reader_notify = -1;
/* Input: the line being typed, and whole lines waiting for the reader. */
static struct lines_in typing;
static char input[INPUT_LINES][LINES_MAX];
static uint32_t input_len[INPUT_LINES];
static uint32_t input_head, input_count;
static uint64_t input_dropped;

/* The next tx buffer this side holds: a fresh one, else one the driver gave back. */
static bool
tx_buffer(struct ring_desc *d)
{
    if (tx_fresh < SERIAL_TX_NBUFS) {
        *d = (struct ring_desc){tx_fresh++ * SERIAL_TX_BUF, 0};
        return true;
    }
    return ring_dequeue_good(&tx, d, SERIAL_TX_CAPACITY);
}

/* Gives n bytes to the driver as one buffer; false (nothing sent) if none is free. */
static bool
send_piece(void *ctx, const char *s, uint32_t n)
{
    (void)ctx;
    struct ring_desc d;
    if (!have_rings || !tx_buffer(&d)) {
        return false;
    }
    memcpy(ring_buffer(&tx, d), s, n);
    d.length = n;
    (void)ring_enqueue(&tx, d); /* it holds d, and the queue has a slot per buffer */
    if (ring_signal_needed(&tx)) {
        vl_os_notify(SERIAL_CH_PEER);
    }
    return true;
}

/* Sends piece for a client: as send_piece, but when no buffer is free the driver is asked to
 * signal when it gives one back (then the ring's re-check: it may have just done so). */
static bool
send_or_wait(void *ctx, const char *piece, uint32_t n)
{
    if (send_piece(ctx, piece, n) || (!ring_sleep_prepare(&tx) && send_piece(ctx, piece, n))) {
        return true;
    }
    waiting = true;
    return false;
}

int
console_do_write(unsigned ch, const uint8_t *data, size_t len, uint32_t *taken)
{
    /* ch is one of this component's channel ids (lib/os checked it). */
    *taken = (uint32_t)lines_out_write(&clients[ch], data, len, send_or_wait, NULL);
    return 0;
}

int
console_do_read(unsigned ch, uint8_t *line, size_t *line_len, bool *more)
{
    if (reader < 0 || ch != (unsigned)reader) {
        return CONSOLE_READ_NOT_READER;
    }
    if (input_count == 0) {
        return CONSOLE_READ_EMPTY;
    }
    uint32_t at = input_head % INPUT_LINES;
    memcpy(line, input[at], input_len[at]);
    *line_len = input_len[at];
    input_head++, input_count--;
    *more = input_count > 0;
    return 0;
}

/* A whole line was typed: queue it for the reader and signal it. */
static void
line_typed(void)
{
    if (input_count == INPUT_LINES) {
        input_dropped++;
        return;
    }
    uint32_t at = (input_head + input_count) % INPUT_LINES;
    memcpy(input[at], typing.line, typing.len);
    input_len[at] = typing.len;
    input_count++;
    if (reader_notify >= 0) {
        vl_os_notify((unsigned)reader_notify);
    }
}

/* Takes what the driver received, gives each buffer back at once. */
static void
rx_drain(void)
{
    for (unsigned pass = 0; pass < MAX_PASSES; pass++) {
        ring_awake(&rx);
        struct ring_desc d;
        int s;
        /* At most a queue's worth per pass, as in the driver's tx_drain. */
        for (unsigned k = 0; k < SERIAL_RX_CAPACITY && (s = ring_dequeue(&rx, &d)) != RING_EMPTY &&
                             !ring_is_broken(&rx);
             k++) {
            if (s != RING_OK) {
                continue;
            }
            const char *p = ring_buffer(&rx, d);
            for (uint32_t i = 0; i < d.length; i++) {
                char echo[LINES_ECHO_MAX];
                uint32_t n = 0;
                bool ended = lines_in_byte(&typing, p[i], echo, &n);
                if (n > 0) {
                    (void)send_piece(NULL, echo, n); /* with the tx ring full, lost */
                }
                if (ended) {
                    line_typed();
                }
            }
            (void)ring_enqueue(&rx, (struct ring_desc){d.offset, 0});
        }
        if (ring_signal_needed(&rx)) {
            vl_os_notify(SERIAL_CH_PEER);
        }
        if (ring_is_broken(&rx) || ring_sleep_prepare(&rx)) {
            return;
        }
    }
}

void
init(void)
{
    (void)vl_os_config_int("reader", &reader);
    (void)vl_os_config_int("reader_notify", &reader_notify);
    struct ring_config txs = {.capacity = SERIAL_TX_CAPACITY,
                              .buf_size = SERIAL_TX_BUF,
                              .nbufs = SERIAL_TX_NBUFS,
                              .owned = tx_owned};
    struct ring_config rxs = {.capacity = SERIAL_RX_CAPACITY,
                              .buf_size = SERIAL_RX_BUF,
                              .nbufs = SERIAL_RX_NBUFS,
                              .owned = rx_owned};
    int s = vl_os_ring_open(&tx, RING_PRODUCER, "serial_tx_queues", "serial_tx_data", txs);
    if (s == VL_OS_OK) {
        s = vl_os_ring_open(&rx, RING_CONSUMER, "serial_rx_queues", "serial_rx_data", rxs);
    }
    if (s != VL_OS_OK) {
        printf("console: no rings: %s\n", vl_os_status_name(s));
        return;
    }
    ring_own_all(&tx);
    /* Receive buffers are the virtualiser's: it lends them all to the driver, which takes
     * one only when a byte waits, so a restarted driver holds none it cannot account for. */
    ring_own_all(&rx);
    for (uint32_t i = 0; i < SERIAL_RX_NBUFS; i++) {
        (void)ring_enqueue(&rx, (struct ring_desc){i * SERIAL_RX_BUF, 0});
    }
    if (ring_signal_needed(&rx)) {
        vl_os_notify(SERIAL_CH_PEER);
    }
    have_rings = true;
    printf("console: ready (reader on channel %ld)\n", (long)reader);
    rx_drain();
}

void
notified(unsigned id)
{
    if (id != SERIAL_CH_PEER || !have_rings) {
        return;
    }
    rx_drain();
    if (waiting) {
        /* The driver gave buffers back: lines that waited go now, in channel order. */
        ring_awake(&tx);
        waiting = false;
        for (unsigned ch = 0; ch < VL_COMP_MAX_CHANNELS && !waiting; ch++) {
            (void)lines_out_flush(&clients[ch], send_or_wait, NULL);
        }
    }
}

vl_word_t protected(unsigned id, vl_word_t info)
{
    return console_dispatch(id, info, NULL);
}
