/*
 * init: shared declarations of the system builder (build.c), the image checker (image.c),
 * the object allocator (alloc.c) and the supervisor (supervise.c).
 *
 * Memory: every object comes from one RAM untyped, the pool. Objects that outlive a
 * component's restart (its endpoint and notification, shared regions, the supervisor's
 * endpoint) are retyped from the pool directly. Everything private to a component (TCB,
 * VSpace, CNode, page tables, the frames of its program, heap, stack, IPC buffer and info
 * page) comes from a child untyped of the pool that belongs to that component alone, so a
 * restart revokes that one untyped and rebuilds from the same memory.
 */
#pragma once

#include <stdint.h>
#include <vallum/component.h>
#include <vallum/elf.h>
#include <vallum/sys.h>
#include <vallum/sysimage.h>

#include "faultcheck.h"

#define ROOT VL_CAP_INIT_CNODE
#define INIT_DEPTH 64
#define STACK_TOP 0x3ffff00000ull
#define SCRATCH_VADDR 0x2000000000ull /* where init fills frames before handing them over */
/* The badge of component i's fault endpoint cap. Never 0: an unbadged endpoint cap can be
 * minted with any badge, so component 0, holding its own CNode, could have made itself
 * another component's fault endpoint (init restarts or stops that one) or a handler's. */
#define INIT_FAULT_BADGE(i) ((vl_word_t)(i) + 1)
#define INIT_MAX_RESTART_LOG 64 /* restart times remembered per component */

/* A checked system image: pointers into it, valid after image_check() succeeded. */
struct sysimg {
    const uint8_t *base;
    uint64_t size;
    const char *name;
    const struct vl_sysimg_component *comps;
    uint64_t ncomps;
    const struct vl_sysimg_region *regions;
    uint64_t nregions;
    const struct vl_sysimg_map *maps;
    uint64_t nmaps;
    const struct vl_sysimg_channel *channels;
    uint64_t nchannels;
    const struct vl_sysimg_irq *irqs;
    uint64_t nirqs;
    const char *strings;
    uint64_t strings_size;
    const struct vl_sysimg_config *configs;
    uint64_t nconfigs;
};

enum comp_state { COMP_RUNNING, COMP_STOPPED };

/* What init keeps per component. Slots are in init's CNode. */
struct comp {
    unsigned index;
    const char *name;
    const struct vl_sysimg_component *desc;
    struct elf_image elf;
    enum comp_state state;
    vl_cptr_t ep;         /* its endpoint (pool), 0 if it has no channel */
    vl_cptr_t ntfn;       /* its notification (pool) */
    vl_cptr_t ut;         /* its private untyped */
    vl_word_t ut_bits;    /* log2 bytes of ut */
    vl_cptr_t priv_slots; /* first of priv_count slots for caps made from ut */
    vl_word_t priv_count;
    vl_word_t priv_next; /* next free private slot, relative to priv_slots */
    vl_cptr_t tcb, vspace, cnode, ipc_frame;
    vl_cptr_t sc;     /* its thread's scheduling context (give_sched_context in comp.c) */
    vl_cptr_t own_ut; /* with `untyped`: the slot its own untyped was made in (from ut; then
                         moved to its VL_COMP_SLOT_UNTYPED, so this slot is empty), else 0 */
    vl_word_t ncaps;  /* capabilities in its CSpace */
    vl_word_t restarts;
    uint64_t restart_ms[INIT_MAX_RESTART_LOG]; /* times of the restarts, ring */
    struct comp *handler;    /* its `fault_handler`, or NULL: the restart policy decides */
    uint64_t fault_children; /* bit i: it handles component i's faults */
    vl_cptr_t fault_reply;   /* with a handler: the slot for its faulted thread's reply cap */
    vl_cptr_t fault_signal;  /* a handler: its notification, badge 1 << VL_COMP_FAULT_CHANNEL */
};

/* A shared memory region (RAM): its frames, made once from the pool. */
struct region {
    vl_cptr_t frames; /* first of npages consecutive slots */
    vl_word_t npages;
    vl_word_t paddr; /* dma regions: physical address of the first frame (contiguous); else 0 */
};

extern struct sysimg g_img;
extern struct comp g_comps[VL_SYSIMG_MAX_COMPONENTS];
extern struct region g_regions[];
extern vl_cptr_t g_map_frames[]; /* per map: first of its region's npages frame copies */
extern vl_cptr_t g_irq_handlers[];
extern vl_cptr_t g_fault_ep;

