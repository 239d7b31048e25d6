/*
 * ELF64 RISC-V executable loader: header checks and page-by-page segment copies.
 *
 * Every multi-byte field is read with an explicit little-endian load, so the image may sit
 * at any alignment, and every offset or size taken from the image is checked against the
 * image size before it is used. Sums of untrusted values are checked for overflow before
 * they are formed. The only loops run over the program header table (bounded by e_phnum,
 * whose table must fit in the file), over the at most ELF_MAX_SEGMENTS recorded segments,
 * and over one page.
 */
#include "vallum/elf.h"

/* ELF header layout (ELF64). */
#define EHDR_SIZE 64u
#define EI_CLASS 4u
#define EI_DATA 5u
#define EI_VERSION 6u
#define E_TYPE 16u
#define E_MACHINE 18u
#define E_VERSION 20u
#define E_ENTRY 24u
#define E_PHOFF 32u
#define E_PHENTSIZE 54u
#define E_PHNUM 56u

/* Program header layout (ELF64). */
#define PHDR_SIZE 56u
#define P_TYPE 0u
#define P_FLAGS 4u
#define P_OFFSET 8u
#define P_VADDR 16u
#define P_FILESZ 32u
#define P_MEMSZ 40u
#define P_ALIGN 48u

#define ELFCLASS64 2u
#define ELFDATA2LSB 1u
#define EV_CURRENT 1u
#define ET_EXEC 2u
#define EM_RISCV 243u
#define PN_XNUM 0xffffu
#define PT_LOAD 1u
#define PT_TLS 7u

#define PAGE_MASK ((uint64_t)ELF_PAGE_SIZE - 1)

_Static_assert((ELF_PAGE_SIZE & (ELF_PAGE_SIZE - 1)) == 0, "page size is a power of two");
_Static_assert(ELF_MAX_SEGMENTS > 0, "at least one segment");

/* A program header, as read from the image; fields not used here are left out. */
struct phdr {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t align;
};

static uint16_t
load16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
load32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t
load64(const uint8_t *p)
{
    return (uint64_t)load32(p) | ((uint64_t)load32(p + 4) << 32);
}

static void
read_phdr(const uint8_t *p, struct phdr *ph)
{
    ph->type = load32(p + P_TYPE);
    ph->flags = load32(p + P_FLAGS);
    ph->offset = load64(p + P_OFFSET);
    ph->vaddr = load64(p + P_VADDR);
    ph->filesz = load64(p + P_FILESZ);
    ph->memsz = load64(p + P_MEMSZ);
    ph->align = load64(p + P_ALIGN);
}

/* Returns whether [offset, offset + len) lies inside a file of size bytes. */
static bool
is_in_file(uint64_t offset, uint64_t len, size_t size)
{
    return offset <= size && len <= size - offset;
}

/*
 * Checks the fields common to PT_LOAD and PT_TLS: file range, filesz <= memsz, alignment,
 * and that [vaddr, vaddr + memsz) rounded out to pages ends at or below user_top. On success
 * stores the page-rounded end in *page_end.
 */
static int
check_range(const struct phdr *ph, size_t size, uint64_t user_top, uint64_t *page_end)
{
    uint64_t end;

    if (!is_in_file(ph->offset, ph->filesz, size) || ph->filesz > ph->memsz) {
        return ELF_ERR_SEGMENT;
    }
    if (ph->align > 1) {
        if ((ph->align & (ph->align - 1)) != 0 ||
            (ph->vaddr & (ph->align - 1)) != (ph->offset & (ph->align - 1))) {
            return ELF_ERR_SEGMENT;
        }
    }
    if (ph->memsz > UINT64_MAX - ph->vaddr) {
        return ELF_ERR_SEGMENT;
    }
    end = ph->vaddr + ph->memsz;
    if (end > UINT64_MAX - PAGE_MASK) {
        return ELF_ERR_SEGMENT;
    }
    end = (end + PAGE_MASK) & ~PAGE_MASK;
    if (end > user_top) {
        return ELF_ERR_SEGMENT;
    }
    *page_end = end;
    return ELF_OK;
}

