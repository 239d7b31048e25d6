/*
 * The virtio-net driver's core (see vnet.h). Every buffer the client hands over passes
 * lib/ring's checks first; every chain the device hands back passes lib/virtio's.
 */
#include "vnet.h"

/* Ethernet header: a received frame shorter than this is not passed on. */
#define ETH_HLEN 14u

/* Most chains taken or given per queue in one vnet_service: a device or client that
 * keeps a queue full cannot keep the driver here for ever. */
#define VNET_BATCH (4u * VNET_QSIZE)

static uint8_t *
hdr_slot(struct vnet *n, uint32_t i)
{
    return n->queues.vaddr + VNET_HDR_OFF + i * VNET_HDR_SLOT;
}

/* Gives the device the receive buffer at offset, which the driver holds (ring_buffer says
 * so). Returns a lib/virtio status. */
static int
post_rx(struct vnet *n, uint32_t offset)
{
    uint8_t *buf = ring_buffer(n->rx, (struct ring_desc){offset, n->buf_size});
    if (buf == NULL) {
        return VIRTIO_EARGUMENT;
    }
    struct virtq_buf chain[2] = {
        {&n->queues, hdr_slot(n, offset / n->buf_size), n->hdr_len, true},
        {&n->rx_mem, buf, n->buf_size, true},
    };
    uint16_t head;
    int err = virtq_add(&n->rxq, chain, 2, &head);
    if (err == VIRTIO_OK) {
        n->rx_buf_of[head] = offset;
    }
    return err;
}

/* Gives the device the client's frame d (which the driver holds). */
static int
post_tx(struct vnet *n, struct ring_desc d)
{
    struct virtq_buf chain[2] = {
        {&n->queues, hdr_slot(n, VNET_MAX_BUFS), n->hdr_len, false},
        {&n->tx_mem, ring_buffer(n->tx, d), d.length, false},
    };
    uint16_t head;
    int err = virtq_add(&n->txq, chain, 2, &head);
    if (err == VIRTIO_OK) {
        n->tx_buf_of[head] = d;
        n->stats.tx_frames++;
    }
    return err;
}

/* Whether the regions and rings fit together: every buffer of each ring lies in its data
 * region, the queues region holds both virtqueues and the header slots. The rings' shape
 * is read from their private handles, which lib/ring filled from the component's own
 * configuration (never from shared memory). */
static bool
shape_ok(const struct vnet *n)
{
    uint64_t data = (uint64_t)n->rx->nbufs * n->rx->buf_size;
    return n->rx->nbufs <= VNET_MAX_BUFS && n->tx->nbufs <= VNET_MAX_BUFS &&
           n->rx->buf_size == n->tx->buf_size && n->rx->data == n->rx_mem.vaddr &&
           n->tx->data == n->tx_mem.vaddr && data <= n->rx_mem.size &&
           (uint64_t)n->tx->nbufs * n->tx->buf_size <= n->tx_mem.size &&
           n->queues.size >= VNET_QUEUES_BYTES(VNET_MAX_BUFS) && n->rx->capacity >= n->rx->nbufs &&
           n->tx->capacity >= n->tx->nbufs;
}

/* Reads the link state (with STATUS; the link is up without it). */
static void
read_link(struct vnet *n)
{
    uint8_t status[2] = {VIRTIO_NET_S_LINK_UP, 0};
    if (virtio_has_feature(&n->dev, VIRTIO_NET_F_STATUS)) {
        (void)virtio_config_read(&n->dev, VIRTIO_NET_CONFIG_STATUS, status, 2);
    }
    n->link_up = (status[0] & VIRTIO_NET_S_LINK_UP) != 0;
}

int
vnet_open(struct vnet *n, const struct hw_window *regs, const struct hw_dma *queues,
          const struct hw_dma *rx_mem, struct ring *rx, const struct hw_dma *tx_mem,
          struct ring *tx)
{
    *n = (struct vnet){.queues = *queues,
                       .rx_mem = *rx_mem,
                       .tx_mem = *tx_mem,
                       .rx = rx,
                       .tx = tx,
                       .buf_size = rx->buf_size};
    if (!shape_ok(n)) {
        return VNET_EREGION;
    }
    int err = virtio_open(&n->dev, regs, VIRTIO_ID_NET);
    if (err == VIRTIO_OK) {
        err = virtio_negotiate(&n->dev, 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS, 0);
    }
    if (err != VIRTIO_OK) {
        return err;
    }
    n->hdr_len = n->dev.version == 2 ? VNET_HDR_V1 : VNET_HDR_LEGACY;
    if (virtio_has_feature(&n->dev, VIRTIO_NET_F_MAC)) {
        err = virtio_config_read(&n->dev, VIRTIO_NET_CONFIG_MAC, n->mac, sizeof(n->mac));
    }
    read_link(n);
    for (uint32_t i = 0; i < VNET_HDR_SLOT; i++) {
        hdr_slot(n, VNET_MAX_BUFS)[i] = 0; /* the transmit header: no offload */
    }
    if (err == VIRTIO_OK) {
        err = virtio_queue_setup(&n->dev, &n->rxq, VNET_RXQ, VNET_QSIZE, &n->queues, VNET_RXQ_OFF);
    }
    if (err == VIRTIO_OK) {
        err = virtio_queue_setup(&n->dev, &n->txq, VNET_TXQ, VNET_QSIZE, &n->queues, VNET_TXQ_OFF);
    }
    for (uint32_t i = 0; err == VIRTIO_OK && i < rx->nbufs; i++) {
        err = post_rx(n, i * n->buf_size);
    }
    if (err != VIRTIO_OK) {
        virtio_fail(&n->dev);
        return err;
    }
    virtio_driver_ok(&n->dev);
    virtq_kick(&n->rxq);
    return VIRTIO_OK;
}

