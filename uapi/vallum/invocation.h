/*
 * Invocation labels: the label of a Call on an object capability selects the operation.
 * docs/kernel/invocations.md gives arguments, returns and errors for each.
 */
#pragma once

enum vl_invocation {
    VL_INV_INVALID = 0,
    VL_UNTYPED_RETYPE = 1,

    VL_TCB_CONFIGURE = 2,
    VL_TCB_SET_PRIORITY,
    VL_TCB_SET_MC_PRIORITY,
    VL_TCB_SET_SPACE,
    VL_TCB_SET_IPC_BUFFER,
    VL_TCB_READ_REGISTERS,
    VL_TCB_WRITE_REGISTERS,
    VL_TCB_RESUME,
    VL_TCB_SUSPEND,
    VL_TCB_BIND_NOTIFICATION,
    VL_TCB_UNBIND_NOTIFICATION,

    VL_CNODE_REVOKE = 20,
    VL_CNODE_DELETE,
    VL_CNODE_CANCEL_BADGED_SENDS,
    VL_CNODE_COPY,
    VL_CNODE_MINT,
    VL_CNODE_MOVE,
    VL_CNODE_MUTATE,
    VL_CNODE_ROTATE,
    VL_CNODE_SAVE_CALLER,

    VL_IRQ_ISSUE_HANDLER = 40,
    VL_IRQ_ACK,
    VL_IRQ_SET_NOTIFICATION,
    VL_IRQ_CLEAR,

    VL_PAGE_TABLE_MAP = 50,
    VL_PAGE_TABLE_UNMAP,
    VL_FRAME_MAP,
    VL_FRAME_UNMAP,
    VL_FRAME_GET_ADDRESS,

    VL_ASID_CONTROL_MAKE_POOL = 60,
    VL_ASID_POOL_ASSIGN = 61,
    VL_SHUTDOWN_POWER_OFF = 80,
    VL_SHUTDOWN_RESET,
    /* On the IRQControl capability: the console UART and the kernel log. READ_LOG also
     * works on the console frame capability, and SET_LOG_NOTIFICATION only there: the
     * driver drains the log without holding IRQControl. */
    VL_CONSOLE_TAKE = 90,
    VL_CONSOLE_READ_LOG,
    VL_CONSOLE_SET_LOG_NOTIFICATION,

    VL_SCHED_CONTROL_CONFIGURE = 100,
    VL_SCHED_CONTEXT_BIND = 110,
    VL_SCHED_CONTEXT_UNBIND,
    VL_SCHED_CONTEXT_CONSUMED,
    VL_SCHED_CONTEXT_GET_BUDGET,
};

/* The largest exit status Shutdown_PowerOff accepts (0 = success, 1..255 = failure). */
#define VL_SHUTDOWN_MAX_STATUS 255

/* Registers as numbered by TCB_ReadRegisters / TCB_WriteRegisters: 0 is pc, i is x_i. */
#define VL_NUM_REGISTERS 32
#define VL_REG_PC 0
#define VL_REG_RA 1
#define VL_REG_SP 2
#define VL_REG_GP 3
#define VL_REG_TP 4
#define VL_REG_A0 10

/* Scheduling. */
#define VL_NUM_PRIORITIES 256
#define VL_MAX_PRIORITY 255

/*
 * Bounds SchedControl_Configure checks, in ticks of the time counter (bootinfo.timebase_hz
 * a second). A budget below the minimum would end before the timer interrupt that ends it
 * could be taken; the period's cap keeps the refill arithmetic far from overflow (2^40
 * ticks is 30 hours at 10 MHz).
 */
#define VL_SC_MIN_BUDGET 100ul
#define VL_SC_MAX_PERIOD (1ul << 40)
