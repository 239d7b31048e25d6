/*
 * init: checks the compiled system description (sysimage.h) before anything is built.
 * The image is linked into init by the build, but init trusts nothing in it: every
 * offset, size, count, index and string is checked against the image and the limits of
 * sysimage.h, and every program is parsed with lib/elf. A bad image is reported with
 * the reason and nothing is built.
 */
#include "init.h"

#include <stdio.h>
#include <string.h>

static int
bad(const char *what, uint64_t value)
{
    printf("init: bad system image: %s (0x%lx)\n", what, (unsigned long)value);
    return -1;
}

/* A table of count records of rec bytes inside the image, 8-byte aligned. */
static int
table_ok(const struct sysimg *img, const struct vl_sysimg_table *t, uint64_t rec, uint64_t max)
{
    if (t->offset % 8 != 0 || t->offset > img->size || t->count > max) {
        return 0;
    }
    return t->count * rec <= img->size - t->offset;
}

const char *
image_string(const struct sysimg *img, uint64_t offset)
{
    return img->strings + offset;
}

/* A string at offset: inside the table, NUL-terminated, a valid name. */
static int
name_ok(const struct sysimg *img, uint64_t offset)
{
    if (offset >= img->strings_size) {
        return 0;
    }
    const char *s = img->strings + offset;
    uint64_t room = img->strings_size - offset;
    uint64_t n = 0;
    while (n < room && s[n] != '\0') {
        n++;
    }
    return n < room && n >= 1 && n <= VL_SYSIMG_MAX_NAME;
}

static int
range_overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
    return a < b_end && b < a_end;
}

static int
check_component(struct sysimg *img, uint64_t i, struct elf_image *elf)
{
    const struct vl_sysimg_component *c = &img->comps[i];
    if (!name_ok(img, c->name)) {
        return bad("component name", i);
    }
    if (c->program_offset > img->size || c->program_size > img->size - c->program_offset) {
        return bad("program outside the image", i);
    }
    if (c->priority > VL_SYSIMG_MAX_PRIORITY) {
        return bad("priority", c->priority);
    }
    if (c->stack_bytes == 0 || c->stack_bytes % VL_PAGE_SIZE != 0 ||
        c->stack_bytes > (1ull << 30)) {
        return bad("stack size", c->stack_bytes);
    }
    if (c->heap_bytes % VL_PAGE_SIZE != 0 || c->heap_bytes > (1ull << 30)) {
        return bad("heap size", c->heap_bytes);
    }
    if (c->restart_policy > VL_RESTART_LIMITED) {
        return bad("restart policy", c->restart_policy);
    }
    if (c->restart_policy == VL_RESTART_LIMITED &&
        (c->restart_max == 0 || c->restart_window_ms == 0)) {
        return bad("restart limit", i);
    }
    if (c->untyped_bits != 0 && (c->untyped_bits < VL_SYSIMG_MIN_UNTYPED_BITS ||
                                 c->untyped_bits > VL_SYSIMG_MAX_UNTYPED_BITS)) {
        return bad("untyped size", c->untyped_bits);
    }
    if (c->kernel_caps & ~(uint64_t)VL_SYSIMG_KERNEL_CAPS_ALL) {
        return bad("kernel caps", c->kernel_caps);
    }
    if ((c->budget_us != 0 || c->period_us != 0) &&
        (c->period_us < VL_SYSIMG_MIN_BUDGET_US || c->period_us > VL_SYSIMG_MAX_PERIOD_US ||
         c->budget_us < VL_SYSIMG_MIN_BUDGET_US || c->budget_us > c->period_us)) {
        return bad("budget or period", i);
    }
    uint64_t stack_area = STACK_TOP - c->stack_bytes - VL_PAGE_SIZE;
    int err = elf_parse(img->base + c->program_offset, c->program_size, stack_area, elf);
    if (err != ELF_OK) {
        printf("init: bad system image: program of '%s': %s\n", image_string(img, c->name),
               elf_strerror(err));
        return -1;
    }
    if (c->heap_bytes > 0 && elf->hi + VL_PAGE_SIZE + c->heap_bytes > stack_area) {
        return bad("heap area overlaps the stack area", i);
    }
    if (c->untyped_bits != 0 &&
        range_overlaps(elf->lo, elf->hi + VL_PAGE_SIZE + c->heap_bytes, VL_COMP_VADDR_WINDOW_START,
                       VL_COMP_VADDR_WINDOW_END)) {
        return bad("program or heap over the runtime window", i);
    }
    return 0;
}

