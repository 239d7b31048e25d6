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
#include "arch/machine.h"
#include "plat/plat.h"
#include "util.h"

bool host_irq_pending;
word_t host_irq_pending_calls;
word_t host_finalise_calls;
word_t host_vspace_inits;
bool host_irq_enabled[HOST_NUM_IRQS];
word_t host_irq_acks;
void (*host_panic_hook)(const char *file, int line, const char *msg);

static bool asid_used[HOST_NUM_ASIDS];
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

word_t
arch_asid_alloc(void *root)
{
    (void)root;
    for (word_t i = 1; i < HOST_NUM_ASIDS; i++) {
        if (!asid_used[i]) {
            asid_used[i] = true;
            return i;
        }
    }
    return 0;
}

word_t
arch_asids_free(void)
{
    word_t n = 0;
    for (word_t i = 1; i < HOST_NUM_ASIDS; i++) {
        n += !asid_used[i];
    }
    return n;
}

void
arch_finalise_cap(cap_t cap, bool final)
{
    (void)cap;
    (void)final;
    host_finalise_calls++;
}

exception_t
arch_decode_invocation(struct invocation *inv)
{
    (void)inv;
    return syscall_error(VL_ILLEGAL_OPERATION);
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
    return HOST_NUM_IRQS;
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
