/*
 * Host tests of lib/virtio (ASan + UBSan), each run against a simulated device of both
 * transport versions (virtio_model.h): probing, feature negotiation, configuration reads,
 * queue set-up and its errors, frames through the model's loopback, interrupts, every
 * error of virtq_add (nothing changed after it), and a device breaking the used ring each
 * way it can (the queue refuses to go on; a reset and a new set-up recover).
 */
#include <vallum/virtio.h>

#include <stdio.h>

#define VLTEST_STRERROR virtio_strerror
#include "../vltest.h"
#include "virtio_model.h"

#define MEM_SIZE (64 * 1024)
#define MEM_DEVICE_ADDR 0x80400000ull
#define QSIZE 16
#define Q_RX_OFF 0
#define Q_TX_OFF 8192
#define BUF_OFF 16384
#define BUF_SIZE 2048

static uint8_t mem_bytes[MEM_SIZE] __attribute__((aligned(4096)));
static struct hw_dma mem = {mem_bytes, MEM_DEVICE_ADDR, MEM_SIZE};
static struct model model;
static unsigned version; /* of the run in progress: 1 or 2 */

#define NET_FEATURE_MAC 5 /* VIRTIO_NET_F_MAC, for the model's offer */
#define NET_FEATURE_STATUS 16

static uint64_t
offered(void)
{
    return 1ull << NET_FEATURE_MAC | 1ull << NET_FEATURE_STATUS | 1ull << VIRTIO_F_RING_EVENT_IDX |
           (version == 2 ? 1ull << VIRTIO_F_VERSION_1 : 0);
}

/* A fresh model in window "net", opened into *d. */
static bool
fresh(struct virtio_dev *d)
{
    struct hw_window w;
    memset(mem_bytes, 0xa5, sizeof(mem_bytes));
    hw_host_reset();
    model_init(&model, version, offered(), 64, &mem);
    EXPECT(hw_host_attach("net", &virtio_model_ops, &model, 4096));
    EXPECT(hw_window_open(&w, "net"));
    EXPECT_ERR(virtio_open(d, &w, VIRTIO_ID_NET), VIRTIO_OK);
    return true;
}

/* A device negotiated with its two queues set up and DRIVER_OK. */
static bool
ready(struct virtio_dev *d, struct virtq *rx, struct virtq *tx)
{
    EXPECT(fresh(d));
    EXPECT_ERR(virtio_negotiate(d, 1ull << NET_FEATURE_MAC, 0), VIRTIO_OK);
    EXPECT_ERR(virtio_queue_setup(d, rx, MODEL_RX, QSIZE, &mem, Q_RX_OFF), VIRTIO_OK);
    EXPECT_ERR(virtio_queue_setup(d, tx, MODEL_TX, QSIZE, &mem, Q_TX_OFF), VIRTIO_OK);
    virtio_driver_ok(d);
    EXPECT(model.status & VIRTIO_STATUS_DRIVER_OK);
    return true;
}

static uint8_t *
buf(unsigned i)
{
    return mem_bytes + BUF_OFF + i * BUF_SIZE;
}

static bool
test_open(void)
{
    struct virtio_dev d = {.version = 77};
    struct hw_window w;
    EXPECT(fresh(&d));
    EXPECT_EQ(d.version, version);
    EXPECT_EQ(d.device_id, VIRTIO_ID_NET);
    EXPECT(hw_window_open(&w, "net"));
    struct virtio_dev other = {.version = 77};
    EXPECT_ERR(virtio_open(&other, &w, VIRTIO_ID_BLOCK), VIRTIO_ENODEV);
    EXPECT_ERR(virtio_open(&other, &w, 0), VIRTIO_ENODEV);
    model.device_id = 0; /* an empty slot */
    EXPECT_ERR(virtio_open(&other, &w, VIRTIO_ID_NET), VIRTIO_ENODEV);
    model.device_id = VIRTIO_ID_NET;
    model.version = 3;
    EXPECT_ERR(virtio_open(&other, &w, VIRTIO_ID_NET), VIRTIO_ENODEV);
    model.version = version;
    w.size = VIRTIO_MMIO_SIZE - 1;
    EXPECT_ERR(virtio_open(&other, &w, VIRTIO_ID_NET), VIRTIO_EARGUMENT);
    EXPECT_EQ(other.version, 77); /* untouched by every failure */
    model.device_id = 0;
    EXPECT_EQ(d.regs.bad_accesses, 0);
    return true;
}

