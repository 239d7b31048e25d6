/*
 * Deletion and revocation.
 *
 * Deleting the last cap to a CNode or TCB (a container) must empty the slots inside it,
 * which may hold the last caps to further containers, to any depth and in cycles. The
 * kernel keeps that work in the slots themselves, with no recursion and a constant amount
 * of work between two preemption points, whatever the depth:
 *
 *   - The cap being deleted becomes a zombie (structures.h) that counts the object's slots
 *     still to empty; the slot holding it is the deletion's *root*. Each step empties one
 *     slot of the root's object, the last first.
 *   - A zombie lives only where the memory under it stays allocated until the zombie is
 *     gone: in the root slot of a deletion, or in one of its own object's slots. (A
 *     zombie pins its own object's memory: it stays in the derivation tree under the
 *     untyped the object came from, so that untyped cannot be reset.)
 *   - A final container met inside the object being emptied becomes a zombie and is moved
 *     into its own first slot (seL4's capSwapForDelete): what that slot held comes out to
 *     the parent's slot and is deleted there next. The moved zombie has no deletion
 *     working on it: it goes on the *orphan list* (linked through the zombies' second
 *     words, last in first out), which every deletion empties before it returns. A zombie
 *     of another, preempted, deletion met inside the object (its root slot lies there) is
 *     treated the same way.
 *   - Orphans are emptied from the head of the list only, so that the list is never
 *     unlinked in the middle: a deletion asked to delete an orphan's slot (a revoke
 *     reaches it through the derivation tree) empties the list until that slot is empty.
 *
 * So a preempted deletion leaves a root zombie and orphans, all in memory that cannot be
 * reused, and repeating it (or any other deletion) continues the work. The depth of nested
 * containers costs steps, never the length of a step.
 */
#include "kernel/delete.h"

#include "arch/machine.h"
#ifdef CONFIG_BENCH_PREEMPTION
#include "arch/riscv.h"
#endif
#include "config.h"
#include "kernel/thread.h"
#include "object/cap.h"
#include "object/endpoint.h"
#include "object/objecttype.h"

static word_t work_units;

/* The orphan list: slots holding orphaned zombies, linked through their caps' w1. */
struct cte *ks_zombie_orphans;

#ifdef CONFIG_BENCH_PREEMPTION
/*
 * Benchmark kernels only (make bench): the most instructions retired between two checks
 * for a pending interrupt during a deletion, or from the start of a deletion to its first
 * check. Read and reset by the VL_SYS_BENCH_PREEMPT_MAX system call.
 */
word_t bench_preempt_max;
static word_t bench_preempt_last;

void
bench_preempt_mark(bool measure)
{
    word_t now = csr_read(instret);
    if (measure && now - bench_preempt_last > bench_preempt_max) {
        bench_preempt_max = now - bench_preempt_last;
    }
    bench_preempt_last = now;
}
#define BENCH_PREEMPT_MARK(measure) bench_preempt_mark(measure)
#else
#define BENCH_PREEMPT_MARK(measure) ((void)0)
#endif

