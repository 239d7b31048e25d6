/*
 * Host tests of the C that vlidl generates, for interfaces/store.idl and
 * tests/idl/fixtures/v_every.idl, over host_os.c's loopback: each client stub calls the
 * generated dispatch, which calls the handlers below.
 *
 *   test_idl         round trips, with every status a client can get; VLTEST lines
 *   test_idl wire    reads requests from stdin, one a line, for tests/idl/wire.py:
 *                      "serve IFACE INFO W0 W1 ... [region=N] [cap=T]" (hex words) runs the
 *                      dispatch and prints what the handler got ("got ...") and the reply
 *                      ("reply INFO W0 ..."); "call METHOD ARGS..." calls a client stub and
 *                      prints the request it sent ("request INFO W0 ...")
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_os.h"
#include "keys.h"
#include "store.h"
#include "v_every.h"

static int failures;
static bool wire;

#define EXPECT(name, cond)                                                                         \
    do {                                                                                           \
        if (cond) {                                                                                \
            printf("VLTEST PASS idl/round_trip/%s\n", name);                                       \
        } else {                                                                                   \
            printf("VLTEST FAIL idl/round_trip/%s %s (line %d)\n", name, #cond, __LINE__);         \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static uint64_t tag_badge;

static void
hex(const volatile uint8_t *b, size_t n)
{
    printf(" ");
    for (size_t i = 0; i < n; i++) {
        printf("%02x", b[i]);
    }
    if (n == 0) {
        printf("-");
    }
}

int
store_do_put(unsigned ch, uint8_t key, enum store_kind k, bool sticky, const uint8_t *value,
             size_t value_len)
{
    (void)ch;
    if (wire) {
        printf("got put %u %u %u", key, k, sticky);
        hex(value, value_len);
        printf("\n");
    }
    return store_keys_put(key, k, sticky, value, value_len);
}

int
store_do_get(unsigned ch, uint8_t key, enum store_kind *k, uint8_t *value, size_t *value_len)
{
    (void)ch;
    if (wire) {
        printf("got get %u\n", key);
    }
    return store_keys_get(key, k, value, value_len);
}

int
store_do_sum(unsigned ch, const int16_t *xs, size_t xs_len, int32_t bias, int64_t *total,
             uint8_t *negatives)
{
    (void)ch;
    if (wire) {
        printf("got sum");
        for (size_t i = 0; i < xs_len; i++) {
            printf(" %d", xs[i]);
        }
        printf(" bias %d\n", bias);
    }
    store_keys_sum(xs, xs_len, bias, total, negatives);
    return 0;
}

int
store_do_load(unsigned ch, volatile uint8_t *data, vl_word_t data_length,
              const enum store_kind *kinds, size_t kinds_len, uint32_t *checksum,
              enum store_kind *sorted, size_t *sorted_len)
{
    (void)ch;
    if (wire) {
        printf("got load");
        hex(data, data_length);
        for (size_t i = 0; i < kinds_len; i++) {
            printf(" %u", kinds[i]);
        }
        printf("\n");
    }
    store_keys_load(data, data_length, kinds, kinds_len, checksum, sorted, sorted_len);
    return 0;
}

int
store_do_tag(unsigned ch, vl_cptr_t n, uint64_t *badge)
{
    (void)ch;
    if (wire) {
        printf("got tag %" PRIu64 "\n", (uint64_t)n);
    }
    if (tag_badge == 0) {
        return STORE_TAG_UNBADGED;
    }
    *badge = tag_badge;
    return 0;
}

int
v_every_do_scalars(unsigned ch, uint8_t a, uint16_t b, uint32_t c, uint64_t d, int8_t e, int16_t f,
                   int32_t g, int64_t h, bool i, enum v_every_state j, uint8_t *ra, uint16_t *rb,
                   uint32_t *rc, uint64_t *rd, int8_t *re, int16_t *rf, int32_t *rg, int64_t *rh,
                   bool *ri, enum v_every_state *rj)
{
    (void)ch;
    if (wire) {
        printf("got scalars %u %u %u %" PRIu64 " %d %d %d %" PRId64 " %d %u\n", a, b, c, d, e, f, g,
               h, i, j);
    }
    *ra = a;
    *rb = b;
    *rc = c;
    *rd = d;
    *re = e;
    *rf = f;
    *rg = g;
    *rh = h;
    *ri = i;
    *rj = j;
    return 0;
}

int
v_every_do_mixed(unsigned ch, const uint8_t *a, size_t a_len, uint32_t b, const bool *c,
                 size_t c_len, const uint8_t *d, size_t d_len, const enum v_every_one *e,
                 size_t e_len, const int64_t *f, size_t f_len, uint8_t *ra, size_t *ra_len,
                 uint16_t *rb, size_t *rb_len, uint8_t *rc)
{
    (void)ch;
    (void)a;
    (void)e;
    (void)f;
    if (b > 3) {
        return (int)b; /* 4 and up: not a declared error */
    }
    if (b > 0) {
        return (int)b;
    }
    *ra_len = d_len < 9 ? d_len : 9;
    memcpy(ra, d, *ra_len);
    *rb_len = 2;
    rb[0] = (uint16_t)a_len;
    rb[1] = (uint16_t)(c_len + e_len + f_len);
    *rc = c_len > 0 && c[0];
    return 0;
}

