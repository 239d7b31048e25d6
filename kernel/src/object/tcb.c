/*
 * TCB invocations: configure spaces and IPC buffer, priorities, registers, resume and
 * suspend, notification binding. Arguments are listed in docs/kernel/invocations.md.
 */
#include "object/tcb.h"

#include <vallum/invocation.h>

#include "api/failures.h"
#include "api/invocation.h"
#include "arch/machine.h"
#include "arch/registers.h"
#include "kernel/cspace.h"
#include "kernel/delete.h"
#include "kernel/thread.h"
#include "object/cap.h"
#include "object/notification.h"

/* Checks that prio does not exceed the maximum controlled priority of the authority. */
static exception_t
check_prio(word_t prio, cap_t authority)
{
    if (cap_type(authority) != CAP_TCB) {
        return syscall_error_invalid_cap(1);
    }
    struct tcb *auth = cap_tcb_ptr(authority);
    if (prio > auth->mcp) {
        return syscall_error_range(0, auth->mcp);
    }
    return EXCEPTION_NONE;
}

/*
 * True if the TCB invoked still exists: the invoked slot still holds a cap to it. Deleting
 * a TCB's old CSpace root or VSpace may destroy the TCB itself (when the only cap to it
 * lived in that CSpace), and then nothing may be written into its slots or fields. The
 * invoked slot's memory is still readable: it is not reused before this system call ends
 * (a preempted call starts again from its lookups).
 */
static bool
tcb_still_invoked(const struct invocation *inv)
{
    return cap_type(inv->slot->cap) == CAP_TCB && cap_same_object_as(inv->slot->cap, inv->cap);
}

/*
 * Replaces the cap in one of the TCB's slots by a copy of the cap in src. The old cap is
 * deleted first (preemptible); the copy is made only if the TCB still exists and src still
 * holds new_cap. Returns EXCEPTION_NONE or EXCEPTION_PREEMPTED.
 */
static exception_t
install_slot(const struct invocation *inv, struct tcb *t, enum tcb_slot which, cap_t new_cap,
             struct cte *src)
{
    struct cte *slot = tcb_slot(t, which);
    exception_t status = cte_delete(slot);
    if (status != EXCEPTION_NONE || !tcb_still_invoked(inv)) {
        return status;
    }
    if (cap_type(src->cap) != CAP_NULL && cap_same_object_as(src->cap, new_cap)) {
        cte_insert(new_cap, src, slot);
    }
    return EXCEPTION_NONE;
}

/*
 * Installs a new CSpace root and VSpace, from extra caps 0 and 1 (TCB_Configure,
 * TCB_SetSpace). EXCEPTION_NONE or EXCEPTION_PREEMPTED; the TCB may be gone afterwards
 * (tcb_still_invoked), destroyed with its old CSpace.
 */
static exception_t
install_spaces(const struct invocation *inv, struct tcb *t, cap_t cspace, cap_t vspace)
{
    exception_t status = install_slot(inv, t, TCB_CTABLE, cspace, inv->extra[0]);
    if (status == EXCEPTION_NONE && tcb_still_invoked(inv)) {
        status = install_slot(inv, t, TCB_VTABLE, vspace, inv->extra[1]);
    }
    return status;
}

/* Decodes a CSpace root: a CNode cap, with the guard optionally replaced by data. */
static exception_t
derive_cspace(struct cte *src, word_t data, word_t cap_index, cap_t *out)
{
    cap_t cap = src->cap;
    if (data != 0) {
        cap = cap_update_data(false, data, cap);
    }
    if (cap_type(cap) != CAP_CNODE) {
        return syscall_error_invalid_cap(cap_index);
    }
    return cap_derive(src, cap, out);
}

static exception_t
derive_vspace(struct cte *src, word_t cap_index, cap_t *out)
{
    if (!arch_vspace_has_asid(src->cap)) {
        return syscall_error_invalid_cap(cap_index);
    }
    return cap_derive(src, src->cap, out);
}

/* The CSpace root (extra cap 0, MR1 its guard data) and VSpace (extra cap 1) of
 * TCB_Configure and TCB_SetSpace, derived; errors name extra caps 1 and 2. */
static exception_t
derive_spaces(struct invocation *inv, cap_t *cspace, cap_t *vspace)
{
    exception_t status = derive_cspace(inv->extra[0], inv_arg(inv, 1), 1, cspace);
    if (status == EXCEPTION_NONE) {
        status = derive_vspace(inv->extra[1], 2, vspace);
    }
    return status;
}

