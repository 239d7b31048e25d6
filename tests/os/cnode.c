/*
 * CNode invocations: Copy, Mint, Move, Mutate, Rotate, Delete, Revoke, SaveCaller,
 * CancelBadgedSends. Each error case checks that the slots involved are unchanged.
 */
#include "ktest.h"

static void
test_cnode_copy(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t d = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, d, 64, ROOT, ep, 64, VL_RIGHTS_ALL), 0);
    CHECK_TYPE(d, VL_CAP_ENDPOINT);
    CHECK_TYPE(ep, VL_CAP_ENDPOINT);
    /* A copy of a copy, with fewer rights. */
    vl_cptr_t d2 = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, d2, 64, ROOT, d, 64, VL_RIGHT_WRITE), 0);
    CHECK_TYPE(d2, VL_CAP_ENDPOINT);
    /* TCB, CNode and notification caps copy too. */
    vl_cptr_t d3 = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, d3, 64, ROOT, VL_CAP_INIT_TCB, 64, VL_RIGHTS_ALL), 0);
    CHECK_TYPE(d3, VL_CAP_TCB);
    vl_cptr_t d4 = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, d4, 64, ROOT, ROOT, 64, VL_RIGHTS_ALL), 0);
    CHECK_TYPE(d4, VL_CAP_CNODE);
    CHECK_EQ(vl_cnode_delete(ROOT, d4, 64), 0);
    CHECK_TYPE(ROOT, VL_CAP_CNODE);
}

