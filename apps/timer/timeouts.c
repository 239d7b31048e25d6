/*
 * The timer service's timeouts: per-client tables and one min-heap (timeouts.h).
 */
#include "timeouts.h"

#include <stddef.h>
#include <string.h>

/* a fires before b: the earlier deadline, then the earlier arming. */
static bool
is_before(const struct timeout *a, const struct timeout *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->order < b->order);
}

static void
heap_put(struct timeouts *t, unsigned i, struct timeout *e)
{
    t->heap[i] = e;
    e->heap = (uint16_t)i;
}

/* Moves the entry at i up until its parent is before it. */
static void
sift_up(struct timeouts *t, unsigned i)
{
    struct timeout *e = t->heap[i];
    while (i > 0) {
        unsigned parent = (i - 1) / 2;
        if (!is_before(e, t->heap[parent])) {
            break;
        }
        heap_put(t, i, t->heap[parent]);
        i = parent;
    }
    heap_put(t, i, e);
}

/* Moves the entry at i down until both children are after it. */
static void
sift_down(struct timeouts *t, unsigned i)
{
    struct timeout *e = t->heap[i];
    for (;;) {
        unsigned child = 2 * i + 1;
        if (child >= t->count) {
            break;
        }
        if (child + 1 < t->count && is_before(t->heap[child + 1], t->heap[child])) {
            child++;
        }
        if (!is_before(t->heap[child], e)) {
            break;
        }
        heap_put(t, i, t->heap[child]);
        i = child;
    }
    heap_put(t, i, e);
}

/* Restores the heap after e's key changed either way. */
static void
heap_fix(struct timeouts *t, struct timeout *e)
{
    sift_up(t, e->heap);
    sift_down(t, e->heap);
}

static void
heap_insert(struct timeouts *t, struct timeout *e)
{
    heap_put(t, t->count++, e);
    sift_up(t, e->heap);
}

static void
heap_remove(struct timeouts *t, struct timeout *e)
{
    unsigned i = e->heap;
    struct timeout *last = t->heap[--t->count];
    t->heap[t->count] = NULL;
    if (last != e) {
        heap_put(t, i, last);
        heap_fix(t, last);
    }
}

/* The armed entry of client c for id, or NULL. */
static struct timeout *
find(struct timeouts_client *c, unsigned id)
{
    if (!(c->armed_ids & (1ull << id))) {
        return NULL;
    }
    for (unsigned s = 0; s < TIMEOUTS_PER_CLIENT; s++) {
        if (c->slot[s].armed && c->slot[s].id == id) {
            return &c->slot[s];
        }
    }
    return NULL; /* not reached: armed_ids and the slots agree (timeouts_check) */
}

/* Disarms e: out of the heap and the client's table. */
static void
disarm(struct timeouts *t, struct timeout *e)
{
    heap_remove(t, e);
    t->client[e->client].armed_ids &= ~(1ull << e->id);
    e->armed = false;
}

void
timeouts_init(struct timeouts *t)
{
    memset(t, 0, sizeof(*t));
}

enum timeouts_status
timeouts_set(struct timeouts *t, unsigned client, unsigned id, uint64_t deadline, uint64_t period)
{
    if (client >= TIMEOUTS_MAX_CLIENTS || id >= TIMEOUTS_IDS) {
        return TIMEOUTS_BAD_ID;
    }
    if (period != 0 && period < TIMEOUTS_MIN_PERIOD) {
        return TIMEOUTS_BAD_PERIOD;
    }
    struct timeouts_client *c = &t->client[client];
    struct timeout *e = find(c, id);
    if (e == NULL) {
        for (unsigned s = 0; s < TIMEOUTS_PER_CLIENT && e == NULL; s++) {
            if (!c->slot[s].armed) {
                e = &c->slot[s];
            }
        }
        if (e == NULL) {
            return TIMEOUTS_FULL;
        }
        *e = (struct timeout){.client = (uint8_t)client, .id = (uint8_t)id, .armed = true};
        c->armed_ids |= 1ull << id;
        e->deadline = deadline;
        e->period = period;
        e->order = t->next_order++;
        heap_insert(t, e);
        return TIMEOUTS_OK;
    }
    e->deadline = deadline;
    e->period = period;
    e->order = t->next_order++;
    heap_fix(t, e);
    return TIMEOUTS_OK;
}

