/*
 * answer: a server that keeps answering protected calls while its peer crashes and is
 * restarted: it serves the counter interface (interfaces/counter.idl), answering each hit
 * with how many calls it has answered so far, and reports the run count its peer keeps in
 * the shared region "board" (mapped read-only here).
 */
#include <stdio.h>
#include <vallum/os.h>

#include "counter.h"

static vl_word_t answered;
static uint64_t total;

void
init(void)
{
    printf("answer: ready\n");
}

int
counter_do_hit(unsigned ch, uint64_t *calls)
{
    answered++;
    const volatile vl_word_t *board = vl_os_region("board", NULL);
    printf("answer: call %lu on channel %u, board says %lu\n", (unsigned long)answered, ch,
           board != NULL ? (unsigned long)board[0] : 0ul);
    *calls = answered;
    return 0;
}

int
counter_do_add(unsigned ch, uint64_t n, uint64_t *sum)
{
    (void)ch;
    answered++;
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
