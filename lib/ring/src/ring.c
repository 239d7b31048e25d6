/*
 * lib/ring: the queue operations (see vallum/ring.h and docs/drivers.md).
 *
 * Memory ordering. Every access to a word the peer may write at the same time is an
 * __atomic access, so that the compiler reads it exactly once into a local (the local is
 * what gets checked and used) and the program has no data race in C11's sense:
 *   - A descriptor is written with relaxed stores and then published by a release store of
 *     the tail; the consumer's acquire load of the tail orders its reads of the descriptor
 *     (and of the buffer's bytes) after the producer's writes to them.
 *   - The consumer gives a slot back by a release store of the head, after it has copied the
 *     descriptor; the producer's acquire load of the head orders its reuse of the slot (and,
 *     for the free queue, its writes into the buffer) after that copy.
 *   - Signalling is Dekker's pattern: the consumer stores wants_signal then loads the tail;
 *     the producer stores the tail then loads wants_signal. Release/acquire does not order a
 *     store before a later load, so each side puts a full fence (seq_cst; `fence rw,rw` on
 *     RISC-V) between its store and its load. Then at least one side sees the other's store:
 *     either the consumer's re-check finds the entry, or the producer finds the flag and
 *     signals. The model in docs/drivers.md walks through the interleavings.
 */
#include <vallum/ring.h>

#include <stddef.h>

#define LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define LOAD_RLX(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define STORE_RLX(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

int
ring_init(struct ring *r, enum ring_role role, const struct ring_config *cfg)
{
    if (r == NULL || cfg == NULL || cfg->queues == NULL || cfg->owned == NULL) {
        return RING_ERR_ARGUMENT;
    }
    uint32_t cap = cfg->capacity;
    if (cap == 0 || cap > RING_MAX_CAPACITY || (cap & (cap - 1)) != 0) {
        return RING_ERR_ARGUMENT;
    }
    /* 32-bit offsets: the whole region must be addressable by one. */
    if (cfg->buf_size == 0 || cfg->nbufs == 0 ||
        (uint64_t)cfg->buf_size * cfg->nbufs > UINT32_MAX) {
        return RING_ERR_ARGUMENT;
    }
    struct ring_queue *free_q = cfg->queues;
    struct ring_queue *active_q = (void *)((uint8_t *)cfg->queues + RING_QUEUE_SIZE(cap));
    *r = (struct ring){
        .in = role == RING_PRODUCER ? free_q : active_q,
        .out = role == RING_PRODUCER ? active_q : free_q,
        .capacity = cap,
        .in_head = cfg->first_index,
        .in_tail = cfg->first_index,
        .out_tail = cfg->first_index,
        .out_head = cfg->first_index,
        .data = cfg->data,
        .buf_size = cfg->buf_size,
        .nbufs = cfg->nbufs,
        .owned = cfg->owned,
    };
    for (uint32_t i = 0; i < RING_OWNED_WORDS(cfg->nbufs); i++) {
        r->owned[i] = 0;
    }
    STORE_RLX(&r->in->head, cfg->first_index);
    STORE_RLX(&r->in->wants_signal, 0);
    STORE_REL(&r->out->tail, cfg->first_index);
    return RING_OK;
}

void
ring_own_all(struct ring *r)
{
    for (uint32_t i = 0; i < r->nbufs; i++) {
        r->owned[i / 64] |= (uint64_t)1 << (i % 64);
    }
}

/*
 * Whether a descriptor {offset, length} names a buffer of a region of nbufs buffers of
 * buf_size bytes: its offset is the start of buffer *buf (which exists) and its length fits
 * in that buffer. That is the whole check "inside the region": offset + length <= (*buf + 1)
 * * buf_size <= nbufs * buf_size, and nothing is added that could overflow. Every descriptor
 * the peer hands over passes here, so the limits come as arguments: the batch loops keep
 * them in registers.
 */
