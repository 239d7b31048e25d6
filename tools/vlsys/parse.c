/*
 * Reading a system description: YAML (libyaml's document API) into struct vlsys_system.
 * This file reports syntax, type and single-value problems (unknown and missing keys, bad
 * names, sizes, addresses, ranges) and resolves names; check.c does the rest.
 */
#include "vlsys.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* The state of one parse: the document and the system being filled in. */
struct ctx {
    yaml_document_t *doc;
    struct vlsys_system *sys;
};

static int
line_of(const yaml_node_t *node)
{
    return (int)node->start_mark.line + 1;
}

static const char *
scalar_of(const yaml_node_t *node)
{
    return node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

/*
 * Checks that node is a mapping with no unknown or repeated keys and every required key, and
 * sets out[i] to the value of keys[i] (NULL if absent). Bit i of required says keys[i] must
 * be present. what names the mapping in messages ("component", "map entry", ...). Returns
 * false (after reporting) if node is not a mapping; missing or unknown keys are reported
 * and the known values still returned.
 */
static bool
get_fields(struct ctx *c, yaml_node_t *node, const char *what, const char *const *keys,
           unsigned required, yaml_node_t **out)
{
    size_t nkeys = 0;
    while (keys[nkeys] != NULL) {
        out[nkeys++] = NULL;
    }
    if (node->type != YAML_MAPPING_NODE) {
        diag_error(line_of(node), "%s must be a mapping", what);
        return false;
    }
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        const char *ks = scalar_of(k);
        size_t i = 0;
        while (ks != NULL && i < nkeys && strcmp(ks, keys[i]) != 0) {
            i++;
        }
        const char *near = ks != NULL ? diag_nearest(ks, keys, nkeys) : NULL;
        if (ks == NULL || i == nkeys) {
            diag_error(line_of(k), "unknown key '%.64s' in %s%s%s%s", ks ? ks : "(not a string)",
                       what, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        } else if (out[i] != NULL) {
            diag_error(line_of(k), "duplicate key '%s' in %s", keys[i], what);
        } else {
            out[i] = v;
        }
    }
    for (size_t i = 0; i < nkeys; i++) {
        if ((required & (1u << i)) && out[i] == NULL) {
            diag_error(line_of(node), "missing key '%s' in %s", keys[i], what);
        }
    }
    return true;
}

/*
 * Parses s as a number: decimal or 0x-prefixed hexadecimal digits, then (if has_suffix) an
 * optional KiB, MiB or GiB. Returns false if s is not such a number or it overflows 64 bits.
 */
static bool
parse_number(const char *s, bool has_suffix, uint64_t *out)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    uint64_t v = 0;
    const char *start = s;
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9') {
            d = (unsigned)(*s - '0');
        } else if (base == 16 && *s >= 'a' && *s <= 'f') {
            d = (unsigned)(*s - 'a' + 10);
        } else if (base == 16 && *s >= 'A' && *s <= 'F') {
            d = (unsigned)(*s - 'A' + 10);
        } else {
            break;
        }
        if (v > (UINT64_MAX - d) / base) {
            return false;
        }
        v = v * base + d;
    }
    if (s == start) {
        return false;
    }
    unsigned shift = 0;
    if (has_suffix && strcmp(s, "KiB") == 0) {
        shift = 10;
    } else if (has_suffix && strcmp(s, "MiB") == 0) {
        shift = 20;
    } else if (has_suffix && strcmp(s, "GiB") == 0) {
        shift = 30;
    } else if (*s != '\0') {
        return false;
    }
    if (shift != 0 && v > (UINT64_MAX >> shift)) {
        return false;
    }
    *out = v << shift;
    return true;
}

/* Reads an integer (a plain scalar, decimal or 0x hex) for key; reports and returns false. */
static bool
get_int(yaml_node_t *node, const char *key, uint64_t *out)
{
    const char *s = scalar_of(node);
    if (s == NULL || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        !parse_number(s, false, out)) {
        diag_error(line_of(node), "'%s' must be an integer", key);
        return false;
    }
    return true;
}

/* Reads a boolean (true/false, yes/no) for key; reports and returns false if not one. */
static bool
get_bool(yaml_node_t *node, const char *key, bool *out)
{
    const char *s = scalar_of(node);
    if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)) {
        *out = true;
        return true;
    }
    if (s != NULL && (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)) {
        *out = false;
        return true;
    }
    diag_error(line_of(node), "'%s' must be true or false", key);
    return false;
}

/* Reads a size (integer, or with KiB/MiB/GiB; may be quoted) for key; reports if not one. */
static bool
get_size(yaml_node_t *node, const char *key, uint64_t *out)
{
    const char *s = scalar_of(node);
    if (s == NULL || !parse_number(s, true, out)) {
        diag_error(line_of(node), "'%s' must be a size such as 4096, 0x1000, 16KiB or 1MiB", key);
        return false;
    }
    return true;
}

void
format_size(uint64_t bytes, char *buf)
{
    static const char *const units[] = {"GiB", "MiB", "KiB"};
    for (unsigned i = 0; i < 3; i++) {
        unsigned shift = 30 - 10 * i;
        if (bytes != 0 && bytes % (1ull << shift) == 0) {
            snprintf(buf, VLSYS_SIZE_STR, "%llu%s", (unsigned long long)(bytes >> shift), units[i]);
            return;
        }
    }
    snprintf(buf, VLSYS_SIZE_STR, "%llu", (unsigned long long)bytes);
}

/*
 * Reports (at node) and returns false if the value read for key is not 4 KiB-aligned, saying
 * what to write instead: the size rounded up (is_size), or the two aligned addresses around
 * the value.
 */
