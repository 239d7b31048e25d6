/* The virtio-rng driver's core; see vrng.h. */
#include "vrng.h"

#include <string.h>

int
vrng_open(struct vrng *v, const struct hw_window *regs, const struct hw_dma *queues)
{
    memset(v, 0, sizeof(*v));
    if (queues->size < VRNG_QUEUES_BYTES) {
        return VRNG_EREGION;
    }
    v->queues = *queues;
    v->buf = v->queues.vaddr + VRNG_BUF_OFF;
    int err = virtio_open(&v->dev, regs, VIRTIO_ID_RNG);
    if (err == VIRTIO_OK) {
        err = virtio_negotiate(&v->dev, 0, 0);
    }
    if (err == VIRTIO_OK) {
        err = virtio_queue_setup(&v->dev, &v->q, VRNG_QUEUE, VRNG_QSIZE, &v->queues, 0);
        if (err != VIRTIO_OK) {
            virtio_fail(&v->dev);
        }
    }
    if (err == VIRTIO_OK) {
        virtio_driver_ok(&v->dev);
    }
    return err;
}

int
vrng_request(struct vrng *v, uint32_t n)
{
    if (v->failed) {
        return VIRTIO_EDEVICE;
    }
    if (n == 0 || n > VRNG_BUF_BYTES) {
        return VIRTIO_EARGUMENT;
    }
    if (v->asked != 0) {
        return VIRTIO_OK;
    }
    struct virtq_buf b = {&v->queues, v->buf, n, true};
    int err = virtq_add(&v->q, &b, 1, &v->head);
    if (err != VIRTIO_OK) {
        return err; /* ENOSPC cannot happen with one chain in flight; EDEVICE: broken */
    }
    v->asked = n;
    v->stats.requests++;
    virtq_kick(&v->q);
    return VIRTIO_OK;
}

/* Gives up on a device that broke the queue. */
static int
broken(struct vrng *v)
{
    v->failed = true;
    virtio_fail(&v->dev);
    return VIRTIO_EDEVICE;
}

int
vrng_collect(struct vrng *v, uint8_t *out, uint32_t cap)
{
    if (v->failed) {
        return VIRTIO_EDEVICE;
    }
    uint16_t head;
    uint32_t len;
    int got = virtq_get_used(&v->q, &head, &len);
    if (got == 0) {
        return 0;
    }
    /* lib/virtio checked the id (the one chain in flight) and that len is at most what the
     * chain offered; the driver checks again against its own record, for free. */
    if (got < 0 || head != v->head || len > v->asked) {
        return broken(v);
    }
    v->asked = 0;
    uint32_t n = len < cap ? len : cap;
    memcpy(out, v->buf, n);
    volatile uint8_t *b = v->buf;
    for (uint32_t i = 0; i < VRNG_BUF_BYTES; i++) {
        b[i] = 0; /* the seed is a secret: only the generator keeps it */
    }
    v->stats.bytes += n;
    v->stats.empty += n == 0;
    return (int)n;
}

void
vrng_irq_ack(struct vrng *v)
{
    v->stats.irqs++;
    (void)virtio_interrupt_ack(&v->dev);
}
