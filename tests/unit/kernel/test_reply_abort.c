/*
 * Reply abort: every way a reply cap can disappear without a reply wakes the thread that
 * waits on it (ipc_reply_abort). A Call returns VL_REPLY_ABORTED; a thread waiting for
 * its fault handler's reply is left inactive.
 */
#include "ktest.h"

#include <vallum/errors.h>

struct ra_env {
    struct endpoint *ep;
    cap_t epc;
    struct tcb *caller, *server, *other;
    struct cte *server_cap; /* the only cap to the server's TCB */
};

static struct ra_env
ra_env(void)
{
    struct ra_env e;
    e.ep = kt_alloc(VL_ENDPOINT_BITS);
    e.epc = cap_endpoint(e.ep, 0, VL_RIGHTS_ALL);
    kt_insert(e.epc);
    e.caller = kt_thread(10, TS_RUNNING);
    e.server = kt_thread(20, TS_RUNNING);
    e.other = kt_thread(30, TS_RUNNING);
    kt_insert(cap_tcb(tcb_slots(e.caller)));
    e.server_cap = kt_insert(cap_tcb(tcb_slots(e.server)));
    kt_insert(cap_tcb(tcb_slots(e.other)));
    return e;
}

/* caller Calls the server, which waits on the endpoint: a reply cap lands in its caller
 * slot. Returns false if the call did not get there. */
static bool
ra_call(struct ra_env *e)
{
    ep_receive_ipc(e->server, e->epc, true);
    e->caller->regs[REG_MSGINFO] = vl_msginfo(5, 0, 0, 0);
    ep_send_ipc(true, true, 3, true, false, e->caller, e->ep);
    return e->caller->state == TS_BLOCKED_ON_REPLY && e->server->state == TS_RUNNING &&
           cap_type(tcb_slot(e->server, TCB_CALLER)->cap) == CAP_REPLY &&
           e->caller->reply_slot == tcb_slot(e->server, TCB_CALLER);
}

/* The caller's Call returned with VL_REPLY_ABORTED and it is ready to run. */
#define CHECK_ABORTED(e)                                                                           \
    do {                                                                                           \
        CHECK_EQ((e)->caller->state, TS_RUNNING);                                                  \
        CHECK((e)->caller->in_ready_queue);                                                        \
        CHECK_EQ(vl_msginfo_label((e)->caller->regs[REG_MSGINFO]), VL_REPLY_ABORTED);              \
        CHECK_EQ(vl_msginfo_length((e)->caller->regs[REG_MSGINFO]), 0);                            \
        CHECK_EQ((e)->caller->regs[REG_BADGE], 0);                                                 \
        CHECK((e)->caller->reply_slot == NULL);                                                    \
        INV();                                                                                     \
    } while (0)

KTEST(reply_abort_recv_without_reply)
{
    struct ra_env e = ra_env();
    CHECK(ra_call(&e));
    INV();
    /* The server Recvs again without replying (handle_recv deletes its caller cap). */
    ipc_delete_caller_cap(e.server);
    CHECK_EQ(cap_type(tcb_slot(e.server, TCB_CALLER)->cap), CAP_NULL);
    CHECK_ABORTED(&e);
}

KTEST(reply_abort_delete_saved_reply_cap)
{
    struct ra_env e = ra_env();
    CHECK(ra_call(&e));
    /* CNode_SaveCaller moves the reply cap into a CNode slot; CNode_Delete deletes it. */
    struct cte *saved = kt_slot();
    struct cte *caller_slot = tcb_slot(e.server, TCB_CALLER);
    cte_move(caller_slot->cap, caller_slot, saved);
    CHECK(e.caller->reply_slot == saved);
    INV();
    CHECK_EQ(cte_delete(saved), EXCEPTION_NONE);
    CHECK_EQ(cap_type(saved->cap), CAP_NULL);
    CHECK_ABORTED(&e);
}

KTEST(reply_abort_delete_cnode_holding_reply_cap)
{
    struct ra_env e = ra_env();
    CHECK(ra_call(&e));
    /* Saved in a CNode whose last cap is then deleted: the zombie walk empties it. */
    cap_t cn = kt_cnode(2, 0, 0);
    struct cte *cn_slot = kt_insert(cn);
    struct cte *saved = &((struct cte *)cap_ptr(cn))[1];
    struct cte *caller_slot = tcb_slot(e.server, TCB_CALLER);
    cte_move(caller_slot->cap, caller_slot, saved);
    INV();
    CHECK_EQ(cte_delete(cn_slot), EXCEPTION_NONE);
    CHECK_ABORTED(&e);
}

