/*
 * keeper: a server of the counter interface (interfaces/counter.idl) that answers every hit
 * with the number of calls so far, and says who asked; used by the probe system to show
 * that faulting clients do not disturb it.
 */
#include <stdio.h>
#include <vallum/os.h>

#include "counter.h"

static vl_word_t calls;
static uint64_t total;

void
init(void)
{
}

int
counter_do_hit(unsigned ch, uint64_t *count)
{
    calls++;
    printf("keeper: call %lu on channel %u\n", (unsigned long)calls, ch);
    *count = calls;
    return 0;
}

int
counter_do_add(unsigned ch, uint64_t n, uint64_t *sum)
{
    calls++;
    printf("keeper: call %lu on channel %u adds %lu\n", (unsigned long)calls, ch, (unsigned long)n);
    if (total + n < total) {
        return COUNTER_ADD_OVERFLOW;
    }
    total += n;
    *sum = total;
    return 0;
}

vl_word_t protected(unsigned id, vl_word_t info)
{
    return counter_dispatch(id, info, NULL);
}
