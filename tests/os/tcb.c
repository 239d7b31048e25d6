/*
 * TCB invocations: Configure, SetSpace, SetIPCBuffer, SetPriority, SetMCPriority,
 * ReadRegisters, WriteRegisters, Resume, Suspend, BindNotification, UnbindNotification.
 */
#include "ktest.h"

static volatile vl_word_t spin_count;
static volatile vl_word_t flag;

static void
signal_once(vl_word_t ntfn)
{
    flag = 1;
    vl_signal(ntfn);
}

static void
test_tcb_configure(void)
{
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    flag = 0;
    struct kthread *t = thread_new(signal_once, n, 100, 0);
    CHECK(t != NULL);
    CHECK_EQ(vl_wait(n), 0);
    CHECK_EQ(flag, 1);
    /* Reconfigure without an IPC buffer. */
    CHECK_EQ(vl_tcb_configure(t->tcb, 0, ROOT, 0, VL_CAP_INIT_VSPACE, 0, VL_CAP_INIT_IPC_BUFFER),
             0);
    /* With buffer address 0, two extra caps suffice (and one is too few). */
    vl_cptr_t caps[] = {ROOT, VL_CAP_INIT_VSPACE};
    vl_word_t args[] = {0, 0, 0, 0};
    CHECK_ERR(vl_invoke(t->tcb, VL_TCB_CONFIGURE, args, 4, caps, 1, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_EQ(vl_invoke(t->tcb, VL_TCB_CONFIGURE, args, 4, caps, 2, NULL, 0), 0);
}

static void
test_tcb_configure_errors(void)
{
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t frame;
    void *page = spare_page(&frame);
    vl_word_t buf = (vl_word_t)page;
    vl_cptr_t caps[] = {ROOT, VL_CAP_INIT_VSPACE, frame};
    vl_word_t args[] = {0, 0, 0, buf};
    CHECK_ERR(vl_invoke(tcb, VL_TCB_CONFIGURE, args, 3, caps, 3, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(tcb, VL_TCB_CONFIGURE, args, 4, caps, 2, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_tcb_configure(tcb, 0, ep, 0, VL_CAP_INIT_VSPACE, buf, frame),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_tcb_configure(tcb, 0, ROOT, 0, ep, buf, frame), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 2);
    CHECK_ERR(vl_tcb_configure(tcb, 0, ROOT, 0, VL_CAP_INIT_VSPACE, buf, ep),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 3);
    CHECK_ERR(vl_tcb_configure(tcb, 0, ROOT, 0, VL_CAP_INIT_VSPACE, buf + 8, frame),
              VL_ALIGNMENT_ERROR);
    CHECK_ERR(vl_tcb_configure(tcb, 0, ROOT, 0, VL_CAP_INIT_VSPACE, VL_USER_TOP, frame),
              VL_INVALID_ARGUMENT);
    CHECK_EQ(vl_last_error.mr[0], 3);
    /* A guard that does not fit is an invalid cspace cap. */
    CHECK_ERR(vl_tcb_configure(tcb, 0, ROOT, 59, VL_CAP_INIT_VSPACE, buf, frame),
              VL_INVALID_CAPABILITY);
    /* A VSpace without an ASID... a fresh VSpace has one; the frame is not a VSpace. */
    CHECK_ERR(vl_tcb_configure(tcb, 0, ROOT, 0, frame, buf, frame), VL_INVALID_CAPABILITY);
    CHECK_ERR(vl_invoke(tcb, 99, args, 4, caps, 3, NULL, 0), VL_ILLEGAL_OPERATION);
    CHECK_TYPE(tcb, VL_CAP_TCB);
    CHECK_EQ(vl_tcb_configure(tcb, 0, ROOT, 0, VL_CAP_INIT_VSPACE, buf, frame), 0);
}

static void
test_tcb_set_space(void)
{
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK_EQ(vl_tcb_set_space(tcb, ep, ROOT, 0, VL_CAP_INIT_VSPACE), 0);
    vl_cptr_t caps[] = {ROOT, VL_CAP_INIT_VSPACE};
    vl_word_t args[] = {0, 0, 0};
    CHECK_ERR(vl_invoke(tcb, VL_TCB_SET_SPACE, args, 2, caps, 2, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(tcb, VL_TCB_SET_SPACE, args, 3, caps, 1, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_tcb_set_space(tcb, 0, ep, 0, VL_CAP_INIT_VSPACE), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_tcb_set_space(tcb, 0, ROOT, 0, ep), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 2);
    /* A CNode with a guard that fits. */
    vl_cptr_t c = obj_new(VL_OBJ_CNODE, 6);
    CHECK_EQ(vl_tcb_set_space(tcb, 0, c, 58, VL_CAP_INIT_VSPACE), 0);
}

static void
test_tcb_set_ipc_buffer(void)
{
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t frame;
    vl_word_t buf = (vl_word_t)spare_page(&frame);
    CHECK_EQ(vl_tcb_set_ipc_buffer(tcb, buf + 1024, frame), 0);
    CHECK_EQ(vl_tcb_set_ipc_buffer(tcb, 0, 0), 0);
    vl_word_t args[] = {buf};
    CHECK_ERR(vl_invoke(tcb, VL_TCB_SET_IPC_BUFFER, args, 0, NULL, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(tcb, VL_TCB_SET_IPC_BUFFER, args, 1, NULL, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_tcb_set_ipc_buffer(tcb, buf + 512, frame), VL_ALIGNMENT_ERROR);
    CHECK_ERR(vl_tcb_set_ipc_buffer(tcb, buf, ep), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_tcb_set_ipc_buffer(tcb, VL_USER_TOP, frame), VL_INVALID_ARGUMENT);
    CHECK_EQ(vl_last_error.mr[0], 0);
}

static void
test_tcb_priorities(void)
{
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    vl_cptr_t other = obj_new(VL_OBJ_TCB, 0);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK_EQ(vl_tcb_set_priority(tcb, VL_CAP_INIT_TCB, 200), 0);
    CHECK_EQ(vl_tcb_set_mc_priority(tcb, VL_CAP_INIT_TCB, 10), 0);
    /* A fresh TCB has MCP 0: as authority it allows only priority 0. */
    CHECK_ERR(vl_tcb_set_priority(tcb, other, 1), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[0], 0);
    CHECK_EQ(vl_last_error.mr[1], 0);
    CHECK_EQ(vl_tcb_set_priority(tcb, other, 0), 0);
    /* tcb's MCP of 10 bounds what it authorises. */
    CHECK_EQ(vl_tcb_set_priority(other, tcb, 10), 0);
    CHECK_ERR(vl_tcb_set_priority(other, tcb, 11), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[1], 10);
    CHECK_ERR(vl_tcb_set_mc_priority(other, tcb, 11), VL_RANGE_ERROR);
    CHECK_EQ(vl_tcb_set_mc_priority(other, tcb, 10), 0);
    CHECK_ERR(vl_tcb_set_priority(tcb, VL_CAP_INIT_TCB, 256), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[1], 255);
    CHECK_ERR(vl_tcb_set_priority(tcb, ep, 1), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_tcb_set_mc_priority(tcb, ep, 1), VL_INVALID_CAPABILITY);
    vl_word_t args[] = {1};
    vl_cptr_t caps[] = {VL_CAP_INIT_TCB};
    CHECK_ERR(vl_invoke(tcb, VL_TCB_SET_PRIORITY, args, 0, caps, 1, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(tcb, VL_TCB_SET_MC_PRIORITY, args, 1, caps, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
}

static void
spin(vl_word_t ntfn)
{
    vl_signal(ntfn);
    for (;;) {
        spin_count++;
    }
}

/* Registers read back what was written; Suspend stops a running thread, Resume restarts
 * it. */
static void
test_tcb_registers_suspend_resume(void)
{
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    spin_count = 0;
    struct kthread *t = thread_create(spin, n, 100, 0, ROOT, 0);
    CHECK(t != NULL);
    vl_word_t regs[VL_NUM_REGISTERS], back[VL_NUM_REGISTERS];
    thread_regs(t, regs);
    regs[5] = 0x1234;
    CHECK_EQ(vl_tcb_write_registers(t->tcb, 0, VL_NUM_REGISTERS, regs), 0);
    CHECK_EQ(vl_tcb_read_registers(t->tcb, 0, VL_NUM_REGISTERS, back), 0);
    for (int i = 0; i < VL_NUM_REGISTERS; i++) {
        CHECK_EQ(back[i], regs[i]);
    }
    CHECK_EQ(spin_count, 0);
    CHECK_EQ(vl_tcb_resume(t->tcb), 0);
    vl_wait(n);
    /* It is spinning now, below us; suspend it and let a helper run at lower priority. */
    CHECK_EQ(vl_tcb_suspend(t->tcb), 0);
    vl_word_t c0 = spin_count;
    struct kthread *h = thread_new(signal_once, n, 50, 0);
    CHECK(h != NULL);
    vl_wait(n);
    CHECK_EQ(spin_count, c0);
    /* ReadRegisters with suspend: pc lies inside spin(). */
    CHECK_EQ(vl_tcb_resume(t->tcb), 0);
    CHECK_EQ(vl_tcb_read_registers(t->tcb, 1, 1, back), 0);
    CHECK(back[0] >= g_bi->image_start && back[0] < g_bi->image_end);
}

static void
test_tcb_register_errors(void)
{
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    vl_word_t regs[VL_NUM_REGISTERS] = {0};
    CHECK_ERR(vl_tcb_read_registers(tcb, 0, 0, regs), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_EQ(vl_last_error.mr[1], VL_NUM_REGISTERS);
    CHECK_ERR(vl_tcb_read_registers(tcb, 0, 33, regs), VL_RANGE_ERROR);
    CHECK_ERR(vl_tcb_write_registers(tcb, 0, 0, regs), VL_RANGE_ERROR);
    vl_word_t args[] = {0, 33};
    CHECK_ERR(vl_invoke(tcb, VL_TCB_WRITE_REGISTERS, args, 2, NULL, 0, NULL, 0), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[1], VL_NUM_REGISTERS);
    vl_word_t args2[] = {0, 5, 1, 2};
    CHECK_ERR(vl_invoke(tcb, VL_TCB_WRITE_REGISTERS, args2, 4, NULL, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(tcb, VL_TCB_WRITE_REGISTERS, args2, 1, NULL, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(tcb, VL_TCB_READ_REGISTERS, args2, 1, NULL, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    /* Not on oneself. */
    CHECK_ERR(vl_tcb_read_registers(VL_CAP_INIT_TCB, 0, 1, regs), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_tcb_write_registers(VL_CAP_INIT_TCB, 0, 1, regs), VL_ILLEGAL_OPERATION);
    /* The failed writes changed nothing. */
    CHECK_EQ(vl_tcb_read_registers(tcb, 0, 4, regs), 0);
    CHECK_EQ(regs[0] | regs[1] | regs[2] | regs[3], 0);
}

static void
test_tcb_bind_notification(void)
{
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    vl_cptr_t tcb2 = obj_new(VL_OBJ_TCB, 0);
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t n2 = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t nr = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, nr, 64, ROOT, n2, 64, VL_RIGHT_WRITE), 0);
    CHECK_ERR(vl_tcb_unbind_notification(tcb), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_invoke(tcb, VL_TCB_BIND_NOTIFICATION, NULL, 0, NULL, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_tcb_bind_notification(tcb, ep), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_tcb_bind_notification(tcb, nr), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_tcb_bind_notification(tcb, n), 0);
    CHECK_ERR(vl_tcb_bind_notification(tcb, n2), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_tcb_bind_notification(tcb2, n), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_debug_check(), 0);
    CHECK_EQ(vl_tcb_unbind_notification(tcb), 0);
    CHECK_ERR(vl_tcb_unbind_notification(tcb), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_tcb_bind_notification(tcb2, n), 0);
    /* Deleting the bound notification unbinds. */
    CHECK_EQ(vl_cnode_delete(ROOT, n, 64), 0);
    CHECK_ERR(vl_tcb_unbind_notification(tcb2), VL_ILLEGAL_OPERATION);
}

static volatile vl_word_t recv_count;
static volatile vl_word_t recv_badge;

/* Counts its Recv calls and keeps the last badge. */
static void
counting_receiver(vl_word_t ep)
{
    for (;;) {
        recv_count++;
        recv_badge = vl_recv(ep).badge;
    }
}

/*
 * A thread suspended while blocked in Recv reports the pc of its ecall (where it will
 * continue), and once resumed it repeats the Recv: it blocks again and then gets a message.
 */
static void
test_tcb_suspend_blocked_thread(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t b = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, b, 64, ROOT, ep, 64, VL_RIGHTS_ALL, 33), 0);
    recv_count = 0;
    struct kthread *t = thread_new(counting_receiver, ep, 100, 0);
    CHECK(t != NULL);
    SETTLE();
    CHECK_EQ(recv_count, 1);
    vl_word_t regs[VL_NUM_REGISTERS];
    CHECK_EQ(vl_tcb_read_registers(t->tcb, 1, VL_NUM_REGISTERS, regs), 0);
    CHECK_EQ(*(volatile uint32_t *)regs[VL_REG_PC], 0x00000073); /* ecall */
    CHECK_EQ(vl_tcb_resume(t->tcb), 0);
    SETTLE();
    CHECK_EQ(recv_count, 1); /* the same Recv, repeated, not a new loop iteration */
    vl_word_t mr[VL_MSG_REGS] = {0};
    vl_send(b, vl_msginfo(0, 0, 0, 0), mr);
    SETTLE();
    CHECK_EQ(recv_badge, 33);
    CHECK_EQ(recv_count, 2);
}

void
tcb_tests(void)
{
    RUN(test_tcb_suspend_blocked_thread);
    RUN(test_tcb_configure);
    RUN(test_tcb_configure_errors);
    RUN(test_tcb_set_space);
    RUN(test_tcb_set_ipc_buffer);
    RUN(test_tcb_priorities);
    RUN(test_tcb_registers_suspend_resume);
    RUN(test_tcb_register_errors);
    RUN(test_tcb_bind_notification);
}
