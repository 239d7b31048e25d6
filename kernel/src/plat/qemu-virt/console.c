/*
 * NS16550 debug console and QEMU's sifive_test power-off device.
 */
#include "plat/console.h"

#include "arch/riscv.h"

static volatile uint8_t *uart;
static word_t uart_shift;
static volatile uint32_t *test_device;

#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20

void
console_init(paddr_t base, word_t reg_shift)
{
    uart = base != 0 ? paddr_to_pptr(base) : NULL;
    uart_shift = reg_shift;
}

void
console_putchar(char c)
{
    if (uart == NULL) {
        sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (uint8_t)c, 0, 0);
        return;
    }
    if (c == '\n') {
        console_putchar('\r');
    }
    while (!(uart[UART_LSR << uart_shift] & UART_LSR_THRE)) {
    }
    uart[UART_THR << uart_shift] = (uint8_t)c;
}

void
plat_set_test_device(paddr_t base)
{
    test_device = base != 0 ? paddr_to_pptr(base) : NULL;
}

void
plat_halt(word_t status)
{
    status &= 0xff;
    if (test_device != NULL) {
        *test_device = status == 0 ? 0x5555 : (uint32_t)((status << 16) | 0x3333);
    }
    /* SBI system reset: shutdown, with "system failure" as the reason if status != 0. */
    sbi_call(SBI_EXT_SRST, 0, SBI_SRST_SHUTDOWN, status != 0, 0);
    for (;;) {
        __asm__ volatile("wfi");
    }
}

void
plat_reset(void)
{
    sbi_call(SBI_EXT_SRST, 0, SBI_SRST_COLD_REBOOT, 0, 0);
    /* No SRST extension: QEMU's test device resets the machine. */
    if (test_device != NULL) {
        *test_device = 0x7777;
    }
    for (;;) {
        __asm__ volatile("wfi");
    }
}
