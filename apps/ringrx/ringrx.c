/*
 * ringrx: the consumer of the ring example (systems/ring). It takes the buffers ringtx
 * passes on the ring's active queue (the data region is mapped read-only here), checks the
 * message number and every byte, and gives the buffers back on the free queue. When the
 * queue is empty it asks to be signalled and returns to the event loop. It also reads the
 * goldfish clock through lib/hw's example driver, the same source the host tests run
 * against a simulated device.
 */
#include <stdio.h>
#include <string.h>
#include <vallum/os.h>
#include <vallum/ring.h>

#include "../../lib/hw/example/goldfish_clock.h"
#include "../ringtx/ringdemo.h"

/* Most passes over the queue per wakeup: a peer that refills it as fast as it is emptied
 * cannot keep ringrx here for ever (it is a demo; a driver would also bound each pass). */
#define MAX_PASSES 4096

static struct ring rx;
static uint64_t owned[RING_OWNED_WORDS(RINGDEMO_NBUFS)];
static bool ready;
static unsigned ring_ch;           /* the ring's notify channel (vlsys picked its id) */
static bool finished, tx_reported; /* all received (or broken); ringtx has reported */
static uint64_t last_instret;
static void report(void);
static uint32_t received; /* messages checked so far: the next must be number `received` */
static uint64_t bytes;
static unsigned errors, wakeups;
static uint64_t first_instret;
static uint64_t check_instret; /* instructions spent checking message bytes (not ring work) */

/* Whether buffer d holds message `received`, byte for byte. */
static bool
message_ok(struct ring_desc d)
{
    const uint8_t *b = ring_buffer(&rx, d);
    uint32_t seq;
    if (b == NULL || d.length != ringdemo_length(received)) {
        return false;
    }
    memcpy(&seq, b, 4);
    for (uint32_t i = 4; i < d.length; i++) {
        if (b[i] != ringdemo_byte(received, i)) {
            return false;
        }
    }
    return seq == received;
}

/* Takes everything queued, gives it back, and sleeps (returns) once the queue is empty. */
static void
drain(void)
{
    for (unsigned pass = 0; pass < MAX_PASSES; pass++) {
        ring_awake(&rx);
        struct ring_desc d;
        int s;
        while ((s = ring_dequeue(&rx, &d)) != RING_EMPTY && !ring_is_broken(&rx)) {
            if (s != RING_OK) {
                printf("ringrx: dropped an entry from ringtx: %s\n", ring_status_name(s));
                errors++;
                continue;
            }
            if (received == 0) {
                first_instret = instret();
            }
            uint64_t t0 = instret();
            bool ok = message_ok(d);
            check_instret += instret() - t0;
            if (!ok) {
                printf("ringrx: message %u is wrong\n", (unsigned)received);
                errors++;
            }
            bytes += d.length;
            received++;
            (void)ring_enqueue(&rx, (struct ring_desc){d.offset, 0}); /* it holds d: fits */
        }
        if (ring_signal_needed(&rx)) {
            vl_os_notify(ring_ch);
        }
        if (received == RINGDEMO_MESSAGES || ring_is_broken(&rx)) {
            last_instret = instret();
            ready = false;
            finished = true;
            report();
            return;
        }
        if (ring_sleep_prepare(&rx)) {
            return;
        }
    }
    printf("ringrx: ringtx keeps the queue busy; giving up\n");
    ring_break(&rx);
}

/* Prints the closing report once both this side has finished and ringtx has reported. */
static void
report(void)
{
    if (!finished || !tx_reported) {
        return;
    }
    printf("ringrx: received %u messages, %lu bytes, %u errors, woken %u times, "
           "signalled ringtx %lu times\n",
           (unsigned)received, (unsigned long)bytes, errors, wakeups,
           (unsigned long)rx.stats.signals);
    /* Meaningful under QEMU's -icount only (docs/drivers.md, "Measured"). */
    printf("ringrx: %lu instructions from the first message to the last, %lu of them "
           "checking messages\n",
           (unsigned long)(last_instret - first_instret), (unsigned long)check_instret);
    printf("ringrx: done\n");
}

void
init(void)
{
    struct goldfish_clock clock;
    if (goldfish_clock_open(&clock, "rtc")) {
        uint64_t ns = goldfish_clock_ns(&clock);
        printf("ringrx: the clock reads %lu s since 1970\n", (unsigned long)(ns / 1000000000u));
    }
    struct vl_os_connection conn;
    int s = vl_os_connect(&rx, RINGDEMO_RING, RING_CONSUMER, owned,
                          RING_OWNED_WORDS(RINGDEMO_NBUFS), &conn);
    if (s != VL_OS_OK) {
        printf("ringrx: no ring: %s\n", vl_os_status_name(s));
        return;
    }
    if (!ringdemo_shape_ok("ringrx", &conn)) {
        return;
    }
    ring_ch = conn.channel;
    ready = true;
    drain(); /* ringtx may have started first: what it queued came without a signal */
}

void
notified(unsigned id)
{
    if (id == ring_ch && ready) {
        wakeups++;
        drain();
    } else if (id == RINGDEMO_REPORTED_CH) {
        tx_reported = true;
        report();
    }
}
