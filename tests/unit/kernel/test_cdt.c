/*
 * The capability derivation tree: insert, move, swap, unlink, parenthood, finality,
 * derivation and the data/rights updates used by Mint and Mutate.
 */
#include "ktest.h"

/* Checks that the derivation list, walked from cdt_root, visits exactly want[0..n-1]. */
static void
check_order(struct cte *const *want, int n)
{
    struct cte *s = mdb_next(&cdt_root);
    struct cte *prev = &cdt_root;
    for (int i = 0; i < n; i++) {
        CHECK(s == want[i]);
        CHECK(s->mdb_prev == prev);
        prev = s;
        s = mdb_next(s);
    }
    CHECK(s == NULL);
}

KTEST(cdt_insert_move_unlink)
{
    void *ep = kt_alloc(VL_ENDPOINT_BITS);
    cap_t epc = cap_endpoint(ep, 0, VL_RIGHTS_ALL);
    struct cte *a = kt_insert(epc);
    struct cte *b = kt_slot(), *c = kt_slot();
    INV();
    CHECK(cte_is_final(a));
    cte_insert(epc, a, b);
    INV();
    check_order((struct cte *[]){a, b}, 2);
    CHECK(cte_is_mdb_parent_of(a, b));
    CHECK(!mdb_is_revocable(b));
    CHECK(!cte_is_mdb_parent_of(b, a));
    CHECK(cte_has_children(a));
    CHECK(!cte_is_final(a));
    CHECK(!cte_is_final(b));
    cte_move(b->cap, b, c);
    INV();
    CHECK_EQ(cap_type(b->cap), CAP_NULL);
    CHECK(b->mdb_prev == NULL && b->mdb_next == 0);
    check_order((struct cte *[]){a, c}, 2);
    CHECK(cte_is_mdb_parent_of(a, c));
    cte_unlink(c);
    INV();
    check_order((struct cte *[]){a}, 1);
    CHECK(cte_is_final(a));
    CHECK(!cte_has_children(a));
    cte_unlink(a);
    INV();
    CHECK_EQ(kt_cdt_count(), 0);
}

KTEST(cdt_swap_adjacent_and_not)
{
    void *e1 = kt_alloc(VL_ENDPOINT_BITS), *e2 = kt_alloc(VL_ENDPOINT_BITS);
    void *e3 = kt_alloc(VL_ENDPOINT_BITS);
    struct cte *c = kt_insert(cap_endpoint(e3, 0, VL_RIGHTS_ALL));
    struct cte *b = kt_insert(cap_endpoint(e2, 0, VL_RIGHTS_ALL));
    struct cte *a = kt_insert(cap_endpoint(e1, 0, VL_RIGHTS_ALL));
    check_order((struct cte *[]){a, b, c}, 3);
    /* Adjacent, first before second. */
    cte_swap(a->cap, a, b->cap, b);
    INV();
    check_order((struct cte *[]){b, a, c}, 3);
    CHECK(cap_ptr(b->cap) == e1 && cap_ptr(a->cap) == e2);
    /* Adjacent, first after second in the list. */
    cte_swap(c->cap, c, a->cap, a);
    INV();
    check_order((struct cte *[]){b, c, a}, 3);
    CHECK(cap_ptr(c->cap) == e2 && cap_ptr(a->cap) == e3);
    /* Not adjacent. */
    cte_swap(b->cap, b, a->cap, a);
    INV();
    check_order((struct cte *[]){a, c, b}, 3);
    CHECK(cap_ptr(a->cap) == e1 && cap_ptr(b->cap) == e3);
    /* Flags travel with the slot contents. */
    struct cte *d = kt_slot();
    cte_insert(a->cap, a, d);
    CHECK(mdb_is_revocable(a) && !mdb_is_revocable(d));
    cte_swap(a->cap, a, d->cap, d);
    INV();
    check_order((struct cte *[]){d, a, c, b}, 4);
    CHECK(mdb_is_revocable(d) && !mdb_is_revocable(a));
    CHECK(cte_is_mdb_parent_of(d, a));
    /* Replacement caps are stored swapped: c1 ends in s2 and c2 in s1. */
    cap_t x = cap_endpoint(e1, 0, VL_RIGHT_READ), y = cap_endpoint(e1, 0, VL_RIGHT_WRITE);
    cte_swap(x, d, y, a);
    INV();
    CHECK_EQ(cap_rights(a->cap), VL_RIGHT_READ);
    CHECK_EQ(cap_rights(d->cap), VL_RIGHT_WRITE);
    cte_unlink(a);
    cte_unlink(b);
    cte_unlink(c);
    cte_unlink(d);
    INV();
    CHECK_EQ(kt_cdt_count(), 0);
}

