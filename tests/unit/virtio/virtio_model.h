/*
 * A simulated virtio-mmio device for host tests of lib/virtio (and of drivers written on it):
 * version 1 (legacy) or 2, two queues, a config space of 8 bytes (a MAC and a status, like
 * virtio-net's), and a loopback: every chain the driver makes available on queue 1 (transmit,
 * device-readable buffers) is copied into the next chain available on queue 0 (receive,
 * device-writable buffers) and both are put in the used rings, with an interrupt.
 *
 * With device_id VIRTIO_ID_RNG it is an entropy device instead: every chain available on
 * queue 0 gets its writable bytes filled from a counter (at most rng_limit of them), unless
 * rng_hold keeps it waiting.
 *
 * The model is the test's, trusted: it checks every address the driver gives it against
 * the DMA region and records a driver error (model_error) instead of touching memory
 * outside. Knobs make it misbehave the ways lib/virtio must survive (enum model_evil).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <vallum/hw.h>
#include <vallum/virtio_mmio.h>

enum model_evil {
    EVIL_NONE,
    EVIL_USED_IDX_JUMP,   /* the used index runs ahead of what was published */
    EVIL_BAD_ID,          /* a used id past the queue */
    EVIL_ID_NOT_HEAD,     /* a used id that is not a chain's head */
    EVIL_LEN_TOO_LONG,    /* a used length past the chain's writable bytes */
    EVIL_ID_TWICE,        /* the same chain returned twice */
    EVIL_REFUSE_FEATURES, /* FEATURES_OK does not stick */
    EVIL_RESET_STUCK,     /* the status never reads 0 after a reset */
    EVIL_GENERATION,      /* ConfigGeneration changes on every read */
};

#define MODEL_QUEUES 2
#define MODEL_RX 0
#define MODEL_TX 1

struct model_queue {
    uint32_t num, num_max, ready, pfn, align;
    uint64_t desc, driver, device; /* device addresses */
    uint16_t last_avail;           /* next available entry the device reads */
    uint16_t used_idx;             /* the device's used index */
};

struct model {
    uint32_t version, device_id;
    uint64_t features;        /* offered */
    uint64_t driver_features; /* accepted */
    uint32_t dev_sel, drv_sel, queue_sel, page_size, status, irq;
    uint8_t config[8];
    uint32_t generation;
    struct model_queue q[MODEL_QUEUES];
    const struct hw_dma *mem; /* where device addresses point */
    enum model_evil evil;
    unsigned notifies, frames;
    uint32_t rng_limit; /* entropy device: most bytes per answer (0: empty answers) */
    bool rng_hold;      /* entropy device: answer nothing until cleared and model_run */
    uint8_t rng_next;   /* entropy device: the next byte it gives */
    bool error;         /* the driver gave the device something bad */
    char why[128];
};

static void
model_error(struct model *m, const char *why)
{
    if (!m->error) {
        m->error = true;
        snprintf(m->why, sizeof(m->why), "%s", why);
    }
}

/* The driver's pointer for device address a and len bytes, or NULL (recorded). */
static uint8_t *
model_ptr(struct model *m, uint64_t a, uint64_t len)
{
    if (a < m->mem->device_addr || a - m->mem->device_addr > m->mem->size ||
        len > m->mem->size - (a - m->mem->device_addr)) {
        model_error(m, "device address outside the DMA region");
        return NULL;
    }
    return m->mem->vaddr + (a - m->mem->device_addr);
}

/* The three parts' device addresses, by version. */
static bool
model_queue_addrs(struct model *m, struct model_queue *q, uint64_t *desc, uint64_t *avail,
                  uint64_t *used)
{
    if (m->version == 1) {
        if (q->pfn == 0) {
            return false;
        }
        *desc = (uint64_t)q->pfn * m->page_size;
        *avail = *desc + VIRTQ_DESC_BYTES(q->num);
        *used = (*avail + VIRTQ_AVAIL_BYTES(q->num) + q->align - 1) & ~(uint64_t)(q->align - 1);
    } else {
        if (!q->ready) {
            return false;
        }
        *desc = q->desc, *avail = q->driver, *used = q->device;
    }
    return true;
}

