/*
 * Switching address spaces on the exit paths (RISC-V Sv39), split so the IPC fast path
 * can check before it commits: vspace_satp_of gives the satp value for a thread (false
 * if it has no VSpace, then the slow path decides), vspace_switch_satp loads it.
 *
 * A VSpace cap in a thread's VTABLE slot always has a live ASID: ASIDs are freed only
 * when a VSpace's final cap is deleted (checked by kernel_check_invariants).
 */
#pragma once

#include "arch/riscv.h"
#include "object/structures.h"

struct satp_state {
    word_t current;   /* the satp value in force (0 before the first switch) */
    bool asids_alias; /* the hart has fewer ASIDs than handed out: every switch flushes */
};
extern struct satp_state satp_state;

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

static inline __attribute__((always_inline)) void
vspace_switch_satp(word_t satp)
{
    if (satp != satp_state.current) {
        satp_state.current = satp;
        csr_write(satp, satp);
        if (unlikely(satp_state.asids_alias)) {
            sfence_vma_all();
        }
    }
}
