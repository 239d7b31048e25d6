/*
 * TCB invocations through decode_tcb_invocation: each label, its errors with detail, and
 * "nothing changed" after failures.
 */
#include "ktest.h"

struct tt {
    struct kt_caller c;
    struct tcb *t;      /* the thread invoked */
    struct cte *ts;     /* slot of its cap */
    struct cte *auth;   /* slot of the caller's own TCB cap */
    struct cte *cnode;  /* a CNode cap */
    struct cte *vspace; /* a VSpace cap with an ASID */
    struct cte *frame;  /* a 4 KiB frame cap */
    struct cte *ep;     /* an endpoint cap */
};

static struct tt
tt_setup(void)
{
    struct tt x;
    x.c = kt_caller();
    x.t = kt_thread(5, TS_INACTIVE);
    x.ts = kt_insert(cap_tcb(tcb_slots(x.t)));
    x.auth = kt_insert(cap_tcb(tcb_slots(x.c.thread)));
    x.cnode = kt_insert(kt_cnode(3, 0, 0));
    x.vspace = kt_vspace(kt_alloc(VL_VSPACE_BITS));
    x.frame = kt_insert(cap_frame(kt_alloc(12), FRAME_4K, false, VL_RIGHTS_ALL));
    x.ep = kt_insert(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL));
    return x;
}

static exception_t
tt_call(struct tt *x, word_t label, const word_t *args, word_t n, word_t n_extra, struct cte *e0,
        struct cte *e1, struct cte *e2)
{
    struct cte *extra[3] = {e0, e1, e2};
    struct invocation inv = kt_inv(&x->c, x->ts, label, args, n, n_extra, extra);
    inv.rbuf = x->c.buf;
    return decode_tcb_invocation(&inv);
}

static void
tt_snap(struct tt *x)
{
    kt_snap_reset();
    kt_snap(tcb_slots(x->t), BIT(VL_TCB_BITS));
    kt_snap(x->cnode, sizeof(struct cte));
    kt_snap(x->vspace, sizeof(struct cte));
    kt_snap(x->frame, sizeof(struct cte));
}

