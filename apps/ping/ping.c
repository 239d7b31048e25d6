/*
 * ping: the client half of the pingpong example. It writes messages into the shared ring
 * and notifies pong (channel 0), and asks pong to double numbers with a protected call
 * (channel 1). Pong has the higher priority, so each notification and call runs pong at
 * once and the two take turns. It runs `rounds` rounds (config, default 3).
 */
#include <stdio.h>
#include <vallum/os.h>

#include "ring.h"

#define CH_NOTIFY 0
#define CH_CALL 1
#define DEFAULT_ROUNDS 3 /* unless the description's `config` says `rounds` */
#define MAX_ROUNDS 100

void
init(void)
{
    size_t size = 0;
    struct ring *ring = vl_os_region("ring", &size);
    if (ring == NULL || size < sizeof(*ring)) {
        printf("ping: no ring\n");
        return;
    }
    int64_t rounds = DEFAULT_ROUNDS;
    int status = vl_os_config_int("rounds", &rounds);
    if ((status != VL_OS_OK && status != VL_OS_ENOCONFIG) || rounds < 1 || rounds > MAX_ROUNDS) {
        printf("ping: config 'rounds' must be an integer 1..%d\n", MAX_ROUNDS);
        return;
    }
    for (unsigned i = 1; i <= (unsigned)rounds; i++) {
        uint64_t h = ring->head;
        snprintf(ring->msg[h % RING_SLOTS], RING_MSG, "ping %u", i);
        ring->head = h + 1;
        printf("ping: wrote 'ping %u', notifying pong\n", i);
        status = vl_os_notify(CH_NOTIFY);
        if (status != VL_OS_OK) {
            printf("ping: notify: %s\n", vl_os_status_name(status));
            return;
        }
        vl_os_mr_set(0, 10 * i);
        vl_word_t reply = vl_os_ppcall(CH_CALL, vl_msginfo(1, 0, 0, 1));
        printf("ping: pong doubled %u to %lu (label %lu)\n", 10 * i, (unsigned long)vl_os_mr_get(0),
               (unsigned long)vl_msginfo_label(reply));
    }
    printf("pingpong: done\n");
}
