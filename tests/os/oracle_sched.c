/*
 * Scheduler steps of the isolation oracle (see tests/os/oracle.h): three threads of the
 * root VSpace, low, high and server, in the shape of issue 10's defect (3): a
 * low-priority thread resumes a higher one, which Calls a still higher server through
 * the fast path. The kernel's ready queues must stay consistent whatever the priorities;
 * the oracle runs the invariant check after each step.
 */
#include "oracle.h"

static struct kthread *thr_low, *thr_high, *thr_server;
static vl_cptr_t s_ep, s_done, s_done_low, s_done_high, s_go, s_srv;
static vl_word_t s_seen;          /* done bits seen but not yet waited for */
static volatile int server_waits; /* set by the test for one step */

static void
sched_server(vl_word_t arg)
{
    (void)arg;
    vl_word_t mr[VL_MSG_REGS] = {0};
    vl_recv(s_ep);
    for (;;) {
        /* Blocking here makes the kernel choose another thread while the caller waits
         * for the reply: the caller must not be in a ready queue then. */
        if (server_waits) {
            vl_wait(s_srv);
        }
        vl_reply_recv(s_ep, vl_msginfo(0, 0, 0, 1), mr);
    }
}

static void
sched_high(vl_word_t arg)
{
    (void)arg;
    vl_word_t mr[VL_MSG_REGS] = {0};
    for (;;) {
        vl_call(s_ep, vl_msginfo(0, 0, 0, 1), mr);
        vl_signal(s_done_high);
        vl_tcb_suspend(thr_high->tcb);
    }
}

static void
sched_low(vl_word_t arg)
{
    (void)arg;
    for (;;) {
        vl_wait(s_go);
        vl_tcb_resume(thr_high->tcb);
        if (server_waits) {
            vl_signal(s_srv);
        }
        vl_signal(s_done_low);
    }
}

/* Waits until every bit of want has been signalled on s_done (other bits are kept). */
static void
sched_wait(vl_word_t want)
{
    while ((s_seen & want) != want) {
        s_seen |= vl_wait(s_done);
    }
    s_seen &= ~want;
}

int
oracle_sched_setup(void)
{
    s_ep = obj_new(VL_OBJ_ENDPOINT, 0);
    s_done = obj_new(VL_OBJ_NOTIFICATION, 0);
    s_go = obj_new(VL_OBJ_NOTIFICATION, 0);
    s_srv = obj_new(VL_OBJ_NOTIFICATION, 0);
    s_done_low = slot_alloc();
    s_done_high = slot_alloc();
    s_seen = 0;
    server_waits = 0;
    if (s_ep == 0 || s_done == 0 || s_go == 0 || s_srv == 0 || s_done_low == 0 ||
        s_done_high == 0 ||
        vl_cnode_mint(ROOT, s_done_low, 64, ROOT, s_done, 64, VL_RIGHT_WRITE, 1) != 0 ||
        vl_cnode_mint(ROOT, s_done_high, 64, ROOT, s_done, 64, VL_RIGHT_WRITE, 2) != 0) {
        return -1;
    }
    thr_server = thread_new(sched_server, 0, 200, 0);
    thr_low = thread_new(sched_low, 0, 10, 0);
    thr_high = thread_create(sched_high, 0, 100, 0, ROOT, 0);
    if (thr_server == NULL || thr_low == NULL || thr_high == NULL) {
        return -1;
    }
    /* High starts inactive, with registers, for low to resume. */
    vl_word_t regs[VL_NUM_REGISTERS];
    thread_regs(thr_high, regs);
    if (vl_tcb_write_registers(thr_high->tcb, 0, VL_NUM_REGISTERS, regs) != 0) {
        return -1;
    }
    return settle();
}

/* The variant's calls; returns the first error code. */
static int
sched_variant(unsigned variant)
{
    int err = 0;
    switch (variant) {
    case 0:
        vl_signal(s_go);
        sched_wait(3);
        return 0;
    case 1:
        err = vl_tcb_resume(thr_high->tcb);
        if (err == 0) {
            sched_wait(2);
        }
        return err;
    case 2:
        err = vl_tcb_suspend(thr_server->tcb);
        if (err != 0) {
            return err;
        }
        vl_signal(s_go);
        sched_wait(1);
        err = thread_start(thr_server);
        if (err == 0) {
            sched_wait(2);
        }
        return err;
    case 3:
        err = vl_tcb_suspend(thr_low->tcb);
        if (err == 0) {
            err = thread_start(thr_low);
        }
        if (err == 0) {
            vl_signal(s_go);
            sched_wait(3);
        }
        return err;
    default:
        return -1;
    }
}

int
oracle_sched_step(const unsigned prio[3], unsigned variant, int waits)
{
    int err = vl_tcb_set_priority(thr_low->tcb, VL_CAP_INIT_TCB, prio[0]);
    if (err == 0) {
        err = vl_tcb_set_priority(thr_high->tcb, VL_CAP_INIT_TCB, prio[1]);
    }
    if (err == 0) {
        err = vl_tcb_set_priority(thr_server->tcb, VL_CAP_INIT_TCB, prio[2]);
    }
    if (err != 0) {
        return err;
    }
    server_waits = waits;
    err = sched_variant(variant);
    server_waits = 0;
    /* High suspends itself after signalling: let it get there. */
    if (err == 0 && settle() != 0) {
        return -1;
    }
    return err;
}
