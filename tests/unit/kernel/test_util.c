/*
 * Host tests of the kernel's bit helpers (util.h) against the compiler's builtins.
 */
#include "ktest.h"

KTEST(util_bit_msb_lsb)
{
    for (uint64_t x = 1; x < 16; x++) {
        CHECK_EQ(bit_msb4(x), 63u - (unsigned)__builtin_clzll(x));
    }
    for (unsigned i = 0; i < 64; i++) {
        uint64_t bit = 1ull << i;
        CHECK_EQ(bit_msb(bit), i);
        CHECK_EQ(bit_msb(bit | 1), i);
        CHECK_EQ(bit_msb(bit | (bit - 1)), i);
        CHECK_EQ(bit_lsb(bit), i);
        CHECK_EQ(bit_lsb(~0ull << i), i);
    }
    /* Every value below 2^16, and a spread of larger ones. */
    for (uint64_t x = 1; x < (1u << 16); x++) {
        CHECK_EQ(bit_msb(x), 63u - (unsigned)__builtin_clzll(x));
        CHECK_EQ(bit_lsb(x), (unsigned)__builtin_ctzll(x));
    }
    for (uint64_t x = 0x9e3779b97f4a7c15ull; x > 0xffff; x = (x >> 3) * 5) {
        CHECK_EQ(bit_msb(x), 63u - (unsigned)__builtin_clzll(x));
        CHECK_EQ(bit_lsb(x), (unsigned)__builtin_ctzll(x));
    }
}
