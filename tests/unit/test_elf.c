/*
 * Host unit tests for the ELF loader library (lib/elf/src/elf.c).
 *
 * Build and run from the repository root (or: make unit-elf):
 *   mkdir -p build/host/elf
 *   riscv64-unknown-elf-gcc -march=rv64imac -mabi=lp64 -mcmodel=medany -ffreestanding \
 *       -nostdlib -nostartfiles -static -T lib/sys/user.ld -o build/host/elf/prog.elf \
 *       tests/unit/elf_prog.c
 *   riscv64-unknown-elf-readelf -lW build/host/elf/prog.elf > build/host/elf/prog.readelf
 *   clang-14 -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
 *       -fno-sanitize-recover=all -Ilib/elf/include lib/elf/src/elf.c tests/unit/test_elf.c \
 *       -o build/host/test_elf
 *   build/host/test_elf build/host/elf/prog.elf build/host/elf/prog.readelf
 *
 * Arguments come in pairs: an ELF file and what "readelf -lW" printed for it. Each file is
 * checked against readelf (entry, every non-empty LOAD, flags, lo/hi, TLS), loaded page by
 * page, truncated at every length, corrupted field by field and mutated by random byte flips.
 * Built-in tests on synthetic images cover the cases a linker does not produce. Without
 * arguments only the built-in tests run.
 *
 * Output: one line per test, "VLTEST PASS <name>" or "VLTEST FAIL <name> <reason>"; the exit
 * status is 1 if any test failed. Images are parsed from buffers that end exactly where the
 * image ends, so AddressSanitizer reports any read past the end; every parse also checks that
 * a failure leaves the output untouched and that a success is self-consistent.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_bytes.h"
#include "vallum/elf.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define HAVE_ASAN 1
#endif
#endif

/* VL_USER_TOP in uapi/vallum/types.h: the user address-space limit init passes. */
#define USER_TOP 0x4000000000ull
#define PAGE 4096ull
#define MAX_LOADS 64

/* ELF layout offsets used to build and corrupt images. */
#define E_TYPE 16
#define E_MACHINE 18
#define E_VERSION 20
#define E_ENTRY 24
#define E_PHOFF 32
#define E_EHSIZE 52
#define E_PHENTSIZE 54
#define E_PHNUM 56
#define PH_SIZE 56
#define P_TYPE 0
#define P_FLAGS 4
#define P_OFFSET 8
#define P_VADDR 16
#define P_PADDR 24
#define P_FILESZ 32
#define P_MEMSZ 40
#define P_ALIGN 48
#define PT_NULL 0
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_NOTE 4
#define PT_TLS 7

/* ---- Test harness ---- */

#define VLTEST_STRERROR elf_strerror
#include "vltest.h"

static void
clobbered(const char *why)
{
    if (!g_clobbered) {
        g_clobbered = true;
        snprintf(g_clobber_why, sizeof(g_clobber_why), "%s", why);
    }
}

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

static uint64_t
page_down(uint64_t v)
{
    return v & ~(PAGE - 1);
}

/* ---- Oracle: what a correct result looks like ---- */

/* How many pages check_consistent loads through elf_load_page. */
enum pages { PAGES_NONE, PAGES_ENDS, PAGES_ALL };

/* The expected contents of the page at page in segment s of the image buf. */
static void
ref_page(const uint8_t *buf, const struct elf_segment *s, uint64_t page, uint8_t *out)
{
    for (uint64_t k = 0; k < PAGE; k++) {
        uint64_t va = page + k;

        out[k] = 0;
        if (va >= s->vaddr && va - s->vaddr < s->filesz) {
            out[k] = buf[s->offset + (va - s->vaddr)];
        }
    }
}

/* Loads one page with elf_load_page and compares it with ref_page. */
static bool
check_page(const struct elf_image *img, unsigned i, uint64_t page)
{
    static uint8_t got[PAGE];
    static uint8_t want[PAGE];
    int err;

    memset(got, 0xcc, sizeof(got));
    err = elf_load_page(img, i, page, got);
    if (err != ELF_OK) {
        return fail_with("elf_load_page(seg %u, %#llx) = %s", i, (unsigned long long)page,
                         elf_strerror(err));
    }
    ref_page(img->data, &img->seg[i], page, want);
    if (memcmp(got, want, PAGE) != 0) {
        return fail_with("page %#llx of segment %u differs", (unsigned long long)page, i);
    }
    return true;
}

/* Checks that elf_load_page rejects a request and leaves dst alone. */
static bool
check_page_rejected(const struct elf_image *img, unsigned i, uint64_t page)
{
    static uint8_t buf[PAGE];
    int err;

    memset(buf, 0x5a, sizeof(buf));
    err = elf_load_page(img, i, page, buf);
    if (err == ELF_OK) {
        return fail_with("elf_load_page(seg %u, %#llx) accepted", i, (unsigned long long)page);
    }
    for (size_t k = 0; k < PAGE; k++) {
        if (buf[k] != 0x5a) {
            return fail_with("failed elf_load_page wrote to dst");
        }
    }
    return true;
}

/*
 * Checks the postconditions of a successful parse of buf[0 .. len) against user_top. Unless
 * pages is PAGES_NONE, also loads the first and last page of every segment (all its pages for
 * PAGES_ALL) and checks that the pages just outside each segment are refused.
 */
static bool
check_consistent(const struct elf_image *img, const uint8_t *buf, size_t len, uint64_t top,
                 enum pages pages)
{
    uint64_t lo = UINT64_MAX;
    uint64_t hi = 0;
    bool entry_ok = false;
    bool tls_ok = false;

