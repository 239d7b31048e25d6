/*
 * init: builds the system the image describes. Objects that outlive restarts (endpoints,
 * notifications, shared regions, interrupt handlers) are made once by build_system();
 * everything private to a component is made by build_component() from the component's
 * own untyped, so that the supervisor can revoke it and call build_component() again.
 */
#include "init.h"

#include <stdio.h>
#include <string.h>

struct sysimg g_img;
struct comp g_comps[VL_SYSIMG_MAX_COMPONENTS];
struct region g_regions[256];
vl_cptr_t g_map_frames[256];
vl_cptr_t g_irq_handlers[64];
vl_cptr_t g_fault_ep;
static vl_word_t timebase_khz = 10000;

uint64_t
build_now_ms(void)
{
    uint64_t t;
    /* csrr t, time (0xc01), encoded directly: user code is built without Zicsr. */
    __asm__ volatile(".insn i SYSTEM, 2, %0, zero, -1023" : "=r"(t)::"memory");
    return t / timebase_khz;
}

/* Pages and page tables (an upper bound) the area [start, end) needs. */
static void
count_area(uint64_t start, uint64_t end, vl_word_t *pages, vl_word_t *pts)
{
    if (end <= start) {
        return;
    }
    *pages += (end - start) / VL_PAGE_SIZE;
    *pts += ((end - 1) >> 21) - (start >> 21) + 1 + ((end - 1) >> 30) - (start >> 30) + 1;
}

/* Sizes c's private untyped and reserves its slots and, if it has channels, its endpoint. */
static int
plan_component(struct comp *c)
{
    const struct vl_sysimg_component *d = c->desc;
    vl_word_t pages = 2, pts = 0; /* IPC buffer and info page */
    count_area(c->elf.lo, c->elf.hi, &pages, &pts);
    count_area(c->elf.hi + VL_PAGE_SIZE, c->elf.hi + VL_PAGE_SIZE + d->heap_bytes, &pages, &pts);
    count_area(STACK_TOP - d->stack_bytes, STACK_TOP, &pages, &pts);
    pts += 3; /* the reserved area at the top */
    for (uint64_t m = 0; m < g_img.nmaps; m++) {
        const struct vl_sysimg_map *map = &g_img.maps[m];
        if (map->component == c->index) {
            vl_word_t unused = 0;
            count_area(map->vaddr, map->vaddr + g_img.regions[map->region].size, &unused, &pts);
        }
    }
    vl_word_t bytes = (1ul << (VL_COMP_CNODE_BITS + VL_SLOT_BITS)) + VL_PAGE_SIZE +
                      (pages + pts) * VL_PAGE_SIZE + (1ul << VL_TCB_BITS);
    if (d->untyped_bits != 0) {
        /* Its own untyped comes first; below the CNode's size, alignment may cost a CNode. */
        bytes += (1ul << d->untyped_bits) + (1ul << (VL_COMP_CNODE_BITS + VL_SLOT_BITS));
    }
    c->ut_bits = 12;
    while ((1ul << c->ut_bits) < bytes) {
        c->ut_bits++;
    }
    c->priv_count = 4 + pages + pts;
    c->priv_slots = alloc_slots(c->priv_count);
    c->ut = alloc_slots(1);
    c->ntfn = alloc_slots(1);
    if (c->priv_slots == 0 || c->ut == 0 || c->ntfn == 0) {
        return VL_NOT_ENOUGH_MEMORY;
    }
    int err = alloc_pool(VL_OBJ_UNTYPED, c->ut_bits, c->ut, 1);
    if (err == 0) {
        err = alloc_pool(VL_OBJ_NOTIFICATION, 0, c->ntfn, 1);
    }
    return err;
}