static inline bool
is_buffer(uint32_t offset, uint32_t length, uint32_t buf_size, uint32_t nbufs, uint32_t *buf)
{
    /* offset < nbufs * buf_size (which ring_init checked fits in 32 bits) is *buf < nbufs. */
    *buf = offset / buf_size;
    return offset % buf_size == 0 && offset < nbufs * buf_size && length <= buf_size;
}

/* The same check for a descriptor, against r's region (the single calls, ring_buffer). */
static inline bool
desc_is_buffer(const struct ring *r, struct ring_desc d, uint32_t *buf)
{
    return is_buffer(d.offset, d.length, r->buf_size, r->nbufs, buf);
}

/* Whether this side holds buffer slot (below nbufs). */
static bool
holds(const struct ring *r, uint32_t slot)
{
    return (r->owned[slot / 64] >> (slot % 64)) & 1;
}

/* Marks the ring broken after the peer wrote an impossible index. */
static int
bad_index(struct ring *r)
{
    r->broken = true;
    r->stats.bad_index++;
    return RING_ERR_INDEX;
}

int
ring_dequeue(struct ring *r, struct ring_desc *d)
{
    if (r->broken) {
        return RING_ERR_BROKEN;
    }
    if (r->in_tail == r->in_head) {
        /* Nothing left of what we saw last time: read the peer's tail once and check it. */
        uint32_t tail = LOAD_ACQ(&r->in->tail);
        if ((uint32_t)(tail - r->in_head) > r->capacity) {
            return bad_index(r);
        }
        r->in_tail = tail;
        if (tail == r->in_head) {
            return RING_EMPTY;
        }
    }
    const struct ring_desc *slot = &r->in->desc[r->in_head & (r->capacity - 1)];
    struct ring_desc copy = {LOAD_RLX(&slot->offset), LOAD_RLX(&slot->length)};
    /* The entry is consumed whatever it holds: a bad one is the peer's loss, not a stall. */
    r->in_head++;
    STORE_REL(&r->in->head, r->in_head);
    uint32_t buf;
    if (!desc_is_buffer(r, copy, &buf)) {
        r->stats.bad_desc++;
        return RING_ERR_DESC;
    }
    /* Set the bit; if that changed nothing, the buffer was held already. */
    uint64_t *word = &r->owned[buf / 64];
    uint64_t set = *word | (uint64_t)1 << (buf % 64);
    if (set == *word) {
        r->stats.bad_owner++;
        return RING_ERR_OWNED;
    }
    *word = set;
    r->stats.dequeued++;
    *d = copy;
    return RING_OK;
}

bool
ring_dequeue_good(struct ring *r, struct ring_desc *d, unsigned tries)
{
    for (unsigned i = 0; i < tries; i++) {
        int s = ring_dequeue(r, d);
        if (s == RING_OK) {
            return true;
        }
        if (s == RING_EMPTY || r->broken) {
            return false;
        }
    }
    return false;
}

int
ring_enqueue(struct ring *r, struct ring_desc d)
{
    if (r->broken) {
        return RING_ERR_BROKEN;
    }
    uint32_t buf;
    if (!desc_is_buffer(r, d, &buf)) {
        return RING_ERR_DESC;
    }
    /* Flip the bit: a held buffer's set bit turns to 0, so the word gets smaller. */
    uint64_t *word = &r->owned[buf / 64];
    uint64_t flipped = *word ^ (uint64_t)1 << (buf % 64);
    if (flipped > *word) {
        return RING_ERR_NOT_OWNED;
    }
    if (r->out_tail - r->out_head == r->capacity) {
        /* Full as far as we knew: read the peer's head once and check it. */
        uint32_t head = LOAD_ACQ(&r->out->head);
        if ((uint32_t)(r->out_tail - head) > r->capacity) {
            return bad_index(r);
        }
        r->out_head = head;
        if (r->out_tail - head == r->capacity) {
            return RING_FULL;
        }
    }
    struct ring_desc *slot = &r->out->desc[r->out_tail & (r->capacity - 1)];
    STORE_RLX(&slot->offset, d.offset);
    STORE_RLX(&slot->length, d.length);
    *word = flipped;
    r->out_tail++;
    STORE_REL(&r->out->tail, r->out_tail);
    r->stats.enqueued++;
    return RING_OK;
}

