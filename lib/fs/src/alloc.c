/*
 * Block and inode allocation: bitmaps, group descriptor counts and superblock counts
 * move together. Freeing something the bitmap says is already free is corruption, not
 * something to paper over: it means two owners.
 */
#include "fs_internal.h"

/* Returns the descriptor block of group (pinned) and the descriptor inside it. */
int
fs_group_desc(struct fs *fs, uint32_t group, uint8_t **block, uint8_t **gd)
{
    int err;
    if (group >= fs->groups) {
        return -FS_ECORRUPT;
    }
    uint32_t b = fs->first_data_block + 1 + group / fs->gd_per_block;
    *block = fs_bget(fs, b, &err);
    if (*block == NULL) {
        return err;
    }
    *gd = *block + (group % fs->gd_per_block) * EXT2_GD_SIZE;
    return 0;
}

/* A block a file may point at: past the boot block and superblock, inside the fs. */
bool
fs_block_ok(const struct fs *fs, uint32_t block)
{
    return block > fs->first_data_block && block < fs->blocks_count;
}

static void
sb_add(struct fs *fs, uint32_t off, int delta)
{
    fs_put_le32(fs->sb + off, fs_le32(fs->sb + off) + (uint32_t)delta);
    fs->sb_dirty = true;
}

/* Adds delta to a 16-bit descriptor count (checked by the caller against the bitmap). */
static void
gd_add(uint8_t *gd, uint32_t off, int delta)
{
    fs_put_le16(gd + off, (uint16_t)(fs_le16(gd + off) + delta));
}

/* Number of bits of group g's block bitmap that describe real blocks. */
static uint32_t
group_blocks(const struct fs *fs, uint32_t g)
{
    uint32_t first = fs->first_data_block + g * fs->blocks_per_group;
    uint32_t left = fs->blocks_count - first;
    return left < fs->blocks_per_group ? left : fs->blocks_per_group;
}

/*
 * Finds a clear bit below nbits in the bitmap block of the descriptor field bm_off,
 * sets it and returns its index. FS_ENOSPC when all are set (the descriptor lied).
 * A bit also set in busy (if given) is passed over; FS_EBUSY when only such bits were
 * clear.
 */
static int
take_bit(struct fs *fs, uint8_t *gd, uint32_t bm_off, uint32_t nbits, const uint8_t *busy,
         uint32_t *bit)
{
    int err;
    bool passed = false;
    uint8_t *bm = fs_bget(fs, fs_le32(gd + bm_off), &err);
    if (bm == NULL) {
        return err;
    }
    for (uint32_t i = 0; i < nbits; i++) {
        if (bm[i / 8] == 0xff) {
            i |= 7;
            continue;
        }
        if (!(bm[i / 8] & (1u << (i % 8)))) {
            if (busy != NULL && (busy[i / 8] & (1u << (i % 8)))) {
                passed = true;
                continue;
            }
            bm[i / 8] |= (uint8_t)(1u << (i % 8));
            *bit = i;
            return fs_bput(fs, bm, true);
        }
    }
    fs_bput(fs, bm, false);
    return passed ? -FS_EBUSY : -FS_ENOSPC;
}

/* Clears bit in the bitmap of descriptor field bm_off; FS_ECORRUPT if already clear. */
static int
put_bit(struct fs *fs, uint8_t *gd, uint32_t bm_off, uint32_t bit)
{
    int err;
    uint8_t *bm = fs_bget(fs, fs_le32(gd + bm_off), &err);
    if (bm == NULL) {
        return err;
    }
    if (!(bm[bit / 8] & (1u << (bit % 8)))) {
        fs_bput(fs, bm, false);
        return -FS_ECORRUPT;
    }
    bm[bit / 8] &= (uint8_t) ~(1u << (bit % 8));
    return fs_bput(fs, bm, true);
}

/* Does group g hold a superblock backup (and descriptor copies)? */
static bool
group_has_super(const struct fs *fs, uint32_t g)
{
    if (g <= 1 || !(fs->ro_compat & EXT2_RO_COMPAT_SPARSE_SUPER)) {
        return true;
    }
    for (uint32_t base = 3; base <= 7; base += 2) {
        uint64_t p = base;
        while (p < g) {
            p *= base;
        }
        if (p == g) {
            return true;
        }
    }
    return false;
}