exception_t
preemption_point(void)
{
    work_units++;
    if (work_units < CONFIG_PREEMPTION_WORK_UNITS) {
        return EXCEPTION_NONE;
    }
    work_units = 0;
    BENCH_PREEMPT_MARK(true);
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

/* Replaces the final container cap in slot by a zombie counting all its slots. */
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

/* True if slot lies inside the object of zombie z. */
static bool
in_own_object(const struct cte *slot, cap_t z)
{
    const struct cte *first = cap_zombie_slots(z);
    word_t offset = (word_t)((uintptr_t)slot - (uintptr_t)first);
    return (uintptr_t)slot >= (uintptr_t)first && offset < BIT(cap_zombie_size_bits(z));
}

static void
orphan_push(struct cte *slot)
{
    slot->cap = cap_set_rights(slot->cap, ZOMBIE_ORPHAN);
    slot->cap.w1 = (word_t)(uintptr_t)ks_zombie_orphans;
    ks_zombie_orphans = slot;
}

/*
 * The zombie in target (inside the object of root's zombie, and not in its own object)
 * moves into its own first slot and becomes an orphan; what that slot held comes to
 * target. If that first slot is root itself (root lies inside the moved zombie's object),
 * the two zombies trade places and both become orphans, each now in its own object.
 * (The moved one must not stay root's: a revoke preempted here is repeated from the
 * untyped, which no longer leads to root, and a thread configuring itself is stopped by
 * its own destruction; only the orphan list is sure to be emptied by whoever deletes
 * next. The deletion of root goes on emptying the list until root is empty.)
 */
static void
move_to_own_object(struct cte *root, struct cte *target)
{
    struct cte *first = cap_zombie_slots(target->cap);
    assert(first != target && !cap_zombie_is_orphan(target->cap));
    cte_swap(target->cap, target, first->cap, first);
    if (first == root) {
        orphan_push(target);
    }
    orphan_push(first);
}

/*
 * One step of emptying the zombie in root: empties (or skips) one of its object's slots,
 * or removes the zombie when none are left. Returns true when root is empty.
 */
static bool
reduce_step(struct cte *root)
{
    cap_t z = root->cap;
    word_t n = cap_zombie_count(z);
    if (n == 0) {
        cte_unlink(root);
        return true;
    }
    struct cte *target = cap_zombie_slots(z) + (n - 1);
    cap_t tc = target->cap;
    if (target == root || cap_type(tc) == CAP_NULL) {
        /* Root's own slot (a container holding its own last cap) is emptied last. */
        root->cap = cap_zombie_set_count(z, n - 1);
        return false;
    }
    if (cap_is_container(tc) && cte_is_final(target)) {
        start_zombie(target);
        tc = target->cap;
    }
    if (cap_type(tc) == CAP_ZOMBIE) {
        /* Not an orphan: orphans live in their own objects. The slot is looked at again. */
        move_to_own_object(root, target);
        return false;
    }
    delete_leaf(target);
    root->cap = cap_zombie_set_count(z, n - 1);
    return false;
}

/* One step of emptying the orphan at the head of the list; it leaves the list when done
 * (a step that finishes a zombie pushes no new orphan). */
static void
reduce_orphan_head(void)
{
    struct cte *head = ks_zombie_orphans;
    struct cte *next = (struct cte *)(uintptr_t)head->cap.w1;
    if (reduce_step(head)) {
        ks_zombie_orphans = next;
    }
}

/*
 * Each pass does a constant amount of work: the slot's own zombie first, then the orphans
 * (which include every container found on the way). A slot holding an orphan is emptied
 * when the list reaches it.
 */
exception_t
cte_delete(struct cte *slot)
{
    BENCH_PREEMPT_MARK(false);
    for (;;) {
        cap_t cap = slot->cap;
        if (cap_type(cap) == CAP_ZOMBIE && !cap_zombie_is_orphan(cap)) {
            reduce_step(slot);
        } else if (cap_type(cap) != CAP_NULL && cap_type(cap) != CAP_ZOMBIE) {
            if (!cap_is_container(cap) || !cte_is_final(slot)) {
                delete_leaf(slot);
            } else {
                start_zombie(slot);
            }
            continue;
        } else if (ks_zombie_orphans != NULL) {
            reduce_orphan_head();
        } else {
            assert(cap_type(cap) == CAP_NULL); /* every orphan is on the list */
            return EXCEPTION_NONE;
        }
        if (preemption_point() != EXCEPTION_NONE) {
            return EXCEPTION_PREEMPTED;
        }
    }
}

/* Empties the orphan list. EXCEPTION_NONE or EXCEPTION_PREEMPTED. */
static exception_t
reduce_orphans(void)
{
    while (ks_zombie_orphans != NULL) {
        reduce_orphan_head();
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
            /* A preempted child deletion may have left orphans: finish them too. */
            return reduce_orphans();
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

const char *
delete_check_orphans(void)
{
    word_t n = 0;
    for (const struct cte *s = ks_zombie_orphans; s != NULL;
         s = (const struct cte *)(uintptr_t)s->cap.w1) {
        if (++n > (1ul << 24)) {
            return "orphan list too long (cycle?)";
        }
        if (cap_type(s->cap) != CAP_ZOMBIE || !cap_zombie_is_orphan(s->cap)) {
            return "orphan list entry is not an orphaned zombie";
        }
        if (!in_own_object(s, s->cap)) {
            return "orphaned zombie outside its own object";
        }
    }
    return NULL;
}