/* Checks the ELF header; on success stores the program header table's place. */
static int
check_ehdr(const uint8_t *d, size_t size, uint64_t *phoff, unsigned *phnum)
{
    uint64_t off;
    unsigned num;

    if (size < EHDR_SIZE) {
        return ELF_ERR_TRUNCATED;
    }
    if (d[0] != 0x7f || d[1] != 'E' || d[2] != 'L' || d[3] != 'F') {
        return ELF_ERR_MAGIC;
    }
    if (d[EI_CLASS] != ELFCLASS64 || d[EI_DATA] != ELFDATA2LSB) {
        return ELF_ERR_CLASS;
    }
    if (d[EI_VERSION] != EV_CURRENT || load32(d + E_VERSION) != EV_CURRENT) {
        return ELF_ERR_VERSION;
    }
    if (load16(d + E_MACHINE) != EM_RISCV) {
        return ELF_ERR_MACHINE;
    }
    if (load16(d + E_TYPE) != ET_EXEC) {
        return ELF_ERR_TYPE;
    }
    off = load64(d + E_PHOFF);
    num = load16(d + E_PHNUM);
    /* PN_XNUM would move the count into section header 0; executables never need it. */
    if (load16(d + E_PHENTSIZE) != PHDR_SIZE || num == PN_XNUM ||
        !is_in_file(off, (uint64_t)num * PHDR_SIZE, size)) {
        return ELF_ERR_PHDR;
    }
    *phoff = off;
    *phnum = num;
    return ELF_OK;
}

/*
 * Sets img to an image with no segments. Field by field rather than "= {0}", which compilers
 * turn into a memset call; this library must not need one.
 */
static void
init_image(struct elf_image *img, const uint8_t *d, size_t size)
{
    img->entry = load64(d + E_ENTRY);
    img->num_segments = 0;
    for (unsigned j = 0; j < ELF_MAX_SEGMENTS; j++) {
        img->seg[j].vaddr = 0;
        img->seg[j].memsz = 0;
        img->seg[j].offset = 0;
        img->seg[j].filesz = 0;
        img->seg[j].flags = 0;
    }
    img->lo = 0;
    img->hi = 0;
    img->data = d;
    img->size = size;
    img->tls_vaddr = 0;
    img->tls_filesz = 0;
    img->tls_memsz = 0;
}

/* Copies *src to *dst, field by field for the same reason (a struct copy may call memcpy). */
static void
copy_image(struct elf_image *dst, const struct elf_image *src)
{
    dst->entry = src->entry;
    dst->num_segments = src->num_segments;
    for (unsigned j = 0; j < ELF_MAX_SEGMENTS; j++) {
        dst->seg[j].vaddr = src->seg[j].vaddr;
        dst->seg[j].memsz = src->seg[j].memsz;
        dst->seg[j].offset = src->seg[j].offset;
        dst->seg[j].filesz = src->seg[j].filesz;
        dst->seg[j].flags = src->seg[j].flags;
    }
    dst->lo = src->lo;
    dst->hi = src->hi;
    dst->data = src->data;
    dst->size = src->size;
    dst->tls_vaddr = src->tls_vaddr;
    dst->tls_filesz = src->tls_filesz;
    dst->tls_memsz = src->tls_memsz;
}

