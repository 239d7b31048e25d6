/*
 * virtio_net: the virtio-net driver component (docs/virtio.md), one instance per NIC. It
 * holds only the NIC's register page and interrupt, its queues (a dma region), the receive
 * buffers (a dma region it writes and its client reads) and read-only the client's transmit
 * buffers (a dma region); the driver's core is vnet.c.
 *
 * Description (systems/net): device region `nic`, interrupt on channel CH_IRQ, dma regions
 * `nic_queues`, `rx_data` and `tx_data` mapped with `paddr: true`, ring queues `rx_queues`
 * and `tx_queues`, and a notify channel CH_CLIENT to the client. Config `bufs` and
 * `buf_size` give the rings' shape (the client's must match).
 */
#include <stdio.h>
#include <vallum/hw.h>
#include <vallum/os.h>
#include <vallum/ring.h>

#include "vnet.h"

#define CH_CLIENT 0
#define CH_IRQ 1
#define RING_CAPACITY VNET_MAX_BUFS

static struct vnet nic;
static struct ring rx, tx;
static uint64_t rx_owned[RING_OWNED_WORDS(VNET_MAX_BUFS)];
static uint64_t tx_owned[RING_OWNED_WORDS(VNET_MAX_BUFS)];
static bool running;

static int64_t
config_or(const char *name, int64_t fallback)
{
    int64_t v;
    return vl_os_config_int(name, &v) == VL_OS_OK ? v : fallback;
}

/* Every FRAME_REPORT frames received, the instructions the driver has run in work()
 * (rdinstret; meaningful under QEMU's -icount only: docs/virtio.md, "Measured"). */
#define FRAME_REPORT 256
static uint64_t busy, reported;

static uint64_t
instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

static void work_nic(void);

static void
work(void)
{
    uint64_t t0 = instret();
    work_nic();
    busy += instret() - t0;
    if (nic.stats.rx_frames / FRAME_REPORT != reported) {
        reported = nic.stats.rx_frames / FRAME_REPORT;
        printf("virtio_net: %lu frames received, %lu sent, %lu interrupts, %lu instructions "
               "in the driver\n",
               (unsigned long)nic.stats.rx_frames, (unsigned long)nic.stats.tx_frames,
               (unsigned long)nic.stats.irqs, (unsigned long)busy);
    }
}

/* Services the NIC until both rings are idle, signalling the client when it asked. */
static void
work_nic(void)
{
    for (unsigned pass = 0; pass < 64; pass++) {
        if (vnet_service(&nic)) {
            vl_os_notify(CH_CLIENT);
        }
        if (vnet_sleep_prepare(&nic)) {
            break;
        }
    }
    if (nic.failed) {
        printf("virtio_net: the device broke the virtqueue protocol; stopped\n");
        running = false;
    }
}

void
init(void)
{
    struct hw_window regs;
    struct hw_dma queues, rx_mem, tx_mem;
    uint32_t nbufs = (uint32_t)config_or("bufs", 64), size = (uint32_t)config_or("buf_size", 2048);
    struct ring_config rx_shape = {
        .capacity = RING_CAPACITY, .buf_size = size, .nbufs = nbufs, .owned = rx_owned};
    struct ring_config tx_shape = rx_shape;
    tx_shape.owned = tx_owned;
    if (!hw_window_open(&regs, "nic") || !hw_dma_open(&queues, "nic_queues") ||
        !hw_dma_open(&rx_mem, "rx_data") || !hw_dma_open(&tx_mem, "tx_data")) {
        printf("virtio_net: a region is missing (nic, nic_queues, rx_data, tx_data)\n");
        return;
    }
    int s = vl_os_ring_open(&rx, RING_PRODUCER, "rx_queues", "rx_data", rx_shape);
    if (s == VL_OS_OK) {
        s = vl_os_ring_open(&tx, RING_CONSUMER, "tx_queues", "tx_data", tx_shape);
    }
    if (s != VL_OS_OK) {
        printf("virtio_net: rings: %s\n", vl_os_status_name(s));
        return;
    }
    ring_own_all(&rx); /* every receive buffer starts with the driver (then the device) */
    int err = vnet_open(&nic, &regs, &queues, &rx_mem, &rx, &tx_mem, &tx);
    if (err != VIRTIO_OK) {
        printf("virtio_net: no NIC: %s\n",
               err == VNET_EREGION ? "regions and rings do not fit" : virtio_strerror(err));
        return;
    }
    const uint8_t *m = nic.mac;
    printf("virtio_net: virtio-mmio version %u, MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s, "
           "%u receive buffers of %u bytes\n",
           (unsigned)nic.dev.version, m[0], m[1], m[2], m[3], m[4], m[5],
           nic.link_up ? "up" : "down", (unsigned)nbufs, (unsigned)size);
    running = true;
    work();
}

void
notified(unsigned id)
{
    if (!running) {
        return;
    }
    if (id == CH_IRQ) {
        vnet_irq_ack(&nic);
        work();
        (void)vl_os_irq_ack(CH_IRQ);
    } else if (id == CH_CLIENT) {
        work();
    }
}