    EXPECT(img->data == buf);
    EXPECT_EQ(img->size, len);
    EXPECT(img->num_segments >= 1 && img->num_segments <= ELF_MAX_SEGMENTS);
    for (unsigned i = 0; i < img->num_segments; i++) {
        const struct elf_segment *s = &img->seg[i];
        uint64_t s_hi;

        EXPECT(s->memsz != 0);
        EXPECT(s->filesz <= s->memsz);
        EXPECT(s->offset <= len && s->filesz <= len - s->offset);
        EXPECT(s->memsz <= UINT64_MAX - s->vaddr);
        EXPECT(s->vaddr + s->memsz <= UINT64_MAX - (PAGE - 1));
        EXPECT((s->flags & ~7u) == 0);
        s_hi = page_down(s->vaddr + s->memsz + PAGE - 1);
        EXPECT(s_hi <= top);
        lo = page_down(s->vaddr) < lo ? page_down(s->vaddr) : lo;
        hi = s_hi > hi ? s_hi : hi;
        for (unsigned j = 0; j < i; j++) {
            const struct elf_segment *o = &img->seg[j];
            uint64_t o_hi = page_down(o->vaddr + o->memsz + PAGE - 1);

            EXPECT(!(page_down(s->vaddr) < o_hi && page_down(o->vaddr) < s_hi));
        }
        if ((s->flags & ELF_X) && img->entry >= s->vaddr && img->entry - s->vaddr < s->memsz) {
            entry_ok = true;
        }
        if (img->tls_vaddr >= s->vaddr && img->tls_vaddr - s->vaddr <= s->memsz &&
            img->tls_filesz <= s->memsz - (img->tls_vaddr - s->vaddr)) {
            tls_ok = true;
        }
    }
    EXPECT_EQ(img->lo, lo);
    EXPECT_EQ(img->hi, hi);
    EXPECT(lo < hi && hi <= top);
    EXPECT(entry_ok);
    if (img->tls_memsz == 0) {
        EXPECT(img->tls_vaddr == 0 && img->tls_filesz == 0);
    } else {
        EXPECT(img->tls_filesz <= img->tls_memsz);
        EXPECT(img->tls_memsz <= UINT64_MAX - img->tls_vaddr);
        EXPECT(img->tls_vaddr + img->tls_memsz <= top);
        EXPECT(img->tls_filesz == 0 || tls_ok);
    }
    for (unsigned i = 0; i < img->num_segments && pages != PAGES_NONE; i++) {
        const struct elf_segment *s = &img->seg[i];
        uint64_t first = page_down(s->vaddr);
        uint64_t last = page_down(s->vaddr + s->memsz - 1);

        if (pages == PAGES_ALL) {
            for (uint64_t p = first; p <= last; p += PAGE) {
                if (!check_page(img, i, p)) {
                    return false;
                }
            }
        } else if (!check_page(img, i, first) || !check_page(img, i, last)) {
            return false;
        }
        if (first != 0 && !check_page_rejected(img, i, first - PAGE)) {
            return false;
        }
        if (!check_page_rejected(img, i, last + PAGE) || !check_page_rejected(img, i, first + 1)) {
            return false;
        }
    }
    return check_page_rejected(img, img->num_segments, img->lo) &&
           check_page_rejected(img, ELF_MAX_SEGMENTS, img->lo) &&
           check_page_rejected(img, UINT32_MAX, img->lo);
}

/*
 * Parses buf[0 .. len) (buf must end exactly there for AddressSanitizer to catch overruns).
 * On failure checks that *out is untouched; on success checks the postconditions.
 */
static int
parse_in(const uint8_t *buf, size_t len, uint64_t top, struct elf_image *out, enum pages pages)
{
    struct elf_image before;
    int err;

    memset(out, 0xa5, sizeof(*out));
    memcpy(&before, out, sizeof(before));
    err = elf_parse(buf, len, top, out);
    if (err != ELF_OK) {
        if (err > 0 || err < ELF_ERR_ARGUMENT) {
            clobbered("elf_parse returned an unknown code");
        }
        if (memcmp(&before, out, sizeof(before)) != 0) {
            clobbered("failed elf_parse changed *out");
        }
        return err;
    }
    if (!check_consistent(out, buf, len, top, pages)) {
        char why[sizeof(g_clobber_why)];

        snprintf(why, sizeof(why), "inconsistent result: %s", g_why);
        clobbered(why);
    }
    return err;
}

/* Parses an exact-size heap copy of data[0 .. len); out->data is cleared before returning. */
static int
parse_exact(const uint8_t *data, size_t len, uint64_t top, struct elf_image *out)
{
    uint8_t *buf = xmalloc(len);
    int err;

    if (len != 0) {
        memcpy(buf, data, len);
    }
    err = parse_in(buf, len, top, out, PAGES_ALL);
    free(buf);
    out->data = NULL;
    return err;
}

/* Compares two parse results, ignoring data and size. */
static bool
same_result(const struct elf_image *a, const struct elf_image *b)
{
    EXPECT_EQ(a->entry, b->entry);
    EXPECT_EQ(a->num_segments, b->num_segments);
    for (unsigned i = 0; i < a->num_segments; i++) {
        EXPECT_EQ(a->seg[i].vaddr, b->seg[i].vaddr);
        EXPECT_EQ(a->seg[i].memsz, b->seg[i].memsz);
        EXPECT_EQ(a->seg[i].offset, b->seg[i].offset);
        EXPECT_EQ(a->seg[i].filesz, b->seg[i].filesz);
        EXPECT_EQ(a->seg[i].flags, b->seg[i].flags);
    }
    EXPECT_EQ(a->lo, b->lo);
    EXPECT_EQ(a->hi, b->hi);
    EXPECT_EQ(a->tls_vaddr, b->tls_vaddr);
    EXPECT_EQ(a->tls_filesz, b->tls_filesz);
    EXPECT_EQ(a->tls_memsz, b->tls_memsz);
    return true;
}

/* ---- Synthetic images ---- */

struct sph {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t align;
};

#define SYN_SIZE (24 * PAGE)
static uint8_t g_syn[SYN_SIZE];

/* Writes an ELF header and program headers at offset 64 into g_syn; the rest is a pattern. */
static void
synth(const struct sph *ph, unsigned n, uint64_t entry)
{
    for (size_t k = 0; k < SYN_SIZE; k++) {
        g_syn[k] = (uint8_t)(k * 7 + (k >> 12));
    }
    memset(g_syn, 0, 64);
    memcpy(g_syn, "\177ELF\2\1\1", 7);
    put_le(g_syn + E_TYPE, 2, 2);
    put_le(g_syn + E_MACHINE, 2, 243);
    put_le(g_syn + E_VERSION, 4, 1);
    put_le(g_syn + E_ENTRY, 8, entry);
    put_le(g_syn + E_PHOFF, 8, 64);
    put_le(g_syn + E_EHSIZE, 2, 64);
    put_le(g_syn + E_PHENTSIZE, 2, PH_SIZE);
    put_le(g_syn + E_PHNUM, 2, n);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = g_syn + 64 + i * PH_SIZE;

        put_le(p + P_TYPE, 4, ph[i].type);
        put_le(p + P_FLAGS, 4, ph[i].flags);
        put_le(p + P_OFFSET, 8, ph[i].offset);
        put_le(p + P_VADDR, 8, ph[i].vaddr);
        put_le(p + P_PADDR, 8, ph[i].vaddr);
        put_le(p + P_FILESZ, 8, ph[i].filesz);
        put_le(p + P_MEMSZ, 8, ph[i].memsz);
        put_le(p + P_ALIGN, 8, ph[i].align);
    }
}

static int
parse_syn(struct sph *ph, unsigned n, uint64_t entry, struct elf_image *out)
{
    synth(ph, n, entry);
    return parse_exact(g_syn, SYN_SIZE, USER_TOP, out);
}

/* A text segment at 0x10000 from file page 1 and a data segment at 0x20000 from page 2. */
static unsigned
base_phdrs(struct sph *ph)
{
    ph[0] = (struct sph){PT_LOAD, 5, PAGE, 0x10000, 0x800, 0x800, PAGE};
    ph[1] = (struct sph){PT_LOAD, 6, 2 * PAGE, 0x20000, 0x100, 0x3000, PAGE};
    return 2;
}

