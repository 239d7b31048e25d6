/*
 * The virtio-net driver's core (docs/virtio.md): one NIC, its two virtqueues, and two
 * lib/ring rings towards its client. Portable: apps/virtio_net/main.c runs it in a
 * component, tests/unit/virtio/test_vnet.c against the simulated device.
 *
 *   receive   the driver holds the buffers of the rx data region (dma) and gives them to
 *             the device; each frame received goes to the client on the rx ring's active
 *             queue (its length without the virtio-net header); the client gives buffers
 *             back on the free queue, and the driver gives them to the device again.
 *   transmit  the client fills buffers of the tx data region (dma; the driver maps it
 *             read-only) and queues them on the tx ring; the driver hands each to the
 *             device and, once sent, back to the client on the free queue.
 *
 * Each chain is two descriptors, the virtio-net header in a slot of the queues region (the
 * driver's alone) and the frame in the data buffer, so frames start at a buffer's first
 * byte on both rings, and legacy devices without ANY_LAYOUT get the layout they require.
 * Nothing is copied.
 *
 * Features: MAC (read from config space) and STATUS (the link state) are negotiated when
 * offered; nothing else. Checksum offload and TSO would let the device hand over frames
 * whose checksums are not filled in and frames larger than a buffer, which lib/net does not
 * take; mergeable receive buffers only pay for frames larger than a buffer, which the
 * stack's 1500-byte MTU never produces (docs/virtio.md says more).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <vallum/ring.h>
#include <vallum/virtio.h>

/* Feature bits of virtio-net (virtio 1.2, 5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

/* Configuration space (5.1.4): the MAC, then the status word. */
#define VIRTIO_NET_CONFIG_MAC 0
#define VIRTIO_NET_CONFIG_STATUS 6
#define VIRTIO_NET_S_LINK_UP 1u

/* The header before each frame: 10 bytes on legacy devices without MRG_RXBUF, 12 with
 * VERSION_1 (5.1.6). Slots for it are VNET_HDR_SLOT bytes apart. */
#define VNET_HDR_LEGACY 10u
#define VNET_HDR_V1 12u
#define VNET_HDR_SLOT 16u

/* Queues: receive is queue 0, transmit 1 (5.1.2); VNET_QSIZE descriptors each, two per
 * chain. The queues region holds the two virtqueues at VNET_RXQ_OFF and VNET_TXQ_OFF and
 * the header slots from VNET_HDR_OFF: one per receive buffer, then one for transmit (the
 * device only reads it: all zeros, no offload asked for). */
#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_QSIZE 128u
#define VNET_RXQ_OFF 0u
#define VNET_TXQ_OFF VIRTQ_BYTES_ALIGNED(VNET_QSIZE)
#define VNET_HDR_OFF (2u * VIRTQ_BYTES_ALIGNED(VNET_QSIZE))
#define VIRTQ_BYTES_ALIGNED(num) ((VIRTQ_BYTES(num) + 4095u) & ~4095u)

/* Most buffers per data region (the rings' capacity must hold them all). */
#define VNET_MAX_BUFS (VNET_QSIZE / 2)

/* Bytes of the queues region for nbufs receive buffers. */
#define VNET_QUEUES_BYTES(nbufs) (VNET_HDR_OFF + ((nbufs) + 1u) * VNET_HDR_SLOT)

/* What the driver has seen; counters only grow. */
struct vnet_stats {
    uint64_t rx_frames;  /* frames passed to the client */
    uint64_t rx_runts;   /* frames shorter than a header and an Ethernet header: re-posted */
    uint64_t tx_frames;  /* frames handed to the device */
    uint64_t tx_empty;   /* empty frames from the client, returned unsent */
    uint64_t ring_drops; /* descriptors the client got wrong (lib/ring's refusals) */
    uint64_t irqs;       /* device interrupts */
};

struct vnet {
    struct virtio_dev dev;
    struct virtq rxq, txq;
    struct hw_dma queues, rx_mem, tx_mem;   /* virtqueues and headers; buffer regions */
    struct ring *rx, *tx;                   /* producer of rx, consumer of tx */
    uint32_t buf_size;                      /* bytes per buffer of both data regions */
    uint32_t hdr_len;                       /* VNET_HDR_LEGACY or VNET_HDR_V1 */
    uint8_t mac[6];                         /* the NIC's (zeros without VIRTIO_NET_F_MAC) */
    bool link_up;                           /* with STATUS; true without it */
    bool failed;                            /* the device broke the protocol: stopped */
    uint32_t rx_buf_of[VNET_QSIZE];         /* per receive chain head: its buffer's offset */
    struct ring_desc tx_buf_of[VNET_QSIZE]; /* per transmit chain head: the client's frame */
    struct vnet_stats stats;
};

/* Statuses of vnet_open, besides enum virtio_status's. */
#define VNET_EREGION (-20) /* a region too small, misplaced, or a ring of the wrong shape */

/*
 * Brings the NIC up: opens the device in regs, negotiates, reads the MAC and link state,
 * sets up both queues in `queues` (VNET_QUEUES_BYTES(nbufs) bytes at least), and gives the
 * device every buffer of rx (a producer ring that holds all its nbufs buffers of buf_size
 * bytes, whose data is rx_mem). tx is the consumer end of the transmit ring over tx_mem.
 * Returns VIRTIO_OK, an error of lib/virtio (the device is left FAILED or reset), or
 * VNET_EREGION.
 */
int vnet_open(struct vnet *n, const struct hw_window *regs, const struct hw_dma *queues,
              const struct hw_dma *rx_mem, struct ring *rx, const struct hw_dma *tx_mem,
              struct ring *tx);

/*
 * Does all the work there is: takes the chains the device finished (frames received go to
 * the client, frames sent back to it), gives the device the buffers the client returned and
 * the frames it queued, and kicks the device. Call it on the device's interrupt (after
 * vnet_irq_ack) and on the client's signal. Returns true if the client must be signalled
 * (a ring asked for it). After the device breaks the protocol, it stops (n->failed) and
 * does nothing.
 */
bool vnet_service(struct vnet *n);

/* Acknowledges the device's interrupt (before vnet_service, so a chain finished meanwhile
 * raises a new one); a configuration change re-reads the link state. */
void vnet_irq_ack(struct vnet *n);

/* Before the driver sleeps: asks both rings for a signal; false if work arrived meanwhile
 * (then vnet_service again). */
bool vnet_sleep_prepare(struct vnet *n);
