/*
 * Attacks on deletion (issue 10 review, tried as a user would): CNodes and TCBs carved
 * from several untypeds hold each other's caps in random graphs (cycles included); random
 * copies, moves, deletions, revocations, TCB_Configure-like root replacements and
 * untyped revocations run in any order, each with or without a pending interrupt, so that
 * deletions are preempted and others run in between, as threads would interleave them.
 * Only slots a thread could name are used: those of the user's root CNode and of CNodes
 * reachable from it through CNode caps (never a zombie's slots).
 *
 * After every step the invariants hold, and an untyped that could be reset (no children)
 * holds no linked slot in its memory. When one can be, the "user" retypes it (into frames
 * filled with garbage, or into fresh objects), so a kernel still using that memory would
 * read garbage. At the end, revoking every untyped leaves nothing behind.
 */
#include "ktest.h"

#define NUT 5
#define UT_BITS 13
#define R_RADIX 7
#define NEP 3
#define MAX_REACH 4096

struct ut_state {
    char *mem;
    struct cte *slot;
};

static struct ut_state uts[NUT];
static struct cte *rs; /* the user's root CNode: never deleted */
static struct cte *eps[NEP];
static unsigned long rng;

static unsigned
rnd(unsigned n)
{
    rng = rng * 6364136223846793005ul + 1442695040888963407ul;
    return (unsigned)((rng >> 33) % n);
}

static struct cte *reach[MAX_REACH];
static word_t n_reach;

/* Collects the slots a thread could name: the root CNode's and, through CNode caps, the
 * slots of every CNode reachable from it. */
static void
collect_reachable(void)
{
    static struct cte *cnodes[256];
    static word_t radixes[256];
    word_t n_cn = 0;
    cnodes[n_cn] = rs;
    radixes[n_cn++] = R_RADIX;
    n_reach = 0;
    for (word_t i = 0; i < n_cn; i++) {
        for (word_t j = 0; j < BIT(radixes[i]) && n_reach < MAX_REACH; j++) {
            struct cte *s = &cnodes[i][j];
            reach[n_reach++] = s;
            if (cap_type(s->cap) != CAP_CNODE) {
                continue;
            }
            struct cte *obj = cap_ptr(s->cap);
            bool seen = false;
            for (word_t k = 0; k < n_cn; k++) {
                seen = seen || cnodes[k] == obj;
            }
            if (!seen && n_cn < 256) {
                cnodes[n_cn] = obj;
                radixes[n_cn++] = cap_cnode_radix(s->cap);
            }
        }
    }
}

/* A random reachable slot that is empty (want_empty) or holds a cap other than a zombie. */
static struct cte *
pick(bool want_empty)
{
    for (int tries = 0; tries < 64; tries++) {
        struct cte *s = reach[rnd((unsigned)n_reach)];
        word_t t = cap_type(s->cap);
        if (want_empty ? t == CAP_NULL : (t != CAP_NULL && t != CAP_ZOMBIE)) {
            return s;
        }
    }
    return NULL;
}

/* A random reachable slot holding a cap of the given type. */
static struct cte *
pick_type(word_t type)
{
    for (int tries = 0; tries < 128; tries++) {
        struct cte *s = reach[rnd((unsigned)n_reach)];
        if (cap_type(s->cap) == type) {
            return s;
        }
    }
    return NULL;
}

static struct cte *
empty_root_slot(void)
{
    for (int tries = 0; tries < 256; tries++) {
        struct cte *s = &rs[rnd(BIT(R_RADIX))];
        if (cap_type(s->cap) == CAP_NULL) {
            return s;
        }
    }
    return NULL;
}

static bool
no_linked_slot_in_ut(const char *mem)
{
    for (struct cte *s = mdb_next(&cdt_root); s != NULL; s = mdb_next(s)) {
        if ((const char *)s >= mem && (const char *)s < mem + BIT(UT_BITS)) {
            return false;
        }
    }
    for (struct cte *s = ks_zombie_orphans; s != NULL; s = (struct cte *)(uintptr_t)s->cap.w1) {
        if ((const char *)s >= mem && (const char *)s < mem + BIT(UT_BITS)) {
            return false;
        }
    }
    return true;
}

/* One object of the layout of an untyped: offset, TCB or CNode radix. */
struct obj_layout {
    word_t offset;
    bool is_tcb;
    word_t radix;
};