int
v_every_do_bulk2(unsigned ch, volatile uint8_t *a, vl_word_t a_length, volatile uint8_t *b,
                 vl_word_t b_length, vl_cptr_t c)
{
    (void)ch;
    (void)a;
    (void)b;
    (void)c;
    return a_length + b_length > 0 ? 0 : 0;
}

int
v_every_do_nothing(unsigned ch)
{
    (void)ch;
    return 0;
}

static uint8_t region_buf[64];
static struct vl_idl_region region = {region_buf, sizeof(region_buf)};

static vl_word_t
serve_store(unsigned ch, vl_word_t info)
{
    return store_dispatch(ch, info, &region);
}

static vl_word_t
serve_every(unsigned ch, vl_word_t info)
{
    return v_every_dispatch(ch, info, &region);
}

/* A server that lies: replies with the status, length and words set here. */
static vl_word_t lie_info;
static vl_word_t lie_words[8];
static vl_word_t
serve_lies(unsigned ch, vl_word_t info)
{
    (void)ch;
    (void)info;
    memcpy(host_mr, lie_words, sizeof(lie_words));
    return lie_info;
}

static void
test_store(void)
{
    host_server = serve_store;
    const uint8_t hello[] = "hello, store";
    EXPECT("put", store_put(0, 3, STORE_KIND_SECRET, true, hello, 12) == 0);
    EXPECT("put_taken", store_put(0, 3, STORE_KIND_PLAIN, false, hello, 1) == STORE_PUT_TAKEN);
    EXPECT("put_full", store_put(0, 16, STORE_KIND_PLAIN, false, hello, 1) == STORE_PUT_FULL);
    EXPECT("put_empty_value", store_put(0, 4, STORE_KIND_SEALED, false, hello, 0) == 0);
    uint8_t big[25] = {0};
    EXPECT("put_too_long_not_sent",
           store_put(0, 5, STORE_KIND_PLAIN, false, big, 25) == VL_IDL_BAD_SIZE &&
               !store_keys[5].present);
    EXPECT("put_24",
           store_put(0, 5, STORE_KIND_PLAIN, false, big, 24) == 0 && store_keys[5].len == 24);
    EXPECT("put_bad_enum_not_sent",
           store_put(0, 6, (enum store_kind)3, false, hello, 1) == VL_IDL_BAD_ENUM);
    enum store_kind k = STORE_KIND_PLAIN;
    uint8_t v[24];
    size_t n = 99;
    EXPECT("get", store_get(0, 3, &k, v, &n) == 0 && k == STORE_KIND_SECRET && n == 12 &&
                      memcmp(v, hello, 12) == 0);
    EXPECT("get_empty_value", store_get(0, 4, &k, v, &n) == 0 && n == 0 && k == STORE_KIND_SEALED);
    EXPECT("get_empty", store_get(0, 9, &k, v, &n) == STORE_GET_EMPTY);
    int16_t xs[8] = {-32768, 32767, -1, 5, 0, 0, 0, 0};
    int64_t total = 0;
    uint8_t neg = 0;
    EXPECT("sum", store_sum(0, xs, 4, -2147483647 - 1, &total, &neg) == 0 &&
                      total == -32768 + 32767 - 1 + 5 - 2147483648ll && neg == 2);
    EXPECT("sum_none", store_sum(0, xs, 0, 7, &total, &neg) == 0 && total == 7 && neg == 0);
    EXPECT("sum_too_many_not_sent", store_sum(0, xs, 9, 0, &total, &neg) == VL_IDL_BAD_SIZE);
    for (unsigned i = 0; i < sizeof(region_buf); i++) {
        region_buf[i] = (uint8_t)i;
    }
    enum store_kind kinds[4] = {STORE_KIND_SEALED, STORE_KIND_PLAIN, STORE_KIND_SECRET,
                                STORE_KIND_PLAIN};
    enum store_kind sorted[4];
    uint32_t sum = 0;
    EXPECT("load", store_load(0, 10, 4, kinds, 4, &sum, sorted, &n) == 0 && sum == 46 && n == 4 &&
                       sorted[0] == STORE_KIND_PLAIN && sorted[3] == STORE_KIND_SEALED);
    EXPECT("load_whole_region",
           store_load(0, 0, 64, kinds, 0, &sum, sorted, &n) == 0 && sum == 63 * 64 / 2);
    EXPECT("load_past_end", store_load(0, 60, 5, kinds, 0, &sum, sorted, &n) == VL_IDL_BAD_BULK);
    EXPECT("load_wrapping",
           store_load(0, ~0ull - 1, 4, kinds, 0, &sum, sorted, &n) == VL_IDL_BAD_BULK);
    host_cap_type = VL_CAP_NOTIFICATION;
    tag_badge = 0x51;
    uint64_t badge = 0;
    host_cap_drops = 0;
    EXPECT("tag", store_tag(0, 12, &badge) == 0 && badge == 0x51 && host_sent_cap == 12 &&
                      host_cap_drops == 1);
    tag_badge = 0;
    EXPECT("tag_unbadged", store_tag(0, 12, &badge) == STORE_TAG_UNBADGED);
    host_cap_type = VL_CAP_ENDPOINT;
    EXPECT("tag_wrong_type",
           store_tag(0, 12, &badge) == VL_IDL_BAD_CAP_TYPE && host_cap_drops == 3);
}

