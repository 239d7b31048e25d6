/*
 * Host tests of lib/ring (ASan + UBSan): the normal flow, full and empty queues, indices
 * wrapping around 2^32, the signalling protocol with the lost-wakeup interleaving played
 * step by step, every kind of peer misbehaviour (the test writes the peer's shared words
 * itself), and a two-thread stress run with real sleeping and signalling.
 *
 * Usage: test_ring [stress-transfers [tsan]]   (default 2000000; see main)
 */
#include <vallum/ring.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define VLTEST_STRERROR ring_status_name
#include "../vltest.h"

#define CAP 8
#define NBUFS 16
#define BUF 64

/* A ring whose both sides the test holds: p is the producer, c the consumer. */
struct fixture {
    _Alignas(64) uint8_t queues[RING_QUEUES_SIZE(CAP)];
    uint8_t data[NBUFS * BUF];
    uint64_t p_owned[RING_OWNED_WORDS(NBUFS)];
    uint64_t c_owned[RING_OWNED_WORDS(NBUFS)];
    struct ring p, c;
};

static struct fixture fx;

static struct ring_config
config(uint64_t *owned, uint32_t first)
{
    return (struct ring_config){.queues = fx.queues,
                                .capacity = CAP,
                                .data = fx.data,
                                .buf_size = BUF,
                                .nbufs = NBUFS,
                                .owned = owned,
                                .first_index = first};
}

/* Fresh shared memory, both sides set up from index first, the producer holding every buffer. */
static bool
setup(uint32_t first)
{
    memset(&fx, 0, sizeof(fx));
    struct ring_config pc = config(fx.p_owned, first), cc = config(fx.c_owned, first);
    EXPECT_ERR(ring_init(&fx.p, RING_PRODUCER, &pc), RING_OK);
    EXPECT_ERR(ring_init(&fx.c, RING_CONSUMER, &cc), RING_OK);
    ring_own_all(&fx.p);
    return true;
}

static struct ring_queue *
free_queue(void)
{
    return (struct ring_queue *)fx.queues;
}

static struct ring_queue *
active_queue(void)
{
    return (struct ring_queue *)(fx.queues + RING_QUEUE_SIZE(CAP));
}

static struct ring_desc
buf(uint32_t i, uint32_t len)
{
    return (struct ring_desc){i * BUF, len};
}

/* The test as a misbehaving producer: writes entry `at` of q and publishes tail. */
static void
peer_put(struct ring_queue *q, uint32_t at, uint32_t offset, uint32_t length, uint32_t tail)
{
    q->desc[at % CAP] = (struct ring_desc){offset, length};
    q->tail = tail;
}

static bool
test_init_arguments(void)
{
    struct ring r;
    memset(&fx, 0, sizeof(fx));
    struct ring_config good = config(fx.p_owned, 0), bad;
    EXPECT_ERR(ring_init(NULL, RING_PRODUCER, &good), RING_ERR_ARGUMENT);
    EXPECT_ERR(ring_init(&r, RING_PRODUCER, NULL), RING_ERR_ARGUMENT);
    bad = good, bad.queues = NULL;
    EXPECT_ERR(ring_init(&r, RING_PRODUCER, &bad), RING_ERR_ARGUMENT);
    bad = good, bad.owned = NULL;
    EXPECT_ERR(ring_init(&r, RING_PRODUCER, &bad), RING_ERR_ARGUMENT);
    const uint32_t bad_caps[] = {0, 3, 6, RING_MAX_CAPACITY * 2u, UINT32_MAX};
    for (unsigned i = 0; i < sizeof(bad_caps) / sizeof(bad_caps[0]); i++) {
        bad = good, bad.capacity = bad_caps[i];
        EXPECT_ERR(ring_init(&r, RING_PRODUCER, &bad), RING_ERR_ARGUMENT);
    }
    bad = good, bad.buf_size = 0;
    EXPECT_ERR(ring_init(&r, RING_PRODUCER, &bad), RING_ERR_ARGUMENT);
    bad = good, bad.nbufs = 0;
    EXPECT_ERR(ring_init(&r, RING_PRODUCER, &bad), RING_ERR_ARGUMENT);
    bad = good, bad.buf_size = 1u << 16, bad.nbufs = 1u << 16; /* exactly 2^32 bytes */
    EXPECT_ERR(ring_init(&r, RING_PRODUCER, &bad), RING_ERR_ARGUMENT);
    /* The largest region and capacity are accepted. */
    bad = good, bad.buf_size = 1, bad.nbufs = 1; /* owned has room for any nbufs <= 64 */
    EXPECT_ERR(ring_init(&r, RING_PRODUCER, &bad), RING_OK);
    bad = good, bad.buf_size = UINT32_MAX, bad.nbufs = 1;
    EXPECT_ERR(ring_init(&r, RING_PRODUCER, &bad), RING_OK);
    return true;
}

static bool
test_normal_flow(void)
{
    EXPECT(setup(0));
    EXPECT(!ring_holds(&fx.c, 0) && ring_holds(&fx.p, 0));
    for (uint32_t i = 0; i < 4; i++) {
        char *b = ring_buffer(&fx.p, buf(i, 10));
        EXPECT(b != NULL);
        snprintf(b, BUF, "message %u", i);
        EXPECT_ERR(ring_enqueue(&fx.p, buf(i, 10)), RING_OK);
        EXPECT(!ring_holds(&fx.p, i * BUF));
        EXPECT(ring_buffer(&fx.p, buf(i, 10)) == NULL); /* no longer ours */
    }
    EXPECT_EQ(active_queue()->tail, 4);
    for (uint32_t i = 0; i < 4; i++) {
        struct ring_desc d;
        EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
        EXPECT_EQ(d.offset, i * BUF);
        EXPECT_EQ(d.length, 10);
        char want[BUF];
        snprintf(want, sizeof(want), "message %u", i);
        const char *b = ring_buffer(&fx.c, d);
        EXPECT(b != NULL && strcmp(b, want) == 0);
        EXPECT_ERR(ring_enqueue(&fx.c, (struct ring_desc){d.offset, BUF}), RING_OK);
    }
    struct ring_desc d;
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_EMPTY);
    for (uint32_t i = 0; i < 4; i++) {
        EXPECT_ERR(ring_dequeue(&fx.p, &d), RING_OK);
        EXPECT_EQ(d.offset, i * BUF);
        EXPECT_EQ(d.length, BUF);
    }
    EXPECT_ERR(ring_dequeue(&fx.p, &d), RING_EMPTY);
    EXPECT_EQ(fx.p.stats.enqueued, 4);
    EXPECT_EQ(fx.p.stats.dequeued, 4);
    EXPECT_EQ(fx.c.stats.enqueued, 4);
    EXPECT_EQ(fx.c.stats.dequeued, 4);
    EXPECT(!ring_is_broken(&fx.p) && !ring_is_broken(&fx.c));
    return true;
}

