/*
 * Deletion and revocation: nested containers, self-reference, cycles, TCBs, preemption.
 */
#include "ktest.h"

static void
check_all_empty(struct cte *slots, word_t n)
{
    for (word_t i = 0; i < n; i++) {
        CHECK_EQ(cap_type(slots[i].cap), CAP_NULL);
        CHECK(slots[i].mdb_prev == NULL && slots[i].mdb_next == 0);
    }
}

KTEST(delete_nested_cnodes)
{
    cap_t a = kt_cnode(2, 0, 0), b = kt_cnode(2, 0, 0);
    struct cte *x = kt_insert(a);
    struct cte *as = cap_ptr(a), *bs = cap_ptr(b);
    kt_insert_at(b, &as[0]);
    void *ep = kt_alloc(VL_ENDPOINT_BITS);
    kt_insert_at(cap_endpoint(ep, 0, VL_RIGHTS_ALL), &bs[1]);
    struct tcb *w = kt_thread(3, TS_RUNNING);
    ep_send_ipc(true, false, 0, false, false, w, ep);
    CHECK_EQ(w->state, TS_BLOCKED_ON_SEND);
    INV();
    CHECK_EQ(cte_delete(x), EXCEPTION_NONE);
    INV();
    CHECK_EQ(cap_type(x->cap), CAP_NULL);
    check_all_empty(as, 4);
    check_all_empty(bs, 4);
    CHECK_EQ(kt_cdt_count(), 0);
    /* The thread blocked on the destroyed endpoint restarts its call. */
    CHECK_EQ(w->state, TS_RESTART);
    CHECK(w->in_ready_queue);
}

KTEST(delete_cnode_holding_last_cap_to_itself)
{
    cap_t a = kt_cnode(3, 0, 0);
    struct cte *x = kt_insert(a);
    struct cte *as = cap_ptr(a);
    cte_insert(a, x, &as[5]);
    kt_insert_at(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL), &as[2]);
    INV();
    CHECK_EQ(cte_delete(x), EXCEPTION_NONE); /* not the last cap */
    INV();
    CHECK_EQ(cap_type(as[5].cap), CAP_CNODE);
    CHECK_EQ(cte_delete(&as[5]), EXCEPTION_NONE);
    INV();
    check_all_empty(as, 8);
    CHECK_EQ(kt_cdt_count(), 0);
}

KTEST(delete_cnode_cycle)
{
    /* A holds the last cap to B and B the last cap to A: deleting either empties both. */
    cap_t a = kt_cnode(2, 0, 0), b = kt_cnode(2, 0, 0);
    struct cte *as = cap_ptr(a), *bs = cap_ptr(b);
    kt_insert_at(b, &as[0]);
    kt_insert_at(a, &bs[0]);
    INV();
    CHECK_EQ(cte_delete(&as[0]), EXCEPTION_NONE);
    INV();
    check_all_empty(as, 4);
    check_all_empty(bs, 4);
    CHECK_EQ(kt_cdt_count(), 0);
}

KTEST(delete_cnode_cycle_by_revoke)
{
    /* The same cycle reached the way a user makes it: from untyped, then revoked. */
    char *mem = kt_alloc(12);
    struct cte *ut = kt_insert(cap_untyped(mem, 12, false, 0));
    struct cte *r = cap_ptr(kt_cnode(2, 0, 0));
    cap_t a = cap_cnode(mem, 2, 0, 0), b = cap_cnode(mem + 128, 2, 0, 0);
    cte_insert_original(a, ut, &r[0]);
    cte_insert_original(b, ut, &r[1]);
    ut->cap.w1 = 256;
    cte_insert(b, &r[1], &((struct cte *)cap_ptr(a))[0]);
    cte_insert(a, &r[0], &((struct cte *)cap_ptr(b))[0]);
    cte_delete(&r[0]);
    cte_delete(&r[1]);
    INV();
    CHECK_EQ(cte_revoke(ut), EXCEPTION_NONE);
    INV();
    check_all_empty(cap_ptr(a), 4);
    check_all_empty(cap_ptr(b), 4);
    CHECK_EQ(kt_cdt_count(), 1);
}

KTEST(delete_tcb_object)
{
    void *obj = kt_alloc(VL_TCB_BITS);
    struct tcb *t = tcb_from_obj(obj);
    thread_init(t);
    t->priority = 9;
    struct cte *x = kt_insert(cap_tcb(obj));
    cap_t cn = kt_cnode(2, 0, 0);
    kt_insert_at(cn, tcb_slot(t, TCB_CTABLE));
    kt_insert_at(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL),
                 &((struct cte *)cap_ptr(cn))[1]);
    kt_insert_at(cap_frame(kt_alloc(12), FRAME_4K, false, VL_RIGHTS_ALL), tcb_slot(t, TCB_BUFFER));
    struct notification *n = kt_alloc(VL_NOTIFICATION_BITS);
    struct cte *ns = kt_insert(cap_notification(n, 0, VL_RIGHTS_ALL));
    ntfn_bind(t, n);
    thread_set_state(t, TS_RUNNING);
    sched_enqueue(t);
    INV();
    CHECK_EQ(cte_delete(x), EXCEPTION_NONE);
    INV();
    check_all_empty(tcb_slots(t), TCB_NUM_SLOTS);
    check_all_empty(cap_ptr(cn), 4);
    CHECK_EQ(t->state, TS_INACTIVE);
    CHECK(!t->in_ready_queue);
    CHECK(n->bound_tcb == NULL && t->bound_ntfn == NULL);
    CHECK_EQ(sched_highest_priority(), -1);
    cte_delete(ns);
    CHECK_EQ(kt_cdt_count(), 0);
}

KTEST(delete_preempted_resumes)
{
    /* A radix-6 CNode whose slots hold radix-2 CNodes full of endpoints: 64*5 deletions. */
    cap_t top = kt_cnode(6, 0, 0);
    struct cte *x = kt_insert(top);
    struct cte *ts = cap_ptr(top);
    for (int i = 0; i < 64; i++) {
        cap_t c = kt_cnode(2, 0, 0);
        kt_insert_at(c, &ts[i]);
        for (int j = 0; j < 4; j++) {
            kt_insert_at(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL),
                         &((struct cte *)cap_ptr(c))[j]);
        }
    }
    INV();
    host_irq_pending = true;
    int preemptions = 0;
    exception_t st;
    while ((st = cte_delete(x)) == EXCEPTION_PREEMPTED) {
        preemptions++;
        INV();
        CHECK_EQ(cap_type(x->cap), CAP_ZOMBIE);
        CHECK(preemptions < 1000);
    }
    CHECK_EQ(st, EXCEPTION_NONE);
    CHECK(preemptions >= 3);
    check_all_empty(ts, 64);
    CHECK_EQ(kt_cdt_count(), 0);
    /* A preempted revoke resumes too. */
    char *mem = kt_alloc(16);
    struct cte *ut = kt_insert(cap_untyped(mem, 16, false, 0));
    struct cte *r = cap_ptr(kt_cnode(8, 0, 0));
    for (int i = 0; i < 200; i++) {
        cte_insert_original(cap_endpoint(mem + 32 * i, 0, VL_RIGHTS_ALL), ut, &r[i]);
    }
    ut->cap.w1 = 32 * 200;
    INV();
    preemptions = 0;
    while ((st = cte_revoke(ut)) == EXCEPTION_PREEMPTED) {
        preemptions++;
        INV();
        CHECK(preemptions < 1000);
    }
    CHECK(preemptions >= 2);
    check_all_empty(r, 256);
    CHECK_EQ(kt_cdt_count(), 1);
    host_irq_pending = false;
}
