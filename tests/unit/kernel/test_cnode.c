/*
 * CNode invocations through decode_cnode_invocation: every label's success path and
 * every error it returns, with the error detail, and "nothing changed" after failures.
 */
#include "ktest.h"

#include <string.h>

/* The invoked CNode: radix 4 at a boot slot, so (index, depth 4) names slot index. */
struct cn {
    struct kt_caller c;
    struct cte *rs; /* the slot of the root CNode cap */
    struct cte *s;  /* its 16 slots */
    struct endpoint *ep;
};

static struct cn
cn_setup(void)
{
    struct cn t;
    t.c = kt_caller();
    cap_t r = kt_cnode(4, 0, 0);
    t.rs = kt_insert(r);
    t.s = cap_ptr(r);
    t.ep = kt_alloc(VL_ENDPOINT_BITS);
    kt_insert_at(cap_endpoint(t.ep, 0, VL_RIGHTS_ALL), &t.s[1]);
    return t;
}

/* Invokes the root CNode with label and args; every extra cap is the root itself. */
static exception_t
cn_call(struct cn *t, word_t label, const word_t *args, word_t n_args, word_t n_extra)
{
    struct cte *extra[3] = {t->rs, t->rs, t->rs};
    struct invocation inv = kt_inv(&t->c, t->rs, label, args, n_args, n_extra, extra);
    return decode_cnode_invocation(&inv);
}

static void
cn_snap(struct cn *t)
{
    kt_snap_reset();
    kt_snap(t->s, 16 * sizeof(struct cte));
    kt_snap(t->rs, sizeof(struct cte));
    kt_snap(t->ep, sizeof(*t->ep));
}

KTEST(cnode_copy)
{
    struct cn t = cn_setup();
    word_t mask = VL_RIGHT_READ | VL_RIGHT_WRITE;
    CHECK_EQ(cn_call(&t, VL_CNODE_COPY, ARGS(2, 4, 1, 4, mask), 1), EXCEPTION_NONE);
    INV();
    CHECK_EQ(cap_type(t.s[2].cap), CAP_ENDPOINT);
    CHECK(cap_ptr(t.s[2].cap) == t.ep);
    CHECK_EQ(cap_rights(t.s[2].cap), mask);
    CHECK_EQ(t.s[2].cap.w1, 0);
    CHECK_EQ(cap_rights(t.s[1].cap), VL_RIGHTS_ALL);
    CHECK(cte_is_mdb_parent_of(&t.s[1], &t.s[2]));
    CHECK(!mdb_is_revocable(&t.s[2]));
    /* A copy of a copy is a sibling in the CDT, and masks further. */
    CHECK_EQ(cn_call(&t, VL_CNODE_COPY, ARGS(3, 4, 2, 4, VL_RIGHT_READ), 1), EXCEPTION_NONE);
    CHECK_EQ(cap_rights(t.s[3].cap), VL_RIGHT_READ);
    CHECK(cte_is_mdb_parent_of(&t.s[1], &t.s[3]));
    INV();
}