static void
test_cnode_copy_errors(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t full = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t d = slot_alloc();
    vl_cptr_t empty = slot_alloc();
    vl_cptr_t caps[] = {ROOT};
    vl_word_t args[] = {d, 64, ep, 64, VL_RIGHTS_ALL};
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_COPY, args, 4, caps, 1, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_COPY, args, 5, caps, 0, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_COPY, args, 1, caps, 1, NULL, 0), VL_TRUNCATED_MESSAGE);
    /* Empty source. */
    CHECK_ERR(vl_cnode_copy(ROOT, d, 64, ROOT, empty, 64, VL_RIGHTS_ALL), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_EQ(vl_last_error.mr[1], VL_LOOKUP_MISSING_CAP);
    /* Occupied destination. */
    CHECK_ERR(vl_cnode_copy(ROOT, full, 64, ROOT, ep, 64, VL_RIGHTS_ALL), VL_DELETE_FIRST);
    CHECK_TYPE(full, VL_CAP_NOTIFICATION);
    /* Depths. */
    CHECK_ERR(vl_cnode_copy(ROOT, d, 0, ROOT, ep, 64, VL_RIGHTS_ALL), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_EQ(vl_last_error.mr[1], 64);
    CHECK_ERR(vl_cnode_copy(ROOT, d, 64, ROOT, ep, 65, VL_RIGHTS_ALL), VL_RANGE_ERROR);
    CHECK_ERR(vl_cnode_copy(ROOT, d, 32, ROOT, ep, 64, VL_RIGHTS_ALL), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[0], 0);
    CHECK_EQ(vl_last_error.mr[1], VL_LOOKUP_DEPTH_MISMATCH);
    CHECK_ERR(vl_cnode_copy(ROOT, d, 64, ROOT, ep, 63, VL_RIGHTS_ALL), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[0], 1);
    /* Guard mismatch: the root's 52-bit guard is 0. */
    CHECK_ERR(vl_cnode_copy(ROOT, d | (1ul << 60), 64, ROOT, ep, 64, VL_RIGHTS_ALL),
              VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[1], VL_LOOKUP_GUARD_MISMATCH);
    /* Source root not a CNode. */
    CHECK_ERR(vl_cnode_copy(ROOT, d, 64, ep, ep, 64, VL_RIGHTS_ALL), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_EQ(vl_last_error.mr[1], VL_LOOKUP_INVALID_ROOT);
    /* Caps that cannot be copied: IRQ control. */
    CHECK_ERR(vl_cnode_copy(ROOT, d, 64, ROOT, VL_CAP_IRQ_CONTROL_SLOT, 64, VL_RIGHTS_ALL),
              VL_ILLEGAL_OPERATION);
    /* An unknown CNode label. */
    CHECK_ERR(vl_invoke(ROOT, 19, args, 5, caps, 1, NULL, 0), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_SAVE_CALLER + 1, args, 5, caps, 1, NULL, 0),
              VL_ILLEGAL_OPERATION);
    CHECK_TYPE(d, VL_CAP_NULL);
    CHECK_TYPE(ep, VL_CAP_ENDPOINT);
    CHECK_TYPE(empty, VL_CAP_NULL);
}

static void
test_cnode_mint(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t b = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, b, 64, ROOT, ep, 64, VL_RIGHTS_ALL, 42), 0);
    CHECK_TYPE(b, VL_CAP_ENDPOINT);
    /* A badged cap cannot be rebadged. */
    vl_cptr_t b2 = slot_alloc();
    CHECK_ERR(vl_cnode_mint(ROOT, b2, 64, ROOT, b, 64, VL_RIGHTS_ALL, 43), VL_ILLEGAL_OPERATION);
    CHECK_TYPE(b2, VL_CAP_NULL);
    /* Not even with badge 0 (as in seL4); Copy keeps the badge. */
    CHECK_ERR(vl_cnode_mint(ROOT, b2, 64, ROOT, b, 64, VL_RIGHT_WRITE, 0), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_cnode_copy(ROOT, b2, 64, ROOT, b, 64, VL_RIGHT_WRITE), 0);
    CHECK_TYPE(b2, VL_CAP_ENDPOINT);
    /* A CNode with a guard: radix 6, guard 58 bits of value 0 resolves 64-bit cptrs. */
    vl_cptr_t c = obj_new(VL_OBJ_CNODE, 6);
    vl_cptr_t g = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, g, 64, ROOT, c, 64, VL_RIGHTS_ALL, 58), 0);
    CHECK_EQ(vl_cnode_copy(g, 5, 64, ROOT, ep, 64, VL_RIGHTS_ALL), 0);
    vl_cptr_t back = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, back, 64, c, 5, 6, VL_RIGHTS_ALL), 0);
    CHECK_TYPE(back, VL_CAP_ENDPOINT);
    /* A guard that does not fit 64 bits. */
    vl_cptr_t bad = slot_alloc();
    CHECK_ERR(vl_cnode_mint(ROOT, bad, 64, ROOT, c, 64, VL_RIGHTS_ALL, 59), VL_ILLEGAL_OPERATION);
    CHECK_TYPE(bad, VL_CAP_NULL);
    vl_cptr_t caps[] = {ROOT};
    vl_word_t args[] = {bad, 64, ep, 64, VL_RIGHTS_ALL, 1};
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_MINT, args, 5, caps, 1, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_cnode_mint(ROOT, bad, 64, ROOT, bad, 64, VL_RIGHTS_ALL, 1), VL_FAILED_LOOKUP);
    CHECK_ERR(vl_cnode_mint(ROOT, b, 64, ROOT, ep, 64, VL_RIGHTS_ALL, 1), VL_DELETE_FIRST);
    CHECK_TYPE(bad, VL_CAP_NULL);
}

static void
test_cnode_move(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t d = slot_alloc();
    vl_cptr_t caps[] = {ROOT};
    vl_word_t args[] = {d, 64, ep, 64};
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_MOVE, args, 3, caps, 1, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_cnode_move(ROOT, n, 64, ROOT, ep, 64), VL_DELETE_FIRST);
    CHECK_ERR(vl_cnode_move(ROOT, d, 64, ROOT, d, 64), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_cnode_move(ROOT, d, 64, ROOT, ep, 0), VL_RANGE_ERROR);
    CHECK_TYPE(ep, VL_CAP_ENDPOINT);
    CHECK_TYPE(d, VL_CAP_NULL);
    CHECK_EQ(vl_cnode_move(ROOT, d, 64, ROOT, ep, 64), 0);
    CHECK_TYPE(d, VL_CAP_ENDPOINT);
    CHECK_TYPE(ep, VL_CAP_NULL);
    /* The moved original is still the parent: revoke of the untyped removes it. */
    CHECK_EQ(vl_cnode_revoke(ROOT, t_ut, 64), 0);
    CHECK_TYPE(d, VL_CAP_NULL);
    CHECK_TYPE(n, VL_CAP_NULL);
}

