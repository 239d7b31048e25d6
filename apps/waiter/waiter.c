/*
 * waiter: executes an illegal instruction; its handler, sleeper, never answers. A second
 * thread then faults too, while that fault is pending: init leaves it stopped.
 */
#include <stdio.h>
#include <vallum/os.h>

/* A volatile pointer, so that the compiler does not see the address it writes. */
static volatile int *volatile unmapped = (volatile int *)0x20;

static void
second(void *arg)
{
    (void)arg;
    printf("waiter: second thread faulting\n");
    *unmapped = 1;
    printf("waiter: second thread resumed (never printed)\n");
}

void
init(void)
{
    /* Just below this thread: it runs once this one is stuck on its fault. */
    if (vl_os_thread_create(second, NULL, vl_os_info()->priority - 1) == NULL) {
        printf("waiter: cannot create a thread: %d\n", vl_os_error());
    }
    printf("waiter: faulting\n");
    __asm__ volatile(".insn i SYSTEM, 0, zero, zero, 0x7ff" ::: "memory");
    printf("waiter: resumed (never printed)\n");
}
