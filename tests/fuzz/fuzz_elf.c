/*
 * libFuzzer target for the ELF loader library (lib/elf/src/elf.c).
 *
 * Build and run from the repository root (or: make fuzz-elf FUZZ_SECONDS=20):
 *   mkdir -p build/fuzz/elf-corpus
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       -Ilib/elf/include lib/elf/src/elf.c tests/fuzz/fuzz_elf.c -o build/fuzz/fuzz_elf
 *   cp build/debug/programs/init.elf build/fuzz/elf-corpus/
 *   build/fuzz/fuzz_elf -max_total_time=20 build/fuzz/elf-corpus
 *
 * The input is the image itself, in a buffer of exactly the input's size, so AddressSanitizer
 * flags any read past its end. Each input is parsed against three limits: SMALL_TOP, small
 * enough that elf_load_page can be called on every page of every segment and compared with
 * an independent reference; the real user limit; and UINT64_MAX. Checked: a failed parse
 * leaves *out untouched and returns a known code; a successful one satisfies every
 * postcondition in vallum/elf.h; parsing is deterministic; a larger limit never changes a
 * success; pages outside a segment are refused without touching dst. After a successful
 * parse, elf_find_function() (the section headers, symbol and string tables, as untrusted)
 * looks up the entry, the ends of the image and an address taken from the input: a found
 * function holds the address and its name is a string inside the input; a failure is a known
 * code that leaves *out untouched. Any violation aborts, which libFuzzer reports with the
 * input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vallum/elf.h"

#define PAGE 4096ull
#define SMALL_TOP 0x400000ull    /* 4 MiB: at most 1024 pages to load per input */
#define USER_TOP 0x4000000000ull /* VL_USER_TOP in uapi/vallum/types.h */

static uint8_t g_got[PAGE];
static uint8_t g_want[PAGE];

/* Aborts with a message; libFuzzer saves the input that led here. */
static void
check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_elf: contract violated: %s\n", what);
        abort();
    }
}

static uint64_t
page_end(const struct elf_segment *s)
{
    return (s->vaddr + s->memsz + PAGE - 1) & ~(PAGE - 1);
}

/* Compares one loaded page with the bytes the segment says it holds. */
static void
check_page(const struct elf_image *img, unsigned i, uint64_t page)
{
    const struct elf_segment *s = &img->seg[i];

    memset(g_got, 0xcc, sizeof(g_got));
    check(elf_load_page(img, i, page, g_got) == ELF_OK, "page inside segment loads");
    for (uint64_t k = 0; k < PAGE; k++) {
        uint64_t va = page + k;

        g_want[k] = 0;
        if (va >= s->vaddr && va - s->vaddr < s->filesz) {
            g_want[k] = img->data[s->offset + (va - s->vaddr)];
        }
    }
    check(memcmp(g_got, g_want, PAGE) == 0, "page contents");
}

/* Checks that a page request is refused and dst left alone. */
static void
check_refused(const struct elf_image *img, unsigned i, uint64_t page)
{
    memset(g_got, 0x5a, sizeof(g_got));
    check(elf_load_page(img, i, page, g_got) != ELF_OK, "bad page refused");
    for (size_t k = 0; k < PAGE; k++) {
        check(g_got[k] == 0x5a, "refused load leaves dst alone");
    }
}

