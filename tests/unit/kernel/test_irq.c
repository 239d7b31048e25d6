/*
 * IRQControl and IRQHandler invocations against the fake controller, and irq_handle.
 */
#include "ktest.h"

#include "config.h"

#include <string.h>

struct it {
    struct kt_caller c;
    struct cte *ctl; /* the IRQControl cap */
    struct cte *rs;  /* root CNode (radix 4) cap */
    struct cte *s;   /* its slots */
};

static struct it
it_setup(void)
{
    struct it x;
    x.c = kt_caller();
    x.ctl = kt_insert(cap_irq_control());
    cap_t r = kt_cnode(4, 0, 0);
    x.rs = kt_insert(r);
    x.s = cap_ptr(r);
    return x;
}

static exception_t
issue(struct it *x, const word_t *args, word_t n, word_t n_extra)
{
    struct cte *extra[1] = {x->rs};
    struct invocation inv = kt_inv(&x->c, x->ctl, VL_IRQ_ISSUE_HANDLER, args, n, n_extra, extra);
    return decode_irq_control_invocation(&inv);
}

static exception_t
handler(struct it *x, struct cte *h, word_t label, struct cte *e0)
{
    struct cte *extra[1] = {e0};
    struct invocation inv = kt_inv(&x->c, h, label, NULL, 0, e0 != NULL, extra);
    return decode_irq_handler_invocation(&inv);
}

