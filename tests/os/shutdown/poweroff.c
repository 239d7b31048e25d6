/*
 * A first task that only powers the machine off through its Shutdown cap with status 42:
 * `make shutdown-test` checks that QEMU exits with 42 (the cap reaches the exit status).
 */
#include <stdio.h>
#include <vallum/sys.h>

void vl_start(const struct vl_bootinfo *bi);

void
vl_start(const struct vl_bootinfo *bi)
{
    vl_ipc_buffer = (struct vl_ipc_buffer *)bi->ipc_buffer;
    int err = vl_shutdown_power_off(VL_CAP_SHUTDOWN_SLOT, 42);
    printf("poweroff: Shutdown_PowerOff returned %s\n", vl_error_name(err));
    for (;;) {
        vl_yield();
    }
}