static void
test_cnode_mutate(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t c = obj_new(VL_OBJ_CNODE, 6);
    vl_cptr_t d = slot_alloc();
    vl_cptr_t caps[] = {ROOT};
    vl_word_t args[] = {d, 64, ep, 64, 0};
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_MUTATE, args, 4, caps, 1, NULL, 0), VL_TRUNCATED_MESSAGE);
    /* An invalid guard leaves the source where it was. */
    CHECK_ERR(vl_cnode_mutate(ROOT, d, 64, ROOT, c, 64, 59), VL_ILLEGAL_OPERATION);
    CHECK_TYPE(c, VL_CAP_CNODE);
    CHECK_TYPE(d, VL_CAP_NULL);
    CHECK_ERR(vl_cnode_mutate(ROOT, ep, 64, ROOT, c, 64, 58), VL_DELETE_FIRST);
    CHECK_ERR(vl_cnode_mutate(ROOT, d, 64, ROOT, d, 64, 58), VL_FAILED_LOOKUP);
    CHECK_TYPE(c, VL_CAP_CNODE);
    /* A valid guard: the cap moves and now resolves 64-bit cptrs. */
    CHECK_EQ(vl_cnode_mutate(ROOT, d, 64, ROOT, c, 64, 58), 0);
    CHECK_TYPE(c, VL_CAP_NULL);
    CHECK_EQ(vl_cnode_copy(d, 1, 64, ROOT, ep, 64, VL_RIGHTS_ALL), 0);
    /* Mutate of an endpoint keeps its badge (data ignored). */
    vl_cptr_t e2 = slot_alloc();
    CHECK_EQ(vl_cnode_mutate(ROOT, e2, 64, ROOT, ep, 64, 77), 0);
    CHECK_TYPE(e2, VL_CAP_ENDPOINT);
    CHECK_TYPE(ep, VL_CAP_NULL);
}

static void
test_cnode_rotate(void)
{
    vl_cptr_t a = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t p = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t d = slot_alloc();
    vl_cptr_t caps[] = {ROOT, ROOT};
    vl_word_t args[] = {d, 64, 0, p, 64, 0, a, 64};
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_ROTATE, args, 7, caps, 2, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_ROTATE, args, 8, caps, 1, NULL, 0), VL_TRUNCATED_MESSAGE);
    /* pivot == src, pivot == dest. */
    CHECK_ERR(vl_cnode_rotate(ROOT, d, 64, 0, ROOT, a, 64, 0, ROOT, a, 64), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_cnode_rotate(ROOT, p, 64, 0, ROOT, p, 64, 0, ROOT, a, 64), VL_ILLEGAL_OPERATION);
    /* Occupied destination. */
    vl_cptr_t x = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK_ERR(vl_cnode_rotate(ROOT, x, 64, 0, ROOT, p, 64, 0, ROOT, a, 64), VL_DELETE_FIRST);
    /* Empty source, empty pivot. */
    CHECK_ERR(vl_cnode_rotate(ROOT, d, 64, 0, ROOT, p, 64, 0, ROOT, d, 64), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[0], 1);
    vl_cptr_t e = slot_alloc();
    CHECK_ERR(vl_cnode_rotate(ROOT, d, 64, 0, ROOT, e, 64, 0, ROOT, a, 64), VL_FAILED_LOOKUP);
    CHECK_ERR(vl_cnode_rotate(ROOT, d, 64, 0, ROOT, p, 0, 0, ROOT, a, 64), VL_RANGE_ERROR);
    CHECK_TYPE(a, VL_CAP_ENDPOINT);
    CHECK_TYPE(p, VL_CAP_NOTIFICATION);
    CHECK_TYPE(d, VL_CAP_NULL);
    /* dest <- pivot, pivot <- src. */
    CHECK_EQ(vl_cnode_rotate(ROOT, d, 64, 0, ROOT, p, 64, 0, ROOT, a, 64), 0);
    CHECK_TYPE(d, VL_CAP_NOTIFICATION);
    CHECK_TYPE(p, VL_CAP_ENDPOINT);
    CHECK_TYPE(a, VL_CAP_NULL);
    /* Swap: src == dest. */
    CHECK_EQ(vl_cnode_rotate(ROOT, d, 64, 0, ROOT, p, 64, 0, ROOT, d, 64), 0);
    CHECK_TYPE(d, VL_CAP_ENDPOINT);
    CHECK_TYPE(p, VL_CAP_NOTIFICATION);
    CHECK_EQ(vl_debug_check(), 0);
}