static bool
test_syn_basic(void)
{
    struct sph ph[4];
    struct elf_image img;
    unsigned n = base_phdrs(ph);

    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.entry, 0x10000);
    EXPECT_EQ(img.num_segments, 2);
    EXPECT_EQ(img.seg[0].vaddr, 0x10000);
    EXPECT_EQ(img.seg[0].flags, ELF_R | ELF_X);
    EXPECT_EQ(img.seg[1].memsz, 0x3000);
    EXPECT_EQ(img.seg[1].flags, ELF_R | ELF_W);
    EXPECT_EQ(img.lo, 0x10000);
    EXPECT_EQ(img.hi, 0x23000);
    EXPECT_EQ(img.tls_memsz, 0);
    /* Entry at the last byte of the text segment is fine, one past it is not. */
    EXPECT_ERR(parse_syn(ph, n, 0x107ff, &img), ELF_OK);
    EXPECT_ERR(parse_syn(ph, n, 0x10800, &img), ELF_ERR_ENTRY);
    EXPECT_ERR(parse_syn(ph, n, 0x20000, &img), ELF_ERR_ENTRY);
    EXPECT_ERR(parse_syn(ph, n, 0, &img), ELF_ERR_ENTRY);
    /* NULL arguments. */
    synth(ph, n, 0x10000);
    EXPECT_ERR(elf_parse(NULL, 100, USER_TOP, &img), ELF_ERR_ARGUMENT);
    EXPECT_ERR(elf_parse(g_syn, SYN_SIZE, USER_TOP, NULL), ELF_ERR_ARGUMENT);
    return true;
}

static bool
test_syn_too_many(void)
{
    struct sph ph[ELF_MAX_SEGMENTS + 2];
    struct elf_image img;

    for (unsigned i = 0; i < ELF_MAX_SEGMENTS + 1; i++) {
        ph[i] = (struct sph){PT_LOAD, 5, PAGE * (i + 1), 0x10000 + PAGE * i, 16, 16, PAGE};
    }
    EXPECT_ERR(parse_syn(ph, ELF_MAX_SEGMENTS, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.num_segments, ELF_MAX_SEGMENTS);
    EXPECT_EQ(img.hi, 0x10000 + PAGE * ELF_MAX_SEGMENTS);
    EXPECT_ERR(parse_syn(ph, ELF_MAX_SEGMENTS + 1, 0x10000, &img), ELF_ERR_TOO_MANY);
    /* Empty segments do not count, whatever their other fields say. */
    ph[3] = (struct sph){PT_LOAD, 7, UINT64_MAX, UINT64_MAX, 0, 0, 3};
    EXPECT_ERR(parse_syn(ph, ELF_MAX_SEGMENTS + 1, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.num_segments, ELF_MAX_SEGMENTS);
    EXPECT_EQ(img.seg[3].vaddr, 0x10000 + 4 * PAGE);
    /* memsz 0 with filesz != 0 is filesz > memsz, not empty. */
    ph[3].filesz = 1;
    ph[3].offset = PAGE;
    ph[3].vaddr = 0x90000;
    ph[3].align = PAGE;
    EXPECT_ERR(parse_syn(ph, ELF_MAX_SEGMENTS + 1, 0x10000, &img), ELF_ERR_SEGMENT);
    return true;
}

static bool
test_syn_no_segments(void)
{
    struct sph ph[3];
    struct elf_image img;

    ph[0] = (struct sph){PT_NULL, 5, PAGE, 0x10000, 16, 16, PAGE};
    ph[1] = (struct sph){PT_LOAD, 5, PAGE, 0x10000, 0, 0, PAGE};
    ph[2] = (struct sph){PT_TLS, 6, PAGE, 0x10000, 0, 16, 8};
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_ERR_NO_SEGMENTS);
    EXPECT_ERR(parse_syn(ph, 0, 0x10000, &img), ELF_ERR_NO_SEGMENTS);
    return true;
}

static bool
test_syn_overlap(void)
{
    struct sph ph[4];
    struct elf_image img;
    unsigned n = base_phdrs(ph);

    /* Same range. */
    ph[1].vaddr = 0x10000;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_OVERLAP);
    /* Disjoint bytes in the same page (text ends at 0x10800). */
    ph[1] = (struct sph){PT_LOAD, 6, 2 * PAGE + 0x900, 0x10900, 0x10, 0x10, 0x100};
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_OVERLAP);
    /* Data ends in the text's first page. */
    ph[1] = (struct sph){PT_LOAD, 6, 2 * PAGE, 0x0e000, 0x10, 0x2001, PAGE};
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_OVERLAP);
    /* Adjacent pages, either order. */
    ph[1].memsz = 0x2000;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.lo, 0x0e000);
    EXPECT_EQ(img.hi, 0x11000);
    ph[1] = (struct sph){PT_LOAD, 6, 2 * PAGE + 0x10, 0x11010, 0x10, 0x10, 0x100};
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_OK);
    /* A third segment overlapping the second but not the first. */
    ph[2] = (struct sph){PT_LOAD, 4, 3 * PAGE, 0x11000, 0x10, 0x10, PAGE};
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_ERR_OVERLAP);
    return true;
}

static bool
test_syn_align(void)
{
    struct sph ph[4];
    struct elf_image img;
    unsigned n = base_phdrs(ph);

    ph[0].align = 3;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_SEGMENT);
    ph[0].align = PAGE + 1;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_SEGMENT);
    ph[0].align = UINT64_MAX;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_SEGMENT);
    ph[0].align = 1ull << 63;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_SEGMENT);
    /* Misaligned against a valid alignment. */
    ph[0].align = PAGE;
    ph[0].vaddr = 0x10010;
    EXPECT_ERR(parse_syn(ph, n, 0x10010, &img), ELF_ERR_SEGMENT);
    ph[0].offset = PAGE + 0x10;
    EXPECT_ERR(parse_syn(ph, n, 0x10010, &img), ELF_OK);
    EXPECT_EQ(img.lo, 0x10000);
    EXPECT_EQ(img.hi, 0x23000);
    /* 0 and 1 mean "no constraint". */
    ph[0].offset = PAGE + 0x123;
    ph[0].align = 0;
    EXPECT_ERR(parse_syn(ph, n, 0x10010, &img), ELF_OK);
    ph[0].align = 1;
    EXPECT_ERR(parse_syn(ph, n, 0x10010, &img), ELF_OK);
    ph[0].align = 2;
    EXPECT_ERR(parse_syn(ph, n, 0x10010, &img), ELF_ERR_SEGMENT);
    return true;
}