int
ring_dequeue_many(struct ring *r, struct ring_desc *d, uint32_t max, uint32_t *n)
{
    *n = 0;
    if (r->broken) {
        return RING_ERR_BROKEN;
    }
    uint32_t head = r->in_head;
    uint32_t avail = r->in_tail - head;
    if (avail < max) {
        /* Fewer than asked for as far as we knew: read the peer's tail once and check it. */
        uint32_t tail = LOAD_ACQ(&r->in->tail);
        if ((uint32_t)(tail - head) > r->capacity) {
            return bad_index(r);
        }
        r->in_tail = tail;
        avail = tail - head;
    }
    if (avail == 0 && max != 0) {
        return RING_EMPTY;
    }
    uint32_t todo = avail < max ? avail : max;
    /* The handle's fields in locals: the stores into d and the bitmap could alias them. */
    const uint32_t buf_size = r->buf_size, nbufs = r->nbufs;
    uint64_t *owned = r->owned;
    /* The slots in order from head's, wrapping at the queue's end: a pointer step, not an
     * index computation, per entry. */
    const struct ring_desc *slot = &r->in->desc[head & (r->capacity - 1)];
    const struct ring_desc *end = &r->in->desc[r->capacity];
    size_t taken = 0; /* word-sized: no re-extension per entry */
    int status = RING_OK;
    while (taken < todo) {
        uint32_t offset = LOAD_RLX(&slot->offset), length = LOAD_RLX(&slot->length);
        if (++slot == end) {
            slot = r->in->desc;
        }
        /* Consumed whatever it holds, as in ring_dequeue; the batch stops at a bad entry. */
        uint32_t buf;
        if (!is_buffer(offset, length, buf_size, nbufs, &buf)) {
            r->stats.bad_desc++;
            status = RING_ERR_DESC;
            break;
        }
        /* Set the bit; if that changed nothing, the buffer was held already. */
        uint64_t word = owned[buf / 64], set = word | (uint64_t)1 << (buf % 64);
        if (set == word) {
            r->stats.bad_owner++;
            status = RING_ERR_OWNED;
            break;
        }
        owned[buf / 64] = set;
        d[taken].offset = offset;
        d[taken].length = length;
        taken++;
    }
    uint32_t got = (uint32_t)taken;
    if (status != RING_OK) {
        taken++; /* the bad entry */
    }
    /* One publication for the batch: every copy above is made before the peer may reuse a
     * slot (release). */
    r->in_head = head + (uint32_t)taken;
    STORE_REL(&r->in->head, r->in_head);
    r->stats.dequeued += got;
    *n = got;
    return status;
}

