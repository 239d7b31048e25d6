/*
 * Address-space identifiers (kernel/src/arch/riscv64/asid.c), handed out as in seL4: the
 * ASID control cap makes ASID pools, each pool cap hands out VL_ASID_POOL_SIZE ASIDs, and
 * ASIDPool_Assign gives a VSpace one of them. A VSpace has no ASID until then, so holding
 * untyped memory is not enough to make a usable VSpace, and one pool's holder cannot use
 * up another's ASIDs.
 *
 * The kernel keeps every ASID's VSpace root in its own table (asid_table), not in the
 * pool object: a VSpace whose pool is deleted ("orphaned") keeps its ASID and its entry
 * until its last cap goes, so its mappings are still found and removed when their frame
 * and page-table caps are deleted, and its ASID is never given to another VSpace while a
 * thread may still run in it (the exit paths load satp from the cap without looking at
 * the table). An orphaned VSpace counts as having no ASID everywhere else: it cannot be
 * given to a thread, mapped into, or assigned again. A pool's ASID range is handed out
 * again by ASIDControl_MakePool only once no orphan holds an ASID in it.
 */
#pragma once

#include "config.h"
#include "object/structures.h"

/* Pools: CONFIG_NUM_ASIDS / VL_ASID_POOL_SIZE ranges of ASIDs; pool p has ASIDs
 * [p * VL_ASID_POOL_SIZE, (p + 1) * VL_ASID_POOL_SIZE). */
#define ASID_POOL_SHIFT 9
#define ASID_NUM_POOLS (CONFIG_NUM_ASIDS / VL_ASID_POOL_SIZE)

_Static_assert(BIT(ASID_POOL_SHIFT) == VL_ASID_POOL_SIZE, "ASID_POOL_SHIFT");
_Static_assert(CONFIG_NUM_ASIDS % VL_ASID_POOL_SIZE == 0 && CONFIG_NUM_ASIDS <= BIT(16),
               "whole pools of the 16-bit ASIDs of satp");

/*
 * asid_table[a]: the root of the VSpace with ASID a (4 KiB aligned), with ASID_ORPHAN set
 * once the pool the ASID came from is deleted; 0 if the ASID is free. ASID 0 is the
 * kernel's and stays 0. Only asid.c reads or writes it (extern for the host tests of the
 * invariant checker, which corrupt it).
 */
#define ASID_ORPHAN 1ul
extern word_t asid_table[CONFIG_NUM_ASIDS];

/*
 * Boot: makes pool_obj (4 KiB, zeroed) the pool of ASIDs 0..VL_ASID_POOL_SIZE - 1 and
 * gives root ASID asid from it. Returns the pool's cap.
 */
cap_t asid_boot_pool(void *pool_obj, void *root, word_t asid);

/* The root of the VSpace with the given ASID, live or orphaned (for removing mappings);
 * NULL if no VSpace has it. */
word_t *asid_vspace_root(word_t asid);

/* Frees the ASID of a VSpace whose final cap is being deleted (nothing if it has none). */
void asid_vspace_finalise(cap_t vs);

/* What is wrong with an ASID pool or VSpace cap against the ASID table, or NULL. */
const char *asid_check_cap(cap_t cap);
