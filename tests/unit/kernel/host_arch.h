/*
 * Host stand-ins for the architecture and platform layer, with knobs the tests turn.
 */
#pragma once

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
/* TLB maintenance requested by pagetable.c: counts and the last page / ASID flushed. */
extern word_t host_page_flushes;
extern word_t host_asid_flushes;
extern vaddr_t host_last_flush_va;
extern word_t host_last_flush_asid;
/* The real arch_finalise_cap, behind the counting wrapper. */
void __real_arch_finalise_cap(cap_t cap, bool final);
/* The satp value last loaded by vspace_switch_satp (host_include/arch/vspace_switch.h)
 * and the number of loads. */
extern word_t host_satp;
extern word_t host_satp_loads;
/* Called by kernel_panic before abort(), so the harness can record the message. */
extern void (*host_panic_hook)(const char *file, int line, const char *msg);
