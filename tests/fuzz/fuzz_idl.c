/*
 * libFuzzer over the server dispatches vlidl generates, for interfaces/store.idl and
 * interfaces/counter.idl: random labels, message lengths, words, capabilities and shared
 * regions. The oracles are written here by hand from docs/idl.md, not generated:
 *   - expect_store()/expect_counter() decode each request the way the wire format says and
 *     name the status the dispatch must reply with; the dispatch must agree;
 *   - a handler runs only for a request the hand-written decode accepts, and gets exactly
 *     the values it decoded (so never an out-of-range one);
 *   - the shared region is a heap buffer of exactly its size, and the load handler reads
 *     every byte it is given: a bulk range outside it is an ASan report;
 *   - host_os.c aborts on a read of a register past the message's length.
 * Build and run: make fuzz-idl (20 s in make test), make fuzz-idl-long (10 min).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "host_os.h"
#include "store.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_idl: %s:%d: %s\n", __FILE__, __LINE__, #cond);                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* What the hand-written decode expects a handler to be called with. */
static struct {
    int method;      /* 0: no handler may run */
    vl_word_t w[16]; /* scalars, in argument order */
    uint8_t bytes[24];
    size_t bytes_len;
    int64_t elems[8];
    size_t elems_len;
    vl_word_t off, len; /* bulk */
    int called;
    int status; /* what the handler returns */
} ex;

static uint8_t *region;
static size_t region_size;

int
store_do_put(unsigned ch, uint8_t key, enum store_kind k, bool sticky, const uint8_t *value,
             size_t value_len)
{
    (void)ch;
    CHECK(ex.method == 1 && !ex.called);
    CHECK(key == ex.w[0] && (vl_word_t)k == ex.w[1] && sticky == (ex.w[2] != 0));
    CHECK(value_len == ex.bytes_len && memcmp(value, ex.bytes, value_len) == 0);
    ex.called = 1;
    return ex.status;
}

int
store_do_get(unsigned ch, uint8_t key, enum store_kind *k, uint8_t *value, size_t *value_len)
{
    (void)ch;
    CHECK(ex.method == 2 && !ex.called && key == ex.w[0]);
    ex.called = 1;
    /* A server bug the dispatch must catch: an undeclared kind, a value too long. */
    *k = (enum store_kind)(key % 4);
    *value_len = key % 32;
    memset(value, 0xab, *value_len < 24 ? *value_len : 24);
    return ex.status;
}

int
store_do_sum(unsigned ch, const int16_t *xs, size_t xs_len, int32_t bias, int64_t *total,
             uint8_t *negatives)
{
    (void)ch;
    CHECK(ex.method == 3 && !ex.called && xs_len == ex.elems_len);
    int64_t t = bias;
    uint8_t neg = 0;
    for (size_t i = 0; i < xs_len; i++) {
        CHECK(xs[i] == ex.elems[i] && xs[i] >= -32768 && xs[i] <= 32767);
        t += xs[i];
        neg += xs[i] < 0;
    }
    CHECK(bias == (int64_t)ex.w[0]);
    ex.called = 1;
    *total = t;
    *negatives = neg;
    return ex.status;
}

int
store_do_load(unsigned ch, volatile uint8_t *data, vl_word_t data_length,
              const enum store_kind *kinds, size_t kinds_len, uint32_t *checksum,
              enum store_kind *sorted, size_t *sorted_len)
{
    (void)ch;
    CHECK(ex.method == 4 && !ex.called);
    CHECK(data == region + ex.off && data_length == ex.len);
    uint32_t sum = 0;
    for (vl_word_t i = 0; i < data_length; i++) {
        sum += data[i]; /* outside the region: ASan */
    }
    CHECK(kinds_len == ex.elems_len);
    for (size_t i = 0; i < kinds_len; i++) {
        CHECK((int64_t)kinds[i] == ex.elems[i] && kinds[i] < STORE_KIND_COUNT);
        sorted[i] = kinds[i];
    }
    *sorted_len = kinds_len;
    *checksum = sum;
    ex.called = 1;
    return ex.status;
}

int
store_do_tag(unsigned ch, vl_cptr_t n, uint64_t *badge)
{
    (void)ch;
    CHECK(ex.method == 5 && !ex.called && n == HOST_RECV_SLOT &&
          host_cap_type == VL_CAP_NOTIFICATION);
    ex.called = 1;
    *badge = 7;
    return ex.status;
}

int
counter_do_hit(unsigned ch, uint64_t *calls)
{
    (void)ch;
    CHECK(ex.method == 1 && !ex.called);
    ex.called = 1;
    *calls = 1;
    return ex.status;
}

int
counter_do_add(unsigned ch, uint64_t n, uint64_t *total)
{
    (void)ch;
    CHECK(ex.method == 2 && !ex.called && n == ex.w[0]);
    ex.called = 1;
    *total = n;
    return ex.status;
}

static bool
fits_signed(vl_word_t w, unsigned bits)
{
    int64_t v = (int64_t)w;
    return v >= -(1ll << (bits - 1)) && v < (1ll << (bits - 1));
}

