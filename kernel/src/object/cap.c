/*
 * Capabilities and the capability derivation tree.
 *
 * The CDT is a doubly linked list of slots in depth-first order: a cap's descendants
 * follow it directly. Whether slot b is a child of slot a is decided from the caps and
 * two flags, as in seL4: a must be revocable (an original), b must lie in a's region,
 * and for badged endpoints and notifications the badges must match.
 */
#include "object/cap.h"

#include "api/failures.h"
#include "arch/machine.h"
#include "object/structures.h"

void *
cap_object_base(cap_t cap)
{
    switch (cap_type(cap)) {
    case CAP_NULL:
    case CAP_IRQ_CONTROL:
    case CAP_IRQ_HANDLER:
    case CAP_DEBUG:
    case CAP_SHUTDOWN:
    case CAP_SCHED_CONTROL:
    case CAP_ASID_CONTROL:
        return NULL;
    case CAP_REPLY:
        return NULL; /* a reply cap does not name memory it may be derived from */
    case CAP_ZOMBIE:
        return cap_zombie_slots(cap);
    default:
        return cap_ptr(cap);
    }
}

word_t
cap_object_size_bits(cap_t cap)
{
    switch (cap_type(cap)) {
    case CAP_UNTYPED:
        return cap_untyped_size_bits(cap);
    case CAP_TCB:
        return VL_TCB_BITS;
    case CAP_ENDPOINT:
        return VL_ENDPOINT_BITS;
    case CAP_NOTIFICATION:
        return VL_NOTIFICATION_BITS;
    case CAP_CNODE:
        return cap_cnode_radix(cap) + VL_SLOT_BITS;
    case CAP_FRAME:
        return frame_size_bits(cap_frame_size(cap));
    case CAP_PAGE_TABLE:
        return VL_PAGE_TABLE_BITS;
    case CAP_VSPACE:
        return VL_VSPACE_BITS;
    case CAP_ASID_POOL:
        return VL_ASID_POOL_BITS;
    case CAP_SCHED_CONTEXT:
        return VL_SCHED_CONTEXT_BITS;
    case CAP_ZOMBIE:
        return cap_zombie_size_bits(cap);
    default:
        return 0;
    }
}

bool
cap_same_region_as(cap_t a, cap_t b)
{
    switch (cap_type(a)) {
    case CAP_UNTYPED: {
        char *b_base = cap_object_base(b);
        if (b_base == NULL) {
            return false;
        }
        char *a_base = cap_ptr(a);
        word_t a_size = BIT(cap_untyped_size_bits(a));
        word_t b_size = BIT(cap_object_size_bits(b));
        return b_base >= a_base && b_base + b_size - 1 <= a_base + a_size - 1;
    }
    case CAP_IRQ_CONTROL:
        return cap_type(b) == CAP_IRQ_CONTROL || cap_type(b) == CAP_IRQ_HANDLER;
    case CAP_IRQ_HANDLER:
        return cap_type(b) == CAP_IRQ_HANDLER && a.w1 == b.w1;
    case CAP_CNODE:
        return cap_type(b) == CAP_CNODE && cap_ptr(a) == cap_ptr(b) &&
               cap_cnode_radix(a) == cap_cnode_radix(b);
    case CAP_FRAME:
        return cap_type(b) == CAP_FRAME && cap_ptr(a) == cap_ptr(b) &&
               cap_frame_size(a) == cap_frame_size(b);
    case CAP_NULL:
    case CAP_ZOMBIE:
    case CAP_REPLY:
        return false;
    default:
        return cap_type(a) == cap_type(b) && cap_ptr(a) == cap_ptr(b);
    }
}

bool
cap_same_object_as(cap_t a, cap_t b)
{
    if (cap_type(a) == CAP_UNTYPED) {
        return false;
    }
    if (cap_type(a) == CAP_IRQ_CONTROL && cap_type(b) == CAP_IRQ_HANDLER) {
        return false;
    }
    /* A zombie stands for the object whose slots it is emptying. */
    if (cap_type(a) == CAP_ZOMBIE || cap_type(b) == CAP_ZOMBIE) {
        return cap_type(a) != CAP_NULL && cap_type(b) != CAP_NULL &&
               cap_object_base(a) == cap_object_base(b) &&
               (cap_type(a) == CAP_ZOMBIE) != (cap_type(b) == CAP_ZOMBIE);
    }
    return cap_same_region_as(a, b);
}