/* Both directions start with the consumer holding the buffers (a receive ring). */
static bool
test_consumer_owns_first(void)
{
    memset(&fx, 0, sizeof(fx));
    struct ring_config pc = config(fx.p_owned, 0), cc = config(fx.c_owned, 0);
    EXPECT_ERR(ring_init(&fx.p, RING_PRODUCER, &pc), RING_OK);
    EXPECT_ERR(ring_init(&fx.c, RING_CONSUMER, &cc), RING_OK);
    ring_own_all(&fx.c);
    EXPECT_ERR(ring_enqueue(&fx.p, buf(0, 1)), RING_ERR_NOT_OWNED);
    EXPECT_ERR(ring_enqueue(&fx.c, buf(5, BUF)), RING_OK);
    struct ring_desc d;
    EXPECT_ERR(ring_dequeue(&fx.p, &d), RING_OK);
    EXPECT_EQ(d.offset, 5 * BUF);
    EXPECT_ERR(ring_enqueue(&fx.p, (struct ring_desc){d.offset, 3}), RING_OK);
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
    EXPECT_EQ(d.length, 3);
    return true;
}

static bool
test_full_and_empty(void)
{
    EXPECT(setup(0));
    struct ring_desc d;
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_EMPTY);
    EXPECT_ERR(ring_dequeue(&fx.p, &d), RING_EMPTY);
    for (uint32_t i = 0; i < CAP; i++) {
        EXPECT_ERR(ring_enqueue(&fx.p, buf(i, 1)), RING_OK);
    }
    EXPECT_ERR(ring_enqueue(&fx.p, buf(CAP, 1)), RING_FULL);
    EXPECT(ring_holds(&fx.p, CAP * BUF)); /* a refused enqueue leaves the buffer ours */
    EXPECT_EQ(active_queue()->tail, CAP);
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
    EXPECT_ERR(ring_enqueue(&fx.p, buf(CAP, 1)), RING_OK); /* one slot came free */
    EXPECT_ERR(ring_enqueue(&fx.p, buf(CAP + 1, 1)), RING_FULL);
    for (uint32_t i = 1; i <= CAP; i++) {
        EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
        EXPECT_EQ(d.offset, i * BUF);
    }
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_EMPTY);
    return true;
}

/* Free-running indices cross 2^32 with the queue partly full on both sides of the wrap. */
static bool
test_wrap_around(void)
{
    EXPECT(setup(UINT32_MAX - 5));
    uint32_t next_in = 0, next_out = 0;
    for (unsigned round = 0; round < 40; round++) {
        /* The producer holds every buffer at the start of a round. */
        for (unsigned k = 0; k < 3; k++, next_in++) {
            struct ring_desc d = buf(next_in % NBUFS, 4 + next_in % (BUF - 4));
            memcpy(ring_buffer(&fx.p, d), &next_in, 4);
            EXPECT_ERR(ring_enqueue(&fx.p, d), RING_OK);
        }
        for (unsigned k = 0; k < 3; k++, next_out++) {
            struct ring_desc d;
            EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
            EXPECT_EQ(d.length, 4 + next_out % (BUF - 4));
            uint32_t got;
            memcpy(&got, ring_buffer(&fx.c, d), 4);
            EXPECT_EQ(got, next_out);
            EXPECT_ERR(ring_enqueue(&fx.c, d), RING_OK);
        }
        for (unsigned k = 0; k < 3; k++) {
            struct ring_desc d;
            EXPECT_ERR(ring_dequeue(&fx.p, &d), RING_OK);
        }
    }
    EXPECT_EQ(active_queue()->tail, (uint32_t)(UINT32_MAX - 5 + 120));
    EXPECT(active_queue()->tail < 200); /* it did wrap */
    EXPECT_EQ(fx.c.stats.dequeued, 120);
    return true;
}

/* Wrap-around when the queue is exactly full across 2^32. */
static bool
test_wrap_full(void)
{
    EXPECT(setup(UINT32_MAX - 2));
    for (uint32_t i = 0; i < CAP; i++) {
        EXPECT_ERR(ring_enqueue(&fx.p, buf(i, 1)), RING_OK);
    }
    EXPECT_ERR(ring_enqueue(&fx.p, buf(CAP, 1)), RING_FULL);
    for (uint32_t i = 0; i < CAP; i++) {
        struct ring_desc d;
        EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
        EXPECT_EQ(d.offset, i * BUF);
    }
    EXPECT_ERR(ring_enqueue(&fx.p, buf(CAP, 1)), RING_OK);
    return true;
}

/* The caller's own mistakes on enqueue change nothing. */
static bool
test_enqueue_caller_errors(void)
{
    EXPECT(setup(0));
    EXPECT_ERR(ring_enqueue(&fx.c, buf(0, 1)), RING_ERR_NOT_OWNED); /* the producer holds it */
    EXPECT_ERR(ring_enqueue(&fx.p, (struct ring_desc){NBUFS * BUF, 0}), RING_ERR_DESC);
    EXPECT_ERR(ring_enqueue(&fx.p, (struct ring_desc){1, 1}), RING_ERR_DESC);
    EXPECT_ERR(ring_enqueue(&fx.p, buf(0, BUF + 1)), RING_ERR_DESC);
    EXPECT_ERR(ring_enqueue(&fx.p, buf(NBUFS - 1, UINT32_MAX)), RING_ERR_DESC);
    EXPECT_EQ(active_queue()->tail, 0);
    EXPECT_EQ(free_queue()->tail, 0);
    EXPECT_ERR(ring_enqueue(&fx.p, buf(2, 1)), RING_OK);
    EXPECT_ERR(ring_enqueue(&fx.p, buf(2, 1)), RING_ERR_NOT_OWNED); /* given away already */
    EXPECT_EQ(active_queue()->tail, 1);
    EXPECT_EQ(fx.p.stats.enqueued, 1);
    return true;
}

/* A producer whose tail jumps further than the capacity, or goes behind our head. */
static bool
test_peer_tail_jumps(void)
{
    const uint32_t bad_tails[] = {CAP + 1, UINT32_MAX, 1u << 31};
    for (unsigned i = 0; i < sizeof(bad_tails) / sizeof(bad_tails[0]); i++) {
        EXPECT(setup(0));
        active_queue()->tail = bad_tails[i];
        struct ring_desc d = {7, 7};
        EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_ERR_INDEX);
        EXPECT(ring_is_broken(&fx.c));
        EXPECT_EQ(d.offset, 7);
        EXPECT_EQ(fx.c.stats.bad_index, 1);
        /* Broken is final, even once the peer writes sensible values again. */
        active_queue()->tail = 0;
        EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_ERR_BROKEN);
        EXPECT_ERR(ring_enqueue(&fx.c, buf(0, 1)), RING_ERR_BROKEN);
        EXPECT(!ring_sleep_prepare(&fx.c));
        EXPECT(!ring_signal_needed(&fx.c));
        EXPECT_EQ(active_queue()->head, 0); /* nothing consumed */
    }
    /* Exactly the capacity is a full queue, not an error. */
    EXPECT(setup(0));
    for (uint32_t i = 0; i < CAP; i++) {
        peer_put(active_queue(), i, i * BUF, 1, i + 1);
    }
    struct ring_desc d;
    for (uint32_t i = 0; i < CAP; i++) {
        EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
    }
    /* A tail that moves back behind our head, once we consumed: broken. */
    active_queue()->tail = CAP - 1;
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_ERR_INDEX);
    /* And the check in ring_sleep_prepare. */
    EXPECT(setup(0));
    active_queue()->tail = CAP + 1;
    EXPECT(!ring_sleep_prepare(&fx.c));
    EXPECT(ring_is_broken(&fx.c));
    EXPECT_EQ(active_queue()->wants_signal, 0);
    return true;
}

