/*
 * IRQControl_Get, IRQHandler Ack/SetNotification/Clear, Frame_GetAddress.
 */
#include "ktest.h"

#define TEST_IRQ 5 /* a PLIC source nothing on QEMU virt raises */

static void
test_irq_control_get(void)
{
    vl_cptr_t h = slot_alloc();
    vl_cptr_t h2 = slot_alloc();
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_word_t args[] = {TEST_IRQ, h, 64};
    vl_cptr_t caps[] = {ROOT};
    CHECK_ERR(vl_invoke(VL_CAP_IRQ_CONTROL_SLOT, VL_IRQ_ISSUE_HANDLER, args, 2, caps, 1, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(VL_CAP_IRQ_CONTROL_SLOT, VL_IRQ_ISSUE_HANDLER, args, 3, caps, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(VL_CAP_IRQ_CONTROL_SLOT, VL_IRQ_ACK, args, 3, caps, 1, NULL, 0),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, 0, ROOT, h, 64), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[0], 1);
    vl_word_t max = vl_last_error.mr[1];
    CHECK(max >= TEST_IRQ && max < 1024);
    CHECK_ERR(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, max + 1, ROOT, h, 64), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[1], max);
    CHECK_ERR(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, TEST_IRQ, ROOT, ep, 64), VL_DELETE_FIRST);
    CHECK_ERR(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, TEST_IRQ, ROOT, h, 32), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[0], 0);
    CHECK_ERR(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, TEST_IRQ, ep, h, 64), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[1], VL_LOOKUP_INVALID_ROOT);
    CHECK_ERR(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, TEST_IRQ, ROOT, h, 0), VL_RANGE_ERROR);
    CHECK_TYPE(h, VL_CAP_NULL);
    CHECK_EQ(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, TEST_IRQ, ROOT, h, 64), 0);
    CHECK_TYPE(h, VL_CAP_IRQ_HANDLER);
    /* A second handler for the same IRQ. */
    CHECK_ERR(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, TEST_IRQ, ROOT, h2, 64), VL_REVOKE_FIRST);
    CHECK_TYPE(h2, VL_CAP_NULL);
    /* After deleting the handler it can be issued again. */
    CHECK_EQ(vl_cnode_delete(ROOT, h, 64), 0);
    CHECK_EQ(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, TEST_IRQ, ROOT, h2, 64), 0);
    CHECK_TYPE(h2, VL_CAP_IRQ_HANDLER);
    CHECK_EQ(vl_cnode_delete(ROOT, h2, 64), 0);
}

static void
test_irq_handler(void)
{
    vl_cptr_t h = slot_alloc();
    vl_cptr_t n = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t nro = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, nro, 64, ROOT, n, 64, VL_RIGHT_READ), 0);
    CHECK_EQ(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, TEST_IRQ, ROOT, h, 64), 0);
    CHECK_EQ(vl_irq_handler_ack(h), 0);
    CHECK_ERR(vl_invoke(h, VL_IRQ_SET_NOTIFICATION, NULL, 0, NULL, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_irq_handler_set_notification(h, ep), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_irq_handler_set_notification(h, nro), VL_INVALID_CAPABILITY);
    CHECK_ERR(vl_invoke(h, VL_IRQ_ISSUE_HANDLER, NULL, 0, NULL, 0, NULL, 0), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_irq_handler_set_notification(h, n), 0);
    CHECK_EQ(vl_debug_check(), 0);
    /* Replacing the notification, then clearing it. */
    CHECK_EQ(vl_irq_handler_set_notification(h, n), 0);
    CHECK_EQ(vl_irq_handler_clear(h), 0);
    CHECK_EQ(vl_irq_handler_clear(h), 0);
    CHECK_EQ(vl_irq_handler_set_notification(h, n), 0);
    /* Deleting the notification while it is set; then the handler. */
    CHECK_EQ(vl_cnode_revoke(ROOT, n, 64), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, n, 64), 0);
    CHECK_EQ(vl_debug_check(), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, h, 64), 0);
    CHECK_TYPE(h, VL_CAP_NULL);
}

static void
test_frame_get_address(void)
{
    vl_word_t pa = 0, va = 0;
    CHECK_EQ(vl_frame_get_address(VL_CAP_INIT_IPC_BUFFER, &pa, &va), 0);
    CHECK_EQ(va, g_bi->ipc_buffer & ~(VL_PAGE_SIZE - 1));
    CHECK(pa != 0 && (pa & (VL_PAGE_SIZE - 1)) == 0);
    /* A copy of a mapped frame is not mapped. */
    vl_cptr_t c = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, c, 64, ROOT, VL_CAP_INIT_IPC_BUFFER, 64, VL_RIGHTS_ALL), 0);
    vl_word_t pa2, va2;
    CHECK_EQ(vl_frame_get_address(c, &pa2, &va2), 0);
    CHECK_EQ(pa2, pa);
    CHECK_EQ(va2, 0);
    /* A new frame: unmapped, inside the test untyped, page aligned. */
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t f2 = obj_new(VL_OBJ_FRAME_4K, 0);
    CHECK_EQ(vl_frame_get_address(f, &pa, &va), 0);
    CHECK_EQ(va, 0);
    CHECK_EQ(vl_frame_get_address(f2, &pa2, &va2), 0);
    CHECK_EQ(pa2, pa + VL_PAGE_SIZE);
    /* Other frame operations are not available; the untyped is not a frame. */
    CHECK_ERR(vl_invoke(f, 12345, NULL, 0, NULL, 0, NULL, 0), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_invoke(t_ut, VL_FRAME_GET_ADDRESS, NULL, 0, NULL, 0, NULL, 0),
              VL_ILLEGAL_OPERATION);
}

void
irq_tests(void)
{
    RUN(test_irq_control_get);
    RUN(test_irq_handler);
    RUN(test_frame_get_address);
}