static int
check_map(struct sysimg *img, uint64_t i, const struct elf_image *elfs, unsigned *nmapped)
{
    const struct vl_sysimg_map *m = &img->maps[i];
    if (m->region >= img->nregions || m->component >= img->ncomps) {
        return bad("map index", i);
    }
    const struct vl_sysimg_region *r = &img->regions[m->region];
    const struct vl_sysimg_component *c = &img->comps[m->component];
    const struct elf_image *e = &elfs[m->component];
    if (m->vaddr % VL_PAGE_SIZE != 0 || m->vaddr >= VL_USER_TOP ||
        r->size > VL_USER_TOP - m->vaddr) {
        return bad("map address", m->vaddr);
    }
    if (!(m->perms & VL_PERM_R) || (m->perms & ~(uint64_t)(VL_PERM_R | VL_PERM_W | VL_PERM_X))) {
        return bad("map perms", m->perms);
    }
    uint64_t end = m->vaddr + r->size;
    uint64_t heap_end = e->hi + (c->heap_bytes ? VL_PAGE_SIZE + c->heap_bytes : 0);
    if (range_overlaps(m->vaddr, end, e->lo, heap_end) ||
        range_overlaps(m->vaddr, end, STACK_TOP - c->stack_bytes - VL_PAGE_SIZE, VL_USER_TOP)) {
        return bad("region mapped over the program, heap or stack", i);
    }
    if (c->untyped_bits != 0 &&
        range_overlaps(m->vaddr, end, VL_COMP_VADDR_WINDOW_START, VL_COMP_VADDR_WINDOW_END)) {
        return bad("region mapped over the runtime window", i);
    }
    for (uint64_t j = 0; j < i; j++) {
        const struct vl_sysimg_map *o = &img->maps[j];
        if (o->component == m->component &&
            range_overlaps(m->vaddr, end, o->vaddr, o->vaddr + img->regions[o->region].size)) {
            return bad("two regions overlap in one component", i);
        }
    }
    if (++nmapped[m->component] > VL_COMP_MAX_REGIONS) {
        return bad("too many regions in one component", m->component);
    }
    return 0;
}

/* Whether component c holds a device: a device region mapped into it, or an interrupt. */
static bool
holds_device(const struct sysimg *img, uint64_t c)
{
    for (uint64_t i = 0; i < img->nmaps; i++) {
        if (img->maps[i].component == c &&
            img->regions[img->maps[i].region].kind == VL_REGION_DEVICE) {
            return true;
        }
    }
    for (uint64_t i = 0; i < img->nirqs; i++) {
        if (img->irqs[i].component == c) {
            return true;
        }
    }
    return false;
}

/* Map flags: a physical address only of a dma region, only to a driver (as vlsys checks:
 * the address lets a device write anywhere, docs/system-description.md). After the maps'
 * and irqs' indices are checked. */
static int
check_paddr_maps(const struct sysimg *img)
{
    for (uint64_t i = 0; i < img->nmaps; i++) {
        const struct vl_sysimg_map *m = &img->maps[i];
        if ((m->flags & ~(uint64_t)VL_MAP_FLAGS_ALL) != 0) {
            return bad("map flags", i);
        }
        if ((m->flags & VL_MAP_PADDR) == 0) {
            continue;
        }
        if ((img->regions[m->region].flags & VL_REGION_DMA) == 0) {
            return bad("physical address of a region that is not a dma region", i);
        }
        if (!holds_device(img, m->component)) {
            return bad("physical address to a component without a device", i);
        }
    }
    return 0;
}

/*
 * The console region, if any, mapped into exactly one component: its driver, the one
 * console_connect() gives the UART's frame cap and the kernel log's signal. Checked here,
 * before init takes the UART: from the take on, init's own output goes to the kernel log,
 * which only that driver drains. After the maps' indices are checked.
 */
static int
check_console_maps(const struct sysimg *img)
{
    uint64_t maps = 0, region = 0;
    bool has_console = false;
    for (uint64_t i = 0; i < img->nregions; i++) {
        if (img->regions[i].kind == VL_REGION_CONSOLE) {
            has_console = true;
            region = i;
        }
    }
    for (uint64_t i = 0; i < img->nmaps; i++) {
        maps += has_console && img->maps[i].region == region;
    }
    return !has_console || maps == 1 ? 0 : bad("number of console region maps", maps);
}

/* Marks channel id as used in component c; fails if out of range or used twice. */
static int
use_id(uint64_t *ids, uint64_t c, uint64_t id)
{
    if (id > VL_SYSIMG_MAX_CHANNEL_ID || (ids[c] & (1ull << id))) {
        return bad("channel id", id);
    }
    ids[c] |= 1ull << id;
    return 0;
}

