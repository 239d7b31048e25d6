/*
 * The contract between init (which builds each component from the system image) and
 * the component runtime lib/os (which runs inside the component): where a component
 * finds its capabilities, its IPC buffer and its description.
 *
 * CSpace: one CNode of 2^VL_COMP_CNODE_BITS slots, with a guard such that a cptr is
 * simply a slot number. Init fills exactly these slots, nothing else:
 *   VL_COMP_SLOT_EP             the component's endpoint: protected calls arrive here, and
 *                               (through the notification bound to its TCB) signals too;
 *                               present if it serves a call channel or has any channel
 *   VL_COMP_SLOT_NTFN           its notification (bound to its TCB); signals arrive here
 *   VL_COMP_SLOT_FAULT          its fault endpoint: init's supervisor endpoint, badged with
 *                               the component's index + 1 (never unbadged, which a component
 *                               with its CNode could mint with any badge), Write and
 *                               GrantReply only (the kernel
 *                               looks the fault endpoint up in the faulting thread's CSpace)
 *   VL_COMP_SLOT_UNTYPED        only with `untyped` in the description: an untyped of that
 *                               size, part of the component's private memory (a restart
 *                               reclaims it); lib/os allocates kernel objects from it
 *   VL_COMP_SLOT_CNODE          only with `untyped`: its own CNode (guard set so that depth
 *                               64 resolves a slot number, as for the TCB's CSpace root)
 *   VL_COMP_SLOT_VSPACE         only with `untyped`: its own VSpace
 *   VL_COMP_SLOT_TCB            only with `untyped`: its own (main) thread's TCB, whose
 *                               maximum controlled priority is the component's priority
 *   VL_COMP_SLOT_CHANNEL + id   per channel id: a notification cap to the peer's
 *                               notification (notify channels; badge = 1 << peer's id), or
 *                               an endpoint cap to the server's endpoint (call channel,
 *                               client side; badge = VL_COMP_CALL_BADGE | server's id)
 *   VL_COMP_SLOT_IRQ + id       per interrupt: its IRQHandler (the driver acknowledges it)
 *   VL_COMP_SLOT_DEBUG          a debug cap with the rights the description's `debug` grants
 *                               (print if it says nothing); absent with `debug: []`. lib/os
 *                               points lib/sys's vl_debug_cap at it, so printf prints
 *   VL_COMP_SLOT_SHUTDOWN       only with `shutdown: true`: a copy of the Shutdown cap
 *                               (vl_shutdown_power_off / vl_shutdown_reset)
 *   VL_COMP_SLOT_FAULTS         only in a fault handler (a component some other names as its
 *                               `fault_handler`): an endpoint cap to init's supervisor
 *                               endpoint, badged VL_COMP_FAULTS_BADGE | the handler's index,
 *                               Write and GrantReply only, through which lib/os fetches and
 *                               answers its children's faults (faultsvc.h)
 *   VL_COMP_SLOT_CONSOLE        only in the console driver (a device with `console: true`):
 *                               a copy of the UART page's frame cap (Read, Write), on which it
 *                               drains the kernel log (docs/kernel/invocations.md, the console
 *                               frame); the kernel signals bit VL_COMP_CONSOLE_LOG_CHANNEL of
 *                               its notification when output goes into the log
 *
 * With `untyped`, slots [free_slot_start, free_slot_end) of struct vl_comp_info are empty
 * and the component's to use, and [vaddr_window_start, vaddr_window_end) is a part of its
 * address space that init leaves unmapped for it (lib/os maps threads' stacks, IPC buffers
 * and fresh memory there); without it these are all 0.
 *
 * Signals carry a bit per channel id (0..62); protected calls carry VL_COMP_CALL_BADGE
 * (bit 63) plus the server-side channel id. So one Recv on VL_COMP_SLOT_EP tells them
 * apart by the badge alone. In a fault handler, channel id VL_COMP_FAULT_CHANNEL is not a
 * channel: init signals that bit when one of its children has a fault pending. In the
 * console driver, VL_COMP_CONSOLE_LOG_CHANNEL is not a channel either: the kernel signals it.
 *
 * Address space: the program image at its ELF addresses, the heap and stack as
 * docs/system-description.md says, shared and device regions where the description maps
 * them, and at the top:
 *   VL_COMP_INFO_VADDR          struct vl_comp_info, read-only (with the `config` parameters)
 *   VL_IPC_BUFFER_VADDR         the IPC buffer (uapi/vallum/bootinfo.h)
 * The component starts at its ELF entry with sp at the stack top and a0 = VL_COMP_INFO_VADDR.
 */
#pragma once

#include <stdint.h>

#define VL_COMP_CNODE_BITS 8
#define VL_COMP_SLOT_EP 1
#define VL_COMP_SLOT_NTFN 2
#define VL_COMP_SLOT_FAULT 3
#define VL_COMP_SLOT_UNTYPED 4
#define VL_COMP_SLOT_CNODE 5
#define VL_COMP_SLOT_VSPACE 6
#define VL_COMP_SLOT_TCB 7
#define VL_COMP_FREE_SLOT_START 8 /* free slots with `untyped`: [8, 64) */
#define VL_COMP_FREE_SLOT_END 64
#define VL_COMP_SLOT_CHANNEL 64 /* + channel id 0..62 */
#define VL_COMP_SLOT_IRQ 128    /* + channel id 0..62 */
#define VL_COMP_SLOT_DEBUG 192
#define VL_COMP_SLOT_SHUTDOWN 193
#define VL_COMP_SLOT_FAULTS 194
#define VL_COMP_FAULT_CHANNEL 62 /* reserved in fault handlers: "a child's fault is pending" */
#define VL_COMP_SLOT_CONSOLE 195 /* the console driver: a copy of the UART's frame cap */
#define VL_COMP_CONSOLE_LOG_CHANNEL 61 /* reserved in the console driver: "kernel output" */
#define VL_COMP_CALL_BADGE (1ull << 63)