int
ring_enqueue_many(struct ring *r, const struct ring_desc *d, uint32_t n, uint32_t *done)
{
    *done = 0;
    if (r->broken) {
        return RING_ERR_BROKEN;
    }
    uint32_t tail = r->out_tail;
    uint32_t space = r->capacity - (tail - r->out_head);
    if (space < n) {
        /* Not room for all as far as we knew: read the peer's head once and check it. */
        uint32_t head = LOAD_ACQ(&r->out->head);
        if ((uint32_t)(tail - head) > r->capacity) {
            return bad_index(r);
        }
        r->out_head = head;
        space = r->capacity - (tail - head);
    }
    /* The handle's fields in locals: the stores into the queue and the bitmap could alias
     * them. */
    const uint32_t buf_size = r->buf_size, nbufs = r->nbufs;
    uint64_t *owned = r->owned;
    /* The slots in order, as in ring_dequeue_many. */
    struct ring_desc *slot = &r->out->desc[tail & (r->capacity - 1)];
    struct ring_desc *end = &r->out->desc[r->capacity];
    size_t k = 0; /* word-sized, as in ring_dequeue_many */
    int status = RING_OK;
    for (; k < n; k++) {
        uint32_t offset = d[k].offset, length = d[k].length;
        uint32_t buf;
        /* The checks of ring_enqueue, in its order: the descriptor, the buffer, the room. */
        if (!is_buffer(offset, length, buf_size, nbufs, &buf)) {
            status = RING_ERR_DESC;
            break;
        }
        /* Flip the bit: a held buffer's set bit turns to 0, so the word gets smaller. */
        uint64_t word = owned[buf / 64], flipped = word ^ (uint64_t)1 << (buf % 64);
        if (flipped > word) {
            status = RING_ERR_NOT_OWNED; /* never held, or twice in this batch */
            break;
        }
        if (k == space) {
            status = RING_FULL;
            break;
        }
        owned[buf / 64] = flipped;
        STORE_RLX(&slot->offset, offset);
        STORE_RLX(&slot->length, length);
        if (++slot == end) {
            slot = r->out->desc;
        }
    }
    if (k != 0) {
        /* One publication for the batch: the descriptors (and the buffers' bytes) before the
         * new tail (release). */
        r->out_tail = tail + (uint32_t)k;
        STORE_REL(&r->out->tail, r->out_tail);
        r->stats.enqueued += k;
    }
    *done = (uint32_t)k;
    return status;
}

bool
ring_signal_needed(struct ring *r)
{
    /* Our tail store (in ring_enqueue) before the flag load: the StoreLoad half of Dekker. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (r->broken || LOAD_RLX(&r->out->wants_signal) == 0) {
        return false;
    }
    r->stats.signals++;
    return true;
}

bool
ring_sleep_prepare(struct ring *r)
{
    if (r->broken) {
        return false;
    }
    STORE_RLX(&r->in->wants_signal, 1);
    /* The flag store before the tail load: the other half of Dekker. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t tail = LOAD_ACQ(&r->in->tail);
    if ((uint32_t)(tail - r->in_head) > r->capacity) {
        STORE_RLX(&r->in->wants_signal, 0);
        bad_index(r);
        return false;
    }
    r->in_tail = tail;
    if (tail != r->in_head) {
        /* Entries arrived between the caller's last dequeue and the flag: do not sleep. */
        STORE_RLX(&r->in->wants_signal, 0);
        return false;
    }
    r->stats.sleeps++;
    return true;
}

void
ring_awake(struct ring *r)
{
    STORE_RLX(&r->in->wants_signal, 0);
}

bool
ring_holds(const struct ring *r, uint32_t offset)
{
    if (offset % r->buf_size != 0 || offset / r->buf_size >= r->nbufs) {
        return false;
    }
    return holds(r, offset / r->buf_size);
}

void *
ring_buffer(const struct ring *r, struct ring_desc d)
{
    uint32_t buf;
    if (r->data == NULL || !desc_is_buffer(r, d, &buf) || !holds(r, buf)) {
        return NULL;
    }
    return r->data + d.offset;
}

void
ring_break(struct ring *r)
{
    r->broken = true;
}

bool
ring_is_broken(const struct ring *r)
{
    return r->broken;
}

const char *
ring_status_name(int status)
{
    switch (status) {
    case RING_OK:
        return "RING_OK";
    case RING_EMPTY:
        return "RING_EMPTY";
    case RING_FULL:
        return "RING_FULL";
    case RING_ERR_INDEX:
        return "RING_ERR_INDEX";
    case RING_ERR_DESC:
        return "RING_ERR_DESC";
    case RING_ERR_OWNED:
        return "RING_ERR_OWNED";
    case RING_ERR_NOT_OWNED:
        return "RING_ERR_NOT_OWNED";
    case RING_ERR_BROKEN:
        return "RING_ERR_BROKEN";
    case RING_ERR_ARGUMENT:
        return "RING_ERR_ARGUMENT";
    default:
        return "?";
    }
}
