/*
 * Untyped_Retype through decode_untyped_invocation: placement, every error, reuse after
 * revoke and a preempted reset.
 */
#include "ktest.h"

struct ut_env {
    struct kt_caller caller;
    char *mem;
    struct cte *ut;
    struct cte *root_slot;
    struct cte *root;
};

static struct ut_env
ut_env(word_t ut_bits, bool device)
{
    struct ut_env e;
    e.caller = kt_caller();
    e.mem = kt_alloc(ut_bits);
    e.ut = kt_insert(cap_untyped(e.mem, ut_bits, device, 0));
    e.root_slot = kt_insert(kt_cnode(6, 0, 0));
    e.root = cap_ptr(e.root_slot->cap);
    return e;
}

static exception_t
retype(struct ut_env *e, word_t type, word_t size, word_t index, word_t depth, word_t offset,
       word_t n)
{
    struct cte *extra[] = {e->root_slot};
    struct invocation inv = kt_inv(&e->caller, e->ut, VL_UNTYPED_RETYPE,
                                   ARGS(type, size, index, depth, offset, n), 1, extra);
    return decode_untyped_invocation(&inv);
}

static void
snap_env(struct ut_env *e)
{
    kt_snap_reset();
    kt_snap(e->ut, sizeof(*e->ut));
    kt_snap(e->root, sizeof(struct cte) << 6);
    kt_snap(&cdt_root, sizeof(cdt_root));
}

KTEST(untyped_retype_placement)
{
    struct ut_env e = ut_env(16, false);
    CHECK_EQ(retype(&e, VL_OBJ_ENDPOINT, 0, 0, 0, 0, 1), EXCEPTION_NONE);
    INV();
    CHECK_EQ(cap_type(e.root[0].cap), CAP_ENDPOINT);
    CHECK(cap_ptr(e.root[0].cap) == e.mem);
    CHECK_EQ(e.ut->cap.w1, 32);
    CHECK(cte_is_mdb_parent_of(e.ut, &e.root[0]));
    /* Aligned to its size: a TCB goes to 1 KiB. */
    CHECK_EQ(retype(&e, VL_OBJ_TCB, 0, 0, 0, 1, 1), EXCEPTION_NONE);
    INV();
    CHECK(cap_ptr(e.root[1].cap) == e.mem + 1024);
    CHECK_EQ(e.ut->cap.w1, 2048);
    CHECK_EQ(cap_tcb_ptr(e.root[1].cap)->state, TS_INACTIVE);
    /* N objects in consecutive slots. */
    CHECK_EQ(retype(&e, VL_OBJ_NOTIFICATION, 0, 0, 0, 10, 4), EXCEPTION_NONE);
    INV();
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(cap_type(e.root[10 + i].cap), CAP_NOTIFICATION);
        CHECK(cap_ptr(e.root[10 + i].cap) == e.mem + 2048 + 64 * i);
        CHECK(cte_is_mdb_parent_of(e.ut, &e.root[10 + i]));
    }
    CHECK_EQ(e.ut->cap.w1, 2048 + 256);
    /* A CNode of radix 3 (256 bytes), an untyped of 2^12, a 4K frame. */
    CHECK_EQ(retype(&e, VL_OBJ_CNODE, 3, 0, 0, 20, 1), EXCEPTION_NONE);
    CHECK_EQ(cap_cnode_radix(e.root[20].cap), 3);
    CHECK(cap_ptr(e.root[20].cap) == e.mem + 2048 + 256);
    CHECK_EQ(retype(&e, VL_OBJ_UNTYPED, 12, 0, 0, 21, 1), EXCEPTION_NONE);
    CHECK(cap_ptr(e.root[21].cap) == e.mem + 4096);
    CHECK_EQ(cap_untyped_size_bits(e.root[21].cap), 12);
    CHECK_EQ(e.root[21].cap.w1, 0);
    CHECK_EQ(retype(&e, VL_OBJ_FRAME_4K, 0, 0, 0, 22, 1), EXCEPTION_NONE);
    CHECK(cap_ptr(e.root[22].cap) == e.mem + 8192);
    CHECK_EQ(e.ut->cap.w1, 12288);
    INV();
    /* Into a CNode found by lookup (depth != 0): root[20] holds the radix-3 CNode. */
    CHECK_EQ(retype(&e, VL_OBJ_ENDPOINT, 0, 20, 6, 7, 1), EXCEPTION_NONE);
    struct cte *sub = cap_ptr(e.root[20].cap);
    CHECK_EQ(cap_type(sub[7].cap), CAP_ENDPOINT);
    CHECK(cap_ptr(sub[7].cap) == e.mem + 12288);
    INV();
    /* Everything goes with a revoke. */
    CHECK_EQ(cte_revoke(e.ut), EXCEPTION_NONE);
    INV();
    for (int i = 0; i < 64; i++) {
        CHECK_EQ(cap_type(e.root[i].cap), CAP_NULL);
    }
    CHECK_EQ(kt_cdt_count(), 3); /* the untyped, the root CNode, the caller's TCB */
}

