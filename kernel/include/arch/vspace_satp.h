/*
 * The satp value (RISC-V Sv39) that runs a thread in its VSpace. Portable C, apart from
 * the loading of it in arch/vspace_switch.h, so the host tests build the IPC fast path
 * with it.
 */
#pragma once

#include "arch/riscv.h"
#include "object/structures.h"

_Static_assert(VSPACE_MODE_SV39 == SATP_MODE_SV39, "VSpace caps hold satp's mode");

_Static_assert((PPTR_BASE & ((1ul << 38) - 1)) == 0 && (PPTR_MAP_GIB << 30) <= (1ul << 38),
               "vspace_satp_of: the window's page numbers are 26 bits");

/* The satp value for the VSpace cap vs of a thread, or false if vs is not a VSpace. */
static inline __attribute__((always_inline)) bool
vspace_satp_of(cap_t vs, word_t *satp)
{
    if (unlikely(cap_type(vs) != CAP_VSPACE)) {
        return false;
    }
    /* The root is in the physical-memory window: bits 12..37 of its offset there are
     * the page number, and they are bits 28..53 of w0 (the pointer starts at bit 16). */
    word_t ppn = (vs.w0 << 10) >> 38;
    *satp = vs.w1 | ppn; /* w1: mode and ASID (cap_vspace) */
    return true;
}

/* True if the satp value translates through the root table at physical address root_pa
 * (its page number field, bits 0..43, names that page; mode and ASID do not matter). */
static inline bool
satp_holds_root(word_t satp, paddr_t root_pa)
{
    return (satp & MASK(44)) == root_pa >> 12;
}
