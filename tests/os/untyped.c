/*
 * Untyped_Retype: success cases and every error it returns, each checked to change
 * nothing (destination slots stay empty, the watermark does not move).
 */
#include "ktest.h"

/* Raw retype with n argument words and ncaps extra caps. */
static int
retype_raw(vl_cptr_t ut, const vl_word_t *args, vl_word_t n, vl_word_t ncaps)
{
    vl_cptr_t caps[] = {ROOT};
    return vl_invoke(ut, VL_UNTYPED_RETYPE, args, n, caps, ncaps, NULL, 0);
}

static void
test_retype_ok(void)
{
    vl_word_t p0 = probe_frame_paddr();
    CHECK(p0 != 0);
    vl_cptr_t s = slots_alloc(4);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ROOT, 0, 0, s, 4), 0);
    for (int i = 0; i < 4; i++) {
        CHECK_TYPE(s + i, VL_CAP_ENDPOINT);
    }
    vl_cptr_t o = slots_alloc(4);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_TCB, 0, ROOT, 0, 0, o, 1), 0);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_NOTIFICATION, 0, ROOT, 0, 0, o + 1, 1), 0);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_CNODE, 4, ROOT, 0, 0, o + 2, 1), 0);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_UNTYPED, 12, ROOT, 0, 0, o + 3, 1), 0);
    CHECK_TYPE(o, VL_CAP_TCB);
    CHECK_TYPE(o + 1, VL_CAP_NOTIFICATION);
    CHECK_TYPE(o + 2, VL_CAP_CNODE);
    CHECK_TYPE(o + 3, VL_CAP_UNTYPED);
    /* Frame, page table and VSpace objects. */
    vl_cptr_t f = slots_alloc(3);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, f, 1), 0);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_PAGE_TABLE, 0, ROOT, 0, 0, f + 1, 1), 0);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_VSPACE, 0, ROOT, 0, 0, f + 2, 1), 0);
    CHECK_TYPE(f, VL_CAP_FRAME);
    CHECK_TYPE(f + 1, VL_CAP_PAGE_TABLE);
    CHECK_TYPE(f + 2, VL_CAP_VSPACE);
    CHECK_EQ(vl_debug_check(), 0);
}

/* Objects land at the watermark, aligned to their size; freed memory is reused. */
static void
test_retype_watermark(void)
{
    vl_word_t p0 = probe_frame_paddr();
    vl_word_t p1 = probe_frame_paddr();
    CHECK(p0 != 0);
    CHECK_EQ(p1, p0 + 4096);
    /* An endpoint then a frame: the frame is aligned up to the next page. */
    CHECK(obj_new(VL_OBJ_ENDPOINT, 0) != 0);
    CHECK_EQ(probe_frame_paddr(), p0 + 3 * 4096);
    /* Deleting every child resets the untyped: the next object starts at its base. */
    CHECK_EQ(vl_cnode_revoke(ROOT, t_ut, 64), 0);
    CHECK_EQ(probe_frame_paddr(), p0);
}

static void
test_retype_fan_out(void)
{
    vl_cptr_t s = slots_alloc(256);
    CHECK(s != 0);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ROOT, 0, 0, s, 256), 0);
    CHECK_TYPE(s, VL_CAP_ENDPOINT);
    CHECK_TYPE(s + 255, VL_CAP_ENDPOINT);
    CHECK_EQ(vl_debug_check(), 0);
}

/* Retype into a CNode named by (index, depth) in the root. */
static void
test_retype_into_cnode(void)
{
    vl_cptr_t c = obj_new(VL_OBJ_CNODE, 4);
    CHECK(c != 0);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_NOTIFICATION, 0, ROOT, c, 64, 3, 2), 0);
    vl_cptr_t d = slot_alloc();
    /* Copy C[4] out (C has radix 4 and no guard: depth 4 names its slots). */
    CHECK_EQ(vl_cnode_copy(ROOT, d, 64, c, 4, 4, VL_RIGHTS_ALL), 0);
    CHECK_TYPE(d, VL_CAP_NOTIFICATION);
    /* Occupied destination inside C. */
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_NOTIFICATION, 0, ROOT, c, 64, 4, 1), VL_DELETE_FIRST);
}

/* The watermark probe used by the error tests: anchor, failing call, probe. */
#define WATERMARK_BEGIN()                                                                          \
    vl_word_t wm_base = probe_frame_paddr();                                                       \
    CHECK(wm_base != 0)
#define WATERMARK_UNCHANGED() CHECK_EQ(probe_frame_paddr(), wm_base + 4096)