static bool
test_syn_ranges(void)
{
    struct sph ph[4];
    struct elf_image img;
    unsigned n = base_phdrs(ph);

    /* File range (alignment relaxed so that only the range matters). */
    ph[1].align = 1;
    ph[1].offset = SYN_SIZE - ph[1].filesz;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_OK);
    ph[1].filesz++;
    ph[1].offset -= PAGE;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_OK);
    ph[1].offset += PAGE;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_SEGMENT);
    ph[1].offset = UINT64_MAX & ~(PAGE - 1);
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_SEGMENT);
    base_phdrs(ph);
    ph[1].filesz = UINT64_MAX;
    ph[1].memsz = UINT64_MAX;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_SEGMENT);
    /* filesz > memsz. */
    base_phdrs(ph);
    ph[1].filesz = ph[1].memsz + 1;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_SEGMENT);
    /* Address overflow, and page rounding overflow. */
    base_phdrs(ph);
    ph[1].vaddr = UINT64_MAX & ~(PAGE - 1);
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_SEGMENT);
    synth(ph, n, 0x10000);
    EXPECT_ERR(parse_in(g_syn, SYN_SIZE, UINT64_MAX, &img, PAGES_ENDS), ELF_ERR_SEGMENT);
    ph[1].memsz = PAGE - 1;
    synth(ph, n, 0x10000);
    EXPECT_ERR(parse_in(g_syn, SYN_SIZE, UINT64_MAX, &img, PAGES_ENDS), ELF_ERR_SEGMENT);
    ph[1].vaddr -= PAGE;
    synth(ph, n, 0x10000);
    EXPECT_ERR(parse_in(g_syn, SYN_SIZE, UINT64_MAX, &img, PAGES_ENDS), ELF_OK);
    EXPECT_EQ(img.hi, UINT64_MAX & ~(PAGE - 1));
    /* user_top: the page-rounded end must not pass it. */
    base_phdrs(ph);
    synth(ph, n, 0x10000);
    EXPECT_ERR(parse_in(g_syn, SYN_SIZE, 0x23000, &img, PAGES_ALL), ELF_OK);
    EXPECT_ERR(parse_in(g_syn, SYN_SIZE, 0x22fff, &img, PAGES_ALL), ELF_ERR_SEGMENT);
    EXPECT_ERR(parse_in(g_syn, SYN_SIZE, 0x20001, &img, PAGES_ALL), ELF_ERR_SEGMENT);
    EXPECT_ERR(parse_in(g_syn, SYN_SIZE, 0, &img, PAGES_ALL), ELF_ERR_SEGMENT);
    ph[1].vaddr = USER_TOP;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_SEGMENT);
    ph[1].vaddr = USER_TOP - PAGE;
    ph[1].memsz = PAGE;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.hi, USER_TOP);
    ph[1].memsz++;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_SEGMENT);
    /* Segment at address 0 is the caller's business (user_top is the only limit). */
    base_phdrs(ph);
    ph[1].vaddr = 0;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.lo, 0);
    return true;
}

static bool
test_syn_flags_and_types(void)
{
    struct sph ph[6];
    struct elf_image img;
    unsigned n = base_phdrs(ph);

    /* W+X is allowed; unknown p_flags bits are dropped. */
    ph[0].flags = 0xf0f00007;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.seg[0].flags, ELF_R | ELF_W | ELF_X);
    /* Entry must be in an executable segment. */
    ph[0].flags = ELF_R;
    EXPECT_ERR(parse_syn(ph, n, 0x10000, &img), ELF_ERR_ENTRY);
    ph[1].flags = ELF_X;
    EXPECT_ERR(parse_syn(ph, n, 0x20000, &img), ELF_OK);
    EXPECT_EQ(img.seg[0].flags, ELF_R);
    EXPECT_EQ(img.seg[1].flags, ELF_X);
    /* Other types are ignored, whatever their fields. */
    base_phdrs(ph);
    ph[2] = (struct sph){PT_NOTE, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX, 0, 3};
    ph[3] = (struct sph){PT_DYNAMIC, 7, 0, 0x10000, 0x1000000, 0x1000000, 0};
    ph[4] = (struct sph){0x6474e551, 6, 0, 0, 0, 0, 16}; /* PT_GNU_STACK */
    ph[5] = (struct sph){0x70000003, 4, 1, 2, 3, 4, 5};  /* PT_RISCV_ATTRIBUTES */
    EXPECT_ERR(parse_syn(ph, 6, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.num_segments, 2);
    return true;
}

static bool
test_syn_tls(void)
{
    struct sph ph[4];
    struct elf_image img;
    unsigned n = base_phdrs(ph);

    ph[n] = (struct sph){PT_TLS, 4, 2 * PAGE + 0x10, 0x20010, 0x20, 0x100, 8};
    EXPECT_ERR(parse_syn(ph, n + 1, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.tls_vaddr, 0x20010);
    EXPECT_EQ(img.tls_filesz, 0x20);
    EXPECT_EQ(img.tls_memsz, 0x100);
    /* PT_TLS before the PT_LOAD that holds it. */
    ph[3] = ph[0];
    ph[0] = ph[2];
    ph[2] = ph[3];
    EXPECT_ERR(parse_syn(ph, n + 1, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.tls_filesz, 0x20);
    /* Two PT_TLS. */
    base_phdrs(ph);
    ph[2] = (struct sph){PT_TLS, 4, 2 * PAGE + 0x10, 0x20010, 0x20, 0x100, 8};
    ph[3] = ph[2];
    EXPECT_ERR(parse_syn(ph, 4, 0x10000, &img), ELF_ERR_SEGMENT);
    /* Template outside any segment, or running past one. */
    ph[2].vaddr = 0x30000;
    ph[2].offset = 2 * PAGE;
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_ERR_SEGMENT);
    ph[2].vaddr = 0x22ff0;
    ph[2].offset = 2 * PAGE + 0xff0;
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_ERR_SEGMENT);
    ph[2].filesz = 0x10;
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_OK);
    /* .tbss only: no template, so it need not be inside a segment. */
    ph[2] = (struct sph){PT_TLS, 4, 0, 0x40000, 0, 0x100, 8};
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.tls_vaddr, 0x40000);
    EXPECT_EQ(img.tls_memsz, 0x100);
    /* Bad fields. */
    ph[2] = (struct sph){PT_TLS, 4, 2 * PAGE, 0x20000, 0x20, 0x10, 8};
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_ERR_SEGMENT);
    ph[2] = (struct sph){PT_TLS, 4, SYN_SIZE, 0x20000, 0x20, 0x20, 8};
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_ERR_SEGMENT);
    ph[2] = (struct sph){PT_TLS, 4, 2 * PAGE, 0x20000, 0x20, 0x20, 12};
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_ERR_SEGMENT);
    ph[2] = (struct sph){PT_TLS, 4, 0, USER_TOP, 0, 0x10, 8};
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_ERR_SEGMENT);
    ph[2] = (struct sph){PT_TLS, 4, 0, UINT64_MAX - 8, 0, 0x10, 8};
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_ERR_SEGMENT);
    /* Empty: no TLS, whatever the other fields say, and it does not count as a second one. */
    ph[2] = (struct sph){PT_TLS, 4, UINT64_MAX, UINT64_MAX, 0, 0, 3};
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.tls_vaddr, 0);
    EXPECT_EQ(img.tls_memsz, 0);
    ph[3] = (struct sph){PT_TLS, 4, 2 * PAGE, 0x20000, 0x20, 0x20, 8};
    EXPECT_ERR(parse_syn(ph, 4, 0x10000, &img), ELF_OK);
    EXPECT_EQ(img.tls_vaddr, 0x20000);
    /* memsz 0 with filesz != 0 is filesz > memsz. */
    ph[2] = (struct sph){PT_TLS, 4, 2 * PAGE, 0x20000, 0x10, 0, 8};
    EXPECT_ERR(parse_syn(ph, 3, 0x10000, &img), ELF_ERR_SEGMENT);
    return true;
}

