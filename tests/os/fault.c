/*
 * Faults delivered to a fault endpoint (unknown system call, illegal instruction,
 * capability fault) and deletion semantics: a blocked receiver whose endpoint is deleted
 * restarts its Recv and faults; nested CNodes are deleted completely.
 */
#include "ktest.h"

#include <stdbool.h>

static volatile vl_word_t res[4];
extern char ill_insn[];

static void
bad_syscall(vl_word_t arg)
{
    vl_word_t mr[VL_MSG_REGS] = {0x11, 0x22, 0x33, 0x44};
    struct vl_msg m = vl_syscall(99, arg, 0x5, mr);
    res[0] = m.badge; /* a0 as set by the handler's reply */
    res[1] = 1;
}

static void
test_fault_unknown_syscall(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    res[1] = 0;
    struct kthread *t = thread_new(bad_syscall, 0xabc, 100, ep);
    CHECK(t != NULL);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_UNKNOWN_SYSCALL);
    CHECK_EQ(vl_msginfo_length(m.info), VL_FAULT_UNKNOWN_SYSCALL_LENGTH);
    vl_word_t mr[12];
    for (int i = 0; i < 12; i++) {
        mr[i] = i < VL_MSG_REGS ? m.mr[i] : vl_ipc_buffer->msg[i];
    }
    CHECK(mr[0] >= (vl_word_t)bad_syscall && mr[0] < (vl_word_t)bad_syscall + 256);
    CHECK(mr[1] <= t->stack_top && mr[1] > t->stack_top - 16384);
    CHECK_EQ(mr[3], 0xabc); /* a0 */
    CHECK_EQ(mr[4], 0x5);   /* a1 */
    CHECK_EQ(mr[5], 0x11);  /* a2 */
    CHECK_EQ(mr[8], 0x44);  /* a5 */
    CHECK_EQ(mr[10], 99);   /* a7 */
    CHECK_EQ(mr[11], 99);
    /* Resume after the ecall with a0 = 0x77. */
    vl_word_t reply[VL_MSG_REGS] = {mr[0] + 4, mr[1], mr[2], 0x77};
    for (int i = 4; i < 11; i++) {
        vl_ipc_buffer->msg[i] = mr[i];
    }
    vl_reply(vl_msginfo(0, 0, 0, 11), reply);
    SETTLE();
    CHECK_EQ(res[1], 1);
    CHECK_EQ(res[0], 0x77);
}

static void
illegal(vl_word_t arg)
{
    (void)arg;
    __asm__ volatile(".globl ill_insn\nill_insn: .word 0\n" ::: "memory");
    res[2] = 1;
}

static void
test_fault_illegal_instruction(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t b = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, b, 64, ROOT, ep, 64, VL_RIGHT_WRITE | VL_RIGHT_GRANT_REPLY, 9), 0);
    res[2] = 0;
    struct kthread *t = thread_new(illegal, 0, 100, b);
    CHECK(t != NULL);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(m.badge, 9);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_USER_EXCEPTION);
    CHECK_EQ(vl_msginfo_length(m.info), VL_FAULT_USER_EXCEPTION_LENGTH);
    CHECK_EQ(m.mr[0], (vl_word_t)ill_insn);
    CHECK(m.mr[1] <= t->stack_top && m.mr[1] > t->stack_top - 16384);
    CHECK_EQ(m.mr[2], 2); /* illegal instruction */
    /* Replying with label 0 and a new pc skips it. */
    vl_word_t reply[VL_MSG_REGS] = {m.mr[0] + 4, m.mr[1]};
    vl_reply(vl_msginfo(0, 0, 0, 2), reply);
    SETTLE();
    CHECK_EQ(res[2], 1);
    /* A second run; a reply with a nonzero label leaves it suspended. */
    res[2] = 0;
    CHECK_EQ(thread_start(t), 0);
    m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_USER_EXCEPTION);
    vl_reply(vl_msginfo(1, 0, 0, 0), reply);
    SETTLE();
    CHECK_EQ(res[2], 0);
    /* A fault endpoint cap without grant rights is no handler: suspended. */
    vl_cptr_t weak = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, weak, 64, ROOT, ep, 64, VL_RIGHT_WRITE), 0);
    CHECK_EQ(vl_tcb_set_space(t->tcb, weak, ROOT, 0, VL_CAP_INIT_VSPACE), 0);
    CHECK_EQ(thread_start(t), 0);
    SETTLE();
    m = vl_nb_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), 0);
    CHECK_EQ(res[2], 0);
}

/*
 * Floating point is off in user mode: user code is soft-float (rv64imac), so the F and D
 * instructions are written as words (an -march with f/d would pick another picolibc
 * multilib). fmv.w.x / fmv.d.x write f0 from a0; fmv.x.d reads f0 into a0.
 */
extern char fp_f_insn[], fp_d_insn[], fp_read_insn[];
static volatile vl_word_t fp_seen;

