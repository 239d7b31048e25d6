/*
 * The console device (`console: true` on a device entry; docs/system-description.md): the
 * kernel signals its log on channel id VL_COMP_CONSOLE_LOG_CHANNEL of the driver, so the
 * description may not use that id there.
 */
#include "vlsys.h"

#include <vallum/component.h>

/* Reports end if it uses the reserved channel id in the console driver. */
static void
check_end(const struct vlsys_system *sys, const struct vlsys_end *end)
{
    if (end->is_valid && end->id == VL_COMP_CONSOLE_LOG_CHANNEL &&
        end->component == sys->console_driver) {
        diag_error(end->id_line,
                   "channel id %d is reserved in '%s': it drives the console, and the kernel "
                   "signals its log there",
                   VL_COMP_CONSOLE_LOG_CHANNEL,
                   VEC_AT(&sys->components, struct vlsys_component, end->component)->name);
    }
}

void
console_check(const struct vlsys_system *sys)
{
    if (sys->console_line == 0 || sys->console_driver < 0) {
        return;
    }
    for (size_t i = 0; i < sys->channels.count; i++) {
        const struct vlsys_channel *ch = VEC_AT(&sys->channels, struct vlsys_channel, i);
        check_end(sys, &ch->a);
        check_end(sys, &ch->b);
    }
    for (size_t i = 0; i < sys->irqs.count; i++) {
        check_end(sys, &VEC_AT(&sys->irqs, struct vlsys_irq, i)->end);
    }
}
