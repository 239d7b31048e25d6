/*
 * Host unit tests of elf_find_function() (lib/elf/src/elf.c), the lookup init's fault reports
 * use to name the function a faulting pc falls in (docs/faults.md).
 *
 * Run by make unit-elf, under ASan + UBSan:
 *   build/host/test_elf_symbol ELF NM-OUTPUT [ELF NM-OUTPUT]...
 * Each ELF file comes with what "nm -S --defined-only" printed for it. For every text symbol
 * with a size, the first and last byte of the function must be found, as that symbol or one
 * nm lists with the same place; an address in no function is not found. Then each check of
 * the section headers, symbol table and string table is broken on its own in a copy of the
 * file and must give its error; the file is also cut at every length and mutated by random
 * byte flips, and every answer must keep the contract (a name inside the file, ending in it,
 * and a function that holds the address; *out unchanged on error). Buffers end exactly where
 * the file ends, so AddressSanitizer reports any read past it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_bytes.h"
#include "vallum/elf.h"

#define USER_TOP 0x4000000000ull
#define MAX_SYMS 8192
#define FLIPS 3000

/* ELF64 layout offsets the tests break. */
#define E_SHOFF 40
#define E_SHENTSIZE 58
#define E_SHNUM 60
#define SH_TYPE 4
#define SH_OFFSET 24
#define SH_SIZE 32
#define SH_LINK 40
#define SH_ENTSIZE 56
#define SHT_SYMTAB 2
#define SHT_STRTAB 3
#define ST_NAME 0
#define ST_INFO 4
#define ST_VALUE 8
#define ST_SIZE 16

#define VLTEST_STRERROR elf_strerror
#include "vltest.h"

/* A text symbol nm listed. */
struct nm_sym {
    uint64_t value;
    uint64_t size;
    char name[128];
};

static struct {
    uint8_t *data;
    size_t size;
    struct nm_sym syms[MAX_SYMS];
    unsigned nsyms;
    unsigned lone; /* a symbol whose bytes no other symbol holds (the tests break it) */
} g_file;

/* A copy of the file in a buffer of exactly len bytes (freed by the caller). */
static uint8_t *
copy_of(size_t len)
{
    uint8_t *p = malloc(len == 0 ? 1 : len);

    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memcpy(p, g_file.data, len < g_file.size ? len : g_file.size);
    return p;
}

/*
 * Looks addr up in the image of len bytes at buf (parsed first; a file that no longer parses
 * is skipped: init never asks then) and checks the contract. Returns the error, or 1 if the
 * image did not parse; fills *sym on success. Records a failure in g_why.
 */
static int
lookup(const uint8_t *buf, size_t len, uint64_t addr, struct elf_symbol *sym, bool *ok)
{
    struct elf_image img;
    struct elf_symbol out;

    *ok = true;
    if (elf_parse(buf, len, USER_TOP, &img) != ELF_OK) {
        return 1;
    }
    memset(&out, 0xa5, sizeof(out));
    struct elf_symbol before = out;
    int err = elf_find_function(&img, addr, &out);
    if (err != ELF_OK) {
        if (err != ELF_ERR_SYMTAB && err != ELF_ERR_NO_SYMBOL) {
            *ok = fail_with("error %d for 0x%llx", err, (unsigned long long)addr);
        } else if (memcmp(&before, &out, sizeof(out)) != 0) {
            *ok = fail_with("a failed lookup changed *out");
        }
        return err;
    }
    const uint8_t *name = (const uint8_t *)out.name;
    if (name < buf || name >= buf + len || memchr(name, 0, (size_t)(buf + len - name)) == NULL) {
        *ok = fail_with("the name of 0x%llx is not a string inside the file",
                        (unsigned long long)addr);
    } else if (out.size == 0 || addr < out.value || addr - out.value >= out.size) {
        *ok = fail_with("symbol [0x%llx, +0x%llx) does not hold 0x%llx",
                        (unsigned long long)out.value, (unsigned long long)out.size,
                        (unsigned long long)addr);
    }
    if (sym != NULL) {
        *sym = out;
    }
    return ELF_OK;
}

/* Whether nm lists a text symbol of this name at this place. */
static bool
nm_has(const struct elf_symbol *s)
{
    for (unsigned i = 0; i < g_file.nsyms; i++) {
        const struct nm_sym *n = &g_file.syms[i];
        if (n->value == s->value && n->size == s->size && strcmp(n->name, s->name) == 0) {
            return true;
        }
    }
    return false;
}