static bool
test_syn_load_page(void)
{
    static uint8_t page[PAGE];
    struct sph ph[3];
    struct elf_image img;

    /* Unaligned text with a partial first page; data with bss spilling over two pages. */
    ph[0] = (struct sph){PT_LOAD, 5, PAGE + 0x234, 0x10234, 0x1100, 0x1100, 0x4};
    ph[1] = (struct sph){PT_LOAD, 6, 4 * PAGE + 0xf00, 0x20f00, 0x200, 0x1200, PAGE};
    synth(ph, 2, 0x10234);
    EXPECT_ERR(parse_in(g_syn, SYN_SIZE, USER_TOP, &img, PAGES_ALL), ELF_OK);
    EXPECT_EQ(img.lo, 0x10000);
    EXPECT_EQ(img.hi, 0x23000);
    EXPECT_ERR(elf_load_page(&img, 0, 0x10000, page), ELF_OK);
    for (unsigned k = 0; k < 0x234; k++) {
        EXPECT_EQ(page[k], 0);
    }
    EXPECT(memcmp(page + 0x234, g_syn + PAGE + 0x234, PAGE - 0x234) == 0);
    EXPECT_ERR(elf_load_page(&img, 0, 0x11000, page), ELF_OK);
    EXPECT(memcmp(page, g_syn + 2 * PAGE, 0x334) == 0);
    for (unsigned k = 0x334; k < PAGE; k++) {
        EXPECT_EQ(page[k], 0);
    }
    EXPECT_ERR(elf_load_page(&img, 1, 0x20000, page), ELF_OK);
    EXPECT(memcmp(page + 0xf00, g_syn + 4 * PAGE + 0xf00, 0x100) == 0);
    EXPECT_ERR(elf_load_page(&img, 1, 0x21000, page), ELF_OK);
    EXPECT(memcmp(page, g_syn + 5 * PAGE, 0x100) == 0);
    for (unsigned k = 0x100; k < PAGE; k++) {
        EXPECT_EQ(page[k], 0);
    }
    EXPECT_ERR(elf_load_page(&img, 1, 0x22000, page), ELF_OK);
    for (unsigned k = 0; k < PAGE; k++) {
        EXPECT_EQ(page[k], 0);
    }
    /* Errors. */
    EXPECT_ERR(elf_load_page(&img, 1, 0x23000, page), ELF_ERR_ARGUMENT);
    EXPECT_ERR(elf_load_page(&img, 1, 0x1f000, page), ELF_ERR_ARGUMENT);
    EXPECT_ERR(elf_load_page(&img, 0, 0x20000, page), ELF_ERR_ARGUMENT);
    EXPECT_ERR(elf_load_page(&img, 0, 0x10800, page), ELF_ERR_ARGUMENT);
    EXPECT_ERR(elf_load_page(&img, 2, 0x10000, page), ELF_ERR_ARGUMENT);
    EXPECT_ERR(elf_load_page(&img, 0, UINT64_MAX & ~(PAGE - 1), page), ELF_ERR_ARGUMENT);
    EXPECT_ERR(elf_load_page(NULL, 0, 0x10000, page), ELF_ERR_ARGUMENT);
    EXPECT_ERR(elf_load_page(&img, 0, 0x10000, NULL), ELF_ERR_ARGUMENT);
    /* A damaged elf_image is refused rather than followed. */
    img.seg[0].offset = SYN_SIZE;
    EXPECT_ERR(elf_load_page(&img, 0, 0x10000, page), ELF_ERR_SEGMENT);
    img.seg[0].offset = PAGE + 0x234;
    img.num_segments = 1000;
    EXPECT_ERR(elf_load_page(&img, ELF_MAX_SEGMENTS, 0x10000, page), ELF_ERR_ARGUMENT);
    return true;
}

static bool
test_strerror(void)
{
    for (int e = ELF_ERR_NO_SYMBOL; e <= ELF_OK; e++) {
        const char *s = elf_strerror(e);

        EXPECT(s != NULL && s[0] != '\0');
        EXPECT(strcmp(s, "unknown error") != 0);
        for (int f = ELF_ERR_NO_SYMBOL; f < e; f++) {
            EXPECT(strcmp(s, elf_strerror(f)) != 0);
        }
    }
    EXPECT(strcmp(elf_strerror(1), "unknown error") == 0);
    EXPECT(strcmp(elf_strerror(ELF_ERR_NO_SYMBOL - 1), "unknown error") == 0);
    return true;
}

/* ---- Real ELF files ---- */

/* One LOAD or TLS line of "readelf -lW". */
struct ref_seg {
    uint64_t offset, vaddr, filesz, memsz, align;
    uint32_t flags;
};

static struct {
    const char *path;
    uint8_t *data;
    size_t size;
    uint64_t entry;
    unsigned num_loads; /* every LOAD line, empty ones included */
    struct ref_seg load[MAX_LOADS];
    bool has_tls;
    struct ref_seg tls;
    unsigned text_ph, data_ph; /* program header indices of an X LOAD and another LOAD */
    bool has_data;
} g_file;

static bool
read_file(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        if (f != NULL) {
            fclose(f);
        }
        return fail_with("cannot read %s", path);
    }
    *data = xmalloc((size_t)n);
    *size = (size_t)n;
    if (fread(*data, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return fail_with("short read of %s", path);
    }
    fclose(f);
    return true;
}

/* Parses a LOAD/TLS line: type offset vaddr paddr filesz memsz flag-letters... align. */
static bool
parse_ref_line(char *line, struct ref_seg *s)
{
    char *tok[16];
    unsigned n = 0;

    for (char *t = strtok(line, " \t\n"); t != NULL && n < 16; t = strtok(NULL, " \t\n")) {
        tok[n++] = t;
    }
    if (n < 8) {
        return fail_with("short program header line in readelf output");
    }
    s->offset = strtoull(tok[1], NULL, 16);
    s->vaddr = strtoull(tok[2], NULL, 16);
    s->filesz = strtoull(tok[4], NULL, 16);
    s->memsz = strtoull(tok[5], NULL, 16);
    s->align = strtoull(tok[n - 1], NULL, 16);
    s->flags = 0;
    for (unsigned i = 6; i < n - 1; i++) {
        for (const char *c = tok[i]; *c != '\0'; c++) {
            s->flags |= *c == 'R' ? ELF_R : *c == 'W' ? ELF_W : *c == 'E' ? ELF_X : 0;
        }
    }
    return true;
}

