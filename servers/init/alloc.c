/*
 * init: slots of init's CNode, objects from the pool and from components' private
 * untypeds, mapping frames, and measuring the memory in use.
 */
#include "init.h"

#include <stdio.h>
#include <string.h>

static vl_cptr_t next_slot, end_slot;
static vl_cptr_t pool; /* the RAM untyped everything comes from */
static vl_word_t pool_bits;
static vl_cptr_t probe_slot; /* stays empty: the destination of measuring retypes */
static const struct vl_bootinfo *boot_info;

vl_cptr_t
alloc_slots(vl_word_t n)
{
    if (n > end_slot - next_slot) {
        return 0;
    }
    vl_cptr_t s = next_slot;
    next_slot += n;
    return s;
}

int
alloc_init(const struct vl_bootinfo *bi)
{
    alloc_set_bootinfo(bi);
    next_slot = bi->empty.start;
    end_slot = bi->empty.end;
    vl_word_t n = bi->num_untyped;
    if (n > VL_BOOTINFO_MAX_UNTYPED) {
        n = VL_BOOTINFO_MAX_UNTYPED;
    }
    for (vl_word_t i = 0; i < n; i++) {
        const struct vl_untyped_desc *d = &bi->untyped_list[i];
        if (!d->is_device && d->size_bits > pool_bits) {
            pool = bi->untyped.start + i;
            pool_bits = d->size_bits;
        }
    }
    probe_slot = alloc_slots(1);
    if (pool == 0 || probe_slot == 0) {
        printf("init: no RAM untyped or no free slots\n");
        return -1;
    }
    return 0;
}

int
alloc_pool(vl_word_t type, vl_word_t bits, vl_cptr_t slot, vl_word_t n)
{
    while (n > 0) {
        vl_word_t k = n > 256 ? 256 : n;
        int err = vl_untyped_retype(pool, type, bits, ROOT, 0, 0, slot, k);
        if (err != 0) {
            return err;
        }
        slot += k;
        n -= k;
    }
    return 0;
}

int
alloc_private(struct comp *c, vl_word_t type, vl_word_t bits, vl_cptr_t *slot)
{
    if (c->priv_next >= c->priv_count) {
        return VL_NOT_ENOUGH_MEMORY;
    }
    vl_cptr_t s = c->priv_slots + c->priv_next;
    int err = vl_untyped_retype(c->ut, type, bits, ROOT, 0, 0, s, 1);
    if (err == 0) {
        c->priv_next++;
        *slot = s;
    }
    return err;
}

_Static_assert(VL_SYSIMG_MAX_COMPONENTS <= VL_ASID_POOL_SIZE - 2,
               "init's ASID pool has an ASID for every component");

int
alloc_vspace(struct comp *c, vl_cptr_t *slot)
{
    int err = alloc_private(c, VL_OBJ_VSPACE, 0, slot);
    if (err == 0) {
        err = vl_asid_pool_assign(boot_info->asid_pool, *slot);
    }
    return err;
}

/* A page table from the component's private memory (ctx), for vl_frame_map_tables. */
static int
private_table(void *ctx, vl_cptr_t *pt)
{
    return alloc_private(ctx, VL_OBJ_PAGE_TABLE, 0, pt);
}

/* A page table from init's pool, for init's own scratch mapping. */
static int
pool_table(void *ctx, vl_cptr_t *pt)
{
    (void)ctx;
    *pt = alloc_slots(1);
    return *pt == 0 ? VL_NOT_ENOUGH_MEMORY : alloc_pool(VL_OBJ_PAGE_TABLE, 0, *pt, 1);
}

int
alloc_map(struct comp *c, vl_cptr_t frame, vl_word_t va, vl_word_t rights, vl_word_t attr)
{
    return vl_frame_map_tables(frame, c->vspace, va, rights, attr, private_table, c);
}

int
alloc_fill_frame(vl_cptr_t frame, const void *src, vl_word_t len, const struct elf_image *elf,
                 unsigned seg, vl_word_t va)
{
    int err =
        vl_frame_map_tables(frame, VL_CAP_INIT_VSPACE, SCRATCH_VADDR,
                            VL_RIGHT_READ | VL_RIGHT_WRITE, VL_MAP_EXECUTE_NEVER, pool_table, NULL);
    if (err != 0) {
        return err;
    }
    void *dst = (void *)(uintptr_t)SCRATCH_VADDR;
    if (elf != NULL) {
        if (elf_load_page(elf, seg, va, dst) != ELF_OK) {
            err = VL_INVALID_ARGUMENT;
        }
    } else {
        memcpy(dst, src, len < VL_PAGE_SIZE ? len : VL_PAGE_SIZE);
    }
    int err2 = vl_frame_unmap(frame);
    return err != 0 ? err : err2;
}

