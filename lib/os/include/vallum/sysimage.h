/*
 * The compiled system description ("system image"): what the host tool tools/vlsys writes
 * from systems/<name>/system.yaml and what init reads to build the system. It is packed
 * into the boot image together with every component's program.
 *
 * Layout: a header, then tables of fixed-size records, a string table and the program
 * ELF files, each at the offset the header gives (8-byte aligned, relative to the start
 * of the image). All fields are 64-bit little-endian words. Strings are NUL-terminated
 * and referenced by their offset in the string table. Component, region and channel
 * references are indices into their tables. init checks every offset, size and index
 * against the image before using it.
 */
#pragma once

#include <stdint.h>

#define VL_SYSIMG_MAGIC 0x474d49535953564cull /* "LVSYSIMG" */
#define VL_SYSIMG_VERSION 8

/* Limits the tool enforces (and init relies on). */
#define VL_SYSIMG_MAX_COMPONENTS 32
#define VL_SYSIMG_MAX_CHANNEL_ID 62     /* channel ids 0..62 in each component */
#define VL_SYSIMG_MAX_PRIORITY 254      /* 255 is init's */
#define VL_SYSIMG_MAX_NAME 31           /* characters in a name */
#define VL_SYSIMG_MIN_UNTYPED_BITS 12   /* a component's own untyped: 4 KiB.. */
#define VL_SYSIMG_MAX_UNTYPED_BITS 28   /* ..256 MiB */
#define VL_SYSIMG_MAX_CONFIG 16         /* `config` parameters of one component */
#define VL_SYSIMG_MAX_CONFIG_STR 63     /* characters in a string parameter */
#define VL_SYSIMG_MIN_BUDGET_US 100     /* `budget`: at least 100 us.. */
#define VL_SYSIMG_MAX_PERIOD_US 1000000 /* ..`period`: at most one second */

struct vl_sysimg_table {
    uint64_t offset; /* from the start of the image */
    uint64_t count;  /* records */
};

struct vl_sysimg_header {
    uint64_t magic;
    uint64_t version;
    uint64_t size;                     /* bytes in the whole image */
    uint64_t name;                     /* string: the system's name */
    struct vl_sysimg_table components; /* struct vl_sysimg_component */
    struct vl_sysimg_table regions;    /* struct vl_sysimg_region */
    struct vl_sysimg_table maps;       /* struct vl_sysimg_map */
    struct vl_sysimg_table channels;   /* struct vl_sysimg_channel */
    struct vl_sysimg_table irqs;       /* struct vl_sysimg_irq */
    uint64_t strings_offset;
    uint64_t strings_size;
    struct vl_sysimg_table configs; /* struct vl_sysimg_config (version 5) */
};

enum vl_restart_policy {
    VL_RESTART_NEVER = 0,  /* a fault stops the component for good */
    VL_RESTART_ALWAYS = 1, /* restart after every fault */
    VL_RESTART_LIMITED = 2 /* at most restart_max restarts within restart_window_ms */
};

struct vl_sysimg_component {
    uint64_t name;           /* string */
    uint64_t program_offset; /* the component's ELF file in the image */
    uint64_t program_size;
    uint64_t priority;       /* 0..VL_SYSIMG_MAX_PRIORITY */
    uint64_t stack_bytes;    /* multiple of 4096 */
    uint64_t heap_bytes;     /* multiple of 4096, may be 0 */
    uint64_t restart_policy; /* enum vl_restart_policy */
    uint64_t restart_max;
    uint64_t restart_window_ms;
    uint64_t untyped_bits;  /* log2 bytes of the component's own untyped (key `untyped`),
                               VL_SYSIMG_MIN_UNTYPED_BITS..VL_SYSIMG_MAX_UNTYPED_BITS; 0: none */
    uint64_t kernel_caps;   /* kernel authorities granted: VL_SYSIMG_DEBUG_* (key `debug`;
                               none of them: no debug cap) and VL_SYSIMG_SHUTDOWN (key
                               `shutdown`) */
    uint64_t fault_handler; /* index of the component whose fault() decides about this one's
                               faults (key `fault_handler`, docs/faults.md), or
                               VL_SYSIMG_NO_FAULT_HANDLER: init's restart policy decides. Never
                               the component itself; the handlers form no cycle */
    uint64_t budget_us;     /* keys `budget` and `period` (version 8): the component's thread
                               runs at most budget_us microseconds in any period_us;
                               VL_SYSIMG_MIN_BUDGET_US <= budget_us <= period_us <=
                               VL_SYSIMG_MAX_PERIOD_US, and the budget_us / period_us of all
                               components add up to at most 1. Both 0: a full share */
    uint64_t period_us;
};

#define VL_SYSIMG_NO_FAULT_HANDLER UINT64_MAX

