/*
 * The `fault_handler` key (docs/faults.md): which component's fault() decides about a
 * component's faults. Names are resolved once every component is known, since a handler may
 * be listed after the components it handles.
 */
#include "vlsys.h"

#include <stdio.h>
#include <string.h>

static struct vlsys_component *
comp_at(const struct vlsys_system *sys, int i)
{
    return VEC_AT(&sys->components, struct vlsys_component, i);
}

static int
find(const struct vlsys_system *sys, const char *name)
{
    for (size_t i = 0; i < sys->components.count; i++) {
        if (strcmp(comp_at(sys, (int)i)->name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/*
 * Reports a cycle through component i, once: at the component of the cycle that comes first
 * in the file, with the names along it ("a -> b -> a").
 */
static void
report_cycle(const struct vlsys_system *sys, int i)
{
    int n = (int)sys->components.count;
    int at = i;
    for (int steps = 0; steps < n; steps++) {
        at = comp_at(sys, at)->fault_handler;
        if (at < i) {
            return; /* reported from the earlier one */
        }
        if (at == i) {
            break;
        }
    }
    char path[(VL_SYSIMG_MAX_NAME + 4) * (VL_SYSIMG_MAX_COMPONENTS + 1)] = "";
    size_t len = 0;
    at = i;
    do {
        len += (size_t)snprintf(path + len, sizeof(path) - len, "%s -> ", comp_at(sys, at)->name);
        at = comp_at(sys, at)->fault_handler;
    } while (at != i);
    snprintf(path + len, sizeof(path) - len, "%s", comp_at(sys, i)->name);
    diag_error(comp_at(sys, i)->fault_handler_line, "fault handlers form a cycle: %s", path);
}

/* Whether following the handlers from component i comes back to i. */
static bool
is_on_cycle(const struct vlsys_system *sys, int i)
{
    int at = i;
    for (size_t steps = 0; steps < sys->components.count; steps++) {
        at = comp_at(sys, at)->fault_handler;
        if (at < 0) {
            return false;
        }
        if (at == i) {
            return true;
        }
    }
    return false;
}

void
faults_resolve(struct vlsys_system *sys)
{
    for (size_t i = 0; i < sys->components.count; i++) {
        struct vlsys_component *c = comp_at(sys, (int)i);
        c->fault_handler = -1;
        if (c->fault_handler_name[0] == '\0') {
            continue;
        }
        int h = find(sys, c->fault_handler_name);
        if (h < 0) {
            const char *near = nearest_component(sys, c->fault_handler_name);
            diag_error(c->fault_handler_line, "unknown component '%s' as fault handler%s%s%s",
                       c->fault_handler_name, near ? " (did you mean '" : "", near ? near : "",
                       near ? "'?)" : "");
        } else if (h == (int)i) {
            diag_error(c->fault_handler_line,
                       "'%s' cannot be its own fault handler: a handler that faulted could "
                       "not answer",
                       c->name);
        } else {
            c->fault_handler = h;
        }
    }
    for (size_t i = 0; i < sys->components.count; i++) {
        if (is_on_cycle(sys, (int)i)) {
            report_cycle(sys, (int)i);
        }
    }
}

/* Whether component i is some component's fault handler. */
static bool
is_handler(const struct vlsys_system *sys, int i)
{
    for (size_t j = 0; j < sys->components.count; j++) {
        if (comp_at(sys, (int)j)->fault_handler == i) {
            return true;
        }
    }
    return false;
}

/* Reports end if it uses the reserved channel id in a fault handler. */
static void
check_end(const struct vlsys_system *sys, const struct vlsys_end *end)
{
    if (end->is_valid && end->id == VL_COMP_FAULT_CHANNEL && is_handler(sys, end->component)) {
        diag_error(end->id_line,
                   "channel id %d is reserved in '%s': it is a fault handler, and init signals "
                   "its faults there",
                   VL_COMP_FAULT_CHANNEL, comp_at(sys, end->component)->name);
    }
}

void
faults_check(const struct vlsys_system *sys)
{
    for (size_t i = 0; i < sys->channels.count; i++) {
        const struct vlsys_channel *ch = VEC_AT(&sys->channels, struct vlsys_channel, i);
        check_end(sys, &ch->a);
        check_end(sys, &ch->b);
    }
    for (size_t i = 0; i < sys->irqs.count; i++) {
        check_end(sys, &VEC_AT(&sys->irqs, struct vlsys_irq, i)->end);
    }
}
