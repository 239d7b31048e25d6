/*
 * storeuser: the client of the idl system. It uses storer through the stubs generated from
 * interfaces/store.idl, reaching every status a request can get, then sends hand-made
 * requests that lie about labels, lengths, counts, values and bulk ranges, and checks that
 * each is refused with the status docs/idl.md names. One line per check:
 * "storeuser: <check> ok" or "storeuser: <check> FAILED ...", then "storeuser: done, N
 * failed".
 */
#include <stdio.h>
#include <string.h>
#include <vallum/os.h>

#include "store.h"

#define CH_STORE 0  /* store, with grant: a cap argument reaches storer */
#define CH_PLAIN 1  /* store, without grant: the kernel transfers no cap */
#define CH_NOTIFY 2 /* to storer: its slot is a notification cap badged 1 << 2 */

static unsigned failed;

static void
expect(const char *check, int got, int want)
{
    if (got == want) {
        printf("storeuser: %s ok\n", check);
    } else {
        printf("storeuser: %s FAILED: status 0x%x, want 0x%x\n", check, got, want);
        failed++;
    }
}

static void
expect_true(const char *check, bool ok)
{
    expect(check, ok ? 0 : 1, 0);
}

/* A hand-made request: label, words and extra-capability count as given. */
static void
lie(const char *check, vl_word_t label, const vl_word_t *words, unsigned n, int want)
{
    for (unsigned i = 0; i < n; i++) {
        vl_os_mr_set(i, words[i]);
    }
    vl_word_t reply = vl_os_ppcall(CH_STORE, vl_msginfo(label, 0, 0, n));
    int got = (int)vl_msginfo_label(reply);
    expect(check, vl_msginfo_length(reply) == 0 ? got : -1, want);
}

static void
use_the_stubs(volatile uint8_t *bulk)
{
    static const uint8_t hello[] = "hello, store";
    expect("put", store_put(CH_STORE, 3, STORE_KIND_SECRET, true, hello, 12), 0);
    expect("put_taken", store_put(CH_STORE, 3, STORE_KIND_PLAIN, false, hello, 2), STORE_PUT_TAKEN);
    expect("put_full", store_put(CH_STORE, 16, STORE_KIND_PLAIN, false, hello, 2), STORE_PUT_FULL);
    enum store_kind k = STORE_KIND_PLAIN;
    uint8_t v[24];
    size_t n = 0;
    int st = store_get(CH_STORE, 3, &k, v, &n);
    expect_true("get", st == 0 && k == STORE_KIND_SECRET && n == 12 && memcmp(v, hello, 12) == 0);
    expect("get_empty", store_get(CH_STORE, 4, &k, v, &n), STORE_GET_EMPTY);
    const int16_t xs[8] = {-32768, 32767, -1, 5, -2, 0, 0, 9};
    int64_t total = 0;
    uint8_t neg = 0;
    st = store_sum(CH_STORE, xs, 8, -100, &total, &neg);
    expect_true("sum", st == 0 && total == -32768 + 32767 - 1 + 5 - 2 + 9 - 100 && neg == 3);
    for (unsigned i = 0; i < 4096; i++) {
        bulk[i] = (uint8_t)i;
    }
    const enum store_kind kinds[4] = {STORE_KIND_SEALED, STORE_KIND_PLAIN, STORE_KIND_SECRET,
                                      STORE_KIND_PLAIN};
    enum store_kind sorted[4];
    uint32_t sum = 0;
    st = store_load(CH_STORE, 4090, 6, kinds, 4, &sum, sorted, &n);
    expect_true("load", st == 0 && sum == 250 + 251 + 252 + 253 + 254 + 255 && n == 4 &&
                            sorted[0] == STORE_KIND_PLAIN && sorted[3] == STORE_KIND_SEALED);
    st = store_load(CH_STORE, 0, 4096, kinds, 0, &sum, sorted, &n);
    expect_true("load_whole_region", st == 0 && sum == 16 * (255 * 256 / 2) && n == 0);
    /* The stubs pass offsets as given: a client that lies about them is refused. */
    expect("load_past_end", store_load(CH_STORE, 4090, 7, kinds, 0, &sum, sorted, &n),
           VL_IDL_BAD_BULK);
    expect("load_offset_past_end", store_load(CH_STORE, 4097, 0, kinds, 0, &sum, sorted, &n),
           VL_IDL_BAD_BULK);
    expect("load_wrapping", store_load(CH_STORE, ~0ull - 3, 8, kinds, 0, &sum, sorted, &n),
           VL_IDL_BAD_BULK);
    /* Channel 0 has grant: the cap reaches the handler, which reads its badge. */
    uint64_t badge = 0;
    st = store_tag(CH_STORE, VL_COMP_SLOT_CHANNEL + CH_NOTIFY, &badge);
    expect_true("tag", st == 0 && badge == 1u << CH_NOTIFY);
    expect("tag_unbadged", store_tag(CH_STORE, VL_COMP_SLOT_NTFN, &badge), STORE_TAG_UNBADGED);
    /* An endpoint cap (storeuser's own) where a notification is declared: refused before
     * the handler. */
    expect("tag_wrong_type", store_tag(CH_STORE, VL_COMP_SLOT_EP, &badge), VL_IDL_BAD_CAP_TYPE);
    /* A cap to the endpoint the call goes through is unwrapped by the kernel (its badge
     * arrives instead of the cap), which the decode refuses as not a capability. */
    expect("tag_same_endpoint_unwrapped",
           store_tag(CH_STORE, VL_COMP_SLOT_CHANNEL + CH_PLAIN, &badge), VL_IDL_BAD_CAPS);
    /* Channel 1 has no grant: the capability stays behind, other calls work there. */
    expect("tag_cap_not_transferred", store_tag(CH_PLAIN, VL_COMP_SLOT_CHANNEL + CH_NOTIFY, &badge),
           VL_IDL_BAD_CAPS);
    expect_true("plain_channel_get", store_get(CH_PLAIN, 3, &k, v, &n) == 0 && n == 12);
    /* What the stub cannot encode it does not send. */
    static const uint8_t big[25];
    expect("put_too_long", store_put(CH_STORE, 5, STORE_KIND_PLAIN, false, big, 25),
           VL_IDL_BAD_SIZE);
    expect("put_bad_kind", store_put(CH_STORE, 5, (enum store_kind)7, false, big, 1),
           VL_IDL_BAD_ENUM);
    expect("sum_too_many", store_sum(CH_STORE, xs, 9, 0, &total, &neg), VL_IDL_BAD_SIZE);
    expect("wrong_channel", store_get(5, 3, &k, v, &n), VL_OS_BAD_CHANNEL);
}

