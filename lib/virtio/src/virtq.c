/*
 * lib/virtio: split virtqueues (see vallum/virtio.h). The driver writes descriptors and the
 * available ring, and reads the used ring once per entry, checking it against what it keeps
 * privately; nothing the device can write is used unchecked.
 */
#include <vallum/virtio.h>

/* Publishes a 16-bit index the device reads, after the entries it covers. */
static void
store_release16(volatile uint16_t *p, uint16_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Reads a 16-bit index the device writes, before the entries it covers. */
static uint16_t
load_acquire16(volatile uint16_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Checks the chain's buffers before anything is written: lengths, order, region. */
static int
chain_check(const struct virtq_buf *bufs, unsigned n, uint64_t *writable)
{
    bool seen_writable = false;
    *writable = 0;
    for (unsigned i = 0; i < n; i++) {
        if (bufs[i].len == 0 || hw_dma_addr(bufs[i].dma, bufs[i].p, bufs[i].len) == HW_DMA_NONE) {
            return VIRTIO_EARGUMENT;
        }
        if (!bufs[i].device_writes && seen_writable) {
            return VIRTIO_EARGUMENT; /* the device reads a chain's readable part first */
        }
        if (bufs[i].device_writes) {
            seen_writable = true;
            *writable += bufs[i].len;
        }
    }
    return *writable > UINT32_MAX ? VIRTIO_EARGUMENT : VIRTIO_OK; /* used len is 32 bits */
}

int
virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n, uint16_t *head)
{
    if (q->broken) {
        return VIRTIO_EDEVICE;
    }
    if (n == 0 || n > VIRTIO_CHAIN_MAX) {
        return VIRTIO_EARGUMENT;
    }
    uint64_t writable;
    int err = chain_check(bufs, n, &writable);
    if (err != VIRTIO_OK) {
        return err;
    }
    if (n > q->num_free) {
        return VIRTIO_ENOSPC;
    }
    uint16_t first = q->free_head, d = first;
    for (unsigned i = 0; i < n; i++) {
        bool last = i + 1 == n;
        q->desc[d].addr = hw_dma_addr(bufs[i].dma, bufs[i].p, bufs[i].len);
        q->desc[d].len = bufs[i].len;
        q->desc[d].flags = (uint16_t)((bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
                                      (last ? 0 : VIRTQ_DESC_F_NEXT));
        q->desc[d].next = last ? 0 : q->next[d];
        if (!last) {
            d = q->next[d];
        }
    }
    q->free_head = q->next[d]; /* past the chain's last descriptor */
    q->num_free = (uint16_t)(q->num_free - n);
    q->chain_len[first] = (uint16_t)n;
    q->writable[first] = (uint32_t)writable;
    q->avail->ring[q->avail_idx & (q->num - 1)] = first;
    q->avail_idx++;
    q->in_flight++;
    q->stats.added++;
    *head = first;
    return VIRTIO_OK;
}

void
virtq_kick(struct virtq *q)
{
    /* Nothing added since the last kick: the device has the index already, and a doorbell
     * (a trap to the hypervisor on QEMU) would only make it scan the queue for nothing. A
     * device that set NO_NOTIFY then cleared it re-reads the index itself (2.7.10). */
    if (q->broken || q->avail_idx == q->published) {
        return;
    }
    store_release16(&q->avail->idx, q->avail_idx);
    q->published = q->avail_idx;
    /* The index must be visible before the device's flag is read (2.7.13.4): a device that
     * went to sleep after reading the old index set the flag back, and would be missed. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if ((q->used->flags & VIRTQ_USED_F_NO_NOTIFY) != 0) {
        return;
    }
    hw_fence_to_device();
    hw_write32(&q->dev->regs, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
    q->stats.notifies++;
}

/* The device broke the protocol: no more traffic on this queue. */
static int
broken(struct virtq *q, uint64_t *counter)
{
    (*counter)++;
    q->broken = true;
    return VIRTIO_EDEVICE;
}

/* Puts the chain headed at id back on the free list (its links are private). */
static void
chain_free(struct virtq *q, uint16_t id)
{
    uint16_t n = q->chain_len[id], last = id;
    for (uint16_t i = 1; i < n; i++) {
        last = q->next[last];
    }
    q->next[last] = q->free_head;
    q->free_head = id;
    q->num_free = (uint16_t)(q->num_free + n);
    q->chain_len[id] = 0;
    q->in_flight--;
}

int
virtq_get_used(struct virtq *q, uint16_t *head, uint32_t *len)
{
    if (q->broken) {
        return VIRTIO_EDEVICE;
    }
    uint16_t seen = load_acquire16(&q->used->idx);
    uint16_t ahead = (uint16_t)(seen - q->last_used);
    if (ahead == 0) {
        return 0;
    }
    if (ahead > (uint16_t)(q->published - q->last_used)) {
        return broken(q, &q->stats.bad_index); /* more finished than were published */
    }
    /* Each field read once: the device may change them under us. */
    volatile struct virtq_used_elem *e = &q->used->ring[q->last_used & (q->num - 1)];
    uint32_t id = e->id, n = e->len;
    if (id >= q->num || q->chain_len[id] == 0) {
        return broken(q, &q->stats.bad_id); /* not a chain in flight, or one returned twice */
    }
    if (n > q->writable[id]) {
        return broken(q, &q->stats.bad_len);
    }
    hw_fence_from_device(); /* what the device wrote into the buffers, after its entry */
    q->last_used++;
    chain_free(q, (uint16_t)id);
    q->stats.used++;
    *head = (uint16_t)id;
    *len = n;
    return 1;
}

void
virtq_disable_interrupts(struct virtq *q)
{
    q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
}

bool
virtq_enable_interrupts(struct virtq *q)
{
    q->avail->flags = 0;
    /* The flag must be visible before the index is read again (the mirror of kick). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return load_acquire16(&q->used->idx) != q->last_used;
}
