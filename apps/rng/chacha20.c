/* ChaCha20's block function (RFC 8439, 2.3); see chacha20.h. */
#include "chacha20.h"

static uint32_t
load32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t
rotl(uint32_t v, unsigned n)
{
    return v << n | v >> (32 - n);
}

/* The quarter round (2.1) on words a, b, c, d of x. */
static void
quarter(uint32_t *x, unsigned a, unsigned b, unsigned c, unsigned d)
{
    x[a] += x[b], x[d] = rotl(x[d] ^ x[a], 16);
    x[c] += x[d], x[b] = rotl(x[b] ^ x[c], 12);
    x[a] += x[b], x[d] = rotl(x[d] ^ x[a], 8);
    x[c] += x[d], x[b] = rotl(x[b] ^ x[c], 7);
}

void
chacha20_block(const uint8_t key[CHACHA20_KEY_BYTES], uint32_t counter,
               const uint8_t nonce[CHACHA20_NONCE_BYTES], uint8_t out[CHACHA20_BLOCK_BYTES])
{
    /* "expand 32-byte k", the key, the counter and the nonce (2.3). */
    uint32_t s[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    for (unsigned i = 0; i < 8; i++) {
        s[4 + i] = load32(key + 4 * i);
    }
    s[12] = counter;
    for (unsigned i = 0; i < 3; i++) {
        s[13 + i] = load32(nonce + 4 * i);
    }
    uint32_t x[16];
    for (unsigned i = 0; i < 16; i++) {
        x[i] = s[i];
    }
    for (unsigned round = 0; round < 10; round++) { /* 20 rounds: a column and a diagonal each */
        quarter(x, 0, 4, 8, 12), quarter(x, 1, 5, 9, 13);
        quarter(x, 2, 6, 10, 14), quarter(x, 3, 7, 11, 15);
        quarter(x, 0, 5, 10, 15), quarter(x, 1, 6, 11, 12);
        quarter(x, 2, 7, 8, 13), quarter(x, 3, 4, 9, 14);
    }
    for (unsigned i = 0; i < 16; i++) {
        store32(out + 4 * i, x[i] + s[i]);
    }
    /* The working state is key material: leave none of it on the stack. */
    volatile uint32_t *vs = s, *vx = x;
    for (unsigned i = 0; i < 16; i++) {
        vs[i] = 0, vx[i] = 0;
    }
}