/* The device broke the protocol: stop using it (the supervisor's restart resets it). */
static void
fail(struct vnet *n)
{
    n->failed = true;
    virtio_fail(&n->dev);
}

/* Frames the device received go to the client; a runt goes straight back to the device. */
static void
take_rx(struct vnet *n)
{
    uint16_t head;
    uint32_t len;
    int r;
    for (unsigned i = 0; i < VNET_BATCH && (r = virtq_get_used(&n->rxq, &head, &len)) == 1; i++) {
        uint32_t offset = n->rx_buf_of[head];
        if (len < n->hdr_len + ETH_HLEN) {
            n->stats.rx_runts++;
            (void)post_rx(n, offset); /* its descriptors were just freed */
            continue;
        }
        /* lib/virtio checked len against the chain's writable bytes: header + buffer. */
        if (ring_enqueue(n->rx, (struct ring_desc){offset, len - n->hdr_len}) != RING_OK) {
            (void)post_rx(n, offset); /* only if the ring broke: the driver keeps it */
            continue;
        }
        n->stats.rx_frames++;
    }
    if (r == VIRTIO_EDEVICE) {
        fail(n);
    }
}

/* Frames the device sent go back to the client, emptied. */
static void
take_tx(struct vnet *n)
{
    uint16_t head;
    uint32_t len;
    int r;
    for (unsigned i = 0; i < VNET_BATCH && (r = virtq_get_used(&n->txq, &head, &len)) == 1; i++) {
        (void)ring_enqueue(n->tx, (struct ring_desc){n->tx_buf_of[head].offset, 0});
    }
    if (r == VIRTIO_EDEVICE) {
        fail(n);
    }
}

/* Buffers the client returned go to the device again. */
static void
give_rx(struct vnet *n)
{
    struct ring_desc d;
    for (unsigned i = 0; i < VNET_BATCH && n->rxq.num_free >= 2; i++) {
        int s = ring_dequeue(n->rx, &d);
        if (s == RING_EMPTY || s == RING_ERR_BROKEN || s == RING_ERR_INDEX) {
            break;
        }
        if (s != RING_OK) {
            n->stats.ring_drops++;
            continue;
        }
        (void)post_rx(n, d.offset); /* two descriptors are free: it fits */
    }
}

/* Frames the client queued go to the device; empty ones straight back. */
static void
give_tx(struct vnet *n)
{
    struct ring_desc d;
    for (unsigned i = 0; i < VNET_BATCH && n->txq.num_free >= 2; i++) {
        int s = ring_dequeue(n->tx, &d);
        if (s == RING_EMPTY || s == RING_ERR_BROKEN || s == RING_ERR_INDEX) {
            break;
        }
        if (s != RING_OK) {
            n->stats.ring_drops++;
            continue;
        }
        if (d.length == 0) {
            n->stats.tx_empty++;
            (void)ring_enqueue(n->tx, (struct ring_desc){d.offset, 0});
            continue;
        }
        (void)post_tx(n, d);
    }
}

bool
vnet_service(struct vnet *n)
{
    if (n->failed) {
        return false;
    }
    take_rx(n);
    take_tx(n);
    /* A device that broke either queue in this pass is FAILED now: the client's buffers stay
     * on its rings rather than going to it, where the driver would hold them for ever. */
    if (!n->failed) {
        give_rx(n);
        give_tx(n);
        virtq_kick(&n->rxq);
        virtq_kick(&n->txq);
    }
    /* Both calls, always: each has its side effect (a fence, a count). */
    bool rx_sig = ring_signal_needed(n->rx);
    bool tx_sig = ring_signal_needed(n->tx);
    return rx_sig || tx_sig;
}

void
vnet_irq_ack(struct vnet *n)
{
    n->stats.irqs++;
    if ((virtio_interrupt_ack(&n->dev) & VIRTIO_IRQ_CONFIG_CHANGE) != 0) {
        read_link(n);
    }
}

bool
vnet_sleep_prepare(struct vnet *n)
{
    bool rx_idle = ring_sleep_prepare(n->rx);
    bool tx_idle = ring_sleep_prepare(n->tx);
    return n->failed || (rx_idle && tx_idle);
}