/*
 * Is bit of group g (descriptor gd) a metadata block: superblock or descriptor copies
 * with their reserved growth blocks, a bitmap, or the inode table? A bitmap that calls
 * one free is corrupt, and handing it out would overwrite metadata.
 */
static bool
is_metadata(const struct fs *fs, uint32_t g, const uint8_t *gd, uint32_t bit)
{
    uint32_t block = fs->first_data_block + g * fs->blocks_per_group + bit;
    uint32_t it = fs_le32(gd + EXT2_GD_INODE_TABLE);
    if (group_has_super(fs, g)) {
        uint32_t gd_blocks = (fs->groups + fs->gd_per_block - 1) / fs->gd_per_block;
        uint32_t reserved = (fs->compat & EXT2_COMPAT_RESIZE_INODE)
                                ? fs_le16(fs->sb + EXT2_SB_RESERVED_GDT_BLOCKS)
                                : 0;
        if (bit <= gd_blocks + reserved) {
            return true;
        }
    }
    return block == fs_le32(gd + EXT2_GD_BLOCK_BITMAP) ||
           block == fs_le32(gd + EXT2_GD_INODE_BITMAP) ||
           (block >= it && block - it < fs->inodes_per_group / fs->inodes_per_block);
}

/*
 * Whether block is a group's metadata (superblock or descriptor copy, reserved
 * descriptor blocks, a bitmap, the inode table): *err is set on a bad descriptor.
 */
bool
fs_block_is_metadata(struct fs *fs, uint32_t block, int *err)
{
    *err = 0;
    if (!fs_block_ok(fs, block)) {
        return true;
    }
    uint32_t g = (block - fs->first_data_block) / fs->blocks_per_group;
    uint8_t *b = NULL, *gd = NULL;
    *err = fs_group_desc(fs, g, &b, &gd);
    if (*err < 0) {
        return true;
    }
    bool meta = is_metadata(fs, g, gd, (block - fs->first_data_block) % fs->blocks_per_group);
    fs_bput(fs, b, false);
    return meta;
}

/*
 * Allocates a block, preferring goal_group, and returns it in *block (contents not
 * cleared). The descriptor and superblock counts are updated.
 */
int
fs_block_alloc(struct fs *fs, uint32_t goal_group, uint32_t *block)
{
    bool busy_seen = false;
    for (uint32_t i = 0; i < fs->groups; i++) {
        uint32_t g = (goal_group + i) % fs->groups;
        uint8_t *b = NULL, *gd = NULL;
        int err = fs_group_desc(fs, g, &b, &gd);
        if (err < 0) {
            return err;
        }
        if (fs_le16(gd + EXT2_GD_FREE_BLOCKS) == 0) {
            fs_bput(fs, b, false);
            continue;
        }
        uint32_t bit;
        /* A block freed by the running transaction stays taken until it commits: a crash
         * before then keeps its old owner, whose contents a new file's data (written home
         * at once) must not have replaced. */
        const uint8_t *busy = NULL;
        err = fs_tx_committed_bitmap(fs, fs_le32(gd + EXT2_GD_BLOCK_BITMAP), &busy);
        if (err == 0) {
            err = take_bit(fs, gd, EXT2_GD_BLOCK_BITMAP, group_blocks(fs, g), busy, &bit);
        }
        if (err == -FS_EBUSY) {
            fs_bput(fs, b, false);
            busy_seen = true;
            continue;
        }
        if (err == -FS_ENOSPC) {
            fs_bput(fs, b, false);
            return -FS_ECORRUPT; /* the descriptor counted free blocks that are not */
        }
        if (err < 0) {
            fs_bput(fs, b, false);
            return err;
        }
        *block = fs->first_data_block + g * fs->blocks_per_group + bit;
        if (is_metadata(fs, g, gd, bit) || !fs_block_ok(fs, *block)) {
            /* The bitmap called a metadata block free; its bit is now set, which is right. */
            fs_bput(fs, b, false);
            return -FS_ECORRUPT;
        }
        gd_add(gd, EXT2_GD_FREE_BLOCKS, -1);
        sb_add(fs, EXT2_SB_FREE_BLOCKS, -1);
        return fs_bput(fs, b, true);
    }
    /* With only blocks the running transaction freed left, a commit frees them: the
     * next operation (fs_tx_begin) commits first. */
    if (busy_seen) {
        fs->j.need_commit = true;
    }
    return -FS_ENOSPC;
}

