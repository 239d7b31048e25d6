/*
 * keeper: a server that answers every protected call with the number of calls so far, and
 * says who asked; used by the probe system to show that faulting clients do not disturb it.
 */
#include <stdio.h>
#include <vallum/os.h>

static vl_word_t calls;

void
init(void)
{
}

vl_word_t protected(unsigned id, vl_word_t info)
{
    (void)info;
    calls++;
    printf("keeper: call %lu on channel %u\n", (unsigned long)calls, id);
    vl_os_mr_set(0, calls);
    return vl_msginfo(0, 0, 0, 1);
}
