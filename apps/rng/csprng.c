/* ChaCha20 with fast key erasure; see csprng.h. */
#include "csprng.h"

#include <string.h>

/* Nonces keep the two uses of a key apart: output and rekeying after a reseed. */
static const uint8_t nonce_output[CHACHA20_NONCE_BYTES] = {0};
static const uint8_t nonce_reseed[CHACHA20_NONCE_BYTES] = {'r', 'e', 's', 'e', 'e', 'd'};

/* Wipes n bytes so that the compiler cannot drop the stores as dead. */
static void
wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n-- > 0) {
        *v++ = 0;
    }
}

void
csprng_init(struct csprng *c)
{
    wipe(c, sizeof(*c));
}

void
csprng_reseed(struct csprng *c, const uint8_t *seed, size_t len)
{
    if (len == 0) {
        return;
    }
    uint8_t block[CHACHA20_BLOCK_BYTES];
    for (size_t off = 0; off < len; off += CHACHA20_KEY_BYTES) {
        for (size_t i = 0; i < CHACHA20_KEY_BYTES && off + i < len; i++) {
            c->key[i] ^= seed[off + i];
        }
        chacha20_block(c->key, 0, nonce_reseed, block);
        memcpy(c->key, block, CHACHA20_KEY_BYTES);
    }
    wipe(block, sizeof(block));
    c->seed_bytes += len;
    c->since_reseed = 0;
    c->reseeds++;
}

int
csprng_generate(struct csprng *c, uint8_t *out, size_t n)
{
    if (!csprng_is_seeded(c)) {
        return CSPRNG_EUNSEEDED;
    }
    if (n > CSPRNG_MAX_REQUEST) {
        return CSPRNG_ETOOLONG;
    }
    /* Block 0: the next key, then the first 32 bytes of output; blocks 1..: output. */
    uint8_t block[CHACHA20_BLOCK_BYTES], next[CHACHA20_KEY_BYTES];
    chacha20_block(c->key, 0, nonce_output, block);
    memcpy(next, block, CHACHA20_KEY_BYTES);
    size_t done = n < CHACHA20_BLOCK_BYTES - CHACHA20_KEY_BYTES
                      ? n
                      : CHACHA20_BLOCK_BYTES - CHACHA20_KEY_BYTES;
    memcpy(out, block + CHACHA20_KEY_BYTES, done);
    for (uint32_t counter = 1; done < n; counter++) {
        chacha20_block(c->key, counter, nonce_output, block);
        size_t k = n - done < CHACHA20_BLOCK_BYTES ? n - done : CHACHA20_BLOCK_BYTES;
        memcpy(out + done, block, k);
        done += k;
    }
    memcpy(c->key, next, CHACHA20_KEY_BYTES);
    wipe(next, sizeof(next));
    wipe(block, sizeof(block));
    c->since_reseed += n;
    return CSPRNG_OK;
}
