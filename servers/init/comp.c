/*
 * init: builds one component from its private untyped (init.h): its program image, heap,
 * stack, IPC buffer and info page, its CSpace exactly as component.h lays it out, and its
 * thread, which it then starts. Used at start-up and for every restart.
 */
#include "init.h"

#include <stdio.h>
#include <string.h>

static int
fail(struct comp *c, const char *what, int err)
{
    printf("init: cannot build %s: %s: %s (detail %#lx %#lx)\n", c->name, what, vl_error_name(err),
           (unsigned long)vl_last_error.mr[0], (unsigned long)vl_last_error.mr[1]);
    return -1;
}

/* Maps fresh zeroed frames over [start, end) with rights, never executable. */
static int
map_zero(struct comp *c, uint64_t start, uint64_t end, vl_word_t rights)
{
    for (uint64_t va = start; va < end; va += VL_PAGE_SIZE) {
        vl_cptr_t f;
        int err = alloc_private(c, VL_OBJ_FRAME_4K, 0, &f);
        if (err == 0) {
            err = alloc_map(c, f, va, rights, VL_MAP_EXECUTE_NEVER);
        }
        if (err != 0) {
            return err;
        }
    }
    return 0;
}

static int
load_program(struct comp *c)
{
    const struct elf_image *img = &c->elf;
    for (unsigned i = 0; i < img->num_segments; i++) {
        const struct elf_segment *s = &img->seg[i];
        vl_word_t rights = VL_RIGHT_READ | ((s->flags & ELF_W) ? VL_RIGHT_WRITE : 0);
        vl_word_t attr = (s->flags & ELF_X) ? 0 : VL_MAP_EXECUTE_NEVER;
        for (uint64_t va = s->vaddr & ~(VL_PAGE_SIZE - 1); va < s->vaddr + s->memsz;
             va += VL_PAGE_SIZE) {
            vl_cptr_t f;
            int err = alloc_private(c, VL_OBJ_FRAME_4K, 0, &f);
            if (err == 0) {
                err = alloc_fill_frame(f, NULL, 0, img, i, va);
            }
            if (err == 0) {
                err = alloc_map(c, f, va, rights, attr);
            }
            if (err != 0) {
                return err;
            }
        }
    }
    return 0;
}

/* Fills info with what c finds on its info page. */
static void
fill_info(struct comp *c, struct vl_comp_info *info)
{
    memset(info, 0, sizeof(*info));
    info->magic = VL_COMP_INFO_MAGIC;
    strncpy(info->name, c->name, sizeof(info->name) - 1);
    info->ipc_buffer = VL_IPC_BUFFER_VADDR;
    if (c->desc->heap_bytes > 0) {
        info->heap_start = c->elf.hi + VL_PAGE_SIZE;
        info->heap_size = c->desc->heap_bytes;
    }
    info->restarts = c->restarts;
    info->priority = c->desc->priority;
    info->fault_children = c->fault_children;
    if (c->desc->untyped_bits != 0) {
        info->untyped_bits = c->desc->untyped_bits;
        info->free_slot_start = VL_COMP_FREE_SLOT_START;
        info->free_slot_end = VL_COMP_FREE_SLOT_END;
        info->vaddr_window_start = VL_COMP_VADDR_WINDOW_START;
        info->vaddr_window_end = VL_COMP_VADDR_WINDOW_END;
    }
    for (uint64_t m = 0; m < g_img.nmaps; m++) {
        const struct vl_sysimg_map *map = &g_img.maps[m];
        if (map->component != c->index || info->num_regions >= VL_COMP_MAX_REGIONS) {
            continue;
        }
        struct vl_comp_region *r = &info->regions[info->num_regions++];
        strncpy(r->name, image_string(&g_img, g_img.regions[map->region].name),
                sizeof(r->name) - 1);
        r->vaddr = map->vaddr;
        r->size = g_img.regions[map->region].size;
        r->perms = map->perms;
        /* image_check() saw to it that only a driver's map of a dma region has the flag. */
        r->paddr = (map->flags & VL_MAP_PADDR) != 0 ? g_regions[map->region].paddr : 0;
    }
    /* image_check() saw to it that names, strings and counts fit. */
    for (uint64_t i = 0; i < g_img.nconfigs; i++) {
        const struct vl_sysimg_config *cfg = &g_img.configs[i];
        if (cfg->component != c->index || info->num_config >= VL_COMP_MAX_CONFIG) {
            continue;
        }
        struct vl_comp_config *out = &info->config[info->num_config++];
        strncpy(out->name, image_string(&g_img, cfg->name), sizeof(out->name) - 1);
        if (cfg->kind == VL_CONFIG_INT) {
            out->kind = VL_COMP_CONFIG_INT;
            out->value = (int64_t)cfg->value;
        } else {
            out->kind = VL_COMP_CONFIG_STR;
            strncpy(out->str, image_string(&g_img, cfg->value), sizeof(out->str) - 1);
        }
    }
}