KTEST(tcb_configure)
{
    struct tt x = tt_setup();
    tt_snap(&x);
    /* A buffer address needs the third cap. */
    CHECK_ERR(tt_call(&x, VL_TCB_CONFIGURE, ARGS(7, 0, 0, 0x1000), 2, x.cnode, x.vspace, NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(tt_call(&x, VL_TCB_CONFIGURE, ARGS(7, 0, 0), 2, x.cnode, x.vspace, NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(tt_call(&x, VL_TCB_CONFIGURE, ARGS(7, 0, 0, 0), 1, x.cnode, NULL, NULL),
              VL_TRUNCATED_MESSAGE);
    /* Wrong caps: index 1 cspace, 2 vspace, 3 buffer frame. */
    CHECK_ERR(tt_call(&x, VL_TCB_CONFIGURE, ARGS(7, 0, 0, 0), 2, x.ep, x.vspace, NULL),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(tt_call(&x, VL_TCB_CONFIGURE, ARGS(7, 0, 0, 0), 2, x.cnode, x.cnode, NULL),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 2);
    CHECK_ERR(tt_call(&x, VL_TCB_CONFIGURE, ARGS(7, 0, 0, 0x1000), 3, x.cnode, x.vspace, x.ep),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 3);
    CHECK_ERR(tt_call(&x, VL_TCB_CONFIGURE, ARGS(7, 0, 0, 0x1010), 3, x.cnode, x.vspace, x.frame),
              VL_ALIGNMENT_ERROR);
    CHECK_ERR(
        tt_call(&x, VL_TCB_CONFIGURE, ARGS(7, 0, 0, VL_USER_TOP), 3, x.cnode, x.vspace, x.frame),
        VL_INVALID_ARGUMENT);
    CHECK_EQ(current_syscall_error.invalid_argument, 3);
    /* Buffer 0 with only two caps; an unsent third cap is never used. */
    CHECK_EQ(tt_call(&x, VL_TCB_CONFIGURE, ARGS(7, 0, 0, 0), 2, x.cnode, x.vspace, x.frame),
             EXCEPTION_NONE);
    INV();
    CHECK_EQ(x.t->fault_ep, 7);
    CHECK_EQ(x.t->ipc_buffer, 0);
    CHECK_EQ(cap_type(tcb_slot(x.t, TCB_CTABLE)->cap), CAP_CNODE);
    CHECK_EQ(cap_type(tcb_slot(x.t, TCB_VTABLE)->cap), CAP_VSPACE);
    CHECK_EQ(cap_type(tcb_slot(x.t, TCB_BUFFER)->cap), CAP_NULL);
    /* With a buffer and guard data for the CSpace. */
    CHECK_EQ(tt_call(&x, VL_TCB_CONFIGURE, ARGS(8, 2 | (1 << 6), 0, 0x1400), 3, x.cnode, x.vspace,
                     x.frame),
             EXCEPTION_NONE);
    INV();
    CHECK_EQ(x.t->fault_ep, 8);
    CHECK_EQ(x.t->ipc_buffer, 0x1400);
    CHECK_EQ(cap_cnode_guard_size(tcb_slot(x.t, TCB_CTABLE)->cap), 2);
    CHECK_EQ(cap_type(tcb_slot(x.t, TCB_BUFFER)->cap), CAP_FRAME);
}

KTEST(tcb_set_space_and_buffer)
{
    struct tt x = tt_setup();
    tt_snap(&x);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_SPACE, ARGS(1, 0), 2, x.cnode, x.vspace, NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_SPACE, ARGS(1, 0, 0), 2, x.frame, x.vspace, NULL),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    /* A VSpace not given an ASID cannot be a thread's. */
    struct cte *no_asid = kt_insert(cap_vspace(kt_alloc(VL_VSPACE_BITS), 0));
    CHECK_ERR(tt_call(&x, VL_TCB_SET_SPACE, ARGS(1, 0, 0), 2, x.cnode, no_asid, NULL),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 2);
    CHECK(cap_type(tcb_slot(x.t, TCB_VTABLE)->cap) == CAP_NULL);
    /* Guard data too big for the CNode. */
    CHECK_ERR(tt_call(&x, VL_TCB_SET_SPACE, ARGS(1, 63, 0), 2, x.cnode, x.vspace, NULL),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(tt_call(&x, VL_TCB_SET_SPACE, ARGS(3, 0, 0), 2, x.cnode, x.vspace, NULL),
             EXCEPTION_NONE);
    CHECK_EQ(x.t->fault_ep, 3);
    CHECK_EQ(cap_type(tcb_slot(x.t, TCB_VTABLE)->cap), CAP_VSPACE);
    INV();
    tt_snap(&x);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_IPC_BUFFER, ARGS(0x2000), 0, NULL, NULL, NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_IPC_BUFFER, NULL, 0, 0, NULL, NULL, NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_IPC_BUFFER, ARGS(0x2000), 1, x.ep, NULL, NULL),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_IPC_BUFFER, ARGS(0x2004), 1, x.frame, NULL, NULL),
              VL_ALIGNMENT_ERROR);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_IPC_BUFFER, ARGS(VL_USER_TOP), 1, x.frame, NULL, NULL),
              VL_INVALID_ARGUMENT);
    CHECK_EQ(current_syscall_error.invalid_argument, 0);
    CHECK_EQ(tt_call(&x, VL_TCB_SET_IPC_BUFFER, ARGS(0x2000), 1, x.frame, NULL, NULL),
             EXCEPTION_NONE);
    CHECK_EQ(x.t->ipc_buffer, 0x2000);
    CHECK_EQ(cap_type(tcb_slot(x.t, TCB_BUFFER)->cap), CAP_FRAME);
    INV();
    /* Address 0 clears the buffer, without a cap; an unsent extra cap is never used. */
    CHECK_EQ(tt_call(&x, VL_TCB_SET_IPC_BUFFER, ARGS(0), 0, x.frame, NULL, NULL), EXCEPTION_NONE);
    CHECK_EQ(x.t->ipc_buffer, 0);
    CHECK_EQ(cap_type(tcb_slot(x.t, TCB_BUFFER)->cap), CAP_NULL);
    INV();
}

