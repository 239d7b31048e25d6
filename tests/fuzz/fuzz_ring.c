/*
 * libFuzzer target for lib/ring: the fuzzer plays the untrusted peer.
 *
 * Build and run from the repository root (or: make fuzz-ring FUZZ_SECONDS=20; the long run
 * is make fuzz-ring-long, an hour):
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       -Ilib/ring/include lib/ring/src/ring.c tests/fuzz/fuzz_ring.c -o build/fuzz/fuzz_ring
 *   build/fuzz/fuzz_ring -max_total_time=20
 *
 * The input chooses the trusting side's role, the capacity, buffer size and count, and the
 * first index, then is read as a script of steps. Between the trusting side's operations
 * (dequeue, enqueue of a held or an unheld buffer, sleep, awake, signal check, and the batch
 * calls with any count and any mix of good, bad, unheld and repeated descriptors) the peer
 * writes arbitrary words anywhere in the shared queues, or publishes descriptors and moves
 * its index the way a correct peer would, so that the search reaches deep states too.
 *
 * The oracle is written here, independently of the library: a private model of which
 * buffers the trusting side holds. It checks that every accepted descriptor lies inside the
 * data region, starts a buffer and fits in it, and names a buffer the side did not hold
 * (never doubly owned); that enqueue gives away only held buffers; that the library's
 * bitmap equals the model after every step; that statuses are ones the contract allows;
 * and that a broken ring stays broken. The data region and the queues are heap blocks of
 * exactly their size, so AddressSanitizer flags any access outside them, and the side
 * writes every byte of every buffer it accepts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vallum/ring.h>

#define MAX_NBUFS 128

/* Aborts with a message; libFuzzer saves the input that led here. */
static void
check(bool cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_ring: contract violated: %s\n", what);
        abort();
    }
}

/* The input, consumed front to back; zeros once it runs out. */
struct input {
    const uint8_t *p;
    size_t left;
};

static uint32_t
take(struct input *in, unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v = (v << 8) | (in->left > 0 ? (in->left--, *in->p++) : 0);
    }
    return v;
}

static bool model[MAX_NBUFS]; /* the oracle: buffers the trusting side holds */
/*
 * The oracle's count of entries the trusting side enqueued (its tail, from the first index),
 * and whether the peer's head of that queue has been honest so far: moved only by the peer's
 * own correct steps, never past that tail, never scribbled over. While it is honest, the
 * trusting side must never have more than capacity entries outstanding: one more would
 * overwrite a slot the peer has not consumed.
 */
static uint32_t given;
static bool head_honest;

static void
check_room(uint32_t peer_head, uint32_t cap)
{
    check(!head_honest || (uint32_t)(given - peer_head) <= cap,
          "enqueued over entries the peer has not consumed");
}

static void
check_model(const struct ring *r, uint32_t nbufs, uint32_t buf_size)
{
    for (uint32_t i = 0; i < nbufs; i++) {
        check(ring_holds(r, i * buf_size) == model[i], "bitmap differs from the oracle");
    }
}

static void
accepted(struct ring *r, struct ring_desc d, uint32_t nbufs, uint32_t buf_size)
{
    uint64_t size = (uint64_t)nbufs * buf_size;
    check(d.offset < size, "accepted offset outside the region");
    check((uint64_t)d.offset + d.length <= size, "accepted buffer ends outside the region");
    check(d.offset % buf_size == 0, "accepted offset is not a buffer's start");
    check(d.length <= buf_size, "accepted length longer than a buffer");
    uint32_t i = d.offset / buf_size;
    check(!model[i], "accepted a buffer the side already held");
    model[i] = true;
    uint8_t *b = ring_buffer(r, d);
    check(b != NULL, "no pointer to an accepted buffer");
    memset(b, 0xa5, d.length); /* ASan checks this is inside the region */
}

/* The test's view of the shared memory, from the layout in vallum/ring.h. */
struct shared {
    uint8_t *queues;
    size_t size;
    uint32_t cap;
    struct ring_queue *peer_out; /* the queue the peer produces into (we dequeue) */
    struct ring_queue *peer_in;  /* the one it consumes (we enqueue) */
};