/* Expects a syscall error of the given type and that nothing changed. */
#define EXPECT_ERR(call, err)                                                                      \
    do {                                                                                           \
        snap_env(&e);                                                                              \
        CHECK_EQ((call), EXCEPTION_SYSCALL_ERROR);                                                 \
        CHECK_EQ(current_syscall_error.type, (err));                                               \
        CHECK_UNCHANGED();                                                                         \
        INV();                                                                                     \
    } while (0)

KTEST(untyped_retype_errors)
{
    struct ut_env e = ut_env(12, false);
    struct cte *extra[] = {e.root_slot};
    struct invocation inv;
    /* Wrong label. */
    inv = kt_inv(&e.caller, e.ut, VL_CNODE_COPY, ARGS(2, 0, 0, 0, 0, 1), 1, extra);
    EXPECT_ERR(decode_untyped_invocation(&inv), VL_ILLEGAL_OPERATION);
    /* Truncated: five arguments, or no extra cap. */
    inv = kt_inv(&e.caller, e.ut, VL_UNTYPED_RETYPE, ARGS(2, 0, 0, 0, 0), 1, extra);
    EXPECT_ERR(decode_untyped_invocation(&inv), VL_TRUNCATED_MESSAGE);
    inv = kt_inv(&e.caller, e.ut, VL_UNTYPED_RETYPE, ARGS(2, 0, 0, 0, 0, 1), 0, extra);
    EXPECT_ERR(decode_untyped_invocation(&inv), VL_TRUNCATED_MESSAGE);
    /* Invalid type. */
    EXPECT_ERR(retype(&e, VL_OBJ_NUM_TYPES, 0, 0, 0, 0, 1), VL_INVALID_ARGUMENT);
    CHECK_EQ(current_syscall_error.invalid_argument, 0);
    /* Sizes out of range. */
    EXPECT_ERR(retype(&e, VL_OBJ_UNTYPED, 3, 0, 0, 0, 1), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, VL_MIN_UNTYPED_BITS);
    CHECK_EQ(current_syscall_error.range_max, VL_MAX_UNTYPED_BITS);
    EXPECT_ERR(retype(&e, VL_OBJ_UNTYPED, 39, 0, 0, 0, 1), VL_RANGE_ERROR);
    EXPECT_ERR(retype(&e, VL_OBJ_CNODE, 0, 0, 0, 0, 1), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, 1);
    CHECK_EQ(current_syscall_error.range_max, VL_MAX_CNODE_RADIX);
    EXPECT_ERR(retype(&e, VL_OBJ_CNODE, 25, 0, 0, 0, 1), VL_RANGE_ERROR);
    /* Destination lookup: depth mismatch, and a slot that holds no CNode. */
    EXPECT_ERR(retype(&e, VL_OBJ_ENDPOINT, 0, 1, 7, 0, 1), VL_FAILED_LOOKUP);
    CHECK(!current_syscall_error.lookup_was_source);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_DEPTH_MISMATCH);
    EXPECT_ERR(retype(&e, VL_OBJ_ENDPOINT, 0, 1, 65, 0, 1), VL_RANGE_ERROR);
    EXPECT_ERR(retype(&e, VL_OBJ_ENDPOINT, 0, 1, 6, 0, 1), VL_FAILED_LOOKUP);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_MISSING_CAP);
    /* Offset and window. */
    EXPECT_ERR(retype(&e, VL_OBJ_ENDPOINT, 0, 0, 0, 64, 1), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, 0);
    CHECK_EQ(current_syscall_error.range_max, 63);
    EXPECT_ERR(retype(&e, VL_OBJ_ENDPOINT, 0, 0, 0, 0, 0), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, 1);
    CHECK_EQ(current_syscall_error.range_max, 256);
    EXPECT_ERR(retype(&e, VL_OBJ_ENDPOINT, 0, 0, 0, 0, 257), VL_RANGE_ERROR);
    EXPECT_ERR(retype(&e, VL_OBJ_ENDPOINT, 0, 0, 0, 60, 10), VL_RANGE_ERROR);
    CHECK_EQ(current_syscall_error.range_min, 1);
    CHECK_EQ(current_syscall_error.range_max, 4);
    /* Destination occupied (anywhere in the window). */
    kt_insert_at(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL), &e.root[5]);
    EXPECT_ERR(retype(&e, VL_OBJ_ENDPOINT, 0, 0, 0, 3, 3), VL_DELETE_FIRST);
    /* Not enough memory: too big an object, too many, or after some use. */
    EXPECT_ERR(retype(&e, VL_OBJ_FRAME_2M, 0, 0, 0, 10, 1), VL_NOT_ENOUGH_MEMORY);
    CHECK_EQ(current_syscall_error.memory_left, 4096);
    EXPECT_ERR(retype(&e, VL_OBJ_TCB, 0, 0, 0, 10, 5), VL_NOT_ENOUGH_MEMORY);
    CHECK_EQ(retype(&e, VL_OBJ_ENDPOINT, 0, 0, 0, 10, 1), EXCEPTION_NONE);
    EXPECT_ERR(retype(&e, VL_OBJ_TCB, 0, 0, 0, 11, 4), VL_NOT_ENOUGH_MEMORY);
    CHECK_EQ(current_syscall_error.memory_left, 4096 - 32);
    CHECK_EQ(retype(&e, VL_OBJ_TCB, 0, 0, 0, 11, 3), EXCEPTION_NONE);
    CHECK_EQ(e.ut->cap.w1, 4096);
    EXPECT_ERR(retype(&e, VL_OBJ_ENDPOINT, 0, 0, 0, 20, 1), VL_NOT_ENOUGH_MEMORY);
    CHECK_EQ(current_syscall_error.memory_left, 0);
    INV();
}