KTEST(cdt_untyped_parent)
{
    char *mem = kt_alloc(16);
    struct cte *ut = kt_insert(cap_untyped(mem, 16, false, 0));
    struct cte *ep = kt_slot(), *sub = kt_slot(), *outside = kt_slot(), *sub_ep = kt_slot();
    cte_insert_original(cap_endpoint(mem + 64, 0, VL_RIGHTS_ALL), ut, ep);
    ut->cap.w1 = 8192;
    INV();
    CHECK(cte_is_mdb_parent_of(ut, ep));
    CHECK(cte_has_children(ut));
    /* An untyped child of an untyped: a sub-region. */
    cte_insert_original(cap_untyped(mem + 4096, 12, false, 0), ut, sub);
    CHECK(cte_is_mdb_parent_of(ut, sub));
    cte_insert_original(cap_endpoint(mem + 4096, 0, VL_RIGHTS_ALL), sub, sub_ep);
    sub->cap.w1 = 32;
    INV();
    CHECK(cte_is_mdb_parent_of(sub, sub_ep));
    CHECK(cte_is_mdb_parent_of(ut, sub_ep));
    CHECK(!cte_is_mdb_parent_of(sub, ep));
    /* An object outside the region is no child. */
    void *far = kt_alloc(VL_ENDPOINT_BITS);
    kt_insert_at(cap_endpoint(far, 0, VL_RIGHTS_ALL), outside);
    CHECK(!cte_is_mdb_parent_of(ut, outside));
    /* Untyped caps are final even next to each other: they never name the same object. */
    CHECK(cte_is_final(ut));
    /* A region ending past the untyped's end is not inside it. */
    struct cte probe;
    memset(&probe, 0, sizeof(probe));
    probe.cap = cap_untyped(mem + 32768, 16, false, 0);
    CHECK(!cte_is_mdb_parent_of(ut, &probe));
    /* Not revocable: never a parent. */
    mdb_set_flags(ut, false, false);
    CHECK(!cte_is_mdb_parent_of(ut, ep));
    mdb_set_flags(ut, true, true);
    cte_unlink(sub_ep);
    cte_unlink(sub);
    cte_unlink(ep);
    cte_unlink(outside);
    cte_unlink(ut);
    INV();
}

KTEST(cdt_badged_endpoints)
{
    void *ep = kt_alloc(VL_ENDPOINT_BITS);
    struct cte *orig = kt_insert(cap_endpoint(ep, 0, VL_RIGHTS_ALL));
    struct cte *b5 = kt_slot(), *b5copy = kt_slot(), *b5again = kt_slot(), *b6 = kt_slot();
    /* Minting a badge makes a revocable, first-badged child. */
    cte_insert(cap_update_data(false, 5, orig->cap), orig, b5);
    INV();
    CHECK(mdb_is_revocable(b5) && mdb_is_first_badged(b5));
    CHECK(cte_is_mdb_parent_of(orig, b5));
    /* Copying a badged cap makes a plain child of it. */
    cte_insert(b5->cap, b5, b5copy);
    INV();
    CHECK(!mdb_is_revocable(b5copy) && !mdb_is_first_badged(b5copy));
    CHECK(cte_is_mdb_parent_of(b5, b5copy));
    CHECK(cte_is_mdb_parent_of(orig, b5copy));
    /* A second mint of the same badge is not a child of the first. */
    cte_insert(cap_update_data(false, 5, orig->cap), orig, b5again);
    INV();
    CHECK(mdb_is_first_badged(b5again));
    CHECK(!cte_is_mdb_parent_of(b5, b5again));
    CHECK(cte_is_mdb_parent_of(orig, b5again));
    /* Another badge is no child. */
    cte_insert(cap_update_data(false, 6, orig->cap), orig, b6);
    CHECK(!cte_is_mdb_parent_of(b5, b6));
    CHECK(!cte_is_mdb_parent_of(b6, b5));
    /* A badged cap has no children of its own badge-less origin. */
    CHECK(!cte_is_mdb_parent_of(b5copy, b5));
    /* Unlinking a first-badged cap passes the flag to the cap that follows it. */
    check_order((struct cte *[]){orig, b6, b5again, b5, b5copy}, 5);
    cte_unlink(b5);
    INV();
    CHECK(mdb_is_first_badged(b5copy));
    CHECK(!mdb_is_revocable(b5copy));
    CHECK(!cte_is_final(orig));
    cte_unlink(b5copy);
    cte_unlink(b5again);
    cte_unlink(b6);
    CHECK(cte_is_final(orig));
    cte_unlink(orig);
    INV();
}