/*
 * Where the programs of a system are linked (`vlsys layout`, which the tree's build and the
 * SDK's follow): the k-th program the description names (in order of first use, as `vlsys
 * programs` lists them) at VL_COMP_PROGRAM_BASE(k), each in its own 16 MiB slot above init's
 * 0x10000. No two programs of a system then share a code address, so a debugger that holds
 * all their symbols tells them apart (docs/debugging.md); components running one program
 * share its code and its addresses. A program's heap may run past its slot: only code
 * addresses need be distinct, and each component maps its own program alone. init loads a
 * program wherever it is linked; 32 slots end at 0x21000000, below 2 GiB, which code built
 * for either RISC-V code model (medlow, medany) reaches.
 */
#define VL_COMP_PROGRAM_SLOT 0x1000000ull
#define VL_COMP_PROGRAM_BASE(k) (((uint64_t)(k) + 1) * VL_COMP_PROGRAM_SLOT)

#define VL_COMP_INFO_VADDR 0x3ffffe0000ull
#define VL_COMP_VADDR_WINDOW_START 0x2000000000ull /* with `untyped`: lib/os's to map */
#define VL_COMP_VADDR_WINDOW_END 0x3000000000ull
#define VL_COMP_MAX_REGIONS 16
#define VL_COMP_MAX_CHANNELS 63
#define VL_COMP_MAX_CONFIG 16     /* `config` parameters (VL_SYSIMG_MAX_CONFIG) */
#define VL_COMP_CONFIG_STR_MAX 63 /* characters of a string value (VL_SYSIMG_MAX_CONFIG_STR) */

enum vl_comp_channel_kind {
    VL_COMP_CH_NONE = 0,
    VL_COMP_CH_NOTIFY = 1, /* may signal the peer; notified by it */
    VL_COMP_CH_CLIENT = 2, /* may call the peer */
    VL_COMP_CH_SERVER = 3, /* is called by the peer */
    VL_COMP_CH_IRQ = 4     /* notified by an interrupt */
};

struct vl_comp_region {
    char name[32];
    uint64_t vaddr;
    uint64_t size;
    uint64_t perms; /* VL_PERM_* of sysimage.h */
    uint64_t paddr; /* a dma region mapped with `paddr: true`: its physical address (the
                       region is contiguous); 0 for every other region */
};

enum vl_comp_config_kind {
    VL_COMP_CONFIG_INT = 1, /* value holds it */
    VL_COMP_CONFIG_STR = 2  /* str holds it */
};

/* One `config` parameter of the description (docs/system-description.md). */
struct vl_comp_config {
    char name[32];                        /* NUL-terminated, at most 31 characters */
    uint64_t kind;                        /* enum vl_comp_config_kind */
    int64_t value;                        /* VL_COMP_CONFIG_INT */
    char str[VL_COMP_CONFIG_STR_MAX + 1]; /* VL_COMP_CONFIG_STR: NUL-terminated, printable */
};

/* Written by init into a read-only page at VL_COMP_INFO_VADDR. */
struct vl_comp_info {
    uint64_t magic; /* VL_COMP_INFO_MAGIC */
    char name[32];
    uint64_t ipc_buffer; /* VL_IPC_BUFFER_VADDR */
    uint64_t heap_start; /* 0 if no heap */
    uint64_t heap_size;
    uint64_t restarts; /* how many times the supervisor restarted this component */
    uint64_t num_regions;
    struct vl_comp_region regions[VL_COMP_MAX_REGIONS];
    uint8_t channels[VL_COMP_MAX_CHANNELS]; /* enum vl_comp_channel_kind per id */
    uint8_t pad;
    uint64_t priority;        /* the component's priority (its TCB's MCP with `untyped`) */
    uint64_t untyped_bits;    /* log2 bytes of the untyped in VL_COMP_SLOT_UNTYPED; 0: none */
    uint64_t free_slot_start; /* empty slots [start, end) for the component; 0 without untyped */
    uint64_t free_slot_end;
    uint64_t vaddr_window_start; /* unmapped window [start, end); 0 without untyped */
    uint64_t vaddr_window_end;
    uint64_t fault_children; /* bit i: this component handles the faults of component i */
    uint64_t num_config;     /* entries of config[] in use, at most VL_COMP_MAX_CONFIG */
    struct vl_comp_config config[VL_COMP_MAX_CONFIG];
};

#define VL_COMP_INFO_MAGIC 0x4f464e49504d4f43ull /* "COMPINFO" */

/* init writes the info page as one frame: it must stay within one page (3024 bytes with 16
 * config parameters). */
_Static_assert(sizeof(struct vl_comp_info) <= 4096, "component info fits one page");
_Static_assert(sizeof(struct vl_comp_config) == 112, "config entry layout");
