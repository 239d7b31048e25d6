/*
 * warden: the fault handler of breaker and faller in the faults system (systems/faults).
 * It steps breaker over its breakpoint and its unknown system call (after letting the
 * breakpoint be retried once, to show that a resume retries), restarts faller after a page
 * fault and stops it after anything else, and resumes twin.
 */
#include <stdio.h>
#include <string.h>
#include <vallum/os.h>

static unsigned breakpoints; /* breaker's breakpoint faults seen in a row */

static const char *
kind_name(enum vl_os_fault_kind kind)
{
    switch (kind) {
    case VL_OS_FAULT_VM:
        return "page fault";
    case VL_OS_FAULT_CAP:
        return "capability fault";
    case VL_OS_FAULT_EXCEPTION:
        return "exception";
    case VL_OS_FAULT_SYSCALL:
        return "unknown system call";
    default:
        return "unknown fault";
    }
}

void
init(void)
{
    printf("warden: ready\n");
}

/* breaker: a breakpoint (scause 3) is retried once, then stepped over; so is an ecall. */
static enum vl_os_fault_action
decide_breaker(struct vl_os_fault *f)
{
    if (f->kind == VL_OS_FAULT_EXCEPTION && f->detail == 3 && ++breakpoints == 1) {
        printf("warden: let breaker retry the breakpoint\n");
        return VL_OS_FAULT_RESUME;
    }
    if ((f->kind == VL_OS_FAULT_EXCEPTION && f->detail == 3) || f->kind == VL_OS_FAULT_SYSCALL) {
        breakpoints = 0;
        f->resume_pc = f->pc + 4; /* both are 4-byte instructions in breaker */
        printf("warden: step breaker over the instruction\n");
        return VL_OS_FAULT_RESUME;
    }
    printf("warden: stop breaker\n");
    return VL_OS_FAULT_STOP;
}

enum vl_os_fault_action
fault(unsigned child, struct vl_os_fault *f)
{
    printf("warden: %s (component %u): %s at pc 0x%lx, addr 0x%lx, detail %lu\n", f->name, child,
           kind_name(f->kind), (unsigned long)f->pc, (unsigned long)f->addr,
           (unsigned long)f->detail);
    if (strcmp(f->name, "breaker") == 0) {
        return decide_breaker(f);
    }
    if (strcmp(f->name, "twin") == 0) {
        printf("warden: resume twin\n");
        return VL_OS_FAULT_RESUME;
    }
    if (f->kind == VL_OS_FAULT_VM) {
        printf("warden: restart %s\n", f->name);
        return VL_OS_FAULT_RESTART;
    }
    printf("warden: stop %s\n", f->name);
    return VL_OS_FAULT_STOP;
}