/* Retyped VSpaces have no ASID (ASIDPool_Assign gives them one), so retyping takes none
 * and is limited by memory alone. */
KTEST(untyped_retype_vspace_no_asid)
{
    struct ut_env e = ut_env(16, false);
    CHECK_EQ(retype(&e, VL_OBJ_VSPACE, 0, 0, 0, 0, 16), EXCEPTION_NONE);
    CHECK_EQ(host_vspace_inits, 16);
    for (word_t i = 0; i < 16; i++) {
        CHECK_EQ(cap_type(e.root[i].cap), CAP_VSPACE);
        CHECK_EQ(cap_vspace_asid(e.root[i].cap), 0);
        CHECK(!arch_vspace_has_asid(e.root[i].cap));
    }
    INV();
}

KTEST(untyped_device_only_frames)
{
    struct ut_env e = ut_env(13, true);
    EXPECT_ERR(retype(&e, VL_OBJ_ENDPOINT, 0, 0, 0, 0, 1), VL_INVALID_ARGUMENT);
    CHECK_EQ(current_syscall_error.invalid_argument, 0);
    EXPECT_ERR(retype(&e, VL_OBJ_TCB, 0, 0, 0, 0, 1), VL_INVALID_ARGUMENT);
    EXPECT_ERR(retype(&e, VL_OBJ_CNODE, 2, 0, 0, 0, 1), VL_INVALID_ARGUMENT);
    CHECK_EQ(retype(&e, VL_OBJ_FRAME_4K, 0, 0, 0, 0, 1), EXCEPTION_NONE);
    CHECK(cap_frame_is_device(e.root[0].cap));
    CHECK_EQ(retype(&e, VL_OBJ_UNTYPED, 12, 0, 0, 1, 1), EXCEPTION_NONE);
    CHECK(cap_untyped_is_device(e.root[1].cap));
    INV();
    CHECK_EQ(cte_revoke(e.ut), EXCEPTION_NONE);
    INV();
    CHECK_EQ(retype(&e, VL_OBJ_FRAME_4K, 0, 0, 0, 0, 2), EXCEPTION_NONE);
    CHECK(cap_ptr(e.root[0].cap) == e.mem);
    INV();
}

