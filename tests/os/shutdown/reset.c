/*
 * A first task that only resets the machine through its Shutdown cap: `make shutdown-test`
 * boots it with -no-reboot, so QEMU exits (status 0) when the machine resets.
 */
#include <stdio.h>
#include <vallum/sys.h>

void vl_start(const struct vl_bootinfo *bi);

void
vl_start(const struct vl_bootinfo *bi)
{
    vl_ipc_buffer = (struct vl_ipc_buffer *)bi->ipc_buffer;
    int err = vl_shutdown_reset(VL_CAP_SHUTDOWN_SLOT);
    printf("reset: Shutdown_Reset returned %s\n", vl_error_name(err));
    for (;;) {
        vl_yield();
    }
}
