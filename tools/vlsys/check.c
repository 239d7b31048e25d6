/*
 * Cross-entity checks of a parsed system description: address-space layout of each
 * component, device sharing, channel ids, protected-call priorities and cycles.
 */
#include "vlsys.h"

#include <stdio.h>
#include <string.h>

/* A range of a component's address space, for the overlap check. */
struct area {
    uint64_t lo;
    uint64_t hi;   /* exclusive */
    char desc[96]; /* "region 'ring' at [a, b)", "the stack area [a, b)" */
    int line;      /* where an overlap with a later area is reported; 0 for fixed areas */
};

#define MAX_FIXED_AREAS 5

static const struct vlsys_component *
component_at(const struct vlsys_system *sys, int i)
{
    return VEC_AT(&sys->components, struct vlsys_component, i);
}

static void
set_area(struct area *a, uint64_t lo, uint64_t hi, const char *what, int line)
{
    a->lo = lo;
    a->hi = hi;
    a->line = line;
    snprintf(a->desc, sizeof(a->desc), "%s [0x%llx, 0x%llx)", what, (unsigned long long)lo,
             (unsigned long long)hi);
}

/*
 * Fills areas[] with the fixed parts of component ci's address space: program image, heap
 * area, stack area and the reserved top. Returns how many; reports a stack or heap too large
 * to place.
 */
static size_t
fixed_areas(const struct vlsys_system *sys, const struct vlsys_component *comp, struct area *areas)
{
    size_t n = 0;
    if (!comp->is_layout_valid) {
        return 0;
    }
    if (comp->stack > VLSYS_STACK_TOP - VLSYS_GUARD) {
        diag_error(comp->stack_line,
                   "'stack' 0x%llx is too large: at most 0x%llx (the stack and its guard page "
                   "end at 0x%llx)",
                   (unsigned long long)comp->stack,
                   (unsigned long long)(VLSYS_STACK_TOP - VLSYS_GUARD),
                   (unsigned long long)VLSYS_STACK_TOP);
        return 0;
    }
    if (comp->heap > VLSYS_USER_TOP) {
        diag_error(comp->heap_line,
                   "'heap' 0x%llx is too large: at most 0x%llx (the user address limit), less "
                   "the program, stack and guard pages",
                   (unsigned long long)comp->heap, (unsigned long long)VLSYS_USER_TOP);
        return 0;
    }
    const struct vlsys_program *p = NULL;
    if (comp->program >= 0) {
        p = VEC_AT(&sys->programs, struct vlsys_program, comp->program);
    }
    if (p != NULL && p->is_valid) {
        set_area(&areas[n++], p->lo, p->hi, "the program image", comp->line);
        if (comp->heap > 0) {
            set_area(&areas[n++], p->hi, p->hi + VLSYS_GUARD + comp->heap, "the heap area",
                     comp->line);
        }
    }
    set_area(&areas[n++], VLSYS_STACK_TOP - VLSYS_GUARD - comp->stack, VLSYS_STACK_TOP,
             "the stack area", comp->line);
    set_area(&areas[n++], VLSYS_STACK_TOP, VLSYS_USER_TOP, "the reserved area", comp->line);
    if (comp->untyped_bits != 0) {
        set_area(&areas[n++], VL_COMP_VADDR_WINDOW_START, VL_COMP_VADDR_WINDOW_END,
                 "the runtime window", comp->line);
    }
    return n;
}

/* Checks that nothing overlaps in component ci's address space. */
static void
check_layout(const struct vlsys_system *sys, int ci)
{
    const struct vlsys_component *comp = component_at(sys, ci);
    struct area fixed[MAX_FIXED_AREAS];
    size_t nfixed = fixed_areas(sys, comp, fixed);
    for (size_t i = 0; i < nfixed; i++) {
        for (size_t j = i + 1; j < nfixed; j++) {
            if (fixed[i].lo < fixed[j].hi && fixed[j].lo < fixed[i].hi) {
                diag_error(comp->line, "in component '%s', %s overlaps %s", comp->name,
                           fixed[i].desc, fixed[j].desc);
            }
        }
    }
    struct vlsys_vec maps = {0};
    for (size_t k = 0; k < sys->maps.count; k++) {
        const struct vlsys_map *m = VEC_AT(&sys->maps, struct vlsys_map, k);
        const struct vlsys_region *r = VEC_AT(&sys->regions, struct vlsys_region, m->region);
        if (m->component != ci || !m->is_valid || !r->is_valid) {
            continue;
        }
        if (r->size > VLSYS_USER_TOP - m->vaddr) {
            diag_error(m->line,
                       "region '%s' mapped at 0x%llx (size 0x%llx) ends above the user "
                       "address limit 0x%llx",
                       r->name, (unsigned long long)m->vaddr, (unsigned long long)r->size,
                       (unsigned long long)VLSYS_USER_TOP);
            continue;
        }
        char what[48];
        snprintf(what, sizeof(what), "region '%s' at", r->name);
        struct area *a = vec_push(&maps, sizeof(*a));
        set_area(a, m->vaddr, m->vaddr + r->size, what, m->line);
        for (size_t i = 0; i < nfixed; i++) {
            if (a->lo < fixed[i].hi && fixed[i].lo < a->hi) {
                diag_error(a->line, "in component '%s', %s overlaps %s", comp->name, a->desc,
                           fixed[i].desc);
            }
        }
        for (size_t i = 0; i + 1 < maps.count; i++) {
            const struct area *b = VEC_AT(&maps, struct area, i);
            if (a->lo < b->hi && b->lo < a->hi) {
                diag_error(a->line, "in component '%s', %s overlaps %s", comp->name, a->desc,
                           b->desc);
            }
        }
    }
    vec_free(&maps);
}

