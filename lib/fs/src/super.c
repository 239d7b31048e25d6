/*
 * Mounting: the superblock and the group descriptors are read once and checked field by
 * field, each rejection with its reason in fs->why, before anything else trusts them.
 */
#include "fs_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const error_names[] = {
    [FS_OK] = "ok",
    [FS_EIO] = "EIO",
    [FS_ECORRUPT] = "ECORRUPT",
    [FS_EFEATURE] = "EFEATURE",
    [FS_EROFS] = "EROFS",
    [FS_ENOENT] = "ENOENT",
    [FS_EEXIST] = "EEXIST",
    [FS_ENOTDIR] = "ENOTDIR",
    [FS_EISDIR] = "EISDIR",
    [FS_ENOTEMPTY] = "ENOTEMPTY",
    [FS_ENOSPC] = "ENOSPC",
    [FS_EINVAL] = "EINVAL",
    [FS_ENAMETOOLONG] = "ENAMETOOLONG",
    [FS_EFBIG] = "EFBIG",
    [FS_EMLINK] = "EMLINK",
    [FS_ELOOP] = "ELOOP",
    [FS_EBUSY] = "EBUSY",
};

const char *
fs_strerror(int err)
{
    unsigned e = (unsigned)(err < 0 ? -err : err);

    if (e >= sizeof(error_names) / sizeof(error_names[0]) || error_names[e] == NULL) {
        return "unknown";
    }
    return error_names[e];
}

static int __attribute__((format(printf, 3, 4)))
reject(struct fs *fs, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(fs->why, sizeof(fs->why), fmt, ap);
    va_end(ap);
    return err;
}

struct feature_name {
    uint32_t bit;
    const char *name;
};

static const struct feature_name incompat_names[] = {
    {EXT2_INCOMPAT_COMPRESSION, "compression"},
    {EXT2_INCOMPAT_RECOVER, "needs_recovery"},
    {EXT2_INCOMPAT_JOURNAL_DEV, "journal_dev"},
    {EXT2_INCOMPAT_META_BG, "meta_bg"},
    {EXT2_INCOMPAT_EXTENTS, "extent"},
    {EXT2_INCOMPAT_64BIT, "64bit"},
    {EXT2_INCOMPAT_MMP, "mmp"},
    {EXT2_INCOMPAT_FLEX_BG, "flex_bg"},
    {EXT2_INCOMPAT_EA_INODE, "ea_inode"},
    {EXT2_INCOMPAT_DIRDATA, "dirdata"},
    {EXT2_INCOMPAT_CSUM_SEED, "metadata_csum_seed"},
    {EXT2_INCOMPAT_LARGEDIR, "large_dir"},
    {EXT2_INCOMPAT_INLINE_DATA, "inline_data"},
    {EXT2_INCOMPAT_ENCRYPT, "encrypt"},
    {EXT2_INCOMPAT_CASEFOLD, "casefold"},
};

static const struct feature_name ro_compat_names[] = {
    {EXT2_RO_COMPAT_BTREE_DIR, "btree_dir"},     {EXT2_RO_COMPAT_HUGE_FILE, "huge_file"},
    {EXT2_RO_COMPAT_GDT_CSUM, "uninit_bg"},      {EXT2_RO_COMPAT_DIR_NLINK, "dir_nlink"},
    {EXT2_RO_COMPAT_EXTRA_ISIZE, "extra_isize"}, {EXT2_RO_COMPAT_QUOTA, "quota"},
    {EXT2_RO_COMPAT_BIGALLOC, "bigalloc"},       {EXT2_RO_COMPAT_METADATA_CSUM, "metadata_csum"},
};

/* The name of the first bit of bits in table, or "unknown". */
static const char *
feature_name(const struct feature_name *table, size_t n, uint32_t bits)
{
    for (size_t i = 0; i < n; i++) {
        if (bits & table[i].bit) {
            return table[i].name;
        }
    }
    return "unknown";
}

