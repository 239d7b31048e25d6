/*
 * Endpoint IPC: badges, capability transfer with and without grant, call/reply with the
 * reply cap, long messages, non-blocking send and receive, wake-up order, SaveCaller and
 * CancelBadgedSends.
 */
#include <stdbool.h>

#include "ktest.h"

static const vl_word_t zero[VL_MSG_REGS];
static volatile vl_word_t got[16];
static volatile vl_word_t order[8];
static volatile unsigned norder;

/* arg: ep slot. Sends label 7 with MRs 1..4. */
static void
sender(vl_word_t ep)
{
    vl_word_t mr[VL_MSG_REGS] = {1, 2, 3, 4};
    vl_send(ep, vl_msginfo(7, 0, 0, 4), mr);
}

static void
test_ipc_badge(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t b = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, b, 64, ROOT, ep, 64, VL_RIGHTS_ALL, 0xbeef), 0);
    CHECK(thread_new(sender, b, 100, 0) != NULL);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(m.badge, 0xbeef);
    CHECK_EQ(vl_msginfo_label(m.info), 7);
    CHECK_EQ(vl_msginfo_length(m.info), 4);
    CHECK_EQ(m.mr[0], 1);
    CHECK_EQ(m.mr[3], 4);
    /* The unbadged cap delivers badge 0. */
    CHECK(thread_new(sender, ep, 100, 0) != NULL);
    m = vl_recv(ep);
    CHECK_EQ(m.badge, 0);
}

/* Sends the cap whose cptr is in got[0] over the ep given. */
static void
cap_sender(vl_word_t ep)
{
    vl_ipc_buffer->caps_or_badges[0] = got[0];
    vl_word_t mr[VL_MSG_REGS] = {9};
    vl_send(ep, vl_msginfo(0, 0, 1, 1), mr);
}

static void
test_ipc_cap_transfer(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t nogrant = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, nogrant, 64, ROOT, ep, 64, VL_RIGHT_WRITE | VL_RIGHT_READ), 0);
    vl_cptr_t recv_slot = slot_alloc();
    vl_ipc_buffer->receive_cnode = ROOT;
    vl_ipc_buffer->receive_index = recv_slot;
    vl_ipc_buffer->receive_depth = 64;
    /* With grant: the cap arrives. */
    got[0] = n;
    CHECK(thread_new(cap_sender, ep, 100, 0) != NULL);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_extra_caps(m.info), 1);
    CHECK_EQ(vl_msginfo_unwrapped(m.info), 0);
    CHECK_EQ(m.mr[0], 9);
    CHECK_TYPE(recv_slot, VL_CAP_NOTIFICATION);
    /* It is a working copy of n. */
    vl_signal(recv_slot);
    CHECK_EQ(vl_poll(n), 0);
    CHECK_EQ(vl_debug_check(), 0);
    /* Receive slot occupied: the message arrives without the cap. */
    CHECK(thread_new(cap_sender, ep, 100, 0) != NULL);
    m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_extra_caps(m.info), 0);
    CHECK_EQ(m.mr[0], 9);
    CHECK_EQ(vl_cnode_delete(ROOT, recv_slot, 64), 0);
    /* Without grant: no cap. */
    CHECK(thread_new(cap_sender, nogrant, 100, 0) != NULL);
    m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_extra_caps(m.info), 0);
    CHECK_EQ(m.mr[0], 9);
    CHECK_TYPE(recv_slot, VL_CAP_NULL);
    /* A badged cap to the same endpoint is unwrapped to its badge. */
    vl_cptr_t b = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, b, 64, ROOT, ep, 64, VL_RIGHTS_ALL, 0x55), 0);
    got[0] = b;
    CHECK(thread_new(cap_sender, ep, 100, 0) != NULL);
    m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_extra_caps(m.info), 1);
    CHECK_EQ(vl_msginfo_unwrapped(m.info), 1);
    CHECK_EQ(vl_ipc_buffer->caps_or_badges[0], 0x55);
    CHECK_TYPE(recv_slot, VL_CAP_NULL);
    /* No receive slot set up: the cap is dropped. */
    vl_ipc_buffer->receive_depth = 0;
    vl_ipc_buffer->receive_cnode = 0;
    got[0] = n;
    CHECK(thread_new(cap_sender, ep, 100, 0) != NULL);
    m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_extra_caps(m.info), 0);
    CHECK_TYPE(recv_slot, VL_CAP_NULL);
}

