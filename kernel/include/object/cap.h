/*
 * Operations on capabilities and on the capability derivation tree (CDT) kept in slots.
 */
#pragma once

#include "object/structures.h"

/* Kernel pointer to the first byte of the object a cap names, or NULL (null, IRQ, reply
 * and shutdown caps). */
void *cap_object_base(cap_t cap);

/* Size in bits of the object a cap names (0 for caps without memory). */
word_t cap_object_size_bits(cap_t cap);

/*
 * True if b names memory inside a's memory region, or the same kernel-held resource.
 * Always false when a is a null, zombie or reply cap.
 */
bool cap_same_region_as(cap_t a, cap_t b);

/*
 * True if a and b name the same object (an untyped cap as a never does; an IRQ control cap
 * does not name an IRQ handler's object; a zombie names the object it is emptying).
 */
bool cap_same_object_as(cap_t a, cap_t b);

/*
 * Decides from the two caps and b's flags alone whether the cap in slot b, which must follow
 * slot a in the CDT's depth-first order, is a descendant of a's cap. It does not check
 * where b lies in the CDT.
 */
bool cte_is_mdb_parent_of(const struct cte *a, const struct cte *b);

/*
 * True if no other slot holds a cap to the object in slot (so deleting it destroys it).
 * Only the two CDT neighbours are compared: caps to one object are adjacent in the CDT.
 */
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
 * if the change is not allowed (minting a badge onto a badged cap, a guard that does not
 * fit). Caps of other types are returned unchanged: data is ignored.
 */
cap_t cap_update_data(bool preserve, word_t data, cap_t cap);

/*
 * The rights a cap carries, a VL_RIGHT_* mask: an endpoint's, notification's, frame's or
 * debug cap's own; VL_RIGHT_GRANT for a reply cap that may transfer caps; 0 for the other
 * types, which carry none (the types whose rights cap_mask_rights restricts).
 */
word_t cap_rights_of(cap_t cap);

/*
 * Returns cap with its rights restricted to mask. Only endpoint, notification, frame and
 * debug caps carry rights; a reply cap loses its grant right unless mask grants; caps of
 * other types are returned unchanged.
 */
cap_t cap_mask_rights(word_t mask, cap_t cap);

/* True if the cap may be the root of a new derivation (copied to a child). */
bool cap_is_revocable(cap_t derived, cap_t src);

/*
 * Inserts new_cap into the empty slot dest right after src in the CDT (a child of src if
 * cte_is_mdb_parent_of says so). dest must be empty (asserted, not checked).
 */
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
 * Checks the CDT links of the n given slots (not the whole CDT reachable from them): an
 * empty slot has no links, every link is mutual and none leads to an empty slot. It does
 * not check that children follow their parents. Returns NULL on success or a description.
 */
const char *cdt_check_slots(struct cte *slots, word_t n);
