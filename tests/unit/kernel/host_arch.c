/*
 * Host implementation of the arch/platform interface (kernel/include/arch/machine.h,
 * kernel/include/plat/plat.h) and of the console helpers in util.h, so the portable
 * kernel core links into a host test program. Kernel panics abort(); so do halts, unless
 * a test catches them (host_halt_jmp). Put char only counts.
 */
#include "host_arch.h"
#include "ktest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/failures.h"
#include "api/fastpath.h"
#include "arch/machine.h"
#include "arch/registers.h"
#include "arch/pagetable.h"
#include "arch/tlb_machine.h"
#include "arch/vspace_satp.h"
#include "config.h"
#include "object/cap.h"
#include "plat/console.h"
#include "plat/plat.h"
#include "util.h"

bool host_irq_pending;
word_t host_irq_pending_calls;
word_t host_finalise_calls;
word_t host_vspace_inits;
bool host_irq_enabled[HOST_NUM_IRQS];
word_t host_irq_acks;
void (*host_panic_hook)(const char *file, int line, const char *msg);
word_t host_irq_count = HOST_NUM_IRQS;
word_t host_page_flushes;
word_t host_asid_flushes;
word_t host_all_flushes;
vaddr_t host_last_flush_va;
word_t host_last_flush_asid;
word_t host_satp;
word_t host_satp_loads;
word_t host_putchars;
char host_last_putchar;
jmp_buf *host_halt_jmp;
word_t host_halt_status;
static word_t irq_claimable;

bool
arch_irq_pending(void)
{
    host_irq_pending_calls++;
    return host_irq_pending;
}

void
arch_vspace_init(void *root)
{
    (void)root;
    host_vspace_inits++;
}

/* Counts finalisations, then runs the real page-table side effects. */
void
__wrap_arch_finalise_cap(cap_t cap, bool final)
{
    host_finalise_calls++;
    __real_arch_finalise_cap(cap, final);
}

/* Host memory is its own "physical" memory: page-table entries hold host addresses. */
void *
vspace_paddr_to_pptr(paddr_t pa)
{
    return (void *)(uintptr_t)pa;
}

paddr_t
vspace_pptr_to_paddr(const void *p)
{
    return (paddr_t)(uintptr_t)p;
}

void
vspace_flush_page(vaddr_t va, word_t asid)
{
    host_last_flush_va = va;
    host_last_flush_asid = asid;
    host_page_flushes++;
}

void
vspace_flush_asid(word_t asid)
{
    host_last_flush_asid = asid;
    host_asid_flushes++;
}

void
vspace_flush_all(void)
{
    host_all_flushes++;
}

/* satp holds the root if its page number is the one vspace_satp_of puts there. */
void
vspace_unload_root(const void *root)
{
    word_t satp;
    (void)vspace_satp_of(cap_vspace((void *)(uintptr_t)root, 0), &satp);
    if ((host_satp & MASK(44)) == (satp & MASK(44))) {
        host_satp = HOST_KERNEL_SATP;
        host_satp_loads++;
    }
}

void
arch_activate_vspace(struct tcb *t)
{
    (void)t;
}

bool
arch_slot_is_static(const struct cte *slot)
{
    return kt_is_boot_slot(slot);
}

void
arch_halt(word_t status)
{
    if (host_halt_jmp != NULL) {
        host_halt_status = status;
        longjmp(*host_halt_jmp, 1);
    }
    fprintf(stderr, "arch_halt(%lu)\n", (unsigned long)status);
    abort();
}

jmp_buf host_stop_jmp;
bool host_stop_armed;
word_t host_stop_request;

/* The machine stops: back to the test that armed host_stop_jmp, or abort. */
static NORETURN void
host_stop(word_t request)
{
    host_stop_request = request;
    if (!host_stop_armed) {
        fprintf(stderr, "machine stopped (%lu)\n", (unsigned long)request);
        abort();
    }
    host_stop_armed = false;
    longjmp(host_stop_jmp, 1);
}

void
arch_power_off(word_t status)
{
    host_stop(status);
}

void
arch_reset(void)
{
    host_stop(HOST_RESET);
}

void
arch_putchar(char c)
{
    host_putchars++;
    host_last_putchar = c;
}

word_t
plat_irq_count(void)
{
    return host_irq_count;
}

void
plat_irq_set_enabled(word_t irq, bool enabled)
{
    if (irq >= HOST_NUM_IRQS) {
        kernel_panic(__FILE__, __LINE__, "plat_irq_set_enabled: bad irq");
    }
    host_irq_enabled[irq] = enabled;
}

void
plat_irq_ack(word_t irq)
{
    if (irq >= HOST_NUM_IRQS) {
        kernel_panic(__FILE__, __LINE__, "plat_irq_ack: bad irq");
    }
    host_irq_acks++;
}

word_t
plat_irq_claim(void)
{
    word_t irq = irq_claimable;
    irq_claimable = 0;
    return irq;
}

void
plat_timer_reset(void)
{
}

word_t
plat_time_now(void)
{
    return 0;
}

void
kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

void
kputs(const char *s)
{
    fputs(s, stdout);
}

void
kernel_panic(const char *file, int line, const char *msg)
{
    fprintf(stderr, "KERNEL PANIC: %s:%d: %s\n", file, line, msg);
    if (host_panic_hook != NULL) {
        host_panic_hook(file, line, msg);
    }
    abort();
}

#ifdef CONFIG_FASTPATH
/* The fast path's exit (api/fastpath.h): the kernel's returns to next in assembly; this
 * one leaves in next's saved registers what the assembly puts in its a0 and a1. */
struct tcb *
fastpath_exit(word_t badge, word_t info, struct tcb *from, struct tcb *next)
{
    (void)from;
    next->regs[REG_BADGE] = badge;
    next->regs[REG_MSGINFO] = info;
    return next;
}
#endif

/* The console (plat/console.h): a UART page the tests can hand over and take back. */
paddr_t host_uart_page = 0x10000000;
bool host_console_handed_over;
char host_klog[64];
word_t host_klog_len;

paddr_t
console_uart_page(void)
{
    return host_console_handed_over ? 0 : host_uart_page;
}

bool
console_is_uart_page(paddr_t page)
{
    return page == host_uart_page;
}

void
console_hand_over(void)
{
    host_console_handed_over = true;
}

void
console_take_back(void)
{
    host_console_handed_over = false;
}

word_t
console_log_pending(void)
{
    return host_klog_len;
}

/* Tests set it where the kernel would (output going into the log). */
bool host_klog_new;

bool
console_log_take_new(void)
{
    bool was = host_klog_new;
    host_klog_new = false;
    return was;
}

word_t
console_log_read(char *buf, word_t max)
{
    word_t n = MIN(max, host_klog_len);
    memcpy(buf, host_klog, n);
    memmove(host_klog, host_klog + n, host_klog_len - n);
    host_klog_len -= n;
    return n;
}
