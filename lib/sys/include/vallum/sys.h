/*
 * lib/sys: system-call stubs and typed invocations for user programs.
 *
 * Every invocation returns the kernel's error code (enum vl_error, 0 on success); the
 * detail of an error (which argument, which range) is in vl_last_error after the call.
 * Extra capabilities and long messages go through the calling thread's IPC buffer,
 * found in the thread-local vl_ipc_buffer.
 */
#pragma once

#include <vallum/bootinfo.h>
#include <vallum/errors.h>
#include <vallum/fault.h>
#include <vallum/invocation.h>
#include <vallum/ipcbuf.h>
#include <vallum/msginfo.h>
#include <vallum/objects.h>
#include <vallum/syscall.h>
#include <vallum/types.h>

/* This thread's IPC buffer (thread-local). */
extern __thread struct vl_ipc_buffer *vl_ipc_buffer;

/* What a system call returns: badge, message info and the four register MRs. */
struct vl_msg {
    vl_word_t badge;
    vl_word_t info;
    vl_word_t mr[VL_MSG_REGS];
};

/* Raw system call: a7 = sysno, a0 = cap, a1 = info, a2..a5 = mr[0..3]. */
static inline struct vl_msg
vl_syscall(vl_word_t sysno, vl_cptr_t cap, vl_word_t info, const vl_word_t mr[VL_MSG_REGS])
{
    register vl_word_t a0 __asm__("a0") = cap;
    register vl_word_t a1 __asm__("a1") = info;
    register vl_word_t a2 __asm__("a2") = mr[0];
    register vl_word_t a3 __asm__("a3") = mr[1];
    register vl_word_t a4 __asm__("a4") = mr[2];
    register vl_word_t a5 __asm__("a5") = mr[3];
    register vl_word_t a7 __asm__("a7") = sysno;
    __asm__ volatile("ecall"
                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5)
                     : "r"(a7)
                     : "memory", VL_SYSCALL_CLOBBERS);
    struct vl_msg m = {a0, a1, {a2, a3, a4, a5}};
    return m;
}

/* IPC. mr holds the first four message registers; the rest are in the IPC buffer. */
struct vl_msg vl_call(vl_cptr_t cap, vl_word_t info, const vl_word_t mr[VL_MSG_REGS]);
void vl_send(vl_cptr_t cap, vl_word_t info, const vl_word_t mr[VL_MSG_REGS]);
void vl_nb_send(vl_cptr_t cap, vl_word_t info, const vl_word_t mr[VL_MSG_REGS]);
struct vl_msg vl_recv(vl_cptr_t cap);
struct vl_msg vl_nb_recv(vl_cptr_t cap);
void vl_reply(vl_word_t info, const vl_word_t mr[VL_MSG_REGS]);
struct vl_msg vl_reply_recv(vl_cptr_t cap, vl_word_t info, const vl_word_t mr[VL_MSG_REGS]);
void vl_yield(void);

/* What VL_SYS_IDENTIFY says about a cap in the caller's CSpace. */
struct vl_cap_info {
    vl_word_t type;           /* enum vl_cap_type; VL_CAP_NULL for an empty slot */
    vl_word_t rights;         /* VL_RIGHT_* mask (endpoint, notification, frame; a reply
                                 cap's VL_RIGHT_GRANT); 0 for other types */
    vl_word_t badge;          /* endpoint and notification caps; 0 for others */
    vl_word_t lookup_failure; /* enum vl_lookup_failure: why cap named no slot, else 0 */
};

/* Identifies the cap at cap (all 64 bits resolved). Returns 0, or VL_FAILED_LOOKUP if cap
 * names no slot (then out->type is VL_CAP_NULL and out->lookup_failure says why). */
int vl_cap_identify(vl_cptr_t cap, struct vl_cap_info *out);

/* Notifications. */
void vl_signal(vl_cptr_t ntfn);
vl_word_t vl_wait(vl_cptr_t ntfn); /* returns the signalled bits */
vl_word_t vl_poll(vl_cptr_t ntfn); /* returns the signalled bits, 0 if none */

