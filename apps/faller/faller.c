/*
 * faller: writes to address 0 in its first run (its handler warden restarts it), then uses a
 * slot it does not have in its second (warden stops it).
 */
#include <stdio.h>
#include <vallum/os.h>

#define EMPTY_SLOT 50

void
init(void)
{
    vl_word_t run = vl_os_restarts();
    printf("faller: run %lu\n", (unsigned long)run);
    if (run == 0) {
        *(volatile int *)0 = 1;
    } else {
        vl_signal(EMPTY_SLOT);
    }
    printf("faller: still running after run %lu\n", (unsigned long)run);
}