static bool
test_negotiate(void)
{
    struct virtio_dev d;
    EXPECT(fresh(&d));
    uint64_t wanted = 1ull << NET_FEATURE_MAC | 1ull << 40 | 1ull << 3;
    EXPECT_ERR(virtio_negotiate(&d, wanted, 1ull << NET_FEATURE_MAC), VIRTIO_OK);
    uint64_t want = 1ull << NET_FEATURE_MAC | (version == 2 ? 1ull << VIRTIO_F_VERSION_1 : 0);
    EXPECT_EQ(d.features, want);
    EXPECT_EQ(model.driver_features, want);
    EXPECT(virtio_has_feature(&d, NET_FEATURE_MAC));
    EXPECT(!virtio_has_feature(&d, NET_FEATURE_STATUS));
    EXPECT(!virtio_has_feature(&d, 64));
    uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                  (version == 2 ? VIRTIO_STATUS_FEATURES_OK : 0);
    EXPECT_EQ(model.status, st);
    /* A required feature not offered: FAILED, nothing accepted. */
    EXPECT_ERR(virtio_negotiate(&d, wanted, 1ull << 3), VIRTIO_EFEATURES);
    EXPECT_EQ(d.features, 0);
    EXPECT(model.status & VIRTIO_STATUS_FAILED);
    /* VERSION_1 never goes to a legacy device, and is required of a version 2 one. */
    EXPECT_ERR(virtio_negotiate(&d, 1ull << VIRTIO_F_VERSION_1, 0), VIRTIO_OK);
    EXPECT_EQ(d.features, version == 2 ? 1ull << VIRTIO_F_VERSION_1 : 0);
    if (version == 2) {
        model.features &= ~(1ull << VIRTIO_F_VERSION_1);
        EXPECT_ERR(virtio_negotiate(&d, 0, 0), VIRTIO_EFEATURES);
        model.features = offered();
        model.evil = EVIL_REFUSE_FEATURES;
        EXPECT_ERR(virtio_negotiate(&d, wanted, 0), VIRTIO_EFEATURES);
        EXPECT(model.status & VIRTIO_STATUS_FAILED);
    }
    model.evil = EVIL_RESET_STUCK;
    EXPECT_ERR(virtio_negotiate(&d, wanted, 0), VIRTIO_EDEVICE);
    model.evil = EVIL_NONE;
    EXPECT_ERR(virtio_reset(&d), VIRTIO_OK);
    EXPECT_EQ(model.status, 0);
    return true;
}

static bool
test_config(void)
{
    struct virtio_dev d;
    uint8_t mac[6] = {0}, all[VIRTIO_MMIO_SIZE];
    EXPECT(fresh(&d));
    EXPECT_ERR(virtio_config_read(&d, 0, mac, 6), VIRTIO_OK);
    EXPECT(memcmp(mac, model.config, 6) == 0);
    EXPECT_ERR(virtio_config_read(&d, 4096 - VIRTIO_MMIO_CONFIG, mac, 0), VIRTIO_OK);
    EXPECT_ERR(virtio_config_read(&d, 4096 - VIRTIO_MMIO_CONFIG - 1, mac, 2), VIRTIO_EARGUMENT);
    EXPECT_ERR(virtio_config_read(&d, 4096, mac, 1), VIRTIO_EARGUMENT);
    EXPECT_ERR(virtio_config_read(&d, 8, all, UINT32_MAX), VIRTIO_EARGUMENT);
    EXPECT_EQ(d.regs.bad_accesses, 0);
    model.evil = EVIL_GENERATION;
    EXPECT_ERR(virtio_config_read(&d, 0, mac, 6), version == 2 ? VIRTIO_EDEVICE : VIRTIO_OK);
    return true;
}

