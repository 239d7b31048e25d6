/*
 * lib/sys: system-call stubs and typed invocations.
 */
#include <stdio.h>
#include <vallum/sys.h>

__thread struct vl_ipc_buffer *vl_ipc_buffer;
__thread struct vl_error_detail vl_last_error;

static const vl_word_t no_mrs[VL_MSG_REGS];

struct vl_msg
vl_call(vl_cptr_t cap, vl_word_t info, const vl_word_t mr[VL_MSG_REGS])
{
    return vl_syscall(VL_SYS_CALL, cap, info, mr);
}

void
vl_send(vl_cptr_t cap, vl_word_t info, const vl_word_t mr[VL_MSG_REGS])
{
    vl_syscall(VL_SYS_SEND, cap, info, mr);
}

void
vl_nb_send(vl_cptr_t cap, vl_word_t info, const vl_word_t mr[VL_MSG_REGS])
{
    vl_syscall(VL_SYS_NB_SEND, cap, info, mr);
}

struct vl_msg
vl_recv(vl_cptr_t cap)
{
    return vl_syscall(VL_SYS_RECV, cap, 0, no_mrs);
}

struct vl_msg
vl_nb_recv(vl_cptr_t cap)
{
    return vl_syscall(VL_SYS_NB_RECV, cap, 0, no_mrs);
}

void
vl_reply(vl_word_t info, const vl_word_t mr[VL_MSG_REGS])
{
    vl_syscall(VL_SYS_REPLY, 0, info, mr);
}

struct vl_msg
vl_reply_recv(vl_cptr_t cap, vl_word_t info, const vl_word_t mr[VL_MSG_REGS])
{
    return vl_syscall(VL_SYS_REPLY_RECV, cap, info, mr);
}

void
vl_yield(void)
{
    vl_syscall(VL_SYS_YIELD, 0, 0, no_mrs);
}

int
vl_cap_identify(vl_cptr_t cap, struct vl_cap_info *out)
{
    struct vl_msg m = vl_syscall(VL_SYS_IDENTIFY, cap, 0, no_mrs);
    out->type = m.badge;
    out->rights = m.info;
    out->badge = m.mr[0];
    out->lookup_failure = m.mr[1];
    return out->lookup_failure != VL_LOOKUP_NO_FAILURE ? VL_FAILED_LOOKUP : VL_NO_ERROR;
}

void
vl_signal(vl_cptr_t ntfn)
{
    vl_syscall(VL_SYS_SEND, ntfn, 0, no_mrs);
}

vl_word_t
vl_wait(vl_cptr_t ntfn)
{
    return vl_syscall(VL_SYS_RECV, ntfn, 0, no_mrs).badge;
}

vl_word_t
vl_poll(vl_cptr_t ntfn)
{
    return vl_syscall(VL_SYS_NB_RECV, ntfn, 0, no_mrs).badge;
}

int
vl_invoke(vl_cptr_t cap, vl_word_t label, const vl_word_t *args, vl_word_t n, const vl_cptr_t *caps,
          vl_word_t ncaps, vl_word_t *results, vl_word_t nres)
{
    struct vl_ipc_buffer *buf = vl_ipc_buffer;
    vl_word_t mr[VL_MSG_REGS] = {0};
    for (vl_word_t i = 0; i < n; i++) {
        if (i < VL_MSG_REGS) {
            mr[i] = args[i];
        } else if (buf != NULL && i < VL_MSG_MAX_LENGTH) {
            buf->msg[i] = args[i];
        }
    }
    for (vl_word_t i = 0; i < ncaps && buf != NULL && i < VL_MSG_MAX_EXTRA_CAPS; i++) {
        buf->caps_or_badges[i] = caps[i];
    }
    struct vl_msg m = vl_call(cap, vl_msginfo(label, 0, ncaps, n), mr);
    int err = (int)vl_msginfo_label(m.info);
    vl_word_t len = vl_msginfo_length(m.info);
    if (err != VL_NO_ERROR) {
        vl_last_error.code = (vl_word_t)err;
        for (vl_word_t i = 0; i < 5; i++) {
            vl_last_error.mr[i] = i < len ? (i < VL_MSG_REGS ? m.mr[i] : buf->msg[i]) : 0;
        }
        return err;
    }
    for (vl_word_t i = 0; i < nres && i < len; i++) {
        results[i] = i < VL_MSG_REGS ? m.mr[i] : buf->msg[i];
    }
    return 0;
}

