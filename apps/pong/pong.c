/*
 * pong: the server half of the pingpong example. On a notification it prints the new
 * messages of the shared ring (which it maps read-only); on a protected call it returns
 * twice its first message register.
 */
#include <stdio.h>
#include <vallum/os.h>

#include "../ping/ring.h"

static const struct ring *ring;
static uint64_t tail; /* messages read so far; private to pong */

void
init(void)
{
    ring = vl_os_region("ring", NULL);
    printf("pong: ready, ring at %p\n", (const void *)ring);
}

void
notified(unsigned id)
{
    if (ring == NULL) {
        return;
    }
    uint64_t head = ring->head;
    if (head - tail > RING_SLOTS) {
        /* The writer ran ahead (or wrote nonsense): skip what was overwritten. */
        tail = head - RING_SLOTS;
    }
    for (; tail < head; tail++) {
        char msg[RING_MSG];
        const char *src = ring->msg[tail % RING_SLOTS];
        unsigned n = 0;
        for (; n + 1 < RING_MSG && src[n] != '\0'; n++) {
            msg[n] = src[n];
        }
        msg[n] = '\0';
        printf("pong: notified on channel %u, ring says '%s'\n", id, msg);
    }
}

vl_word_t protected(unsigned id, vl_word_t info)
{
    if (vl_msginfo_length(info) < 1) {
        return vl_msginfo(2, 0, 0, 0);
    }
    vl_word_t x = vl_os_mr_get(0);
    printf("pong: called on channel %u with %lu\n", id, (unsigned long)x);
    vl_os_mr_set(0, 2 * x);
    return vl_msginfo(0, 0, 0, 1);
}