KTEST(cnode_mint_badge_once)
{
    struct cn t = cn_setup();
    CHECK_EQ(cn_call(&t, VL_CNODE_MINT, ARGS(2, 4, 1, 4, VL_RIGHTS_ALL, 5), 1), EXCEPTION_NONE);
    INV();
    CHECK_EQ(t.s[2].cap.w1, 5);
    CHECK(mdb_is_revocable(&t.s[2]));
    CHECK(mdb_is_first_badged(&t.s[2]));
    CHECK(cte_is_mdb_parent_of(&t.s[1], &t.s[2]));
    /* Minting the badged cap again with another badge (or 0) is refused. */
    cn_snap(&t);
    CHECK_ERR(cn_call(&t, VL_CNODE_MINT, ARGS(3, 4, 2, 4, VL_RIGHTS_ALL, 7), 1),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(cn_call(&t, VL_CNODE_MINT, ARGS(3, 4, 2, 4, VL_RIGHTS_ALL, 0), 1),
              VL_ILLEGAL_OPERATION);
    /* Copy of a badged cap keeps the badge and is its child. */
    CHECK_EQ(cn_call(&t, VL_CNODE_COPY, ARGS(3, 4, 2, 4, VL_RIGHTS_ALL), 1), EXCEPTION_NONE);
    CHECK_EQ(t.s[3].cap.w1, 5);
    CHECK(cte_is_mdb_parent_of(&t.s[2], &t.s[3]));
    INV();
}

KTEST(cnode_mint_guard)
{
    struct cn t = cn_setup();
    cap_t sub = kt_cnode(2, 0, 0);
    kt_insert_at(sub, &t.s[5]);
    word_t data = 3 | (5 << 6);
    CHECK_EQ(cn_call(&t, VL_CNODE_MINT, ARGS(2, 4, 5, 4, VL_RIGHTS_ALL, data), 1), EXCEPTION_NONE);
    INV();
    CHECK_EQ(cap_type(t.s[2].cap), CAP_CNODE);
    CHECK_EQ(cap_cnode_radix(t.s[2].cap), 2);
    CHECK_EQ(cap_cnode_guard_size(t.s[2].cap), 3);
    CHECK_EQ(cap_cnode_guard(t.s[2].cap), 5);
    CHECK(cap_ptr(t.s[2].cap) == cap_ptr(sub));
    /* Guard bits above the guard size are dropped. */
    CHECK_EQ(cn_call(&t, VL_CNODE_MINT, ARGS(3, 4, 5, 4, VL_RIGHTS_ALL, 2 | (7 << 6)), 1),
             EXCEPTION_NONE);
    CHECK_EQ(cap_cnode_guard(t.s[3].cap), 3);
    /* Guard size + radix over 64 bits is refused. */
    cn_snap(&t);
    CHECK_ERR(cn_call(&t, VL_CNODE_MINT, ARGS(4, 4, 5, 4, VL_RIGHTS_ALL, 63), 1),
              VL_ILLEGAL_OPERATION);
    INV();
}

KTEST(cnode_move_and_mutate)
{
    struct cn t = cn_setup();
    kt_insert_at(cap_endpoint(t.ep, 0, VL_RIGHTS_ALL), &t.s[7]);
    /* Copy into 2 so the cap moved has a parent and siblings in the CDT. */
    CHECK_EQ(cn_call(&t, VL_CNODE_COPY, ARGS(2, 4, 1, 4, VL_RIGHTS_ALL), 1), EXCEPTION_NONE);
    struct cte *prev = t.s[2].mdb_prev;
    struct cte *next = mdb_next(&t.s[2]);
    cap_t moved = t.s[2].cap;
    CHECK_EQ(cn_call(&t, VL_CNODE_MOVE, ARGS(3, 4, 2, 4), 1), EXCEPTION_NONE);
    INV();
    CHECK_EQ(cap_type(t.s[2].cap), CAP_NULL);
    CHECK(t.s[2].mdb_prev == NULL && mdb_next(&t.s[2]) == NULL);
    CHECK(memcmp(&t.s[3].cap, &moved, sizeof(moved)) == 0);
    CHECK(t.s[3].mdb_prev == prev && mdb_next(&t.s[3]) == next);
    CHECK(cte_is_mdb_parent_of(&t.s[1], &t.s[3]));
    /* Mutate: a CNode cap gets new guard data while moving. */
    cap_t sub = kt_cnode(3, 0, 0);
    kt_insert_at(sub, &t.s[8]);
    CHECK_EQ(cn_call(&t, VL_CNODE_MUTATE, ARGS(9, 4, 8, 4, 2 | (1 << 6)), 1), EXCEPTION_NONE);
    INV();
    CHECK_EQ(cap_type(t.s[8].cap), CAP_NULL);
    CHECK_EQ(cap_cnode_guard_size(t.s[9].cap), 2);
    CHECK_EQ(cap_cnode_guard(t.s[9].cap), 1);
    CHECK(mdb_is_revocable(&t.s[9]));
    /* Mutate with guard size + radix over 64 fails and changes nothing. */
    cn_snap(&t);
    CHECK_ERR(cn_call(&t, VL_CNODE_MUTATE, ARGS(10, 4, 9, 4, 62), 1), VL_ILLEGAL_OPERATION);
    /* Mutate of an endpoint keeps its badge (preserve): the data is ignored. */
    CHECK_EQ(cn_call(&t, VL_CNODE_MUTATE, ARGS(10, 4, 7, 4, 99), 1), EXCEPTION_NONE);
    CHECK_EQ(t.s[10].cap.w1, 0);
    /* Moving an untyped cap is allowed (copying is not). */
    void *mem = kt_alloc(12);
    kt_insert_at(cap_untyped(mem, 12, false, 0), &t.s[11]);
    CHECK_EQ(cn_call(&t, VL_CNODE_MOVE, ARGS(12, 4, 11, 4), 1), EXCEPTION_NONE);
    CHECK_EQ(cap_type(t.s[12].cap), CAP_UNTYPED);
    INV();
}

/* Rotate with CNode caps, whose guard data shows which data went where. */
static void
rotate_setup(struct cn *t, cap_t *a, cap_t *b)
{
    *a = kt_cnode(2, 0, 0);
    *b = kt_cnode(3, 0, 0);
    kt_insert_at(*a, &t->s[2]); /* pivot */
    kt_insert_at(*b, &t->s[3]); /* source */
}

KTEST(cnode_rotate_three_slots)
{
    struct cn t = cn_setup();
    cap_t a, b;
    rotate_setup(&t, &a, &b);
    word_t dest_data = 2 | (1 << 6), pivot_data = 3 | (5 << 6);
    /* dest 4; MR2 dest data; pivot 2; MR5 pivot data; src 3. */
    CHECK_EQ(cn_call(&t, VL_CNODE_ROTATE, ARGS(4, 4, dest_data, 2, 4, pivot_data, 3, 4), 2),
             EXCEPTION_NONE);
    INV();
    /* The pivot's cap (a) moved to dest with MR2; the source's (b) to the pivot with MR5. */
    CHECK(cap_ptr(t.s[4].cap) == cap_ptr(a));
    CHECK_EQ(cap_cnode_guard_size(t.s[4].cap), 2);
    CHECK_EQ(cap_cnode_guard(t.s[4].cap), 1);
    CHECK(cap_ptr(t.s[2].cap) == cap_ptr(b));
    CHECK_EQ(cap_cnode_guard_size(t.s[2].cap), 3);
    CHECK_EQ(cap_cnode_guard(t.s[2].cap), 5);
    CHECK_EQ(cap_type(t.s[3].cap), CAP_NULL);
    CHECK(t.s[3].mdb_prev == NULL && t.s[3].mdb_next == 0);
}

KTEST(cnode_rotate_swap)
{
    struct cn t = cn_setup();
    cap_t a, b;
    rotate_setup(&t, &a, &b);
    word_t dest_data = 2 | (1 << 6), pivot_data = 3 | (5 << 6);
    /* src == dest (3): the two caps swap. */
    CHECK_EQ(cn_call(&t, VL_CNODE_ROTATE, ARGS(3, 4, dest_data, 2, 4, pivot_data, 3, 4), 2),
             EXCEPTION_NONE);
    INV();
    CHECK(cap_ptr(t.s[3].cap) == cap_ptr(a));
    CHECK_EQ(cap_cnode_guard(t.s[3].cap), 1);
    CHECK_EQ(cap_cnode_guard_size(t.s[3].cap), 2);
    CHECK(cap_ptr(t.s[2].cap) == cap_ptr(b));
    CHECK_EQ(cap_cnode_guard(t.s[2].cap), 5);
    CHECK_EQ(cap_cnode_guard_size(t.s[2].cap), 3);
    CHECK(mdb_is_revocable(&t.s[2]) && mdb_is_revocable(&t.s[3]));
}

KTEST(cnode_rotate_errors)
{
    struct cn t = cn_setup();
    cap_t a, b;
    rotate_setup(&t, &a, &b);
    kt_insert_at(cap_endpoint(t.ep, 0, VL_RIGHTS_ALL), &t.s[6]);
    cn_snap(&t);
    CHECK_ERR(cn_call(&t, VL_CNODE_ROTATE, ARGS(4, 4, 0, 2, 4, 0, 3), 2), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(cn_call(&t, VL_CNODE_ROTATE, ARGS(4, 4, 0, 2, 4, 0, 3, 4), 1), VL_TRUNCATED_MESSAGE);
    /* pivot == src, pivot == dest. */
    CHECK_ERR(cn_call(&t, VL_CNODE_ROTATE, ARGS(4, 4, 0, 3, 4, 0, 3, 4), 2), VL_ILLEGAL_OPERATION);
    CHECK_ERR(cn_call(&t, VL_CNODE_ROTATE, ARGS(2, 4, 0, 2, 4, 0, 3, 4), 2), VL_ILLEGAL_OPERATION);
    /* Occupied dest distinct from src. */
    CHECK_ERR(cn_call(&t, VL_CNODE_ROTATE, ARGS(6, 4, 0, 2, 4, 0, 3, 4), 2), VL_DELETE_FIRST);
    /* Empty source, empty pivot. */
    CHECK_ERR(cn_call(&t, VL_CNODE_ROTATE, ARGS(4, 4, 0, 2, 4, 0, 9, 4), 2), VL_FAILED_LOOKUP);
    CHECK(current_syscall_error.lookup_was_source);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_MISSING_CAP);
    CHECK_ERR(cn_call(&t, VL_CNODE_ROTATE, ARGS(4, 4, 0, 9, 4, 0, 3, 4), 2), VL_FAILED_LOOKUP);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_MISSING_CAP);
    /* Pivot and source lookups fail as source lookups; depth range first. */
    CHECK_ERR(cn_call(&t, VL_CNODE_ROTATE, ARGS(4, 4, 0, 2, 0, 0, 3, 4), 2), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, 1);
    CHECK_EQ(current_syscall_error.range_max, 64);
    CHECK_ERR(cn_call(&t, VL_CNODE_ROTATE, ARGS(4, 4, 0, 2, 4, 0, 3, 3), 2), VL_FAILED_LOOKUP);
    CHECK(current_syscall_error.lookup_was_source);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_DEPTH_MISMATCH);
    /* Data a cap may not take (guard too large) is refused before anything moves. */
    CHECK_ERR(cn_call(&t, VL_CNODE_ROTATE, ARGS(4, 4, 63, 2, 4, 0, 3, 4), 2), VL_ILLEGAL_OPERATION);
    CHECK_ERR(cn_call(&t, VL_CNODE_ROTATE, ARGS(4, 4, 0, 2, 4, 63, 3, 4), 2), VL_ILLEGAL_OPERATION);
    /* A zombie source. */
    kt_insert_at(cap_zombie(kt_alloc(VL_TCB_BITS), true, 0, 0), &t.s[10]);
    cn_snap(&t);
    CHECK_ERR(cn_call(&t, VL_CNODE_ROTATE, ARGS(4, 4, 0, 2, 4, 0, 10, 4), 2), VL_ILLEGAL_OPERATION);
    INV();
}

