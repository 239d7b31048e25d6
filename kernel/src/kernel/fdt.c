/*
 * Flattened devicetree (DTB) parser; see kernel/fdt.h for the contract and the interpretation
 * rules.
 *
 * Design. fdt_open() validates the header and the block layout once and records the block
 * limits in a struct fdt_blob; from then on every read checks against those limits. The
 * structure block is read by a token walker (fdt_walk_next) that enforces the grammar:
 * one root node, properties before subnodes, balanced BEGIN_NODE/END_NODE, depth at most
 * FDT_MAX_DEPTH, and FDT_END only after the root closes. Each token consumes at least four
 * bytes, so a walk ends after at most (structure size / 4) tokens.
 *
 * Because the format puts all properties of a node before its subnodes, a node is complete
 * ("finished") when its first subnode or its END_NODE arrives. The parser keeps the
 * properties of the single node being read plus a small frame per open ancestor (name, cells,
 * kind), and acts on a node when it finishes. Facts that may appear in any order are resolved
 * after the walk: hart 0's interrupt controller phandle against the PLIC's interrupts-extended,
 * and /chosen stdout-path, which takes one extra walk to resolve an alias and one to find the
 * node by path.
 */
#include "kernel/fdt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_HEADER_SIZE_V16 36u /* up to size_dt_strings */
#define FDT_HEADER_SIZE_V17 40u /* adds size_dt_struct */
#define FDT_RSV_ENTRY_SIZE 16u

#define FDT_TOKEN_BEGIN_NODE 1u
#define FDT_TOKEN_END_NODE 2u
#define FDT_TOKEN_PROP 3u
#define FDT_TOKEN_NOP 4u
#define FDT_TOKEN_END 9u

/* The supervisor external interrupt number in a hart-local interrupt controller. */
#define FDT_IRQ_S_EXTERNAL 9u

/* Byte offsets of the header fields. */
#define FDT_OFF_MAGIC 0u
#define FDT_OFF_TOTALSIZE 4u
#define FDT_OFF_DT_STRUCT 8u
#define FDT_OFF_DT_STRINGS 12u
#define FDT_OFF_MEM_RSVMAP 16u
#define FDT_OFF_VERSION 20u
#define FDT_OFF_LAST_COMP 24u
#define FDT_OFF_SIZE_STRINGS 32u
#define FDT_OFF_SIZE_STRUCT 36u

/* A byte range inside the blob, such as a name or a property value. p is NULL if absent. */
struct fdt_bytes {
    const uint8_t *p;
    uint32_t len;
};

/* Validated block limits of a blob; offsets are from base and all lie within total. */
struct fdt_blob {
    const uint8_t *base; /* first byte of the blob, possibly unaligned */
    uint32_t total;      /* header totalsize, <= the readable size */
    uint32_t rsv_off;    /* memory reservation block */
    uint32_t rsv_end;    /* just past its terminating (0, 0) entry */
    uint32_t struct_off; /* structure block, 4-byte aligned */
    uint32_t struct_end;
    uint32_t strings_off; /* strings block */
    uint32_t strings_end;
};

/* What the walker accepts next. */
enum fdt_walk_state {
    FDT_WALK_START,    /* before the root node */
    FDT_WALK_PROPS,    /* after BEGIN_NODE or PROP: PROP, BEGIN_NODE or END_NODE */
    FDT_WALK_CHILDREN, /* after END_NODE: BEGIN_NODE or END_NODE, or END at depth 0 */
    FDT_WALK_DONE,     /* after END */
};

/* A position in the structure block. pos is 4-byte aligned and within the block. */
struct fdt_walk {
    const struct fdt_blob *fdt;
    uint32_t pos;
    uint32_t depth; /* open nodes; the root is depth 1 */
    enum fdt_walk_state state;
};

/* One token. name is the node or property name without its NUL; value is a property value. */
struct fdt_token {
    struct fdt_bytes name;
    struct fdt_bytes value;
};

/* The properties the parser looks at. Indexes into fdt_prop_names and fdt_node_props.props. */
enum fdt_prop_id {
    FDT_P_COMPATIBLE,
    FDT_P_DEVICE_TYPE,
    FDT_P_STATUS,
    FDT_P_REG,
    FDT_P_INTERRUPTS,
    FDT_P_REG_SHIFT,
    FDT_P_NDEV,
    FDT_P_IRQ_EXT,
    FDT_P_TIMEBASE,
    FDT_P_PHANDLE,
    FDT_P_LINUX_PHANDLE,
    FDT_P_STDOUT_PATH,
    FDT_P_LINUX_STDOUT_PATH,
    FDT_P_ADDR_CELLS,
    FDT_P_SIZE_CELLS,
    FDT_P_ISA,
    FDT_P_ISA_EXTENSIONS,
    FDT_P_COUNT,
};

static const char *const fdt_prop_names[FDT_P_COUNT] = {
    [FDT_P_COMPATIBLE] = "compatible",
    [FDT_P_DEVICE_TYPE] = "device_type",
    [FDT_P_STATUS] = "status",
    [FDT_P_REG] = "reg",
    [FDT_P_INTERRUPTS] = "interrupts",
    [FDT_P_REG_SHIFT] = "reg-shift",
    [FDT_P_NDEV] = "riscv,ndev",
    [FDT_P_IRQ_EXT] = "interrupts-extended",
    [FDT_P_TIMEBASE] = "timebase-frequency",
    [FDT_P_PHANDLE] = "phandle",
    [FDT_P_LINUX_PHANDLE] = "linux,phandle",
    [FDT_P_STDOUT_PATH] = "stdout-path",
    [FDT_P_LINUX_STDOUT_PATH] = "linux,stdout-path",
    [FDT_P_ADDR_CELLS] = "#address-cells",
    [FDT_P_SIZE_CELLS] = "#size-cells",
    [FDT_P_ISA] = "riscv,isa",
    [FDT_P_ISA_EXTENSIONS] = "riscv,isa-extensions",
};

