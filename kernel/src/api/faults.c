/*
 * Fault messages and replies (layouts in uapi/vallum/fault.h).
 */
#include "api/faults.h"

#include <vallum/fault.h>
#include <vallum/msginfo.h>

#include "api/failures.h"
#include "arch/registers.h"
#include "kernel/cspace.h"
#include "kernel/thread.h"
#include "object/endpoint.h"

void
fault_set_cap(struct tcb *t, cptr_t cptr, bool in_recv)
{
    t->fault.type = FAULT_CAP;
    t->fault.w[0] = cptr;
    t->fault.w[1] = in_recv;
    t->fault.w[2] = current_lookup_fault.type | (current_lookup_fault.bits_left << 8);
    t->fault.w[3] = current_lookup_fault.bits_found | (current_lookup_fault.guard_size << 58);
}

static const char *
fault_name(word_t type)
{
    switch (type) {
    case FAULT_CAP:
        return "capability fault";
    case FAULT_UNKNOWN_SYSCALL:
        return "unknown system call";
    case FAULT_USER_EXCEPTION:
        return "user exception";
    case FAULT_VM:
        return "page fault";
    default:
        return "fault";
    }
}

/*
 * Reports of faults without a handler are rate-limited, so that no thread can flood the
 * console: a bucket of FAULT_REPORT_BURST reports, refilled by one every timer tick. The
 * next report after a gap says how many were left out.
 */
#define FAULT_REPORT_BURST 16

static word_t report_tokens = FAULT_REPORT_BURST;
static word_t reports_suppressed;

void
fault_report_tick(void)
{
    if (report_tokens < FAULT_REPORT_BURST) {
        report_tokens++;
    }
}

static bool
fault_report_allowed(void)
{
    if (report_tokens == 0) {
        reports_suppressed++;
        return false;
    }
    report_tokens--;
    if (reports_suppressed != 0) {
        kprintf("vallum: %lu fault reports left out\n", (unsigned long)reports_suppressed);
        reports_suppressed = 0;
    }
    return true;
}

void
fault_handle(struct tcb *t)
{
    struct cte *slot = cspace_lookup_cap(t, t->fault_ep);
    if (slot != NULL) {
        cap_t ep = slot->cap;
        bool can_grant = cap_has_right(ep, VL_RIGHT_GRANT);
        bool can_grant_reply = cap_has_right(ep, VL_RIGHT_GRANT_REPLY);
        if (cap_type(ep) == CAP_ENDPOINT && cap_has_right(ep, VL_RIGHT_WRITE) &&
            (can_grant || can_grant_reply)) {
            ep_send_ipc(true, true, ep.w1, can_grant, true, t, cap_ptr(ep));
            return;
        }
    }
    if (fault_report_allowed()) {
        kprintf("vallum: thread '%s' %s at pc %lx (detail %lx %lx), no fault handler: "
                "suspended\n",
                t->name[0] ? t->name : "?", fault_name(t->fault.type), (unsigned long)t->fault_ip,
                (unsigned long)t->fault.w[0], (unsigned long)t->fault.w[1]);
    }
    t->fault.type = FAULT_NONE;
    thread_set_state(t, TS_INACTIVE);
}

void
fault_transfer(struct tcb *sender, struct tcb *receiver, word_t badge)
{
    struct vl_ipc_buffer *rbuf = ipc_buffer_of(receiver, true);
    struct fault *f = &sender->fault;
    word_t mr[VL_FAULT_UNKNOWN_SYSCALL_LENGTH];
    word_t n = 0;
    mr[0] = sender->fault_ip;
    switch (f->type) {
    case FAULT_CAP:
        mr[1] = f->w[0];
        mr[2] = f->w[1];
        mr[3] = f->w[2] & 0xff;
        mr[4] = f->w[2] >> 8;
        mr[5] = f->w[3] & MASK(58);
        mr[6] = f->w[3] >> 58;
        n = VL_FAULT_CAP_LENGTH;
        break;
    case FAULT_UNKNOWN_SYSCALL:
        mr[1] = sender->regs[REG_SP];
        mr[2] = sender->regs[1];
        for (word_t i = 0; i < 8; i++) {
            mr[3 + i] = sender->regs[10 + i];
        }
        mr[11] = f->w[0];
        n = VL_FAULT_UNKNOWN_SYSCALL_LENGTH;
        break;
    case FAULT_USER_EXCEPTION:
        mr[1] = sender->regs[REG_SP];
        mr[2] = f->w[0];
        mr[3] = f->w[1];
        n = VL_FAULT_USER_EXCEPTION_LENGTH;
        break;
    case FAULT_VM:
        mr[1] = f->w[0];
        mr[2] = f->w[1];
        mr[3] = f->w[2];
        n = VL_FAULT_VM_LENGTH;
        break;
    default:
        /* Only the kernel sets fault types, and only to the ones above. */
        panic("fault_transfer: unknown fault type");
    }
    if (rbuf == NULL) {
        n = MIN(n, VL_MSG_REGS);
    }
    for (word_t i = 0; i < n; i++) {
        ipc_set_mr(receiver, rbuf, i, mr[i]);
    }
    receiver->regs[REG_MSGINFO] = vl_msginfo(f->type, 0, 0, n);
    receiver->regs[REG_BADGE] = badge;
}

bool
fault_handle_reply(struct tcb *faulted, struct tcb *handler)
{
    word_t info = handler->regs[REG_MSGINFO];
    word_t len = vl_msginfo_length(info);
    struct vl_ipc_buffer *buf = ipc_buffer_of(handler, false);
    switch (faulted->fault.type) {
    case FAULT_UNKNOWN_SYSCALL:
        if (len >= 11) {
            faulted->fault_ip = ipc_get_mr(handler, buf, 0);
            faulted->regs[REG_SP] = ipc_get_mr(handler, buf, 1);
            faulted->regs[1] = ipc_get_mr(handler, buf, 2);
            for (word_t i = 0; i < 8; i++) {
                faulted->regs[10 + i] = ipc_get_mr(handler, buf, 3 + i);
            }
        }
        break;
    case FAULT_USER_EXCEPTION:
        if (len >= 2) {
            faulted->fault_ip = ipc_get_mr(handler, buf, 0);
            faulted->regs[REG_SP] = ipc_get_mr(handler, buf, 1);
        }
        break;
    case FAULT_CAP:
    case FAULT_VM:
    default:
        /* Nothing of the faulted thread's state is taken from the reply. */
        break;
    }
    return vl_msginfo_label(info) == 0;
}
