/*
 * Writing and dumping system images (lib/os/include/vallum/sysimage.h). Fields are written
 * byte by byte as little-endian words, so the output does not depend on the host and is the
 * same for the same inputs. Layout: header; the component, region, map, channel, irq and
 * config tables; the string table; the programs; each part starting at a multiple of 8 bytes.
 */
#include "vlsys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(struct vl_sysimg_header) == 144, "header layout");
_Static_assert(sizeof(struct vl_sysimg_component) == 112, "component layout");
_Static_assert(sizeof(struct vl_sysimg_region) == 40, "region layout");
_Static_assert(sizeof(struct vl_sysimg_map) == 40, "map layout");
_Static_assert(sizeof(struct vl_sysimg_channel) == 48, "channel layout");
_Static_assert(sizeof(struct vl_sysimg_irq) == 24, "irq layout");
_Static_assert(sizeof(struct vl_sysimg_config) == 32, "config layout");

#define WORDS(type) (sizeof(struct type) / 8)

/* The image being built, in memory. */
struct buf {
    uint8_t *data;
    size_t size;
};

/* Grows b to size bytes (new bytes are zero). Exits if memory runs out. */
static void
buf_resize(struct buf *b, size_t size)
{
    uint8_t *data = realloc(b->data, size ? size : 1);
    if (data == NULL) {
        fprintf(stderr, "vlsys: error: out of memory\n");
        exit(2);
    }
    if (size > b->size) {
        memset(data + b->size, 0, size - b->size);
    }
    b->data = data;
    b->size = size;
}

/* Pads b with zeros to a multiple of 8 bytes and returns the new size. */
static uint64_t
buf_align(struct buf *b)
{
    buf_resize(b, (b->size + 7) & ~(size_t)7);
    return b->size;
}

static void
put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t
get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/* Appends one record of n words to b. */
static void
put_record(struct buf *b, const uint64_t *words, size_t n)
{
    size_t at = b->size;
    buf_resize(b, at + n * 8);
    for (size_t i = 0; i < n; i++) {
        put_u64(b->data + at + i * 8, words[i]);
    }
}

/* Appends the string s (with its NUL) to the string table strs; returns its offset. */
static uint64_t
put_string(struct buf *strs, const char *s)
{
    size_t at = strs->size;
    size_t n = strlen(s) + 1;
    buf_resize(strs, at + n);
    memcpy(strs->data + at, s, n);
    return at;
}