#define ARGS(...) ((const vl_word_t[]){__VA_ARGS__})
#define NARGS(...) (sizeof((const vl_word_t[]){__VA_ARGS__}) / sizeof(vl_word_t))
#define INVOKE(cap, label, caps, ncaps, ...)                                                       \
    vl_invoke((cap), (label), ARGS(__VA_ARGS__), NARGS(__VA_ARGS__), (caps), (ncaps), NULL, 0)

int
vl_untyped_retype(vl_cptr_t ut, vl_word_t type, vl_word_t size_bits, vl_cptr_t root,
                  vl_word_t node_index, vl_word_t node_depth, vl_word_t node_offset,
                  vl_word_t num_objects)
{
    vl_cptr_t caps[] = {root};
    return INVOKE(ut, VL_UNTYPED_RETYPE, caps, 1, type, size_bits, node_index, node_depth,
                  node_offset, num_objects);
}

int
vl_cnode_copy(vl_cptr_t root, vl_word_t dest, vl_word_t dest_depth, vl_cptr_t src_root,
              vl_word_t src, vl_word_t src_depth, vl_word_t rights)
{
    vl_cptr_t caps[] = {src_root};
    return INVOKE(root, VL_CNODE_COPY, caps, 1, dest, dest_depth, src, src_depth, rights);
}

int
vl_cnode_mint(vl_cptr_t root, vl_word_t dest, vl_word_t dest_depth, vl_cptr_t src_root,
              vl_word_t src, vl_word_t src_depth, vl_word_t rights, vl_word_t data)
{
    vl_cptr_t caps[] = {src_root};
    return INVOKE(root, VL_CNODE_MINT, caps, 1, dest, dest_depth, src, src_depth, rights, data);
}

int
vl_cnode_move(vl_cptr_t root, vl_word_t dest, vl_word_t dest_depth, vl_cptr_t src_root,
              vl_word_t src, vl_word_t src_depth)
{
    vl_cptr_t caps[] = {src_root};
    return INVOKE(root, VL_CNODE_MOVE, caps, 1, dest, dest_depth, src, src_depth);
}

int
vl_cnode_mutate(vl_cptr_t root, vl_word_t dest, vl_word_t dest_depth, vl_cptr_t src_root,
                vl_word_t src, vl_word_t src_depth, vl_word_t data)
{
    vl_cptr_t caps[] = {src_root};
    return INVOKE(root, VL_CNODE_MUTATE, caps, 1, dest, dest_depth, src, src_depth, data);
}

int
vl_cnode_rotate(vl_cptr_t root, vl_word_t dest, vl_word_t dest_depth, vl_word_t dest_badge,
                vl_cptr_t pivot_root, vl_word_t pivot, vl_word_t pivot_depth, vl_word_t pivot_badge,
                vl_cptr_t src_root, vl_word_t src, vl_word_t src_depth)
{
    vl_cptr_t caps[] = {pivot_root, src_root};
    return INVOKE(root, VL_CNODE_ROTATE, caps, 2, dest, dest_depth, dest_badge, pivot, pivot_depth,
                  pivot_badge, src, src_depth);
}

int
vl_cnode_delete(vl_cptr_t root, vl_word_t index, vl_word_t depth)
{
    return INVOKE(root, VL_CNODE_DELETE, NULL, 0, index, depth);
}

int
vl_cnode_revoke(vl_cptr_t root, vl_word_t index, vl_word_t depth)
{
    return INVOKE(root, VL_CNODE_REVOKE, NULL, 0, index, depth);
}

int
vl_cnode_save_caller(vl_cptr_t root, vl_word_t index, vl_word_t depth)
{
    return INVOKE(root, VL_CNODE_SAVE_CALLER, NULL, 0, index, depth);
}

int
vl_cnode_cancel_badged_sends(vl_cptr_t root, vl_word_t index, vl_word_t depth)
{
    return INVOKE(root, VL_CNODE_CANCEL_BADGED_SENDS, NULL, 0, index, depth);
}

int
vl_tcb_configure(vl_cptr_t tcb, vl_cptr_t fault_ep, vl_cptr_t cspace, vl_word_t cspace_data,
                 vl_cptr_t vspace, vl_word_t buffer, vl_cptr_t buffer_frame)
{
    vl_cptr_t caps[] = {cspace, vspace, buffer_frame};
    return INVOKE(tcb, VL_TCB_CONFIGURE, caps, buffer != 0 ? 3 : 2, fault_ep, cspace_data, 0,
                  buffer);
}

