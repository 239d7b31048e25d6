/*
 * IRQControl and IRQHandler objects.
 */
#include "object/irq.h"

#include <vallum/invocation.h>

#include "api/failures.h"
#include "api/invocation.h"
#include "api/syscall.h"
#include "arch/pagetable.h"
#include "config.h"
#include "kernel/cspace.h"
#include "kernel/delete.h"
#include "object/cap.h"
#include "object/notification.h"
#include "plat/console.h"
#include "plat/plat.h"

enum irq_state { IRQ_INACTIVE = 0, IRQ_HANDLER_ISSUED = 1 };

static uint8_t irq_state[CONFIG_MAX_IRQS];
/* Copies of the notification caps interrupts signal, in the CDT like any slot. */
static struct cte irq_ntfn_slots[CONFIG_MAX_IRQS];
word_t irq_spurious_count;
/* The copy of the notification cap Console_SetLogNotification registered: the kernel
 * signals it when output goes into the kernel log. In the CDT like irq_ntfn_slots. */
static struct cte console_ntfn_slot;

/*
 * IRQControl_TakeConsole: MR0 dest index, MR1 dest depth; extra cap 0 = dest root. Puts a
 * device frame capability to the UART's page into the destination; from then on the kernel
 * writes its output into the kernel log, until the last capability to that page is gone.
 */
