/*
 * waiter: executes an illegal instruction; its handler, sleeper, never answers.
 */
#include <stdio.h>
#include <vallum/os.h>

void
init(void)
{
    printf("waiter: faulting\n");
    __asm__ volatile(".insn i SYSTEM, 0, zero, zero, 0x7ff" ::: "memory");
    printf("waiter: resumed (never printed)\n");
}
