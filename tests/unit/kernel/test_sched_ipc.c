/*
 * The scheduler and the endpoint/notification state machines.
 */
#include "ktest.h"

#include "config.h"

#define SCHED_OK()                                                                                 \
    do {                                                                                           \
        CHECK(sched_check() == NULL);                                                              \
        INV();                                                                                     \
    } while (0)

KTEST(sched_priorities_and_queues)
{
    static struct tcb *t[VL_NUM_PRIORITIES];
    CHECK_EQ(sched_highest_priority(), -1);
    for (int p = 0; p < VL_NUM_PRIORITIES; p++) {
        t[p] = kt_thread(p, TS_RUNNING);
        sched_enqueue(t[p]);
        CHECK_EQ(sched_highest_priority(), p);
    }
    SCHED_OK();
    sched_enqueue(t[7]); /* already queued: no change */
    SCHED_OK();
    for (int p = VL_NUM_PRIORITIES - 1; p >= 0; p--) {
        CHECK_EQ(sched_highest_priority(), p);
        sched_dequeue(t[p]);
        SCHED_OK();
    }
    CHECK_EQ(sched_highest_priority(), -1);
    /* Head vs tail within one priority. */
    struct tcb *a = kt_thread(50, TS_RUNNING), *b = kt_thread(50, TS_RUNNING);
    struct tcb *c = kt_thread(50, TS_RUNNING);
    sched_append(a);
    sched_append(b);
    sched_enqueue(c);
    SCHED_OK();
    ks_sched_action = SCHED_CHOOSE_NEW;
    sched_schedule();
    CHECK(ks_cur_thread == c);
    SCHED_OK();
    thread_set_state(c, TS_INACTIVE); /* current blocks: choose again */
    sched_schedule();
    CHECK(ks_cur_thread == a);
    thread_set_state(a, TS_INACTIVE);
    sched_schedule();
    CHECK(ks_cur_thread == b);
    thread_set_state(b, TS_INACTIVE);
    sched_schedule();
    CHECK(ks_cur_thread == ks_idle_thread);
    SCHED_OK();
}

KTEST(sched_possible_switch_to)
{
    struct tcb *cur = kt_thread(10, TS_RUNNING);
    ks_cur_thread = cur;
    struct tcb *hi = kt_thread(20, TS_RUNNING), *lo = kt_thread(5, TS_RUNNING);
    struct tcb *eq = kt_thread(10, TS_RUNNING);
    sched_possible_switch_to(hi);
    CHECK(ks_sched_action == hi);
    sched_schedule();
    CHECK(ks_cur_thread == hi);
    CHECK(cur->in_ready_queue);
    SCHED_OK();
    /* A lower-priority candidate does not preempt. */
    sched_possible_switch_to(lo);
    sched_schedule();
    CHECK(ks_cur_thread == hi);
    CHECK(lo->in_ready_queue);
    SCHED_OK();
    /* An equal-priority candidate queues behind the current thread. */
    sched_dequeue(cur);
    ks_cur_thread = cur;
    sched_possible_switch_to(eq);
    sched_schedule();
    CHECK(ks_cur_thread == cur); /* ties go to the thread already running */
    CHECK(eq->in_ready_queue);
    SCHED_OK();
    /* With an action pending, another candidate forces a choice. */
    sched_dequeue(hi);
    ks_cur_thread = hi;
    struct tcb *x = kt_thread(30, TS_RUNNING), *y = kt_thread(40, TS_RUNNING);
    sched_possible_switch_to(x);
    sched_possible_switch_to(y);
    CHECK(ks_sched_action == SCHED_CHOOSE_NEW);
    CHECK(x->in_ready_queue && y->in_ready_queue);
    sched_schedule();
    CHECK(ks_cur_thread == y);
    SCHED_OK();
}