KTEST(reply_abort_server_suspended)
{
    struct ra_env e = ra_env();
    CHECK(ra_call(&e));
    thread_suspend(e.server);
    CHECK_EQ(e.server->state, TS_INACTIVE);
    CHECK_EQ(cap_type(tcb_slot(e.server, TCB_CALLER)->cap), CAP_NULL);
    CHECK_ABORTED(&e);
}

KTEST(reply_abort_server_restarted)
{
    struct ra_env e = ra_env();
    CHECK(ra_call(&e));
    /* The server, holding the caller's reply cap, Calls another server and is restarted
     * (TCB_Resume) while it waits for that reply. */
    ep_receive_ipc(e.other, e.epc, true);
    e.server->regs[REG_MSGINFO] = vl_msginfo(6, 0, 0, 0);
    ep_send_ipc(true, true, 4, true, false, e.server, e.ep);
    CHECK_EQ(e.server->state, TS_BLOCKED_ON_REPLY);
    INV();
    thread_restart(e.server);
    CHECK_EQ(e.server->state, TS_RESTART);
    CHECK_EQ(cap_type(tcb_slot(e.other, TCB_CALLER)->cap), CAP_NULL);
    CHECK_EQ(cap_type(tcb_slot(e.server, TCB_CALLER)->cap), CAP_NULL);
    CHECK_ABORTED(&e);
}

KTEST(reply_abort_server_destroyed)
{
    struct ra_env e = ra_env();
    CHECK(ra_call(&e));
    /* Deleting the last cap to the server's TCB destroys it (tcb_finalise). */
    CHECK_EQ(cte_delete(e.server_cap), EXCEPTION_NONE);
    CHECK_EQ(cap_type(e.server_cap->cap), CAP_NULL);
    CHECK_ABORTED(&e);
}

KTEST(reply_abort_fault_waiter_stays_inactive)
{
    struct ra_env e = ra_env();
    /* The caller faults; the server is its handler and receives the fault message. */
    ep_receive_ipc(e.server, e.epc, true);
    e.caller->fault.type = FAULT_USER_EXCEPTION;
    e.caller->fault_ip = 0x1234;
    ep_send_ipc(true, true, 0, true, false, e.caller, e.ep);
    CHECK_EQ(e.caller->state, TS_BLOCKED_ON_REPLY);
    CHECK_EQ(vl_msginfo_label(e.server->regs[REG_MSGINFO]), FAULT_USER_EXCEPTION);
    INV();
    word_t info = e.caller->regs[REG_MSGINFO];
    ipc_delete_caller_cap(e.server);
    CHECK_EQ(e.caller->state, TS_INACTIVE);
    CHECK(!e.caller->in_ready_queue);
    CHECK_EQ(e.caller->fault.type, FAULT_NONE);
    CHECK_EQ(e.caller->regs[REG_MSGINFO], info); /* no error written into its registers */
    CHECK(e.caller->reply_slot == NULL);
    INV();
    /* Resume restarts it at the faulting instruction. */
    thread_restart(e.caller);
    CHECK_EQ(e.caller->state, TS_RESTART);
    CHECK_EQ(e.caller->fault_ip, 0x1234);
    INV();
}

KTEST(reply_abort_reply_still_works)
{
    struct ra_env e = ra_env();
    CHECK(ra_call(&e));
    /* A reply consumes the cap: nothing is aborted, and a later Recv finds no cap. */
    e.server->regs[REG_MSGINFO] = vl_msginfo(9, 0, 0, 0);
    ipc_do_reply_transfer(e.server, e.caller, tcb_slot(e.server, TCB_CALLER), false);
    CHECK_EQ(e.caller->state, TS_RUNNING);
    CHECK_EQ(vl_msginfo_label(e.caller->regs[REG_MSGINFO]), 9);
    ipc_delete_caller_cap(e.server);
    CHECK_EQ(vl_msginfo_label(e.caller->regs[REG_MSGINFO]), 9);
    INV();
}
