/*
 * Flattened devicetree (DTB) parser.
 *
 * The firmware hands the kernel a devicetree blob at boot. This module checks it and extracts
 * the few platform facts the kernel needs (RAM, reserved ranges, timebase, hart count, whether
 * the harts have the Sstc timer, and the console, interrupt controller, RTC and test devices)
 * into a struct fdt_platform. The blob is
 * untrusted: every offset, length and string in it is checked against the readable size and
 * the header's totalsize, a malformed blob yields an error code, and the parser never reads
 * outside the blob and never loops more often than the blob has bytes.
 *
 * The module is freestanding (no libc, no allocation, no recursion, no floating point) and
 * builds both into the kernel and into host tests. fdt_parse_platform() uses about 2 KiB of
 * stack (1.8 KiB frame on rv64 at -O2, plus small callees).
 *
 * Interpretation rules (what the parser does where the devicetree leaves a choice):
 *  - reg is decoded with the parent's #address-cells / #size-cells (defaults 2 and 1).
 *    Address cells must be 1 or 2 and size cells 0, 1 or 2 (0 is the /cpus convention); a reg
 *    the parser needs that has other cell counts, a length that is not a whole number of
 *    entries, or an entry whose end overflows 64 bits fails the whole parse with
 *    FDT_ERR_BAD_STRUCTURE. Memory and reserved regions additionally need size cells >= 1.
 *    reg of nodes the parser does not use is never decoded, so it cannot cause an error.
 *  - A property the parser uses with the wrong length (#address-cells, #size-cells, phandle,
 *    reg-shift, riscv,ndev, timebase-frequency, interrupts) fails with FDT_ERR_BAD_STRUCTURE.
 *  - Addresses are taken as written; "ranges" translation is not applied (QEMU virt and most
 *    RISC-V boards use identity ranges).
 *  - Memory nodes are device_type "memory" children of the root. Nodes whose status is not
 *    "okay"/"ok" are skipped for memory, harts and devices, but a disabled /reserved-memory
 *    child is still reserved: when in doubt the kernel uses less memory. Zero-sized regions
 *    are dropped. /reserved-memory children without reg (dynamic allocations) are ignored.
 *  - Where a property or matching node occurs more than once, the first one wins.
 *  - Extensions are read as written, in lower case ("sstc"); an ISA string that spells one
 *    otherwise does not have it: when in doubt the kernel uses the firmware's timer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Capacity of each region array in struct fdt_platform. */
#define FDT_MAX_REGIONS 16

/* Deepest node nesting accepted, counting the root node as depth 1. */
#define FDT_MAX_DEPTH 16

/* A physical address range, in bytes. base + size never overflows 64 bits. */
struct fdt_region {
    uint64_t base;
    uint64_t size;
};

/* The platform facts the kernel needs, as found in the devicetree. Absent devices read 0. */
struct fdt_platform {
    struct fdt_region memory[FDT_MAX_REGIONS];   /* all reg entries of device_type="memory" nodes */
    unsigned num_memory;                         /* entries used in memory[], at least 1 */
    struct fdt_region reserved[FDT_MAX_REGIONS]; /* the memory reservation block entries, plus reg
                                                    of every child of /reserved-memory */
    unsigned num_reserved;                       /* entries used in reserved[] */
    uint64_t timebase_hz;    /* /cpus timebase-frequency (u32 or u64 cell), in Hz, nonzero */
    unsigned num_harts;      /* enabled nodes under /cpus with device_type "cpu" */
    bool has_sstc;           /* every one of them lists the Sstc extension (stimecmp): a part
                                "sstc" of its riscv,isa string after the first '_', or an entry
                                "sstc" of riscv,isa-extensions; false if there are none */
    uint64_t uart_base;      /* first enabled "ns16550a" node, preferring /chosen stdout-path */
    uint64_t uart_size;      /* in bytes */
    uint32_t uart_irq;       /* first cell of its interrupts property, 0 if absent */
    uint32_t uart_reg_shift; /* reg-shift, default 0 */
    uint64_t plic_base;      /* first enabled "riscv,plic0" or "sifive,plic-1.0.0" node */
    uint64_t plic_size;      /* in bytes */
    uint32_t plic_ndev;      /* riscv,ndev: number of interrupt sources, 0 if absent */
    int32_t plic_s_context;  /* index of the (phandle, irq) pair in the PLIC's
                                interrupts-extended whose phandle is hart 0's "riscv,cpu-intc"
                                and whose irq is 9 (supervisor external); -1 if none */
    uint64_t rtc_base;       /* "google,goldfish-rtc", 0 if absent */
    uint32_t rtc_irq;        /* first cell of its interrupts property, 0 if absent */
    uint64_t test_base;      /* "sifive,test0" anywhere in compatible, 0 if absent */
};

/* Error codes (negative ints). */
enum fdt_error {
    FDT_OK = 0,
    FDT_ERR_TRUNCATED = -1,     /* the blob is shorter than its header says */
    FDT_ERR_BAD_MAGIC = -2,     /* not a devicetree blob */
    FDT_ERR_BAD_VERSION = -3,   /* version < 16 or last_comp_version > 17 */
    FDT_ERR_BAD_STRUCTURE = -4, /* inconsistent header, token stream or needed property */
    FDT_ERR_TOO_DEEP = -5,      /* nodes nested deeper than FDT_MAX_DEPTH */
    FDT_ERR_TOO_MANY = -6,      /* more than FDT_MAX_REGIONS memory or reserved regions */
    FDT_ERR_MISSING = -7,       /* no memory node or no timebase */
};

/*
 * Checks the header of the blob at blob, of which size bytes are readable (blob may be NULL
 * only if size is 0; it need not be aligned). Checks magic, version, that totalsize fits in
 * size, that the memory reservation block (8-byte aligned and terminated), the structure block
 * (4-byte aligned) and the strings block lie after the header and within totalsize, and that
 * the three blocks do not overlap. Does not walk the structure block.
 * Returns totalsize (> 0), or FDT_ERR_TRUNCATED, FDT_ERR_BAD_MAGIC, FDT_ERR_BAD_VERSION or
 * FDT_ERR_BAD_STRUCTURE. No side effects.
 */
long fdt_check_header(const void *blob, size_t size);

/*
 * Checks the whole blob (header, reservation block, every token of the structure block) and
 * fills *out with the platform facts, following the interpretation rules at the top of this
 * file. size is the number of readable bytes at blob; out must not be NULL.
 * Returns FDT_OK; a header error as for fdt_check_header(); FDT_ERR_BAD_STRUCTURE for a
 * malformed token stream or needed property; FDT_ERR_TOO_DEEP; FDT_ERR_TOO_MANY; or
 * FDT_ERR_MISSING if there is no memory region or no timebase.
 * *out is written only on success; on error it is left unchanged.
 */
int fdt_parse_platform(const void *blob, size_t size, struct fdt_platform *out);

/*
 * Returns a short human-readable name for the fdt_error code err ("unknown error" for any
 * other value). The string is static and must not be modified.
 */
const char *fdt_strerror(int err);
