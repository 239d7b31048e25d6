/*
 * victim: the child of the misbehaving handler liar. It reads address 0x10 in its first
 * run, hits a breakpoint in its second, and ends well in the third.
 */
#include <stdio.h>
#include <vallum/os.h>

/* A volatile pointer, so that the compiler does not see the address it reads. */
static volatile int *volatile unmapped = (volatile int *)0x10;

void
init(void)
{
    vl_word_t run = vl_os_restarts();
    printf("victim: run %lu\n", (unsigned long)run);
    if (run == 0) {
        printf("victim: read 0x%x\n", *unmapped);
    } else if (run == 1) {
        __asm__ volatile("ebreak" ::: "memory");
    }
    printf("victim: run %lu ends well\n", (unsigned long)run);
}
