/*
 * The classic block map: 12 direct blocks, then single, double and triple indirect
 * blocks. Every block number read from an inode or an indirect block is checked with
 * fs_block_ok() before it is followed; the depth is fixed, so no walk can loop.
 */
#include "fs_internal.h"

#include <string.h>

/* Blocks of 512 bytes in one file-system block (the unit of i_blocks). */
static uint32_t
sectors(const struct fs *fs)
{
    return fs->sectors_per_block;
}

/* Adds delta file-system blocks to i_blocks; FS_EFBIG if it would overflow. */
static int
add_iblocks(struct fs *fs, struct fs_inode *in, int delta)
{
    uint32_t cur = fs_le32(in->raw + EXT2_I_BLOCKS);
    int64_t next = (int64_t)cur + (int64_t)delta * sectors(fs);
    if (next < 0 || next > UINT32_MAX) {
        return next < 0 ? -FS_ECORRUPT : -FS_EFBIG;
    }
    fs_put_le32(in->raw + EXT2_I_BLOCKS, (uint32_t)next);
    return 0;
}

/* Logical blocks the map can address, capped so that i_blocks (32 bits) cannot overflow. */
uint64_t
fs_max_lblocks(const struct fs *fs)
{
    uint64_t a = fs->addr_per_block;
    uint64_t tree = EXT2_NDIR_BLOCKS + a + a * a + a * a * a;
    uint64_t cap = (uint64_t)UINT32_MAX / sectors(fs) / 2; /* room for indirect blocks */
    return tree < cap ? tree : cap;
}

static uint32_t
inode_group(const struct fs *fs, const struct fs_inode *in)
{
    return (in->ino - 1) / fs->inodes_per_group;
}

/* Allocates a block for in, zeroed on disk if it will be an indirect block. */
static int
new_block(struct fs *fs, struct fs_inode *in, bool indirect, uint32_t *blk)
{
    int err = add_iblocks(fs, in, 1);
    if (err < 0) {
        return err;
    }
    err = fs_block_alloc(fs, inode_group(fs, in), blk);
    if (err < 0) {
        add_iblocks(fs, in, -1);
        return err;
    }
    if (indirect) {
        uint8_t *b = fs_bget_zero(fs, *blk, &err);
        if (b == NULL) {
            return err;
        }
        err = fs_bput(fs, b, true);
    }
    return err;
}

/*
 * Maps logical block lblk of in to *pblk (0 for a hole). With alloc, fills holes and
 * missing indirect blocks (in's i_block and i_blocks change: the caller writes in back);
 * *fresh (if given) says the data block was just allocated and holds garbage.
 */
int
fs_bmap(struct fs *fs, struct fs_inode *in, uint64_t lblk, bool alloc, uint32_t *pblk, bool *fresh)
{
    uint64_t a = fs->addr_per_block;
    uint32_t idx[3];
    int depth;
    int slot;

    if (fresh != NULL) {
        *fresh = false;
    }
    if (lblk >= fs_max_lblocks(fs)) {
        return -FS_EFBIG;
    }
    if (lblk < EXT2_NDIR_BLOCKS) {
        slot = (int)lblk;
        depth = 0;
    } else if ((lblk -= EXT2_NDIR_BLOCKS) < a) {
        slot = EXT2_IND_BLOCK;
        depth = 1;
        idx[0] = (uint32_t)lblk;
    } else if ((lblk -= a) < a * a) {
        slot = EXT2_DIND_BLOCK;
        depth = 2;
        idx[0] = (uint32_t)(lblk / a);
        idx[1] = (uint32_t)(lblk % a);
    } else {
        lblk -= a * a;
        slot = EXT2_TIND_BLOCK;
        depth = 3;
        idx[0] = (uint32_t)(lblk / (a * a));
        idx[1] = (uint32_t)(lblk / a % a);
        idx[2] = (uint32_t)(lblk % a);
    }
    uint8_t *field = in->raw + EXT2_I_BLOCK + 4 * slot;
    uint32_t blk = fs_le32(field);
    int err;
    if (blk == 0) {
        if (!alloc) {
            *pblk = 0;
            return 0;
        }
        err = new_block(fs, in, depth > 0, &blk);
        if (err < 0) {
            return err;
        }
        fs_put_le32(field, blk);
        if (depth == 0 && fresh != NULL) {
            *fresh = true;
        }
    } else if (!fs_block_ok(fs, blk)) {
        return -FS_ECORRUPT;
    }
    for (int level = 0; level < depth; level++) {
        uint8_t *b = fs_bget(fs, blk, &err);
        if (b == NULL) {
            return err;
        }
        uint8_t *entry = b + 4 * idx[level];
        uint32_t next = fs_le32(entry);
        bool dirty = false;
        if (next == 0 && alloc) {
            bool leaf = level == depth - 1;
            err = new_block(fs, in, !leaf, &next);
            if (err < 0) {
                fs_bput(fs, b, false);
                return err;
            }
            fs_put_le32(entry, next);
            dirty = true;
            if (leaf && fresh != NULL) {
                *fresh = true;
            }
        }
        err = fs_bput(fs, b, dirty);
        if (err < 0) {
            return err;
        }
        if (next == 0) {
            *pblk = 0;
            return 0;
        }
        if (!fs_block_ok(fs, next)) {
            return -FS_ECORRUPT;
        }
        blk = next;
    }
    *pblk = blk;
    return 0;
}

