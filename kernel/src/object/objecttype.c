/*
 * Dispatch on object and capability types.
 */
#include "object/objecttype.h"

#include <vallum/invocation.h>

#include "api/failures.h"
#include "api/invocation.h"
#include "arch/machine.h"
#include "arch/pagetable.h"
#include "kernel/thread.h"
#include "object/cnode.h"
#include "object/endpoint.h"
#include "object/irq.h"
#include "object/notification.h"
#include "object/schedcontext.h"
#include "object/shutdown.h"
#include "object/tcb.h"
#include "object/untyped.h"
#include "plat/console.h"

word_t
object_size_bits(word_t type, word_t user_size)
{
    switch (type) {
    case VL_OBJ_UNTYPED:
        return user_size;
    case VL_OBJ_TCB:
        return VL_TCB_BITS;
    case VL_OBJ_ENDPOINT:
        return VL_ENDPOINT_BITS;
    case VL_OBJ_NOTIFICATION:
        return VL_NOTIFICATION_BITS;
    case VL_OBJ_CNODE:
        return user_size + VL_SLOT_BITS;
    case VL_OBJ_FRAME_4K:
        return VL_FRAME_4K_BITS;
    case VL_OBJ_FRAME_2M:
        return VL_FRAME_2M_BITS;
    case VL_OBJ_FRAME_1G:
        return VL_FRAME_1G_BITS;
    case VL_OBJ_PAGE_TABLE:
        return VL_PAGE_TABLE_BITS;
    case VL_OBJ_VSPACE:
        return VL_VSPACE_BITS;
    case VL_OBJ_SCHED_CONTEXT:
        return VL_SCHED_CONTEXT_BITS;
    default:
        panic("object_size_bits: unknown type");
    }
}

cap_t
object_create(word_t type, void *ptr, word_t user_size, bool is_device)
{
    switch (type) {
    case VL_OBJ_UNTYPED:
        return cap_untyped(ptr, user_size, is_device, 0);
    case VL_OBJ_TCB: {
        struct tcb *t = tcb_from_obj(ptr);
        thread_init(t);
        return cap_tcb(ptr);
    }
    case VL_OBJ_ENDPOINT:
        return cap_endpoint(ptr, 0, VL_RIGHTS_ALL);
    case VL_OBJ_NOTIFICATION:
        return cap_notification(ptr, 0, VL_RIGHTS_ALL);
    case VL_OBJ_CNODE:
        return cap_cnode(ptr, user_size, 0, 0);
    case VL_OBJ_FRAME_4K:
        return cap_frame(ptr, FRAME_4K, is_device, VL_RIGHTS_ALL);
    case VL_OBJ_FRAME_2M:
        return cap_frame(ptr, FRAME_2M, is_device, VL_RIGHTS_ALL);
    case VL_OBJ_FRAME_1G:
        return cap_frame(ptr, FRAME_1G, is_device, VL_RIGHTS_ALL);
    case VL_OBJ_PAGE_TABLE:
        return cap_page_table(ptr);
    case VL_OBJ_VSPACE: {
        /* No ASID until ASIDPool_Assign gives it one. */
        arch_vspace_init(ptr);
        return cap_vspace(ptr, 0);
    }
    case VL_OBJ_SCHED_CONTEXT:
        /* Zeroed: unconfigured (budget 0, no refills) and unbound. */
        return cap_sched_context(ptr);
    default:
        panic("object_create: unknown type");
    }
}

bool
cap_is_container(cap_t cap)
{
    return cap_type(cap) == CAP_CNODE || cap_type(cap) == CAP_TCB;
}

/* Stops a thread whose TCB is being destroyed and cuts its links to other objects. */
static void
tcb_finalise(struct tcb *t)
{
    thread_suspend(t);
    ntfn_unbind_tcb(t);
    sc_unbind_tcb(t);
    t->fault.type = FAULT_NONE;
    if (ks_sched_action == t) {
        ks_sched_action = SCHED_CHOOSE_NEW;
    }
}

void
cap_finalise(cap_t cap, bool final)
{
    switch (cap_type(cap)) {
    case CAP_ENDPOINT:
        if (final) {
            ep_cancel_all(cap_ptr(cap));
        }
        return;
    case CAP_NOTIFICATION:
        if (final) {
            struct notification *n = cap_ptr(cap);
            ntfn_unbind(n);
            ntfn_cancel_all(n);
        }
        return;
    case CAP_TCB:
        if (final) {
            tcb_finalise(cap_tcb_ptr(cap));
        }
        return;
    case CAP_SCHED_CONTEXT:
        if (final) {
            sc_unbind(cap_ptr(cap));
        }
        return;
    case CAP_IRQ_HANDLER:
        if (final) {
            irq_handler_finalise(cap.w1);
        }
        return;
    case CAP_FRAME:
        arch_finalise_cap(cap, final);
        if (final && cap_frame_is_device(cap) &&
            console_is_uart_page(vspace_pptr_to_paddr(cap_ptr(cap)))) {
            /* The console driver's last capability to the UART is gone. */
            console_log_release();
            console_take_back();
        }
        return;
    case CAP_PAGE_TABLE:
    case CAP_VSPACE:
        arch_finalise_cap(cap, final);
        return;
    case CAP_ASID_POOL:
        if (final) {
            arch_asid_pool_finalise(cap);
        }
        return;
    default:
        return;
    }
}

exception_t
object_decode_invocation(struct invocation *inv)
{
    switch (cap_type(inv->cap)) {
    case CAP_UNTYPED:
        return decode_untyped_invocation(inv);
    case CAP_CNODE:
        return decode_cnode_invocation(inv);
    case CAP_TCB:
        return decode_tcb_invocation(inv);
    case CAP_IRQ_CONTROL:
        return decode_irq_control_invocation(inv);
    case CAP_IRQ_HANDLER:
        return decode_irq_handler_invocation(inv);
    case CAP_SHUTDOWN:
        return decode_shutdown_invocation(inv);
    case CAP_SCHED_CONTROL:
        return decode_sched_control_invocation(inv);
    case CAP_SCHED_CONTEXT:
        return decode_sched_context_invocation(inv);
    case CAP_FRAME:
        if (inv->label == VL_CONSOLE_READ_LOG || inv->label == VL_CONSOLE_SET_LOG_NOTIFICATION) {
            return decode_console_frame_invocation(inv);
        }
        return arch_decode_invocation(inv);
    case CAP_PAGE_TABLE:
    case CAP_VSPACE:
        return arch_decode_invocation(inv);
    case CAP_ASID_CONTROL:
    case CAP_ASID_POOL:
        return arch_decode_asid_invocation(inv);
    default:
        return syscall_error_invalid_cap(0);
    }
}
