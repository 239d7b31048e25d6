/*
 * init: builds the system whose image is linked in (sysimage.S) and supervises it.
 */
#include "init.h"

#include <stdio.h>

extern const char vl_sysimg_start[], vl_sysimg_end[];

void
init_run_system(const struct vl_bootinfo *bi)
{
    uint64_t size = (uint64_t)(vl_sysimg_end - vl_sysimg_start);
    if (image_check(vl_sysimg_start, size, &g_img) != 0) {
        vl_debug_halt(3);
    }
    build_set_timebase(bi->timebase_hz);
    printf("init: building system %s: %lu components, %lu regions, %lu channels\n", g_img.name,
           (unsigned long)g_img.ncomps, (unsigned long)g_img.nregions,
           (unsigned long)g_img.nchannels);
    if (alloc_init(bi) != 0 || build_system() != 0) {
        vl_debug_halt(4);
    }
    printf("init: kernel invariants %s after building\n", init_invariants(vl_debug_check()));
    printf("init: memory in use %lu bytes\n", (unsigned long)alloc_memory_in_use());
    printf("init: system %s running\n", g_img.name);
    supervise();
}
