/*
 * Small helpers used everywhere in the kernel: bit arithmetic, assertions, panics,
 * memory copies. Side-effect-free macros only.
 */
#pragma once

#include "types.h"

#define BIT(n) (1ul << (n))
#define MASK(n) (BIT(n) - 1ul)
#define IS_ALIGNED(x, bits) (((x)&MASK(bits)) == 0)
#define ROUND_DOWN(x, bits) ((x) & ~MASK(bits))
#define ROUND_UP(x, bits) ROUND_DOWN((x) + MASK(bits), bits)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED __attribute__((unused))
#define NORETURN __attribute__((noreturn))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Index of the most significant set bit of x, for 1 <= x <= 15: a table of two-bit
 * entries in one constant. */
static inline unsigned
bit_msb4(uint64_t x)
{
    return (unsigned)((0xffffaa50u >> (2 * x)) & 3);
}

/*
 * Index of the most significant set bit of x (x != 0). No libgcc in the kernel, and
 * rv64imac has no count-leading-zeros instruction: a binary search, written out (the
 * scheduler runs it on every decision), ending in bit_msb4.
 */
static inline unsigned
bit_msb(uint64_t x)
{
    unsigned n = 0;
    if (x >> 32) {
        x >>= 32;
        n += 32;
    }
    if (x >> 16) {
        x >>= 16;
        n += 16;
    }
    if (x >> 8) {
        x >>= 8;
        n += 8;
    }
    if (x >> 4) {
        x >>= 4;
        n += 4;
    }
    return n + bit_msb4(x);
}

/* Index of the least significant set bit of x (x != 0). */
static inline unsigned
bit_lsb(uint64_t x)
{
    return bit_msb(x & -x);
}

/* Stops the kernel: a kernel invariant is broken. Never for anything user-caused. */
NORETURN void kernel_panic(const char *file, int line, const char *msg);
#define panic(msg) kernel_panic(__FILE__, __LINE__, (msg))

#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : kernel_panic(__FILE__, __LINE__, "assertion failed: " #e))
#endif

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Kernel console output (debug console). */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kputs(const char *s);
