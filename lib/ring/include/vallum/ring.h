/*
 * lib/ring: single-producer/single-consumer queues of buffer descriptors in memory shared
 * between two components that do not trust each other (docs/drivers.md has the layout,
 * the protocol and the memory ordering with pictures).
 *
 * One *ring* carries data in one direction over a data region cut into nbufs buffers of
 * buf_size bytes. It has two queues of {offset, length} descriptors:
 *
 *   active  producer -> consumer   buffers that hold data
 *   free    consumer -> producer   buffers given back, to be filled again
 *
 * Each side has a private struct ring: it dequeues from one queue (`in`) and enqueues into
 * the other (`out`). A queue's tail is written by its producer only and its head by its
 * consumer only; both are free-running 32-bit counters. The capacity, the data region's
 * limits and which buffers this side holds are kept in the private handle and never read
 * back from shared memory.
 *
 * The peer is never trusted. Every index and descriptor is read from shared memory once and
 * checked before use: an index more than a queue's capacity away from ours breaks the ring
 * (RING_ERR_INDEX; every later call returns RING_ERR_BROKEN), a descriptor outside the data
 * region, misaligned or too long is dropped (RING_ERR_DESC), and a buffer this side already
 * holds (handed out twice, or returned without having been handed out) is dropped
 * (RING_ERR_OWNED). Dropped entries are consumed and counted in ring_stats, so a peer that
 * misbehaves loses its own traffic and nothing else; no call loops.
 *
 * Signalling ("signal only when the peer sleeps"): a consumer that finds its queue empty
 * calls ring_sleep_prepare(), which asks for a signal and re-checks the queue; it sleeps only
 * if that returns true, and calls ring_awake() when woken. A producer calls
 * ring_signal_needed() after a batch of enqueues and signals the peer only if it returns true.
 *
 * Portable C (components and host); no allocation: every byte is the caller's. A side's
 * handle is used by one thread at a time.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* One buffer: byte offset of its start in the data region, and its length in bytes. */
struct ring_desc {
    uint32_t offset;
    uint32_t length;
};
_Static_assert(sizeof(struct ring_desc) == 8, "ring_desc is two 32-bit words");

/*
 * One queue in shared memory. tail and head each have a cache line of their own so that
 * the two writers never share a line. desc holds capacity entries (a power of two), entry
 * i at desc[i % capacity].
 */
#define RING_LINE 64
struct ring_queue {
    uint32_t tail; /* entries enqueued so far; written by the producer only */
    uint8_t pad0[RING_LINE - 4];
    uint32_t head;         /* entries dequeued so far; written by the consumer only */
    uint32_t wants_signal; /* non-zero: the consumer sleeps or is about to; consumer only */
    uint8_t pad1[RING_LINE - 8];
    struct ring_desc desc[];
};
_Static_assert(sizeof(struct ring_queue) == 2 * RING_LINE, "ring_queue header is two lines");

/* Bytes of shared memory one queue of capacity entries takes. */
#define RING_QUEUE_SIZE(capacity)                                                                  \
    (sizeof(struct ring_queue) + (capacity) * sizeof(struct ring_desc))

/* Bytes of shared memory a ring (its two queues, free first then active) takes. */
#define RING_QUEUES_SIZE(capacity) (2 * RING_QUEUE_SIZE(capacity))

/* Largest capacity: indices are 32-bit and their distance must stay unambiguous. */
#define RING_MAX_CAPACITY (1u << 30)

/* Words of the private ownership bitmap for nbufs buffers (see struct ring_config). */
#define RING_OWNED_WORDS(nbufs) (((nbufs) + 63) / 64)

/* Statuses. RING_OK and RING_EMPTY/RING_FULL are not errors; every error is negative. */
enum ring_status {
    RING_OK = 0,
    RING_EMPTY = 1,          /* dequeue: nothing to take */
    RING_FULL = 2,           /* enqueue: the queue holds capacity entries */
    RING_ERR_INDEX = -1,     /* the peer's index is more than capacity from ours: now broken */
    RING_ERR_DESC = -2,      /* a descriptor outside the region, misaligned or too long */
    RING_ERR_OWNED = -3,     /* dequeue: the peer handed over a buffer this side holds */
    RING_ERR_NOT_OWNED = -4, /* enqueue: this side does not hold that buffer (caller bug) */
    RING_ERR_BROKEN = -5,    /* the ring was declared broken; nothing moves any more */
    RING_ERR_ARGUMENT = -6,  /* ring_init: a bad configuration */
};