/* What an open node is, as far as its descendants care. */
enum fdt_kind {
    FDT_KIND_OTHER,
    FDT_KIND_CPUS,     /* /cpus */
    FDT_KIND_HART0,    /* a cpu node under /cpus whose reg is 0 */
    FDT_KIND_RESERVED, /* /reserved-memory */
};

/* What the parser keeps about each open node. */
struct fdt_frame {
    struct fdt_bytes name;
    uint32_t addr_cells;  /* #address-cells for this node's children */
    uint32_t size_cells;  /* #size-cells for this node's children */
    int32_t path_matched; /* chars of the target path this node's path matches, or -1 */
    enum fdt_kind kind;
    bool is_finished; /* all properties seen and acted on */
};

/* Which job a walk over the structure block does. */
enum fdt_pass {
    FDT_PASS_MAIN,  /* collect everything except the stdout-path console */
    FDT_PASS_ALIAS, /* look up ctx.alias in /aliases */
    FDT_PASS_PATH,  /* find the ns16550a node at ctx.target */
};

/* A console UART's properties. */
struct fdt_uart {
    bool is_found;
    uint64_t base;
    uint64_t size;
    uint32_t irq;
    uint32_t reg_shift;
};

/* Everything one parse needs; lives on the stack of fdt_parse_platform(). */
struct fdt_ctx {
    enum fdt_pass pass;
    struct fdt_platform plat;                   /* the result being built, copied out on success */
    struct fdt_frame frames[FDT_MAX_DEPTH + 1]; /* [0] is the root's virtual parent */
    struct fdt_bytes props[FDT_P_COUNT];        /* of the node being read */
    struct fdt_uart uart;                       /* first ns16550a */
    struct fdt_uart path_uart;                  /* the ns16550a at target */
    bool has_plic;
    bool has_rtc;
    bool has_test;
    bool has_hart0_intc;
    uint32_t hart0_intc;           /* phandle of hart 0's riscv,cpu-intc */
    struct fdt_bytes plic_irq_ext; /* the PLIC's interrupts-extended */
    uint64_t cpu_timebase;         /* first cpu node's timebase-frequency, a fallback */
    unsigned sstc_harts;           /* enabled cpu nodes whose ISA lists Sstc */
    struct fdt_bytes alias;        /* stdout-path names this alias, if p != NULL */
    struct fdt_bytes target;       /* stdout-path names this node path, if p != NULL */
};

static uint32_t
fdt_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t
fdt_be64(const uint8_t *p)
{
    return ((uint64_t)fdt_be32(p) << 32) | fdt_be32(p + 4);
}

/* Returns true if [off, off + len) lies within [lo, hi); no overflow for any inputs. */
static bool
fdt_range_ok(uint32_t off, uint32_t len, uint32_t lo, uint32_t hi)
{
    return off >= lo && off <= hi && len <= hi - off;
}

/* Returns true if the non-empty ranges [a, a + alen) and [b, b + blen) overlap. */
static bool
fdt_overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
    uint64_t a_end = (uint64_t)a + alen;
    uint64_t b_end = (uint64_t)b + blen;

    return alen != 0 && blen != 0 && a < b_end && b < a_end;
}

/* Returns true if the name (no NUL) equals the C string s. */
static bool
fdt_name_eq(struct fdt_bytes name, const char *s)
{
    uint32_t i;

    for (i = 0; i < name.len; i++) {
        if (s[i] == '\0' || (uint8_t)s[i] != name.p[i]) {
            return false;
        }
    }
    return s[i] == '\0';
}

/* Returns true if the property value v is exactly the NUL-terminated string s. */
static bool
fdt_str_eq(struct fdt_bytes v, const char *s)
{
    struct fdt_bytes body = {v.p, 0};

    if (v.p == NULL || v.len == 0 || v.p[v.len - 1] != '\0') {
        return false;
    }
    body.len = v.len - 1;
    return fdt_name_eq(body, s);
}

/* Returns true if the byte ranges a and b have the same length and contents. */
static bool
fdt_bytes_eq(struct fdt_bytes a, struct fdt_bytes b)
{
    if (a.len != b.len) {
        return false;
    }
    for (uint32_t i = 0; i < a.len; i++) {
        if (a.p[i] != b.p[i]) {
            return false;
        }
    }
    return true;
}

/* Returns true if the string-list value v contains an entry equal to s. */
static bool
fdt_strlist_has(struct fdt_bytes v, const char *s)
{
    uint32_t start = 0;

    if (v.p == NULL) {
        return false;
    }
    /* An unterminated last entry is never complete, so it never matches. */
    for (uint32_t i = 0; i < v.len; i++) {
        if (v.p[i] != '\0') {
            continue;
        }
        struct fdt_bytes entry = {v.p + start, i - start};
        if (fdt_name_eq(entry, s)) {
            return true;
        }
        start = i + 1;
    }
    return false;
}

/*
 * Returns true if the riscv,isa string v names the multi-letter extension ext: v is
 * NUL-terminated and one of its '_'-separated parts after the first (the base ISA with its
 * single-letter extensions, "rv64imac") equals ext. Anything after an embedded NUL is not
 * part of the string.
 */
static bool
fdt_isa_has(struct fdt_bytes v, const char *ext)
{
    uint32_t start = 0;

    if (v.p == NULL || v.len == 0 || v.p[v.len - 1] != '\0') {
        return false;
    }
    for (uint32_t i = 0; i < v.len; i++) {
        if (v.p[i] != '_' && v.p[i] != '\0') {
            continue;
        }
        struct fdt_bytes part = {v.p + start, i - start};
        if (start != 0 && fdt_name_eq(part, ext)) {
            return true;
        }
        if (v.p[i] == '\0') {
            return false;
        }
        start = i + 1;
    }
    return false;
}