/* Adds a PT_LOAD segment to img unless it is empty, checking it against those before it. */
static int
add_load(struct elf_image *img, const struct phdr *ph, size_t size, uint64_t user_top)
{
    struct elf_segment *s;
    uint64_t lo;
    uint64_t hi;
    int err;

    if (ph->memsz == 0 && ph->filesz == 0) {
        return ELF_OK;
    }
    err = check_range(ph, size, user_top, &hi);
    if (err != ELF_OK) {
        return err;
    }
    lo = ph->vaddr & ~PAGE_MASK;
    for (unsigned j = 0; j < img->num_segments; j++) {
        const struct elf_segment *o = &img->seg[j];
        uint64_t o_lo = o->vaddr & ~PAGE_MASK;
        uint64_t o_hi = (o->vaddr + o->memsz + PAGE_MASK) & ~PAGE_MASK;

        if (lo < o_hi && o_lo < hi) {
            return ELF_ERR_OVERLAP;
        }
    }
    if (img->num_segments == ELF_MAX_SEGMENTS) {
        return ELF_ERR_TOO_MANY;
    }
    s = &img->seg[img->num_segments++];
    s->vaddr = ph->vaddr;
    s->memsz = ph->memsz;
    s->offset = ph->offset;
    s->filesz = ph->filesz;
    s->flags = ph->flags & (ELF_R | ELF_W | ELF_X);
    if (img->num_segments == 1 || lo < img->lo) {
        img->lo = lo;
    }
    if (hi > img->hi) {
        img->hi = hi;
    }
    return ELF_OK;
}

/*
 * Records a non-empty PT_TLS header (at most one); the template is checked against the
 * segments later. An empty one is ignored like an empty PT_LOAD.
 */
static int
add_tls(struct elf_image *img, const struct phdr *ph, size_t size, uint64_t user_top, bool *seen)
{
    uint64_t hi;
    int err;

    if (ph->memsz == 0 && ph->filesz == 0) {
        return ELF_OK;
    }
    if (*seen) {
        return ELF_ERR_SEGMENT;
    }
    *seen = true;
    err = check_range(ph, size, user_top, &hi);
    if (err != ELF_OK) {
        return err;
    }
    img->tls_vaddr = ph->vaddr;
    img->tls_filesz = ph->filesz;
    img->tls_memsz = ph->memsz;
    return ELF_OK;
}

/* Returns whether [vaddr, vaddr + len) lies inside one segment with all of flags. */
static bool
is_in_segment(const struct elf_image *img, uint64_t vaddr, uint64_t len, uint32_t flags)
{
    for (unsigned j = 0; j < img->num_segments; j++) {
        const struct elf_segment *s = &img->seg[j];

        if ((s->flags & flags) == flags && vaddr >= s->vaddr && vaddr - s->vaddr < s->memsz &&
            len <= s->memsz - (vaddr - s->vaddr)) {
            return true;
        }
    }
    return false;
}

/* Checks everything that depends on the whole segment list. */
static int
check_image(const struct elf_image *img)
{
    if (img->num_segments == 0) {
        return ELF_ERR_NO_SEGMENTS;
    }
    /* The template is what each thread's TLS block is initialised from. */
    if (img->tls_filesz != 0 && !is_in_segment(img, img->tls_vaddr, img->tls_filesz, 0)) {
        return ELF_ERR_SEGMENT;
    }
    if (!is_in_segment(img, img->entry, 1, ELF_X)) {
        return ELF_ERR_ENTRY;
    }
    return ELF_OK;
}

/*
 * Parses and checks an ELF image; see the contract in vallum/elf.h. The result is built in a
 * local copy so that *out changes only on success.
 */
int
elf_parse(const void *data, size_t size, uint64_t user_top, struct elf_image *out)
{
    const uint8_t *d = data;
    struct elf_image img;
    bool seen_tls = false;
    uint64_t phoff;
    unsigned phnum;
    int err;

    if (data == NULL || out == NULL) {
        return ELF_ERR_ARGUMENT;
    }
    err = check_ehdr(d, size, &phoff, &phnum);
    if (err != ELF_OK) {
        return err;
    }
    init_image(&img, d, size);
    for (unsigned i = 0; i < phnum; i++) {
        struct phdr ph;

        read_phdr(d + phoff + (uint64_t)i * PHDR_SIZE, &ph);
        if (ph.type == PT_LOAD) {
            err = add_load(&img, &ph, size, user_top);
        } else if (ph.type == PT_TLS) {
            err = add_tls(&img, &ph, size, user_top, &seen_tls);
        }
        if (err != ELF_OK) {
            return err;
        }
    }
    err = check_image(&img);
    if (err != ELF_OK) {
        return err;
    }
    copy_image(out, &img);
    return ELF_OK;
}

