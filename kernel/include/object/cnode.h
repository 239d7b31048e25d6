/*
 * CNode invocations: Copy, Mint, Move, Mutate, Rotate, Delete, Revoke,
 * CancelBadgedSends, SaveCaller.
 */
#pragma once

#include "object/structures.h"

struct invocation;

exception_t decode_cnode_invocation(struct invocation *inv);