static void
test_retype_truncated(void)
{
    WATERMARK_BEGIN();
    vl_cptr_t s = slot_alloc();
    vl_word_t args[] = {VL_OBJ_ENDPOINT, 0, 0, 0, s, 1};
    CHECK_ERR(retype_raw(t_ut, args, 5, 1), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(retype_raw(t_ut, args, 6, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(retype_raw(t_ut, args, 0, 0), VL_TRUNCATED_MESSAGE);
    CHECK_TYPE(s, VL_CAP_NULL);
    WATERMARK_UNCHANGED();
}

static void
test_retype_invalid_argument(void)
{
    WATERMARK_BEGIN();
    vl_cptr_t s = slot_alloc();
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_NUM_TYPES, 0, ROOT, 0, 0, s, 1), VL_INVALID_ARGUMENT);
    CHECK_EQ(vl_last_error.mr[0], 0);
    CHECK_ERR(vl_untyped_retype(t_ut, ~0ul, 0, ROOT, 0, 0, s, 1), VL_INVALID_ARGUMENT);
    CHECK_TYPE(s, VL_CAP_NULL);
    WATERMARK_UNCHANGED();
    /* A device untyped holds only frames and untypeds. */
    for (vl_word_t i = 0; i < g_bi->num_untyped; i++) {
        if (g_bi->untyped_list[i].is_device) {
            vl_cptr_t dev = g_bi->untyped.start + i;
            CHECK_ERR(vl_untyped_retype(dev, VL_OBJ_TCB, 0, ROOT, 0, 0, s, 1), VL_INVALID_ARGUMENT);
            CHECK_EQ(vl_last_error.mr[0], 0);
            CHECK_ERR(vl_untyped_retype(dev, VL_OBJ_ENDPOINT, 0, ROOT, 0, 0, s, 1),
                      VL_INVALID_ARGUMENT);
            CHECK_TYPE(s, VL_CAP_NULL);
            break;
        }
    }
}

static void
test_retype_range(void)
{
    WATERMARK_BEGIN();
    vl_cptr_t s = slot_alloc();
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_UNTYPED, 3, ROOT, 0, 0, s, 1), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[0], VL_MIN_UNTYPED_BITS);
    CHECK_EQ(vl_last_error.mr[1], VL_MAX_UNTYPED_BITS);
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_UNTYPED, 39, ROOT, 0, 0, s, 1), VL_RANGE_ERROR);
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_CNODE, 0, ROOT, 0, 0, s, 1), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_EQ(vl_last_error.mr[1], VL_MAX_CNODE_RADIX);
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_CNODE, 25, ROOT, 0, 0, s, 1), VL_RANGE_ERROR);
    /* Offset beyond the CNode. */
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ROOT, 0, 0, 4096, 1), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[0], 0);
    CHECK_EQ(vl_last_error.mr[1], 4095);
    /* Number of objects. */
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ROOT, 0, 0, s, 0), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_EQ(vl_last_error.mr[1], 256);
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ROOT, 0, 0, s, 257), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[1], 256);
    /* Window past the end of the CNode. */
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ROOT, 0, 0, 4094, 3), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_EQ(vl_last_error.mr[1], 2);
    /* Depth above 64. */
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ROOT, s, 65, 0, 1), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_EQ(vl_last_error.mr[1], 64);
    CHECK_TYPE(s, VL_CAP_NULL);
    WATERMARK_UNCHANGED();
}

static void
test_retype_failed_lookup(void)
{
    WATERMARK_BEGIN();
    vl_cptr_t s = slot_alloc();
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(ep != 0);
    /* The slot named by (index, depth) is empty: no CNode there. */
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ROOT, s, 64, 0, 1), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[0], 0);
    CHECK_EQ(vl_last_error.mr[1], VL_LOOKUP_MISSING_CAP);
    /* It holds an endpoint. */
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ROOT, ep, 64, 0, 1), VL_FAILED_LOOKUP);
    /* Depth that does not match the root's 64 bits. */
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ROOT, s, 32, 0, 1), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[1], VL_LOOKUP_DEPTH_MISMATCH);
    /* The root cap is not a CNode. */
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ep, 0, 0, s, 1), VL_FAILED_LOOKUP);
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ep, s, 64, 0, 1), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[1], VL_LOOKUP_INVALID_ROOT);
    CHECK_TYPE(s, VL_CAP_NULL);
    CHECK_TYPE(ep, VL_CAP_ENDPOINT);
    /* The endpoint took the page after the anchor. */
    CHECK_EQ(probe_frame_paddr(), wm_base + 2 * 4096);
}