static bool
check_page_multiple(yaml_node_t *node, const char *key, uint64_t value, bool is_size)
{
    if (value % VLSYS_PAGE == 0) {
        return true;
    }
    uint64_t below = value - value % VLSYS_PAGE;
    char hint[2 * VLSYS_SIZE_STR + 16] = "";
    if (is_size && below <= UINT64_MAX - VLSYS_PAGE) {
        char up[VLSYS_SIZE_STR];
        format_size(below + VLSYS_PAGE, up);
        snprintf(hint, sizeof(hint), ": use %s", up);
    } else if (!is_size && below <= UINT64_MAX - VLSYS_PAGE) {
        snprintf(hint, sizeof(hint), ": use 0x%llx or 0x%llx", (unsigned long long)below,
                 (unsigned long long)(below + VLSYS_PAGE));
    }
    diag_error(line_of(node), "'%s' %.32s is not a multiple of 4 KiB (4096)%s", key,
               scalar_of(node), hint);
    return false;
}

/* Reads a size that must be a multiple of 4 KiB; reports and returns false if not. */
static bool
get_pages(yaml_node_t *node, const char *key, uint64_t *out)
{
    return get_size(node, key, out) && check_page_multiple(node, key, *out, true);
}

/* Reads a 4 KiB-aligned address for key; reports and returns false if it is not one. */
static bool
get_addr(yaml_node_t *node, const char *key, uint64_t *out)
{
    const char *s = scalar_of(node);
    if (s == NULL || !parse_number(s, true, out)) {
        diag_error(line_of(node), "'%s' must be an address", key);
        return false;
    }
    return check_page_multiple(node, key, *out, false);
}

/* Reads a user virtual address: 4 KiB-aligned and below the user address limit. */
static bool
get_vaddr(yaml_node_t *node, uint64_t *out)
{
    if (!get_addr(node, "vaddr", out)) {
        return false;
    }
    if (*out >= VLSYS_USER_TOP) {
        diag_error(line_of(node), "'vaddr' 0x%llx is at or above the user address limit 0x%llx",
                   (unsigned long long)*out, (unsigned long long)VLSYS_USER_TOP);
        return false;
    }
    return true;
}

/*
 * Reads a name ([a-z][a-z0-9_]*, 1..VL_SYSIMG_MAX_NAME characters) for key into buf
 * (VL_SYSIMG_MAX_NAME + 1 bytes). Reports and leaves buf empty if it is not one.
 */
static bool
get_name(yaml_node_t *node, const char *key, char *buf)
{
    buf[0] = '\0';
    const char *s = scalar_of(node);
    if (s == NULL) {
        diag_error(line_of(node), "'%s' must be a string", key);
        return false;
    }
    size_t n = strlen(s);
    bool ok = n >= 1 && n <= VL_SYSIMG_MAX_NAME && s[0] >= 'a' && s[0] <= 'z';
    for (size_t i = 1; ok && i < n; i++) {
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_';
    }
    if (!ok) {
        diag_error(line_of(node), "invalid %s '%.64s': use [a-z][a-z0-9_]*, at most %d characters",
                   key, s, VL_SYSIMG_MAX_NAME);
        return false;
    }
    memcpy(buf, s, n + 1);
    return true;
}

_Static_assert(VL_PERM_R == 1 && VL_PERM_W == 2 && VL_PERM_X == 4, "perms bits follow \"rwx\"");

/* Reads perms: r, w and x each at most once, r required. */
static bool
get_perms(yaml_node_t *node, uint64_t *out)
{
    const char *s = scalar_of(node);
    uint64_t perms = 0;
    bool ok = s != NULL && s[0] != '\0';
    for (size_t i = 0; ok && s[i] != '\0'; i++) {
        const char *at = strchr("rwx", s[i]);
        uint64_t bit = at != NULL ? 1ull << (at - "rwx") : 0; /* VL_PERM_R, _W, _X */
        ok = bit != 0 && !(perms & bit);
        perms |= bit;
    }
    if (!ok || !(perms & VL_PERM_R)) {
        diag_error(line_of(node), "invalid perms '%.16s': a combination of r, w and x with r",
                   s ? s : "");
        return false;
    }
    *out = perms;
    return true;
}