static int
map_shared(struct comp *c)
{
    for (uint64_t m = 0; m < g_img.nmaps; m++) {
        const struct vl_sysimg_map *map = &g_img.maps[m];
        if (map->component != c->index) {
            continue;
        }
        vl_word_t rights = VL_RIGHT_READ | ((map->perms & VL_PERM_W) ? VL_RIGHT_WRITE : 0);
        vl_word_t attr = (map->perms & VL_PERM_X) ? 0 : VL_MAP_EXECUTE_NEVER;
        for (vl_word_t i = 0; i < g_regions[map->region].npages; i++) {
            int err =
                alloc_map(c, g_map_frames[m] + i, map->vaddr + i * VL_PAGE_SIZE, rights, attr);
            if (err != 0) {
                return err;
            }
        }
    }
    return 0;
}

void
build_unmap_shared(struct comp *c)
{
    for (uint64_t m = 0; m < g_img.nmaps; m++) {
        if (g_img.maps[m].component != c->index) {
            continue;
        }
        for (vl_word_t i = 0; i < g_regions[g_img.maps[m].region].npages; i++) {
            vl_frame_unmap(g_map_frames[m] + i);
        }
    }
}

/* Places src (a cap in init's CNode) in slot of c's CNode, with rights and badge. */
static int
give(struct comp *c, vl_word_t slot, vl_cptr_t src, vl_word_t rights, vl_word_t badge)
{
    int err =
        vl_cnode_mint(c->cnode, slot, VL_COMP_CNODE_BITS, ROOT, src, INIT_DEPTH, rights, badge);
    if (err == 0) {
        c->ncaps++;
    }
    return err;
}

/* The rights of a debug cap for the description's VL_SYSIMG_DEBUG_* bits. */
static vl_word_t
debug_rights(uint64_t debug)
{
    return ((debug & VL_SYSIMG_DEBUG_PRINT) ? VL_DEBUG_RIGHT_PRINT : 0) |
           ((debug & VL_SYSIMG_DEBUG_HALT) ? VL_DEBUG_RIGHT_HALT : 0) |
           ((debug & VL_SYSIMG_DEBUG_CHECK) ? VL_DEBUG_RIGHT_CHECK : 0);
}