/* A consumer whose head runs ahead of our tail (or far behind it). */
static bool
test_peer_head_jumps(void)
{
    const uint32_t bad_heads[] = {CAP + 1, UINT32_MAX, 2 * CAP};
    for (unsigned i = 0; i < sizeof(bad_heads) / sizeof(bad_heads[0]); i++) {
        EXPECT(setup(0));
        for (uint32_t k = 0; k < CAP; k++) {
            EXPECT_ERR(ring_enqueue(&fx.p, buf(k, 1)), RING_OK);
        }
        /* The head is read only when the queue looks full: then it must be in range. */
        active_queue()->head = bad_heads[i];
        EXPECT_ERR(ring_enqueue(&fx.p, buf(CAP, 1)), RING_ERR_INDEX);
        EXPECT(ring_is_broken(&fx.p));
        EXPECT(ring_holds(&fx.p, CAP * BUF));
        EXPECT_EQ(fx.p.stats.bad_index, 1);
        EXPECT_EQ(active_queue()->tail, CAP);
    }
    return true;
}

/* Descriptors outside the region, misaligned, too long or overflowing are dropped one each;
 * the good entry behind them still arrives. */
static bool
test_peer_bad_descriptors(void)
{
    const struct ring_desc bad[] = {
        {NBUFS * BUF, 0},                /* starts at the end of the region */
        {UINT32_MAX - 63, 64},           /* far outside */
        {(NBUFS - 1) * BUF, UINT32_MAX}, /* offset + length overflows 32 bits */
        {(NBUFS - 1) * BUF, BUF + 1},    /* ends past the region */
        {BUF + 8, 8},                    /* not the start of a buffer */
        {0, BUF + 1},                    /* runs into the next buffer */
    };
    const unsigned n = sizeof(bad) / sizeof(bad[0]);
    EXPECT(setup(0));
    for (unsigned i = 0; i < n; i++) {
        peer_put(active_queue(), i, bad[i].offset, bad[i].length, i + 1);
        struct ring_desc d = {7, 7};
        EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_ERR_DESC);
        EXPECT_EQ(d.offset, 7);
        EXPECT_EQ(active_queue()->head, i + 1); /* consumed */
    }
    for (uint32_t k = 0; k < NBUFS; k++) {
        EXPECT(!ring_holds(&fx.c, k * BUF));
    }
    peer_put(active_queue(), n, 3 * BUF, BUF, n + 1);
    struct ring_desc d;
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
    EXPECT_EQ(d.offset, 3 * BUF);
    EXPECT_EQ(fx.c.stats.bad_desc, n);
    EXPECT(!ring_is_broken(&fx.c));
    /* The same checks on the free queue, as seen by the producer. */
    EXPECT(setup(0));
    peer_put(free_queue(), 0, NBUFS * BUF, 1, 1);
    EXPECT_ERR(ring_dequeue(&fx.p, &d), RING_ERR_DESC);
    EXPECT_EQ(fx.p.stats.bad_desc, 1);
    return true;
}

/* ring_dequeue_good skips bad entries, but at most `tries` of them a call; it stops at an
 * empty queue and at a broken ring. */
static bool
test_dequeue_good(void)
{
    struct ring_desc d = {7, 7};
    EXPECT(setup(0));
    EXPECT(!ring_dequeue_good(&fx.c, &d, 4)); /* empty */
    peer_put(active_queue(), 0, NBUFS * BUF, 0, 1);
    peer_put(active_queue(), 1, BUF + 8, 8, 2);
    peer_put(active_queue(), 2, 2 * BUF, 5, 3);
    EXPECT(!ring_dequeue_good(&fx.c, &d, 2)); /* two bad ones, then it gives up */
    EXPECT_EQ(d.offset, 7);
    EXPECT_EQ(fx.c.stats.bad_desc, 2);
    EXPECT(ring_dequeue_good(&fx.c, &d, 2));
    EXPECT(d.offset == 2 * BUF && d.length == 5);
    peer_put(active_queue(), 3, 0, 1, 3);
    active_queue()->tail = 3 + 2 * CAP; /* an index jump: the ring breaks */
    EXPECT(!ring_dequeue_good(&fx.c, &d, 4));
    EXPECT(ring_is_broken(&fx.c));
    EXPECT(!ring_dequeue_good(&fx.c, &d, 4));
    return true;
}

/* The producer hands the same buffer over twice: the second is dropped. */
static bool
test_peer_double_hand_out(void)
{
    EXPECT(setup(0));
    peer_put(active_queue(), 0, 2 * BUF, 5, 1);
    peer_put(active_queue(), 1, 2 * BUF, 9, 2);
    struct ring_desc d;
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
    EXPECT_EQ(d.length, 5);
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_ERR_OWNED);
    EXPECT_EQ(d.length, 5); /* untouched */
    EXPECT_EQ(fx.c.stats.bad_owner, 1);
    EXPECT_EQ(fx.c.stats.dequeued, 1);
    /* Once given back, the same buffer may come again. */
    EXPECT_ERR(ring_enqueue(&fx.c, d), RING_OK);
    peer_put(active_queue(), 2, 2 * BUF, 1, 3);
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
    return true;
}

/* The consumer "returns" a buffer the producer never handed out. */
static bool
test_peer_returns_unlent_buffer(void)
{
    EXPECT(setup(0));
    EXPECT_ERR(ring_enqueue(&fx.p, buf(1, 1)), RING_OK);
    peer_put(free_queue(), 0, 4 * BUF, BUF, 1); /* 4 was never lent */
    peer_put(free_queue(), 1, 1 * BUF, BUF, 2); /* 1 was */
    peer_put(free_queue(), 2, 1 * BUF, BUF, 3); /* and is returned twice */
    struct ring_desc d;
    EXPECT_ERR(ring_dequeue(&fx.p, &d), RING_ERR_OWNED);
    EXPECT_ERR(ring_dequeue(&fx.p, &d), RING_OK);
    EXPECT_EQ(d.offset, BUF);
    EXPECT_ERR(ring_dequeue(&fx.p, &d), RING_ERR_OWNED);
    EXPECT_ERR(ring_dequeue(&fx.p, &d), RING_EMPTY);
    EXPECT_EQ(fx.p.stats.bad_owner, 2);
    for (uint32_t k = 0; k < NBUFS; k++) {
        EXPECT(ring_holds(&fx.p, k * BUF));
    }
    return true;
}

/* A descriptor is copied once: rewriting it after ring_dequeue changes nothing we hold. */
static bool
test_descriptor_read_once(void)
{
    EXPECT(setup(0));
    peer_put(active_queue(), 0, 6 * BUF, 4, 1);
    struct ring_desc d;
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
    active_queue()->desc[0] = (struct ring_desc){UINT32_MAX, UINT32_MAX};
    EXPECT_EQ(d.offset, 6 * BUF);
    EXPECT(ring_buffer(&fx.c, d) == fx.data + 6 * BUF);
    return true;
}

