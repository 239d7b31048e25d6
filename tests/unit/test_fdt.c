/*
 * Host unit tests for the devicetree parser (kernel/src/kernel/fdt.c).
 *
 * Build and run from the repository root:
 *   mkdir -p build/host
 *   clang-14 -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
 *       -fno-sanitize-recover=all -Ikernel/include kernel/src/kernel/fdt.c \
 *       tests/unit/test_fdt.c -o build/host/test_fdt
 *   tests/unit/fdt_gen.sh build/host/dtb
 *   build/host/test_fdt build/host/dtb
 *
 * Arguments are DTB files or directories (every *.dtb inside is used). Without arguments only
 * the built-in tests run. A file named qemu-virt-<MiB>M-<harts>cpu[-aia].dtb (as written by
 * fdt_gen.sh) is checked field by field against what QEMU 7.2's virt machine describes; any
 * other file must merely parse. Every file is also truncated, corrupted and mutated.
 *
 * Output: one line per test, "VLTEST PASS <name>" or "VLTEST FAIL <name> <reason>"; the exit
 * status is 1 if any test failed. Every parse goes through parse_exact(), which copies the
 * blob into a heap buffer of exactly the size passed, so that AddressSanitizer reports any
 * read past the end, and which checks that a failing parse leaves its output untouched.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/fdt.h"

#define TOK_BEGIN_NODE 1u
#define TOK_END_NODE 2u
#define TOK_PROP 3u
#define TOK_NOP 4u
#define TOK_END 9u

#define HDR_MAGIC 0u
#define HDR_TOTALSIZE 4u
#define HDR_OFF_STRUCT 8u
#define HDR_OFF_STRINGS 12u
#define HDR_OFF_RSVMAP 16u
#define HDR_VERSION 20u
#define HDR_LAST_COMP 24u
#define HDR_BOOT_CPUID 28u
#define HDR_SIZE_STRINGS 32u
#define HDR_SIZE_STRUCT 36u

#define BUILDER_STRUCT_CAP (1u << 16)
#define BUILDER_STRINGS_CAP (1u << 14)
#define BUILDER_RSV_CAP 64u

#define MIB (1024ull * 1024ull)

/* ---- Test harness ---- */

#define VLTEST_STRERROR fdt_strerror
#include "vltest.h"

/* A blob in a heap buffer of exactly len bytes. */
struct blob {
    uint8_t *p;
    size_t len;
};

static void *
xmalloc(size_t n)
{
    void *p = malloc(n == 0 ? 1 : n);

    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static uint32_t
get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static struct blob
blob_copy(const uint8_t *p, size_t len)
{
    struct blob b = {xmalloc(len), len};

    if (len != 0) {
        memcpy(b.p, p, len);
    }
    return b;
}

/*
 * Parses len bytes of data from an exact-size heap copy placed misalign bytes into its
 * buffer. On failure also checks that *out was not touched (sets g_clobbered otherwise).
 * Also checks that fdt_check_header agrees with the parse about header errors.
 */
static int
parse_at(const uint8_t *data, size_t len, size_t misalign, struct fdt_platform *out)
{
    uint8_t *buf = xmalloc(len + misalign);
    struct fdt_platform before;
    long hdr;
    int err;

    if (len != 0) {
        memcpy(buf + misalign, data, len);
    }
    memset(out, 0xa5, sizeof(*out));
    memcpy(&before, out, sizeof(before));
    hdr = fdt_check_header(len == 0 ? NULL : buf + misalign, len);
    err = fdt_parse_platform(len == 0 ? NULL : buf + misalign, len, out);
    free(buf);
    if (g_clobbered) {
        return err;
    }
    if (err != FDT_OK && memcmp(&before, out, sizeof(before)) != 0) {
        snprintf(g_clobber_why, sizeof(g_clobber_why), "failing parse (%d, size %zu) wrote *out",
                 err, len);
        g_clobbered = true;
    } else if (hdr < 0 && err != (int)hdr) {
        snprintf(g_clobber_why, sizeof(g_clobber_why),
                 "check_header says %ld but parse says %d (size %zu)", hdr, err, len);
        g_clobbered = true;
    } else if (hdr > 0 && (size_t)hdr > len) {
        snprintf(g_clobber_why, sizeof(g_clobber_why), "check_header returned %ld > size %zu", hdr,
                 len);
        g_clobbered = true;
    }
    return err;
}

static int
parse_exact(const uint8_t *data, size_t len, struct fdt_platform *out)
{
    return parse_at(data, len, 0, out);
}

/* Checks the invariants every successful parse must satisfy. */
static bool
sane_result(const struct fdt_platform *p)
{
    EXPECT(p->num_memory >= 1 && p->num_memory <= FDT_MAX_REGIONS);
    EXPECT(p->num_reserved <= FDT_MAX_REGIONS);
    EXPECT(p->timebase_hz != 0);
    EXPECT(p->plic_s_context >= -1);
    for (unsigned i = 0; i < p->num_memory; i++) {
        EXPECT(p->memory[i].size != 0);
        EXPECT(p->memory[i].size <= UINT64_MAX - p->memory[i].base);
    }
    for (unsigned i = 0; i < p->num_reserved; i++) {
        EXPECT(p->reserved[i].size != 0);
        EXPECT(p->reserved[i].size <= UINT64_MAX - p->reserved[i].base);
    }
    return true;
}

/* Compares every field of two results. */
static bool
same_platform(const struct fdt_platform *got, const struct fdt_platform *want)
{
    EXPECT_EQ(got->num_memory, want->num_memory);
    for (unsigned i = 0; i < want->num_memory && i < FDT_MAX_REGIONS; i++) {
        EXPECT_EQ(got->memory[i].base, want->memory[i].base);
        EXPECT_EQ(got->memory[i].size, want->memory[i].size);
    }
    EXPECT_EQ(got->num_reserved, want->num_reserved);
    for (unsigned i = 0; i < want->num_reserved && i < FDT_MAX_REGIONS; i++) {
        EXPECT_EQ(got->reserved[i].base, want->reserved[i].base);
        EXPECT_EQ(got->reserved[i].size, want->reserved[i].size);
    }
    EXPECT_EQ(got->timebase_hz, want->timebase_hz);
    EXPECT_EQ(got->num_harts, want->num_harts);
    EXPECT_EQ(got->has_sstc, want->has_sstc);
    EXPECT_EQ(got->uart_base, want->uart_base);
    EXPECT_EQ(got->uart_size, want->uart_size);
    EXPECT_EQ(got->uart_irq, want->uart_irq);
    EXPECT_EQ(got->uart_reg_shift, want->uart_reg_shift);
    EXPECT_EQ(got->plic_base, want->plic_base);
    EXPECT_EQ(got->plic_size, want->plic_size);
    EXPECT_EQ(got->plic_ndev, want->plic_ndev);
    EXPECT_EQ(got->plic_s_context, want->plic_s_context);
    EXPECT_EQ(got->rtc_base, want->rtc_base);
    EXPECT_EQ(got->rtc_irq, want->rtc_irq);
    EXPECT_EQ(got->test_base, want->test_base);
    return true;
}

/* ---- A tiny DTB builder ---- */

struct builder {
    uint8_t st[BUILDER_STRUCT_CAP]; /* structure block, without the final FDT_END */
    size_t st_len;
    char strs[BUILDER_STRINGS_CAP]; /* strings block */
    size_t strs_len;
    uint64_t rsv[BUILDER_RSV_CAP][2]; /* reservation entries, without the terminator */
    size_t nrsv;
    bool nops;          /* emit a NOP after every token */
    bool omit_end;      /* do not append FDT_END */
    bool strings_first; /* put the strings block before the structure block */
    uint32_t version;
};

static struct builder *
b_new(void)
{
    struct builder *b = calloc(1, sizeof(*b));

    if (b == NULL) {
        exit(2);
    }
    b->version = 17;
    return b;
}

static void
b_raw(struct builder *b, const void *data, size_t len)
{
    if (b->st_len + len + 4 > BUILDER_STRUCT_CAP) {
        fprintf(stderr, "builder: structure block full\n");
        exit(2);
    }
    memcpy(b->st + b->st_len, data, len);
    b->st_len += len;
    while (b->st_len % 4 != 0) {
        b->st[b->st_len++] = 0;
    }
}

static void
b_u32(struct builder *b, uint32_t v)
{
    uint8_t c[4];

    put_be32(c, v);
    b_raw(b, c, 4);
}

static void
b_maybe_nop(struct builder *b)
{
    if (b->nops) {
        b_u32(b, TOK_NOP);
    }
}

/* Returns the offset of name in the strings block, adding it if needed. */
static uint32_t
b_string(struct builder *b, const char *name)
{
    size_t len = strlen(name) + 1;

    for (size_t off = 0; off < b->strs_len; off += strlen(b->strs + off) + 1) {
        if (strcmp(b->strs + off, name) == 0) {
            return (uint32_t)off;
        }
    }
    if (b->strs_len + len > BUILDER_STRINGS_CAP) {
        fprintf(stderr, "builder: strings block full\n");
        exit(2);
    }
    memcpy(b->strs + b->strs_len, name, len);
    b->strs_len += len;
    return (uint32_t)(b->strs_len - len);
}

static void
b_begin(struct builder *b, const char *name)
{
    b_u32(b, TOK_BEGIN_NODE);
    b_raw(b, name, strlen(name) + 1);
    b_maybe_nop(b);
}

static void
b_end(struct builder *b)
{
    b_u32(b, TOK_END_NODE);
    b_maybe_nop(b);
}

static void
b_prop(struct builder *b, const char *name, const void *val, size_t len)
{
    b_u32(b, TOK_PROP);
    b_u32(b, (uint32_t)len);
    b_u32(b, b_string(b, name));
    b_raw(b, val, len);
    b_maybe_nop(b);
}

static void
b_prop_u32(struct builder *b, const char *name, uint32_t v)
{
    uint8_t c[4];

    put_be32(c, v);
    b_prop(b, name, c, 4);
}

static void
b_prop_u64(struct builder *b, const char *name, uint64_t v)
{
    uint8_t c[8];

    put_be64(c, v);
    b_prop(b, name, c, 8);
}

static void
b_prop_str(struct builder *b, const char *name, const char *s)
{
    b_prop(b, name, s, strlen(s) + 1);
}

static void
b_prop_cells(struct builder *b, const char *name, size_t n, const uint32_t *cells)
{
    uint8_t buf[256 * 4];

    for (size_t i = 0; i < n; i++) {
        put_be32(buf + 4 * i, cells[i]);
    }
    b_prop(b, name, buf, 4 * n);
}

/* Emits a reg of n (base, size) entries with the given cell counts (each 0, 1, 2 or 3). */
static void
b_prop_reg(struct builder *b, unsigned ac, unsigned sc, size_t n, const uint64_t *pairs)
{
    uint32_t cells[256];
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        for (unsigned j = ac; j > 0; j--) {
            cells[k++] = j > 2 ? 0 : (uint32_t)(pairs[2 * i] >> (32 * (j - 1)));
        }
        for (unsigned j = sc; j > 0; j--) {
            cells[k++] = j > 2 ? 0 : (uint32_t)(pairs[2 * i + 1] >> (32 * (j - 1)));
        }
    }
    b_prop_cells(b, "reg", k, cells);
}