/* Returns true unless the status property is present and says anything but "okay" or "ok". */
static bool
fdt_is_enabled(struct fdt_bytes status)
{
    return status.p == NULL || fdt_str_eq(status, "okay") || fdt_str_eq(status, "ok");
}

/* Reads a 4-byte property into *val, or def if absent. Returns FDT_OK or BAD_STRUCTURE. */
static int
fdt_prop_u32(struct fdt_bytes v, uint32_t def, uint32_t *val)
{
    if (v.p == NULL) {
        *val = def;
        return FDT_OK;
    }
    if (v.len != 4) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    *val = fdt_be32(v.p);
    return FDT_OK;
}

/* Reads the first cell of an interrupts property into *irq (0 if absent or empty). */
static int
fdt_prop_irq(struct fdt_bytes v, uint32_t *irq)
{
    *irq = 0;
    if (v.p == NULL) {
        return FDT_OK;
    }
    if (v.len % 4 != 0) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    if (v.len >= 4) {
        *irq = fdt_be32(v.p);
    }
    return FDT_OK;
}

/*
 * Sets *len to the length of the NUL-terminated string at off, which must lie within
 * [off, end). Returns FDT_OK, or FDT_ERR_BAD_STRUCTURE if there is no NUL before end.
 */
static int
fdt_cstr(const struct fdt_blob *f, uint32_t off, uint32_t end, uint32_t *len)
{
    for (uint32_t i = off; i < end; i++) {
        if (f->base[i] == '\0') {
            *len = i - off;
            return FDT_OK;
        }
    }
    return FDT_ERR_BAD_STRUCTURE;
}

/* Checks magic and version; sets *hdr to the header size. Returns FDT_OK or an error. */
static int
fdt_check_ident(const uint8_t *p, size_t size, uint32_t *hdr)
{
    uint32_t version;

    if (p == NULL || size < 4) {
        return FDT_ERR_TRUNCATED;
    }
    if (fdt_be32(p + FDT_OFF_MAGIC) != FDT_MAGIC) {
        return FDT_ERR_BAD_MAGIC;
    }
    if (size < FDT_OFF_LAST_COMP + 4) {
        return FDT_ERR_TRUNCATED;
    }
    version = fdt_be32(p + FDT_OFF_VERSION);
    if (version < 16 || fdt_be32(p + FDT_OFF_LAST_COMP) > 17) {
        return FDT_ERR_BAD_VERSION;
    }
    *hdr = version >= 17 ? FDT_HEADER_SIZE_V17 : FDT_HEADER_SIZE_V16;
    if (size < *hdr) {
        return FDT_ERR_TRUNCATED;
    }
    return FDT_OK;
}

/*
 * Finds the end of the memory reservation block, which must start 8-byte aligned after the
 * header and end with a (0, 0) entry within totalsize.
 */
static int
fdt_check_rsvmap(struct fdt_blob *f, uint32_t hdr)
{
    uint32_t pos = f->rsv_off;

    if (pos % 8 != 0 || pos < hdr || pos > f->total) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    /* Each iteration consumes one entry, so this ends within totalsize / 16 iterations. */
    while (f->total - pos >= FDT_RSV_ENTRY_SIZE) {
        const uint8_t *e = f->base + pos;
        pos += FDT_RSV_ENTRY_SIZE;
        if (fdt_be64(e) == 0 && fdt_be64(e + 8) == 0) {
            f->rsv_end = pos;
            return FDT_OK;
        }
    }
    return FDT_ERR_BAD_STRUCTURE;
}

/*
 * Version 16 has no size_dt_struct: the structure block runs up to the next block that starts
 * after it, or to the end of the blob. Its FDT_END token marks the real end.
 */
static uint32_t
fdt_v16_struct_size(const struct fdt_blob *f)
{
    uint32_t end = f->total;

    if (f->struct_off > f->total) {
        return 0;
    }
    if (f->strings_off > f->struct_off && f->strings_off < end) {
        end = f->strings_off;
    }
    if (f->rsv_off > f->struct_off && f->rsv_off < end) {
        end = f->rsv_off;
    }
    return end - f->struct_off;
}

/* Validates the header and block layout of the blob and fills *f. */
static int
fdt_open(const void *blob, size_t size, struct fdt_blob *f)
{
    const uint8_t *p = blob;
    uint32_t hdr = 0;
    uint32_t struct_size;
    uint32_t strings_size;
    int err;

    err = fdt_check_ident(p, size, &hdr);
    if (err != FDT_OK) {
        return err;
    }
    f->base = p;
    f->total = fdt_be32(p + FDT_OFF_TOTALSIZE);
    if (f->total < hdr) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    if (f->total > size) {
        return FDT_ERR_TRUNCATED;
    }
    f->struct_off = fdt_be32(p + FDT_OFF_DT_STRUCT);
    f->strings_off = fdt_be32(p + FDT_OFF_DT_STRINGS);
    f->rsv_off = fdt_be32(p + FDT_OFF_MEM_RSVMAP);
    strings_size = fdt_be32(p + FDT_OFF_SIZE_STRINGS);
    if (hdr >= FDT_HEADER_SIZE_V17) {
        struct_size = fdt_be32(p + FDT_OFF_SIZE_STRUCT);
    } else {
        struct_size = fdt_v16_struct_size(f);
    }
    if (f->struct_off % 4 != 0 || !fdt_range_ok(f->struct_off, struct_size, hdr, f->total) ||
        !fdt_range_ok(f->strings_off, strings_size, hdr, f->total)) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    f->struct_end = f->struct_off + struct_size;
    f->strings_end = f->strings_off + strings_size;
    err = fdt_check_rsvmap(f, hdr);
    if (err != FDT_OK) {
        return err;
    }
    if (fdt_overlaps(f->struct_off, struct_size, f->strings_off, strings_size) ||
        fdt_overlaps(f->rsv_off, f->rsv_end - f->rsv_off, f->struct_off, struct_size) ||
        fdt_overlaps(f->rsv_off, f->rsv_end - f->rsv_off, f->strings_off, strings_size)) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    return FDT_OK;
}

