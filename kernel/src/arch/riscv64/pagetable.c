/*
 * Sv39 page tables without the machine: walks, Frame and PageTable invocations, and the
 * unmapping that deleting a frame, page-table or VSpace cap implies (ASIDs: asid.c).
 * Physical addresses and TLB maintenance go through the vspace_* functions of
 * arch/pagetable.h, so this file also builds on the host for the unit tests.
 *
 * Every VSpace root carries the kernel's entries (upper half, see arch_vspace_init);
 * user mappings live in the lower half, below VL_USER_TOP.
 *
 * The mapping rules are seL4's (docs/kernel/objects.md, "Mappings"): a page table has at
 * most one mapping at any time and every capability to it records that mapping (a copy
 * of a mapped table carries it; an unmapped table cannot be copied); only its last
 * capability unmaps it, and unmapping clears it, so a table is empty whenever it can be
 * mapped. A frame capability records at most one mapping of its own (copies are
 * unmapped). arch_check_mappings checks what follows from this.
 */
#include "arch/pagetable.h"

#include <vallum/invocation.h>

#include "api/failures.h"
#include "api/invocation.h"
#include "api/syscall.h"
#include "arch/asid.h"
#include "arch/machine.h"
#include "arch/riscv.h"
#include "arch/tlb.h"
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

/* The TLB maintenance that replacing entry old by new needs (arch/tlb.h). */
static enum tlb_change
pte_change(word_t old, word_t new)
{
    if (old & PTE_V) {
        return pte_is_leaf(old) ? TLB_LEAF_CHANGED : TLB_TABLE_CHANGED;
    }
    return pte_is_leaf(new) ? TLB_LEAF_ADDED : TLB_TABLE_ADDED;
}

/*
 * Writes the entry at pte, of the given level and serving va in the address space asid,
 * then fences the TLB as the change needs. Every entry of a user page table changes here.
 */
static void
pte_store(word_t *pte, word_t new, vaddr_t va, word_t asid, int level)
{
    enum tlb_change change = pte_change(*pte, new);
    *pte = new;
    tlb_flush(change, va, asid, level);
}

/*
 * Removes the mapping of the frame or table in cap from the VSpace it is mapped into, if
 * the entry the cap records still points at this object. A record can be stale (its
 * table was unmapped or its VSpace deleted since), and the place may hold something else
 * by now: comparing the address leaves that alone. The VSpace may be an orphan (its ASID
 * pool is gone): it may still run, so its mappings are removed all the same.
 */
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
        pte_store(pte, 0, va, cap_mapped_asid(cap), level);
    }
}

exception_t
arch_derive_cap(cap_t cap, cap_t *out)
{
    switch (cap_type(cap)) {
    case CAP_FRAME:
        /* A copy of a frame is unmapped: each frame cap records at most one mapping of
         * its own, so a frame shared between address spaces is mapped through one cap
         * per mapping. */
        cap.w1 = 0;
        *out = cap;
        return EXCEPTION_NONE;
    case CAP_PAGE_TABLE:
        if (CONFIG_TEST_DEFECT_PT) {
            /* Test only (config.h): the old defect, an unmapped copy of any table. */
            *out = cap_page_table(cap_ptr(cap));
            return EXCEPTION_NONE;
        }
        /* All caps to a table record its one mapping: a copy of a mapped table carries
         * the mapping, and an unmapped one cannot be copied (seL4: "Deriving an unmapped
         * PT cap"), so no second cap could map the same table elsewhere. */
        if (!cap_is_mapped(cap)) {
            return syscall_error(VL_ILLEGAL_OPERATION);
        }
        *out = cap;
        return EXCEPTION_NONE;
    default:
        *out = cap;
        return EXCEPTION_NONE;
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
        /* Every cap to the table records the same mapping, so the mapping belongs to all
         * of them and goes with the last (the table dies with it and is cleared before
         * its memory is reused). CONFIG_TEST_DEFECT_PT brings back the old defect: any
         * mapped cap's deletion detaches the table without clearing it. */
        if (cap_is_mapped(cap) && (final || CONFIG_TEST_DEFECT_PT)) {
            unmap_cap(cap, (int)cap_page_table_level(cap));
        }
        return;
    case CAP_VSPACE:
        if (final) {
            /* satp first: the fence asid_vspace_finalise asks for must not be followed
             * by walks of the dying root under its ASID (arch/tlb.h). */
            vspace_unload_root(cap_ptr(cap));
            asid_vspace_finalise(cap);
        }
        return;
    default:
        return;
    }
}

