/*
 * Kernel tunables, each with its default. Everything here is a compile-time constant.
 */
#pragma once

/* Timer tick in microseconds: the scheduler's unit of time. */
#ifndef CONFIG_TICK_US
#define CONFIG_TICK_US 2000
#endif

/* Timeslice in ticks: how long a thread runs before others of its priority get a turn. */
#ifndef CONFIG_TIMESLICE_TICKS
#define CONFIG_TIMESLICE_TICKS 5
#endif

/*
 * Refills one scheduling context keeps (kernel/include/kernel/refill.h): how many separate
 * chunks of its budget can be pending replenishment at once. More keeps a thread that
 * blocks often closer to its full budget; when they are all in use the newest chunks merge
 * into the last one, which only ever delays budget.
 */
#ifndef CONFIG_SC_REFILLS
#define CONFIG_SC_REFILLS 8
#endif

/* Work units (slots deleted, chunks cleared) between checks for pending interrupts. */
#ifndef CONFIG_PREEMPTION_WORK_UNITS
#define CONFIG_PREEMPTION_WORK_UNITS 64
#endif

/* Bytes of untyped memory cleared between preemption checks (log2). */
#define CONFIG_RESET_CHUNK_BITS 12

/* Largest number of objects one Untyped_Retype may create. */
#define CONFIG_RETYPE_FAN_OUT_LIMIT 256

/* Number of address-space identifiers; VSpaces beyond this cannot be created. */
#define CONFIG_NUM_ASIDS 4096

/* Maximum number of interrupt sources the kernel manages. */
#define CONFIG_MAX_IRQS 128

/*
 * Test only, never in a real build: 1 brings back issue 10's page-table defect (a copy of
 * a page-table cap is unmapped and can map the same table again; deleting a mapped cap
 * detaches the table without clearing it), so that the isolation tests can show they
 * catch it. Build with `make TEST_DEFECT=PT`. Used in arch_derive_cap and
 * arch_finalise_cap (pagetable.c).
 */
#ifndef CONFIG_TEST_DEFECT_PT
#define CONFIG_TEST_DEFECT_PT 0
#endif
