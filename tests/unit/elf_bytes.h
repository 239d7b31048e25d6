/*
 * Little-endian fields of an ELF file as the ELF host tests read and damage them
 * (test_elf.c, test_elf_symbol.c): n bytes at p.
 */
#pragma once

#include <stdint.h>

static inline uint64_t
get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = n; i > 0; i--) {
        v = (v << 8) | p[i - 1];
    }
    return v;
}

static inline void
put_le(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}
