/*
 * Untyped memory: the source of every kernel object.
 */
#pragma once

#include "object/structures.h"

struct invocation;

/*
 * Untyped_Retype(type, size_bits, node_index, node_depth, node_offset, num_objects;
 * extra cap 0: root CNode). See docs/kernel/invocations.md.
 */
exception_t decode_untyped_invocation(struct invocation *inv);

/*
 * Checks that every descendant of the untyped in slot that names memory lies inside it
 * and, unless it is a device untyped, that every descendant other than an untyped lies
 * below its watermark. It does not check that the children do not overlap.
 */
const char *untyped_check(const struct cte *slot);
