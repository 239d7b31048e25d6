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
 * (dequeue, enqueue of a held or an unheld buffer, sleep, awake, signal check) the peer
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
    switch (take(in, 1) % 8) {
    case 0: { /* The peer writes any word anywhere in the queues. */
        size_t at = (take(in, 2) * 4) % sh->size;
        uint32_t v = take(in, 4);
        memcpy(sh->queues + at, &v, 4);
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
    default:
        (void)ring_signal_needed(r);
        break;
    }
    check(!was_broken || ring_is_broken(r), "a broken ring came back");
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