static void
b_reg1(struct builder *b, unsigned ac, unsigned sc, uint64_t base, uint64_t size)
{
    uint64_t pair[2] = {base, size};

    b_prop_reg(b, ac, sc, 1, pair);
}

static void
b_rsv(struct builder *b, uint64_t base, uint64_t size)
{
    b->rsv[b->nrsv][0] = base;
    b->rsv[b->nrsv][1] = size;
    b->nrsv++;
}

/* Lays out header, reservation block, structure block and strings block; frees b. */
static struct blob
b_finish(struct builder *b)
{
    uint32_t off_rsv = 40;
    uint32_t rsv_size = (uint32_t)(b->nrsv + 1) * 16;
    uint32_t struct_size = (uint32_t)b->st_len + (b->omit_end ? 0 : 4);
    uint32_t strs_size = (uint32_t)b->strs_len;
    uint32_t strs_pad = (4 - strs_size % 4) % 4;
    uint32_t off_struct = off_rsv + rsv_size + (b->strings_first ? strs_size + strs_pad : 0);
    uint32_t off_strings = b->strings_first ? off_rsv + rsv_size : off_struct + struct_size;
    uint32_t total =
        off_rsv + rsv_size + struct_size + strs_size + (b->strings_first ? strs_pad : 0);
    struct blob out = {xmalloc(total), total};
    uint8_t *p = out.p;

    memset(p, 0, total);
    put_be32(p + HDR_MAGIC, 0xd00dfeed);
    put_be32(p + HDR_TOTALSIZE, total);
    put_be32(p + HDR_OFF_STRUCT, off_struct);
    put_be32(p + HDR_OFF_STRINGS, off_strings);
    put_be32(p + HDR_OFF_RSVMAP, off_rsv);
    put_be32(p + HDR_VERSION, b->version);
    put_be32(p + HDR_LAST_COMP, 16);
    put_be32(p + HDR_SIZE_STRINGS, (uint32_t)b->strs_len);
    if (b->version >= 17) {
        put_be32(p + HDR_SIZE_STRUCT, struct_size);
    }
    for (size_t i = 0; i < b->nrsv; i++) {
        put_be64(p + off_rsv + 16 * i, b->rsv[i][0]);
        put_be64(p + off_rsv + 16 * i + 8, b->rsv[i][1]);
    }
    memcpy(p + off_struct, b->st, b->st_len);
    if (!b->omit_end) {
        put_be32(p + off_struct + b->st_len, TOK_END);
    }
    memcpy(p + off_strings, b->strs, b->strs_len);
    free(b);
    return out;
}

/* ---- A synthetic QEMU-virt-like tree ---- */

struct virt_opt {
    unsigned nharts;        /* 0 means 1 */
    uint64_t mem_size;      /* 0 means 128 MiB */
    bool cells32;           /* #address-cells = #size-cells = 1 at the root and in /soc */
    bool soc_first;         /* /soc (with the PLIC) before /cpus */
    bool hart0_last;        /* emit cpu nodes in reverse order */
    bool timebase64;        /* timebase-frequency as a 64-bit value */
    bool timebase_in_cpu;   /* timebase-frequency in every cpu node instead of /cpus */
    bool chosen_last;       /* /chosen after /soc */
    const char *stdout;     /* /chosen stdout-path, or NULL */
    const char *alias_name; /* an /aliases property, or NULL */
    const char *alias_path;
    bool second_uart;   /* a second ns16550a at 0x10010000, irq 12, reg-shift 2 */
    bool disable_first; /* status = "disabled" on the first uart */
    bool reserved;      /* /reserved-memory with two children, and two rsvmap entries */
    bool nops;          /* NOP after every token */
};

#define VIRT_TIMEBASE 10000000u
#define VIRT_INTC_PHANDLE(h) (100u + (h))
#define VIRT_PLIC_PHANDLE 50u

static void
virt_cpus(struct builder *b, const struct virt_opt *o)
{
    unsigned n = o->nharts == 0 ? 1 : o->nharts;

    b_begin(b, "cpus");
    b_prop_u32(b, "#address-cells", 1);
    b_prop_u32(b, "#size-cells", 0);
    if (o->timebase64) {
        b_prop_u64(b, "timebase-frequency", VIRT_TIMEBASE);
    } else if (!o->timebase_in_cpu) {
        b_prop_u32(b, "timebase-frequency", VIRT_TIMEBASE);
    }
    for (unsigned i = 0; i < n; i++) {
        unsigned h = o->hart0_last ? n - 1 - i : i;
        char name[32];
        snprintf(name, sizeof(name), "cpu@%x", h);
        b_begin(b, name);
        b_prop_u32(b, "phandle", 200 + h);
        b_prop_str(b, "device_type", "cpu");
        b_prop_u32(b, "reg", h);
        b_prop_str(b, "status", "okay");
        b_prop_str(b, "compatible", "riscv");
        if (o->timebase_in_cpu) {
            b_prop_u32(b, "timebase-frequency", VIRT_TIMEBASE);
        }
        b_begin(b, "interrupt-controller");
        b_prop_u32(b, "#interrupt-cells", 1);
        b_prop(b, "interrupt-controller", "", 0);
        b_prop_str(b, "compatible", "riscv,cpu-intc");
        b_prop_u32(b, "phandle", VIRT_INTC_PHANDLE(h));
        b_end(b);
        b_end(b);
    }
    b_begin(b, "cpu-map");
    b_begin(b, "cluster0");
    b_end(b);
    b_end(b);
    b_end(b);
}

static void
virt_uart(struct builder *b, const struct virt_opt *o, const char *name, uint64_t base,
          uint32_t irq, bool disabled, uint32_t shift)
{
    unsigned c = o->cells32 ? 1 : 2;

    b_begin(b, name);
    b_prop_u32(b, "interrupts", irq);
    b_prop_u32(b, "interrupt-parent", VIRT_PLIC_PHANDLE);
    b_reg1(b, c, c, base, 0x100);
    if (shift != 0) {
        b_prop_u32(b, "reg-shift", shift);
    }
    if (disabled) {
        b_prop_str(b, "status", "disabled");
    }
    b_prop_str(b, "compatible", "ns16550a");
    b_end(b);
}

static void
virt_soc(struct builder *b, const struct virt_opt *o)
{
    unsigned n = o->nharts == 0 ? 1 : o->nharts;
    unsigned c = o->cells32 ? 1 : 2;
    uint32_t irq_ext[2 * 2 * 64];
    static const char test_compat[] = "sifive,test1\0sifive,test0\0syscon";

    b_begin(b, "soc");
    b_prop_u32(b, "#address-cells", c);
    b_prop_u32(b, "#size-cells", c);
    b_prop_str(b, "compatible", "simple-bus");
    b_prop(b, "ranges", "", 0);
    b_begin(b, "rtc@101000");
    b_prop_u32(b, "interrupts", 11);
    b_reg1(b, c, c, 0x101000, 0x1000);
    b_prop_str(b, "compatible", "google,goldfish-rtc");
    b_end(b);
    virt_uart(b, o, "serial@10000000", 0x10000000, 10, o->disable_first, 0);
    if (o->second_uart) {
        virt_uart(b, o, "serial@10010000", 0x10010000, 12, false, 2);
    }
    b_begin(b, "test@100000");
    b_reg1(b, c, c, 0x100000, 0x1000);
    b_prop(b, "compatible", test_compat, sizeof(test_compat));
    b_end(b);
    b_begin(b, "plic@c000000");
    b_prop_u32(b, "phandle", VIRT_PLIC_PHANDLE);
    b_prop_u32(b, "riscv,ndev", 96);
    b_reg1(b, c, c, 0xc000000, 0x600000);
    for (unsigned i = 0; i < n; i++) {
        unsigned h = o->hart0_last ? n - 1 - i : i;
        irq_ext[4 * i + 0] = VIRT_INTC_PHANDLE(h);
        irq_ext[4 * i + 1] = 11;
        irq_ext[4 * i + 2] = VIRT_INTC_PHANDLE(h);
        irq_ext[4 * i + 3] = 9;
    }
    b_prop_cells(b, "interrupts-extended", 4 * n, irq_ext);
    b_prop(b, "interrupt-controller", "", 0);
    b_prop(b, "compatible", "sifive,plic-1.0.0\0riscv,plic0", 30);
    b_end(b);
    b_end(b);
}

static void
virt_chosen(struct builder *b, const struct virt_opt *o)
{
    b_begin(b, "chosen");
    if (o->stdout != NULL) {
        b_prop_str(b, "stdout-path", o->stdout);
    }
    b_end(b);
    if (o->alias_name != NULL) {
        b_begin(b, "aliases");
        b_prop_str(b, "serial9", "/nowhere");
        b_prop_str(b, o->alias_name, o->alias_path);
        b_end(b);
    }
}