/* Calls ep with label 3 and one word; stores the reply's first word and label. */
static void
caller(vl_word_t ep)
{
    vl_word_t mr[VL_MSG_REGS] = {100};
    got[4] = 0;
    struct vl_msg m = vl_call(ep, vl_msginfo(3, 0, 0, 1), mr);
    got[2] = m.mr[0];
    got[3] = vl_msginfo_label(m.info);
    got[4] = 1;
}

static void
test_ipc_call_reply(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(thread_new(caller, ep, 100, 0) != NULL);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), 3);
    CHECK_EQ(m.mr[0], 100);
    vl_word_t mr[VL_MSG_REGS] = {101};
    vl_reply(vl_msginfo(4, 0, 0, 1), mr);
    SETTLE();
    CHECK_EQ(got[4], 1);
    CHECK_EQ(got[2], 101);
    CHECK_EQ(got[3], 4);
    /* SaveCaller: keep the reply cap in a slot and reply through it later. */
    CHECK(thread_new(caller, ep, 100, 0) != NULL);
    m = vl_recv(ep);
    vl_cptr_t r = slot_alloc();
    CHECK_EQ(vl_cnode_save_caller(ROOT, r, 64), 0);
    CHECK_TYPE(r, VL_CAP_REPLY);
    /* Reply now finds no caller: ignored. */
    vl_reply(vl_msginfo(0, 0, 0, 0), zero);
    /* A reply cap cannot be copied. */
    vl_cptr_t r2 = slot_alloc();
    CHECK_ERR(vl_cnode_copy(ROOT, r2, 64, ROOT, r, 64, VL_RIGHTS_ALL), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_debug_check(), 0);
    SETTLE();
    CHECK_EQ(got[4], 0);
    mr[0] = 202;
    vl_send(r, vl_msginfo(0, 0, 0, 1), mr);
    CHECK_TYPE(r, VL_CAP_NULL);
    SETTLE();
    CHECK_EQ(got[4], 1);
    CHECK_EQ(got[2], 202);
    /* Deleting a saved reply cap aborts the caller's Call (test_ipc_reply_abort). */
    CHECK(thread_new(caller, ep, 100, 0) != NULL);
    m = vl_recv(ep);
    CHECK_EQ(vl_cnode_save_caller(ROOT, r, 64), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, r, 64), 0);
    CHECK_EQ(vl_debug_check(), 0);
    SETTLE();
    CHECK_EQ(got[4], 1);
    CHECK_EQ(got[3], VL_REPLY_ABORTED);
}

/* A server that takes one Call and then never replies: it waits on abort_ntfn, or with
 * abort_ep2 set, Calls abort_ep2 (and waits for that reply). */
static vl_cptr_t abort_ep, abort_ep2, abort_ntfn;

static void
silent_server(vl_word_t arg)
{
    (void)arg;
    vl_recv(abort_ep);
    if (abort_ep2 != 0) {
        vl_call(abort_ep2, vl_msginfo(7, 0, 0, 0), zero);
    }
    vl_wait(abort_ntfn);
}

/* Starts a silent server and a caller; returns the server once it holds the reply cap. */
static struct kthread *
silent_call(void)
{
    struct kthread *s = thread_new(silent_server, 0, 100, 0);
    if (s == NULL || thread_new(caller, abort_ep, 100, 0) == NULL || settle() != 0) {
        return NULL;
    }
    return got[4] == 0 ? s : NULL;
}