/*
 * How much one call may free. Blocks are freed from the end of the file backwards, so
 * that a call stopped by its budget leaves a file whose blocks below low are intact and
 * whose blocks from low on are all gone: a shorter file, never one with a new hole.
 */
struct free_budget {
    uint64_t left;  /* data blocks this call may still free */
    uint64_t low;   /* everything from this logical block on is free */
    uint64_t first; /* the caller's first logical block to free */
    bool stopped;   /* the budget ran out before first was reached */
};

/*
 * Frees the part of the subtree at blk (depth levels of indirection; 0 is a data block)
 * that maps logical blocks >= fb->first, the subtree starting at logical block base and
 * covering span blocks, last block first. *gone says blk itself was freed. Depth is at
 * most 3, so the recursion is bounded.
 */
static int
free_tree(struct fs *fs, struct fs_inode *in, uint32_t blk, int depth, uint64_t base, uint64_t span,
          struct free_budget *fb, bool *gone)
{
    *gone = false;
    if (base + span <= fb->first) {
        return 0;
    }
    if (!fs_block_ok(fs, blk)) {
        return -FS_ECORRUPT;
    }
    /* With a journal, also stop while the running transaction still has room for what
     * one more free dirties (its bitmap and descriptor, the indirect blocks above it). */
    if (depth == 0 &&
        (fb->left == 0 || (fs->j.on && fs->j.n + FS_JOURNAL_OP_BLOCKS / 2 > fs->j.tx_max))) {
        fb->stopped = true;
        return 0;
    }
    if (depth > 0) {
        int err;
        uint64_t child = span / fs->addr_per_block;
        uint8_t *b = fs_bget(fs, blk, &err);
        if (b == NULL) {
            return err;
        }
        bool dirty = false;
        for (uint32_t i = fs->addr_per_block; i-- > 0 && !fb->stopped;) {
            uint32_t e = fs_le32(b + 4 * i);
            bool cgone = false;
            err = e != 0 ? free_tree(fs, in, e, depth - 1, base + i * child, child, fb, &cgone) : 0;
            if (err < 0) {
                fs_bput(fs, b, dirty);
                return err;
            }
            if (cgone) {
                fs_put_le32(b + 4 * i, 0);
                dirty = true;
            }
            if (!fb->stopped && base + i * child < fb->low) {
                fb->low = base + i * child > fb->first ? base + i * child : fb->first;
            }
        }
        bool whole = base >= fb->first && !fb->stopped;
        /* A block about to be freed need not be written. */
        err = fs_bput(fs, b, dirty && !whole);
        if (err < 0 || !whole) {
            return err;
        }
    }
    int err = fs_block_free(fs, blk);
    if (err == 0) {
        err = add_iblocks(fs, in, -1);
        *gone = true;
        fb->left -= depth == 0;
        if (base < fb->low) {
            fb->low = base;
        }
    }
    return err;
}

/*
 * Frees blocks of in mapping logical blocks >= first_lblk, and the indirect blocks left
 * empty, from the last one backwards, at most max_blocks data blocks, and with a journal
 * only while the running transaction has room. Returns with *low
 * the first logical block from which all are free (first_lblk when it finished; more
 * when the budget stopped it). Updates in's i_block and i_blocks (the caller writes in
 * back).
 */
int
fs_free_blocks_upto(struct fs *fs, struct fs_inode *in, uint64_t first_lblk, uint64_t max_blocks,
                    uint64_t *low)
{
    uint64_t a = fs->addr_per_block;
    static const int depth_of[EXT2_N_BLOCKS] = {
        [EXT2_IND_BLOCK] = 1, [EXT2_DIND_BLOCK] = 2, [EXT2_TIND_BLOCK] = 3};
    uint64_t base_of[EXT2_N_BLOCKS], span_of[EXT2_N_BLOCKS];
    uint64_t base = 0;
    for (int slot = 0; slot < EXT2_N_BLOCKS; slot++) {
        int depth = depth_of[slot];
        span_of[slot] = depth == 0 ? 1 : depth == 1 ? a : depth == 2 ? a * a : a * a * a;
        base_of[slot] = base;
        base += span_of[slot];
    }
    struct free_budget fb = {max_blocks, base, first_lblk, false};
    for (int slot = EXT2_N_BLOCKS; slot-- > 0 && !fb.stopped;) {
        uint8_t *field = in->raw + EXT2_I_BLOCK + 4 * slot;
        uint32_t blk = fs_le32(field);
        if (blk != 0) {
            bool gone;
            int err =
                free_tree(fs, in, blk, depth_of[slot], base_of[slot], span_of[slot], &fb, &gone);
            if (err < 0) {
                return err;
            }
            if (gone) {
                fs_put_le32(field, 0);
            }
        }
        if (!fb.stopped && base_of[slot] < fb.low) {
            fb.low = base_of[slot] > first_lblk ? base_of[slot] : first_lblk;
        }
    }
    *low = fb.stopped ? fb.low : first_lblk;
    return 0;
}

/*
 * Frees every block of in mapping logical blocks >= first_lblk, and the indirect blocks
 * left empty. Updates in's i_block and i_blocks (the caller writes in back).
 */
int
fs_free_blocks_from(struct fs *fs, struct fs_inode *in, uint64_t first_lblk)
{
    uint64_t low;
    return fs_free_blocks_upto(fs, in, first_lblk, UINT64_MAX, &low);
}
