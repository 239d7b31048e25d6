/*
 * breaker: hits a breakpoint and makes an unknown system call, each of which its fault
 * handler (warden) steps it over; its registers and stack survive both, as it shows.
 */
#include <stdio.h>
#include <vallum/os.h>

#define UNKNOWN_SYSCALL 999

/* Guest instructions retired so far (csrr instret, 0xc02, encoded: no Zicsr in user code).
 * Counts instructions only under QEMU's -icount; otherwise it follows host time. */
static vl_word_t
instret(void)
{
    vl_word_t n;
    __asm__ volatile(".insn i SYSTEM, 2, %0, zero, -1022" : "=r"(n)::"memory");
    return n;
}

void
init(void)
{
    volatile vl_word_t on_stack = 6;
    vl_word_t x = on_stack * 7;
    printf("breaker: run %lu, before the breakpoint\n", (unsigned long)vl_os_restarts());
    /* A 4-byte ebreak (not the compressed one): warden steps over 4 bytes. */
    __asm__ volatile(".option push\n.option norvc\nebreak\n.option pop" ::: "memory");
    printf("breaker: after the breakpoint, x = %lu\n", (unsigned long)x);
    vl_word_t start = instret();
    register vl_word_t a0 __asm__("a0") = x;
    register vl_word_t a7 __asm__("a7") = UNKNOWN_SYSCALL;
    __asm__ volatile(".option push\n.option norvc\necall\n.option pop"
                     : "+r"(a0)
                     : "r"(a7)
                     : "memory");
    vl_word_t spent = instret() - start;
    printf("breaker: after the unknown system call, a0 = %lu, stack %lu\n", (unsigned long)a0,
           (unsigned long)on_stack);
    /* Fault to init, init to warden (signal, two calls, fault()), warden's answer, resume. */
    printf("breaker: the unknown system call's round trip through warden: %lu instructions\n",
           (unsigned long)spent);
    /* Only fault handlers may answer faults; lib/os does not even ask init. */
    printf("breaker: answering a fault: status %d\n",
           vl_os_fault_answer(0, 1, VL_OS_FAULT_RESUME, 0));
    printf("breaker: done\n");
}
