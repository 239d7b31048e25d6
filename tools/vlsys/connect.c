/*
 * vlsys: connections (docs/system-description.md). One `connections` entry stands for the
 * stitching a lib/ring ring needs (docs/drivers.md): a queues region and a data region mapped
 * into both ends, a notify channel between them, and the ring's shape known to both. vlsys
 * writes those as ordinary regions, maps, channels and config parameters with names derived
 * from the connection's, so the image and init know nothing new; lib/os's vl_os_connect()
 * finds them again by the connection's name. The derived names hold a '.', which no
 * hand-written name may, so they never collide with the description's own.
 */
#include "vlsys.h"

#include <stdio.h>
#include <string.h>
#include <vallum/ring.h>

/* Channel ids vlsys may pick: below the ids some components reserve (console, faults). */
#define PICK_MAX_ID (VL_COMP_CONSOLE_LOG_CHANNEL - 1)
_Static_assert(VL_COMP_CONSOLE_LOG_CHANNEL < VL_COMP_FAULT_CHANNEL, "reserved ids are the top");

uint64_t
connect_capacity(uint64_t buffers)
{
    uint64_t capacity = 1;
    while (capacity < buffers) {
        capacity <<= 1;
    }
    return capacity;
}

static uint64_t
page_round(uint64_t bytes)
{
    return (bytes + VLSYS_PAGE - 1) & ~(VLSYS_PAGE - 1);
}

/* Whether channel id is used in component ci by a channel end or an interrupt. */
static bool
id_used(const struct vlsys_system *sys, int ci, uint64_t id)
{
    for (size_t i = 0; i < sys->channels.count; i++) {
        const struct vlsys_channel *ch = VEC_AT(&sys->channels, struct vlsys_channel, i);
        if ((ch->a.is_valid && ch->a.component == ci && ch->a.id == id) ||
            (ch->b.is_valid && ch->b.component == ci && ch->b.id == id)) {
            return true;
        }
    }
    for (size_t i = 0; i < sys->irqs.count; i++) {
        const struct vlsys_irq *irq = VEC_AT(&sys->irqs, struct vlsys_irq, i);
        if (irq->end.is_valid && irq->end.component == ci && irq->end.id == id) {
            return true;
        }
    }
    return false;
}

/* Sets end to component ci's lowest free channel id; reports and returns false if none. */
static bool
pick_id(const struct vlsys_system *sys, const struct vlsys_connection *conn, int ci,
        struct vlsys_end *end)
{
    end->component = ci;
    end->line = conn->line;
    end->id_line = conn->line;
    for (uint64_t id = 0; id <= PICK_MAX_ID; id++) {
        if (!id_used(sys, ci, id)) {
            end->id = id;
            end->is_valid = true;
            return true;
        }
    }
    diag_error(conn->line, "connection '%s': '%s' has no free channel id in 0..%d", conn->name,
               VEC_AT(&sys->components, struct vlsys_component, ci)->name, PICK_MAX_ID);
    return false;
}

/* Adds config parameter NAME.suffix = value to component ci. */
static void
add_config(struct vlsys_system *sys, const struct vlsys_connection *conn, int ci,
           const char *suffix, uint64_t value)
{
    struct vlsys_config *cfg = vec_push(&sys->configs, sizeof(*cfg));
    cfg->component = ci;
    snprintf(cfg->name, sizeof(cfg->name), "%s.%s", conn->name, suffix);
    cfg->kind = VL_CONFIG_INT;
    cfg->value = (int64_t)value;
    cfg->line = conn->line;
}

/* How many config parameters component ci has. */
static size_t
config_count(const struct vlsys_system *sys, int ci)
{
    size_t n = 0;
    for (size_t i = 0; i < sys->configs.count; i++) {
        n += VEC_AT(&sys->configs, struct vlsys_config, i)->component == ci;
    }
    return n;
}

/* Adds region NAME.suffix of size bytes, mapped at the next free address of the window in
 * both ends (next[] per component). */
