/*
 * Boot: read the device tree, set up the platform, build the first task (init) from the
 * ELF image linked into the kernel, and hand every remaining byte of memory to init as
 * untyped capabilities. Boot failures panic; nothing here is reachable from user space.
 */
#include <vallum/bootinfo.h>
#include <vallum/objects.h>

#include "api/syscall.h"
#include "arch/asid.h"
#include "arch/machine.h"
#include "arch/riscv.h"
#include "config.h"
#include "kernel/fdt.h"
#include "kernel/refill.h"
#include "kernel/thread.h"
#include "object/cap.h"
#include "object/objecttype.h"
#include "plat/console.h"
#include "plat/plat.h"

NORETURN void kernel_main(word_t hartid, paddr_t dtb_pa);
NORETURN void kernel_exit(void);
void vspace_boot_finish(void);
void plat_plic_init(paddr_t base, word_t ndev, word_t ctx);
extern char trap_entry[];
extern char _end[];
word_t kernel_entry_cycle; /* written by head.S before anything else runs */
extern const char init_image_start[], init_image_end[];

#define MAX_FREE 64
#define INIT_ASID 1

struct region {
    paddr_t start;
    paddr_t end;
};

static struct region free_mem[MAX_FREE];
static word_t n_free;
static struct fdt_platform platform;

/* Idle thread: never in a queue, never runs user code (the kernel waits in wfi). */
static struct {
    struct cte slots[TCB_NUM_SLOTS];
    struct tcb tcb;
} idle_obj __attribute__((aligned(1024)));

/* The first task's objects, as boot builds them. */
static struct {
    struct cte *cnode; /* its root CNode's slots */
    word_t next_slot;  /* first unused slot */
    struct cte *last;  /* last cap inserted into the derivation list */
    word_t *root;      /* VSpace root */
    struct vl_bootinfo *bi;
} init;

static void
remove_range(paddr_t start, paddr_t end)
{
    for (word_t i = 0; i < n_free; i++) {
        struct region *r = &free_mem[i];
        if (end <= r->start || start >= r->end) {
            continue;
        }
        if (start > r->start && end < r->end) {
            if (n_free == MAX_FREE) {
                panic("boot: too many memory regions");
            }
            free_mem[n_free].start = end;
            free_mem[n_free].end = r->end;
            n_free++;
            r->end = start;
        } else if (start <= r->start) {
            r->start = MIN(end, r->end);
        } else {
            r->end = start;
        }
    }
}

/* Allocates 2^bits zeroed bytes, aligned to their size, from free memory. */
static void *
boot_alloc(word_t bits)
{
    for (word_t i = 0; i < n_free; i++) {
        struct region *r = &free_mem[i];
        paddr_t start = ROUND_UP(r->start, bits);
        if (start < r->start || start + BIT(bits) > r->end) {
            continue;
        }
        remove_range(start, start + BIT(bits));
        void *p = paddr_to_pptr(start);
        memset(p, 0, BIT(bits));
        return p;
    }
    panic("boot: out of memory building the first task");
}

/* Puts cap into the next slot of init's CNode as an original cap; returns the slot index. */
static word_t
provide_cap(cap_t cap)
{
    if (init.next_slot >= BIT(VL_INIT_CNODE_BITS)) {
        panic("boot: first task's CNode is full");
    }
    struct cte *slot = &init.cnode[init.next_slot];
    cte_insert_original(cap, init.last, slot);
    init.last = slot;
    return init.next_slot++;
}

static word_t *
alloc_table(void *ctx, vaddr_t va, int level)
{
    (void)ctx;
    word_t *table = boot_alloc(VL_PAGE_TABLE_BITS);
    cap_t cap = cap_set_small(cap_page_table(table), (word_t)level);
    cap.w1 = cap_mapping(ROUND_DOWN(va, 12 + 9 * level), INIT_ASID);
    provide_cap(cap);
    return table;
}