long
fdt_check_header(const void *blob, size_t size)
{
    struct fdt_blob f;
    int err = fdt_open(blob, size, &f);

    if (err != FDT_OK) {
        return err;
    }
    return (long)f.total;
}

/* Moves the walker past n more bytes, rounded up to a token boundary. */
static int
fdt_walk_skip(struct fdt_walk *w, uint32_t n)
{
    uint64_t next = ((uint64_t)w->pos + n + 3) & ~(uint64_t)3;

    if (next > w->fdt->struct_end) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    w->pos = (uint32_t)next;
    return FDT_OK;
}

/* Reads a BEGIN_NODE whose tag has been consumed. */
static int
fdt_walk_begin(struct fdt_walk *w, struct fdt_token *t)
{
    const struct fdt_blob *f = w->fdt;
    uint32_t len = 0;
    int err;

    if (w->state == FDT_WALK_DONE || (w->state == FDT_WALK_CHILDREN && w->depth == 0)) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    if (w->depth >= FDT_MAX_DEPTH) {
        return FDT_ERR_TOO_DEEP;
    }
    err = fdt_cstr(f, w->pos, f->struct_end, &len);
    if (err != FDT_OK) {
        return err;
    }
    t->name.p = f->base + w->pos;
    t->name.len = len;
    err = fdt_walk_skip(w, len + 1);
    if (err != FDT_OK) {
        return err;
    }
    w->depth++;
    w->state = FDT_WALK_PROPS;
    return (int)FDT_TOKEN_BEGIN_NODE;
}

/* Reads a PROP whose tag has been consumed. */
static int
fdt_walk_prop(struct fdt_walk *w, struct fdt_token *t)
{
    const struct fdt_blob *f = w->fdt;
    uint32_t len;
    uint32_t nameoff;
    uint32_t name_len = 0;
    int err;

    if (w->state != FDT_WALK_PROPS || f->struct_end - w->pos < 8) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    len = fdt_be32(f->base + w->pos);
    nameoff = fdt_be32(f->base + w->pos + 4);
    if (len > f->struct_end - w->pos - 8 || nameoff >= f->strings_end - f->strings_off) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    err = fdt_cstr(f, f->strings_off + nameoff, f->strings_end, &name_len);
    if (err != FDT_OK) {
        return err;
    }
    t->name.p = f->base + f->strings_off + nameoff;
    t->name.len = name_len;
    t->value.p = f->base + w->pos + 8;
    t->value.len = len;
    err = fdt_walk_skip(w, 8 + len);
    if (err != FDT_OK) {
        return err;
    }
    return (int)FDT_TOKEN_PROP;
}

/*
 * Reads the next token into *t. Returns its tag (FDT_TOKEN_*), or a negative fdt_error if
 * the token is malformed or not allowed here. Always consumes at least four bytes on success.
 */
static int
fdt_walk_next(struct fdt_walk *w, struct fdt_token *t)
{
    const struct fdt_blob *f = w->fdt;
    uint32_t tag;

    if (w->state == FDT_WALK_DONE || f->struct_end - w->pos < 4) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    tag = fdt_be32(f->base + w->pos);
    w->pos += 4;
    switch (tag) {
    case FDT_TOKEN_BEGIN_NODE:
        return fdt_walk_begin(w, t);
    case FDT_TOKEN_PROP:
        return fdt_walk_prop(w, t);
    case FDT_TOKEN_END_NODE:
        if (w->depth == 0) {
            return FDT_ERR_BAD_STRUCTURE;
        }
        w->depth--;
        w->state = FDT_WALK_CHILDREN;
        return (int)tag;
    case FDT_TOKEN_NOP:
        return (int)tag;
    case FDT_TOKEN_END:
        if (w->state != FDT_WALK_CHILDREN || w->depth != 0) {
            return FDT_ERR_BAD_STRUCTURE;
        }
        w->state = FDT_WALK_DONE;
        return (int)tag;
    default:
        return FDT_ERR_BAD_STRUCTURE;
    }
}

/*
 * Checks that a reg decoded with the parent's cells is well formed and sets *count to its
 * number of entries. need_size demands at least one size cell.
 */
static int
fdt_reg_count(const struct fdt_frame *parent, struct fdt_bytes reg, bool need_size, uint32_t *count)
{
    uint32_t ac = parent->addr_cells;
    uint32_t sc = parent->size_cells;

    if (ac < 1 || ac > 2 || sc > 2 || (need_size && sc == 0)) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    if (reg.len % ((ac + sc) * 4) != 0) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    *count = reg.len / ((ac + sc) * 4);
    return FDT_OK;
}

/* Reads a 1- or 2-cell number (0 cells read as 0). */
static uint64_t
fdt_read_cells(const uint8_t *p, uint32_t cells)
{
    if (cells == 2) {
        return fdt_be64(p);
    }
    if (cells == 1) {
        return fdt_be32(p);
    }
    return 0;
}

/*
 * Reads entry i of a reg already checked by fdt_reg_count(). Returns FDT_OK, or
 * FDT_ERR_BAD_STRUCTURE if base + size overflows.
 */
static int
fdt_reg_entry(const struct fdt_frame *parent, struct fdt_bytes reg, uint32_t i,
              struct fdt_region *r)
{
    uint32_t ac = parent->addr_cells;
    uint32_t sc = parent->size_cells;
    const uint8_t *e = reg.p + (size_t)i * (ac + sc) * 4;

    r->base = fdt_read_cells(e, ac);
    r->size = fdt_read_cells(e + ac * 4, sc);
    if (r->size > UINT64_MAX - r->base) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    return FDT_OK;
}

