/*
 * init: the console device (`console: true`, VL_REGION_CONSOLE). The UART's page is in no
 * device untyped: init takes it from the kernel with IRQControl_TakeConsole, which it alone
 * holds, and gives the driver a copy of the frame cap (VL_COMP_SLOT_CONSOLE), its mapping
 * (like any device region) and the kernel log's signal on channel id
 * VL_COMP_CONSOLE_LOG_CHANNEL. The driver never gets IRQControl.
 *
 * From the take on, the kernel writes its output (init's own printf included) into the
 * kernel log until the driver drains it; init keeps its original of the frame cap, so the
 * console stays with the driver across the driver's restarts and the log bridges them.
 */
#include "init.h"

#include <stdio.h>

vl_cptr_t g_console_frame;   /* init's original of the UART's frame cap, 0 if no console */
int g_console_driver = -1;   /* the driver's component index */
static vl_cptr_t log_signal; /* the driver's notification, badge 1 << the log channel */

int
console_take(const struct vl_sysimg_region *reg, vl_cptr_t dest)
{
    int err = vl_console_take(VL_CAP_IRQ_CONTROL_SLOT, ROOT, dest, INIT_DEPTH);
    if (err != 0) {
        return err;
    }
    vl_word_t paddr = 0, vaddr = 0;
    err = vl_frame_get_address(dest, &paddr, &vaddr);
    if (err == 0 && paddr != reg->paddr) {
        /* Give it back at once: the kernel prints the log, so this message is seen. */
        vl_cnode_delete(ROOT, dest, INIT_DEPTH);
        printf("init: region '%s': the console UART is at 0x%lx, not 0x%lx\n",
               image_string(&g_img, reg->name), (unsigned long)paddr, (unsigned long)reg->paddr);
        return VL_RANGE_ERROR;
    }
    g_console_frame = dest;
    return err;
}

int
console_connect(void)
{
    if (g_console_frame == 0) {
        return 0;
    }
    /* Its driver: the one component the console region is mapped into (image.c). */
    for (uint64_t m = 0; m < g_img.nmaps; m++) {
        if (g_img.regions[g_img.maps[m].region].kind == VL_REGION_CONSOLE) {
            g_console_driver = (int)g_img.maps[m].component;
        }
    }
    log_signal = alloc_slots(1);
    if (log_signal == 0) {
        return VL_NOT_ENOUGH_MEMORY;
    }
    int err = vl_cnode_mint(ROOT, log_signal, INIT_DEPTH, ROOT, g_comps[g_console_driver].ntfn,
                            INIT_DEPTH, VL_RIGHT_WRITE, 1ull << VL_COMP_CONSOLE_LOG_CHANNEL);
    if (err == 0) {
        err = vl_console_set_log_notification(g_console_frame, log_signal);
    }
    return err;
}