/* Maps a fresh frame at va in init's VSpace (or returns the one already there). */
static void *
map_frame(vaddr_t va, word_t flags, word_t rights)
{
    word_t *pt = init.root;
    for (int l = 2; l > 0 && pt != NULL; l--) {
        word_t pte = pt[pt_index(va, l)];
        pt = (pte & PTE_V) ? paddr_to_pptr(pte_paddr(pte)) : NULL;
    }
    if (pt != NULL && (pt[pt_index(va, 0)] & PTE_V)) {
        pt[pt_index(va, 0)] |= flags;
        return paddr_to_pptr(pte_paddr(pt[pt_index(va, 0)]));
    }
    void *frame = boot_alloc(VL_FRAME_4K_BITS);
    vspace_boot_map(init.root, va, pptr_to_paddr(frame), flags, alloc_table, NULL);
    cap_t cap = cap_frame(frame, FRAME_4K, false, rights);
    cap.w1 = cap_mapping(va, INIT_ASID);
    provide_cap(cap);
    return frame;
}

/* ELF64 structures, only what the loader reads. */
struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* Loads the init ELF into init's VSpace; returns its entry point. */
static vaddr_t
load_init_image(void)
{
    const char *img = init_image_start;
    word_t size = (word_t)((uintptr_t)init_image_end - (uintptr_t)init_image_start);
    const struct elf64_ehdr *eh = (const void *)img;
    if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) != 0 || eh->ident[4] != 2 ||
        eh->machine != 243 || eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff > size ||
        eh->phnum > (size - eh->phoff) / sizeof(struct elf64_phdr)) {
        panic("boot: init image is not a valid RISC-V ELF64");
    }
    vaddr_t lo = ~0ul, hi = 0;
    const struct elf64_phdr *ph = (const void *)(img + eh->phoff);
    for (word_t i = 0; i < eh->phnum; i++) {
        if (ph[i].type != 1 /* PT_LOAD */ || ph[i].memsz == 0) {
            continue;
        }
        if (ph[i].filesz > ph[i].memsz || ph[i].offset > size ||
            ph[i].filesz > size - ph[i].offset || ph[i].vaddr >= VL_USER_TOP ||
            ph[i].memsz > VL_USER_TOP - ph[i].vaddr) {
            panic("boot: init image segment out of bounds");
        }
        word_t flags = PTE_R | ((ph[i].flags & 2) ? PTE_W : 0) | ((ph[i].flags & 1) ? PTE_X : 0);
        vaddr_t start = ROUND_DOWN(ph[i].vaddr, 12);
        vaddr_t end = ROUND_UP(ph[i].vaddr + ph[i].memsz, 12);
        for (vaddr_t va = start; va < end; va += VL_PAGE_SIZE) {
            char *frame = map_frame(va, flags, VL_RIGHTS_ALL);
            /* Copy the part of the file image that falls in this page. */
            vaddr_t from = MAX(va, ph[i].vaddr);
            vaddr_t to = MIN(va + VL_PAGE_SIZE, ph[i].vaddr + ph[i].filesz);
            if (from < to) {
                memcpy(frame + (from - va), img + ph[i].offset + (from - ph[i].vaddr), to - from);
            }
        }
        lo = MIN(lo, start);
        hi = MAX(hi, end);
    }
    init.bi->image_start = lo;
    init.bi->image_end = hi;
    return eh->entry;
}

/* Splits [start, end) into aligned power-of-two untyped caps. */
static void
provide_untyped(paddr_t start, paddr_t end, bool is_device)
{
    start = ROUND_UP(start, VL_MIN_UNTYPED_BITS);
    struct vl_bootinfo *bi = init.bi;
    while (start < end && end - start >= BIT(VL_MIN_UNTYPED_BITS)) {
        word_t bits = start == 0 ? VL_MAX_UNTYPED_BITS : bit_lsb(start);
        bits = MIN(bits, VL_MAX_UNTYPED_BITS);
        while (BIT(bits) > end - start) {
            bits--;
        }
        if (bi->num_untyped == VL_BOOTINFO_MAX_UNTYPED) {
            kprintf("vallum: boot: untyped list full, %lx bytes at %lx not handed out\n",
                    (unsigned long)(end - start), (unsigned long)start);
            return;
        }
        /* RAM untyped starts "dirty" (watermark at the top): its first use clears it. */
        cap_t cap = cap_untyped(paddr_to_pptr(start), bits, is_device, is_device ? 0 : BIT(bits));
        provide_cap(cap);
        struct vl_untyped_desc *d = &bi->untyped_list[bi->num_untyped++];
        d->paddr = start;
        d->size_bits = (uint8_t)bits;
        d->is_device = is_device;
        start += BIT(bits);
    }
}

