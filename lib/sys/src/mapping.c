/*
 * Address-space and boot-info helpers shared by every program that builds mappings or
 * carves objects: the root tasks (init, the kernel test suite, the benchmarks) and
 * components through lib/os.
 */
#include <vallum/sys.h>

int
vl_frame_map_tables(vl_cptr_t frame, vl_cptr_t vspace, vl_word_t vaddr, vl_word_t rights,
                    vl_word_t attr, vl_table_alloc_fn *new_table, void *ctx)
{
    /* Each missing level costs one page table; Sv39 has at most two below the root. */
    for (int level = 0; level < 3; level++) {
        int err = vl_frame_map(frame, vspace, vaddr, rights, attr);
        if (err != VL_FAILED_LOOKUP) {
            return err;
        }
        vl_cptr_t pt = 0;
        err = new_table(ctx, &pt);
        if (err == 0) {
            err = vl_page_table_map(pt, vspace, vaddr);
        }
        if (err != 0) {
            return err;
        }
    }
    return VL_FAILED_LOOKUP;
}

vl_cptr_t
vl_bootinfo_frame_at(const struct vl_bootinfo *bi, vl_word_t vaddr)
{
    for (vl_cptr_t s = bi->image_frames.start; s < bi->image_frames.end; s++) {
        vl_word_t pa, va;
        if (vl_frame_get_address(s, &pa, &va) == 0 && va == vaddr) {
            return s;
        }
    }
    return 0;
}

int
vl_device_frame(const struct vl_bootinfo *bi, vl_word_t paddr, vl_cptr_t root,
                vl_slot_pair_fn *new_pair, void *ctx, vl_cptr_t dest, vl_cptr_t *from)
{
    vl_cptr_t ut = 0;
    vl_word_t base = 0, bits = 0;
    for (vl_word_t i = 0; i < bi->num_untyped; i++) {
        const struct vl_untyped_desc *d = &bi->untyped_list[i];
        if (d->is_device && paddr >= d->paddr && paddr - d->paddr < (1ul << d->size_bits)) {
            ut = bi->untyped.start + i;
            base = d->paddr;
            bits = d->size_bits;
        }
    }
    *from = ut;
    if (ut == 0) {
        return VL_RANGE_ERROR;
    }
    while (bits > VL_PAGE_BITS) {
        vl_cptr_t halves = new_pair(ctx);
        if (halves == 0) {
            return VL_NOT_ENOUGH_MEMORY;
        }
        int err = vl_untyped_retype(ut, VL_OBJ_UNTYPED, bits - 1, root, 0, 0, halves, 2);
        if (err != 0) {
            return err;
        }
        bits--;
        vl_word_t upper = paddr >= base + (1ul << bits);
        base += upper << bits;
        ut = halves + upper;
    }
    return vl_untyped_retype(ut, VL_OBJ_FRAME_4K, 0, root, 0, 0, dest, 1);
}
