/*
 * Capability lookup: resolving a capability pointer through a tree of CNodes.
 */
#pragma once

#include "object/structures.h"

/*
 * The result of cspace_resolve_bits. Two words, so that it is returned in registers
 * (a0, a1) rather than through memory.
 */
struct lookup_slot_ret {
    struct cte *slot; /* the slot found, or NULL if the lookup failed */
    word_t bits_left; /* bits of the cptr not resolved; meaningful only if slot != NULL */
};

/*
 * Resolves the first n_bits of cptr starting from the CNode cap node. Stops early (with
 * bits_left > 0) at a slot that does not hold a CNode cap. On failure returns slot NULL
 * and sets current_lookup_fault (invalid root, depth or guard mismatch). Bounded: every
 * step consumes at least one bit.
 */
struct lookup_slot_ret cspace_resolve_bits(cap_t node, cptr_t cptr, word_t n_bits);

/*
 * The common case of a lookup, inline: root is a CNode whose guard and radix take all 64
 * bits (a thread's CSpace usually is one) and cptr matches the guard. Then sets *slot and
 * returns true; otherwise returns false, records nothing, and a general walk decides.
 */
static inline __attribute__((always_inline)) bool
cspace_lookup_one_level(cap_t root, cptr_t cptr, struct cte **slot)
{
    /* A CNode cap whose guard and radix take all 64 bits (see cap_cnode). */
    if (likely((root.w0 & CNODE_ONE_LEVEL_MASK) == CAP_CNODE)) {
        /* The guard is left-aligned in w1: if it matches, only the low radix bits of
         * cptr (the index) are left. */
        word_t index = cptr ^ root.w1;
        if (likely((index >> cap_cnode_radix(root)) == 0)) {
            *slot = (struct cte *)cap_ptr(root) + index;
            return true;
        }
    }
    return false;
}

/*
 * The slot at cptr, resolving all 64 bits from root, or NULL on any failure. The same walk
 * as cspace_resolve_bits without the failure detail, inline for the IPC fast path.
 */
static inline struct cte *
cspace_lookup_fast(cap_t root, cptr_t cptr)
{
    struct cte *slot;
    if (likely(cspace_lookup_one_level(root, cptr, &slot))) {
        return slot;
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

/*
 * Looks up the slot at cptr in the thread's CSpace, resolving all 64 bits. Returns the
 * slot (which may be empty), or NULL with current_lookup_fault set if the walk fails or
 * stops at a non-CNode slot with bits left (a depth mismatch).
 */
struct cte *cspace_lookup_slot(struct tcb *thread, cptr_t cptr);

/*
 * As cspace_lookup_slot, but also fails (NULL, with a MISSING_CAP lookup fault) if the
 * slot is empty.
 */
struct cte *cspace_lookup_cap(struct tcb *thread, cptr_t cptr);

/*
 * Looks up a slot for a CNode operation: resolves exactly depth bits of cptr from root.
 * Returns the slot (which may be empty), or NULL for EXCEPTION_SYSCALL_ERROR with
 * current_syscall_error set: a RANGE_ERROR for a depth outside 1..64, or a FAILED_LOOKUP
 * (is_source recorded, current_lookup_fault says why) when the walk fails.
 */
struct cte *cspace_lookup_slot_for_op(bool is_source, cap_t root, cptr_t cptr, word_t depth);

/*
 * Looks up a destination slot for an operation that creates a cap (as
 * cspace_lookup_slot_for_op with is_source false) and requires it to be empty. Returns the
 * slot, or NULL for EXCEPTION_SYSCALL_ERROR with current_syscall_error set: the lookup's
 * error, or VL_DELETE_FIRST if the slot holds a cap.
 */
struct cte *cspace_lookup_empty_dest(cap_t root, cptr_t index, word_t depth);