static bool
test_buffer_and_holds(void)
{
    EXPECT(setup(0));
    EXPECT(ring_buffer(&fx.p, buf(0, BUF)) == fx.data);
    EXPECT(ring_buffer(&fx.p, buf(0, BUF + 1)) == NULL);
    EXPECT(ring_buffer(&fx.p, (struct ring_desc){1, 1}) == NULL);
    EXPECT(ring_buffer(&fx.p, buf(NBUFS, 0)) == NULL);
    EXPECT(ring_buffer(&fx.c, buf(0, 1)) == NULL);
    EXPECT(!ring_holds(&fx.p, 1));
    EXPECT(!ring_holds(&fx.p, NBUFS * BUF));
    EXPECT(ring_holds(&fx.p, (NBUFS - 1) * BUF));
    /* Without a data region (a side that only passes descriptors on) there is no pointer. */
    struct ring r;
    uint64_t owned[1];
    struct ring_config cfg = config(owned, 0);
    cfg.data = NULL;
    EXPECT_ERR(ring_init(&r, RING_PRODUCER, &cfg), RING_OK);
    ring_own_all(&r);
    EXPECT(ring_buffer(&r, buf(0, 1)) == NULL);
    ring_break(&fx.p);
    EXPECT(ring_is_broken(&fx.p));
    EXPECT_ERR(ring_enqueue(&fx.p, buf(0, 1)), RING_ERR_BROKEN);
    EXPECT_ERR(ring_dequeue(&fx.p, &(struct ring_desc){0, 0}), RING_ERR_BROKEN);
    return true;
}

static bool
test_status_names(void)
{
    EXPECT(strcmp(ring_status_name(RING_OK), "RING_OK") == 0);
    EXPECT(strcmp(ring_status_name(RING_EMPTY), "RING_EMPTY") == 0);
    EXPECT(strcmp(ring_status_name(RING_FULL), "RING_FULL") == 0);
    EXPECT(strcmp(ring_status_name(RING_ERR_INDEX), "RING_ERR_INDEX") == 0);
    EXPECT(strcmp(ring_status_name(RING_ERR_DESC), "RING_ERR_DESC") == 0);
    EXPECT(strcmp(ring_status_name(RING_ERR_OWNED), "RING_ERR_OWNED") == 0);
    EXPECT(strcmp(ring_status_name(RING_ERR_NOT_OWNED), "RING_ERR_NOT_OWNED") == 0);
    EXPECT(strcmp(ring_status_name(RING_ERR_BROKEN), "RING_ERR_BROKEN") == 0);
    EXPECT(strcmp(ring_status_name(RING_ERR_ARGUMENT), "RING_ERR_ARGUMENT") == 0);
    EXPECT(strcmp(ring_status_name(42), "?") == 0);
    return true;
}

/* Signalling: a producer signals only a consumer that asked. */
static bool
test_signal_only_when_asked(void)
{
    EXPECT(setup(0));
    EXPECT_ERR(ring_enqueue(&fx.p, buf(0, 1)), RING_OK);
    EXPECT(!ring_signal_needed(&fx.p)); /* the consumer is awake: no signal */
    struct ring_desc d;
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_EMPTY);
    EXPECT(ring_sleep_prepare(&fx.c)); /* empty: sleep */
    EXPECT_EQ(active_queue()->wants_signal, 1);
    EXPECT_ERR(ring_enqueue(&fx.p, buf(1, 1)), RING_OK);
    EXPECT_ERR(ring_enqueue(&fx.p, buf(2, 1)), RING_OK);
    EXPECT(ring_signal_needed(&fx.p)); /* once per batch */
    ring_awake(&fx.c);
    EXPECT_EQ(active_queue()->wants_signal, 0);
    EXPECT(!ring_signal_needed(&fx.p));
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
    EXPECT_EQ(fx.p.stats.signals, 1);
    EXPECT_EQ(fx.c.stats.sleeps, 1);
    /* The producer side sleeps on the free queue the same way. */
    EXPECT(ring_sleep_prepare(&fx.p));
    EXPECT_ERR(ring_enqueue(&fx.c, d), RING_OK);
    EXPECT(ring_signal_needed(&fx.c));
    return true;
}

/*
 * The lost-wakeup interleaving, step by step: the consumer finds the queue empty, the
 * producer enqueues and checks the flag (not set yet: no signal), then the consumer sets the
 * flag. Its re-check finds the entry, so it does not sleep. Without the re-check (the second
 * half, which sets the flag as a broken consumer would) it would sleep with an entry waiting
 * and no signal on its way.
 */
static bool
test_lost_wakeup_interleaving(void)
{
    EXPECT(setup(0));
    struct ring_desc d;
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_EMPTY);     /* C: empty, decides to sleep */
    EXPECT_ERR(ring_enqueue(&fx.p, buf(0, 1)), RING_OK); /* P: enqueue */
    EXPECT(!ring_signal_needed(&fx.p));                  /* P: flag not set: no signal */
    EXPECT(!ring_sleep_prepare(&fx.c));                  /* C: flag, re-check: entry found */
    EXPECT_EQ(active_queue()->wants_signal, 0);          /* request withdrawn */
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_OK);
    EXPECT_EQ(fx.c.stats.sleeps, 0);

    /* The broken consumer: same steps, the flag set without a re-check. */
    EXPECT(setup(0));
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_EMPTY);
    EXPECT_ERR(ring_enqueue(&fx.p, buf(0, 1)), RING_OK);
    EXPECT(!ring_signal_needed(&fx.p));
    active_queue()->wants_signal = 1; /* ... and it sleeps */
    /* An entry waits, nobody will signal: the wakeup is lost until the next enqueue. */
    EXPECT_EQ(active_queue()->tail - active_queue()->head, 1);
    EXPECT_EQ(fx.p.stats.signals, 0);

    /* The other order: the flag is up before the producer checks, so it signals. */
    EXPECT(setup(0));
    EXPECT_ERR(ring_dequeue(&fx.c, &d), RING_EMPTY);
    EXPECT(ring_sleep_prepare(&fx.c));
    EXPECT_ERR(ring_enqueue(&fx.p, buf(0, 1)), RING_OK);
    EXPECT(ring_signal_needed(&fx.p));
    return true;
}