/* Loads an ELF file and its readelf listing into g_file. */
static bool
load_reference(const char *elf_path, const char *readelf_path)
{
    char line[512];
    FILE *f;
    bool have_entry = false;

    memset(&g_file, 0, sizeof(g_file));
    g_file.path = elf_path;
    if (!read_file(elf_path, &g_file.data, &g_file.size)) {
        return false;
    }
    f = fopen(readelf_path, "r");
    if (f == NULL) {
        return fail_with("cannot open %s", readelf_path);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long long v;
        char *p = line + strspn(line, " ");

        if (sscanf(p, "Entry point %llx", &v) == 1) {
            g_file.entry = v;
            have_entry = true;
        } else if (strncmp(p, "LOAD ", 5) == 0 && g_file.num_loads < MAX_LOADS) {
            if (!parse_ref_line(p, &g_file.load[g_file.num_loads++])) {
                fclose(f);
                return false;
            }
        } else if (strncmp(p, "TLS ", 4) == 0) {
            if (!parse_ref_line(p, &g_file.tls)) {
                fclose(f);
                return false;
            }
            g_file.has_tls = true;
        }
    }
    fclose(f);
    if (!have_entry || g_file.num_loads == 0) {
        return fail_with("%s: no entry point or LOAD lines", readelf_path);
    }
    /* Program header indices of the segments the field tests corrupt. */
    {
        uint64_t phoff = get_le(g_file.data + E_PHOFF, 8);
        unsigned phnum = (unsigned)get_le(g_file.data + E_PHNUM, 2);
        bool have_text = false;

        for (unsigned i = 0; i < phnum; i++) {
            const uint8_t *p = g_file.data + phoff + i * PH_SIZE;

            if (get_le(p + P_TYPE, 4) != PT_LOAD || get_le(p + P_MEMSZ, 8) == 0) {
                continue;
            }
            if (!have_text && (get_le(p + P_FLAGS, 4) & ELF_X)) {
                g_file.text_ph = i;
                have_text = true;
            } else if (!g_file.has_data) {
                g_file.data_ph = i;
                g_file.has_data = true;
            }
        }
        EXPECT(have_text);
    }
    return true;
}

/* The smallest file size that still holds everything the loader reads. */
static size_t
required_size(void)
{
    uint64_t need = 64;
    uint64_t phend = get_le(g_file.data + E_PHOFF, 8) + get_le(g_file.data + E_PHNUM, 2) * PH_SIZE;

    need = phend > need ? phend : need;
    for (unsigned i = 0; i < g_file.num_loads; i++) {
        const struct ref_seg *s = &g_file.load[i];

        if (s->memsz != 0 && s->offset + s->filesz > need) {
            need = s->offset + s->filesz;
        }
    }
    if (g_file.has_tls && g_file.tls.offset + g_file.tls.filesz > need) {
        need = g_file.tls.offset + g_file.tls.filesz;
    }
    return (size_t)need;
}

static bool
test_file_readelf(void)
{
    struct elf_image img;
    unsigned k = 0;
    uint64_t lo = UINT64_MAX;
    uint64_t hi = 0;

    EXPECT_ERR(parse_exact(g_file.data, g_file.size, USER_TOP, &img), ELF_OK);
    EXPECT_EQ(img.entry, g_file.entry);
    for (unsigned i = 0; i < g_file.num_loads; i++) {
        const struct ref_seg *r = &g_file.load[i];

        if (r->memsz == 0) {
            continue;
        }
        EXPECT(k < img.num_segments);
        EXPECT_EQ(img.seg[k].vaddr, r->vaddr);
        EXPECT_EQ(img.seg[k].memsz, r->memsz);
        EXPECT_EQ(img.seg[k].offset, r->offset);
        EXPECT_EQ(img.seg[k].filesz, r->filesz);
        EXPECT_EQ(img.seg[k].flags, r->flags);
        lo = page_down(r->vaddr) < lo ? page_down(r->vaddr) : lo;
        hi = page_down(r->vaddr + r->memsz + PAGE - 1) > hi
                 ? page_down(r->vaddr + r->memsz + PAGE - 1)
                 : hi;
        k++;
    }
    EXPECT_EQ(img.num_segments, k);
    EXPECT_EQ(img.lo, lo);
    EXPECT_EQ(img.hi, hi);
    if (g_file.has_tls && g_file.tls.memsz != 0) {
        EXPECT_EQ(img.tls_vaddr, g_file.tls.vaddr);
        EXPECT_EQ(img.tls_filesz, g_file.tls.filesz);
        EXPECT_EQ(img.tls_memsz, g_file.tls.memsz);
    } else {
        EXPECT_EQ(img.tls_memsz, 0);
    }
    /* The image is usable anywhere below its page-rounded end, and nowhere else. */
    EXPECT_ERR(parse_exact(g_file.data, g_file.size, hi, &img), ELF_OK);
    EXPECT_ERR(parse_exact(g_file.data, g_file.size, hi - 1, &img), ELF_ERR_SEGMENT);
    return true;
}

/* Every page, compared with the file bytes at readelf's offsets (not the parser's). */
static bool
test_file_pages(void)
{
    static uint8_t got[PAGE];
    struct elf_image img;
    unsigned k = 0;
    size_t pages = 0;

    EXPECT_ERR(elf_parse(g_file.data, g_file.size, USER_TOP, &img), ELF_OK);
    for (unsigned i = 0; i < g_file.num_loads; i++) {
        const struct ref_seg *r = &g_file.load[i];

        if (r->memsz == 0) {
            continue;
        }
        for (uint64_t p = page_down(r->vaddr); p < r->vaddr + r->memsz; p += PAGE) {
            EXPECT_ERR(elf_load_page(&img, k, p, got), ELF_OK);
            for (uint64_t b = 0; b < PAGE; b++) {
                uint64_t va = p + b;
                uint8_t want = 0;

                if (va >= r->vaddr && va < r->vaddr + r->filesz) {
                    want = g_file.data[r->offset + va - r->vaddr];
                }
                if (got[b] != want) {
                    return fail_with("segment %u byte %#llx: %#x, want %#x", k,
                                     (unsigned long long)va, got[b], want);
                }
            }
            pages++;
        }
        k++;
    }
    EXPECT(pages > 0);
    return true;
}

/* Checks the result of parsing the first len bytes of the file; need as in required_size. */
static bool
check_truncated(size_t len, size_t need, int err, const struct elf_image *img,
                const struct elf_image *full)
{
    if (len < 64 && err != ELF_ERR_TRUNCATED) {
        return fail_with("length %zu: %s, want truncated", len, elf_strerror(err));
    }
    if (len < need && err == ELF_OK) {
        return fail_with("length %zu < %zu accepted", len, need);
    }
    if (len >= need && err != ELF_OK) {
        return fail_with("length %zu >= %zu: %s", len, need, elf_strerror(err));
    }
    return len < need || same_result(img, full);
}

/*
 * Every truncation length: below 64 bytes ELF_ERR_TRUNCATED, below the end of what the
 * loader needs some error, from there on the full file's result. With AddressSanitizer the
 * image stays in one buffer and the lengths go down, poisoning one more byte of the tail at
 * each step (linear time even for large files); without it, exact-size copies are made.
 */
