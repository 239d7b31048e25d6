/*
 * crasher: counts its runs in the shared region "board" (which survives restarts, unlike
 * its own data), calls its peer (counter_hit, interfaces/counter.idl), then writes to
 * address 0, which faults. The supervisor restarts it with fresh memory until its restart
 * policy's limit is reached.
 */
#include <stdio.h>
#include <vallum/os.h>

#include "counter.h"

#define CH_PEER 0

static long counter = 7; /* data: reloaded from the program image at every restart */

void
init(void)
{
    volatile vl_word_t *board = vl_os_region("board", NULL);
    if (board != NULL) {
        board[0]++;
    }
    /* Its heap is fresh at every run: zero, whatever the last run left there. */
    volatile vl_word_t *heap = (volatile vl_word_t *)vl_os_info()->heap_start;
    if (heap != NULL) {
        printf("crasher: heap of %lu bytes, first word %lu\n",
               (unsigned long)vl_os_info()->heap_size, (unsigned long)heap[0]);
        heap[0] = 0xdead;
    }
    uint64_t calls = 0;
    int st = counter_hit(CH_PEER, &calls);
    if (st != 0) {
        printf("crasher: peer's reply has status %d\n", st);
    }
    printf("crasher: run %lu, counter %ld, peer answered %lu\n", (unsigned long)vl_os_restarts(),
           counter, (unsigned long)calls);
    counter++;
    *(volatile int *)0 = 1;
}