KTEST(untyped_reuse_after_revoke)
{
    struct ut_env e = ut_env(14, false);
    CHECK_EQ(retype(&e, VL_OBJ_ENDPOINT, 0, 0, 0, 0, 8), EXCEPTION_NONE);
    CHECK_EQ(retype(&e, VL_OBJ_TCB, 0, 0, 0, 8, 2), EXCEPTION_NONE);
    word_t used = e.ut->cap.w1;
    /* A copy of an untyped with children is refused. */
    cap_t derived;
    CHECK_EQ(cap_derive(e.ut, e.ut->cap, &derived), EXCEPTION_SYSCALL_ERROR);
    CHECK_EQ(current_syscall_error.type, VL_REVOKE_FIRST);
    CHECK_EQ(cte_revoke(e.ut), EXCEPTION_NONE);
    /* The dead objects leave dirty memory below the watermark. */
    CHECK_EQ(e.ut->cap.w1, used);
    memset(e.mem, 0xa5, used);
    INV();
    CHECK(!cte_has_children(e.ut));
    CHECK_EQ(cap_type(e.root[0].cap), CAP_NULL);
    /* The next retype resets: objects start at 0 again, in cleared memory. */
    CHECK_EQ(retype(&e, VL_OBJ_FRAME_4K, 0, 0, 0, 0, 1), EXCEPTION_NONE);
    CHECK(cap_ptr(e.root[0].cap) == e.mem);
    CHECK_EQ(e.ut->cap.w1, 4096);
    for (word_t i = 0; i < used; i++) {
        if (e.mem[i] != 0) {
            CHECK(!"memory not cleared by reset");
        }
    }
    INV();
}

KTEST(untyped_reset_preempted)
{
    struct ut_env e = ut_env(20, false);
    /* 60 frames, revoked; then the watermark as if 200 frames had been made and deleted:
     * 800 KiB of dirty memory, 200 chunks to clear. */
    CHECK_EQ(retype(&e, VL_OBJ_FRAME_4K, 0, 0, 0, 0, 60), EXCEPTION_NONE);
    CHECK_EQ(cte_revoke(e.ut), EXCEPTION_NONE);
    e.ut->cap.w1 = 200 * 4096;
    memset(e.mem, 0x5a, 200 * 4096);
    INV();
    host_irq_pending = true;
    word_t before = e.ut->cap.w1;
    int preemptions = 0;
    exception_t st;
    kt_snap_reset();
    kt_snap(e.root, sizeof(struct cte) << 6);
    while ((st = retype(&e, VL_OBJ_ENDPOINT, 0, 0, 0, 0, 2)) == EXCEPTION_PREEMPTED) {
        preemptions++;
        INV();
        CHECK(e.ut->cap.w1 < before);
        CHECK(e.ut->cap.w1 % 4096 == 0);
        CHECK_UNCHANGED(); /* no objects yet */
        /* Memory above the new watermark is clear; below it is untouched. */
        CHECK_EQ((unsigned char)e.mem[e.ut->cap.w1], 0);
        CHECK_EQ((unsigned char)e.mem[e.ut->cap.w1 - 1], 0x5a);
        before = e.ut->cap.w1;
        if (preemptions == 2) {
            host_irq_pending = false;
        }
        CHECK(preemptions < 100);
    }
    CHECK_EQ(st, EXCEPTION_NONE);
    CHECK_EQ(preemptions, 2);
    CHECK_EQ(cap_type(e.root[0].cap), CAP_ENDPOINT);
    CHECK(cap_ptr(e.root[0].cap) == e.mem);
    CHECK_EQ(e.ut->cap.w1, 64);
    for (word_t i = 0; i < 200 * 4096; i++) {
        if (e.mem[i] != 0) {
            CHECK(!"memory not cleared by the resumed reset");
        }
    }
    INV();
}