static word_t
cap_badge(cap_t c)
{
    return c.w1;
}

bool
cte_is_mdb_parent_of(const struct cte *a, const struct cte *b)
{
    if (!mdb_is_revocable(a)) {
        return false;
    }
    if (!cap_same_region_as(a->cap, b->cap)) {
        return false;
    }
    switch (cap_type(a->cap)) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION: {
        word_t badge = cap_badge(a->cap);
        if (badge == 0) {
            return true;
        }
        return badge == cap_badge(b->cap) && !mdb_is_first_badged(b);
    }
    default:
        return true;
    }
}

bool
cte_is_final(const struct cte *slot)
{
    const struct cte *prev = slot->mdb_prev;
    const struct cte *next = mdb_next(slot);
    if (prev != NULL && cap_same_object_as(prev->cap, slot->cap)) {
        return false;
    }
    if (next != NULL && cap_same_object_as(next->cap, slot->cap)) {
        return false;
    }
    return true;
}

bool
cte_has_children(const struct cte *slot)
{
    const struct cte *next = mdb_next(slot);
    return next != NULL && cte_is_mdb_parent_of(slot, next);
}

exception_t
cap_derive(const struct cte *slot, cap_t cap, cap_t *out)
{
    switch (cap_type(cap)) {
    case CAP_UNTYPED:
        /* Untyped caps are never copied: two caps with separate watermarks could carve
         * overlapping objects. Move them, or retype them into smaller untypeds. */
        if (cte_has_children(slot)) {
            return syscall_error(VL_REVOKE_FIRST);
        }
        *out = cap_null();
        return EXCEPTION_NONE;
    case CAP_ZOMBIE:
    case CAP_REPLY:
    case CAP_IRQ_CONTROL:
        *out = cap_null();
        return EXCEPTION_NONE;
    case CAP_FRAME:
    case CAP_PAGE_TABLE:
        return arch_derive_cap(cap, out);
    case CAP_VSPACE:
        /* As seL4: ASIDPool_Assign gives an ASID to the one cap it is shown, so a VSpace
         * without one has exactly one cap, and its final cap frees the ASID. */
        *out = cap_vspace_asid(cap) == 0 ? cap_null() : cap;
        return EXCEPTION_NONE;
    default:
        *out = cap;
        return EXCEPTION_NONE;
    }
}

cap_t
cap_update_data(bool preserve, word_t data, cap_t cap)
{
    switch (cap_type(cap)) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        if (!preserve && cap_badge(cap) == 0) {
            cap.w1 = data;
            return cap;
        }
        return preserve ? cap : cap_null();
    case CAP_CNODE: {
        /* data = guard_size | guard << 6: the guard value has at most 58 bits, and a
         * larger guard size means its upper bits are zero. Bits of the value above
         * guard_size are dropped (cap_cnode). */
        word_t guard_size = data & 0x3f;
        word_t guard = data >> 6;
        if (guard_size + cap_cnode_radix(cap) > 64) {
            return cap_null();
        }
        return cap_cnode(cap_ptr(cap), cap_cnode_radix(cap), guard_size, guard);
    }
    default:
        return cap;
    }
}

word_t
cap_rights_of(cap_t cap)
{
    switch (cap_type(cap)) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
    case CAP_FRAME:
    case CAP_DEBUG:
        return cap_rights(cap);
    case CAP_REPLY:
        return cap_reply_can_grant(cap) ? VL_RIGHT_GRANT : 0;
    default:
        return 0;
    }
}

cap_t
cap_mask_rights(word_t mask, cap_t cap)
{
    switch (cap_type(cap)) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
    case CAP_FRAME:
    case CAP_DEBUG:
        return cap_set_rights(cap, cap_rights(cap) & mask);
    case CAP_REPLY:
        /* A reply cap keeps its grant right only if the new mask still grants. */
        if (!(mask & VL_RIGHT_GRANT)) {
            return cap_set_small(cap, 0);
        }
        return cap;
    default:
        return cap;
    }
}