static const struct obj_layout layout[] = {
    {0, true, 0},     {1024, true, 0},  {2048, false, 6}, {4096, false, 5}, {5120, false, 2},
    {5248, false, 2}, {5376, false, 2}, {5504, false, 2}, {5632, false, 2}, {5760, false, 2},
    {5888, false, 2}, {6016, false, 2}, {6144, false, 4}, {6656, false, 4}, {7168, false, 3},
    {7424, false, 3}, {7680, false, 3}, {7936, false, 3},
};

/* Retypes the whole of untyped u (which has no children) into fresh objects, their caps
 * in random slots of the root CNode, the bigger CNodes partly filled with endpoint caps. */
static void
carve(int u)
{
    char *mem = uts[u].mem;
    memset(mem, 0, BIT(UT_BITS));
    uts[u].slot->cap.w1 = BIT(UT_BITS);
    for (word_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
        void *obj = mem + layout[i].offset;
        cap_t cap;
        if (layout[i].is_tcb) {
            thread_init(tcb_from_obj(obj));
            cap = cap_tcb(obj);
        } else {
            cap = cap_cnode(obj, layout[i].radix, 0, 0);
            if (layout[i].radix >= 4) {
                struct cte *slots = obj;
                for (word_t j = 0; j < BIT(layout[i].radix); j += 1 + rnd(3)) {
                    struct cte *ep = eps[rnd(NEP)];
                    cte_insert(ep->cap, ep, &slots[j]);
                }
            }
        }
        struct cte *dest = empty_root_slot();
        if (dest != NULL) {
            cte_insert_original(cap, uts[u].slot, dest);
        }
    }
}

/* Retypes untyped u (no children) into two frames that the user fills with garbage. */
static void
retype_frames(int u)
{
    char *mem = uts[u].mem;
    uts[u].slot->cap.w1 = BIT(UT_BITS);
    for (word_t i = 0; i < 2; i++) {
        struct cte *dest = empty_root_slot();
        if (dest != NULL) {
            cap_t f = cap_frame(mem + i * BIT(12), FRAME_4K, false, VL_RIGHTS_ALL);
            cte_insert_original(f, uts[u].slot, dest);
        }
    }
    memset(mem, 0xa5, BIT(UT_BITS));
}

/* What TCB_Configure does to the CSpace root (install_slot in tcb.c). */
static void
configure_root(struct cte *t_slot, struct cte *c_slot)
{
    cap_t tcap = t_slot->cap;
    cap_t ccap = c_slot->cap;
    struct tcb *t = cap_tcb_ptr(tcap);
    struct cte *root = tcb_slot(t, TCB_CTABLE);
    if (cte_delete(root) != EXCEPTION_NONE) {
        return;
    }
    /* The TCB may be gone: as tcb_still_invoked. */
    if (cap_type(t_slot->cap) != CAP_TCB || !cap_same_object_as(t_slot->cap, tcap)) {
        return;
    }
    if (cap_type(c_slot->cap) == CAP_CNODE && cap_same_object_as(c_slot->cap, ccap) &&
        cap_type(root->cap) == CAP_NULL) {
        cte_insert(c_slot->cap, c_slot, root);
    }
}

static void
step(void)
{
    collect_reachable();
    /* Mostly, an interrupt comes within the op's first few preemption points. */
    host_irq_pending = true;
    while (preemption_point() == EXCEPTION_NONE) {
    }
    host_irq_pending = false;
    for (int i = rnd(8); i < CONFIG_PREEMPTION_WORK_UNITS - 1; i++) {
        (void)preemption_point();
    }
    host_irq_pending = rnd(4) != 0;
    switch (rnd(12)) {
    case 0:
    case 1: { /* copy */
        struct cte *src = pick(false), *dest = pick(true);
        if (src == NULL || dest == NULL || cap_type(src->cap) == CAP_UNTYPED) {
            return;
        }
        cap_t d;
        if (cap_derive(src, src->cap, &d) == EXCEPTION_NONE && cap_type(d) != CAP_NULL) {
            cte_insert(d, src, dest);
        }
        return;
    }
    case 2:
    case 3: { /* move, a CNode cap sometimes into a TCB's root slot (as Configure) */
        struct cte *src = pick(false), *dest = pick(true);
        if (src == NULL || dest == NULL) {
            return;
        }
        if (cap_type(src->cap) == CAP_CNODE && rnd(2) == 0) {
            struct cte *ts = pick_type(CAP_TCB);
            if (ts != NULL) {
                dest = tcb_slot(cap_tcb_ptr(ts->cap), TCB_CTABLE);
                if (cap_type(dest->cap) != CAP_NULL) {
                    return;
                }
            }
        }
        cte_move(src->cap, src, dest);
        return;
    }
    case 4:
    case 5:
    case 6: { /* delete */
        struct cte *s = reach[rnd((unsigned)n_reach)];
        (void)cte_delete(s);
        return;
    }
    case 7: { /* revoke */
        struct cte *s = reach[rnd((unsigned)n_reach)];
        (void)cte_revoke(s);
        return;
    }
    case 8: /* revoke an untyped */
        (void)cte_revoke(uts[rnd(NUT)].slot);
        return;
    case 9: { /* Configure's CSpace root replacement */
        struct cte *t = pick_type(CAP_TCB), *c = pick_type(CAP_CNODE);
        if (t != NULL && c != NULL) {
            configure_root(t, c);
        }
        return;
    }
    default: { /* continue a deletion somewhere (a zombie a thread can name) */
        struct cte *z = pick_type(CAP_ZOMBIE);
        if (z != NULL) {
            (void)cte_delete(z);
        }
        return;
    }
    }
}

