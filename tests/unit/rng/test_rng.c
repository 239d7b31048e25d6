/*
 * The entropy service's parts on the host, under ASan and UBSan (make unit-rng): ChaCha20
 * against RFC 8439's test vectors, the generator's seeding, reseeding and fast key erasure,
 * and the virtio-rng driver's core against the simulated device of both transport versions
 * (tests/unit/virtio/virtio_model.h), including a device that lies about the length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vallum/hw.h>
#include <vallum/virtio.h>

#include "../../../apps/rng/chacha20.h"
#include "../../../apps/rng/csprng.h"
#include "../../../apps/rng/vrng.h"
#include "../virtio/virtio_model.h"

#define VLTEST_STRERROR virtio_strerror
#include "../vltest.h"

/* --- ChaCha20 ------------------------------------------------------------------------- */

static void
hex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char b[3] = {s[2 * i], s[2 * i + 1], 0};
        out[i] = (uint8_t)strtoul(b, NULL, 16);
    }
}

/* RFC 8439, 2.3.2: the block function's test vector. */
static bool
test_chacha20_rfc_2_3_2(void)
{
    uint8_t key[32], nonce[12], out[64], want[64];
    for (unsigned i = 0; i < 32; i++) {
        key[i] = (uint8_t)i;
    }
    hex("000000090000004a00000000", nonce, 12);
    hex("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
        "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
        want, 64);
    chacha20_block(key, 1, nonce, out);
    EXPECT(memcmp(out, want, 64) == 0);
    return true;
}

/* RFC 8439, A.1: test vectors 1 and 2 (all-zero key and nonce, counters 0 and 1). */
static bool
test_chacha20_rfc_a_1(void)
{
    uint8_t key[32] = {0}, nonce[12] = {0}, out[64], want[64];
    hex("76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
        "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586",
        want, 64);
    chacha20_block(key, 0, nonce, out);
    EXPECT(memcmp(out, want, 64) == 0);
    hex("9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
        "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f",
        want, 64);
    chacha20_block(key, 1, nonce, out);
    EXPECT(memcmp(out, want, 64) == 0);
    return true;
}

/* --- The generator ---------------------------------------------------------------------- */