/* Checks that no two device regions overlap and none is given to two drivers. */
static void
check_devices(const struct vlsys_system *sys)
{
    for (size_t j = 0; j < sys->regions.count; j++) {
        const struct vlsys_region *b = VEC_AT(&sys->regions, struct vlsys_region, j);
        if (b->kind == VL_REGION_RAM || !b->is_valid || !b->paddr_valid) {
            continue;
        }
        for (size_t i = 0; i < j; i++) {
            const struct vlsys_region *a = VEC_AT(&sys->regions, struct vlsys_region, i);
            if (a->kind == VL_REGION_RAM || !a->is_valid || !a->paddr_valid ||
                !(a->paddr < b->paddr + b->size && b->paddr < a->paddr + a->size)) {
                continue;
            }
            if (a->paddr == b->paddr && a->size == b->size && a->device != b->device &&
                a->device >= 0 && b->device >= 0) {
                diag_error(b->line,
                           "device region [0x%llx, 0x%llx) given to two drivers: '%s' and '%s'",
                           (unsigned long long)b->paddr, (unsigned long long)(b->paddr + b->size),
                           component_at(sys, a->device)->name, component_at(sys, b->device)->name);
            } else {
                diag_error(b->line,
                           "device regions '%s' [0x%llx, 0x%llx) and '%s' [0x%llx, 0x%llx) overlap",
                           a->name, (unsigned long long)a->paddr,
                           (unsigned long long)(a->paddr + a->size), b->name,
                           (unsigned long long)b->paddr, (unsigned long long)(b->paddr + b->size));
            }
        }
    }
    for (size_t j = 0; j < sys->irqs.count; j++) {
        const struct vlsys_irq *b = VEC_AT(&sys->irqs, struct vlsys_irq, j);
        for (size_t i = 0; i < j && b->is_valid; i++) {
            const struct vlsys_irq *a = VEC_AT(&sys->irqs, struct vlsys_irq, i);
            if (!a->is_valid || a->number != b->number || a->end.component < 0 ||
                b->end.component < 0) {
                continue;
            }
            if (a->end.component != b->end.component) {
                diag_error(b->line, "interrupt %llu given to two drivers: '%s' and '%s'",
                           (unsigned long long)b->number, component_at(sys, a->end.component)->name,
                           component_at(sys, b->end.component)->name);
            } else {
                diag_error(b->line, "interrupt %llu given twice to '%s'",
                           (unsigned long long)b->number,
                           component_at(sys, b->end.component)->name);
            }
            break;
        }
    }
}

/* Appends the valid channel ends and irq ids of sys to ends. */
static void
collect_ends(const struct vlsys_system *sys, struct vlsys_vec *ends)
{
    for (size_t i = 0; i < sys->channels.count; i++) {
        const struct vlsys_channel *ch = VEC_AT(&sys->channels, struct vlsys_channel, i);
        if (ch->a.is_valid) {
            *(struct vlsys_end *)vec_push(ends, sizeof(ch->a)) = ch->a;
        }
        if (ch->b.is_valid) {
            *(struct vlsys_end *)vec_push(ends, sizeof(ch->b)) = ch->b;
        }
    }
    for (size_t i = 0; i < sys->irqs.count; i++) {
        const struct vlsys_irq *irq = VEC_AT(&sys->irqs, struct vlsys_irq, i);
        if (irq->end.is_valid) {
            *(struct vlsys_end *)vec_push(ends, sizeof(irq->end)) = irq->end;
        }
    }
}

