/*
 * Capability lookup, as in seL4: each CNode on the way strips its guard and then radix
 * bits of the cptr; the walk continues while the slot found holds a CNode cap and bits
 * remain.
 *
 * Every lookup returns its result in registers: a slot pointer that is NULL on failure
 * (current_lookup_fault, or current_syscall_error, says why), plus the bits left for
 * cspace_resolve_bits. cspace_lookup_cap and cspace_lookup_slot, which the system-call
 * path makes for every invocation, first try the common case of a CSpace of one CNode
 * inline, with no stack frame, and only otherwise call the general walk.
 */
#include "kernel/cspace.h"

#include "api/failures.h"

struct lookup_fault current_lookup_fault;

/* Records why a lookup failed in current_lookup_fault. */
static void
lookup_fail(word_t type, word_t bits_left, word_t found, word_t guard_size)
{
    current_lookup_fault.type = type;
    current_lookup_fault.bits_left = bits_left;
    current_lookup_fault.bits_found = found;
    current_lookup_fault.guard_size = guard_size;
}

struct lookup_slot_ret
cspace_resolve_bits(cap_t node, cptr_t cptr, word_t n_bits)
{
    struct lookup_slot_ret r = {NULL, n_bits};
    if (unlikely(cap_type(node) != CAP_CNODE)) {
        lookup_fail(VL_LOOKUP_INVALID_ROOT, n_bits, 0, 0);
        return r;
    }
    /* Each pass consumes radix + guard >= 1 bits, so at most 64 passes. */
    for (;;) {
        word_t radix = cap_cnode_radix(node);
        word_t guard_size = cap_cnode_guard_size(node);
        word_t level = radix + guard_size;
        if (unlikely(level == 0 || level > n_bits)) {
            lookup_fail(VL_LOOKUP_DEPTH_MISMATCH, n_bits, level, 0);
            return r;
        }
        /* The level bits of cptr just below bit n_bits: the guard, then the index. Every
         * shift is below 64; a mask of 0 bits is 0, as is the guard of a CNode without
         * one. */
        word_t bits = cptr >> (n_bits - level);
        word_t guard = (bits >> radix) & MASK(guard_size);
        if (unlikely(guard != cap_cnode_guard(node))) {
            lookup_fail(VL_LOOKUP_GUARD_MISMATCH, n_bits, guard, guard_size);
            return r;
        }
        struct cte *slot = (struct cte *)cap_ptr(node) + (bits & MASK(radix));
        n_bits -= level;
        if (n_bits == 0 || cap_type(slot->cap) != CAP_CNODE) {
            r.slot = slot;
            r.bits_left = n_bits;
            return r;
        }
        node = slot->cap;
    }
}

/*
 * cspace_lookup_slot, or cspace_lookup_cap if must_hold_cap, by the general walk. Out of
 * line, so that the common case in its callers needs no stack frame.
 */
static __attribute__((noinline)) struct cte *
lookup_walk(struct tcb *thread, cptr_t cptr, bool must_hold_cap)
{
    cap_t root = tcb_slot(thread, TCB_CTABLE)->cap;
    struct lookup_slot_ret r = cspace_resolve_bits(root, cptr, VL_WORD_BITS);
    if (r.slot == NULL) {
        return NULL;
    }
    if (r.bits_left != 0) {
        lookup_fail(VL_LOOKUP_DEPTH_MISMATCH, r.bits_left, 0, 0);
        return NULL;
    }
    if (must_hold_cap && cap_type(r.slot->cap) == CAP_NULL) {
        lookup_fail(VL_LOOKUP_MISSING_CAP, 0, 0, 0);
        return NULL;
    }
    return r.slot;
}

struct cte *
cspace_lookup_slot(struct tcb *thread, cptr_t cptr)
{
    struct cte *slot;
    if (unlikely(!cspace_lookup_one_level(tcb_slot(thread, TCB_CTABLE)->cap, cptr, &slot))) {
        return lookup_walk(thread, cptr, false);
    }
    return slot;
}

struct cte *
cspace_lookup_cap(struct tcb *thread, cptr_t cptr)
{
    struct cte *slot;
    if (unlikely(!cspace_lookup_one_level(tcb_slot(thread, TCB_CTABLE)->cap, cptr, &slot))) {
        return lookup_walk(thread, cptr, true);
    }
    if (unlikely(cap_type(slot->cap) == CAP_NULL)) {
        lookup_fail(VL_LOOKUP_MISSING_CAP, 0, 0, 0);
        return NULL;
    }
    return slot;
}

struct cte *
cspace_lookup_slot_for_op(bool is_source, cap_t root, cptr_t cptr, word_t depth)
{
    if (cap_type(root) != CAP_CNODE) {
        lookup_fail(VL_LOOKUP_INVALID_ROOT, depth, 0, 0);
        syscall_error_failed_lookup(is_source);
        return NULL;
    }
    if (depth < 1 || depth > VL_WORD_BITS) {
        syscall_error_range(1, VL_WORD_BITS);
        return NULL;
    }
    struct lookup_slot_ret r = cspace_resolve_bits(root, cptr, depth);
    if (r.slot == NULL) {
        syscall_error_failed_lookup(is_source);
        return NULL;
    }
    if (r.bits_left != 0) {
        lookup_fail(VL_LOOKUP_DEPTH_MISMATCH, r.bits_left, 0, 0);
        syscall_error_failed_lookup(is_source);
        return NULL;
    }
    return r.slot;
}

struct cte *
cspace_lookup_empty_dest(cap_t root, cptr_t index, word_t depth)
{
    struct cte *dest = cspace_lookup_slot_for_op(false, root, index, depth);
    if (dest != NULL && cap_type(dest->cap) != CAP_NULL) {
        syscall_error(VL_DELETE_FIRST);
        return NULL;
    }
    return dest;
}