/*
 * The hand-written decode of a store request, in the order docs/idl.md gives: the status the
 * reply must carry (0 when the handler must run, with ex filled in).
 */
static vl_word_t
expect_store(vl_word_t info, const vl_word_t *m, vl_word_t cap_type)
{
    vl_word_t label = vl_msginfo_label(info);
    vl_word_t len = vl_msginfo_length(info);
    len = len > VL_MSG_MAX_LENGTH ? VL_MSG_MAX_LENGTH : len;
    unsigned caps = 0;
    if (label >> 16 != 2) {
        return VL_IDL_BAD_VERSION;
    }
    vl_word_t meth = label & 0xffff;
    if (meth < 1 || meth > 5) {
        return VL_IDL_BAD_METHOD;
    }
    ex.method = (int)meth;
    vl_word_t p = 0;
    switch (meth) {
    case 1: /* put(u8 key, kind k, bool sticky, bytes<24> value) */
        if (len < 4 || len > 7) {
            return VL_IDL_BAD_LENGTH;
        }
        if (m[0] > 255) {
            return VL_IDL_BAD_RANGE;
        }
        if (m[1] > 2) {
            return VL_IDL_BAD_ENUM;
        }
        if (m[2] > 1) {
            return VL_IDL_BAD_BOOL;
        }
        if (m[3] > 24) {
            return VL_IDL_BAD_SIZE;
        }
        if (4 + (m[3] + 7) / 8 > len) {
            return VL_IDL_BAD_LENGTH;
        }
        ex.bytes_len = m[3];
        for (size_t i = 0; i < 24; i++) {
            uint8_t b = (uint8_t)(m[4 + i / 8] >> (8 * (i % 8)));
            if (i < ex.bytes_len) {
                ex.bytes[i] = b;
            } else if (i / 8 < (ex.bytes_len + 7) / 8 && b != 0) {
                return VL_IDL_BAD_RANGE; /* padding of the last word */
            }
        }
        if (4 + (m[3] + 7) / 8 != len) {
            return VL_IDL_BAD_LENGTH;
        }
        memcpy(ex.w, m, 3 * sizeof(vl_word_t));
        break;
    case 2: /* get(u8 key) */
        if (len != 1) {
            return VL_IDL_BAD_LENGTH;
        }
        if (m[0] > 255) {
            return VL_IDL_BAD_RANGE;
        }
        ex.w[0] = m[0];
        break;
    case 3: /* sum(i16[8] xs, i32 bias) */
        if (len < 2 || len > 10) {
            return VL_IDL_BAD_LENGTH;
        }
        if (m[0] > 8) {
            return VL_IDL_BAD_SIZE;
        }
        if (1 + m[0] + 1 > len) {
            return VL_IDL_BAD_LENGTH;
        }
        for (p = 0; p < m[0]; p++) {
            if (!fits_signed(m[1 + p], 16)) {
                return VL_IDL_BAD_RANGE;
            }
            ex.elems[p] = (int64_t)m[1 + p];
        }
        ex.elems_len = m[0];
        if (!fits_signed(m[1 + m[0]], 32)) {
            return VL_IDL_BAD_RANGE;
        }
        ex.w[0] = m[1 + m[0]];
        if (1 + m[0] + 1 != len) {
            return VL_IDL_BAD_LENGTH;
        }
        break;
    case 4: /* load(bulk data, kind[4] kinds) */
        if (len < 3 || len > 7) {
            return VL_IDL_BAD_LENGTH;
        }
        if (region == NULL || m[0] > region_size || m[1] > region_size - m[0]) {
            return VL_IDL_BAD_BULK;
        }
        ex.off = m[0];
        ex.len = m[1];
        if (m[2] > 4) {
            return VL_IDL_BAD_SIZE;
        }
        if (3 + m[2] > len) {
            return VL_IDL_BAD_LENGTH;
        }
        for (p = 0; p < m[2]; p++) {
            if (m[3 + p] > 2) {
                return VL_IDL_BAD_ENUM;
            }
            ex.elems[p] = (int64_t)m[3 + p];
        }
        ex.elems_len = m[2];
        if (3 + m[2] != len) {
            return VL_IDL_BAD_LENGTH;
        }
        break;
    case 5: /* tag(cap<notification> n) */
        if (len != 0) {
            return VL_IDL_BAD_LENGTH;
        }
        caps = 1;
        break;
    }
    if (vl_msginfo_extra_caps(info) != caps || vl_msginfo_unwrapped(info) != 0) {
        return VL_IDL_BAD_CAPS;
    }
    if (caps == 1 && cap_type != VL_CAP_NOTIFICATION) {
        return VL_IDL_BAD_CAP_TYPE;
    }
    return 0;
}