static void
test_every(void)
{
    host_server = serve_every;
    uint8_t ra;
    uint16_t rb;
    uint32_t rc;
    uint64_t rd;
    int8_t re;
    int16_t rf;
    int32_t rg;
    int64_t rh;
    bool ri;
    enum v_every_state rj;
    EXPECT("scalars_max", v_every_scalars(1, 255, 65535, 0xffffffffu, ~0ull, 127, 32767, 2147483647,
                                          INT64_MAX, true, V_EVERY_STATE_BROKEN, &ra, &rb, &rc, &rd,
                                          &re, &rf, &rg, &rh, &ri, &rj) == 0 &&
                              ra == 255 && rb == 65535 && rc == 0xffffffffu && rd == ~0ull &&
                              re == 127 && rf == 32767 && rg == 2147483647 && rh == INT64_MAX &&
                              ri && rj == V_EVERY_STATE_BROKEN);
    EXPECT("scalars_min", v_every_scalars(1, 0, 0, 0, 0, -128, -32768, -2147483647 - 1, INT64_MIN,
                                          false, V_EVERY_STATE_OFF, &ra, &rb, &rc, &rd, &re, &rf,
                                          &rg, &rh, &ri, &rj) == 0 &&
                              re == -128 && rf == -32768 && rg == -2147483647 - 1 &&
                              rh == INT64_MIN && !ri && rj == V_EVERY_STATE_OFF);
    const bool c[3] = {true, false, true};
    const uint8_t d[17] = "abcdefghijklmnopq";
    const enum v_every_one e[1] = {V_EVERY_ONE_ONLY};
    const int64_t f[2] = {-1, 1};
    uint8_t rra[9];
    size_t rra_len;
    uint16_t rrb[2];
    size_t rrb_len;
    uint8_t rrc;
    EXPECT("mixed", v_every_mixed(1, d, 1, 0, c, 3, d, 17, e, 1, f, 2, rra, &rra_len, rrb, &rrb_len,
                                  &rrc) == 0 &&
                        rra_len == 9 && memcmp(rra, "abcdefghi", 9) == 0 && rrb_len == 2 &&
                        rrb[0] == 1 && rrb[1] == 6 && rrc == 1);
    EXPECT("mixed_empty", v_every_mixed(1, d, 0, 0, c, 0, d, 0, e, 0, f, 0, rra, &rra_len, rrb,
                                        &rrb_len, &rrc) == 0 &&
                              rra_len == 0 && rrc == 0);
    EXPECT("mixed_error", v_every_mixed(1, d, 0, 3, c, 0, d, 0, e, 0, f, 0, rra, &rra_len, rrb,
                                        &rrb_len, &rrc) == V_EVERY_MIXED_THIRD);
    EXPECT("mixed_undeclared_error",
           v_every_mixed(1, d, 0, 4, c, 0, d, 0, e, 0, f, 0, rra, &rra_len, rrb, &rrb_len, &rrc) ==
               VL_IDL_SERVER_ERROR);
    EXPECT("nothing", v_every_nothing(1) == 0);
    host_cap_type = VL_CAP_ENDPOINT;
    EXPECT("bulk2", v_every_bulk2(1, 0, 64, 64, 0, 5) == 0);
    EXPECT("bulk2_second_out", v_every_bulk2(1, 0, 64, 64, 1, 5) == VL_IDL_BAD_BULK);
}