/* Gives each component that has a channel or an interrupt an endpoint. */
static int
make_endpoints(void)
{
    for (uint64_t i = 0; i < g_img.nchannels + g_img.nirqs; i++) {
        uint64_t ends[2];
        if (i < g_img.nchannels) {
            ends[0] = g_img.channels[i].a;
            ends[1] = g_img.channels[i].b;
        } else {
            ends[0] = ends[1] = g_img.irqs[i - g_img.nchannels].component;
        }
        for (int e = 0; e < 2; e++) {
            struct comp *c = &g_comps[ends[e]];
            if (c->ep != 0) {
                continue;
            }
            c->ep = alloc_slots(1);
            int err = c->ep == 0 ? VL_NOT_ENOUGH_MEMORY : alloc_pool(VL_OBJ_ENDPOINT, 0, c->ep, 1);
            if (err != 0) {
                return err;
            }
        }
    }
    return 0;
}

static vl_word_t
perms_rights(uint64_t perms)
{
    return VL_RIGHT_READ | ((perms & VL_PERM_W) ? VL_RIGHT_WRITE : 0);
}

/*
 * A dma region's frames: retyped from an untyped of its own (the next power of two of the
 * region's size, cut from the pool), in one run, so they are physically contiguous; each
 * frame's address is checked to be so, and the first is the region's physical address.
 */
static int
make_dma_frames(struct region *reg)
{
    vl_word_t bits = VL_PAGE_BITS;
    while ((1ul << bits) < reg->npages * VL_PAGE_SIZE) {
        bits++;
    }
    vl_cptr_t ut = alloc_slots(1);
    if (ut == 0) {
        return VL_NOT_ENOUGH_MEMORY;
    }
    int err = alloc_pool(VL_OBJ_UNTYPED, bits, ut, 1);
    for (vl_word_t done = 0; err == 0 && done < reg->npages;) {
        vl_word_t k = reg->npages - done > 256 ? 256 : reg->npages - done;
        err = vl_untyped_retype(ut, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, reg->frames + done, k);
        done += k;
    }
    for (vl_word_t i = 0; err == 0 && i < reg->npages; i++) {
        vl_word_t paddr, vaddr;
        err = vl_frame_get_address(reg->frames + i, &paddr, &vaddr);
        if (err == 0 && i == 0) {
            reg->paddr = paddr;
        } else if (err == 0 && paddr != reg->paddr + i * VL_PAGE_SIZE) {
            printf("init: dma frame %lu at 0x%lx, not 0x%lx\n", (unsigned long)i,
                   (unsigned long)paddr, (unsigned long)(reg->paddr + i * VL_PAGE_SIZE));
            err = VL_RANGE_ERROR;
        }
    }
    return err;
}

/* Shared RAM regions (frames from the pool; dma regions contiguous) and one copy of their
 * frames per mapping. */
static int
make_regions(void)
{
    for (uint64_t r = 0; r < g_img.nregions; r++) {
        const struct vl_sysimg_region *reg = &g_img.regions[r];
        g_regions[r].npages = reg->size / VL_PAGE_SIZE;
        g_regions[r].frames = alloc_slots(g_regions[r].npages);
        if (g_regions[r].frames == 0) {
            return VL_NOT_ENOUGH_MEMORY;
        }
        int err = 0;
        if (reg->kind == VL_REGION_DEVICE) {
            for (vl_word_t i = 0; err == 0 && i < g_regions[r].npages; i++) {
                err = alloc_device_frame(reg->paddr + i * VL_PAGE_SIZE, g_regions[r].frames + i);
            }
        } else if ((reg->flags & VL_REGION_DMA) != 0) {
            err = make_dma_frames(&g_regions[r]);
        } else if (reg->kind == VL_REGION_CONSOLE) {
            err = console_take(reg, g_regions[r].frames); /* one page (image.c) */
        } else {
            err = alloc_pool(VL_OBJ_FRAME_4K, 0, g_regions[r].frames, g_regions[r].npages);
        }
        if (err != 0) {
            printf("init: region '%s' at 0x%lx: %s\n", image_string(&g_img, reg->name),
                   (unsigned long)reg->paddr,
                   err == VL_RANGE_ERROR ? "no device memory there (the kernel keeps it?)"
                                         : vl_error_name(err));
            return err;
        }
    }
    for (uint64_t m = 0; m < g_img.nmaps; m++) {
        const struct region *reg = &g_regions[g_img.maps[m].region];
        g_map_frames[m] = alloc_slots(reg->npages);
        if (g_map_frames[m] == 0) {
            return VL_NOT_ENOUGH_MEMORY;
        }
        for (vl_word_t i = 0; i < reg->npages; i++) {
            int err = vl_cnode_copy(ROOT, g_map_frames[m] + i, INIT_DEPTH, ROOT, reg->frames + i,
                                    INIT_DEPTH, perms_rights(g_img.maps[m].perms));
            if (err != 0) {
                return err;
            }
        }
    }
    return 0;
}

