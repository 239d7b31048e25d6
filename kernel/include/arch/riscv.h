/*
 * RISC-V definitions: CSRs, SBI calls, Sv39 page-table entries, the kernel's memory map.
 */
#pragma once

#include "types.h"
#include "util.h"

/* Kernel memory map (Sv39). All physical memory below PPTR_MAP_SIZE appears at
 * PPTR_BASE + pa; the kernel image is linked at KERNEL_VBASE, loaded at KERNEL_PBASE. */
#define PPTR_BASE 0xffffffc000000000ul
#define PPTR_MAP_GIB 128ul
#define KERNEL_VBASE 0xffffffff80000000ul
#define KERNEL_PBASE 0x80000000ul
#define KERNEL_OFFSET (KERNEL_VBASE - KERNEL_PBASE)

static inline void *
paddr_to_pptr(paddr_t pa)
{
    return (void *)(uintptr_t)(pa + PPTR_BASE);
}

static inline paddr_t
pptr_to_paddr(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    return v >= KERNEL_VBASE ? v - KERNEL_OFFSET : v - PPTR_BASE;
}

/* Page-table entry bits. */
#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_U (1ul << 4)
#define PTE_G (1ul << 5)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)
#define PTE_PPN_SHIFT 10
#define PTES_PER_TABLE 512

static inline word_t
pte_make(paddr_t pa, word_t flags)
{
    return ((pa >> 12) << PTE_PPN_SHIFT) | flags;
}

static inline paddr_t
pte_paddr(word_t pte)
{
    return (pte >> PTE_PPN_SHIFT) << 12;
}

static inline bool
pte_is_leaf(word_t pte)
{
    return (pte & PTE_V) && (pte & (PTE_R | PTE_W | PTE_X));
}

/* Index into the table of the given level (2 = root) for vaddr. */
static inline word_t
pt_index(vaddr_t va, int level)
{
    return (va >> (12 + 9 * level)) & 511;
}

#define SATP_MODE_SV39 (8ul << 60)
#define SSTATUS_SIE (1ul << 1)
#define SSTATUS_SPIE (1ul << 5)
#define SSTATUS_SPP (1ul << 8)
#define SSTATUS_FS (3ul << 13) /* floating-point state: 0 = Off */
#define SIE_STIE (1ul << 5)
#define SIE_SEIE (1ul << 9)
#define SIP_SSIP (1ul << 1)
#define SIP_STIP (1ul << 5)
#define SIP_SEIP (1ul << 9)
#define SCAUSE_INTERRUPT (1ul << 63)

enum scause_code {
    CAUSE_MISALIGNED_FETCH = 0,
    CAUSE_FETCH_ACCESS = 1,
    CAUSE_ILLEGAL_INSTRUCTION = 2,
    CAUSE_BREAKPOINT = 3,
    CAUSE_MISALIGNED_LOAD = 4,
    CAUSE_LOAD_ACCESS = 5,
    CAUSE_MISALIGNED_STORE = 6,
    CAUSE_STORE_ACCESS = 7,
    CAUSE_USER_ECALL = 8,
    CAUSE_FETCH_PAGE_FAULT = 12,
    CAUSE_LOAD_PAGE_FAULT = 13,
    CAUSE_STORE_PAGE_FAULT = 15,
};

#define csr_read(csr)                                                                              \
    ({                                                                                             \
        word_t v_;                                                                                 \
        __asm__ volatile("csrr %0, " #csr : "=r"(v_));                                             \
        v_;                                                                                        \
    })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"r"((word_t)(v)))
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" ::"r"((word_t)(v)))
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" ::"r"((word_t)(v)))

/*
 * The Sstc extension's supervisor timer compare register (CSR 0x14d): the timer interrupt
 * is pending while time >= stimecmp. Accessible from S-mode only if the hart has Sstc and
 * the firmware set menvcfg.STCE; otherwise the access is an illegal instruction, so write
 * it only after arch_has_stimecmp() said yes. (By number: older assemblers lack the name.)
 */
static inline void
csr_write_stimecmp(word_t v)
{
    __asm__ volatile("csrw 0x14d, %0" ::"r"(v));
}

/*
 * True if reading stimecmp does not trap. Boot only: it lends stvec to a local label for
 * one instruction, so interrupts must be masked (they are until the first kernel exit).
 */
bool arch_has_stimecmp(void);

/* SBI calls (the firmware interface). */
struct sbi_ret {
    long error;
    long value;
};

struct sbi_ret sbi_call(word_t ext, word_t fid, word_t a0, word_t a1, word_t a2);

#define SBI_EXT_TIME 0x54494d45ul
#define SBI_EXT_SRST 0x53525354ul
#define SBI_SRST_SHUTDOWN 0ul /* SRST reset types */
#define SBI_SRST_COLD_REBOOT 1ul
#define SBI_EXT_LEGACY_PUTCHAR 0x01ul

/* Kernel entry points in assembly. */
NORETURN void restore_user_context(word_t *regs);
extern char kernel_stack_top[];

/* The boot page table and the kernel's window (vspace.c). */
extern word_t kernel_root_pt[PTES_PER_TABLE];

/* Maps a 4 KiB user page into the VSpace root, allocating tables with alloc (boot only). */
void vspace_boot_map(word_t *root, vaddr_t va, paddr_t pa, word_t flags,
                     word_t *(*alloc_table)(void *ctx, vaddr_t va, int level), void *ctx);
