/*
 * CNode invocations. Every operation names its destination (or only) slot by
 * (index, depth) in the invoked CNode; Copy, Mint, Move and Mutate also name a source
 * by (root cap, index, depth), Rotate a pivot and a source. Checks come in a fixed order
 * and change nothing; the invoke step cannot fail.
 *
 * Arguments (message registers):
 *   all:           MR0 dest index, MR1 dest depth
 *   Copy/Mint/Move/Mutate: MR2 src index, MR3 src depth, extra cap 0 = src root;
 *                  Copy/Mint: MR4 rights mask; Mint: MR5 badge or guard data;
 *                  Mutate: MR4 guard data
 *   Rotate:        MR2 dest badge, MR3 pivot index, MR4 pivot depth, MR5 pivot badge,
 *                  MR6 src index, MR7 src depth; extra caps 0 = pivot root, 1 = src root
 */
#include "object/cnode.h"

#include <vallum/invocation.h>

#include "api/failures.h"
#include "api/invocation.h"
#include "kernel/cspace.h"
#include "kernel/delete.h"
#include "kernel/thread.h"
#include "object/cap.h"
#include "object/endpoint.h"

static exception_t
ensure_empty(const struct cte *slot)
{
    if (cap_type(slot->cap) != CAP_NULL) {
        return syscall_error(VL_DELETE_FIRST);
    }
    return EXCEPTION_NONE;
}

/* A source slot must hold a cap other than a zombie. */
static exception_t
ensure_source(const struct cte *slot)
{
    if (cap_type(slot->cap) == CAP_NULL) {
        lookup_fault_missing_cap(0);
        return syscall_error_failed_lookup(true);
    }
    if (cap_type(slot->cap) == CAP_ZOMBIE) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    return EXCEPTION_NONE;
}

/* Copy, Mint, Move, Mutate: the two-slot operations. */
static exception_t
decode_cnode_copy_like(struct invocation *inv, struct cte *dest)
{
    word_t label = inv->label;
    word_t need = label == VL_CNODE_MINT ? 6 : (label == VL_CNODE_MOVE ? 4 : 5);
    if (inv->length < need || inv->n_extra < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    struct cte *src =
        cspace_lookup_slot_for_op(true, inv->extra[0]->cap, inv_arg(inv, 2), inv_arg(inv, 3));
    if (src == NULL) {
        return EXCEPTION_SYSCALL_ERROR;
    }
    exception_t status = ensure_empty(dest);
    if (status != EXCEPTION_NONE) {
        return status;
    }
    status = ensure_source(src);
    if (status != EXCEPTION_NONE) {
        return status;
    }
    cap_t cap = src->cap;
    if (label == VL_CNODE_MOVE || label == VL_CNODE_MUTATE) {
        if (label == VL_CNODE_MUTATE) {
            cap = cap_update_data(true, inv_arg(inv, 4), cap);
            if (cap_type(cap) == CAP_NULL) {
                return syscall_error(VL_ILLEGAL_OPERATION);
            }
        }
        cte_move(cap, src, dest);
        return EXCEPTION_NONE;
    }
    cap = cap_mask_rights(inv_arg(inv, 4), cap);
    if (label == VL_CNODE_MINT) {
        cap = cap_update_data(false, inv_arg(inv, 5), cap);
    }
    if (cap_type(cap) == CAP_NULL) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    cap_t derived;
    status = cap_derive(src, cap, &derived);
    if (status != EXCEPTION_NONE) {
        return status;
    }
    if (cap_type(derived) == CAP_NULL) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    cte_insert(derived, src, dest);
    return EXCEPTION_NONE;
}

static exception_t
decode_cnode_rotate(struct invocation *inv, struct cte *dest)
{
    if (inv->length < 8 || inv->n_extra < 2) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    struct cte *pivot =
        cspace_lookup_slot_for_op(true, inv->extra[0]->cap, inv_arg(inv, 3), inv_arg(inv, 4));
    if (pivot == NULL) {
        return EXCEPTION_SYSCALL_ERROR;
    }
    struct cte *src =
        cspace_lookup_slot_for_op(true, inv->extra[1]->cap, inv_arg(inv, 6), inv_arg(inv, 7));
    if (src == NULL) {
        return EXCEPTION_SYSCALL_ERROR;
    }
    if (pivot == src || pivot == dest) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    if (src != dest) {
        exception_t status = ensure_empty(dest);
        if (status != EXCEPTION_NONE) {
            return status;
        }
    }
    exception_t status = ensure_source(src);
    if (status == EXCEPTION_NONE) {
        status = ensure_source(pivot);
    }
    if (status != EXCEPTION_NONE) {
        return status;
    }
    /* The pivot's cap moves to dest with dest's data; the source's moves to the pivot. */
    cap_t new_pivot = cap_update_data(true, inv_arg(inv, 2), pivot->cap);
    cap_t new_src = cap_update_data(true, inv_arg(inv, 5), src->cap);
    if (cap_type(new_src) == CAP_NULL || cap_type(new_pivot) == CAP_NULL) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    if (src == dest) {
        cte_swap(new_src, src, new_pivot, pivot);
    } else {
        cte_move(new_pivot, pivot, dest);
        cte_move(new_src, src, pivot);
    }
    return EXCEPTION_NONE;
}

static bool
has_cancel_send_rights(cap_t cap)
{
    return cap_type(cap) == CAP_ENDPOINT && cap_rights(cap) == VL_RIGHTS_ALL;
}

exception_t
decode_cnode_invocation(struct invocation *inv)
{
    word_t label = inv->label;
    if (label < VL_CNODE_REVOKE || label > VL_CNODE_SAVE_CALLER) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    if (inv->length < 2) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    struct cte *dest = cspace_lookup_slot_for_op(false, inv->cap, inv_arg(inv, 0), inv_arg(inv, 1));
    if (dest == NULL) {
        return EXCEPTION_SYSCALL_ERROR;
    }
    switch (label) {
    case VL_CNODE_COPY:
    case VL_CNODE_MINT:
    case VL_CNODE_MOVE:
    case VL_CNODE_MUTATE:
        return decode_cnode_copy_like(inv, dest);
    case VL_CNODE_ROTATE:
        return decode_cnode_rotate(inv, dest);
    case VL_CNODE_REVOKE:
        return cte_revoke(dest);
    case VL_CNODE_DELETE:
        return cte_delete(dest);
    case VL_CNODE_SAVE_CALLER: {
        exception_t status = ensure_empty(dest);
        if (status != EXCEPTION_NONE) {
            return status;
        }
        struct cte *caller = tcb_slot(inv->thread, TCB_CALLER);
        if (cap_type(caller->cap) == CAP_REPLY) {
            cte_move(caller->cap, caller, dest);
        }
        return EXCEPTION_NONE;
    }
    case VL_CNODE_CANCEL_BADGED_SENDS:
        if (!has_cancel_send_rights(dest->cap)) {
            return syscall_error(VL_ILLEGAL_OPERATION);
        }
        if (dest->cap.w1 != 0) {
            ep_cancel_badged_sends(cap_ptr(dest->cap), dest->cap.w1);
        }
        return EXCEPTION_NONE;
    default:
        /* A label inside the CNode range that names no operation. */
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
}