/* Builds the image of sys in b. */
static void
image_build(struct vlsys_system *sys, struct buf *b)
{
    struct buf strs = {0};
    uint64_t hdr[WORDS(vl_sysimg_header)];
    memset(hdr, 0, sizeof(hdr));
    buf_resize(b, sizeof(hdr));
    uint64_t name = put_string(&strs, sys->name);
    /* Programs go after everything else; compute the tables' total size first. */
    size_t nc = sys->components.count;
    size_t nr = sys->regions.count;
    size_t nm = sys->maps.count;
    uint64_t comp_off = b->size;
    uint64_t region_off = comp_off + nc * sizeof(struct vl_sysimg_component);
    uint64_t map_off = region_off + nr * sizeof(struct vl_sysimg_region);
    uint64_t chan_off = map_off + nm * sizeof(struct vl_sysimg_map);
    uint64_t irq_off = chan_off + sys->channels.count * sizeof(struct vl_sysimg_channel);
    uint64_t config_off = irq_off + sys->irqs.count * sizeof(struct vl_sysimg_irq);
    uint64_t str_off = config_off + sys->configs.count * sizeof(struct vl_sysimg_config);
    uint64_t comp_names[VL_SYSIMG_MAX_COMPONENTS];
    for (size_t i = 0; i < nc; i++) {
        comp_names[i] =
            put_string(&strs, VEC_AT(&sys->components, struct vlsys_component, i)->name);
    }
    uint64_t region_names_at = strs.size;
    for (size_t i = 0; i < nr; i++) {
        put_string(&strs, VEC_AT(&sys->regions, struct vlsys_region, i)->name);
    }
    /* Each parameter's name, then its value if it is a string. */
    uint64_t config_strings_at = strs.size;
    for (size_t i = 0; i < sys->configs.count; i++) {
        const struct vlsys_config *cfg = VEC_AT(&sys->configs, struct vlsys_config, i);
        put_string(&strs, cfg->name);
        if (cfg->kind == VL_CONFIG_STR) {
            put_string(&strs, cfg->str);
        }
    }
    uint64_t pos = (str_off + strs.size + 7) & ~7ull;
    for (size_t i = 0; i < sys->programs.count; i++) {
        struct vlsys_program *p = VEC_AT(&sys->programs, struct vlsys_program, i);
        p->image_offset = pos;
        pos = (pos + p->size + 7) & ~7ull;
    }
    for (size_t i = 0; i < nc; i++) {
        const struct vlsys_component *c = VEC_AT(&sys->components, struct vlsys_component, i);
        const struct vlsys_program *p = VEC_AT(&sys->programs, struct vlsys_program, c->program);
        uint64_t handler =
            c->fault_handler >= 0 ? (uint64_t)c->fault_handler : VL_SYSIMG_NO_FAULT_HANDLER;
        uint64_t rec[] = {comp_names[i],     p->image_offset, p->size,
                          c->priority,       c->stack,        c->heap,
                          c->restart_policy, c->restart_max,  c->restart_window_ms,
                          c->untyped_bits,   c->kernel_caps,  handler,
                          c->budget_us,      c->period_us};
        put_record(b, rec, WORDS(vl_sysimg_component));
    }
    uint64_t region_name = region_names_at;
    for (size_t i = 0; i < nr; i++) {
        const struct vlsys_region *r = VEC_AT(&sys->regions, struct vlsys_region, i);
        uint64_t rec[] = {region_name, r->size, r->kind, r->paddr, r->flags};
        put_record(b, rec, WORDS(vl_sysimg_region));
        region_name += strlen(r->name) + 1;
    }
    for (size_t i = 0; i < sys->maps.count; i++) {
        const struct vlsys_map *m = VEC_AT(&sys->maps, struct vlsys_map, i);
        uint64_t rec[] = {(uint64_t)m->region, (uint64_t)m->component, m->vaddr, m->perms,
                          m->flags};
        put_record(b, rec, WORDS(vl_sysimg_map));
    }
    for (size_t i = 0; i < sys->channels.count; i++) {
        const struct vlsys_channel *ch = VEC_AT(&sys->channels, struct vlsys_channel, i);
        uint64_t rec[] = {ch->kind, (uint64_t)ch->a.component,
                          ch->a.id, (uint64_t)ch->b.component,
                          ch->b.id, ch->flags};
        put_record(b, rec, WORDS(vl_sysimg_channel));
    }
    for (size_t i = 0; i < sys->irqs.count; i++) {
        const struct vlsys_irq *q = VEC_AT(&sys->irqs, struct vlsys_irq, i);
        uint64_t rec[] = {(uint64_t)q->end.component, q->number, q->end.id};
        put_record(b, rec, WORDS(vl_sysimg_irq));
    }
    uint64_t config_string = config_strings_at;
    for (size_t i = 0; i < sys->configs.count; i++) {
        const struct vlsys_config *cfg = VEC_AT(&sys->configs, struct vlsys_config, i);
        uint64_t rec[] = {(uint64_t)cfg->component, config_string, cfg->kind, (uint64_t)cfg->value};
        config_string += strlen(cfg->name) + 1;
        if (cfg->kind == VL_CONFIG_STR) {
            rec[3] = config_string;
            config_string += strlen(cfg->str) + 1;
        }
        put_record(b, rec, WORDS(vl_sysimg_config));
    }
    size_t at = b->size;
    buf_resize(b, at + strs.size);
    memcpy(b->data + at, strs.data, strs.size);
    for (size_t i = 0; i < sys->programs.count; i++) {
        const struct vlsys_program *p = VEC_AT(&sys->programs, struct vlsys_program, i);
        buf_align(b);
        buf_resize(b, p->image_offset + p->size);
        memcpy(b->data + p->image_offset, p->data, p->size);
    }
    buf_align(b);
    uint64_t h[] = {VL_SYSIMG_MAGIC, VL_SYSIMG_VERSION,
                    b->size,         name,
                    comp_off,        nc,
                    region_off,      nr,
                    map_off,         nm,
                    chan_off,        sys->channels.count,
                    irq_off,         sys->irqs.count,
                    str_off,         strs.size,
                    config_off,      sys->configs.count};
    _Static_assert(sizeof(h) == sizeof(struct vl_sysimg_header), "header words");
    for (size_t i = 0; i < sizeof(h) / 8; i++) {
        put_u64(b->data + i * 8, h[i]);
    }
    free(strs.data);
}