/* Fills c's CSpace per component.h and records the channel kinds in info. */
static int
fill_cspace(struct comp *c, struct vl_comp_info *info)
{
    int err = 0;
    if (c->ep != 0) {
        err = give(c, VL_COMP_SLOT_EP, c->ep, VL_RIGHT_READ | VL_RIGHT_WRITE, 0);
    }
    if (err == 0) {
        err = give(c, VL_COMP_SLOT_NTFN, c->ntfn, VL_RIGHT_READ | VL_RIGHT_WRITE, 0);
    }
    if (err == 0) {
        err = give(c, VL_COMP_SLOT_FAULT, g_fault_ep, VL_RIGHT_WRITE | VL_RIGHT_GRANT_REPLY,
                   INIT_FAULT_BADGE(c->index));
    }
    if (err == 0 && c->own_ut != 0) {
        /* Untyped caps are never copied: move it, so it stays a child of c->ut. */
        err = vl_cnode_move(c->cnode, VL_COMP_SLOT_UNTYPED, VL_COMP_CNODE_BITS, ROOT, c->own_ut,
                            INIT_DEPTH);
        if (err == 0) {
            c->ncaps++;
            /* The guard makes depth 64 resolve a slot number, as in the TCB's root. */
            err = give(c, VL_COMP_SLOT_CNODE, c->cnode, VL_RIGHTS_ALL,
                       VL_WORD_BITS - VL_COMP_CNODE_BITS);
        }
        if (err == 0) {
            err = give(c, VL_COMP_SLOT_VSPACE, c->vspace, VL_RIGHTS_ALL, 0);
        }
    }
    uint64_t kernel_caps = c->desc->kernel_caps;
    if (err == 0 && (kernel_caps & VL_SYSIMG_DEBUG_ALL) != 0) {
        err = give(c, VL_COMP_SLOT_DEBUG, VL_CAP_DEBUG_SLOT, debug_rights(kernel_caps), 0);
    }
    if (err == 0 && (kernel_caps & VL_SYSIMG_SHUTDOWN) != 0) {
        err = give(c, VL_COMP_SLOT_SHUTDOWN, VL_CAP_SHUTDOWN_SLOT, VL_RIGHTS_ALL, 0);
    }
    if (err == 0 && (int)c->index == g_console_driver) {
        err = give(c, VL_COMP_SLOT_CONSOLE, g_console_frame, VL_RIGHT_READ | VL_RIGHT_WRITE, 0);
    }
    if (err == 0 && c->fault_children != 0) {
        /* Its side of the fault service: calls only, badged with its index (faults.c). */
        err = give(c, VL_COMP_SLOT_FAULTS, g_fault_ep, VL_RIGHT_WRITE | VL_RIGHT_GRANT_REPLY,
                   VL_COMP_FAULTS_BADGE | c->index);
    }
    for (uint64_t i = 0; err == 0 && i < g_img.nchannels; i++) {
        const struct vl_sysimg_channel *ch = &g_img.channels[i];
        if (ch->a != c->index && ch->b != c->index) {
            continue;
        }
        int is_a = ch->a == c->index;
        uint64_t id = is_a ? ch->a_id : ch->b_id;
        const struct comp *peer = &g_comps[is_a ? ch->b : ch->a];
        uint64_t peer_id = is_a ? ch->b_id : ch->a_id;
        if (ch->kind == VL_CHANNEL_NOTIFY) {
            info->channels[id] = VL_COMP_CH_NOTIFY;
            err = give(c, VL_COMP_SLOT_CHANNEL + id, peer->ntfn, VL_RIGHT_WRITE, 1ull << peer_id);
        } else if (is_a) {
            /* Grant only if the description asks: with it the client may pass the server
             * any cap it holds; without it the kernel transfers none (VL_CHANNEL_GRANT). */
            vl_word_t rights = VL_RIGHT_WRITE | VL_RIGHT_GRANT_REPLY |
                               ((ch->flags & VL_CHANNEL_GRANT) ? VL_RIGHT_GRANT : 0);
            info->channels[id] = VL_COMP_CH_CLIENT;
            err =
                give(c, VL_COMP_SLOT_CHANNEL + id, peer->ep, rights, VL_COMP_CALL_BADGE | peer_id);
        } else {
            info->channels[id] = VL_COMP_CH_SERVER;
        }
    }
    for (uint64_t i = 0; err == 0 && i < g_img.nirqs; i++) {
        if (g_img.irqs[i].component == c->index) {
            info->channels[g_img.irqs[i].id] = VL_COMP_CH_IRQ;
            err = give(c, VL_COMP_SLOT_IRQ + g_img.irqs[i].id, g_irq_handlers[i], VL_RIGHTS_ALL, 0);
        }
    }
    return err;
}

/* The address space: program, heap, stack, shared regions, IPC buffer and info page. */
static int
build_vspace(struct comp *c, struct vl_comp_info *info)
{
    const struct vl_sysimg_component *d = c->desc;
    vl_word_t rw = VL_RIGHT_READ | VL_RIGHT_WRITE;
    int err = load_program(c);
    if (err != 0) {
        return fail(c, "program", err);
    }
    uint64_t heap = c->elf.hi + VL_PAGE_SIZE;
    if ((err = map_zero(c, heap, heap + d->heap_bytes, rw)) != 0) {
        return fail(c, "heap", err);
    }
    if ((err = map_zero(c, STACK_TOP - d->stack_bytes, STACK_TOP, rw)) != 0) {
        return fail(c, "stack", err);
    }
    if ((err = map_shared(c)) != 0) {
        return fail(c, "shared regions", err);
    }
    if ((err = alloc_private(c, VL_OBJ_FRAME_4K, 0, &c->ipc_frame)) != 0 ||
        (err = alloc_map(c, c->ipc_frame, VL_IPC_BUFFER_VADDR, rw, VL_MAP_EXECUTE_NEVER)) != 0) {
        return fail(c, "IPC buffer", err);
    }
    vl_cptr_t f;
    if ((err = alloc_private(c, VL_OBJ_FRAME_4K, 0, &f)) != 0 ||
        (err = alloc_fill_frame(f, info, sizeof(*info), NULL, 0, 0)) != 0 ||
        (err = alloc_map(c, f, VL_COMP_INFO_VADDR, VL_RIGHT_READ, VL_MAP_EXECUTE_NEVER)) != 0) {
        return fail(c, "info page", err);
    }
    return 0;
}
/*
 * Binds the component's thread to a scheduling context of its own: budget and period from
 * the description (keys `budget` and `period`, microseconds, admitted in image.c), or a full
 * share (budget = period = FULL_SHARE_US) without them, which is what every thread had
 * before contexts. A kernel built with MCS=1 runs no thread without one. Returns the error
 * code of the first call that fails.
 */