static void
test_retype_delete_first(void)
{
    WATERMARK_BEGIN();
    vl_cptr_t s = slots_alloc(3);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(ep == s + 3);
    /* The last of the three destination slots... is occupied: s+1.. s+3. */
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_NOTIFICATION, 0, ROOT, 0, 0, s + 1, 3),
              VL_DELETE_FIRST);
    CHECK_TYPE(s + 1, VL_CAP_NULL);
    CHECK_TYPE(s + 2, VL_CAP_NULL);
    CHECK_TYPE(ep, VL_CAP_ENDPOINT);
    /* The new endpoint moved the watermark; check from there. */
    vl_word_t p = probe_frame_paddr();
    CHECK_EQ(p, wm_base + 2 * 4096);
}

static void
test_retype_not_enough_memory(void)
{
    WATERMARK_BEGIN();
    vl_cptr_t s = slot_alloc();
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_UNTYPED, TEST_UT_BITS + 1, ROOT, 0, 0, s, 1),
              VL_NOT_ENOUGH_MEMORY);
    CHECK_EQ(vl_last_error.mr[0], (1ul << TEST_UT_BITS) - 4096);
    /* 2^20 bytes minus one page cannot hold 256 4 KiB frames. */
    vl_cptr_t many = slots_alloc(256);
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, many, 256),
              VL_NOT_ENOUGH_MEMORY);
    CHECK_TYPE(many, VL_CAP_NULL);
    /* The whole untyped as one object does not fit after the anchor. */
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_UNTYPED, TEST_UT_BITS, ROOT, 0, 0, s, 1),
              VL_NOT_ENOUGH_MEMORY);
    CHECK_TYPE(s, VL_CAP_NULL);
    WATERMARK_UNCHANGED();
    /* Exactly the rest fits: 255 frames... minus the probe: 254. */
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, many, 254), 0);
    CHECK_ERR(vl_untyped_retype(t_ut, VL_OBJ_ENDPOINT, 0, ROOT, 0, 0, s, 1), VL_NOT_ENOUGH_MEMORY);
    CHECK_EQ(vl_last_error.mr[0], 0);
}

static void
test_retype_illegal_operation(void)
{
    WATERMARK_BEGIN();
    vl_word_t args[] = {VL_OBJ_ENDPOINT, 0, 0, 0, 0, 1};
    vl_cptr_t caps[] = {ROOT};
    CHECK_ERR(vl_invoke(t_ut, VL_CNODE_COPY, args, 6, caps, 1, NULL, 0), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_invoke(t_ut, 999, args, 6, caps, 1, NULL, 0), VL_ILLEGAL_OPERATION);
    WATERMARK_UNCHANGED();
}

/*
 * Untyped caps are never copied (two watermarks could carve overlapping objects): with
 * children the copy fails with RevokeFirst, without children with IllegalOperation.
 * Moving is allowed.
 */
static void
test_untyped_revoke_first(void)
{
    vl_cptr_t child = obj_new(VL_OBJ_UNTYPED, 12);
    CHECK(child != 0);
    vl_cptr_t d = slot_alloc();
    CHECK_ERR(vl_cnode_copy(ROOT, d, 64, ROOT, child, 64, VL_RIGHTS_ALL), VL_ILLEGAL_OPERATION);
    CHECK_TYPE(d, VL_CAP_NULL);
    CHECK_EQ(vl_cnode_move(ROOT, d, 64, ROOT, child, 64), 0);
    CHECK_TYPE(d, VL_CAP_UNTYPED);
    CHECK_TYPE(child, VL_CAP_NULL);
    CHECK_EQ(vl_cnode_delete(ROOT, d, 64), 0);
    CHECK(probe_frame_paddr() != 0);
    CHECK_ERR(vl_cnode_copy(ROOT, d, 64, ROOT, t_ut, 64, VL_RIGHTS_ALL), VL_REVOKE_FIRST);
    CHECK_TYPE(d, VL_CAP_NULL);
}

void
untyped_tests(void)
{
    RUN(test_retype_ok);
    RUN(test_retype_watermark);
    RUN(test_retype_fan_out);
    RUN(test_retype_into_cnode);
    RUN(test_retype_truncated);
    RUN(test_retype_invalid_argument);
    RUN(test_retype_range);
    RUN(test_retype_failed_lookup);
    RUN(test_retype_delete_first);
    RUN(test_retype_not_enough_memory);
    RUN(test_retype_illegal_operation);
    RUN(test_untyped_revoke_first);
}
