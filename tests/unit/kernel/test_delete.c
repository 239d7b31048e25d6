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
        /* The work left: the root's zombie, or orphans (the nested CNodes). */
        CHECK(cap_type(x->cap) == CAP_ZOMBIE || ks_zombie_orphans != NULL);
        CHECK(preemptions < 1000);
    }
    CHECK_EQ(st, EXCEPTION_NONE);
    CHECK(preemptions >= 3);
    check_all_empty(ts, 64);
    CHECK_EQ(kt_cdt_count(), 0);
    /* A preempted revoke resumes too. */
    char *mem = kt_alloc(16);
    struct cte *ut = kt_insert(cap_untyped(mem, 16, false, 0));
    struct cte *r = cap_ptr(kt_insert(kt_cnode(8, 0, 0))->cap);
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
    CHECK_EQ(kt_cdt_count(), 2);
    host_irq_pending = false;
}

/* An untyped cap over fresh memory, with the watermark at used bytes, in a boot slot. */
static struct cte *
ut_with(char *mem, word_t bits, word_t used)
{
    struct cte *ut = kt_insert(cap_untyped(mem, bits, false, 0));
    ut->cap.w1 = used;
    return ut;
}

/* True if no slot of the derivation list lies in [mem, mem + 2^bits). */
static bool
no_linked_slot_in(const char *mem, word_t bits)
{
    for (struct cte *s = mdb_next(&cdt_root); s != NULL; s = mdb_next(s)) {
        if ((const char *)s >= mem && (const char *)s < mem + BIT(bits)) {
            return false;
        }
    }
    return true;
}

/*
 * Issue 10, defect 12: CNodes A (from untyped UA) and B (from UB) hold each other's only
 * cap, B in A's last slot. Revoking UA empties A's last slot first, which destroys B; A's
 * zombie used to live on in a slot of B while B's untyped had no children left, so UB could
 * be reset (and its memory mapped by a user) while the kernel still used that slot. At
 * every preemption of the revoke, an untyped without children must hold no linked slot
 * (on the old code it failed here); if such a window comes, a user retypes UB and fills
 * it, and the revoke must still finish intact.
 */
KTEST(delete_zombie_never_in_freed_memory)
{
    char *ma = kt_alloc(13), *mb = kt_alloc(12);
    struct cte *ua = ut_with(ma, 13, BIT(13)), *ub = ut_with(mb, 12, 128);
    cap_t a = cap_cnode(ma, 8, 0, 0), b = cap_cnode(mb, 2, 0, 0);
    struct cte *as = cap_ptr(a), *bs = cap_ptr(b);
    cte_insert_original(b, ub, &as[255]); /* B's only cap: A's last slot */
    cte_insert_original(a, ua, &bs[1]);   /* A's only cap: in B */
    /* Work for A's zombie after it destroyed B: copies of an endpoint in A's other slots
     * (so that the revoke's only child of UA is A). */
    struct cte *ep = kt_insert(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL));
    for (int i = 0; i < 200; i++) {
        cte_insert(ep->cap, ep, &as[i]);
    }
    INV();
    host_irq_pending = true;
    int preemptions = 0;
    bool retyped = false;
    exception_t st;
    while ((st = cte_revoke(ua)) == EXCEPTION_PREEMPTED) {
        preemptions++;
        CHECK(preemptions < 1000);
        INV();
        if (!cte_has_children(ub)) {
            /* UB can be reset now: nothing of the kernel's may live in its memory. */
            CHECK(no_linked_slot_in(mb, 12));
            if (!retyped) {
                /* A user retypes UB into a frame and fills it. */
                struct kt_caller c = kt_caller();
                struct cte *root = kt_insert(kt_cnode(2, 0, 0));
                struct cte *extra[1] = {root};
                struct invocation inv = kt_inv(&c, ub, VL_UNTYPED_RETYPE,
                                               ARGS(VL_OBJ_FRAME_4K, 0, 0, 0, 0, 1), 1, extra);
                CHECK_EQ(decode_untyped_invocation(&inv), EXCEPTION_NONE);
                memset(mb, 0xa5, BIT(12));
                retyped = true;
            }
        }
    }
    host_irq_pending = false;
    CHECK_EQ(st, EXCEPTION_NONE);
    CHECK(preemptions >= 2);
    INV();
    check_all_empty(as, 256);
    CHECK(ks_zombie_orphans == NULL);
}