/* True if the table at pt has no valid entry. */
static bool
table_is_empty(const word_t *pt)
{
    for (word_t i = 0; i < PTES_PER_TABLE; i++) {
        if (pt[i] & PTE_V) {
            return false;
        }
    }
    return true;
}

/* Checks what a frame or page-table cap records about its mapping, on its own. */
static const char *
check_mapping_record(cap_t cap, int level)
{
    vaddr_t va = cap_mapped_vaddr(cap);
    if (cap.w1 != cap_mapping(va, cap_mapped_asid(cap))) {
        return "mapping record with stray bits";
    }
    if (cap_mapped_asid(cap) == 0 || cap_mapped_asid(cap) >= CONFIG_NUM_ASIDS) {
        return "mapping record without a possible ASID";
    }
    if (!IS_ALIGNED(va, 12 + 9 * (word_t)level) || va >= VL_USER_TOP) {
        return "mapping record at an address the level cannot have";
    }
    return NULL;
}

const char *
arch_check_cap(cap_t cap)
{
    switch (cap_type(cap)) {
    case CAP_VSPACE:
    case CAP_ASID_POOL:
        return asid_check_cap(cap);
    case CAP_FRAME:
        return cap_is_mapped(cap) ? check_mapping_record(cap, (int)cap_frame_size(cap)) : NULL;
    case CAP_PAGE_TABLE:
        if (!cap_is_mapped(cap)) {
            /* An unmapped table can be mapped at any time: it must be empty. */
            if (cap.w1 != 0 || cap_page_table_level(cap) != 0) {
                return "unmapped page-table cap with a level or record";
            }
            return table_is_empty(cap_ptr(cap)) ? NULL : "unmapped page table not empty";
        }
        /* The level is that of the entry pointing at the table: in the root or below. */
        if (cap_page_table_level(cap) != 1 && cap_page_table_level(cap) != 2) {
            return "mapped page-table cap with an impossible level";
        }
        return check_mapping_record(cap, (int)cap_page_table_level(cap));
    default:
        return NULL;
    }
}

/*
 * Checks that the table at pt, found at (asid, va, level) by a walk from a live root, has
 * at least one page-table cap, and that every cap to it records exactly that place. As
 * one table has one place in the record, this also means no other entry points at it.
 */
static const char *
check_table_caps(const word_t *pt, word_t asid, vaddr_t va, int level)
{
    word_t record = cap_mapping(va, asid);
    bool found = false;
    for (const struct cte *s = mdb_next(&cdt_root); s != NULL; s = mdb_next(s)) {
        if (cap_type(s->cap) != CAP_PAGE_TABLE || cap_ptr(s->cap) != pt) {
            continue;
        }
        if (s->cap.w1 != record || cap_page_table_level(s->cap) != (word_t)level) {
            return "page table reachable where a cap to it does not record it";
        }
        found = true;
    }
    return found ? NULL : "page table reachable without a page-table cap";
}

/* Checks that a frame cap of the leaf's size, naming its physical address, records the
 * leaf's place (asid, va). */
static const char *
check_leaf_caps(paddr_t pa, word_t asid, vaddr_t va, int level)
{
    word_t record = cap_mapping(va, asid);
    for (const struct cte *s = mdb_next(&cdt_root); s != NULL; s = mdb_next(s)) {
        if (cap_type(s->cap) == CAP_FRAME && cap_frame_size(s->cap) == (word_t)level &&
            s->cap.w1 == record && vspace_pptr_to_paddr(cap_ptr(s->cap)) == pa) {
            return NULL;
        }
    }
    return "valid leaf entry without a frame cap that records it";
}

/*
 * Checks one entry of a user page table (level, serving va in asid): a leaf must have a
 * frame cap recording it, a table pointer page-table caps recording it. Sets *next to the
 * table the entry points to, or NULL.
 */
