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

/* Powers the machine off with status (0 = success, 1..255 = failure code). */
NORETURN void plat_halt(word_t status);
