/*
 * answer: a server that keeps answering protected calls while its peer crashes and is
 * restarted: it returns how many calls it has answered so far, and reports the run count
 * its peer keeps in the shared region "board" (mapped read-only here).
 */
#include <stdio.h>
#include <vallum/os.h>

static vl_word_t answered;

void
init(void)
{
    printf("answer: ready\n");
}

vl_word_t protected(unsigned id, vl_word_t info)
{
    (void)info;
    answered++;
    const volatile vl_word_t *board = vl_os_region("board", NULL);
    printf("answer: call %lu on channel %u, board says %lu\n", (unsigned long)answered, id,
           board != NULL ? (unsigned long)board[0] : 0ul);
    vl_os_mr_set(0, answered);
    return vl_msginfo(0, 0, 0, 1);
}
