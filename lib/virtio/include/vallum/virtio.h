/*
 * lib/virtio: the virtio-mmio transport (both versions) and split virtqueues, written
 * against lib/hw so the same source drives QEMU's devices in a component and a simulated
 * device in host tests (docs/virtio.md).
 *
 * A driver opens its device's register window (virtio_open), negotiates features
 * (virtio_negotiate), sets up its queues in DMA memory (virtio_queue_setup), reads its
 * configuration (virtio_config_read) and sets DRIVER_OK (virtio_driver_ok). It then adds
 * chains of buffers to a queue (virtq_add), publishes them (virtq_kick) and takes back the
 * chains the device has finished (virtq_get_used).
 *
 * Both transport versions: version 1 (legacy; QEMU 7.2's default) places a queue with
 * GuestPageSize, QueueAlign and QueuePFN and has no FEATURES_OK step; version 2 (virtio
 * 1.x; QEMU with -global virtio-mmio.force-legacy=false) takes three 64-bit addresses,
 * QueueReady, and requires VERSION_1 and FEATURES_OK. The queue layout is the legacy one in
 * both (vallum/virtio_mmio.h), which satisfies version 2's alignments.
 *
 * The device is not trusted with the driver's memory bookkeeping. Descriptors are written
 * by the driver and never read back; chains are tracked in the private struct virtq. The
 * used ring is read once per entry and checked: its index may run ahead of the driver's by
 * at most the number of chains in flight, an entry's id must be the head of a chain in
 * flight, and its length at most the bytes the chain lets the device write. A device that
 * breaks any of these has broken the queue (VIRTIO_EDEVICE; every later call on the queue
 * returns it): the driver resets the device (virtio_reset), sets its queues up again and
 * takes every buffer it had given the device back. (With no
 * IOMMU, a device - like its driver - can still write any memory: docs/drivers.md.)
 *
 * Portable C; no allocation; one thread per device.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <vallum/hw.h>
#include <vallum/virtio_config.h>
#include <vallum/virtio_mmio.h>

/* Statuses: 0 or positive is success; every error is negative. */
enum virtio_status {
    VIRTIO_OK = 0,
    VIRTIO_ENODEV = -1,    /* no virtio device of that type in the window */
    VIRTIO_EFEATURES = -2, /* a required feature missing, or FEATURES_OK refused */
    VIRTIO_EQUEUE = -3,    /* the device has no such queue, or it is already set up */
    VIRTIO_EARGUMENT = -4, /* a caller error: size, memory, buffer outside its DMA region */
    VIRTIO_ENOSPC = -5,    /* virtq_add: not enough free descriptors */
    VIRTIO_EDEVICE = -6,   /* the device broke the protocol (see above) */
};

/* The name of a status, for messages ("VIRTIO_EDEVICE"); "?" for others. */
const char *virtio_strerror(int status);

/* A device, as its driver holds it. Fields are read-only outside lib/virtio. */
struct virtio_dev {
    struct hw_window regs; /* the register window (VIRTIO_MMIO_SIZE bytes at least) */
    uint32_t version;      /* transport version: 1 (legacy) or 2 */
    uint32_t device_id;    /* VIRTIO_ID_* */
    uint64_t features;     /* negotiated feature bits (virtio_negotiate) */
};

/*
 * Checks that *regs is a virtio-mmio device of type device_id (magic, version 1 or 2,
 * DeviceID) and fills *d; does not touch the device. Returns VIRTIO_OK, VIRTIO_EARGUMENT
 * (a window smaller than VIRTIO_MMIO_SIZE) or VIRTIO_ENODEV (anything else, such as an
 * empty slot, whose DeviceID reads 0).
 */
int virtio_open(struct virtio_dev *d, const struct hw_window *regs, uint32_t device_id);

/*
 * Resets the device (status 0), then sets ACKNOWLEDGE and DRIVER, accepts the device's
 * features that are in `wanted`, and (version 2) sets FEATURES_OK and checks the device
 * kept it. VERSION_1 is added to both masks on version 2 and removed on version 1; only
 * bits 0..31 exist on version 1. The accepted bits are in d->features. Returns VIRTIO_OK,
 * VIRTIO_EFEATURES (a bit of `required` not offered, or FEATURES_OK refused: the device is
 * left FAILED) or VIRTIO_EDEVICE (the reset never completed).
 */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted, uint64_t required);

/* Whether the device negotiated feature bit `bit`. */
static inline bool
virtio_has_feature(const struct virtio_dev *d, unsigned bit)
{
    return bit < 64 && (d->features >> bit & 1) != 0;
}

/*
 * Reads len bytes of the device's configuration space from byte offset off into buf, byte
 * by byte; on version 2 again while ConfigGeneration changes (at most VIRTIO_CONFIG_TRIES
 * times). Returns VIRTIO_OK, VIRTIO_EARGUMENT (past the window) or VIRTIO_EDEVICE (the
 * generation never settled; buf holds the last try).
 */
int virtio_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len);

/* Sets DRIVER_OK: the device may now use the queues. */
void virtio_driver_ok(struct virtio_dev *d);

/* Sets FAILED: the driver gives up on the device. */
void virtio_fail(struct virtio_dev *d);