struct model_ring {
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint32_t num;
};

static bool
model_ring(struct model *m, unsigned qi, struct model_ring *r)
{
    struct model_queue *q = &m->q[qi];
    uint64_t d, a, u;
    if ((m->status & VIRTIO_STATUS_DRIVER_OK) == 0 || !model_queue_addrs(m, q, &d, &a, &u)) {
        return false;
    }
    r->num = q->num;
    r->desc = (struct virtq_desc *)model_ptr(m, d, VIRTQ_DESC_BYTES(q->num));
    r->avail = (struct virtq_avail *)model_ptr(m, a, VIRTQ_AVAIL_BYTES(q->num));
    r->used = (struct virtq_used *)model_ptr(m, u, VIRTQ_USED_BYTES(q->num));
    return r->desc != NULL && r->avail != NULL && r->used != NULL;
}

/* Walks the chain at head: copies its readable bytes into out (up to cap; total in *got)
 * or, with in != NULL, writes in_len bytes of in into its writable buffers (*got written). */
static bool
model_chain(struct model *m, struct model_ring *r, uint16_t head, uint8_t *out, uint32_t cap,
            const uint8_t *in, uint32_t in_len, uint32_t *got)
{
    uint16_t d = head;
    *got = 0;
    for (unsigned steps = 0; steps < r->num; steps++) {
        if (d >= r->num) {
            model_error(m, "descriptor index past the queue");
            return false;
        }
        struct virtq_desc desc = r->desc[d];
        uint8_t *p = model_ptr(m, desc.addr, desc.len);
        if (p == NULL) {
            return false;
        }
        bool writes = (desc.flags & VIRTQ_DESC_F_WRITE) != 0;
        if (out != NULL && !writes) {
            uint32_t n = desc.len < cap - *got ? desc.len : cap - *got;
            memcpy(out + *got, p, n);
            *got += n;
        }
        if (in != NULL && writes) {
            uint32_t n = desc.len < in_len - *got ? desc.len : in_len - *got;
            memcpy(p, in + *got, n);
            *got += n;
        }
        if ((desc.flags & VIRTQ_DESC_F_NEXT) == 0) {
            return true;
        }
        d = desc.next;
    }
    model_error(m, "a chain loops");
    return false;
}

static void
model_push_used(struct model *m, unsigned qi, struct model_ring *r, uint32_t id, uint32_t len)
{
    struct model_queue *q = &m->q[qi];
    r->used->ring[q->used_idx % r->num] = (struct virtq_used_elem){id, len};
    q->used_idx++;
    __atomic_store_n(&r->used->idx, q->used_idx, __ATOMIC_RELEASE);
    if ((r->avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT) == 0) {
        m->irq |= VIRTIO_IRQ_USED_BUFFER;
    }
}

/* Applies the knob to one used entry the honest device would write. */
static void
model_evil_used(struct model *m, unsigned qi, struct model_ring *r, uint32_t id, uint32_t len)
{
    switch (m->evil) {
    case EVIL_USED_IDX_JUMP:
        m->q[qi].used_idx += 5;
        break;
    case EVIL_BAD_ID:
        id = r->num + 3;
        break;
    case EVIL_ID_NOT_HEAD:
        id = (id + 2) % r->num; /* the tests post two single-buffer chains */
        break;
    case EVIL_LEN_TOO_LONG:
        len = 100000;
        break;
    case EVIL_ID_TWICE:
        model_push_used(m, qi, r, id, len);
        break;
    default:
        break;
    }
    model_push_used(m, qi, r, id, len);
}