static void
test_cnode_delete(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t d = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, d, 64, ROOT, ep, 64, VL_RIGHTS_ALL), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, d, 64), 0);
    CHECK_TYPE(d, VL_CAP_NULL);
    CHECK_TYPE(ep, VL_CAP_ENDPOINT);
    /* Deleting an empty slot succeeds. */
    CHECK_EQ(vl_cnode_delete(ROOT, d, 64), 0);
    vl_word_t args[] = {ep, 64};
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_DELETE, args, 1, NULL, 0, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_cnode_delete(ROOT, ep, 0), VL_RANGE_ERROR);
    CHECK_ERR(vl_cnode_delete(ROOT, ep, 65), VL_RANGE_ERROR);
    CHECK_ERR(vl_cnode_delete(ROOT, ep, 12), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[1], VL_LOOKUP_DEPTH_MISMATCH);
    CHECK_TYPE(ep, VL_CAP_ENDPOINT);
    CHECK_EQ(vl_cnode_delete(ROOT, ep, 64), 0);
    CHECK_TYPE(ep, VL_CAP_NULL);
    /* The memory is free again: the untyped resets. */
    vl_word_t p0 = probe_frame_paddr();
    CHECK(p0 != 0);
}

/* Revoke deletes every descendant (copies and their copies) but keeps the cap itself. */
static void
test_cnode_revoke(void)
{
    vl_cptr_t c = obj_new(VL_OBJ_CNODE, 3);
    vl_cptr_t s = slots_alloc(4);
    CHECK_EQ(vl_cnode_copy(ROOT, s, 64, ROOT, c, 64, VL_RIGHTS_ALL), 0);
    CHECK_EQ(vl_cnode_copy(ROOT, s + 1, 64, ROOT, c, 64, VL_RIGHTS_ALL), 0);
    CHECK_EQ(vl_cnode_mint(ROOT, s + 2, 64, ROOT, c, 64, VL_RIGHTS_ALL, 61 - 3 + 0), 0);
    CHECK_EQ(vl_cnode_copy(ROOT, s + 3, 64, ROOT, s + 1, 64, VL_RIGHTS_ALL), 0);
    /* Put caps inside the CNode through a copy. */
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK_EQ(vl_cnode_copy(s, 2, 3, ROOT, ep, 64, VL_RIGHTS_ALL), 0);
    CHECK_EQ(vl_cnode_revoke(ROOT, c, 64), 0);
    CHECK_TYPE(c, VL_CAP_CNODE);
    for (int i = 0; i < 4; i++) {
        CHECK_TYPE(s + i, VL_CAP_NULL);
    }
    /* The CNode's content survives (the CNode is not deleted). */
    vl_cptr_t back = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, back, 64, c, 2, 3, VL_RIGHTS_ALL), 0);
    CHECK_TYPE(back, VL_CAP_ENDPOINT);
    /* Revoking the endpoint deletes the copy inside the CNode and `back`. */
    CHECK_EQ(vl_cnode_revoke(ROOT, ep, 64), 0);
    CHECK_TYPE(back, VL_CAP_NULL);
    CHECK_ERR(vl_cnode_copy(ROOT, back, 64, c, 2, 3, VL_RIGHTS_ALL), VL_FAILED_LOOKUP);
    vl_word_t args[] = {c};
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_REVOKE, args, 1, NULL, 0, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_cnode_revoke(ROOT, c, 70), VL_RANGE_ERROR);
    CHECK_ERR(vl_cnode_revoke(ROOT, c, 8), VL_FAILED_LOOKUP);
    /* Revoking the whole tree at the untyped. */
    CHECK_EQ(vl_cnode_revoke(ROOT, t_ut, 64), 0);
    CHECK_TYPE(c, VL_CAP_NULL);
    CHECK_TYPE(ep, VL_CAP_NULL);
}