/* Which side of the ring a handle is. */
enum ring_role {
    RING_PRODUCER, /* dequeues free buffers, fills them, enqueues them as active */
    RING_CONSUMER, /* dequeues active buffers, uses them, enqueues them as free */
};

/* What a side has seen; counters only grow. */
struct ring_stats {
    uint64_t dequeued;  /* buffers accepted from the peer */
    uint64_t enqueued;  /* buffers handed to the peer */
    uint64_t bad_index; /* peer indices out of range (each breaks the ring) */
    uint64_t bad_desc;  /* descriptors dropped by RING_ERR_DESC */
    uint64_t bad_owner; /* descriptors dropped by RING_ERR_OWNED */
    uint64_t signals;   /* times ring_signal_needed() returned true */
    uint64_t sleeps;    /* times ring_sleep_prepare() returned true */
};

/* What ring_init needs; all memory is the caller's and must outlive the handle. */
struct ring_config {
    void *queues;         /* RING_QUEUES_SIZE(capacity) bytes of shared memory, 8-aligned */
    uint32_t capacity;    /* entries per queue: a power of two, at most RING_MAX_CAPACITY */
    void *data;           /* the data region: nbufs * buf_size bytes (may be NULL, see below) */
    uint32_t buf_size;    /* bytes per buffer, > 0; every descriptor's offset is a multiple */
    uint32_t nbufs;       /* buffers in the data region, > 0, nbufs * buf_size < 2^32 */
    uint64_t *owned;      /* RING_OWNED_WORDS(nbufs) words of private memory, never shared */
    uint32_t first_index; /* where both queues' indices start; both sides must agree (0) */
};

/*
 * A side's private handle. Fields are the library's; read them only through the functions
 * below (stats may be read directly).
 */
struct ring {
    struct ring_queue *in;  /* the queue this side dequeues from */
    struct ring_queue *out; /* the queue this side enqueues into */
    uint32_t capacity;      /* entries per queue, private copy */
    uint32_t in_head;       /* our head of `in` (we are its only writer) */
    uint32_t in_tail;       /* the peer's tail of `in` as last read and checked */
    uint32_t out_tail;      /* our tail of `out` (we are its only writer) */
    uint32_t out_head;      /* the peer's head of `out` as last read and checked */
    uint8_t *data;          /* data region (this side's mapping) */
    uint32_t buf_size;      /* bytes per buffer */
    uint32_t nbufs;         /* buffers in the region */
    uint64_t *owned;        /* bit i set: this side holds buffer i (private memory) */
    bool broken;            /* set by a bad index or ring_break(); final */
    struct ring_stats stats;
};

/*
 * Sets up r as the `role` side of the ring described by cfg. Holds no buffers yet (see
 * ring_own_all). Writes this side's indices (its head of `in`, its tail of `out`) as
 * cfg->first_index and clears its wants_signal flag; the peer's words are not touched.
 * Shared memory that starts zeroed is ready for first_index 0 whichever side starts first.
 * Returns RING_OK, or RING_ERR_ARGUMENT (r untouched) if a pointer is NULL, the capacity is
 * not a power of two in [1, RING_MAX_CAPACITY], buf_size or nbufs is 0, or the region is
 * 2^32 bytes or more.
 */
int ring_init(struct ring *r, enum ring_role role, const struct ring_config *cfg);

/* Marks every buffer as held by this side: the side that owns the data region at start
 * (it then enqueues them, or uses them directly). */
void ring_own_all(struct ring *r);

/*
 * Takes the next descriptor from this side's `in` queue into *d and records that this side
 * now holds the buffer. Returns RING_OK; RING_EMPTY when there is nothing to take; or an
 * error: RING_ERR_INDEX (the ring is now broken), RING_ERR_DESC or RING_ERR_OWNED (the entry
 * was consumed and dropped: call again for the next one), RING_ERR_BROKEN. *d is written
 * only on RING_OK.
 */
int ring_dequeue(struct ring *r, struct ring_desc *d);

