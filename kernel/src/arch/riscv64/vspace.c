/*
 * Sv39 address spaces on the machine: the kernel window, boot-time mappings, switching
 * satp, and the physical-address and TLB functions the portable page-table code in
 * pagetable.c calls (arch/pagetable.h).
 *
 * Every VSpace root carries the kernel's entries (upper half) copied from
 * kernel_root_pt; user mappings live in the lower half, below VL_USER_TOP.
 */
#include "arch/pagetable.h"

#include "arch/machine.h"
#include "arch/riscv.h"
#include "arch/tlb.h"
#include "arch/vspace_satp.h"
#include "arch/vspace_switch.h"
#include "config.h"
#include "object/cap.h"

word_t kernel_root_pt[PTES_PER_TABLE] __attribute__((aligned(4096)));

/* ASIDs the hart implements: at least 1 << asid_hw_bits. Fewer than we hand out means
 * ASIDs alias in the TLB, so every address-space switch flushes it. */
static word_t asid_hw_bits = 16;

/* Finds how many ASID bits the hart implements (paging on; the caller fences). */
static void
probe_asid_bits(void)
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
    satp_asids_alias = asid_hw_bits < 16 && BIT(asid_hw_bits) < CONFIG_NUM_ASIDS;
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

/* Drops the identity mapping used during the switch to high addresses and finds how
 * many ASID bits the hart has (which wrote satp's ASID field). */
void vspace_boot_finish(void);
void
vspace_boot_finish(void)
{
    kernel_root_pt[pt_index(KERNEL_PBASE, 2)] = 0;
    probe_asid_bits();
    tlb_flush(TLB_GLOBAL_CHANGED, 0, 0, 2);
}

void
arch_vspace_init(void *root)
{
    word_t *pt = root;
    for (word_t i = PTES_PER_TABLE / 2; i < PTES_PER_TABLE; i++) {
        pt[i] = kernel_root_pt[i];
    }
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

bool satp_asids_alias;

/* The satp value of the kernel's own table (ASID 0), where every user access faults. */
static word_t
kernel_satp(void)
{
    return SATP_MODE_SV39 | (pptr_to_paddr(kernel_root_pt) >> 12);
}

void
arch_activate_vspace(struct tcb *t)
{
    word_t satp;
    if (!vspace_satp_of(tcb_slot(t, TCB_VTABLE)->cap, &satp)) {
        satp = kernel_satp();
    }
    vspace_switch_satp(satp);
}

void
vspace_unload_root(const void *root)
{
    if (satp_holds_root(csr_read(satp), pptr_to_paddr(root))) {
        vspace_switch_satp(kernel_satp());
    }
}

void *
vspace_paddr_to_pptr(paddr_t pa)
{
    return paddr_to_pptr(pa);
}

paddr_t
vspace_pptr_to_paddr(const void *p)
{
    return pptr_to_paddr(p);
}
