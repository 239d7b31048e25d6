/*
 * Capability lookup: cspace_resolve_bits, cspace_lookup_slot/_cap and
 * cspace_lookup_slot_for_op, with guards, two levels, and every failure.
 */
#include "ktest.h"

/* Root CNode (radix 4, no guard) whose slot 3 holds a CNode of radix 3 with guard 01. */
struct two_level {
    struct cte *root_slot;
    struct cte *root;
    struct cte *l2;
    void *ep;
};

static struct two_level
make_two_level(void)
{
    struct two_level t;
    cap_t r = kt_cnode(4, 0, 0);
    cap_t l2 = kt_cnode(3, 2, 1);
    t.root_slot = kt_insert(r);
    t.root = cap_ptr(r);
    t.l2 = cap_ptr(l2);
    t.ep = kt_alloc(VL_ENDPOINT_BITS);
    kt_insert_at(l2, &t.root[3]);
    kt_insert_at(cap_endpoint(t.ep, 0, VL_RIGHTS_ALL), &t.root[2]);
    kt_insert_at(cap_endpoint(t.ep, 0, VL_RIGHTS_ALL), &t.l2[6]);
    return t;
}

KTEST(cspace_resolve_one_and_two_levels)
{
    struct two_level t = make_two_level();
    INV();
    struct lookup_slot_ret r = cspace_resolve_bits(t.root_slot->cap, 5, 4);
    CHECK(r.slot == &t.root[5]);
    CHECK_EQ(r.bits_left, 0);
    /* Bits above n_bits are ignored. */
    r = cspace_resolve_bits(t.root_slot->cap, 0xf0 | 5, 4);
    CHECK(r.slot == &t.root[5]);
    /* Resolving 4 bits to a CNode slot stops there (no bits left to go on). */
    r = cspace_resolve_bits(t.root_slot->cap, 3, 4);
    CHECK(r.slot == &t.root[3]);
    CHECK_EQ(r.bits_left, 0);
    /* Two levels: 4 bits of index, 2 of guard (01), 3 of index. */
    word_t cptr = (3 << 5) | (1 << 3) | 6;
    r = cspace_resolve_bits(t.root_slot->cap, cptr, 9);
    CHECK(r.slot == &t.l2[6]);
    CHECK_EQ(r.bits_left, 0);
    /* The walk stops early at a slot that holds no CNode. */
    r = cspace_resolve_bits(t.root_slot->cap, (2 << 4) | 0xa, 8);
    CHECK(r.slot == &t.root[2]);
    CHECK_EQ(r.bits_left, 4);
    /* A 56-bit guard of zeros above the radix: 60 bits resolve to one slot. */
    cap_t wide = cap_update_data(false, 56 | (0ul << 6), cap_cnode(t.root, 4, 0, 0));
    r = cspace_resolve_bits(wide, 7, 60);
    CHECK(r.slot == &t.root[7]);
}

KTEST(cspace_resolve_failures)
{
    struct two_level t = make_two_level();
    /* Guard mismatch in the second level: guard 10 found where 01 is required. */
    word_t cptr = (3 << 5) | (2 << 3) | 6;
    kt_clear_errors();
    struct lookup_slot_ret r = cspace_resolve_bits(t.root_slot->cap, cptr, 9);
    CHECK(r.slot == NULL);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_GUARD_MISMATCH);
    CHECK_EQ(current_lookup_fault.bits_left, 5);
    CHECK_EQ(current_lookup_fault.bits_found, 2);
    CHECK_EQ(current_lookup_fault.guard_size, 2);
    /* Depth mismatch: 2 bits left but the second level needs 5. */
    kt_clear_errors();
    r = cspace_resolve_bits(t.root_slot->cap, (3 << 2) | 1, 6);
    CHECK(r.slot == NULL);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_DEPTH_MISMATCH);
    CHECK_EQ(current_lookup_fault.bits_left, 2);
    CHECK_EQ(current_lookup_fault.bits_found, 5);
    /* Depth mismatch at the root: fewer bits than the root resolves. */
    kt_clear_errors();
    r = cspace_resolve_bits(t.root_slot->cap, 1, 3);
    CHECK(r.slot == NULL);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_DEPTH_MISMATCH);
    CHECK_EQ(current_lookup_fault.bits_left, 3);
    CHECK_EQ(current_lookup_fault.bits_found, 4);
    /* Invalid root. */
    kt_clear_errors();
    r = cspace_resolve_bits(t.root[2].cap, 1, 17);
    CHECK(r.slot == NULL);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_INVALID_ROOT);
    CHECK_EQ(current_lookup_fault.bits_left, 17);
    r = cspace_resolve_bits(cap_null(), 1, 4);
    CHECK(r.slot == NULL);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_INVALID_ROOT);
    INV();
}

