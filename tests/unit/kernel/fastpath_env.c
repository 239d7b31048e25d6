/*
 * Environments for the fast path tests (fastpath_env.h).
 */
#include "fastpath_env.h"

#include <string.h>

#include <vallum/syscall.h>

/*
 * The slot of the original cap of one of two VSpaces, each with an ASID. Every
 * environment of a test uses the same two; threads get copies, placed after the original
 * as the kernel places copies.
 */
static struct cte *
fp_vspace(int i)
{
    static struct cte *vs[2];
    if (vs[i] == NULL) {
        vs[i] = kt_vspace(kt_alloc(VL_VSPACE_BITS));
    }
    return vs[i];
}

/* The satp value that runs t: its VSpace cap's mode and ASID, and the root's page number
 * (on the host, bits 12..37 of the root's address, where vspace_satp_of takes them). */
word_t
fp_satp(struct tcb *t)
{
    cap_t vs = tcb_slot(t, TCB_VTABLE)->cap;
    CHECK_EQ(cap_type(vs), CAP_VSPACE);
    CHECK_EQ(vs.w1 >> 60, SATP_MODE_SV39 >> 60);
    return vs.w1 | (((word_t)(uintptr_t)cap_ptr(vs) >> 12) & MASK(26));
}

/* A thread with a CNode, the VSpace fp_vspace(vs) and an IPC buffer, all full of junk. */
static struct tcb *
fp_thread(word_t prio, int vs, word_t seed, struct cte **cnode, struct vl_ipc_buffer **buf)
{
    struct tcb *t = kt_thread(prio, TS_RUNNING);
    kt_insert(cap_tcb(tcb_slots(t)));
    cap_t cn = kt_cnode(FP_RADIX, VL_WORD_BITS - FP_RADIX, 0);
    kt_insert_at(cn, tcb_slot(t, TCB_CTABLE));
    cte_insert(fp_vspace(vs)->cap, fp_vspace(vs), tcb_slot(t, TCB_VTABLE));
    void *frame = kt_alloc(12);
    kt_insert_at(cap_frame(frame, FRAME_4K, false, VL_RIGHTS_ALL), tcb_slot(t, TCB_BUFFER));
    t->ipc_buffer = FP_BUFFER_VA;
    *cnode = cap_ptr(cn);
    *buf = ipc_buffer_of(t, true);
    CHECK(*buf == (struct vl_ipc_buffer *)((char *)frame + 0x400));
    for (word_t i = 0; i < 32; i++) {
        t->regs[i] = fp_junk(seed, i);
    }
    for (word_t i = 0; i < VL_MSG_MAX_LENGTH; i++) {
        (*buf)->msg[i] = fp_junk(seed, 32 + i);
    }
    return t;
}

/* A fresh environment; the client's caps carry badge. */
struct fp_env
fp_env(word_t client_prio, word_t server_prio, word_t badge)
{
    struct fp_env e;
    e.ep = kt_alloc(VL_ENDPOINT_BITS);
    e.ntfn = kt_alloc(VL_NOTIFICATION_BITS);
    e.client = fp_thread(client_prio, 0, FP_CLIENT_SEED, &e.ccn, &e.cbuf);
    e.server = fp_thread(server_prio, 1, FP_SERVER_SEED, &e.scn, &e.sbuf);
    e.other = kt_thread(FP_PRIO, TS_INACTIVE);
    kt_insert(cap_tcb(tcb_slots(e.other)));
    kt_insert_at(cap_endpoint(e.ep, badge, VL_RIGHTS_ALL), &e.ccn[FP_EP]);
    kt_insert_at(cap_notification(e.ntfn, badge, VL_RIGHTS_ALL), &e.ccn[FP_NTFN]);
    kt_insert_at(cap_endpoint(e.ep, 0, VL_RIGHTS_ALL), &e.scn[FP_EP]);
    kt_insert_at(cap_notification(e.ntfn, 0, VL_RIGHTS_ALL), &e.scn[FP_NTFN]);
    ks_cur_thread = e.client;
    ks_sched_action = SCHED_RESUME_CURRENT;
    host_satp = 0;
    host_satp_loads = 0;
    return e;
}

/* Replaces the cap in slot; the slot keeps its place in the derivation list. */
void
fp_set_cap(struct cte *slot, cap_t cap)
{
    slot->cap = cap;
}

void
fp_set_rights(struct cte *slot, word_t rights)
{
    fp_set_cap(slot, cap_set_rights(slot->cap, rights));
}

/* t waits on the endpoint named by cap (with that cap's rights). */
void
fp_wait(struct tcb *t, cap_t cap)
{
    ep_receive_ipc(t, cap, true);
    CHECK_EQ(t->state, TS_BLOCKED_ON_RECV);
}