#define CHECK_CALL_ABORTED()                                                                       \
    do {                                                                                           \
        SETTLE();                                                                                  \
        CHECK_EQ(got[4], 1);                                                                       \
        CHECK_EQ(got[3], VL_REPLY_ABORTED);                                                        \
        CHECK_EQ(vl_debug_check(), 0);                                                             \
    } while (0)

/*
 * A caller waiting for a reply wakes with VL_REPLY_ABORTED when the reply cap goes away
 * unused: the server Recvs again, deletes a saved reply cap (test_ipc_call_reply), is
 * suspended, restarted or destroyed.
 */
static void
test_ipc_reply_abort(void)
{
    abort_ep = obj_new(VL_OBJ_ENDPOINT, 0);
    abort_ntfn = obj_new(VL_OBJ_NOTIFICATION, 0);
    abort_ep2 = 0;
    /* The server (this thread) Recvs again without replying. */
    CHECK(thread_new(caller, abort_ep, 100, 0) != NULL);
    struct vl_msg m = vl_recv(abort_ep);
    CHECK_EQ(vl_msginfo_label(m.info), 3);
    m = vl_nb_recv(abort_ep);
    CHECK_EQ(vl_msginfo_label(m.info), 0);
    CHECK_CALL_ABORTED();
    /* The server is suspended. */
    struct kthread *s = silent_call();
    CHECK(s != NULL);
    CHECK_EQ(vl_tcb_suspend(s->tcb), 0);
    CHECK_CALL_ABORTED();
    /* The server is destroyed: its only TCB cap is deleted. */
    s = silent_call();
    CHECK(s != NULL);
    CHECK_EQ(vl_cnode_delete(ROOT, s->tcb, 64), 0);
    CHECK_CALL_ABORTED();
    /* The server waits for a reply from this thread and is restarted (Resume). */
    abort_ep2 = obj_new(VL_OBJ_ENDPOINT, 0);
    s = thread_new(silent_server, 0, 100, 0);
    CHECK(s != NULL);
    CHECK(thread_new(caller, abort_ep, 100, 0) != NULL);
    m = vl_recv(abort_ep2);
    CHECK_EQ(vl_msginfo_label(m.info), 7);
    SETTLE();
    CHECK_EQ(got[4], 0);
    CHECK_EQ(vl_tcb_resume(s->tcb), 0);
    CHECK_CALL_ABORTED();
}

/* Sends n words (1000 + i) through the IPC buffer; n in arg's low byte, ep above. */
static void
long_sender(vl_word_t arg)
{
    vl_word_t n = arg & 0xff;
    vl_cptr_t ep = arg >> 8;
    vl_word_t mr[VL_MSG_REGS] = {0};
    for (vl_word_t i = 0; i < n && i < VL_MSG_MAX_LENGTH; i++) {
        if (i < VL_MSG_REGS) {
            mr[i] = 1000 + i;
        } else {
            vl_ipc_buffer->msg[i] = 1000 + i;
        }
    }
    vl_send(ep, vl_msginfo(1, 0, 0, n), mr);
}

static void
test_ipc_long_messages(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    static const vl_word_t lengths[] = {10, 120, 0, 4, 5};
    for (unsigned k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
        vl_word_t n = lengths[k];
        /* The sender (lower priority) runs only once we block in Recv, so the buffer is
         * filled after thread_new, whose own invocations use it. */
        CHECK(thread_new(long_sender, (ep << 8) | n, 100, 0) != NULL);
        for (int i = 0; i < VL_MSG_MAX_LENGTH; i++) {
            vl_ipc_buffer->msg[i] = 0xdead;
        }
        struct vl_msg m = vl_recv(ep);
        CHECK_EQ(vl_msginfo_length(m.info), n);
        for (vl_word_t i = 0; i < n; i++) {
            vl_word_t v = i < VL_MSG_REGS ? m.mr[i] : vl_ipc_buffer->msg[i];
            CHECK_EQ(v, 1000 + i);
        }
        if (n < VL_MSG_MAX_LENGTH) {
            CHECK_EQ(vl_ipc_buffer->msg[n < VL_MSG_REGS ? VL_MSG_REGS : n], 0xdead);
        }
    }
    /* A length above the maximum is cut to 120. */
    CHECK(thread_new(long_sender, (ep << 8) | 127, 100, 0) != NULL);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_length(m.info), VL_MSG_MAX_LENGTH);
}