/* The batch calls: the same flow with one index publication per call. */
static bool
test_batch_flow(void)
{
    EXPECT(setup(0));
    struct ring_desc d[NBUFS];
    for (uint32_t i = 0; i < 5; i++) {
        d[i] = buf(i, i + 1);
    }
    uint32_t n = 99;
    EXPECT_ERR(ring_enqueue_many(&fx.p, d, 5, &n), RING_OK);
    EXPECT_EQ(n, 5);
    EXPECT_EQ(active_queue()->tail, 5);
    EXPECT(!ring_holds(&fx.p, 0) && !ring_holds(&fx.p, 4 * BUF) && ring_holds(&fx.p, 5 * BUF));
    struct ring_desc got[NBUFS];
    memset(got, 0xee, sizeof(got));
    EXPECT_ERR(ring_dequeue_many(&fx.c, got, 3, &n), RING_OK);
    EXPECT_EQ(n, 3);
    EXPECT_EQ(active_queue()->head, 3);
    EXPECT_EQ(got[3].offset, 0xeeeeeeee);                              /* nothing written past *n */
    EXPECT_ERR(ring_dequeue_many(&fx.c, got + 3, NBUFS, &n), RING_OK); /* fewer than asked */
    EXPECT_EQ(n, 2);
    for (uint32_t i = 0; i < 5; i++) {
        EXPECT_EQ(got[i].offset, i * BUF);
        EXPECT_EQ(got[i].length, i + 1);
        EXPECT(ring_holds(&fx.c, i * BUF));
    }
    EXPECT_ERR(ring_dequeue_many(&fx.c, got, NBUFS, &n), RING_EMPTY);
    EXPECT_EQ(n, 0);
    EXPECT_ERR(ring_dequeue_many(&fx.c, got, 0, &n), RING_OK); /* nothing asked: nothing done */
    EXPECT_EQ(n, 0);
    EXPECT_ERR(ring_enqueue_many(&fx.c, got, 0, &n), RING_OK);
    EXPECT_EQ(n, 0);
    EXPECT_ERR(ring_enqueue_many(&fx.c, got, 5, &n), RING_OK); /* all back */
    EXPECT_EQ(free_queue()->tail, 5);
    EXPECT_ERR(ring_dequeue_many(&fx.p, d, NBUFS, &n), RING_OK);
    EXPECT_EQ(n, 5);
    EXPECT_EQ(fx.p.stats.enqueued, 5);
    EXPECT_EQ(fx.p.stats.dequeued, 5);
    EXPECT_EQ(fx.c.stats.enqueued, 5);
    EXPECT_EQ(fx.c.stats.dequeued, 5);
    for (uint32_t k = 0; k < NBUFS; k++) {
        EXPECT(ring_holds(&fx.p, k * BUF) && !ring_holds(&fx.c, k * BUF));
    }
    /* Batch and single calls mix: a batch's entries come out one by one, and back. */
    EXPECT_ERR(ring_enqueue_many(&fx.p, d, 2, &n), RING_OK);
    EXPECT_ERR(ring_dequeue(&fx.c, &got[0]), RING_OK);
    EXPECT_ERR(ring_enqueue(&fx.p, buf(9, 3)), RING_OK);
    EXPECT_ERR(ring_dequeue_many(&fx.c, got + 1, NBUFS, &n), RING_OK);
    EXPECT_EQ(n, 2);
    EXPECT_EQ(got[2].offset, 9 * BUF);
    return true;
}

/* A batch larger than the room left: what fits goes, the rest stays ours, RING_FULL. */
static bool
test_batch_full(void)
{
    EXPECT(setup(0));
    struct ring_desc d[NBUFS];
    for (uint32_t i = 0; i < NBUFS; i++) {
        d[i] = buf(i, 1);
    }
    uint32_t n;
    EXPECT_ERR(ring_enqueue_many(&fx.p, d, CAP + 2, &n), RING_FULL);
    EXPECT_EQ(n, CAP);
    EXPECT_EQ(active_queue()->tail, CAP);
    EXPECT(ring_holds(&fx.p, CAP * BUF) && ring_holds(&fx.p, (CAP + 1) * BUF));
    EXPECT_ERR(ring_enqueue_many(&fx.p, d + CAP, 1, &n), RING_FULL);
    EXPECT_EQ(n, 0);
    struct ring_desc got[NBUFS];
    EXPECT_ERR(ring_dequeue_many(&fx.c, got, 3, &n), RING_OK);
    EXPECT_ERR(ring_enqueue_many(&fx.p, d + CAP, 4, &n), RING_FULL); /* three slots came free */
    EXPECT_EQ(n, 3);
    EXPECT_EQ(fx.p.stats.enqueued, CAP + 3);
    EXPECT_ERR(ring_dequeue_many(&fx.c, got, NBUFS, &n), RING_OK);
    EXPECT_EQ(n, CAP);
    EXPECT_EQ(got[CAP - 1].offset, (CAP + 2) * BUF);
    return true;
}

/* Batches across the 2^32 wrap of the indices. */
static bool
test_batch_wrap_around(void)
{
    EXPECT(setup(UINT32_MAX - 5));
    uint32_t next_in = 0, next_out = 0;
    for (unsigned round = 0; round < 30; round++) {
        struct ring_desc d[5], got[CAP];
        for (unsigned k = 0; k < 5; k++, next_in++) {
            d[k] = buf(k, next_in % BUF);
        }
        uint32_t n, m;
        EXPECT_ERR(ring_enqueue_many(&fx.p, d, 5, &n), RING_OK);
        EXPECT_ERR(ring_dequeue_many(&fx.c, got, CAP, &n), RING_OK);
        EXPECT_EQ(n, 5);
        for (unsigned k = 0; k < n; k++, next_out++) {
            EXPECT_EQ(got[k].length, next_out % BUF);
        }
        EXPECT_ERR(ring_enqueue_many(&fx.c, got, n, &m), RING_OK);
        EXPECT_ERR(ring_dequeue_many(&fx.p, got, CAP, &m), RING_OK);
        EXPECT_EQ(m, 5);
    }
    EXPECT(active_queue()->tail < 200); /* it did wrap */
    EXPECT_EQ(fx.c.stats.dequeued, 150);
    return true;
}

/* The caller's mistakes in a batch: what comes before is handed over, the bad one is not. */
static bool
test_batch_enqueue_caller_errors(void)
{
    EXPECT(setup(0));
    struct ring_desc d[4] = {buf(0, 1), buf(1, 1), {1, 1}, buf(3, 1)};
    uint32_t n = 99;
    EXPECT_ERR(ring_enqueue_many(&fx.p, d, 4, &n), RING_ERR_DESC);
    EXPECT_EQ(n, 2);
    EXPECT_EQ(active_queue()->tail, 2);
    EXPECT(ring_holds(&fx.p, 3 * BUF)); /* behind the bad one: still ours */
    const struct ring_desc bad[] = {
        {NBUFS * BUF, 0}, {BUF + 8, 1}, buf(4, BUF + 1), {(NBUFS - 1) * BUF, UINT32_MAX}};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        EXPECT_ERR(ring_enqueue_many(&fx.p, &bad[i], 1, &n), RING_ERR_DESC);
        EXPECT_EQ(n, 0);
    }
    struct ring_desc given[2] = {buf(3, 1), buf(0, 1)}; /* 0 was given away above */
    EXPECT_ERR(ring_enqueue_many(&fx.p, given, 2, &n), RING_ERR_NOT_OWNED);
    EXPECT_EQ(n, 1);
    struct ring_desc twice[3] = {buf(5, 1), buf(6, 1), buf(5, 2)}; /* 5 named twice */
    EXPECT_ERR(ring_enqueue_many(&fx.p, twice, 3, &n), RING_ERR_NOT_OWNED);
    EXPECT_EQ(n, 2);
    EXPECT_EQ(active_queue()->tail, 5);
    EXPECT_EQ(fx.p.stats.enqueued, 5);
    EXPECT_ERR(ring_enqueue_many(&fx.c, d, 1, &n), RING_ERR_NOT_OWNED); /* the other side's */
    EXPECT_EQ(n, 0);
    ring_break(&fx.p);
    EXPECT_ERR(ring_enqueue_many(&fx.p, d + 3, 1, &n), RING_ERR_BROKEN);
    EXPECT_EQ(n, 0);
    EXPECT_ERR(ring_dequeue_many(&fx.p, d, 1, &n), RING_ERR_BROKEN);
    EXPECT_EQ(n, 0);
    return true;
}