static void
fp_write(vl_word_t secret)
{
    register vl_word_t a0 __asm__("a0") = secret;
    __asm__ volatile(".globl fp_f_insn\nfp_f_insn: .word 0xf0050053\n" /* fmv.w.x f0, a0 */
                     ".globl fp_d_insn\nfp_d_insn: .word 0xf2050053\n" /* fmv.d.x f0, a0 */
                     : "+r"(a0)::"memory");
    res[0] = 1;
}

static void
fp_read(vl_word_t arg)
{
    register vl_word_t a0 __asm__("a0") = arg;
    __asm__ volatile(".globl fp_read_insn\nfp_read_insn: .word 0xe2000553\n" /* fmv.x.d a0, f0 */
                     : "+r"(a0)::"memory");
    fp_seen = a0;
    res[1] = 1;
}

/* Receives (without blocking) the illegal-instruction fault of a thread at insn and
 * replies so that it continues after it. Returns false (a check failed) otherwise. */
static bool
skip_fp_fault(vl_cptr_t ep, const char *insn)
{
    struct vl_msg m = vl_nb_recv(ep);
    if (vl_msginfo_label(m.info) != VL_FAULT_USER_EXCEPTION) {
        test_fail(__FILE__, __LINE__, "FP instruction faults", vl_msginfo_label(m.info),
                  VL_FAULT_USER_EXCEPTION);
        return false;
    }
    if (m.mr[0] != (vl_word_t)insn || m.mr[2] != 2) { /* scause 2: illegal instruction */
        test_fail(__FILE__, __LINE__, "fault pc and cause", m.mr[0], m.mr[2]);
        return false;
    }
    vl_word_t reply[VL_MSG_REGS] = {m.mr[0] + 4, m.mr[1]};
    vl_reply(vl_msginfo(0, 0, 0, 2), reply);
    return settle() == 0;
}

static void
test_fault_fp_disabled(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    res[0] = res[1] = 0;
    fp_seen = 1;
    /* One thread writes a secret into f0: both the F and the D instruction fault. */
    CHECK(thread_new(fp_write, 0x5ec2e7, 100, ep) != NULL);
    SETTLE();
    CHECK(skip_fp_fault(ep, fp_f_insn));
    CHECK(skip_fp_fault(ep, fp_d_insn));
    CHECK_EQ(res[0], 1);
    /* Another thread cannot read f0 either: it faults, and a0 keeps its own value. */
    CHECK(thread_new(fp_read, 0, 100, ep) != NULL);
    SETTLE();
    CHECK(skip_fp_fault(ep, fp_read_insn));
    CHECK_EQ(res[1], 1);
    CHECK_EQ(fp_seen, 0);
}

/*
 * A thread waiting for its fault handler's reply whose reply cap is deleted stays stopped
 * (it does not run on past the fault); Resume restarts it at the faulting instruction.
 */
static void
test_fault_reply_cap_deleted(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    res[2] = 0;
    struct kthread *t = thread_new(illegal, 0, 100, ep);
    CHECK(t != NULL);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_USER_EXCEPTION);
    CHECK_EQ(m.mr[0], (vl_word_t)ill_insn);
    vl_cptr_t saved = slot_alloc();
    CHECK_EQ(vl_cnode_save_caller(ROOT, saved, 64), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, saved, 64), 0);
    SETTLE();
    CHECK_EQ(res[2], 0);
    m = vl_nb_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), 0); /* no new fault: it is not running */
    CHECK_EQ(vl_debug_check(), 0);
    CHECK_EQ(vl_tcb_resume(t->tcb), 0);
    m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_USER_EXCEPTION);
    CHECK_EQ(m.mr[0], (vl_word_t)ill_insn);
    vl_word_t reply[VL_MSG_REGS] = {m.mr[0] + 4, m.mr[1]};
    vl_reply(vl_msginfo(0, 0, 0, 2), reply);
    SETTLE();
    CHECK_EQ(res[2], 1);
}

/* Sends on the slot in arg (empty at first), then Recvs on it. */
static void
cap_user(vl_word_t slot)
{
    vl_word_t mr[VL_MSG_REGS] = {0};
    vl_send(slot, 0, mr);
    res[3] = 1;
    vl_recv(slot + 1);
    res[3] = 2;
}

static void
test_fault_capability(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t s = slots_alloc(2);
    res[3] = 0;
    CHECK(thread_new(cap_user, s, 100, ep) != NULL);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_CAP);
    CHECK_EQ(vl_msginfo_length(m.info), VL_FAULT_CAP_LENGTH);
    CHECK_EQ(m.mr[1], s);
    CHECK_EQ(m.mr[2], 0);
    CHECK_EQ(m.mr[3], VL_LOOKUP_MISSING_CAP);
    /* Put a notification there; on a resuming reply the Send is executed again. */
    CHECK_EQ(vl_cnode_copy(ROOT, s, 64, ROOT, n, 64, VL_RIGHTS_ALL), 0);
    vl_reply(vl_msginfo(0, 0, 0, 0), m.mr);
    m = vl_recv(ep); /* the Recv phase faults too */
    CHECK_EQ(res[3], 1);
    CHECK_EQ(vl_poll(n), 0); /* signalled with badge 0 */
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_CAP);
    CHECK_EQ(m.mr[1], s + 1);
    CHECK_EQ(m.mr[2], 1);
    /* Leave it blocked on reply: clean-up must cope. */
}

