/*
 * libFuzzer target for lib/virtio: the fuzzer plays a hostile virtio-mmio device.
 *
 * Build and run from the repository root (or: make fuzz-virtio FUZZ_SECONDS=20):
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       -Ilib/virtio/include -Ilib/hw/include lib/virtio/src/virtio.c lib/virtio/src/virtq.c \
 *       lib/hw/src/hw.c lib/hw/src/hw_host.c tests/fuzz/fuzz_virtio.c -o build/fuzz/fuzz_virtio
 *   build/fuzz/fuzz_virtio -max_total_time=20
 *
 * The input's first byte chooses whether the device answers the probe honestly (magic,
 * version 1 or 2, DeviceID) so the search reaches the queues, and the queue size. After
 * that every register read the driver makes returns the next four input bytes (zero once
 * they run out), and the rest of the input is a script of steps: the driver adds a chain
 * (lengths and directions from the input), kicks, takes used entries, reads configuration,
 * toggles interrupts; or the device writes arbitrary words into the used ring (its entries,
 * its index, its flags) or moves the used index like an honest device would.
 *
 * The oracle is the harness's own record of the chains it added: every chain the library
 * gives back must be one in flight, with a length at most its writable bytes; descriptors
 * free plus descriptors in flight equal the queue size; statuses are ones the contract
 * allows; a broken queue stays broken. The DMA region is a heap block of exactly its size,
 * so AddressSanitizer flags any access outside it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vallum/virtio.h>

#define MEM_SIZE (3 * 4096 + 8192)
#define MEM_DEVICE_ADDR 0x80000000ull
#define BUFS_OFF (2 * 4096)

struct input {
    const uint8_t *p;
    size_t left;
};

static struct input in;

static uint32_t
take(unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes && in.left > 0; i++, in.left--) {
        v |= (uint32_t)*in.p++ << (8 * i);
    }
    return v;
}

static void
check(bool cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_virtio: contract violated: %s\n", what);
        abort();
    }
}

/* The device: probes answered honestly if asked, everything else from the input. */
static bool honest_probe;
static uint32_t probe_version;

static uint64_t
dev_read(void *ctx, uint64_t off, unsigned width)
{
    (void)ctx;
    if (honest_probe) {
        switch (off) {
        case VIRTIO_MMIO_MAGIC:
            return VIRTIO_MMIO_MAGIC_VALUE;
        case VIRTIO_MMIO_VERSION:
            return probe_version;
        case VIRTIO_MMIO_DEVICE_ID:
            return VIRTIO_ID_NET;
        case VIRTIO_MMIO_QUEUE_NUM_MAX:
            return 256;
        case VIRTIO_MMIO_QUEUE_PFN:
        case VIRTIO_MMIO_QUEUE_READY:
            return 0;
        default:
            break;
        }
    }
    return take(width);
}

static void
dev_write(void *ctx, uint64_t off, unsigned width, uint64_t value)
{
    (void)ctx, (void)off, (void)width, (void)value;
}

static const struct hw_model dev_ops = {dev_read, dev_write};

/* The harness's record of the chains in flight, by head. */
struct chain {
    bool in_flight;
    unsigned ndesc;
    uint32_t writable;
};

static void
check_conservation(const struct virtq *q, const struct chain *chains)
{
    unsigned held = 0;
    for (unsigned i = 0; i < q->num; i++) {
        held += chains[i].in_flight ? chains[i].ndesc : 0;
    }
    check(held + q->num_free == q->num, "descriptors free + in flight == queue size");
}

static void
step_add(struct virtq *q, const struct hw_dma *dma, struct chain *chains, uint8_t *mem)
{
    struct virtq_buf bufs[VIRTIO_CHAIN_MAX + 1];
    unsigned n = take(1) % (VIRTIO_CHAIN_MAX + 2);
    uint64_t writable = 0;
    for (unsigned i = 0; i < n; i++) {
        /* Some buffers run past the region's end, some are empty: virtq_add refuses them. */
        uint32_t off = take(2) % (MEM_SIZE - BUFS_OFF), len = take(2) % 4096;
        bufs[i] = (struct virtq_buf){dma, mem + BUFS_OFF + off, len, (take(1) & 1) != 0};
        writable += bufs[i].device_writes ? len : 0;
    }
    uint16_t head = 0xffff;
    unsigned free_before = q->num_free;
    int r = virtq_add(q, bufs, n, &head);
    if (r == VIRTIO_OK) {
        check(head < q->num && !chains[head].in_flight, "a new head is not in flight");
        chains[head] = (struct chain){true, n, (uint32_t)writable};
    } else {
        check(r == VIRTIO_EARGUMENT || r == VIRTIO_ENOSPC || r == VIRTIO_EDEVICE,
              "virtq_add's status is one of its errors");
        check(q->num_free == free_before, "a failed add takes no descriptor");
        check(r != VIRTIO_EDEVICE || q->broken, "EDEVICE only from a broken queue");
    }
}