static void
virt_reserved(struct builder *b, const struct virt_opt *o)
{
    unsigned c = o->cells32 ? 1 : 2;
    uint64_t two[4] = {0x80200000, 0x1000, 0x80300000, 0x2000};

    b_rsv(b, 0x80000000, 0x10000);
    b_rsv(b, 0x87000000, 0x0);         /* zero-sized: dropped */
    b_rsv(b, 0x9000000000ull, 0x1000); /* above 4 GiB */
    b_begin(b, "reserved-memory");
    b_prop_u32(b, "#address-cells", c);
    b_prop_u32(b, "#size-cells", c);
    b_prop(b, "ranges", "", 0);
    b_begin(b, "mmode_resv0@80000000");
    b_prop_reg(b, c, c, 2, two);
    b_prop(b, "no-map", "", 0);
    b_end(b);
    b_begin(b, "dynamic");
    b_prop_u32(b, "size", 0x100000);
    b_end(b);
    b_begin(b, "off@80400000");
    b_reg1(b, c, c, 0x80400000, 0x4000);
    b_prop_str(b, "status", "disabled");
    b_end(b);
    b_end(b);
}

static struct blob
build_virt(const struct virt_opt *o)
{
    struct builder *b = b_new();
    unsigned c = o->cells32 ? 1 : 2;
    uint64_t mem = o->mem_size == 0 ? 128 * MIB : o->mem_size;

    b->nops = o->nops;
    b_begin(b, "");
    b_prop_u32(b, "#address-cells", c);
    b_prop_u32(b, "#size-cells", c);
    b_prop_str(b, "compatible", "riscv-virtio");
    if (!o->chosen_last) {
        virt_chosen(b, o);
    }
    if (o->reserved) {
        virt_reserved(b, o);
    }
    b_begin(b, "memory@80000000");
    b_prop_str(b, "device_type", "memory");
    b_reg1(b, c, c, 0x80000000, mem);
    b_end(b);
    if (o->soc_first) {
        virt_soc(b, o);
        virt_cpus(b, o);
    } else {
        virt_cpus(b, o);
        virt_soc(b, o);
    }
    if (o->chosen_last) {
        virt_chosen(b, o);
    }
    b_end(b);
    return b_finish(b);
}

/* The result build_virt() should parse to, apart from the UART choice. */
static void
virt_want(const struct virt_opt *o, struct fdt_platform *w)
{
    unsigned n = o->nharts == 0 ? 1 : o->nharts;

    memset(w, 0, sizeof(*w));
    w->num_memory = 1;
    w->memory[0].base = 0x80000000;
    w->memory[0].size = o->mem_size == 0 ? 128 * MIB : o->mem_size;
    if (o->reserved) {
        static const uint64_t r[5][2] = {{0x80000000, 0x10000},
                                         {0x9000000000ull, 0x1000},
                                         {0x80200000, 0x1000},
                                         {0x80300000, 0x2000},
                                         {0x80400000, 0x4000}};
        w->num_reserved = 5;
        for (unsigned i = 0; i < 5; i++) {
            w->reserved[i].base = r[i][0];
            w->reserved[i].size = r[i][1];
        }
    }
    w->timebase_hz = VIRT_TIMEBASE;
    w->num_harts = n;
    w->uart_base = 0x10000000;
    w->uart_size = 0x100;
    w->uart_irq = 10;
    w->plic_base = 0xc000000;
    w->plic_size = 0x600000;
    w->plic_ndev = 96;
    w->plic_s_context = o->hart0_last ? (int32_t)(2 * (n - 1) + 1) : 1;
    w->rtc_base = 0x101000;
    w->rtc_irq = 11;
    w->test_base = 0x100000;
}

static void
want_second_uart(struct fdt_platform *w)
{
    w->uart_base = 0x10010000;
    w->uart_irq = 12;
    w->uart_reg_shift = 2;
}

/* Builds, parses (aligned and misaligned) and compares against want. */
static bool
check_virt(const struct virt_opt *o, const struct fdt_platform *want)
{
    struct blob bl = build_virt(o);
    struct fdt_platform got;
    int err;

    for (size_t mis = 0; mis < 4; mis++) {
        err = parse_at(bl.p, bl.len, mis, &got);
        if (err != FDT_OK) {
            free(bl.p);
            return fail_with("misalign %zu: parse failed: %s", mis, fdt_strerror(err));
        }
        if (!same_platform(&got, want)) {
            free(bl.p);
            return false;
        }
    }
    free(bl.p);
    return true;
}

/* ---- Built-in tests: valid trees ---- */

static bool
test_virt_basic(void)
{
    struct virt_opt o = {.stdout = "/soc/serial@10000000"};
    struct fdt_platform w;

    virt_want(&o, &w);
    return check_virt(&o, &w);
}

static bool
test_virt_nops(void)
{
    struct virt_opt o = {.stdout = "/soc/serial@10000000", .nops = true, .reserved = true};
    struct fdt_platform w;

    virt_want(&o, &w);
    return check_virt(&o, &w);
}

static bool
test_virt_cells32(void)
{
    struct virt_opt o = {.cells32 = true, .reserved = true, .mem_size = 0x40000000};
    struct fdt_platform w;

    virt_want(&o, &w);
    /* 0x9000000000 does not fit one cell; it is in the rsvmap, which is always 64-bit. */
    return check_virt(&o, &w);
}

static bool
test_virt_large_memory(void)
{
    struct virt_opt o = {.mem_size = 0x300000000ull, .nharts = 4};
    struct fdt_platform w;

    virt_want(&o, &w);
    return check_virt(&o, &w);
}

static bool
test_reserved(void)
{
    struct virt_opt o = {.reserved = true};
    struct fdt_platform w;

    virt_want(&o, &w);
    return check_virt(&o, &w);
}

static bool
test_stdout_second_uart_chosen_last(void)
{
    struct virt_opt o = {
        .second_uart = true, .chosen_last = true, .stdout = "/soc/serial@10010000:115200n8"};
    struct fdt_platform w;

    virt_want(&o, &w);
    want_second_uart(&w);
    return check_virt(&o, &w);
}

static bool
test_stdout_alias(void)
{
    struct virt_opt o = {.second_uart = true,
                         .stdout = "serial1:115200",
                         .alias_name = "serial1",
                         .alias_path = "/soc/serial@10010000"};
    struct fdt_platform w;

    virt_want(&o, &w);
    want_second_uart(&w);
    return check_virt(&o, &w);
}

static bool
test_stdout_fallbacks(void)
{
    static const char *const paths[] = {
        "/soc/plic@c000000", /* not a UART */
        "/soc/serial@1",     /* no such node */
        "/soc",              /* a bus */
        "/",                 /* the root */
        "nosuchalias",       /* alias missing from /aliases */
        "serial9",           /* alias to a missing node */
        ":",                 /* empty */
        "/soc/serial@10010000/x",
        "//soc",
    };
    struct fdt_platform w;

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct virt_opt o = {.second_uart = true,
                             .stdout = paths[i],
                             .alias_name = "serial1",
                             .alias_path = "/soc/serial@10010000"};
        virt_want(&o, &w);
        if (!check_virt(&o, &w)) {
            return fail_with("stdout-path \"%s\": %s", paths[i], g_why);
        }
    }
    return true;
}

static bool
test_disabled_uart_skipped(void)
{
    struct virt_opt o = {.second_uart = true, .disable_first = true};
    struct fdt_platform w;

    virt_want(&o, &w);
    want_second_uart(&w);
    if (!check_virt(&o, &w)) {
        return false;
    }
    /* stdout-path naming a disabled UART falls back to the first enabled one. */
    o.stdout = "/soc/serial@10000000";
    return check_virt(&o, &w);
}

static bool
test_soc_first_hart0_last(void)
{
    struct virt_opt o = {.soc_first = true, .hart0_last = true, .nharts = 3};
    struct fdt_platform w;

    virt_want(&o, &w);
    EXPECT_EQ(w.plic_s_context, 5);
    return check_virt(&o, &w);
}

static bool
test_timebase_forms(void)
{
    struct virt_opt o64 = {.timebase64 = true};
    struct virt_opt ocpu = {.timebase_in_cpu = true, .nharts = 2};
    struct fdt_platform w;

    virt_want(&o64, &w);
    if (!check_virt(&o64, &w)) {
        return false;
    }
    virt_want(&ocpu, &w);
    return check_virt(&ocpu, &w);
}

/* ---- Built-in tests: small hand-made trees ---- */

/* Flags for build_small(). */
enum {
    SMALL_NO_MEMORY = 1 << 0,
    SMALL_NO_TIMEBASE = 1 << 1,
    SMALL_NO_CPU = 1 << 2, /* no /cpus node at all: the test adds its own */
};

/* Starts a minimal valid tree (root with cells 2/2, /cpus, one memory node) without closing
 * the root, so a test can add nodes; finish with b_end() and b_finish(). */
static struct builder *
small_begin(unsigned flags)
{
    struct builder *b = b_new();

    b_begin(b, "");
    b_prop_u32(b, "#address-cells", 2);
    b_prop_u32(b, "#size-cells", 2);
    if (!(flags & SMALL_NO_MEMORY)) {
        b_begin(b, "memory@80000000");
        b_prop_str(b, "device_type", "memory");
        b_reg1(b, 2, 2, 0x80000000, 0x8000000);
        b_end(b);
    }
    if (flags & SMALL_NO_CPU) {
        return b;
    }
    b_begin(b, "cpus");
    b_prop_u32(b, "#address-cells", 1);
    b_prop_u32(b, "#size-cells", 0);
    if (!(flags & SMALL_NO_TIMEBASE)) {
        b_prop_u32(b, "timebase-frequency", 1000000);
    }
    b_begin(b, "cpu@0");
    b_prop_str(b, "device_type", "cpu");
    b_prop_u32(b, "reg", 0);
    b_end(b);
    b_end(b);
    return b;
}

static struct blob
small_finish(struct builder *b)
{
    b_end(b);
    return b_finish(b);
}