int
vl_tcb_set_space(vl_cptr_t tcb, vl_cptr_t fault_ep, vl_cptr_t cspace, vl_word_t cspace_data,
                 vl_cptr_t vspace)
{
    vl_cptr_t caps[] = {cspace, vspace};
    return INVOKE(tcb, VL_TCB_SET_SPACE, caps, 2, fault_ep, cspace_data, 0);
}

int
vl_tcb_set_ipc_buffer(vl_cptr_t tcb, vl_word_t buffer, vl_cptr_t frame)
{
    /* The frame is not used (nor looked up) when the buffer is removed. */
    vl_cptr_t caps[] = {frame};
    return INVOKE(tcb, VL_TCB_SET_IPC_BUFFER, caps, buffer != 0 ? 1 : 0, buffer);
}

int
vl_tcb_set_priority(vl_cptr_t tcb, vl_cptr_t authority, vl_word_t prio)
{
    vl_cptr_t caps[] = {authority};
    return INVOKE(tcb, VL_TCB_SET_PRIORITY, caps, 1, prio);
}

int
vl_tcb_set_mc_priority(vl_cptr_t tcb, vl_cptr_t authority, vl_word_t mcp)
{
    vl_cptr_t caps[] = {authority};
    return INVOKE(tcb, VL_TCB_SET_MC_PRIORITY, caps, 1, mcp);
}

int
vl_tcb_read_registers(vl_cptr_t tcb, int suspend, vl_word_t count, vl_word_t *regs)
{
    vl_word_t args[] = {(vl_word_t)(suspend != 0), count};
    return vl_invoke(tcb, VL_TCB_READ_REGISTERS, args, 2, NULL, 0, regs, count);
}

void
vl_thread_regs(vl_word_t *regs, void (*entry)(void *), void *arg, vl_word_t sp, vl_word_t tls)
{
    for (vl_word_t i = 0; i < VL_NUM_REGISTERS; i++) {
        regs[i] = 0;
    }
    vl_word_t gp;
    __asm__ volatile("mv %0, gp" : "=r"(gp));
    regs[VL_REG_PC] = (vl_word_t)(uintptr_t)entry;
    regs[VL_REG_SP] = sp & ~(vl_word_t)15;
    regs[VL_REG_GP] = gp;
    regs[VL_REG_TP] = tls;
    regs[VL_REG_A0] = (vl_word_t)(uintptr_t)arg;
}

int
vl_tcb_write_registers(vl_cptr_t tcb, int resume, vl_word_t count, const vl_word_t *regs)
{
    vl_word_t args[2 + VL_NUM_REGISTERS] = {(vl_word_t)(resume != 0), count};
    for (vl_word_t i = 0; i < count && i < VL_NUM_REGISTERS; i++) {
        args[2 + i] = regs[i];
    }
    vl_word_t n = 2 + (count < VL_NUM_REGISTERS ? count : VL_NUM_REGISTERS);
    return vl_invoke(tcb, VL_TCB_WRITE_REGISTERS, args, n, NULL, 0, NULL, 0);
}

int
vl_tcb_resume(vl_cptr_t tcb)
{
    return vl_invoke(tcb, VL_TCB_RESUME, NULL, 0, NULL, 0, NULL, 0);
}

int
vl_tcb_suspend(vl_cptr_t tcb)
{
    return vl_invoke(tcb, VL_TCB_SUSPEND, NULL, 0, NULL, 0, NULL, 0);
}

int
vl_tcb_bind_notification(vl_cptr_t tcb, vl_cptr_t ntfn)
{
    vl_cptr_t caps[] = {ntfn};
    return vl_invoke(tcb, VL_TCB_BIND_NOTIFICATION, NULL, 0, caps, 1, NULL, 0);
}

int
vl_tcb_unbind_notification(vl_cptr_t tcb)
{
    return vl_invoke(tcb, VL_TCB_UNBIND_NOTIFICATION, NULL, 0, NULL, 0, NULL, 0);
}

int
vl_irq_control_get(vl_cptr_t control, vl_word_t irq, vl_cptr_t root, vl_word_t index,
                   vl_word_t depth)
{
    vl_cptr_t caps[] = {root};
    return INVOKE(control, VL_IRQ_ISSUE_HANDLER, caps, 1, irq, index, depth);
}