/* Receives once on ep (arg) and stores label and MR1. */
static void
receiver(vl_word_t ep)
{
    got[7] = 0;
    struct vl_msg m = vl_recv(ep);
    got[8] = vl_msginfo_label(m.info);
    got[9] = m.mr[1];
    got[7] = 1;
}

static void
test_ipc_nonblocking(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    /* NBSend without a receiver: dropped. */
    vl_word_t mr[VL_MSG_REGS] = {5, 6, 7, 8};
    vl_nb_send(ep, vl_msginfo(1, 0, 0, 4), mr);
    /* NBRecv without a sender: badge 0, nothing received. */
    struct vl_msg m = vl_nb_recv(ep);
    CHECK_EQ(m.badge, 0);
    CHECK_EQ(vl_msginfo_length(m.info), 0);
    CHECK_EQ(vl_msginfo_label(m.info), 0);
    /* With a blocked sender, NBRecv gets its message. */
    CHECK(thread_new(sender, ep, 100, 0) != NULL);
    SETTLE();
    m = vl_nb_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), 7);
    CHECK_EQ(m.mr[1], 2);
    /* NBSend to a waiting receiver is delivered. */
    CHECK(thread_new(receiver, ep, 100, 0) != NULL);
    SETTLE();
    CHECK_EQ(got[7], 0);
    vl_nb_send(ep, vl_msginfo(12, 0, 0, 4), mr);
    SETTLE();
    CHECK_EQ(got[7], 1);
    CHECK_EQ(got[8], 12);
    CHECK_EQ(got[9], 6);
    /* NBSend on an empty slot does not fault. */
    vl_nb_send(slot_alloc(), 0, mr);
    CHECK_EQ(vl_debug_check(), 0);
}

/* Receives once on ep (low 12 bits) and logs id (bits 12..) * 100 + MR0. */
static void
logging_receiver(vl_word_t arg)
{
    struct vl_msg m = vl_recv(arg & 0xfff);
    order[norder++] = (arg >> 12) * 100 + m.mr[0];
}

/* Sends on ep (low 12 bits) with MR0 = id (bits 12..), then logs id. */
static void
logging_sender(vl_word_t arg)
{
    vl_word_t mr[VL_MSG_REGS] = {arg >> 12};
    vl_send(arg & 0xfff, vl_msginfo(0, 0, 0, 1), mr);
    order[norder++] = arg >> 12;
}

static void
test_ipc_wakeup_order(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(ep < 0x1000);
    norder = 0;
    /* Receivers: low priority queues first, high priority second. */
    CHECK(thread_new(logging_receiver, (1ul << 12) | ep, 100, 0) != NULL);
    SETTLE();
    CHECK(thread_new(logging_receiver, (2ul << 12) | ep, 150, 0) != NULL);
    SETTLE();
    CHECK_EQ(norder, 0);
    vl_word_t mr[VL_MSG_REGS] = {1};
    vl_send(ep, vl_msginfo(0, 0, 0, 1), mr); /* FIFO: to the first queued (low) */
    mr[0] = 2;
    vl_send(ep, vl_msginfo(0, 0, 0, 1), mr); /* to the high one */
    CHECK_EQ(norder, 0);
    SETTLE();
    /* Both woken; the higher priority one ran first. */
    CHECK_EQ(norder, 2);
    CHECK_EQ(order[0], 202);
    CHECK_EQ(order[1], 101);
    /* Senders: queued FIFO regardless of priority. */
    norder = 0;
    CHECK(thread_new(logging_sender, (3ul << 12) | ep, 100, 0) != NULL);
    SETTLE();
    CHECK(thread_new(logging_sender, (4ul << 12) | ep, 150, 0) != NULL);
    SETTLE();
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(m.mr[0], 3);
    m = vl_recv(ep);
    CHECK_EQ(m.mr[0], 4);
    SETTLE();
    CHECK_EQ(norder, 2);
    CHECK_EQ(order[0], 4);
    CHECK_EQ(order[1], 3);
}

