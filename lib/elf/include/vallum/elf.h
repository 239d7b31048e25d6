/*
 * ELF loader library: checks an untrusted ELF64 RISC-V executable and hands out its loadable
 * segments page by page, so that init can build a new address space from it.
 *
 * The image is untrusted. elf_parse() checks every header field it uses against the image
 * and the caller's address-space limit; a malformed image gets an error code, never a crash,
 * an out-of-bounds read or an unbounded loop. After a successful parse every recorded segment
 * lies inside the file and below user_top, and no two segments share a page.
 *
 * Freestanding: no allocation, no recursion, no libc. The image may be at any alignment.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Errors returned by the functions below. ELF_OK is success; every error is negative. */
enum elf_error {
    ELF_OK = 0,
    ELF_ERR_TRUNCATED = -1,    /* the file is shorter than its ELF header */
    ELF_ERR_MAGIC = -2,        /* e_ident does not start with 0x7f 'E' 'L' 'F' */
    ELF_ERR_CLASS = -3,        /* not ELF64 little-endian */
    ELF_ERR_MACHINE = -4,      /* e_machine is not EM_RISCV (243) */
    ELF_ERR_TYPE = -5,         /* e_type is not ET_EXEC */
    ELF_ERR_VERSION = -6,      /* EI_VERSION or e_version is not 1 */
    ELF_ERR_PHDR = -7,         /* bad e_phoff, e_phentsize or e_phnum */
    ELF_ERR_SEGMENT = -8,      /* a PT_LOAD or PT_TLS header is inconsistent (see elf_parse) */
    ELF_ERR_OVERLAP = -9,      /* two PT_LOAD segments share a virtual page */
    ELF_ERR_ENTRY = -10,       /* e_entry is not inside an executable PT_LOAD segment */
    ELF_ERR_TOO_MANY = -11,    /* more than ELF_MAX_SEGMENTS non-empty PT_LOAD segments */
    ELF_ERR_NO_SEGMENTS = -12, /* no non-empty PT_LOAD segment */
    ELF_ERR_ARGUMENT = -13,    /* bad argument: NULL pointer, segment index or page address */
    ELF_ERR_SYMTAB = -14,      /* the section headers, symbol or string table are malformed */
    ELF_ERR_NO_SYMBOL = -15,   /* no symbol table, or no function symbol holds the address */
};

/* Most non-empty PT_LOAD segments an image may have. */
#define ELF_MAX_SEGMENTS 16

/* Page size that elf_image.lo/hi and elf_load_page() work in, in bytes. */
#define ELF_PAGE_SIZE 4096u

/* Segment permission bits, as in p_flags. */
#define ELF_X 1u
#define ELF_W 2u
#define ELF_R 4u

/*
 * One non-empty PT_LOAD segment. Memory [vaddr, vaddr + memsz) holds the file bytes
 * [offset, offset + filesz) followed by memsz - filesz zero bytes. Invariants after
 * elf_parse(): 0 < memsz, filesz <= memsz, offset + filesz <= image size, and the segment's
 * pages lie inside [elf_image.lo, elf_image.hi).
 */
struct elf_segment {
    uint64_t vaddr;  /* first virtual address, bytes */
    uint64_t memsz;  /* size in memory, bytes */
    uint64_t offset; /* file offset of the first byte, bytes */
    uint64_t filesz; /* bytes taken from the file; the rest of memsz is zero */
    uint32_t flags;  /* ELF_R | ELF_W | ELF_X subset (other p_flags bits are dropped) */
};

/*
 * A checked executable. Filled in by elf_parse(); read-only afterwards. data and size
 * refer to the caller's image, which must stay unchanged while the elf_image is used.
 */