static bool
is_power_of_two(uint32_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* Checks the superblock's geometry and features and fills fs's derived fields. */
static int
check_super(struct fs *fs, unsigned flags)
{
    const uint8_t *sb = fs->sb;

    if (fs_le16(sb + EXT2_SB_MAGIC) != EXT2_MAGIC) {
        return reject(fs, -FS_ECORRUPT, "no ext2 magic in the superblock");
    }
    uint32_t rev = fs_le32(sb + EXT2_SB_REV_LEVEL);
    if (rev > EXT2_DYNAMIC_REV) {
        return reject(fs, -FS_EFEATURE, "revision %u (only 0 and 1 are known)", rev);
    }
    uint32_t log = fs_le32(sb + EXT2_SB_LOG_BLOCK_SIZE);
    if (log > 6) {
        return reject(fs, -FS_ECORRUPT, "block size 2^%u KiB", log);
    }
    fs->block_size = 1024u << log;
    if (fs->block_size > FS_MAX_BLOCK_SIZE) {
        return reject(fs, -FS_EFEATURE, "block size %u above FS_MAX_BLOCK_SIZE", fs->block_size);
    }
    fs->sectors_per_block = fs->block_size / FS_SECTOR_SIZE;
    fs->addr_per_block = fs->block_size / 4;
    fs->gd_per_block = fs->block_size / EXT2_GD_SIZE;
    if (rev == EXT2_GOOD_OLD_REV) {
        fs->incompat = fs->ro_compat = fs->compat = 0;
        fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
        fs->first_ino = EXT2_GOOD_OLD_FIRST_INO;
    } else {
        fs->compat = fs_le32(sb + EXT2_SB_FEATURE_COMPAT);
        fs->incompat = fs_le32(sb + EXT2_SB_FEATURE_INCOMPAT);
        fs->ro_compat = fs_le32(sb + EXT2_SB_FEATURE_RO_COMPAT);
        fs->inode_size = fs_le16(sb + EXT2_SB_INODE_SIZE);
        fs->first_ino = fs_le32(sb + EXT2_SB_FIRST_INO);
    }
    /* needs_recovery is the journal's business (check_journal), not a format change. */
    uint32_t bad = fs->incompat & ~(uint32_t)(FS_INCOMPAT_SUPPORTED | EXT2_INCOMPAT_RECOVER);
    if ((fs->incompat & EXT2_INCOMPAT_RECOVER) && !(fs->compat & EXT2_COMPAT_HAS_JOURNAL)) {
        return reject(fs, -FS_ECORRUPT, "needs_recovery without a journal");
    }
    if (bad) {
        return reject(
            fs, -FS_EFEATURE, "incompatible feature %s (0x%x) is not supported",
            feature_name(incompat_names, sizeof(incompat_names) / sizeof(incompat_names[0]), bad),
            bad);
    }
    fs->rdonly = (flags & FS_MOUNT_RDONLY) != 0;
    uint32_t ro_bad = fs->ro_compat & ~(uint32_t)FS_RO_COMPAT_SUPPORTED;
    if (ro_bad) {
        /* Not an error: the caller sees fs->rdonly and the reason in fs->why. */
        fs->rdonly = true;
        reject(fs, 0, "read-only: feature %s (0x%x) is not supported for writing",
               feature_name(ro_compat_names, sizeof(ro_compat_names) / sizeof(ro_compat_names[0]),
                            ro_bad),
               ro_bad);
    }
    if (!is_power_of_two(fs->inode_size) || fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE ||
        fs->inode_size > fs->block_size) {
        return reject(fs, -FS_ECORRUPT, "inode size %u", fs->inode_size);
    }
    fs->inodes_per_block = fs->block_size / fs->inode_size;
    fs->blocks_count = fs_le32(sb + EXT2_SB_BLOCKS_COUNT);
    fs->first_data_block = fs_le32(sb + EXT2_SB_FIRST_DATA_BLOCK);
    fs->inodes_count = fs_le32(sb + EXT2_SB_INODES_COUNT);
    fs->blocks_per_group = fs_le32(sb + EXT2_SB_BLOCKS_PER_GROUP);
    fs->inodes_per_group = fs_le32(sb + EXT2_SB_INODES_PER_GROUP);
    if (fs->first_data_block != (fs->block_size == 1024 ? 1u : 0u)) {
        return reject(fs, -FS_ECORRUPT, "first data block %u", fs->first_data_block);
    }
    if (fs->blocks_per_group == 0 || fs->blocks_per_group > 8 * fs->block_size ||
        fs->blocks_per_group % 8 != 0) {
        return reject(fs, -FS_ECORRUPT, "%u blocks per group", fs->blocks_per_group);
    }
    if (fs->inodes_per_group == 0 || fs->inodes_per_group > 8 * fs->block_size ||
        fs->inodes_per_group % fs->inodes_per_block != 0) {
        return reject(fs, -FS_ECORRUPT, "%u inodes per group", fs->inodes_per_group);
    }
    if (fs->blocks_count <= fs->first_data_block + 1) {
        return reject(fs, -FS_ECORRUPT, "%u blocks", fs->blocks_count);
    }
    if ((uint64_t)fs->blocks_count * fs->sectors_per_block > fs->dev.sectors) {
        return reject(fs, -FS_ECORRUPT, "%u blocks but the device holds %llu", fs->blocks_count,
                      (unsigned long long)(fs->dev.sectors / fs->sectors_per_block));
    }
    fs->groups =
        (fs->blocks_count - fs->first_data_block + fs->blocks_per_group - 1) / fs->blocks_per_group;
    if ((uint64_t)fs->groups * fs->inodes_per_group != fs->inodes_count) {
        return reject(fs, -FS_ECORRUPT, "%u inodes in %u groups of %u", fs->inodes_count,
                      fs->groups, fs->inodes_per_group);
    }
    if (fs->first_ino <= EXT2_RESIZE_INO || fs->first_ino >= fs->inodes_count) {
        return reject(fs, -FS_ECORRUPT, "first inode %u", fs->first_ino);
    }
    if (fs_le32(sb + EXT2_SB_FREE_BLOCKS) > fs->blocks_count ||
        fs_le32(sb + EXT2_SB_FREE_INODES) > fs->inodes_count) {
        return reject(fs, -FS_ECORRUPT, "free counts above totals");
    }
    return 0;
}

/* Is block in [first, first + count)? */
static bool
in_range(uint32_t block, uint32_t first, uint32_t count)
{
    return block >= first && block - first < count;
}

/*
 * Checks every group descriptor: its bitmaps and inode table lie inside its own group
 * (no flex_bg), clear of the superblock and descriptor copies, and its free counts are
 * possible.
 */
static int
check_groups(struct fs *fs)
{
    uint32_t gd_blocks = (fs->groups + fs->gd_per_block - 1) / fs->gd_per_block;
    uint32_t itable_blocks = fs->inodes_per_group / fs->inodes_per_block;

    if (gd_blocks >= fs->blocks_per_group) {
        return reject(fs, -FS_ECORRUPT, "%u descriptor blocks", gd_blocks);
    }
    for (uint32_t g = 0; g < fs->groups; g++) {
        uint8_t *blk = NULL, *gd = NULL;
        int err = fs_group_desc(fs, g, &blk, &gd);
        if (err < 0) {
            return reject(fs, err, "group %u descriptor unreadable", g);
        }
        uint32_t first = fs->first_data_block + g * fs->blocks_per_group;
        uint32_t count = fs->blocks_count - first < fs->blocks_per_group ? fs->blocks_count - first
                                                                         : fs->blocks_per_group;
        uint32_t bb = fs_le32(gd + EXT2_GD_BLOCK_BITMAP);
        uint32_t ib = fs_le32(gd + EXT2_GD_INODE_BITMAP);
        uint32_t it = fs_le32(gd + EXT2_GD_INODE_TABLE);
        uint32_t fb = fs_le16(gd + EXT2_GD_FREE_BLOCKS);
        uint32_t fi = fs_le16(gd + EXT2_GD_FREE_INODES);
        uint32_t dirs = fs_le16(gd + EXT2_GD_USED_DIRS);
        fs_bput(fs, blk, false);
        /* Group 0 holds the primary superblock and descriptors before its bitmaps. */
        uint32_t meta_end = g == 0 ? fs->first_data_block + 1 + gd_blocks : first;
        if (!in_range(bb, first, count) || bb < meta_end || !in_range(ib, first, count) ||
            ib < meta_end || it < meta_end || !in_range(it, first, count) ||
            itable_blocks > count - (it - first)) {
            return reject(fs, -FS_ECORRUPT, "group %u: bitmaps or inode table out of place", g);
        }
        if (bb == ib || in_range(bb, it, itable_blocks) || in_range(ib, it, itable_blocks)) {
            return reject(fs, -FS_ECORRUPT, "group %u: bitmaps overlap", g);
        }
        if (fb > count || fi > fs->inodes_per_group || dirs > fs->inodes_per_group) {
            return reject(fs, -FS_ECORRUPT, "group %u: free counts", g);
        }
    }
    return 0;
}

static int sync_direct(struct fs *fs);

/*
 * Replays the journal if it holds committed transactions (fs_journal_recover), and
 * clears needs_recovery. A replay may rewrite the superblock and descriptors, so after
 * one the mount checks run again on what is now on disk.
 */
static int
check_journal(struct fs *fs, unsigned flags)
{
    if (!(fs->compat & EXT2_COMPAT_HAS_JOURNAL)) {
        return 0;
    }
    uint32_t jino = fs_le32(fs->sb + EXT2_SB_JOURNAL_INUM);
    if (jino != EXT2_JOURNAL_INO) {
        return reject(fs, -FS_EFEATURE, "external or unusual journal (inode %u)", jino);
    }
    bool replayed;
    int err = fs_journal_recover(fs, jino, &replayed);
    if (err == -FS_EROFS) {
        return reject(fs, err, "the journal needs recovery, which needs a read-write mount");
    }
    if (err == -FS_EFEATURE) {
        return reject(fs, err, "journal features (64bit, checksums, async commit) not supported");
    }
    if (err < 0) {
        return reject(fs, err, "journal unreadable or corrupt");
    }
    if (replayed) {
        err = fs_dev_read(fs, EXT2_SB_OFFSET, fs->sb, EXT2_SB_SIZE);
        if (err == 0) {
            err = check_super(fs, flags);
        }
        if (err == 0) {
            err = check_groups(fs);
        }
        if (err < 0) {
            return err;
        }
    }
    if (!fs->rdonly && (fs->incompat & EXT2_INCOMPAT_RECOVER)) {
        fs->incompat &= ~(uint32_t)EXT2_INCOMPAT_RECOVER;
        fs_put_le32(fs->sb + EXT2_SB_FEATURE_INCOMPAT, fs->incompat);
        fs->sb_dirty = true;
    } else if (fs->incompat & EXT2_INCOMPAT_RECOVER) {
        return reject(fs, -FS_EROFS, "the journal needs recovery, which needs a read-write mount");
    }
    return 0;
}

int
fs_mount(struct fs *fs, const struct fs_dev *dev, void *cache, size_t cache_bytes, unsigned flags)
{
    memset(fs, 0, sizeof(*fs));
    fs->dev = *dev;
    int err = fs_dev_read(fs, EXT2_SB_OFFSET, fs->sb, EXT2_SB_SIZE);
    if (err < 0) {
        return reject(fs, err, "superblock unreadable");
    }
    err = check_super(fs, flags);
    if (err < 0) {
        return err;
    }
    size_t n = cache_bytes / fs->block_size;
    if (n < FS_CACHE_SLOTS_MIN) {
        return reject(fs, -FS_EINVAL, "cache holds %zu blocks, %u needed", n, FS_CACHE_SLOTS_MIN);
    }
    fs->nslots = n > FS_CACHE_SLOTS_MAX ? FS_CACHE_SLOTS_MAX : (uint32_t)n;
    for (uint32_t i = 0; i < fs->nslots; i++) {
        fs->slots[i].data = (uint8_t *)cache + (size_t)i * fs->block_size;
    }
    err = check_groups(fs);
    if (err == 0) {
        err = check_journal(fs, flags);
    }
    if (err < 0) {
        return err;
    }
    struct fs_inode root;
    err = fs_iget(fs, EXT2_ROOT_INO, &root);
    if (err < 0 || (fs_imode(&root) & EXT2_S_IFMT) != EXT2_S_IFDIR) {
        return reject(fs, err < 0 ? err : -FS_ECORRUPT, "root is not a directory");
    }
    if (!fs->rdonly) {
        if (fs->compat & EXT2_COMPAT_HAS_JOURNAL) {
            err = fs_journal_start(fs, (flags & FS_MOUNT_SYNC) != 0);
            if (err < 0) {
                return reject(fs, err,
                              "the journal cannot be written (%s): a v1 superblock, a log "
                              "too short for two transactions, or a log block out of place",
                              fs_strerror(err));
            }
            /* As Linux does: set for the whole mount, so that a crash at any point
             * sends e2fsck and the next mount to the log first. */
            fs->incompat |= EXT2_INCOMPAT_RECOVER;
            fs_put_le32(fs->sb + EXT2_SB_FEATURE_INCOMPAT, fs->incompat);
        }
        fs->j.sync = (flags & FS_MOUNT_SYNC) != 0;
        /* As Linux does: "not clean" on disk while mounted read-write. */
        uint16_t state = fs_le16(fs->sb + EXT2_SB_STATE);
        fs_put_le16(fs->sb + EXT2_SB_STATE, state & (uint16_t)~EXT2_STATE_VALID);
        fs_put_le16(fs->sb + EXT2_SB_MNT_COUNT,
                    (uint16_t)(fs_le16(fs->sb + EXT2_SB_MNT_COUNT) + 1));
        fs->sb_dirty = true;
        err = sync_direct(fs);
    }
    return err;
}

/* Writes the superblock home and flushes: at mount and unmount, with the log empty. */
static int
sync_direct(struct fs *fs)
{
    if (fs->sb_dirty) {
        if (fs->now != 0) {
            fs_put_le32(fs->sb + EXT2_SB_WTIME, (uint32_t)fs->now);
        }
        int err = fs_dev_write(fs, EXT2_SB_OFFSET, fs->sb, EXT2_SB_SIZE);
        if (err < 0) {
            return err;
        }
        fs->sb_dirty = false;
    }
    return fs->dev.flush(fs->dev.ctx) < 0 ? -FS_EIO : 0;
}

int
fs_sync(struct fs *fs)
{
    if (fs->rdonly) {
        return fs->j.aborted ? -FS_EIO : 0;
    }
    if (fs->j.on) {
        return fs_tx_commit(fs); /* the commit block is on disk behind a flush */
    }
    return sync_direct(fs);
}

int
fs_fsync(struct fs *fs, uint32_t ino)
{
    if (ino == 0 || ino > fs->inodes_count) {
        return -FS_EINVAL;
    }
    /* One running transaction holds every file's changes: committing it covers ino. */
    return fs_sync(fs);
}

int
fs_unmount(struct fs *fs)
{
    int err = 0;
    if (!fs->rdonly) {
        err = fs_journal_stop(fs);
        if (err == 0 && (fs->compat & EXT2_COMPAT_HAS_JOURNAL)) {
            fs->incompat &= ~(uint32_t)EXT2_INCOMPAT_RECOVER;
            fs_put_le32(fs->sb + EXT2_SB_FEATURE_INCOMPAT, fs->incompat);
        }
        if (err == 0) {
            uint16_t state = fs_le16(fs->sb + EXT2_SB_STATE);
            fs_put_le16(fs->sb + EXT2_SB_STATE, state | EXT2_STATE_VALID);
            fs->sb_dirty = true;
            err = sync_direct(fs);
        }
    } else if (fs->j.aborted) {
        err = -FS_EIO; /* the log keeps the last commit; the next mount replays it */
    }
    fs->nslots = 0;
    return err;
}
