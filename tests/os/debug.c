/*
 * Debug system calls need a debug capability with the right each names (print, check,
 * halt): without the cap, with another cap, or with a cap minted without the right, the
 * kernel refuses the call (a0 = the error, nothing done) and the machine keeps running.
 * Halting with the right is what ends this suite (main.c).
 */
#include "ktest.h"

/* Debug call sysno on cap with argument arg; returns a0 (0 or the error), *result = a1. */
static vl_word_t
debug_sys(vl_word_t sysno, vl_cptr_t cap, vl_word_t arg, vl_word_t *result)
{
    static const vl_word_t z[VL_MSG_REGS];
    struct vl_msg m = vl_syscall(sysno, cap, arg, z);
    *result = m.info;
    return m.badge;
}

/* A copy of the first task's debug cap with rights, in a new scratch slot (0 on failure). */
static vl_cptr_t
debug_copy(vl_word_t rights)
{
    vl_cptr_t s = slot_alloc();
    if (s == 0 || vl_cnode_copy(ROOT, s, 64, ROOT, VL_CAP_DEBUG_SLOT, 64, rights) != 0) {
        return 0;
    }
    return s;
}

static void
test_debug_cap_at_boot(void)
{
    CHECK_TYPE(VL_CAP_DEBUG_SLOT, VL_CAP_DEBUG);
    vl_word_t r = 1;
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_CHECK, VL_CAP_DEBUG_SLOT, 0, &r), 0);
    CHECK_EQ(r, 0);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_CAP_TYPE, VL_CAP_DEBUG_SLOT, VL_CAP_INIT_TCB, &r), 0);
    CHECK_EQ(r, VL_CAP_TCB);
}

/* Each right allows its calls only; a copy never gains rights; no right, no call. */
static void
test_debug_rights(void)
{
    vl_cptr_t print = debug_copy(VL_DEBUG_RIGHT_PRINT);
    vl_cptr_t check = debug_copy(VL_DEBUG_RIGHT_CHECK);
    vl_cptr_t halt = debug_copy(VL_DEBUG_RIGHT_HALT);
    vl_cptr_t none = debug_copy(0);
    CHECK(print != 0 && check != 0 && halt != 0 && none != 0);
    CHECK_TYPE(print, VL_CAP_DEBUG);
    vl_word_t r = 9;
    /* Print: put char, name, cap type; not halt, check or dump. */
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_HALT, print, 1, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(r, 0);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_CHECK, print, 0, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_DUMP, print, 0, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_PUT_CHAR, print, '\n', &r), 0);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_CAP_TYPE, print, check, &r), 0);
    CHECK_EQ(r, VL_CAP_DEBUG);
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    CHECK(tcb != 0);
    vl_ipc_buffer->msg[0] = 0; /* the name "" */
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_NAME, print, tcb, &r), 0);
    /* Check: the walk and the dump; not print, cap type, name or halt. */
    r = 9;
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_CHECK, check, 0, &r), 0);
    CHECK_EQ(r, 0);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_DUMP, check, 0, &r), 0);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_PUT_CHAR, check, 'x', &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_CAP_TYPE, check, print, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(r, 0);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_NAME, check, tcb, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_HALT, check, 1, &r), VL_ILLEGAL_OPERATION);
    /* Halt alone: nothing else (its success would end the suite). */
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_PUT_CHAR, halt, 'x', &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_CHECK, halt, 0, &r), VL_ILLEGAL_OPERATION);
    /* No rights: every call refused. */
    for (vl_word_t sys = VL_SYS_DEBUG_PUT_CHAR; sys <= VL_SYS_DEBUG_CAP_TYPE; sys++) {
        CHECK_EQ(debug_sys(sys, none, 1, &r), VL_ILLEGAL_OPERATION);
    }
    /* A copy (or mint) of the print-only cap with every right is still print-only. */
    vl_cptr_t again = slot_alloc();
    CHECK(again != 0);
    CHECK_EQ(vl_cnode_mint(ROOT, again, 64, ROOT, print, 64, VL_RIGHTS_ALL, 0), 0);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_HALT, again, 1, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_CHECK, again, 0, &r), VL_ILLEGAL_OPERATION);
    CHECK_EQ(debug_sys(VL_SYS_DEBUG_PUT_CHAR, again, '\n', &r), 0);
}