static void
step(struct input *in, struct ring *r, const struct shared *sh, uint32_t nbufs, uint32_t buf_size,
     uint32_t *peer_index)
{
    bool was_broken = ring_is_broken(r);
    struct ring_queue *peer_out = sh->peer_out;
    struct ring_queue *peer_in = sh->peer_in;
    uint32_t cap = sh->cap;
    int s;
    switch (take(in, 1) % 10) {
    case 0: { /* The peer writes any word anywhere in the queues. */
        size_t at = (take(in, 2) * 4) % sh->size;
        uint32_t v = take(in, 4);
        memcpy(sh->queues + at, &v, 4);
        if (sh->queues + at == (uint8_t *)&peer_in->head) {
            head_honest = false;
        }
        break;
    }
    case 1: { /* The peer publishes a descriptor (any contents) the correct way. */
        struct ring_desc d = {take(in, 4), take(in, 4)};
        if (take(in, 1) & 1) {
            d.offset = (d.offset % nbufs) * buf_size; /* a plausible buffer */
            d.length %= buf_size + 1;
        }
        peer_out->desc[peer_index[0] % cap] = d;
        __atomic_store_n(&peer_out->tail, ++peer_index[0], __ATOMIC_RELEASE);
        break;
    }
    case 2: { /* The peer consumes what we enqueued, the correct way. */
        peer_index[1] += take(in, 1) % (cap + 1);
        __atomic_store_n(&peer_in->head, peer_index[1], __ATOMIC_RELEASE);
        if ((uint32_t)(given - peer_index[1]) > cap) {
            head_honest = false; /* consumed entries never enqueued */
        }
        break;
    }
    case 3: { /* The trusting side dequeues. */
        struct ring_desc d = {0xdead, 0xbeef};
        s = ring_dequeue(r, &d);
        check(s == RING_OK || s == RING_EMPTY || s == RING_ERR_INDEX || s == RING_ERR_DESC ||
                  s == RING_ERR_OWNED || s == RING_ERR_BROKEN,
              "dequeue status");
        check(!was_broken || s == RING_ERR_BROKEN, "dequeue on a broken ring");
        if (s == RING_OK) {
            accepted(r, d, nbufs, buf_size);
        } else {
            check(d.offset == 0xdead && d.length == 0xbeef, "*d written on failure");
        }
        break;
    }
    case 4: { /* The trusting side gives back a buffer, held or not. */
        uint32_t i = take(in, 1) % nbufs;
        struct ring_desc d = {i * buf_size, take(in, 2) % (buf_size + 1)};
        s = ring_enqueue(r, d);
        check(!was_broken || s == RING_ERR_BROKEN, "enqueue on a broken ring");
        if (!model[i]) {
            check(s == RING_ERR_NOT_OWNED || s == RING_ERR_BROKEN, "gave away an unheld buffer");
        } else {
            check(s == RING_OK || s == RING_FULL || s == RING_ERR_INDEX || s == RING_ERR_BROKEN,
                  "enqueue status");
        }
        if (s == RING_OK) {
            model[i] = false;
            given++;
        }
        break;
    }
    case 5: { /* The trusting side enqueues a descriptor that is not a buffer. */
        struct ring_desc d = {take(in, 4), take(in, 4)};
        bool valid =
            d.offset % buf_size == 0 && d.offset / buf_size < nbufs && d.length <= buf_size;
        s = ring_enqueue(r, d);
        if (!valid) {
            check(s == RING_ERR_DESC || s == RING_ERR_BROKEN, "enqueued a bad descriptor");
        } else if (s == RING_OK) {
            check(model[d.offset / buf_size], "gave away an unheld buffer");
            model[d.offset / buf_size] = false;
            given++;
        }
        break;
    }
    case 6: /* Sleep and wake. */
        if (ring_sleep_prepare(r)) {
            check(!ring_is_broken(r), "sleeping on a broken ring");
        }
        if (take(in, 1) & 1) {
            ring_awake(r);
        }
        break;
    case 7:
        (void)ring_signal_needed(r);
        break;
    case 8: { /* The trusting side takes a batch. */
        struct ring_desc d[MAX_NBUFS + 1];
        uint32_t max = take(in, 1) % (MAX_NBUFS + 1), n = 0xdead;
        memset(d, 0xee, sizeof(d));
        s = ring_dequeue_many(r, d, max, &n);
        check(s == RING_OK || s == RING_EMPTY || s == RING_ERR_INDEX || s == RING_ERR_DESC ||
                  s == RING_ERR_OWNED || s == RING_ERR_BROKEN,
              "dequeue_many status");
        check(!was_broken || s == RING_ERR_BROKEN, "dequeue_many on a broken ring");
        check(n <= max && (n == 0 || s == RING_OK || s == RING_ERR_DESC || s == RING_ERR_OWNED),
              "dequeue_many count");
        check(s != RING_EMPTY || max != 0, "dequeue_many empty with max 0");
        for (uint32_t k = 0; k < n; k++) {
            accepted(r, d[k], nbufs, buf_size);
        }
        check(d[n].offset == 0xeeeeeeee && d[n].length == 0xeeeeeeee,
              "dequeue_many wrote past its count");
        break;
    }
    default: { /* The trusting side gives back a batch: held, unheld, repeated or bad. */
        struct ring_desc d[8];
        uint32_t want = take(in, 1) % 9, done = 0xdead;
        for (uint32_t k = 0; k < want; k++) {
            uint32_t kind = take(in, 1);
            if (kind & 1) {
                d[k] = (struct ring_desc){take(in, 4), take(in, 4)};
            } else {
                d[k] = (struct ring_desc){(kind >> 1) % nbufs * buf_size,
                                          take(in, 2) % (buf_size + 1)};
            }
        }
        s = ring_enqueue_many(r, d, want, &done);
        check(!was_broken || s == RING_ERR_BROKEN, "enqueue_many on a broken ring");
        check(done <= want && (s == RING_OK ? done == want : done < want || s == RING_ERR_BROKEN),
              "enqueue_many count");
        /* The oracle's own walk: each handed-over entry valid and held (then no longer). */
        for (uint32_t k = 0; k < done; k++) {
            bool valid = d[k].offset % buf_size == 0 && d[k].offset / buf_size < nbufs &&
                         d[k].length <= buf_size;
            check(valid, "enqueue_many gave away a bad descriptor");
            check(model[d[k].offset / buf_size], "enqueue_many gave away an unheld buffer");
            model[d[k].offset / buf_size] = false;
        }
        given += done;
        if (done < want) {
            /* Why it stopped, checked against d[done] and the model. */
            struct ring_desc x = d[done];
            bool valid =
                x.offset % buf_size == 0 && x.offset / buf_size < nbufs && x.length <= buf_size;
            if (s == RING_ERR_DESC) {
                check(!valid, "enqueue_many refused a good descriptor");
            } else if (s == RING_ERR_NOT_OWNED) {
                check(valid && !model[x.offset / buf_size], "enqueue_many refused a held buffer");
            } else if (s == RING_FULL) {
                check(valid && model[x.offset / buf_size], "enqueue_many full before a bad one");
            } else {
                check((s == RING_ERR_INDEX || s == RING_ERR_BROKEN) && done == 0,
                      "enqueue_many status");
            }
        }
        break;
    }
    }
    check(!was_broken || ring_is_broken(r), "a broken ring came back");
    check_room(peer_index[1], cap);
    check_model(r, nbufs, buf_size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    enum ring_role role = take(&in, 1) & 1 ? RING_CONSUMER : RING_PRODUCER;
    uint32_t cap = 1u << (take(&in, 1) % 8);
    uint32_t nbufs = 1 + take(&in, 1) % MAX_NBUFS;
    uint32_t buf_size = 1 + take(&in, 2) % 4096;
    bool own_all = take(&in, 1) & 1;
    uint32_t first = take(&in, 4);

    size_t queues_size = RING_QUEUES_SIZE(cap);
    uint8_t *queues = calloc(1, queues_size);
    uint8_t *region = malloc((size_t)nbufs * buf_size);
    uint64_t owned[RING_OWNED_WORDS(MAX_NBUFS)];
    check(queues != NULL && region != NULL, "out of memory");
    struct ring_config cfg = {.queues = queues,
                              .capacity = cap,
                              .data = region,
                              .buf_size = buf_size,
                              .nbufs = nbufs,
                              .owned = owned,
                              .first_index = first};
    struct ring r;
    check(ring_init(&r, role, &cfg) == RING_OK, "ring_init refused a valid configuration");
    memset(model, 0, sizeof(model));
    if (own_all) {
        ring_own_all(&r);
        memset(model, 1, nbufs);
    }
    /* The peer's own indices: its tail of the queue we dequeue, its head of the other. */
    struct ring_queue *free_q = (struct ring_queue *)queues;
    struct ring_queue *active_q = (struct ring_queue *)(queues + RING_QUEUE_SIZE(cap));
    struct shared sh = {queues, queues_size, cap, role == RING_PRODUCER ? free_q : active_q,
                        role == RING_PRODUCER ? active_q : free_q};
    uint32_t peer_index[2] = {first, first};
    given = first;
    head_honest = true;
    __atomic_store_n(&sh.peer_out->tail, first, __ATOMIC_RELEASE);
    __atomic_store_n(&sh.peer_in->head, first, __ATOMIC_RELEASE);
    for (unsigned n = 0; n < 4096 && in.left > 0; n++) {
        step(&in, &r, &sh, nbufs, buf_size, peer_index);
    }
    uint64_t held = 0;
    for (uint32_t i = 0; i < nbufs; i++) {
        held += model[i];
    }
    /* Conservation: what the side holds is what it started with plus what it took, minus
     * what it gave. */
    check(held == (own_all ? nbufs : 0) + r.stats.dequeued - r.stats.enqueued,
          "buffers appeared or vanished");
    free(queues);
    free(region);
    return 0;
}