struct elf_image {
    uint64_t entry;                           /* entry point, inside an ELF_X segment */
    unsigned num_segments;                    /* 1 .. ELF_MAX_SEGMENTS */
    struct elf_segment seg[ELF_MAX_SEGMENTS]; /* in program header order */
    uint64_t lo;                              /* page-aligned start of all segments */
    uint64_t hi;                              /* page-aligned end, lo < hi <= user_top */
    const uint8_t *data;                      /* the image */
    size_t size;                              /* its size, bytes */
    uint64_t tls_vaddr;                       /* PT_TLS template address; all three */
    uint64_t tls_filesz;                      /*   are 0 if there is no PT_TLS or its */
    uint64_t tls_memsz;                       /*   memsz is 0 */
};

/*
 * Parses and checks the ELF image of size bytes at data (any alignment). user_top is the
 * first virtual address the program may not use: every segment, rounded out to whole pages,
 * must end at or below it.
 *
 * Checks, in order: the ELF header (size, magic, class and data encoding, versions, machine,
 * type); that the program header table (e_phentsize == 56, e_phnum < 0xffff) lies inside the
 * file; then each PT_LOAD (one with p_memsz == p_filesz == 0 is skipped): file range inside the
 * file, p_filesz <= p_memsz, no address overflow, p_align 0 or a power of two with p_vaddr %
 * p_align == p_offset % p_align, page-rounded range inside [0, user_top), no page shared with an
 * earlier segment, at most ELF_MAX_SEGMENTS; an optional single non-empty PT_TLS (file range inside
 * the file, p_filesz <= p_memsz, p_align valid, range below user_top, template inside a PT_LOAD);
 * at least one segment; the entry point inside an executable segment. Other program header types
 * are ignored.
 *
 * Returns ELF_OK and fills *out, or a negative enum elf_error (ELF_ERR_ARGUMENT if data or
 * out is NULL) and leaves *out unchanged. Reads only data[0 .. size).
 */
int elf_parse(const void *data, size_t size, uint64_t user_top, struct elf_image *out);

/*
 * Fills dst (ELF_PAGE_SIZE bytes) with the contents of the page at page_vaddr in segment i
 * of img: the segment's file bytes that fall in the page, zeros elsewhere (also where the
 * page extends past either end of the segment). page_vaddr must be page-aligned and the
 * page must overlap the segment's memory range. img must come from a successful elf_parse().
 *
 * Returns ELF_OK, or ELF_ERR_ARGUMENT (a NULL pointer, i >= num_segments, page_vaddr not
 * aligned or the page outside the segment) or ELF_ERR_SEGMENT (the segment no longer lies
 * inside img's data) and leaves dst unchanged.
 */
int elf_load_page(const struct elf_image *img, unsigned i, uint64_t page_vaddr, void *dst);

/* A function symbol found by elf_find_function(). */
struct elf_symbol {
    const char *name; /* NUL-terminated, inside the image's string table */
    uint64_t value;   /* its first address */
    uint64_t size;    /* bytes, > 0; value <= the address asked < value + size */
};

/*
 * Finds the function symbol (STT_FUNC, size > 0) of img's symbol table (the first SHT_SYMTAB
 * section) that holds addr, the first in table order if several do: what a fault report
 * names as "function+offset". img must come from a successful elf_parse(); the section
 * headers are as untrusted as the rest and are checked here: e_shentsize 64, the section
 * header table, the symbol table (entry size 24, whole entries) and the string table it
 * links to (SHT_STRTAB) inside the file, and the name's offset inside the string table with
 * a NUL before its end. Symbols are only read, in one pass (bounded by the table's size).
 *
 * Returns ELF_OK and fills *out, ELF_ERR_NO_SYMBOL (no section headers, no symbol table, or
 * no function symbol holds addr), ELF_ERR_SYMTAB (a malformed table or the name of the
 * symbol found) or ELF_ERR_ARGUMENT (a NULL pointer); *out is unchanged on error.
 */
int elf_find_function(const struct elf_image *img, uint64_t addr, struct elf_symbol *out);

/* Returns a constant, human-readable name for an enum elf_error value (or "unknown error"). */
const char *elf_strerror(int err);
