/*
 * rng: the entropy service (interfaces/entropy.idl, docs/virtio.md#entropy). It drives the
 * virtio-rng device (vrng.c) and serves random bytes from a ChaCha20 generator with fast
 * key erasure (csprng.c) that the device seeds and reseeds. Driver and service are one
 * component: the device's bytes never leave it except through the generator, no other
 * component needs the device, and a separate driver would add a channel and a copy of
 * every seed for nothing.
 *
 * Description: device region `rng` (the virtio-mmio slot) with its interrupt on channel
 * CH_IRQ, a dma region `rng_queues` (VRNG_QUEUES_BYTES; `paddr: true`), and one call
 * channel per client, on which it serves entropy@1. The call channel is the capability:
 * a component without one cannot draw.
 *
 * init() waits for the first seed (SEED_BYTES from the device) before it returns, so no
 * client is answered before the generator is seeded; a device that never gives enough
 * leaves the service answering `unseeded`.
 */
#include <stdio.h>
#include <string.h>
#include <vallum/hw.h>
#include <vallum/os.h>

#include "csprng.h"
#include "entropy.h"
#include "vrng.h"

#define CH_IRQ 0
#define SEED_BYTES 32u /* per request to the device: a whole key */
#define SEED_TRIES 8   /* answers init() waits for before it gives up */

static struct vrng dev;
static struct csprng gen;
static bool running;

/* Takes the device's answer, if there is one, into the generator. */
static void
take_seed(void)
{
    uint8_t seed[VRNG_BUF_BYTES];
    int n = vrng_collect(&dev, seed, sizeof(seed));
    if (n > 0) {
        csprng_reseed(&gen, seed, (size_t)n);
        memset(seed, 0, sizeof(seed));
        __asm__ volatile("" : : "r"(seed) : "memory"); /* the wipe is not dead */
    } else if (n < 0) {
        printf("rng: the device broke the virtqueue protocol; stopped reseeding\n");
    }
    if (!csprng_is_seeded(&gen) && !dev.failed) {
        (void)vrng_request(&dev, SEED_BYTES);
    }
}

void
init(void)
{
    struct hw_window regs;
    struct hw_dma queues;
    csprng_init(&gen);
    if (!hw_window_open(&regs, "rng") || !hw_dma_open(&queues, "rng_queues")) {
        printf("rng: a region is missing (rng, rng_queues)\n");
        return;
    }
    int err = vrng_open(&dev, &regs, &queues);
    if (err != VIRTIO_OK) {
        printf("rng: no entropy device: %s\n",
               err == VRNG_EREGION ? "rng_queues too small" : virtio_strerror(err));
        return;
    }
    running = true;
    (void)vrng_request(&dev, SEED_BYTES);
    for (unsigned tries = 0; tries < SEED_TRIES && !csprng_is_seeded(&gen) && !dev.failed;
         tries++) {
        (void)vl_os_wait_signal(CH_IRQ);
        vrng_irq_ack(&dev);
        take_seed();
        (void)vl_os_irq_ack(CH_IRQ);
    }
    printf("rng: virtio-mmio version %u, %s (%lu bytes from the device)\n",
           (unsigned)dev.dev.version, csprng_is_seeded(&gen) ? "seeded" : "NOT seeded",
           (unsigned long)dev.stats.bytes);
}

void
notified(unsigned id)
{
    if (running && id == CH_IRQ) {
        vrng_irq_ack(&dev);
        take_seed();
        (void)vl_os_irq_ack(CH_IRQ);
    }
}

vl_word_t protected(unsigned id, vl_word_t info)
{
    return entropy_dispatch(id, info, NULL);
}

int
entropy_do_random(unsigned ch, uint32_t n, uint8_t *data, size_t *data_len)
{
    (void)ch; /* every client draws from the one generator: outputs are independent */
    if (n == 0 || n > 256) {
        return ENTROPY_RANDOM_BAD_SIZE;
    }
    if (csprng_generate(&gen, data, n) != CSPRNG_OK) {
        return ENTROPY_RANDOM_UNSEEDED;
    }
    *data_len = n;
    if (csprng_wants_reseed(&gen) && !dev.failed) {
        (void)vrng_request(&dev, SEED_BYTES); /* taken in on its interrupt */
    }
    return 0;
}