/* Error detail of the last failed invocation of this thread. */
struct vl_error_detail {
    vl_word_t code;
    vl_word_t mr[5];
};
extern __thread struct vl_error_detail vl_last_error;

/*
 * Performs invocation `label` on cap with n argument words and the extra caps given.
 * Returns the error code; result words (if any) are copied to results[0..nres-1].
 */
int vl_invoke(vl_cptr_t cap, vl_word_t label, const vl_word_t *args, vl_word_t n,
              const vl_cptr_t *caps, vl_word_t ncaps, vl_word_t *results, vl_word_t nres);

/* Typed invocations (see docs/kernel/invocations.md). */
int vl_untyped_retype(vl_cptr_t ut, vl_word_t type, vl_word_t size_bits, vl_cptr_t root,
                      vl_word_t node_index, vl_word_t node_depth, vl_word_t node_offset,
                      vl_word_t num_objects);
int vl_cnode_copy(vl_cptr_t root, vl_word_t dest, vl_word_t dest_depth, vl_cptr_t src_root,
                  vl_word_t src, vl_word_t src_depth, vl_word_t rights);
int vl_cnode_mint(vl_cptr_t root, vl_word_t dest, vl_word_t dest_depth, vl_cptr_t src_root,
                  vl_word_t src, vl_word_t src_depth, vl_word_t rights, vl_word_t data);
int vl_cnode_move(vl_cptr_t root, vl_word_t dest, vl_word_t dest_depth, vl_cptr_t src_root,
                  vl_word_t src, vl_word_t src_depth);
int vl_cnode_mutate(vl_cptr_t root, vl_word_t dest, vl_word_t dest_depth, vl_cptr_t src_root,
                    vl_word_t src, vl_word_t src_depth, vl_word_t data);
int vl_cnode_rotate(vl_cptr_t root, vl_word_t dest, vl_word_t dest_depth, vl_word_t dest_badge,
                    vl_cptr_t pivot_root, vl_word_t pivot, vl_word_t pivot_depth,
                    vl_word_t pivot_badge, vl_cptr_t src_root, vl_word_t src, vl_word_t src_depth);
int vl_cnode_delete(vl_cptr_t root, vl_word_t index, vl_word_t depth);
int vl_cnode_revoke(vl_cptr_t root, vl_word_t index, vl_word_t depth);
int vl_cnode_save_caller(vl_cptr_t root, vl_word_t index, vl_word_t depth);
int vl_cnode_cancel_badged_sends(vl_cptr_t root, vl_word_t index, vl_word_t depth);

int vl_tcb_configure(vl_cptr_t tcb, vl_cptr_t fault_ep, vl_cptr_t cspace, vl_word_t cspace_data,
                     vl_cptr_t vspace, vl_word_t buffer, vl_cptr_t buffer_frame);
int vl_tcb_set_space(vl_cptr_t tcb, vl_cptr_t fault_ep, vl_cptr_t cspace, vl_word_t cspace_data,
                     vl_cptr_t vspace);
int vl_tcb_set_ipc_buffer(vl_cptr_t tcb, vl_word_t buffer, vl_cptr_t frame);
int vl_tcb_set_priority(vl_cptr_t tcb, vl_cptr_t authority, vl_word_t prio);
int vl_tcb_set_mc_priority(vl_cptr_t tcb, vl_cptr_t authority, vl_word_t mcp);
int vl_tcb_read_registers(vl_cptr_t tcb, int suspend, vl_word_t count, vl_word_t *regs);
int vl_tcb_write_registers(vl_cptr_t tcb, int resume, vl_word_t count, const vl_word_t *regs);
/*
 * Fills regs[VL_NUM_REGISTERS] for a new thread of this program: it starts at entry with
 * arg in a0, the stack pointer sp (16-byte aligned), the thread pointer tls and the
 * caller's global pointer; every other register 0. For TCB_WriteRegisters.
 */