int
vl_console_take(vl_cptr_t control, vl_cptr_t root, vl_word_t index, vl_word_t depth)
{
    vl_cptr_t caps[] = {root};
    return INVOKE(control, VL_CONSOLE_TAKE, caps, 1, index, depth);
}

int
vl_console_set_log_notification(vl_cptr_t frame, vl_cptr_t ntfn)
{
    vl_cptr_t caps[] = {ntfn};
    return vl_invoke(frame, VL_CONSOLE_SET_LOG_NOTIFICATION, NULL, 0, caps, 1, NULL, 0);
}

int
vl_console_read_log(vl_cptr_t control, char *buf, vl_word_t max, vl_word_t *n)
{
    vl_word_t r[VL_MSG_MAX_LENGTH];
    vl_word_t want = max;
    int err = vl_invoke(control, VL_CONSOLE_READ_LOG, &want, 1, NULL, 0, r, VL_MSG_MAX_LENGTH);
    vl_word_t got = err == 0 ? r[0] : 0;
    vl_word_t i;
    for (i = 0; i < got && i < max && i < (VL_MSG_MAX_LENGTH - 1) * sizeof(vl_word_t); i++) {
        buf[i] = (char)(r[1 + i / sizeof(vl_word_t)] >> (8 * (i % sizeof(vl_word_t))));
    }
    *n = i;
    return err;
}

int
vl_shutdown_power_off(vl_cptr_t shutdown, vl_word_t status)
{
    return INVOKE(shutdown, VL_SHUTDOWN_POWER_OFF, NULL, 0, status);
}

int
vl_shutdown_reset(vl_cptr_t shutdown)
{
    return vl_invoke(shutdown, VL_SHUTDOWN_RESET, NULL, 0, NULL, 0, NULL, 0);
}

int
vl_sched_control_configure(vl_cptr_t control, vl_cptr_t sc, vl_word_t budget, vl_word_t period)
{
    vl_cptr_t caps[] = {sc};
    return INVOKE(control, VL_SCHED_CONTROL_CONFIGURE, caps, 1, budget, period);
}

int
vl_sched_context_bind(vl_cptr_t sc, vl_cptr_t tcb)
{
    vl_cptr_t caps[] = {tcb};
    return vl_invoke(sc, VL_SCHED_CONTEXT_BIND, NULL, 0, caps, 1, NULL, 0);
}

int
vl_sched_context_unbind(vl_cptr_t sc)
{
    return vl_invoke(sc, VL_SCHED_CONTEXT_UNBIND, NULL, 0, NULL, 0, NULL, 0);
}

int
vl_sched_context_consumed(vl_cptr_t sc, vl_word_t *ticks)
{
    vl_word_t r[1] = {0};
    int err = vl_invoke(sc, VL_SCHED_CONTEXT_CONSUMED, NULL, 0, NULL, 0, r, 1);
    *ticks = err == 0 ? r[0] : 0;
    return err;
}

int
vl_sched_context_get_budget(vl_cptr_t sc, vl_word_t *budget, vl_word_t *period)
{
    vl_word_t r[2] = {0, 0};
    int err = vl_invoke(sc, VL_SCHED_CONTEXT_GET_BUDGET, NULL, 0, NULL, 0, r, 2);
    *budget = err == 0 ? r[0] : 0;
    *period = err == 0 ? r[1] : 0;
    return err;
}

int
vl_irq_handler_ack(vl_cptr_t handler)
{
    return vl_invoke(handler, VL_IRQ_ACK, NULL, 0, NULL, 0, NULL, 0);
}

int
vl_irq_handler_set_notification(vl_cptr_t handler, vl_cptr_t ntfn)
{
    vl_cptr_t caps[] = {ntfn};
    return vl_invoke(handler, VL_IRQ_SET_NOTIFICATION, NULL, 0, caps, 1, NULL, 0);
}

int
vl_irq_handler_clear(vl_cptr_t handler)
{
    return vl_invoke(handler, VL_IRQ_CLEAR, NULL, 0, NULL, 0, NULL, 0);
}

int
vl_asid_control_make_pool(vl_cptr_t control, vl_cptr_t ut, vl_cptr_t root, vl_word_t index,
                          vl_word_t depth)
{
    vl_cptr_t caps[] = {ut, root};
    return INVOKE(control, VL_ASID_CONTROL_MAKE_POOL, caps, 2, index, depth);
}