static bool
test_file_truncate(void)
{
    struct elf_image full;
    struct elf_image img;
    size_t need = required_size();
    uint8_t *buf = xmalloc(g_file.size);
    bool ok = true;

    memcpy(buf, g_file.data, g_file.size);
    EXPECT_ERR(elf_parse(g_file.data, g_file.size, USER_TOP, &full), ELF_OK);
    for (size_t len = g_file.size + 1; ok && len-- > 0;) {
        enum pages pages = len % 4096 == 0 || len == need ? PAGES_ALL : PAGES_NONE;
        int err;

#ifdef HAVE_ASAN
        err = parse_in(buf, len, USER_TOP, &img, pages);
        if (len > 0) {
            ASAN_POISON_MEMORY_REGION(buf + len - 1, 1);
        }
#else
        (void)pages;
        err = parse_exact(g_file.data, len, USER_TOP, &img);
#endif
        ok = check_truncated(len, need, err, &img, &full);
    }
#ifdef HAVE_ASAN
    ASAN_UNPOISON_MEMORY_REGION(buf, g_file.size);
#endif
    free(buf);
    return ok;
}

/* A copy of the file with one little-endian field at off (n bytes) set to v. */
static int
parse_with(size_t off, unsigned n, uint64_t v, uint64_t top)
{
    uint8_t *buf = xmalloc(g_file.size);
    struct elf_image img;
    int err;

    memcpy(buf, g_file.data, g_file.size);
    put_le(buf + off, n, v);
    err = parse_in(buf, g_file.size, top, &img, PAGES_ENDS);
    free(buf);
    return err;
}

static bool
test_file_fields(void)
{
    uint64_t phoff = get_le(g_file.data + E_PHOFF, 8);
    unsigned phnum = (unsigned)get_le(g_file.data + E_PHNUM, 2);
    size_t t = phoff + g_file.text_ph * PH_SIZE;
    size_t d = phoff + g_file.data_ph * PH_SIZE;
    uint64_t t_vaddr = get_le(g_file.data + t + P_VADDR, 8);
    uint64_t t_memsz = get_le(g_file.data + t + P_MEMSZ, 8);
    uint64_t t_filesz = get_le(g_file.data + t + P_FILESZ, 8);
    uint64_t t_align = get_le(g_file.data + t + P_ALIGN, 8);
    uint64_t size = g_file.size;

    EXPECT_ERR(parse_with(0, 1, 0x7f, USER_TOP), ELF_OK);
    /* ELF header. */
    for (unsigned i = 0; i < 4; i++) {
        EXPECT_ERR(parse_with(i, 1, g_file.data[i] ^ 0x20, USER_TOP), ELF_ERR_MAGIC);
    }
    EXPECT_ERR(parse_with(4, 1, 1, USER_TOP), ELF_ERR_CLASS);
    EXPECT_ERR(parse_with(4, 1, 0, USER_TOP), ELF_ERR_CLASS);
    EXPECT_ERR(parse_with(5, 1, 2, USER_TOP), ELF_ERR_CLASS);
    EXPECT_ERR(parse_with(5, 1, 0, USER_TOP), ELF_ERR_CLASS);
    EXPECT_ERR(parse_with(6, 1, 0, USER_TOP), ELF_ERR_VERSION);
    EXPECT_ERR(parse_with(6, 1, 2, USER_TOP), ELF_ERR_VERSION);
    EXPECT_ERR(parse_with(E_VERSION, 4, 0, USER_TOP), ELF_ERR_VERSION);
    EXPECT_ERR(parse_with(E_VERSION, 4, 0x101, USER_TOP), ELF_ERR_VERSION);
    EXPECT_ERR(parse_with(E_MACHINE, 2, 62, USER_TOP), ELF_ERR_MACHINE);
    EXPECT_ERR(parse_with(E_MACHINE, 2, 243 << 8, USER_TOP), ELF_ERR_MACHINE);
    EXPECT_ERR(parse_with(E_TYPE, 2, 3, USER_TOP), ELF_ERR_TYPE);
    EXPECT_ERR(parse_with(E_TYPE, 2, 1, USER_TOP), ELF_ERR_TYPE);
    EXPECT_ERR(parse_with(E_TYPE, 2, 0x200, USER_TOP), ELF_ERR_TYPE);
    /* Program header table. */
    EXPECT_ERR(parse_with(E_PHOFF, 8, size, USER_TOP), ELF_ERR_PHDR);
    EXPECT_ERR(parse_with(E_PHOFF, 8, size - phnum * PH_SIZE + 1, USER_TOP), ELF_ERR_PHDR);
    EXPECT_ERR(parse_with(E_PHOFF, 8, UINT64_MAX - 8, USER_TOP), ELF_ERR_PHDR);
    EXPECT_ERR(parse_with(E_PHENTSIZE, 2, 32, USER_TOP), ELF_ERR_PHDR);
    EXPECT_ERR(parse_with(E_PHENTSIZE, 2, 64, USER_TOP), ELF_ERR_PHDR);
    EXPECT_ERR(parse_with(E_PHENTSIZE, 2, 0, USER_TOP), ELF_ERR_PHDR);
    EXPECT_ERR(parse_with(E_PHNUM, 2, 0xffff, USER_TOP), ELF_ERR_PHDR);
    EXPECT_ERR(parse_with(E_PHNUM, 2, size / PH_SIZE + 1, USER_TOP), ELF_ERR_PHDR);
    EXPECT_ERR(parse_with(E_PHNUM, 2, 0, USER_TOP), ELF_ERR_NO_SEGMENTS);
    /* The text segment. */
    EXPECT_ERR(parse_with(t + P_OFFSET, 8, size, USER_TOP), ELF_ERR_SEGMENT);
    EXPECT_ERR(parse_with(t + P_OFFSET, 8, UINT64_MAX & ~(t_align - 1), USER_TOP), ELF_ERR_SEGMENT);
    EXPECT_ERR(parse_with(t + P_FILESZ, 8, size, USER_TOP), ELF_ERR_SEGMENT);
    EXPECT_ERR(parse_with(t + P_FILESZ, 8, t_memsz + 1, USER_TOP), ELF_ERR_SEGMENT);
    EXPECT_ERR(parse_with(t + P_MEMSZ, 8, t_filesz - 1, USER_TOP), ELF_ERR_SEGMENT);
    EXPECT_ERR(parse_with(t + P_MEMSZ, 8, UINT64_MAX - t_vaddr + 1, USER_TOP), ELF_ERR_SEGMENT);
    EXPECT_ERR(parse_with(t + P_MEMSZ, 8, UINT64_MAX, UINT64_MAX), ELF_ERR_SEGMENT);
    EXPECT_ERR(parse_with(t + P_MEMSZ, 8, USER_TOP - t_vaddr + 1, USER_TOP), ELF_ERR_SEGMENT);
    EXPECT_ERR(parse_with(t + P_VADDR, 8, USER_TOP, USER_TOP), ELF_ERR_SEGMENT);
    EXPECT_ERR(
        parse_with(t + P_VADDR, 8, (UINT64_MAX & ~(t_align - 1)) | (t_vaddr % t_align), UINT64_MAX),
        ELF_ERR_SEGMENT);
    if (t_align > 1) {
        EXPECT_ERR(parse_with(t + P_VADDR, 8, t_vaddr + t_align / 2, USER_TOP), ELF_ERR_SEGMENT);
        EXPECT_ERR(parse_with(t + P_ALIGN, 8, t_align + 1, USER_TOP), ELF_ERR_SEGMENT);
        EXPECT_ERR(parse_with(t + P_ALIGN, 8, t_align * 3, USER_TOP), ELF_ERR_SEGMENT);
    }
    EXPECT_ERR(parse_with(t + P_ALIGN, 8, 0, USER_TOP), ELF_OK);
    EXPECT_ERR(parse_with(t + P_FLAGS, 4, ELF_R, USER_TOP), ELF_ERR_ENTRY);
    EXPECT_ERR(parse_with(t + P_FLAGS, 4, ELF_R | ELF_W | ELF_X, USER_TOP), ELF_OK);
    EXPECT_ERR(parse_with(t + P_TYPE, 4, PT_NULL, USER_TOP),
               g_file.has_data ? ELF_ERR_ENTRY : ELF_ERR_NO_SEGMENTS);
    /* The entry point. */
    EXPECT_ERR(parse_with(E_ENTRY, 8, t_vaddr + t_memsz, USER_TOP), ELF_ERR_ENTRY);
    EXPECT_ERR(parse_with(E_ENTRY, 8, t_vaddr + t_memsz - 1, USER_TOP), ELF_OK);
    EXPECT_ERR(parse_with(E_ENTRY, 8, t_vaddr - 1, USER_TOP), ELF_ERR_ENTRY);
    EXPECT_ERR(parse_with(E_ENTRY, 8, UINT64_MAX, USER_TOP), ELF_ERR_ENTRY);
    if (g_file.has_data) {
        uint64_t d_vaddr = get_le(g_file.data + d + P_VADDR, 8);

        EXPECT_ERR(parse_with(E_ENTRY, 8, d_vaddr, USER_TOP), ELF_ERR_ENTRY);
        /* Overlap: the data segment moved onto the text's last page (alignment kept). */
        EXPECT_ERR(
            parse_with(d + P_VADDR, 8, page_down(t_vaddr + t_memsz - 1) + d_vaddr % PAGE, USER_TOP),
            ELF_ERR_OVERLAP);
        EXPECT_ERR(parse_with(d + P_VADDR, 8, t_vaddr, USER_TOP), ELF_ERR_OVERLAP);
        EXPECT_ERR(parse_with(d + P_FILESZ, 8, size, USER_TOP), ELF_ERR_SEGMENT);
        EXPECT_ERR(parse_with(d + P_TYPE, 4, PT_TLS, USER_TOP),
                   g_file.has_tls ? ELF_ERR_SEGMENT : ELF_OK);
    }
    return true;
}

