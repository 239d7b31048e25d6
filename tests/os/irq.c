/*
 * IRQControl_Get, IRQHandler Ack/SetNotification/Clear, Frame_GetAddress.
 */
#include "ktest.h"

#include <string.h>

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

/*
 * The console UART handed to a user-level driver (here the test itself): it gets the
 * UART's page as a device frame and writes to the UART directly; meanwhile the kernel's
 * output (a debug put-char) collects in the kernel log, which the driver reads; deleting
 * the last cap to the page gives the console back to the kernel.
 */
static void
test_console_handover(void)
{
    vl_cptr_t frame = slot_alloc(), copy = slot_alloc(), other = slot_alloc();
    CHECK(frame != 0 && copy != 0 && other != 0);
    CHECK_ERR(vl_console_take(VL_CAP_INIT_CNODE, ROOT, frame, 64), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_console_take(VL_CAP_IRQ_CONTROL_SLOT, ROOT, frame, 64), 0);
    CHECK_TYPE(frame, VL_CAP_FRAME);
    CHECK_ERR(vl_console_take(VL_CAP_IRQ_CONTROL_SLOT, ROOT, other, 64), VL_REVOKE_FIRST);
    CHECK_TYPE(other, VL_CAP_NULL);
    char buf[64];
    vl_word_t n = 99;
    CHECK_EQ(vl_console_read_log(VL_CAP_IRQ_CONTROL_SLOT, buf, sizeof(buf), &n), 0);
    CHECK_EQ(n, 0);
    /* Kernel output now goes to the log, not the UART. */
    vl_debug_puts("klog-test");
    CHECK_EQ(vl_console_read_log(VL_CAP_IRQ_CONTROL_SLOT, buf, 5, &n), 0);
    CHECK_EQ(n, 5);
    CHECK(memcmp(buf, "klog-", 5) == 0);
    CHECK_EQ(vl_console_read_log(VL_CAP_IRQ_CONTROL_SLOT, buf, sizeof(buf), &n), 0);
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf, "test", 4) == 0);
    /* The driver needs no IRQControl: the frame cap drains the log, and the kernel signals
     * a notification it registers there when output goes in (on the way out of the call
     * that printed, so a poll right after sees it). */
    vl_cptr_t ntfn = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t badged = slot_alloc(), ro = slot_alloc();
    CHECK(ntfn != 0 && badged != 0 && ro != 0);
    CHECK_EQ(vl_cnode_mint(ROOT, badged, 64, ROOT, ntfn, 64, VL_RIGHT_WRITE, 0x20), 0);
    CHECK_ERR(vl_console_set_log_notification(frame, VL_CAP_IRQ_CONTROL_SLOT),
              VL_INVALID_CAPABILITY);
    CHECK_ERR(vl_console_set_log_notification(VL_CAP_IRQ_CONTROL_SLOT, badged),
              VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_cnode_copy(ROOT, ro, 64, ROOT, frame, 64, VL_RIGHT_READ), 0);
    CHECK_ERR(vl_console_set_log_notification(ro, badged), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_console_read_log(ro, buf, sizeof(buf), &n), VL_ILLEGAL_OPERATION);
    CHECK_EQ(vl_cnode_delete(ROOT, ro, 64), 0);
    CHECK_EQ(vl_console_set_log_notification(frame, badged), 0);
    CHECK_EQ(vl_poll(ntfn), 0); /* the log is empty */
    vl_debug_puts("via-frame");
    CHECK_EQ(vl_poll(ntfn), 0x20);
    CHECK_EQ(vl_console_read_log(frame, buf, sizeof(buf), &n), 0);
    CHECK_EQ(n, 9);
    CHECK(memcmp(buf, "via-frame", 9) == 0);
    CHECK_EQ(vl_poll(ntfn), 0); /* reading the log is no output */
    /* The driver writes to the UART itself (an NS16550: transmit register at 0). */
    vl_word_t va = 0x2000000000ul;
    CHECK_EQ(map_page(VL_CAP_INIT_VSPACE, frame, va, VL_RIGHT_READ | VL_RIGHT_WRITE, 1), 0);
    volatile uint8_t *uart = (volatile uint8_t *)va;
    for (const char *p = "uart driver: hello\n"; *p != '\0'; p++) {
        while (!(uart[5] & 0x20)) {
        }
        uart[0] = (uint8_t)*p;
    }
    /* A copy keeps the console with the driver; the last cap gives it back, and pending
     * kernel output goes out first. */
    CHECK_EQ(vl_cnode_copy(ROOT, copy, 64, ROOT, frame, 64, VL_RIGHTS_ALL), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, frame, 64), 0);
    CHECK_ERR(vl_console_take(VL_CAP_IRQ_CONTROL_SLOT, ROOT, other, 64), VL_REVOKE_FIRST);
    vl_debug_puts("[pending kernel output, printed when the console comes back]\n");
    CHECK_EQ(vl_cnode_delete(ROOT, copy, 64), 0);
    CHECK_EQ(vl_console_read_log(VL_CAP_IRQ_CONTROL_SLOT, buf, sizeof(buf), &n), 0);
    CHECK_EQ(n, 0);
    /* The kernel has it again: a driver may take it anew. */
    CHECK_EQ(vl_console_take(VL_CAP_IRQ_CONTROL_SLOT, ROOT, other, 64), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, other, 64), 0);
}

void
irq_tests(void)
{
    RUN(test_irq_control_get);
    RUN(test_irq_handler);
    RUN(test_frame_get_address);
    RUN(test_console_handover);
}
