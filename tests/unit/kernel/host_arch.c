/*
 * Host implementation of the arch/platform interface (kernel/include/arch/machine.h,
 * kernel/include/plat/plat.h) and of the console helpers in util.h, so the portable
 * kernel core links into a host test program. Kernel panics and halts abort().
 */
#include "host_arch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/failures.h"
#include "api/fastpath.h"
#include "arch/machine.h"
#include "arch/registers.h"
#include "arch/pagetable.h"
#include "config.h"
#include "object/cap.h"
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
vaddr_t host_last_flush_va;
word_t host_last_flush_asid;
word_t host_satp;
word_t host_satp_loads;
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
arch_activate_vspace(struct tcb *t)
{
    (void)t;
}

void
arch_halt(word_t status)
{
    fprintf(stderr, "arch_halt(%lu)\n", (unsigned long)status);
    abort();
}

void
arch_putchar(char c)
{
    putchar(c);
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