/* A small fixed-seed generator (xorshift64*), so failures reproduce. */
static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 0x2545f4914f6cdd1dull;
}

/*
 * Random byte flips (fixed seed), mostly in the ELF and program headers: each result must be
 * an error or self-consistent, and a larger user_top must not turn a success into a different
 * result. The buffer is the file's exact size; flips are undone after each round.
 */
static bool
test_file_flips(void)
{
    enum { ROUNDS = 20000 };
    size_t hdr =
        (size_t)(get_le(g_file.data + E_PHOFF, 8) + get_le(g_file.data + E_PHNUM, 2) * PH_SIZE);
    uint8_t *buf = xmalloc(g_file.size);
    unsigned ok = 0;

    memcpy(buf, g_file.data, g_file.size);
    hdr = hdr < g_file.size ? hdr : g_file.size;
    for (unsigned r = 0; r < ROUNDS && !g_clobbered; r++) {
        size_t where[8];
        uint8_t old[8];
        unsigned n = 1 + (unsigned)(rnd() % 8);
        struct elf_image small;
        struct elf_image big;
        int e_small;
        int e_big;

        for (unsigned i = 0; i < n; i++) {
            uint64_t x = rnd();

            where[i] = (x & 3) != 0 ? (size_t)((x >> 8) % hdr) : (size_t)((x >> 8) % g_file.size);
            old[i] = buf[where[i]];
            buf[where[i]] ^= (uint8_t)(x >> 40) | (x & 4 ? 0x80 : 1);
        }
        e_small = parse_in(buf, g_file.size, USER_TOP, &small, PAGES_ENDS);
        e_big = parse_in(buf, g_file.size, UINT64_MAX, &big, PAGES_ENDS);
        if (e_small == ELF_OK) {
            ok++;
            if (e_big != ELF_OK || !same_result(&small, &big)) {
                return fail_with("round %u: user_top changes the result", r);
            }
        }
        for (unsigned i = n; i > 0; i--) {
            buf[where[i - 1]] = old[i - 1];
        }
    }
    free(buf);
    if (g_clobbered) {
        return false;
    }
    printf("# %s: %u of %u mutants parsed\n", g_file.path, ok, (unsigned)ROUNDS);
    return true;
}

static void
run_file(const char *elf_path, const char *readelf_path)
{
    char name[300];
    const char *base = strrchr(elf_path, '/');

    base = base != NULL ? base + 1 : elf_path;
    g_why[0] = '\0';
    g_clobbered = false;
    snprintf(name, sizeof(name), "elf/%s/load", base);
    if (!load_reference(elf_path, readelf_path)) {
        report(name, false);
        return;
    }
    snprintf(name, sizeof(name), "elf/%s/readelf", base);
    run(name, test_file_readelf);
    snprintf(name, sizeof(name), "elf/%s/pages", base);
    run(name, test_file_pages);
    snprintf(name, sizeof(name), "elf/%s/truncate", base);
    run(name, test_file_truncate);
    snprintf(name, sizeof(name), "elf/%s/fields", base);
    run(name, test_file_fields);
    snprintf(name, sizeof(name), "elf/%s/flips", base);
    run(name, test_file_flips);
    free(g_file.data);
}

int
main(int argc, char **argv)
{
    run("elf/synthetic/basic", test_syn_basic);
    run("elf/synthetic/too_many", test_syn_too_many);
    run("elf/synthetic/no_segments", test_syn_no_segments);
    run("elf/synthetic/overlap", test_syn_overlap);
    run("elf/synthetic/align", test_syn_align);
    run("elf/synthetic/ranges", test_syn_ranges);
    run("elf/synthetic/flags_and_types", test_syn_flags_and_types);
    run("elf/synthetic/tls", test_syn_tls);
    run("elf/synthetic/load_page", test_syn_load_page);
    run("elf/strerror", test_strerror);
    if (argc % 2 != 1) {
        fprintf(stderr, "usage: %s [ELF READELF-OUTPUT]...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        run_file(argv[i], argv[i + 1]);
    }
    printf("# elf: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed != 0;
}
