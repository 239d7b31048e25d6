/* SipHash-2-4, written from the paper's specification (section 2). */
#include <vallum/net/siphash.h>

static inline uint64_t
rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

/* Little-endian 64-bit load at any alignment. */
static uint64_t
load64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;

    for (i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

struct sip {
    uint64_t v0, v1, v2, v3;
};

static void
round_(struct sip *s)
{
    s->v0 += s->v1;
    s->v1 = rotl(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = rotl(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = rotl(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = rotl(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = rotl(s->v2, 32);
}

/* Two compression rounds per message word: the "2" of SipHash-2-4. */
static void
compress(struct sip *s, uint64_t m)
{
    s->v3 ^= m;
    round_(s);
    round_(s);
    s->v0 ^= m;
}

uint64_t
net_siphash24(const uint8_t key[16], const void *msg, size_t len)
{
    const uint8_t *p = msg;
    uint64_t k0 = load64(key), k1 = load64(key + 8);
    struct sip s = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
                    k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
    uint64_t last;
    size_t i, left = len & 7;

    for (i = 0; i + 8 <= len; i += 8) {
        compress(&s, load64(p + i));
    }
    /* The last word holds the remaining bytes and the length's low byte on top. */
    last = (uint64_t)(len & 0xff) << 56;
    while (left > 0) {
        left--;
        last |= (uint64_t)p[i + left] << (8 * left);
    }
    compress(&s, last);
    /* Four finalization rounds: the "4". */
    s.v2 ^= 0xff;
    round_(&s);
    round_(&s);
    round_(&s);
    round_(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