/* Parses and expects err; frees the blob. */
static bool
expect_parse(struct blob bl, int want, struct fdt_platform *out)
{
    int err = parse_exact(bl.p, bl.len, out);

    free(bl.p);
    EXPECT_ERR(err, want);
    return true;
}

static bool
test_small_ok(void)
{
    struct fdt_platform p;

    if (!expect_parse(small_finish(small_begin(0)), FDT_OK, &p)) {
        return false;
    }
    EXPECT_EQ(p.num_memory, 1);
    EXPECT_EQ(p.memory[0].size, 0x8000000);
    EXPECT_EQ(p.timebase_hz, 1000000);
    EXPECT_EQ(p.num_harts, 1);
    EXPECT_EQ(p.uart_base, 0);
    EXPECT_EQ(p.plic_base, 0);
    EXPECT_EQ(p.plic_s_context, -1);
    EXPECT_EQ(p.rtc_base, 0);
    EXPECT_EQ(p.rtc_irq, 0);
    EXPECT_EQ(p.uart_irq, 0);
    EXPECT_EQ(p.uart_reg_shift, 0);
    EXPECT_EQ(p.plic_size, 0);
    EXPECT_EQ(p.plic_ndev, 0);
    EXPECT_EQ(p.test_base, 0);
    EXPECT_EQ(p.num_reserved, 0);
    return true;
}

static bool
test_missing(void)
{
    struct fdt_platform p;
    struct builder *b;

    if (!expect_parse(small_finish(small_begin(SMALL_NO_MEMORY)), FDT_ERR_MISSING, &p) ||
        !expect_parse(small_finish(small_begin(SMALL_NO_TIMEBASE)), FDT_ERR_MISSING, &p)) {
        return false;
    }
    /* A timebase of 0 counts as missing. */
    b = small_begin(SMALL_NO_TIMEBASE);
    b_begin(b, "cpus");
    b_prop_u32(b, "timebase-frequency", 0);
    b_end(b);
    if (!expect_parse(small_finish(b), FDT_ERR_MISSING, &p)) {
        return false;
    }
    /* Disabled memory, memory below the root level and zero-sized memory do not count. */
    b = small_begin(SMALL_NO_MEMORY);
    b_begin(b, "memory@0");
    b_prop_str(b, "device_type", "memory");
    b_prop_str(b, "status", "disabled");
    b_reg1(b, 2, 2, 0, 0x1000);
    b_end(b);
    b_begin(b, "soc");
    b_begin(b, "memory@1000");
    b_prop_str(b, "device_type", "memory");
    b_reg1(b, 2, 1, 0x1000, 0x1000);
    b_end(b);
    b_end(b);
    b_begin(b, "memory@2000");
    b_prop_str(b, "device_type", "memory");
    b_reg1(b, 2, 2, 0x2000, 0);
    b_end(b);
    b_begin(b, "memory@3000");
    b_prop(b, "device_type", "memoryX", 7); /* unterminated */
    b_reg1(b, 2, 2, 0x3000, 0x1000);
    b_end(b);
    b_begin(b, "memory@4000");
    b_prop(b, "device_type", "memory", 6); /* unterminated */
    b_reg1(b, 2, 2, 0x3000, 0x1000);
    b_end(b);
    return expect_parse(small_finish(b), FDT_ERR_MISSING, &p);
}

static bool
test_memory_regions(void)
{
    struct fdt_platform p;
    struct builder *b = small_begin(SMALL_NO_MEMORY);
    uint64_t regs[2 * 16];

    for (unsigned i = 0; i < 16; i++) {
        regs[2 * i] = 0x100000000ull * i;
        regs[2 * i + 1] = 0x1000 + i;
    }
    b_begin(b, "memory@0");
    b_prop_str(b, "device_type", "memory");
    b_prop_reg(b, 2, 2, 10, regs);
    b_end(b);
    b_begin(b, "memory@a00000000");
    b_prop_str(b, "device_type", "memory");
    b_prop_reg(b, 2, 2, 6, regs + 20);
    b_end(b);
    if (!expect_parse(small_finish(b), FDT_OK, &p)) {
        return false;
    }
    EXPECT_EQ(p.num_memory, 16);
    for (unsigned i = 0; i < 16; i++) {
        EXPECT_EQ(p.memory[i].base, regs[2 * i]);
        EXPECT_EQ(p.memory[i].size, regs[2 * i + 1]);
    }
    return true;
}

/* One cpu node for isa_tree(): its riscv,isa and riscv,isa-extensions values (raw bytes, so
 * a test can leave out the NUL; NULL leaves the property out) and whether it is enabled. */
struct isa_cpu {
    const char *isa;
    size_t isa_len;
    const char *ext;
    size_t ext_len;
    bool disabled;
};

/* The minimal tree of small_begin() with cpus[0..n) instead of its plain cpu@0. */
static struct blob
isa_tree(const struct isa_cpu *cpus, unsigned n)
{
    struct builder *b = small_begin(SMALL_NO_CPU);

    b_begin(b, "cpus");
    b_prop_u32(b, "#address-cells", 1);
    b_prop_u32(b, "#size-cells", 0);
    b_prop_u32(b, "timebase-frequency", 1000000);
    for (unsigned i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof(name), "cpu@%u", i);
        b_begin(b, name);
        b_prop_str(b, "device_type", "cpu");
        b_prop_u32(b, "reg", i);
        if (cpus[i].isa != NULL) {
            b_prop(b, "riscv,isa", cpus[i].isa, cpus[i].isa_len);
        }
        if (cpus[i].ext != NULL) {
            b_prop(b, "riscv,isa-extensions", cpus[i].ext, cpus[i].ext_len);
        }
        if (cpus[i].disabled) {
            b_prop_str(b, "status", "disabled");
        }
        b_end(b);
    }
    b_end(b);
    return small_finish(b);
}

/* An isa_cpu with riscv,isa the C string s (with its NUL). */
#define ISA(s)                                                                                     \
    {                                                                                              \
        s, sizeof(s), NULL, 0, false                                                               \
    }

/* Parses isa_tree(cpus, n) and expects has_sstc to be want. */
static bool
expect_sstc(const struct isa_cpu *cpus, unsigned n, bool want)
{
    struct fdt_platform p;

    if (!expect_parse(isa_tree(cpus, n), FDT_OK, &p)) {
        return false;
    }
    EXPECT_EQ(p.has_sstc, want);
    return true;
}

/*
 * Sstc is only believed where every enabled hart names it exactly: a whole '_'-separated
 * part of riscv,isa after the base, or a whole entry of riscv,isa-extensions, in lower case,
 * inside the NUL-terminated string.
 */
static bool
test_isa_sstc(void)
{
    static const struct isa_cpu yes[] = {ISA("rv64imac_zicsr_sstc"), ISA("rv64imac_sstc_zba"),
                                         ISA("rv64imac_sstc_")};
    static const struct isa_cpu no[] = {ISA("rv64imac_zicsr"),
                                        ISA("rv64imac_sstcx"),
                                        ISA("rv64imac_xsstc"),
                                        ISA("sstc_rv64imac"),
                                        ISA("rv64imac_SSTC"),
                                        ISA("rv64imac_ss_tc"),
                                        ISA("rv64imac\0_sstc"),
                                        ISA(""),
                                        ISA("sstc")};
    static const struct isa_cpu unterminated = {"rv64imac_sstc", 13, NULL, 0, false};
    static const char ext_yes[] = "i\0m\0zicsr\0sstc";
    static const char ext_no[] = "i\0m\0sstcx\0zicsr";
    struct isa_cpu ext = {NULL, 0, ext_yes, sizeof(ext_yes), false};
    struct isa_cpu two[2] = {ISA("rv64imac_sstc"), ISA("rv64imac")};

    for (unsigned i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        EXPECT(expect_sstc(&yes[i], 1, true));
    }
    for (unsigned i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        EXPECT(expect_sstc(&no[i], 1, false));
    }
    EXPECT(expect_sstc(&unterminated, 1, false));
    EXPECT(expect_sstc(&ext, 1, true));
    /* An unterminated last list entry is never complete. */
    ext.ext_len = sizeof(ext_yes) - 1;
    EXPECT(expect_sstc(&ext, 1, false));
    ext.ext = ext_no;
    ext.ext_len = sizeof(ext_no);
    EXPECT(expect_sstc(&ext, 1, false));
    /* Every enabled hart must have it; a disabled one does not count. */
    EXPECT(expect_sstc(two, 2, false));
    two[1].disabled = true;
    EXPECT(expect_sstc(two, 2, true));
    /* No enabled hart: no Sstc. */
    two[0].disabled = true;
    EXPECT(expect_sstc(two, 2, false));
    return true;
}

static bool
test_too_many(void)
{
    struct fdt_platform p;
    struct builder *b = small_begin(0);
    uint64_t regs[2 * 17];

    for (unsigned i = 0; i < 17; i++) {
        regs[2 * i] = 0x100000000ull * (i + 1);
        regs[2 * i + 1] = 0x1000;
    }
    /* 1 + 16 memory regions. */
    b_begin(b, "memory@100000000");
    b_prop_str(b, "device_type", "memory");
    b_prop_reg(b, 2, 2, 16, regs);
    b_end(b);
    if (!expect_parse(small_finish(b), FDT_ERR_TOO_MANY, &p)) {
        return false;
    }
    /* 16 rsvmap entries fill the array; one /reserved-memory child overflows it. */
    b = small_begin(0);
    for (unsigned i = 0; i < 16; i++) {
        b_rsv(b, regs[2 * i], regs[2 * i + 1]);
    }
    if (!expect_parse(small_finish(b), FDT_OK, &p)) {
        return false;
    }
    EXPECT_EQ(p.num_reserved, 16);
    b = small_begin(0);
    for (unsigned i = 0; i < 16; i++) {
        b_rsv(b, regs[2 * i], regs[2 * i + 1]);
    }
    b_begin(b, "reserved-memory");
    b_prop_u32(b, "#address-cells", 2);
    b_prop_u32(b, "#size-cells", 2);
    b_begin(b, "x@0");
    b_reg1(b, 2, 2, 0x1000, 0x1000);
    b_end(b);
    b_end(b);
    if (!expect_parse(small_finish(b), FDT_ERR_TOO_MANY, &p)) {
        return false;
    }
    b = small_begin(0);
    for (unsigned i = 0; i < 17; i++) {
        b_rsv(b, regs[2 * i], regs[2 * i + 1]);
    }
    return expect_parse(small_finish(b), FDT_ERR_TOO_MANY, &p);
}