static bool
test_queue_setup(void)
{
    struct virtio_dev d;
    struct virtq q;
    EXPECT(fresh(&d));
    EXPECT_ERR(virtio_negotiate(&d, 0, 0), VIRTIO_OK);
    EXPECT_ERR(virtio_queue_setup(&d, &q, 0, 0, &mem, 0), VIRTIO_EARGUMENT);
    EXPECT_ERR(virtio_queue_setup(&d, &q, 0, 12, &mem, 0), VIRTIO_EARGUMENT);
    EXPECT_ERR(virtio_queue_setup(&d, &q, 0, 128, &mem, 0), VIRTIO_EARGUMENT); /* max 64 */
    EXPECT_ERR(virtio_queue_setup(&d, &q, 0, 512, &mem, 0), VIRTIO_EARGUMENT);
    EXPECT_ERR(virtio_queue_setup(&d, &q, 0, 16, &mem, 100), VIRTIO_EARGUMENT);
    EXPECT_ERR(virtio_queue_setup(&d, &q, 0, 16, &mem, MEM_SIZE - 4096), VIRTIO_EARGUMENT);
    EXPECT_ERR(virtio_queue_setup(&d, &q, 0, 16, &mem, UINT64_MAX - 4095), VIRTIO_EARGUMENT);
    struct hw_dma odd = {mem_bytes, MEM_DEVICE_ADDR + 8, MEM_SIZE};
    EXPECT_ERR(virtio_queue_setup(&d, &q, 0, 16, &odd, 0), VIRTIO_EARGUMENT);
    struct hw_dma zero = {mem_bytes, 0, MEM_SIZE}; /* page 0 means "no queue" to v1 */
    EXPECT_ERR(virtio_queue_setup(&d, &q, 0, 16, &zero, 0),
               version == 1 ? VIRTIO_EARGUMENT : VIRTIO_OK);
    struct hw_dma high = {mem_bytes, 1ull << 44, MEM_SIZE}; /* past a 32-bit page number */
    EXPECT_ERR(virtio_queue_setup(&d, &q, 1, 16, &high, 0),
               version == 1 ? VIRTIO_EARGUMENT : VIRTIO_OK);
    EXPECT_ERR(virtio_queue_setup(&d, &q, 5, 16, &mem, 0), VIRTIO_EQUEUE); /* no queue 5 */
    EXPECT(fresh(&d));
    EXPECT_ERR(virtio_negotiate(&d, 0, 0), VIRTIO_OK);
    EXPECT_EQ(model.q[0].num, 0); /* nothing reached the device */
    EXPECT_ERR(virtio_queue_setup(&d, &q, 0, 16, &mem, 4096), VIRTIO_OK);
    EXPECT_EQ(model.q[0].num, 16);
    if (version == 1) {
        EXPECT_EQ(model.page_size, 4096);
        EXPECT_EQ(model.q[0].align, 4096);
        EXPECT_EQ(model.q[0].pfn, (MEM_DEVICE_ADDR + 4096) / 4096);
    } else {
        EXPECT_EQ(model.q[0].desc, MEM_DEVICE_ADDR + 4096);
        EXPECT_EQ(model.q[0].driver, MEM_DEVICE_ADDR + 4096 + 16 * 16);
        EXPECT_EQ(model.q[0].device, MEM_DEVICE_ADDR + 8192);
        EXPECT_EQ(model.q[0].ready, 1);
    }
    EXPECT_EQ(mem_bytes[4096], 0); /* the rings zeroed */
    EXPECT_EQ(mem_bytes[8192 + VIRTQ_USED_BYTES(16) - 1], 0);
    EXPECT_ERR(virtio_queue_setup(&d, &q, 0, 16, &mem, 4096), VIRTIO_EQUEUE); /* in use */
    EXPECT_EQ(q.num_free, 16);
    EXPECT_EQ(d.regs.bad_accesses, 0);
    return true;
}

/* Adds receive buffer i (one device-writable buffer) and remembers it by its head. */
static bool
post_rx(struct virtq *rx, unsigned i, uint8_t **by_head)
{
    struct virtq_buf b = {&mem, buf(i), BUF_SIZE, true};
    uint16_t head;
    EXPECT_ERR(virtq_add(rx, &b, 1, &head), VIRTIO_OK);
    EXPECT(head < QSIZE && by_head[head] == NULL);
    by_head[head] = buf(i);
    return true;
}

/* Sends 200 frames of varied lengths through the loopback, each as a chain of a 10-byte
 * header and its data; receive chains are one buffer each. Checks every byte, the lengths
 * and heads, the interrupts, and that every descriptor is back at the end. */