static void
check_and_reuse(void)
{
    host_irq_pending = false;
    INV();
    for (int u = 0; u < NUT; u++) {
        if (cte_has_children(uts[u].slot)) {
            continue;
        }
        /* The untyped can be reset now: none of the kernel's slots may be in it. */
        CHECK(no_linked_slot_in_ut(uts[u].mem));
        if (rnd(2) == 0) {
            retype_frames(u);
        } else {
            carve(u);
        }
        INV();
    }
}

static void
attack_run(unsigned long seed, int steps)
{
    rng = seed;
    rs = cap_ptr(kt_insert(kt_cnode(R_RADIX, 0, 0))->cap);
    for (int i = 0; i < NEP; i++) {
        eps[i] = kt_insert(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL));
    }
    for (int u = 0; u < NUT; u++) {
        uts[u].mem = kt_alloc(UT_BITS);
        uts[u].slot = kt_insert(cap_untyped(uts[u].mem, UT_BITS, false, 0));
        carve(u);
    }
    INV();
    for (int i = 0; i < steps; i++) {
        step();
        check_and_reuse();
    }
    /* Everything made from the untypeds goes with them. */
    for (int u = 0; u < NUT; u++) {
        int rounds = 0;
        while (cte_revoke(uts[u].slot) != EXCEPTION_NONE) {
            CHECK(++rounds < 100);
        }
        INV();
    }
    for (word_t i = 0; i < BIT(R_RADIX); i++) {
        CHECK_EQ(cte_delete(&rs[i]), EXCEPTION_NONE);
    }
    INV();
    CHECK(ks_zombie_orphans == NULL);
    for (int u = 0; u < NUT; u++) {
        CHECK(no_linked_slot_in_ut(uts[u].mem));
    }
    CHECK_EQ(kt_cdt_count(), 1 + NEP + NUT);
}

KTEST(attack_delete_random_seed1)
{
    attack_run(1, 1500);
}

KTEST(attack_delete_random_seed2)
{
    attack_run(2, 1500);
}

KTEST(attack_delete_random_seed3)
{
    attack_run(3, 1500);
}

KTEST(attack_delete_random_seed4)
{
    attack_run(0xdeadbeef, 1500);
}

/* Makes the next preemption point preempt (the work counter is at its limit). */
static void
preempt_at_next_point(void)
{
    host_irq_pending = true;
    while (preemption_point() == EXCEPTION_NONE) {
    }
    host_irq_pending = false;
    for (int i = 0; i < CONFIG_PREEMPTION_WORK_UNITS - 1; i++) {
        (void)preemption_point();
    }
    host_irq_pending = true;
}

/*
 * A thread T (from UT) and its CSpace root C (from UC) hold each other's only caps: C in
 * T's root slot (T's first slot), T in C's last slot. Revoking UC makes T's root slot the
 * deletion's root; emptying C meets T's final cap, and T's zombie moves into its own first
 * slot, which is the root: the two zombies trade places. If the revoke is preempted right
 * then and is repeated, the repeat only sees UC's children (C's orphan): T's zombie must
 * still be finished, not left in T's first slot with nothing working on it (T's slots,
 * here an IPC buffer frame, would never be emptied).
 */
