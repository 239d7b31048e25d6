/*
 * The entropy service's generator: ChaCha20 with fast key erasure (D. J. Bernstein, "Fast-
 * key-erasure random-number generators", 2017). Each request runs ChaCha20 under the
 * current key; the first 32 bytes of keystream become the next key, the following bytes
 * the output, and the old key and the keystream are wiped. Whoever reads the state after a
 * request learns nothing of the bytes already handed out.
 *
 * Seeds (from the virtio-rng device) are mixed in by XOR into the key and a rekey, so a
 * reseed with bytes the attacker chose cannot remove what the key held. The generator
 * refuses to produce anything until CSPRNG_SEED_MIN seed bytes arrived in total.
 * Portable C, no allocation; tests/unit/rng checks it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chacha20.h"

/* Seed bytes needed before the first output (the key's size). */
#define CSPRNG_SEED_MIN 32u
/* Most bytes per csprng_generate: one request's keystream stays on the stack. */
#define CSPRNG_MAX_REQUEST 1024u
/* Output after which the service asks the device for a new seed. */
#define CSPRNG_RESEED_BYTES 65536u

enum csprng_status {
    CSPRNG_OK = 0,
    CSPRNG_EUNSEEDED = -1, /* fewer than CSPRNG_SEED_MIN seed bytes so far */
    CSPRNG_ETOOLONG = -2,  /* n > CSPRNG_MAX_REQUEST */
};

struct csprng {
    uint8_t key[CHACHA20_KEY_BYTES]; /* the only secret; replaced by every request */
    uint64_t seed_bytes;             /* seed bytes mixed in, ever */
    uint64_t since_reseed;           /* bytes generated since the last reseed */
    uint64_t reseeds;                /* csprng_reseed calls with at least one byte */
};

/* A generator with no seed yet (all zeros). */
void csprng_init(struct csprng *c);

/* Mixes len bytes of seed into the key (each 32-byte piece by XOR, then a rekey), and
 * clears since_reseed. len 0 changes nothing. */
void csprng_reseed(struct csprng *c, const uint8_t *seed, size_t len);

/* Whether enough seed arrived for output. */
static inline bool
csprng_is_seeded(const struct csprng *c)
{
    return c->seed_bytes >= CSPRNG_SEED_MIN;
}

/* Whether the generator has produced CSPRNG_RESEED_BYTES since its last reseed. */
static inline bool
csprng_wants_reseed(const struct csprng *c)
{
    return c->since_reseed >= CSPRNG_RESEED_BYTES;
}

/* Writes n random bytes to out and replaces the key (fast key erasure). Returns CSPRNG_OK,
 * CSPRNG_EUNSEEDED or CSPRNG_ETOOLONG (nothing written, the key unchanged, on errors). */
int csprng_generate(struct csprng *c, uint8_t *out, size_t n);