static const uint8_t seed_a[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

/* No output before CSPRNG_SEED_MIN seed bytes; too long a request; neither changes the key. */
static bool
test_csprng_refuses(void)
{
    struct csprng c;
    uint8_t out[CSPRNG_MAX_REQUEST + 1] = {0}, zero[sizeof(out)] = {0};
    csprng_init(&c);
    EXPECT_EQ(csprng_generate(&c, out, 16), CSPRNG_EUNSEEDED);
    csprng_reseed(&c, seed_a, 0);
    EXPECT_EQ(c.reseeds, 0);
    csprng_reseed(&c, seed_a, 31);
    EXPECT(!csprng_is_seeded(&c));
    EXPECT_EQ(csprng_generate(&c, out, 16), CSPRNG_EUNSEEDED);
    csprng_reseed(&c, seed_a, 1); /* 32 in all */
    EXPECT(csprng_is_seeded(&c));
    uint8_t key[32];
    memcpy(key, c.key, 32);
    EXPECT_EQ(csprng_generate(&c, out, CSPRNG_MAX_REQUEST + 1), CSPRNG_ETOOLONG);
    EXPECT(memcmp(key, c.key, 32) == 0);
    EXPECT(memcmp(out, zero, sizeof(out)) == 0);
    return true;
}

/* The construction: block 0 of the old key gives the new key and the first 32 bytes, the
 * next blocks the rest; the old key is gone, and the state that remains cannot give back
 * what was handed out. */
static bool
test_csprng_fast_key_erasure(void)
{
    struct csprng c;
    csprng_init(&c);
    csprng_reseed(&c, seed_a, 32);
    uint8_t old[32], b0[64], b1[64], b2[64], out[150], nonce[12] = {0};
    memcpy(old, c.key, 32);
    chacha20_block(old, 0, nonce, b0);
    chacha20_block(old, 1, nonce, b1);
    chacha20_block(old, 2, nonce, b2);
    EXPECT_EQ(csprng_generate(&c, out, sizeof(out)), CSPRNG_OK);
    EXPECT(memcmp(c.key, b0, 32) == 0);
    EXPECT(memcmp(out, b0 + 32, 32) == 0);
    EXPECT(memcmp(out + 32, b1, 64) == 0);
    EXPECT(memcmp(out + 96, b2, 54) == 0);
    EXPECT_EQ(c.since_reseed, sizeof(out));
    /* The key after the request is not the one that made the output, and a copy of the
     * state made now gives other bytes than those already out. */
    EXPECT(memcmp(c.key, old, 32) != 0);
    struct csprng copy = c;
    uint8_t again[150];
    EXPECT_EQ(csprng_generate(&copy, again, sizeof(again)), CSPRNG_OK);
    EXPECT(memcmp(again, out, sizeof(out)) != 0);
    /* Requests of 0 and 1 byte rekey too. */
    memcpy(old, c.key, 32);
    EXPECT_EQ(csprng_generate(&c, out, 0), CSPRNG_OK);
    EXPECT(memcmp(c.key, old, 32) != 0);
    return true;
}

/* The same seeds give the same bytes; another seed or a later reseed (even with zeros: the
 * key is mixed, not replaced) gives others; a reseed restarts the reseed count. */
static bool
test_csprng_reseed(void)
{
    struct csprng a, b;
    uint8_t x[64], y[64], zeros[32] = {0};
    csprng_init(&a), csprng_init(&b);
    csprng_reseed(&a, seed_a, 32), csprng_reseed(&b, seed_a, 32);
    EXPECT_EQ(csprng_generate(&a, x, 64), CSPRNG_OK);
    EXPECT_EQ(csprng_generate(&b, y, 64), CSPRNG_OK);
    EXPECT(memcmp(x, y, 64) == 0);
    csprng_reseed(&b, zeros, 32);
    EXPECT_EQ(csprng_generate(&a, x, 64), CSPRNG_OK);
    EXPECT_EQ(csprng_generate(&b, y, 64), CSPRNG_OK);
    EXPECT(memcmp(x, y, 64) != 0);
    struct csprng c;
    uint8_t other[32];
    memcpy(other, seed_a, 32);
    other[31] ^= 1;
    csprng_init(&a), csprng_init(&c);
    csprng_reseed(&a, seed_a, 32), csprng_reseed(&c, other, 32);
    EXPECT_EQ(csprng_generate(&a, x, 64), CSPRNG_OK);
    EXPECT_EQ(csprng_generate(&c, y, 64), CSPRNG_OK);
    EXPECT(memcmp(x, y, 64) != 0);
    /* A seed longer than a key is mixed in 32 bytes at a time: all of it counts. */
    uint8_t long_a[70] = {0}, long_b[70] = {0};
    long_b[69] = 1;
    csprng_init(&a), csprng_init(&c);
    csprng_reseed(&a, long_a, 70), csprng_reseed(&c, long_b, 70);
    EXPECT(memcmp(a.key, c.key, 32) != 0);
    EXPECT_EQ(a.seed_bytes, 70);
    uint8_t big[CSPRNG_MAX_REQUEST];
    while (!csprng_wants_reseed(&a)) {
        EXPECT_EQ(csprng_generate(&a, big, sizeof(big)), CSPRNG_OK);
    }
    EXPECT_EQ(a.since_reseed, CSPRNG_RESEED_BYTES);
    csprng_reseed(&a, seed_a, 32);
    EXPECT(!csprng_wants_reseed(&a));
    EXPECT_EQ(a.reseeds, 2);
    return true;
}

/* --- The virtio-rng driver on the simulated device -------------------------------------- */

static _Alignas(4096) uint8_t mem_bytes[4 * 4096];
static const struct hw_dma all = {mem_bytes, 0x80000000u, sizeof(mem_bytes)};
static struct model model;
static struct hw_window regs;
static struct vrng dev;

static bool
fresh(uint32_t version)
{
    memset(mem_bytes, 0x5a, sizeof(mem_bytes));
    hw_host_reset();
    model_init(&model, version, version == 2 ? 1ull << VIRTIO_F_VERSION_1 : 0, 256, &all);
    model.device_id = VIRTIO_ID_RNG;
    model.rng_limit = UINT32_MAX;
    EXPECT(hw_host_attach("rng", &virtio_model_ops, &model, 4096));
    EXPECT(hw_window_open(&regs, "rng"));
    return true;
}

/* Seeds a generator from the device, as the service does, on both versions; the buffer is
 * wiped once taken; a request in flight is not doubled. */
static bool
test_vrng_seeds(void)
{
    for (uint32_t version = 1; version <= 2; version++) {
        EXPECT(fresh(version));
        EXPECT_ERR(vrng_open(&dev, &regs, &all), VIRTIO_OK);
        EXPECT_EQ(dev.dev.version, version);
        EXPECT((model.status & VIRTIO_STATUS_DRIVER_OK) != 0);
        model.rng_hold = true;
        EXPECT_ERR(vrng_request(&dev, 32), VIRTIO_OK);
        EXPECT_ERR(vrng_request(&dev, 32), VIRTIO_OK); /* in flight: not asked again */
        EXPECT_EQ(dev.stats.requests, 1);
        uint8_t seed[VRNG_BUF_BYTES];
        EXPECT_EQ(vrng_collect(&dev, seed, sizeof(seed)), 0); /* not answered yet */
        model.rng_hold = false;
        model_run(&model);
        EXPECT((model.irq & VIRTIO_IRQ_USED_BUFFER) != 0);
        vrng_irq_ack(&dev);
        EXPECT_EQ(model.irq, 0);
        EXPECT_EQ(vrng_collect(&dev, seed, sizeof(seed)), 32);
        for (unsigned i = 0; i < 32; i++) {
            EXPECT_EQ(seed[i], i);
        }
        for (unsigned i = 0; i < VRNG_BUF_BYTES; i++) {
            EXPECT_EQ(dev.buf[i], 0);
        }
        struct csprng c;
        csprng_init(&c);
        csprng_reseed(&c, seed, 32);
        EXPECT(csprng_is_seeded(&c));
        /* The next request is answered at its kick; a short cap takes only that much. */
        EXPECT_ERR(vrng_request(&dev, VRNG_BUF_BYTES), VIRTIO_OK);
        EXPECT_EQ(vrng_collect(&dev, seed, 10), 10);
        EXPECT_EQ(seed[0], 32);
        EXPECT_EQ(dev.stats.requests, 2);
        EXPECT_EQ(dev.stats.bytes, 42);
        EXPECT(!model.error);
    }
    return true;
}

/* A device that gives fewer bytes than asked, or none: exactly those are taken. */
static bool
test_vrng_short_answers(void)
{
    EXPECT(fresh(1));
    EXPECT_ERR(vrng_open(&dev, &regs, &all), VIRTIO_OK);
    uint8_t seed[VRNG_BUF_BYTES];
    model.rng_limit = 5;
    EXPECT_ERR(vrng_request(&dev, 32), VIRTIO_OK);
    EXPECT_EQ(vrng_collect(&dev, seed, sizeof(seed)), 5);
    model.rng_limit = 0;
    EXPECT_ERR(vrng_request(&dev, 32), VIRTIO_OK);
    EXPECT_EQ(vrng_collect(&dev, seed, sizeof(seed)), 0);
    EXPECT_EQ(dev.stats.empty, 1);
    EXPECT_EQ(dev.asked, 0); /* answered: the next request goes out */
    model.rng_limit = UINT32_MAX;
    EXPECT_ERR(vrng_request(&dev, 8), VIRTIO_OK);
    EXPECT_EQ(vrng_collect(&dev, seed, sizeof(seed)), 8);
    EXPECT_EQ(dev.stats.requests, 3);
    return true;
}

/* Every error of vrng_open and vrng_request. */
static bool
test_vrng_errors(void)
{
    EXPECT(fresh(1));
    struct hw_dma small = {all.vaddr, all.device_addr, VRNG_QUEUES_BYTES - 1};
    EXPECT_ERR(vrng_open(&dev, &regs, &small), VRNG_EREGION);
    model.device_id = VIRTIO_ID_NET;
    EXPECT_ERR(vrng_open(&dev, &regs, &all), VIRTIO_ENODEV);
    EXPECT(fresh(2));
    model.features = 0; /* a version 2 device without VERSION_1 */
    EXPECT_ERR(vrng_open(&dev, &regs, &all), VIRTIO_EFEATURES);
    EXPECT(fresh(1));
    model.q[0].num_max = 0; /* no requestq */
    EXPECT_ERR(vrng_open(&dev, &regs, &all), VIRTIO_EQUEUE);
    EXPECT((model.status & VIRTIO_STATUS_FAILED) != 0);
    EXPECT(fresh(1));
    model.q[0].num_max = 4; /* smaller than VRNG_QSIZE */
    EXPECT_ERR(vrng_open(&dev, &regs, &all), VIRTIO_EARGUMENT);
    EXPECT(fresh(1));
    EXPECT_ERR(vrng_open(&dev, &regs, &all), VIRTIO_OK);
    EXPECT_ERR(vrng_request(&dev, 0), VIRTIO_EARGUMENT);
    EXPECT_ERR(vrng_request(&dev, VRNG_BUF_BYTES + 1), VIRTIO_EARGUMENT);
    EXPECT_EQ(dev.stats.requests, 0);
    EXPECT_EQ(model.notifies, 0);
    return true;
}

/* A device that breaks the used ring - a length past the 32 bytes offered, an id that is
 * not the chain in flight, the chain twice (the used index then runs ahead of the one chain
 * in flight), an index running ahead - stops the driver:
 * nothing is copied, the device is set FAILED, and every later call refuses. */
static bool
test_vrng_hostile_device(void)
{
    static const enum model_evil evils[] = {EVIL_LEN_TOO_LONG, EVIL_BAD_ID, EVIL_ID_NOT_HEAD,
                                            EVIL_ID_TWICE, EVIL_USED_IDX_JUMP};
    for (unsigned e = 0; e < sizeof(evils) / sizeof(evils[0]); e++) {
        EXPECT(fresh(e % 2 + 1));
        EXPECT_ERR(vrng_open(&dev, &regs, &all), VIRTIO_OK);
        uint8_t seed[VRNG_BUF_BYTES], canary[VRNG_BUF_BYTES];
        memset(seed, 0xcc, sizeof(seed));
        memcpy(canary, seed, sizeof(seed));
        model.evil = evils[e];
        EXPECT_ERR(vrng_request(&dev, 32), VIRTIO_OK);
        EXPECT_ERR(vrng_collect(&dev, seed, sizeof(seed)), VIRTIO_EDEVICE);
        EXPECT(memcmp(seed, canary, sizeof(seed)) == 0);
        EXPECT(dev.failed);
        EXPECT((model.status & VIRTIO_STATUS_FAILED) != 0);
        EXPECT_ERR(vrng_request(&dev, 32), VIRTIO_EDEVICE);
        EXPECT_ERR(vrng_collect(&dev, seed, sizeof(seed)), VIRTIO_EDEVICE);
    }
    return true;
}

int
main(void)
{
    run("rng/chacha20_rfc8439_2_3_2", test_chacha20_rfc_2_3_2);
    run("rng/chacha20_rfc8439_a_1", test_chacha20_rfc_a_1);
    run("rng/csprng_refuses", test_csprng_refuses);
    run("rng/csprng_fast_key_erasure", test_csprng_fast_key_erasure);
    run("rng/csprng_reseed", test_csprng_reseed);
    run("rng/vrng_seeds", test_vrng_seeds);
    run("rng/vrng_short_answers", test_vrng_short_answers);
    run("rng/vrng_errors", test_vrng_errors);
    run("rng/vrng_hostile_device", test_vrng_hostile_device);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