vl_word_t
alloc_untyped_in_use(vl_cptr_t ut, vl_word_t bits)
{
    int err = vl_untyped_retype(ut, VL_OBJ_UNTYPED, VL_MAX_UNTYPED_BITS, ROOT, 0, 0, probe_slot, 1);
    if (err != VL_NOT_ENOUGH_MEMORY) {
        return ~0ul; /* cannot happen: nothing fits 2^38 bytes */
    }
    vl_word_t free = vl_last_error.mr[0];
    return free > (1ul << bits) ? 0 : (1ul << bits) - free;
}

vl_word_t
alloc_memory_in_use(void)
{
    vl_word_t total = alloc_untyped_in_use(pool, pool_bits);
    for (uint64_t i = 0; i < g_img.ncomps; i++) {
        struct comp *c = &g_comps[i];
        if (c->ut != 0) {
            total = total - (1ul << c->ut_bits) + alloc_untyped_in_use(c->ut, c->ut_bits);
        }
    }
    return total;
}

/*
 * Device memory. The kernel hands over device memory as large untypeds; a frame at a given
 * physical address is cut out by halving the untyped that holds it until a 4 KiB piece
 * remains. The pieces are remembered so that other device pages reuse the halves.
 */
#define DEV_NODES 1024
struct dev_node {
    vl_word_t paddr;
    vl_word_t bits;
    vl_cptr_t slot;
    int split; /* 1 if retyped into two halves, which are nodes too; 2 if made a frame */
};
static struct dev_node dev_nodes[DEV_NODES];
static unsigned num_dev_nodes;

void
alloc_set_bootinfo(const struct vl_bootinfo *bi)
{
    boot_info = bi;
}

static struct dev_node *
dev_node_find(vl_word_t paddr, vl_word_t bits)
{
    for (unsigned i = 0; i < num_dev_nodes; i++) {
        if (dev_nodes[i].paddr == paddr && dev_nodes[i].bits == bits) {
            return &dev_nodes[i];
        }
    }
    return NULL;
}

static struct dev_node *
dev_node_add(vl_word_t paddr, vl_word_t bits, vl_cptr_t slot)
{
    if (num_dev_nodes >= DEV_NODES) {
        return NULL;
    }
    struct dev_node *n = &dev_nodes[num_dev_nodes++];
    n->paddr = paddr;
    n->bits = bits;
    n->slot = slot;
    n->split = 0;
    return n;
}

/* The device untyped from the boot info that holds paddr, as a node. */
static struct dev_node *
dev_root(vl_word_t paddr)
{
    vl_word_t n = boot_info->num_untyped;
    for (vl_word_t i = 0; i < n && i < VL_BOOTINFO_MAX_UNTYPED; i++) {
        const struct vl_untyped_desc *d = &boot_info->untyped_list[i];
        if (d->is_device && paddr >= d->paddr && paddr - d->paddr < (1ul << d->size_bits)) {
            struct dev_node *node = dev_node_find(d->paddr, d->size_bits);
            return node != NULL
                       ? node
                       : dev_node_add(d->paddr, d->size_bits, boot_info->untyped.start + i);
        }
    }
    return NULL;
}

int
alloc_device_frame(vl_word_t paddr, vl_cptr_t dest)
{
    struct dev_node *node = dev_root(paddr);
    if (node == NULL) {
        return VL_RANGE_ERROR;
    }
    while (node->bits > VL_PAGE_BITS) {
        vl_word_t half = node->bits - 1;
        if (node->split == 0) {
            vl_cptr_t s = alloc_slots(2);
            int err = s == 0
                          ? VL_NOT_ENOUGH_MEMORY
                          : vl_untyped_retype(node->slot, VL_OBJ_UNTYPED, half, ROOT, 0, 0, s, 2);
            if (err != 0) {
                return err;
            }
            node->split = 1;
            if (dev_node_add(node->paddr, half, s) == NULL ||
                dev_node_add(node->paddr + (1ul << half), half, s + 1) == NULL) {
                return VL_NOT_ENOUGH_MEMORY;
            }
        } else if (node->split != 1) {
            return VL_DELETE_FIRST;
        }
        vl_word_t base = node->paddr + ((paddr - node->paddr) & (1ul << half));
        node = dev_node_find(base, half);
        if (node == NULL) {
            return VL_INVALID_ARGUMENT;
        }
    }
    if (node->split != 0) {
        return VL_DELETE_FIRST; /* the page is given out already */
    }
    int err = vl_untyped_retype(node->slot, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, dest, 1);
    if (err == 0) {
        node->split = 2;
    }
    return err;
}