/* The entropy device: answers every chain available on queue 0. */
static void
model_run_rng(struct model *m)
{
    struct model_ring r;
    if (m->rng_hold || !model_ring(m, 0, &r)) {
        return;
    }
    struct model_queue *q = &m->q[0];
    while (q->last_avail != __atomic_load_n(&r.avail->idx, __ATOMIC_ACQUIRE)) {
        uint16_t h = r.avail->ring[q->last_avail % r.num];
        uint8_t bytes[4096];
        uint32_t n = m->rng_limit < sizeof(bytes) ? m->rng_limit : sizeof(bytes), put;
        for (uint32_t i = 0; i < n; i++) {
            bytes[i] = (uint8_t)(m->rng_next + i);
        }
        if (!model_chain(m, &r, h, NULL, 0, bytes, n, &put)) {
            return;
        }
        m->rng_next = (uint8_t)(m->rng_next + put); /* the bytes given, not those offered */
        q->last_avail++;
        model_evil_used(m, 0, &r, h, put);
    }
}

/* The loopback: pairs transmit chains with receive chains while both are available. */
static void
model_run(struct model *m)
{
    struct model_ring rx, tx;
    if (m->device_id == VIRTIO_ID_RNG) {
        model_run_rng(m);
        return;
    }
    if (!model_ring(m, MODEL_RX, &rx) || !model_ring(m, MODEL_TX, &tx)) {
        return;
    }
    struct model_queue *qr = &m->q[MODEL_RX], *qt = &m->q[MODEL_TX];
    while (qt->last_avail != __atomic_load_n(&tx.avail->idx, __ATOMIC_ACQUIRE) &&
           qr->last_avail != __atomic_load_n(&rx.avail->idx, __ATOMIC_ACQUIRE)) {
        uint16_t th = tx.avail->ring[qt->last_avail % tx.num];
        uint16_t rh = rx.avail->ring[qr->last_avail % rx.num];
        uint8_t frame[65536];
        uint32_t got, put;
        if (!model_chain(m, &tx, th, frame, sizeof(frame), NULL, 0, &got) ||
            !model_chain(m, &rx, rh, NULL, 0, frame, got, &put)) {
            return;
        }
        qt->last_avail++, qr->last_avail++;
        m->frames++;
        model_push_used(m, MODEL_TX, &tx, th, 0);
        model_evil_used(m, MODEL_RX, &rx, rh, put);
    }
}

static uint64_t
model_read(void *ctx, uint64_t off, unsigned width)
{
    struct model *m = ctx;
    struct model_queue *q = &m->q[m->queue_sel < MODEL_QUEUES ? m->queue_sel : 0];
    bool queue_ok = m->queue_sel < MODEL_QUEUES;
    if (off >= VIRTIO_MMIO_CONFIG) {
        uint64_t o = off - VIRTIO_MMIO_CONFIG, v = 0;
        for (unsigned i = 0; i < width && o + i < sizeof(m->config); i++) {
            v |= (uint64_t)m->config[o + i] << (8 * i);
        }
        return v;
    }
    switch (off) {
    case VIRTIO_MMIO_MAGIC:
        return VIRTIO_MMIO_MAGIC_VALUE;
    case VIRTIO_MMIO_VERSION:
        return m->version;
    case VIRTIO_MMIO_DEVICE_ID:
        return m->device_id;
    case VIRTIO_MMIO_VENDOR_ID:
        return 0x554d4551; /* "QEMU" */
    case VIRTIO_MMIO_DEVICE_FEATURES:
        return m->dev_sel == 0                      ? (uint32_t)m->features
               : m->dev_sel == 1 && m->version == 2 ? m->features >> 32
                                                    : 0;
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return queue_ok ? q->num_max : 0;
    case VIRTIO_MMIO_QUEUE_PFN:
        return queue_ok ? q->pfn : 0;
    case VIRTIO_MMIO_QUEUE_READY:
        return queue_ok ? q->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        return m->irq;
    case VIRTIO_MMIO_STATUS:
        return m->evil == EVIL_RESET_STUCK ? m->status | VIRTIO_STATUS_ACKNOWLEDGE : m->status;
    case VIRTIO_MMIO_CONFIG_GENERATION:
        return m->evil == EVIL_GENERATION ? m->generation++ : m->generation;
    default:
        return 0;
    }
}