static bool
test_loopback(void)
{
    struct virtio_dev d;
    struct virtq rx, tx;
    uint8_t *by_head[QSIZE] = {0};
    EXPECT(ready(&d, &rx, &tx));
    for (unsigned i = 0; i < 8; i++) {
        EXPECT(post_rx(&rx, i, by_head));
    }
    virtq_kick(&rx);
    EXPECT_EQ(rx.num_free, QSIZE - 8);
    unsigned irqs = 0;
    for (unsigned f = 0; f < 200; f++) {
        uint32_t len = 1 + (f * 37) % (BUF_SIZE - 10);
        uint8_t *hdr = buf(8 + f % 8), *data = hdr + 16;
        memset(hdr, (int)f, 10);
        for (uint32_t i = 0; i < len; i++) {
            data[i] = (uint8_t)(f + i * 7);
        }
        struct virtq_buf chain[2] = {{&mem, hdr, 10, false}, {&mem, data, len, false}};
        uint16_t th, h;
        uint32_t n;
        EXPECT_ERR(virtq_add(&tx, chain, 2, &th), VIRTIO_OK);
        EXPECT_EQ(model.frames, f); /* not yet published */
        virtq_kick(&tx);
        EXPECT_EQ(virtq_get_used(&tx, &h, &n), 1);
        EXPECT_EQ(h, th);
        EXPECT_EQ(n, 0);
        EXPECT_EQ(virtq_get_used(&tx, &h, &n), 0);
        irqs += (virtio_interrupt_ack(&d) & VIRTIO_IRQ_USED_BUFFER) != 0;
        EXPECT_EQ(model.irq, 0);
        EXPECT_EQ(virtq_get_used(&rx, &h, &n), 1);
        EXPECT_EQ(n, 10 + len);
        EXPECT(by_head[h] != NULL);
        uint8_t *got = by_head[h];
        by_head[h] = NULL;
        for (unsigned i = 0; i < 10; i++) {
            EXPECT_EQ(got[i], (uint8_t)f);
        }
        for (uint32_t i = 0; i < len; i++) {
            EXPECT_EQ(got[10 + i], (uint8_t)(f + i * 7));
        }
        EXPECT(post_rx(&rx, (unsigned)(got - buf(0)) / BUF_SIZE, by_head));
        virtq_kick(&rx);
    }
    EXPECT_EQ(irqs, 200);
    EXPECT_EQ(model.frames, 200);
    EXPECT_EQ(tx.num_free, QSIZE);
    EXPECT_EQ(tx.in_flight, 0);
    EXPECT_EQ(rx.num_free, QSIZE - 8);
    EXPECT_EQ(tx.stats.added, 200);
    EXPECT_EQ(tx.stats.used, 200);
    EXPECT_EQ(tx.stats.notifies, 200);
    EXPECT(!model.error);
    EXPECT_EQ(d.regs.bad_accesses, 0);
    return true;
}

/* A transmit chain of the given bytes, kicked. */
static bool
send(struct virtq *tx, uint32_t len)
{
    struct virtq_buf b = {&mem, buf(15), len, false};
    uint16_t head;
    EXPECT_ERR(virtq_add(tx, &b, 1, &head), VIRTIO_OK);
    virtq_kick(tx);
    return true;
}

/* Batches: many chains published by one kick; the device's NO_NOTIFY flag is honoured;
 * interrupt suppression, and the re-check virtq_enable_interrupts asks for. */
static bool
test_batch_and_interrupts(void)
{
    struct virtio_dev d;
    struct virtq rx, tx;
    uint8_t *by_head[QSIZE] = {0};
    uint16_t h;
    uint32_t n;
    EXPECT(ready(&d, &rx, &tx));
    for (unsigned i = 0; i < QSIZE; i++) {
        EXPECT(post_rx(&rx, i % 8, by_head) || true);
    }
    EXPECT_EQ(rx.num_free, 0);
    struct virtq_buf b = {&mem, buf(0), 64, true};
    EXPECT_ERR(virtq_add(&rx, &b, 1, &h), VIRTIO_ENOSPC);
    virtq_kick(&rx);
    EXPECT_EQ(rx.stats.notifies, 1);
    virtq_kick(&rx); /* nothing added since: no doorbell */
    EXPECT_EQ(rx.stats.notifies, 1);
    virtq_disable_interrupts(&rx);
    tx.used->flags = VIRTQ_USED_F_NO_NOTIFY; /* the device polls: no doorbell needed */
    EXPECT(send(&tx, 100));
    EXPECT_EQ(tx.stats.notifies, 0);
    EXPECT_EQ(model.frames, 0); /* the model runs only on a doorbell */
    tx.used->flags = 0;
    EXPECT(send(&tx, 100));
    EXPECT_EQ(tx.stats.notifies, 1);
    EXPECT_EQ(model.frames, 2);
    EXPECT_EQ(virtio_interrupt_ack(&d), VIRTIO_IRQ_USED_BUFFER); /* transmit's */
    EXPECT_EQ(virtio_interrupt_ack(&d), 0);
    virtq_disable_interrupts(&tx);
    EXPECT(send(&tx, 100));
    EXPECT(send(&tx, 100));
    EXPECT_EQ(model.frames, 4);
    EXPECT_EQ(virtio_interrupt_ack(&d), 0); /* neither queue asked for one */
    /* Frames arrived while interrupts were off: enabling them reports them waiting. */
    EXPECT(virtq_enable_interrupts(&rx));
    for (unsigned i = 0; i < 4; i++) {
        EXPECT_EQ(virtq_get_used(&rx, &h, &n), 1);
        EXPECT_EQ(n, 100);
    }
    EXPECT_EQ(virtq_get_used(&rx, &h, &n), 0);
    EXPECT(!virtq_enable_interrupts(&rx));
    while (virtq_get_used(&tx, &h, &n) == 1) {
    }
    EXPECT_EQ(tx.num_free, QSIZE);
    EXPECT(!virtio_needs_reset(&d));
    model.status |= VIRTIO_STATUS_NEEDS_RESET;
    EXPECT(virtio_needs_reset(&d));
    virtio_fail(&d);
    EXPECT(model.status & VIRTIO_STATUS_FAILED);
    EXPECT(!model.error);
    return true;
}

