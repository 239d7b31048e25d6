/*
 * Sv39 address spaces: the kernel window, VSpace roots with ASIDs, boot-time mappings,
 * and the side effects of deleting frames, page tables and VSpaces.
 *
 * Every VSpace root carries the kernel's entries (upper half) copied from
 * kernel_root_pt; user mappings live in the lower half, below VL_USER_TOP.
 */
#include <vallum/invocation.h>

#include "api/failures.h"
#include "api/invocation.h"
#include "arch/machine.h"
#include "arch/riscv.h"
#include "config.h"
#include "object/cap.h"

word_t kernel_root_pt[PTES_PER_TABLE] __attribute__((aligned(4096)));

/* asid_table[a] is the root of the VSpace with ASID a, or NULL. ASID 0 is the kernel's. */
static word_t *asid_table[CONFIG_NUM_ASIDS];
static word_t asid_next = 1;
static word_t asids_in_use;
/* ASIDs the hart implements: at least 1 << asid_hw_bits. Fewer than we hand out means
 * ASIDs alias in the TLB, so every address-space switch flushes it. */
static word_t asid_hw_bits = 16;

void
vspace_probe_asid_bits(void)
{
    word_t old = csr_read(satp);
    csr_write(satp, old | (0xfffful << 44));
    word_t mask = (csr_read(satp) >> 44) & 0xffff;
    csr_write(satp, old);
    asid_hw_bits = 0;
    while (mask & 1) {
        asid_hw_bits++;
        mask >>= 1;
    }
    sfence_vma_all();
}

static bool
asids_alias(void)
{
    return asid_hw_bits < 16 && BIT(asid_hw_bits) < CONFIG_NUM_ASIDS;
}

/*
 * Builds the boot page table: the physical-memory window at PPTR_BASE, the kernel image at
 * KERNEL_VBASE, and an identity map of the image's gigabyte for the jump to high
 * addresses. Runs before paging, at physical addresses. Returns the satp value.
 */
word_t boot_setup_vm(void);
word_t
boot_setup_vm(void)
{
    word_t *pt = kernel_root_pt; /* pc-relative: the physical address */
    word_t kflags = PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G;
    for (word_t i = 0; i < PPTR_MAP_GIB; i++) {
        pt[pt_index(PPTR_BASE, 2) + i] = pte_make(i << 30, kflags & ~PTE_X);
    }
    pt[pt_index(KERNEL_VBASE, 2)] = pte_make(KERNEL_PBASE, kflags);
    pt[pt_index(KERNEL_PBASE, 2)] = pte_make(KERNEL_PBASE, kflags);
    return SATP_MODE_SV39 | ((word_t)(uintptr_t)pt >> 12);
}

/* Drops the identity mapping used during the switch to high addresses. */
void vspace_boot_finish(void);
void
vspace_boot_finish(void)
{
    kernel_root_pt[pt_index(KERNEL_PBASE, 2)] = 0;
    sfence_vma_all();
}

void
arch_vspace_init(void *root)
{
    word_t *pt = root;
    for (word_t i = PTES_PER_TABLE / 2; i < PTES_PER_TABLE; i++) {
        pt[i] = kernel_root_pt[i];
    }
}

word_t
arch_asids_free(void)
{
    return CONFIG_NUM_ASIDS - 1 - asids_in_use;
}

word_t
arch_asid_alloc(void *root)
{
    for (word_t n = 0; n < CONFIG_NUM_ASIDS; n++) {
        word_t a = asid_next;
        asid_next = asid_next + 1 < CONFIG_NUM_ASIDS ? asid_next + 1 : 1;
        if (asid_table[a] == NULL) {
            asid_table[a] = root;
            asids_in_use++;
            return a;
        }
    }
    return 0;
}