/* Reports every channel id used more than once in a component, at each later use. */
static void
check_channel_ids(const struct vlsys_system *sys)
{
    struct vlsys_vec ends = {0};
    collect_ends(sys, &ends);
    for (size_t j = 0; j < ends.count; j++) {
        const struct vlsys_end *b = VEC_AT(&ends, struct vlsys_end, j);
        const struct vlsys_end *first = NULL;
        for (size_t i = 0; i < ends.count; i++) {
            const struct vlsys_end *a = VEC_AT(&ends, struct vlsys_end, i);
            bool is_earlier = a->id_line < b->id_line || (a->id_line == b->id_line && i < j);
            if (a->component == b->component && a->id == b->id && is_earlier &&
                (first == NULL || a->id_line < first->id_line)) {
                first = a;
            }
        }
        if (first != NULL) {
            diag_error(b->id_line, "channel id %llu used twice in '%s' (first at line %d)",
                       (unsigned long long)b->id, component_at(sys, b->component)->name,
                       first->id_line);
        }
    }
    vec_free(&ends);
}

/* Depth-first search state for the call-cycle check. */
struct dfs {
    const struct vlsys_system *sys;
    unsigned char color[VL_SYSIMG_MAX_COMPONENTS + 1]; /* 0 new, 1 on the path, 2 done */
    int path[VL_SYSIMG_MAX_COMPONENTS + 1];
    int depth;
};

/* Returns whether channel ch is a protected call that takes part in the cycle check. */
static bool
is_call_edge(const struct vlsys_channel *ch)
{
    return ch->kind == VL_CHANNEL_CALL && ch->a.component >= 0 && ch->b.component >= 0 &&
           ch->a.component != ch->b.component;
}

/* Visits component u; reports a cycle for every call edge back onto the current path. */
static void
dfs_visit(struct dfs *d, int u)
{
    const struct vlsys_system *sys = d->sys;
    d->color[u] = 1;
    d->path[d->depth++] = u;
    for (size_t k = 0; k < sys->channels.count; k++) {
        const struct vlsys_channel *ch = VEC_AT(&sys->channels, struct vlsys_channel, k);
        if (!is_call_edge(ch) || ch->a.component != u) {
            continue;
        }
        int v = ch->b.component;
        if (d->color[v] == 0) {
            dfs_visit(d, v);
        } else if (d->color[v] == 1) {
            char msg[VL_SYSIMG_MAX_COMPONENTS * (VL_SYSIMG_MAX_NAME + 4) + 64];
            size_t len = 0;
            int start = d->depth - 1;
            while (d->path[start] != v) {
                start--;
            }
            for (int i = start; i < d->depth; i++) {
                len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s -> ",
                                        component_at(sys, d->path[i])->name);
            }
            snprintf(msg + len, sizeof(msg) - len, "%s", component_at(sys, v)->name);
            diag_error(ch->line, "protected calls form a cycle: %s", msg);
        }
    }
    d->depth--;
    d->color[u] = 2;
}

/* Checks call channels: distinct ends, server priority above the client's, no cycles. */
static void
check_calls(const struct vlsys_system *sys)
{
    for (size_t k = 0; k < sys->channels.count; k++) {
        const struct vlsys_channel *ch = VEC_AT(&sys->channels, struct vlsys_channel, k);
        if (ch->a.component < 0 || ch->b.component < 0) {
            continue;
        }
        const struct vlsys_component *a = component_at(sys, ch->a.component);
        const struct vlsys_component *b = component_at(sys, ch->b.component);
        if (ch->a.component == ch->b.component) {
            diag_error(ch->line, "%s channel ends are the same component '%s'",
                       ch->kind == VL_CHANNEL_CALL ? "call" : "notify", a->name);
        } else if (ch->kind == VL_CHANNEL_CALL && b->priority <= a->priority) {
            diag_error(ch->line,
                       "call from '%s' (priority %llu) to '%s' (priority %llu): the server's "
                       "priority must be strictly higher than the client's",
                       a->name, (unsigned long long)a->priority, b->name,
                       (unsigned long long)b->priority);
        }
    }
    if (sys->components.count > VL_SYSIMG_MAX_COMPONENTS) {
        return; /* already an error; the search state is sized for the limit */
    }
    struct dfs d;
    memset(&d, 0, sizeof(d));
    d.sys = sys;
    for (size_t u = 0; u < sys->components.count; u++) {
        if (d.color[u] == 0) {
            dfs_visit(&d, (int)u);
        }
    }
}

void
check_system(const struct vlsys_system *sys)
{
    for (size_t i = 0; i < sys->components.count; i++) {
        check_layout(sys, (int)i);
    }
    check_devices(sys);
    check_channel_ids(sys);
    check_calls(sys);
    check_interfaces(sys);
    faults_check(sys);
    dma_check(sys);
    budget_check(sys);
    console_check(sys);
    connect_check(sys);
}