static void
add_region(struct vlsys_system *sys, const struct vlsys_connection *conn, const char *suffix,
           uint64_t size, uint64_t consumer_perms, uint64_t *next)
{
    struct vlsys_region *r = vec_push(&sys->regions, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s.%s", conn->name, suffix);
    r->line = conn->line;
    r->name_line = conn->line;
    r->size = size;
    r->kind = VL_REGION_RAM;
    r->device = -1;
    r->is_valid = true;
    int region = (int)sys->regions.count - 1;
    const int ends[2] = {conn->from, conn->to};
    const uint64_t perms[2] = {VL_PERM_R | VL_PERM_W, consumer_perms};
    for (int e = 0; e < 2; e++) {
        struct vlsys_map *m = vec_push(&sys->maps, sizeof(*m));
        m->region = region;
        m->component = ends[e];
        m->vaddr = next[ends[e]];
        m->perms = perms[e];
        m->line = conn->line;
        m->is_valid = true;
        m->is_connection = true;
        next[ends[e]] += size;
    }
}

void
connect_expand(struct vlsys_system *sys)
{
    if (sys->components.count > VL_SYSIMG_MAX_COMPONENTS) {
        return; /* already an error; next[] is sized for the limit */
    }
    uint64_t next[VL_SYSIMG_MAX_COMPONENTS];
    for (size_t i = 0; i < VL_SYSIMG_MAX_COMPONENTS; i++) {
        next[i] = VLSYS_CONNECT_WINDOW_START;
    }
    for (size_t i = 0; i < sys->connections.count; i++) {
        const struct vlsys_connection *conn = VEC_AT(&sys->connections, struct vlsys_connection, i);
        if (conn->name[0] == '\0' || conn->from < 0 || conn->to < 0 || conn->buffers == 0 ||
            conn->buffer_size == 0) {
            continue; /* reported */
        }
        struct vlsys_channel ch;
        memset(&ch, 0, sizeof(ch));
        ch.kind = VL_CHANNEL_NOTIFY;
        ch.line = conn->line;
        if (!pick_id(sys, conn, conn->from, &ch.a) || !pick_id(sys, conn, conn->to, &ch.b)) {
            continue;
        }
        bool is_full = false;
        const int ends[2] = {conn->from, conn->to};
        for (int e = 0; e < 2; e++) {
            if (config_count(sys, ends[e]) + 3 > VL_SYSIMG_MAX_CONFIG) {
                diag_error(conn->line,
                           "connection '%s' needs 3 config parameters in '%s', which has %zu: "
                           "at most %d in all",
                           conn->name,
                           VEC_AT(&sys->components, struct vlsys_component, ends[e])->name,
                           config_count(sys, ends[e]), VL_SYSIMG_MAX_CONFIG);
                is_full = true;
            }
        }
        if (is_full) {
            continue;
        }
        *(struct vlsys_channel *)vec_push(&sys->channels, sizeof(ch)) = ch;
        const struct vlsys_end *picked[2] = {&ch.a, &ch.b};
        for (int e = 0; e < 2; e++) {
            add_config(sys, conn, ends[e], "channel", picked[e]->id);
            add_config(sys, conn, ends[e], "buffers", conn->buffers);
            add_config(sys, conn, ends[e], "buffer_size", conn->buffer_size);
        }
        uint64_t queues = RING_QUEUES_SIZE(connect_capacity(conn->buffers));
        add_region(sys, conn, "queues", page_round(queues), VL_PERM_R | VL_PERM_W, next);
        add_region(sys, conn, "data", page_round(conn->buffers * conn->buffer_size),
                   conn->consumer_perms, next);
    }
}

void
connect_check(const struct vlsys_system *sys)
{
    for (size_t i = 0; i < sys->maps.count; i++) {
        const struct vlsys_map *m = VEC_AT(&sys->maps, struct vlsys_map, i);
        const struct vlsys_region *r = VEC_AT(&sys->regions, struct vlsys_region, m->region);
        /* A map that ends above the user address limit is check_layout's to report. */
        if (m->is_connection || !m->is_valid || !r->is_valid ||
            r->size > VLSYS_USER_TOP - m->vaddr || m->vaddr >= VLSYS_CONNECT_WINDOW_END ||
            m->vaddr + r->size <= VLSYS_CONNECT_WINDOW_START) {
            continue;
        }
        diag_error(m->line,
                   "region '%s' at 0x%llx reaches into [0x%llx, 0x%llx), where vlsys maps "
                   "'connections'",
                   r->name, (unsigned long long)m->vaddr,
                   (unsigned long long)VLSYS_CONNECT_WINDOW_START,
                   (unsigned long long)VLSYS_CONNECT_WINDOW_END);
    }
    for (size_t ci = 0; ci < sys->components.count; ci++) {
        size_t n = 0;
        for (size_t i = 0; i < sys->maps.count; i++) {
            n += VEC_AT(&sys->maps, struct vlsys_map, i)->component == (int)ci;
        }
        if (n > VL_COMP_MAX_REGIONS) {
            const struct vlsys_component *comp =
                VEC_AT(&sys->components, struct vlsys_component, ci);
            diag_error(comp->line,
                       "'%s' maps %zu regions: at most %d (each connection maps 2 into each end)",
                       comp->name, n, VL_COMP_MAX_REGIONS);
        }
    }
}