int
vl_asid_pool_assign(vl_cptr_t pool, vl_cptr_t vspace)
{
    vl_cptr_t caps[] = {vspace};
    return vl_invoke(pool, VL_ASID_POOL_ASSIGN, NULL, 0, caps, 1, NULL, 0);
}

int
vl_frame_get_address(vl_cptr_t frame, vl_word_t *paddr, vl_word_t *vaddr)
{
    vl_word_t r[2] = {0, 0};
    int err = vl_invoke(frame, VL_FRAME_GET_ADDRESS, NULL, 0, NULL, 0, r, 2);
    *paddr = r[0];
    *vaddr = r[1];
    return err;
}

int
vl_frame_map(vl_cptr_t frame, vl_cptr_t vspace, vl_word_t vaddr, vl_word_t rights, vl_word_t attr)
{
    vl_cptr_t caps[] = {vspace};
    return INVOKE(frame, VL_FRAME_MAP, caps, 1, vaddr, rights, attr);
}

int
vl_frame_unmap(vl_cptr_t frame)
{
    return vl_invoke(frame, VL_FRAME_UNMAP, NULL, 0, NULL, 0, NULL, 0);
}

int
vl_page_table_map(vl_cptr_t pt, vl_cptr_t vspace, vl_word_t vaddr)
{
    vl_cptr_t caps[] = {vspace};
    return INVOKE(pt, VL_PAGE_TABLE_MAP, caps, 1, vaddr);
}

int
vl_page_table_unmap(vl_cptr_t pt)
{
    return vl_invoke(pt, VL_PAGE_TABLE_UNMAP, NULL, 0, NULL, 0, NULL, 0);
}

vl_cptr_t vl_debug_cap = VL_CAP_DEBUG_SLOT;

/* Debug call sysno through vl_debug_cap: badge = 0 or the kernel's error, info = result. */
static struct vl_msg
debug_call(vl_word_t sysno, vl_word_t arg)
{
    return vl_syscall(sysno, vl_debug_cap, arg, no_mrs);
}

void
vl_debug_putchar(char c)
{
    debug_call(VL_SYS_DEBUG_PUT_CHAR, (vl_word_t)(unsigned char)c);
}

void
vl_debug_puts(const char *s)
{
    while (*s != '\0') {
        vl_debug_putchar(*s++);
    }
}

void
vl_debug_halt(vl_word_t status)
{
    debug_call(VL_SYS_DEBUG_HALT, status);
    /* Refused: no halt right. Stop this thread with a breakpoint exception instead, which
     * its fault handler sees. */
    __builtin_trap();
}

void
vl_debug_name(vl_cptr_t tcb, const char *name)
{
    if (vl_ipc_buffer == NULL) {
        return;
    }
    char *dst = (char *)vl_ipc_buffer->msg;
    vl_word_t i;
    for (i = 0; i < 31 && name[i] != '\0'; i++) {
        dst[i] = name[i];
    }
    dst[i] = '\0';
    debug_call(VL_SYS_DEBUG_NAME, tcb);
}

int
vl_debug_check(void)
{
    struct vl_msg m = debug_call(VL_SYS_DEBUG_CHECK, 0);
    return m.badge != 0 ? -(int)m.badge : (int)m.info;
}

vl_word_t
vl_debug_cap_type(vl_cptr_t cap)
{
    struct vl_msg m = debug_call(VL_SYS_DEBUG_CAP_TYPE, cap);
    return m.badge != 0 ? VL_CAP_NULL : m.info;
}

const char *
vl_error_name(int err)
{
    static const char *const names[] = {
        "no error",     "invalid argument", "invalid capability", "illegal operation",
        "range error",  "alignment error",  "failed lookup",      "truncated message",
        "delete first", "revoke first",     "not enough memory",  "reply aborted",
    };
    _Static_assert(sizeof(names) / sizeof(names[0]) == VL_NUM_ERRORS, "one name per error");
    if (err < 0 || err >= VL_NUM_ERRORS) {
        return "unknown error";
    }
    return names[err];
}

/* picolibc's stdio writes through this stream: the debug console. */
static int
vl_stdout_putc(char c, FILE *f)
{
    (void)f;
    vl_debug_putchar(c);
    return (unsigned char)c;
}

static FILE vl_stdout = FDEV_SETUP_STREAM(vl_stdout_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdout = &vl_stdout;
FILE *const stderr = &vl_stdout;

void _exit(int status);
void
_exit(int status)
{
    vl_debug_halt((vl_word_t)status);
}