static exception_t
decode_take_console(struct invocation *inv)
{
    if (inv->length < 2 || inv->n_extra < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    paddr_t page = console_uart_page();
    if (page == 0) {
        return syscall_error(VL_REVOKE_FIRST); /* no UART, or a driver has it */
    }
    struct cte *dest =
        cspace_lookup_empty_dest(inv->extra[0]->cap, inv_arg(inv, 0), inv_arg(inv, 1));
    if (dest == NULL) {
        return EXCEPTION_SYSCALL_ERROR;
    }
    cap_t frame =
        cap_frame(vspace_paddr_to_pptr(page), FRAME_4K, true, VL_RIGHT_READ | VL_RIGHT_WRITE);
    /* An original without a parent, at the head of the derivation list like the boot
     * caps: after the IRQControl cap it would come between it and the handler caps it
     * issued, and a revoke of IRQControl would stop at the frame and leave them. */
    cte_insert_original(frame, &cdt_root, dest);
    console_hand_over();
    return EXCEPTION_NONE;
}

/*
 * IRQControl_ReadKernelLog: MR0 = the most bytes wanted. Moves pending kernel output
 * (written while a driver has the console) into the caller's message: MR0 = number of
 * bytes, then the bytes packed eight to a word, little-endian, up to the message's
 * capacity.
 */
static exception_t
decode_read_kernel_log(struct invocation *inv)
{
    if (inv->length < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    word_t max = inv_arg(inv, 0);
    word_t words = (inv->rbuf != NULL ? VL_MSG_MAX_LENGTH : VL_MSG_REGS) - 1;
    word_t n = 0;
    word_t i;
    for (i = 0; i < words && n < max; i++) {
        uint8_t bytes[sizeof(word_t)];
        word_t got = console_log_read((char *)bytes, MIN(sizeof(bytes), max - n));
        if (got == 0) {
            break;
        }
        word_t w = 0;
        for (word_t b = 0; b < got; b++) {
            w |= (word_t)bytes[b] << (8 * b);
        }
        inv_set_result(inv, 1 + i, w);
        n += got;
        if (got < sizeof(bytes)) {
            i++;
            break;
        }
    }
    inv_set_result(inv, 0, n);
    inv->reply_length = 1 + i;
    return EXCEPTION_NONE;
}

/* IRQControl_Get: MR0 irq, MR1 dest index, MR2 dest depth; extra cap 0 = dest root. */
static exception_t
decode_issue_handler(struct invocation *inv)
{
    if (inv->length < 3 || inv->n_extra < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    word_t irq = inv_arg(inv, 0);
    word_t count = MIN(plat_irq_count(), CONFIG_MAX_IRQS);
    if (count < 2) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    word_t max = count - 1;
    if (irq < 1 || irq > max) {
        return syscall_error_range(1, max);
    }
    if (irq_state[irq] != IRQ_INACTIVE) {
        return syscall_error(VL_REVOKE_FIRST);
    }
    struct cte *dest =
        cspace_lookup_empty_dest(inv->extra[0]->cap, inv_arg(inv, 1), inv_arg(inv, 2));
    if (dest == NULL) {
        return EXCEPTION_SYSCALL_ERROR;
    }
    irq_state[irq] = IRQ_HANDLER_ISSUED;
    cte_insert(cap_irq_handler(irq), inv->slot, dest);
    plat_irq_set_enabled(irq, false);
    return EXCEPTION_NONE;
}

exception_t
decode_irq_control_invocation(struct invocation *inv)
{
    switch (inv->label) {
    case VL_IRQ_ISSUE_HANDLER:
        return decode_issue_handler(inv);
    case VL_CONSOLE_TAKE:
        return decode_take_console(inv);
    case VL_CONSOLE_READ_LOG:
        return decode_read_kernel_log(inv);
    default:
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
}

exception_t
decode_irq_handler_invocation(struct invocation *inv)
{
    word_t irq = inv->cap.w1;
    struct cte *slot = &irq_ntfn_slots[irq];
    switch (inv->label) {
    case VL_IRQ_ACK:
        plat_irq_ack(irq);
        return EXCEPTION_NONE;
    case VL_IRQ_SET_NOTIFICATION: {
        if (inv->n_extra < 1) {
            return syscall_error(VL_TRUNCATED_MESSAGE);
        }
        struct cte *src = inv->extra[0];
        cap_t ncap = src->cap;
        if (cap_type(ncap) != CAP_NOTIFICATION || !cap_has_right(ncap, VL_RIGHT_WRITE)) {
            return syscall_error_invalid_cap(1);
        }
        cte_delete_one(slot);
        cte_insert(ncap, src, slot);
        plat_irq_set_enabled(irq, true);
        return EXCEPTION_NONE;
    }
    case VL_IRQ_CLEAR:
        plat_irq_set_enabled(irq, false);
        cte_delete_one(slot);
        return EXCEPTION_NONE;
    default:
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
}

void
irq_handler_finalise(word_t irq)
{
    if (irq >= CONFIG_MAX_IRQS) {
        return;
    }
    plat_irq_set_enabled(irq, false);
    cte_delete_one(&irq_ntfn_slots[irq]);
    irq_state[irq] = IRQ_INACTIVE;
}

void
irq_handle(word_t irq)
{
    if (irq >= CONFIG_MAX_IRQS || irq_state[irq] != IRQ_HANDLER_ISSUED ||
        cap_type(irq_ntfn_slots[irq].cap) != CAP_NOTIFICATION) {
        /* Nobody owns it: count it, keep it masked, and let the controller move on. */
        irq_spurious_count++;
        if (irq < CONFIG_MAX_IRQS && irq != 0) {
            plat_irq_set_enabled(irq, false);
            plat_irq_ack(irq);
        }
        return;
    }
    cap_t ncap = irq_ntfn_slots[irq].cap;
    ntfn_send_signal(cap_ptr(ncap), ncap.w1);
    /* The source stays masked (claimed, not completed) until the driver's Ack. */
}

bool
irq_owns_slot(const struct cte *slot)
{
    return (slot >= &irq_ntfn_slots[0] && slot < &irq_ntfn_slots[CONFIG_MAX_IRQS]) ||
           slot == &console_ntfn_slot;
}

/*
 * Console_SetLogNotification: extra cap 0 = a notification with the Write right. The
 * kernel keeps a copy (a child of it) and signals it, with its badge, whenever output goes
 * into the kernel log; at once if the log holds output already.
 */
static exception_t
decode_set_log_notification(struct invocation *inv)
{
    if (inv->n_extra < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    struct cte *src = inv->extra[0];
    if (cap_type(src->cap) != CAP_NOTIFICATION || !cap_has_right(src->cap, VL_RIGHT_WRITE)) {
        return syscall_error_invalid_cap(1);
    }
    cte_delete_one(&console_ntfn_slot);
    cte_insert(src->cap, src, &console_ntfn_slot);
    if (console_log_pending() != 0) {
        ntfn_send_signal(cap_ptr(src->cap), src->cap.w1);
    }
    return EXCEPTION_NONE;
}

exception_t
decode_console_frame_invocation(struct invocation *inv)
{
    cap_t f = inv->cap;
    /* Only TakeConsole makes caps to the UART's page (no device untyped covers it). */
    if (cap_type(f) != CAP_FRAME || !cap_frame_is_device(f) || cap_frame_size(f) != FRAME_4K ||
        !console_is_uart_page(vspace_pptr_to_paddr(cap_ptr(f)))) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    /* Draining the log or redirecting its signal is the driver's business: a read-only
     * copy of the frame (given to a monitor, say) may do neither. */
    if (!cap_has_right(f, VL_RIGHT_WRITE)) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    switch (inv->label) {
    case VL_CONSOLE_READ_LOG:
        return decode_read_kernel_log(inv);
    case VL_CONSOLE_SET_LOG_NOTIFICATION:
        return decode_set_log_notification(inv);
    default:
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
}

void
console_log_signal(void)
{
    if (!console_log_take_new()) {
        return;
    }
    cap_t ncap = console_ntfn_slot.cap;
    if (cap_type(ncap) == CAP_NOTIFICATION) {
        ntfn_send_signal(cap_ptr(ncap), ncap.w1);
    }
}

void
console_log_release(void)
{
    cte_delete_one(&console_ntfn_slot);
}
