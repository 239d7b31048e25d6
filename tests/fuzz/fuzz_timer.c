/*
 * libFuzzer target for the timer service's tables (apps/timer/timeouts.c): the fuzzer plays
 * every client at once, with any ids, deadlines and periods the interface lets through (all
 * of u32 and u64), interleaved with the clock moving by any amount.
 *
 * Build and run from the repository root (or: make fuzz-timer FUZZ_SECONDS=20):
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       apps/timer/timeouts.c tests/fuzz/fuzz_timer.c -o build/fuzz/fuzz_timer
 *
 * The input is the starting time (8 bytes) and then a script of 15-byte steps: an operation,
 * a client, an id, a 64-bit value and a period selector. The oracle, besides the library's
 * own invariant check after every step, keeps its own model of each client's timeouts
 * (deadline, period), fired mask and overruns: statuses must be the ones the contract gives
 * for the model's state; an expiry fires only what is due, at the model's deadline, in
 * deadline order, each armed timeout at most once, re-arms a periodic one at the first point
 * of its grid after now (counting the points it skipped as overruns) and leaves nothing due
 * behind; a collect returns exactly the ids and overruns the model counted.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../apps/timer/timeouts.h"

static void
check(bool cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_timer: contract violated: %s\n", what);
        abort();
    }
}

struct model {
    bool armed[TIMEOUTS_MAX_CLIENTS][TIMEOUTS_IDS];
    uint64_t deadline[TIMEOUTS_MAX_CLIENTS][TIMEOUTS_IDS];
    uint64_t period[TIMEOUTS_MAX_CLIENTS][TIMEOUTS_IDS];
    uint64_t fired[TIMEOUTS_MAX_CLIENTS];
    uint64_t overruns[TIMEOUTS_MAX_CLIENTS];
};

static struct timeouts t;
static struct model m;
static uint64_t now, last_due;
static unsigned fired_in_call;

static void
on_fire(void *ctx, unsigned client, unsigned id, uint64_t deadline, bool notify)
{
    (void)ctx;
    check(client < TIMEOUTS_MAX_CLIENTS && id < TIMEOUTS_IDS, "firing names a real timeout");
    check(m.armed[client][id], "only armed timeouts fire");
    check(deadline <= now, "never early");
    check(deadline >= last_due, "in deadline order");
    check(notify == (m.fired[client] == 0), "notify exactly on an empty mask");
    check(deadline == m.deadline[client][id], "fires at its deadline");
    last_due = deadline;
    if (m.fired[client] & (1ull << id)) {
        m.overruns[client]++;
    }
    m.fired[client] |= 1ull << id;
    fired_in_call++;
    uint64_t p = m.period[client][id];
    if (p == 0) {
        m.armed[client][id] = false;
        return;
    }
    /* The first grid point after now, in 128 bits (past 2^64 the timeout stops). */
    unsigned __int128 skipped = (now - deadline) / p;
    unsigned __int128 next = (unsigned __int128)deadline + (skipped + 1) * p;
    check(next > now && next - p <= now, "the model's grid point");
    m.overruns[client] += (uint64_t)skipped;
    if (next > UINT64_MAX) {
        m.armed[client][id] = false;
        return;
    }
    m.deadline[client][id] = (uint64_t)next;
}

static unsigned
armed_count(unsigned c)
{
    unsigned n = 0;
    for (unsigned i = 0; i < TIMEOUTS_IDS; i++) {
        n += m.armed[c][i];
    }
    return n;
}

static uint64_t
word(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void
step(const uint8_t *p)
{
    unsigned op = p[0] % 5;
    unsigned client = p[1] % (TIMEOUTS_MAX_CLIENTS + 1); /* one past: a bad client */
    uint32_t id;
    memcpy(&id, p + 2, sizeof(id));
    id = (p[0] & 0x80) ? id : id % (TIMEOUTS_IDS + 1);
    uint64_t value = word(p + 6);
    static const uint64_t periods[] = {
        0, 0, 1, TIMEOUTS_MIN_PERIOD - 1, TIMEOUTS_MIN_PERIOD, 1000000, UINT64_MAX / 3, UINT64_MAX};
    uint64_t period = periods[p[14] % 8];
    bool bad = client >= TIMEOUTS_MAX_CLIENTS || id >= TIMEOUTS_IDS;
    switch (op) {
    case 0: { /* set, relative to now (wrapping on purpose: past and far future) */
        enum timeouts_status st = timeouts_set(&t, client, id, now + value, period);
        if (bad) {
            check(st == TIMEOUTS_BAD_ID, "set: bad id");
        } else if (period != 0 && period < TIMEOUTS_MIN_PERIOD) {
            check(st == TIMEOUTS_BAD_PERIOD, "set: bad period");
        } else if (!m.armed[client][id] && armed_count(client) == TIMEOUTS_PER_CLIENT) {
            check(st == TIMEOUTS_FULL, "set: full");
        } else {
            check(st == TIMEOUTS_OK, "set: ok");
            m.armed[client][id] = true;
            m.deadline[client][id] = now + value;
            m.period[client][id] = period;
        }
        break;
    }
    case 1: { /* cancel */
        enum timeouts_status st = timeouts_cancel(&t, client, id);
        if (bad) {
            check(st == TIMEOUTS_BAD_ID, "cancel: bad id");
        } else if (!m.armed[client][id] && !(m.fired[client] & (1ull << id))) {
            check(st == TIMEOUTS_UNKNOWN, "cancel: unknown");
        } else {
            check(st == TIMEOUTS_OK, "cancel: ok");
            m.armed[client][id] = false;
            m.fired[client] &= ~(1ull << id);
        }
        break;
    }
    case 2:   /* the clock moves: by a little, or by anything (not past 2^64) */
    case 3: { /* and expires */
        uint64_t by = op == 2 ? value % 4000000 : value;
        now = by > UINT64_MAX - now ? UINT64_MAX : now + by;
        last_due = 0;
        fired_in_call = 0;
        unsigned armed_before = t.count;
        unsigned n = timeouts_expire(&t, now, on_fire, NULL);
        check(n == fired_in_call && n <= armed_before, "each armed timeout fires at most once");
        uint64_t next;
        check(!timeouts_next(&t, &next) || next > now, "nothing due is left");
        for (unsigned c = 0; c < TIMEOUTS_MAX_CLIENTS; c++) {
            for (unsigned i = 0; i < TIMEOUTS_IDS; i++) {
                check(m.armed[c][i] == ((t.client[c].armed_ids >> i) & 1), "armed as modelled");
            }
        }
        break;
    }
    default: { /* collect */
        uint64_t ov;
        uint64_t ids = timeouts_collect(&t, client, &ov);
        bool real = client < TIMEOUTS_MAX_CLIENTS;
        check(ids == (real ? m.fired[client] : 0), "collect: the ids fired");
        check(ov == (real ? m.overruns[client] : 0), "collect: the overruns counted");
        if (real) {
            m.fired[client] = 0;
            m.overruns[client] = 0;
        }
        break;
    }
    }
    check(timeouts_check(&t), "the tables' invariants");
    for (unsigned c = 0; c < TIMEOUTS_MAX_CLIENTS; c++) {
        check(timeouts_armed(&t, c) == armed_count(c), "armed counts agree with the model");
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    timeouts_init(&t);
    memset(&m, 0, sizeof(m));
    now = size >= 8 ? word(data) >> 1 : 0;
    for (size_t off = 8; off + 15 <= size; off += 15) {
        step(data + off);
    }
    return 0;
}