uint64_t
image_write(struct vlsys_system *sys, const char *out)
{
    struct buf b = {0};
    image_build(sys, &b);
    size_t n = strlen(out);
    char *tmp = malloc(n + 16);
    if (tmp == NULL) {
        fprintf(stderr, "vlsys: error: out of memory\n");
        exit(2);
    }
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", out);
    int fd = mkstemp(tmp);
    uint64_t size = b.size;
    if (fd < 0) {
        fprintf(stderr, "%s: error: cannot create %s: %s\n", out, tmp, strerror(errno));
        size = 0;
    } else {
        size_t done = 0;
        while (done < b.size) {
            ssize_t w = write(fd, b.data + done, b.size - done);
            if (w <= 0) {
                break;
            }
            done += (size_t)w;
        }
        bool ok = fchmod(fd, 0644) == 0 && done == b.size;
        ok &= close(fd) == 0;
        if (!ok || rename(tmp, out) != 0) {
            fprintf(stderr, "%s: error: cannot write: %s\n", out, strerror(errno));
            unlink(tmp);
            size = 0;
        }
    }
    free(tmp);
    free(b.data);
    return size;
}

/* The image being dumped. */
struct dump {
    const char *path;
    const uint8_t *data;
    size_t size;
    uint64_t strings_offset;
    uint64_t strings_size;
    int errors;
};

static void
dump_error(struct dump *d, const char *msg, uint64_t a)
{
    fprintf(stderr, "%s: error: %s 0x%llx\n", d->path, msg, (unsigned long long)a);
    d->errors++;
}

/* Returns the string at offset off of the string table, or "?" after reporting. */
static const char *
dump_string(struct dump *d, uint64_t off)
{
    if (off >= d->strings_size ||
        memchr(d->data + d->strings_offset + off, 0, d->strings_size - off) == NULL) {
        dump_error(d, "bad string offset", off);
        return "?";
    }
    return (const char *)d->data + d->strings_offset + off;
}

/*
 * Checks that table t of the header (word index w) holds whole records of words words inside
 * the image; prints it and returns a pointer to its first record, or NULL (count 0) if bad.
 */
static const uint8_t *
dump_table(struct dump *d, size_t w, const char *name, size_t words, uint64_t *count)
{
    uint64_t off = get_u64(d->data + w * 8);
    *count = get_u64(d->data + w * 8 + 8);
    printf("table %s: offset 0x%llx, count %llu\n", name, (unsigned long long)off,
           (unsigned long long)*count);
    if (off % 8 != 0 || off > d->size || *count > (d->size - off) / (words * 8)) {
        dump_error(d, "table out of bounds at offset", off);
        *count = 0;
        return NULL;
    }
    return d->data + off;
}

/* Returns the name of component index i, or "?" after reporting if out of range. */
static const char *
dump_component(struct dump *d, const uint8_t *comps, uint64_t ncomps, uint64_t i)
{
    if (i >= ncomps) {
        dump_error(d, "bad component index", i);
        return "?";
    }
    return dump_string(d, get_u64(comps + i * sizeof(struct vl_sysimg_component)));
}

static const char *
perms_string(uint64_t perms, char *buf)
{
    size_t n = 0;
    buf[n++] = (perms & VL_PERM_R) ? 'r' : '-';
    buf[n++] = (perms & VL_PERM_W) ? 'w' : '-';
    buf[n++] = (perms & VL_PERM_X) ? 'x' : '-';
    buf[n] = '\0';
    return buf;
}

/*
 * The kernel authorities (VL_SYSIMG_DEBUG_*, VL_SYSIMG_SHUTDOWN) as the description lists
 * them, into buf (48 bytes): "debug [print, halt]", then ", shutdown" if granted.
 */
static const char *
kernel_caps_string(uint64_t caps, char *buf)
{
    static const char *const names[] = {"print", "halt", "check"};
    size_t n = (size_t)snprintf(buf, 48, "debug [");
    bool first = true;
    for (unsigned i = 0; i < 3; i++) {
        if (caps & (1ull << i)) {
            n += (size_t)snprintf(buf + n, 48 - n, "%s%s", first ? "" : ", ", names[i]);
            first = false;
        }
    }
    if (caps & ~(uint64_t)VL_SYSIMG_KERNEL_CAPS_ALL) {
        n += (size_t)snprintf(buf + n, 48 - n, "%s?", first ? "" : ", ");
    }
    snprintf(buf + n, 48 - n, "]%s", (caps & VL_SYSIMG_SHUTDOWN) ? ", shutdown" : "");
    return buf;
}