/* t's registers as the trap entry leaves them for a system call, and its long words. */
void
fp_load(struct tcb *t, struct vl_ipc_buffer *buf, word_t seed, cptr_t cptr, word_t info)
{
    t->regs[REG_CAP] = cptr;
    t->regs[REG_MSGINFO] = info;
    for (word_t i = 0; i < VL_MSG_REGS; i++) {
        t->regs[REG_MR0 + i] = fp_word(seed, i);
    }
    for (word_t i = VL_MSG_REGS; i < VL_MSG_MAX_LENGTH; i++) {
        buf->msg[i] = fp_word(seed, i);
    }
}

/*
 * The server waits on the endpoint, the client Calls it (slow path) and the server runs,
 * holding the reply cap: where ReplyRecv starts.
 */
void
fp_serve(struct fp_env *e)
{
    fp_wait(e->server, e->scn[FP_EP].cap);
    fp_load(e->client, e->cbuf, FP_CLIENT_SEED, FP_EP, vl_msginfo(1, 0, 0, 0));
    syscall_handle(VL_SYS_CALL);
    sched_schedule();
    CHECK(ks_cur_thread == e->server);
    CHECK_EQ(e->client->state, TS_BLOCKED_ON_REPLY);
    CHECK_EQ(cap_type(tcb_slot(e->server, TCB_CALLER)->cap), CAP_REPLY);
    host_satp = 0;
    host_satp_loads = 0;
}

struct fp_before
fp_before(struct tcb *t, struct vl_ipc_buffer *buf)
{
    struct fp_before b;
    memcpy(b.regs, t->regs, sizeof(b.regs));
    b.buf = *buf;
    return b;
}

/*
 * Checks that to got the message from the sender with the given seed: the badge, the
 * info word want_info, message words 0..length-1 and nothing else of its registers and
 * IPC buffer changed.
 */
void
fp_check_delivered(struct tcb *to, struct vl_ipc_buffer *buf, const struct fp_before *b,
                   word_t seed, word_t badge, word_t want_info)
{
    word_t len = vl_msginfo_length(want_info);
    for (word_t i = 0; i < 32; i++) {
        word_t want = b->regs[i];
        if (i == REG_BADGE) {
            want = badge;
        } else if (i == REG_MSGINFO) {
            want = want_info;
        } else if (i >= REG_MR0 && i < REG_MR0 + MIN(len, VL_MSG_REGS)) {
            want = fp_word(seed, i - REG_MR0);
        }
        CHECK_EQ(to->regs[i], want);
    }
    for (word_t i = 0; i < VL_MSG_MAX_LENGTH; i++) {
        word_t want = i >= VL_MSG_REGS && i < len ? fp_word(seed, i) : b->buf.msg[i];
        CHECK_EQ(buf->msg[i], want);
    }
    CHECK(memcmp(buf->caps_or_badges, b->buf.caps_or_badges, sizeof(buf->caps_or_badges)) == 0);
}

/* Checks the reply cap to caller in receiver's caller slot. */
void
fp_check_reply_cap(struct tcb *receiver, struct tcb *caller, bool can_grant)
{
    struct cte *slot = tcb_slot(receiver, TCB_CALLER);
    CHECK_EQ(cap_type(slot->cap), CAP_REPLY);
    CHECK(cap_reply_tcb(slot->cap) == caller);
    CHECK_EQ(cap_reply_can_grant(slot->cap), can_grant);
    CHECK(caller->reply_slot == slot);
}

/* Takes an environment's threads off the ready queues so the next one starts afresh. */
void
fp_retire(struct fp_env *e)
{
    sched_dequeue(e->client);
    sched_dequeue(e->server);
    sched_dequeue(e->other);
    ks_cur_thread = ks_idle_thread;
    ks_sched_action = SCHED_RESUME_CURRENT;
    INV();
}

/* Everything a failed fast path must leave as it was. */
void
fp_snap(struct fp_env *e)
{
    kt_snap_reset();
    kt_snap(tcb_slots(e->client), BIT(VL_TCB_BITS));
    kt_snap(tcb_slots(e->server), BIT(VL_TCB_BITS));
    kt_snap(tcb_slots(e->other), BIT(VL_TCB_BITS));
    kt_snap(e->ccn, BIT(FP_RADIX) * sizeof(struct cte));
    kt_snap(e->scn, BIT(FP_RADIX) * sizeof(struct cte));
    kt_snap(e->ep, sizeof(*e->ep));
    kt_snap(e->ntfn, sizeof(*e->ntfn));
    kt_snap(e->cbuf, sizeof(*e->cbuf));
    kt_snap(e->sbuf, sizeof(*e->sbuf));
    kt_snap(&ks_cur_thread, sizeof(ks_cur_thread));
    kt_snap(&ks_sched_action, sizeof(ks_sched_action));
    kt_snap(ready_bitmap, sizeof(ready_bitmap));
    kt_snap(&ready_top, sizeof(ready_top));
    kt_snap(&host_satp, sizeof(host_satp));
    kt_snap(&host_satp_loads, sizeof(host_satp_loads));
    kt_snap(&cdt_root, sizeof(cdt_root));
}