KTEST(cspace_lookup_slot_for_op)
{
    struct two_level t = make_two_level();
    cap_t root = t.root_slot->cap;
    /* Depth out of range. */
    kt_clear_errors();
    struct cte *slot = cspace_lookup_slot_for_op(false, root, 5, 0);
    CHECK(slot == NULL);
    CHECK_EQ(current_syscall_error.type, VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, 1);
    CHECK_EQ(current_syscall_error.range_max, 64);
    kt_clear_errors();
    slot = cspace_lookup_slot_for_op(false, root, 5, 65);
    CHECK(slot == NULL);
    CHECK_EQ(current_syscall_error.type, VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_max, 64);
    /* Invalid root, as source. */
    kt_clear_errors();
    slot = cspace_lookup_slot_for_op(true, t.root[2].cap, 5, 4);
    CHECK(slot == NULL);
    CHECK_EQ(current_syscall_error.type, VL_FAILED_LOOKUP);
    CHECK(current_syscall_error.lookup_was_source);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_INVALID_ROOT);
    /* Stopping early at a non-CNode with bits left is a depth mismatch. */
    kt_clear_errors();
    slot = cspace_lookup_slot_for_op(false, root, (2 << 4) | 1, 8);
    CHECK(slot == NULL);
    CHECK_EQ(current_syscall_error.type, VL_FAILED_LOOKUP);
    CHECK(!current_syscall_error.lookup_was_source);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_DEPTH_MISMATCH);
    CHECK_EQ(current_lookup_fault.bits_left, 4);
    /* Guard mismatch surfaces as a failed lookup with the fault kept. */
    kt_clear_errors();
    slot = cspace_lookup_slot_for_op(true, root, (3 << 5) | (0 << 3) | 6, 9);
    CHECK(slot == NULL);
    CHECK_EQ(current_syscall_error.type, VL_FAILED_LOOKUP);
    CHECK(current_syscall_error.lookup_was_source);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_GUARD_MISMATCH);
    /* Success, one and two levels; an empty slot is fine for an op lookup. */
    slot = cspace_lookup_slot_for_op(false, root, 9, 4);
    CHECK(slot == &t.root[9]);
    slot = cspace_lookup_slot_for_op(false, root, (3 << 5) | (1 << 3) | 2, 9);
    CHECK(slot == &t.l2[2]);
    INV();
}

KTEST(cspace_thread_lookup)
{
    /* A thread's CSpace root: radix 8 with a 56-bit guard of 0, so cptrs are slot numbers. */
    struct tcb *th = kt_thread(1, TS_RUNNING);
    kt_insert(cap_tcb(tcb_slots(th))); /* its slots lie in a live TCB */
    cap_t root = cap_update_data(false, 56, kt_cnode(8, 0, 0));
    kt_insert_at(root, tcb_slot(th, TCB_CTABLE));
    kt_insert(root); /* the CNode stays live when the thread's root changes below */
    struct cte *slots = cap_ptr(root);
    kt_insert_at(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL), &slots[5]);
    struct cte *slot = cspace_lookup_cap(th, 5);
    CHECK(slot == &slots[5]);
    kt_clear_errors();
    slot = cspace_lookup_cap(th, 6);
    CHECK(slot == NULL);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_MISSING_CAP);
    slot = cspace_lookup_slot(th, 6);
    CHECK(slot == &slots[6]);
    kt_clear_errors();
    slot = cspace_lookup_slot(th, 1ul << 63 | 5);
    CHECK(slot == NULL);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_GUARD_MISMATCH);
    CHECK_EQ(current_lookup_fault.bits_left, 64);
    CHECK_EQ(current_lookup_fault.guard_size, 56);
    /* A root too small to resolve 64 bits leaves bits: a depth mismatch. */
    cte_unlink(tcb_slot(th, TCB_CTABLE));
    kt_insert_at(kt_cnode(8, 0, 0), tcb_slot(th, TCB_CTABLE));
    kt_clear_errors();
    slot = cspace_lookup_slot(th, 5);
    CHECK(slot == NULL);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_DEPTH_MISMATCH);
    INV();
}

KTEST(cspace_thread_lookup_two_levels)
{
    /* A CSpace that is not one CNode takes the general walk: a root of radix 4 with a
     * 52-bit guard of 0, whose slot 3 holds a CNode of radix 3 with the 5-bit guard 00001. */
    struct tcb *th = kt_thread(1, TS_RUNNING);
    kt_insert(cap_tcb(tcb_slots(th))); /* its slots lie in a live TCB */
    cap_t root = cap_update_data(false, 52, kt_cnode(4, 0, 0));
    cap_t l2 = kt_cnode(3, 5, 1);
    kt_insert_at(root, tcb_slot(th, TCB_CTABLE));
    kt_insert_at(l2, (struct cte *)cap_ptr(root) + 3);
    struct cte *slots = cap_ptr(l2);
    kt_insert_at(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL), &slots[6]);
    struct cte *slot = cspace_lookup_cap(th, (3 << 8) | (1 << 3) | 6);
    CHECK(slot == &slots[6]);
    /* An empty slot: found by cspace_lookup_slot, a missing cap for cspace_lookup_cap. */
    slot = cspace_lookup_slot(th, (3 << 8) | (1 << 3) | 2);
    CHECK(slot == &slots[2]);
    kt_clear_errors();
    slot = cspace_lookup_cap(th, (3 << 8) | (1 << 3) | 2);
    CHECK(slot == NULL);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_MISSING_CAP);
    CHECK_EQ(current_lookup_fault.bits_left, 0);
    /* A guard mismatch in the second level keeps its detail. */
    kt_clear_errors();
    slot = cspace_lookup_cap(th, (3 << 8) | (2 << 3) | 6);
    CHECK(slot == NULL);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_GUARD_MISMATCH);
    CHECK_EQ(current_lookup_fault.bits_left, 8);
    CHECK_EQ(current_lookup_fault.bits_found, 2);
    CHECK_EQ(current_lookup_fault.guard_size, 5);
    /* Stopping at a non-CNode slot of the root with bits left is a depth mismatch. */
    kt_clear_errors();
    slot = cspace_lookup_slot(th, 2 << 8);
    CHECK(slot == NULL);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_DEPTH_MISMATCH);
    CHECK_EQ(current_lookup_fault.bits_left, 8);
    INV();
}

