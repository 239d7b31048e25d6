/*
 * The kernel's memset, memcpy, memmove, memcmp and strlen (kernel/src/kernel/string.c) on
 * the host, against byte-by-byte models, for every alignment and length up to 40 bytes.
 * The rest of the host build uses libc's, so the kernel's are compiled here under other
 * names (found by `make mutate`: the kernel's own callers pass only 0 to memset).
 */
#include "ktest.h"

#define memset kstr_memset
#define memcpy kstr_memcpy
#define memmove kstr_memmove
#define memcmp kstr_memcmp
#define strlen kstr_strlen
#include "../../../kernel/src/kernel/string.c"
#undef memset
#undef memcpy
#undef memmove
#undef memcmp
#undef strlen

#define AREA 64

/* An 8-byte aligned area with a recognisable pattern. */
static void
fill(unsigned char *p, unsigned seed)
{
    for (unsigned i = 0; i < AREA; i++) {
        p[i] = (unsigned char)(seed + 7 * i);
    }
}

KTEST(kstring_memset)
{
    _Alignas(8) unsigned char got[AREA], want[AREA];
    static const int values[] = {0, 1, 0x5a, 0xff};
    for (unsigned v = 0; v < ARRAY_SIZE(values); v++) {
        int value = values[v];
        for (unsigned off = 0; off < 9; off++) {
            for (unsigned n = 0; n <= 40; n++) {
                fill(got, off + n);
                fill(want, off + n);
                for (unsigned i = 0; i < n; i++) {
                    want[off + i] = (unsigned char)value;
                }
                CHECK(kstr_memset(got + off, value, n) == got + off);
                for (unsigned i = 0; i < AREA; i++) {
                    CHECK_EQ(got[i], want[i]);
                }
            }
        }
    }
}

KTEST(kstring_memcpy_memmove)
{
    _Alignas(8) unsigned char src[AREA], got[AREA], want[AREA];
    for (unsigned soff = 0; soff < 9; soff++) {
        for (unsigned doff = 0; doff < 9; doff++) {
            for (unsigned n = 0; n <= 40; n++) {
                fill(src, 100);
                fill(got, 200);
                fill(want, 200);
                for (unsigned i = 0; i < n; i++) {
                    want[doff + i] = src[soff + i];
                }
                CHECK(kstr_memcpy(got + doff, src + soff, n) == got + doff);
                for (unsigned i = 0; i < AREA; i++) {
                    CHECK_EQ(got[i], want[i]);
                }
                /* memmove within one buffer, both directions of overlap. */
                fill(got, 300);
                fill(want, 300);
                unsigned char tmp[AREA];
                for (unsigned i = 0; i < n; i++) {
                    tmp[i] = want[soff + i];
                }
                for (unsigned i = 0; i < n; i++) {
                    want[doff + i] = tmp[i];
                }
                CHECK(kstr_memmove(got + doff, got + soff, n) == got + doff);
                for (unsigned i = 0; i < AREA; i++) {
                    CHECK_EQ(got[i], want[i]);
                }
            }
        }
    }
}

KTEST(kstring_memcmp_strlen)
{
    unsigned char a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_EQ(kstr_memcmp(a, b, 8), 0);
    CHECK_EQ(kstr_memcmp(a, b, 0), 0);
    b[5] = 9;
    CHECK(kstr_memcmp(a, b, 8) < 0);
    CHECK(kstr_memcmp(b, a, 8) > 0);
    CHECK_EQ(kstr_memcmp(a, b, 5), 0);
    b[5] = 6;
    b[7] = 0;
    CHECK(kstr_memcmp(a, b, 8) > 0);
    CHECK_EQ(kstr_strlen(""), 0);
    CHECK_EQ(kstr_strlen("a"), 1);
    CHECK_EQ(kstr_strlen("vallum"), 6);
}