static void
step_used(struct virtq *q, struct chain *chains)
{
    bool was_broken = q->broken;
    uint16_t head;
    uint32_t len;
    int r = virtq_get_used(q, &head, &len);
    check(r == 1 || r == 0 || r == VIRTIO_EDEVICE, "virtq_get_used's status");
    check(!was_broken || r == VIRTIO_EDEVICE, "a broken queue stays broken");
    if (r == 1) {
        check(head < q->num && chains[head].in_flight, "only a chain in flight comes back");
        check(len <= chains[head].writable, "at most the chain's writable bytes");
        chains[head].in_flight = false;
    }
}

/* The device writes the used ring: an arbitrary entry, index or flag word. */
static void
step_device(struct virtq *q)
{
    volatile uint8_t *used = (volatile uint8_t *)q->used;
    unsigned what = take(1) % 3;
    if (what == 0) { /* an entry */
        unsigned slot = take(2) % q->num;
        q->used->ring[slot].id = take(1) % 4 == 0 ? take(4) : take(2) % q->num;
        q->used->ring[slot].len = take(1) % 4 == 0 ? take(4) : take(2) % 8192;
    } else if (what == 1) { /* the index, often just one step */
        q->used->idx = take(1) % 2 == 0 ? (uint16_t)(q->used->idx + 1) : (uint16_t)take(2);
    } else { /* any byte of the ring */
        used[take(2) % VIRTQ_USED_BYTES(q->num)] = (uint8_t)take(1);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in = (struct input){data, size};
    uint32_t head_byte = take(1);
    honest_probe = (head_byte & 1) != 0;
    probe_version = 1 + ((head_byte >> 1) & 1);
    uint16_t num = (uint16_t)(1u << ((head_byte >> 2) % 9)); /* 1..256 */

    uint8_t *mem = aligned_alloc(4096, MEM_SIZE);
    memset(mem, 0, MEM_SIZE);
    struct hw_dma dma = {mem, MEM_DEVICE_ADDR, MEM_SIZE};
    struct hw_window w;
    hw_host_reset();
    check(hw_host_attach("dev", &dev_ops, NULL, 4096), "attach");
    check(hw_window_open(&w, "dev"), "open the window");

    static struct virtio_dev d;
    static struct virtq q;
    static struct chain chains[VIRTIO_QUEUE_MAX];
    memset(chains, 0, sizeof(chains));
    d = (struct virtio_dev){0};
    int r = virtio_open(&d, &w, VIRTIO_ID_NET);
    check(r == VIRTIO_OK || r == VIRTIO_ENODEV, "virtio_open's status");
    if (r != VIRTIO_OK) {
        goto out;
    }
    r = virtio_negotiate(&d, 0xffffffffffffffffull, 0);
    check(r == VIRTIO_OK || r == VIRTIO_EFEATURES || r == VIRTIO_EDEVICE, "negotiate's status");
    if (r == VIRTIO_OK) {
        check(d.version == 2 ? virtio_has_feature(&d, VIRTIO_F_VERSION_1) : (d.features >> 32) == 0,
              "VERSION_1 on version 2 only; 32 bits on version 1");
    }
    uint16_t qsize = num;
    r = virtio_queue_setup(&d, &q, 0, qsize, &dma, 0);
    check(r == VIRTIO_OK || r == VIRTIO_EQUEUE || r == VIRTIO_EARGUMENT, "setup's status");
    if (r != VIRTIO_OK) {
        goto out;
    }
    virtio_driver_ok(&d);
    for (unsigned steps = 0; steps < 512 && in.left > 0; steps++) {
        switch (take(1) % 8) {
        case 0:
        case 1:
            step_add(&q, &dma, chains, mem);
            break;
        case 2:
            virtq_kick(&q);
            break;
        case 3:
        case 4:
            step_used(&q, chains);
            break;
        case 5:
            step_device(&q);
            break;
        case 6: {
            uint8_t cfg[16];
            int c = virtio_config_read(&d, take(2) % 4096, cfg, take(1) % sizeof(cfg));
            check(c == VIRTIO_OK || c == VIRTIO_EARGUMENT || c == VIRTIO_EDEVICE, "config");
            (void)virtio_interrupt_ack(&d);
            break;
        }
        default:
            if (take(1) & 1) {
                virtq_disable_interrupts(&q);
            } else {
                (void)virtq_enable_interrupts(&q);
            }
            break;
        }
        check_conservation(&q, chains);
    }
out:
    check(w.bad_accesses == 0 && d.regs.bad_accesses == 0, "no bad register access");
    free(mem);
    return 0;
}
