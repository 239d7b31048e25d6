/*
 * Deletion and revocation.
 *
 * Deleting the last cap to a CNode or TCB must empty the slots inside it, which may hold
 * the last caps to further CNodes. Instead of recursion the kernel keeps the work in the
 * slots themselves: the cap being deleted becomes a zombie that counts the object's slots
 * still to empty, and a nested container found on the way becomes a zombie in its parent's
 * slot. Each step walks from the top zombie down to the deepest one and empties one slot;
 * after a preemption the same walk resumes where the zombies say.
 *
 * A container holding the last cap to itself keeps its zombie in that slot: the slot is
 * skipped while emptying and cleared last. The zombie never moves, so repeating a
 * preempted delete on the same slot continues the same work.
 */
#include "kernel/delete.h"

#include "arch/machine.h"
#include "config.h"
#include "kernel/thread.h"
#include "object/cap.h"
#include "object/endpoint.h"
#include "object/objecttype.h"

static word_t work_units;

exception_t
preemption_point(void)
{
    work_units++;
    if (work_units < CONFIG_PREEMPTION_WORK_UNITS) {
        return EXCEPTION_NONE;
    }
    work_units = 0;
    return arch_irq_pending() ? EXCEPTION_PREEMPTED : EXCEPTION_NONE;
}

/* Empties a slot whose cap does not hold other caps, running the object's finaliser. */
static void
delete_leaf(struct cte *slot)
{
    if (cap_type(slot->cap) == CAP_REPLY) {
        ipc_reply_abort(slot); /* a reply cap has no object: its caller is woken */
        return;
    }
    bool final = cte_is_final(slot);
    cap_finalise(slot->cap, final);
    cte_unlink(slot);
}

void
cte_delete_one(struct cte *slot)
{
    if (cap_type(slot->cap) == CAP_NULL) {
        return;
    }
    assert(!cap_is_container(slot->cap) || !cte_is_final(slot));
    delete_leaf(slot);
}

/* Replaces the final container cap in slot by a zombie. */
static void
start_zombie(struct cte *slot)
{
    cap_t cap = slot->cap;
    cap_finalise(cap, true);
    bool is_tcb = cap_type(cap) == CAP_TCB;
    word_t radix = is_tcb ? 0 : cap_cnode_radix(cap);
    word_t n = is_tcb ? TCB_NUM_SLOTS : BIT(radix);
    slot->cap = cap_zombie(cap_ptr(cap), is_tcb, radix, n);
}

/*
 * True if slot is one of the zombies on the descent chain from top down to z (each link
 * is the last slot a zombie has left to empty). The chain has no repeats, so the walk
 * ends at z.
 */
static bool
on_chain(struct cte *top, struct cte *z, const struct cte *slot)
{
    for (struct cte *s = top;; s = &((struct cte *)cap_ptr(s->cap))[s->cap.w1 - 1]) {
        if (s == slot) {
            return true;
        }
        if (s == z) {
            return false;
        }
    }
}

/*
 * Empties one slot of the deepest zombie below top, or removes a finished zombie.
 * Returns true when top itself is finished and removed.
 *
 * A slot holding a zombie that is already on the chain (containers holding each other's
 * last caps form a cycle) is skipped, not entered: that zombie finishes when the walk
 * returns to it. Its slot lies in memory of a destroyed object, which stays unused until
 * then because the zombie keeps the object's untyped from being reset.
 */
static bool
reduce_step(struct cte *top)
{
    struct cte *z = top;
    for (;;) {
        if (z->cap.w1 == 0) {
            cte_unlink(z);
            return z == top;
        }
        struct cte *first = cap_ptr(z->cap);
        struct cte *target = &first[z->cap.w1 - 1];
        cap_t tc = target->cap;
        if (cap_type(tc) == CAP_NULL || (cap_type(tc) == CAP_ZOMBIE && on_chain(top, z, target))) {
            z->cap.w1--;
            return false;
        }
        if (cap_type(tc) == CAP_ZOMBIE) {
            z = target;
            continue;
        }
        if (cap_is_container(tc) && cte_is_final(target)) {
            start_zombie(target);
            z = target;
            continue;
        }
        delete_leaf(target);
        z->cap.w1--;
        return false;
    }
}

exception_t
cte_delete(struct cte *slot)
{
    if (cap_type(slot->cap) == CAP_NULL) {
        return EXCEPTION_NONE;
    }
    if (cap_type(slot->cap) != CAP_ZOMBIE) {
        if (!cap_is_container(slot->cap) || !cte_is_final(slot)) {
            delete_leaf(slot);
            return EXCEPTION_NONE;
        }
        start_zombie(slot);
    }
    while (!reduce_step(slot)) {
        if (preemption_point() != EXCEPTION_NONE) {
            return EXCEPTION_PREEMPTED;
        }
    }
    return EXCEPTION_NONE;
}

exception_t
cte_revoke(struct cte *slot)
{
    for (;;) {
        struct cte *next = mdb_next(slot);
        if (next == NULL || !cte_is_mdb_parent_of(slot, next)) {
            return EXCEPTION_NONE;
        }
        exception_t status = cte_delete(next);
        if (status != EXCEPTION_NONE) {
            return status;
        }
        if (preemption_point() != EXCEPTION_NONE) {
            return EXCEPTION_PREEMPTED;
        }
    }
}
