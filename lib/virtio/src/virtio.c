/*
 * lib/virtio: the virtio-mmio transport, versions 1 and 2 (see vallum/virtio.h).
 */
#include <vallum/virtio.h>

const char *
virtio_strerror(int status)
{
    switch (status) {
    case VIRTIO_OK:
        return "VIRTIO_OK";
    case VIRTIO_ENODEV:
        return "VIRTIO_ENODEV";
    case VIRTIO_EFEATURES:
        return "VIRTIO_EFEATURES";
    case VIRTIO_EQUEUE:
        return "VIRTIO_EQUEUE";
    case VIRTIO_EARGUMENT:
        return "VIRTIO_EARGUMENT";
    case VIRTIO_ENOSPC:
        return "VIRTIO_ENOSPC";
    case VIRTIO_EDEVICE:
        return "VIRTIO_EDEVICE";
    default:
        return "?";
    }
}

int
virtio_open(struct virtio_dev *d, const struct hw_window *regs, uint32_t device_id)
{
    if (regs->size < VIRTIO_MMIO_SIZE) {
        return VIRTIO_EARGUMENT;
    }
    struct hw_window w = *regs;
    if (hw_read32(&w, VIRTIO_MMIO_MAGIC) != VIRTIO_MMIO_MAGIC_VALUE) {
        return VIRTIO_ENODEV;
    }
    uint32_t version = hw_read32(&w, VIRTIO_MMIO_VERSION);
    if (version != 1 && version != 2) {
        return VIRTIO_ENODEV;
    }
    if (device_id == 0 || hw_read32(&w, VIRTIO_MMIO_DEVICE_ID) != device_id) {
        return VIRTIO_ENODEV;
    }
    *d = (struct virtio_dev){.regs = w, .version = version, .device_id = device_id};
    return VIRTIO_OK;
}

static uint32_t
status_get(struct virtio_dev *d)
{
    return hw_read32(&d->regs, VIRTIO_MMIO_STATUS);
}

/* Adds bits to the status register (a device may clear bits it refuses: FEATURES_OK). */
static void
status_add(struct virtio_dev *d, uint32_t bits)
{
    uint32_t s = status_get(d);
    hw_fence_io();
    hw_write32(&d->regs, VIRTIO_MMIO_STATUS, s | bits);
    hw_fence_io();
}

int
virtio_reset(struct virtio_dev *d)
{
    hw_write32(&d->regs, VIRTIO_MMIO_STATUS, 0);
    hw_fence_io();
    /* Version 2 asks the driver to wait until the status reads 0 (4.2.3.1.1); bounded, so
     * a device that never completes cannot hang the driver. */
    for (unsigned i = 0; i < VIRTIO_RESET_TRIES; i++) {
        if (status_get(d) == 0) {
            return VIRTIO_OK;
        }
    }
    return VIRTIO_EDEVICE;
}