/* Appends a region to an array of FDT_MAX_REGIONS, dropping it if empty. */
static int
fdt_add_region(struct fdt_region *arr, unsigned *num, struct fdt_region r)
{
    if (r.size == 0) {
        return FDT_OK;
    }
    if (*num >= FDT_MAX_REGIONS) {
        return FDT_ERR_TOO_MANY;
    }
    arr[*num].base = r.base;
    arr[*num].size = r.size;
    (*num)++;
    return FDT_OK;
}

/* Appends every entry of reg (decoded with the parent's cells) to a region array. */
static int
fdt_add_reg(struct fdt_region *arr, unsigned *num, const struct fdt_frame *parent,
            struct fdt_bytes reg)
{
    struct fdt_region r;
    uint32_t count = 0;
    int err;

    if (reg.p == NULL) {
        return FDT_OK;
    }
    err = fdt_reg_count(parent, reg, true, &count);
    /* count <= reg.len / 8, so the loop is bounded by the blob size. */
    for (uint32_t i = 0; err == FDT_OK && i < count; i++) {
        err = fdt_reg_entry(parent, reg, i, &r);
        if (err == FDT_OK) {
            err = fdt_add_region(arr, num, r);
        }
    }
    return err;
}

/* Reads the first reg entry of a device node; it must have one. */
static int
fdt_first_reg(const struct fdt_frame *parent, struct fdt_bytes reg, struct fdt_region *r)
{
    uint32_t count = 0;
    int err;

    if (reg.p == NULL) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    err = fdt_reg_count(parent, reg, false, &count);
    if (err != FDT_OK) {
        return err;
    }
    if (count == 0) {
        return FDT_ERR_BAD_STRUCTURE;
    }
    return fdt_reg_entry(parent, reg, 0, r);
}

/* Reads a timebase-frequency (4 or 8 bytes) into *hz, leaving it alone if absent. */
static int
fdt_prop_timebase(struct fdt_bytes v, uint64_t *hz)
{
    if (v.p == NULL) {
        return FDT_OK;
    }
    if (v.len == 4) {
        *hz = fdt_be32(v.p);
        return FDT_OK;
    }
    if (v.len == 8) {
        *hz = fdt_be64(v.p);
        return FDT_OK;
    }
    return FDT_ERR_BAD_STRUCTURE;
}

/* Reads the properties of an ns16550a node. */
static int
fdt_read_uart(struct fdt_ctx *c, const struct fdt_frame *parent, struct fdt_uart *u)
{
    struct fdt_region r;
    int err;

    err = fdt_first_reg(parent, c->props[FDT_P_REG], &r);
    if (err == FDT_OK) {
        err = fdt_prop_irq(c->props[FDT_P_INTERRUPTS], &u->irq);
    }
    if (err == FDT_OK) {
        err = fdt_prop_u32(c->props[FDT_P_REG_SHIFT], 0, &u->reg_shift);
    }
    if (err != FDT_OK) {
        return err;
    }
    u->base = r.base;
    u->size = r.size;
    u->is_found = true;
    return FDT_OK;
}

/* Reads the properties of a PLIC node. */
static int
fdt_read_plic(struct fdt_ctx *c, const struct fdt_frame *parent)
{
    struct fdt_bytes irq_ext = c->props[FDT_P_IRQ_EXT];
    struct fdt_region r;
    int err;

    err = fdt_first_reg(parent, c->props[FDT_P_REG], &r);
    if (err == FDT_OK) {
        err = fdt_prop_u32(c->props[FDT_P_NDEV], 0, &c->plat.plic_ndev);
    }
    if (err == FDT_OK && irq_ext.p != NULL && irq_ext.len % 4 != 0) {
        err = FDT_ERR_BAD_STRUCTURE;
    }
    if (err != FDT_OK) {
        return err;
    }
    c->plat.plic_base = r.base;
    c->plat.plic_size = r.size;
    c->plic_irq_ext = irq_ext;
    c->has_plic = true;
    return FDT_OK;
}

/* Reads the properties of a goldfish RTC node. */
static int
fdt_read_rtc(struct fdt_ctx *c, const struct fdt_frame *parent)
{
    struct fdt_region r;
    int err;

    err = fdt_first_reg(parent, c->props[FDT_P_REG], &r);
    if (err == FDT_OK) {
        err = fdt_prop_irq(c->props[FDT_P_INTERRUPTS], &c->plat.rtc_irq);
    }
    if (err != FDT_OK) {
        return err;
    }
    c->plat.rtc_base = r.base;
    c->has_rtc = true;
    return FDT_OK;
}

/* Reads the properties of a SiFive test device node. */
static int
fdt_read_test(struct fdt_ctx *c, const struct fdt_frame *parent)
{
    struct fdt_region r;
    int err;

    err = fdt_first_reg(parent, c->props[FDT_P_REG], &r);
    if (err != FDT_OK) {
        return err;
    }
    c->plat.test_base = r.base;
    c->has_test = true;
    return FDT_OK;
}

/* Picks up the first enabled instance of each device the kernel drives. */
static int
fdt_finish_device(struct fdt_ctx *c, const struct fdt_frame *parent)
{
    struct fdt_bytes compat = c->props[FDT_P_COMPATIBLE];

    if (compat.p == NULL || !fdt_is_enabled(c->props[FDT_P_STATUS])) {
        return FDT_OK;
    }
    if (!c->uart.is_found && fdt_strlist_has(compat, "ns16550a")) {
        return fdt_read_uart(c, parent, &c->uart);
    }
    if (!c->has_plic &&
        (fdt_strlist_has(compat, "riscv,plic0") || fdt_strlist_has(compat, "sifive,plic-1.0.0"))) {
        return fdt_read_plic(c, parent);
    }
    if (!c->has_rtc && fdt_strlist_has(compat, "google,goldfish-rtc")) {
        return fdt_read_rtc(c, parent);
    }
    if (!c->has_test && fdt_strlist_has(compat, "sifive,test0")) {
        return fdt_read_test(c, parent);
    }
    return FDT_OK;
}

