/*
 * One invocation being decoded: who invokes what, with which arguments.
 */
#pragma once

#include <vallum/ipcbuf.h>
#include <vallum/msginfo.h>

#include "object/endpoint.h"
#include "object/structures.h"

struct invocation {
    struct tcb *thread;                       /* the invoking thread */
    word_t label;                             /* operation (enum vl_invocation) */
    word_t length;                            /* message registers supplied */
    struct cte *slot;                         /* slot of the invoked cap */
    cap_t cap;                                /* the invoked cap */
    struct cte *extra[VL_MSG_MAX_EXTRA_CAPS]; /* slots of the extra caps, looked up */
    word_t n_extra;
    struct vl_ipc_buffer *buf;  /* the thread's IPC buffer to read arguments, or NULL */
    struct vl_ipc_buffer *rbuf; /* the same buffer if writable (for results), or NULL */
    bool is_call;               /* a reply is expected */
    word_t reply_length;        /* result registers the operation set (0 if none) */
};

/* Argument i (message register i) of the invocation. Callers check length first. */
static inline word_t
inv_arg(const struct invocation *inv, word_t i)
{
    return ipc_get_mr(inv->thread, inv->buf, i);
}

/* Sets result register i of the reply. */
static inline void
inv_set_result(const struct invocation *inv, word_t i, word_t v)
{
    ipc_set_mr(inv->thread, inv->rbuf, i, v);
}
