/*
 * Per-type dispatch: object sizes, creation, finalisation and invocation decoding.
 */
#pragma once

#include "object/structures.h"

/* Size in bits of an object of the given type and user-requested size. */
word_t object_size_bits(word_t type, word_t user_size);

/* Initialises a new object of the given type in zeroed memory at ptr; returns its cap. */
cap_t object_create(word_t type, void *ptr, word_t user_size, bool is_device);

/* True if the final deletion of cap must first empty slots inside the object. */
bool cap_is_container(cap_t cap);

/* Side effects of deleting cap (final: no other cap to the object remains). */
void cap_finalise(cap_t cap, bool final);

/*
 * Decodes and performs an invocation of the cap in slot by the current thread.
 * Returns EXCEPTION_NONE (done; results set), EXCEPTION_SYSCALL_ERROR (nothing changed)
 * or EXCEPTION_PREEMPTED.
 */
struct invocation;
exception_t object_decode_invocation(struct invocation *inv);
