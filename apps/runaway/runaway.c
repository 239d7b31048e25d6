/*
 * runaway: a component that never stops computing (systems/runaway). At a high priority it
 * would keep every lower-priority component from running for ever; its description gives it
 * a budget, and a kernel that enforces scheduling contexts (MCS=1) holds it to that.
 */
#include <stdio.h>
#include <vallum/os.h>

static volatile unsigned long rounds;

void
init(void)
{
    printf("runaway: spinning for ever\n");
    for (;;) {
        rounds++;
    }
}
