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

word_t kernel_root_pt[PTES_PER_TABLE] __attribute__((aligned(4096)));

/* asid_table[a] is the root of the VSpace with ASID a, or NULL. ASID 0 is the kernel's. */
static word_t *asid_table[CONFIG_NUM_ASIDS];
static word_t asid_next = 1;
static word_t asids_in_use;

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
arch_asid_alloc(void)
{
    for (word_t n = 0; n < CONFIG_NUM_ASIDS; n++) {
        word_t a = asid_next;
        asid_next = asid_next + 1 < CONFIG_NUM_ASIDS ? asid_next + 1 : 1;
        if (asid_table[a] == NULL) {
            asid_table[a] = (word_t *)1; /* reserved until the root is recorded */
            asids_in_use++;
            return a;
        }
    }
    return 0;
}

void
vspace_asid_set(word_t asid, word_t *root)
{
    asid_table[asid] = root;
}

/* Looks up the root table of asid; NULL if the ASID is not in use. */
static word_t *
asid_root(word_t asid)
{
    if (asid == 0 || asid >= CONFIG_NUM_ASIDS || asid_table[asid] == (word_t *)1) {
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
    for (int l = 2; l >= 0; l--) {
        word_t *pte = &pt[pt_index(va, l)];
        if (l == stop_level || !(*pte & PTE_V) || pte_is_leaf(*pte)) {
            *level = l;
            return pte;
        }
        pt = paddr_to_pptr(pte_paddr(*pte));
    }
    return NULL;
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

exception_t
arch_decode_invocation(struct invocation *inv)
{
    cap_t cap = inv->cap;
    if (cap_type(cap) == CAP_FRAME && inv->label == VL_FRAME_GET_ADDRESS) {
        inv_set_result(inv, 0, pptr_to_paddr(cap_ptr(cap)));
        inv_set_result(inv, 1, cap_is_mapped(cap) ? cap_mapped_vaddr(cap) : 0);
        inv->reply_length = 2;
        return EXCEPTION_NONE;
    }
    /* Frame and page-table mapping from user space is not available yet (issue 3). */
    return syscall_error(VL_ILLEGAL_OPERATION);
}