static int
check_channels(struct sysimg *img)
{
    uint64_t ids[VL_SYSIMG_MAX_COMPONENTS] = {0};
    for (uint64_t i = 0; i < img->nchannels; i++) {
        const struct vl_sysimg_channel *ch = &img->channels[i];
        if (ch->kind > VL_CHANNEL_CALL || ch->a >= img->ncomps || ch->b >= img->ncomps ||
            ch->a == ch->b) {
            return bad("channel", i);
        }
        /* Grant lets a client hand over any cap it holds: only where the description says. */
        if ((ch->flags & ~(uint64_t)VL_CHANNEL_FLAGS_ALL) != 0 ||
            (ch->kind == VL_CHANNEL_NOTIFY && ch->flags != 0)) {
            return bad("channel flags", i);
        }
        if (use_id(ids, ch->a, ch->a_id) != 0 || use_id(ids, ch->b, ch->b_id) != 0) {
            return -1;
        }
        if (ch->kind == VL_CHANNEL_CALL &&
            img->comps[ch->b].priority <= img->comps[ch->a].priority) {
            return bad("call to a server of no higher priority", i);
        }
    }
    for (uint64_t i = 0; i < img->nirqs; i++) {
        const struct vl_sysimg_irq *q = &img->irqs[i];
        if (q->component >= img->ncomps || q->irq < 1 || q->irq > 1023) {
            return bad("irq", i);
        }
        if (use_id(ids, q->component, q->id) != 0) {
            return -1;
        }
    }
    /* Fault handlers: another component each, no cycle, no channel id 62 in a handler. */
    uint64_t which;
    const char *why = faultcheck_handlers(img->comps, img->ncomps, ids, &which);
    return why == NULL ? 0 : bad(why, which);
}

_Static_assert(VL_SYSIMG_MAX_CONFIG == VL_COMP_MAX_CONFIG &&
                   VL_SYSIMG_MAX_CONFIG_STR == VL_COMP_CONFIG_STR_MAX,
               "every parameter the image may hold fits the info page");

/* A string parameter's value: inside the table, NUL-terminated, printable, not too long. */
static int
config_str_ok(const struct sysimg *img, uint64_t offset)
{
    if (offset >= img->strings_size) {
        return 0;
    }
    const char *s = img->strings + offset;
    uint64_t room = img->strings_size - offset;
    uint64_t n = 0;
    while (n < room && s[n] != '\0') {
        if (s[n] < 0x20 || s[n] > 0x7e) {
            return 0;
        }
        n++;
    }
    return n < room && n <= VL_SYSIMG_MAX_CONFIG_STR;
}

/*
 * The config table: each record names a known component, a valid name not used before for
 * that component, a known kind and (for strings) a valid string; at most VL_SYSIMG_MAX_CONFIG
 * records per component.
 */
static int
check_configs(struct sysimg *img)
{
    unsigned count[VL_SYSIMG_MAX_COMPONENTS] = {0};
    for (uint64_t i = 0; i < img->nconfigs; i++) {
        const struct vl_sysimg_config *cfg = &img->configs[i];
        if (cfg->component >= img->ncomps || !name_ok(img, cfg->name) ||
            cfg->kind > VL_CONFIG_STR ||
            (cfg->kind == VL_CONFIG_STR && !config_str_ok(img, cfg->value))) {
            return bad("config", i);
        }
        if (++count[cfg->component] > VL_SYSIMG_MAX_CONFIG) {
            return bad("too many config parameters in one component", cfg->component);
        }
        for (uint64_t j = 0; j < i; j++) {
            const struct vl_sysimg_config *o = &img->configs[j];
            if (o->component == cfg->component &&
                strcmp(image_string(img, o->name), image_string(img, cfg->name)) == 0) {
                return bad("config parameter twice", i);
            }
        }
    }
    return 0;
}

