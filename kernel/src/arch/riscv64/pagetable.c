/*
 * Sv39 page tables without the machine: walks, Frame and PageTable invocations, and the
 * unmapping that deleting a frame, page-table or VSpace cap implies (ASIDs: asid.c).
 * Physical addresses and TLB maintenance go through the vspace_* functions of
 * arch/pagetable.h, so this file also builds on the host for the unit tests.
 *
 * Every VSpace root carries the kernel's entries (upper half, see arch_vspace_init);
 * user mappings live in the lower half, below VL_USER_TOP.
 */
#include "arch/pagetable.h"

#include <vallum/invocation.h>

#include "api/failures.h"
#include "api/invocation.h"
#include "arch/asid.h"
#include "arch/machine.h"
#include "arch/riscv.h"
#include "config.h"
#include "object/cap.h"

/*
 * Finds the entry for va at the level where the walk ends: a leaf, an invalid entry, or
 * the entry at stop_level. Returns the entry's address and sets *level.
 */
static word_t *
lookup_pte(word_t *root, vaddr_t va, int stop_level, int *level)
{
    word_t *pt = root;
    int l = 2;
    /* Level 0 entries are always where a walk ends: stop_level is at least 0. */
    for (; l > 0; l--) {
        word_t *pte = &pt[pt_index(va, l)];
        if (l == stop_level || !(*pte & PTE_V) || pte_is_leaf(*pte)) {
            break;
        }
        pt = vspace_paddr_to_pptr(pte_paddr(*pte));
    }
    *level = l;
    return &pt[pt_index(va, l)];
}

/* Removes the mapping of the frame or table in cap from the VSpace it is mapped into
 * (also if that VSpace's pool is gone: it may still run). */
static void
unmap_cap(cap_t cap, int level)
{
    word_t *root = asid_vspace_root(cap_mapped_asid(cap));
    if (root == NULL) {
        return;
    }
    vaddr_t va = cap_mapped_vaddr(cap);
    int found;
    word_t *pte = lookup_pte(root, va, level, &found);
    if (pte != NULL && found == level && (*pte & PTE_V) &&
        pte_paddr(*pte) == vspace_pptr_to_paddr(cap_ptr(cap))) {
        *pte = 0;
        vspace_flush_page(va, cap_mapped_asid(cap));
    }
}

void
arch_finalise_cap(cap_t cap, bool final)
{
    switch (cap_type(cap)) {
    case CAP_FRAME:
        if (cap_is_mapped(cap)) {
            unmap_cap(cap, (int)cap_frame_size(cap));
        }
        return;
    case CAP_PAGE_TABLE:
        /* A mapping belongs to the cap that made it (copies are unmapped), so deleting
         * that cap unmaps the table even if copies remain: otherwise the VSpace could keep
         * pointing at the table after its last cap, and its memory, are gone. */
        if (cap_is_mapped(cap)) {
            unmap_cap(cap, cap_page_table_level(cap));
        }
        return;
    case CAP_VSPACE:
        if (final) {
            asid_vspace_finalise(cap);
        }
        return;
    default:
        return;
    }
}

const char *
arch_check_cap(cap_t cap)
{
    if (cap_type(cap) == CAP_VSPACE || cap_type(cap) == CAP_ASID_POOL) {
        return asid_check_cap(cap);
    }
    return NULL;
}

/* The root table of a VSpace cap, or NULL if the cap is not a VSpace with a live ASID
 * (none assigned, or its pool deleted). */
static word_t *
vspace_root_of(cap_t vs)
{
    if (cap_type(vs) != CAP_VSPACE) {
        return NULL;
    }
    word_t *root = pt_asid_root(cap_vspace_asid(vs));
    return root == cap_ptr(vs) ? root : NULL;
}

/* Bytes covered by one entry at a level (0: 4 KiB, 1: 2 MiB, 2: 1 GiB). */
static word_t
level_bits(int level)
{
    return 12 + 9 * (word_t)level;
}

/* Frame_Map: MR0 vaddr, MR1 rights mask, MR2 attributes (bit 0 = execute never);
 * extra cap 0 = the VSpace. */