/* Adds a memory node whose root has the given cells and reg bytes; expects err. */
static bool
expect_memory_reg(uint32_t ac, uint32_t sc, const uint32_t *cells, size_t n, int want)
{
    struct fdt_platform p;
    struct builder *b = b_new();

    b_begin(b, "");
    b_prop_u32(b, "#address-cells", ac);
    b_prop_u32(b, "#size-cells", sc);
    b_begin(b, "cpus");
    b_prop_u32(b, "timebase-frequency", 1000000);
    b_end(b);
    b_begin(b, "memory@0");
    b_prop_str(b, "device_type", "memory");
    b_prop_cells(b, "reg", n, cells);
    b_end(b);
    b_end(b);
    if (!expect_parse(b_finish(b), want, &p)) {
        return fail_with("cells %u/%u, %zu reg cells: %s", ac, sc, n, g_why);
    }
    return true;
}

static bool
test_reg_cells(void)
{
    static const uint32_t r4[4] = {0, 0x80000000, 0, 0x1000};
    static const uint32_t r3[3] = {0, 0x80000000, 0x1000};
    static const uint32_t r2[2] = {0x80000000, 0x1000};
    static const uint32_t wrap[4] = {0xffffffff, 0xfffff000, 0, 0x1001};
    static const uint32_t top[4] = {0xffffffff, 0xfffff000, 0, 0xfff};
    static const uint32_t r6[6] = {0, 0, 0x80000000, 0, 0, 0x1000};

    return expect_memory_reg(2, 2, r4, 4, FDT_OK) && expect_memory_reg(2, 1, r3, 3, FDT_OK) &&
           expect_memory_reg(1, 1, r2, 2, FDT_OK) && expect_memory_reg(1, 2, r3, 3, FDT_OK) &&
           expect_memory_reg(2, 2, r3, 3, FDT_ERR_BAD_STRUCTURE) &&
           expect_memory_reg(3, 3, r6, 6, FDT_ERR_BAD_STRUCTURE) &&
           expect_memory_reg(3, 1, r4, 4, FDT_ERR_BAD_STRUCTURE) &&
           expect_memory_reg(0, 2, r2, 2, FDT_ERR_BAD_STRUCTURE) &&
           expect_memory_reg(2, 0, r2, 2, FDT_ERR_BAD_STRUCTURE) &&
           expect_memory_reg(2, 2, wrap, 4, FDT_ERR_BAD_STRUCTURE) &&
           expect_memory_reg(2, 2, top, 4, FDT_OK) &&
           expect_memory_reg(2, 2, r4, 0, FDT_ERR_MISSING);
}

static bool
test_bad_property_sizes(void)
{
    struct fdt_platform p;
    struct builder *b;
    static const uint8_t three[3] = {0, 0, 1};

    /* #address-cells of the wrong length, even on an unrelated node. */
    b = small_begin(0);
    b_begin(b, "bus");
    b_prop(b, "#address-cells", three, 3);
    b_end(b);
    if (!expect_parse(small_finish(b), FDT_ERR_BAD_STRUCTURE, &p)) {
        return false;
    }
    /* timebase-frequency of 2 bytes. */
    b = small_begin(SMALL_NO_TIMEBASE);
    b_begin(b, "cpus");
    b_prop(b, "timebase-frequency", three, 2);
    b_end(b);
    if (!expect_parse(small_finish(b), FDT_ERR_BAD_STRUCTURE, &p)) {
        return false;
    }
    /* A UART with an 8-byte reg-shift, one without reg, one with interrupts of 3 bytes. */
    for (int i = 0; i < 3; i++) {
        b = small_begin(0);
        b_begin(b, "uart@1000");
        if (i != 1) {
            b_reg1(b, 2, 2, 0x1000, 0x100);
        }
        if (i == 0) {
            b_prop_u64(b, "reg-shift", 2);
        }
        if (i == 2) {
            b_prop(b, "interrupts", three, 3);
        }
        b_prop_str(b, "compatible", "ns16550a");
        b_end(b);
        if (!expect_parse(small_finish(b), FDT_ERR_BAD_STRUCTURE, &p)) {
            return fail_with("uart case %d: %s", i, g_why);
        }
    }
    /* A PLIC with a 2-byte riscv,ndev, and one with a 6-byte interrupts-extended. */
    for (int i = 0; i < 2; i++) {
        b = small_begin(0);
        b_begin(b, "plic@c000000");
        b_reg1(b, 2, 2, 0xc000000, 0x1000);
        b_prop(b, i == 0 ? "riscv,ndev" : "interrupts-extended", "\0\0\0\0\0\0", i == 0 ? 2 : 6);
        b_prop_str(b, "compatible", "riscv,plic0");
        b_end(b);
        if (!expect_parse(small_finish(b), FDT_ERR_BAD_STRUCTURE, &p)) {
            return fail_with("plic case %d: %s", i, g_why);
        }
    }
    return true;
}

static bool
test_devices(void)
{
    struct fdt_platform p;
    struct builder *b = small_begin(0);
    static const char uart_compat[] = "snps,dw-apb-uart\0ns16550a";
    static const uint32_t irqs[2] = {7, 4};

    /* An unterminated "ns16550a" does not match; a list with it second does. */
    b_begin(b, "uart@1000");
    b_reg1(b, 2, 2, 0x1000, 0x100);
    b_prop(b, "compatible", "ns16550a", 8);
    b_end(b);
    b_begin(b, "uart@2000");
    b_reg1(b, 2, 2, 0x2000, 0x100);
    b_prop_cells(b, "interrupts", 2, irqs);
    b_prop_u32(b, "reg-shift", 2);
    b_prop_str(b, "status", "ok");
    b_prop(b, "compatible", uart_compat, sizeof(uart_compat));
    b_end(b);
    b_begin(b, "plic@c000000");
    b_reg1(b, 2, 2, 0xc000000, 0x4000000);
    b_prop_str(b, "compatible", "riscv,plic0");
    b_end(b);
    b_begin(b, "test@100000");
    b_reg1(b, 2, 2, 0x100000, 0x1000);
    b_prop_str(b, "compatible", "sifive,test0");
    b_end(b);
    b_begin(b, "rtc@101000");
    b_reg1(b, 2, 2, 0x101000, 0x1000);
    b_prop_str(b, "compatible", "google,goldfish-rtc");
    b_end(b);
    if (!expect_parse(small_finish(b), FDT_OK, &p)) {
        return false;
    }
    EXPECT_EQ(p.uart_base, 0x2000);
    EXPECT_EQ(p.uart_irq, 7);
    EXPECT_EQ(p.uart_reg_shift, 2);
    EXPECT_EQ(p.plic_base, 0xc000000);
    EXPECT_EQ(p.plic_size, 0x4000000);
    EXPECT_EQ(p.plic_ndev, 0);
    EXPECT_EQ(p.plic_s_context, -1); /* no interrupts-extended, no intc */
    EXPECT_EQ(p.test_base, 0x100000);
    EXPECT_EQ(p.rtc_base, 0x101000);
    EXPECT_EQ(p.rtc_irq, 0);
    return true;
}

static bool
test_harts(void)
{
    struct fdt_platform p;
    struct builder *b = small_begin(SMALL_NO_TIMEBASE);
    static const uint32_t ext[6] = {5, 9, 5, 11, 5, 9};

    /* A second /cpus-like node is fine; harts are counted in every cpus node at the top. */
    b_begin(b, "cpus");
    b_prop_u32(b, "#address-cells", 1);
    b_prop_u32(b, "#size-cells", 0);
    b_prop_u32(b, "timebase-frequency", 24000000);
    b_begin(b, "cpu@1");
    b_prop_str(b, "device_type", "cpu");
    b_prop_u32(b, "reg", 1);
    b_prop_str(b, "status", "disabled");
    b_end(b);
    b_begin(b, "cpu@2");
    b_prop_str(b, "device_type", "cpu");
    b_prop_u32(b, "reg", 2);
    b_prop_str(b, "status", "okay");
    b_end(b);
    b_begin(b, "cpu-map");
    b_prop_str(b, "device_type", "cpu-map");
    b_end(b);
    b_end(b);
    b_begin(b, "plic@c000000");
    b_reg1(b, 2, 2, 0xc000000, 0x4000000);
    b_prop_cells(b, "interrupts-extended", 6, ext);
    b_prop_str(b, "compatible", "riscv,plic0");
    b_end(b);
    if (!expect_parse(small_finish(b), FDT_OK, &p)) {
        return false;
    }
    /* cpu@0 from small_begin and cpu@2; cpu@1 is disabled. */
    EXPECT_EQ(p.num_harts, 2);
    EXPECT_EQ(p.timebase_hz, 24000000);
    /* cpu@0 has no interrupt-controller child, so there is no S context. */
    EXPECT_EQ(p.plic_s_context, -1);
    return true;
}

/*
 * A tree of 4 KiB of memory, one hart whose interrupt controller has phandle 7 (none if
 * intc_phandle is false) and a PLIC whose interrupts-extended is the n cells of ext.
 */