/* Every error of virtq_add, each leaving the queue as it was. */
static bool
test_add_errors(void)
{
    struct virtio_dev d;
    struct virtq rx, tx;
    uint16_t h = 999;
    EXPECT(ready(&d, &rx, &tx));
    struct virtq before = tx;
    uint8_t outside[16];
    struct virtq_buf ok = {&mem, buf(0), 10, false}, empty = {&mem, buf(0), 0, false};
    struct virtq_buf out = {&mem, outside, 16, false};
    struct virtq_buf past = {&mem, mem_bytes + MEM_SIZE - 8, 16, false};
    struct virtq_buf w = {&mem, buf(1), 10, true};
    struct virtq_buf many[VIRTIO_CHAIN_MAX + 1];
    for (unsigned i = 0; i <= VIRTIO_CHAIN_MAX; i++) {
        many[i] = ok;
    }
    EXPECT_ERR(virtq_add(&tx, &ok, 0, &h), VIRTIO_EARGUMENT);
    EXPECT_ERR(virtq_add(&tx, many, VIRTIO_CHAIN_MAX + 1, &h), VIRTIO_EARGUMENT);
    EXPECT_ERR(virtq_add(&tx, &empty, 1, &h), VIRTIO_EARGUMENT);
    EXPECT_ERR(virtq_add(&tx, &out, 1, &h), VIRTIO_EARGUMENT);
    EXPECT_ERR(virtq_add(&tx, &past, 1, &h), VIRTIO_EARGUMENT);
    struct virtq_buf order[2] = {w, ok};
    EXPECT_ERR(virtq_add(&tx, order, 2, &h), VIRTIO_EARGUMENT);
    static uint8_t big_bytes[16];
    struct hw_dma big = {big_bytes, 0x1000, 1ull << 40}; /* only its bounds are used */
    struct virtq_buf huge[2] = {{&big, big_bytes, UINT32_MAX, true}, {&big, big_bytes, 2, true}};
    EXPECT_ERR(virtq_add(&tx, huge, 2, &h), VIRTIO_EARGUMENT);
    EXPECT_EQ(h, 999);
    EXPECT(memcmp(&before, &tx, sizeof(tx)) == 0);
    /* Chains of VIRTIO_CHAIN_MAX descriptors until the queue is full. */
    for (unsigned i = 0; i < QSIZE / VIRTIO_CHAIN_MAX; i++) {
        EXPECT_ERR(virtq_add(&tx, many, VIRTIO_CHAIN_MAX, &h), VIRTIO_OK);
    }
    before = tx;
    EXPECT_ERR(virtq_add(&tx, &ok, 1, &h), VIRTIO_ENOSPC);
    EXPECT(memcmp(&before, &tx, sizeof(tx)) == 0);
    return true;
}

/* The device breaks the used ring in each way: the queue refuses to go on (the error
 * counted, nothing taken, later calls refused too), and a reset with a new set-up
 * recovers. */
