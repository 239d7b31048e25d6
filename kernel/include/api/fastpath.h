/*
 * The IPC fast path: Call and ReplyRecv between threads that allow a direct switch, and
 * Send and Yield. Each function either completes the system call, or changes nothing so
 * the slow path runs.
 *
 * The trap entry (trap.S) calls fastpath_call and fastpath_reply_recv with the caller's
 * cptr and message info still in their registers, and the current thread, whose
 * registers are saved. On success they make the thread to run current, with its address
 * space active, and end in fastpath_exit, which returns to it; otherwise they return
 * NULL having changed nothing, and the slow path runs. fastpath_send and fastpath_yield
 * read the arguments from the saved registers and return true (ks_cur_thread is the
 * thread to run, its address space not yet active) or false.
 */
#pragma once

#include "types.h"

#ifdef CONFIG_FASTPATH
struct tcb;
struct tcb *fastpath_call(word_t cptr, word_t info, struct tcb *cur);
struct tcb *fastpath_reply_recv(word_t cptr, word_t info, struct tcb *cur);
/*
 * Returns to next, whose saved registers hold all it gets but badge (a0) and info (a1).
 * from, the thread that made the call, is unused: it is a parameter so that next comes
 * in a3 and the caller need not move from out of a2. In the kernel it is assembly
 * (trap.S) and does not return; the host tests' stand-in stores badge and info in next's
 * registers and returns next.
 */
struct tcb *fastpath_exit(word_t badge, word_t info, struct tcb *from, struct tcb *next);
/* Send: a signal (waking a more urgent waiter directly), or a message to a waiting
 * receiver that is more urgent than the sender. */
bool fastpath_send(void);
/* Yield: the current thread goes behind the next one of its priority. */
bool fastpath_yield(void);
#endif
