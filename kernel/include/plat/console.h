/*
 * Debug console (NS16550 UART found in the device tree; SBI before that) and halt.
 */
#pragma once

#include "types.h"
#include "util.h"

/* Switches console output to the NS16550 at physical address base (0: stay on SBI). */
void console_init(paddr_t base, word_t reg_shift);

void console_putchar(char c);

/* Records where the test device is (0 if none) for plat_halt. */
void plat_set_test_device(paddr_t base);

/*
 * Powers the machine off with status (0 = success, 1..255 = failure code). Where the
 * platform has QEMU's sifive_test device, the status is written there (QEMU exits with
 * it); otherwise, or if that returns, an SBI SRST shutdown ("system failure" as the
 * reason if status != 0): SBI cannot carry the status itself.
 */
NORETURN void plat_halt(word_t status);

/* Cold-reboots the machine: SBI SRST, falling back to the sifive_test device. */
NORETURN void plat_reset(void);