KTEST(attack_preempted_trade_leaves_no_stranded_zombie)
{
    char *mt = kt_alloc(VL_TCB_BITS), *mc = kt_alloc(8);
    struct cte *ut = kt_insert(cap_untyped(mt, VL_TCB_BITS, false, 0));
    struct cte *uc = kt_insert(cap_untyped(mc, 8, false, 0));
    ut->cap.w1 = BIT(VL_TCB_BITS);
    uc->cap.w1 = BIT(8);
    struct tcb *t = tcb_from_obj(mt);
    thread_init(t);
    cap_t c = cap_cnode(mc, 3, 0, 0);
    struct cte *cs = cap_ptr(c);
    cte_insert_original(c, uc, tcb_slot(t, TCB_CTABLE));
    cte_insert_original(cap_tcb(mt), ut, &cs[7]);
    struct cte *fr = kt_insert(cap_frame(kt_alloc(12), FRAME_4K, false, VL_RIGHTS_ALL));
    cte_insert(fr->cap, fr, tcb_slot(t, TCB_BUFFER));
    INV();
    word_t before = kt_cdt_count();
    preempt_at_next_point();
    CHECK_EQ(cte_revoke(uc), EXCEPTION_PREEMPTED);
    host_irq_pending = false;
    INV();
    CHECK_EQ(cte_revoke(uc), EXCEPTION_NONE);
    INV();
    CHECK(!cte_has_children(uc));
    CHECK(ks_zombie_orphans == NULL);
    /* T was destroyed with C: nothing of it is left for UT to keep. */
    for (word_t i = 0; i < TCB_NUM_SLOTS; i++) {
        CHECK_EQ(cap_type(tcb_slot(t, i)->cap), CAP_NULL);
    }
    CHECK(!cte_has_children(ut));
    CHECK_EQ(kt_cdt_count(), before - 3);
}

/*
 * IRQControl_TakeConsole after IRQControl_IssueHandler: the UART frame must not come
 * between the IRQControl cap and the handler caps it issued in the derivation list, or a
 * revoke of IRQControl stops at the frame and leaves the handlers (and their interrupts)
 * with whoever holds them.
 */
KTEST(attack_console_frame_does_not_hide_irq_handlers)
{
    struct kt_caller c = kt_caller();
    struct cte *ctl = kt_insert(cap_irq_control());
    cap_t r = kt_cnode(4, 0, 0);
    struct cte *rs = kt_insert(r);
    struct cte *s = cap_ptr(r);
    struct cte *extra[1] = {rs};
    struct invocation inv = kt_inv(&c, ctl, VL_IRQ_ISSUE_HANDLER, ARGS(3, 2, 4), 1, extra);
    CHECK_EQ(decode_irq_control_invocation(&inv), EXCEPTION_NONE);
    CHECK_EQ(cap_type(s[2].cap), CAP_IRQ_HANDLER);
    inv = kt_inv(&c, ctl, VL_CONSOLE_TAKE, ARGS(5, 4), 1, extra);
    CHECK_EQ(decode_irq_control_invocation(&inv), EXCEPTION_NONE);
    CHECK_EQ(cap_type(s[5].cap), CAP_FRAME);
    INV();
    CHECK(cte_has_children(ctl));
    CHECK_EQ(cte_revoke(ctl), EXCEPTION_NONE);
    INV();
    CHECK_EQ(cap_type(s[2].cap), CAP_NULL);  /* the handler went with the revoke */
    CHECK_EQ(cap_type(s[5].cap), CAP_FRAME); /* the console frame is no child of IRQControl */
    CHECK_EQ(cte_delete(&s[5]), EXCEPTION_NONE);
    INV();
}

/* IRQControl_ReadKernelLog with odd sizes, with and without an IPC buffer: never more
 * bytes than asked or than the message holds, the rest stays in the log. */
KTEST(attack_read_kernel_log_odd_sizes)
{
    struct kt_caller c = kt_caller();
    struct cte *ctl = kt_insert(cap_irq_control());
    static const word_t maxes[] = {0, 1, 7, 8, 9, 63, 64, ~0ul};
    for (int with_buf = 0; with_buf < 2; with_buf++) {
        for (word_t k = 0; k < sizeof(maxes) / sizeof(maxes[0]); k++) {
            memset(host_klog, 'x', sizeof(host_klog));
            host_klog_len = sizeof(host_klog);
            struct invocation inv = kt_inv(&c, ctl, VL_CONSOLE_READ_LOG, ARGS(maxes[k]), 0, NULL);
            inv.rbuf = with_buf ? c.buf : NULL;
            CHECK_EQ(decode_irq_control_invocation(&inv), EXCEPTION_NONE);
            word_t n = c.thread->regs[REG_MR0];
            word_t room = 8 * ((with_buf ? VL_MSG_MAX_LENGTH : VL_MSG_REGS) - 1);
            CHECK(n <= maxes[k] && n <= room && n <= sizeof(host_klog));
            CHECK_EQ(host_klog_len, sizeof(host_klog) - n);
            CHECK(inv.reply_length >= 1 && inv.reply_length <= 1 + (n + 7) / 8);
        }
    }
}