/* The peer's indices, read at most once per batch call and checked. */
static bool
test_batch_peer_indices(void)
{
    const uint32_t bad_tails[] = {CAP + 1, UINT32_MAX, 1u << 31};
    struct ring_desc d[NBUFS];
    uint32_t n;
    for (unsigned i = 0; i < sizeof(bad_tails) / sizeof(bad_tails[0]); i++) {
        EXPECT(setup(0));
        active_queue()->tail = bad_tails[i];
        n = 99;
        EXPECT_ERR(ring_dequeue_many(&fx.c, d, NBUFS, &n), RING_ERR_INDEX);
        EXPECT_EQ(n, 0);
        EXPECT(ring_is_broken(&fx.c));
        EXPECT_EQ(fx.c.stats.bad_index, 1);
        EXPECT_EQ(active_queue()->head, 0); /* nothing consumed */
        active_queue()->tail = 0;
        EXPECT_ERR(ring_dequeue_many(&fx.c, d, NBUFS, &n), RING_ERR_BROKEN);
    }
    /* Entries seen at the last read are taken without reading the tail again. */
    EXPECT(setup(0));
    for (uint32_t i = 0; i < 4; i++) {
        peer_put(active_queue(), i, i * BUF, 1, i + 1);
    }
    EXPECT_ERR(ring_dequeue_many(&fx.c, d, 2, &n), RING_OK);
    active_queue()->tail = UINT32_MAX; /* would break the ring if read */
    EXPECT_ERR(ring_dequeue_many(&fx.c, d, 2, &n), RING_OK);
    EXPECT_EQ(n, 2);
    EXPECT_ERR(ring_dequeue_many(&fx.c, d, 1, &n), RING_ERR_INDEX); /* now it is read */
    /* The head is read when the batch does not fit the room known; a bad one breaks. */
    /* (Our tail is CAP - 1: a head of UINT32_MAX would be a full queue, not an error.) */
    const uint32_t bad_heads[] = {CAP, UINT32_MAX - 1, 2 * CAP};
    for (unsigned i = 0; i < sizeof(bad_heads) / sizeof(bad_heads[0]); i++) {
        EXPECT(setup(0));
        for (uint32_t k = 0; k < NBUFS; k++) {
            d[k] = buf(k, 1);
        }
        EXPECT_ERR(ring_enqueue_many(&fx.p, d, CAP - 1, &n), RING_OK); /* no read: room */
        active_queue()->head = bad_heads[i];
        EXPECT_ERR(ring_enqueue_many(&fx.p, d + CAP - 1, 2, &n), RING_ERR_INDEX);
        EXPECT_EQ(n, 0);
        EXPECT(ring_is_broken(&fx.p));
        EXPECT(ring_holds(&fx.p, (CAP - 1) * BUF));
        EXPECT_EQ(active_queue()->tail, CAP - 1);
        EXPECT_EQ(fx.p.stats.bad_index, 1);
    }
    return true;
}

/* Bad descriptors from the peer in a batch: the good ones before are taken, the bad one is
 * consumed and dropped, the next call goes on behind it. */
static bool
test_batch_peer_descriptors(void)
{
    const struct ring_desc bad[] = {
        {NBUFS * BUF, 0},
        {UINT32_MAX - 63, 64},
        {(NBUFS - 1) * BUF, UINT32_MAX},
        {(NBUFS - 1) * BUF, BUF + 1},
        {BUF + 8, 8},
        {0, BUF + 1},
    };
    struct ring_desc d[NBUFS];
    uint32_t n;
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        EXPECT(setup(0));
        peer_put(active_queue(), 0, 2 * BUF, 1, 1);
        peer_put(active_queue(), 1, bad[i].offset, bad[i].length, 2);
        peer_put(active_queue(), 2, 3 * BUF, 1, 3);
        memset(d, 0xee, sizeof(d));
        EXPECT_ERR(ring_dequeue_many(&fx.c, d, NBUFS, &n), RING_ERR_DESC);
        EXPECT_EQ(n, 1);
        EXPECT_EQ(d[0].offset, 2 * BUF);
        EXPECT_EQ(d[1].offset, 0xeeeeeeee);
        EXPECT_EQ(active_queue()->head, 2); /* the bad one consumed */
        EXPECT_EQ(fx.c.stats.bad_desc, 1);
        EXPECT_ERR(ring_dequeue_many(&fx.c, d, NBUFS, &n), RING_OK);
        EXPECT_EQ(n, 1);
        EXPECT_EQ(d[0].offset, 3 * BUF);
        for (uint32_t k = 0; k < NBUFS; k++) {
            EXPECT_EQ(ring_holds(&fx.c, k * BUF), k == 2 || k == 3);
        }
    }
    /* A buffer handed over twice in one batch, and one this side holds already. */
    EXPECT(setup(0));
    peer_put(active_queue(), 0, 2 * BUF, 5, 1);
    peer_put(active_queue(), 1, 2 * BUF, 9, 2);
    peer_put(active_queue(), 2, 4 * BUF, 1, 3);
    EXPECT_ERR(ring_dequeue_many(&fx.c, d, NBUFS, &n), RING_ERR_OWNED);
    EXPECT_EQ(n, 1);
    EXPECT_EQ(d[0].length, 5);
    EXPECT_EQ(fx.c.stats.bad_owner, 1);
    EXPECT_ERR(ring_dequeue_many(&fx.c, d, NBUFS, &n), RING_OK);
    EXPECT_EQ(d[0].offset, 4 * BUF);
    EXPECT_EQ(fx.c.stats.dequeued, 2);
    /* The producer side: a buffer returned that was never lent. */
    EXPECT(setup(0));
    peer_put(free_queue(), 0, 4 * BUF, BUF, 1);
    EXPECT_ERR(ring_dequeue_many(&fx.p, d, NBUFS, &n), RING_ERR_OWNED);
    EXPECT_EQ(n, 0);
    EXPECT_EQ(fx.p.stats.bad_owner, 1);
    return true;
}

/*
 * Two threads, a producer and a consumer, each sleeping on a binary semaphore (a
 * notification) when its queue is empty and signalling the other only when asked. The
 * producer sends sequence numbers; the consumer checks their order and every byte. A lost
 * wakeup leaves both asleep: each wait gives up after STALL_SECONDS and fails the test (a
 * hang detector, not a speed check).
 */
#define STALL_SECONDS 30

struct notification {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool signalled;
};

static struct notification to_producer = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                                          false};
static struct notification to_consumer = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                                          false};
static uint64_t stress_total;
static _Atomic bool stress_stalled;
static char stress_why[128];

static void
ntfn_signal(struct notification *n)
{
    pthread_mutex_lock(&n->lock);
    n->signalled = true;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
}

/* Waits for a signal; false if none came in STALL_SECONDS (or the other side stalled). */
static bool
ntfn_wait(struct notification *n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += STALL_SECONDS;
    pthread_mutex_lock(&n->lock);
    while (!n->signalled && !stress_stalled) {
        if (pthread_cond_timedwait(&n->cond, &n->lock, &until) == ETIMEDOUT) {
            stress_stalled = true;
            break;
        }
    }
    bool ok = n->signalled;
    n->signalled = false;
    pthread_mutex_unlock(&n->lock);
    return ok;
}