/* A fake CNode address: the encoding tests never dereference a slot of a one-level CNode. */
#define FAKE_CNODE ((void *)(uintptr_t)0xffffffc012340000ul)

static word_t
xorshift(word_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/*
 * The CNode cap encoding (cap_cnode): every radix and guard size reads back, a guard value
 * keeps only its low guard-size bits, and the inline one-level lookup agrees with the
 * general walk on matching, mismatching and random cptrs.
 */
KTEST(cspace_cnode_encoding)
{
    word_t seed = 0x9e3779b97f4a7c15ul;
    for (word_t radix = 1; radix <= VL_MAX_CNODE_RADIX; radix++) {
        for (word_t guard_size = 0; guard_size + radix <= VL_WORD_BITS; guard_size++) {
            word_t value = xorshift(&seed);
            cap_t c = cap_cnode(FAKE_CNODE, radix, guard_size, value);
            word_t guard = guard_size == 0 ? 0 : value & MASK(guard_size);
            CHECK_EQ(cap_type(c), CAP_CNODE);
            CHECK(cap_ptr(c) == FAKE_CNODE);
            CHECK_EQ(cap_cnode_radix(c), radix);
            CHECK_EQ(cap_cnode_guard_size(c), guard_size);
            CHECK_EQ(cap_cnode_guard(c), guard);
            bool one_level = guard_size + radix == VL_WORD_BITS;
            for (int k = 0; k < 16; k++) {
                word_t index = xorshift(&seed) & MASK(radix);
                /* k even: the guard matches; k odd: a random cptr (almost never does). */
                word_t cptr = k % 2 == 0 && one_level ? (guard << radix) | index : xorshift(&seed);
                struct cte *slot = NULL;
                bool found = cspace_lookup_one_level(c, cptr, &slot);
                if (!one_level) {
                    CHECK(!found); /* the general walk decides */
                    continue;
                }
                struct lookup_slot_ret r = cspace_resolve_bits(c, cptr, VL_WORD_BITS);
                CHECK_EQ(found, r.slot != NULL);
                if (found) {
                    CHECK(slot == r.slot);
                    CHECK(slot == (struct cte *)FAKE_CNODE + (cptr & MASK(radix)));
                    CHECK(cspace_lookup_fast(c, cptr) == slot);
                }
                if (k % 2 == 0) {
                    CHECK(found);
                    /* Any one guard bit wrong: not found by either. */
                    word_t bad = cptr ^ ((word_t)1 << (radix + xorshift(&seed) % guard_size));
                    CHECK(!cspace_lookup_one_level(c, bad, &slot));
                    CHECK(cspace_resolve_bits(c, bad, VL_WORD_BITS).slot == NULL);
                }
            }
        }
    }
}

/* The CNode data word (docs/kernel/invocations.md): guard size + radix up to 64, a guard
 * value of at most 58 bits, cut to the guard size. */
KTEST(cspace_cnode_guard_data)
{
    cap_t c = cap_cnode(FAKE_CNODE, 4, 0, 0);
    /* Guard size 60 (above 58): the guard value's upper bits are zero. */
    cap_t g = cap_update_data(false, 60 | (0x2aul << 6), c);
    CHECK_EQ(cap_type(g), CAP_CNODE);
    CHECK_EQ(cap_cnode_guard_size(g), 60);
    CHECK_EQ(cap_cnode_guard(g), 0x2a);
    CHECK_EQ(cap_cnode_radix(g), 4);
    struct cte *slot;
    CHECK(cspace_lookup_one_level(g, (0x2aul << 4) | 9, &slot));
    CHECK(slot == (struct cte *)FAKE_CNODE + 9);
    CHECK(!cspace_lookup_one_level(g, (0x2bul << 4) | 9, &slot));
    /* Guard size 3: the value is cut to 3 bits. */
    g = cap_update_data(false, 3 | (0xfful << 6), c);
    CHECK_EQ(cap_cnode_guard_size(g), 3);
    CHECK_EQ(cap_cnode_guard(g), 7);
    /* Guard size + radix above 64: no cap. */
    CHECK_EQ(cap_type(cap_update_data(false, 61, c)), CAP_NULL);
}
