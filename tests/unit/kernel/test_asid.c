/*
 * ASID control and ASID pools (kernel/src/arch/riscv64/asid.c): ASIDControl_MakePool and
 * ASIDPool_Assign with every error, freeing ASIDs, orphaned VSpaces after a pool's
 * deletion, and the invariant checker fed corrupted tables and caps.
 */
#include "ktest.h"

#include "arch/asid.h"
#include "config.h"

struct asid_env {
    struct kt_caller c;
    struct cte *control; /* the ASID control cap */
    struct cte *cnode;   /* a CNode of 2^6 slots, resolving 64 bits: index = slot */
};

static struct asid_env
asid_setup(void)
{
    struct asid_env x;
    x.c = kt_caller();
    x.control = kt_insert(cap_asid_control());
    x.cnode = kt_insert(kt_cnode(6, VL_WORD_BITS - 6, 0));
    return x;
}

static struct cte *
slot_at(struct asid_env *x, word_t i)
{
    return (struct cte *)cap_ptr(x->cnode->cap) + i;
}

/* A RAM untyped of 2^bits bytes, dirty (watermark at the top) as the boot hands them out. */
static struct cte *
new_untyped(word_t bits, bool is_device)
{
    return kt_insert(cap_untyped(kt_alloc(bits), bits, is_device, BIT(bits)));
}

static exception_t
invoke(struct asid_env *x, struct cte *slot, word_t label, const word_t *args, word_t n,
       word_t n_extra, struct cte *e0, struct cte *e1)
{
    struct cte *extra[2] = {e0, e1};
    struct invocation inv = kt_inv(&x->c, slot, label, args, n, n_extra, extra);
    return object_decode_invocation(&inv);
}

/* MakePool from a fresh 4 KiB untyped into slot i of the env's CNode. */
static exception_t
make_pool(struct asid_env *x, word_t i)
{
    return invoke(x, x->control, VL_ASID_CONTROL_MAKE_POOL, ARGS(i, VL_WORD_BITS), 2,
                  new_untyped(VL_ASID_POOL_BITS, false), x->cnode);
}

static exception_t
assign(struct asid_env *x, struct cte *pool, struct cte *vs)
{
    return invoke(x, pool, VL_ASID_POOL_ASSIGN, NULL, 0, 1, vs, NULL);
}

/* A VSpace cap without an ASID, as Untyped_Retype makes it. */
static struct cte *
new_vspace(void)
{
    return kt_insert(cap_vspace(kt_alloc(VL_VSPACE_BITS), 0));
}

