/*
 * The timer service's timeouts (docs/drivers.md, "The timer service"): a bounded table per
 * client and one deadline-ordered structure over all of them, with no heap allocation.
 * Portable C without the device or the kernel, so tests/unit/timer runs it on the host
 * under ASan and UBSan; timer.c drives it from client calls and the alarm's interrupt.
 *
 * A client names its timeouts by id, 0..TIMEOUTS_IDS-1, and may have at most
 * TIMEOUTS_PER_CLIENT armed at once. A timeout has an absolute deadline (ns on the service's
 * clock) and a period: 0 for one-shot, else it fires at deadline, deadline + period,
 * deadline + 2 period, ... (each from the first deadline, so it never drifts). When it fires
 * its id's bit is set in the client's fired mask; a firing whose bit is still set (the
 * client has not collected it) is counted as an overrun instead. A client learns of firings
 * from one notification per 0 -> non-zero change of its mask, and collects mask and overruns
 * at once. A one-shot leaves the table when it fires; a periodic timeout stays until
 * cancelled.
 *
 * Order: a binary min-heap of armed timeouts keyed by (deadline, arming order), in an array
 * of TIMEOUTS_MAX_CLIENTS * TIMEOUTS_PER_CLIENT entries; each entry knows its place in the
 * heap, so cancel and re-arm are O(log n). Timeouts due at the same instant fire in the
 * order they were armed.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define TIMEOUTS_MAX_CLIENTS 16      /* clients one service serves */
#define TIMEOUTS_PER_CLIENT 32       /* timeouts one client may have armed at once */
#define TIMEOUTS_IDS 64              /* ids 0..63: one bit each in the fired mask */
#define TIMEOUTS_MIN_PERIOD 50000ull /* ns: a shorter period would be an interrupt storm */
#define TIMEOUTS_HEAP (TIMEOUTS_MAX_CLIENTS * TIMEOUTS_PER_CLIENT)

/* Statuses (the timer interface's errors map onto them; timer.c). */
enum timeouts_status {
    TIMEOUTS_OK = 0,
    TIMEOUTS_BAD_ID,     /* id >= TIMEOUTS_IDS (or client >= TIMEOUTS_MAX_CLIENTS) */
    TIMEOUTS_FULL,       /* the client already has TIMEOUTS_PER_CLIENT others armed */
    TIMEOUTS_BAD_PERIOD, /* a period other than 0 below TIMEOUTS_MIN_PERIOD */
    TIMEOUTS_UNKNOWN     /* cancel: the id is neither armed nor fired and uncollected */
};

/* One armed timeout: an entry of a client's table. */
struct timeout {
    uint64_t deadline; /* ns: when it fires next */
    uint64_t period;   /* ns; 0: one-shot */
    uint64_t order;    /* arming order: ties of deadline fire first-armed first */
    uint16_t heap;     /* its index in struct timeouts.heap */
    uint8_t client;
    uint8_t id;
    bool armed; /* in use (and then in the heap) */
};

struct timeouts_client {
    struct timeout slot[TIMEOUTS_PER_CLIENT];
    uint64_t armed_ids; /* bit id: that id is armed (in slot[] and the heap) */
    uint64_t fired;     /* bit id: fired since the client last collected */
    uint64_t overruns;  /* firings on a bit already set, since the last collect */
};

struct timeouts {
    struct timeouts_client client[TIMEOUTS_MAX_CLIENTS];
    struct timeout *heap[TIMEOUTS_HEAP]; /* a min-heap of the armed timeouts */
    unsigned count;                      /* entries in heap */
    uint64_t next_order;
};

/* Called for each firing, in firing order: client, id, the deadline it fired for, and
 * whether the client's mask went from 0 to non-zero (the service then notifies it). */
typedef void timeouts_fire_fn(void *ctx, unsigned client, unsigned id, uint64_t deadline,
                              bool notify);

/* Empties everything. */
void timeouts_init(struct timeouts *t);

/*
 * Arms id of client for `deadline` with `period` (0: one-shot), replacing the id's earlier
 * timeout if it is armed (its fired bit, if set, stays until collected). Nothing fires here:
 * a deadline already past fires at the next timeouts_expire, which the service calls
 * straight after (so it fires at once). Returns TIMEOUTS_OK, or BAD_ID, BAD_PERIOD or FULL
 * (checked in that order), and then changes nothing.
 */
enum timeouts_status timeouts_set(struct timeouts *t, unsigned client, unsigned id,
                                  uint64_t deadline, uint64_t period);

/*
 * Cancels id of client: disarms it and clears its fired bit. Returns TIMEOUTS_OK,
 * TIMEOUTS_BAD_ID, or TIMEOUTS_UNKNOWN if the id was neither armed nor fired (nothing
 * changes then).
 */
enum timeouts_status timeouts_cancel(struct timeouts *t, unsigned client, unsigned id);

/*
 * Fires every timeout whose deadline is at or before now, earliest first, calling fire (if
 * not NULL) for each. A periodic timeout that missed k > 1 of its deadlines (the service ran
 * late) fires once and counts k - 1 overruns; its next deadline is the first after now on
 * its grid. A periodic timeout whose next deadline would overflow 64 bits stops. Each armed
 * timeout fires at most once per call, so the work is bounded by the number armed. Returns
 * the number of firings.
 */
unsigned timeouts_expire(struct timeouts *t, uint64_t now, timeouts_fire_fn *fire, void *ctx);

/* The earliest deadline armed in *deadline and true, or false if nothing is armed. */
bool timeouts_next(const struct timeouts *t, uint64_t *deadline);

/* Returns client's fired mask and (in *overruns) its overrun count, and clears both (0 and
 * 0 for a client number out of range). */
uint64_t timeouts_collect(struct timeouts *t, unsigned client, uint64_t *overruns);

/* How many timeouts client has armed (0 for a client number out of range). */
unsigned timeouts_armed(const struct timeouts *t, unsigned client);

/* Checks every invariant (the heap order, each entry's index, the per-client tables and
 * masks, the count); tests call it after every operation. Returns true if all hold. */
bool timeouts_check(const struct timeouts *t);