/* A client refuses replies that break the wire format, whatever the server says. */
static void
test_lying_server(void)
{
    host_server = serve_lies;
    uint64_t badge;
    enum store_kind k;
    uint8_t v[24];
    size_t n;
    lie_info = vl_msginfo(0, 0, 0, 2);
    EXPECT("reply_too_long", store_tag(0, 1, &badge) == VL_IDL_BAD_REPLY);
    lie_info = vl_msginfo(0, 0, 1, 1);
    EXPECT("reply_with_cap", store_tag(0, 1, &badge) == VL_IDL_BAD_REPLY);
    lie_info = vl_msginfo(0, 0, 0, 2);
    lie_words[0] = 3;
    lie_words[1] = 0;
    EXPECT("reply_bad_enum", store_get(0, 1, &k, v, &n) == VL_IDL_BAD_REPLY);
    lie_words[0] = 0;
    lie_words[1] = 25;
    EXPECT("reply_string_too_long", store_get(0, 1, &k, v, &n) == VL_IDL_BAD_REPLY);
    lie_words[1] = 9;
    EXPECT("reply_string_past_end", store_get(0, 1, &k, v, &n) == VL_IDL_BAD_REPLY);
    lie_info = vl_msginfo(0, 0, 0, 3);
    lie_words[1] = 1;
    lie_words[2] = 0x100 | 'x';
    EXPECT("reply_padding", store_get(0, 1, &k, v, &n) == VL_IDL_BAD_REPLY);
    lie_words[2] = 'x';
    EXPECT("reply_honest", store_get(0, 1, &k, v, &n) == 0 && n == 1 && v[0] == 'x');
    lie_info = vl_msginfo(VL_IDL_BAD_LENGTH, 0, 0, 0);
    EXPECT("reply_status", store_get(0, 1, &k, v, &n) == VL_IDL_BAD_LENGTH);
    lie_info = vl_msginfo(1ull << 40, 0, 0, 0);
    EXPECT("reply_huge_status", store_get(0, 1, &k, v, &n) == VL_IDL_BAD_REPLY);
}

