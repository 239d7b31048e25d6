/*
 * storer: serves the store interface (interfaces/store.idl) in the idl system. Every
 * handler prints what it got, so that tests/integration can check that a request the
 * generated decode refuses never reaches one. Bulk data is read from the shared region
 * "bulk".
 */
#include <stdio.h>
#include <string.h>
#include <vallum/os.h>

#include "keys.h"
#include "store.h"

static struct vl_idl_region shared;

/*
 * storer is component 0 and holds its CNode (it has `untyped`): it tries to mint its fault
 * endpoint cap with storeuser's badge (index 1 + 1), which would let it make up faults of
 * storeuser that init restarts or stops it for. Init badges every fault endpoint cap, so the
 * kernel refuses to badge it again.
 */
static void
forge_fault_endpoint(void)
{
    struct vl_cap_info ci;
    if (vl_cap_identify(VL_COMP_SLOT_FAULT, &ci) == 0) {
        printf("storer: its fault endpoint has badge %lu\n", (unsigned long)ci.badge);
    }
    vl_cptr_t forged = vl_os_slot_alloc();
    int err = vl_cnode_mint(VL_COMP_SLOT_CNODE, forged, VL_WORD_BITS, VL_COMP_SLOT_CNODE,
                            VL_COMP_SLOT_FAULT, VL_WORD_BITS, VL_RIGHTS_ALL, 2);
    printf("storer: minting it with storeuser's badge: %s\n", vl_error_name(err));
    if (err == 0) {
        /* The forgery works: init would take this for a fault of storeuser. */
        vl_word_t mr[VL_MSG_REGS] = {0};
        vl_call(forged, vl_msginfo(VL_FAULT_CAP, 0, 0, VL_FAULT_CAP_LENGTH), mr);
    }
}

void
init(void)
{
    size_t size = 0;
    shared.base = vl_os_region("bulk", &size);
    shared.size = size;
    /* A capability argument lands in this slot (if the channel lets one through). */
    vl_cptr_t slot = vl_os_idl_receive();
    printf("storer: ready, region of %lu bytes, receive slot %lu\n", (unsigned long)size,
           (unsigned long)slot);
    forge_fault_endpoint();
}

int
store_do_put(unsigned ch, uint8_t key, enum store_kind k, bool sticky, const uint8_t *value,
             size_t value_len)
{
    printf("storer: put key %u kind %u sticky %u, %lu bytes on channel %u\n", key, k, sticky,
           (unsigned long)value_len, ch);
    return store_keys_put(key, k, sticky, value, value_len);
}

int
store_do_get(unsigned ch, uint8_t key, enum store_kind *k, uint8_t *value, size_t *value_len)
{
    printf("storer: get key %u on channel %u\n", key, ch);
    return store_keys_get(key, k, value, value_len);
}

int
store_do_sum(unsigned ch, const int16_t *xs, size_t xs_len, int32_t bias, int64_t *total,
             uint8_t *negatives)
{
    printf("storer: sum of %lu on channel %u\n", (unsigned long)xs_len, ch);
    store_keys_sum(xs, xs_len, bias, total, negatives);
    return 0;
}

int
store_do_load(unsigned ch, volatile uint8_t *data, vl_word_t data_length,
              const enum store_kind *kinds, size_t kinds_len, uint32_t *checksum,
              enum store_kind *sorted, size_t *sorted_len)
{
    printf("storer: load %lu bytes at offset %lu on channel %u\n", (unsigned long)data_length,
           (unsigned long)(data - shared.base), ch);
    store_keys_load(data, data_length, kinds, kinds_len, checksum, sorted, sorted_len);
    return 0;
}

int
store_do_tag(unsigned ch, vl_cptr_t n, uint64_t *badge)
{
    struct vl_cap_info ci;
    if (vl_cap_identify(n, &ci) != 0) {
        printf("storer: tag on channel %u: cannot identify the cap\n", ch);
        return STORE_TAG_UNBADGED;
    }
    /* The decode checked the type already; printed so the test sees what arrived. */
    printf("storer: tag on channel %u: type %lu, badge 0x%lx\n", ch, (unsigned long)ci.type,
           (unsigned long)ci.badge);
    if (ci.badge == 0) {
        return STORE_TAG_UNBADGED;
    }
    *badge = ci.badge;
    return 0;
}

vl_word_t protected(unsigned id, vl_word_t info)
{
    return store_dispatch(id, info, &shared);
}