/*
 * ring_dequeue for a caller that only wants a good entry: skips (and counts, as
 * ring_dequeue does) up to `tries` bad ones the peer queued. True with *d on RING_OK; false
 * when the queue is empty, the ring is or becomes broken, or `tries` entries were all bad
 * (the rest wait for the next call, so a hostile peer cannot keep the caller here).
 */
bool ring_dequeue_good(struct ring *r, struct ring_desc *d, unsigned tries);

/*
 * Hands the buffer d (which this side must hold) to the peer through the `out` queue.
 * d.offset must be the start of a buffer and d.length at most buf_size. Returns RING_OK;
 * RING_FULL; RING_ERR_DESC or RING_ERR_NOT_OWNED for a bad d (nothing changes);
 * RING_ERR_INDEX (now broken) or RING_ERR_BROKEN.
 */
int ring_enqueue(struct ring *r, struct ring_desc d);

/*
 * Batches. The same operations on many buffers at once, for the hot loops of drivers and
 * virtualisers: the peer's index is read (and checked) at most once per call, ours is
 * published once per call with one release store, and the statistics are added once. Every
 * descriptor is checked exactly as by ring_dequeue and ring_enqueue.
 */

/*
 * Takes up to max descriptors from the `in` queue into d[0..*n) and records that this side
 * holds their buffers: what ring_dequeue would give in max calls, stopping after the first
 * entry it drops. *n is always written (0 on an error); d[*n] and beyond are not touched.
 * Returns RING_OK (*n entries taken, possibly fewer than max when that was all there was;
 * with max 0, nothing is done), RING_EMPTY (nothing to take), RING_ERR_DESC or RING_ERR_OWNED
 * (the *n good entries before a bad one are taken, the bad one is consumed and dropped: call
 * again for the rest), RING_ERR_INDEX (the ring is now broken; nothing taken) or
 * RING_ERR_BROKEN.
 */
int ring_dequeue_many(struct ring *r, struct ring_desc *d, uint32_t max, uint32_t *n);

/*
 * Hands d[0..n) to the peer in order, as n calls of ring_enqueue would, stopping at the first
 * that cannot go; the *done before it are handed over (*done is always written) and published
 * together. Returns RING_OK (all n); otherwise the status ring_enqueue gives for d[*done],
 * which stays this side's and unchanged: RING_ERR_DESC, RING_ERR_NOT_OWNED (also for a buffer
 * named twice in d), RING_FULL; or RING_ERR_INDEX (the peer's head was bad when the room was
 * checked; the ring is now broken, nothing handed over) or RING_ERR_BROKEN.
 */
int ring_enqueue_many(struct ring *r, const struct ring_desc *d, uint32_t n, uint32_t *done);

/*
 * After a batch of enqueues: whether the peer asked to be signalled (it sleeps or is about
 * to). The caller then signals it (a notification). A full fence comes first, so that the
 * peer either sees the new entries when it re-checks or has its flag visible here. False on a
 * broken ring.
 */
bool ring_signal_needed(struct ring *r);

/*
 * Before sleeping on an empty `in` queue: asks the peer for a signal, then re-checks the
 * queue. Returns true if it is still empty (sleep now; a later enqueue will signal), false if
 * entries arrived meanwhile (the request is withdrawn: dequeue them) or the ring is broken.
 */
bool ring_sleep_prepare(struct ring *r);

/* After being woken (or when ready to poll again): withdraws the request for a signal. */
void ring_awake(struct ring *r);

/*
 * This side's pointer to the bytes of buffer d, or NULL unless d is a buffer this side holds
 * (and d.length fits in it) and the data region was given to ring_init.
 */
void *ring_buffer(const struct ring *r, struct ring_desc d);

/* Whether this side holds the buffer starting at offset. */
bool ring_holds(const struct ring *r, uint32_t offset);

/* Declares the ring broken: every later dequeue and enqueue returns RING_ERR_BROKEN. For a
 * caller that has decided the peer misbehaves (e.g. after too many dropped entries). */
void ring_break(struct ring *r);

/* Whether the ring is broken. */
bool ring_is_broken(const struct ring *r);

/* A name for a status, for messages ("RING_ERR_DESC"); "?" for an unknown value. */
const char *ring_status_name(int status);
