/*
 * The machine's TLB fences (RISC-V sfence.vma). Only tlb_flush (arch/tlb.h) uses them,
 * after deciding which one a change needs. The host unit tests replace this header with
 * one whose functions record the requests (tests/unit/kernel/host_include/arch/).
 */
#pragma once

#include "types.h"

/* sfence.vma va, asid: the leaf translations of va in the address space asid. */
static inline void
vspace_flush_page(vaddr_t va, word_t asid)
{
    __asm__ volatile("sfence.vma %0, %1" ::"r"(va), "r"(asid) : "memory");
}

/* sfence.vma zero, asid: every non-global translation of the address space asid. */
static inline void
vspace_flush_asid(word_t asid)
{
    __asm__ volatile("sfence.vma zero, %0" ::"r"(asid) : "memory");
}

/* sfence.vma zero, zero: every translation, global ones too. */
static inline void
vspace_flush_all(void)
{
    __asm__ volatile("sfence.vma" ::: "memory");
}
