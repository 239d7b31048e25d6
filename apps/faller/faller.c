/*
 * faller: writes to address 0 in its first run (its handler warden restarts it); in its
 * second it makes up a fault (a Call on its fault endpoint with a label no fault has), which
 * init does not hand to warden but to its restart policy (always); in its third it makes up
 * an unknown system call of no words, whose registers would be whatever init's IPC buffer
 * last held (another component's), so init gives it to the restart policy too; in its fourth
 * it uses a slot it does not have (warden stops it).
 */
#include <stdio.h>
#include <vallum/os.h>

#define EMPTY_SLOT 50
#define NO_SUCH_FAULT 77

void
init(void)
{
    vl_word_t run = vl_os_restarts();
    printf("faller: run %lu\n", (unsigned long)run);
    if (run == 0) {
        *(volatile int *)0 = 1;
    } else if (run == 1) {
        vl_word_t mr[VL_MSG_REGS] = {0};
        vl_call(VL_COMP_SLOT_FAULT, vl_msginfo(NO_SUCH_FAULT, 0, 0, 0), mr);
    } else if (run == 2) {
        vl_word_t mr[VL_MSG_REGS] = {0};
        vl_call(VL_COMP_SLOT_FAULT, vl_msginfo(VL_FAULT_UNKNOWN_SYSCALL, 0, 0, 0), mr);
    } else {
        vl_signal(EMPTY_SLOT);
    }
    printf("faller: still running after run %lu\n", (unsigned long)run);
}
