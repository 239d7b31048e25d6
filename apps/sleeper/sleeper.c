/*
 * sleeper: a fault handler that never answers: it takes its child waiter's fault and then
 * waits for ever. Init does not wait for it; waiter stays stopped.
 */
#include <stdio.h>
#include <vallum/os.h>

void
init(void)
{
    printf("sleeper: ready\n");
}

enum vl_os_fault_action
fault(unsigned child, struct vl_os_fault *f)
{
    printf("sleeper: holding %s's fault (component %u) for ever\n", f->name, child);
    for (;;) {
        vl_wait(VL_COMP_SLOT_NTFN);
    }
}
