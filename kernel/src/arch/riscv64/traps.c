/*
 * Trap handling: system calls, interrupts, user exceptions; the idle loop; kernel exit.
 */
#include <vallum/fault.h>
#include <vallum/syscall.h>

#include <stddef.h>

#include "api/fastpath.h"
#include "api/faults.h"
#include "api/syscall.h"
#include "arch/machine.h"
#include "arch/registers.h"
#include "arch/riscv.h"
#include "arch/trap_layout.h"
#include "config.h"
#include "kernel/thread.h"
#include "object/irq.h"
#include "plat/console.h"
#include "plat/plat.h"

/* trap.S relies on these. */
_Static_assert(offsetof(struct tcb, regs) == 0, "regs first in struct tcb");
_Static_assert(offsetof(struct tcb, fault_ip) == TCB_FAULT_IP_OFFSET, "TCB_FAULT_IP_OFFSET");
_Static_assert(CAUSE_USER_ECALL == TRAP_CAUSE_USER_ECALL, "TRAP_CAUSE_USER_ECALL");
_Static_assert(SSTATUS_FS == TRAP_SSTATUS_FS, "TRAP_SSTATUS_FS");
_Static_assert(VL_SYS_CALL == TRAP_SYS_CALL && VL_SYS_REPLY_RECV == TRAP_SYS_REPLY_RECV,
               "TRAP_SYS_*");

NORETURN void c_handle_trap(word_t scause, word_t stval);
NORETURN void c_handle_syscall(void);
NORETURN void c_handle_kernel_trap(word_t scause, word_t stval, word_t sepc, word_t sp);
NORETURN void kernel_exit(void);

bool
arch_irq_pending(void)
{
    return (csr_read(sip) & (SIP_STIP | SIP_SEIP)) != 0;
}

#ifdef CONFIG_MCS
/* The timer fired for a tick, a budget's end or a refill: the scheduler re-arms it. */
static void
timer_interrupt(void)
{
    if (sched_timer_interrupt()) {
        fault_report_tick();
    }
}
#else
/* The timer fired for the scheduler tick. */
static void
timer_interrupt(void)
{
    plat_timer_reset();
    sched_timer_tick();
    fault_report_tick();
}
#endif

/* Handles every interrupt that is pending now. */
static void
handle_pending_interrupts(void)
{
    word_t sip = csr_read(sip);
    if (sip & SIP_STIP) {
        timer_interrupt();
    }
    if (sip & SIP_SEIP) {
        for (int n = 0; n < CONFIG_MAX_IRQS; n++) {
            word_t irq = plat_irq_claim();
            if (irq == 0) {
                break;
            }
            irq_handle(irq);
        }
    }
}

static void
handle_user_exception(struct tcb *t, word_t scause, word_t stval)
{
    t->fault_ip = t->regs[0];
    switch (scause) {
    case CAUSE_FETCH_PAGE_FAULT:
    case CAUSE_FETCH_ACCESS:
        t->fault.type = FAULT_VM;
        t->fault.w[0] = stval;
        t->fault.w[1] = 1;
        t->fault.w[2] = 4;
        break;
    case CAUSE_LOAD_PAGE_FAULT:
    case CAUSE_LOAD_ACCESS:
        t->fault.type = FAULT_VM;
        t->fault.w[0] = stval;
        t->fault.w[1] = 0;
        t->fault.w[2] = 1;
        break;
    case CAUSE_STORE_PAGE_FAULT:
    case CAUSE_STORE_ACCESS:
        t->fault.type = FAULT_VM;
        t->fault.w[0] = stval;
        t->fault.w[1] = 0;
        t->fault.w[2] = 2;
        break;
    default:
        t->fault.type = FAULT_USER_EXCEPTION;
        t->fault.w[0] = scause;
        t->fault.w[1] = stval;
        break;
    }
    fault_handle(t);
}

/* Interrupts and exceptions from user mode (system calls enter c_handle_syscall). */
void
c_handle_trap(word_t scause, word_t stval)
{
    if (scause & SCAUSE_INTERRUPT) {
        handle_pending_interrupts();
    } else {
        handle_user_exception(ks_cur_thread, scause, stval);
    }
    kernel_exit();
}

/*
 * A system call not completed by the register fast path (trap.S). The thread's pc is
 * already past the ecall and fault_ip on it; its arguments are in its saved registers.
 */
void
c_handle_syscall(void)
{
    struct tcb *t = ks_cur_thread;
    word_t sysno = t->regs[REG_SYSNO];
#ifdef CONFIG_FASTPATH
    if ((sysno == VL_SYS_SEND && fastpath_send()) || (sysno == VL_SYS_YIELD && fastpath_yield())) {
        arch_activate_vspace(ks_cur_thread);
        restore_user_context(ks_cur_thread->regs);
    }
#endif
    syscall_handle(sysno);
    if (t == ks_cur_thread && t->state == TS_RESTART) {
        /* Preempted: take the interrupt now; the call repeats when t runs again. */
        handle_pending_interrupts();
    }
    kernel_exit();
}

void
kernel_exit(void)
{
    if (__builtin_expect(console_klog_new, 0)) {
        console_log_signal();
    }
    sched_schedule();
    while (ks_cur_thread == ks_idle_thread) {
        /* Nothing to run: wait for an interrupt (it wakes wfi even with SIE clear). */
        __asm__ volatile("wfi");
        handle_pending_interrupts();
        sched_schedule();
    }
    struct tcb *t = ks_cur_thread;
    if (t->state == TS_RESTART) {
        t->regs[0] = t->fault_ip;
        t->state = TS_RUNNING;
    }
    arch_activate_vspace(t);
    restore_user_context(t->regs);
}

void
c_handle_kernel_trap(word_t scause, word_t stval, word_t sepc, word_t sp)
{
    console_take_back();
    kprintf("KERNEL PANIC: trap in kernel: scause %lx stval %lx sepc %lx sp %lx\n",
            (unsigned long)scause, (unsigned long)stval, (unsigned long)sepc, (unsigned long)sp);
    arch_halt(3);
}