/* What a component's debug cap may do (key `debug`); init mints VL_DEBUG_RIGHT_* for them. */
#define VL_SYSIMG_DEBUG_PRINT 1u /* print, name threads, ask cap types */
#define VL_SYSIMG_DEBUG_HALT 2u  /* stop the machine */
#define VL_SYSIMG_DEBUG_CHECK 4u /* the invariant walk (test kernels) and the scheduler dump */
#define VL_SYSIMG_DEBUG_ALL 7u
/* The component gets a copy of the Shutdown cap (key `shutdown: true`). */
#define VL_SYSIMG_SHUTDOWN 8u
#define VL_SYSIMG_KERNEL_CAPS_ALL (VL_SYSIMG_DEBUG_ALL | VL_SYSIMG_SHUTDOWN)

/*
 * VL_REGION_CONSOLE (key `console: true` on a device): the console UART's one page, which
 * init gets from the kernel with IRQControl_TakeConsole (no device untyped covers it) and
 * checks is at paddr; its driver gets a copy of the frame cap in VL_COMP_SLOT_CONSOLE and the
 * kernel log's signal on channel id VL_COMP_CONSOLE_LOG_CHANNEL. At most one per image. An
 * init older than the kind refuses the image's region by name, so the image version stayed.
 */
enum vl_region_kind { VL_REGION_RAM = 0, VL_REGION_DEVICE = 1, VL_REGION_CONSOLE = 2 };

struct vl_sysimg_region {
    uint64_t name;  /* string */
    uint64_t size;  /* bytes, multiple of 4096 */
    uint64_t kind;  /* enum vl_region_kind */
    uint64_t paddr; /* device regions: physical address (4096-aligned); RAM: 0 */
    uint64_t flags; /* VL_REGION_* (version 7); 0 on a device region */
};

/*
 * A RAM region a device reads or writes (key `dma: true`): init makes it physically
 * contiguous (its frames retyped from one untyped of its own) and writes its physical
 * address on the info page of the mappings that carry VL_MAP_PADDR, and no other.
 */
#define VL_REGION_DMA 1u
#define VL_REGION_FLAGS_ALL VL_REGION_DMA

#define VL_PERM_R 1u
#define VL_PERM_W 2u
#define VL_PERM_X 4u

struct vl_sysimg_map {
    uint64_t region;    /* index */
    uint64_t component; /* index */
    uint64_t vaddr;     /* 4096-aligned, below the user address limit */
    uint64_t perms;     /* VL_PERM_* */
    uint64_t flags;     /* VL_MAP_* (version 7) */
};

/*
 * The component is told the region's physical address (key `paddr: true` in a map entry):
 * only on a VL_REGION_DMA region, only for a component that holds a device (a device
 * region or an interrupt) - a driver, which programs the device with it.
 */
#define VL_MAP_PADDR 1u
#define VL_MAP_FLAGS_ALL VL_MAP_PADDR

enum vl_channel_kind {
    VL_CHANNEL_NOTIFY = 0, /* either end may signal the other */
    VL_CHANNEL_CALL = 1    /* end a (client) may call end b (server), of higher priority */
};

/*
 * A call channel's client may pass capabilities to the server (key `grant: true`): init gives
 * the client's endpoint cap the Grant right, so the kernel transfers any cap the client
 * names in a call. Without it the kernel transfers none. Never set on a notify channel.
 */
#define VL_CHANNEL_GRANT 1u
#define VL_CHANNEL_FLAGS_ALL VL_CHANNEL_GRANT

struct vl_sysimg_channel {
    uint64_t kind;  /* enum vl_channel_kind */
    uint64_t a;     /* component index */
    uint64_t a_id;  /* channel id at a */
    uint64_t b;     /* component index */
    uint64_t b_id;  /* channel id at b */
    uint64_t flags; /* VL_CHANNEL_* (version 6); 0 on a notify channel */
};

struct vl_sysimg_irq {
    uint64_t component; /* the driver */
    uint64_t irq;       /* interrupt source number */
    uint64_t id;        /* channel id on which the driver is notified */
};

enum vl_config_kind {
    VL_CONFIG_INT = 0, /* value is the integer, as a two's complement word */
    VL_CONFIG_STR = 1  /* value is a string: at most VL_SYSIMG_MAX_CONFIG_STR printable ASCII
                          characters (0x20..0x7e) */
};

/*
 * One `config` parameter of a component. vlsys writes them by component, in the order of the
 * description; init requires only that names be distinct within a component and that no
 * component have more than VL_SYSIMG_MAX_CONFIG.
 */
struct vl_sysimg_config {
    uint64_t component; /* index */
    uint64_t name;      /* string: a name, as component names */
    uint64_t kind;      /* enum vl_config_kind */
    uint64_t value;     /* VL_CONFIG_INT: the integer; VL_CONFIG_STR: string */
};
