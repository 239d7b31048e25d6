/*
 * Scheduling contexts and the scheduling-control capability.
 *
 * A scheduling context holds a budget and a period as the refills of the sporadic-server
 * rule (kernel/refill.h) and is bound to at most one thread, and a thread to at most one
 * context. The kernel makes one SchedControl cap, in the first task's slot
 * VL_CAP_SCHED_CONTROL_SLOT: it names no object, so copies are all alike, and only it can
 * set a budget, so a thread holding just its own context's cap cannot raise its budget.
 */
#include "object/schedcontext.h"

#include <vallum/invocation.h>

#include "api/failures.h"
#include "api/invocation.h"
#include "kernel/thread.h"
#include "plat/plat.h"

/* Sets the bound thread's sc_full_share from the context's budget and period. */
static void
sc_update_share(struct sched_context *sc)
{
    if (sc->tcb != NULL) {
        sc->tcb->sc_full_share =
            sc->refills.budget != 0 && sc->refills.budget == sc->refills.period;
    }
}

/* Binds sc and t; t may now run (if sc has budget), so the scheduler looks again. */
static void
sc_bind(struct sched_context *sc, struct tcb *t)
{
    sc->tcb = t;
    t->sc = sc;
    sc_update_share(sc);
    sched_sc_changed(t);
}

void
sc_unbind(struct sched_context *sc)
{
    struct tcb *t = sc->tcb;
    if (t != NULL) {
        /* Charge the time it ran so far to this context, then take the thread off the
         * queues: without a context it does not run. */
        sched_charge_if_current(t);
        t->sc = NULL;
        t->sc_full_share = false;
        sc->tcb = NULL;
        sched_sc_changed(t);
    }
}

void
sc_unbind_tcb(struct tcb *t)
{
    if (t->sc != NULL) {
        sc_unbind(t->sc);
    }
}

/* Sets budget and period, the whole budget usable from now on, nothing consumed. */
static void
invoke_sched_control_configure(struct sched_context *sc, word_t budget, word_t period)
{
    /* The time the bound thread ran on the old budget is charged to it first. */
    sched_charge_if_current(sc->tcb);
    refill_reset(&sc->refills, budget, period, plat_time_now());
    sc->consumed = 0;
    sc_update_share(sc);
    sched_sc_changed(sc->tcb);
}

exception_t
decode_sched_control_invocation(struct invocation *inv)
{
    if (inv->label != VL_SCHED_CONTROL_CONFIGURE) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    if (inv->length < 2 || inv->n_extra < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    cap_t sc_cap = inv->extra[0]->cap;
    if (cap_type(sc_cap) != CAP_SCHED_CONTEXT) {
        return syscall_error_invalid_cap(1);
    }
    word_t budget = inv_arg(inv, 0);
    word_t period = inv_arg(inv, 1);
    /* The period first: the budget's range is given in terms of it. */
    if (period == 0 || period > VL_SC_MAX_PERIOD) {
        return syscall_error_range(1, VL_SC_MAX_PERIOD);
    }
    if (budget < VL_SC_MIN_BUDGET || budget > period) {
        return syscall_error_range(VL_SC_MIN_BUDGET, period);
    }
    invoke_sched_control_configure(cap_ptr(sc_cap), budget, period);
    return EXCEPTION_NONE;
}

static exception_t
decode_sched_context_bind(struct invocation *inv, struct sched_context *sc)
{
    if (inv->n_extra < 1) {
        return syscall_error(VL_TRUNCATED_MESSAGE);
    }
    cap_t tcap = inv->extra[0]->cap;
    if (cap_type(tcap) != CAP_TCB) {
        return syscall_error_invalid_cap(1);
    }
    struct tcb *t = cap_tcb_ptr(tcap);
    if (sc->tcb != NULL || t->sc != NULL) {
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
    sc_bind(sc, t);
    return EXCEPTION_NONE;
}

exception_t
decode_sched_context_invocation(struct invocation *inv)
{
    struct sched_context *sc = cap_ptr(inv->cap);
    switch (inv->label) {
    case VL_SCHED_CONTEXT_BIND:
        return decode_sched_context_bind(inv, sc);
    case VL_SCHED_CONTEXT_UNBIND:
        if (sc->tcb == NULL) {
            return syscall_error(VL_ILLEGAL_OPERATION);
        }
        sc_unbind(sc);
        return EXCEPTION_NONE;
    case VL_SCHED_CONTEXT_CONSUMED:
        inv_set_result(inv, 0, sc->consumed);
        inv->reply_length = 1;
        sc->consumed = 0;
        return EXCEPTION_NONE;
    case VL_SCHED_CONTEXT_GET_BUDGET:
        inv_set_result(inv, 0, sc->refills.budget);
        inv_set_result(inv, 1, sc->refills.period);
        inv->reply_length = 2;
        return EXCEPTION_NONE;
    default:
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
}

const char *
sc_check(const struct sched_context *sc)
{
    if (sc->tcb != NULL && sc->tcb->sc != sc) {
        return "scheduling context binding not mutual";
    }
    if (sc->refills.budget == 0) {
        return sc->refills.count == 0 && sc->consumed == 0
                   ? NULL
                   : "unconfigured scheduling context with refills or consumed time";
    }
    return refill_check(&sc->refills);
}
