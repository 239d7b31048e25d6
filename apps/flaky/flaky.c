/*
 * flaky: executes an illegal instruction in its first runs and works from the sixth on;
 * restarted every time (restart: always).
 */
#include <stdio.h>
#include <vallum/os.h>

#define BAD_RUNS 5

void
init(void)
{
    if (vl_os_restarts() < BAD_RUNS) {
        printf("flaky: run %lu fails\n", (unsigned long)vl_os_restarts());
        __asm__ volatile(".word 0"); /* an illegal instruction */
    }
    printf("flaky: run %lu succeeded\n", (unsigned long)vl_os_restarts());
}