/* An IPC buffer: 1 KiB aligned user address inside a frame (or 0 for none). */
static exception_t
derive_buffer(word_t vaddr, struct cte *src, word_t cap_index, cap_t *out)
{
    if (vaddr == 0) {
        *out = cap_null();
        return EXCEPTION_NONE;
    }
    if (!IS_ALIGNED(vaddr, VL_IPC_BUFFER_BITS)) {
        return syscall_error(VL_ALIGNMENT_ERROR);
    }
    if (vaddr >= VL_USER_TOP) {
        return syscall_error_invalid_argument(cap_index == 3 ? 3 : 0);
    }
    if (src == NULL || cap_type(src->cap) != CAP_FRAME || cap_frame_is_device(src->cap)) {
        return syscall_error_invalid_cap(cap_index);
    }
    return cap_derive(src, src->cap, out);
}

static exception_t
set_buffer(const struct invocation *inv, struct tcb *t, word_t vaddr, cap_t cap, struct cte *src)
{
    exception_t status = cte_delete(tcb_slot(t, TCB_BUFFER));
    if (status != EXCEPTION_NONE || !tcb_still_invoked(inv)) {
        return status;
    }
    t->ipc_buffer = vaddr;
    if (vaddr != 0 && cap_same_object_as(src->cap, cap)) {
        cte_insert(cap, src, tcb_slot(t, TCB_BUFFER));
    }
    return EXCEPTION_NONE;
}

/* TCB_Configure: MR0 fault ep, MR1 cspace data, MR2 vspace data (unused), MR3 buffer;
 * extra caps: cspace root, vspace root, and the buffer frame unless the buffer is 0. */
static exception_t
decode_configure(struct invocation *inv, struct tcb *t)
{
    if (inv->length < 4 || inv->n_extra < 2) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    word_t fault_ep = inv_arg(inv, 0);
    word_t buffer = inv_arg(inv, 3);
    if (buffer != 0 && inv->n_extra < 3) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    struct cte *buffer_src = buffer != 0 ? inv->extra[2] : NULL;
    cap_t cspace, vspace, bufcap;
    exception_t status = derive_spaces(inv, &cspace, &vspace);
    if (status == EXCEPTION_NONE) {
        status = derive_buffer(buffer, buffer_src, 3, &bufcap);
    }
    if (status != EXCEPTION_NONE) {
        return status;
    }
    status = install_spaces(inv, t, cspace, vspace);
    if (status == EXCEPTION_NONE && tcb_still_invoked(inv)) {
        status = set_buffer(inv, t, buffer, bufcap, buffer_src);
    }
    if (status == EXCEPTION_NONE && tcb_still_invoked(inv)) {
        t->fault_ep = fault_ep;
    }
    return status;
}

/* TCB_SetSpace: MR0 fault ep, MR1 cspace data, MR2 vspace data; caps cspace, vspace. */
static exception_t
decode_set_space(struct invocation *inv, struct tcb *t)
{
    if (inv->length < 3 || inv->n_extra < 2) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    word_t fault_ep = inv_arg(inv, 0);
    cap_t cspace, vspace;
    exception_t status = derive_spaces(inv, &cspace, &vspace);
    if (status == EXCEPTION_NONE) {
        status = install_spaces(inv, t, cspace, vspace);
    }
    if (status == EXCEPTION_NONE && tcb_still_invoked(inv)) {
        t->fault_ep = fault_ep;
    }
    return status;
}

