/*
 * The IPC fast path: Call and ReplyRecv of messages that fit in registers, between
 * threads that allow a direct switch. Each function either completes the system call
 * and returns true (ks_cur_thread is then the thread to run), or changes nothing and
 * returns false so the slow path runs.
 */
#pragma once

#include "types.h"

#ifdef CONFIG_FASTPATH
bool fastpath_call(void);
bool fastpath_reply_recv(void);
/* Send: a signal (waking a more urgent waiter directly), or a message to a waiting
 * receiver that is more urgent than the sender. */
bool fastpath_send(void);
/* Yield: the current thread goes behind the next one of its priority. */
bool fastpath_yield(void);
#endif
