/*
 * VL_SYS_IDENTIFY through syscall_handle: type, rights and badge of a cap in the caller's
 * CSpace, an empty slot, a failed lookup; registers beyond a3 untouched.
 */
#include "fastpath_env.h"

#include <vallum/syscall.h>

#include "api/syscall.h"

/* Runs Identify on cptr as the client; the results are in its a0..a3. */
static void
identify(struct fp_env *e, word_t cptr)
{
    e->client->regs[REG_CAP] = cptr;
    e->client->regs[REG_MR0 + 2] = 0xa4;
    e->client->regs[REG_MR0 + 3] = 0xa5;
    syscall_handle(VL_SYS_IDENTIFY);
}

KTEST(identify_caps)
{
    struct fp_env e = fp_env(FP_PRIO, FP_PRIO, 0x77);
    struct tcb *c = e.client;
    identify(&e, FP_EP);
    CHECK_EQ(c->regs[REG_BADGE], VL_CAP_ENDPOINT);
    CHECK_EQ(c->regs[REG_MSGINFO], VL_RIGHTS_ALL);
    CHECK_EQ(c->regs[REG_MR0], 0x77);
    CHECK_EQ(c->regs[REG_MR0 + 1], VL_LOOKUP_NO_FAILURE);
    CHECK_EQ(c->regs[REG_MR0 + 2], 0xa4);
    CHECK_EQ(c->regs[REG_MR0 + 3], 0xa5);
    CHECK_EQ(c->state, TS_RUNNING);
    identify(&e, FP_NTFN);
    CHECK_EQ(c->regs[REG_BADGE], VL_CAP_NOTIFICATION);
    CHECK_EQ(c->regs[REG_MR0], 0x77);
    /* An empty slot: found, type null. */
    identify(&e, FP_EMPTY);
    CHECK_EQ(c->regs[REG_BADGE], VL_CAP_NULL);
    CHECK_EQ(c->regs[REG_MSGINFO], 0);
    CHECK_EQ(c->regs[REG_MR0], 0);
    CHECK_EQ(c->regs[REG_MR0 + 1], VL_LOOKUP_NO_FAILURE);
    /* A frame cap with reduced rights, placed in the empty slot. */
    kt_insert_at(cap_frame(kt_alloc(12), FRAME_4K, false, VL_RIGHT_READ), &e.ccn[FP_EMPTY]);
    identify(&e, FP_EMPTY);
    CHECK_EQ(c->regs[REG_BADGE], VL_CAP_FRAME);
    CHECK_EQ(c->regs[REG_MSGINFO], VL_RIGHT_READ);
    CHECK_EQ(c->regs[REG_MR0], 0);
    /* A debug cap reports its rights (print only here). */
    cte_unlink(&e.ccn[FP_EMPTY]);
    kt_insert_at(cap_debug(VL_DEBUG_RIGHT_PRINT), &e.ccn[FP_EMPTY]);
    identify(&e, FP_EMPTY);
    CHECK_EQ(c->regs[REG_BADGE], VL_CAP_DEBUG);
    CHECK_EQ(c->regs[REG_MSGINFO], VL_DEBUG_RIGHT_PRINT);
    CHECK_EQ(c->regs[REG_MR0], 0);
    /* A cptr that fails the guard: a lookup failure, not a fault. */
    identify(&e, 1ul << 63);
    CHECK_EQ(c->regs[REG_BADGE], VL_CAP_NULL);
    CHECK_EQ(c->regs[REG_MSGINFO], 0);
    CHECK_EQ(c->regs[REG_MR0], 0);
    CHECK_EQ(c->regs[REG_MR0 + 1], VL_LOOKUP_GUARD_MISMATCH);
    CHECK_EQ(c->fault.type, FAULT_NONE);
    CHECK_EQ(c->state, TS_RUNNING);
    INV();
}
