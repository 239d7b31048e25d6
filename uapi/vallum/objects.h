/*
 * Kernel object types, their sizes, capability rights and initial capability slots.
 */
#pragma once

enum vl_object_type {
    VL_OBJ_UNTYPED = 0,
    VL_OBJ_TCB = 1,
    VL_OBJ_ENDPOINT = 2,
    VL_OBJ_NOTIFICATION = 3,
    VL_OBJ_CNODE = 4,
    VL_OBJ_FRAME_4K = 5,
    VL_OBJ_FRAME_2M = 6,
    VL_OBJ_FRAME_1G = 7,
    VL_OBJ_PAGE_TABLE = 8,
    VL_OBJ_VSPACE = 9,
    VL_OBJ_SCHED_CONTEXT = 10, /* a CPU budget and period (docs/kernel/scheduling.md) */
    VL_OBJ_NUM_TYPES
};

/* log2 of object sizes in bytes. */
#define VL_TCB_BITS 10
#define VL_ENDPOINT_BITS 5
#define VL_NOTIFICATION_BITS 6
#define VL_SLOT_BITS 5 /* one CNode slot */
#define VL_FRAME_4K_BITS 12
#define VL_FRAME_2M_BITS 21
#define VL_FRAME_1G_BITS 30
#define VL_PAGE_TABLE_BITS 12
#define VL_VSPACE_BITS 12
#define VL_SCHED_CONTEXT_BITS 8
#define VL_ASID_POOL_BITS 12 /* the untyped an ASID pool is made from */
#define VL_MIN_UNTYPED_BITS 4
#define VL_MAX_UNTYPED_BITS 38
#define VL_MAX_CNODE_RADIX 24

/* ASIDs one ASID pool hands out (ASID 0 is the kernel's: the first pool has one less). */
#define VL_ASID_POOL_SIZE 512

/* Capability rights (a mask). */
#define VL_RIGHT_READ 1u
#define VL_RIGHT_WRITE 2u
#define VL_RIGHT_GRANT 4u
#define VL_RIGHT_GRANT_REPLY 8u
#define VL_RIGHTS_ALL 15u

/*
 * Rights of a debug capability (VL_CAP_DEBUG): each debug system call needs one of them
 * (uapi/vallum/syscall.h). They are the generic rights bits, so CNode_Mint and CNode_Copy
 * reduce them with their rights mask like any other cap's:
 *   VL_DEBUG_RIGHT_PRINT  Write:  put char, name a thread, ask a cap's type (harmless: they
 *                                 only print, or tell a thread about its own CSpace)
 *   VL_DEBUG_RIGHT_CHECK  Read:   the invariant walk and the scheduler dump (they read, or
 *                                 spend time on, the whole kernel's state)
 *   VL_DEBUG_RIGHT_HALT   Grant:  stop the machine
 * GrantReply means nothing on a debug cap.
 */
#define VL_DEBUG_RIGHT_PRINT VL_RIGHT_WRITE
#define VL_DEBUG_RIGHT_CHECK VL_RIGHT_READ
#define VL_DEBUG_RIGHT_HALT VL_RIGHT_GRANT
#define VL_DEBUG_RIGHTS_ALL (VL_DEBUG_RIGHT_PRINT | VL_DEBUG_RIGHT_CHECK | VL_DEBUG_RIGHT_HALT)

/* Capability types, as reported by VL_SYS_IDENTIFY and VL_SYS_DEBUG_CAP_TYPE. */
enum vl_cap_type {
    VL_CAP_NULL = 0,
    VL_CAP_UNTYPED,
    VL_CAP_TCB,
    VL_CAP_ENDPOINT,
    VL_CAP_NOTIFICATION,
    VL_CAP_CNODE,
    VL_CAP_FRAME,
    VL_CAP_PAGE_TABLE,
    VL_CAP_VSPACE,
    VL_CAP_REPLY,
    VL_CAP_IRQ_CONTROL,
    VL_CAP_IRQ_HANDLER,
    VL_CAP_ZOMBIE,
    VL_CAP_ASID_CONTROL = 13,
    VL_CAP_ASID_POOL = 14,
    VL_CAP_DEBUG = 15,    /* the right to make debug system calls (VL_DEBUG_RIGHT_*) */
    VL_CAP_SHUTDOWN = 16, /* powers the machine off or resets it (docs/kernel/objects.md) */
    VL_CAP_SCHED_CONTEXT = 17, /* a budget and period a thread runs on */
    VL_CAP_SCHED_CONTROL = 18, /* the authority to set budgets (SchedControl_Configure) */
    VL_CAP_NUM_TYPES
};

/* Capabilities the kernel places in the first task's CNode. */
enum vl_init_slot {
    VL_CAP_INIT_NULL = 0,
    VL_CAP_INIT_TCB = 1,
    VL_CAP_INIT_CNODE = 2,
    VL_CAP_INIT_VSPACE = 3,
    VL_CAP_IRQ_CONTROL_SLOT = 4,
    VL_CAP_BOOTINFO_FRAME = 5,
    VL_CAP_INIT_IPC_BUFFER = 6,
    VL_CAP_ASID_CONTROL_SLOT = 7,
    VL_CAP_DEBUG_SLOT = 8, /* a debug cap with every VL_DEBUG_RIGHT_* */
    VL_CAP_SHUTDOWN_SLOT = 9,
    VL_CAP_SCHED_CONTROL_SLOT = 10,
    VL_NUM_INIT_SLOTS = 11
};

/* The first task's CNode has 2^VL_INIT_CNODE_BITS slots. */
#define VL_INIT_CNODE_BITS 12
