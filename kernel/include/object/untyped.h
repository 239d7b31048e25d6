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

/* Checks that no two children of an untyped overlap and all lie inside it. */
const char *untyped_check(const struct cte *slot);