KTEST(irq_issue_handler)
{
    struct it x = it_setup();
    kt_insert_at(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL), &x.s[1]);
    host_irq_enabled[3] = true;
    kt_snap(x.s, 16 * sizeof(struct cte));
    kt_snap(x.ctl, sizeof(struct cte));
    kt_snap(host_irq_enabled, sizeof(host_irq_enabled));
    struct cte *extra[1] = {x.rs};
    struct invocation inv = kt_inv(&x.c, x.ctl, VL_IRQ_ACK, ARGS(3, 2, 4), 1, extra);
    CHECK_ERR(decode_irq_control_invocation(&inv), VL_ILLEGAL_OPERATION);
    CHECK_ERR(issue(&x, ARGS(3, 2), 1), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(issue(&x, ARGS(3, 2, 4), 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(issue(&x, ARGS(0, 2, 4), 1), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, 1);
    CHECK_EQ(current_syscall_error.range_max, HOST_NUM_IRQS - 1);
    CHECK_ERR(issue(&x, ARGS(HOST_NUM_IRQS, 2, 4), 1), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_max, HOST_NUM_IRQS - 1);
    CHECK_ERR(issue(&x, ARGS(3, 1, 4), 1), VL_DELETE_FIRST);
    CHECK_ERR(issue(&x, ARGS(3, 2, 3), 1), VL_FAILED_LOOKUP);
    CHECK(!current_syscall_error.lookup_was_source);
    CHECK_ERR(issue(&x, ARGS(3, 2, 0), 1), VL_RANGE_ERROR);
    CHECK_EQ(issue(&x, ARGS(3, 2, 4), 1), EXCEPTION_NONE);
    INV();
    CHECK_EQ(cap_type(x.s[2].cap), CAP_IRQ_HANDLER);
    CHECK_EQ(x.s[2].cap.w1, 3);
    CHECK(cte_is_mdb_parent_of(x.ctl, &x.s[2]));
    CHECK(!host_irq_enabled[3]);
    /* Issued twice: RevokeFirst, even into an empty slot. */
    kt_snap_reset();
    kt_snap(x.s, 16 * sizeof(struct cte));
    CHECK_ERR(issue(&x, ARGS(3, 5, 4), 1), VL_REVOKE_FIRST);
    /* Deleting the handler cap makes the irq issuable again. */
    CHECK_EQ(cte_delete(&x.s[2]), EXCEPTION_NONE);
    CHECK_EQ(issue(&x, ARGS(3, 5, 4), 1), EXCEPTION_NONE);
    INV();
}

KTEST(irq_no_controller)
{
    struct it x = it_setup();
    host_irq_count = 1;
    kt_snap(x.s, 16 * sizeof(struct cte));
    CHECK_ERR(issue(&x, ARGS(1, 2, 4), 1), VL_ILLEGAL_OPERATION);
    host_irq_count = 0;
    CHECK_ERR(issue(&x, ARGS(1, 2, 4), 1), VL_ILLEGAL_OPERATION);
    /* Two sources: only irq 1 exists. */
    host_irq_count = 2;
    CHECK_ERR(issue(&x, ARGS(2, 2, 4), 1), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_max, 1);
    CHECK_EQ(issue(&x, ARGS(1, 2, 4), 1), EXCEPTION_NONE);
    INV();
}

KTEST(irq_handler_set_notification_signal_ack_clear)
{
    struct it x = it_setup();
    CHECK_EQ(issue(&x, ARGS(4, 2, 4), 1), EXCEPTION_NONE);
    struct cte *h = &x.s[2];
    struct notification *n = kt_alloc(VL_NOTIFICATION_BITS);
    kt_insert_at(cap_notification(n, 0x40, VL_RIGHTS_ALL), &x.s[3]);
    kt_insert_at(cap_notification(n, 0, VL_RIGHT_READ), &x.s[4]);
    kt_insert_at(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL), &x.s[5]);
    kt_snap(x.s, 16 * sizeof(struct cte));
    kt_snap(host_irq_enabled, sizeof(host_irq_enabled));
    kt_snap(n, sizeof(*n));
    CHECK_ERR(handler(&x, h, VL_IRQ_SET_NOTIFICATION, NULL), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(handler(&x, h, VL_IRQ_SET_NOTIFICATION, &x.s[5]), VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(handler(&x, h, VL_IRQ_SET_NOTIFICATION, &x.s[4]), VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(handler(&x, h, VL_IRQ_SET_NOTIFICATION, &x.s[6]), VL_INVALID_CAPABILITY);
    CHECK_ERR(handler(&x, h, VL_IRQ_ISSUE_HANDLER, NULL), VL_ILLEGAL_OPERATION);
    kt_snap_reset();
    CHECK_EQ(handler(&x, h, VL_IRQ_SET_NOTIFICATION, &x.s[3]), EXCEPTION_NONE);
    INV();
    CHECK(host_irq_enabled[4]);
    /* The interrupt signals the notification with the cap's badge. */
    irq_handle(4);
    CHECK_EQ(n->state, NTFN_ACTIVE);
    CHECK_EQ(n->pending, 0x40);
    CHECK_EQ(irq_spurious_count, 0);
    word_t acks = host_irq_acks;
    CHECK_EQ(handler(&x, h, VL_IRQ_ACK, NULL), EXCEPTION_NONE);
    CHECK_EQ(host_irq_acks, acks + 1);
    /* Setting it again replaces the copy. */
    CHECK_EQ(handler(&x, h, VL_IRQ_SET_NOTIFICATION, &x.s[3]), EXCEPTION_NONE);
    INV();
    /* Clear: masked, and the next interrupt is spurious. */
    CHECK_EQ(handler(&x, h, VL_IRQ_CLEAR, NULL), EXCEPTION_NONE);
    CHECK(!host_irq_enabled[4]);
    INV();
    irq_handle(4);
    CHECK_EQ(irq_spurious_count, 1);
    /* Deleting the notification's last caps drops the copy (it is in the CDT). */
    CHECK_EQ(handler(&x, h, VL_IRQ_SET_NOTIFICATION, &x.s[3]), EXCEPTION_NONE);
    CHECK_EQ(cte_delete(h), EXCEPTION_NONE);
    CHECK(!host_irq_enabled[4]);
    INV();
}

KTEST(irq_handle_unowned_is_spurious)
{
    (void)it_setup();
    host_irq_enabled[7] = true;
    word_t acks = host_irq_acks;
    irq_handle(7);
    CHECK_EQ(irq_spurious_count, 1);
    CHECK(!host_irq_enabled[7]);
    CHECK_EQ(host_irq_acks, acks + 1);
    /* Out-of-range and irq 0 are counted and not touched. */
    irq_handle(CONFIG_MAX_IRQS + 5);
    irq_handle(0);
    CHECK_EQ(irq_spurious_count, 3);
    CHECK_EQ(host_irq_acks, acks + 1);
}

static exception_t
console_call(struct it *x, word_t label, const word_t *args, word_t n, word_t n_extra)
{
    struct cte *extra[1] = {x->rs};
    struct invocation inv = kt_inv(&x->c, x->ctl, label, args, n, n_extra, extra);
    inv.rbuf = x->c.buf;
    return decode_irq_control_invocation(&inv);
}

KTEST(console_take_and_give_back)
{
    struct it x = it_setup();
    kt_insert_at(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL), &x.s[1]);
    kt_snap(x.s, 16 * sizeof(struct cte));
    kt_snap(&host_console_handed_over, sizeof(host_console_handed_over));
    CHECK_ERR(console_call(&x, VL_CONSOLE_TAKE, ARGS(2), 1), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(console_call(&x, VL_CONSOLE_TAKE, ARGS(2, 4), 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(console_call(&x, VL_CONSOLE_TAKE, ARGS(1, 4), 1), VL_DELETE_FIRST);
    CHECK_ERR(console_call(&x, VL_CONSOLE_TAKE, ARGS(2, 5), 1), VL_FAILED_LOOKUP);
    /* The UART's page, as a device frame the driver can map read-write. */
    CHECK_EQ(console_call(&x, VL_CONSOLE_TAKE, ARGS(2, 4), 1), EXCEPTION_NONE);
    CHECK(host_console_handed_over);
    cap_t f = x.s[2].cap;
    CHECK_EQ(cap_type(f), CAP_FRAME);
    CHECK(cap_frame_is_device(f));
    CHECK_EQ(cap_frame_size(f), FRAME_4K);
    CHECK_EQ(vspace_pptr_to_paddr(cap_ptr(f)), host_uart_page);
    CHECK_EQ(cap_rights(f), VL_RIGHT_READ | VL_RIGHT_WRITE);
    INV();
    /* Only one driver at a time. */
    kt_snap_reset();
    kt_snap(x.s, 16 * sizeof(struct cte));
    CHECK_ERR(console_call(&x, VL_CONSOLE_TAKE, ARGS(3, 4), 1), VL_REVOKE_FIRST);
    /* The kernel log, packed eight bytes to a word. */
    memcpy(host_klog, "vallum: hello, driver", 21);
    host_klog_len = 21;
    CHECK_ERR(console_call(&x, VL_CONSOLE_READ_LOG, NULL, 0, 0), VL_TRUNCATED_MESSAGE);
    CHECK_EQ(console_call(&x, VL_CONSOLE_READ_LOG, ARGS(3), 0), EXCEPTION_NONE);
    CHECK_EQ(x.c.thread->regs[REG_MR0], 3);
    CHECK_EQ(x.c.thread->regs[REG_MR0 + 1], 0x6c6176ul); /* "val" */
    memcpy(host_klog, "vallum: hello, driver", 21);
    host_klog_len = 21;
    CHECK_EQ(console_call(&x, VL_CONSOLE_READ_LOG, ARGS(1000), 0), EXCEPTION_NONE);
    CHECK_EQ(x.c.thread->regs[REG_MR0], 21);
    CHECK_EQ(x.c.thread->regs[REG_MR0 + 1], 0x203a6d756c6c6176ul); /* "vallum: " */
    CHECK_EQ(x.c.thread->regs[REG_MR0 + 3], 0x7265766972ul);       /* "river" */
    CHECK_EQ(host_klog_len, 0);
    /* A copy of the frame keeps the console with the driver; the last one gives it back. */
    cte_insert(x.s[2].cap, &x.s[2], &x.s[3]);
    CHECK_EQ(cte_delete(&x.s[2]), EXCEPTION_NONE);
    CHECK(host_console_handed_over);
    CHECK_EQ(cte_delete(&x.s[3]), EXCEPTION_NONE);
    CHECK(!host_console_handed_over);
    INV();
}

/* An invocation on the frame cap in slot f, through the kernel's dispatcher. */
static exception_t
frame_call(struct it *x, struct cte *f, word_t label, const word_t *args, word_t n, struct cte *e0)
{
    struct cte *extra[1] = {e0};
    struct invocation inv = kt_inv(&x->c, f, label, args, n, e0 != NULL, extra);
    inv.rbuf = x->c.buf;
    return object_decode_invocation(&inv);
}

/*
 * The console frame cap drains the kernel log and registers the notification the kernel
 * signals when output goes into it, so the driver needs no IRQControl: every error, in
 * order, changes nothing; the signal comes at kernel exit, with the cap's badge; the last
 * console frame cap takes the notification with it.
 */
KTEST(console_frame_log_and_notification)
{
    struct it x = it_setup();
    CHECK_EQ(console_call(&x, VL_CONSOLE_TAKE, ARGS(2, 4), 1), EXCEPTION_NONE);
    struct cte *f = &x.s[2];
    struct notification *n = kt_alloc(VL_NOTIFICATION_BITS);
    kt_insert_at(cap_notification(n, 0x8, VL_RIGHTS_ALL), &x.s[3]);
    kt_insert_at(cap_notification(n, 0x8, VL_RIGHT_READ), &x.s[4]);
    kt_insert_at(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL), &x.s[5]);
    /* A read-only copy of the console frame, and an ordinary frame. */
    cte_insert(cap_set_rights(f->cap, VL_RIGHT_READ), f, &x.s[6]);
    kt_insert_at(cap_frame(kt_alloc(12), FRAME_4K, false, VL_RIGHTS_ALL), &x.s[7]);
    memcpy(host_klog, "fault!", 6);
    host_klog_len = 6;
    host_klog_new = false;
    kt_snap(x.s, 16 * sizeof(struct cte));
    kt_snap(n, sizeof(*n));
    kt_snap(host_klog, sizeof(host_klog));
    kt_snap(&host_klog_len, sizeof(host_klog_len));
    CHECK_ERR(frame_call(&x, &x.s[7], VL_CONSOLE_READ_LOG, ARGS(8), NULL), VL_ILLEGAL_OPERATION);
    CHECK_ERR(frame_call(&x, &x.s[7], VL_CONSOLE_SET_LOG_NOTIFICATION, NULL, 0, &x.s[3]),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(frame_call(&x, &x.s[6], VL_CONSOLE_READ_LOG, ARGS(8), NULL), VL_ILLEGAL_OPERATION);
    CHECK_ERR(frame_call(&x, &x.s[6], VL_CONSOLE_SET_LOG_NOTIFICATION, NULL, 0, &x.s[3]),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(frame_call(&x, f, VL_CONSOLE_READ_LOG, NULL, 0, NULL), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(frame_call(&x, f, VL_CONSOLE_SET_LOG_NOTIFICATION, NULL, 0, NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(frame_call(&x, f, VL_CONSOLE_SET_LOG_NOTIFICATION, NULL, 0, &x.s[5]),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(frame_call(&x, f, VL_CONSOLE_SET_LOG_NOTIFICATION, NULL, 0, &x.s[4]),
              VL_INVALID_CAPABILITY);
    /* The new label is the frame's only: IRQControl does not take it. */
    CHECK_ERR(console_call(&x, VL_CONSOLE_SET_LOG_NOTIFICATION, NULL, 0, 1), VL_ILLEGAL_OPERATION);
    /* Other labels on the console frame are ordinary frame invocations. */
    CHECK_EQ(frame_call(&x, f, VL_FRAME_GET_ADDRESS, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK_EQ(x.c.thread->regs[REG_MR0], host_uart_page);
    kt_snap_reset();
    /* Registered while the log holds output: signalled at once. */
    CHECK_EQ(frame_call(&x, f, VL_CONSOLE_SET_LOG_NOTIFICATION, NULL, 0, &x.s[3]), EXCEPTION_NONE);
    INV();
    CHECK_EQ(n->state, NTFN_ACTIVE);
    CHECK_EQ(n->pending, 0x8);
    n->state = NTFN_IDLE, n->pending = 0;
    CHECK_EQ(frame_call(&x, f, VL_CONSOLE_READ_LOG, ARGS(100), NULL), EXCEPTION_NONE);
    CHECK_EQ(x.c.thread->regs[REG_MR0], 6);
    CHECK_EQ(x.c.thread->regs[REG_MR0 + 1], 0x21746c756166ul); /* "fault!" */
    CHECK_EQ(host_klog_len, 0);
    /* No new output: no signal; new output: a signal at kernel exit. */
    console_log_signal();
    CHECK_EQ(n->state, NTFN_IDLE);
    host_klog_new = true;
    console_log_signal();
    CHECK_EQ(n->state, NTFN_ACTIVE);
    CHECK_EQ(n->pending, 0x8);
    CHECK(!host_klog_new);
    n->state = NTFN_IDLE, n->pending = 0;
    /* Registering again replaces the kernel's copy (one child of the notification cap). */
    CHECK_EQ(frame_call(&x, f, VL_CONSOLE_SET_LOG_NOTIFICATION, NULL, 0, &x.s[3]), EXCEPTION_NONE);
    CHECK_EQ(n->state, NTFN_IDLE); /* the log is empty now */
    INV();
    /* Revoking the notification cap removes the kernel's copy: no more signals. */
    CHECK_EQ(cte_revoke(&x.s[3]), EXCEPTION_NONE);
    INV();
    host_klog_new = true;
    console_log_signal();
    CHECK_EQ(n->state, NTFN_IDLE);
    /* The last console frame cap takes the registration with it. */
    CHECK_EQ(frame_call(&x, f, VL_CONSOLE_SET_LOG_NOTIFICATION, NULL, 0, &x.s[3]), EXCEPTION_NONE);
    CHECK(cte_has_children(&x.s[3]));
    CHECK_EQ(cte_delete(&x.s[6]), EXCEPTION_NONE);
    CHECK(cte_has_children(&x.s[3])); /* a copy is left: still the driver's */
    CHECK_EQ(cte_delete(f), EXCEPTION_NONE);
    CHECK(!host_console_handed_over);
    CHECK(!cte_has_children(&x.s[3]));
    INV();
}