/* wire mode: see the top of the file. */
static void
print_message(const char *what, vl_word_t info)
{
    printf("%s %" PRIx64, what, (uint64_t)info);
    for (unsigned i = 0; i < vl_msginfo_length(info) && i < VL_MSG_MAX_LENGTH; i++) {
        printf(" %" PRIx64, (uint64_t)host_mr[i]);
    }
    printf("\n");
}

static vl_word_t
serve_record(unsigned ch, vl_word_t info)
{
    (void)ch;
    print_message("request", info);
    return vl_msginfo(0x77, 0, 0, 0);
}

static int
run_wire(void)
{
    wire = true;
    char line[4096];
    while (fgets(line, sizeof(line), stdin) != NULL) {
        char *save = NULL;
        char *cmd = strtok_r(line, " \n", &save);
        if (cmd == NULL) {
            continue;
        }
        vl_word_t w[VL_MSG_MAX_LENGTH] = {0};
        unsigned n = 0;
        char *iface = strtok_r(NULL, " \n", &save);
        if (iface == NULL) {
            return 2;
        }
        if (strcmp(cmd, "call") == 0) {
            /* call put KEY KIND STICKY HEX | call sum BIAS X... */
            host_server = serve_record;
            char *tok;
            vl_word_t a[16];
            unsigned na = 0;
            char *bytes = NULL;
            while ((tok = strtok_r(NULL, " \n", &save)) != NULL && na < 16) {
                if (tok[0] == 'x') {
                    bytes = tok + 1;
                } else {
                    a[na++] = strtoull(tok, NULL, 0);
                }
            }
            if (strcmp(iface, "put") == 0 && na == 3 && bytes != NULL) {
                uint8_t b[64];
                size_t bl = strlen(bytes) / 2;
                for (size_t i = 0; i < bl && i < sizeof(b); i++) {
                    sscanf(bytes + 2 * i, "%2hhx", &b[i]);
                }
                printf("status %d\n",
                       store_put(0, (uint8_t)a[0], (enum store_kind)a[1], a[2] != 0, b, bl));
            } else if (strcmp(iface, "sum") == 0 && na >= 1) {
                int16_t xs[16];
                for (unsigned i = 1; i < na; i++) {
                    xs[i - 1] = (int16_t)(int64_t)a[i];
                }
                int64_t t;
                uint8_t neg;
                printf("status %d\n", store_sum(0, xs, na - 1, (int32_t)(int64_t)a[0], &t, &neg));
            } else {
                return 2;
            }
            fflush(stdout);
            continue;
        }
        vl_word_t info = strtoull(strtok_r(NULL, " \n", &save), NULL, 16);
        char *tok;
        host_cap_type = VL_CAP_NULL;
        region.size = sizeof(region_buf);
        while ((tok = strtok_r(NULL, " \n", &save)) != NULL) {
            if (strncmp(tok, "region=", 7) == 0) {
                region.size = strtoull(tok + 7, NULL, 0);
            } else if (strncmp(tok, "cap=", 4) == 0) {
                host_cap_type = strtoull(tok + 4, NULL, 0);
            } else if (n < VL_MSG_MAX_LENGTH) {
                w[n++] = strtoull(tok, NULL, 16);
            }
        }
        host_message(info, w, n);
        vl_word_t reply = strcmp(iface, "store") == 0 ? store_dispatch(0, info, &region)
                                                      : v_every_dispatch(0, info, &region);
        print_message("reply", reply);
        fflush(stdout);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    for (unsigned i = 0; i < sizeof(region_buf); i++) {
        region_buf[i] = (uint8_t)i;
    }
    if (argc == 2 && strcmp(argv[1], "wire") == 0) {
        return run_wire();
    }
    test_store();
    test_every();
    test_lying_server();
    return failures != 0;
}