KTEST(cdt_is_final)
{
    void *tcb = kt_alloc(VL_TCB_BITS);
    thread_init(tcb_from_obj(tcb));
    struct cte *a = kt_insert(cap_tcb(tcb));
    struct cte *b = kt_slot();
    CHECK(cte_is_final(a));
    cte_insert(a->cap, a, b);
    CHECK(!cte_is_final(a) && !cte_is_final(b));
    /* A zombie stands for its object: a TCB cap next to the TCB's zombie is not final. */
    struct cte z;
    memset(&z, 0, sizeof(z));
    z.cap = cap_zombie(tcb, true, 0, TCB_NUM_SLOTS);
    CHECK(cap_same_object_as(a->cap, z.cap));
    CHECK(!cap_same_object_as(z.cap, z.cap));
    cte_unlink(b);
    CHECK(cte_is_final(a));
    /* Different objects are final side by side; so are IRQ handlers vs IRQ control. */
    void *other = kt_alloc(VL_TCB_BITS);
    thread_init(tcb_from_obj(other));
    struct cte *c = kt_insert(cap_tcb(other));
    CHECK(cte_is_final(c) && cte_is_final(a));
    CHECK(!cap_same_object_as(cap_irq_control(), cap_irq_handler(3)));
    CHECK(cap_same_object_as(cap_irq_handler(3), cap_irq_handler(3)));
    CHECK(!cap_same_object_as(cap_irq_handler(3), cap_irq_handler(4)));
    cte_unlink(c);
    cte_unlink(a);
    INV();
}

KTEST(cdt_cap_derive)
{
    char *mem = kt_alloc(12);
    struct cte *ut = kt_insert(cap_untyped(mem, 12, false, 0));
    cap_t out = cap_null();
    /* Untyped caps are never copied (separate watermarks would overlap objects). */
    CHECK_EQ(cap_derive(ut, ut->cap, &out), EXCEPTION_NONE);
    CHECK_EQ(cap_type(out), CAP_NULL);
    struct cte *child = kt_slot();
    cte_insert_original(cap_endpoint(mem, 0, VL_RIGHTS_ALL), ut, child);
    ut->cap.w1 = 32;
    kt_clear_errors();
    out = cap_null();
    CHECK_EQ(cap_derive(ut, ut->cap, &out), EXCEPTION_SYSCALL_ERROR);
    CHECK_EQ(current_syscall_error.type, VL_REVOKE_FIRST);
    /* Caps that cannot be copied derive to a null cap. */
    void *tcb = kt_alloc(VL_TCB_BITS);
    CHECK_EQ(cap_derive(ut, cap_reply(tcb_from_obj(tcb), true), &out), EXCEPTION_NONE);
    CHECK_EQ(cap_type(out), CAP_NULL);
    CHECK_EQ(cap_derive(ut, cap_irq_control(), &out), EXCEPTION_NONE);
    CHECK_EQ(cap_type(out), CAP_NULL);
    CHECK_EQ(cap_derive(ut, cap_zombie(tcb, true, 0, 4), &out), EXCEPTION_NONE);
    CHECK_EQ(cap_type(out), CAP_NULL);
    /* A copy of a mapped frame is unmapped. */
    void *frame = kt_alloc(12);
    cap_t f = cap_frame(frame, FRAME_4K, false, VL_RIGHTS_ALL);
    f.w1 = cap_mapping(0x400000, 3);
    CHECK(cap_is_mapped(f));
    CHECK_EQ(cap_derive(ut, f, &out), EXCEPTION_NONE);
    CHECK_EQ(cap_type(out), CAP_FRAME);
    CHECK(!cap_is_mapped(out));
    CHECK(cap_ptr(out) == frame);
    /* Ordinary caps derive unchanged. */
    cap_t e = cap_endpoint(mem, 9, VL_RIGHT_READ);
    CHECK_EQ(cap_derive(ut, e, &out), EXCEPTION_NONE);
    CHECK(out.w0 == e.w0 && out.w1 == e.w1);
    cte_unlink(child);
    cte_unlink(ut);
    INV();
}

