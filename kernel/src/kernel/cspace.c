/*
 * Capability lookup, as in seL4: each CNode on the way strips its guard and then radix
 * bits of the cptr; the walk continues while the slot found holds a CNode cap and bits
 * remain.
 */
#include "kernel/cspace.h"

#include "api/failures.h"

struct lookup_fault current_lookup_fault;

static struct lookup_slot_ret
lookup_fail(word_t type, word_t bits_left, word_t found, word_t guard_size)
{
    struct lookup_slot_ret r = {EXCEPTION_LOOKUP_FAULT, NULL, bits_left};
    current_lookup_fault.type = type;
    current_lookup_fault.bits_left = bits_left;
    current_lookup_fault.bits_found = found;
    current_lookup_fault.guard_size = guard_size;
    return r;
}

struct lookup_slot_ret
cspace_resolve_bits(cap_t node, cptr_t cptr, word_t n_bits)
{
    if (cap_type(node) != CAP_CNODE) {
        return lookup_fail(VL_LOOKUP_INVALID_ROOT, n_bits, 0, 0);
    }
    /* Each pass consumes radix + guard >= 1 bits, so at most 64 passes. */
    for (;;) {
        word_t radix = cap_cnode_radix(node);
        word_t guard_size = cap_cnode_guard_size(node);
        word_t level = radix + guard_size;
        if (level == 0 || level > n_bits) {
            return lookup_fail(VL_LOOKUP_DEPTH_MISMATCH, n_bits, level, 0);
        }
        word_t guard = (guard_size == 0) ? 0 : (cptr >> (n_bits - guard_size)) & MASK(guard_size);
        if (guard_size > 0 && guard != cap_cnode_guard(node)) {
            return lookup_fail(VL_LOOKUP_GUARD_MISMATCH, n_bits, guard, guard_size);
        }
        word_t index = (radix == 0) ? 0 : (cptr >> (n_bits - level)) & MASK(radix);
        struct cte *slot = (struct cte *)cap_ptr(node) + index;
        n_bits -= level;
        if (n_bits == 0 || cap_type(slot->cap) != CAP_CNODE) {
            struct lookup_slot_ret r = {EXCEPTION_NONE, slot, n_bits};
            return r;
        }
        node = slot->cap;
    }
}

struct lookup_slot_ret
cspace_lookup_slot(struct tcb *thread, cptr_t cptr)
{
    cap_t root = tcb_slot(thread, TCB_CTABLE)->cap;
    struct lookup_slot_ret r = cspace_resolve_bits(root, cptr, VL_WORD_BITS);
    if (r.status == EXCEPTION_NONE && r.bits_left != 0) {
        return lookup_fail(VL_LOOKUP_DEPTH_MISMATCH, r.bits_left, 0, 0);
    }
    return r;
}

struct lookup_slot_ret
cspace_lookup_cap(struct tcb *thread, cptr_t cptr)
{
    struct lookup_slot_ret r = cspace_lookup_slot(thread, cptr);
    if (r.status == EXCEPTION_NONE && cap_type(r.slot->cap) == CAP_NULL) {
        return lookup_fail(VL_LOOKUP_MISSING_CAP, 0, 0, 0);
    }
    return r;
}

struct lookup_slot_ret
cspace_lookup_slot_for_op(bool is_source, cap_t root, cptr_t cptr, word_t depth)
{
    struct lookup_slot_ret r = {EXCEPTION_SYSCALL_ERROR, NULL, 0};
    if (cap_type(root) != CAP_CNODE) {
        lookup_fail(VL_LOOKUP_INVALID_ROOT, depth, 0, 0);
        r.status = syscall_error_failed_lookup(is_source);
        return r;
    }
    if (depth < 1 || depth > VL_WORD_BITS) {
        r.status = syscall_error_range(1, VL_WORD_BITS);
        return r;
    }
    r = cspace_resolve_bits(root, cptr, depth);
    if (r.status != EXCEPTION_NONE) {
        r.status = syscall_error_failed_lookup(is_source);
        return r;
    }
    if (r.bits_left != 0) {
        lookup_fail(VL_LOOKUP_DEPTH_MISMATCH, r.bits_left, 0, 0);
        r.status = syscall_error_failed_lookup(is_source);
        return r;
    }
    return r;
}