bool
cap_is_revocable(cap_t derived, cap_t src)
{
    switch (cap_type(derived)) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        return cap_badge(derived) != cap_badge(src);
    case CAP_IRQ_HANDLER:
        return cap_type(src) == CAP_IRQ_CONTROL;
    case CAP_UNTYPED:
        return true;
    default:
        return false;
    }
}

static void
cte_link_after(struct cte *prev, struct cte *dest)
{
    struct cte *next = prev != NULL ? mdb_next(prev) : NULL;
    dest->mdb_prev = prev;
    mdb_set_next(dest, next);
    if (prev != NULL) {
        mdb_set_next(prev, dest);
    }
    if (next != NULL) {
        next->mdb_prev = dest;
    }
}

void
cte_insert(cap_t new_cap, struct cte *src, struct cte *dest)
{
    assert(cap_type(dest->cap) == CAP_NULL);
    bool revocable = cap_is_revocable(new_cap, src->cap);
    dest->cap = new_cap;
    dest->mdb_next = 0;
    mdb_set_flags(dest, revocable, revocable);
    cte_link_after(src, dest);
}

void
cte_insert_original(cap_t new_cap, struct cte *parent, struct cte *dest)
{
    assert(cap_type(dest->cap) == CAP_NULL);
    dest->cap = new_cap;
    dest->mdb_next = 0;
    mdb_set_flags(dest, true, true);
    cte_link_after(parent, dest);
}

/* Moves the whole slot src (cap and CDT position) to dest, fixing the neighbours' links. */
static void
cte_relink(struct cte *src, struct cte *dest)
{
    struct cte *prev = src->mdb_prev;
    struct cte *next = mdb_next(src);
    *dest = *src;
    if (prev != NULL) {
        mdb_set_next(prev, dest);
    }
    if (next != NULL) {
        next->mdb_prev = dest;
    }
    src->cap = cap_null();
    src->mdb_prev = NULL;
    src->mdb_next = 0;
    /* A reply cap's thread knows where its reply cap is. */
    if (cap_type(dest->cap) == CAP_REPLY) {
        cap_reply_tcb(dest->cap)->reply_slot = dest;
    }
}

void
cte_move(cap_t new_cap, struct cte *src, struct cte *dest)
{
    assert(cap_type(dest->cap) == CAP_NULL);
    cte_relink(src, dest);
    dest->cap = new_cap;
}

void
cte_swap(cap_t c1, struct cte *s1, cap_t c2, struct cte *s2)
{
    assert(s1 != s2);
    struct cte tmp;
    cte_relink(s1, &tmp);
    cte_relink(s2, s1);
    cte_relink(&tmp, s2);
    s1->cap = c2;
    s2->cap = c1;
}

void
cte_unlink(struct cte *slot)
{
    struct cte *prev = slot->mdb_prev;
    struct cte *next = mdb_next(slot);
    if (prev != NULL) {
        mdb_set_next(prev, next);
    }
    if (next != NULL) {
        next->mdb_prev = prev;
        /* The next cap inherits "first of its badge" so badged derivations stay intact. */
        mdb_set_flags(next, mdb_is_revocable(next),
                      mdb_is_first_badged(next) || mdb_is_first_badged(slot));
    }
    slot->cap = cap_null();
    slot->mdb_prev = NULL;
    slot->mdb_next = 0;
}

const char *
cdt_check_slots(struct cte *slots, word_t n)
{
    for (word_t i = 0; i < n; i++) {
        struct cte *s = &slots[i];
        struct cte *next = mdb_next(s);
        if (cap_type(s->cap) == CAP_NULL) {
            if (s->mdb_prev != NULL || next != NULL) {
                return "empty slot has CDT links";
            }
            continue;
        }
        if (next != NULL && next->mdb_prev != s) {
            return "next->prev does not point back";
        }
        if (s->mdb_prev != NULL && mdb_next(s->mdb_prev) != s) {
            return "prev->next does not point back";
        }
        if (next != NULL && cap_type(next->cap) == CAP_NULL) {
            return "CDT links to an empty slot";
        }
    }
    return NULL;
}
