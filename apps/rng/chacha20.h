/*
 * ChaCha20's block function (RFC 8439, 2.3): 64 bytes of keystream from a 256-bit key, a
 * 32-bit block counter and a 96-bit nonce. The entropy service's generator (csprng.h) is
 * built on it; tests/unit/rng checks it against the RFC's test vectors. Portable C.
 */
#pragma once

#include <stdint.h>

#define CHACHA20_KEY_BYTES 32
#define CHACHA20_NONCE_BYTES 12
#define CHACHA20_BLOCK_BYTES 64

/* Writes the keystream block `counter` of (key, nonce) to out. */
void chacha20_block(const uint8_t key[CHACHA20_KEY_BYTES], uint32_t counter,
                    const uint8_t nonce[CHACHA20_NONCE_BYTES], uint8_t out[CHACHA20_BLOCK_BYTES]);