/* Handles a node under /cpus: counts harts (and those with Sstc) and notes hart 0. */
static int
fdt_finish_cpu(struct fdt_ctx *c, struct fdt_frame *node, const struct fdt_frame *parent)
{
    struct fdt_bytes reg = c->props[FDT_P_REG];
    struct fdt_region r;
    int err;

    if (!fdt_str_eq(c->props[FDT_P_DEVICE_TYPE], "cpu")) {
        return FDT_OK;
    }
    if (fdt_is_enabled(c->props[FDT_P_STATUS])) {
        c->plat.num_harts++;
        if (fdt_isa_has(c->props[FDT_P_ISA], "sstc") ||
            fdt_strlist_has(c->props[FDT_P_ISA_EXTENSIONS], "sstc")) {
            c->sstc_harts++;
        }
    }
    if (c->cpu_timebase == 0) {
        err = fdt_prop_timebase(c->props[FDT_P_TIMEBASE], &c->cpu_timebase);
        if (err != FDT_OK) {
            return err;
        }
    }
    if (reg.p == NULL) {
        return FDT_OK;
    }
    err = fdt_first_reg(parent, reg, &r);
    if (err == FDT_OK && r.base == 0) {
        node->kind = FDT_KIND_HART0;
    }
    return err;
}

/* Handles a child of hart 0's cpu node: remembers its interrupt controller's phandle. */
static int
fdt_finish_hart0_child(struct fdt_ctx *c)
{
    struct fdt_bytes ph = c->props[FDT_P_PHANDLE];
    uint32_t phandle = 0;
    int err;

    if (c->has_hart0_intc || !fdt_strlist_has(c->props[FDT_P_COMPATIBLE], "riscv,cpu-intc")) {
        return FDT_OK;
    }
    if (ph.p == NULL) {
        ph = c->props[FDT_P_LINUX_PHANDLE];
    }
    err = fdt_prop_u32(ph, 0, &phandle);
    if (err == FDT_OK && phandle != 0 && phandle != UINT32_MAX) {
        c->hart0_intc = phandle;
        c->has_hart0_intc = true;
    }
    return err;
}

/* Splits /chosen stdout-path ("path-or-alias[:options]") into ctx.target or ctx.alias. */
static void
fdt_finish_chosen(struct fdt_ctx *c)
{
    struct fdt_bytes v = c->props[FDT_P_STDOUT_PATH];
    uint32_t len = 0;

    if (v.p == NULL) {
        v = c->props[FDT_P_LINUX_STDOUT_PATH];
    }
    if (v.p == NULL || v.len == 0 || v.p[v.len - 1] != '\0') {
        return;
    }
    while (len < v.len && v.p[len] != '\0' && v.p[len] != ':') {
        len++;
    }
    if (len == 0) {
        return;
    }
    v.len = len;
    if (v.p[0] == '/') {
        c->target = v;
    } else {
        c->alias = v;
    }
}

/* Acts on a direct child of the root node. */
static int
fdt_finish_top(struct fdt_ctx *c, struct fdt_frame *node, const struct fdt_frame *root)
{
    int err;

    if (fdt_name_eq(node->name, "cpus")) {
        node->kind = FDT_KIND_CPUS;
        return fdt_prop_timebase(c->props[FDT_P_TIMEBASE], &c->plat.timebase_hz);
    }
    if (fdt_name_eq(node->name, "reserved-memory")) {
        node->kind = FDT_KIND_RESERVED;
        return FDT_OK;
    }
    if (fdt_name_eq(node->name, "chosen")) {
        fdt_finish_chosen(c);
        return FDT_OK;
    }
    if (fdt_str_eq(c->props[FDT_P_DEVICE_TYPE], "memory") &&
        fdt_is_enabled(c->props[FDT_P_STATUS])) {
        err = fdt_add_reg(c->plat.memory, &c->plat.num_memory, root, c->props[FDT_P_REG]);
        if (err != FDT_OK) {
            return err;
        }
    }
    return fdt_finish_device(c, root);
}

/* Acts on a node in the main pass, once all its properties have been seen. */
static int
fdt_finish_main(struct fdt_ctx *c, uint32_t d)
{
    struct fdt_frame *node = &c->frames[d];
    const struct fdt_frame *parent = &c->frames[d - 1];

    if (d == 2) {
        return fdt_finish_top(c, node, parent);
    }
    if (d == 3 && parent->kind == FDT_KIND_CPUS) {
        return fdt_finish_cpu(c, node, parent);
    }
    if (d == 3 && parent->kind == FDT_KIND_RESERVED) {
        return fdt_add_reg(c->plat.reserved, &c->plat.num_reserved, parent, c->props[FDT_P_REG]);
    }
    if (d == 4 && parent->kind == FDT_KIND_HART0) {
        return fdt_finish_hart0_child(c);
    }
    if (d >= 2) {
        return fdt_finish_device(c, parent);
    }
    return FDT_OK;
}

/* Marks node d finished: takes its cells, then acts on it according to the pass. */
static int
fdt_finish_node(struct fdt_ctx *c, uint32_t d)
{
    struct fdt_frame *node = &c->frames[d];
    int err;

    node->is_finished = true;
    err = fdt_prop_u32(c->props[FDT_P_ADDR_CELLS], 2, &node->addr_cells);
    if (err == FDT_OK) {
        err = fdt_prop_u32(c->props[FDT_P_SIZE_CELLS], 1, &node->size_cells);
    }
    if (err != FDT_OK) {
        return err;
    }
    if (c->pass == FDT_PASS_MAIN) {
        return fdt_finish_main(c, d);
    }
    if (c->pass == FDT_PASS_PATH && !c->path_uart.is_found && node->path_matched >= 0 &&
        (uint32_t)node->path_matched == c->target.len &&
        fdt_strlist_has(c->props[FDT_P_COMPATIBLE], "ns16550a") &&
        fdt_is_enabled(c->props[FDT_P_STATUS])) {
        return fdt_read_uart(c, &c->frames[d - 1], &c->path_uart);
    }
    return FDT_OK;
}

