/*
 * The isolation oracle (tests/os/oracle.c) and its scheduler steps
 * (tests/os/oracle_sched.c).
 */
#pragma once

#include "ktest.h"

/*
 * Makes the scheduler-step threads of the running test: low and server started (server
 * waits on its endpoint, low for a go signal), high configured but inactive. Returns 0,
 * or -1 if an object or thread could not be made.
 */
int oracle_sched_setup(void);

/*
 * One scheduler step with priorities prio[0..2] for low, high and server:
 *   variant 0: low resumes high, which Calls server (through the fast path when the
 *              kernel takes it); with server_waits, server blocks until low signals it
 *              before replying, so the kernel chooses a thread while high waits;
 *   variant 1: the test resumes high itself;
 *   variant 2: server is suspended while high Calls, then restarted;
 *   variant 3: low is suspended and restarted before it is sent to resume high.
 * Returns once every thread is blocked again: 0, the first error code of a TCB
 * invocation, or -1 if the threads could not be waited for. A kernel that loses track of
 * a thread hangs here (the QEMU runner's timeout reports it).
 */
int oracle_sched_step(const unsigned prio[3], unsigned variant, int server_waits);