KTEST(asid_make_pool)
{
    struct asid_env x = asid_setup();
    /* Every cap first: inserting one changes its neighbour's links. */
    struct cte *ut = new_untyped(VL_ASID_POOL_BITS, false);
    struct cte *dest = slot_at(&x, 3);
    word_t *mem = cap_ptr(ut->cap);
    mem[7] = 0x55; /* dirty memory: the pool is cleared */
    struct cte *ep = kt_insert(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL));
    struct cte *big = new_untyped(VL_ASID_POOL_BITS + 1, false);
    struct cte *small = new_untyped(VL_ASID_POOL_BITS - 1, false);
    struct cte *dev = new_untyped(VL_ASID_POOL_BITS, true);
    struct cte *parent = new_untyped(VL_ASID_POOL_BITS, false);
    cte_insert_original(cap_endpoint(cap_ptr(parent->cap), 0, VL_RIGHTS_ALL), parent, kt_slot());
    kt_insert_at(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL), slot_at(&x, 4));
    kt_snap(ut, sizeof(*ut));
    kt_snap(parent, sizeof(*parent));
    kt_snap(slot_at(&x, 0), 64 * sizeof(struct cte));
    kt_snap(asid_table, sizeof(word_t) * CONFIG_NUM_ASIDS);

    /* In seL4's order: label, message, free range, untyped, children, slot lookup, slot. */
    CHECK_ERR(invoke(&x, x.control, VL_ASID_POOL_ASSIGN, ARGS(3, 64), 2, ut, x.cnode),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(3), 2, ut, x.cnode),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(3, 64), 1, ut, NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(3, 64), 2, ep, x.cnode),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(3, 64), 2, big, x.cnode),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(3, 64), 2, small, x.cnode),
              VL_INVALID_CAPABILITY);
    CHECK_ERR(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(3, 64), 2, dev, x.cnode),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    /* An untyped with a child. */
    CHECK_ERR(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(3, 64), 2, parent, x.cnode),
              VL_REVOKE_FIRST);
    /* The destination: lookup failures, occupied. */
    CHECK_ERR(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(3, 64), 2, ut, ep),
              VL_FAILED_LOOKUP);
    CHECK(!current_syscall_error.lookup_was_source);
    CHECK_ERR(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(3, 65), 2, ut, x.cnode),
              VL_RANGE_ERROR);
    CHECK_ERR(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(4, 64), 2, ut, x.cnode),
              VL_DELETE_FIRST);
    INV();

    /* Success: the first range, the untyped used up and the pool its child. */
    kt_snap_reset();
    CHECK_EQ(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(3, 64), 2, ut, x.cnode),
             EXCEPTION_NONE);
    CHECK_EQ(cap_type(dest->cap), CAP_ASID_POOL);
    CHECK_EQ(cap_asid_pool_base(dest->cap), 0);
    CHECK(cap_ptr(dest->cap) == mem);
    CHECK_EQ(mem[7], 0);
    CHECK_EQ(ut->cap.w1, BIT(VL_ASID_POOL_BITS));
    CHECK(cte_has_children(ut));
    CHECK(cte_is_mdb_parent_of(ut, dest));
    INV();
    /* The same untyped again: it has a child now. */
    CHECK_ERR(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(5, 64), 2, ut, x.cnode),
              VL_REVOKE_FIRST);
    /* The next pools take the next ranges, until there are none: DeleteFirst comes before
     * any look at the untyped. */
    for (word_t p = 1; p < ASID_NUM_POOLS; p++) {
        CHECK_EQ(make_pool(&x, 10 + p), EXCEPTION_NONE);
        CHECK_EQ(cap_asid_pool_base(slot_at(&x, 10 + p)->cap), p * VL_ASID_POOL_SIZE);
    }
    kt_snap(slot_at(&x, 0), 64 * sizeof(struct cte));
    CHECK_ERR(invoke(&x, x.control, VL_ASID_CONTROL_MAKE_POOL, ARGS(40, 64), 2, ep, x.cnode),
              VL_DELETE_FIRST);
    INV();
    /* Deleting a pool frees its range; the untyped can be reused. */
    kt_snap_reset();
    CHECK_EQ(cte_delete(slot_at(&x, 12)), EXCEPTION_NONE);
    CHECK_EQ(make_pool(&x, 40), EXCEPTION_NONE);
    CHECK_EQ(cap_asid_pool_base(slot_at(&x, 40)->cap), 2 * VL_ASID_POOL_SIZE);
    CHECK_EQ(cte_delete(dest), EXCEPTION_NONE);
    CHECK(!cte_has_children(ut));
    INV();
}

