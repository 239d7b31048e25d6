/*
 * Deleting and revoking capabilities. Both are preemptible: they return
 * EXCEPTION_PREEMPTED when an interrupt is pending, leaving the slots in a consistent
 * state from which repeating the same operation continues the work.
 */
#pragma once

#include "object/structures.h"

/*
 * Deletes the cap in slot. If it was the last cap to its object, the object is destroyed:
 * threads blocked on it restart their system calls, bindings and mappings are removed,
 * and a CNode's or TCB's slots are emptied first (which may destroy further objects).
 * Returns EXCEPTION_NONE when slot is empty and no orphaned zombie is left (so every
 * object the deletion destroyed is gone), or EXCEPTION_PREEMPTED; the work between two
 * preemption points is bounded by a constant.
 */
exception_t cte_delete(struct cte *slot);

/* Deletes every CDT descendant of the cap in slot, then empties the orphan list (every
 * object those deletions destroyed is gone). EXCEPTION_NONE or _PREEMPTED. */
exception_t cte_revoke(struct cte *slot);

/* Deletes a cap that can never hold other caps (no preemption needed). */
void cte_delete_one(struct cte *slot);

/* Returns EXCEPTION_PREEMPTED if enough work was done and an interrupt is pending. */
exception_t preemption_point(void);

/* Slots holding orphaned zombies (delete.c), linked through their caps' w1; NULL if none. */
extern struct cte *ks_zombie_orphans;

/* Checks the orphan list: each entry an orphaned zombie inside its own object. NULL if
 * all is well, else why not. */
const char *delete_check_orphans(void);