static const char *
check_entry(word_t pte, word_t asid, vaddr_t va, int level, const word_t **next)
{
    *next = NULL;
    if (!(pte & PTE_V)) {
        return NULL;
    }
    if (pte_is_leaf(pte)) {
        return check_leaf_caps(pte_paddr(pte), asid, va, level);
    }
    if (level == 0) {
        return "level-0 entry points to a table";
    }
    *next = vspace_paddr_to_pptr(pte_paddr(pte));
    return check_table_caps(*next, asid, va, level);
}

/* Checks the entries of the level-0 table pt serving the 2 MiB from base in asid. */
static const char *
check_table0(const word_t *pt, word_t asid, vaddr_t base)
{
    for (word_t i = 0; i < PTES_PER_TABLE; i++) {
        const word_t *next;
        const char *why = check_entry(pt[i], asid, base + (i << 12), 0, &next);
        if (why != NULL) {
            return why;
        }
    }
    return NULL;
}

/* Checks the level-1 table pt serving the 1 GiB from base in asid, and its tables. */
static const char *
check_table1(const word_t *pt, word_t asid, vaddr_t base)
{
    for (word_t i = 0; i < PTES_PER_TABLE; i++) {
        vaddr_t va = base + (i << 21);
        const word_t *next;
        const char *why = check_entry(pt[i], asid, va, 1, &next);
        if (why == NULL && next != NULL) {
            why = check_table0(next, asid, va);
        }
        if (why != NULL) {
            return why;
        }
    }
    return NULL;
}

/* Checks the user half of the live VSpace with root and asid, and every table below. */
static const char *
check_vspace(const word_t *root, word_t asid)
{
    for (word_t i = 0; i < (VL_USER_TOP >> 30); i++) {
        vaddr_t va = i << 30;
        const word_t *next;
        const char *why = check_entry(root[i], asid, va, 2, &next);
        if (why == NULL && next != NULL) {
            why = check_table1(next, asid, va);
        }
        if (why != NULL) {
            return why;
        }
    }
    return NULL;
}

/* True if slot a and slot b hold caps to the same page table (or VSpace, by type). */
static bool
same_table(const struct cte *a, const struct cte *b)
{
    return cap_type(a->cap) == cap_type(b->cap) && cap_ptr(a->cap) == cap_ptr(b->cap);
}

const char *
arch_check_mappings(void)
{
    const struct cte *prev = &cdt_root;
    for (const struct cte *s = mdb_next(&cdt_root); s != NULL; prev = s, s = mdb_next(s)) {
        cap_t cap = s->cap;
        /* Caps to one object are neighbours in the list (cte_is_final relies on it). */
        if (cap_type(cap) == CAP_PAGE_TABLE && same_table(prev, s) &&
            (prev->cap.w1 != cap.w1 ||
             cap_page_table_level(prev->cap) != cap_page_table_level(cap))) {
            return "caps to one page table disagree about its mapping";
        }
        /* Live and orphaned VSpaces alike: an orphan may still run (arch/asid.h). */
        if (cap_type(cap) != CAP_VSPACE || same_table(prev, s) ||
            asid_vspace_root(cap_vspace_asid(cap)) != cap_ptr(cap)) {
            continue;
        }
        const char *why = check_vspace(cap_ptr(cap), cap_vspace_asid(cap));
        if (why != NULL) {
            return why;
        }
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
    pte_store(pte, pte_make(pa, flags), va, cap_vspace_asid(vs), level);
    inv->slot->cap.w1 = cap_mapping(va, cap_vspace_asid(vs));
    return EXCEPTION_NONE;
}

/*
 * PageTable_Map: MR0 vaddr; extra cap 0 = the VSpace. The table goes where the walk
 * towards vaddr stops (the highest level that has no table yet), as in seL4; its cap,
 * which must be unmapped (then the table is empty), records the level and the place.
 */
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
    pte_store(pte, pte_make(vspace_pptr_to_paddr(cap_ptr(pt)), PTE_V), va, cap_vspace_asid(vs),
              found);
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
            /* Only the last cap: it then holds the one record of the mapping. */
            if (!cte_is_final(inv->slot)) {
                return syscall_error(VL_REVOKE_FIRST);
            }
            /* Cleared before it can be mapped again (at any level), so nothing mapped
             * through it before comes back. A stale record (table already detached, or
             * its VSpace gone) is cleared the same way. */
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