/* Returns the index of the component called name, or -1. */
static int
find_component(const struct vlsys_system *sys, const char *name)
{
    for (size_t i = 0; i < sys->components.count; i++) {
        if (strcmp(VEC_AT(&sys->components, struct vlsys_component, i)->name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

const char *
nearest_component(const struct vlsys_system *sys, const char *name)
{
    const char *names[VL_SYSIMG_MAX_COMPONENTS];
    size_t n = 0;
    for (size_t i = 0; i < sys->components.count && n < VL_SYSIMG_MAX_COMPONENTS; i++) {
        names[n++] = VEC_AT(&sys->components, struct vlsys_component, i)->name;
    }
    return diag_nearest(name, names, n);
}

/* Reads a component reference; reports unknown names. Returns the index or -1. */
static int
get_component_ref(struct ctx *c, yaml_node_t *node)
{
    char name[VL_SYSIMG_MAX_NAME + 1];
    if (!get_name(node, "component", name)) {
        return -1;
    }
    int i = find_component(c->sys, name);
    if (i < 0) {
        const char *near = nearest_component(c->sys, name);
        diag_error(line_of(node), "unknown component '%s'%s%s%s", name,
                   near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    }
    return i;
}

/* Returns the sequence items of node, or reports that key must be a list and returns false. */
static bool
get_list(yaml_node_t *node, const char *key, yaml_node_item_t **start, yaml_node_item_t **top)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        diag_error(line_of(node), "'%s' must be a list", key);
        return false;
    }
    *start = node->data.sequence.items.start;
    *top = node->data.sequence.items.top;
    return true;
}

/* Reads restart: never, always or {max: N >= 1, within_ms: T >= 1}. */
static void
parse_restart(struct ctx *c, yaml_node_t *node, struct vlsys_component *comp)
{
    const char *s = scalar_of(node);
    if (s != NULL && strcmp(s, "never") == 0) {
        comp->restart_policy = VL_RESTART_NEVER;
        return;
    }
    if (s != NULL && strcmp(s, "always") == 0) {
        comp->restart_policy = VL_RESTART_ALWAYS;
        return;
    }
    if (node->type != YAML_MAPPING_NODE) {
        diag_error(line_of(node), "'restart' must be never, always or {max: N, within_ms: T}");
        return;
    }
    static const char *const keys[] = {"max", "within_ms", NULL};
    yaml_node_t *v[2];
    get_fields(c, node, "restart", keys, 3, v);
    comp->restart_policy = VL_RESTART_LIMITED;
    if (v[0] != NULL && get_int(v[0], "max", &comp->restart_max) && comp->restart_max < 1) {
        diag_error(line_of(v[0]), "'max' must be at least 1");
    }
    if (v[1] != NULL && get_int(v[1], "within_ms", &comp->restart_window_ms) &&
        comp->restart_window_ms < 1) {
        diag_error(line_of(v[1]), "'within_ms' must be at least 1");
    }
}

/* Returns the index of the program called name, adding it if new. */
static int
add_program(struct vlsys_system *sys, const char *name)
{
    for (size_t i = 0; i < sys->programs.count; i++) {
        if (strcmp(VEC_AT(&sys->programs, struct vlsys_program, i)->name, name) == 0) {
            return (int)i;
        }
    }
    struct vlsys_program *p = vec_push(&sys->programs, sizeof(*p));
    strcpy(p->name, name);
    return (int)sys->programs.count - 1;
}

/* Reads `untyped`: a power of two from 4 KiB to 256 MiB; sets comp->untyped_bits. */
static void
parse_untyped(yaml_node_t *node, struct vlsys_component *comp)
{
    uint64_t size;
    if (!get_size(node, "untyped", &size)) {
        return;
    }
    if (size == 0 || (size & (size - 1)) != 0) {
        /* Suggest the next power of two, if that is in range. */
        uint64_t up = 1ull << VL_SYSIMG_MIN_UNTYPED_BITS;
        while (up < size && up < (1ull << VL_SYSIMG_MAX_UNTYPED_BITS)) {
            up <<= 1;
        }
        char hint[VLSYS_SIZE_STR];
        format_size(up, hint);
        diag_error(line_of(node), "'untyped' 0x%llx is not a power of two%s%s",
                   (unsigned long long)size, up >= size ? ": use " : "", up >= size ? hint : "");
        return;
    }
    if (size < (1ull << VL_SYSIMG_MIN_UNTYPED_BITS) ||
        size > (1ull << VL_SYSIMG_MAX_UNTYPED_BITS)) {
        diag_error(line_of(node), "'untyped' 0x%llx out of range 4KiB..256MiB",
                   (unsigned long long)size);
        return;
    }
    unsigned bits = 0;
    while ((1ull << bits) < size) {
        bits++;
    }
    comp->untyped_bits = bits;
}

_Static_assert(VL_SYSIMG_DEBUG_PRINT == 1 && VL_SYSIMG_DEBUG_HALT == 2 &&
                   VL_SYSIMG_DEBUG_CHECK == 4,
               "debug bits follow print, halt, check");

/* Reads `debug`: a list of print, halt and check, each at most once; sets the debug bits
 * of comp->kernel_caps. */
static void
parse_debug(struct ctx *c, yaml_node_t *node, struct vlsys_component *comp)
{
    static const char *const names[] = {"print", "halt", "check"};
    yaml_node_item_t *it;
    yaml_node_item_t *top;
    comp->kernel_caps &= ~(uint64_t)VL_SYSIMG_DEBUG_ALL;
    if (!get_list(node, "debug", &it, &top)) {
        return;
    }
    for (; it < top; it++) {
        yaml_node_t *e = yaml_document_get_node(c->doc, *it);
        const char *s = scalar_of(e);
        unsigned i = 0;
        while (s != NULL && i < 3 && strcmp(s, names[i]) != 0) {
            i++;
        }
        if (s == NULL || i == 3) {
            diag_error(line_of(e), "unknown debug right '%.64s': use print, halt or check",
                       s ? s : "(not a string)");
        } else if (comp->kernel_caps & (1u << i)) {
            diag_error(line_of(e), "debug right '%s' listed twice", names[i]);
        } else {
            comp->kernel_caps |= 1u << i; /* VL_SYSIMG_DEBUG_PRINT, _HALT, _CHECK */
        }
    }
}

/*
 * Reads a signed integer for a config value: an optional '-', then decimal or 0x hexadecimal
 * digits, in int64_t's range. Returns false if s is not one.
 */
static bool
parse_config_int(const char *s, int64_t *out)
{
    bool is_negative = s[0] == '-';
    uint64_t v;
    if (!parse_number(s + is_negative, false, &v) ||
        v > (is_negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
        return false;
    }
    *out = is_negative ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/*
 * Reads one `config` parameter of comp (index ci): name node k, value node v. An unquoted
 * value is an integer; a quoted one a string of printable ASCII characters.
 */
static void
parse_config_entry(struct ctx *c, int ci, yaml_node_t *k, yaml_node_t *v)
{
    struct vlsys_system *sys = c->sys;
    const struct vlsys_component *comp = VEC_AT(&sys->components, struct vlsys_component, ci);
    struct vlsys_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.component = ci;
    cfg.line = line_of(k);
    if (!get_name(k, "config name", cfg.name)) {
        return;
    }
    size_t count = 0;
    for (size_t i = 0; i < sys->configs.count; i++) {
        const struct vlsys_config *o = VEC_AT(&sys->configs, struct vlsys_config, i);
        if (o->component != ci) {
            continue;
        }
        count++;
        if (strcmp(o->name, cfg.name) == 0) {
            diag_error(cfg.line, "duplicate config parameter '%s' (first at line %d)", cfg.name,
                       o->line);
            return;
        }
    }
    if (count == VL_SYSIMG_MAX_CONFIG) {
        diag_error(cfg.line, "too many config parameters in '%s': at most %d", comp->name,
                   VL_SYSIMG_MAX_CONFIG);
        return;
    }
    const char *s = scalar_of(v);
    if (s == NULL) {
        diag_error(line_of(v), "config '%s' must be an integer or a quoted string", cfg.name);
        return;
    }
    if (v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        cfg.kind = VL_CONFIG_INT;
        if (!parse_config_int(s, &cfg.value)) {
            diag_error(line_of(v),
                       "config '%s': %.64s is not an integer from -2^63 to 2^63-1 (write a "
                       "string in quotes: \"%.64s\")",
                       cfg.name, s, s);
            return;
        }
    } else {
        cfg.kind = VL_CONFIG_STR;
        size_t n = v->data.scalar.length;
        if (n > VL_SYSIMG_MAX_CONFIG_STR) {
            diag_error(line_of(v), "config '%s': string of %zu characters, at most %d", cfg.name, n,
                       VL_SYSIMG_MAX_CONFIG_STR);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            if (s[i] < 0x20 || s[i] > 0x7e) {
                diag_error(line_of(v),
                           "config '%s': character %zu of the string is not printable ASCII",
                           cfg.name, i + 1);
                return;
            }
        }
        memcpy(cfg.str, s, n + 1);
    }
    *(struct vlsys_config *)vec_push(&sys->configs, sizeof(cfg)) = cfg;
}

/* Reads `config`: a mapping of parameter names to values, for component ci. */
static void
parse_config(struct ctx *c, yaml_node_t *node, int ci)
{
    if (node->type != YAML_MAPPING_NODE) {
        diag_error(line_of(node), "'config' must be a mapping");
        return;
    }
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        parse_config_entry(c, ci, yaml_document_get_node(c->doc, p->key),
                           yaml_document_get_node(c->doc, p->value));
    }
}

/* Reads one component entry and appends it. */
static void
parse_component(struct ctx *c, yaml_node_t *node)
{
    static const char *const keys[] = {
        "name",  "program",  "priority",      "stack",  "heap",   "restart", "untyped",
        "debug", "shutdown", "fault_handler", "config", "budget", "period",  NULL};
    yaml_node_t *v[13];
    if (!get_fields(c, node, "component", keys, 7, v)) {
        return;
    }
    struct vlsys_system *sys = c->sys;
    if (sys->components.count == VL_SYSIMG_MAX_COMPONENTS) {
        diag_error(line_of(node), "too many components: at most %d", VL_SYSIMG_MAX_COMPONENTS);
    }
    char name[VL_SYSIMG_MAX_NAME + 1] = "";
    if (v[0] != NULL && get_name(v[0], "name", name)) {
        int prev = find_component(sys, name);
        if (prev >= 0) {
            diag_error(line_of(v[0]), "duplicate component name '%s' (first at line %d)", name,
                       VEC_AT(&sys->components, struct vlsys_component, prev)->name_line);
        }
    }
    struct vlsys_component *comp = vec_push(&sys->components, sizeof(*comp));
    strcpy(comp->name, name);
    comp->line = line_of(node);
    comp->name_line = v[0] ? line_of(v[0]) : comp->line;
    comp->program = -1;
    comp->stack = VLSYS_DEFAULT_STACK;
    comp->stack_line = comp->line;
    comp->heap_line = comp->line;
    comp->kernel_caps = VL_SYSIMG_DEBUG_PRINT;
    char prog[VL_SYSIMG_MAX_NAME + 1];
    if (v[1] != NULL && get_name(v[1], "program", prog)) {
        comp->program = add_program(sys, prog);
        comp->program_line = line_of(v[1]);
    }
    if (v[2] != NULL && get_int(v[2], "priority", &comp->priority) &&
        comp->priority > VL_SYSIMG_MAX_PRIORITY) {
        diag_error(line_of(v[2]), "priority %llu out of range 0..%d",
                   (unsigned long long)comp->priority, VL_SYSIMG_MAX_PRIORITY);
    }
    comp->is_layout_valid = true;
    if (v[3] != NULL) {
        comp->stack_line = line_of(v[3]);
        if (!get_pages(v[3], "stack", &comp->stack)) {
            comp->is_layout_valid = false;
        } else if (comp->stack == 0) {
            diag_error(line_of(v[3]), "'stack' must not be 0");
            comp->is_layout_valid = false;
        }
    }
    if (v[4] != NULL) {
        comp->heap_line = line_of(v[4]);
        comp->is_layout_valid &= get_pages(v[4], "heap", &comp->heap);
    }
    if (v[5] != NULL) {
        parse_restart(c, v[5], comp);
    }
    if (v[6] != NULL) {
        parse_untyped(v[6], comp);
    }
    if (v[7] != NULL) {
        parse_debug(c, v[7], comp);
    }
    bool shutdown = false;
    if (v[8] != NULL && get_bool(v[8], "shutdown", &shutdown) && shutdown) {
        comp->kernel_caps |= VL_SYSIMG_SHUTDOWN;
    }
    comp->fault_handler = -1;
    if (v[9] != NULL) {
        /* Resolved once every component is known (faults_resolve). */
        comp->fault_handler_line = line_of(v[9]);
        get_name(v[9], "fault_handler", comp->fault_handler_name);
    }
    if (v[10] != NULL) {
        parse_config(c, v[10], (int)sys->components.count - 1);
    }
    /* Checked with the other components' in budget_check. */
    if (v[11] != NULL) {
        comp->budget_line = get_int(v[11], "budget", &comp->budget_us) ? line_of(v[11]) : -1;
    }
    if (v[12] != NULL) {
        comp->period_line = get_int(v[12], "period", &comp->period_us) ? line_of(v[12]) : -1;
    }
}

/*
 * Appends a mapping of region into component (an index, or -1 if unknown) to the maps table,
 * reading and checking vaddr and perms from their nodes (either may be NULL: a missing key,
 * already reported). entry is the mapping that holds them, whose line the map records.
 */
static void
add_map(struct ctx *c, int region, int component, yaml_node_t *entry, yaml_node_t *vaddr,
        yaml_node_t *perms)
{
    struct vlsys_map *m = vec_push(&c->sys->maps, sizeof(*m));
    m->region = region;
    m->component = component;
    m->line = line_of(entry);
    m->is_valid = vaddr != NULL && get_vaddr(vaddr, &m->vaddr);
    m->is_valid &= perms != NULL && get_perms(perms, &m->perms);
    m->is_valid &= component >= 0;
}

/*
 * Appends a region with the name in name_node (checked for syntax and uniqueness) and size
 * in size_node (checked) to the regions table. Returns its index.
 */
static int
add_region(struct ctx *c, yaml_node_t *node, yaml_node_t *name_node, yaml_node_t *size_node)
{
    struct vlsys_system *sys = c->sys;
    char name[VL_SYSIMG_MAX_NAME + 1] = "";
    if (name_node != NULL && get_name(name_node, "name", name)) {
        for (size_t i = 0; i < sys->regions.count; i++) {
            struct vlsys_region *r = VEC_AT(&sys->regions, struct vlsys_region, i);
            if (strcmp(r->name, name) == 0) {
                diag_error(line_of(name_node), "duplicate region name '%s' (first at line %d)",
                           name, r->name_line);
                break;
            }
        }
    }
    struct vlsys_region *r = vec_push(&sys->regions, sizeof(*r));
    strcpy(r->name, name);
    r->line = line_of(node);
    r->name_line = name_node ? line_of(name_node) : r->line;
    r->device = -1;
    r->is_valid = size_node != NULL && get_pages(size_node, "size", &r->size);
    if (r->is_valid && r->size == 0) {
        diag_error(line_of(size_node), "'size' must not be 0");
        r->is_valid = false;
    }
    return (int)sys->regions.count - 1;
}

/* Reads one memory region entry with its map list. */
static void
parse_region(struct ctx *c, yaml_node_t *node)
{
    static const char *const keys[] = {"name", "size", "map", "dma", NULL};
    static const char *const map_keys[] = {"component", "vaddr", "perms", "paddr", NULL};
    yaml_node_t *v[4];
    if (!get_fields(c, node, "memory region", keys, 3, v)) {
        return;
    }
    int region = add_region(c, node, v[0], v[1]);
    bool dma = false;
    if (v[3] != NULL && get_bool(v[3], "dma", &dma) && dma) {
        VEC_AT(&c->sys->regions, struct vlsys_region, region)->flags |= VL_REGION_DMA;
    }
    yaml_node_item_t *it;
    yaml_node_item_t *top;
    if (v[2] == NULL || !get_list(v[2], "map", &it, &top)) {
        return;
    }
    for (; it < top; it++) {
        yaml_node_t *e = yaml_document_get_node(c->doc, *it);
        yaml_node_t *m[4];
        if (!get_fields(c, e, "map entry", map_keys, 7, m)) {
            continue;
        }
        int comp = m[0] ? get_component_ref(c, m[0]) : -1;
        add_map(c, region, comp, e, m[1], m[2]);
        bool paddr = false;
        if (m[3] != NULL && get_bool(m[3], "paddr", &paddr) && paddr) {
            struct vlsys_map *map = VEC_AT(&c->sys->maps, struct vlsys_map, c->sys->maps.count - 1);
            map->flags |= VL_MAP_PADDR;
            map->paddr_line = line_of(m[3]);
        }
    }
}

/* Reads a channel end {component, id}; end->is_valid says whether both are usable. */
static void
parse_end(struct ctx *c, yaml_node_t *node, struct vlsys_end *end)
{
    static const char *const keys[] = {"component", "id", NULL};
    yaml_node_t *v[2];
    end->component = -1;
    end->line = line_of(node);
    end->id_line = end->line;
    if (!get_fields(c, node, "channel end", keys, 3, v)) {
        return;
    }
    if (v[0] != NULL) {
        end->component = get_component_ref(c, v[0]);
    }
    if (v[1] != NULL) {
        end->id_line = line_of(v[1]);
        end->is_valid = get_int(v[1], "id", &end->id);
        if (end->is_valid && end->id > VL_SYSIMG_MAX_CHANNEL_ID) {
            diag_error(end->id_line, "channel id %llu out of range 0..%d",
                       (unsigned long long)end->id, VL_SYSIMG_MAX_CHANNEL_ID);
            end->is_valid = false;
        }
    }
    end->is_valid &= end->component >= 0;
}

/* Reads one channel entry: {notify: [end, end]} or {call: {client: end, server: end}}. */
static void
parse_channel(struct ctx *c, yaml_node_t *node)
{
    /* `grant` is known here only to say where it belongs: a notify channel carries no caps. */
    static const char *const keys[] = {"notify", "call", "grant", NULL};
    static const char *const call_keys[] = {"client", "server", "interface", "grant", NULL};
    yaml_node_t *v[3];
    if (!get_fields(c, node, "channel", keys, 0, v)) {
        return;
    }
    if ((v[0] == NULL) == (v[1] == NULL)) {
        diag_error(line_of(node), "a channel needs exactly one of 'notify' or 'call'");
        return;
    }
    if (v[2] != NULL && v[0] != NULL) {
        diag_error(line_of(v[2]), "'grant' is for call channels: a notify channel carries no "
                                  "capabilities");
    } else if (v[2] != NULL) {
        diag_error(line_of(v[2]), "'grant' belongs in the 'call' mapping");
    }
    struct vlsys_channel ch;
    memset(&ch, 0, sizeof(ch));
    ch.line = line_of(node);
    if (v[0] != NULL) {
        ch.kind = VL_CHANNEL_NOTIFY;
        yaml_node_item_t *it;
        yaml_node_item_t *top;
        if (!get_list(v[0], "notify", &it, &top)) {
            return;
        }
        if (top - it != 2) {
            diag_error(line_of(v[0]), "'notify' needs exactly two ends");
            return;
        }
        parse_end(c, yaml_document_get_node(c->doc, it[0]), &ch.a);
        parse_end(c, yaml_document_get_node(c->doc, it[1]), &ch.b);
    } else {
        ch.kind = VL_CHANNEL_CALL;
        yaml_node_t *e[4];
        if (!get_fields(c, v[1], "call", call_keys, 3, e) || e[0] == NULL || e[1] == NULL) {
            return;
        }
        if (e[2] != NULL) {
            iface_parse(scalar_of(e[2]), line_of(e[2]), &ch);
        }
        bool grant = false;
        if (e[3] != NULL && get_bool(e[3], "grant", &grant) && grant) {
            ch.flags |= VL_CHANNEL_GRANT;
        }
        parse_end(c, e[0], &ch.a);
        parse_end(c, e[1], &ch.b);
    }
    *(struct vlsys_channel *)vec_push(&c->sys->channels, sizeof(ch)) = ch;
}

/*
 * Reads a device's `console` value: with true, the device region is the console UART's one
 * page, which init takes from the kernel (IRQControl_TakeConsole) for this driver alone.
 */
static void
parse_console(struct ctx *c, yaml_node_t *node, int region, int comp)
{
    bool console = false;
    if (!get_bool(node, "console", &console) || !console) {
        return;
    }
    struct vlsys_region *r = VEC_AT(&c->sys->regions, struct vlsys_region, region);
    r->kind = VL_REGION_CONSOLE;
    if (r->is_valid && r->size != VL_PAGE_SIZE) {
        diag_error(line_of(node),
                   "the console device's region is the UART's one page: 'size' must "
                   "be 4KiB, not 0x%llx",
                   (unsigned long long)r->size);
    }
    if (c->sys->console_line != 0) {
        diag_error(line_of(node), "only one device can be the console (first at line %d)",
                   c->sys->console_line);
        return;
    }
    c->sys->console_line = line_of(node);
    c->sys->console_driver = comp;
}

/* Reads one device entry: the driver, its register region and/or its interrupt. */
static void
parse_device(struct ctx *c, yaml_node_t *node)
{
    static const char *const keys[] = {"component", "memory", "irq", "console", NULL};
    static const char *const mem_keys[] = {"name", "paddr", "size", "vaddr", "perms", NULL};
    static const char *const irq_keys[] = {"number", "id", NULL};
    yaml_node_t *v[4];
    if (!get_fields(c, node, "device", keys, 1, v)) {
        return;
    }
    int comp = v[0] ? get_component_ref(c, v[0]) : -1;
    if (v[1] == NULL && v[2] == NULL) {
        diag_error(line_of(node), "a device needs 'memory' or 'irq'");
    }
    yaml_node_t *m[5];
    if (v[1] != NULL && get_fields(c, v[1], "device memory", mem_keys, 31, m)) {
        int region = add_region(c, v[1], m[0], m[2]);
        struct vlsys_region *r = VEC_AT(&c->sys->regions, struct vlsys_region, region);
        r->kind = VL_REGION_DEVICE;
        r->device = comp;
        r->paddr_valid = m[1] != NULL && get_addr(m[1], "paddr", &r->paddr);
        if (r->paddr_valid && r->is_valid && r->paddr + r->size < r->paddr) {
            diag_error(line_of(m[1]), "device region 'paddr' 0x%llx + 'size' overflows",
                       (unsigned long long)r->paddr);
            r->paddr_valid = false;
        }
        add_map(c, region, comp, v[1], m[3], m[4]);
        if (v[3] != NULL) {
            parse_console(c, v[3], region, comp);
        }
    } else if (v[3] != NULL) {
        bool console = false;
        if (get_bool(v[3], "console", &console) && console) {
            diag_error(line_of(v[3]), "a console device needs 'memory': the UART's page");
        }
    }
    yaml_node_t *q[2];
    if (v[2] != NULL && get_fields(c, v[2], "irq", irq_keys, 3, q)) {
        struct vlsys_irq *irq = vec_push(&c->sys->irqs, sizeof(*irq));
        irq->line = line_of(v[2]);
        irq->end.component = comp;
        irq->end.line = irq->line;
        irq->end.id_line = irq->line;
        if (q[0] != NULL && get_int(q[0], "number", &irq->number)) {
            irq->line = line_of(q[0]);
            irq->is_valid = irq->number >= 1 && irq->number <= VLSYS_IRQ_MAX;
            if (!irq->is_valid) {
                diag_error(irq->line, "interrupt number %llu out of range 1..%d",
                           (unsigned long long)irq->number, VLSYS_IRQ_MAX);
            }
        }
        if (q[1] != NULL) {
            irq->end.id_line = line_of(q[1]);
            irq->end.is_valid = get_int(q[1], "id", &irq->end.id);
            if (irq->end.is_valid && irq->end.id > VL_SYSIMG_MAX_CHANNEL_ID) {
                diag_error(irq->end.id_line, "channel id %llu out of range 0..%d",
                           (unsigned long long)irq->end.id, VL_SYSIMG_MAX_CHANNEL_ID);
                irq->end.is_valid = false;
            }
        }
        irq->end.is_valid &= comp >= 0;
    }
}

/*
 * Reads one `connections` entry, {ring: {name, from, to, buffers, buffer_size,
 * consumer_perms}}, into sys->connections; connect_expand() turns it into regions, maps,
 * channels and config parameters once the whole description is read.
 */
static void
parse_connection(struct ctx *c, yaml_node_t *node)
{
    static const char *const keys[] = {"ring", NULL};
    static const char *const ring_keys[] = {"name",        "from",           "to", "buffers",
                                            "buffer_size", "consumer_perms", NULL};
    yaml_node_t *v[1];
    yaml_node_t *r[6];
    if (!get_fields(c, node, "connection", keys, 1, v) || v[0] == NULL ||
        !get_fields(c, v[0], "ring connection", ring_keys, 31, r)) {
        return;
    }
    struct vlsys_connection conn;
    memset(&conn, 0, sizeof(conn));
    conn.line = line_of(node);
    conn.from = r[1] != NULL ? get_component_ref(c, r[1]) : -1;
    conn.to = r[2] != NULL ? get_component_ref(c, r[2]) : -1;
    conn.consumer_perms = VL_PERM_R;
    char name[VL_SYSIMG_MAX_NAME + 1];
    if (r[0] != NULL && get_name(r[0], "connection name", name)) {
        if (strlen(name) > VLSYS_CONNECT_MAX_NAME) {
            diag_error(line_of(r[0]),
                       "connection name '%s' is too long: at most %d characters (vlsys names "
                       "its parts '%s.buffer_size' and the like)",
                       name, VLSYS_CONNECT_MAX_NAME, name);
        } else {
            strcpy(conn.name, name);
        }
        for (size_t i = 0; i < c->sys->connections.count && conn.name[0] != '\0'; i++) {
            const struct vlsys_connection *o =
                VEC_AT(&c->sys->connections, struct vlsys_connection, i);
            if (strcmp(o->name, conn.name) == 0) {
                diag_error(line_of(r[0]), "duplicate connection name '%s' (first at line %d)",
                           conn.name, o->line);
                conn.name[0] = '\0';
            }
        }
    }
    if (r[1] != NULL && r[2] != NULL && conn.from >= 0 && conn.from == conn.to) {
        diag_error(line_of(r[2]), "connection '%s' has the same component '%s' at both ends",
                   conn.name, VEC_AT(&c->sys->components, struct vlsys_component, conn.to)->name);
        conn.to = -1;
    }
    if (r[3] != NULL && get_int(r[3], "buffers", &conn.buffers) &&
        (conn.buffers < 1 || conn.buffers > VLSYS_CONNECT_MAX_BUFFERS)) {
        diag_error(line_of(r[3]), "'buffers' %llu out of range 1..%u",
                   (unsigned long long)conn.buffers, VLSYS_CONNECT_MAX_BUFFERS);
        conn.buffers = 0;
    }
    if (r[4] != NULL && get_size(r[4], "buffer_size", &conn.buffer_size) &&
        (conn.buffer_size < 1 || conn.buffer_size > VLSYS_CONNECT_MAX_BUFFER_SIZE)) {
        char size[VLSYS_SIZE_STR];
        format_size(conn.buffer_size, size);
        diag_error(line_of(r[4]), "'buffer_size' %s out of range 1..1MiB", size);
        conn.buffer_size = 0;
    }
    if (conn.buffers != 0 && conn.buffer_size != 0 &&
        conn.buffers * conn.buffer_size > VLSYS_CONNECT_MAX_DATA) {
        char size[VLSYS_SIZE_STR];
        char total[VLSYS_SIZE_STR];
        format_size(conn.buffer_size, size);
        format_size(conn.buffers * conn.buffer_size, total);
        diag_error(line_of(v[0]),
                   "connection '%s': %llu buffers of %s are %s, more than 256MiB in all", conn.name,
                   (unsigned long long)conn.buffers, size, total);
        conn.buffers = 0;
    }
    if (r[5] != NULL && get_perms(r[5], &conn.consumer_perms) &&
        (conn.consumer_perms & VL_PERM_X) != 0) {
        diag_error(line_of(r[5]), "'consumer_perms' must be r or rw: ring data is not code");
        conn.buffers = 0;
    }
    *(struct vlsys_connection *)vec_push(&c->sys->connections, sizeof(conn)) = conn;
}

/* Calls fn for each entry of the list under key (if present and a list). */
static void
for_each(struct ctx *c, yaml_node_t *list, const char *key, void (*fn)(struct ctx *, yaml_node_t *))
{
    yaml_node_item_t *it;
    yaml_node_item_t *top;
    if (list == NULL || !get_list(list, key, &it, &top)) {
        return;
    }
    for (; it < top; it++) {
        fn(c, yaml_document_get_node(c->doc, *it));
    }
}

/* A program's name, as found in the programs directory. */
struct found_name {
    char s[VL_SYSIMG_MAX_NAME + 1];
};

static int
compare_names(const void *a, const void *b)
{
    return strcmp(((const struct found_name *)a)->s, ((const struct found_name *)b)->s);
}

/*
 * The program of dir (a file NAME.elf) nearest to name (diag_nearest), or NULL. The result is
 * in a static buffer, valid until the next call.
 */
static const char *
nearest_program(const char *dir, const char *name)
{
    static char found[VL_SYSIMG_MAX_NAME + 1];
    DIR *d = opendir(dir);
    if (d == NULL) {
        return NULL;
    }
    struct vlsys_vec names = {0}; /* struct found_name */
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        size_t len = strlen(e->d_name);
        if (len <= 4 || len - 4 > VL_SYSIMG_MAX_NAME || strcmp(e->d_name + len - 4, ".elf") != 0) {
            continue;
        }
        struct found_name *f = vec_push(&names, sizeof(*f));
        memcpy(f->s, e->d_name, len - 4);
    }
    closedir(d);
    /* Sorted, so that the suggestion does not depend on the order the directory lists. */
    if (names.count > 1) {
        qsort(names.items, names.count, sizeof(struct found_name), compare_names);
    }
    const char **list = malloc((names.count + 1) * sizeof(*list));
    if (list == NULL) {
        fprintf(stderr, "vlsys: error: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < names.count; i++) {
        list[i] = VEC_AT(&names, struct found_name, i)->s;
    }
    const char *near = diag_nearest(name, list, names.count);
    if (near != NULL) {
        snprintf(found, sizeof(found), "%s", near);
    }
    free(list);
    vec_free(&names);
    return near != NULL ? found : NULL;
}

/* Loads and checks every program from dir, reporting at the first component that uses it. */
static void
load_programs(struct vlsys_system *sys, const char *dir)
{
    sys->has_programs = true;
    for (size_t i = 0; i < sys->programs.count; i++) {
        struct vlsys_program *p = VEC_AT(&sys->programs, struct vlsys_program, i);
        int line = 0;
        for (size_t j = 0; j < sys->components.count && line == 0; j++) {
            struct vlsys_component *comp = VEC_AT(&sys->components, struct vlsys_component, j);
            line = comp->program == (int)i ? comp->program_line : 0;
        }
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s.elf", dir, p->name);
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
            const char *near = nearest_program(dir, p->name);
            diag_error(line, "program '%s' not found: %s%s%s%s", p->name, path,
                       near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
            continue;
        }
        size_t cap = 0;
        size_t n;
        do {
            if (p->size == cap) {
                cap = cap ? cap * 2 : 65536;
                uint8_t *data = realloc(p->data, cap);
                if (data == NULL) {
                    fprintf(stderr, "vlsys: error: out of memory\n");
                    exit(2);
                }
                p->data = data;
            }
            n = fread(p->data + p->size, 1, cap - p->size, f);
            p->size += n;
        } while (n > 0);
        bool is_read_error = ferror(f);
        fclose(f);
        if (is_read_error) {
            diag_error(line, "program '%s': cannot read %s", p->name, path);
            continue;
        }
        struct elf_image img;
        int err = elf_parse(p->data, p->size, VLSYS_USER_TOP, &img);
        if (err != ELF_OK) {
            diag_error(line, "program '%s': %s is not a valid RISC-V executable: %s", p->name, path,
                       elf_strerror(err));
            continue;
        }
        p->is_valid = true;
        p->lo = img.lo;
        p->hi = img.hi;
    }
}

/*
 * Reads the top-level `format` key, if there is one, ahead of everything else: a description
 * of a newer format may hold keys this tool does not know, so then this is the only error
 * reported. Returns false if the rest of the file must not be read.
 */
static bool
parse_format(struct ctx *c, yaml_node_t *root)
{
    if (root->type != YAML_MAPPING_NODE) {
        return true; /* get_fields reports it */
    }
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const char *k = scalar_of(yaml_document_get_node(c->doc, p->key));
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        uint64_t format;
        if (k == NULL || strcmp(k, "format") != 0 || !get_int(v, "format", &format)) {
            continue;
        }
        if (format > VLSYS_FORMAT) {
            diag_error(line_of(v),
                       "format %llu is newer than this vlsys reads (formats 1..%d): use a "
                       "newer vlsys",
                       (unsigned long long)format, VLSYS_FORMAT);
            return false;
        }
        if (format < 1) {
            diag_error(line_of(v), "format 0 does not exist: formats are 1..%d", VLSYS_FORMAT);
        }
        return true; /* a repeated key is reported by get_fields */
    }
    return true;
}

/* Reads the top-level mapping of the document rooted at root. */
static void
parse_root(struct ctx *c, yaml_node_t *root)
{
    static const char *const keys[] = {"system",  "components", "memory",      "channels",
                                       "devices", "format",     "connections", NULL};
    yaml_node_t *v[7];
    if (!parse_format(c, root) || !get_fields(c, root, "the top level", keys, 3, v)) {
        return;
    }
    if (v[0] != NULL) {
        c->sys->name_line = line_of(v[0]);
        get_name(v[0], "system", c->sys->name);
    }
    for_each(c, v[1], "components", parse_component);
    faults_resolve(c->sys);
    if (v[1] != NULL && v[1]->type == YAML_SEQUENCE_NODE &&
        v[1]->data.sequence.items.start == v[1]->data.sequence.items.top) {
        diag_error(line_of(v[1]), "'components' needs at least one component");
    }
    for_each(c, v[2], "memory", parse_region);
    for_each(c, v[3], "channels", parse_channel);
    for_each(c, v[4], "devices", parse_device);
    for_each(c, v[6], "connections", parse_connection);
    connect_expand(c->sys);
}

bool
parse_system(const char *path, const char *programs_dir, struct vlsys_system *sys)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: error: cannot open: %s\n", path, strerror(errno));
        exit(1);
    }
    bool ok = parse_system_file(f, programs_dir, sys);
    fclose(f);
    return ok;
}

bool
parse_system_file(FILE *f, const char *programs_dir, struct vlsys_system *sys)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    bool ok = yaml_parser_load(&parser, &doc);
    if (!ok) {
        diag_error((int)parser.problem_mark.line + 1, "invalid YAML: %s",
                   parser.problem ? parser.problem : "unknown problem");
        yaml_parser_delete(&parser);
        return false;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        diag_error(1, "empty file: expected a mapping with 'system' and 'components'");
        ok = false;
    } else {
        yaml_document_t extra;
        if (!yaml_parser_load(&parser, &extra)) {
            diag_error((int)parser.problem_mark.line + 1, "invalid YAML: %s",
                       parser.problem ? parser.problem : "unknown problem");
            ok = false;
        } else {
            if (yaml_document_get_root_node(&extra) != NULL) {
                diag_error((int)extra.start_mark.line + 1, "more than one YAML document");
            }
            yaml_document_delete(&extra);
        }
    }
    if (ok) {
        struct ctx c = {&doc, sys};
        parse_root(&c, root);
        if (programs_dir != NULL) {
            load_programs(sys, programs_dir);
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return ok;
}

void
system_free(struct vlsys_system *sys)
{
    for (size_t i = 0; i < sys->programs.count; i++) {
        free(VEC_AT(&sys->programs, struct vlsys_program, i)->data);
    }
    vec_free(&sys->components);
    vec_free(&sys->programs);
    vec_free(&sys->regions);
    vec_free(&sys->maps);
    vec_free(&sys->channels);
    vec_free(&sys->irqs);
    vec_free(&sys->configs);
    vec_free(&sys->connections);
}