/* The same with a TCB and its CSpace root holding each other's only caps. */
KTEST(delete_tcb_cnode_cycle_never_in_freed_memory)
{
    char *mt = kt_alloc(VL_TCB_BITS), *mc = kt_alloc(12);
    struct cte *ut = ut_with(mt, VL_TCB_BITS, BIT(VL_TCB_BITS));
    struct cte *uc = ut_with(mc, 12, BIT(12));
    struct tcb *t = tcb_from_obj(mt);
    thread_init(t);
    cap_t c = cap_cnode(mc, 7, 0, 0);
    struct cte *cs = cap_ptr(c);
    cte_insert_original(c, uc, tcb_slot(t, TCB_CTABLE)); /* C's only cap: T's root */
    cte_insert_original(cap_tcb(mt), ut, &cs[1]);        /* T's only cap: in C */
    struct cte *ep = kt_insert(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL));
    for (int i = 2; i < 128; i++) {
        cte_insert(ep->cap, ep, &cs[i]);
    }
    INV();
    host_irq_pending = true;
    int preemptions = 0;
    exception_t st;
    while ((st = cte_revoke(ut)) == EXCEPTION_PREEMPTED) {
        preemptions++;
        CHECK(preemptions < 1000);
        INV();
        if (!cte_has_children(ut)) {
            CHECK(no_linked_slot_in(mt, VL_TCB_BITS));
        }
        if (!cte_has_children(uc)) {
            CHECK(no_linked_slot_in(mc, 12));
        }
    }
    host_irq_pending = false;
    CHECK_EQ(st, EXCEPTION_NONE);
    CHECK(preemptions >= 1);
    INV();
    check_all_empty(cs, 128);
    check_all_empty(tcb_slots(t), TCB_NUM_SLOTS);
    CHECK(ks_zombie_orphans == NULL);
    CHECK_EQ(kt_cdt_count(), 3);
}

/*
 * Orphans a preempted deletion leaves are finished by the next revoke, preemptibly: with
 * an interrupt always pending, the revoke (of a cap without children) returns PREEMPTED
 * while orphans are left, and repeating it empties the list.
 */
KTEST(revoke_finishes_orphans_preemptibly)
{
    cap_t top = kt_cnode(6, 0, 0);
    struct cte *x = kt_insert(top);
    struct cte *ts = cap_ptr(top);
    for (int i = 0; i < 64; i++) {
        cap_t c = kt_cnode(4, 0, 0);
        kt_insert_at(c, &ts[i]);
        struct cte *ep = kt_insert(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL));
        for (int j = 0; j < 16; j++) {
            cte_insert(ep->cap, ep, &((struct cte *)cap_ptr(c))[j]);
        }
    }
    host_irq_pending = true;
    exception_t st;
    int preemptions = 0;
    while ((st = cte_delete(x)) == EXCEPTION_PREEMPTED && cap_type(x->cap) != CAP_NULL) {
        CHECK(++preemptions < 1000);
    }
    /* The root is gone; the nested CNodes are orphans still to empty. */
    CHECK(cap_type(x->cap) == CAP_NULL);
    CHECK(ks_zombie_orphans != NULL);
    INV();
    struct cte *other = kt_insert(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL));
    preemptions = 0;
    while ((st = cte_revoke(other)) == EXCEPTION_PREEMPTED) {
        preemptions++;
        CHECK(preemptions < 1000);
        INV();
    }
    host_irq_pending = false;
    CHECK_EQ(st, EXCEPTION_NONE);
    CHECK(preemptions >= 2);
    CHECK(ks_zombie_orphans == NULL);
    check_all_empty(ts, 64);
    INV();
}