/* Looks up the root table of asid; NULL if the ASID is not in use. */
static word_t *
asid_root(word_t asid)
{
    if (asid == 0 || asid >= CONFIG_NUM_ASIDS) {
        return NULL;
    }
    return asid_table[asid];
}

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
        pt = paddr_to_pptr(pte_paddr(*pte));
    }
    *level = l;
    return &pt[pt_index(va, l)];
}

void
vspace_boot_map(word_t *root, vaddr_t va, paddr_t pa, word_t flags,
                word_t *(*alloc_table)(void *ctx, vaddr_t va, int level), void *ctx)
{
    word_t *pt = root;
    for (int l = 2; l > 0; l--) {
        word_t *pte = &pt[pt_index(va, l)];
        if (!(*pte & PTE_V)) {
            word_t *table = alloc_table(ctx, va, l);
            *pte = pte_make(pptr_to_paddr(table), PTE_V);
        }
        pt = paddr_to_pptr(pte_paddr(*pte));
    }
    pt[pt_index(va, 0)] |= pte_make(pa, flags | PTE_V | PTE_U | PTE_A | PTE_D);
}

void
arch_activate_vspace(struct tcb *t)
{
    cap_t vs = tcb_slot(t, TCB_VTABLE)->cap;
    word_t *root = NULL;
    word_t asid = 0;
    if (cap_type(vs) == CAP_VSPACE) {
        asid = vs.w1;
        root = asid_root(asid);
        if (root != cap_ptr(vs)) {
            root = NULL;
        }
    }
    if (root == NULL) {
        /* No valid VSpace: run on the kernel's table, where every user access faults. */
        root = kernel_root_pt;
        asid = 0;
    }
    word_t satp = SATP_MODE_SV39 | (asid << 44) | (pptr_to_paddr(root) >> 12);
    if (csr_read(satp) != satp) {
        csr_write(satp, satp);
        if (asids_alias()) {
            sfence_vma_all();
        }
    }
}

/* Removes the mapping of the frame or table in cap from the VSpace it is mapped into. */
static void
unmap_cap(cap_t cap, int level)
{
    word_t *root = asid_root(cap_mapped_asid(cap));
    if (root == NULL) {
        return;
    }
    vaddr_t va = cap_mapped_vaddr(cap);
    int found;
    word_t *pte = lookup_pte(root, va, level, &found);
    if (pte != NULL && found == level && (*pte & PTE_V) &&
        pte_paddr(*pte) == pptr_to_paddr(cap_ptr(cap))) {
        *pte = 0;
        sfence_vma(va, cap_mapped_asid(cap));
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
        if (final && cap_is_mapped(cap)) {
            unmap_cap(cap, cap_page_table_level(cap));
        }
        return;
    case CAP_VSPACE:
        if (final && cap.w1 != 0 && cap.w1 < CONFIG_NUM_ASIDS) {
            asid_table[cap.w1] = NULL;
            asids_in_use--;
            __asm__ volatile("sfence.vma zero, %0" ::"r"(cap.w1) : "memory");
        }
        return;
    default:
        return;
    }
}

/* The root table of a VSpace cap, or NULL if the cap is not a live VSpace. */
static word_t *
vspace_root_of(cap_t vs)
{
    if (cap_type(vs) != CAP_VSPACE) {
        return NULL;
    }
    word_t *root = asid_root(vs.w1);
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
        (cap_mapped_asid(frame) != vs.w1 || cap_mapped_vaddr(frame) != va)) {
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
    paddr_t pa = pptr_to_paddr(cap_ptr(frame));
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
    sfence_vma(va, vs.w1);
    inv->slot->cap.w1 = cap_mapping(va, vs.w1);
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
    *pte = pte_make(pptr_to_paddr(cap_ptr(pt)), PTE_V);
    sfence_vma(va, vs.w1);
    inv->slot->cap = cap_set_small(pt, (word_t)found);
    inv->slot->cap.w1 = cap_mapping(ROUND_DOWN(va, level_bits(found)), vs.w1);
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
            inv_set_result(inv, 0, pptr_to_paddr(cap_ptr(cap)));
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