/* A full share's period: one scheduler tick, as the kernel gives the first task. */
#define FULL_SHARE_US 2000

static int
give_sched_context(struct comp *c)
{
    vl_word_t budget = c->desc->budget_us, period = c->desc->period_us;
    if (period == 0) {
        budget = period = FULL_SHARE_US;
    }
    int err = alloc_private(c, VL_OBJ_SCHED_CONTEXT, 0, &c->sc);
    if (err == 0) {
        err = vl_sched_control_configure(VL_CAP_SCHED_CONTROL_SLOT, c->sc,
                                         build_us_to_ticks(budget), build_us_to_ticks(period));
    }
    return err != 0 ? err : vl_sched_context_bind(c->sc, c->tcb);
}

int
build_component(struct comp *c)
{
    static struct vl_comp_info info;
    c->priv_next = 0;
    c->ncaps = 0;
    c->own_ut = 0;
    int err = 0;
    /* Largest first, so that little is lost to alignment: the component's own untyped (if
     * any; build.c's plan allows for the loss when it is smaller than the CNode), CNode,
     * VSpace, frames, TCB. */
    if (c->desc->untyped_bits != 0 &&
        (err = alloc_private(c, VL_OBJ_UNTYPED, c->desc->untyped_bits, &c->own_ut)) != 0) {
        return fail(c, "untyped", err);
    }
    err = alloc_private(c, VL_OBJ_CNODE, VL_COMP_CNODE_BITS, &c->cnode);
    if (err == 0) {
        err = alloc_vspace(c, &c->vspace);
    }
    if (err != 0) {
        return fail(c, "CNode and VSpace", err);
    }
    fill_info(c, &info);
    if ((err = fill_cspace(c, &info)) != 0) {
        return fail(c, "CSpace", err);
    }
    if (build_vspace(c, &info) != 0) {
        return -1;
    }
    if ((err = alloc_private(c, VL_OBJ_TCB, 0, &c->tcb)) != 0 ||
        (err = vl_tcb_configure(c->tcb, VL_COMP_SLOT_FAULT, c->cnode,
                                VL_WORD_BITS - VL_COMP_CNODE_BITS, c->vspace, VL_IPC_BUFFER_VADDR,
                                c->ipc_frame)) != 0 ||
        (err = vl_tcb_set_priority(c->tcb, VL_CAP_INIT_TCB, c->desc->priority)) != 0 ||
        (err = vl_tcb_bind_notification(c->tcb, c->ntfn)) != 0) {
        return fail(c, "thread", err);
    }
    if ((err = give_sched_context(c)) != 0) {
        return fail(c, "scheduling context", err);
    }
    if (c->own_ut != 0) {
        /* Its TCB is the authority for its threads' priorities: up to its own. */
        if ((err = vl_tcb_set_mc_priority(c->tcb, VL_CAP_INIT_TCB, c->desc->priority)) != 0 ||
            (err = give(c, VL_COMP_SLOT_TCB, c->tcb, VL_RIGHTS_ALL, 0)) != 0) {
            return fail(c, "thread", err);
        }
    }
    vl_debug_name(c->tcb, c->name);
    vl_word_t regs[VL_NUM_REGISTERS] = {0};
    regs[VL_REG_PC] = c->elf.entry;
    regs[VL_REG_SP] = STACK_TOP;
    regs[VL_REG_A0] = VL_COMP_INFO_VADDR;
    if ((err = vl_tcb_write_registers(c->tcb, 1, VL_NUM_REGISTERS, regs)) != 0) {
        return fail(c, "start", err);
    }
    c->state = COMP_RUNNING;
    return 0;
}