static void
test_cnode_cancel_badged_sends_errors(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t b = slot_alloc();
    vl_cptr_t weak = slot_alloc();
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    CHECK_EQ(vl_cnode_mint(ROOT, b, 64, ROOT, ep, 64, VL_RIGHTS_ALL, 5), 0);
    CHECK_EQ(vl_cnode_mint(ROOT, weak, 64, ROOT, ep, 64, VL_RIGHT_WRITE, 6), 0);
    /* Unbadged and idle: no-ops that succeed. */
    CHECK_EQ(vl_cnode_cancel_badged_sends(ROOT, ep, 64), 0);
    CHECK_EQ(vl_cnode_cancel_badged_sends(ROOT, b, 64), 0);
    CHECK_ERR(vl_cnode_cancel_badged_sends(ROOT, weak, 64), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_cnode_cancel_badged_sends(ROOT, n, 64), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_cnode_cancel_badged_sends(ROOT, slot_alloc(), 64), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_cnode_cancel_badged_sends(ROOT, b, 0), VL_RANGE_ERROR);
    vl_word_t args[] = {b};
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_CANCEL_BADGED_SENDS, args, 1, NULL, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_TYPE(b, VL_CAP_ENDPOINT);
    CHECK_TYPE(weak, VL_CAP_ENDPOINT);
}