/* Hands out device memory: all physical addresses in the window that are not RAM and not
 * the kernel's own devices (the PLIC and the console UART). */
static void
provide_device_untypeds(void)
{
    struct region dev[MAX_FREE];
    word_t n = 1;
    dev[0].start = 0;
    dev[0].end = PPTR_MAP_GIB << 30;
    struct region saved[MAX_FREE];
    word_t saved_n = n_free;
    memcpy(saved, free_mem, sizeof(saved));
    memcpy(free_mem, dev, sizeof(dev[0]) * n);
    n_free = n;
    for (unsigned i = 0; i < platform.num_memory; i++) {
        remove_range(platform.memory[i].base, platform.memory[i].base + platform.memory[i].size);
    }
    if (platform.plic_base != 0) {
        remove_range(platform.plic_base, platform.plic_base + platform.plic_size);
    }
    if (platform.uart_base != 0) {
        remove_range(ROUND_DOWN(platform.uart_base, 12), ROUND_UP(platform.uart_base + 1, 12));
    }
    if (platform.test_base != 0) {
        remove_range(ROUND_DOWN(platform.test_base, 12), ROUND_UP(platform.test_base + 1, 12));
    }
    for (unsigned i = 0; i < platform.num_reserved; i++) {
        remove_range(platform.reserved[i].base,
                     platform.reserved[i].base + platform.reserved[i].size);
    }
    memcpy(dev, free_mem, sizeof(dev[0]) * n_free);
    n = n_free;
    memcpy(free_mem, saved, sizeof(saved));
    n_free = saved_n;
    for (word_t i = 0; i < n; i++) {
        provide_untyped(dev[i].start, dev[i].end, true);
    }
}

#ifdef CONFIG_MCS
/*
 * Binds the first task to a context of its own with a full share (budget = period = one
 * scheduler tick): with contexts enforced no thread runs without one. The context is
 * boot memory, like the idle thread, and no cap names it: the first task cannot unbind,
 * reconfigure or free it, and makes contexts for the threads it creates.
 */
static void
init_sched_context(struct tcb *t)
{
    struct sched_context *sc = boot_alloc(VL_SCHED_CONTEXT_BITS);
    word_t period = MAX(platform.timebase_hz / 1000000 * CONFIG_TICK_US, VL_SC_MIN_BUDGET);
    refill_reset(&sc->refills, period, period, plat_time_now());
    sc->tcb = t;
    t->sc = sc;
    t->sc_full_share = true;
}
#else
static void
init_sched_context(struct tcb *t)
{
    (void)t;
}
#endif

