/*
 * Host tests of the virtio-net driver's core (apps/virtio_net/vnet.c, ASan + UBSan) against
 * the simulated device of virtio_model.h, whose loopback returns every frame sent as a
 * frame received, for both transport versions. The test plays the client: the consumer of
 * the receive ring and the producer of the transmit ring, as apps/netecho is in QEMU.
 */
#include "../../../apps/virtio_net/vnet.h"

#include <stdio.h>

#define VLTEST_STRERROR virtio_strerror
#include "../vltest.h"
#include "virtio_model.h"

#define NBUFS 32
#define BUF 2048
#define QUEUES_OFF 0
#define RX_OFF (64 * 1024)
#define TX_OFF (RX_OFF + NBUFS * BUF)
#define MEM_SIZE (TX_OFF + NBUFS * BUF)
#define DEVICE_ADDR 0x80800000ull

static uint8_t mem_bytes[MEM_SIZE] __attribute__((aligned(4096)));
static struct hw_dma all = {mem_bytes, DEVICE_ADDR, MEM_SIZE};
static struct hw_dma queues = {mem_bytes + QUEUES_OFF, DEVICE_ADDR + QUEUES_OFF,
                               VNET_QUEUES_BYTES(VNET_MAX_BUFS)};
static struct hw_dma rx_mem = {mem_bytes + RX_OFF, DEVICE_ADDR + RX_OFF, NBUFS *BUF};
static struct hw_dma tx_mem = {mem_bytes + TX_OFF, DEVICE_ADDR + TX_OFF, NBUFS *BUF};
static uint8_t rx_queues[RING_QUEUES_SIZE(VNET_MAX_BUFS)] __attribute__((aligned(8)));
static uint8_t tx_queues[RING_QUEUES_SIZE(VNET_MAX_BUFS)] __attribute__((aligned(8)));
static uint64_t owned[4][RING_OWNED_WORDS(NBUFS)];
static struct model model;
static struct vnet nic;
static struct ring d_rx, d_tx, c_rx, c_tx; /* the driver's ends, the client's ends */
static struct hw_window regs;
static unsigned version;

/* The four ring ends over fresh memory, and a fresh device of the run's version. */
static bool
fresh(void)
{
    memset(mem_bytes, 0x5a, sizeof(mem_bytes));
    memset(rx_queues, 0, sizeof(rx_queues));
    memset(tx_queues, 0, sizeof(tx_queues));
    struct ring_config cfg = {.capacity = VNET_MAX_BUFS, .buf_size = BUF, .nbufs = NBUFS};
    cfg.queues = rx_queues, cfg.data = rx_mem.vaddr, cfg.owned = owned[0];
    EXPECT_EQ(ring_init(&d_rx, RING_PRODUCER, &cfg), RING_OK);
    cfg.owned = owned[1];
    EXPECT_EQ(ring_init(&c_rx, RING_CONSUMER, &cfg), RING_OK);
    cfg.queues = tx_queues, cfg.data = tx_mem.vaddr, cfg.owned = owned[2];
    EXPECT_EQ(ring_init(&d_tx, RING_CONSUMER, &cfg), RING_OK);
    cfg.owned = owned[3];
    EXPECT_EQ(ring_init(&c_tx, RING_PRODUCER, &cfg), RING_OK);
    ring_own_all(&d_rx);
    ring_own_all(&c_tx);
    hw_host_reset();
    uint64_t features = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
                        1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_MRG_RXBUF |
                        (version == 2 ? 1ull << VIRTIO_F_VERSION_1 : 0);
    model_init(&model, version, features, 256, &all);
    EXPECT(hw_host_attach("nic", &virtio_model_ops, &model, 4096));
    EXPECT(hw_window_open(&regs, "nic"));
    return true;
}

/* The loopback device finishes chains when they are kicked, at the end of vnet_service: a
 * second pass takes them (in QEMU, the interrupt brings it). Returns whether either pass
 * asked to signal the client. */
static bool
service(void)
{
    bool first = vnet_service(&nic);
    bool second = vnet_service(&nic);
    return first || second;
}

static bool
up(void)
{
    EXPECT(fresh());
    EXPECT_ERR(vnet_open(&nic, &regs, &queues, &rx_mem, &d_rx, &tx_mem, &d_tx), VIRTIO_OK);
    return true;
}

/* The client sends a frame of len bytes (pattern from seed) on the transmit ring. */
static bool
client_send(uint32_t len, unsigned seed)
{
    struct ring_desc d;
    int s = ring_dequeue(&c_tx, &d); /* a buffer the driver gave back */
    if (s == RING_EMPTY) {
        /* Fresh buffers: the client holds them all at the start. */
        for (uint32_t off = 0; off < NBUFS * BUF; off += BUF) {
            if (ring_holds(&c_tx, off)) {
                d.offset = off;
                s = RING_OK;
                break;
            }
        }
    }
    EXPECT_EQ(s, RING_OK);
    uint8_t *p = ring_buffer(&c_tx, (struct ring_desc){d.offset, BUF});
    EXPECT(p != NULL);
    for (uint32_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(seed * 31 + i);
    }
    EXPECT_EQ(ring_enqueue(&c_tx, (struct ring_desc){d.offset, len}), RING_OK);
    return true;
}