void vl_thread_regs(vl_word_t *regs, void (*entry)(void *), void *arg, vl_word_t sp, vl_word_t tls);
int vl_tcb_resume(vl_cptr_t tcb);
int vl_tcb_suspend(vl_cptr_t tcb);
int vl_tcb_bind_notification(vl_cptr_t tcb, vl_cptr_t ntfn);
int vl_tcb_unbind_notification(vl_cptr_t tcb);

int vl_irq_control_get(vl_cptr_t control, vl_word_t irq, vl_cptr_t root, vl_word_t index,
                       vl_word_t depth);
/* The console UART for a user-level driver: a device frame cap to its page goes into
 * (root, index, depth); kernel output then collects in the kernel log until the last cap
 * to the page is deleted (docs/kernel/invocations.md, IRQControl_TakeConsole). */
int vl_console_take(vl_cptr_t control, vl_cptr_t root, vl_word_t index, vl_word_t depth);
/* Moves up to max bytes of pending kernel output into buf; *n is set to how many. control
 * is IRQControl or the console frame cap (with Write). */
int vl_console_read_log(vl_cptr_t control, char *buf, vl_word_t max, vl_word_t *n);
/* On the console frame cap: the kernel signals ntfn (a notification cap with Write, its
 * badge) whenever output goes into the kernel log (docs/kernel/invocations.md,
 * Console_SetLogNotification). */
int vl_console_set_log_notification(vl_cptr_t frame, vl_cptr_t ntfn);
/* Shutdown (VL_CAP_SHUTDOWN): on success neither returns, the machine stops; otherwise
 * they return the error code. status: 0 = success, 1..255 = failure (QEMU's exit status). */
int vl_shutdown_power_off(vl_cptr_t shutdown, vl_word_t status);
int vl_shutdown_reset(vl_cptr_t shutdown);

/*
 * Scheduling contexts (docs/kernel/scheduling.md). Configure, on the SchedControl cap,
 * gives the context sc budget ticks of the time counter every period ticks
 * (VL_SC_MIN_BUDGET <= budget <= period <= VL_SC_MAX_PERIOD). Bind binds the context to a
 * thread, Unbind undoes it; Consumed sets *ticks to the time charged to the context since
 * it last asked (0 on error) and starts again from 0; GetBudget reads budget and period
 * (both 0 until configured, and on error).
 */
int vl_sched_control_configure(vl_cptr_t control, vl_cptr_t sc, vl_word_t budget, vl_word_t period);
int vl_sched_context_bind(vl_cptr_t sc, vl_cptr_t tcb);
int vl_sched_context_unbind(vl_cptr_t sc);
int vl_sched_context_consumed(vl_cptr_t sc, vl_word_t *ticks);
int vl_sched_context_get_budget(vl_cptr_t sc, vl_word_t *budget, vl_word_t *period);

int vl_irq_handler_ack(vl_cptr_t handler);
int vl_irq_handler_set_notification(vl_cptr_t handler, vl_cptr_t ntfn);
int vl_irq_handler_clear(vl_cptr_t handler);
/*
 * ASIDs. MakePool turns the untyped ut (VL_ASID_POOL_BITS, RAM, no children) into an ASID
 * pool for a free range of VL_ASID_POOL_SIZE ASIDs, its cap at (root, index, depth).
 * Assign gives the VSpace (retyped, so without an ASID) the pool's lowest free ASID: a
 * VSpace needs one before a thread can run in it or anything is mapped into it.
 */
int vl_asid_control_make_pool(vl_cptr_t control, vl_cptr_t ut, vl_cptr_t root, vl_word_t index,
                              vl_word_t depth);
int vl_asid_pool_assign(vl_cptr_t pool, vl_cptr_t vspace);

/* Physical address of a frame, and the virtual address this cap maps it at (0 if none). */
int vl_frame_get_address(vl_cptr_t frame, vl_word_t *paddr, vl_word_t *vaddr);

