/*
 * Send and NBSend on a capability without the Write right: a blocking Send is a
 * capability fault (here, with no fault handler, the thread is suspended); NBSend does
 * nothing at all. Both for endpoints and notifications (a survivor of mutation sample 3:
 * the notification case's "blocking" test inverted went unnoticed).
 */
#include "ktest.h"

#include <vallum/syscall.h>

#define SR_RADIX 3

static struct tcb *
sr_thread(cap_t cap)
{
    struct tcb *t = kt_thread(10, TS_RUNNING);
    kt_insert(cap_tcb(tcb_slots(t)));
    cap_t cn = kt_cnode(SR_RADIX, VL_WORD_BITS - SR_RADIX, 0);
    kt_insert_at(cn, tcb_slot(t, TCB_CTABLE));
    kt_insert_at(cap, &((struct cte *)cap_ptr(cn))[1]);
    ks_cur_thread = t;
    return t;
}

static void
check_send_without_write(cap_t cap)
{
    struct tcb *t = sr_thread(cap);
    t->regs[REG_CAP] = 1;
    t->regs[REG_MSGINFO] = vl_msginfo(0, 0, 0, 0);
    syscall_handle(VL_SYS_NB_SEND);
    CHECK_EQ(t->state, TS_RUNNING);
    CHECK_EQ(t->fault.type, FAULT_NONE);
    INV();
    syscall_handle(VL_SYS_SEND);
    CHECK_EQ(t->state, TS_INACTIVE); /* faulted, no handler: suspended */
    ks_cur_thread = ks_idle_thread;
    INV();
}

KTEST(send_notification_without_write)
{
    struct notification *n = kt_alloc(VL_NOTIFICATION_BITS);
    check_send_without_write(cap_notification(n, 1, VL_RIGHT_READ));
    CHECK_EQ(n->state, NTFN_IDLE);
    CHECK_EQ(n->pending, 0);
}

KTEST(send_endpoint_without_write)
{
    struct endpoint *ep = kt_alloc(VL_ENDPOINT_BITS);
    check_send_without_write(cap_endpoint(ep, 1, VL_RIGHT_READ | VL_RIGHT_GRANT));
    CHECK_EQ(ep->state, EP_IDLE);
}