static void
model_reset(struct model *m)
{
    m->status = 0, m->irq = 0, m->driver_features = 0;
    for (unsigned i = 0; i < MODEL_QUEUES; i++) {
        uint32_t max = m->q[i].num_max;
        m->q[i] = (struct model_queue){.num_max = max};
    }
}

static void
model_write_queue(struct model *m, uint64_t off, uint32_t v)
{
    if (m->queue_sel >= MODEL_QUEUES) {
        return;
    }
    struct model_queue *q = &m->q[m->queue_sel];
    switch (off) {
    case VIRTIO_MMIO_QUEUE_NUM:
        q->num = v;
        break;
    case VIRTIO_MMIO_QUEUE_ALIGN:
        q->align = v;
        break;
    case VIRTIO_MMIO_QUEUE_PFN:
        q->pfn = v;
        break;
    case VIRTIO_MMIO_QUEUE_READY:
        q->ready = v;
        break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
        q->desc = (q->desc & ~0xffffffffull) | v;
        break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        q->desc = (q->desc & 0xffffffffull) | (uint64_t)v << 32;
        break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
        q->driver = (q->driver & ~0xffffffffull) | v;
        break;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        q->driver = (q->driver & 0xffffffffull) | (uint64_t)v << 32;
        break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
        q->device = (q->device & ~0xffffffffull) | v;
        break;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        q->device = (q->device & 0xffffffffull) | (uint64_t)v << 32;
        break;
    default:
        break;
    }
}

static void
model_write(void *ctx, uint64_t off, unsigned width, uint64_t value)
{
    struct model *m = ctx;
    uint32_t v = (uint32_t)value;
    (void)width;
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        m->dev_sel = v;
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        m->drv_sel = v;
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (m->drv_sel < 2) {
            unsigned sh = 32 * m->drv_sel;
            m->driver_features = (m->driver_features & ~(0xffffffffull << sh)) | (uint64_t)v << sh;
        }
        break;
    case VIRTIO_MMIO_GUEST_PAGE_SIZE:
        m->page_size = v;
        break;
    case VIRTIO_MMIO_QUEUE_SEL:
        m->queue_sel = v;
        break;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        m->notifies++;
        model_run(m);
        break;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        m->irq &= ~v;
        break;
    case VIRTIO_MMIO_STATUS:
        if (v == 0) {
            model_reset(m);
            break;
        }
        if ((v & VIRTIO_STATUS_FEATURES_OK) != 0 &&
            (m->evil == EVIL_REFUSE_FEATURES || (m->driver_features & ~m->features) != 0)) {
            v &= ~VIRTIO_STATUS_FEATURES_OK; /* a subset the device does not support */
        }
        m->status = v;
        break;
    default:
        model_write_queue(m, off, v);
        break;
    }
}

static const struct hw_model virtio_model_ops = {model_read, model_write};

/* A model of version `version` offering `features`, its queues of at most num_max entries,
 * device addresses in *mem. */
static void
model_init(struct model *m, uint32_t version, uint64_t features, uint32_t num_max,
           const struct hw_dma *mem)
{
    *m = (struct model){.version = version,
                        .device_id = VIRTIO_ID_NET,
                        .features = features,
                        .mem = mem,
                        .page_size = 0};
    for (unsigned i = 0; i < MODEL_QUEUES; i++) {
        m->q[i].num_max = num_max;
    }
    const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    memcpy(m->config, mac, 6);
    m->config[6] = 1; /* link up */
}