KTEST(tcb_priorities)
{
    struct tt x = tt_setup();
    x.c.thread->mcp = 20;
    tt_snap(&x);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_PRIORITY, NULL, 0, 1, x.auth, NULL, NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_PRIORITY, ARGS(7), 0, NULL, NULL, NULL), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_PRIORITY, ARGS(21), 1, x.auth, NULL, NULL), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, 0);
    CHECK_EQ(current_syscall_error.range_max, 20);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_MC_PRIORITY, ARGS(21), 1, x.auth, NULL, NULL), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_max, 20);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_PRIORITY, ARGS(3), 1, x.ep, NULL, NULL),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(tt_call(&x, VL_TCB_SET_MC_PRIORITY, ARGS(3), 1, x.cnode, NULL, NULL),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(tt_call(&x, VL_TCB_SET_PRIORITY, ARGS(20), 1, x.auth, NULL, NULL), EXCEPTION_NONE);
    CHECK_EQ(x.t->priority, 20);
    CHECK_EQ(tt_call(&x, VL_TCB_SET_MC_PRIORITY, ARGS(0), 1, x.auth, NULL, NULL), EXCEPTION_NONE);
    CHECK_EQ(x.t->mcp, 0);
    CHECK_EQ(x.t->priority, 20);
    INV();
}