KTEST(cdt_cap_update_data)
{
    void *ep = kt_alloc(VL_ENDPOINT_BITS);
    cap_t e = cap_endpoint(ep, 0, VL_RIGHTS_ALL);
    /* Mint sets a badge once. */
    cap_t b = cap_update_data(false, 77, e);
    CHECK_EQ(cap_type(b), CAP_ENDPOINT);
    CHECK_EQ(b.w1, 77);
    CHECK_EQ(cap_type(cap_update_data(false, 78, b)), CAP_NULL);
    /* Mutate keeps the badge. */
    cap_t m = cap_update_data(true, 78, b);
    CHECK_EQ(m.w1, 77);
    CHECK_EQ(cap_update_data(true, 5, e).w1, 0);
    cap_t n = cap_notification(kt_alloc(VL_NOTIFICATION_BITS), 0, VL_RIGHTS_ALL);
    CHECK_EQ(cap_update_data(false, 0x10, n).w1, 0x10);
    /* CNode data: guard_size | guard << 6. */
    void *slots = kt_alloc(4 + VL_SLOT_BITS);
    cap_t c = cap_cnode(slots, 4, 0, 0);
    cap_t g = cap_update_data(false, 3 | (5 << 6), c);
    CHECK_EQ(cap_type(g), CAP_CNODE);
    CHECK_EQ(cap_cnode_guard_size(g), 3);
    CHECK_EQ(cap_cnode_guard(g), 5);
    CHECK_EQ(cap_cnode_radix(g), 4);
    CHECK(cap_ptr(g) == slots);
    /* Guard bits beyond the guard size are dropped. */
    g = cap_update_data(true, 2 | (0xff << 6), c);
    CHECK_EQ(cap_cnode_guard_size(g), 2);
    CHECK_EQ(cap_cnode_guard(g), 3);
    /* The largest guard that fits with the radix. */
    g = cap_update_data(false, 58 | (1ul << 6), c);
    CHECK_EQ(cap_type(g), CAP_CNODE);
    CHECK_EQ(cap_cnode_guard_size(g), 58);
    /* Guard sizes up to 64 - radix are allowed (the value has at most 58 bits);
     * guard + radix beyond a word is refused. */
    g = cap_update_data(false, 60, c);
    CHECK_EQ(cap_type(g), CAP_CNODE);
    CHECK_EQ(cap_cnode_guard_size(g), 60);
    CHECK_EQ(cap_type(cap_update_data(false, 61, c)), CAP_NULL);
    cap_t big = cap_cnode(slots, 10, 0, 0);
    CHECK_EQ(cap_type(cap_update_data(false, 54, big)), CAP_CNODE);
    CHECK_EQ(cap_type(cap_update_data(false, 55, big)), CAP_NULL);
    /* Other caps are unchanged. */
    cap_t t = cap_tcb(kt_alloc(VL_TCB_BITS));
    cap_t t2 = cap_update_data(false, 99, t);
    CHECK(t2.w0 == t.w0 && t2.w1 == t.w1);
}

KTEST(cdt_cap_mask_rights)
{
    void *ep = kt_alloc(VL_ENDPOINT_BITS);
    cap_t e = cap_endpoint(ep, 3, VL_RIGHTS_ALL);
    cap_t r = cap_mask_rights(VL_RIGHT_READ | VL_RIGHT_GRANT, e);
    CHECK_EQ(cap_rights(r), VL_RIGHT_READ | VL_RIGHT_GRANT);
    CHECK_EQ(r.w1, 3);
    CHECK_EQ(cap_rights(cap_mask_rights(VL_RIGHTS_ALL, cap_mask_rights(VL_RIGHT_WRITE, e))),
             VL_RIGHT_WRITE);
    cap_t f = cap_frame(kt_alloc(12), FRAME_4K, false, VL_RIGHT_READ);
    CHECK_EQ(cap_rights(cap_mask_rights(VL_RIGHTS_ALL, f)), VL_RIGHT_READ);
    CHECK_EQ(cap_rights(cap_mask_rights(0, f)), 0);
    void *tcb = kt_alloc(VL_TCB_BITS);
    cap_t rep = cap_reply(tcb_from_obj(tcb), true);
    CHECK(cap_reply_can_grant(cap_mask_rights(VL_RIGHT_GRANT, rep)));
    CHECK(!cap_reply_can_grant(cap_mask_rights(VL_RIGHT_READ, rep)));
    cap_t c = cap_cnode(kt_alloc(2 + VL_SLOT_BITS), 2, 0, 0);
    CHECK_EQ(cap_mask_rights(0, c).w0, c.w0);
}
