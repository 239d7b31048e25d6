/*
 * Notifications: signal, wait, poll, badge OR-ing, a bound notification delivered to a
 * thread waiting on an endpoint.
 */
#include "ktest.h"

static volatile vl_word_t seen[4];

static void
waiter(vl_word_t ntfn)
{
    seen[0] = vl_wait(ntfn);
    seen[1] = 1;
}

static void
test_ntfn_signal_wait_poll(void)
{
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t b1 = slot_alloc(), b2 = slot_alloc(), b4 = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, b1, 64, ROOT, n, 64, VL_RIGHTS_ALL, 1), 0);
    CHECK_EQ(vl_cnode_mint(ROOT, b2, 64, ROOT, n, 64, VL_RIGHTS_ALL, 2), 0);
    CHECK_EQ(vl_cnode_mint(ROOT, b4, 64, ROOT, n, 64, VL_RIGHT_WRITE, 4), 0);
    CHECK_EQ(vl_poll(n), 0);
    vl_signal(b1);
    vl_signal(b4);
    vl_signal(b1);
    CHECK_EQ(vl_poll(n), 5);
    CHECK_EQ(vl_poll(n), 0);
    vl_signal(b2);
    CHECK_EQ(vl_wait(n), 2);
    /* A waiting thread is woken with the badge. */
    seen[1] = 0;
    CHECK(thread_new(waiter, n, 100, 0) != NULL);
    SETTLE();
    CHECK_EQ(seen[1], 0);
    vl_signal(b4);
    SETTLE();
    CHECK_EQ(seen[1], 1);
    CHECK_EQ(seen[0], 4);
    /* A write-only cap cannot be waited on: the waiter takes a cap fault (no handler). */
    seen[1] = 0;
    CHECK(thread_new(waiter, b4, 100, 0) != NULL);
    SETTLE();
    CHECK_EQ(seen[1], 0);
    CHECK_EQ(vl_debug_check(), 0);
}

/* Receives on the endpoint (arg) while a notification is bound. */
static void
ep_waiter(vl_word_t ep)
{
    struct vl_msg m = vl_recv(ep);
    seen[2] = m.badge;
    seen[3] = 1;
}

static void
test_ntfn_bound(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t b = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, b, 64, ROOT, n, 64, VL_RIGHTS_ALL, 0x30), 0);
    seen[3] = 0;
    struct kthread *t = thread_new(ep_waiter, ep, 100, 0);
    CHECK(t != NULL);
    SETTLE();
    /* Binding while it waits on the endpoint, then signalling, wakes it. */
    CHECK_EQ(vl_tcb_bind_notification(t->tcb, n), 0);
    CHECK_EQ(seen[3], 0);
    vl_signal(b);
    SETTLE();
    CHECK_EQ(seen[3], 1);
    CHECK_EQ(seen[2], 0x30);
    CHECK_EQ(vl_debug_check(), 0);
    /* A bound notification cannot be bound again until unbound. */
    CHECK_ERR(vl_tcb_bind_notification(VL_CAP_INIT_TCB, n), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_tcb_unbind_notification(t->tcb), 0);
    /* The root task itself: a pending signal is returned by Recv on an endpoint. */
    CHECK_EQ(vl_tcb_bind_notification(VL_CAP_INIT_TCB, n), 0);
    vl_signal(b);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(m.badge, 0x30);
    /* Nobody else may wait on a bound notification. */
    seen[1] = 0;
    CHECK(thread_new(waiter, n, 100, 0) != NULL);
    SETTLE();
    CHECK_EQ(seen[1], 0);
    CHECK_EQ(vl_tcb_unbind_notification(VL_CAP_INIT_TCB), 0);
}

void
ntfn_tests(void)
{
    RUN(test_ntfn_signal_wait_poll);
    RUN(test_ntfn_bound);
}
