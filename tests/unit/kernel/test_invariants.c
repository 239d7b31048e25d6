/*
 * The invariants issue 10 added to kernel_check_invariants, each corrupted on purpose:
 * the checker must name the broken one.
 */
#include "ktest.h"

/* The current thread sitting in its ready queue (defect 3's state). */
KTEST(inv_current_thread_queued)
{
    struct tcb *t = kt_thread(7, TS_RUNNING);
    kt_insert(cap_tcb(tcb_slots(t)));
    ks_cur_thread = t;
    INV();
    sched_enqueue(t);
    CHECK_INV_FIRES("current thread in a ready queue");
    sched_dequeue(t);
    INV();
    /* Queued but not flagged: found by the queue walk. */
    struct tcb *u = kt_thread(7, TS_RUNNING);
    kt_insert(cap_tcb(tcb_slots(u)));
    sched_enqueue(u);
    INV();
    ks_cur_thread = u;
    u->in_ready_queue = false;
    CHECK_INV_FIRES("current thread in a ready queue");
    u->in_ready_queue = true;
    ks_cur_thread = ks_idle_thread;
    INV();
}

/* A ready queue that runs in a circle is reported, not followed for ever. */
KTEST(inv_ready_queue_cycle)
{
    struct tcb *a = kt_thread(9, TS_RUNNING), *b = kt_thread(9, TS_RUNNING);
    kt_insert(cap_tcb(tcb_slots(a)));
    kt_insert(cap_tcb(tcb_slots(b)));
    sched_append(a);
    sched_append(b);
    INV();
    b->sched_next = a;
    a->sched_prev = b;
    const char *why = sched_check();
    CHECK(why != NULL);
    CHECK(strcmp(why, "ready queue too long (cycle?)") == 0 ||
          strcmp(why, "ready queue entry inconsistent") == 0);
    b->sched_next = NULL;
    a->sched_prev = NULL;
    INV();
}

/* A slot left linked in an object that has no capability any more (defects 2 and 12). */
KTEST(inv_linked_slot_in_dead_object)
{
    cap_t cn = kt_cnode(3, 0, 0);
    struct cte *c = kt_insert(cn);
    struct cte *slots = cap_ptr(cn);
    struct cte *ep = kt_insert(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL));
    cte_insert(ep->cap, ep, &slots[2]);
    INV();
    /* The CNode's cap goes without its slots being emptied. */
    cte_unlink(c);
    CHECK_INV_FIRES("a linked slot lies in no live object");
    /* A zombie standing for the object makes its slots legitimate again. */
    kt_insert_at(cap_zombie(slots, false, 3, 8), c);
    INV();
    /* The same for a TCB's slots. */
    cte_unlink(&slots[2]);
    cte_unlink(c);
    struct tcb *t = kt_thread(3, TS_INACTIVE);
    struct cte *tc = kt_insert(cap_tcb(tcb_slots(t)));
    cte_insert(ep->cap, ep, tcb_slot(t, TCB_BUFFER));
    INV();
    cte_unlink(tc);
    CHECK_INV_FIRES("a linked slot lies in no live object");
    cte_unlink(tcb_slot(t, TCB_BUFFER));
    INV();
}

/* The orphan list: only orphaned zombies, each in its own object, and no cycle. */
KTEST(inv_orphan_list)
{
    cap_t a = kt_cnode(2, 0, 0), b = kt_cnode(2, 0, 0);
    struct cte *as = cap_ptr(a), *bs = cap_ptr(b);
    /* A well-formed orphan: A's zombie in A's first slot, on the list. */
    kt_insert_at(cap_zombie(as, false, 2, 1), &as[0]);
    as[0].cap = cap_set_rights(as[0].cap, ZOMBIE_ORPHAN);
    ks_zombie_orphans = &as[0];
    INV();
    /* Not flagged as an orphan. */
    as[0].cap = cap_set_rights(as[0].cap, 0);
    CHECK_INV_FIRES("orphan list entry is not an orphaned zombie");
    as[0].cap = cap_set_rights(as[0].cap, ZOMBIE_ORPHAN);
    /* An orphan outside its own object. */
    kt_insert_at(cap_zombie(as, false, 2, 1), &bs[0]);
    kt_insert(b);
    bs[0].cap = cap_set_rights(bs[0].cap, ZOMBIE_ORPHAN);
    as[0].cap.w1 = (word_t)(uintptr_t)&bs[0];
    CHECK_INV_FIRES("orphaned zombie outside its own object");
    /* A cycle. */
    cte_unlink(&bs[0]);
    as[0].cap.w1 = (word_t)(uintptr_t)&as[0];
    CHECK_INV_FIRES("orphan list too long (cycle?)");
    as[0].cap.w1 = 0;
    INV();
    /* Finishing it empties the list. */
    CHECK_EQ(cte_delete(&as[0]), EXCEPTION_NONE);
    CHECK(ks_zombie_orphans == NULL);
    INV();
}
