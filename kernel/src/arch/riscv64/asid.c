/*
 * ASID control and ASID pools (see arch/asid.h for the design): ASIDControl_MakePool,
 * ASIDPool_Assign, freeing ASIDs with VSpaces and pools, and the checks of the tables.
 * Portable: it touches the TLB only through tlb_flush (arch/tlb.h), so it builds on the host.
 */
#include "arch/asid.h"

#include <vallum/invocation.h>

#include "api/failures.h"
#include "api/invocation.h"
#include "arch/machine.h"
#include "arch/pagetable.h"
#include "arch/tlb.h"
#include "kernel/cspace.h"
#include "object/cap.h"

#define ASID_ROOT_MASK (~MASK(VL_VSPACE_BITS))

/* The VSpace of every ASID, live or orphaned. ASID 0 is the kernel's and stays 0. */
word_t asid_table[CONFIG_NUM_ASIDS];

/* The pool object of each range of ASIDs, NULL if no pool cap hands the range out. */
static void *asid_pools[ASID_NUM_POOLS];

/* Orphaned VSpaces holding an ASID of each range (only ranges without a pool have any). */
static word_t asid_orphans[ASID_NUM_POOLS];

static word_t
asid_pool_of(word_t asid)
{
    return asid >> ASID_POOL_SHIFT;
}

word_t *
pt_asid_root(word_t asid)
{
    if (asid == 0 || asid >= CONFIG_NUM_ASIDS || (asid_table[asid] & ASID_ORPHAN)) {
        return NULL;
    }
    return (word_t *)(uintptr_t)asid_table[asid];
}

word_t *
asid_vspace_root(word_t asid)
{
    if (asid >= CONFIG_NUM_ASIDS) {
        return NULL;
    }
    return (word_t *)(uintptr_t)(asid_table[asid] & ASID_ROOT_MASK);
}

bool
arch_vspace_has_asid(cap_t vs)
{
    return cap_type(vs) == CAP_VSPACE && pt_asid_root(cap_vspace_asid(vs)) == cap_ptr(vs);
}

cap_t
asid_boot_pool(void *pool_obj, void *root, word_t asid)
{
    assert(asid != 0 && asid < VL_ASID_POOL_SIZE);
    asid_pools[0] = pool_obj;
    asid_table[asid] = (word_t)(uintptr_t)root;
    return cap_asid_pool(pool_obj, 0);
}

/* ASIDControl_MakePool: MR0 index, MR1 depth of the destination slot; extra caps: the
 * untyped to make the pool from (VL_ASID_POOL_BITS, RAM, no children), the destination's
 * CSpace root. seL4's order of checks. */
static exception_t
decode_make_pool(struct invocation *inv)
{
    if (inv->label != VL_ASID_CONTROL_MAKE_POOL) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    if (inv->length < 2 || inv->n_extra < 2) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    word_t index = inv_arg(inv, 0);
    word_t depth = inv_arg(inv, 1);
    struct cte *ut_slot = inv->extra[0];
    cap_t ut = ut_slot->cap;
    cap_t root = inv->extra[1]->cap;

    /* A range nobody holds: no pool, and no orphan still keeping one of its ASIDs. */
    word_t p = 0;
    while (p < ASID_NUM_POOLS && (asid_pools[p] != NULL || asid_orphans[p] != 0)) {
        p++;
    }
    if (p == ASID_NUM_POOLS) {
        return syscall_error(VL_DELETE_FIRST);
    }
    if (cap_type(ut) != CAP_UNTYPED || cap_untyped_size_bits(ut) != VL_ASID_POOL_BITS ||
        cap_untyped_is_device(ut)) {
        return syscall_error_invalid_cap(1);
    }
    if (cte_has_children(ut_slot)) {
        return syscall_error(VL_REVOKE_FIRST);
    }
    struct cte *dest = cspace_lookup_empty_dest(root, index, depth);
    if (dest == NULL) {
        return EXCEPTION_SYSCALL_ERROR;
    }

    /* The whole untyped becomes the pool: its watermark goes to the top. */
    void *pool = cap_ptr(ut);
    ut_slot->cap.w1 = BIT(VL_ASID_POOL_BITS);
    memset(pool, 0, BIT(VL_ASID_POOL_BITS));
    cte_insert_original(cap_asid_pool(pool, p << ASID_POOL_SHIFT), ut_slot, dest);
    asid_pools[p] = pool;
    return EXCEPTION_NONE;
}

/* ASIDPool_Assign: extra cap 0 = a VSpace without an ASID; gives it the lowest free ASID
 * of the pool. */