static void
test_ipc_cancel_badged_sends(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t b1 = slot_alloc();
    vl_cptr_t b2 = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, b1, 64, ROOT, ep, 64, VL_RIGHTS_ALL, 1), 0);
    CHECK_EQ(vl_cnode_mint(ROOT, b2, 64, ROOT, ep, 64, VL_RIGHTS_ALL, 2), 0);
    CHECK(thread_new(sender, b1, 100, 0) != NULL);
    SETTLE();
    CHECK(thread_new(sender, b2, 100, 0) != NULL);
    SETTLE();
    /* Queue: badge 1, badge 2. Cancelling badge 1 restarts that send: it requeues last. */
    CHECK_EQ(vl_cnode_cancel_badged_sends(ROOT, b1, 64), 0);
    CHECK_EQ(vl_debug_check(), 0);
    SETTLE();
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(m.badge, 2);
    m = vl_recv(ep);
    CHECK_EQ(m.badge, 1);
    /* Revoking the badged cap and deleting it: the blocked sender's Send then faults
     * (no handler: it is suspended) and the queue is consistent. */
    CHECK(thread_new(sender, b1, 100, 0) != NULL);
    SETTLE();
    CHECK_EQ(vl_cnode_cancel_badged_sends(ROOT, b1, 64), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, b1, 64), 0);
    SETTLE();
    m = vl_nb_recv(ep);
    CHECK_EQ(m.badge, 0);
    CHECK_EQ(vl_msginfo_label(m.info), 0);
}

/* Echo server: replies to every call with each word plus its badge, label + 1. */
static void
echo_server(vl_word_t ep)
{
    struct vl_msg m = vl_recv(ep);
    for (;;) {
        vl_word_t mr[VL_MSG_REGS];
        for (int i = 0; i < VL_MSG_REGS; i++) {
            mr[i] = m.mr[i] + m.badge;
        }
        for (vl_word_t i = VL_MSG_REGS; i < vl_msginfo_length(m.info); i++) {
            vl_ipc_buffer->msg[i] += m.badge;
        }
        vl_word_t info = vl_msginfo(vl_msginfo_label(m.info) + 1, 0, 0, vl_msginfo_length(m.info));
        m = vl_reply_recv(ep, info, mr);
    }
}

/*
 * Many Call / ReplyRecv round trips: the case the kernel's fast path takes (no caps,
 * server at the caller's priority or above; words beyond the registers through both IPC
 * buffers). Every word, label and badge must arrive exactly, whichever path carried it.
 */
