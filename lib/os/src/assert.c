/*
 * lib/os: a failed assert() in a component (its own code or a library it links, such as
 * lib/net) prints where and why, then faults, so the supervisor (or the component's fault
 * handler) handles it like any other fault. picolibc's own __assert_func would call abort(),
 * which raises a signal through kill() and getpid(): there is no such thing here.
 */
#include <stdio.h>

void __assert_func(const char *file, int line, const char *func, const char *expr);

void
__assert_func(const char *file, int line, const char *func, const char *expr)
{
    printf("assertion failed: %s:%d: %s: %s\n", file, line, func != NULL ? func : "?", expr);
    for (;;) {
        __builtin_trap(); /* an illegal instruction: a fault, never a return */
    }
}