static void *
stress_producer(void *arg)
{
    (void)arg;
    uint64_t next_free_slot = 0; /* buffers never used yet are taken in order first */
    for (uint64_t seq = 0; seq < stress_total && !stress_stalled;) {
        struct ring_desc d;
        if (next_free_slot < NBUFS) {
            d = buf((uint32_t)next_free_slot++, 0);
        } else {
            int s = ring_dequeue(&fx.p, &d);
            if (s == RING_EMPTY) {
                if (ring_sleep_prepare(&fx.p) && !ntfn_wait(&to_producer)) {
                    snprintf(stress_why, sizeof(stress_why), "producer stalled at %llu",
                             (unsigned long long)seq);
                    break;
                }
                ring_awake(&fx.p);
                continue;
            }
            if (s != RING_OK) {
                snprintf(stress_why, sizeof(stress_why), "producer: %s", ring_status_name(s));
                break;
            }
        }
        d.length = 8 + (uint32_t)(seq % (BUF - 8));
        uint8_t *b = ring_buffer(&fx.p, d);
        memcpy(b, &seq, 8);
        memset(b + 8, (int)(seq & 0xff), d.length - 8);
        (void)ring_enqueue(&fx.p, d); /* cannot be full: CAP >= buffers not held here */
        seq++;
        if (seq % 5 == 0 || seq == stress_total) { /* batches of five */
            if (ring_signal_needed(&fx.p)) {
                ntfn_signal(&to_consumer);
            }
        }
    }
    return NULL;
}

static void *
stress_consumer(void *arg)
{
    (void)arg;
    for (uint64_t seq = 0; seq < stress_total && !stress_stalled;) {
        struct ring_desc d;
        int s = ring_dequeue(&fx.c, &d);
        if (s == RING_EMPTY) {
            if (ring_sleep_prepare(&fx.c) && !ntfn_wait(&to_consumer)) {
                snprintf(stress_why, sizeof(stress_why), "consumer stalled at %llu",
                         (unsigned long long)seq);
                break;
            }
            ring_awake(&fx.c);
            continue;
        }
        const uint8_t *b = ring_buffer(&fx.c, d);
        uint64_t got;
        memcpy(&got, b, 8);
        bool bytes_ok = d.length == 8 + seq % (BUF - 8);
        for (uint32_t i = 8; i < d.length && bytes_ok; i++) {
            bytes_ok = b[i] == (seq & 0xff);
        }
        if (s != RING_OK || got != seq || !bytes_ok) {
            snprintf(stress_why, sizeof(stress_why), "consumer: %s, seq %llu got %llu",
                     ring_status_name(s), (unsigned long long)seq, (unsigned long long)got);
            stress_stalled = true;
            break;
        }
        seq++;
        (void)ring_enqueue(&fx.c, d);
        if (seq % 3 == 0 || seq == stress_total) { /* batches of three */
            if (ring_signal_needed(&fx.c)) {
                ntfn_signal(&to_producer);
            }
        }
    }
    return NULL;
}

static bool
test_two_thread_stress(void)
{
    /* CAP is smaller than NBUFS: make the queues hold every buffer so enqueue never fills. */
    memset(&fx, 0, sizeof(fx));
    static _Alignas(64) uint8_t queues[RING_QUEUES_SIZE(NBUFS)];
    struct ring_config cfg = {.queues = queues,
                              .capacity = NBUFS,
                              .data = fx.data,
                              .buf_size = BUF,
                              .nbufs = NBUFS,
                              .owned = fx.p_owned};
    EXPECT_ERR(ring_init(&fx.p, RING_PRODUCER, &cfg), RING_OK);
    cfg.owned = fx.c_owned;
    EXPECT_ERR(ring_init(&fx.c, RING_CONSUMER, &cfg), RING_OK);
    ring_own_all(&fx.p);
    pthread_t p, c;
    pthread_create(&c, NULL, stress_consumer, NULL);
    pthread_create(&p, NULL, stress_producer, NULL);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    if (stress_why[0] != '\0') {
        return fail_with("%s", stress_why);
    }
    EXPECT(!stress_stalled);
    EXPECT_EQ(fx.c.stats.dequeued, stress_total);
    EXPECT_EQ(fx.c.stats.bad_desc + fx.c.stats.bad_owner + fx.c.stats.bad_index, 0);
    printf("ring stress: %llu transfers, consumer slept %llu times, producer %llu times, "
           "signals %llu + %llu\n",
           (unsigned long long)stress_total, (unsigned long long)fx.c.stats.sleeps,
           (unsigned long long)fx.p.stats.sleeps, (unsigned long long)fx.p.stats.signals,
           (unsigned long long)fx.c.stats.signals);
    return true;
}

/*
 * A corrupting peer running at the same time: one thread writes random words anywhere in
 * the shared queues (and now and then publishes a plausible descriptor), while the trusting
 * side dequeues, uses and gives back buffers. The trusting side must never accept a buffer
 * outside the region or one it already holds (an oracle kept here, apart from the
 * library's bitmap), never crash, and only ever lose this peer's traffic. A broken ring is
 * set up again, as a driver would after resetting the connection.
 */
/* The trusting side runs until it has accepted and dropped this many entries (the threads'
 * speeds depend on the host's scheduling), within CORRUPT_MAX_STEPS operations. */
#define CORRUPT_ACCEPTED 2000
#define CORRUPT_DROPPED 200
#define CORRUPT_MAX_STEPS 20000000u

static _Atomic bool vandal_stop;
/* The vandal's writes so far: the trusting side waits for new ones every CORRUPT_PACE steps,
 * so however the host schedules the two threads, the vandal is never starved. */
static _Atomic uint64_t vandal_writes;
#define CORRUPT_PACE 64

