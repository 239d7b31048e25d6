/*
 * Host stand-ins for the architecture and platform layer, with knobs the tests turn.
 */
#pragma once

#include <setjmp.h>

#include "object/structures.h"
#include "types.h"

/* What arch_irq_pending() answers; tests set it to exercise preemption points. */
extern bool host_irq_pending;
/* Number of times arch_irq_pending() was asked. */
extern word_t host_irq_pending_calls;
/* Calls of arch_finalise_cap (wrapped with -Wl,--wrap; the real one runs too) and of
 * arch_vspace_init so far. */
extern word_t host_finalise_calls;
extern word_t host_vspace_inits;
/* Fake interrupt controller state. */
#define HOST_NUM_IRQS 32
extern bool host_irq_enabled[HOST_NUM_IRQS];
extern word_t host_irq_acks;
/* What plat_irq_count() answers (HOST_NUM_IRQS unless a test changes it). */
extern word_t host_irq_count;
/* TLB maintenance requested through tlb_flush: counts and the last page / ASID flushed. */
extern word_t host_page_flushes;
extern word_t host_asid_flushes;
extern word_t host_all_flushes;
extern vaddr_t host_last_flush_va;
extern word_t host_last_flush_asid;
/* The real arch_finalise_cap, behind the counting wrapper. */
void __real_arch_finalise_cap(cap_t cap, bool final);
/* The satp value last loaded by vspace_switch_satp (host_include/arch/vspace_switch.h)
 * or by vspace_unload_root (HOST_KERNEL_SATP, standing for the kernel's own table), and
 * the number of loads. */
#define HOST_KERNEL_SATP (8ul << 60)
extern word_t host_satp;
extern word_t host_satp_loads;
/* arch_putchar counts the characters and keeps the last one (it prints nothing). */
extern word_t host_putchars;
extern char host_last_putchar;
/* If set, arch_halt records its status and longjmps here (else it aborts). */
extern jmp_buf *host_halt_jmp;
extern word_t host_halt_status;
/* arch_power_off and arch_reset record what was asked (power-off status, or
 * HOST_RESET) here and longjmp to host_stop_jmp if host_stop_armed, else abort(). */
#define HOST_RESET 0x7777ul
extern jmp_buf host_stop_jmp;
extern bool host_stop_armed;
extern word_t host_stop_request;
/* Called by kernel_panic before abort(), so the harness can record the message. */
extern void (*host_panic_hook)(const char *file, int line, const char *msg);
/* The console: the UART page console_uart_page() offers while not handed over, whether it
 * is handed over, and the kernel log console_log_read() returns (then empties). */
extern paddr_t host_uart_page;
extern bool host_console_handed_over;
extern char host_klog[64];
extern word_t host_klog_len;
extern bool host_klog_new; /* console_log_take_new reports and clears it */