static void
lie_to_the_server(void)
{
    const vl_word_t put_ok[] = {6, 0, 0, 3, 0x636261};
    lie("lie_version", VL_IDL_LABEL(1, 2), put_ok, 1, VL_IDL_BAD_VERSION);
    lie("lie_label_high_bits", STORE_GET_LABEL | (1ull << 40), put_ok, 1, VL_IDL_BAD_VERSION);
    lie("lie_method_0", VL_IDL_LABEL(2, 0), put_ok, 0, VL_IDL_BAD_METHOD);
    lie("lie_method_6", VL_IDL_LABEL(2, 6), put_ok, 0, VL_IDL_BAD_METHOD);
    lie("lie_put_too_short", STORE_PUT_LABEL, put_ok, 3, VL_IDL_BAD_LENGTH);
    lie("lie_get_too_long", STORE_GET_LABEL, put_ok, 2, VL_IDL_BAD_LENGTH);
    lie("lie_key_range", STORE_GET_LABEL, (const vl_word_t[]){256}, 1, VL_IDL_BAD_RANGE);
    lie("lie_kind", STORE_PUT_LABEL, (const vl_word_t[]){6, 3, 0, 0}, 4, VL_IDL_BAD_ENUM);
    lie("lie_bool", STORE_PUT_LABEL, (const vl_word_t[]){6, 0, 2, 0}, 4, VL_IDL_BAD_BOOL);
    lie("lie_string_count", STORE_PUT_LABEL, (const vl_word_t[]){6, 0, 0, 25, 0, 0, 0}, 7,
        VL_IDL_BAD_SIZE);
    lie("lie_string_longer_than_message", STORE_PUT_LABEL, (const vl_word_t[]){6, 0, 0, 9, 1}, 5,
        VL_IDL_BAD_LENGTH);
    lie("lie_string_shorter_than_message", STORE_PUT_LABEL, (const vl_word_t[]){6, 0, 0, 1, 1, 0},
        6, VL_IDL_BAD_LENGTH);
    lie("lie_string_padding", STORE_PUT_LABEL, (const vl_word_t[]){6, 0, 0, 3, 0x64636261}, 5,
        VL_IDL_BAD_RANGE);
    lie("lie_array_count", STORE_SUM_LABEL, (const vl_word_t[]){9, 0}, 2, VL_IDL_BAD_SIZE);
    lie("lie_array_longer_than_message", STORE_SUM_LABEL, (const vl_word_t[]){5, 1, 2, 3}, 4,
        VL_IDL_BAD_LENGTH);
    lie("lie_i16", STORE_SUM_LABEL, (const vl_word_t[]){1, 0x8000, 0}, 3, VL_IDL_BAD_RANGE);
    lie("lie_i32", STORE_SUM_LABEL, (const vl_word_t[]){0, 0xffffffffull}, 2, VL_IDL_BAD_RANGE);
    lie("lie_bulk_past_end", STORE_LOAD_LABEL, (const vl_word_t[]){1, 4096, 0}, 3, VL_IDL_BAD_BULK);
    lie("lie_bulk_wrapping", STORE_LOAD_LABEL, (const vl_word_t[]){~0ull, 2, 0}, 3,
        VL_IDL_BAD_BULK);
    lie("lie_kinds", STORE_LOAD_LABEL, (const vl_word_t[]){0, 1, 2, 0, 7}, 5, VL_IDL_BAD_ENUM);
    lie("lie_tag_length", STORE_TAG_LABEL, put_ok, 1, VL_IDL_BAD_LENGTH);
    lie("lie_tag_no_cap", STORE_TAG_LABEL, put_ok, 0, VL_IDL_BAD_CAPS);
    /* 127 words: the kernel delivers 120, still more than put's largest request. */
    vl_word_t info = vl_os_ppcall(CH_STORE, vl_msginfo(STORE_PUT_LABEL, 0, 0, 127));
    expect("lie_length_127", (int)vl_msginfo_label(info), VL_IDL_BAD_LENGTH);
    /* None of the lies changed the store; an honest request still works. */
    enum store_kind k;
    uint8_t v[24];
    size_t n;
    expect("after_lies_key_6_empty", store_get(CH_STORE, 6, &k, v, &n), STORE_GET_EMPTY);
    expect_true("after_lies_key_3", store_get(CH_STORE, 3, &k, v, &n) == 0 && n == 12);
}

void
init(void)
{
    volatile uint8_t *bulk = vl_os_region("bulk", NULL);
    use_the_stubs(bulk);
    lie_to_the_server();
    printf("storeuser: done, %u failed\n", failed);
}
