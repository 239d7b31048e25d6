/*
 * Debug system calls through syscall_handle: each needs a debug cap with its right; a
 * refused call returns the error in a0 and does nothing else (no output, no halt, no
 * fault). Built with CONFIG_DEBUG_CHECK (mk/host.mk), as a test kernel is.
 */
#include "ktest.h"

#include <vallum/syscall.h>

#define DBG_RADIX 4
#define DBG_ALL 1   /* every debug right */
#define DBG_PRINT 2 /* print only */
#define DBG_CHECK 3 /* check only */
#define DBG_HALT 4  /* halt only */
#define DBG_NONE 5  /* no rights */
#define DBG_EP 6    /* an endpoint: not a debug cap */
#define DBG_EMPTY 7

struct dbg {
    struct tcb *t;
    struct cte *cn; /* the thread's CNode: cptr = slot */
};

static struct dbg
dbg_setup(void)
{
    struct dbg d;
    d.t = kt_thread(10, TS_RUNNING);
    kt_insert(cap_tcb(tcb_slots(d.t)));
    cap_t cn = kt_cnode(DBG_RADIX, VL_WORD_BITS - DBG_RADIX, 0);
    kt_insert_at(cn, tcb_slot(d.t, TCB_CTABLE));
    d.cn = cap_ptr(cn);
    kt_insert_at(cap_debug(VL_DEBUG_RIGHTS_ALL), &d.cn[DBG_ALL]);
    kt_insert_at(cap_debug(VL_DEBUG_RIGHT_PRINT), &d.cn[DBG_PRINT]);
    kt_insert_at(cap_debug(VL_DEBUG_RIGHT_CHECK), &d.cn[DBG_CHECK]);
    kt_insert_at(cap_debug(VL_DEBUG_RIGHT_HALT), &d.cn[DBG_HALT]);
    kt_insert_at(cap_debug(0), &d.cn[DBG_NONE]);
    kt_insert_at(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL), &d.cn[DBG_EP]);
    ks_cur_thread = d.t;
    host_putchars = 0;
    return d;
}

/* Issues debug call sysno with a0 = cptr, a1 = arg; returns a0 (the error), *result = a1. */
static word_t
dbg_call(struct dbg *d, word_t sysno, cptr_t cptr, word_t arg, word_t *result)
{
    d->t->regs[REG_CAP] = cptr;
    d->t->regs[REG_MSGINFO] = arg;
    syscall_handle(sysno);
    *result = d->t->regs[REG_MSGINFO];
    return d->t->regs[REG_CAP];
}

KTEST(debug_print_right)
{
    struct dbg d = dbg_setup();
    word_t r;
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_PUT_CHAR, DBG_PRINT, 'v', &r), VL_NO_ERROR);
    CHECK_EQ(r, 0);
    CHECK_EQ(host_putchars, 1);
    CHECK_EQ(host_last_putchar, 'v');
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_CAP_TYPE, DBG_PRINT, DBG_EP, &r), VL_NO_ERROR);
    CHECK_EQ(r, CAP_ENDPOINT);
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_CAP_TYPE, DBG_ALL, DBG_EMPTY, &r), VL_NO_ERROR);
    CHECK_EQ(r, CAP_NULL);
    /* Refused: put char without print, check and halt with print only. */
    kt_snap(d.cn, BIT(DBG_RADIX) * sizeof(struct cte));
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_PUT_CHAR, DBG_CHECK, 'x', &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_PUT_CHAR, DBG_HALT, 'x', &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_PUT_CHAR, DBG_NONE, 'x', &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_CAP_TYPE, DBG_CHECK, DBG_EP, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(r, 0);
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_CHECK, DBG_PRINT, 0, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_DUMP, DBG_PRINT, 0, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_HALT, DBG_PRINT, 1, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(host_putchars, 1);
    CHECK_UNCHANGED();
    CHECK_EQ(d.t->state, TS_RUNNING);
    INV();
}

KTEST(debug_check_right)
{
    struct dbg d = dbg_setup();
    word_t r = 9;
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_CHECK, DBG_CHECK, 0, &r), VL_NO_ERROR);
    CHECK_EQ(r, 0);
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_DUMP, DBG_CHECK, 0, &r), VL_NO_ERROR);
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_CHECK, DBG_HALT, 0, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_CHECK, DBG_NONE, 0, &r), VL_ILLEGAL_OPERATION);
    /* A violation is reported in a1. */
    d.t->in_ready_queue = true;
    d.t->state = TS_INACTIVE;
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_CHECK, DBG_CHECK, 0, &r), VL_NO_ERROR);
    CHECK_EQ(r, 1);
    d.t->in_ready_queue = false;
    d.t->state = TS_RUNNING;
}

KTEST(debug_halt_right)
{
    struct dbg d = dbg_setup();
    word_t r;
    jmp_buf halted;
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_HALT, DBG_CHECK, 3, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_HALT, DBG_NONE, 3, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(dbg_call(&d, VL_SYS_DEBUG_HALT, DBG_EP, 3, &r), VL_INVALID_CAPABILITY);
    host_halt_jmp = &halted;
    if (setjmp(halted) == 0) {
        dbg_call(&d, VL_SYS_DEBUG_HALT, DBG_HALT, 3, &r);
        host_halt_jmp = NULL;
        CHECK(!"halt with the halt right returned");
    }
    host_halt_jmp = NULL;
    CHECK_EQ(host_halt_status, 3);
}

/* No debug cap: every call refused with InvalidCapability, nothing printed, no fault. */
KTEST(debug_no_cap)
{
    struct dbg d = dbg_setup();
    const cptr_t bad[] = {DBG_EMPTY, DBG_EP, 0, 1ull << 40, ~0ull};
    for (word_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (word_t sys = VL_SYS_DEBUG_PUT_CHAR; sys <= VL_SYS_DEBUG_CAP_TYPE; sys++) {
            word_t r = 9;
            CHECK_EQ(dbg_call(&d, sys, bad[i], 1, &r), VL_INVALID_CAPABILITY);
            CHECK_EQ(r, 0);
            CHECK_EQ(d.t->state, TS_RUNNING);
            CHECK_EQ(d.t->fault.type, 0);
        }
    }
    CHECK_EQ(host_putchars, 0);
}

/* Mint and Copy reduce a debug cap's rights like any cap's, and never add to them. */
KTEST(debug_rights_masked)
{
    struct dbg d = dbg_setup();
    CHECK_EQ(cap_rights(cap_mask_rights(VL_DEBUG_RIGHT_PRINT, d.cn[DBG_ALL].cap)),
             VL_DEBUG_RIGHT_PRINT);
    CHECK_EQ(cap_rights(cap_mask_rights(VL_RIGHTS_ALL, d.cn[DBG_PRINT].cap)), VL_DEBUG_RIGHT_PRINT);
    CHECK_EQ(cap_type(cap_mask_rights(0, d.cn[DBG_ALL].cap)), CAP_DEBUG);
    /* All debug caps are one object: a copy is a child of the original. */
    CHECK(cap_same_region_as(d.cn[DBG_ALL].cap, d.cn[DBG_NONE].cap));
    CHECK(cap_object_base(d.cn[DBG_ALL].cap) == NULL);
}