/* Maps a frame at vaddr in the VSpace with rights (VL_RIGHT_READ, VL_RIGHT_WRITE) masked
 * by the cap's; attr bit 0 (VL_MAP_EXECUTE_NEVER) forbids execution. */
#define VL_MAP_EXECUTE_NEVER 1ul
int vl_frame_map(vl_cptr_t frame, vl_cptr_t vspace, vl_word_t vaddr, vl_word_t rights,
                 vl_word_t attr);
int vl_frame_unmap(vl_cptr_t frame);
int vl_page_table_map(vl_cptr_t pt, vl_cptr_t vspace, vl_word_t vaddr);
int vl_page_table_unmap(vl_cptr_t pt);

/*
 * Allocates a fresh page table: sets *pt and returns 0, or returns an error code.
 * Used by vl_frame_map_tables for each level the mapping is missing.
 */
typedef int vl_table_alloc_fn(void *ctx, vl_cptr_t *pt);

/*
 * Maps frame at vaddr in vspace like vl_frame_map, first creating (with new_table) and
 * mapping the page tables that are missing on the way. Returns the error code. A table
 * made for a mapping that then fails stays allocated (Frame_Map checks the VSpace and
 * address before it reports a missing table, so PageTable_Map does not fail after it).
 */
int vl_frame_map_tables(vl_cptr_t frame, vl_cptr_t vspace, vl_word_t vaddr, vl_word_t rights,
                        vl_word_t attr, vl_table_alloc_fn *new_table, void *ctx);

/* The frame cap among the boot info's image frames that maps vaddr, or 0. */
vl_cptr_t vl_bootinfo_frame_at(const struct vl_bootinfo *bi, vl_word_t vaddr);

/* Returns the first of two consecutive free slots of root, or 0 if there are none. */
typedef vl_cptr_t vl_slot_pair_fn(void *ctx);

/*
 * Makes a 4 KiB device frame for paddr (page-aligned) in slot dest of the CNode root
 * (depth 0 retypes), splitting the boot info's device untyped that holds it in halves
 * (two slots from new_pair per level) down to one page. *from is set to that device
 * untyped (0 if none holds paddr): revoking it undoes everything. Returns the error code:
 * VL_RANGE_ERROR if no device untyped holds paddr.
 */
int vl_device_frame(const struct vl_bootinfo *bi, vl_word_t paddr, vl_cptr_t root,
                    vl_slot_pair_fn *new_pair, void *ctx, vl_cptr_t dest, vl_cptr_t *from);

/*
 * Debug calls (debug kernels only; uapi/vallum/syscall.h). Each goes through the debug cap
 * at vl_debug_cap, whose rights decide what the kernel does (VL_DEBUG_RIGHT_*): a call it
 * refuses does nothing. vl_debug_cap is VL_CAP_DEBUG_SLOT for the first task; lib/os sets
 * it to VL_COMP_SLOT_DEBUG in components; a program that makes its own threads with
 * another CSpace layout sets it at start-up.
 */
extern vl_cptr_t vl_debug_cap;
void vl_debug_putchar(char c); /* print right; printf and puts write through it */
void vl_debug_puts(const char *s);
/* Halt right: stops the machine. If refused, stops the calling thread instead with a
 * breakpoint exception (ebreak) for its fault handler. */
__attribute__((noreturn)) void vl_debug_halt(vl_word_t status);
void vl_debug_name(vl_cptr_t tcb, const char *name); /* print right */
/* Check right, test kernels only: 0 if every kernel invariant holds, 1 if one is violated,
 * or -(enum vl_error) if the kernel refused (no check right, or not a test kernel). */
int vl_debug_check(void);
/* Print right: the enum vl_cap_type of the slot; VL_CAP_NULL if refused. */
vl_word_t vl_debug_cap_type(vl_cptr_t cap);

/* Human-readable name of an error code. */
const char *vl_error_name(int err);
