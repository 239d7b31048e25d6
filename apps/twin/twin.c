/*
 * twin: hits a breakpoint, and while its handler (warden, of lower priority) has not yet
 * answered, its second thread suspends the faulted main thread, which ends the main thread's
 * wait for the answer. Warden then answers resume: init finds nothing waiting to resume and
 * says so, instead of sending on a reply capability that is gone.
 */
#include <stdio.h>
#include <vallum/os.h>

static void
suspender(void *arg)
{
    (void)arg;
    printf("twin: suspending the faulted main thread: %d\n", vl_tcb_suspend(VL_COMP_SLOT_TCB));
}

void
init(void)
{
    /* Below this thread, above warden: it runs once this one waits on its fault. */
    if (vl_os_thread_create(suspender, NULL, vl_os_info()->priority - 5) == NULL) {
        printf("twin: cannot create a thread: %d\n", vl_os_error());
    }
    printf("twin: breakpoint\n");
    __asm__ volatile("ebreak" ::: "memory");
    printf("twin: resumed (never printed)\n");
}
