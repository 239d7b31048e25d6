/*
 * Fault messages word by word: every word of each kind of fault message, with and without
 * an IPC buffer, and the handler's reply applied to the faulted thread (found by
 * `make mutate`: the in-QEMU tests check only some words).
 */
#include "ktest.h"

#include <vallum/fault.h>

#include "api/faults.h"

/* A receiver with an IPC buffer (writable), so that long messages are delivered whole. */
static struct tcb *
receiver_with_buffer(struct vl_ipc_buffer **buf)
{
    struct tcb *r = kt_thread(10, TS_RUNNING);
    kt_insert(cap_tcb(tcb_slots(r)));
    void *frame = kt_alloc(12);
    kt_insert_at(cap_frame(frame, FRAME_4K, false, VL_RIGHTS_ALL), tcb_slot(r, TCB_BUFFER));
    r->ipc_buffer = 0x10000;
    *buf = frame;
    return r;
}

/* A sender whose registers and fault words are all distinct. */
static struct tcb *
faulted_sender(word_t type)
{
    struct tcb *s = kt_thread(10, TS_RUNNING);
    for (word_t i = 0; i < ARRAY_SIZE(s->regs); i++) {
        s->regs[i] = 0x1000 + i;
    }
    s->fault_ip = 0x8000;
    s->fault.type = type;
    for (word_t i = 0; i < 4; i++) {
        s->fault.w[i] = 0x100 * (i + 1) + i;
    }
    return s;
}

/* Message register i of r after a transfer. */
static word_t
mr(struct tcb *r, struct vl_ipc_buffer *buf, word_t i)
{
    return ipc_get_mr(r, buf, i);
}

static void
check_info(struct tcb *r, word_t label, word_t length)
{
    CHECK_EQ(vl_msginfo_label(r->regs[REG_MSGINFO]), label);
    CHECK_EQ(vl_msginfo_length(r->regs[REG_MSGINFO]), length);
    CHECK_EQ(vl_msginfo_extra_caps(r->regs[REG_MSGINFO]), 0);
    CHECK_EQ(r->regs[REG_BADGE], 0x77);
}

KTEST(fault_message_cap)
{
    struct vl_ipc_buffer *buf;
    struct tcb *r = receiver_with_buffer(&buf);
    struct tcb *s = faulted_sender(FAULT_CAP);
    s->fault.w[2] = 0x5 | (0x2a << 8);           /* lookup failure type, bits left */
    s->fault.w[3] = 0x33 | ((word_t)0x1b << 58); /* bits found, guard size */
    fault_transfer(s, r, 0x77);
    check_info(r, VL_FAULT_CAP, VL_FAULT_CAP_LENGTH);
    CHECK_EQ(mr(r, buf, 0), 0x8000);
    CHECK_EQ(mr(r, buf, 1), s->fault.w[0]);
    CHECK_EQ(mr(r, buf, 2), s->fault.w[1]);
    CHECK_EQ(mr(r, buf, 3), 0x5);
    CHECK_EQ(mr(r, buf, 4), 0x2a);
    CHECK_EQ(mr(r, buf, 5), 0x33);
    CHECK_EQ(mr(r, buf, 6), 0x1b);
}

KTEST(fault_message_unknown_syscall)
{
    struct vl_ipc_buffer *buf;
    struct tcb *r = receiver_with_buffer(&buf);
    struct tcb *s = faulted_sender(FAULT_UNKNOWN_SYSCALL);
    fault_transfer(s, r, 0x77);
    check_info(r, VL_FAULT_UNKNOWN_SYSCALL, VL_FAULT_UNKNOWN_SYSCALL_LENGTH);
    CHECK_EQ(mr(r, buf, 0), 0x8000);
    CHECK_EQ(mr(r, buf, 1), s->regs[REG_SP]);
    CHECK_EQ(mr(r, buf, 2), s->regs[1]); /* ra */
    for (word_t i = 0; i < 8; i++) {
        CHECK_EQ(mr(r, buf, 3 + i), s->regs[10 + i]); /* a0..a7 */
    }
    CHECK_EQ(mr(r, buf, 11), s->fault.w[0]);
}