static void
dump_components(struct dump *d, const uint8_t *t, uint64_t n)
{
    static const char *const policies[] = {"never", "always", "limited"};
    for (uint64_t i = 0; i < n; i++) {
        uint64_t f[WORDS(vl_sysimg_component)];
        for (size_t k = 0; k < WORDS(vl_sysimg_component); k++) {
            f[k] = get_u64(t + i * sizeof(struct vl_sysimg_component) + k * 8);
        }
        if (f[1] > d->size || f[2] > d->size - f[1]) {
            dump_error(d, "program out of bounds at offset", f[1]);
        }
        char caps[48];
        printf("component %llu '%s': priority %llu, stack 0x%llx, heap 0x%llx, restart %s "
               "(max %llu, within %llu ms), untyped 0x%llx, %s, program at 0x%llx, "
               "%llu bytes\n",
               (unsigned long long)i, dump_string(d, f[0]), (unsigned long long)f[3],
               (unsigned long long)f[4], (unsigned long long)f[5], f[6] < 3 ? policies[f[6]] : "?",
               (unsigned long long)f[7], (unsigned long long)f[8],
               f[9] != 0 && f[9] < 64 ? 1ull << f[9] : 0ull, kernel_caps_string(f[10], caps),
               (unsigned long long)f[1], (unsigned long long)f[2]);
        if (f[11] != VL_SYSIMG_NO_FAULT_HANDLER) {
            printf("component %llu: fault handler %llu\n", (unsigned long long)i,
                   (unsigned long long)f[11]);
        }
        if (f[12] != 0 || f[13] != 0) {
            printf("component %llu: budget %llu us every %llu us\n", (unsigned long long)i,
                   (unsigned long long)f[12], (unsigned long long)f[13]);
        }
    }
}

static void
dump_configs(struct dump *d, const uint8_t *t, uint64_t n, const uint8_t *comps, uint64_t nc)
{
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *r = t + i * sizeof(struct vl_sysimg_config);
        uint64_t kind = get_u64(r + 16);
        uint64_t value = get_u64(r + 24);
        printf("config %llu: '%s' %s = ", (unsigned long long)i,
               dump_component(d, comps, nc, get_u64(r)), dump_string(d, get_u64(r + 8)));
        if (kind == VL_CONFIG_INT) {
            printf("%lld\n", (long long)value);
        } else if (kind == VL_CONFIG_STR) {
            printf("\"%s\"\n", dump_string(d, value));
        } else {
            printf("?\n");
            dump_error(d, "bad config kind", kind);
        }
    }
}

