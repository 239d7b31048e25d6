/*
 * What the portable kernel needs from the architecture and platform.
 */
#pragma once

#include "object/structures.h"

struct invocation;

/* True if an interrupt is pending that the kernel should take (preemption points). */
bool arch_irq_pending(void);

/* Prepares a new VSpace root table in zeroed memory (copies the kernel's mappings). */
void arch_vspace_init(void *root);

/* True if vs is a VSpace cap with a live ASID (assigned by its pool, pool not deleted):
 * one a thread may be given or mappings made in. */
bool arch_vspace_has_asid(cap_t vs);

/* Decodes ASID control and ASID pool invocations (ASIDControl_MakePool, ASIDPool_Assign). */
exception_t arch_decode_asid_invocation(struct invocation *inv);

/* Side effects of deleting the final cap of an ASID pool: its VSpaces are orphaned. */
void arch_asid_pool_finalise(cap_t pool);

/*
 * Checks the ASID tables against the caps: vspaces is the number of VSpace objects with
 * caps that hold an ASID, pools the number of ASID pool objects with caps (each object
 * counted once). Returns NULL or what is wrong.
 */
const char *arch_check_asids(word_t vspaces, word_t pools);

/*
 * The copy of a frame or page-table cap (cap_derive): a frame's copy is unmapped; a page
 * table's copy carries the mapping, and an unmapped page-table cap cannot be copied
 * (VL_ILLEGAL_OPERATION). Other caps are returned as they are.
 */
exception_t arch_derive_cap(cap_t cap, cap_t *out);

/* Side effects of deleting a frame, page-table or VSpace cap. */
void arch_finalise_cap(cap_t cap, bool final);

/* Checks the architecture's invariants about one cap; returns NULL or what is wrong. */
const char *arch_check_cap(cap_t cap);

/* True if slot is one of the kernel's own slots that lie in no object (for the invariant
 * checker: every other slot holding a cap lies in a live CNode or TCB, or in a zombie). */
bool arch_slot_is_static(const struct cte *slot);

/*
 * Checks the mappings of every live VSpace against the caps (docs/kernel/objects.md,
 * "Mapping invariants"); returns NULL or what is wrong. Walks every table reachable
 * from a live root and, for each valid entry, the derivation list: call it only from
 * tests, after the list itself was checked.
 */
const char *arch_check_mappings(void);

/* Decodes frame, page-table and VSpace invocations. */
exception_t arch_decode_invocation(struct invocation *inv);

/* Makes t's VSpace the current address space. */
void arch_activate_vspace(struct tcb *t);

/* Stops the machine with an exit status (debug builds). */
NORETURN void arch_halt(word_t status);

/* Powers the machine off with an exit status, 0..255 (0 = success): Shutdown_PowerOff. */
NORETURN void arch_power_off(word_t status);

/* Resets (cold-reboots) the machine: Shutdown_Reset. */
NORETURN void arch_reset(void);

/* Writes one character to the debug console. */
void arch_putchar(char c);
