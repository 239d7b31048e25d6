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
#endif
