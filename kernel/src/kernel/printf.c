/*
 * kprintf: a small printf for the debug console. Supports %s %c %d %u %x %lx %lu %ld %p %%.
 */
#include <stdarg.h>

#include "arch/machine.h"
#include "plat/console.h"
#include "util.h"

static void
put_uint(unsigned long v, unsigned base, int width)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0 && n < (int)sizeof(buf));
    while (n < width && n < (int)sizeof(buf)) {
        buf[n++] = '0';
    }
    while (n > 0) {
        arch_putchar(buf[--n]);
    }
}

void
kputs(const char *s)
{
    while (*s != '\0') {
        arch_putchar(*s++);
    }
}

void
kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            arch_putchar(*p);
            continue;
        }
        p++;
        int width = 0;
        while (*p >= '0' && *p <= '9') {
            width = width * 10 + (*p++ - '0');
        }
        bool is_long = false;
        while (*p == 'l') {
            is_long = true;
            p++;
        }
        switch (*p) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            kputs(s != NULL ? s : "(null)");
            break;
        }
        case 'c':
            arch_putchar((char)va_arg(ap, int));
            break;
        case 'd': {
            long v = is_long ? va_arg(ap, long) : va_arg(ap, int);
            if (v < 0) {
                arch_putchar('-');
                v = -v;
            }
            put_uint((unsigned long)v, 10, width);
            break;
        }
        case 'u':
            put_uint(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, width);
            break;
        case 'x':
            put_uint(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, width);
            break;
        case 'p':
            kputs("0x");
            put_uint((unsigned long)(uintptr_t)va_arg(ap, void *), 16, 0);
            break;
        case '%':
            arch_putchar('%');
            break;
        default:
            va_end(ap);
            return;
        }
    }
    va_end(ap);
}

void
kernel_panic(const char *file, int line, const char *msg)
{
    console_take_back(); /* last words go to the UART, whoever drove it */
    kprintf("KERNEL PANIC: %s:%d: %s\n", file, line, msg);
    arch_halt(4);
}