KTEST(cnode_two_slot_errors)
{
    struct cn t = cn_setup();
    kt_insert_at(cap_endpoint(t.ep, 0, VL_RIGHTS_ALL), &t.s[3]);
    cn_snap(&t);
    /* Unknown labels. */
    CHECK_ERR(cn_call(&t, VL_CNODE_REVOKE - 1, ARGS(2, 4), 0), VL_ILLEGAL_OPERATION);
    CHECK_ERR(cn_call(&t, VL_CNODE_SAVE_CALLER + 1, ARGS(2, 4), 0), VL_ILLEGAL_OPERATION);
    /* Truncated: fewer than 2 args; per label; no extra cap. */
    CHECK_ERR(cn_call(&t, VL_CNODE_DELETE, ARGS(2), 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(cn_call(&t, VL_CNODE_COPY, ARGS(2, 4, 1, 4), 1), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(cn_call(&t, VL_CNODE_MINT, ARGS(2, 4, 1, 4, 15), 1), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(cn_call(&t, VL_CNODE_MOVE, ARGS(2, 4, 1), 1), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(cn_call(&t, VL_CNODE_MUTATE, ARGS(2, 4, 1, 4), 1), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(cn_call(&t, VL_CNODE_MOVE, ARGS(2, 4, 1, 4), 0), VL_TRUNCATED_MESSAGE);
    /* Dest depth out of range. */
    CHECK_ERR(cn_call(&t, VL_CNODE_COPY, ARGS(2, 0, 1, 4, 15), 1), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, 1);
    CHECK_EQ(current_syscall_error.range_max, 64);
    CHECK_ERR(cn_call(&t, VL_CNODE_COPY, ARGS(2, 65, 1, 4, 15), 1), VL_RANGE_ERROR);
    /* Source depth out of range. */
    CHECK_ERR(cn_call(&t, VL_CNODE_COPY, ARGS(2, 4, 1, 65, 15), 1), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_max, 64);
    /* Dest lookup fails: depth 3 on a radix-4 CNode. */
    CHECK_ERR(cn_call(&t, VL_CNODE_COPY, ARGS(2, 3, 1, 4, 15), 1), VL_FAILED_LOOKUP);
    CHECK(!current_syscall_error.lookup_was_source);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_DEPTH_MISMATCH);
    CHECK_EQ(current_lookup_fault.bits_left, 3);
    CHECK_EQ(current_lookup_fault.bits_found, 4);
    /* Source lookup fails: depth 5 stops at a slot of the radix-4 CNode, 1 bit left. */
    CHECK_ERR(cn_call(&t, VL_CNODE_COPY, ARGS(2, 4, 1, 5, 15), 1), VL_FAILED_LOOKUP);
    CHECK(current_syscall_error.lookup_was_source);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_DEPTH_MISMATCH);
    CHECK_EQ(current_lookup_fault.bits_left, 1);
    CHECK_EQ(current_lookup_fault.bits_found, 0);
    /* Source root not a CNode. */
    struct cte *extra[1] = {&t.s[1]};
    struct invocation inv = kt_inv(&t.c, t.rs, VL_CNODE_COPY, ARGS(2, 4, 1, 4, 15), 1, extra);
    CHECK_ERR(decode_cnode_invocation(&inv), VL_FAILED_LOOKUP);
    CHECK(current_syscall_error.lookup_was_source);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_INVALID_ROOT);
    /* Empty source: missing cap, as a source. */
    CHECK_ERR(cn_call(&t, VL_CNODE_MOVE, ARGS(2, 4, 9, 4), 1), VL_FAILED_LOOKUP);
    CHECK(current_syscall_error.lookup_was_source);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_MISSING_CAP);
    /* The whole lookup-failure detail, as the caller's error reply carries it. */
    CHECK_EQ(current_lookup_fault.bits_left, 0);
    CHECK_EQ(current_lookup_fault.bits_found, 0);
    CHECK_EQ(current_lookup_fault.guard_size, 0);
    /* Occupied dest, for every two-slot label. */
    CHECK_ERR(cn_call(&t, VL_CNODE_COPY, ARGS(3, 4, 1, 4, 15), 1), VL_DELETE_FIRST);
    CHECK_ERR(cn_call(&t, VL_CNODE_MINT, ARGS(3, 4, 1, 4, 15, 1), 1), VL_DELETE_FIRST);
    CHECK_ERR(cn_call(&t, VL_CNODE_MOVE, ARGS(3, 4, 1, 4), 1), VL_DELETE_FIRST);
    CHECK_ERR(cn_call(&t, VL_CNODE_MUTATE, ARGS(3, 4, 1, 4, 0), 1), VL_DELETE_FIRST);
    INV();
}

KTEST(cnode_uncopyable_sources)
{
    struct cn t = cn_setup();
    struct tcb *other = kt_thread(5, TS_BLOCKED_ON_REPLY);
    kt_insert(cap_tcb(tcb_slots(other)));
    kt_insert_at(cap_zombie(kt_alloc(VL_TCB_BITS), true, 0, 0), &t.s[4]);
    kt_insert_at(cap_reply(other, true), &t.s[5]);
    other->reply_slot = &t.s[5];
    kt_insert_at(cap_irq_control(), &t.s[6]);
    void *mem = kt_alloc(12);
    kt_insert_at(cap_untyped(mem, 12, false, 64), &t.s[7]);
    INV();
    cn_snap(&t);
    /* Zombie: copy and move both refused. */
    CHECK_ERR(cn_call(&t, VL_CNODE_COPY, ARGS(2, 4, 4, 4, 15), 1), VL_ILLEGAL_OPERATION);
    CHECK_ERR(cn_call(&t, VL_CNODE_MOVE, ARGS(2, 4, 4, 4), 1), VL_ILLEGAL_OPERATION);
    /* Reply, IRQControl and untyped (no children) caps are not copied. */
    CHECK_ERR(cn_call(&t, VL_CNODE_COPY, ARGS(2, 4, 5, 4, 15), 1), VL_ILLEGAL_OPERATION);
    CHECK_ERR(cn_call(&t, VL_CNODE_COPY, ARGS(2, 4, 6, 4, 15), 1), VL_ILLEGAL_OPERATION);
    CHECK_ERR(cn_call(&t, VL_CNODE_MINT, ARGS(2, 4, 6, 4, 15, 0), 1), VL_ILLEGAL_OPERATION);
    CHECK_ERR(cn_call(&t, VL_CNODE_COPY, ARGS(2, 4, 7, 4, 15), 1), VL_ILLEGAL_OPERATION);
    /* An untyped with children: RevokeFirst. */
    void *child = mem;
    kt_snap_reset();
    cte_insert(cap_endpoint(child, 0, VL_RIGHTS_ALL), &t.s[7], &t.s[8]);
    CHECK(cte_has_children(&t.s[7]));
    cn_snap(&t);
    CHECK_ERR(cn_call(&t, VL_CNODE_COPY, ARGS(2, 4, 7, 4, 15), 1), VL_REVOKE_FIRST);
    INV();
}

KTEST(cnode_delete)
{
    struct cn t = cn_setup();
    CHECK_EQ(cn_call(&t, VL_CNODE_COPY, ARGS(2, 4, 1, 4, 15), 1), EXCEPTION_NONE);
    CHECK_EQ(cn_call(&t, VL_CNODE_DELETE, ARGS(2, 4), 0), EXCEPTION_NONE);
    CHECK_EQ(cap_type(t.s[2].cap), CAP_NULL);
    CHECK(!cte_has_children(&t.s[1]));
    INV();
    /* Deleting an empty slot succeeds and changes nothing. */
    cn_snap(&t);
    CHECK_EQ(cn_call(&t, VL_CNODE_DELETE, ARGS(2, 4), 0), EXCEPTION_NONE);
    CHECK_UNCHANGED();
    /* Lookup failure of the only slot is a dest failure. */
    CHECK_ERR(cn_call(&t, VL_CNODE_DELETE, ARGS(2, 2), 0), VL_FAILED_LOOKUP);
    CHECK(!current_syscall_error.lookup_was_source);
    /* The last cap to an endpoint: deleted. */
    CHECK_EQ(cn_call(&t, VL_CNODE_DELETE, ARGS(1, 4), 0), EXCEPTION_NONE);
    CHECK_EQ(cap_type(t.s[1].cap), CAP_NULL);
    INV();
}

KTEST(cnode_revoke_preempted)
{
    struct cn t = cn_setup();
    /* 100 copies of the endpoint cap in slot 1, in a second CNode. */
    cap_t big = kt_cnode(7, 0, 0);
    kt_insert(big);
    struct cte *b = cap_ptr(big);
    for (int i = 0; i < 100; i++) {
        cte_insert(t.s[1].cap, &t.s[1], &b[i]);
    }
    INV();
    host_irq_pending = true;
    exception_t st = cn_call(&t, VL_CNODE_REVOKE, ARGS(1, 4), 0);
    CHECK_EQ(st, EXCEPTION_PREEMPTED);
    INV();
    word_t left = 0;
    for (int i = 0; i < 100; i++) {
        left += cap_type(b[i].cap) != CAP_NULL;
    }
    CHECK(left > 0 && left < 100);
    CHECK(cte_has_children(&t.s[1]));
    host_irq_pending = false;
    CHECK_EQ(cn_call(&t, VL_CNODE_REVOKE, ARGS(1, 4), 0), EXCEPTION_NONE);
    INV();
    CHECK(!cte_has_children(&t.s[1]));
    for (int i = 0; i < 100; i++) {
        CHECK_EQ(cap_type(b[i].cap), CAP_NULL);
    }
    CHECK_EQ(cap_type(t.s[1].cap), CAP_ENDPOINT);
    /* Revoke of a cap without children or an empty slot: nothing to do. */
    cn_snap(&t);
    CHECK_EQ(cn_call(&t, VL_CNODE_REVOKE, ARGS(1, 4), 0), EXCEPTION_NONE);
    CHECK_EQ(cn_call(&t, VL_CNODE_REVOKE, ARGS(9, 4), 0), EXCEPTION_NONE);
    CHECK_UNCHANGED();
}

KTEST(cnode_save_caller)
{
    struct cn t = cn_setup();
    struct tcb *other = kt_thread(5, TS_BLOCKED_ON_REPLY);
    kt_insert(cap_tcb(tcb_slots(other)));
    struct cte *caller = tcb_slot(t.c.thread, TCB_CALLER);
    reply_cap_set(caller, other, true);
    INV();
    /* Occupied dest. */
    cn_snap(&t);
    kt_snap(caller, sizeof(*caller));
    CHECK_ERR(cn_call(&t, VL_CNODE_SAVE_CALLER, ARGS(1, 4), 0), VL_DELETE_FIRST);
    CHECK_EQ(cn_call(&t, VL_CNODE_SAVE_CALLER, ARGS(5, 4), 0), EXCEPTION_NONE);
    INV();
    CHECK_EQ(cap_type(t.s[5].cap), CAP_REPLY);
    CHECK_EQ(cap_type(caller->cap), CAP_NULL);
    CHECK(other->reply_slot == &t.s[5]);
    /* No reply cap to save: success, nothing changes. */
    cn_snap(&t);
    CHECK_EQ(cn_call(&t, VL_CNODE_SAVE_CALLER, ARGS(6, 4), 0), EXCEPTION_NONE);
    CHECK_UNCHANGED();
    CHECK_EQ(cap_type(t.s[6].cap), CAP_NULL);
}

/* Blocks a fresh thread sending on ep with the given badge. */
static struct tcb *
blocked_sender(struct endpoint *ep, word_t badge)
{
    struct tcb *s = kt_thread(5, TS_RUNNING);
    kt_insert(cap_tcb(tcb_slots(s)));
    ep_send_ipc(true, false, badge, false, false, s, ep);
    CHECK_EQ(s->state, TS_BLOCKED_ON_SEND);
    return s;
}

KTEST(cnode_cancel_badged_sends)
{
    struct cn t = cn_setup();
    CHECK_EQ(cn_call(&t, VL_CNODE_MINT, ARGS(2, 4, 1, 4, VL_RIGHTS_ALL, 5), 1), EXCEPTION_NONE);
    struct tcb *a = blocked_sender(t.ep, 5);
    struct tcb *b = blocked_sender(t.ep, 6);
    struct tcb *c = blocked_sender(t.ep, 5);
    INV();
    CHECK_EQ(cn_call(&t, VL_CNODE_CANCEL_BADGED_SENDS, ARGS(2, 4), 0), EXCEPTION_NONE);
    INV();
    CHECK_EQ(a->state, TS_RESTART);
    CHECK_EQ(c->state, TS_RESTART);
    CHECK_EQ(b->state, TS_BLOCKED_ON_SEND);
    CHECK(t.ep->head == b && t.ep->tail == b);
    /* Unbadged cap: succeeds without cancelling anything. */
    cn_snap(&t);
    CHECK_EQ(cn_call(&t, VL_CNODE_CANCEL_BADGED_SENDS, ARGS(1, 4), 0), EXCEPTION_NONE);
    CHECK_UNCHANGED();
    CHECK_EQ(b->state, TS_BLOCKED_ON_SEND);
    /* Without all rights, on another cap type or an empty slot: IllegalOperation. */
    CHECK_EQ(cn_call(&t, VL_CNODE_MINT, ARGS(3, 4, 1, 4, VL_RIGHT_WRITE, 6), 1), EXCEPTION_NONE);
    kt_insert_at(kt_cnode(1, 0, 0), &t.s[4]);
    cn_snap(&t);
    CHECK_ERR(cn_call(&t, VL_CNODE_CANCEL_BADGED_SENDS, ARGS(3, 4), 0), VL_ILLEGAL_OPERATION);
    CHECK_ERR(cn_call(&t, VL_CNODE_CANCEL_BADGED_SENDS, ARGS(4, 4), 0), VL_ILLEGAL_OPERATION);
    CHECK_ERR(cn_call(&t, VL_CNODE_CANCEL_BADGED_SENDS, ARGS(9, 4), 0), VL_ILLEGAL_OPERATION);
    CHECK_EQ(b->state, TS_BLOCKED_ON_SEND);
    INV();
}

KTEST(cnode_unknown_labels)
{
    struct cn t = cn_setup();
    cn_snap(&t);
    /* Labels next to the CNode range, and far outside it, name no operation. */
    const word_t labels[] = {0, VL_CNODE_REVOKE - 1, VL_CNODE_SAVE_CALLER + 1, 99};
    for (word_t i = 0; i < ARRAY_SIZE(labels); i++) {
        CHECK_ERR(cn_call(&t, labels[i], ARGS(1, 4), 0), VL_ILLEGAL_OPERATION);
    }
}
