/*
 * NS16550 debug console and QEMU's sifive_test power-off device.
 */
#include "plat/console.h"

#include "arch/riscv.h"

static volatile uint8_t *uart;
static paddr_t uart_paddr;
static word_t uart_shift;
static volatile uint32_t *test_device;

/*
 * After console_hand_over the UART belongs to a user-level driver: the kernel's output
 * goes into this ring instead, which the driver drains (console_log_read) and prints. The
 * oldest bytes are overwritten when it is full (counted in klog_lost). Indices run free.
 */
#define KLOG_BITS 12
static bool handed_over;
static char klog[1u << KLOG_BITS];
static word_t klog_head; /* next byte to read */
static word_t klog_tail; /* next byte to write */
static word_t klog_lost;
bool console_klog_new; /* bytes went in since console_log_take_new last looked */

#define UART_THR 0
#define UART_LCR 3
#define UART_LCR_8N1 0x03
#define UART_LSR 5
#define UART_LSR_THRE 0x20

void
console_init(paddr_t base, word_t reg_shift)
{
    uart = base != 0 ? paddr_to_pptr(base) : NULL;
    uart_paddr = base;
    uart_shift = reg_shift;
}

/* Writes c to the UART (or through the firmware if there is none). */
static void
uart_putchar(char c)
{
    if (uart == NULL) {
        sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (uint8_t)c, 0, 0);
        return;
    }
    if (c == '\n') {
        uart_putchar('\r');
    }
    while (!(uart[UART_LSR << uart_shift] & UART_LSR_THRE)) {
    }
    uart[UART_THR << uart_shift] = (uint8_t)c;
}

void
console_putchar(char c)
{
    if (!handed_over) {
        uart_putchar(c);
        return;
    }
    if (klog_tail - klog_head == sizeof(klog)) {
        klog_head++;
        klog_lost++;
    }
    klog[klog_tail++ & MASK(KLOG_BITS)] = c;
    console_klog_new = true;
}

paddr_t
console_uart_page(void)
{
    return uart != NULL && !handed_over ? ROUND_DOWN(uart_paddr, 12) : 0;
}

void
console_hand_over(void)
{
    handed_over = true;
}

bool
console_is_uart_page(paddr_t page)
{
    return uart != NULL && page == ROUND_DOWN(uart_paddr, 12);
}

void
console_take_back(void)
{
    if (!handed_over) {
        return;
    }
    handed_over = false;
    if (uart != NULL) {
        /* Whatever the driver left: with DLAB set, THR's offset is the divisor. */
        uart[UART_LCR << uart_shift] = UART_LCR_8N1;
    }
    if (klog_lost != 0) {
        kprintf("[vallum: %lu bytes of kernel output lost]\n", (unsigned long)klog_lost);
        klog_lost = 0;
    }
    while (klog_head != klog_tail) {
        uart_putchar(klog[klog_head++ & MASK(KLOG_BITS)]);
    }
}

word_t
console_log_read(char *buf, word_t max)
{
    word_t n = 0;
    while (n < max && klog_head != klog_tail) {
        buf[n++] = klog[klog_head++ & MASK(KLOG_BITS)];
    }
    return n;
}

word_t
console_log_pending(void)
{
    return klog_tail - klog_head;
}

bool
console_log_take_new(void)
{
    bool was = console_klog_new;
    console_klog_new = false;
    return was;
}

void
plat_set_test_device(paddr_t base)
{
    test_device = base != 0 ? paddr_to_pptr(base) : NULL;
}

void
plat_halt(word_t status)
{
    console_take_back(); /* pending kernel output goes out before the machine stops */
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
    console_take_back();
    sbi_call(SBI_EXT_SRST, 0, SBI_SRST_COLD_REBOOT, 0, 0);
    /* No SRST extension: QEMU's test device resets the machine. */
    if (test_device != NULL) {
        *test_device = 0x7777;
    }
    for (;;) {
        __asm__ volatile("wfi");
    }
}