static uint32_t
xorshift(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static void *
vandal(void *arg)
{
    uint32_t seed = (uint32_t)(uintptr_t)arg;
    uint32_t *words = (uint32_t *)fx.queues;
    const uint32_t nwords = sizeof(fx.queues) / 4;
    while (!vandal_stop) {
        uint32_t r = xorshift(&seed);
        if (r % 16 != 0) {
            /* Mostly a plausible descriptor, published as a producer would: the deep paths. */
            struct ring_queue *q = r & 16 ? active_queue() : free_queue();
            uint32_t t = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
            __atomic_store_n(&q->desc[t % CAP].offset, (xorshift(&seed) % NBUFS) * BUF,
                             __ATOMIC_RELAXED);
            __atomic_store_n(&q->desc[t % CAP].length, xorshift(&seed) % (BUF + 2),
                             __ATOMIC_RELAXED);
            __atomic_store_n(&q->tail, t + 1, __ATOMIC_RELEASE);
        } else {
            __atomic_store_n(&words[xorshift(&seed) % nwords], xorshift(&seed), __ATOMIC_RELAXED);
        }
        atomic_fetch_add_explicit(&vandal_writes, 1, memory_order_relaxed);
    }
    return NULL;
}

struct corrupt_run {
    enum ring_role role;
    bool batch; /* the batch calls instead of the single ones */
    struct ring *r;
    struct ring_config cfg;
    bool held[NBUFS]; /* the oracle: buffers the trusting side holds */
    uint64_t accepted, dropped, resets;
    uint32_t seed;
};

/* One operation of the trusting side, and the oracle's checks after it. */
static bool
corrupt_step(struct corrupt_run *c)
{
    struct ring_desc d[NBUFS];
    uint32_t n = 0;
    int s;
    if (c->batch) {
        s = ring_dequeue_many(c->r, d, 1 + xorshift(&c->seed) % NBUFS, &n);
    } else {
        s = ring_dequeue(c->r, &d[0]);
        n = s == RING_OK;
    }
    for (uint32_t k = 0; k < n; k++) {
        EXPECT(d[k].offset % BUF == 0 && d[k].offset / BUF < NBUFS && d[k].length <= BUF);
        EXPECT(!c->held[d[k].offset / BUF]);
        c->held[d[k].offset / BUF] = true;
        memset(ring_buffer(c->r, d[k]), 0x5a, d[k].length);
        c->accepted++;
    }
    if (s < 0) {
        c->dropped++;
    }
    if (c->batch) {
        /* Give back a run of buffers, held or not: only the held prefix may go. */
        uint32_t m = 0, want = 1 + xorshift(&c->seed) % 4, first = xorshift(&c->seed) % NBUFS;
        for (uint32_t k = 0; k < want; k++) {
            d[k] = buf((first + k) % NBUFS, BUF);
        }
        s = ring_enqueue_many(c->r, d, want, &m);
        for (uint32_t k = 0; k < m; k++) {
            EXPECT(c->held[d[k].offset / BUF]);
            c->held[d[k].offset / BUF] = false;
        }
        EXPECT(m == want || s != RING_OK);
    } else {
        uint32_t i = xorshift(&c->seed) % NBUFS;
        if (c->held[i] && ring_enqueue(c->r, buf(i, BUF)) == RING_OK) {
            c->held[i] = false;
        }
    }
    if (xorshift(&c->seed) % 8 == 0 && ring_sleep_prepare(c->r)) {
        ring_awake(c->r);
    }
    (void)ring_signal_needed(c->r);
    for (uint32_t k = 0; k < NBUFS; k++) {
        EXPECT_EQ(ring_holds(c->r, k * BUF), c->held[k]);
    }
    if (ring_is_broken(c->r)) {
        /* Reset the connection: shared memory cleared (the peer may still scribble). */
        uint32_t *words = (uint32_t *)fx.queues;
        for (size_t k = 0; k < sizeof(fx.queues) / 4; k++) {
            __atomic_store_n(&words[k], 0, __ATOMIC_RELAXED);
        }
        EXPECT_ERR(ring_init(c->r, c->role, &c->cfg), RING_OK);
        memset(c->held, 0, sizeof(c->held));
        c->resets++;
    }
    return true;
}

static bool
corrupting_peer(enum ring_role role, bool batch)
{
    memset(&fx, 0, sizeof(fx));
    struct corrupt_run c = {
        .role = role,
        .batch = batch,
        .r = role == RING_PRODUCER ? &fx.p : &fx.c,
        .cfg = config(role == RING_PRODUCER ? fx.p_owned : fx.c_owned, 0),
        .seed = 12345,
    };
    EXPECT_ERR(ring_init(c.r, role, &c.cfg), RING_OK);
    vandal_stop = false;
    pthread_t t;
    pthread_create(&t, NULL, vandal, (void *)(uintptr_t)(role + 1));
    bool ok = true;
    uint64_t seen = atomic_load(&vandal_writes);
    for (unsigned step = 0; step < CORRUPT_MAX_STEPS && ok; step++) {
        if (c.accepted >= CORRUPT_ACCEPTED && c.dropped >= CORRUPT_DROPPED) {
            break;
        }
        if (step % CORRUPT_PACE == 0) {
            while (atomic_load(&vandal_writes) == seen) {
                sched_yield();
            }
            seen = atomic_load(&vandal_writes);
        }
        ok = corrupt_step(&c);
    }
    vandal_stop = true;
    pthread_join(t, NULL);
    if (!ok) {
        return false; /* g_why says where */
    }
    printf("ring corrupting peer (%s side%s): %llu accepted, %llu dropped, %llu resets\n",
           role == RING_PRODUCER ? "producer" : "consumer", batch ? ", batch calls" : "",
           (unsigned long long)c.accepted, (unsigned long long)c.dropped,
           (unsigned long long)c.resets);
    EXPECT(c.accepted >= CORRUPT_ACCEPTED && c.dropped >= CORRUPT_DROPPED);
    return true;
}

static bool
test_corrupting_peer_consumer(void)
{
    return corrupting_peer(RING_CONSUMER, false);
}

static bool
test_corrupting_peer_consumer_batch(void)
{
    return corrupting_peer(RING_CONSUMER, true);
}

static bool
test_corrupting_peer_producer_batch(void)
{
    return corrupting_peer(RING_PRODUCER, true);
}

static bool
test_corrupting_peer_producer(void)
{
    return corrupting_peer(RING_PRODUCER, false);
}

static const struct {
    const char *name;
    bool (*fn)(void);
    bool concurrent; /* runs two threads: also worth running under ThreadSanitizer */
} tests[] = {
    {"init_arguments", test_init_arguments, false},
    {"normal_flow", test_normal_flow, false},
    {"consumer_owns_first", test_consumer_owns_first, false},
    {"full_and_empty", test_full_and_empty, false},
    {"wrap_around", test_wrap_around, false},
    {"wrap_full", test_wrap_full, false},
    {"enqueue_caller_errors", test_enqueue_caller_errors, false},
    {"peer_tail_jumps", test_peer_tail_jumps, false},
    {"peer_head_jumps", test_peer_head_jumps, false},
    {"peer_bad_descriptors", test_peer_bad_descriptors, false},
    {"dequeue_good", test_dequeue_good, false},
    {"peer_double_hand_out", test_peer_double_hand_out, false},
    {"peer_returns_unlent_buffer", test_peer_returns_unlent_buffer, false},
    {"descriptor_read_once", test_descriptor_read_once, false},
    {"buffer_and_holds", test_buffer_and_holds, false},
    {"status_names", test_status_names, false},
    {"signal_only_when_asked", test_signal_only_when_asked, false},
    {"lost_wakeup_interleaving", test_lost_wakeup_interleaving, false},
    {"two_thread_stress", test_two_thread_stress, true},
    {"corrupting_peer_consumer", test_corrupting_peer_consumer, true},
    {"corrupting_peer_producer", test_corrupting_peer_producer, true},
    {"batch_flow", test_batch_flow, false},
    {"batch_full", test_batch_full, false},
    {"batch_wrap_around", test_batch_wrap_around, false},
    {"batch_enqueue_caller_errors", test_batch_enqueue_caller_errors, false},
    {"batch_peer_indices", test_batch_peer_indices, false},
    {"batch_peer_descriptors", test_batch_peer_descriptors, false},
    {"corrupting_peer_consumer_batch", test_corrupting_peer_consumer_batch, true},
    {"corrupting_peer_producer_batch", test_corrupting_peer_producer_batch, true},
};

/* Usage: test_ring [stress-transfers [tsan]]. With "tsan" (the ThreadSanitizer build) only
 * the two-thread tests run, named ring-tsan/<test>. */
int
main(int argc, char **argv)
{
    stress_total = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000000;
    bool tsan = argc > 2 && strcmp(argv[2], "tsan") == 0;
    for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        if (tsan && !tests[i].concurrent) {
            continue;
        }
        char name[64];
        snprintf(name, sizeof(name), "%s/%s", tsan ? "ring-tsan" : "ring", tests[i].name);
        run(name, tests[i].fn);
    }
    return g_failed == 0 ? 0 : 1;
}
