/*
 * Shutdown: the capability a system description grants to the component allowed to end
 * the system. The kernel makes one, in the first task's slot VL_CAP_SHUTDOWN_SLOT; it
 * names no object, so copies are all alike (a badge or rights mask means nothing).
 */
#include "object/shutdown.h"

#include <vallum/invocation.h>

#include "api/failures.h"
#include "api/invocation.h"
#include "arch/machine.h"

exception_t
decode_shutdown_invocation(struct invocation *inv)
{
    switch (inv->label) {
    case VL_SHUTDOWN_POWER_OFF: {
        if (inv->length < 1) {
            return syscall_error(VL_TRUNCATED_MESSAGE);
        }
        word_t status = inv_arg(inv, 0);
        if (status > VL_SHUTDOWN_MAX_STATUS) {
            return syscall_error_range(0, VL_SHUTDOWN_MAX_STATUS);
        }
        arch_power_off(status);
    }
    case VL_SHUTDOWN_RESET:
        arch_reset();
    default:
        return syscall_error(VL_ILLEGAL_OPERATION);
    }
}