/*
 * Returns how many chars of the target path the child named name matches, given that its
 * parent matches the first m chars, or -1. A path component without a unit address also
 * matches a node name with one ("serial" matches "serial@10000000").
 */
static int32_t
fdt_path_step(struct fdt_bytes target, int32_t m, struct fdt_bytes name)
{
    uint32_t start;
    uint32_t end;
    bool has_unit = false;

    if (m < 0 || (uint32_t)m >= target.len || target.p[m] != '/') {
        return -1;
    }
    start = (uint32_t)m + 1;
    end = start;
    while (end < target.len && target.p[end] != '/') {
        has_unit = has_unit || target.p[end] == '@';
        end++;
    }
    struct fdt_bytes comp = {target.p + start, end - start};
    if (name.len < comp.len || (name.len > comp.len && (has_unit || name.p[comp.len] != '@'))) {
        return -1;
    }
    for (uint32_t i = 0; i < comp.len; i++) {
        if (comp.p[i] != name.p[i]) {
            return -1;
        }
    }
    return (int32_t)end;
}

/* Opens a frame for a node that has just begun at depth d, finishing its parent first. */
static int
fdt_on_begin(struct fdt_ctx *c, uint32_t d, struct fdt_bytes name)
{
    struct fdt_frame *node = &c->frames[d];
    int err;

    if (d >= 2 && !c->frames[d - 1].is_finished) {
        err = fdt_finish_node(c, d - 1);
        if (err != FDT_OK) {
            return err;
        }
    }
    node->name = name;
    node->addr_cells = 2;
    node->size_cells = 1;
    node->kind = FDT_KIND_OTHER;
    node->is_finished = false;
    node->path_matched = -1;
    if (c->pass == FDT_PASS_PATH) {
        node->path_matched =
            d == 1 ? 0 : fdt_path_step(c->target, c->frames[d - 1].path_matched, name);
    }
    for (uint32_t i = 0; i < FDT_P_COUNT; i++) {
        c->props[i].p = NULL;
        c->props[i].len = 0;
    }
    return FDT_OK;
}

/* Records a property of the node at depth d, if the current pass wants it. */
static void
fdt_on_prop(struct fdt_ctx *c, uint32_t d, const struct fdt_token *t)
{
    if (c->pass == FDT_PASS_ALIAS) {
        if (d == 2 && c->target.p == NULL && fdt_name_eq(c->frames[d].name, "aliases") &&
            fdt_bytes_eq(t->name, c->alias)) {
            c->target = t->value;
        }
        return;
    }
    for (uint32_t i = 0; i < FDT_P_COUNT; i++) {
        if (c->props[i].p == NULL && fdt_name_eq(t->name, fdt_prop_names[i])) {
            c->props[i] = t->value;
            return;
        }
    }
}

/* Walks the whole structure block once, doing the job of c->pass. */
static int
fdt_run_pass(struct fdt_ctx *c, const struct fdt_blob *f)
{
    struct fdt_walk w = {f, f->struct_off, 0, FDT_WALK_START};
    struct fdt_token t = {{NULL, 0}, {NULL, 0}};
    uint32_t limit = (f->struct_end - f->struct_off) / 4;
    int tag;
    int err = FDT_OK;

    /* Every token is at least four bytes, so limit + 1 iterations always reach the end. */
    for (uint32_t n = 0; n <= limit && err == FDT_OK; n++) {
        tag = fdt_walk_next(&w, &t);
        if (tag < 0) {
            return tag;
        }
        if (tag == (int)FDT_TOKEN_END) {
            return FDT_OK;
        }
        if (tag == (int)FDT_TOKEN_BEGIN_NODE) {
            err = fdt_on_begin(c, w.depth, t.name);
        } else if (tag == (int)FDT_TOKEN_PROP) {
            fdt_on_prop(c, w.depth, &t);
        } else if (tag == (int)FDT_TOKEN_END_NODE && !c->frames[w.depth + 1].is_finished) {
            err = fdt_finish_node(c, w.depth + 1);
        }
    }
    return err != FDT_OK ? err : FDT_ERR_BAD_STRUCTURE;
}

/* Adds the memory reservation block entries to the reserved regions. */
static int
fdt_read_rsvmap(struct fdt_ctx *c, const struct fdt_blob *f)
{
    struct fdt_region r;
    int err = FDT_OK;

    /* The last entry is the (0, 0) terminator, checked by fdt_open(). */
    for (uint32_t pos = f->rsv_off; pos + FDT_RSV_ENTRY_SIZE < f->rsv_end && err == FDT_OK;
         pos += FDT_RSV_ENTRY_SIZE) {
        r.base = fdt_be64(f->base + pos);
        r.size = fdt_be64(f->base + pos + 8);
        if (r.size > UINT64_MAX - r.base) {
            return FDT_ERR_BAD_STRUCTURE;
        }
        err = fdt_add_region(c->plat.reserved, &c->plat.num_reserved, r);
    }
    return err;
}

/* Sets plat.plic_s_context from the PLIC's interrupts-extended and hart 0's intc. */
static void
fdt_resolve_s_context(struct fdt_ctx *c)
{
    struct fdt_bytes v = c->plic_irq_ext;

    /* Entries are (phandle, irq) pairs when every target has #interrupt-cells = 1. */
    if (!c->has_plic || !c->has_hart0_intc || v.p == NULL || v.len % 8 != 0) {
        return;
    }
    for (uint32_t i = 0; i < v.len / 8; i++) {
        if (fdt_be32(v.p + 8 * i) == c->hart0_intc &&
            fdt_be32(v.p + 8 * i + 4) == FDT_IRQ_S_EXTERNAL) {
            c->plat.plic_s_context = (int32_t)i;
            return;
        }
    }
}

