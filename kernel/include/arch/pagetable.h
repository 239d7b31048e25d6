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

/* Drops cached translations of va in the address space asid after an entry changed. */
void vspace_flush_page(vaddr_t va, word_t asid);

/* Drops every cached translation of the address space asid (the ASID is being freed). */
void vspace_flush_asid(word_t asid);
