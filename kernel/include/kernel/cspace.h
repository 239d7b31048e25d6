/*
 * Capability lookup: resolving a capability pointer through a tree of CNodes.
 */
#pragma once

#include "object/structures.h"

struct lookup_slot_ret {
    exception_t status; /* EXCEPTION_NONE or EXCEPTION_LOOKUP_FAULT */
    struct cte *slot;
    word_t bits_left;
};

/*
 * Resolves the first n_bits of cptr starting from the CNode cap node. Stops early (with
 * bits_left > 0) at a slot that does not hold a CNode cap. Sets current_lookup_fault
 * on failure. Bounded: every step consumes at least one bit.
 */
struct lookup_slot_ret cspace_resolve_bits(cap_t node, cptr_t cptr, word_t n_bits);

/*
 * The slot at cptr, resolving all 64 bits from root, or NULL on any failure. The same walk
 * as cspace_resolve_bits without the failure detail, inline for the IPC fast path.
 */
static inline struct cte *
cspace_lookup_fast(cap_t root, cptr_t cptr)
{
    /* The common case first: one CNode whose guard and radix take all 64 bits. */
    if (likely(cap_type(root) == CAP_CNODE &&
               cap_cnode_radix(root) + cap_cnode_guard_size(root) == VL_WORD_BITS)) {
        word_t radix = cap_cnode_radix(root);
        if (unlikely((cptr >> radix) != cap_cnode_guard(root))) {
            return NULL;
        }
        return (struct cte *)cap_ptr(root) + (cptr & MASK(radix));
    }
    word_t bits = VL_WORD_BITS;
    cap_t node = root;
    while (cap_type(node) == CAP_CNODE) {
        word_t radix = cap_cnode_radix(node);
        word_t guard_size = cap_cnode_guard_size(node);
        word_t level = radix + guard_size;
        if (level == 0 || level > bits) {
            return NULL;
        }
        if (guard_size > 0 &&
            ((cptr >> (bits - guard_size)) & MASK(guard_size)) != cap_cnode_guard(node)) {
            return NULL;
        }
        bits -= level;
        struct cte *slot = (struct cte *)cap_ptr(node) + ((cptr >> bits) & MASK(radix));
        if (bits == 0) {
            return slot;
        }
        node = slot->cap;
    }
    return NULL;
}

/* Looks up the slot at cptr in the thread's CSpace, resolving all 64 bits. */
struct lookup_slot_ret cspace_lookup_slot(struct tcb *thread, cptr_t cptr);

/* As cspace_lookup_slot, but also fails with MISSING_CAP if the slot is empty. */
struct lookup_slot_ret cspace_lookup_cap(struct tcb *thread, cptr_t cptr);

/*
 * Looks up a slot for a CNode operation: resolves exactly depth bits of cptr from root.
 * Returns EXCEPTION_SYSCALL_ERROR with a RANGE_ERROR for a depth outside 1..64 or a
 * FAILED_LOOKUP (was_source recorded) when the walk fails.
 */
struct lookup_slot_ret cspace_lookup_slot_for_op(bool is_source, cap_t root, cptr_t cptr,
                                                 word_t depth);