static exception_t
decode_assign(struct invocation *inv)
{
    if (inv->label != VL_ASID_POOL_ASSIGN) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    if (inv->n_extra < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    struct cte *vs_slot = inv->extra[0];
    cap_t vs = vs_slot->cap;
    if (cap_type(vs) != CAP_VSPACE || cap_vspace_asid(vs) != 0) {
        return syscall_error_invalid_cap(1);
    }
    /* A pool cap always names a live pool: deleting its final cap is what kills a pool
     * (asid_check_cap). */
    word_t base = cap_asid_pool_base(inv->cap);
    assert(asid_pools[asid_pool_of(base)] == cap_ptr(inv->cap));
    word_t i = 0;
    while (i < VL_ASID_POOL_SIZE && (base + i == 0 || asid_table[base + i] != 0)) {
        i++;
    }
    if (i == VL_ASID_POOL_SIZE) {
        return syscall_error(VL_DELETE_FIRST);
    }
    asid_table[base + i] = (word_t)(uintptr_t)cap_ptr(vs);
    vs_slot->cap = cap_vspace(cap_ptr(vs), base + i);
    return EXCEPTION_NONE;
}

exception_t
arch_decode_asid_invocation(struct invocation *inv)
{
    switch (cap_type(inv->cap)) {
    case CAP_ASID_CONTROL:
        return decode_make_pool(inv);
    case CAP_ASID_POOL:
        return decode_assign(inv);
    default:
        return syscall_error_invalid_cap(0);
    }
}

void
asid_vspace_finalise(cap_t vs)
{
    word_t asid = cap_vspace_asid(vs);
    if (asid == 0 || asid_vspace_root(asid) != cap_ptr(vs)) {
        return;
    }
    if (asid_table[asid] & ASID_ORPHAN) {
        asid_orphans[asid_pool_of(asid)]--;
    }
    asid_table[asid] = 0;
    tlb_flush(TLB_ASID_RETIRED, 0, asid, 0);
}

void
arch_asid_pool_finalise(cap_t pool)
{
    word_t base = cap_asid_pool_base(pool);
    word_t p = asid_pool_of(base);
    assert(asid_pools[p] == cap_ptr(pool));
    /* The VSpaces keep their ASIDs, orphaned: see arch/asid.h. */
    word_t orphans = 0;
    for (word_t a = base; a < base + VL_ASID_POOL_SIZE; a++) {
        if (asid_table[a] != 0) {
            asid_table[a] |= ASID_ORPHAN;
            orphans++;
        }
    }
    asid_orphans[p] = orphans;
    asid_pools[p] = NULL;
}

const char *
asid_check_cap(cap_t cap)
{
    switch (cap_type(cap)) {
    case CAP_VSPACE: {
        /* ASIDs are freed with a VSpace's final cap: every VSpace cap holding one is live
         * or orphaned, never stale (the exit paths rely on it for threads' VTABLE caps). */
        word_t asid = cap_vspace_asid(cap);
        if (asid != 0 && asid_vspace_root(asid) != cap_ptr(cap)) {
            return "VSpace cap with a dead ASID";
        }
        return NULL;
    }
    case CAP_ASID_POOL: {
        word_t base = cap_asid_pool_base(cap);
        if (base % VL_ASID_POOL_SIZE != 0 || base >= CONFIG_NUM_ASIDS ||
            asid_pools[asid_pool_of(base)] != cap_ptr(cap)) {
            return "ASID pool cap without its pool";
        }
        return NULL;
    }
    default:
        return NULL;
    }
}

/* Checks one pool's range of asid_table; adds its VSpaces to *vspaces. */
static const char *
check_pool_range(word_t p, word_t *vspaces)
{
    word_t orphans = 0;
    for (word_t i = 0; i < VL_ASID_POOL_SIZE; i++) {
        word_t e = asid_table[(p << ASID_POOL_SHIFT) + i];
        if (e == 0) {
            continue;
        }
        if ((e & ~ASID_ROOT_MASK & ~ASID_ORPHAN) != 0) {
            return "ASID table entry not a VSpace root";
        }
        if ((e & ASID_ORPHAN) && asid_pools[p] != NULL) {
            return "orphaned ASID in a live pool";
        }
        if (!(e & ASID_ORPHAN) && asid_pools[p] == NULL) {
            return "live ASID without a pool";
        }
        orphans += (e & ASID_ORPHAN) != 0;
        (*vspaces)++;
    }
    if (orphans != asid_orphans[p]) {
        return "orphan count of an ASID range wrong";
    }
    return NULL;
}

const char *
arch_check_asids(word_t vspaces, word_t pools)
{
    if (asid_table[0] != 0) {
        return "ASID 0 given to a VSpace";
    }
    word_t in_table = 0;
    word_t live_pools = 0;
    for (word_t p = 0; p < ASID_NUM_POOLS; p++) {
        const char *why = check_pool_range(p, &in_table);
        if (why != NULL) {
            return why;
        }
        live_pools += asid_pools[p] != NULL;
    }
    if (in_table != vspaces) {
        return "ASID table entries and VSpaces with an ASID differ";
    }
    if (live_pools != pools) {
        return "ASID pools and pool objects with caps differ";
    }
    return NULL;
}