static void
test_ipc_call_reply_many(void)
{
    static const vl_word_t prios[] = {255, 254};
    for (unsigned p = 0; p < 2; p++) {
        vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
        vl_cptr_t b = slot_alloc();
        CHECK_EQ(vl_cnode_mint(ROOT, b, 64, ROOT, ep, 64, VL_RIGHTS_ALL, 7 + p), 0);
        CHECK(thread_new(echo_server, ep, prios[p], 0) != NULL);
        for (vl_word_t i = 0; i < 500; i++) {
            vl_word_t len = (i % 50 == 49) ? VL_MSG_MAX_LENGTH : i % 13;
            vl_word_t mr[VL_MSG_REGS] = {i, i * 3, ~i, i << 20};
            for (vl_word_t w = VL_MSG_REGS; w < len; w++) {
                vl_ipc_buffer->msg[w] = i * 1000 + w;
            }
            struct vl_msg m = vl_call(b, vl_msginfo(i & 0xff, 0, 0, len), mr);
            CHECK_EQ(vl_msginfo_label(m.info), (i & 0xff) + 1);
            CHECK_EQ(vl_msginfo_length(m.info), len);
            CHECK_EQ(m.badge, 0);
            for (vl_word_t w = 0; w < len; w++) {
                vl_word_t got = w < VL_MSG_REGS ? m.mr[w] : vl_ipc_buffer->msg[w];
                vl_word_t sent = w < VL_MSG_REGS ? mr[w] : i * 1000 + w;
                CHECK_EQ(got, sent + 7 + p);
            }
        }
        CHECK_EQ(vl_debug_check(), 0);
        /* The server waits again: a Recv-side caller slot is clean. */
        CHECK_EQ(vl_cnode_delete(ROOT, b, 64), 0);
    }
}

/*
 * The register convention of system calls (uapi/vallum/syscall.h): s1..s11 and a6 (and
 * every other register but a0..a5 and t0..t6) come back unchanged; the temporaries
 * t0..t6 come back holding nothing of another thread's. ABI_REGS are s1..s11, a6, t0..t6
 * in that order; ABI_PRESERVED of them are preserved.
 */
#define ABI_REGS 19
#define ABI_PRESERVED 12
#define CLIENT_PATTERN 0x7c000
#define SERVER_PATTERN 0x5e000

/* Sets the ABI_REGS registers to pattern + i, makes the system call (a7 = sysno, a0 =
 * cap, a1 = info, a2..a5 = 0), and stores the registers as the call left them in out. */