KTEST(sched_timeslice_round_robin)
{
    struct tcb *a = kt_thread(7, TS_RUNNING), *b = kt_thread(7, TS_RUNNING);
    struct tcb *c = kt_thread(7, TS_RUNNING);
    ks_cur_thread = a;
    sched_append(b);
    sched_append(c);
    struct tcb *order[] = {b, c, a, b};
    for (int turn = 0; turn < 4; turn++) {
        struct tcb *cur = ks_cur_thread;
        for (int tick = 1; tick < CONFIG_TIMESLICE_TICKS; tick++) {
            sched_timer_tick();
            sched_schedule();
            CHECK(ks_cur_thread == cur);
            SCHED_OK();
        }
        sched_timer_tick();
        sched_schedule();
        CHECK(ks_cur_thread == order[turn]);
        CHECK_EQ(cur->time_slice, CONFIG_TIMESLICE_TICKS);
        SCHED_OK();
    }
}

struct ipc_env {
    struct endpoint *ep;
    cap_t epc;
    struct tcb *t[4];
};

static struct ipc_env
ipc_env(void)
{
    struct ipc_env e;
    e.ep = kt_alloc(VL_ENDPOINT_BITS);
    e.epc = cap_endpoint(e.ep, 0, VL_RIGHTS_ALL);
    kt_insert(e.epc);
    for (int i = 0; i < 4; i++) {
        void *obj = kt_alloc(VL_TCB_BITS);
        e.t[i] = tcb_from_obj(obj);
        thread_init(e.t[i]);
        e.t[i]->state = TS_RUNNING;
        kt_insert(cap_tcb(obj));
    }
    return e;
}

KTEST(ipc_receivers_fifo_and_badges)
{
    struct ipc_env e = ipc_env();
    struct tcb *r1 = e.t[0], *r2 = e.t[1], *s = e.t[2];
    ep_receive_ipc(r1, e.epc, true);
    ep_receive_ipc(r2, e.epc, true);
    INV();
    CHECK_EQ(e.ep->state, EP_RECV);
    CHECK(e.ep->head == r1 && e.ep->tail == r2);
    s->regs[REG_MSGINFO] = vl_msginfo(33, 0, 0, 2);
    s->regs[REG_MR0] = 0xaa;
    s->regs[REG_MR0 + 1] = 0xbb;
    ep_send_ipc(true, false, 7, false, false, s, e.ep);
    INV();
    CHECK_EQ(r1->state, TS_RUNNING);
    CHECK_EQ(r1->regs[REG_BADGE], 7);
    CHECK_EQ(r1->regs[REG_MR0], 0xaa);
    CHECK_EQ(r1->regs[REG_MR0 + 1], 0xbb);
    CHECK_EQ(vl_msginfo_label(r1->regs[REG_MSGINFO]), 33);
    CHECK_EQ(vl_msginfo_length(r1->regs[REG_MSGINFO]), 2);
    CHECK_EQ(s->state, TS_RUNNING);
    ep_send_ipc(true, false, 9, false, false, s, e.ep);
    INV();
    CHECK_EQ(r2->regs[REG_BADGE], 9);
    CHECK_EQ(e.ep->state, EP_IDLE);
    /* A non-blocking send with nobody waiting is dropped. */
    ep_send_ipc(false, false, 1, false, false, s, e.ep);
    CHECK_EQ(e.ep->state, EP_IDLE);
    CHECK_EQ(s->state, TS_RUNNING);
    INV();
}

