/*
 * Debug console (NS16550 UART found in the device tree; SBI before that) and halt.
 */
#pragma once

#include "types.h"
#include "util.h"

/* Switches console output to the NS16550 at physical address base (0: stay on SBI). */
void console_init(paddr_t base, word_t reg_shift);

/* Writes c to the UART, or to the kernel log once the console is handed over. */
void console_putchar(char c);

/* Physical address of the UART's page if the kernel owns it (else 0: no UART, or handed
 * over already). */
paddr_t console_uart_page(void);

/* True if page is the UART's page. */
bool console_is_uart_page(paddr_t page);

/* The UART now belongs to a user-level driver: kernel output goes to the kernel log. */
void console_hand_over(void);

/* The kernel owns the UART again (the driver's last capability to its page is gone, or
 * the kernel panics): pending log output is written to it first. */
void console_take_back(void);

/* Moves up to max bytes of pending kernel output into buf; returns how many. */
word_t console_log_read(char *buf, word_t max);

/* The number of bytes waiting in the kernel log. */
word_t console_log_pending(void);

/* True if bytes went into the kernel log since the last call (which this one clears). */
bool console_log_take_new(void);

/* What console_log_take_new reports, read without clearing: kernel_exit tests it inline so
 * that the exits with no new log output (nearly all) pay one load, not two calls. */
extern bool console_klog_new;

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
