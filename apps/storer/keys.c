/* The store interface's semantics, shared by storer and the host tests (keys.h). */
#include "keys.h"

#include <string.h>

struct store_key store_keys[STORE_KEYS];

int
store_keys_put(uint8_t key, enum store_kind k, bool sticky, const uint8_t *value, size_t value_len)
{
    if (key >= STORE_KEYS) {
        return STORE_PUT_FULL;
    }
    struct store_key *s = &store_keys[key];
    if (s->present && s->sticky) {
        return STORE_PUT_TAKEN;
    }
    s->present = true;
    s->sticky = sticky;
    s->kind = k;
    memcpy(s->value, value, value_len);
    s->len = value_len;
    return 0;
}

int
store_keys_get(uint8_t key, enum store_kind *k, uint8_t *value, size_t *value_len)
{
    if (key >= STORE_KEYS || !store_keys[key].present) {
        return STORE_GET_EMPTY;
    }
    *k = store_keys[key].kind;
    memcpy(value, store_keys[key].value, store_keys[key].len);
    *value_len = store_keys[key].len;
    return 0;
}

void
store_keys_sum(const int16_t *xs, size_t xs_len, int32_t bias, int64_t *total, uint8_t *negatives)
{
    int64_t t = bias;
    uint8_t neg = 0;
    for (size_t i = 0; i < xs_len; i++) {
        t += xs[i];
        neg += xs[i] < 0;
    }
    *total = t;
    *negatives = neg;
}

void
store_keys_load(const volatile uint8_t *data, size_t data_length, const enum store_kind *kinds,
                size_t kinds_len, uint32_t *checksum, enum store_kind *sorted, size_t *sorted_len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < data_length; i++) {
        sum += data[i];
    }
    for (size_t i = 0; i < kinds_len; i++) {
        size_t j = i;
        for (; j > 0 && sorted[j - 1] > kinds[i]; j--) {
            sorted[j] = sorted[j - 1];
        }
        sorted[j] = kinds[i];
    }
    *sorted_len = kinds_len;
    *checksum = sum;
}
