/*
 * Portable Sv39 page-table logic (kernel/src/arch/riscv64/pagetable.c): table walks, Frame
 * and PageTable invocations, and unmapping when caps are deleted. It touches no CSR and no
 * physical address directly: the machine layer below provides the four functions at the
 * end (vspace.c on RISC-V, the shim in the host unit tests).
 */
#pragma once

#include "config.h"
#include "types.h"

/* The root table of the VSpace with the given ASID, or NULL if no VSpace has it or its
 * pool is deleted (asid.c). */
word_t *pt_asid_root(word_t asid);

/* Kernel pointer to physical address pa (inside the kernel's physical-memory window). */
void *vspace_paddr_to_pptr(paddr_t pa);

/* Physical address of the kernel object at p. */
paddr_t vspace_pptr_to_paddr(const void *p);

/*
 * If satp holds the VSpace root, loads the kernel's own root (ASID 0) in its place, as
 * seL4 does with setVMRoot when an address space dies: the hart must not walk, or refill
 * the TLB from, a root whose memory is about to be freed and whose ASID will be reused.
 * The exit to user space loads the next thread's satp as usual.
 */
void vspace_unload_root(const void *root);