/* console.c: the console device (VL_REGION_CONSOLE). console_take takes the UART's page
 * from the kernel into dest and checks it is at reg's paddr (VL_RANGE_ERROR, and the page
 * given back, if not); console_connect, once the components' notifications exist, has the
 * kernel signal the driver's VL_COMP_CONSOLE_LOG_CHANNEL bit for kernel log output. */
extern vl_cptr_t g_console_frame; /* init's original of the UART's frame cap, 0 if none */
extern int g_console_driver;      /* the console driver's index, -1 if none */
int console_take(const struct vl_sysimg_region *reg, vl_cptr_t dest);
int console_connect(void);

/* image.c: checks the image of size bytes at base; prints why and returns -1 if bad. */
int image_check(const void *base, uint64_t size, struct sysimg *img);
const char *image_string(const struct sysimg *img, uint64_t offset);

/* alloc.c */
void alloc_set_bootinfo(const struct vl_bootinfo *bi);
/* Makes the 4 KiB device frame at paddr into slot dest; VL_DELETE_FIRST if given out. */
int alloc_device_frame(vl_word_t paddr, vl_cptr_t dest);
int alloc_init(const struct vl_bootinfo *bi);
vl_cptr_t alloc_slots(vl_word_t n); /* 0 if none left */
int alloc_pool(vl_word_t type, vl_word_t bits, vl_cptr_t slot, vl_word_t n);
int alloc_private(struct comp *c, vl_word_t type, vl_word_t bits, vl_cptr_t *slot);
/* A VSpace from c's private untyped, given an ASID from init's own ASID pool (the one the
 * kernel hands the first task): its 510 free ASIDs serve every component, and a restart
 * frees the ASID with the VSpace. Components get no pool, so none can make a VSpace that
 * works, nor use up the ASIDs of the others. */
int alloc_vspace(struct comp *c, vl_cptr_t *slot);
int alloc_fill_frame(vl_cptr_t frame, const void *src, vl_word_t len, const struct elf_image *elf,
                     unsigned seg, vl_word_t va);
int alloc_map(struct comp *c, vl_cptr_t frame, vl_word_t va, vl_word_t rights, vl_word_t attr);
/* Bytes of ut (2^bits bytes) below its watermark, as the kernel reports it. */
vl_word_t alloc_untyped_in_use(vl_cptr_t ut, vl_word_t bits);
/* Bytes of RAM in use by the system: the pool's, less what its components' untypeds keep
 * free. Measured by the kernel, so a leak on restart shows. */
vl_word_t alloc_memory_in_use(void);

/* build.c */
int build_system(void);
int build_component(struct comp *c);
void build_unmap_shared(struct comp *c);
void build_set_timebase(vl_word_t hz); /* for build_now_ms() */
/* Microseconds in ticks of the time counter (us at most VL_SYSIMG_MAX_PERIOD_US). */
vl_word_t build_us_to_ticks(vl_word_t us);
uint64_t build_now_ms(void);

/* supervise.c */
__attribute__((noreturn)) void supervise(void);
/* Rebuilds c from its program (dropping a pending fault); stops it if that fails. */
void supervise_restart(struct comp *c);
/* Stops c for good (dropping a pending fault) and says why. */
void supervise_stop(struct comp *c, const char *why);
/* What the restart policy says for a fault of c: restart it, or stop it. */
void supervise_by_policy(struct comp *c);

/* faults.c: components with a `fault_handler` (docs/faults.md). */
/* Slots and caps of the fault service, made once by build_system(). */
int faults_plan(void);
/* Whether c's handler can take c's fault now (running, no fault of its own pending). */
int faults_has_handler(const struct comp *c);
/* Hands c's fault, message m just received (MR4.. still in the IPC buffer), to c's handler:
 * saves the reply capability, records it and signals the handler. Returns 0, or -1 if it
 * could not (then the restart policy decides). */
int faults_hand_over(struct comp *c, const struct vl_msg *m);
/* c is down (it faulted): the pending faults of the components it handles go to their
 * restart policy. */
void faults_orphan(struct comp *c);
/* Forgets c's pending fault; its faulted thread stays stopped. */
void faults_drop(struct comp *c);
/* Serves a fault-service request of message m (badge VL_COMP_FAULTS_BADGE | handler);
 * replies at once, never waits for the handler. */
void faults_serve(const struct vl_msg *m);

/* main.c: the system builder's entry, present only in images that embed a system. */
__attribute__((noreturn)) void init_run_system(const struct vl_bootinfo *bi);

/* main.c: how a vl_debug_check() result reads ("hold", "VIOLATED", "not checked ..."). */
const char *init_invariants(int check);