KTEST(fault_message_user_exception)
{
    struct vl_ipc_buffer *buf;
    struct tcb *r = receiver_with_buffer(&buf);
    struct tcb *s = faulted_sender(FAULT_USER_EXCEPTION);
    fault_transfer(s, r, 0x77);
    check_info(r, VL_FAULT_USER_EXCEPTION, VL_FAULT_USER_EXCEPTION_LENGTH);
    CHECK_EQ(mr(r, buf, 0), 0x8000);
    CHECK_EQ(mr(r, buf, 1), s->regs[REG_SP]);
    CHECK_EQ(mr(r, buf, 2), s->fault.w[0]);
    CHECK_EQ(mr(r, buf, 3), s->fault.w[1]);
}

KTEST(fault_message_vm)
{
    struct vl_ipc_buffer *buf;
    struct tcb *r = receiver_with_buffer(&buf);
    struct tcb *s = faulted_sender(FAULT_VM);
    fault_transfer(s, r, 0x77);
    check_info(r, VL_FAULT_VM, VL_FAULT_VM_LENGTH);
    CHECK_EQ(mr(r, buf, 0), 0x8000);
    CHECK_EQ(mr(r, buf, 1), s->fault.w[0]);
    CHECK_EQ(mr(r, buf, 2), s->fault.w[1]);
    CHECK_EQ(mr(r, buf, 3), s->fault.w[2]);
}

/* Without an IPC buffer the message is cut to the message registers, and says so. */
KTEST(fault_message_without_buffer)
{
    struct tcb *r = kt_thread(10, TS_RUNNING);
    struct tcb *s = faulted_sender(FAULT_UNKNOWN_SYSCALL);
    fault_transfer(s, r, 0x77);
    check_info(r, VL_FAULT_UNKNOWN_SYSCALL, VL_MSG_REGS);
    CHECK_EQ(mr(r, NULL, 0), 0x8000);
    CHECK_EQ(mr(r, NULL, 3), s->regs[10]);
}

/* The reply to an unknown-syscall fault sets pc, sp, ra and a0..a7 when it is long enough. */
KTEST(fault_reply_unknown_syscall)
{
    struct vl_ipc_buffer *buf;
    struct tcb *h = receiver_with_buffer(&buf);
    struct tcb *f = faulted_sender(FAULT_UNKNOWN_SYSCALL);
    for (word_t i = 0; i < 11; i++) {
        ipc_set_mr(h, buf, i, 0x9000 + i);
    }
    h->regs[REG_MSGINFO] = vl_msginfo(0, 0, 0, 10); /* one word short: nothing applied */
    CHECK(fault_handle_reply(f, h));
    CHECK_EQ(f->fault_ip, 0x8000);
    CHECK_EQ(f->regs[REG_SP], 0x1000 + REG_SP);
    CHECK_EQ(f->regs[17], 0x1000 + 17);
    h->regs[REG_MSGINFO] = vl_msginfo(0, 0, 0, 11);
    CHECK(fault_handle_reply(f, h));
    CHECK_EQ(f->fault_ip, 0x9000);
    CHECK_EQ(f->regs[REG_SP], 0x9001);
    CHECK_EQ(f->regs[1], 0x9002);
    for (word_t i = 0; i < 8; i++) {
        CHECK_EQ(f->regs[10 + i], 0x9003 + i);
    }
    /* A non-zero label: the faulted thread is not resumed. */
    h->regs[REG_MSGINFO] = vl_msginfo(1, 0, 0, 11);
    CHECK(!fault_handle_reply(f, h));
}

/* The reply to a user exception sets pc and sp when it has at least two words. */
KTEST(fault_reply_user_exception)
{
    struct vl_ipc_buffer *buf;
    struct tcb *h = receiver_with_buffer(&buf);
    struct tcb *f = faulted_sender(FAULT_USER_EXCEPTION);
    h->regs[REG_MR0] = 0x9000;
    h->regs[REG_MR0 + 1] = 0x9001;
    h->regs[REG_MSGINFO] = vl_msginfo(0, 0, 0, 1);
    CHECK(fault_handle_reply(f, h));
    CHECK_EQ(f->fault_ip, 0x8000);
    CHECK_EQ(f->regs[REG_SP], 0x1000 + REG_SP);
    h->regs[REG_MSGINFO] = vl_msginfo(0, 0, 0, 2);
    CHECK(fault_handle_reply(f, h));
    CHECK_EQ(f->fault_ip, 0x9000);
    CHECK_EQ(f->regs[REG_SP], 0x9001);
    /* Other faults: the reply changes no register. */
    struct tcb *g = faulted_sender(FAULT_VM);
    CHECK(fault_handle_reply(g, h));
    CHECK_EQ(g->fault_ip, 0x8000);
    CHECK_EQ(g->regs[REG_SP], 0x1000 + REG_SP);
}