static exception_t
decode_frame_map(struct invocation *inv)
{
    if (inv->length < 3 || inv->n_extra < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    cap_t frame = inv->cap;
    vaddr_t va = inv_arg(inv, 0);
    word_t rights = cap_rights(frame) & inv_arg(inv, 1);
    word_t attr = inv_arg(inv, 2);
    cap_t vs = inv->extra[0]->cap;
    int level = (int)cap_frame_size(frame);
    word_t size = BIT(level_bits(level));
    word_t *root = vspace_root_of(vs);
    if (root == NULL) {
        return syscall_error_invalid_cap(1);
    }
    if (cap_is_mapped(frame) &&
        (cap_mapped_asid(frame) != cap_vspace_asid(vs) || cap_mapped_vaddr(frame) != va)) {
        return syscall_error_invalid_cap(0);
    }
    if (!IS_ALIGNED(va, level_bits(level))) {
        return syscall_error(VL_ALIGNMENT_ERROR);
    }
    if (va >= VL_USER_TOP || size > VL_USER_TOP - va) {
        return syscall_error_invalid_argument(0);
    }
    if (!(rights & VL_RIGHT_READ)) {
        return syscall_error_invalid_argument(1);
    }
    int found;
    word_t *pte = lookup_pte(root, va, level, &found);
    if (found != level) {
        if (pte_is_leaf(*pte)) {
            return syscall_error(VL_DELETE_FIRST);
        }
        lookup_fault_missing_cap(level_bits(found));
        return syscall_error_failed_lookup(false);
    }
    paddr_t pa = vspace_pptr_to_paddr(cap_ptr(frame));
    if ((*pte & PTE_V) && !(cap_is_mapped(frame) && pte_paddr(*pte) == pa)) {
        return syscall_error(VL_DELETE_FIRST);
    }
    word_t flags = PTE_V | PTE_U | PTE_A | PTE_D | PTE_R;
    if (rights & VL_RIGHT_WRITE) {
        flags |= PTE_W;
    }
    if (!(attr & 1) && !cap_frame_is_device(frame)) {
        flags |= PTE_X;
    }
    *pte = pte_make(pa, flags);
    vspace_flush_page(va, cap_vspace_asid(vs));
    inv->slot->cap.w1 = cap_mapping(va, cap_vspace_asid(vs));
    return EXCEPTION_NONE;
}

/* PageTable_Map: MR0 vaddr; extra cap 0 = the VSpace. The table goes at the highest
 * level on the way to vaddr that has no table yet. */
static exception_t
decode_page_table_map(struct invocation *inv)
{
    if (inv->length < 1 || inv->n_extra < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    cap_t pt = inv->cap;
    vaddr_t va = inv_arg(inv, 0);
    cap_t vs = inv->extra[0]->cap;
    if (cap_is_mapped(pt)) {
        return syscall_error_invalid_cap(0);
    }
    word_t *root = vspace_root_of(vs);
    if (root == NULL) {
        return syscall_error_invalid_cap(1);
    }
    if (va >= VL_USER_TOP) {
        return syscall_error_invalid_argument(0);
    }
    int found;
    word_t *pte = lookup_pte(root, va, 1, &found);
    if (*pte & PTE_V) {
        return syscall_error(VL_DELETE_FIRST);
    }
    *pte = pte_make(vspace_pptr_to_paddr(cap_ptr(pt)), PTE_V);
    vspace_flush_page(va, cap_vspace_asid(vs));
    inv->slot->cap = cap_set_small(pt, (word_t)found);
    inv->slot->cap.w1 = cap_mapping(ROUND_DOWN(va, level_bits(found)), cap_vspace_asid(vs));
    return EXCEPTION_NONE;
}

exception_t
arch_decode_invocation(struct invocation *inv)
{
    cap_t cap = inv->cap;
    switch (cap_type(cap)) {
    case CAP_FRAME:
        switch (inv->label) {
        case VL_FRAME_GET_ADDRESS:
            inv_set_result(inv, 0, vspace_pptr_to_paddr(cap_ptr(cap)));
            inv_set_result(inv, 1, cap_is_mapped(cap) ? cap_mapped_vaddr(cap) : 0);
            inv->reply_length = 2;
            return EXCEPTION_NONE;
        case VL_FRAME_MAP:
            return decode_frame_map(inv);
        case VL_FRAME_UNMAP:
            if (cap_is_mapped(cap)) {
                unmap_cap(cap, (int)cap_frame_size(cap));
                inv->slot->cap.w1 = 0;
            }
            return EXCEPTION_NONE;
        default:
            return syscall_error(VL_ILLEGAL_OPERATION);
        }
    case CAP_PAGE_TABLE:
        switch (inv->label) {
        case VL_PAGE_TABLE_MAP:
            return decode_page_table_map(inv);
        case VL_PAGE_TABLE_UNMAP:
            if (!cte_is_final(inv->slot)) {
                return syscall_error(VL_REVOKE_FIRST);
            }
            if (cap_is_mapped(cap)) {
                unmap_cap(cap, (int)cap_page_table_level(cap));
                memset(cap_ptr(cap), 0, BIT(VL_PAGE_TABLE_BITS));
                inv->slot->cap = cap_page_table(cap_ptr(cap));
            }
            return EXCEPTION_NONE;
        default:
            return syscall_error(VL_ILLEGAL_OPERATION);
        }
    default:
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
}