/* Interrupt handlers, each signalling its driver's notification with 1 << id. */
static int
make_irqs(void)
{
    for (uint64_t i = 0; i < g_img.nirqs; i++) {
        const struct vl_sysimg_irq *q = &g_img.irqs[i];
        vl_cptr_t h = alloc_slots(2);
        if (h == 0) {
            return VL_NOT_ENOUGH_MEMORY;
        }
        int err = vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, q->irq, ROOT, h, INIT_DEPTH);
        if (err == 0) {
            err = vl_cnode_mint(ROOT, h + 1, INIT_DEPTH, ROOT, g_comps[q->component].ntfn,
                                INIT_DEPTH, VL_RIGHT_WRITE, 1ull << q->id);
        }
        if (err == 0) {
            err = vl_irq_handler_set_notification(h, h + 1);
        }
        if (err != 0) {
            return err;
        }
        g_irq_handlers[i] = h;
    }
    return 0;
}

static void
report(const char *what, int err)
{
    printf("init: cannot build system %s: %s: %s (detail %#lx %#lx)\n", g_img.name, what,
           vl_error_name(err), (unsigned long)vl_last_error.mr[0],
           (unsigned long)vl_last_error.mr[1]);
}

int
build_system(void)
{
    g_fault_ep = alloc_slots(1);
    int err =
        g_fault_ep == 0 ? VL_NOT_ENOUGH_MEMORY : alloc_pool(VL_OBJ_ENDPOINT, 0, g_fault_ep, 1);
    if (err != 0) {
        report("supervisor endpoint", err);
        return -1;
    }
    for (uint64_t i = 0; i < g_img.ncomps; i++) {
        struct comp *c = &g_comps[i];
        c->index = (unsigned)i;
        c->desc = &g_img.comps[i];
        c->name = image_string(&g_img, c->desc->name);
    }
    if ((err = make_endpoints()) != 0) {
        report("endpoints", err);
        return -1;
    }
    for (uint64_t i = 0; i < g_img.ncomps; i++) {
        if ((err = plan_component(&g_comps[i])) != 0) {
            report(g_comps[i].name, err);
            return -1;
        }
    }
    if ((err = faults_plan()) != 0) {
        report("fault handlers", err);
        return -1;
    }
    if ((err = make_regions()) != 0) {
        report("memory regions", err);
        return -1;
    }
    if ((err = make_irqs()) != 0) {
        report("interrupts", err);
        return -1;
    }
    if ((err = console_connect()) != 0) {
        report("console", err);
        return -1;
    }
    for (uint64_t i = 0; i < g_img.ncomps; i++) {
        struct comp *c = &g_comps[i];
        if (build_component(c) != 0) {
            return -1;
        }
        printf("init: started %s (prio %lu, %lu caps, %lu KiB)\n", c->name,
               (unsigned long)c->desc->priority, (unsigned long)c->ncaps,
               (unsigned long)(alloc_untyped_in_use(c->ut, c->ut_bits) / 1024));
    }
    return 0;
}

void
build_set_timebase(vl_word_t hz)
{
    if (hz >= 1000) {
        timebase_khz = hz / 1000;
    }
}

vl_word_t
build_us_to_ticks(vl_word_t us)
{
    return us * timebase_khz / 1000;
}
