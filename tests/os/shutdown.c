/*
 * The Shutdown cap (slot VL_CAP_SHUTDOWN_SLOT of the first task): every error of
 * Shutdown_PowerOff and Shutdown_Reset, copies and mints. The success path ends the run:
 * ktest itself ends through Shutdown_PowerOff (main.c), and the "poweroff" step of
 * make test checks that a status other than 0 reaches QEMU's exit status.
 */
#include "ktest.h"

#define SD VL_CAP_SHUTDOWN_SLOT

static void
test_shutdown_errors(void)
{
    CHECK_TYPE(SD, VL_CAP_SHUTDOWN);
    vl_word_t args[] = {VL_SHUTDOWN_MAX_STATUS + 1};
    CHECK_ERR(vl_invoke(SD, VL_SHUTDOWN_POWER_OFF, args, 0, NULL, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_shutdown_power_off(SD, VL_SHUTDOWN_MAX_STATUS + 1), VL_RANGE_ERROR);
    CHECK_EQ(vl_last_error.mr[0], 0);
    CHECK_EQ(vl_last_error.mr[1], VL_SHUTDOWN_MAX_STATUS);
    CHECK_ERR(vl_shutdown_power_off(SD, ~0ull), VL_RANGE_ERROR);
    /* Labels that name no Shutdown operation. */
    static const vl_word_t bad[] = {0, VL_SHUTDOWN_POWER_OFF - 1, VL_SHUTDOWN_RESET + 1,
                                    VL_CNODE_COPY, 99};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_ERR(vl_invoke(SD, bad[i], args, 1, NULL, 0, NULL, 0), VL_ILLEGAL_OPERATION);
    }
    /* Caps of other types do not shut down. */
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    CHECK_ERR(vl_shutdown_power_off(tcb, 0), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_shutdown_reset(tcb), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_shutdown_power_off(VL_CAP_IRQ_CONTROL_SLOT, 0), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_shutdown_reset(ROOT), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_shutdown_power_off(t_ut, 0), VL_ILLEGAL_OPERATION);
    CHECK_TYPE(SD, VL_CAP_SHUTDOWN);
}

static void
test_shutdown_copy(void)
{
    /* A copy is a Shutdown cap like the original; a mint's badge and rights change
     * nothing (the cap has neither); it cannot be retyped or mapped. */
    vl_cptr_t c = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, c, 64, ROOT, SD, 64, VL_RIGHT_READ), 0);
    struct vl_cap_info info;
    CHECK_EQ(vl_cap_identify(c, &info), 0);
    CHECK_EQ(info.type, VL_CAP_SHUTDOWN);
    CHECK_EQ(info.rights, 0);
    CHECK_EQ(info.badge, 0);
    vl_cptr_t m = slot_alloc();
    CHECK_EQ(vl_cnode_mint(ROOT, m, 64, ROOT, c, 64, 0, 77), 0);
    CHECK_EQ(vl_cap_identify(m, &info), 0);
    CHECK_EQ(info.type, VL_CAP_SHUTDOWN);
    CHECK_EQ(info.badge, 0);
    CHECK_ERR(vl_shutdown_power_off(m, 256), VL_RANGE_ERROR);
    CHECK_ERR(vl_untyped_retype(m, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, slot_alloc(), 1),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_frame_map(m, VL_CAP_INIT_VSPACE, 0x10000000, VL_RIGHTS_ALL, 0),
              VL_ILLEGAL_OPERATION);
    /* Revoking the original deletes the copies, not the original. */
    CHECK_EQ(vl_cnode_revoke(ROOT, SD, 64), 0);
    CHECK_TYPE(c, VL_CAP_NULL);
    CHECK_TYPE(m, VL_CAP_NULL);
    CHECK_TYPE(SD, VL_CAP_SHUTDOWN);
}

void
shutdown_tests(void)
{
    RUN(test_shutdown_errors);
    RUN(test_shutdown_copy);
}