static uint32_t
features_half(struct virtio_dev *d, uint32_t sel)
{
    hw_write32(&d->regs, VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
    hw_fence_io();
    return hw_read32(&d->regs, VIRTIO_MMIO_DEVICE_FEATURES);
}

static void
features_set_half(struct virtio_dev *d, uint32_t sel, uint32_t bits)
{
    hw_write32(&d->regs, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
    hw_fence_io();
    hw_write32(&d->regs, VIRTIO_MMIO_DRIVER_FEATURES, bits);
    hw_fence_io();
}

int
virtio_negotiate(struct virtio_dev *d, uint64_t wanted, uint64_t required)
{
    const uint64_t v1 = 1ull << VIRTIO_F_VERSION_1;
    d->features = 0;
    if (virtio_reset(d) != VIRTIO_OK) {
        return VIRTIO_EDEVICE;
    }
    status_add(d, VIRTIO_STATUS_ACKNOWLEDGE);
    status_add(d, VIRTIO_STATUS_DRIVER);
    if (d->version == 2) {
        /* Without VERSION_1 a version 2 device would be driven by legacy rules. */
        wanted |= v1, required |= v1;
    } else {
        /* A legacy device has 32 feature bits, and VERSION_1 would change its layout. */
        wanted &= UINT32_MAX, required &= UINT32_MAX;
    }
    uint64_t offered = features_half(d, 0);
    if (d->version == 2) {
        offered |= (uint64_t)features_half(d, 1) << 32;
    }
    uint64_t accepted = offered & wanted;
    if ((accepted & required) != required) {
        virtio_fail(d);
        return VIRTIO_EFEATURES;
    }
    features_set_half(d, 0, (uint32_t)accepted);
    if (d->version == 2) {
        features_set_half(d, 1, (uint32_t)(accepted >> 32));
        status_add(d, VIRTIO_STATUS_FEATURES_OK);
        if ((status_get(d) & VIRTIO_STATUS_FEATURES_OK) == 0) {
            virtio_fail(d); /* the device does not support this subset (3.1.1 step 6) */
            return VIRTIO_EFEATURES;
        }
    }
    d->features = accepted;
    return VIRTIO_OK;
}

int
virtio_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
    uint64_t room = d->regs.size - VIRTIO_MMIO_CONFIG;
    if (off > room || len > room - off) {
        return VIRTIO_EARGUMENT;
    }
    uint8_t *out = buf;
    for (unsigned tries = 0; tries < VIRTIO_CONFIG_TRIES; tries++) {
        uint32_t gen = 0;
        if (d->version == 2) {
            gen = hw_read32(&d->regs, VIRTIO_MMIO_CONFIG_GENERATION);
            hw_fence_io();
        }
        for (uint32_t i = 0; i < len; i++) {
            out[i] = hw_read8(&d->regs, VIRTIO_MMIO_CONFIG + off + i);
        }
        /* Legacy devices have no generation: a field wider than a byte may tear, which
         * their drivers accept (4.2.4); the fields read here (a MAC, a status) are stable. */
        if (d->version == 1) {
            return VIRTIO_OK;
        }
        hw_fence_io();
        if (hw_read32(&d->regs, VIRTIO_MMIO_CONFIG_GENERATION) == gen) {
            return VIRTIO_OK;
        }
    }
    return VIRTIO_EDEVICE;
}

void
virtio_driver_ok(struct virtio_dev *d)
{
    /* The queues' memory (zeroed, set up) must be visible before the device starts. */
    hw_fence_to_device();
    status_add(d, VIRTIO_STATUS_DRIVER_OK);
}

void
virtio_fail(struct virtio_dev *d)
{
    status_add(d, VIRTIO_STATUS_FAILED);
}

bool
virtio_needs_reset(struct virtio_dev *d)
{
    return (status_get(d) & VIRTIO_STATUS_NEEDS_RESET) != 0;
}

uint32_t
virtio_interrupt_ack(struct virtio_dev *d)
{
    uint32_t bits = hw_read32(&d->regs, VIRTIO_MMIO_INTERRUPT_STATUS);
    bits &= VIRTIO_IRQ_USED_BUFFER | VIRTIO_IRQ_CONFIG_CHANGE;
    if (bits != 0) {
        hw_fence_io();
        hw_write32(&d->regs, VIRTIO_MMIO_INTERRUPT_ACK, bits);
        hw_fence_io();
    }
    return bits;
}

/* Tells a version 1 device where the queue is: QueuePFN in pages of VIRTQ_LEGACY_ALIGN
 * (queue_memory_ok has checked that the page number fits). */
static void
queue_place_v1(struct virtio_dev *d, uint64_t addr)
{
    hw_write32(&d->regs, VIRTIO_MMIO_QUEUE_ALIGN, VIRTQ_LEGACY_ALIGN);
    hw_fence_io();
    hw_write32(&d->regs, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(addr / VIRTQ_LEGACY_ALIGN));
}

static void
write_addr(struct virtio_dev *d, uint64_t low_reg, uint64_t addr)
{
    hw_write32(&d->regs, low_reg, (uint32_t)addr);
    hw_write32(&d->regs, low_reg + 4, (uint32_t)(addr >> 32));
}

/* Tells a version 2 device where the three parts of the queue are, then makes it ready. */
static void
queue_place_v2(struct virtio_dev *d, uint64_t addr, uint16_t num)
{
    write_addr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, addr);
    write_addr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, addr + VIRTQ_DESC_BYTES(num));
    write_addr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, addr + VIRTQ_USED_OFFSET(num));
    hw_fence_io();
    hw_write32(&d->regs, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Whether the queue's memory is acceptable: inside dma, aligned (both addresses), and on
 * version 1 at a page number that is not 0 (which means "no queue") and fits 32 bits. */
static bool
queue_memory_ok(const struct virtio_dev *d, const struct hw_dma *dma, uint64_t offset, uint16_t num)
{
    if (offset > dma->size || VIRTQ_BYTES(num) > dma->size - offset) {
        return false;
    }
    if (offset % VIRTQ_LEGACY_ALIGN != 0 || dma->device_addr % VIRTQ_LEGACY_ALIGN != 0 ||
        dma->device_addr > UINT64_MAX - offset) {
        return false;
    }
    uint64_t pfn = (dma->device_addr + offset) / VIRTQ_LEGACY_ALIGN;
    if (d->version == 1 && (pfn == 0 || pfn > UINT32_MAX)) {
        return false;
    }
    return ((uintptr_t)dma->vaddr + offset) % 16 == 0; /* the descriptor table's alignment */
}

int
virtio_queue_setup(struct virtio_dev *d, struct virtq *q, uint16_t index, uint16_t num,
                   const struct hw_dma *dma, uint64_t offset)
{
    if (num == 0 || num > VIRTIO_QUEUE_MAX || (num & (num - 1)) != 0 ||
        !queue_memory_ok(d, dma, offset, num)) {
        return VIRTIO_EARGUMENT;
    }
    if (d->version == 1) {
        hw_write32(&d->regs, VIRTIO_MMIO_GUEST_PAGE_SIZE, VIRTQ_LEGACY_ALIGN);
    }
    hw_write32(&d->regs, VIRTIO_MMIO_QUEUE_SEL, index);
    hw_fence_io();
    uint32_t max = hw_read32(&d->regs, VIRTIO_MMIO_QUEUE_NUM_MAX);
    uint32_t in_use =
        hw_read32(&d->regs, d->version == 1 ? VIRTIO_MMIO_QUEUE_PFN : VIRTIO_MMIO_QUEUE_READY);
    if (max == 0 || in_use != 0) {
        return VIRTIO_EQUEUE;
    }
    if (num > max) {
        return VIRTIO_EARGUMENT;
    }
    uint8_t *base = dma->vaddr + offset;
    for (uint64_t i = 0; i < VIRTQ_BYTES(num); i++) {
        base[i] = 0; /* freestanding: no string.h in the target check build */
    }
    *q = (struct virtq){
        .dev = d,
        .dma = dma,
        .desc = (volatile struct virtq_desc *)base,
        .avail = (volatile struct virtq_avail *)(base + VIRTQ_DESC_BYTES(num)),
        .used = (volatile struct virtq_used *)(base + VIRTQ_USED_OFFSET(num)),
        .index = index,
        .num = num,
        .num_free = num,
    };
    for (uint16_t i = 0; i < num; i++) {
        q->next[i] = (uint16_t)(i + 1); /* the last one's link is never followed */
    }
    hw_fence_to_device(); /* the zeroed rings before the device learns where they are */
    hw_write32(&d->regs, VIRTIO_MMIO_QUEUE_NUM, num);
    uint64_t addr = dma->device_addr + offset;
    if (d->version == 1) {
        queue_place_v1(d, addr);
    } else {
        queue_place_v2(d, addr, num);
    }
    return VIRTIO_OK;
}
