/*
 * ringtx: the producer of the ring example (systems/ring). It owns every buffer of the
 * shared data region at start, fills them with numbered messages, passes them to ringrx on
 * the ring's active queue and takes them back from the free queue. When no buffer is free
 * it asks to be signalled and returns to the event loop (it sleeps); ringrx's signal on
 * the ring's channel brings it back.
 */
#include <stdio.h>
#include <string.h>
#include <vallum/os.h>
#include <vallum/ring.h>

#include "ringdemo.h"

static struct ring tx;
static uint64_t owned[RING_OWNED_WORDS(RINGDEMO_NBUFS)];
static bool ready;
static unsigned ring_ch;      /* the ring's notify channel (vlsys picked its id) */
static uint32_t sent;         /* messages enqueued so far */
static uint32_t fresh;        /* buffers not used yet: 0..fresh-1 have been */
static unsigned wakeups;      /* times ringtx woke on a signal */
static uint64_t fill_instret; /* instructions spent writing message bytes (not ring work) */

/* The next buffer this side holds and may fill: a fresh one, else one given back. */
static bool
next_buffer(struct ring_desc *d)
{
    if (fresh < RINGDEMO_NBUFS) {
        *d = (struct ring_desc){fresh++ * RINGDEMO_BUF, 0};
        return true;
    }
    for (;;) {
        int s = ring_dequeue(&tx, d);
        if (s == RING_OK) {
            return true;
        }
        if (s == RING_EMPTY || ring_is_broken(&tx)) {
            return false;
        }
        printf("ringtx: dropped an entry from ringrx: %s\n", ring_status_name(s));
    }
}

/* Sends until every message is out or no buffer is free; then sleeps (returns). */
static void
pump(void)
{
    for (;;) {
        ring_awake(&tx);
        struct ring_desc d;
        while (sent < RINGDEMO_MESSAGES && next_buffer(&d)) {
            d.length = ringdemo_length(sent);
            uint64_t t0 = instret();
            uint8_t *b = ring_buffer(&tx, d);
            memcpy(b, &sent, 4);
            for (uint32_t i = 4; i < d.length; i++) {
                b[i] = ringdemo_byte(sent, i);
            }
            fill_instret += instret() - t0;
            int s = ring_enqueue(&tx, d);
            if (s != RING_OK) {
                printf("ringtx: enqueue: %s\n", ring_status_name(s));
                return;
            }
            sent++;
        }
        if (ring_signal_needed(&tx)) {
            vl_os_notify(ring_ch);
        }
        if (sent == RINGDEMO_MESSAGES || ring_is_broken(&tx)) {
            printf("ringtx: sent %u messages, woken %u times, signalled ringrx %lu times\n",
                   (unsigned)sent, wakeups, (unsigned long)tx.stats.signals);
            printf("ringtx: %lu instructions filling messages\n", (unsigned long)fill_instret);
            vl_os_notify(RINGDEMO_REPORTED_CH);
            return;
        }
        if (ring_sleep_prepare(&tx)) {
            return;
        }
    }
}

void
init(void)
{
    struct vl_os_connection conn;
    int s = vl_os_connect(&tx, RINGDEMO_RING, RING_PRODUCER, owned,
                          RING_OWNED_WORDS(RINGDEMO_NBUFS), &conn);
    if (s != VL_OS_OK) {
        printf("ringtx: no ring: %s\n", vl_os_status_name(s));
        return;
    }
    if (!ringdemo_shape_ok("ringtx", &conn)) {
        return;
    }
    ring_ch = conn.channel;
    ring_own_all(&tx);
    ready = true;
    printf("ringtx: sending %u messages in %u buffers of %u bytes\n", RINGDEMO_MESSAGES,
           RINGDEMO_NBUFS, RINGDEMO_BUF);
    pump();
}

void
notified(unsigned id)
{
    if (id == ring_ch && ready && sent < RINGDEMO_MESSAGES) {
        wakeups++;
        pump();
    }
}