static bool
test_every_function(void)
{
    struct elf_symbol sym;
    bool ok;

    EXPECT(g_file.nsyms > 0);
    for (unsigned i = 0; i < g_file.nsyms; i++) {
        const struct nm_sym *n = &g_file.syms[i];
        uint64_t ends[2] = {n->value, n->value + n->size - 1};
        for (unsigned k = 0; k < 2; k++) {
            int err = lookup(g_file.data, g_file.size, ends[k], &sym, &ok);
            if (!ok) {
                return false;
            }
            if (err != ELF_OK || !nm_has(&sym)) {
                return fail_with("0x%llx in %s: %s", (unsigned long long)ends[k], n->name,
                                 err != ELF_OK ? elf_strerror(err) : "not a symbol nm lists");
            }
        }
    }
    /* Address 0 and the top of the address space are in no function. */
    EXPECT_ERR(lookup(g_file.data, g_file.size, 0, NULL, &ok), ELF_ERR_NO_SYMBOL);
    EXPECT_ERR(lookup(g_file.data, g_file.size, USER_TOP - 1, NULL, &ok), ELF_ERR_NO_SYMBOL);
    struct elf_image img;
    EXPECT_ERR(elf_parse(g_file.data, g_file.size, USER_TOP, &img), ELF_OK);
    EXPECT_ERR(elf_find_function(NULL, 0, &sym), ELF_ERR_ARGUMENT);
    EXPECT_ERR(elf_find_function(&img, 0, NULL), ELF_ERR_ARGUMENT);
    return true;
}

/* Offset of section header i, and of the symbol table's and string table's headers. */
static uint64_t
shdr(unsigned i)
{
    return get_le(g_file.data + E_SHOFF, 8) + (uint64_t)i * 64;
}

static unsigned
symtab_index(void)
{
    unsigned n = (unsigned)get_le(g_file.data + E_SHNUM, 2);
    for (unsigned i = 0; i < n; i++) {
        if (get_le(g_file.data + shdr(i) + SH_TYPE, 4) == SHT_SYMTAB) {
            return i;
        }
    }
    return n;
}

/* The offset of the symbol table entry of the lone symbol. */
static uint64_t
lone_entry(unsigned symtab)
{
    const struct nm_sym *n = &g_file.syms[g_file.lone];
    uint64_t off = get_le(g_file.data + shdr(symtab) + SH_OFFSET, 8);
    uint64_t size = get_le(g_file.data + shdr(symtab) + SH_SIZE, 8);
    for (uint64_t e = 0; e < size; e += 24) {
        const uint8_t *p = g_file.data + off + e;
        if ((p[ST_INFO] & 0xf) == 2 && get_le(p + ST_VALUE, 8) == n->value &&
            get_le(p + ST_SIZE, 8) == n->size) {
            return off + e;
        }
    }
    return 0;
}

/* Writes n bytes of v at off of a copy, looks the lone function up, expects want. */
static bool
broken(uint64_t off, unsigned n, uint64_t v, int want, const char *what)
{
    uint8_t *buf = copy_of(g_file.size);
    bool ok;
    put_le(buf + off, n, v);
    int err = lookup(buf, g_file.size, g_file.syms[g_file.lone].value, NULL, &ok);
    free(buf);
    if (!ok) {
        return false;
    }
    if (err != want) {
        return fail_with("%s: %s, want %s", what, elf_strerror(err), elf_strerror(want));
    }
    return true;
}

static bool
test_each_check(void)
{
    unsigned st = symtab_index();
    EXPECT(st < get_le(g_file.data + E_SHNUM, 2));
    uint64_t sh = shdr(st);
    unsigned link = (unsigned)get_le(g_file.data + sh + SH_LINK, 4);
    uint64_t strtab_size = get_le(g_file.data + shdr(link) + SH_SIZE, 8);
    uint64_t entry = lone_entry(st);
    EXPECT(entry != 0);
    uint64_t name = get_le(g_file.data + entry + ST_NAME, 4);
    uint64_t size = g_file.size;

    return broken(E_SHNUM, 2, 0, ELF_ERR_NO_SYMBOL, "no section headers") &&
           broken(E_SHENTSIZE, 2, 63, ELF_ERR_SYMTAB, "e_shentsize") &&
           broken(E_SHOFF, 8, size - 63, ELF_ERR_SYMTAB, "table past the end") &&
           broken(E_SHOFF, 8, UINT64_MAX - 8, ELF_ERR_SYMTAB, "table offset wraps") &&
           broken(sh + SH_TYPE, 4, 1, ELF_ERR_NO_SYMBOL, "no symbol table") &&
           broken(sh + SH_OFFSET, 8, size, ELF_ERR_SYMTAB, "symbols past the end") &&
           broken(sh + SH_SIZE, 8, UINT64_MAX, ELF_ERR_SYMTAB, "symbol table size") &&
           broken(sh + SH_ENTSIZE, 8, 23, ELF_ERR_SYMTAB, "symbol entry size") &&
           broken(sh + SH_SIZE, 8, 24 * 3 + 1, ELF_ERR_SYMTAB, "part of an entry") &&
           broken(sh + SH_LINK, 4, (uint64_t)get_le(g_file.data + E_SHNUM, 2), ELF_ERR_SYMTAB,
                  "string table index") &&
           broken(sh + SH_LINK, 4, st, ELF_ERR_SYMTAB, "string table of another type") &&
           broken(shdr(link) + SH_OFFSET, 8, size - 1, ELF_ERR_SYMTAB, "strings past the end") &&
           broken(entry + ST_NAME, 4, strtab_size, ELF_ERR_SYMTAB, "name past the strings") &&
           broken(entry + ST_NAME, 4, 0xffffffffu, ELF_ERR_SYMTAB, "name far past") &&
           broken(shdr(link) + SH_SIZE, 8, name + 1, ELF_ERR_SYMTAB, "name without its NUL") &&
           broken(entry + ST_INFO, 1, 1, ELF_ERR_NO_SYMBOL, "an object, not a function") &&
           broken(entry + ST_SIZE, 8, 0, ELF_ERR_NO_SYMBOL, "a function of no size") &&
           broken(entry + ST_VALUE, 8, UINT64_MAX, ELF_ERR_NO_SYMBOL, "value wraps");
}