static bool
test_hostile_device(void)
{
    static const struct {
        enum model_evil evil;
        size_t counter;
    } cases[] = {
        {EVIL_USED_IDX_JUMP, offsetof(struct virtq_stats, bad_index)},
        {EVIL_BAD_ID, offsetof(struct virtq_stats, bad_id)},
        {EVIL_ID_NOT_HEAD, offsetof(struct virtq_stats, bad_id)},
        {EVIL_LEN_TOO_LONG, offsetof(struct virtq_stats, bad_len)},
        {EVIL_ID_TWICE, offsetof(struct virtq_stats, bad_index)},
    };
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct virtio_dev d;
        struct virtq rx, tx;
        uint8_t *by_head[QSIZE] = {0};
        uint16_t h = 999;
        uint32_t n = 999;
        EXPECT(ready(&d, &rx, &tx));
        EXPECT(post_rx(&rx, 0, by_head));
        EXPECT(post_rx(&rx, 1, by_head));
        virtq_kick(&rx);
        model.evil = cases[c].evil;
        EXPECT(send(&tx, 50));
        int first = virtq_get_used(&rx, &h, &n);
        if (cases[c].evil == EVIL_ID_TWICE) {
            EXPECT_EQ(first, 1); /* the first copy is honest */
            first = virtq_get_used(&rx, &h, &n);
            /* Two chains were published, one returned: a second entry is not more than
             * were published, but its id is no longer in flight. */
            EXPECT_EQ(rx.stats.bad_id, 1);
        } else {
            uint64_t count = *(uint64_t *)((char *)&rx.stats + cases[c].counter);
            if (count != 1) {
                return fail_with("case %u: counter %llu", c, (unsigned long long)count);
            }
        }
        EXPECT_ERR(first, VIRTIO_EDEVICE);
        EXPECT_ERR(virtq_get_used(&rx, &h, &n), VIRTIO_EDEVICE);
        struct virtq_buf b = {&mem, buf(2), 64, true};
        EXPECT_ERR(virtq_add(&rx, &b, 1, &h), VIRTIO_EDEVICE);
        unsigned notifies = model.notifies;
        virtq_kick(&rx);
        EXPECT_EQ(model.notifies, notifies);
        /* Recovery: reset, set up again, traffic flows. */
        model.evil = EVIL_NONE;
        EXPECT_ERR(virtio_reset(&d), VIRTIO_OK);
        EXPECT_ERR(virtio_negotiate(&d, 0, 0), VIRTIO_OK);
        EXPECT_ERR(virtio_queue_setup(&d, &rx, MODEL_RX, QSIZE, &mem, Q_RX_OFF), VIRTIO_OK);
        EXPECT_ERR(virtio_queue_setup(&d, &tx, MODEL_TX, QSIZE, &mem, Q_TX_OFF), VIRTIO_OK);
        virtio_driver_ok(&d);
        memset(by_head, 0, sizeof(by_head));
        EXPECT(post_rx(&rx, 0, by_head));
        virtq_kick(&rx);
        EXPECT(send(&tx, 70));
        EXPECT_EQ(virtq_get_used(&rx, &h, &n), 1);
        EXPECT_EQ(n, 70);
        EXPECT(!model.error);
    }
    return true;
}

static bool
test_strerror(void)
{
    EXPECT(strcmp(virtio_strerror(VIRTIO_EDEVICE), "VIRTIO_EDEVICE") == 0);
    EXPECT(strcmp(virtio_strerror(VIRTIO_OK), "VIRTIO_OK") == 0);
    EXPECT(strcmp(virtio_strerror(-100), "?") == 0);
    for (int e = VIRTIO_EDEVICE; e <= VIRTIO_OK; e++) {
        EXPECT(strcmp(virtio_strerror(e), "?") != 0);
    }
    return true;
}

int
main(void)
{
    for (version = 1; version <= 2; version++) {
        char name[64];
#define RUN(n, f)                                                                                  \
    snprintf(name, sizeof(name), "virtio/v%u/%s", version, n);                                     \
    run(name, f)
        RUN("open", test_open);
        RUN("negotiate", test_negotiate);
        RUN("config", test_config);
        RUN("queue_setup", test_queue_setup);
        RUN("loopback", test_loopback);
        RUN("batch_and_interrupts", test_batch_and_interrupts);
        RUN("add_errors", test_add_errors);
        RUN("hostile_device", test_hostile_device);
    }
    run("virtio/strerror", test_strerror);
    return g_failed == 0 ? 0 : 1;
}
