/*
 * The store interface's semantics (interfaces/store.idl), without the wire: the key table
 * behind put and get, and the arithmetic of sum and load. storer serves it in QEMU and
 * tests/idl/test_idl.c on the host, so both answer alike; each prints its own trace.
 */
#ifndef STORER_KEYS_H
#define STORER_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_KEYS 16
#define STORE_VALUE_MAX 24

struct store_key {
    bool present, sticky;
    enum store_kind kind;
    uint8_t value[STORE_VALUE_MAX];
    size_t len;
};

extern struct store_key store_keys[STORE_KEYS];

/* put: STORE_PUT_FULL past the table, STORE_PUT_TAKEN over a sticky key, else 0. The
 * generated decode has bounded value_len by the IDL's 24 already. */
int store_keys_put(uint8_t key, enum store_kind k, bool sticky, const uint8_t *value,
                   size_t value_len);
/* get: STORE_GET_EMPTY for a key never put, else 0 with the kind and value. */
int store_keys_get(uint8_t key, enum store_kind *k, uint8_t *value, size_t *value_len);
/* sum: bias plus the xs; the count of negative ones. */
void store_keys_sum(const int16_t *xs, size_t xs_len, int32_t bias, int64_t *total,
                    uint8_t *negatives);
/* load: the byte sum of data, and the kinds sorted (insertion sort: at most the IDL's bound). */
void store_keys_load(const volatile uint8_t *data, size_t data_length, const enum store_kind *kinds,
                     size_t kinds_len, uint32_t *checksum, enum store_kind *sorted,
                     size_t *sorted_len);

#endif
