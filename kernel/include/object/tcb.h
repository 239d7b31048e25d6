/*
 * TCB invocations.
 */
#pragma once

#include "object/structures.h"

struct invocation;

exception_t decode_tcb_invocation(struct invocation *inv);