/* Clears the parse state for the first pass. */
static void
fdt_ctx_init(struct fdt_ctx *c)
{
    struct fdt_platform *p = &c->plat;
    struct fdt_uart none = {false, 0, 0, 0, 0};
    struct fdt_bytes absent = {NULL, 0};

    for (uint32_t i = 0; i < FDT_MAX_REGIONS; i++) {
        p->memory[i].base = 0;
        p->memory[i].size = 0;
        p->reserved[i].base = 0;
        p->reserved[i].size = 0;
    }
    p->num_memory = 0;
    p->num_reserved = 0;
    p->timebase_hz = 0;
    p->num_harts = 0;
    p->has_sstc = false;
    p->uart_base = 0;
    p->uart_size = 0;
    p->uart_irq = 0;
    p->uart_reg_shift = 0;
    p->plic_base = 0;
    p->plic_size = 0;
    p->plic_ndev = 0;
    p->plic_s_context = -1;
    p->rtc_base = 0;
    p->rtc_irq = 0;
    p->test_base = 0;
    c->pass = FDT_PASS_MAIN;
    c->frames[0].name = absent;
    c->frames[0].addr_cells = 2;
    c->frames[0].size_cells = 1;
    c->frames[0].path_matched = -1;
    c->frames[0].kind = FDT_KIND_OTHER;
    c->frames[0].is_finished = true;
    c->uart = none;
    c->path_uart = none;
    c->has_plic = false;
    c->has_rtc = false;
    c->has_test = false;
    c->has_hart0_intc = false;
    c->hart0_intc = 0;
    c->plic_irq_ext = absent;
    c->cpu_timebase = 0;
    c->sstc_harts = 0;
    c->alias = absent;
    c->target = absent;
}

/*
 * Finds the console named by /chosen stdout-path, resolving an alias through /aliases first.
 * Leaves c->path_uart.is_found false if the path names no enabled ns16550a node.
 */
static int
fdt_resolve_stdout(struct fdt_ctx *c, const struct fdt_blob *f)
{
    struct fdt_bytes v;
    uint32_t len = 0;
    int err;

    if (c->alias.p != NULL) {
        c->pass = FDT_PASS_ALIAS;
        err = fdt_run_pass(c, f);
        if (err != FDT_OK || c->target.p == NULL) {
            return err;
        }
        /* The alias value must be an absolute, NUL-terminated path. */
        v = c->target;
        c->target.p = NULL;
        if (v.len == 0 || v.p[v.len - 1] != '\0' || v.p[0] != '/') {
            return FDT_OK;
        }
        while (len < v.len && v.p[len] != '\0') {
            len++;
        }
        c->target.p = v.p;
        c->target.len = len;
    }
    if (c->target.p == NULL) {
        return FDT_OK;
    }
    c->pass = FDT_PASS_PATH;
    return fdt_run_pass(c, f);
}

/* Copies the finished result to *out. */
static void
fdt_copy_out(const struct fdt_ctx *c, struct fdt_platform *out)
{
    const struct fdt_platform *p = &c->plat;
    const struct fdt_uart *u = c->path_uart.is_found ? &c->path_uart : &c->uart;

    for (uint32_t i = 0; i < FDT_MAX_REGIONS; i++) {
        out->memory[i] = p->memory[i];
        out->reserved[i] = p->reserved[i];
    }
    out->num_memory = p->num_memory;
    out->num_reserved = p->num_reserved;
    out->timebase_hz = p->timebase_hz;
    out->num_harts = p->num_harts;
    out->has_sstc = p->has_sstc;
    out->uart_base = u->base;
    out->uart_size = u->size;
    out->uart_irq = u->irq;
    out->uart_reg_shift = u->reg_shift;
    out->plic_base = p->plic_base;
    out->plic_size = p->plic_size;
    out->plic_ndev = p->plic_ndev;
    out->plic_s_context = p->plic_s_context;
    out->rtc_base = p->rtc_base;
    out->rtc_irq = p->rtc_irq;
    out->test_base = p->test_base;
}

int
fdt_parse_platform(const void *blob, size_t size, struct fdt_platform *out)
{
    struct fdt_blob f;
    struct fdt_ctx c;
    int err;

    err = fdt_open(blob, size, &f);
    if (err != FDT_OK) {
        return err;
    }
    fdt_ctx_init(&c);
    err = fdt_read_rsvmap(&c, &f);
    if (err == FDT_OK) {
        err = fdt_run_pass(&c, &f);
    }
    if (err == FDT_OK) {
        err = fdt_resolve_stdout(&c, &f);
    }
    if (err != FDT_OK) {
        return err;
    }
    fdt_resolve_s_context(&c);
    c.plat.has_sstc = c.plat.num_harts != 0 && c.sstc_harts == c.plat.num_harts;
    if (c.plat.timebase_hz == 0) {
        c.plat.timebase_hz = c.cpu_timebase;
    }
    if (c.plat.num_memory == 0 || c.plat.timebase_hz == 0) {
        return FDT_ERR_MISSING;
    }
    fdt_copy_out(&c, out);
    return FDT_OK;
}

const char *
fdt_strerror(int err)
{
    switch (err) {
    case FDT_OK:
        return "success";
    case FDT_ERR_TRUNCATED:
        return "blob truncated";
    case FDT_ERR_BAD_MAGIC:
        return "bad magic";
    case FDT_ERR_BAD_VERSION:
        return "unsupported version";
    case FDT_ERR_BAD_STRUCTURE:
        return "malformed structure";
    case FDT_ERR_TOO_DEEP:
        return "nodes nested too deep";
    case FDT_ERR_TOO_MANY:
        return "too many regions";
    case FDT_ERR_MISSING:
        return "memory or timebase missing";
    default:
        return "unknown error";
    }
}
