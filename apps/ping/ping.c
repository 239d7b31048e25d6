/*
 * ping: the client half of the pingpong example. It writes messages into buffers of the
 * ring it shares with pong (lib/ring; it is the producer) and signals pong when pong asked
 * for it (channel 0), and asks pong to double numbers through the doubler interface
 * (interfaces/doubler.idl, channel 1). Pong has the higher priority, so each notification
 * and call runs pong at once and the two take turns. Its description may set `rounds`
 * (default 3) and `step` (round i sends step * i, default 10).
 */
#include <stdbool.h>
#include <stdio.h>
#include <vallum/os.h>
#include <vallum/ring.h>

#include "doubler.h"
#include "pingpong.h"

/* Defaults, unless the description's `config` says `rounds` or `step`. */
#define DEFAULT_ROUNDS 3
#define MAX_ROUNDS 100
#define DEFAULT_STEP 10 /* round i asks pong to double step * i */
#define MAX_STEP 1000000

static struct ring ring;
static uint64_t owned[RING_OWNED_WORDS(PINGPONG_NBUFS)];
static uint32_t fresh; /* buffers not used yet: 0..fresh-1 have been */

/* Reads integer parameter name into *value (left alone if absent); false if it is not in
 * 1..max or not an integer. */
static bool
config_in_range(const char *name, int64_t *value, int64_t max)
{
    int status = vl_os_config_int(name, value);
    if ((status != VL_OS_OK && status != VL_OS_ENOCONFIG) || *value < 1 || *value > max) {
        printf("ping: config '%s' must be an integer 1..%ld\n", name, (long)max);
        return false;
    }
    return true;
}

/* Sets up the producer side over the two shared regions; false (after saying why) if they
 * are missing or too small. */
static bool
ring_setup(void)
{
    struct ring_config shape = {.capacity = PINGPONG_CAPACITY,
                                .buf_size = PINGPONG_BUF,
                                .nbufs = PINGPONG_NBUFS,
                                .owned = owned};
    int s = vl_os_ring_open(&ring, RING_PRODUCER, "ring_queues", "ring_data", shape);
    if (s != VL_OS_OK) {
        printf("ping: no ring: %s\n", vl_os_status_name(s));
        return false;
    }
    ring_own_all(&ring);
    return true;
}

/* The next buffer ping holds and may fill: a fresh one, else one pong gave back. Entries
 * pong got wrong are dropped (and said); false if no buffer is free or the ring broke. */
static bool
next_buffer(struct ring_desc *d)
{
    if (fresh < PINGPONG_NBUFS) {
        *d = (struct ring_desc){fresh++ * PINGPONG_BUF, 0};
        return true;
    }
    for (;;) {
        int s = ring_dequeue(&ring, d);
        if (s == RING_OK) {
            return true;
        }
        if (s == RING_EMPTY || ring_is_broken(&ring)) {
            return false;
        }
        printf("ping: dropped an entry from pong: %s\n", ring_status_name(s));
    }
}

/* Writes message "ping i" into the ring and signals pong if it asked; false on failure. */
static bool
send_message(unsigned i)
{
    struct ring_desc d;
    if (!next_buffer(&d)) {
        printf("ping: no free buffer\n");
        return false;
    }
    char *text = ring_buffer(&ring, d);
    if (text == NULL) {
        printf("ping: buffer at %u is not ping's\n", (unsigned)d.offset);
        return false;
    }
    int n = snprintf(text, PINGPONG_BUF, "ping %u", i);
    d.length = (uint32_t)n; /* "ping " and at most 3 digits: fits, no NUL sent */
    int s = ring_enqueue(&ring, d);
    if (s != RING_OK) {
        printf("ping: enqueue: %s\n", ring_status_name(s));
        return false;
    }
    if (!ring_signal_needed(&ring)) {
        /* Pong is higher priority and sleeps after each drain: it always asks. */
        printf("ping: wrote 'ping %u', pong did not ask for a signal\n", i);
        return true;
    }
    printf("ping: wrote 'ping %u', notifying pong\n", i);
    int status = vl_os_notify(PINGPONG_CH_NOTIFY);
    if (status != VL_OS_OK) {
        printf("ping: notify: %s\n", vl_os_status_name(status));
        return false;
    }
    return true;
}

void
init(void)
{
    int64_t rounds = DEFAULT_ROUNDS;
    int64_t step = DEFAULT_STEP;
    if (!ring_setup() || !config_in_range("rounds", &rounds, MAX_ROUNDS) ||
        !config_in_range("step", &step, MAX_STEP)) {
        return;
    }
    for (unsigned i = 1; i <= (unsigned)rounds; i++) {
        if (!send_message(i)) {
            return;
        }
        uint64_t x = (uint64_t)step * i;
        uint64_t doubled = 0;
        int status = doubler_twice(PINGPONG_CH_CALL, x, &doubled);
        printf("ping: pong doubled %lu to %lu (status %d)\n", (unsigned long)x,
               (unsigned long)doubled, status);
    }
    /* The smallest number whose double does not fit: pong refuses it, ping gets nothing. */
    uint64_t doubled = 0;
    int status = doubler_twice(PINGPONG_CH_CALL, UINT64_MAX / 2 + 1, &doubled);
    printf("ping: doubling 2^63: status %d (%s), result %lu\n", status,
           status == DOUBLER_TWICE_OVERFLOW ? "overflow" : "unexpected", (unsigned long)doubled);
    printf("pingpong: done\n");
}