/* The client takes one frame from the receive ring, checks it and gives the buffer back. */
static bool
client_receive(uint32_t len, unsigned seed)
{
    struct ring_desc d;
    EXPECT_EQ(ring_dequeue(&c_rx, &d), RING_OK);
    EXPECT_EQ(d.length, len);
    const uint8_t *p = ring_buffer(&c_rx, d);
    EXPECT(p != NULL);
    for (uint32_t i = 0; i < len; i++) {
        if (p[i] != (uint8_t)(seed * 31 + i)) {
            return fail_with("frame %u byte %u", seed, i);
        }
    }
    EXPECT_EQ(ring_enqueue(&c_rx, (struct ring_desc){d.offset, 0}), RING_OK);
    return true;
}

static bool
test_open(void)
{
    EXPECT(up());
    EXPECT_EQ(nic.hdr_len, version == 2 ? VNET_HDR_V1 : VNET_HDR_LEGACY);
    EXPECT(memcmp(nic.mac, model.config, 6) == 0);
    EXPECT(nic.link_up);
    /* Only MAC and STATUS (and VERSION_1) accepted, though CSUM and MRG_RXBUF were offered. */
    uint64_t want = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
                    (version == 2 ? 1ull << VIRTIO_F_VERSION_1 : 0);
    EXPECT_EQ(model.driver_features, want);
    EXPECT(model.status & VIRTIO_STATUS_DRIVER_OK);
    EXPECT_EQ(nic.rxq.num_free, VNET_QSIZE - 2 * NBUFS); /* every receive buffer posted */
    EXPECT_EQ(model.notifies, 1);
    /* Passes with nothing to give the device ring no doorbell (each one is a trap to the
     * hypervisor on QEMU): only chains added since the last kick are worth one. */
    for (unsigned i = 0; i < 3; i++) {
        (void)vnet_service(&nic);
    }
    EXPECT_EQ(model.notifies, 1);
    EXPECT_EQ(nic.rxq.stats.notifies + nic.txq.stats.notifies, 1);
    EXPECT(!model.error);
    return true;
}

static bool
test_open_errors(void)
{
    EXPECT(fresh());
    struct hw_dma small = queues;
    small.size -= 1;
    EXPECT_ERR(vnet_open(&nic, &regs, &small, &rx_mem, &d_rx, &tx_mem, &d_tx), VNET_EREGION);
    struct hw_dma short_rx = rx_mem;
    short_rx.size -= BUF;
    EXPECT_ERR(vnet_open(&nic, &regs, &queues, &short_rx, &d_rx, &tx_mem, &d_tx), VNET_EREGION);
    EXPECT_ERR(vnet_open(&nic, &regs, &queues, &tx_mem, &d_rx, &tx_mem, &d_tx), VNET_EREGION);
    EXPECT_EQ(model.status, 0); /* the device untouched */
    model.device_id = VIRTIO_ID_BLOCK;
    EXPECT_ERR(vnet_open(&nic, &regs, &queues, &rx_mem, &d_rx, &tx_mem, &d_tx), VIRTIO_ENODEV);
    model.device_id = VIRTIO_ID_NET;
    model.q[VNET_TXQ].num_max = 0; /* no transmit queue */
    EXPECT_ERR(vnet_open(&nic, &regs, &queues, &rx_mem, &d_rx, &tx_mem, &d_tx), VIRTIO_EQUEUE);
    EXPECT(model.status & VIRTIO_STATUS_FAILED);
    EXPECT((model.status & VIRTIO_STATUS_DRIVER_OK) == 0);
    return true;
}

/* 500 frames of 14..1514 bytes out and back through the loopback, in batches of up to 8;
 * every byte checked; at the end every buffer is where it started. */
static bool
test_loopback(void)
{
    EXPECT(up());
    unsigned sent = 0, got = 0;
    while (got < 500) {
        unsigned batch = 1 + sent % 8;
        for (unsigned i = 0; i < batch && sent < 500; i++, sent++) {
            EXPECT(client_send(14 + (sent * 97) % 1501, sent));
        }
        vnet_irq_ack(&nic);
        EXPECT(!service()); /* the client never asked for a signal */
        for (; got < sent; got++) {
            EXPECT(client_receive(14 + (got * 97) % 1501, got));
        }
        (void)vnet_service(&nic); /* the buffers the client returned go back to the device */
    }
    EXPECT_EQ(nic.stats.rx_frames, 500);
    EXPECT_EQ(nic.stats.tx_frames, 500);
    EXPECT_EQ(nic.rxq.num_free, VNET_QSIZE - 2 * NBUFS);
    EXPECT_EQ(nic.txq.num_free, VNET_QSIZE);
    EXPECT(vnet_sleep_prepare(&nic));
    /* A client that sleeps on its receive ring is signalled when a frame comes. */
    EXPECT(ring_sleep_prepare(&c_rx));
    EXPECT(client_send(64, 7));
    EXPECT(service());
    ring_awake(&c_rx);
    EXPECT(client_receive(64, 7));
    EXPECT(!model.error);
    EXPECT_EQ(d_rx.stats.bad_desc + d_tx.stats.bad_desc + d_tx.stats.bad_owner, 0);
    return true;
}