KTEST(asid_pool_assign)
{
    struct asid_env x = asid_setup();
    CHECK_EQ(make_pool(&x, 0), EXCEPTION_NONE); /* ASIDs 0..511: 0 is never handed out */
    CHECK_EQ(make_pool(&x, 1), EXCEPTION_NONE); /* 512..1023 */
    struct cte *pool0 = slot_at(&x, 0), *pool1 = slot_at(&x, 1);
    struct cte *vs = new_vspace();
    struct cte *ep = kt_insert(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL));
    kt_snap(vs, sizeof(*vs));
    kt_snap(asid_table, sizeof(word_t) * CONFIG_NUM_ASIDS);
    CHECK_ERR(invoke(&x, pool0, VL_ASID_CONTROL_MAKE_POOL, NULL, 0, 1, vs, NULL),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(invoke(&x, pool0, VL_ASID_POOL_ASSIGN, NULL, 0, 0, NULL, NULL), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(assign(&x, pool0, ep), VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    INV();

    kt_snap_reset();
    CHECK_EQ(assign(&x, pool0, vs), EXCEPTION_NONE);
    CHECK_EQ(cap_vspace_asid(vs->cap), 1);
    CHECK(pt_asid_root(1) == cap_ptr(vs->cap));
    CHECK(arch_vspace_has_asid(vs->cap));
    /* The mode bits stay: the exit paths load satp from the cap. */
    CHECK_EQ(vs->cap.w1, VSPACE_MODE_SV39 | (1ul << VSPACE_ASID_SHIFT));
    /* Already has one (from this pool or another). */
    kt_snap(vs, sizeof(*vs));
    kt_snap(asid_table, sizeof(word_t) * CONFIG_NUM_ASIDS);
    CHECK_ERR(assign(&x, pool0, vs), VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(assign(&x, pool1, vs), VL_INVALID_CAPABILITY);
    INV();

    /* Pool 1 hands out all 512 of its ASIDs, lowest first; then DeleteFirst, and pool 0 is
     * not affected. */
    kt_snap_reset();
    struct cte *last = NULL;
    for (word_t i = 0; i < VL_ASID_POOL_SIZE; i++) {
        last = new_vspace();
        CHECK_EQ(assign(&x, pool1, last), EXCEPTION_NONE);
        CHECK_EQ(cap_vspace_asid(last->cap), VL_ASID_POOL_SIZE + i);
    }
    struct cte *more = new_vspace();
    kt_snap(more, sizeof(*more));
    CHECK_ERR(assign(&x, pool1, more), VL_DELETE_FIRST);
    kt_snap_reset();
    CHECK_EQ(assign(&x, pool0, more), EXCEPTION_NONE);
    CHECK_EQ(cap_vspace_asid(more->cap), 2);
    INV();

    /* A copy's deletion keeps the ASID; the final cap's frees it (and flushes it), and the
     * pool hands it out again. */
    struct cte *copy = kt_slot();
    cte_insert(last->cap, last, copy);
    CHECK_EQ(cte_delete(copy), EXCEPTION_NONE);
    CHECK(pt_asid_root(2 * VL_ASID_POOL_SIZE - 1) == cap_ptr(last->cap));
    word_t flushes = host_asid_flushes;
    CHECK_EQ(cte_delete(last), EXCEPTION_NONE);
    CHECK(pt_asid_root(2 * VL_ASID_POOL_SIZE - 1) == NULL);
    CHECK_EQ(host_asid_flushes, flushes + 1);
    CHECK_EQ(host_last_flush_asid, 2 * VL_ASID_POOL_SIZE - 1);
    struct cte *again = new_vspace();
    CHECK_EQ(assign(&x, pool1, again), EXCEPTION_NONE);
    CHECK_EQ(cap_vspace_asid(again->cap), 2 * VL_ASID_POOL_SIZE - 1);
    CHECK(pt_asid_root(0) == NULL);
    CHECK(pt_asid_root(CONFIG_NUM_ASIDS) == NULL);
    INV();
}

/* A VSpace without an ASID has exactly one cap: copies are refused, as in seL4. */
KTEST(asid_unassigned_vspace_not_copied)
{
    struct cte *vs = new_vspace();
    cap_t out = cap_vspace(NULL, 0);
    CHECK_EQ(cap_derive(vs, vs->cap, &out), EXCEPTION_NONE);
    CHECK_EQ(cap_type(out), CAP_NULL);
    struct cte *assigned = kt_vspace(kt_alloc(VL_VSPACE_BITS));
    CHECK_EQ(cap_derive(assigned, assigned->cap, &out), EXCEPTION_NONE);
    CHECK_EQ(out.w0, assigned->cap.w0);
    CHECK_EQ(out.w1, assigned->cap.w1);
    INV();
}

/* Deleting a pool orphans its VSpaces: they keep their ASIDs and mappings (which their
 * frames' deletion still removes), but count as having none; the range comes back once
 * the last orphan is gone. */
KTEST(asid_pool_delete_orphans)
{
    struct asid_env x = asid_setup();
    CHECK_EQ(make_pool(&x, 0), EXCEPTION_NONE);
    CHECK_EQ(make_pool(&x, 1), EXCEPTION_NONE);
    struct cte *pool1 = slot_at(&x, 1);
    word_t *root = kt_alloc(VL_VSPACE_BITS);
    struct cte *vs = kt_insert(cap_vspace(root, 0));
    struct cte *vs2 = new_vspace();
    CHECK_EQ(assign(&x, pool1, vs), EXCEPTION_NONE);
    CHECK_EQ(assign(&x, pool1, vs2), EXCEPTION_NONE);
    word_t asid = cap_vspace_asid(vs->cap);
    /* A thread in it, and a 1 GiB frame mapped in it. */
    struct tcb *t = kt_thread(5, TS_INACTIVE);
    kt_insert(cap_tcb(tcb_slots(t))); /* its slots lie in a live TCB */
    cte_insert(vs->cap, vs, tcb_slot(t, TCB_VTABLE));
    struct cte *f =
        kt_insert(cap_frame((void *)(uintptr_t)0x7f00000000ul, FRAME_1G, false, VL_RIGHTS_ALL));
    CHECK_EQ(invoke(&x, f, VL_FRAME_MAP, ARGS(0x40000000, VL_RIGHTS_ALL, 0), 1, vs, NULL),
             EXCEPTION_NONE);
    CHECK(root[1] & PTE_V);
    /* A copy of the pool cap going keeps the pool. */
    struct cte *pcopy = kt_slot();
    cte_insert(pool1->cap, pool1, pcopy);
    CHECK_EQ(cte_delete(pcopy), EXCEPTION_NONE);
    CHECK(arch_vspace_has_asid(vs->cap));
    word_t flushes = host_asid_flushes;
    CHECK_EQ(cte_delete(pool1), EXCEPTION_NONE);
    INV();
    /* No flush: the ASIDs stay reserved. Everything now refuses the VSpace. */
    CHECK_EQ(host_asid_flushes, flushes);
    CHECK(!arch_vspace_has_asid(vs->cap));
    CHECK(pt_asid_root(asid) == NULL);
    CHECK(asid_vspace_root(asid) == root);
    CHECK_EQ(cap_vspace_asid(tcb_slot(t, TCB_VTABLE)->cap), asid);
    struct cte *f2 = kt_insert(cap_frame(kt_alloc(12), FRAME_4K, false, VL_RIGHTS_ALL));
    struct cte *pt = kt_insert(cap_page_table(kt_alloc(VL_PAGE_TABLE_BITS)));
    struct cte *ts = kt_insert(cap_tcb(tcb_slots(t)));
    kt_snap(root, BIT(VL_VSPACE_BITS));
    kt_snap(f2, sizeof(*f2));
    kt_snap(pt, sizeof(*pt));
    CHECK_ERR(invoke(&x, f2, VL_FRAME_MAP, ARGS(0x1000, VL_RIGHTS_ALL, 0), 1, vs, NULL),
              VL_INVALID_CAPABILITY);
    CHECK_ERR(invoke(&x, pt, VL_PAGE_TABLE_MAP, ARGS(0x1000), 1, vs, NULL), VL_INVALID_CAPABILITY);
    CHECK_ERR(invoke(&x, ts, VL_TCB_SET_SPACE, ARGS(0, 0, 0), 2, x.cnode, vs),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 2);
    kt_snap(vs, sizeof(*vs));
    CHECK_ERR(assign(&x, slot_at(&x, 0), vs), VL_INVALID_CAPABILITY);
    /* Its range is held: new pools take the others, and with all of them taken there is
     * none. */
    kt_snap_reset();
    for (word_t p = 2; p < ASID_NUM_POOLS; p++) {
        CHECK_EQ(make_pool(&x, 10 + p), EXCEPTION_NONE);
        CHECK(cap_asid_pool_base(slot_at(&x, 10 + p)->cap) != VL_ASID_POOL_SIZE);
    }
    kt_snap(slot_at(&x, 5), sizeof(struct cte));
    CHECK_ERR(make_pool(&x, 5), VL_DELETE_FIRST);
    INV();
    /* Deleting the frame still clears its entry in the orphaned VSpace. */
    kt_snap_reset();
    CHECK_EQ(cte_delete(f), EXCEPTION_NONE);
    CHECK_EQ(root[1], 0);
    /* The last orphans go (the thread's copy too): their ASIDs are freed and flushed, and
     * the range can be a pool again. */
    CHECK_EQ(cte_delete(vs2), EXCEPTION_NONE);
    CHECK_ERR(make_pool(&x, 5), VL_DELETE_FIRST);
    CHECK_EQ(cte_delete(tcb_slot(t, TCB_VTABLE)), EXCEPTION_NONE);
    CHECK_EQ(cte_delete(vs), EXCEPTION_NONE);
    CHECK_EQ(host_asid_flushes, flushes + 2);
    CHECK(asid_vspace_root(asid) == NULL);
    INV();
    CHECK_EQ(make_pool(&x, 5), EXCEPTION_NONE);
    CHECK_EQ(cap_asid_pool_base(slot_at(&x, 5)->cap), VL_ASID_POOL_SIZE);
    INV();
}

/* Other caps invoked with the ASID labels, and ASID caps with other labels. */
KTEST(asid_labels_elsewhere)
{
    struct asid_env x = asid_setup();
    struct cte *vs = kt_vspace(kt_alloc(VL_VSPACE_BITS));
    CHECK_ERR(invoke(&x, vs, VL_ASID_POOL_ASSIGN, NULL, 0, 1, vs, NULL), VL_ILLEGAL_OPERATION);
    CHECK_ERR(invoke(&x, x.control, VL_CNODE_COPY, ARGS(0, 64), 2, vs, x.cnode),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(invoke(&x, kt_asid_pool(), VL_FRAME_MAP, NULL, 0, 1, vs, NULL), VL_ILLEGAL_OPERATION);
    /* ASID control and pool caps can be copied; control names no memory. */
    cap_t out;
    CHECK_EQ(cap_derive(x.control, x.control->cap, &out), EXCEPTION_NONE);
    CHECK_EQ(cap_type(out), CAP_ASID_CONTROL);
    CHECK(cap_object_base(x.control->cap) == NULL);
    CHECK_EQ(cap_derive(kt_asid_pool(), kt_asid_pool()->cap, &out), EXCEPTION_NONE);
    CHECK_EQ(cap_type(out), CAP_ASID_POOL);
    CHECK_EQ(cap_object_size_bits(out), VL_ASID_POOL_BITS);
    INV();
}

/* The checker catches each way the tables and caps can disagree. */
KTEST(asid_invariants_catch_corruption)
{
    struct cte *vs = kt_vspace(kt_alloc(VL_VSPACE_BITS));
    word_t asid = cap_vspace_asid(vs->cap);
    struct cte *pool = kt_asid_pool();
    INV();
    /* A VSpace cap naming an ASID of another root, or a free one. */
    cap_t saved = vs->cap;
    vs->cap = cap_vspace(cap_ptr(saved), asid + 1);
    CHECK(kernel_check_invariants() != NULL);
    vs->cap = saved;
    INV();
    /* A table entry pointing elsewhere, or not at a page, or left behind. */
    word_t e = asid_table[asid];
    asid_table[asid] = (word_t)(uintptr_t)kt_alloc(VL_VSPACE_BITS);
    CHECK(kernel_check_invariants() != NULL);
    asid_table[asid] = e | 8;
    CHECK(kernel_check_invariants() != NULL);
    asid_table[asid] = e;
    asid_table[asid + 1] = e;
    CHECK(kernel_check_invariants() != NULL);
    asid_table[asid + 1] = 0;
    asid_table[0] = e;
    CHECK_INV_FIRES("ASID 0 given to a VSpace");
    asid_table[0] = 0;
    /* An orphan flag in a live pool. */
    asid_table[asid] = e | ASID_ORPHAN;
    CHECK(kernel_check_invariants() != NULL);
    asid_table[asid] = e;
    INV();
    /* A pool cap with the wrong base, or the pool's cap gone without finalisation. */
    saved = pool->cap;
    pool->cap = cap_asid_pool(cap_ptr(saved), VL_ASID_POOL_SIZE);
    CHECK(kernel_check_invariants() != NULL);
    pool->cap = cap_asid_pool(cap_ptr(saved), 1);
    CHECK(kernel_check_invariants() != NULL);
    pool->cap = saved;
    INV();
    struct cte keep = *pool;
    cte_unlink(pool);
    CHECK(kernel_check_invariants() != NULL);
    /* The VSpace's cap gone without finalisation: its entry is left behind. */
    struct cte *p2 = kt_slot();
    kt_insert_at(keep.cap, p2);
    INV();
    cte_unlink(vs);
    CHECK(kernel_check_invariants() != NULL);
    asid_table[asid] = 0;
    INV();
}

/* Orphan counts: the checker compares them with the table. */
KTEST(asid_invariants_catch_orphan_count)
{
    struct asid_env x = asid_setup();
    CHECK_EQ(make_pool(&x, 0), EXCEPTION_NONE);
    CHECK_EQ(make_pool(&x, 1), EXCEPTION_NONE);
    struct cte *vs = new_vspace();
    CHECK_EQ(assign(&x, slot_at(&x, 1), vs), EXCEPTION_NONE);
    word_t asid = cap_vspace_asid(vs->cap);
    CHECK_EQ(cte_delete(slot_at(&x, 1)), EXCEPTION_NONE);
    INV();
    /* A live entry where no pool is, and a wrong count. */
    asid_table[asid] &= ~ASID_ORPHAN;
    CHECK(kernel_check_invariants() != NULL);
    asid_table[asid] |= ASID_ORPHAN;
    INV();
    asid_table[asid + 1] = asid_table[asid];
    CHECK(kernel_check_invariants() != NULL);
    asid_table[asid + 1] = 0;
    INV();
}
