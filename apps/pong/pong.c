/*
 * pong: the server half of the pingpong example. On a notification it prints the messages
 * ping put in their shared ring (lib/ring; pong is the consumer and maps the data region
 * read-only) and gives the buffers back; it serves the doubler interface
 * (interfaces/doubler.idl) on its call channel.
 */
#include <stdio.h>
#include <vallum/os.h>
#include <vallum/ring.h>

#include "../ping/pingpong.h"
#include "doubler.h"

/* Most passes over the queue per wakeup: a ping that refills it as fast as it is emptied
 * cannot keep pong here for ever. */
#define MAX_PASSES 64

static struct ring ring;
static uint64_t owned[RING_OWNED_WORDS(PINGPONG_NBUFS)];
static bool ready;

/* Prints the message in buffer d, which pong holds (ring_dequeue checked it), as text. */
static void
print_message(unsigned id, struct ring_desc d)
{
    const char *src = ring_buffer(&ring, d);
    char msg[PINGPONG_BUF + 1];
    uint32_t n = 0;
    /* Ping may rewrite the bytes while pong reads them: copy once, stop at a NUL. */
    for (; src != NULL && n < d.length && src[n] != '\0'; n++) {
        msg[n] = src[n];
    }
    msg[n] = '\0';
    printf("pong: notified on channel %u, ring says '%s'\n", id, msg);
}

/* Takes every message queued, gives each buffer back, and sleeps (returns) once the queue
 * is empty; says why if ping's entries are wrong. */
static void
drain(unsigned id)
{
    for (unsigned pass = 0; pass < MAX_PASSES; pass++) {
        ring_awake(&ring);
        struct ring_desc d;
        int s;
        while ((s = ring_dequeue(&ring, &d)) != RING_EMPTY && !ring_is_broken(&ring)) {
            if (s != RING_OK) {
                printf("pong: dropped an entry from ping: %s\n", ring_status_name(s));
                continue;
            }
            print_message(id, d);
            (void)ring_enqueue(&ring, (struct ring_desc){d.offset, 0}); /* it holds d: fits */
        }
        if (ring_is_broken(&ring)) {
            printf("pong: the ring is broken\n");
            ready = false;
            return;
        }
        if (ring_sleep_prepare(&ring)) {
            return;
        }
    }
}

void
init(void)
{
    struct ring_config shape = {.capacity = PINGPONG_CAPACITY,
                                .buf_size = PINGPONG_BUF,
                                .nbufs = PINGPONG_NBUFS,
                                .owned = owned};
    int s = vl_os_ring_open(&ring, RING_CONSUMER, "ring_queues", "ring_data", shape);
    if (s != VL_OS_OK) {
        printf("pong: no ring: %s\n", vl_os_status_name(s));
        return;
    }
    ready = true;
    printf("pong: ready, ring data at %p\n", vl_os_region("ring_data", NULL));
    /* Messages queued before pong asked for a signal came without one (docs/drivers.md). */
    drain(PINGPONG_CH_NOTIFY);
}

void
notified(unsigned id)
{
    if (id == PINGPONG_CH_NOTIFY && ready) {
        drain(id);
    }
}

int
doubler_do_twice(unsigned ch, uint64_t x, uint64_t *doubled)
{
    printf("pong: called on channel %u with %lu\n", ch, (unsigned long)x);
    if (x > UINT64_MAX / 2) {
        return DOUBLER_TWICE_OVERFLOW;
    }
    *doubled = 2 * x;
    return 0;
}

vl_word_t protected(unsigned id, vl_word_t info)
{
    return doubler_dispatch(id, info, NULL);
}