/* A runt (shorter than an Ethernet header) never reaches the client; an empty frame is
 * given back unsent; a descriptor the client gets wrong is dropped and counted. */
static bool
test_bad_frames(void)
{
    EXPECT(up());
    EXPECT(client_send(5, 1));
    (void)service();
    EXPECT_EQ(nic.stats.rx_runts, 1);
    EXPECT_EQ(nic.rxq.num_free, VNET_QSIZE - 2 * NBUFS); /* reposted */
    struct ring_desc d;
    EXPECT_EQ(ring_dequeue(&c_rx, &d), RING_EMPTY);
    EXPECT(client_send(0, 2));
    (void)service();
    EXPECT_EQ(nic.stats.tx_empty, 1);
    EXPECT_EQ(model.frames, 1);
    /* A descriptor for a buffer the client does not hold, written by hand into the queue. */
    struct ring_queue *active = (struct ring_queue *)(tx_queues + RING_QUEUE_SIZE(VNET_MAX_BUFS));
    uint32_t tail = active->tail;
    active->desc[tail % VNET_MAX_BUFS] = (struct ring_desc){BUF * 3 + 1, 100};
    __atomic_store_n(&active->tail, tail + 1, __ATOMIC_RELEASE);
    c_tx.out_tail++; /* the client's handle must know its queue moved (a buggy client's) */
    (void)service();
    EXPECT_EQ(nic.stats.ring_drops, 1);
    EXPECT(client_send(60, 3)); /* traffic goes on */
    (void)service();
    EXPECT(client_receive(60, 3));
    EXPECT(!nic.failed);
    return true;
}

/* A device that breaks the used ring stops the driver, which marks the device FAILED. */
static bool
test_hostile_device(void)
{
    EXPECT(up());
    model.evil = EVIL_LEN_TOO_LONG;
    EXPECT(client_send(100, 1));
    (void)service();
    EXPECT(nic.failed);
    EXPECT(model.status & VIRTIO_STATUS_FAILED);
    EXPECT(!vnet_service(&nic));
    EXPECT(vnet_sleep_prepare(&nic));
    struct ring_desc d;
    EXPECT_EQ(ring_dequeue(&c_rx, &d), RING_EMPTY); /* nothing the device wrote passed on */
    /* A frame the client queued before the pass that finds the device broken stays on the
     * ring: the driver takes nothing it could never give back, and rings no doorbell. */
    EXPECT(up());
    model.evil = EVIL_LEN_TOO_LONG;
    EXPECT(client_send(100, 1));
    (void)vnet_service(&nic); /* sent; the device answers with a bad receive */
    EXPECT(!nic.failed);
    EXPECT(client_send(60, 2));
    uint64_t taken = d_tx.stats.dequeued;
    unsigned notifies = model.notifies;
    (void)vnet_service(&nic);
    EXPECT(nic.failed);
    EXPECT_EQ(d_tx.stats.dequeued, taken);
    EXPECT_EQ(model.notifies, notifies);
    EXPECT_EQ(nic.stats.tx_frames, 1);
    return true;
}

/* A configuration change re-reads the link state. */
static bool
test_link_change(void)
{
    EXPECT(up());
    model.config[6] = 0;
    model.irq |= VIRTIO_IRQ_CONFIG_CHANGE;
    vnet_irq_ack(&nic);
    EXPECT(!nic.link_up);
    EXPECT_EQ(model.irq, 0);
    model.config[6] = VIRTIO_NET_S_LINK_UP;
    vnet_irq_ack(&nic); /* no change signalled: not re-read */
    EXPECT(!nic.link_up);
    model.irq |= VIRTIO_IRQ_CONFIG_CHANGE;
    vnet_irq_ack(&nic);
    EXPECT(nic.link_up);
    EXPECT_EQ(nic.stats.irqs, 3);
    return true;
}

int
main(void)
{
    for (version = 1; version <= 2; version++) {
        char name[64];
#define RUN(n, f)                                                                                  \
    snprintf(name, sizeof(name), "vnet/v%u/%s", version, n);                                       \
    run(name, f)
        RUN("open", test_open);
        RUN("open_errors", test_open_errors);
        RUN("loopback", test_loopback);
        RUN("bad_frames", test_bad_frames);
        RUN("hostile_device", test_hostile_device);
        RUN("link_change", test_link_change);
    }
    return g_failed == 0 ? 0 : 1;
}
