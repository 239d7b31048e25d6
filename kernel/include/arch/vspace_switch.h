/*
 * Switching address spaces on the exit paths (RISC-V Sv39), split so the IPC fast path
 * can check before it commits: vspace_satp_of (arch/vspace_satp.h) gives the satp value
 * for a thread (false if it has no VSpace, then the slow path decides),
 * vspace_switch_satp loads it. The host tests replace this header with one that records
 * the value instead (tests/unit/kernel/host_include/arch/vspace_switch.h).
 *
 * A VSpace cap in a thread's VTABLE slot always has a live ASID: ASIDs are freed only
 * when a VSpace's final cap is deleted (checked by kernel_check_invariants).
 */
#pragma once

#include "arch/riscv.h"
#include "arch/tlb.h"
#include "arch/vspace_satp.h"

/* The hart has fewer ASIDs than are handed out: every switch flushes (set at boot). */
extern bool satp_asids_alias;

/*
 * Loads satp unless the value is already in force (a satp write can stall a real hart).
 * The CSR itself says what is in force: a read costs less than a variable in memory. If
 * the hart keeps fewer ASID bits than the value has, the two never compare equal and
 * every switch writes, which is what aliasing ASIDs need anyway.
 */
static inline __attribute__((always_inline)) void
vspace_switch_satp(word_t satp)
{
    if (satp != csr_read(satp)) {
        csr_write(satp, satp);
        if (unlikely(satp_asids_alias)) {
            tlb_flush(TLB_ASIDS_ALIASED, 0, 0, 0);
        }
    }
}