static void
create_init(void)
{
    init.cnode = boot_alloc(VL_INIT_CNODE_BITS + VL_SLOT_BITS);
    init.next_slot = VL_NUM_INIT_SLOTS;
    init.last = &cdt_root;
    init.root = boot_alloc(VL_VSPACE_BITS);
    arch_vspace_init(init.root);
    cap_t pool = asid_boot_pool(boot_alloc(VL_ASID_POOL_BITS), init.root, INIT_ASID);
    void *tcb_obj = boot_alloc(VL_TCB_BITS);
    struct tcb *t = tcb_from_obj(tcb_obj);
    thread_init(t);

    /* The fixed slots, in order. */
    struct cte *cn = init.cnode;
    cte_insert_original(cap_tcb(tcb_obj), init.last, &cn[VL_CAP_INIT_TCB]);
    cte_insert_original(cap_cnode(cn, VL_INIT_CNODE_BITS, 64 - VL_INIT_CNODE_BITS, 0),
                        &cn[VL_CAP_INIT_TCB], &cn[VL_CAP_INIT_CNODE]);
    cte_insert_original(cap_vspace(init.root, INIT_ASID), &cn[VL_CAP_INIT_CNODE],
                        &cn[VL_CAP_INIT_VSPACE]);
    cte_insert_original(cap_irq_control(), &cn[VL_CAP_INIT_VSPACE], &cn[VL_CAP_IRQ_CONTROL_SLOT]);
    cte_insert_original(cap_asid_control(), &cn[VL_CAP_IRQ_CONTROL_SLOT],
                        &cn[VL_CAP_ASID_CONTROL_SLOT]);
    cte_insert_original(cap_debug(VL_DEBUG_RIGHTS_ALL), &cn[VL_CAP_ASID_CONTROL_SLOT],
                        &cn[VL_CAP_DEBUG_SLOT]);
    cte_insert_original(cap_shutdown(), &cn[VL_CAP_DEBUG_SLOT], &cn[VL_CAP_SHUTDOWN_SLOT]);
    cte_insert_original(cap_sched_control(), &cn[VL_CAP_SHUTDOWN_SLOT],
                        &cn[VL_CAP_SCHED_CONTROL_SLOT]);
    init.last = &cn[VL_CAP_SCHED_CONTROL_SLOT];

    /* Its ASID pool (ASIDs 0..511, its own among them), in the first slot after the fixed
     * ones: bootinfo.asid_pool says which. */
    word_t pool_slot = provide_cap(pool);

    /* Boot info and IPC buffer pages. */
    init.bi = boot_alloc(VL_PAGE_BITS);
    vspace_boot_map(init.root, VL_BOOTINFO_VADDR, pptr_to_paddr(init.bi), PTE_R, alloc_table, NULL);
    void *ipcbuf = boot_alloc(VL_PAGE_BITS);
    vspace_boot_map(init.root, VL_IPC_BUFFER_VADDR, pptr_to_paddr(ipcbuf), PTE_R | PTE_W,
                    alloc_table, NULL);
    cap_t bicap = cap_frame(init.bi, FRAME_4K, false, VL_RIGHT_READ);
    bicap.w1 = cap_mapping(VL_BOOTINFO_VADDR, INIT_ASID);
    cte_insert_original(bicap, init.last, &cn[VL_CAP_BOOTINFO_FRAME]);
    cap_t bufcap = cap_frame(ipcbuf, FRAME_4K, false, VL_RIGHTS_ALL);
    bufcap.w1 = cap_mapping(VL_IPC_BUFFER_VADDR, INIT_ASID);
    cte_insert_original(bufcap, &cn[VL_CAP_BOOTINFO_FRAME], &cn[VL_CAP_INIT_IPC_BUFFER]);
    init.last = &cn[VL_CAP_INIT_IPC_BUFFER];

    /* Program image, stack, device tree. */
    struct vl_bootinfo *bi = init.bi;
    bi->asid_pool = pool_slot;
    bi->image_frames.start = pool_slot + 1;
    vaddr_t entry = load_init_image();
    for (word_t i = 1; i <= VL_INIT_STACK_PAGES; i++) {
        map_frame(VL_INIT_STACK_TOP - i * VL_PAGE_SIZE, PTE_R | PTE_W, VL_RIGHTS_ALL);
    }
    bi->image_frames.end = init.next_slot;

    /* The thread. */
    cte_insert(cn[VL_CAP_INIT_CNODE].cap, &cn[VL_CAP_INIT_CNODE], tcb_slot(t, TCB_CTABLE));
    cte_insert(cn[VL_CAP_INIT_VSPACE].cap, &cn[VL_CAP_INIT_VSPACE], tcb_slot(t, TCB_VTABLE));
    cap_t bufcopy;
    (void)cap_derive(&cn[VL_CAP_INIT_IPC_BUFFER], bufcap, &bufcopy);
    cte_insert(bufcopy, &cn[VL_CAP_INIT_IPC_BUFFER], tcb_slot(t, TCB_BUFFER));
    t->ipc_buffer = VL_IPC_BUFFER_VADDR;
    t->priority = VL_MAX_PRIORITY;
    t->mcp = VL_MAX_PRIORITY;
    t->regs[0] = entry;
    t->regs[2] = VL_INIT_STACK_TOP;
    t->regs[10] = VL_BOOTINFO_VADDR;
    memcpy(t->name, "init", 5);
    t->state = TS_RUNNING;
    init_sched_context(t);
    sched_enqueue(t);
}

static void
copy_dtb_to_init(const void *dtb, word_t size)
{
    struct vl_bootinfo *bi = init.bi;
    for (word_t off = 0; off < size; off += VL_PAGE_SIZE) {
        char *frame = map_frame(VL_DTB_VADDR + off, PTE_R, VL_RIGHT_READ);
        memcpy(frame, (const char *)dtb + off, MIN(VL_PAGE_SIZE, size - off));
    }
    bi->dtb_vaddr = VL_DTB_VADDR;
    bi->dtb_size = size;
    bi->image_frames.end = init.next_slot;
}