static struct builder *
one_hart_plic(bool intc_phandle, const uint32_t *ext, unsigned n)
{
    struct builder *b = b_new();
    b_begin(b, "");
    b_begin(b, "memory@0");
    b_prop_str(b, "device_type", "memory");
    b_reg1(b, 2, 1, 0, 0x1000); /* default cells 2 and 1 */
    b_end(b);
    b_begin(b, "cpus");
    b_prop_u32(b, "#address-cells", 1);
    b_prop_u32(b, "#size-cells", 0);
    b_prop_u32(b, "timebase-frequency", 1);
    b_begin(b, "cpu@0");
    b_prop_str(b, "device_type", "cpu");
    b_prop_u32(b, "reg", 0);
    b_begin(b, "interrupt-controller");
    b_prop_str(b, "compatible", "riscv,cpu-intc");
    if (intc_phandle) {
        b_prop_u32(b, "linux,phandle", 7);
    }
    b_end(b);
    b_end(b);
    b_end(b);
    b_begin(b, "plic@c000000");
    b_reg1(b, 2, 1, 0xc000000, 0x4000000);
    b_prop_cells(b, "interrupts-extended", n, ext);
    b_prop_str(b, "compatible", "sifive,plic-1.0.0");
    b_end(b);
    b_end(b);
    return b;
}

static bool
test_plic_odd_interrupts_extended(void)
{
    struct fdt_platform p;
    static const uint32_t ext[3] = {7, 9, 7};
    if (!expect_parse(b_finish(one_hart_plic(true, ext, 3)), FDT_OK, &p)) {
        return false;
    }
    EXPECT_EQ(p.memory[0].size, 0x1000);
    EXPECT_EQ(p.plic_size, 0x4000000);
    EXPECT_EQ(p.plic_s_context, -1); /* 3 cells are not whole pairs */
    return true;
}

/* Hart 0's interrupt controller has no phandle: no PLIC context can point at it. */
static bool
test_plic_intc_without_phandle(void)
{
    struct fdt_platform p;
    static const uint32_t ext[2] = {1, 9}; /* phandle 1, supervisor external interrupt */
    if (!expect_parse(b_finish(one_hart_plic(false, ext, 2)), FDT_OK, &p)) {
        return false;
    }
    EXPECT_EQ(p.plic_size, 0x4000000);
    EXPECT_EQ(p.plic_s_context, -1);
    return true;
}

static bool
test_stdout_alias_after_chosen_unit_less(void)
{
    struct fdt_platform p;
    struct builder *b = small_begin(0);

    /* stdout-path names an alias defined later, whose unit-less path picks the second UART. */
    b_begin(b, "chosen");
    b_prop_str(b, "stdout-path", "con");
    b_end(b);
    b_begin(b, "soc");
    b_prop_u32(b, "#address-cells", 1);
    b_prop_u32(b, "#size-cells", 1);
    b_begin(b, "uart@1000");
    b_reg1(b, 1, 1, 0x1000, 0x100);
    b_prop_str(b, "compatible", "ns16550a");
    b_end(b);
    b_begin(b, "serial@2000");
    b_reg1(b, 1, 1, 0x2000, 0x20);
    b_prop_u32(b, "interrupts", 3);
    b_prop_str(b, "compatible", "ns16550a");
    b_end(b);
    b_end(b);
    b_begin(b, "aliases");
    b_prop_str(b, "co", "/soc/uart@1000");
    b_prop_str(b, "con", "/soc/serial");
    b_prop_str(b, "conn", "/soc/uart@1000");
    b_end(b);
    if (!expect_parse(small_finish(b), FDT_OK, &p)) {
        return false;
    }
    EXPECT_EQ(p.uart_base, 0x2000);
    EXPECT_EQ(p.uart_size, 0x20);
    EXPECT_EQ(p.uart_irq, 3);
    return true;
}

static bool
test_depth_limit(void)
{
    struct fdt_platform p;
    struct builder *b;

    /* small_begin() opens the root (depth 1); add nodes down to depth 16, then 17. */
    for (int extra = 15; extra <= 16; extra++) {
        b = small_begin(0);
        for (int i = 0; i < extra; i++) {
            b_begin(b, "n");
            b_prop_u32(b, "#address-cells", 1);
        }
        for (int i = 0; i < extra; i++) {
            b_end(b);
        }
        if (!expect_parse(small_finish(b), extra == 15 ? FDT_OK : FDT_ERR_TOO_DEEP, &p)) {
            return fail_with("%d extra levels: %s", extra, g_why);
        }
    }
    /* Very deep nesting with no END_NODE at all. */
    b = b_new();
    b->omit_end = true;
    for (int i = 0; i < 1000; i++) {
        b_begin(b, "d");
    }
    return expect_parse(b_finish(b), FDT_ERR_TOO_DEEP, &p);
}

static bool
test_version16(void)
{
    struct fdt_platform p;
    struct builder *b = small_begin(0);
    struct blob bl;

    b->version = 16;
    bl = small_finish(b);
    EXPECT_EQ(get_be32(bl.p + HDR_SIZE_STRUCT), 0);
    return expect_parse(bl, FDT_OK, &p);
}

/* ---- Built-in tests: malformed token streams ---- */

/* Builds a blob from raw structure words (no FDT_END appended) with one string "reg". */
static struct blob
raw_blob(const uint32_t *words, size_t n, const char *strings, size_t strings_len)
{
    struct builder *b = b_new();

    b->omit_end = true;
    for (size_t i = 0; i < n; i++) {
        b_u32(b, words[i]);
    }
    memcpy(b->strs, strings, strings_len);
    b->strs_len = strings_len;
    return b_finish(b);
}

#define RAW(name, want, strs, ...)                                                                 \
    do {                                                                                           \
        static const uint32_t w_[] = {__VA_ARGS__};                                                \
        if (!expect_parse(raw_blob(w_, sizeof(w_) / 4, strs, sizeof(strs) - 1), want, &p)) {       \
            return fail_with("%s: %s", name, g_why);                                               \
        }                                                                                          \
    } while (0)

static bool
test_token_stream(void)
{
    struct fdt_platform p;
    const int BAD = FDT_ERR_BAD_STRUCTURE;
    const int MISSING = FDT_ERR_MISSING;

    /* Well-formed but empty trees parse and then lack memory. */
    RAW("empty root", MISSING, "reg\0", 1, 0, 2, 9);
    RAW("nops", MISSING, "reg\0", 4, 1, 0, 4, 3, 0, 0, 4, 2, 4, 9);
    RAW("empty prop", MISSING, "reg\0", 1, 0, 3, 0, 0, 2, 9);
    RAW("name padding", MISSING, "reg\0", 1, 0x61626300, 2, 9);
    /* Grammar violations. */
    RAW("no tokens", BAD, "reg\0", 0);
    RAW("only end", BAD, "reg\0", 9);
    RAW("only nops", BAD, "reg\0", 4, 4, 4);
    RAW("prop before root", BAD, "reg\0", 3, 0, 0, 1, 0, 2, 9);
    RAW("end_node first", BAD, "reg\0", 2, 9);
    RAW("extra end_node", BAD, "reg\0", 1, 0, 2, 2, 9);
    RAW("no end token", BAD, "reg\0", 1, 0, 2);
    RAW("end inside node", BAD, "reg\0", 1, 0, 9);
    RAW("two roots", BAD, "reg\0", 1, 0, 2, 1, 0, 2, 9);
    RAW("unknown token", BAD, "reg\0", 1, 0, 5, 2, 9);
    RAW("token 0", BAD, "reg\0", 1, 0, 0, 2, 9);
    RAW("prop after child", BAD, "reg\0", 1, 0, 1, 0x61000000, 2, 3, 0, 0, 2, 9);
    RAW("unclosed root", BAD, "reg\0", 1, 0, 1, 0x61000000, 2);
    RAW("token after end", MISSING, "reg\0", 1, 0, 2, 9, 0xffffffff);
    /* Names and lengths running off the ends of their blocks. */
    RAW("unterminated node name", BAD, "reg\0", 1, 0x61626364);
    RAW("node name to end", BAD, "reg\0", 1, 0x61626364, 0x65666768);
    RAW("prop header cut", BAD, "reg\0", 1, 0, 3, 0);
    RAW("prop len past end", BAD, "reg\0", 1, 0, 3, 12, 0, 0, 2);
    RAW("prop len huge", BAD, "reg\0", 1, 0, 3, 0xffffffff, 0, 2, 9);
    RAW("prop len wraps", BAD, "reg\0", 1, 0, 3, 0xfffffffc, 0, 2, 9);
    RAW("nameoff past strings", BAD, "reg\0", 1, 0, 3, 0, 4, 2, 9);
    RAW("nameoff huge", BAD, "reg\0", 1, 0, 3, 0, 0xffffffff, 2, 9);
    RAW("unterminated prop name", BAD, "reg", 1, 0, 3, 0, 0, 2, 9);
    RAW("nameoff in middle", MISSING, "xreg\0", 1, 0, 3, 0, 1, 2, 9);
    return true;
}

/* ---- Built-in tests: malformed headers ---- */

static bool
test_header_basic(void)
{
    struct fdt_platform p;
    struct blob bl = small_finish(small_begin(0));
    uint8_t small[64];

    EXPECT_EQ(fdt_check_header(bl.p, bl.len), bl.len);
    EXPECT_EQ(fdt_check_header(bl.p, bl.len + 100), bl.len);
    EXPECT_ERR((int)fdt_check_header(NULL, 0), FDT_ERR_TRUNCATED);
    EXPECT_ERR((int)fdt_check_header(bl.p, 3), FDT_ERR_TRUNCATED);
    EXPECT_ERR(fdt_parse_platform(NULL, 0, &p), FDT_ERR_TRUNCATED);
    memcpy(small, bl.p, sizeof(small));
    small[0] ^= 1;
    EXPECT_ERR((int)fdt_check_header(small, sizeof(small)), FDT_ERR_BAD_MAGIC);
    EXPECT_ERR((int)fdt_check_header(small, 4), FDT_ERR_BAD_MAGIC);
    memcpy(small, bl.p, sizeof(small));
    EXPECT_ERR((int)fdt_check_header(small, 27), FDT_ERR_TRUNCATED);
    EXPECT_ERR((int)fdt_check_header(small, 39), FDT_ERR_TRUNCATED);
    /* Exactly the 40 bytes of a version 17 header, totalsize 40: the header is whole (not
     * truncated), but no reservation block fits after it. */
    put_be32(small + HDR_TOTALSIZE, 40);
    EXPECT_ERR((int)fdt_check_header(small, 40), FDT_ERR_BAD_STRUCTURE);
    free(bl.p);
    return true;
}

