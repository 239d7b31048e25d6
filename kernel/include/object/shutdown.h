/*
 * The Shutdown capability: the authority to power the machine off or reset it.
 */
#pragma once

#include "object/structures.h"

struct invocation;

/*
 * Shutdown_PowerOff (MR0 exit status, 0..VL_SHUTDOWN_MAX_STATUS) and Shutdown_Reset.
 * On success neither returns: the machine stops. Errors: VL_TRUNCATED_MESSAGE (PowerOff
 * without MR0), VL_RANGE_ERROR (status too large), VL_ILLEGAL_OPERATION (other labels).
 * See docs/kernel/invocations.md.
 */
exception_t decode_shutdown_invocation(struct invocation *inv);