/*
 * Resets the device: it stops using every queue and forgets them (each struct virtq must
 * be set up again). Returns VIRTIO_OK or VIRTIO_EDEVICE (the status never read back 0).
 */
int virtio_reset(struct virtio_dev *d);

/* Whether the device says it needs a reset (DEVICE_NEEDS_RESET). */
bool virtio_needs_reset(struct virtio_dev *d);

/* Reads InterruptStatus, acknowledges those bits and returns them (VIRTIO_IRQ_*). */
uint32_t virtio_interrupt_ack(struct virtio_dev *d);

/* What a queue has seen; counters only grow. */
struct virtq_stats {
    uint64_t added;     /* chains added */
    uint64_t used;      /* chains taken back */
    uint64_t notifies;  /* QueueNotify writes */
    uint64_t bad_index; /* used index ran ahead of the chains in flight */
    uint64_t bad_id;    /* used id not the head of a chain in flight */
    uint64_t bad_len;   /* used length over the chain's writable bytes */
};

/*
 * A split virtqueue, as its driver holds it. The rings are in DMA memory; everything else
 * is private and never read back from the device's memory. Fields are lib/virtio's; stats
 * may be read directly.
 */
struct virtq {
    struct virtio_dev *dev;
    const struct hw_dma *dma; /* the region holding the rings */
    volatile struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
    uint16_t index;                  /* the queue's number on the device */
    uint16_t num;                    /* entries: a power of two, at most VIRTIO_QUEUE_MAX */
    uint16_t free_head;              /* first free descriptor (private free list through next[]) */
    uint16_t num_free;               /* descriptors free */
    uint16_t avail_idx;              /* the avail index the driver has written */
    uint16_t published;              /* the avail index the device has been shown (virtq_kick) */
    uint16_t last_used;              /* the next used entry to read */
    uint16_t in_flight;              /* chains added and not yet taken back */
    bool broken;                     /* the device broke the protocol */
    uint16_t next[VIRTIO_QUEUE_MAX]; /* free list, and each chain's links */
    uint16_t chain_len[VIRTIO_QUEUE_MAX]; /* descriptors of the chain headed here; 0: none */
    uint32_t writable[VIRTIO_QUEUE_MAX];  /* bytes the device may write in that chain */
    struct virtq_stats stats;
};

/*
 * Sets up queue `index` of num entries (a power of two, at most VIRTIO_QUEUE_MAX and the
 * device's QueueNumMax) in VIRTQ_BYTES(num) bytes of dma at byte offset `offset`, which
 * must be a multiple of VIRTQ_LEGACY_ALIGN, as must the device address (on version 1 that
 * address divided by 4096 must fit 32 bits). Zeroes the memory and tells the device where
 * it is. Between virtio_negotiate and virtio_driver_ok. Returns VIRTIO_OK, VIRTIO_EQUEUE
 * (QueueNumMax 0, or the queue is already in use) or VIRTIO_EARGUMENT (num, memory).
 */
int virtio_queue_setup(struct virtio_dev *d, struct virtq *q, uint16_t index, uint16_t num,
                       const struct hw_dma *dma, uint64_t offset);

/* One buffer of a chain. A chain's buffers may lie in different DMA regions. */
struct virtq_buf {
    const struct hw_dma *dma; /* the region the buffer lies in */
    const void *p;            /* the driver's address of the buffer */
    uint32_t len;             /* bytes, > 0 */
    bool device_writes;       /* the device writes it (receive) rather than reads it (send) */
};

/*
 * Adds a chain of n buffers (1..VIRTIO_CHAIN_MAX; those the device reads first, then those
 * it writes), and stores its head (the id virtq_get_used returns) in *head. The chain is
 * visible to the device after virtq_kick. Returns VIRTIO_OK, VIRTIO_ENOSPC (fewer than n
 * descriptors free), VIRTIO_EARGUMENT (n, an empty buffer, a buffer outside its region, a
 * readable buffer after a writable one, more than 4 GiB writable) or VIRTIO_EDEVICE (the
 * queue is broken). Nothing is added on error.
 */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n, uint16_t *head);

/* Publishes the chains added since the last kick, and notifies the device unless it asked
 * not to be (VIRTQ_USED_F_NO_NOTIFY). Nothing happens on a broken queue, or when nothing
 * was added since the last kick (callers may kick every queue on every pass). */
void virtq_kick(struct virtq *q);

/*
 * Takes back the next chain the device has finished: *head is the id virtq_add gave it,
 * *len the bytes the device wrote into it; its descriptors are free again. Returns 1 (one
 * taken), 0 (none finished) or VIRTIO_EDEVICE (the device broke the protocol now or
 * before; nothing taken).
 */
int virtq_get_used(struct virtq *q, uint16_t *head, uint32_t *len);

/*
 * Interrupt suppression. virtq_disable_interrupts asks the device not to interrupt for
 * this queue (a hint: it may still). virtq_enable_interrupts asks it to again, and returns
 * whether finished chains are already waiting: the caller must take them before it sleeps,
 * or a chain finished between its last look and the request would wait forever.
 */
void virtq_disable_interrupts(struct virtq *q);
bool virtq_enable_interrupts(struct virtq *q);
