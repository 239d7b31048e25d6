/*
 * Environments for the host tests of the IPC fast path (test_fastpath.c,
 * test_fastpath_equiv.c): threads with CSpaces, VSpaces and IPC buffers around one
 * endpoint and one notification, messages that show who sent each word, and checks of
 * what a message changed.
 */
#pragma once

#include "ktest.h"

/* Every thread's CSpace is one CNode of 2^FP_RADIX slots whose guard takes the rest. */
#define FP_RADIX 4
#define FP_EP 1    /* cptr of an endpoint cap (the client's has the badge, all rights) */
#define FP_NTFN 2  /* cptr of a notification cap (badged as the endpoint cap) */
#define FP_EMPTY 3 /* cptr of an empty slot */
#define FP_PRIO 100
/* The IPC buffer's user address: 1 KiB into its frame. */
#define FP_BUFFER_VA 0x10400ul
/* Who sends which words: message word i of a sender with the given seed. */
#define FP_CLIENT_SEED 0xc1
#define FP_SERVER_SEED 0x5e

/*
 * Two threads with CSpaces, VSpaces and IPC buffers (client and server), a third one
 * (other: no spaces, INACTIVE and unqueued until a test uses it), an endpoint and a
 * notification. The client is the current thread.
 */
struct fp_env {
    struct endpoint *ep;
    struct notification *ntfn;
    struct tcb *client;
    struct tcb *server;
    struct tcb *other;
    struct cte *ccn; /* the client's CNode */
    struct cte *scn; /* the server's CNode */
    struct vl_ipc_buffer *cbuf;
    struct vl_ipc_buffer *sbuf;
};

/* A word nobody sent: what a register or buffer word of thread seed held before. */
static inline word_t
fp_junk(word_t seed, word_t i)
{
    return 0xdead00000000ul | (seed << 16) | i;
}

/* Message word i as sent by the thread with the given seed. */
static inline word_t
fp_word(word_t seed, word_t i)
{
    return 0x5e4d00000000ul | (seed << 16) | i;
}

/* A fresh environment (the client is the current thread); the client's caps carry badge. */
struct fp_env fp_env(word_t client_prio, word_t server_prio, word_t badge);

/* The satp value that runs t (its VTABLE slot must hold a VSpace cap). */
word_t fp_satp(struct tcb *t);

/* Replaces the cap in slot, or its rights; the slot keeps its place in the derivation
 * list. */
void fp_set_cap(struct cte *slot, cap_t cap);
void fp_set_rights(struct cte *slot, word_t rights);

/* t waits on the endpoint named by cap (with that cap's rights). */
void fp_wait(struct tcb *t, cap_t cap);

/* t's registers as the trap entry leaves them for a system call (cptr, info, message
 * registers) and message words VL_MSG_REGS.. in buf, all sent by seed. */
void fp_load(struct tcb *t, struct vl_ipc_buffer *buf, word_t seed, cptr_t cptr, word_t info);

/* The server waits, the client Calls it (slow path) and the server runs with the reply
 * cap: where ReplyRecv starts. */
void fp_serve(struct fp_env *e);

/* A receiver's registers and buffer before a message, to check what the message changed. */
struct fp_before {
    word_t regs[32];
    struct vl_ipc_buffer buf;
};

struct fp_before fp_before(struct tcb *t, struct vl_ipc_buffer *buf);

/*
 * Checks that to got the message from the sender with the given seed: the badge, the
 * info word want_info, message words 0..length-1, and nothing else of its registers and
 * IPC buffer changed.
 */
void fp_check_delivered(struct tcb *to, struct vl_ipc_buffer *buf, const struct fp_before *b,
                        word_t seed, word_t badge, word_t want_info);

/* Checks the reply cap to caller in receiver's caller slot and caller's back pointer. */
void fp_check_reply_cap(struct tcb *receiver, struct tcb *caller, bool can_grant);

/* Takes an environment's threads off the ready queues so the next one starts afresh. */
void fp_retire(struct fp_env *e);

/* Snapshots everything a fast path that declines must leave as it was (kt_snap). */
void fp_snap(struct fp_env *e);