/* Sets one header field of a copy of bl and expects the parse to fail with want. */
static bool
expect_header_patch(struct blob bl, uint32_t field, uint32_t value, int want)
{
    struct fdt_platform p;
    struct blob c = blob_copy(bl.p, bl.len);

    put_be32(c.p + field, value);
    if (!expect_parse(c, want, &p)) {
        return fail_with("header[%u] = %#x: %s", field, value, g_why);
    }
    return true;
}

static bool
test_header_fields(void)
{
    struct blob bl = small_finish(small_begin(0));
    uint32_t total = get_be32(bl.p + HDR_TOTALSIZE);
    uint32_t st = get_be32(bl.p + HDR_OFF_STRUCT);
    uint32_t st_size = get_be32(bl.p + HDR_SIZE_STRUCT);
    uint32_t str = get_be32(bl.p + HDR_OFF_STRINGS);
    const int BAD = FDT_ERR_BAD_STRUCTURE;
    bool ok = expect_header_patch(bl, HDR_MAGIC, 0xedfe0dd0, FDT_ERR_BAD_MAGIC) &&
              expect_header_patch(bl, HDR_VERSION, 15, FDT_ERR_BAD_VERSION) &&
              expect_header_patch(bl, HDR_VERSION, 0, FDT_ERR_BAD_VERSION) &&
              expect_header_patch(bl, HDR_LAST_COMP, 18, FDT_ERR_BAD_VERSION) &&
              expect_header_patch(bl, HDR_LAST_COMP, 17, FDT_OK) && /* the newest readable */
              expect_header_patch(bl, HDR_VERSION, 0xffffffff, FDT_OK) &&
              expect_header_patch(bl, HDR_BOOT_CPUID, 0xffffffff, FDT_OK) &&
              expect_header_patch(bl, HDR_TOTALSIZE, total + 1, FDT_ERR_TRUNCATED) &&
              expect_header_patch(bl, HDR_TOTALSIZE, 0xffffffff, FDT_ERR_TRUNCATED) &&
              expect_header_patch(bl, HDR_TOTALSIZE, 0, BAD) &&
              expect_header_patch(bl, HDR_TOTALSIZE, 39, BAD) &&
              expect_header_patch(bl, HDR_TOTALSIZE, total - 1, BAD) &&
              expect_header_patch(bl, HDR_OFF_STRUCT, st + 2, BAD) &&
              expect_header_patch(bl, HDR_OFF_STRUCT, 0, BAD) &&
              expect_header_patch(bl, HDR_OFF_STRUCT, total, BAD) &&
              expect_header_patch(bl, HDR_OFF_STRUCT, 0xfffffffc, BAD) &&
              expect_header_patch(bl, HDR_OFF_STRUCT, st + 4, BAD) &&
              expect_header_patch(bl, HDR_SIZE_STRUCT, 0xffffffff, BAD) &&
              expect_header_patch(bl, HDR_SIZE_STRUCT, st_size + 1, BAD) &&
              expect_header_patch(bl, HDR_SIZE_STRUCT, st_size - 4, BAD) &&
              expect_header_patch(bl, HDR_SIZE_STRUCT, 0, BAD) &&
              expect_header_patch(bl, HDR_OFF_STRINGS, 0xffffffff, BAD) &&
              expect_header_patch(bl, HDR_OFF_STRINGS, str - 4, BAD) &&
              expect_header_patch(bl, HDR_OFF_STRINGS, 8, BAD) &&
              expect_header_patch(bl, HDR_SIZE_STRINGS, 0xffffffff, BAD) &&
              expect_header_patch(bl, HDR_SIZE_STRINGS, total - str + 1, BAD) &&
              expect_header_patch(bl, HDR_OFF_RSVMAP, 44, BAD) &&
              expect_header_patch(bl, HDR_OFF_RSVMAP, 32, BAD) &&
              expect_header_patch(bl, HDR_OFF_RSVMAP, total, BAD) &&
              expect_header_patch(bl, HDR_OFF_RSVMAP, 0xfffffff8, BAD) &&
              expect_header_patch(bl, HDR_OFF_RSVMAP, st, BAD);

    free(bl.p);
    return ok;
}

static bool
test_header_layout(void)
{
    struct fdt_platform p;
    struct blob bl = small_finish(small_begin(0));
    uint32_t st = get_be32(bl.p + HDR_OFF_STRUCT);
    struct blob c;

    /* An unterminated reservation block: fill it, and everything after, with 0xff. */
    c = blob_copy(bl.p, bl.len);
    memset(c.p + 40, 0xff, c.len - 40);
    if (!expect_parse(c, FDT_ERR_BAD_STRUCTURE, &p)) {
        return false;
    }
    /* The structure block overlapping the reservation block's terminator. */
    c = blob_copy(bl.p, bl.len);
    put_be32(c.p + HDR_OFF_STRUCT, 48);
    if (!expect_parse(c, FDT_ERR_BAD_STRUCTURE, &p)) {
        return false;
    }
    /* Strings block inside the structure block. */
    c = blob_copy(bl.p, bl.len);
    put_be32(c.p + HDR_OFF_STRINGS, st);
    put_be32(c.p + HDR_SIZE_STRINGS, 8);
    if (!expect_parse(c, FDT_ERR_BAD_STRUCTURE, &p)) {
        return false;
    }
    /* An empty strings block may sit anywhere in range; the first property then fails. */
    c = blob_copy(bl.p, bl.len);
    put_be32(c.p + HDR_OFF_STRINGS, st);
    put_be32(c.p + HDR_SIZE_STRINGS, 0);
    if (!expect_parse(c, FDT_ERR_BAD_STRUCTURE, &p)) {
        return false;
    }
    /* A reservation block at an offset that is not a multiple of 8, otherwise valid. */
    {
        struct builder *b = small_begin(0);
        b_rsv(b, 0x1000, 0x1000);
        c = small_finish(b);
        put_be32(c.p + HDR_OFF_RSVMAP, 44);
        memset(c.p + 44, 0, 16);
        EXPECT_ERR((int)fdt_check_header(c.p, c.len), FDT_ERR_BAD_STRUCTURE);
        if (!expect_parse(c, FDT_ERR_BAD_STRUCTURE, &p)) {
            return false;
        }
    }
    /* A structure block shifted to an offset that is not a multiple of 4. */
    c.len = bl.len + 2;
    c.p = xmalloc(c.len);
    memcpy(c.p, bl.p, st);
    memset(c.p + st, 0, 2);
    memcpy(c.p + st + 2, bl.p + st, bl.len - st);
    put_be32(c.p + HDR_TOTALSIZE, (uint32_t)c.len);
    put_be32(c.p + HDR_OFF_STRUCT, st + 2);
    put_be32(c.p + HDR_OFF_STRINGS, get_be32(bl.p + HDR_OFF_STRINGS) + 2);
    if (!expect_parse(c, FDT_ERR_BAD_STRUCTURE, &p)) {
        return false;
    }
    /* A rsvmap entry whose end overflows. */
    {
        struct builder *b = small_begin(0);
        b_rsv(b, 0xfffffffffffff000ull, 0x2000);
        if (!expect_parse(small_finish(b), FDT_ERR_BAD_STRUCTURE, &p)) {
            return false;
        }
    }
    free(bl.p);
    return true;
}

static bool
test_struct_block_last(void)
{
    struct fdt_platform p;
    struct builder *b = small_begin(0);
    struct blob bl;
    uint32_t st;

    /* Strings before the structure block is a valid layout. */
    b->strings_first = true;
    bl = small_finish(b);
    EXPECT_EQ(get_be32(bl.p + HDR_OFF_STRUCT) + get_be32(bl.p + HDR_SIZE_STRUCT), bl.len);
    if (!expect_parse(blob_copy(bl.p, bl.len), FDT_OK, &p)) {
        return false;
    }
    EXPECT_EQ(p.memory[0].base, 0x80000000);
    free(bl.p);
    /* The structure block ends, unaligned, at the end of the blob, right after a node name
     * whose padding would lie beyond it. */
    b = b_new();
    b->strings_first = true;
    b->omit_end = true;
    b_u32(b, TOK_BEGIN_NODE);
    b_raw(b, "ab", 3);
    bl = b_finish(b);
    st = get_be32(bl.p + HDR_OFF_STRUCT);
    EXPECT_EQ(st + 8, bl.len);
    bl.len = st + 7;
    put_be32(bl.p + HDR_TOTALSIZE, st + 7);
    put_be32(bl.p + HDR_SIZE_STRUCT, 7);
    return expect_parse(bl, FDT_ERR_BAD_STRUCTURE, &p);
}

static bool
test_strerror(void)
{
    for (int e = -7; e <= 0; e++) {
        const char *s = fdt_strerror(e);
        EXPECT(s != NULL && s[0] != '\0');
        EXPECT(strcmp(s, "unknown error") != 0);
    }
    EXPECT(strcmp(fdt_strerror(1), "unknown error") == 0);
    EXPECT(strcmp(fdt_strerror(-8), "unknown error") == 0);
    EXPECT(strcmp(fdt_strerror(-2147483647 - 1), "unknown error") == 0);
    return true;
}

/* ---- Robustness tests, run on every blob (built-in and from files) ---- */

static uint64_t g_rng;

