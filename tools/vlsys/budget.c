/*
 * The keys `budget` and `period` of a component: its thread runs at most `budget`
 * microseconds in any `period` microseconds (a scheduling context, docs/kernel/scheduling.md).
 * Without them it gets a full share. Admission: the shares given explicitly add up to at
 * most the whole processor, so every component can have its budget in every period.
 */
#include "vlsys.h"

/* A share in millionths of the processor, rounded up (init counts the same way). */
static uint64_t
share_ppm(uint64_t budget, uint64_t period)
{
    return (budget * 1000000 + period - 1) / period;
}

/* Checks one component's pair; returns true if it is given and valid. */
static bool
check_pair(const struct vlsys_component *comp)
{
    if ((comp->budget_line == 0 && comp->period_line == 0) || comp->budget_line < 0 ||
        comp->period_line < 0) {
        return false; /* none, or one already reported as no integer */
    }
    if (comp->period_line == 0) {
        diag_error(comp->budget_line, "'budget' needs 'period' (component '%s')", comp->name);
        return false;
    }
    if (comp->budget_line == 0) {
        diag_error(comp->period_line, "'period' needs 'budget' (component '%s')", comp->name);
        return false;
    }
    if (comp->period_us < VL_SYSIMG_MIN_BUDGET_US || comp->period_us > VL_SYSIMG_MAX_PERIOD_US) {
        diag_error(comp->period_line, "period %llu us out of range %d..%d",
                   (unsigned long long)comp->period_us, VL_SYSIMG_MIN_BUDGET_US,
                   VL_SYSIMG_MAX_PERIOD_US);
        return false;
    }
    if (comp->budget_us < VL_SYSIMG_MIN_BUDGET_US || comp->budget_us > comp->period_us) {
        diag_error(comp->budget_line, "budget %llu us out of range %d..%llu (the period)",
                   (unsigned long long)comp->budget_us, VL_SYSIMG_MIN_BUDGET_US,
                   (unsigned long long)comp->period_us);
        return false;
    }
    return true;
}

void
budget_check(const struct vlsys_system *sys)
{
    uint64_t total = 0;
    bool over = false;
    for (size_t i = 0; i < sys->components.count; i++) {
        const struct vlsys_component *c = VEC_AT(&sys->components, struct vlsys_component, i);
        if (!check_pair(c)) {
            continue;
        }
        total += share_ppm(c->budget_us, c->period_us);
        if (total > 1000000 && !over) {
            diag_error(c->budget_line,
                       "budgets over-committed: with '%s' the components' budget/period add "
                       "up to more than 1 (%llu millionths)",
                       c->name, (unsigned long long)total);
            over = true;
        }
    }
}