static void
finish_bootinfo(paddr_t kernel_end)
{
    struct vl_bootinfo *bi = init.bi;
    bi->magic = VL_BOOTINFO_MAGIC;
    bi->version = VL_BOOTINFO_VERSION;
    bi->init_cnode_bits = VL_INIT_CNODE_BITS;
    bi->ipc_buffer = VL_IPC_BUFFER_VADDR;
    bi->timebase_hz = platform.timebase_hz;
    bi->kernel_entry_cycle = kernel_entry_cycle;
    bi->kernel_paddr_start = KERNEL_PBASE;
    bi->kernel_paddr_end = kernel_end;
    bi->untyped.start = init.next_slot;
    for (word_t i = 0; i < n_free; i++) {
        provide_untyped(free_mem[i].start, free_mem[i].end, false);
    }
    provide_device_untypeds();
    bi->untyped.end = init.next_slot;
    bi->empty.start = init.next_slot;
    bi->empty.end = BIT(VL_INIT_CNODE_BITS);
}

void
kernel_main(word_t hartid, paddr_t dtb_pa)
{
    (void)hartid;
    vspace_boot_finish();
    csr_write(stvec, (word_t)(uintptr_t)trap_entry);
    csr_write(sscratch, 0);
    csr_clear(sstatus, SSTATUS_SPP | SSTATUS_SIE); /* sret goes to U-mode; kernel runs masked */
    /* No thread may see another's f-registers: the kernel keeps no per-thread FP state,
     * so the FPU is off for user space (an F/D instruction faults); trap.S keeps it off. */
    csr_clear(sstatus, SSTATUS_FS);
    const void *dtb = paddr_to_pptr(dtb_pa);
    long dtb_size = fdt_check_header(dtb, 1ul << 20);
    int err = dtb_size > 0 ? fdt_parse_platform(dtb, (size_t)dtb_size, &platform) : (int)dtb_size;
    if (err != FDT_OK) {
        kprintf("KERNEL PANIC: device tree at %lx unusable: %s\n", (unsigned long)dtb_pa,
                fdt_strerror(err));
        plat_halt(5);
    }
    console_init(platform.uart_base, platform.uart_reg_shift);
    plat_set_test_device(platform.test_base);
    kprintf("Vallum kernel: %u hart(s), timebase %lu Hz, %u memory region(s)\n", platform.num_harts,
            (unsigned long)platform.timebase_hz, platform.num_memory);

    /* Free memory: RAM in the kernel window minus firmware, kernel image and device tree. */
    for (unsigned i = 0; i < platform.num_memory && n_free < MAX_FREE; i++) {
        paddr_t start = platform.memory[i].base;
        paddr_t end = MIN(start + platform.memory[i].size, PPTR_MAP_GIB << 30);
        if (start < end) {
            free_mem[n_free].start = start;
            free_mem[n_free].end = end;
            n_free++;
        }
    }
    for (unsigned i = 0; i < platform.num_reserved; i++) {
        remove_range(platform.reserved[i].base,
                     platform.reserved[i].base + platform.reserved[i].size);
    }
    paddr_t kernel_end = ROUND_UP(pptr_to_paddr(_end), 12);
    remove_range(KERNEL_PBASE, kernel_end);
    remove_range(ROUND_DOWN(dtb_pa, 12), ROUND_UP(dtb_pa + (paddr_t)dtb_size, 12));

    if (platform.plic_base != 0 && platform.plic_s_context >= 0) {
        plat_plic_init(platform.plic_base, platform.plic_ndev, (word_t)platform.plic_s_context);
    }
    ks_idle_thread = &idle_obj.tcb;
    ks_idle_thread->state = TS_IDLE;
    memcpy(ks_idle_thread->name, "idle", 5);
    ks_cur_thread = ks_idle_thread;
    ks_sched_action = SCHED_CHOOSE_NEW;

    create_init();
    copy_dtb_to_init(dtb, (word_t)dtb_size);
    finish_bootinfo(kernel_end);
    kprintf("Vallum kernel: starting init (%lu untyped caps)\n",
            (unsigned long)init.bi->num_untyped);

    plat_timer_init(platform.timebase_hz, platform.has_sstc);
    csr_set(sie, SIE_STIE | SIE_SEIE);
    kernel_exit();
}