static vl_word_t
expect_counter(vl_word_t info, const vl_word_t *m)
{
    vl_word_t label = vl_msginfo_label(info);
    vl_word_t len = vl_msginfo_length(info);
    if (label >> 16 != 1) {
        return VL_IDL_BAD_VERSION;
    }
    if ((label & 0xffff) < 1 || (label & 0xffff) > 2) {
        return VL_IDL_BAD_METHOD;
    }
    ex.method = (int)(label & 0xffff);
    if (len != (ex.method == 1 ? 0u : 1u)) {
        return VL_IDL_BAD_LENGTH;
    }
    ex.w[0] = m[0];
    if (vl_msginfo_extra_caps(info) != 0 || vl_msginfo_unwrapped(info) != 0) {
        return VL_IDL_BAD_CAPS;
    }
    return 0;
}

/* Takes n bytes of input as a little-endian number (zeros past the end). */
static vl_word_t
take(const uint8_t **d, size_t *size, unsigned n)
{
    vl_word_t v = 0;
    for (unsigned i = 0; i<n && * size> 0; i++, (*d)++, (*size)--) {
        v |= (vl_word_t) * *d << (8 * i);
    }
    return v;
}

/* A word that is often near a boundary: small, a type's limit, or random. */
static vl_word_t
take_word(const uint8_t **d, size_t *size)
{
    static const vl_word_t edges[] = {0,
                                      1,
                                      2,
                                      3,
                                      4,
                                      7,
                                      8,
                                      9,
                                      23,
                                      24,
                                      25,
                                      127,
                                      128,
                                      255,
                                      256,
                                      0x7fff,
                                      0x8000,
                                      0xffff,
                                      0x7fffffff,
                                      0x80000000ull,
                                      0xffffffffull,
                                      ~0ull,
                                      ~0ull - 0x7fff,
                                      ~0ull - 0x8000,
                                      ~0ull - 0x7fffffff,
                                      ~0ull - 0x80000000ull,
                                      1ull << 63};
    vl_word_t sel = take(d, size, 1);
    if (sel < 0x80) {
        return sel & 0x3f;
    }
    if (sel < 0xc0) {
        return edges[sel % (sizeof(edges) / sizeof(edges[0]))];
    }
    return take(d, size, 8);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vl_word_t mode = take(&data, &size, 1);
    bool is_store = (mode & 1) == 0;
    vl_word_t version = (mode & 2) ? take(&data, &size, 2) : (is_store ? 2 : 1);
    vl_word_t method = (mode & 4) ? take(&data, &size, 2) : take(&data, &size, 1) % 6;
    vl_word_t label = (version << 16) | method;
    if (mode & 8) {
        label |= take(&data, &size, 2) << 32; /* high label bits */
    }
    vl_word_t shape = take(&data, &size, 2);
    vl_word_t info = vl_msginfo(label, (shape >> 7) & 7, (shape >> 10) & 3, shape & 0x7f);
    region_size = take(&data, &size, 1);
    host_cap_type = take(&data, &size, 1) % 16;
    vl_word_t status = (vl_word_t)take(&data, &size, 1);
    vl_word_t words[VL_MSG_MAX_LENGTH];
    for (unsigned i = 0; i < VL_MSG_MAX_LENGTH; i++) {
        words[i] = i < 12 ? take_word(&data, &size) : 0;
    }
    free(region);
    region = region_size == 0xff ? NULL : malloc(region_size + !region_size);
    if (region != NULL) {
        memset(region, 0x5a, region_size);
    }

    memset(&ex, 0, sizeof(ex));
    /* The handler's own status: 0 mostly, sometimes a declared error or an undeclared one. */
    ex.status = status < 200 ? 0 : (int)(status % 5) - 1;
    vl_word_t want =
        is_store ? expect_store(info, words, host_cap_type) : expect_counter(info, words);
    if (want != 0) {
        ex.method = 0;
    }
    host_message(info, words, VL_MSG_MAX_LENGTH);
    host_cap_drops = 0;
    struct vl_idl_region r = {region, region_size};
    vl_word_t reply = is_store ? store_dispatch(3, info, region != NULL ? &r : NULL)
                               : counter_dispatch(3, info, NULL);
    vl_word_t got = vl_msginfo_label(reply);
    CHECK(ex.called == (want == 0));
    CHECK(host_cap_drops == (vl_msginfo_extra_caps(info) != 0));
    if (want != 0) {
        CHECK(got == want && vl_msginfo_length(reply) == 0);
        return 0;
    }
    /* The handler ran: its status, unless it broke its own declaration. */
    unsigned nerrors = !is_store ? (ex.method == 2 ? 1 : 0)
                                 : (ex.method == 1                     ? 2
                                    : ex.method == 2 || ex.method == 5 ? 1
                                                                       : 0);
    if (ex.status < 0 || ex.status > (int)nerrors) {
        CHECK(got == VL_IDL_SERVER_ERROR);
    } else if (ex.status != 0) {
        CHECK(got == (vl_word_t)ex.status && vl_msginfo_length(reply) == 0);
    } else if (is_store && ex.method == 2 && (ex.w[0] % 4 == 3 || ex.w[0] % 32 > 24)) {
        CHECK(got == VL_IDL_SERVER_ERROR); /* the handler's bad kind or length */
    } else {
        CHECK(got == 0 && vl_msginfo_length(reply) <= VL_MSG_MAX_LENGTH);
    }
    return 0;
}