#define ABI_SYSCALL(pattern, sysno, cap, info, out)                                                \
    do {                                                                                           \
        register vl_word_t a0_ __asm__("a0") = (cap);                                              \
        register vl_word_t a1_ __asm__("a1") = (info);                                             \
        register vl_word_t a7_ __asm__("a7") = (sysno);                                            \
        __asm__ volatile(ABI_SET_##pattern "li a2, 0\n\tli a3, 0\n\tli a4, 0\n\tli a5, 0\n\t"      \
                                           "ecall\n\t" ABI_STORE                                   \
                         : "+r"(a0_), "+r"(a1_)                                                    \
                         : "r"(a7_), [out] "r"(out)                                                \
                         : "memory", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10",  \
                           "s11", "a2", "a3", "a4", "a5", "a6", VL_SYSCALL_CLOBBERS);              \
    } while (0)
#define ABI_SET_CLIENT                                                                             \
    "li s1, 0x7c000\n\t"                                                                           \
    "li s2, 0x7c001\n\t"                                                                           \
    "li s3, 0x7c002\n\t"                                                                           \
    "li s4, 0x7c003\n\t"                                                                           \
    "li s5, 0x7c004\n\t"                                                                           \
    "li s6, 0x7c005\n\t"                                                                           \
    "li s7, 0x7c006\n\t"                                                                           \
    "li s8, 0x7c007\n\t"                                                                           \
    "li s9, 0x7c008\n\t"                                                                           \
    "li s10, 0x7c009\n\t"                                                                          \
    "li s11, 0x7c00a\n\t"                                                                          \
    "li a6, 0x7c00b\n\t"                                                                           \
    "li t0, 0x7c00c\n\t"                                                                           \
    "li t1, 0x7c00d\n\t"                                                                           \
    "li t2, 0x7c00e\n\t"                                                                           \
    "li t3, 0x7c00f\n\t"                                                                           \
    "li t4, 0x7c010\n\t"                                                                           \
    "li t5, 0x7c011\n\t"                                                                           \
    "li t6, 0x7c012\n\t"
#define ABI_SET_SERVER                                                                             \
    "li s1, 0x5e000\n\t"                                                                           \
    "li s2, 0x5e001\n\t"                                                                           \
    "li s3, 0x5e002\n\t"                                                                           \
    "li s4, 0x5e003\n\t"                                                                           \
    "li s5, 0x5e004\n\t"                                                                           \
    "li s6, 0x5e005\n\t"                                                                           \
    "li s7, 0x5e006\n\t"                                                                           \
    "li s8, 0x5e007\n\t"                                                                           \
    "li s9, 0x5e008\n\t"                                                                           \
    "li s10, 0x5e009\n\t"                                                                          \
    "li s11, 0x5e00a\n\t"                                                                          \
    "li a6, 0x5e00b\n\t"                                                                           \
    "li t0, 0x5e00c\n\t"                                                                           \
    "li t1, 0x5e00d\n\t"                                                                           \
    "li t2, 0x5e00e\n\t"                                                                           \
    "li t3, 0x5e00f\n\t"                                                                           \
    "li t4, 0x5e010\n\t"                                                                           \
    "li t5, 0x5e011\n\t"                                                                           \
    "li t6, 0x5e012\n\t"
#define ABI_STORE                                                                                  \
    "sd s1, 0(%[out])\n\t"                                                                         \
    "sd s2, 8(%[out])\n\t"                                                                         \
    "sd s3, 16(%[out])\n\t"                                                                        \
    "sd s4, 24(%[out])\n\t"                                                                        \
    "sd s5, 32(%[out])\n\t"                                                                        \
    "sd s6, 40(%[out])\n\t"                                                                        \
    "sd s7, 48(%[out])\n\t"                                                                        \
    "sd s8, 56(%[out])\n\t"                                                                        \
    "sd s9, 64(%[out])\n\t"                                                                        \
    "sd s10, 72(%[out])\n\t"                                                                       \
    "sd s11, 80(%[out])\n\t"                                                                       \
    "sd a6, 88(%[out])\n\t"                                                                        \
    "sd t0, 96(%[out])\n\t"                                                                        \
    "sd t1, 104(%[out])\n\t"                                                                       \
    "sd t2, 112(%[out])\n\t"                                                                       \
    "sd t3, 120(%[out])\n\t"                                                                       \
    "sd t4, 128(%[out])\n\t"                                                                       \
    "sd t5, 136(%[out])\n\t"                                                                       \
    "sd t6, 144(%[out])\n\t"

static volatile vl_word_t abi_server_regs[ABI_REGS];
static volatile vl_word_t abi_server_rounds;

/* Replies to every call with the caller's message info (so with its extra caps too),
 * recording its own registers after each ReplyRecv. */
static void
abi_server(vl_word_t ep)
{
    struct vl_msg m = vl_recv(ep);
    vl_word_t info = m.info;
    for (;;) {
        vl_word_t out[ABI_REGS];
        ABI_SYSCALL(SERVER, VL_SYS_REPLY_RECV, ep, info, out);
        for (int i = 0; i < ABI_REGS; i++) {
            abi_server_regs[i] = out[i];
        }
        abi_server_rounds++;
    }
}

/* True if the registers in r are as the convention requires of a thread that set them to
 * own + i, while the peer had set its own to peer + i. */
static bool
abi_regs_ok(const volatile vl_word_t *r, vl_word_t own, vl_word_t peer)
{
    for (int i = 0; i < ABI_REGS; i++) {
        if (i < ABI_PRESERVED && r[i] != own + i) {
            return false;
        }
        if (r[i] >= peer && r[i] < peer + ABI_REGS) {
            return false;
        }
    }
    return true;
}

/*
 * Call and ReplyRecv, on the fast path (no caps) and on the slow path (one extra cap,
 * which names an empty slot so nothing is transferred): preserved registers come back
 * unchanged and no temporary shows the other thread's value.
 */
static void
test_ipc_register_convention(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t empty = slot_alloc();
    vl_ipc_buffer->caps_or_badges[0] = empty;
    CHECK(thread_new(abi_server, ep, 255, 0) != NULL);
    for (vl_word_t caps = 0; caps < 2; caps++) {
        for (int round = 0; round < 3; round++) {
            vl_word_t out[ABI_REGS];
            vl_word_t before = abi_server_rounds;
            ABI_SYSCALL(CLIENT, VL_SYS_CALL, ep, vl_msginfo(9, 0, caps, 0), out);
            CHECK(abi_regs_ok(out, CLIENT_PATTERN, SERVER_PATTERN));
            if (round > 0) {
                CHECK_EQ(abi_server_rounds, before + 1);
                CHECK(abi_regs_ok(abi_server_regs, SERVER_PATTERN, CLIENT_PATTERN));
            }
        }
    }
}

static volatile vl_word_t urgent_order[4];
static volatile vl_word_t urgent_n;

/* Waits for one message or signal on arg, then records that it ran. */
static void
urgent_waiter(vl_word_t cap)
{
    struct vl_msg m = vl_recv(cap);
    urgent_order[urgent_n++] = 100 + m.badge;
}

/* Sends (or signals) on arg, then records that it continued. */
static void
lesser_sender(vl_word_t cap)
{
    vl_word_t mr[VL_MSG_REGS] = {1, 2, 3, 4};
    vl_send(cap, vl_msginfo(0, 0, 0, 2), mr);
    urgent_order[urgent_n++] = 1;
}

/*
 * A Send or Signal that wakes a waiter more urgent than the sender runs the waiter first;
 * a waiter that is not more urgent runs after the sender. (The kernel's fast path decides
 * the first case, the slow path the second.)
 */
static void
test_ipc_send_wakes_more_urgent(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t bep = slot_alloc();
    vl_cptr_t bn = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, bep, 64, ROOT, ep, 64, VL_RIGHTS_ALL, 5), 0);
    CHECK_EQ(vl_cnode_mint(ROOT, bn, 64, ROOT, n, 64, VL_RIGHTS_ALL, 6), 0);
    /* (waiter priority, notification?): more urgent on both objects, less urgent. The
     * harness allows 8 threads per test: three cases of two threads, and the settler. */
    static const vl_word_t cases[][2] = {{150, 0}, {150, 1}, {50, 1}};
    for (unsigned k = 0; k < 3; k++) {
        bool use_ntfn = cases[k][1] != 0;
        urgent_n = 0;
        CHECK(thread_new(urgent_waiter, use_ntfn ? n : ep, cases[k][0], 0) != NULL);
        SETTLE(); /* the waiter blocks */
        CHECK(thread_new(lesser_sender, use_ntfn ? bn : bep, 100, 0) != NULL);
        SETTLE();
        CHECK_EQ(urgent_n, 2);
        vl_word_t badge = use_ntfn ? 6 : 5;
        bool waiter_first = cases[k][0] > 100;
        CHECK_EQ(urgent_order[0], waiter_first ? 100 + badge : 1);
        CHECK_EQ(urgent_order[1], waiter_first ? 1 : 100 + badge);
    }
}

void
ipc_tests(void)
{
    RUN(test_ipc_send_wakes_more_urgent);
    RUN(test_ipc_call_reply_many);
    RUN(test_ipc_register_convention);
    RUN(test_ipc_badge);
    RUN(test_ipc_cap_transfer);
    RUN(test_ipc_call_reply);
    RUN(test_ipc_reply_abort);
    RUN(test_ipc_long_messages);
    RUN(test_ipc_nonblocking);
    RUN(test_ipc_wakeup_order);
    RUN(test_ipc_cancel_badged_sends);
}