KTEST(ipc_senders_fifo_call_reply_cancel)
{
    struct ipc_env e = ipc_env();
    struct tcb *s1 = e.t[0], *s2 = e.t[1], *r = e.t[2], *s3 = e.t[3];
    ep_send_ipc(true, false, 1, false, false, s1, e.ep);
    ep_send_ipc(true, true, 2, true, false, s2, e.ep);
    INV();
    CHECK_EQ(e.ep->state, EP_SEND);
    ep_receive_ipc(r, e.epc, true);
    CHECK_EQ(r->regs[REG_BADGE], 1);
    CHECK_EQ(s1->state, TS_RUNNING);
    INV();
    ep_receive_ipc(r, e.epc, true);
    CHECK_EQ(r->regs[REG_BADGE], 2);
    CHECK_EQ(s2->state, TS_BLOCKED_ON_REPLY);
    CHECK_EQ(cap_type(tcb_slot(r, TCB_CALLER)->cap), CAP_REPLY);
    CHECK(s2->reply_slot == tcb_slot(r, TCB_CALLER));
    INV();
    r->regs[REG_MSGINFO] = vl_msginfo(0, 0, 0, 1);
    r->regs[REG_MR0] = 0x55;
    ipc_do_reply_transfer(r, s2, tcb_slot(r, TCB_CALLER), false);
    CHECK_EQ(s2->state, TS_RUNNING);
    CHECK_EQ(s2->regs[REG_MR0], 0x55);
    CHECK_EQ(cap_type(tcb_slot(r, TCB_CALLER)->cap), CAP_NULL);
    CHECK(s2->reply_slot == NULL);
    INV();
    /* Cancel all: every queued sender restarts. */
    ep_send_ipc(true, false, 1, false, false, s1, e.ep);
    ep_send_ipc(true, false, 2, false, false, s2, e.ep);
    ep_send_ipc(true, false, 1, false, false, s3, e.ep);
    ep_cancel_badged_sends(e.ep, 1);
    INV();
    CHECK(e.ep->head == s2 && e.ep->tail == s2);
    CHECK_EQ(s1->state, TS_RESTART);
    CHECK_EQ(s3->state, TS_RESTART);
    ep_cancel_all(e.ep);
    INV();
    CHECK_EQ(e.ep->state, EP_IDLE);
    CHECK_EQ(s2->state, TS_RESTART);
    CHECK(s2->in_ready_queue);
    CHECK(ks_sched_action == SCHED_CHOOSE_NEW);
}

KTEST(ntfn_signal_wait_bound)
{
    struct ipc_env e = ipc_env();
    struct notification *n = kt_alloc(VL_NOTIFICATION_BITS);
    cap_t nc = cap_notification(n, 0, VL_RIGHTS_ALL);
    kt_insert(nc);
    struct tcb *w1 = e.t[0], *w2 = e.t[1], *b = e.t[2];
    ntfn_send_signal(n, 1);
    ntfn_send_signal(n, 4);
    INV();
    CHECK_EQ(n->state, NTFN_ACTIVE);
    ntfn_receive_signal(w1, nc, true);
    CHECK_EQ(w1->regs[REG_BADGE], 5);
    CHECK_EQ(n->state, NTFN_IDLE);
    ntfn_receive_signal(w1, nc, false);
    CHECK_EQ(w1->regs[REG_BADGE], 0);
    ntfn_receive_signal(w1, nc, true);
    ntfn_receive_signal(w2, nc, true);
    INV();
    CHECK(n->head == w1 && n->tail == w2);
    ntfn_send_signal(n, 8);
    CHECK_EQ(w1->state, TS_RUNNING);
    CHECK_EQ(w1->regs[REG_BADGE], 8);
    ntfn_send_signal(n, 16);
    CHECK_EQ(w2->regs[REG_BADGE], 16);
    CHECK_EQ(n->state, NTFN_IDLE);
    INV();
    /* Bound: a signal wakes the thread waiting on an endpoint. */
    ntfn_bind(b, n);
    ep_receive_ipc(b, e.epc, true);
    CHECK_EQ(b->state, TS_BLOCKED_ON_RECV);
    ntfn_send_signal(n, 3);
    INV();
    CHECK_EQ(b->state, TS_RUNNING);
    CHECK_EQ(b->regs[REG_BADGE], 3);
    CHECK_EQ(e.ep->state, EP_IDLE);
    /* Pending signal completes the receive at once. */
    ntfn_send_signal(n, 2);
    ep_receive_ipc(b, e.epc, true);
    CHECK_EQ(b->state, TS_RUNNING);
    CHECK_EQ(b->regs[REG_BADGE], 2);
    /* Cancel all waiters. */
    ntfn_receive_signal(w1, nc, true);
    ntfn_cancel_all(n);
    CHECK_EQ(w1->state, TS_RESTART);
    INV();
}
