/*
 * Operations on capabilities and on the capability derivation tree (CDT) kept in slots.
 */
#pragma once

#include "object/structures.h"

/* Kernel pointer to the first byte of the object a cap names, or NULL (null, IRQ caps). */
void *cap_object_base(cap_t cap);

/* Size in bits of the object a cap names (0 for caps without memory). */
word_t cap_object_size_bits(cap_t cap);

/* True if b names memory inside a's memory region, or the same kernel-held resource. */
bool cap_same_region_as(cap_t a, cap_t b);

/* True if a and b name the same object (untyped caps never do). */
bool cap_same_object_as(cap_t a, cap_t b);

/* True if the cap in slot b is a CDT child of the cap in slot a. */
bool cte_is_mdb_parent_of(const struct cte *a, const struct cte *b);

/* True if no other slot holds a cap to the object in slot (so deleting it destroys it). */
bool cte_is_final(const struct cte *slot);

/* True if the cap in slot has children in the CDT. */
bool cte_has_children(const struct cte *slot);

/*
 * Makes a copy of cap fit to be inserted as a child of slot. Returns EXCEPTION_NONE and
 * the derived cap in *out (which may be a null cap: nothing to insert), or a syscall
 * error (REVOKE_FIRST for an untyped with children).
 */
exception_t cap_derive(const struct cte *slot, cap_t cap, cap_t *out);

/*
 * Returns cap with its badge (endpoint, notification) or guard (CNode) set from data.
 * preserve: keep an existing badge (mutate) rather than set one (mint). Returns a null cap
 * if the change is not allowed.
 */
cap_t cap_update_data(bool preserve, word_t data, cap_t cap);

/* Returns cap with its rights restricted to mask. */
cap_t cap_mask_rights(word_t mask, cap_t cap);

/* True if the cap may be the root of a new derivation (copied to a child). */
bool cap_is_revocable(cap_t derived, cap_t src);

/* Inserts new_cap into the empty slot dest as a CDT child of src. */
void cte_insert(cap_t new_cap, struct cte *src, struct cte *dest);

/* Inserts new_cap into the empty slot dest as an original cap right after parent. */
void cte_insert_original(cap_t new_cap, struct cte *parent, struct cte *dest);

/* Moves the cap in src into the empty slot dest, keeping its place in the CDT. */
void cte_move(cap_t new_cap, struct cte *src, struct cte *dest);

/* Swaps the caps (and CDT positions) of two distinct slots, replacing them by c1/c2. */
void cte_swap(cap_t c1, struct cte *s1, cap_t c2, struct cte *s2);

/* Unlinks slot from the CDT and makes it empty. Does not finalise anything. */
void cte_unlink(struct cte *slot);

/*
 * Walks the whole CDT reachable from the given slots and checks its invariants: links
 * are mutual, children follow parents. Returns NULL on success or a description.
 */
const char *cdt_check_slots(struct cte *slots, word_t n);
