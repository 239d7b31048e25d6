/*
 * The fault service: how a fault handler (a component other components name as their
 * `fault_handler`, docs/faults.md) and init talk. lib/os speaks it for the handler's fault()
 * entry point (os.h); init serves it in servers/init/faults.c.
 *
 * Every component's faults reach init (its fault endpoint is init's supervisor endpoint,
 * component.h). For a component with a handler, init keeps the faulted thread waiting (it
 * saves the reply capability), records the fault as pending and signals the handler's
 * notification with bit VL_COMP_FAULT_CHANNEL. It never waits for the handler: the handler
 * asks with protected calls on VL_COMP_SLOT_FAULTS, which init answers at once.
 *
 *   VL_FAULTS_NEXT    no words. Reply label VL_FAULTS_OK with the next pending fault of the
 *                     caller's children it has not been told yet (each is told once), in
 *                     VL_FAULTS_NEXT_LENGTH words laid out as VL_FAULTS_MR_*, or
 *                     VL_FAULTS_NONE (no words) when there is none.
 *   VL_FAULTS_ANSWER  MR0 the child's index, MR1 the ticket NEXT gave, MR2 the action
 *                     (enum vl_os_fault_action), MR3 the pc to resume at (resume only).
 *                     Reply label VL_FAULTS_OK, or the VL_FAULTS_E_* reason it was refused
 *                     (nothing changed then).
 *
 * The badge (VL_COMP_FAULTS_BADGE | handler index) names the caller; nothing the handler
 * sends can name another handler or act on a component it does not handle.
 */
#pragma once

/*
 * The faults a handler is told of (struct vl_os_fault in os.h). `kind` says which fault;
 * VL_OS_FAULT_TIMEOUT is reserved for budget overruns once scheduling contexts exist.
 */
enum vl_os_fault_kind {
    VL_OS_FAULT_VM = 1,        /* page fault: addr the address, detail VL_OS_ACCESS_* */
    VL_OS_FAULT_CAP = 2,       /* capability fault: addr the cptr, detail the lookup failure */
    VL_OS_FAULT_EXCEPTION = 3, /* user exception: addr stval, detail scause (3: breakpoint) */
    VL_OS_FAULT_SYSCALL = 4,   /* unknown system call: addr the number, detail 0 */
    VL_OS_FAULT_TIMEOUT = 5    /* not raised yet */
};
#define VL_OS_ACCESS_READ 1u
#define VL_OS_ACCESS_WRITE 2u
#define VL_OS_ACCESS_EXECUTE 4u

enum vl_os_fault_action {
    VL_OS_FAULT_RESTART = 1, /* rebuild the child from its program, as the supervisor does */
    VL_OS_FAULT_RESUME = 2,  /* let the faulted thread go on at resume_pc */
    VL_OS_FAULT_STOP = 3     /* stop the child for good */
};

#define VL_COMP_FAULTS_BADGE (1ull << 8) /* above every component index */

enum vl_faults_request { VL_FAULTS_NEXT = 1, VL_FAULTS_ANSWER = 2 };

/* Reply labels. */
enum vl_faults_status {
    VL_FAULTS_OK = 0,
    VL_FAULTS_NONE = 1,          /* NEXT: no fault left to tell */
    VL_FAULTS_E_REQUEST = 2,     /* unknown request label or too few words */
    VL_FAULTS_E_NOT_YOURS = 3,   /* the component is not one the caller handles */
    VL_FAULTS_E_NOT_PENDING = 4, /* no fault of it pending, or the ticket is not the one of
                                    its pending fault (answered already, or a stale one) */
    VL_FAULTS_E_ACTION = 5,      /* not an enum vl_os_fault_action */
    VL_FAULTS_E_RESUME_PC = 6,   /* a new pc for a fault whose resume cannot change it */
};

/* The words of a NEXT reply. */
#define VL_FAULTS_MR_CHILD 0  /* component index */
#define VL_FAULTS_MR_TICKET 1 /* names this fault in the ANSWER */
#define VL_FAULTS_MR_KIND 2   /* enum vl_os_fault_kind */
#define VL_FAULTS_MR_PC 3
#define VL_FAULTS_MR_ADDR 4   /* struct vl_os_fault's addr */
#define VL_FAULTS_MR_DETAIL 5 /* struct vl_os_fault's detail */
#define VL_FAULTS_MR_NAME 6   /* 4 words: the child's name, NUL-padded (at most 31 bytes) */
#define VL_FAULTS_NAME_WORDS 4
#define VL_FAULTS_NEXT_LENGTH 10
#define VL_FAULTS_ANSWER_LENGTH 4