static int
check_tables(struct sysimg *img, const struct vl_sysimg_header *h)
{
    if (!table_ok(img, &h->components, sizeof(struct vl_sysimg_component),
                  VL_SYSIMG_MAX_COMPONENTS) ||
        h->components.count == 0) {
        return bad("component table", h->components.offset);
    }
    if (!table_ok(img, &h->regions, sizeof(struct vl_sysimg_region), 256) ||
        !table_ok(img, &h->maps, sizeof(struct vl_sysimg_map), 256) ||
        !table_ok(img, &h->channels, sizeof(struct vl_sysimg_channel), 1024) ||
        !table_ok(img, &h->irqs, sizeof(struct vl_sysimg_irq), 64)) {
        return bad("region, map, channel or irq table", 0);
    }
    if (!table_ok(img, &h->configs, sizeof(struct vl_sysimg_config),
                  VL_SYSIMG_MAX_COMPONENTS * VL_SYSIMG_MAX_CONFIG)) {
        return bad("config table", h->configs.offset);
    }
    if (h->strings_offset > img->size || h->strings_size > img->size - h->strings_offset ||
        h->strings_size == 0 || img->base[h->strings_offset + h->strings_size - 1] != '\0') {
        return bad("string table", h->strings_offset);
    }
    img->comps = (const void *)(img->base + h->components.offset);
    img->ncomps = h->components.count;
    img->regions = (const void *)(img->base + h->regions.offset);
    img->nregions = h->regions.count;
    img->maps = (const void *)(img->base + h->maps.offset);
    img->nmaps = h->maps.count;
    img->channels = (const void *)(img->base + h->channels.offset);
    img->nchannels = h->channels.count;
    img->irqs = (const void *)(img->base + h->irqs.offset);
    img->nirqs = h->irqs.count;
    img->configs = (const void *)(img->base + h->configs.offset);
    img->nconfigs = h->configs.count;
    img->strings = (const char *)img->base + h->strings_offset;
    img->strings_size = h->strings_size;
    return 0;
}

int
image_check(const void *base, uint64_t size, struct sysimg *img)
{
    static struct elf_image elfs[VL_SYSIMG_MAX_COMPONENTS];
    const struct vl_sysimg_header *h = base;
    memset(img, 0, sizeof(*img));
    img->base = base;
    if ((uintptr_t)base % 8 != 0 || size < sizeof(*h)) {
        return bad("image too small or misaligned", size);
    }
    if (h->magic != VL_SYSIMG_MAGIC || h->version != VL_SYSIMG_VERSION) {
        return bad("magic or version", h->version);
    }
    if (h->size > size || h->size < sizeof(*h)) {
        return bad("size", h->size);
    }
    img->size = h->size;
    if (check_tables(img, h) != 0) {
        return -1;
    }
    if (!name_ok(img, h->name)) {
        return bad("system name", h->name);
    }
    img->name = image_string(img, h->name);
    uint64_t share = 0; /* millionths of the processor the budgets take */
    for (uint64_t i = 0; i < img->ncomps; i++) {
        if (check_component(img, i, &elfs[i]) != 0) {
            return -1;
        }
        /* Admission, as vlsys counts it: shares in millionths, rounded up, at most 1. */
        const struct vl_sysimg_component *c = &img->comps[i];
        if (c->period_us != 0) {
            share += (c->budget_us * 1000000 + c->period_us - 1) / c->period_us;
            if (share > 1000000) {
                return bad("budgets over-committed at component", i);
            }
        }
        for (uint64_t j = 0; j < i; j++) {
            if (strcmp(image_string(img, img->comps[j].name),
                       image_string(img, img->comps[i].name)) == 0) {
                return bad("duplicate component name", i);
            }
        }
    }
    unsigned consoles = 0;
    for (uint64_t i = 0; i < img->nregions; i++) {
        const struct vl_sysimg_region *r = &img->regions[i];
        if (!name_ok(img, r->name) || r->size == 0 || r->size % VL_PAGE_SIZE != 0 ||
            r->size > (1ull << 30) || r->kind > VL_REGION_CONSOLE || r->paddr % VL_PAGE_SIZE != 0 ||
            r->paddr + r->size < r->paddr || (r->flags & ~(uint64_t)VL_REGION_FLAGS_ALL) != 0 ||
            (r->kind != VL_REGION_RAM && r->flags != 0)) {
            return bad("region", i);
        }
        /* The console is the UART's one page, and there is one UART to give. */
        if (r->kind == VL_REGION_CONSOLE && (r->size != VL_PAGE_SIZE || ++consoles > 1)) {
            return bad("console region", i);
        }
    }
    unsigned nmapped[VL_SYSIMG_MAX_COMPONENTS] = {0};
    for (uint64_t i = 0; i < img->nmaps; i++) {
        if (check_map(img, i, elfs, nmapped) != 0) {
            return -1;
        }
    }
    if (check_channels(img) != 0 || check_configs(img) != 0 || check_paddr_maps(img) != 0 ||
        check_console_maps(img) != 0) {
        return -1;
    }
    for (uint64_t i = 0; i < img->ncomps; i++) {
        g_comps[i].elf = elfs[i];
    }
    return 0;
}