/*
 * Copies one page of a segment into dst, zero-filling; see the contract in vallum/elf.h.
 * dst is written only after every check has passed.
 */
int
elf_load_page(const struct elf_image *img, unsigned i, uint64_t page_vaddr, void *dst)
{
    const struct elf_segment *s;
    uint8_t *out = dst;
    uint64_t file_end;

    if (img == NULL || dst == NULL || i >= img->num_segments || i >= ELF_MAX_SEGMENTS ||
        (page_vaddr & PAGE_MASK) != 0) {
        return ELF_ERR_ARGUMENT;
    }
    s = &img->seg[i];
    if (s->memsz > UINT64_MAX - s->vaddr) {
        return ELF_ERR_SEGMENT;
    }
    /* page_vaddr is aligned, so adding PAGE_MASK cannot overflow. */
    if (page_vaddr + PAGE_MASK < s->vaddr || page_vaddr >= s->vaddr + s->memsz) {
        return ELF_ERR_ARGUMENT;
    }
    if (img->data == NULL || !is_in_file(s->offset, s->filesz, img->size) || s->filesz > s->memsz) {
        return ELF_ERR_SEGMENT;
    }
    /* File bytes occupy [s->vaddr, file_end); everything else in the page is zero. */
    file_end = s->vaddr + s->filesz;
    for (uint64_t k = 0; k < ELF_PAGE_SIZE; k++) {
        uint64_t va = page_vaddr + k;

        if (va >= s->vaddr && va < file_end) {
            out[k] = img->data[s->offset + (va - s->vaddr)];
        } else {
            out[k] = 0;
        }
    }
    return ELF_OK;
}

/* Section headers and symbols (ELF64), for elf_find_function(). */
#define E_SHOFF 40u
#define E_SHENTSIZE 58u
#define E_SHNUM 60u
#define SHDR_SIZE 64u
#define SH_TYPE 4u
#define SH_OFFSET 24u
#define SH_SIZE 32u
#define SH_LINK 40u
#define SH_ENTSIZE 56u
#define SHT_SYMTAB 2u
#define SHT_STRTAB 3u
#define SYM_SIZE 24u
#define ST_NAME 0u
#define ST_INFO 4u
#define ST_VALUE 8u
#define ST_SIZE 16u
#define STT_FUNC 2u

/* A section's place in the file, checked to lie inside it. */
struct section {
    uint32_t type;
    uint64_t offset;
    uint64_t size;
    uint32_t link;
    uint64_t entsize;
};

/*
 * Reads section header i of the table at shoff (checked to hold shnum headers) into *sh and
 * checks that its contents lie inside the file (SHT_NOBITS sections have none: not looked at).
 */
static int
read_section(const uint8_t *d, size_t size, uint64_t shoff, unsigned i, struct section *sh)
{
    const uint8_t *p = d + shoff + (uint64_t)i * SHDR_SIZE;

    sh->type = load32(p + SH_TYPE);
    sh->offset = load64(p + SH_OFFSET);
    sh->size = load64(p + SH_SIZE);
    sh->link = load32(p + SH_LINK);
    sh->entsize = load64(p + SH_ENTSIZE);
    return is_in_file(sh->offset, sh->size, size) ? ELF_OK : ELF_ERR_SYMTAB;
}

/*
 * Finds the symbol table and its string table. Returns ELF_OK, ELF_ERR_NO_SYMBOL (none) or
 * ELF_ERR_SYMTAB.
 */
