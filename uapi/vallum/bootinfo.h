/*
 * Boot information the kernel hands the first task. Its address arrives in a0 when the
 * first task starts; it occupies one page, mapped read-only at VL_BOOTINFO_VADDR.
 */
#pragma once

#include <vallum/types.h>

#define VL_BOOTINFO_MAGIC 0x56414c4c554d4249ul /* "VALLUMBI" */
#define VL_BOOTINFO_VERSION 1
#define VL_BOOTINFO_MAX_UNTYPED 200

/* A range of slots [start, end) in the first task's CNode. */
struct vl_slot_region {
    vl_word_t start;
    vl_word_t end;
};

struct vl_untyped_desc {
    vl_word_t paddr;
    uint8_t size_bits;
    uint8_t is_device;
    uint8_t padding[6];
};

struct vl_bootinfo {
    vl_word_t magic;
    vl_word_t version;
    vl_word_t init_cnode_bits;     /* radix of the first task's CNode */
    struct vl_slot_region empty;   /* free slots */
    struct vl_slot_region untyped; /* one untyped cap per slot, in untyped_list order */
    /* Frame and page-table caps of the first task's address space (program image, stack,
     * device tree, and the tables mapping the boot info and IPC buffer), mapped. */
    struct vl_slot_region image_frames;
    /* Slot of the ASID pool cap for ASIDs 0..511: the first task's VSpace has ASID 1, the
     * others are free for the VSpaces it makes (ASIDPool_Assign). */
    vl_word_t asid_pool;
    vl_word_t ipc_buffer; /* virtual address of the first task's IPC buffer */
    vl_word_t dtb_vaddr;  /* device tree blob, mapped read-only, 0 if none */
    vl_word_t dtb_size;
    vl_word_t image_start; /* virtual range of the first task's program image */
    vl_word_t image_end;
    vl_word_t timebase_hz;        /* frequency of the time counter */
    vl_word_t kernel_paddr_start; /* physical memory the kernel keeps */
    vl_word_t kernel_paddr_end;
    vl_word_t kernel_entry_cycle; /* cycle counter at the kernel's first instruction */
    vl_word_t num_untyped;
    struct vl_untyped_desc untyped_list[VL_BOOTINFO_MAX_UNTYPED];
};

_Static_assert(sizeof(struct vl_bootinfo) <= VL_PAGE_SIZE, "boot info fits one page");

#define VL_BOOTINFO_VADDR 0x3ffffff000ul
#define VL_IPC_BUFFER_VADDR 0x3fffffe000ul
#define VL_DTB_VADDR 0x3fff000000ul
#define VL_INIT_STACK_TOP 0x3ffff00000ul
#define VL_INIT_STACK_PAGES 16
