/*
 * Untyped_Retype, with seL4's rules: objects are carved at the watermark, aligned to
 * their size; an untyped without children is reset (cleared, watermark to zero) before
 * reuse. Memory above the watermark of an untyped is always zero, so new objects need no
 * clearing. The reset clears in chunks with preemption points, moving the watermark down
 * as it goes, so a preempted reset resumes where it stopped.
 */
#include "object/untyped.h"

#include <vallum/invocation.h>

#include "api/failures.h"
#include "api/invocation.h"
#include "arch/machine.h"
#include "config.h"
#include "kernel/cspace.h"
#include "kernel/delete.h"
#include "object/cap.h"
#include "object/objecttype.h"

/* Clears the untyped in slot down to watermark 0. EXCEPTION_NONE or _PREEMPTED. */
static exception_t
untyped_reset(struct cte *slot)
{
    cap_t cap = slot->cap;
    if (cap_untyped_is_device(cap)) {
        slot->cap.w1 = 0;
        return EXCEPTION_NONE;
    }
    char *base = cap_ptr(cap);
    while (slot->cap.w1 > 0) {
        word_t top = slot->cap.w1;
        word_t start = ROUND_DOWN(top - 1, CONFIG_RESET_CHUNK_BITS);
        memset(base + start, 0, top - start);
        slot->cap.w1 = start;
        if (start > 0 && preemption_point() != EXCEPTION_NONE) {
            return EXCEPTION_PREEMPTED;
        }
    }
    return EXCEPTION_NONE;
}

static bool
type_is_frame(word_t type)
{
    return type == VL_OBJ_FRAME_4K || type == VL_OBJ_FRAME_2M || type == VL_OBJ_FRAME_1G;
}

/* Checks the user-supplied size for the types that take one; fixed-size types ignore it. */
static exception_t
check_object_size(word_t type, word_t user_size)
{
    if (type == VL_OBJ_UNTYPED &&
        (user_size < VL_MIN_UNTYPED_BITS || user_size > VL_MAX_UNTYPED_BITS)) {
        return syscall_error_range(VL_MIN_UNTYPED_BITS, VL_MAX_UNTYPED_BITS);
    }
    if (type == VL_OBJ_CNODE && (user_size < 1 || user_size > VL_MAX_CNODE_RADIX)) {
        return syscall_error_range(1, VL_MAX_CNODE_RADIX);
    }
    return EXCEPTION_NONE;
}

exception_t
decode_untyped_invocation(struct invocation *inv)
{
    if (inv->label != VL_UNTYPED_RETYPE) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    if (inv->length < 6 || inv->n_extra < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    word_t type = inv_arg(inv, 0);
    word_t user_size = inv_arg(inv, 1);
    word_t node_index = inv_arg(inv, 2);
    word_t node_depth = inv_arg(inv, 3);
    word_t node_offset = inv_arg(inv, 4);
    word_t node_window = inv_arg(inv, 5);
    cap_t root = inv->extra[0]->cap;
    cap_t ut = inv->cap;

    if (type >= VL_OBJ_NUM_TYPES) {
        return syscall_error_invalid_argument(0);
    }
    exception_t status = check_object_size(type, user_size);
    if (status != EXCEPTION_NONE) {
        return status;
    }
    if (cap_untyped_is_device(ut) && !type_is_frame(type) && type != VL_OBJ_UNTYPED) {
        return syscall_error_invalid_argument(0);
    }

    /* The destination CNode: the root itself at depth 0, else the CNode found there. */
    cap_t node = root;
    if (node_depth != 0) {
        struct cte *slot = cspace_lookup_slot_for_op(false, root, node_index, node_depth);
        if (slot == NULL) {
            return EXCEPTION_SYSCALL_ERROR;
        }
        node = slot->cap;
    }
    if (cap_type(node) != CAP_CNODE) {
        lookup_fault_missing_cap(node_depth);
        return syscall_error_failed_lookup(false);
    }
    word_t slots = BIT(cap_cnode_radix(node));
    if (node_offset >= slots) {
        return syscall_error_range(0, slots - 1);
    }
    if (node_window < 1 || node_window > CONFIG_RETYPE_FAN_OUT_LIMIT) {
        return syscall_error_range(1, CONFIG_RETYPE_FAN_OUT_LIMIT);
    }
    if (node_window > slots - node_offset) {
        return syscall_error_range(1, slots - node_offset);
    }
    struct cte *dest = (struct cte *)cap_ptr(node) + node_offset;
    for (word_t i = 0; i < node_window; i++) {
        if (cap_type(dest[i].cap) != CAP_NULL) {
            return syscall_error(VL_DELETE_FIRST);
        }
    }

    /* Room: objects go at the watermark (or at 0 after a reset), aligned to their size. */
    bool reset = !cte_has_children(inv->slot);
    word_t ut_bits = cap_untyped_size_bits(ut);
    word_t obj_bits = object_size_bits(type, user_size);
    word_t free_index = reset ? 0 : ut.w1;
    word_t start = ROUND_UP(free_index, obj_bits);
    if (obj_bits > ut_bits || start > BIT(ut_bits) ||
        (node_window << obj_bits) > BIT(ut_bits) - start || start < free_index) {
        current_syscall_error.memory_left = BIT(ut_bits) - free_index;
        return syscall_error(VL_NOT_ENOUGH_MEMORY);
    }

    /* Everything checked: the rest cannot fail, except by preemption during a reset. */
    if (reset) {
        status = untyped_reset(inv->slot);
        if (status != EXCEPTION_NONE) {
            return status;
        }
    }
    char *base = cap_ptr(ut);
    for (word_t i = 0; i < node_window; i++) {
        void *obj = base + start + (i << obj_bits);
        cap_t cap = object_create(type, obj, user_size, cap_untyped_is_device(ut));
        cte_insert_original(cap, inv->slot, &dest[i]);
    }
    inv->slot->cap.w1 = start + (node_window << obj_bits);
    return EXCEPTION_NONE;
}

const char *
untyped_check(const struct cte *slot)
{
    cap_t ut = slot->cap;
    char *lo = cap_ptr(ut);
    char *hi = lo + BIT(cap_untyped_size_bits(ut));
    for (const struct cte *c = mdb_next(slot); c != NULL && cte_is_mdb_parent_of(slot, c);
         c = mdb_next(c)) {
        char *p = cap_object_base(c->cap);
        if (p == NULL) {
            continue;
        }
        if (p < lo || p + BIT(cap_object_size_bits(c->cap)) > hi) {
            return "untyped child outside its parent";
        }
        if (cap_type(c->cap) != CAP_UNTYPED && p + BIT(cap_object_size_bits(c->cap)) > lo + ut.w1 &&
            !cap_untyped_is_device(ut)) {
            return "untyped child above the watermark";
        }
    }
    return NULL;
}