static uint64_t
rng_next(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

/* Parses every prefix of the blob (each must fail) and a few longer buffers (each must
 * match the full parse). */
static bool
robust_truncate(struct blob bl)
{
    struct fdt_platform full;
    struct fdt_platform p;
    uint32_t total = get_be32(bl.p + HDR_TOTALSIZE);
    uint8_t *big;

    EXPECT_ERR(parse_exact(bl.p, bl.len, &full), FDT_OK);
    for (size_t len = 0; len < total; len++) {
        int err = parse_exact(bl.p, len, &p);
        if (err != FDT_ERR_TRUNCATED) {
            return fail_with("length %zu: %d (%s)", len, err, fdt_strerror(err));
        }
    }
    big = xmalloc(total + 64);
    memcpy(big, bl.p, total);
    memset(big + total, 0xee, 64);
    for (size_t len = total; len <= total + 64; len++) {
        EXPECT_ERR(parse_exact(big, len, &p), FDT_OK);
        if (!same_platform(&p, &full)) {
            free(big);
            return false;
        }
    }
    free(big);
    return true;
}

/* Applies a few thousand random byte mutations (fixed seed); every parse must either fail
 * cleanly or give a sane result. */
static bool
robust_flip(struct blob bl, unsigned iterations)
{
    static const uint8_t interesting[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x09, 0x7f, 0x80, 0xff};
    struct fdt_platform p;
    uint8_t *m = xmalloc(bl.len);
    unsigned ok = 0;

    g_rng = 0x9e3779b97f4a7c15ull;
    for (unsigned it = 0; it < iterations; it++) {
        unsigned n = 1 + (unsigned)(rng_next() % 4);
        memcpy(m, bl.p, bl.len);
        for (unsigned k = 0; k < n; k++) {
            size_t at = (size_t)(rng_next() % bl.len);
            uint64_t r = rng_next();
            m[at] = (r & 1) ? (uint8_t)(r >> 8) : interesting[(r >> 8) % sizeof(interesting)];
        }
        if (parse_exact(m, bl.len, &p) == FDT_OK) {
            ok++;
            if (!sane_result(&p)) {
                free(m);
                return fail_with("iteration %u: %s", it, g_why);
            }
        }
    }
    free(m);
    if (ok == 0) {
        return fail_with("no mutation parsed; the test mutates too much");
    }
    return true;
}

/* Replaces every 32-bit word of the structure block by every token value in turn. */
static bool
robust_tokens(struct blob bl)
{
    static const uint32_t words[] = {0, 1, 2, 3, 4, 9, 0x7fffffff, 0xffffffff};
    uint32_t st = get_be32(bl.p + HDR_OFF_STRUCT);
    uint32_t end = st + get_be32(bl.p + HDR_SIZE_STRUCT);
    struct fdt_platform p;
    uint8_t *m = xmalloc(bl.len);

    for (uint32_t at = st; at + 4 <= end; at += 4) {
        for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
            memcpy(m, bl.p, bl.len);
            put_be32(m + at, words[k]);
            if (parse_exact(m, bl.len, &p) == FDT_OK && !sane_result(&p)) {
                free(m);
                return fail_with("word at %u = %#x: %s", at, words[k], g_why);
            }
        }
    }
    free(m);
    return true;
}

/* Sets each header field to a range of extreme values. */
static bool
robust_header(struct blob bl)
{
    uint32_t total = get_be32(bl.p + HDR_TOTALSIZE);
    const uint32_t values[] = {0,         1,          3,          4,          8,
                               16,        36,         40,         total - 1,  total,
                               total + 1, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff};
    struct fdt_platform p;
    uint8_t *m = xmalloc(bl.len);

    for (uint32_t field = 0; field < 40; field += 4) {
        for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
            memcpy(m, bl.p, bl.len);
            put_be32(m + field, values[k]);
            if (parse_exact(m, bl.len, &p) == FDT_OK && !sane_result(&p)) {
                free(m);
                return fail_with("header[%u] = %#x: %s", field, values[k], g_why);
            }
        }
    }
    free(m);
    return true;
}

/* Runs the robustness suite on one blob, reporting one test per kind. */
static void
run_robustness(const char *name, struct blob bl, unsigned flips)
{
    char test[256];

    snprintf(test, sizeof(test), "truncate_%s", name);
    report(test, robust_truncate(bl));
    snprintf(test, sizeof(test), "flip_%s", name);
    report(test, robust_flip(bl, flips));
    snprintf(test, sizeof(test), "tokens_%s", name);
    report(test, robust_tokens(bl));
    snprintf(test, sizeof(test), "header_%s", name);
    report(test, robust_header(bl));
}

/* ---- Tests on DTB files ---- */

/* Fills *w with what QEMU 7.2's virt machine describes for a file named by fdt_gen.sh.
 * Returns false if the name does not follow the pattern. */
static bool
qemu_want(const char *base, struct fdt_platform *w)
{
    unsigned mib = 0;
    unsigned harts = 0;
    char rest[64] = "";
    bool aia;
    bool nosstc;

    if (sscanf(base, "qemu-virt-%uM-%ucpu%63s", &mib, &harts, rest) < 2) {
        return false;
    }
    aia = strcmp(rest, "-aia.dtb") == 0;
    nosstc = strcmp(rest, "-nosstc.dtb") == 0;
    if (!aia && !nosstc && strcmp(rest, ".dtb") != 0) {
        return false;
    }
    memset(w, 0, sizeof(*w));
    w->num_memory = 1;
    w->memory[0].base = 0x80000000;
    w->memory[0].size = (uint64_t)mib * MIB;
    w->timebase_hz = 10000000;
    w->num_harts = harts;
    w->has_sstc = !nosstc; /* QEMU 7.2's rv64 hart has Sstc unless told sstc=false */
    w->uart_base = 0x10000000;
    w->uart_size = 0x100;
    w->uart_irq = 10;
    w->plic_s_context = -1;
    if (!aia) {
        w->plic_base = 0xc000000;
        w->plic_size = 0x600000;
        w->plic_ndev = 96; /* QEMU 7.2: VIRT_IRQCHIP_NUM_SOURCES */
        w->plic_s_context = 1;
    }
    w->rtc_base = 0x101000;
    w->rtc_irq = 11;
    w->test_base = 0x100000;
    return true;
}

/* Reads a whole file; returns false on error. */
static bool
read_file(const char *path, struct blob *out)
{
    FILE *f = fopen(path, "rb");
    long len;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        if (f != NULL) {
            fclose(f);
        }
        return false;
    }
    out->len = (size_t)len;
    out->p = xmalloc(out->len);
    if (fread(out->p, 1, out->len, f) != out->len) {
        fclose(f);
        free(out->p);
        return false;
    }
    fclose(f);
    return true;
}

static void
test_file(const char *path)
{
    const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    char test[256];
    struct fdt_platform want;
    struct fdt_platform got;
    struct blob bl;
    long total;
    int err;
    bool ok;

    snprintf(test, sizeof(test), "parse_%s", base);
    g_why[0] = '\0';
    if (!read_file(path, &bl)) {
        fail_with("cannot read %s", path);
        report(test, false);
        return;
    }
    err = parse_exact(bl.p, bl.len, &got);
    ok = err == FDT_OK || fail_with("parse: %d (%s)", err, fdt_strerror(err));
    if (ok && qemu_want(base, &want)) {
        ok = same_platform(&got, &want);
    }
    for (size_t mis = 1; ok && mis < 8; mis++) {
        struct fdt_platform again;
        ok = parse_at(bl.p, bl.len, mis, &again) == FDT_OK && same_platform(&again, &got);
    }
    report(test, ok);
    total = fdt_check_header(bl.p, bl.len);
    if (!ok || total <= 0) {
        free(bl.p);
        return;
    }
    bl.len = (size_t)total; /* QEMU's raw dumps are padded to 1 MiB */
    run_robustness(base, bl, 3000);
    free(bl.p);
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs test_file() on every *.dtb in dir, in name order; returns false if dir is not one. */
static bool
test_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;

    if (d == NULL) {
        return false;
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".dtb") == 0) {
            names = realloc(names, (n + 1) * sizeof(*names));
            names[n] = xmalloc(strlen(dir) + len + 2);
            sprintf(names[n], "%s/%s", dir, e->d_name);
            n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof(*names), compare_names);
    for (size_t i = 0; i < n; i++) {
        test_file(names[i]);
        free(names[i]);
    }
    free(names);
    if (n == 0) {
        fprintf(stderr, "test_fdt: no .dtb files in %s\n", dir);
    }
    return true;
}

/* ---- Main ---- */

static void
run_builtin_robustness(void)
{
    struct virt_opt o = {.stdout = "serial0",
                         .alias_name = "serial0",
                         .alias_path = "/soc/serial@10000000",
                         .reserved = true,
                         .second_uart = true,
                         .nops = true};
    struct blob bl = build_virt(&o);

    run_robustness("synthetic_virt", bl, 5000);
    free(bl.p);
    bl = small_finish(small_begin(0));
    run_robustness("synthetic_small", bl, 2000);
    free(bl.p);
}

int
main(int argc, char **argv)
{
    run("virt_basic", test_virt_basic);
    run("virt_nops", test_virt_nops);
    run("virt_cells32", test_virt_cells32);
    run("virt_large_memory", test_virt_large_memory);
    run("reserved", test_reserved);
    run("stdout_second_uart_chosen_last", test_stdout_second_uart_chosen_last);
    run("stdout_alias", test_stdout_alias);
    run("stdout_alias_after_chosen_unit_less", test_stdout_alias_after_chosen_unit_less);
    run("stdout_fallbacks", test_stdout_fallbacks);
    run("disabled_uart_skipped", test_disabled_uart_skipped);
    run("soc_first_hart0_last", test_soc_first_hart0_last);
    run("timebase_forms", test_timebase_forms);
    run("small_ok", test_small_ok);
    run("missing", test_missing);
    run("memory_regions", test_memory_regions);
    run("isa_sstc", test_isa_sstc);
    run("too_many", test_too_many);
    run("reg_cells", test_reg_cells);
    run("bad_property_sizes", test_bad_property_sizes);
    run("devices", test_devices);
    run("harts", test_harts);
    run("plic_odd_interrupts_extended", test_plic_odd_interrupts_extended);
    run("plic_intc_without_phandle", test_plic_intc_without_phandle);
    run("depth_limit", test_depth_limit);
    run("version16", test_version16);
    run("token_stream", test_token_stream);
    run("header_basic", test_header_basic);
    run("header_fields", test_header_fields);
    run("header_layout", test_header_layout);
    run("struct_block_last", test_struct_block_last);
    run("strerror", test_strerror);
    run_builtin_robustness();
    for (int i = 1; i < argc; i++) {
        if (!test_dir(argv[i])) {
            test_file(argv[i]);
        }
    }
    fprintf(stderr, "test_fdt: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