KTEST(tcb_registers)
{
    struct tt x = tt_setup();
    x.t->state = TS_RUNNING;
    sched_enqueue(x.t);
    for (word_t i = 0; i < 32; i++) {
        x.t->regs[i] = 100 + i;
    }
    tt_snap(&x);
    CHECK_ERR(tt_call(&x, VL_TCB_READ_REGISTERS, ARGS(0), 0, NULL, NULL, NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(tt_call(&x, VL_TCB_READ_REGISTERS, ARGS(0, 0), 0, NULL, NULL, NULL), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, 1);
    CHECK_EQ(current_syscall_error.range_max, 32);
    CHECK_ERR(tt_call(&x, VL_TCB_READ_REGISTERS, ARGS(1, 33), 0, NULL, NULL, NULL), VL_RANGE_ERROR);
    CHECK_ERR(tt_call(&x, VL_TCB_WRITE_REGISTERS, ARGS(0, 33), 0, NULL, NULL, NULL),
              VL_RANGE_ERROR);
    CHECK_ERR(tt_call(&x, VL_TCB_WRITE_REGISTERS, ARGS(0, 0), 0, NULL, NULL, NULL), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, 1);
    CHECK_EQ(current_syscall_error.range_max, 32);
    CHECK_ERR(tt_call(&x, VL_TCB_WRITE_REGISTERS, ARGS(0), 0, NULL, NULL, NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(tt_call(&x, VL_TCB_WRITE_REGISTERS, ARGS(0, 3, 1, 2), 0, NULL, NULL, NULL),
              VL_TRUNCATED_MESSAGE);
    /* Read 3 without suspending. */
    CHECK_EQ(tt_call(&x, VL_TCB_READ_REGISTERS, ARGS(0, 3), 0, NULL, NULL, NULL), EXCEPTION_NONE);
    CHECK_EQ(ipc_get_mr(x.c.thread, x.c.buf, 0), 100);
    CHECK_EQ(ipc_get_mr(x.c.thread, x.c.buf, 2), 102);
    CHECK_EQ(x.t->state, TS_RUNNING);
    /* Read all with suspend. */
    CHECK_EQ(tt_call(&x, VL_TCB_READ_REGISTERS, ARGS(1, 32), 0, NULL, NULL, NULL), EXCEPTION_NONE);
    CHECK_EQ(ipc_get_mr(x.c.thread, x.c.buf, 31), 131);
    CHECK_EQ(x.t->state, TS_INACTIVE);
    CHECK(!x.t->in_ready_queue);
    INV();
    /* Write 2 without resume, then with resume. */
    CHECK_EQ(tt_call(&x, VL_TCB_WRITE_REGISTERS, ARGS(0, 2, 0x5000, 7), 0, NULL, NULL, NULL),
             EXCEPTION_NONE);
    CHECK_EQ(x.t->regs[0], 0x5000);
    CHECK_EQ(x.t->regs[1], 7);
    CHECK_EQ(x.t->regs[2], 102);
    CHECK_EQ(x.t->fault_ip, 0x5000);
    CHECK_EQ(x.t->state, TS_INACTIVE);
    CHECK_EQ(tt_call(&x, VL_TCB_WRITE_REGISTERS, ARGS(1, 1, 0x6000), 0, NULL, NULL, NULL),
             EXCEPTION_NONE);
    CHECK_EQ(x.t->state, TS_RESTART);
    CHECK(x.t->in_ready_queue);
    INV();
    /* On the invoking thread itself: IllegalOperation. */
    struct kt_caller self = {x.t, kt_alloc(VL_IPC_BUFFER_BITS)};
    struct cte *none[1] = {NULL};
    /* kt_inv writes the message registers of self: snapshot after it. */
    struct invocation inv = kt_inv(&self, x.ts, VL_TCB_READ_REGISTERS, ARGS(0, 2), 0, none);
    tt_snap(&x);
    CHECK_ERR(decode_tcb_invocation(&inv), VL_ILLEGAL_OPERATION);
    inv = kt_inv(&self, x.ts, VL_TCB_WRITE_REGISTERS, ARGS(0, 1, 9), 0, none);
    tt_snap(&x);
    CHECK_ERR(decode_tcb_invocation(&inv), VL_ILLEGAL_OPERATION);
    INV();
}

KTEST(tcb_resume_suspend_and_bad_label)
{
    struct tt x = tt_setup();
    CHECK_EQ(tt_call(&x, VL_TCB_RESUME, NULL, 0, 0, NULL, NULL, NULL), EXCEPTION_NONE);
    CHECK_EQ(x.t->state, TS_RESTART);
    CHECK(x.t->in_ready_queue);
    INV();
    CHECK_EQ(tt_call(&x, VL_TCB_SUSPEND, NULL, 0, 0, NULL, NULL, NULL), EXCEPTION_NONE);
    CHECK_EQ(x.t->state, TS_INACTIVE);
    CHECK(!x.t->in_ready_queue);
    INV();
    tt_snap(&x);
    CHECK_ERR(tt_call(&x, VL_CNODE_COPY, NULL, 0, 0, NULL, NULL, NULL), VL_ILLEGAL_OPERATION);
}

KTEST(tcb_bind_unbind_notification)
{
    struct tt x = tt_setup();
    struct notification *n = kt_alloc(VL_NOTIFICATION_BITS);
    struct cte *nc = kt_insert(cap_notification(n, 0, VL_RIGHTS_ALL));
    struct cte *nw = kt_insert(cap_notification(n, 0, VL_RIGHT_WRITE));
    tt_snap(&x);
    kt_snap(n, sizeof(*n));
    CHECK_ERR(tt_call(&x, VL_TCB_UNBIND_NOTIFICATION, NULL, 0, 0, NULL, NULL, NULL),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(tt_call(&x, VL_TCB_BIND_NOTIFICATION, NULL, 0, 0, NULL, NULL, NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(tt_call(&x, VL_TCB_BIND_NOTIFICATION, NULL, 0, 1, x.ep, NULL, NULL),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(tt_call(&x, VL_TCB_BIND_NOTIFICATION, NULL, 0, 1, nw, NULL, NULL),
              VL_ILLEGAL_OPERATION);
    CHECK_EQ(tt_call(&x, VL_TCB_BIND_NOTIFICATION, NULL, 0, 1, nc, NULL, NULL), EXCEPTION_NONE);
    CHECK(x.t->bound_ntfn == n && n->bound_tcb == x.t);
    INV();
    /* Already bound; notification bound to another thread. */
    tt_snap(&x);
    kt_snap(n, sizeof(*n));
    CHECK_ERR(tt_call(&x, VL_TCB_BIND_NOTIFICATION, NULL, 0, 1, nc, NULL, NULL),
              VL_ILLEGAL_OPERATION);
    struct tcb *other = kt_thread(3, TS_INACTIVE);
    kt_insert(cap_tcb(tcb_slots(other)));
    struct cte *extra[1] = {nc};
    struct kt_caller cc = x.c;
    struct cte *os = kt_insert(cap_tcb(tcb_slots(other)));
    struct invocation inv = kt_inv(&cc, os, VL_TCB_BIND_NOTIFICATION, NULL, 0, 1, extra);
    CHECK_ERR(decode_tcb_invocation(&inv), VL_ILLEGAL_OPERATION);
    CHECK_EQ(tt_call(&x, VL_TCB_UNBIND_NOTIFICATION, NULL, 0, 0, NULL, NULL, NULL), EXCEPTION_NONE);
    CHECK(x.t->bound_ntfn == NULL && n->bound_tcb == NULL);
    INV();
}

/*
 * Issue 10, defect 2: a thread whose CSpace root holds the only cap to the thread itself
 * configures itself with a new root. Deleting the old root destroys the CNode, and with it
 * the TCB; the kernel used to go on and insert the new caps into the destroyed TCB's slots
 * (linking freed memory into the derivation tree). Configure and SetSpace alike.
 */
static void
configure_destroys_itself(word_t label)
{
    struct kt_caller c = kt_caller();
    struct tcb *t = kt_thread(5, TS_INACTIVE);
    cap_t old_root = kt_cnode(3, 0, 0);
    struct cte *cs = cap_ptr(old_root);
    kt_insert_at(old_root, tcb_slot(t, TCB_CTABLE)); /* the only cap to the old root */
    kt_insert_at(cap_tcb(tcb_slots(t)), &cs[1]);     /* the only cap to the thread */
    struct cte *new_root = kt_insert(kt_cnode(3, 0, 0));
    void *vroot = kt_alloc(VL_VSPACE_BITS);
    struct cte *vs = kt_vspace(vroot);
    INV();
    word_t before = kt_cdt_count();
    struct cte *extra[3] = {new_root, vs, NULL};
    struct invocation inv = kt_inv(&c, &cs[1], label, ARGS(7, 0, 0, 0), 2, extra);
    CHECK_EQ(decode_tcb_invocation(&inv), EXCEPTION_NONE);
    INV();
    /* The thread and its old root are gone; nothing was put into the dead thread. */
    for (word_t i = 0; i < TCB_NUM_SLOTS; i++) {
        CHECK_EQ(cap_type(tcb_slot(t, i)->cap), CAP_NULL);
        CHECK(tcb_slot(t, i)->mdb_prev == NULL && tcb_slot(t, i)->mdb_next == 0);
    }
    for (word_t i = 0; i < 8; i++) {
        CHECK_EQ(cap_type(cs[i].cap), CAP_NULL);
    }
    CHECK(t->fault_ep != 7);
    CHECK_EQ(kt_cdt_count(), before - 2);
    CHECK_EQ(cap_type(new_root->cap), CAP_CNODE);
    CHECK_EQ(cap_type(vs->cap), CAP_VSPACE);
}

KTEST(tcb_configure_destroys_itself)
{
    configure_destroys_itself(VL_TCB_CONFIGURE);
}

KTEST(tcb_set_space_destroys_itself)
{
    configure_destroys_itself(VL_TCB_SET_SPACE);
}
