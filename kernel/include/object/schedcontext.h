/*
 * Scheduling contexts (a budget and a period a thread runs on) and the scheduling-control
 * capability that sets them. docs/kernel/scheduling.md says what is enforced so far.
 */
#pragma once

#include "object/structures.h"

struct invocation;

/*
 * SchedControl_Configure: extra cap 0 a scheduling context, MR0 budget, MR1 period (time
 * counter ticks). Errors, in this order: VL_TRUNCATED_MESSAGE (fewer than two arguments or
 * no extra cap), VL_INVALID_CAPABILITY (extra cap 0 not a scheduling context),
 * VL_RANGE_ERROR (period above VL_SC_MAX_PERIOD: range 1..VL_SC_MAX_PERIOD; budget below
 * VL_SC_MIN_BUDGET or above the period: range VL_SC_MIN_BUDGET..period),
 * VL_ILLEGAL_OPERATION (other labels). See docs/kernel/invocations.md.
 */
exception_t decode_sched_control_invocation(struct invocation *inv);

/*
 * SchedContext_Bind (extra cap 0 a TCB), SchedContext_Unbind, SchedContext_Consumed
 * (returns in MR0 the ticks charged since the last call, and starts again from 0) and
 * SchedContext_GetBudget (MR0 budget, MR1 period; both 0 until configured).
 * Errors: VL_TRUNCATED_MESSAGE (Bind without an extra cap), VL_INVALID_CAPABILITY (not a
 * TCB), VL_ILLEGAL_OPERATION (Bind: the context or the thread already bound; Unbind: not
 * bound; other labels).
 */
exception_t decode_sched_context_invocation(struct invocation *inv);

/* Unbinds sc from its thread, if it has one (the context is being destroyed). */
void sc_unbind(struct sched_context *sc);

/* Unbinds t from its scheduling context, if it has one (the thread is being destroyed). */
void sc_unbind_tcb(struct tcb *t);

/*
 * Checks one scheduling context: the binding is mutual, an unconfigured context (budget 0)
 * has no refills, a configured one passes refill_check, and consumed stays within what
 * can have been charged. Returns NULL or what is wrong.
 */
const char *sc_check(const struct sched_context *sc);