/* Checks the postconditions of a successful parse; loads every page if all_pages. */
static void
check_result(const struct elf_image *img, const uint8_t *data, size_t size, uint64_t top,
             int all_pages)
{
    uint64_t lo = UINT64_MAX;
    uint64_t hi = 0;
    int entry_ok = 0;
    int tls_ok = 0;

    check(img->data == data && img->size == size, "data and size recorded");
    check(img->num_segments >= 1 && img->num_segments <= ELF_MAX_SEGMENTS, "segment count");
    for (unsigned i = 0; i < img->num_segments; i++) {
        const struct elf_segment *s = &img->seg[i];

        check(s->memsz != 0 && s->filesz <= s->memsz, "sizes");
        check(s->offset <= size && s->filesz <= size - s->offset, "segment inside the file");
        check(s->memsz <= UINT64_MAX - s->vaddr, "no address overflow");
        check(s->vaddr + s->memsz <= UINT64_MAX - (PAGE - 1), "no page-rounding overflow");
        check(page_end(s) <= top, "segment below user_top");
        check((s->flags & ~7u) == 0, "flags");
        for (unsigned j = 0; j < i; j++) {
            const struct elf_segment *o = &img->seg[j];

            check(
                !((s->vaddr & ~(PAGE - 1)) < page_end(o) && (o->vaddr & ~(PAGE - 1)) < page_end(s)),
                "no shared pages");
        }
        lo = (s->vaddr & ~(PAGE - 1)) < lo ? (s->vaddr & ~(PAGE - 1)) : lo;
        hi = page_end(s) > hi ? page_end(s) : hi;
        if ((s->flags & ELF_X) && img->entry >= s->vaddr && img->entry - s->vaddr < s->memsz) {
            entry_ok = 1;
        }
        if (img->tls_vaddr >= s->vaddr && img->tls_vaddr - s->vaddr <= s->memsz &&
            img->tls_filesz <= s->memsz - (img->tls_vaddr - s->vaddr)) {
            tls_ok = 1;
        }
    }
    check(img->lo == lo && img->hi == hi && lo < hi && hi <= top, "lo and hi");
    check(entry_ok, "entry in an executable segment");
    if (img->tls_memsz == 0) {
        check(img->tls_vaddr == 0 && img->tls_filesz == 0, "no TLS is all zero");
    } else {
        check(img->tls_filesz <= img->tls_memsz, "TLS sizes");
        check(img->tls_memsz <= UINT64_MAX - img->tls_vaddr, "TLS no overflow");
        check(img->tls_vaddr + img->tls_memsz <= top, "TLS below user_top");
        check(img->tls_filesz == 0 || tls_ok, "TLS template inside a segment");
    }
    for (unsigned i = 0; i < img->num_segments; i++) {
        const struct elf_segment *s = &img->seg[i];
        uint64_t first = s->vaddr & ~(PAGE - 1);
        uint64_t last = (s->vaddr + s->memsz - 1) & ~(PAGE - 1);

        if (all_pages) {
            for (uint64_t p = first; p <= last; p += PAGE) {
                check_page(img, i, p);
            }
        } else {
            check_page(img, i, first);
            check_page(img, i, last);
        }
        if (first != 0) {
            check_refused(img, i, first - PAGE);
        }
        if (last <= UINT64_MAX - 2 * PAGE) {
            check_refused(img, i, last + PAGE);
        }
        check_refused(img, i, first + 1);
    }
    check_refused(img, img->num_segments, img->lo);
}

/* Looks addr up in a parsed image and checks the contract of elf_find_function(). */
static void
check_symbol(const struct elf_image *img, uint64_t addr)
{
    struct elf_symbol sym;
    struct elf_symbol before;

    memset(&sym, 0xa5, sizeof(sym));
    memcpy(&before, &sym, sizeof(sym));
    int err = elf_find_function(img, addr, &sym);
    if (err != ELF_OK) {
        check(err == ELF_ERR_SYMTAB || err == ELF_ERR_NO_SYMBOL, "known symbol error");
        check(memcmp(&before, &sym, sizeof(sym)) == 0, "failed lookup leaves *out untouched");
        return;
    }
    const uint8_t *name = (const uint8_t *)sym.name;
    check(name >= img->data && name < img->data + img->size, "name inside the image");
    check(memchr(name, 0, (size_t)(img->data + img->size - name)) != NULL, "name ends inside");
    check(sym.size != 0 && addr >= sym.value && addr - sym.value < sym.size, "holds the address");
}

static int
same(const struct elf_image *a, const struct elf_image *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

/* Parses data against top; checks the failure or success contract. */
static int
parse(const uint8_t *data, size_t size, uint64_t top, struct elf_image *out, int all_pages)
{
    struct elf_image before;
    int err;

    memset(out, 0xa5, sizeof(*out));
    memcpy(&before, out, sizeof(before));
    err = elf_parse(data, size, top, out);
    if (err != ELF_OK) {
        check(err >= ELF_ERR_ARGUMENT && err < 0, "known error code");
        check(same(&before, out), "failed parse leaves *out untouched");
        return err;
    }
    check_result(out, data, size, top, all_pages);
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size == 0 ? 1 : size);
    struct elf_image small;
    struct elf_image user;
    struct elf_image big;
    struct elf_image again;
    int e_small;
    int e_user;
    int e_big;

    check(buf != NULL, "malloc");
    if (size != 0) {
        memcpy(buf, data, size);
    }
    e_small = parse(buf, size, SMALL_TOP, &small, 1);
    e_user = parse(buf, size, USER_TOP, &user, 0);
    e_big = parse(buf, size, UINT64_MAX, &big, 0);
    check(parse(buf, size, USER_TOP, &again, 0) == e_user, "deterministic");
    if (e_user == ELF_OK) {
        check(same(&user, &again), "deterministic result");
    }
    if (e_small == ELF_OK) {
        check(e_user == ELF_OK && same(&small, &user), "larger user_top keeps the result");
    }
    if (e_user == ELF_OK) {
        check(e_big == ELF_OK && same(&user, &big), "larger user_top keeps the result");
        uint64_t addr = 0;
        memcpy(&addr, buf + size - (size < 8 ? size : 8), size < 8 ? size : 8);
        check_symbol(&user, user.entry);
        check_symbol(&user, user.lo);
        check_symbol(&user, user.hi - 1);
        check_symbol(&user, addr);
        check_symbol(&user, user.lo + addr % (user.hi - user.lo));
    }
    free(buf);
    return 0;
}
