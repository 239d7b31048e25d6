/*
 * ping: the client half of the pingpong example. It writes messages into the shared ring
 * and notifies pong (channel 0), and asks pong to double numbers with a protected call
 * (channel 1). Pong has the higher priority, so each notification and call runs pong at
 * once and the two take turns. Its description may set `rounds` (default 3) and `step`
 * (round i sends step * i, default 10).
 */
#include <stdbool.h>
#include <stdio.h>
#include <vallum/os.h>

#include "ring.h"

#define CH_NOTIFY 0
#define CH_CALL 1
/* Defaults, unless the description's `config` says `rounds` or `step`. */
#define DEFAULT_ROUNDS 3
#define MAX_ROUNDS 100
#define DEFAULT_STEP 10 /* round i asks pong to double step * i */
#define MAX_STEP 1000000

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
    int64_t step = DEFAULT_STEP;
    if (!config_in_range("rounds", &rounds, MAX_ROUNDS) ||
        !config_in_range("step", &step, MAX_STEP)) {
        return;
    }
    for (unsigned i = 1; i <= (unsigned)rounds; i++) {
        uint64_t h = ring->head;
        snprintf(ring->msg[h % RING_SLOTS], RING_MSG, "ping %u", i);
        ring->head = h + 1;
        printf("ping: wrote 'ping %u', notifying pong\n", i);
        int status = vl_os_notify(CH_NOTIFY);
        if (status != VL_OS_OK) {
            printf("ping: notify: %s\n", vl_os_status_name(status));
            return;
        }
        vl_word_t x = (vl_word_t)step * i;
        vl_os_mr_set(0, x);
        vl_word_t reply = vl_os_ppcall(CH_CALL, vl_msginfo(1, 0, 0, 1));
        printf("ping: pong doubled %lu to %lu (label %lu)\n", (unsigned long)x,
               (unsigned long)vl_os_mr_get(0), (unsigned long)vl_msginfo_label(reply));
    }
    printf("pingpong: done\n");
}
