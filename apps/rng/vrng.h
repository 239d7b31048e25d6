/*
 * The virtio-rng driver's core (virtio 1.2, 5.4): one entropy device, its one queue
 * (requestq), and one buffer the device fills. Portable: apps/rng/main.c runs it in the
 * entropy service, tests/unit/rng/test_rng.c against the simulated device.
 *
 * A request is a single device-writable buffer; the device writes up to its length of
 * random bytes and says how many in the used entry. lib/virtio refuses a used length past
 * the bytes offered (VIRTIO_EDEVICE), and vrng_collect copies exactly the bytes the device
 * reported, so nothing the device writes is read beyond what it was offered. The bytes are
 * not parsed at all: they only go into the generator's key (csprng_reseed), which is why
 * the unit tests, not a fuzzer, cover this core (docs/virtio.md). Both transport versions;
 * virtio-rng has no feature bits and no configuration space.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <vallum/virtio.h>

/* The requestq: queue 0, VRNG_QSIZE entries (one chain in flight at a time), at offset 0 of
 * the queues region, and the buffer the device fills at VRNG_BUF_OFF. */
#define VRNG_QUEUE 0
#define VRNG_QSIZE 8u
#define VRNG_BUF_OFF ((VIRTQ_BYTES(VRNG_QSIZE) + 4095u) & ~4095u)
#define VRNG_BUF_BYTES 64u
#define VRNG_QUEUES_BYTES (VRNG_BUF_OFF + VRNG_BUF_BYTES)

/* Statuses besides enum virtio_status's. */
#define VRNG_EREGION (-20) /* the queues region is smaller than VRNG_QUEUES_BYTES */

/* What the driver has seen; counters only grow. */
struct vrng_stats {
    uint64_t requests; /* buffers given to the device */
    uint64_t bytes;    /* random bytes the device delivered */
    uint64_t empty;    /* requests the device returned with no bytes */
    uint64_t irqs;     /* device interrupts acknowledged */
};

struct vrng {
    struct virtio_dev dev;
    struct virtq q;
    struct hw_dma queues; /* the virtqueue and the buffer: the driver's alone */
    uint8_t *buf;         /* VRNG_BUF_BYTES at VRNG_BUF_OFF of queues */
    uint32_t asked;       /* bytes of the request in flight; 0: none */
    uint16_t head;        /* its chain's head */
    bool failed;          /* the device broke the protocol: stopped */
    struct vrng_stats stats;
};

/*
 * Brings the device in regs up: checks it is virtio-rng (device id 4), negotiates (no
 * feature bits; VERSION_1 on version 2), sets up the requestq in `queues` (VRNG_QUEUES_BYTES
 * at least) and sets DRIVER_OK. Returns VIRTIO_OK, an error of lib/virtio (the device is
 * left FAILED or reset), or VRNG_EREGION.
 */
int vrng_open(struct vrng *v, const struct hw_window *regs, const struct hw_dma *queues);

/*
 * Asks the device for n random bytes (1..VRNG_BUF_BYTES) unless a request is in flight
 * already (then nothing happens). Returns VIRTIO_OK, VIRTIO_EARGUMENT (n out of range) or
 * VIRTIO_EDEVICE (stopped).
 */
int vrng_request(struct vrng *v, uint32_t n);

/*
 * Takes the answer to the request in flight: copies the bytes the device wrote (at most
 * what was asked, at most cap) to out, wipes the buffer, and returns how many (0: the
 * device has not answered yet, or answered with no bytes; stats.empty counts those).
 * Returns VIRTIO_EDEVICE if the device broke the protocol (v->failed: it is set FAILED and
 * nothing more is done).
 */
int vrng_collect(struct vrng *v, uint8_t *out, uint32_t cap);

/* Acknowledges the device's interrupt; call before vrng_collect, so that an answer that
 * comes meanwhile raises a new one. */
void vrng_irq_ack(struct vrng *v);