int
image_dump(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: error: cannot open: %s\n", path, strerror(errno));
        return 1;
    }
    struct buf b = {0};
    size_t n;
    do {
        buf_resize(&b, b.size + 65536);
        n = fread(b.data + b.size - 65536, 1, 65536, f);
        b.size = b.size - 65536 + n;
    } while (n > 0);
    fclose(f);
    struct dump d = {path, b.data, b.size, 0, 0, 0};
    if (b.size < sizeof(struct vl_sysimg_header) || get_u64(b.data) != VL_SYSIMG_MAGIC ||
        get_u64(b.data + 8) != VL_SYSIMG_VERSION || get_u64(b.data + 16) != b.size) {
        fprintf(stderr, "%s: error: not a version %d system image of this size\n", path,
                VL_SYSIMG_VERSION);
        free(b.data);
        return 1;
    }
    d.strings_offset = get_u64(b.data + 14 * 8);
    d.strings_size = get_u64(b.data + 15 * 8);
    if (d.strings_offset > b.size || d.strings_size > b.size - d.strings_offset) {
        dump_error(&d, "string table out of bounds at offset", d.strings_offset);
        d.strings_size = 0;
    }
    printf("system '%s': version %d, %zu bytes\n", dump_string(&d, get_u64(b.data + 24)),
           VL_SYSIMG_VERSION, b.size);
    uint64_t nc, nr, nm, nch, nq, ncfg;
    const uint8_t *comps = dump_table(&d, 4, "components", WORDS(vl_sysimg_component), &nc);
    const uint8_t *regions = dump_table(&d, 6, "regions", WORDS(vl_sysimg_region), &nr);
    const uint8_t *maps = dump_table(&d, 8, "maps", WORDS(vl_sysimg_map), &nm);
    const uint8_t *chans = dump_table(&d, 10, "channels", WORDS(vl_sysimg_channel), &nch);
    const uint8_t *irqs = dump_table(&d, 12, "irqs", WORDS(vl_sysimg_irq), &nq);
    const uint8_t *configs = dump_table(&d, 16, "configs", WORDS(vl_sysimg_config), &ncfg);
    printf("strings: offset 0x%llx, size %llu\n", (unsigned long long)d.strings_offset,
           (unsigned long long)d.strings_size);
    dump_components(&d, comps, nc);
    for (uint64_t i = 0; i < nr; i++) {
        const uint8_t *r = regions + i * sizeof(struct vl_sysimg_region);
        uint64_t kind = get_u64(r + 16), flags = get_u64(r + 32);
        if ((flags & ~(uint64_t)VL_REGION_FLAGS_ALL) != 0 ||
            (kind != VL_REGION_RAM && flags != 0)) {
            dump_error(&d, "bad region flags", flags);
        }
        printf("region %llu '%s': %s, size 0x%llx, paddr 0x%llx%s\n", (unsigned long long)i,
               dump_string(&d, get_u64(r)),
               kind == VL_REGION_RAM       ? "ram"
               : kind == VL_REGION_CONSOLE ? "console"
                                           : "device",
               (unsigned long long)get_u64(r + 8), (unsigned long long)get_u64(r + 24),
               (flags & VL_REGION_DMA) != 0 ? ", dma" : "");
    }
    for (uint64_t i = 0; i < nm; i++) {
        const uint8_t *m = maps + i * sizeof(struct vl_sysimg_map);
        uint64_t region = get_u64(m);
        char perms[4];
        if (region >= nr) {
            dump_error(&d, "bad region index", region);
        }
        uint64_t flags = get_u64(m + 32);
        if ((flags & ~(uint64_t)VL_MAP_FLAGS_ALL) != 0) {
            dump_error(&d, "bad map flags", flags);
        }
        printf("map %llu: region '%s' in '%s' at 0x%llx %s%s\n", (unsigned long long)i,
               region < nr
                   ? dump_string(&d, get_u64(regions + region * sizeof(struct vl_sysimg_region)))
                   : "?",
               dump_component(&d, comps, nc, get_u64(m + 8)), (unsigned long long)get_u64(m + 16),
               perms_string(get_u64(m + 24), perms), (flags & VL_MAP_PADDR) != 0 ? ", paddr" : "");
    }
    for (uint64_t i = 0; i < nch; i++) {
        const uint8_t *ch = chans + i * sizeof(struct vl_sysimg_channel);
        bool is_call = get_u64(ch) == VL_CHANNEL_CALL;
        uint64_t flags = get_u64(ch + 40);
        if ((flags & ~(uint64_t)VL_CHANNEL_FLAGS_ALL) != 0 || (!is_call && flags != 0)) {
            dump_error(&d, "bad channel flags", flags);
        }
        printf("channel %llu: %s '%s' id %llu %s '%s' id %llu%s\n", (unsigned long long)i,
               is_call ? "call" : "notify", dump_component(&d, comps, nc, get_u64(ch + 8)),
               (unsigned long long)get_u64(ch + 16), is_call ? "->" : "<->",
               dump_component(&d, comps, nc, get_u64(ch + 24)),
               (unsigned long long)get_u64(ch + 32), (flags & VL_CHANNEL_GRANT) ? ", grant" : "");
    }
    for (uint64_t i = 0; i < nq; i++) {
        const uint8_t *q = irqs + i * sizeof(struct vl_sysimg_irq);
        printf("irq %llu: interrupt %llu to '%s' id %llu\n", (unsigned long long)i,
               (unsigned long long)get_u64(q + 8), dump_component(&d, comps, nc, get_u64(q)),
               (unsigned long long)get_u64(q + 16));
    }
    dump_configs(&d, configs, ncfg, comps, nc);
    free(b.data);
    return d.errors ? 1 : 0;
}