/* Every length in the last 8 KiB (the tables and section headers the lookup reads end the
 * file), and every 4093rd before. */
static bool
test_truncated(void)
{
    bool ok;

    for (size_t len = 0; len < g_file.size; len += len + 8192 < g_file.size ? 4093 : 1) {
        uint8_t *buf = copy_of(len);
        lookup(buf, len, g_file.syms[g_file.lone].value, NULL, &ok);
        free(buf);
        if (!ok) {
            return fail_with("cut at %zu: %s", len, g_why);
        }
    }
    return true;
}

static bool
test_flips(void)
{
    unsigned st = symtab_index();
    uint64_t sym_off = get_le(g_file.data + shdr(st) + SH_OFFSET, 8);
    uint64_t sym_size = get_le(g_file.data + shdr(st) + SH_SIZE, 8);
    uint64_t sh_off = shdr(0);
    uint64_t sh_size = get_le(g_file.data + E_SHNUM, 2) * 64ull;
    uint32_t seed = 1;
    bool ok;

    for (unsigned i = 0; i < FLIPS; i++) {
        uint8_t *buf = copy_of(g_file.size);
        for (unsigned k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            /* Mostly the section headers and symbols: the bytes the lookup reads. */
            uint64_t at = (k & 1) ? sh_off + seed % sh_size : sym_off + seed % sym_size;
            buf[at] ^= (uint8_t)(1u << ((seed >> 16) & 7));
        }
        const struct nm_sym *n = &g_file.syms[seed % g_file.nsyms];
        lookup(buf, g_file.size, n->value + (seed >> 8) % n->size, NULL, &ok);
        free(buf);
        if (!ok) {
            return fail_with("flip round %u: %s", i, g_why);
        }
    }
    return true;
}

/* Reads the file at path and nm's listing of it into g_file. */
static bool
load(const char *elf, const char *nm)
{
    FILE *f = fopen(elf, "rb");
    if (f == NULL) {
        return fail_with("cannot open %s", elf);
    }
    fseek(f, 0, SEEK_END);
    g_file.size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    g_file.data = malloc(g_file.size);
    if (g_file.data == NULL || fread(g_file.data, 1, g_file.size, f) != g_file.size) {
        fclose(f);
        return fail_with("cannot read %s", elf);
    }
    fclose(f);
    f = fopen(nm, "r");
    if (f == NULL) {
        return fail_with("cannot open %s", nm);
    }
    char line[256];
    g_file.nsyms = 0;
    while (fgets(line, sizeof(line), f) != NULL && g_file.nsyms < MAX_SYMS) {
        struct nm_sym *s = &g_file.syms[g_file.nsyms];
        char type;
        if (sscanf(line, "%llx %llx %c %127s", (unsigned long long *)&s->value,
                   (unsigned long long *)&s->size, &type, s->name) == 4 &&
            (type == 't' || type == 'T') && s->size > 0) {
            g_file.nsyms++;
        }
    }
    fclose(f);
    for (g_file.lone = 0; g_file.lone < g_file.nsyms; g_file.lone++) {
        const struct nm_sym *a = &g_file.syms[g_file.lone];
        unsigned k = 0;
        while (k < g_file.nsyms &&
               (k == g_file.lone || a->value + a->size <= g_file.syms[k].value ||
                g_file.syms[k].value + g_file.syms[k].size <= a->value)) {
            k++;
        }
        if (k == g_file.nsyms) {
            return true;
        }
    }
    return fail_with("%s: every function shares its bytes with another", elf);
}

int
main(int argc, char **argv)
{
    if (argc % 2 != 1 || argc < 3) {
        fprintf(stderr, "usage: %s ELF NM-OUTPUT [ELF NM-OUTPUT]...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        char name[256];
        const char *base = strrchr(argv[i], '/') != NULL ? strrchr(argv[i], '/') + 1 : argv[i];
        bool ok = load(argv[i], argv[i + 1]);
        snprintf(name, sizeof(name), "elf/symbol/%s/load", base);
        report(name, ok);
        if (!ok) {
            continue;
        }
        snprintf(name, sizeof(name), "elf/symbol/%s/every_function", base);
        run(name, test_every_function);
        snprintf(name, sizeof(name), "elf/symbol/%s/each_check", base);
        run(name, test_each_check);
        snprintf(name, sizeof(name), "elf/symbol/%s/truncated", base);
        run(name, test_truncated);
        snprintf(name, sizeof(name), "elf/symbol/%s/flips", base);
        run(name, test_flips);
        free(g_file.data);
    }
    printf("# elf symbols: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed != 0;
}
