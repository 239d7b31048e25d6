/*
 * Endpoints: synchronous rendezvous IPC, and the message transfer between threads.
 */
#pragma once

#include <vallum/ipcbuf.h>

#include "arch/registers.h"
#include "object/structures.h"

/*
 * Sends thread's message on ep. If a receiver waits, the message is transferred and
 * the receiver woken; otherwise the sender blocks (if blocking) or the message is
 * dropped. For a Call, the sender then waits for a reply (if it may grant or grant
 * replies) or becomes inactive.
 */
void ep_send_ipc(bool blocking, bool do_call, word_t badge, bool can_grant, bool can_grant_reply,
                 struct tcb *thread, struct endpoint *ep);

/* Receives on the endpoint named by cap (which has read rights). */
void ep_receive_ipc(struct tcb *thread, cap_t cap, bool blocking);

/* Replies to receiver, which waits on the reply cap in slot; deletes that reply cap. */
void ipc_do_reply_transfer(struct tcb *sender, struct tcb *receiver, struct cte *slot, bool grant);

/* Takes t out of any IPC it is blocked in; it becomes INACTIVE. */
void ipc_cancel(struct tcb *t);

/* Wakes every thread queued on ep to restart its system call. */
void ep_cancel_all(struct endpoint *ep);

/* Wakes every sender queued on ep with the given badge to restart its system call. */
void ep_cancel_badged_sends(struct endpoint *ep, word_t badge);

/* Deletes the reply cap in t's caller slot, if any, aborting its caller (ipc_reply_abort). */
void ipc_delete_caller_cap(struct tcb *t);

/*
 * Puts a reply cap to sender in slot (a receiver's empty caller slot): an original cap,
 * outside the derivation list, that sender's reply_slot points back to. An empty caller
 * slot is all zero (kernel_check_invariants), so only the words that differ are written.
 */
static inline void
reply_cap_set(struct cte *slot, struct tcb *sender, bool can_grant)
{
    assert(slot->cap.w1 == 0 && slot->mdb_prev == NULL);
    slot->cap.w0 = cap_reply(sender, can_grant).w0;
    slot->mdb_next = MDB_REVOCABLE | MDB_FIRST_BADGED;
    sender->reply_slot = slot;
}

/*
 * Voids the reply cap in slot, if slot holds one, without a reply: the slot is emptied and
 * the caller waiting on it (TS_BLOCKED_ON_REPLY) wakes. A Call returns with badge 0 and
 * message info label VL_REPLY_ABORTED, length 0; a thread waiting for its fault handler's
 * reply becomes inactive (its fault dropped), so Resume restarts it at the faulting pc.
 * This is the only place a reply cap disappears unused while its caller waits: deletion
 * and revocation (delete.c), Recv without a reply, and the suspension, restart or
 * destruction of the thread whose caller slot holds it all come here. (A reply cap whose
 * caller is itself stopped is voided by ipc_cancel, which stops the caller anyway.)
 */
void ipc_reply_abort(struct cte *slot);

/*
 * The thread's IPC buffer in kernel memory, or NULL if it has none usable: the receiver
 * of a message needs the Write right on the buffer's frame, the sender the Read right.
 */
static inline struct vl_ipc_buffer *
ipc_buffer_of(struct tcb *t, bool is_receiver)
{
    cap_t frame = tcb_slot(t, TCB_BUFFER)->cap;
    if (t->ipc_buffer == 0 || cap_type(frame) != CAP_FRAME || cap_frame_is_device(frame)) {
        return NULL;
    }
    if (!cap_has_right(frame, is_receiver ? VL_RIGHT_WRITE : VL_RIGHT_READ)) {
        return NULL;
    }
    word_t offset = t->ipc_buffer & MASK(frame_size_bits(cap_frame_size(frame)));
    return (struct vl_ipc_buffer *)((char *)cap_ptr(frame) + offset);
}

/* Message register i of t (from its registers or its IPC buffer; 0 if neither). Inline:
 * the fault and invocation paths read and write their few words through these. */
static inline word_t
ipc_get_mr(struct tcb *t, struct vl_ipc_buffer *buf, word_t i)
{
    if (i < VL_MSG_REGS) {
        return t->regs[REG_MR0 + i];
    }
    if (buf == NULL || i >= VL_MSG_MAX_LENGTH) {
        return 0;
    }
    return buf->msg[i];
}

/* Sets message register i of t; returns false if it has nowhere to go. */
static inline bool
ipc_set_mr(struct tcb *t, struct vl_ipc_buffer *buf, word_t i, word_t v)
{
    if (i < VL_MSG_REGS) {
        t->regs[REG_MR0 + i] = v;
        return true;
    }
    if (buf == NULL || i >= VL_MSG_MAX_LENGTH) {
        return false;
    }
    buf->msg[i] = v;
    return true;
}

/* Checks every endpoint queue reachable from the thread list; NULL if consistent. */
const char *ep_check_queue(const struct endpoint *ep);