enum timeouts_status
timeouts_cancel(struct timeouts *t, unsigned client, unsigned id)
{
    if (client >= TIMEOUTS_MAX_CLIENTS || id >= TIMEOUTS_IDS) {
        return TIMEOUTS_BAD_ID;
    }
    struct timeouts_client *c = &t->client[client];
    struct timeout *e = find(c, id);
    if (e == NULL && !(c->fired & (1ull << id))) {
        return TIMEOUTS_UNKNOWN;
    }
    if (e != NULL) {
        disarm(t, e);
    }
    c->fired &= ~(1ull << id);
    return TIMEOUTS_OK;
}

/* Fires e (due at or before now) once and re-arms or disarms it. */
static void
fire_one(struct timeouts *t, struct timeout *e, uint64_t now, timeouts_fire_fn *fire, void *ctx)
{
    struct timeouts_client *c = &t->client[e->client];
    uint64_t bit = 1ull << e->id;
    bool notify = c->fired == 0;
    uint64_t due = e->deadline;
    if (c->fired & bit) {
        c->overruns++;
    }
    c->fired |= bit;
    unsigned client = e->client, id = e->id;
    if (e->period == 0) {
        disarm(t, e);
    } else {
        /* Deadlines on the grid due + k * period that also passed are lost firings. */
        uint64_t missed = (now - due) / e->period;
        uint64_t step, next;
        c->overruns += missed;
        if (__builtin_mul_overflow(missed + 1, e->period, &step) ||
            __builtin_add_overflow(due, step, &next)) {
            disarm(t, e);
        } else {
            e->deadline = next;
            e->order = t->next_order++;
            sift_down(t, e->heap);
        }
    }
    if (fire != NULL) {
        fire(ctx, client, id, due, notify);
    }
}

unsigned
timeouts_expire(struct timeouts *t, uint64_t now, timeouts_fire_fn *fire, void *ctx)
{
    /* Each firing either removes the earliest entry or moves its deadline past now, so this
     * runs at most count times. */
    unsigned fired = 0;
    while (t->count > 0 && t->heap[0]->deadline <= now) {
        fire_one(t, t->heap[0], now, fire, ctx);
        fired++;
    }
    return fired;
}

bool
timeouts_next(const struct timeouts *t, uint64_t *deadline)
{
    if (t->count == 0) {
        return false;
    }
    *deadline = t->heap[0]->deadline;
    return true;
}

uint64_t
timeouts_collect(struct timeouts *t, unsigned client, uint64_t *overruns)
{
    if (client >= TIMEOUTS_MAX_CLIENTS) {
        *overruns = 0;
        return 0;
    }
    struct timeouts_client *c = &t->client[client];
    uint64_t fired = c->fired;
    *overruns = c->overruns;
    c->fired = 0;
    c->overruns = 0;
    return fired;
}

unsigned
timeouts_armed(const struct timeouts *t, unsigned client)
{
    if (client >= TIMEOUTS_MAX_CLIENTS) {
        return 0;
    }
    return (unsigned)__builtin_popcountll(t->client[client].armed_ids);
}

/* The table of client c agrees with its mask and every armed entry is in the heap. */
static bool
client_ok(const struct timeouts *t, unsigned c)
{
    const struct timeouts_client *cl = &t->client[c];
    uint64_t seen = 0;
    for (unsigned s = 0; s < TIMEOUTS_PER_CLIENT; s++) {
        const struct timeout *e = &cl->slot[s];
        if (!e->armed) {
            continue;
        }
        if (e->client != c || e->id >= TIMEOUTS_IDS || (seen & (1ull << e->id)) ||
            e->heap >= t->count || t->heap[e->heap] != e) {
            return false;
        }
        if (e->period != 0 && e->period < TIMEOUTS_MIN_PERIOD) {
            return false;
        }
        seen |= 1ull << e->id;
    }
    return seen == cl->armed_ids;
}

bool
timeouts_check(const struct timeouts *t)
{
    if (t->count > TIMEOUTS_HEAP) {
        return false;
    }
    unsigned armed = 0;
    for (unsigned c = 0; c < TIMEOUTS_MAX_CLIENTS; c++) {
        if (!client_ok(t, c)) {
            return false;
        }
        armed += timeouts_armed(t, c);
    }
    if (armed != t->count) {
        return false;
    }
    for (unsigned i = 0; i < t->count; i++) {
        const struct timeout *e = t->heap[i];
        if (e == NULL || !e->armed || e->heap != i || e->order >= t->next_order) {
            return false;
        }
        if (i > 0 && is_before(e, t->heap[(i - 1) / 2])) {
            return false;
        }
    }
    for (unsigned i = t->count; i < TIMEOUTS_HEAP; i++) {
        if (t->heap[i] != NULL) {
            return false;
        }
    }
    return true;
}