/* Receives on ep (arg) forever. */
static void
blocked_receiver(vl_word_t ep)
{
    vl_recv(ep);
    res[0] = 1;
}

static void
test_delete_endpoint_with_receiver(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t fep = obj_new(VL_OBJ_ENDPOINT, 0);
    res[0] = 0;
    CHECK(thread_new(blocked_receiver, ep, 100, fep) != NULL);
    SETTLE();
    CHECK_EQ(vl_cnode_delete(ROOT, ep, 64), 0);
    CHECK_EQ(vl_debug_check(), 0);
    struct vl_msg m = vl_recv(fep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_CAP);
    CHECK_EQ(m.mr[1], ep);
    CHECK_EQ(m.mr[2], 1); /* in the receive phase */
    CHECK_EQ(m.mr[3], VL_LOOKUP_MISSING_CAP);
    CHECK_EQ(res[0], 0);
    /* Same with a notification waiter. */
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    CHECK(thread_new(blocked_receiver, n, 100, fep) != NULL);
    SETTLE();
    CHECK_EQ(vl_cnode_delete(ROOT, n, 64), 0);
    m = vl_recv(fep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_CAP);
    CHECK_EQ(m.mr[1], n);
    CHECK_EQ(vl_debug_check(), 0);
}

/* A CNode holding the last cap to another CNode (three deep, with objects inside). */
static void
test_delete_nested_cnodes(void)
{
    vl_cptr_t a = obj_new(VL_OBJ_CNODE, 4);
    vl_cptr_t b = obj_new(VL_OBJ_CNODE, 4);
    vl_cptr_t c = obj_new(VL_OBJ_CNODE, 2);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    CHECK(a && b && c && ep && tcb);
    CHECK_EQ(vl_cnode_move(c, 1, 2, ROOT, ep, 64), 0);
    CHECK_EQ(vl_cnode_copy(c, 2, 2, ROOT, c, 64, VL_RIGHTS_ALL), 0); /* c holds itself */
    CHECK_EQ(vl_cnode_move(b, 3, 4, ROOT, c, 64), 0);
    CHECK_EQ(vl_cnode_move(b, 4, 4, ROOT, tcb, 64), 0);
    CHECK_EQ(vl_cnode_move(a, 15, 4, ROOT, b, 64), 0);
    CHECK_EQ(vl_debug_check(), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, a, 64), 0);
    CHECK_TYPE(a, VL_CAP_NULL);
    CHECK_EQ(vl_debug_check(), 0);
    /* c still holds a cap to itself, so it survives, unreachable, as in seL4: only
     * revoking the untyped it came from reclaims it. Then all memory is free again. */
    CHECK(vl_debug_cap_type(t_ut) == VL_CAP_UNTYPED);
    CHECK_EQ(vl_cnode_revoke(ROOT, t_ut, 64), 0);
    vl_cptr_t u = slot_alloc();
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_UNTYPED, TEST_UT_BITS, ROOT, 0, 0, u, 1), 0);
    /* Again with a TCB whose CSpace is the nested CNode, via revoke of the untyped. */
    CHECK_EQ(vl_cnode_delete(ROOT, u, 64), 0);
    a = obj_new(VL_OBJ_CNODE, 3);
    b = obj_new(VL_OBJ_CNODE, 3);
    tcb = obj_new(VL_OBJ_TCB, 0);
    CHECK_EQ(vl_tcb_set_space(tcb, 0, b, 61, VL_CAP_INIT_VSPACE), 0);
    CHECK_EQ(vl_cnode_move(a, 1, 3, ROOT, b, 64), 0);
    CHECK_EQ(vl_cnode_copy(a, 2, 3, ROOT, tcb, 64, VL_RIGHTS_ALL), 0);
    CHECK_EQ(vl_cnode_revoke(ROOT, t_ut, 64), 0);
    CHECK_TYPE(a, VL_CAP_NULL);
    CHECK_TYPE(tcb, VL_CAP_NULL);
    CHECK_EQ(vl_debug_check(), 0);
}

void
fault_tests(void)
{
    RUN(test_fault_unknown_syscall);
    RUN(test_fault_illegal_instruction);
    RUN(test_fault_capability);
    RUN(test_fault_fp_disabled);
    RUN(test_fault_reply_cap_deleted);
}

void
delete_tests(void)
{
    RUN(test_delete_endpoint_with_receiver);
    RUN(test_delete_nested_cnodes);
}
