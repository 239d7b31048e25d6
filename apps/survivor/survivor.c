/*
 * survivor: runs after the probes (it has the lowest priority) and shows that the system
 * goes on: it calls keeper (counter_hit, interfaces/counter.idl), then notifies nothing and
 * waits.
 */
#include <stdio.h>
#include <vallum/os.h>

#include "counter.h"

void
init(void)
{
    uint64_t calls = 0;
    int st = counter_hit(0, &calls);
    if (st != 0) {
        printf("survivor: keeper's reply has status %d\n", st);
    }
    printf("survivor: keeper still answers (call %lu)\n", (unsigned long)calls);
    printf("probe: done\n");
}