static int
find_symtab(const uint8_t *d, size_t size, struct section *symtab, struct section *strtab)
{
    uint64_t shoff = load64(d + E_SHOFF);
    unsigned shnum = load16(d + E_SHNUM);

    if (shnum == 0) {
        return ELF_ERR_NO_SYMBOL; /* none, or more than 0xff00 (extended numbering): ignored */
    }
    if (load16(d + E_SHENTSIZE) != SHDR_SIZE ||
        !is_in_file(shoff, (uint64_t)shnum * SHDR_SIZE, size)) {
        return ELF_ERR_SYMTAB;
    }
    for (unsigned i = 0; i < shnum; i++) {
        if (load32(d + shoff + (uint64_t)i * SHDR_SIZE + SH_TYPE) != SHT_SYMTAB) {
            continue;
        }
        if (read_section(d, size, shoff, i, symtab) != ELF_OK || symtab->entsize != SYM_SIZE ||
            symtab->size % SYM_SIZE != 0 || symtab->link >= shnum ||
            read_section(d, size, shoff, symtab->link, strtab) != ELF_OK ||
            strtab->type != SHT_STRTAB) {
            return ELF_ERR_SYMTAB;
        }
        return ELF_OK;
    }
    return ELF_ERR_NO_SYMBOL;
}

int
elf_find_function(const struct elf_image *img, uint64_t addr, struct elf_symbol *out)
{
    struct section symtab;
    struct section strtab;

    if (img == NULL || out == NULL || img->data == NULL || img->size < EHDR_SIZE) {
        return ELF_ERR_ARGUMENT;
    }
    const uint8_t *d = img->data;
    int err = find_symtab(d, img->size, &symtab, &strtab);
    if (err != ELF_OK) {
        return err;
    }
    for (uint64_t off = 0; off < symtab.size; off += SYM_SIZE) {
        const uint8_t *sym = d + symtab.offset + off;
        uint64_t value = load64(sym + ST_VALUE);
        uint64_t len = load64(sym + ST_SIZE);

        if ((sym[ST_INFO] & 0xfu) != STT_FUNC || addr < value || addr - value >= len) {
            continue;
        }
        uint32_t name = load32(sym + ST_NAME);
        const uint8_t *s = d + strtab.offset;
        uint64_t n = name;
        while (n < strtab.size && s[n] != '\0') {
            n++;
        }
        if (n >= strtab.size) {
            return ELF_ERR_SYMTAB; /* the name starts outside the table or has no NUL in it */
        }
        out->name = (const char *)s + name;
        out->value = value;
        out->size = len;
        return ELF_OK;
    }
    return ELF_ERR_NO_SYMBOL;
}

/* Returns the name of an error code; see vallum/elf.h. */
const char *
elf_strerror(int err)
{
    switch (err) {
    case ELF_OK:
        return "success";
    case ELF_ERR_TRUNCATED:
        return "file shorter than the ELF header";
    case ELF_ERR_MAGIC:
        return "not an ELF file";
    case ELF_ERR_CLASS:
        return "not ELF64 little-endian";
    case ELF_ERR_MACHINE:
        return "not a RISC-V executable";
    case ELF_ERR_TYPE:
        return "not an executable (ET_EXEC)";
    case ELF_ERR_VERSION:
        return "unknown ELF version";
    case ELF_ERR_PHDR:
        return "bad program header table";
    case ELF_ERR_SEGMENT:
        return "bad segment";
    case ELF_ERR_OVERLAP:
        return "segments overlap";
    case ELF_ERR_ENTRY:
        return "entry point not in an executable segment";
    case ELF_ERR_TOO_MANY:
        return "too many loadable segments";
    case ELF_ERR_NO_SEGMENTS:
        return "no loadable segments";
    case ELF_ERR_ARGUMENT:
        return "bad argument";
    case ELF_ERR_SYMTAB:
        return "bad section headers or symbol table";
    case ELF_ERR_NO_SYMBOL:
        return "no function symbol at this address";
    default:
        return "unknown error";
    }
}