int
fs_block_free(struct fs *fs, uint32_t block)
{
    if (!fs_block_ok(fs, block)) {
        return -FS_ECORRUPT;
    }
    uint32_t g = (block - fs->first_data_block) / fs->blocks_per_group;
    uint8_t *b = NULL, *gd = NULL;
    int err = fs_group_desc(fs, g, &b, &gd);
    if (err < 0) {
        return err;
    }
    err = put_bit(fs, gd, EXT2_GD_BLOCK_BITMAP,
                  (block - fs->first_data_block) % fs->blocks_per_group);
    if (err < 0) {
        fs_bput(fs, b, false);
        return err;
    }
    gd_add(gd, EXT2_GD_FREE_BLOCKS, 1);
    sb_add(fs, EXT2_SB_FREE_BLOCKS, 1);
    fs_tx_revoke(fs, block);
    return fs_bput(fs, b, true);
}

/*
 * Allocates an inode number at or after first_ino, preferring goal_group (a directory
 * is spread to the next group with free inodes, as Linux's Orlov allocator roughly does).
 */
int
fs_inode_alloc(struct fs *fs, uint32_t goal_group, bool is_dir, uint32_t *ino)
{
    for (uint32_t i = 0; i < fs->groups; i++) {
        uint32_t g = (goal_group + i + (is_dir ? 1 : 0)) % fs->groups;
        uint8_t *b = NULL, *gd = NULL;
        int err = fs_group_desc(fs, g, &b, &gd);
        if (err < 0) {
            return err;
        }
        if (fs_le16(gd + EXT2_GD_FREE_INODES) == 0) {
            fs_bput(fs, b, false);
            continue;
        }
        uint32_t bit;
        err = take_bit(fs, gd, EXT2_GD_INODE_BITMAP, fs->inodes_per_group, NULL, &bit);
        if (err < 0) {
            fs_bput(fs, b, false);
            return err == -FS_ENOSPC ? -FS_ECORRUPT : err;
        }
        *ino = g * fs->inodes_per_group + bit + 1;
        gd_add(gd, EXT2_GD_FREE_INODES, -1);
        if (is_dir) {
            gd_add(gd, EXT2_GD_USED_DIRS, 1);
        }
        sb_add(fs, EXT2_SB_FREE_INODES, -1);
        err = fs_bput(fs, b, true);
        if (err == 0 && *ino < fs->first_ino) {
            return -FS_ECORRUPT; /* a reserved inode was marked free */
        }
        return err;
    }
    return -FS_ENOSPC;
}

int
fs_inode_free(struct fs *fs, uint32_t ino, bool is_dir)
{
    if (ino < fs->first_ino || ino > fs->inodes_count) {
        return -FS_ECORRUPT;
    }
    uint32_t g = (ino - 1) / fs->inodes_per_group;
    uint8_t *b = NULL, *gd = NULL;
    int err = fs_group_desc(fs, g, &b, &gd);
    if (err < 0) {
        return err;
    }
    err = put_bit(fs, gd, EXT2_GD_INODE_BITMAP, (ino - 1) % fs->inodes_per_group);
    if (err < 0) {
        fs_bput(fs, b, false);
        return err;
    }
    gd_add(gd, EXT2_GD_FREE_INODES, 1);
    if (is_dir && fs_le16(gd + EXT2_GD_USED_DIRS) > 0) {
        gd_add(gd, EXT2_GD_USED_DIRS, -1);
    }
    sb_add(fs, EXT2_SB_FREE_INODES, 1);
    return fs_bput(fs, b, true);
}