/* A cptr that names no debug cap: an empty slot, another cap, a failed lookup. */
static void
test_debug_wrong_cap(void)
{
    vl_cptr_t empty = slot_alloc();
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(empty != 0 && ep != 0);
    const vl_cptr_t bad[] = {empty, ep, t_ut, VL_CAP_INIT_TCB, 1ull << 40};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (vl_word_t sys = VL_SYS_DEBUG_PUT_CHAR; sys <= VL_SYS_DEBUG_CAP_TYPE; sys++) {
            vl_word_t r = 9;
            CHECK_EQ(debug_sys(sys, bad[i], 1, &r), VL_INVALID_CAPABILITY);
            CHECK_EQ(r, 0);
        }
    }
}

/* lib/sys goes through vl_debug_cap and reports a refusal. */
static void
test_debug_lib(void)
{
    vl_cptr_t print = debug_copy(VL_DEBUG_RIGHT_PRINT);
    vl_cptr_t check = debug_copy(VL_DEBUG_RIGHT_CHECK);
    CHECK(print != 0 && check != 0);
    /* No printing in between: vl_debug_cap is restored before any check. */
    vl_debug_cap = print;
    int print_check = vl_debug_check();
    vl_word_t print_type = vl_debug_cap_type(check);
    vl_debug_cap = check;
    int check_check = vl_debug_check();
    vl_word_t check_type = vl_debug_cap_type(check);
    vl_debug_cap = VL_CAP_DEBUG_SLOT;
    CHECK_EQ(print_check, -VL_ILLEGAL_OPERATION);
    CHECK_EQ(print_type, VL_CAP_DEBUG);
    CHECK_EQ(check_check, 0);
    CHECK_EQ(check_type, VL_CAP_NULL);
}

#define NOCAP_RADIX 4
#define NOCAP_FAULT 1 /* the thread's fault endpoint, in its own CSpace */
#define NOCAP_EP 2    /* another cap that is not a debug cap */
static volatile vl_word_t nocap_err[8];
static volatile vl_word_t nocap_done;

/* Runs in a CSpace without a debug cap: every debug call is refused; then the library's
 * halt stops this thread (a breakpoint) rather than the machine. */
static void
nocap_main(vl_word_t arg)
{
    (void)arg;
    vl_word_t r;
    nocap_err[0] = debug_sys(VL_SYS_DEBUG_HALT, VL_CAP_DEBUG_SLOT, 0, &r);
    nocap_err[1] = debug_sys(VL_SYS_DEBUG_PUT_CHAR, VL_CAP_DEBUG_SLOT, 'x', &r);
    nocap_err[2] = debug_sys(VL_SYS_DEBUG_CHECK, VL_CAP_DEBUG_SLOT, 0, &r);
    nocap_err[3] = debug_sys(VL_SYS_DEBUG_DUMP, VL_CAP_DEBUG_SLOT, 0, &r);
    nocap_err[4] = debug_sys(VL_SYS_DEBUG_HALT, NOCAP_EP, 0, &r);
    nocap_err[5] = debug_sys(VL_SYS_DEBUG_CHECK, NOCAP_EP, 0, &r);
    nocap_err[6] = vl_debug_check() == -VL_INVALID_CAPABILITY;
    nocap_done = 1;
    vl_debug_halt(0);
}

static void
test_debug_no_cap(void)
{
    vl_cptr_t cn = obj_new(VL_OBJ_CNODE, NOCAP_RADIX);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(cn != 0 && ep != 0);
    CHECK_EQ(vl_cnode_mint(cn, NOCAP_FAULT, NOCAP_RADIX, ROOT, ep, 64,
                           VL_RIGHT_WRITE | VL_RIGHT_GRANT_REPLY, 5),
             0);
    CHECK_EQ(vl_cnode_copy(cn, NOCAP_EP, NOCAP_RADIX, ROOT, ep, 64, VL_RIGHTS_ALL), 0);
    nocap_done = 0;
    struct kthread *t =
        thread_create(nocap_main, 0, 100, NOCAP_FAULT, cn, VL_WORD_BITS - NOCAP_RADIX);
    CHECK(t != NULL);
    CHECK_EQ(thread_start(t), 0);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(m.badge, 5);
    CHECK_EQ(nocap_done, 1);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_USER_EXCEPTION);
    CHECK_EQ(m.mr[2], 3); /* breakpoint */
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(nocap_err[i], VL_INVALID_CAPABILITY);
    }
    CHECK_EQ(nocap_err[4], VL_INVALID_CAPABILITY);
    CHECK_EQ(nocap_err[5], VL_INVALID_CAPABILITY);
    CHECK_EQ(nocap_err[6], 1);
    CHECK_EQ(vl_tcb_suspend(t->tcb), 0);
}

void
debug_tests(void)
{
    RUN(test_debug_cap_at_boot);
    RUN(test_debug_rights);
    RUN(test_debug_wrong_cap);
    RUN(test_debug_lib);
    RUN(test_debug_no_cap);
}
