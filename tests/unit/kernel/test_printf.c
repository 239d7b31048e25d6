/*
 * kprintf, the kernel's console printf (kernel/src/kernel/printf.c), on the host. The rest
 * of the host build uses the shim's kprintf (stdio), so the kernel's is compiled here under
 * other names, writing into a buffer (found by `make mutate`: nothing checked what the
 * kernel prints).
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "ktest.h"

static char out[256];
static word_t out_len;
static jmp_buf halted;

static void
printf_putchar(char c)
{
    if (out_len + 1 < sizeof(out)) {
        out[out_len++] = c;
        out[out_len] = '\0';
    }
}

__attribute__((noreturn)) static void
printf_halt(word_t status)
{
    longjmp(halted, (int)status + 1);
}

#define arch_putchar printf_putchar
#define arch_halt printf_halt
#define kprintf printf_kprintf
#define kputs printf_kputs
#define kernel_panic printf_kernel_panic
#include "../../../kernel/src/kernel/printf.c"
#undef arch_putchar
#undef arch_halt
#undef kprintf
#undef kputs
#undef kernel_panic

static void
reset(void)
{
    out_len = 0;
    out[0] = '\0';
}

#define CHECK_OUT(want)                                                                            \
    do {                                                                                           \
        if (strcmp(out, (want)) != 0) {                                                            \
            printf("printed \"%s\", want \"%s\"\n", out, (want));                                  \
            CHECK(strcmp(out, (want)) == 0);                                                       \
        }                                                                                          \
        reset();                                                                                   \
    } while (0)

KTEST(kprintf_formats)
{
    reset();
    printf_kprintf("plain text\n");
    CHECK_OUT("plain text\n");
    printf_kprintf("%d %d %d %ld", 0, 42, -42, -1234567890123l);
    CHECK_OUT("0 42 -42 -1234567890123");
    printf_kprintf("%u %lu %x %lx", 7u, 18446744073709551615ul, 0xbeefu, 0x1234abcdul);
    CHECK_OUT("7 18446744073709551615 beef 1234abcd");
    printf_kprintf("%4d|%08x|%2u|%1d", 5, 0xabu, 123u, 9);
    CHECK_OUT("0005|000000ab|123|9");
    printf_kprintf("%s,%s,%c%c", "str", (const char *)NULL, 'o', 'k');
    CHECK_OUT("str,(null),ok");
    printf_kprintf("%p %p", (void *)0x80200000ul, (void *)0);
    CHECK_OUT("0x80200000 0x0");
    printf_kprintf("100%% 10%d", 9);
    CHECK_OUT("100% 109");
    /* An unknown conversion ends the output. */
    printf_kprintf("a%qb");
    CHECK_OUT("a");
    printf_kputs("kputs\n");
    CHECK_OUT("kputs\n");
}

KTEST(kprintf_panic_halts_with_4)
{
    reset();
    int status = setjmp(halted);
    if (status == 0) {
        printf_kernel_panic("f.c", 12, "broken");
    }
    CHECK_EQ(status, 4 + 1);
    CHECK_OUT("KERNEL PANIC: f.c:12: broken\n");
}
