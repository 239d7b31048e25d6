/*
 * liar: a fault handler that misbehaves, to show that init cannot be confused by one. For
 * its child victim's first fault it sends init an unknown request and a short answer, answers
 * for a component it does not handle, with an
 * unknown action, with a wrong ticket and with a new pc for a page fault (all refused),
 * then answers properly and answers again (refused). At the second fault it crashes with the
 * fault pending, which goes back to victim's restart policy; liar's own handler, warden,
 * has it restarted, and it starts afresh with no fault pending.
 */
#include <stdio.h>
#include <vallum/os.h>

#define NOT_MINE 0 /* warden, the first component of the system */
#define NO_SUCH_COMPONENT 99
#define NO_SUCH_ACTION 9

static unsigned faults;

void
init(void)
{
    printf("liar: ready\n");
}

static void
show(const char *what, int status)
{
    printf("liar: %s: status %d\n", what, status);
}

/* Sends init's fault service a request of its own making; returns the status. */
static int
raw_request(vl_word_t label, vl_word_t words, vl_word_t child)
{
    vl_word_t mr[VL_MSG_REGS] = {child, 0, 0, 0};
    struct vl_msg m = vl_call(VL_COMP_SLOT_FAULTS, vl_msginfo(label, 0, 0, words), mr);
    return (int)vl_msginfo_label(m.info);
}

enum vl_os_fault_action
fault(unsigned child, struct vl_os_fault *f)
{
    printf("liar: %s faulted at pc 0x%lx\n", f->name, (unsigned long)f->pc);
    if (faults++ == 0) {
        show("unknown request", raw_request(7, 0, child));
        show("short answer", raw_request(VL_FAULTS_ANSWER, 2, child));
        show("answer for warden",
             vl_os_fault_answer(NOT_MINE, f->ticket, VL_OS_FAULT_RESTART, f->pc));
        show("answer for component 99",
             vl_os_fault_answer(NO_SUCH_COMPONENT, f->ticket, VL_OS_FAULT_RESTART, f->pc));
        show("unknown action",
             vl_os_fault_answer(child, f->ticket, (enum vl_os_fault_action)NO_SUCH_ACTION, f->pc));
        show("wrong ticket", vl_os_fault_answer(child, f->ticket + 1, VL_OS_FAULT_STOP, f->pc));
        show("page fault resumed elsewhere",
             vl_os_fault_answer(child, f->ticket, VL_OS_FAULT_RESUME, f->pc + 4));
        show("restart", vl_os_fault_answer(child, f->ticket, VL_OS_FAULT_RESTART, f->pc));
        /* lib/os answers this a second time: refused, the fault is no longer pending. */
        return VL_OS_FAULT_STOP;
    }
    printf("liar: crashing with %s's fault pending\n", f->name);
    *(volatile int *)0 = 1;
    return VL_OS_FAULT_STOP;
}