/* TCB_SetIPCBuffer: MR0 buffer address; extra cap 0 = frame (ignored for address 0). */
static exception_t
decode_set_ipc_buffer(struct invocation *inv, struct tcb *t)
{
    if (inv->length < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    word_t vaddr = inv_arg(inv, 0);
    if (vaddr != 0 && inv->n_extra < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    /* extra[0] is read only if it was sent: with address 0 no frame is needed. */
    struct cte *buffer_src = vaddr != 0 ? inv->extra[0] : NULL;
    cap_t bufcap;
    exception_t status = derive_buffer(vaddr, buffer_src, 1, &bufcap);
    if (status != EXCEPTION_NONE) {
        return status;
    }
    return set_buffer(inv, t, vaddr, bufcap, buffer_src);
}

/* TCB_ReadRegisters: MR0 flags (bit 0: suspend first), MR1 count. Returns the registers. */
static exception_t
decode_read_registers(struct invocation *inv, struct tcb *t)
{
    if (inv->length < 2) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    word_t flags = inv_arg(inv, 0);
    word_t count = inv_arg(inv, 1);
    if (count < 1 || count > VL_NUM_REGISTERS) {
        return syscall_error_range(1, VL_NUM_REGISTERS);
    }
    if (t == inv->thread) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    if (flags & 1) {
        thread_suspend(t);
    }
    for (word_t i = 0; i < count; i++) {
        inv_set_result(inv, i, t->regs[i]);
    }
    /* The pc reported is where the thread continues: a thread that will repeat its
     * system call, or an inactive one (Resume restarts it), continues at fault_ip. */
    if (t->state == TS_RESTART || t->state == TS_INACTIVE) {
        inv_set_result(inv, 0, t->fault_ip);
    }
    inv->reply_length = inv->rbuf != NULL ? count : MIN(count, VL_MSG_REGS);
    return EXCEPTION_NONE;
}

/* TCB_WriteRegisters: MR0 flags (bit 0: resume after), MR1 count, MR2.. the values. */
static exception_t
decode_write_registers(struct invocation *inv, struct tcb *t)
{
    if (inv->length < 2) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    word_t flags = inv_arg(inv, 0);
    word_t count = inv_arg(inv, 1);
    if (count < 1 || count > VL_NUM_REGISTERS) {
        return syscall_error_range(1, VL_NUM_REGISTERS);
    }
    if (inv->length - 2 < count) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    if (t == inv->thread) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    for (word_t i = 0; i < count; i++) {
        t->regs[i] = inv_arg(inv, i + 2);
    }
    /* A written pc is where the thread continues, even if it was mid-system-call. */
    t->fault_ip = t->regs[0];
    if (flags & 1) {
        thread_restart(t);
    }
    return EXCEPTION_NONE;
}

static exception_t
decode_bind_notification(struct invocation *inv, struct tcb *t)
{
    if (inv->n_extra < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    if (t->bound_ntfn != NULL) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    cap_t ncap = inv->extra[0]->cap;
    if (cap_type(ncap) != CAP_NOTIFICATION) {
        return syscall_error_invalid_cap(1);
    }
    if (!cap_has_right(ncap, VL_RIGHT_READ)) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    struct notification *n = cap_ptr(ncap);
    if (n->bound_tcb != NULL || n->state == NTFN_WAITING) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    ntfn_bind(t, n);
    return EXCEPTION_NONE;
}

exception_t
decode_tcb_invocation(struct invocation *inv)
{
    struct tcb *t = cap_tcb_ptr(inv->cap);
    switch (inv->label) {
    case VL_TCB_CONFIGURE:
        return decode_configure(inv, t);
    case VL_TCB_SET_SPACE:
        return decode_set_space(inv, t);
    case VL_TCB_SET_IPC_BUFFER:
        return decode_set_ipc_buffer(inv, t);
    case VL_TCB_SET_PRIORITY:
    case VL_TCB_SET_MC_PRIORITY: {
        if (inv->length < 1 || inv->n_extra < 1) {
            return syscall_error(VL_TRUNCATED_MESSAGE);
        }
        word_t prio = inv_arg(inv, 0);
        exception_t status = check_prio(prio, inv->extra[0]->cap);
        if (status != EXCEPTION_NONE) {
            return status;
        }
        if (inv->label == VL_TCB_SET_PRIORITY) {
            sched_set_priority(t, prio);
        } else {
            t->mcp = (uint8_t)prio;
        }
        return EXCEPTION_NONE;
    }
    case VL_TCB_READ_REGISTERS:
        return decode_read_registers(inv, t);
    case VL_TCB_WRITE_REGISTERS:
        return decode_write_registers(inv, t);
    case VL_TCB_RESUME:
        thread_restart(t);
        return EXCEPTION_NONE;
    case VL_TCB_SUSPEND:
        thread_suspend(t);
        return EXCEPTION_NONE;
    case VL_TCB_BIND_NOTIFICATION:
        return decode_bind_notification(inv, t);
    case VL_TCB_UNBIND_NOTIFICATION:
        if (t->bound_ntfn == NULL) {
            return syscall_error(VL_ILLEGAL_OPERATION);
        }
        ntfn_unbind_tcb(t);
        return EXCEPTION_NONE;
    default:
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
}
