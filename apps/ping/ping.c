/*
 * ping: the client half of the pingpong example. It writes messages into the shared ring
 * and notifies pong (channel 0), and asks pong to double numbers with a protected call
 * (channel 1). Pong has the higher priority, so each notification and call runs pong at
 * once and the two take turns.
 */
#include <stdio.h>
#include <vallum/os.h>

#include "ring.h"

#define CH_NOTIFY 0
#define CH_CALL 1
#define ROUNDS 3

void
init(void)
{
    size_t size = 0;
    struct ring *ring = vl_os_region("ring", &size);
    if (ring == NULL || size < sizeof(*ring)) {
        printf("ping: no ring\n");
        return;
    }
    for (unsigned i = 1; i <= ROUNDS; i++) {
        uint64_t h = ring->head;
        snprintf(ring->msg[h % RING_SLOTS], RING_MSG, "ping %u", i);
        ring->head = h + 1;
        printf("ping: wrote 'ping %u', notifying pong\n", i);
        vl_os_notify(CH_NOTIFY);
        vl_os_mr_set(0, 10 * i);
        vl_word_t reply = vl_os_ppcall(CH_CALL, vl_msginfo(1, 0, 0, 1));
        printf("ping: pong doubled %u to %lu (label %lu)\n", 10 * i, (unsigned long)vl_os_mr_get(0),
               (unsigned long)vl_msginfo_label(reply));
    }
    printf("pingpong: done\n");
}
