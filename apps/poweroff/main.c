/*
 * poweroff: tries to power the machine off through the Shutdown cap the system description
 * may have granted (`shutdown: true`, slot VL_COMP_SLOT_SHUTDOWN), with exit status 42.
 * Without the grant the slot is empty: invoking it is a capability fault, which init (the
 * component's fault handler) reports (systems/shutdown).
 */
#include <stdio.h>
#include <vallum/component.h>
#include <vallum/os.h>
#include <vallum/sys.h>

void
init(void)
{
    const char *name = vl_os_name();
    printf("%s: powering off\n", name);
    int err = vl_shutdown_power_off(VL_COMP_SLOT_SHUTDOWN, 42);
    printf("%s: power off refused: %s\n", name, vl_error_name(err));
}