static void
test_cnode_save_caller_errors(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    /* No caller: success, the slot stays empty. */
    vl_cptr_t d = slot_alloc();
    CHECK_EQ(vl_cnode_save_caller(ROOT, d, 64), 0);
    CHECK_TYPE(d, VL_CAP_NULL);
    CHECK_ERR(vl_cnode_save_caller(ROOT, ep, 64), VL_DELETE_FIRST);
    CHECK_ERR(vl_cnode_save_caller(ROOT, d, 0), VL_RANGE_ERROR);
    CHECK_ERR(vl_cnode_save_caller(ROOT, d, 16), VL_FAILED_LOOKUP);
    vl_word_t args[] = {d};
    CHECK_ERR(vl_invoke(ROOT, VL_CNODE_SAVE_CALLER, args, 1, NULL, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_TYPE(ep, VL_CAP_ENDPOINT);
}

/* Checks what VL_SYS_IDENTIFY reports for slot. */
#define CHECK_IDENTIFY(slot, type_, rights_, badge_)                                               \
    do {                                                                                           \
        struct vl_cap_info i_;                                                                     \
        CHECK_EQ(vl_cap_identify((slot), &i_), 0);                                                 \
        CHECK_EQ(i_.type, (type_));                                                                \
        CHECK_EQ(i_.rights, (rights_));                                                            \
        CHECK_EQ(i_.badge, (badge_));                                                              \
        CHECK_EQ(i_.lookup_failure, 0);                                                            \
    } while (0)

static vl_cptr_t identify_ep;

/* Calls identify_ep once (the test saves the reply cap) and waits for the reply. */
static void
identify_caller(vl_word_t arg)
{
    (void)arg;
    static const vl_word_t mr[VL_MSG_REGS];
    vl_call(identify_ep, 0, mr);
}

/*
 * VL_SYS_IDENTIFY: the type, rights and badge of every kind of cap the test can make, an
 * empty slot, and a cptr that names no slot (a lookup failure, not a fault).
 */
static void
test_cap_identify(void)
{
    CHECK_IDENTIFY(VL_CAP_INIT_NULL, VL_CAP_NULL, 0, 0);
    CHECK_IDENTIFY(slot_alloc(), VL_CAP_NULL, 0, 0);
    CHECK_IDENTIFY(t_ut, VL_CAP_UNTYPED, 0, 0);
    CHECK_IDENTIFY(VL_CAP_INIT_TCB, VL_CAP_TCB, 0, 0);
    CHECK_IDENTIFY(ROOT, VL_CAP_CNODE, 0, 0);
    CHECK_IDENTIFY(VL_CAP_INIT_VSPACE, VL_CAP_VSPACE, 0, 0);
    CHECK_IDENTIFY(VL_CAP_IRQ_CONTROL_SLOT, VL_CAP_IRQ_CONTROL, 0, 0);
    CHECK_IDENTIFY(VL_CAP_BOOTINFO_FRAME, VL_CAP_FRAME, VL_RIGHT_READ, 0);
    CHECK_IDENTIFY(obj_new(VL_OBJ_PAGE_TABLE, 0), VL_CAP_PAGE_TABLE, 0, 0);
    CHECK_IDENTIFY(obj_new(VL_OBJ_FRAME_4K, 0), VL_CAP_FRAME, VL_RIGHTS_ALL, 0);
    /* Endpoints and notifications: rights and badge as minted. */
    identify_ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK_IDENTIFY(identify_ep, VL_CAP_ENDPOINT, VL_RIGHTS_ALL, 0);
    vl_cptr_t b = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, b, 64, ROOT, identify_ep, 64, VL_RIGHT_WRITE, 0x1234), 0);
    CHECK_IDENTIFY(b, VL_CAP_ENDPOINT, VL_RIGHT_WRITE, 0x1234);
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t nb = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, nb, 64, ROOT, n, 64, VL_RIGHT_WRITE | VL_RIGHT_READ, 1ul << 40),
             0);
    CHECK_IDENTIFY(nb, VL_CAP_NOTIFICATION, VL_RIGHT_WRITE | VL_RIGHT_READ, 1ul << 40);
    CHECK_IDENTIFY(obj_new(VL_OBJ_CNODE, 2), VL_CAP_CNODE, 0, 0);
    CHECK_IDENTIFY(obj_new(VL_OBJ_TCB, 0), VL_CAP_TCB, 0, 0);
    /* An IRQ handler. */
    vl_cptr_t h = slot_alloc();
    CHECK_EQ(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, 5, ROOT, h, 64), 0);
    CHECK_IDENTIFY(h, VL_CAP_IRQ_HANDLER, 0, 0);
    /* A reply cap saved from a caller whose endpoint cap can grant. */
    CHECK(thread_new(identify_caller, 0, 100, 0) != NULL);
    vl_recv(identify_ep);
    vl_cptr_t r = slot_alloc();
    CHECK_EQ(vl_cnode_save_caller(ROOT, r, 64), 0);
    CHECK_IDENTIFY(r, VL_CAP_REPLY, VL_RIGHT_GRANT, 0);
    /* A cptr that names no slot: the guard of the root CNode does not match. */
    struct vl_cap_info info = {1, 1, 1, 0};
    CHECK_EQ(vl_cap_identify(1ull << 63, &info), VL_FAILED_LOOKUP);
    CHECK_EQ(info.type, VL_CAP_NULL);
    CHECK_EQ(info.rights, 0);
    CHECK_EQ(info.badge, 0);
    CHECK_EQ(info.lookup_failure, VL_LOOKUP_GUARD_MISMATCH);
    /* The raw call preserves a4 and a5. */
    vl_word_t mr[VL_MSG_REGS] = {7, 8, 9, 10};
    struct vl_msg m = vl_syscall(VL_SYS_IDENTIFY, b, 0, mr);
    CHECK_EQ(m.badge, VL_CAP_ENDPOINT);
    CHECK_EQ(m.mr[2], 9);
    CHECK_EQ(m.mr[3], 10);
}

void
cnode_tests(void)
{
    RUN(test_cap_identify);
    RUN(test_cnode_copy);
    RUN(test_cnode_copy_errors);
    RUN(test_cnode_mint);
    RUN(test_cnode_move);
    RUN(test_cnode_mutate);
    RUN(test_cnode_rotate);
    RUN(test_cnode_delete);
    RUN(test_cnode_revoke);
    RUN(test_cnode_cancel_badged_sends_errors);
    RUN(test_cnode_save_caller_errors);
}
