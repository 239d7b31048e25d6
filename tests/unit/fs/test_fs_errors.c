/*
 * Every error path of lib/fs's API, on a scratch ext3 image (1 KiB blocks) made by
 * mke2fs: mount refusals, each operation's errors (after which the image must be
 * byte-for-byte unchanged), running out of blocks and inodes, files over 4 GiB, and
 * corrupted structures that must give FS_ECORRUPT.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_internal.h"
#include "jbd2.h"
#include "imagedev.h"

#define VLTEST_STRERROR fs_strerror
#include "../vltest.h"

int test_fs_errors(const char *image);

static const char *g_image;
static uint8_t *g_pristine, *g_before, *g_after;
static size_t g_size;
static uint8_t g_cache[16 * 4096];
static struct fs g_fs;
static struct fs_dev g_dev;

static void
load(uint8_t *buf)
{
    int fd = open(g_image, O_RDONLY);
    if (fd < 0 || pread(fd, buf, g_size, 0) != (ssize_t)g_size) {
        perror(g_image);
        exit(2);
    }
    close(fd);
}

static void
store(const uint8_t *buf)
{
    int fd = open(g_image, O_WRONLY);
    if (fd < 0 || pwrite(fd, buf, g_size, 0) != (ssize_t)g_size) {
        perror(g_image);
        exit(2);
    }
    close(fd);
}

/* Restores the pristine image and mounts it. */
static int
fresh(unsigned flags)
{
    store(g_pristine);
    imagedev_open(&g_dev, g_image, false);
    int err = fs_mount(&g_fs, &g_dev, g_cache, sizeof(g_cache), flags);
    g_fs.now = 1700000000;
    return err;
}

static void
done(void)
{
    imagedev_close(&g_dev);
}

/* Patches the pristine superblock field at off (size 2 or 4) and mounts the result. */
static int
mount_patched_sb(uint32_t off, uint32_t value, int size)
{
    uint8_t *sb = g_pristine + EXT2_SB_OFFSET;
    uint32_t old = size == 2 ? fs_le16(sb + off) : fs_le32(sb + off);
    if (size == 2) {
        fs_put_le16(sb + off, (uint16_t)value);
    } else {
        fs_put_le32(sb + off, value);
    }
    int err = fresh(0);
    done();
    if (size == 2) {
        fs_put_le16(sb + off, (uint16_t)old);
    } else {
        fs_put_le32(sb + off, old);
    }
    return err;
}

/* Runs a failing call and checks both its error and that the image did not change. */
#define EXPECT_FAILS_CLEANLY(call, want)                                                           \
    do {                                                                                           \
        load(g_before);                                                                            \
        EXPECT_ERR((int)(call), want);                                                             \
        load(g_after);                                                                             \
        EXPECT_EQ(fs_pinned(&g_fs), 0);                                                            \
        if (memcmp(g_before, g_after, g_size) != 0) {                                              \
            return fail_with("line %d: %s changed the image", __LINE__, #call);                    \
        }                                                                                          \
    } while (0)

static bool
test_mount_refusals(void)
{
    uint8_t *sb = g_pristine + EXT2_SB_OFFSET;
    EXPECT_ERR(mount_patched_sb(EXT2_SB_MAGIC, 0x1234, 2), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_FEATURE_INCOMPAT,
                                fs_le32(sb + EXT2_SB_FEATURE_INCOMPAT) | EXT2_INCOMPAT_EXTENTS, 4),
               -FS_EFEATURE);
    EXPECT(strstr(g_fs.why, "extent") != NULL);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_FEATURE_INCOMPAT,
                                fs_le32(sb + EXT2_SB_FEATURE_INCOMPAT) | EXT2_INCOMPAT_META_BG, 4),
               -FS_EFEATURE);
    EXPECT(strstr(g_fs.why, "meta_bg") != NULL);
    /* needs_recovery on an image without a journal. */
    uint32_t compat = fs_le32(sb + EXT2_SB_FEATURE_COMPAT);
    fs_put_le32(sb + EXT2_SB_FEATURE_COMPAT, compat & ~(uint32_t)EXT2_COMPAT_HAS_JOURNAL);
    int e = mount_patched_sb(EXT2_SB_FEATURE_INCOMPAT,
                             fs_le32(sb + EXT2_SB_FEATURE_INCOMPAT) | EXT2_INCOMPAT_RECOVER, 4);
    fs_put_le32(sb + EXT2_SB_FEATURE_COMPAT, compat);
    EXPECT_ERR(e, -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_REV_LEVEL, 2, 4), -FS_EFEATURE);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_LOG_BLOCK_SIZE, 3, 4), -FS_EFEATURE);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_LOG_BLOCK_SIZE, 30, 4), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_BLOCKS_PER_GROUP, 0, 4), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_INODES_PER_GROUP, 3, 4), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_INODES_COUNT, 12345, 4), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_BLOCKS_COUNT, (uint32_t)(g_size / 1024 + 1), 4),
               -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_INODE_SIZE, 100, 2), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_FIRST_DATA_BLOCK, 0, 4), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_FIRST_INO, 3, 4), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_FREE_BLOCKS, 0xffffffff, 4), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_sb(EXT2_SB_JOURNAL_INUM, 9, 4), -FS_EFEATURE);
    /* A group descriptor whose inode table runs off the end. */
    uint8_t *gd = g_pristine + 2 * 1024;
    uint32_t it = fs_le32(gd + EXT2_GD_INODE_TABLE);
    fs_put_le32(gd + EXT2_GD_INODE_TABLE, 0xfffffff0);
    int err = fresh(0);
    done();
    fs_put_le32(gd + EXT2_GD_INODE_TABLE, it);
    EXPECT_ERR(err, -FS_ECORRUPT);
    /* A cache too small for the deepest operation. */
    store(g_pristine);
    imagedev_open(&g_dev, g_image, false);
    err = fs_mount(&g_fs, &g_dev, g_cache, 1024 * (FS_CACHE_SLOTS_MIN - 1), 0);
    done();
    EXPECT_ERR(err, -FS_EINVAL);
    /* A device shorter than the file system. */
    imagedev_open(&g_dev, g_image, false);
    g_dev.sectors -= 2;
    err = fs_mount(&g_fs, &g_dev, g_cache, sizeof(g_cache), 0);
    done();
    EXPECT_ERR(err, -FS_ECORRUPT);
    return true;
}

/* Mounts with the journal superblock's be32 field at off set to value; restores it. */
static int
mount_patched_journal(uint32_t blk, uint32_t off, uint32_t value, unsigned flags)
{
    uint8_t *p = g_pristine + (size_t)blk * 1024 + off;
    uint8_t old[4];
    memcpy(old, p, 4);
    p[0] = (uint8_t)(value >> 24), p[1] = (uint8_t)(value >> 16);
    p[2] = (uint8_t)(value >> 8), p[3] = (uint8_t)value;
    int err = fresh(flags);
    if (err == 0) {
        err = fs_unmount(&g_fs);
    }
    done();
    memcpy(p, old, 4);
    return err;
}

/*
 * A journal marked as needing recovery: replayed on a read-write mount (here the log is
 * empty past its start, so nothing is copied, but the journal is marked empty and the
 * needs_recovery flag cleared), refused read-only; bad journal superblocks refused.
 * run.sh replays real transactions written by debugfs.
 */
static bool
test_journal_recover(void)
{
    EXPECT_ERR(fresh(0), 0);
    struct fs_inode j;
    uint32_t blk;
    EXPECT_ERR(fs_iget(&g_fs, EXT2_JOURNAL_INO, &j), 0);
    EXPECT_ERR(fs_bmap(&g_fs, &j, 0, false, &blk, NULL), 0);
    done();
    uint8_t *sb = g_pristine + EXT2_SB_OFFSET;
    uint32_t incompat = fs_le32(sb + EXT2_SB_FEATURE_INCOMPAT);
    fs_put_le32(sb + EXT2_SB_FEATURE_INCOMPAT, incompat | EXT2_INCOMPAT_RECOVER);
    int ro = mount_patched_journal(blk, JBD2_SB_START, 1, FS_MOUNT_RDONLY);
    bool why_ok = strstr(g_fs.why, "recovery") != NULL;
    int rw = mount_patched_journal(blk, JBD2_SB_START, 1, 0);
    uint8_t after[1024];
    load(g_after);
    memcpy(after, g_after + EXT2_SB_OFFSET, sizeof(after));
    uint32_t jstart = fs_be32(g_after + (size_t)blk * 1024 + JBD2_SB_START);
    fs_put_le32(sb + EXT2_SB_FEATURE_INCOMPAT, incompat);
    EXPECT_ERR(ro, -FS_EROFS);
    EXPECT(why_ok);
    EXPECT_ERR(rw, 0);
    EXPECT_EQ(jstart, 0);
    EXPECT_EQ(fs_le32(after + EXT2_SB_FEATURE_INCOMPAT) & EXT2_INCOMPAT_RECOVER, 0);
    /* Journal superblocks lib/fs must not trust or cannot replay. */
    EXPECT_ERR(mount_patched_journal(blk, 12 /* s_blocksize */, 4096, 0), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_journal(blk, 0 /* magic */, 0x12345678, 0), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_journal(blk, 16 /* s_maxlen */, 0x7fffffff, 0), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_journal(blk, 20 /* s_first */, 0, 0), -FS_ECORRUPT);
    EXPECT_ERR(mount_patched_journal(blk, JBD2_SB_START, 0x7ffffff0, 0), -FS_ECORRUPT);
    uint8_t *jsb = g_pristine + (size_t)blk * 1024;
    uint32_t type = fs_be32(jsb + 4);
    EXPECT_EQ(type, 4); /* mke2fs writes a version 2 superblock */
    EXPECT_ERR(mount_patched_journal(blk, 40 /* s_feature_incompat */, 0x2 /* 64bit */, 0),
               -FS_EFEATURE);
    return true;
}

/* Every write is refused on a read-only mount, asked for or forced by a ro_compat feature. */
static bool
check_rdonly(void)
{
    uint32_t ino;
    EXPECT(g_fs.rdonly);
    EXPECT_FAILS_CLEANLY(fs_mknod(&g_fs, 2, "x", 1, EXT2_S_IFREG | 0644, 0, &ino), -FS_EROFS);
    EXPECT_FAILS_CLEANLY(fs_mkdir(&g_fs, 2, "x", 1, 0755, &ino), -FS_EROFS);
    EXPECT_FAILS_CLEANLY(fs_symlink(&g_fs, 2, "x", 1, "t", &ino), -FS_EROFS);
    EXPECT_FAILS_CLEANLY(fs_link(&g_fs, 2, "x", 1, 11), -FS_EROFS);
    EXPECT_FAILS_CLEANLY(fs_unlink(&g_fs, 2, "lost+found", 10), -FS_EROFS);
    EXPECT_FAILS_CLEANLY(fs_rmdir(&g_fs, 2, "lost+found", 10), -FS_EROFS);
    EXPECT_FAILS_CLEANLY(fs_rename(&g_fs, 2, "lost+found", 10, 2, "y", 1), -FS_EROFS);
    EXPECT_FAILS_CLEANLY(fs_write(&g_fs, 11, 0, "a", 1), -FS_EROFS);
    EXPECT_FAILS_CLEANLY(fs_truncate(&g_fs, 11, 0), -FS_EROFS);
    EXPECT_FAILS_CLEANLY(fs_setattr(&g_fs, 2, 0700, 0, 0, 0, 0), -FS_EROFS);
    EXPECT_FAILS_CLEANLY(fs_unmount(&g_fs), 0);
    return true;
}

static bool
test_read_only(void)
{
    EXPECT_ERR(fresh(FS_MOUNT_RDONLY), 0);
    bool ok = check_rdonly();
    done();
    EXPECT(ok);
    uint8_t *sb = g_pristine + EXT2_SB_OFFSET;
    uint32_t ro = fs_le32(sb + EXT2_SB_FEATURE_RO_COMPAT);
    fs_put_le32(sb + EXT2_SB_FEATURE_RO_COMPAT, ro | EXT2_RO_COMPAT_HUGE_FILE);
    int err = fresh(0);
    fs_put_le32(sb + EXT2_SB_FEATURE_RO_COMPAT, ro);
    EXPECT_ERR(err, 0);
    EXPECT(strstr(g_fs.why, "huge_file") != NULL);
    ok = check_rdonly();
    done();
    return ok;
}

static bool
name_errors(void)
{
    uint32_t ino, f, d, l;
    char longname[300];
    memset(longname, 'n', sizeof(longname));
    EXPECT_ERR(fs_mknod(&g_fs, 2, "f", 1, EXT2_S_IFREG | 0644, 0, &f), 0);
    EXPECT_ERR(fs_mkdir(&g_fs, 2, "d", 1, 0755, &d), 0);
    EXPECT_ERR(fs_mknod(&g_fs, d, "inner", 5, EXT2_S_IFREG | 0644, 0, &ino), 0);
    EXPECT_ERR(fs_symlink(&g_fs, 2, "loop", 4, "loop", &l), 0);

    EXPECT_FAILS_CLEANLY(fs_lookup(&g_fs, 2, "nope", 4, &ino), -FS_ENOENT);
    EXPECT_FAILS_CLEANLY(fs_lookup(&g_fs, f, "x", 1, &ino), -FS_ENOTDIR);
    EXPECT_FAILS_CLEANLY(fs_lookup(&g_fs, 2, longname, 256, &ino), -FS_ENAMETOOLONG);
    EXPECT_FAILS_CLEANLY(fs_lookup(&g_fs, 2, "", 0, &ino), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_lookup(&g_fs, 2, "a/b", 3, &ino), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_lookup(&g_fs, 2, "a\0b", 3, &ino), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_lookup(&g_fs, 0, "a", 1, &ino), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_lookup(&g_fs, 1000, "a", 1, &ino), -FS_ENOENT);

    EXPECT_FAILS_CLEANLY(fs_mknod(&g_fs, 2, "f", 1, EXT2_S_IFREG | 0644, 0, &ino), -FS_EEXIST);
    EXPECT_FAILS_CLEANLY(fs_mknod(&g_fs, 2, ".", 1, EXT2_S_IFREG | 0644, 0, &ino), -FS_EEXIST);
    EXPECT_FAILS_CLEANLY(fs_mknod(&g_fs, 2, "z", 1, EXT2_S_IFDIR | 0755, 0, &ino), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_mknod(&g_fs, 2, "z", 1, EXT2_S_IFLNK | 0755, 0, &ino), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_mknod(&g_fs, f, "z", 1, EXT2_S_IFREG, 0, &ino), -FS_ENOTDIR);
    EXPECT_FAILS_CLEANLY(fs_mknod(&g_fs, 2, longname, 256, EXT2_S_IFREG, 0, &ino),
                         -FS_ENAMETOOLONG);
    EXPECT_FAILS_CLEANLY(fs_mkdir(&g_fs, 2, "d", 1, 0755, &ino), -FS_EEXIST);
    EXPECT_FAILS_CLEANLY(fs_mkdir(&g_fs, 2, "..", 2, 0755, &ino), -FS_EEXIST);
    EXPECT_FAILS_CLEANLY(fs_mkdir(&g_fs, 2, "q", 1, EXT2_S_IFREG | 0755, &ino), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_symlink(&g_fs, 2, "s", 1, "", &ino), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_symlink(&g_fs, 2, "f", 1, "t", &ino), -FS_EEXIST);
    longname[299] = '\0';
    char huge[2048];
    memset(huge, 'h', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    EXPECT_FAILS_CLEANLY(fs_symlink(&g_fs, 2, "s", 1, huge, &ino), -FS_ENAMETOOLONG);

    EXPECT_FAILS_CLEANLY(fs_unlink(&g_fs, 2, "d", 1), -FS_EISDIR);
    EXPECT_FAILS_CLEANLY(fs_unlink(&g_fs, 2, "nope", 4), -FS_ENOENT);
    EXPECT_FAILS_CLEANLY(fs_rmdir(&g_fs, 2, "d", 1), -FS_ENOTEMPTY);
    EXPECT_FAILS_CLEANLY(fs_rmdir(&g_fs, 2, "f", 1), -FS_ENOTDIR);
    EXPECT_FAILS_CLEANLY(fs_rmdir(&g_fs, 2, ".", 1), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_rmdir(&g_fs, 2, "..", 2), -FS_ENOTEMPTY);
    EXPECT_FAILS_CLEANLY(fs_rmdir(&g_fs, 2, "nope", 4), -FS_ENOENT);
    EXPECT_FAILS_CLEANLY(fs_link(&g_fs, 2, "dl", 2, d), -FS_EISDIR);
    EXPECT_FAILS_CLEANLY(fs_link(&g_fs, 2, "d", 1, f), -FS_EEXIST);
    EXPECT_FAILS_CLEANLY(fs_link(&g_fs, 2, "fl", 2, 1000), -FS_ENOENT);
    EXPECT_FAILS_CLEANLY(fs_link(&g_fs, 2, "fl", 2, EXT2_JOURNAL_INO), -FS_EINVAL);

    EXPECT_FAILS_CLEANLY(fs_rename(&g_fs, 2, "d", 1, d, "sub", 3), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_rename(&g_fs, 2, "d", 1, 2, "f", 1), -FS_ENOTDIR);
    EXPECT_FAILS_CLEANLY(fs_rename(&g_fs, 2, "f", 1, 2, "d", 1), -FS_EISDIR);
    EXPECT_FAILS_CLEANLY(fs_rename(&g_fs, 2, ".", 1, 2, "x", 1), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_rename(&g_fs, 2, "nope", 4, 2, "x", 1), -FS_ENOENT);
    EXPECT_FAILS_CLEANLY(fs_rename(&g_fs, 2, "f", 1, f, "x", 1), -FS_ENOTDIR);
    EXPECT_ERR(fs_mkdir(&g_fs, 2, "e", 1, 0755, &ino), 0);
    EXPECT_FAILS_CLEANLY(fs_rename(&g_fs, 2, "e", 1, 2, "d", 1), -FS_ENOTEMPTY);
    /* Renaming a name onto another link of the same file does nothing. */
    EXPECT_ERR(fs_link(&g_fs, 2, "f2", 2, f), 0);
    EXPECT_FAILS_CLEANLY(fs_rename(&g_fs, 2, "f", 1, 2, "f2", 2), 0);

    EXPECT_FAILS_CLEANLY(fs_walk(&g_fs, 2, "loop", true, &ino), -FS_ELOOP);
    EXPECT_FAILS_CLEANLY(fs_walk(&g_fs, 2, "loop/x", false, &ino), -FS_ELOOP);
    EXPECT_FAILS_CLEANLY(fs_walk(&g_fs, 2, "f/x", false, &ino), -FS_ENOTDIR);
    EXPECT_FAILS_CLEANLY(fs_walk(&g_fs, 2, "d/nope", false, &ino), -FS_ENOENT);
    EXPECT_ERR(fs_walk(&g_fs, 2, "loop", false, &ino), 0);
    EXPECT_EQ(ino, l);
    EXPECT_ERR(fs_walk(&g_fs, d, "../d/./inner", false, &ino), 0);
    EXPECT_ERR(fs_walk(&g_fs, d, "/../../d/", false, &ino), 0);
    EXPECT_EQ(ino, d);
    EXPECT_ERR(fs_symlink(&g_fs, 2, "abs", 3, "/d", &ino), 0);
    EXPECT_ERR(fs_symlink(&g_fs, d, "up", 2, "../abs", &ino), 0);
    EXPECT_ERR(fs_walk(&g_fs, 2, "d/up/inner", true, &ino), 0);
    EXPECT_ERR(fs_walk(&g_fs, 2, "d/up/up/up/inner", true, &ino), 0);
    EXPECT_FAILS_CLEANLY(fs_walk(&g_fs, 2, "d/up/up/up/up/up/inner", true, &ino), -FS_ELOOP);
    return true;
}

static bool
test_name_errors(void)
{
    EXPECT_ERR(fresh(0), 0);
    bool ok = name_errors();
    done();
    return ok;
}

static bool
io_errors(void)
{
    uint32_t f, fifo, d, ino;
    char buf[64];
    struct fs_stat st;
    EXPECT_ERR(fs_mknod(&g_fs, 2, "f", 1, EXT2_S_IFREG | 0644, 0, &f), 0);
    EXPECT_ERR(fs_mknod(&g_fs, 2, "p", 1, EXT2_S_IFIFO | 0644, 0, &fifo), 0);
    EXPECT_ERR(fs_mknod(&g_fs, 2, "c", 1, EXT2_S_IFCHR | 0644, (4 << 8) | 1, &ino), 0);
    EXPECT_ERR(fs_stat(&g_fs, ino, &st), 0);
    EXPECT_EQ(st.rdev, (4 << 8) | 1);
    EXPECT_ERR(fs_mkdir(&g_fs, 2, "d", 1, 0755, &d), 0);
    EXPECT_FAILS_CLEANLY(fs_read(&g_fs, d, 0, buf, 1), -FS_EISDIR);
    EXPECT_FAILS_CLEANLY(fs_write(&g_fs, d, 0, buf, 1), -FS_EISDIR);
    EXPECT_FAILS_CLEANLY(fs_truncate(&g_fs, d, 0), -FS_EISDIR);
    EXPECT_FAILS_CLEANLY(fs_read(&g_fs, fifo, 0, buf, 1), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_write(&g_fs, fifo, 0, buf, 1), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_truncate(&g_fs, fifo, 0), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_readlink(&g_fs, f, buf, sizeof(buf)), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_stat(&g_fs, 0, &st), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_stat(&g_fs, g_fs.inodes_count + 1, &st), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_stat(&g_fs, 1000, &st), -FS_ENOENT);
    EXPECT_FAILS_CLEANLY(fs_setattr(&g_fs, f, 010000, 0, 0, 0, 0), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_setattr(&g_fs, 1000, 0644, 0, 0, 0, 0), -FS_ENOENT);
    EXPECT_FAILS_CLEANLY(fs_setattr(&g_fs, EXT2_JOURNAL_INO, 0644, 0, 0, 0, 0), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_write(&g_fs, EXT2_JOURNAL_INO, 0, buf, 1), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_truncate(&g_fs, EXT2_RESIZE_INO, 0), -FS_EINVAL);
    EXPECT_FAILS_CLEANLY(fs_write(&g_fs, f, (uint64_t)1 << 50, buf, 1), -FS_EFBIG);
    EXPECT_FAILS_CLEANLY(fs_truncate(&g_fs, f, (uint64_t)1 << 50), -FS_EFBIG);
    uint32_t s;
    EXPECT_ERR(fs_symlink(&g_fs, 2, "s", 1, "0123456789", &s), 0);
    EXPECT_FAILS_CLEANLY(fs_readlink(&g_fs, s, buf, 5), -FS_ENAMETOOLONG);
    EXPECT_FAILS_CLEANLY(fs_read(&g_fs, s, 0, buf, 5), -FS_EINVAL);
    /* Owners and permissions round-trip through setattr and stat. */
    EXPECT_ERR(fs_setattr(&g_fs, f, 04751, 70000, 80000, 5, 6), 0);
    EXPECT_ERR(fs_stat(&g_fs, f, &st), 0);
    EXPECT_EQ(st.mode, EXT2_S_IFREG | 04751);
    EXPECT_EQ(st.uid, 70000);
    EXPECT_EQ(st.gid, 80000);
    EXPECT_EQ(st.mtime, 6);
    return true;
}

static bool
test_io_errors(void)
{
    EXPECT_ERR(fresh(0), 0);
    bool ok = io_errors();
    done();
    return ok;
}

/* Fills the disk, then the inode table: ENOSPC, with the counts at zero, then frees all. */
static bool
space(void)
{
    static uint8_t buf[65536];
    uint32_t f, ino;
    uint32_t free0 = fs_le32(g_fs.sb + EXT2_SB_FREE_BLOCKS);
    uint32_t ifree0 = fs_le32(g_fs.sb + EXT2_SB_FREE_INODES);
    memset(buf, 0xa5, sizeof(buf));
    EXPECT_ERR(fs_mknod(&g_fs, 2, "fill", 4, EXT2_S_IFREG | 0644, 0, &f), 0);
    long n;
    uint64_t off = 0;
    while ((n = fs_write(&g_fs, f, off, buf, sizeof(buf))) == (long)sizeof(buf)) {
        off += sizeof(buf);
    }
    EXPECT_ERR((int)n, -FS_ENOSPC);
    EXPECT_EQ(fs_le32(g_fs.sb + EXT2_SB_FREE_BLOCKS), 0);
    /* A failed write leaves the size where it was, or with a journal where its last
     * whole step (FS_JOURNAL_STEP_BLOCKS blocks) ended. */
    struct fs_stat st;
    EXPECT_ERR(fs_stat(&g_fs, f, &st), 0);
    uint64_t step = g_fs.j.on ? FS_JOURNAL_STEP_BLOCKS * g_fs.block_size : sizeof(buf);
    EXPECT_EQ(st.size >= off && st.size < off + sizeof(buf) && (st.size - off) % step == 0, 1);
    EXPECT_FAILS_CLEANLY(fs_mkdir(&g_fs, 2, "nd", 2, 0755, &ino), -FS_ENOSPC);
    char name[32];
    int made = 0;
    int err;
    for (;;) {
        snprintf(name, sizeof(name), "n%d", made);
        err = fs_mknod(&g_fs, 2, name, strlen(name), EXT2_S_IFIFO | 0644, 0, &ino);
        if (err < 0) {
            break;
        }
        made++;
    }
    /* The root directory's blocks fill up (ENOSPC) or the inodes run out first. */
    EXPECT_ERR(err, -FS_ENOSPC);
    EXPECT(made > 0);
    for (int i = 0; i < made; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        EXPECT_ERR(fs_unlink(&g_fs, 2, name, strlen(name)), 0);
    }
    EXPECT_ERR(fs_unlink(&g_fs, 2, "fill", 4), 0);
    EXPECT_EQ(fs_le32(g_fs.sb + EXT2_SB_FREE_INODES), ifree0);
    /* The root directory keeps the blocks it grew. */
    EXPECT(fs_le32(g_fs.sb + EXT2_SB_FREE_BLOCKS) <= free0);
    EXPECT(fs_le32(g_fs.sb + EXT2_SB_FREE_BLOCKS) + 64 > free0);
    return true;
}

static bool
test_space(void)
{
    EXPECT_ERR(fresh(0), 0);
    bool ok = space();
    EXPECT_ERR(fs_unmount(&g_fs), 0);
    done();
    return ok;
}

/* A sparse file past 4 GiB: written, read back, truncated, all blocks returned. */
static bool
big_file(void)
{
    uint32_t f;
    uint8_t buf[3000], back[3000];
    uint64_t far = (5ull << 30) + 12345;
    struct fs_stat st;
    uint32_t free0 = fs_le32(g_fs.sb + EXT2_SB_FREE_BLOCKS);
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 13);
    }
    EXPECT_ERR(fs_mknod(&g_fs, 2, "big", 3, EXT2_S_IFREG | 0644, 0, &f), 0);
    EXPECT_EQ(fs_write(&g_fs, f, far, buf, sizeof(buf)), sizeof(buf));
    EXPECT_EQ(fs_write(&g_fs, f, 100, buf, sizeof(buf)), sizeof(buf));
    EXPECT_ERR(fs_stat(&g_fs, f, &st), 0);
    EXPECT_EQ(st.size, far + sizeof(buf));
    EXPECT_EQ(fs_read(&g_fs, f, far, back, sizeof(back)), sizeof(back));
    EXPECT(memcmp(buf, back, sizeof(buf)) == 0);
    EXPECT_EQ(fs_read(&g_fs, f, far - 1000, back, 1000), 1000);
    for (int i = 0; i < 1000; i++) {
        EXPECT_EQ(back[i], 0);
    }
    EXPECT_ERR(fs_truncate(&g_fs, f, 1000), 0);
    EXPECT_EQ(fs_read(&g_fs, f, 0, back, sizeof(back)), 1000);
    EXPECT(memcmp(back + 100, buf, 900) == 0);
    /* Growing again exposes zeros, not the old bytes. */
    EXPECT_ERR(fs_truncate(&g_fs, f, 3000), 0);
    EXPECT_EQ(fs_read(&g_fs, f, 0, back, sizeof(back)), 3000);
    for (int i = 1000; i < 3000; i++) {
        EXPECT_EQ(back[i], 0);
    }
    EXPECT_ERR(fs_truncate(&g_fs, f, 0), 0);
    EXPECT_ERR(fs_stat(&g_fs, f, &st), 0);
    EXPECT_EQ(st.blocks, 0);
    EXPECT_EQ(fs_le32(g_fs.sb + EXT2_SB_FREE_BLOCKS), free0);
    EXPECT_EQ(fs_write(&g_fs, f, far, buf, sizeof(buf)), sizeof(buf));
    return true;
}

static bool
test_big_file(void)
{
    EXPECT_ERR(fresh(0), 0);
    bool ok = big_file();
    EXPECT_ERR(fs_unmount(&g_fs), 0);
    done();
    EXPECT(ok);
    /* The file stays on the image: run.sh runs e2fsck on it afterwards. */
    return true;
}

/* Physical block of logical block lblk of ino. */
static uint32_t
phys(uint32_t ino, uint64_t lblk)
{
    struct fs_inode in;
    uint32_t b = 0;
    if (fs_iget(&g_fs, ino, &in) == 0) {
        fs_bmap(&g_fs, &in, lblk, false, &b, NULL);
    }
    return b;
}

static bool
corrupt(void)
{
    uint32_t d, f, g, ino;
    uint8_t buf[64];
    uint64_t cookie = 0;
    struct fs_dirent de;
    static uint8_t data[20 * 1024];
    EXPECT_ERR(fs_mkdir(&g_fs, 2, "d", 1, 0755, &d), 0);
    EXPECT_ERR(fs_mknod(&g_fs, 2, "f", 1, EXT2_S_IFREG | 0644, 0, &f), 0);
    EXPECT_ERR(fs_mknod(&g_fs, 2, "g", 1, EXT2_S_IFREG | 0644, 0, &g), 0);
    EXPECT_EQ(fs_write(&g_fs, f, 0, data, sizeof(data)), sizeof(data));
    EXPECT_EQ(fs_write(&g_fs, g, 0, data, 10), 10);
    uint32_t dblk = phys(d, 0), gblk = phys(g, 0);
    struct fs_inode in;
    EXPECT_ERR(fs_iget(&g_fs, f, &in), 0);
    uint32_t ind = fs_le32(in.raw + EXT2_I_BLOCK + 4 * EXT2_IND_BLOCK);
    EXPECT(ind != 0);
    EXPECT_ERR(fs_unmount(&g_fs), 0);
    done();
    int fd = open(g_image, O_RDWR);
    EXPECT(fd >= 0);
    /* ".." of d gets rec_len 0 (a loop if trusted), f's indirect block a block past the
     * end, and g's data block is marked free in the bitmap (a double owner to be). */
    uint8_t zero[2] = {0, 0};
    EXPECT(pwrite(fd, zero, 2, (off_t)dblk * 1024 + 12 + EXT2_DE_REC_LEN) == 2);
    uint8_t past[4] = {0xff, 0xff, 0xff, 0x0f};
    EXPECT(pwrite(fd, past, 4, (off_t)ind * 1024) == 4);
    close(fd);
    imagedev_open(&g_dev, g_image, false);
    EXPECT_ERR(fs_mount(&g_fs, &g_dev, g_cache, sizeof(g_cache), 0), 0);
    g_fs.now = 1700000000;
    uint8_t *b = NULL, *gd = NULL;
    EXPECT_ERR(fs_group_desc(&g_fs, (gblk - 1) / g_fs.blocks_per_group, &b, &gd), 0);
    uint32_t bm = fs_le32(gd + EXT2_GD_BLOCK_BITMAP);
    fs_bput(&g_fs, b, false);
    uint8_t *bmp = fs_bget(&g_fs, bm, &(int){0});
    EXPECT(bmp != NULL);
    uint32_t bit = (gblk - 1) % g_fs.blocks_per_group;
    bmp[bit / 8] &= (uint8_t) ~(1u << (bit % 8));
    EXPECT_ERR(fs_bput(&g_fs, bmp, true), 0);

    EXPECT_FAILS_CLEANLY(fs_lookup(&g_fs, d, "x", 1, &ino), -FS_ECORRUPT);
    EXPECT_FAILS_CLEANLY(fs_readdir(&g_fs, d, &cookie, &de), -FS_ECORRUPT);
    EXPECT_FAILS_CLEANLY(fs_mknod(&g_fs, d, "x", 1, EXT2_S_IFREG, 0, &ino), -FS_ECORRUPT);
    EXPECT_FAILS_CLEANLY(fs_read(&g_fs, f, 12 * 1024, buf, 10), -FS_ECORRUPT);
    EXPECT_EQ(fs_read(&g_fs, f, 0, buf, 10), 10);
    EXPECT_ERR(fs_unlink(&g_fs, 2, "g", 1), -FS_ECORRUPT);
    /* The root's entry for f is made to name the journal inode. */
    uint64_t pos = 0;
    struct fs_dirent e;
    int r;
    uint32_t rootblk = phys(EXT2_ROOT_INO, 0);
    uint8_t *rb = fs_bget(&g_fs, rootblk, &(int){0});
    EXPECT(rb != NULL);
    for (uint32_t off = 0; off < 1024; off += fs_le16(rb + off + EXT2_DE_REC_LEN)) {
        if (rb[off + EXT2_DE_NAME_LEN] == 1 && rb[off + EXT2_DE_NAME] == 'f') {
            fs_put_le32(rb + off + EXT2_DE_INODE, EXT2_JOURNAL_INO);
        }
    }
    EXPECT_ERR(fs_bput(&g_fs, rb, true), 0);
    EXPECT_FAILS_CLEANLY(fs_lookup(&g_fs, EXT2_ROOT_INO, "f", 1, &ino), -FS_ECORRUPT);
    EXPECT_FAILS_CLEANLY(fs_unlink(&g_fs, EXT2_ROOT_INO, "f", 1), -FS_ECORRUPT);
    while ((r = fs_readdir(&g_fs, EXT2_ROOT_INO, &pos, &e)) == 1) {
    }
    EXPECT_ERR(r, -FS_ECORRUPT);
    return true;
}

static bool
test_corrupt(void)
{
    EXPECT_ERR(fresh(0), 0);
    bool ok = corrupt();
    done();
    return ok;
}

/* Every code has a name, by either sign; anything else is "unknown". */
static bool
test_strerror(void)
{
    EXPECT(strcmp(fs_strerror(0), "ok") == 0);
    EXPECT(strcmp(fs_strerror(-FS_ECORRUPT), "ECORRUPT") == 0);
    EXPECT(strcmp(fs_strerror(FS_EBUSY), "EBUSY") == 0);
    for (int e = 1; e <= FS_EBUSY; e++) {
        EXPECT(strcmp(fs_strerror(-e), "unknown") != 0);
    }
    EXPECT(strcmp(fs_strerror(FS_EBUSY + 1), "unknown") == 0);
    EXPECT(strcmp(fs_strerror(-1000), "unknown") == 0);
    return true;
}

/* The journal superblock's s_start on the image file now (0: the log is empty). */
static uint32_t
jsb_start_on_disk(uint32_t jsb_blk)
{
    load(g_after);
    return fs_be32(g_after + (size_t)jsb_blk * 1024 + JBD2_SB_START);
}

static uint32_t
jsb_block(void)
{
    struct fs_inode j;
    uint32_t blk = 0;
    if (fs_iget(&g_fs, EXT2_JOURNAL_INO, &j) == 0) {
        fs_bmap(&g_fs, &j, 0, false, &blk, NULL);
    }
    return blk;
}

/*
 * A hostile image whose journal inode maps a log block onto the group descriptors, the
 * block bitmap or the inode table: the writer would overwrite them with log blocks, so
 * a read-write mount is refused (read-only still mounts) and none of them is changed.
 */
static bool
test_journal_map_metadata(void)
{
    EXPECT_ERR(fresh(FS_MOUNT_RDONLY), 0);
    uint32_t first = g_fs.first_data_block, isize = g_fs.inode_size;
    done();
    const uint8_t *gd = g_pristine + (size_t)(first + 1) * 1024;
    uint32_t bbitmap = fs_le32(gd + EXT2_GD_BLOCK_BITMAP);
    uint32_t itable = fs_le32(gd + EXT2_GD_INODE_TABLE);
    /* The journal inode's second direct pointer: log position 1, the first one written. */
    uint8_t *jin = g_pristine + (size_t)itable * 1024 + (EXT2_JOURNAL_INO - 1) * isize;
    uint8_t *ptr = jin + EXT2_I_BLOCK + 4;
    uint32_t old = fs_le32(ptr);
    uint32_t targets[] = {first + 1, bbitmap, itable};
    for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
        fs_put_le32(ptr, targets[t]);
        EXPECT_ERR(fresh(0), -FS_ECORRUPT);
        done();
        load(g_after);
        /* Nothing but the patched image: every block below the data is as it was. */
        EXPECT(memcmp(g_after, g_pristine, (size_t)(itable + 1) * 1024) == 0);
        EXPECT_ERR(fresh(FS_MOUNT_RDONLY), 0);
        EXPECT_ERR(fs_unmount(&g_fs), 0);
        done();
    }
    fs_put_le32(ptr, old);
    return true;
}

static void
put_be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/*
 * A revoke across the sequence wrap: transaction 0xffffffff logs block t, transaction 0
 * (the next one) revokes it. Replay must skip t, as JBD2 does; an unsigned compare would
 * take the revoke for an older one and write the stale copy over t.
 */
static bool
test_journal_revoke_wrap(void)
{
    EXPECT_ERR(fresh(FS_MOUNT_RDONLY), 0);
    struct fs_inode j;
    uint32_t pblk[6];
    EXPECT_ERR(fs_iget(&g_fs, EXT2_JOURNAL_INO, &j), 0);
    EXPECT_ERR(fs_bmap(&g_fs, &j, 0, false, &pblk[0], NULL), 0);
    uint32_t first = fs_be32(g_pristine + (size_t)pblk[0] * 1024 + JBD2_SB_FIRST);
    for (uint32_t i = 1; i < 6; i++) {
        EXPECT_ERR(fs_bmap(&g_fs, &j, first + i - 1, false, &pblk[i], NULL), 0);
    }
    uint32_t t = g_fs.blocks_count - 1;
    done();
    memcpy(g_before, g_pristine, g_size);
    uint8_t *sb = g_pristine + EXT2_SB_OFFSET;
    fs_put_le32(sb + EXT2_SB_FEATURE_INCOMPAT,
                fs_le32(sb + EXT2_SB_FEATURE_INCOMPAT) | EXT2_INCOMPAT_RECOVER);
    uint8_t *jsb = g_pristine + (size_t)pblk[0] * 1024;
    put_be(jsb + JBD2_SB_START, first);
    put_be(jsb + JBD2_SB_SEQUENCE, 0xffffffffu);
    put_be(jsb + JBD2_SB_INCOMPAT, JBD2_INCOMPAT_REVOKE);
    uint8_t *b[5];
    uint32_t seqs[5] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0, 0};
    uint32_t types[5] = {JBD2_DESCRIPTOR, 0, JBD2_COMMIT, JBD2_REVOKE, JBD2_COMMIT};
    for (int i = 0; i < 5; i++) {
        b[i] = g_pristine + (size_t)pblk[i + 1] * 1024;
        memset(b[i], 0, 1024);
        if (i != 1) {
            put_be(b[i] + JBD2_H_MAGIC, JBD2_MAGIC);
            put_be(b[i] + JBD2_H_BLOCKTYPE, types[i]);
            put_be(b[i] + JBD2_H_SEQUENCE, seqs[i]);
        }
    }
    put_be(b[0] + JBD2_HEADER, t);
    b[0][JBD2_HEADER + JBD2_TAG_FLAGS + 1] = JBD2_FLAG_SAME_UUID | JBD2_FLAG_LAST_TAG;
    memset(b[1], 0xee, 1024); /* the stale copy of t */
    put_be(b[3] + JBD2_REVOKE_COUNT, JBD2_REVOKE_RECORDS + 4);
    put_be(b[3] + JBD2_REVOKE_RECORDS, t);
    uint8_t home[1024];
    memcpy(home, g_pristine + (size_t)t * 1024, sizeof(home));
    int err = fresh(0);
    if (err == 0) {
        err = fs_unmount(&g_fs);
    }
    done();
    memcpy(g_pristine, g_before, g_size);
    EXPECT_ERR(err, 0);
    load(g_after);
    EXPECT(memcmp(g_after + (size_t)t * 1024, home, sizeof(home)) == 0);
    return true;
}

/*
 * The journal writer: needs_recovery while mounted, the log live after an fsync and
 * empty after unmount, fsync's errors, a synchronous mount committing every operation,
 * the refusals (a v1 journal superblock, a log too short), a transaction too large for
 * its bound aborting the journal, and a block freed by the running transaction kept
 * from reuse until it commits.
 */
static bool
test_journal_write(void)
{
    uint32_t f, ino;
    static uint8_t buf[8192];
    memset(buf, 0xab, sizeof(buf));
    EXPECT_ERR(fresh(0), 0);
    EXPECT(g_fs.j.on);
    uint32_t jblk = jsb_block();
    EXPECT(jblk != 0);
    load(g_after);
    EXPECT(fs_le32(g_after + EXT2_SB_OFFSET + EXT2_SB_FEATURE_INCOMPAT) & EXT2_INCOMPAT_RECOVER);
    EXPECT_ERR(fs_mknod(&g_fs, 2, "f", 1, EXT2_S_IFREG | 0644, 0, &f), 0);
    EXPECT_EQ(fs_write(&g_fs, f, 0, buf, sizeof(buf)), sizeof(buf));
    EXPECT_EQ(jsb_start_on_disk(jblk), 0); /* nothing committed yet */
    EXPECT_ERR(fs_fsync(&g_fs, 0), -FS_EINVAL);
    EXPECT_ERR(fs_fsync(&g_fs, g_fs.inodes_count + 1), -FS_EINVAL);
    EXPECT_ERR(fs_fsync(&g_fs, f), 0);
    EXPECT(g_fs.j.commits >= 1);
    EXPECT(jsb_start_on_disk(jblk) != 0);
    uint64_t commits = g_fs.j.commits;
    EXPECT_ERR(fs_fsync(&g_fs, f), 0); /* nothing new: no commit */
    EXPECT_EQ(g_fs.j.commits, commits);
    EXPECT_ERR(fs_unmount(&g_fs), 0);
    done();
    EXPECT_EQ(jsb_start_on_disk(jblk), 0);
    EXPECT_EQ(fs_le32(g_after + EXT2_SB_OFFSET + EXT2_SB_FEATURE_INCOMPAT) & EXT2_INCOMPAT_RECOVER,
              0);

    /* A synchronous mount commits at the end of every operation that changed something. */
    EXPECT_ERR(fresh(FS_MOUNT_SYNC), 0);
    EXPECT_ERR(fs_mknod(&g_fs, 2, "s", 1, EXT2_S_IFREG | 0644, 0, &ino), 0);
    EXPECT_EQ(g_fs.j.commits, 1);
    EXPECT_EQ(fs_write(&g_fs, ino, 0, buf, 100), 100);
    EXPECT_EQ(g_fs.j.commits, 2);
    EXPECT(jsb_start_on_disk(jblk) != 0);
    EXPECT_ERR(fs_unmount(&g_fs), 0);
    done();

    /* Refusals: a version 1 journal superblock (no feature field for revoke blocks) and a
     * log too short for two transactions; both still mount read-only. */
    EXPECT_ERR(mount_patched_journal(jblk, 4 /* blocktype */, 3, 0), -FS_EFEATURE);
    EXPECT(strstr(g_fs.why, "journal") != NULL);
    EXPECT_ERR(mount_patched_journal(jblk, 4, 3, FS_MOUNT_RDONLY), 0);
    EXPECT_ERR(mount_patched_journal(jblk, 16 /* s_maxlen */, 100, 0), -FS_ENOSPC);
    EXPECT_ERR(mount_patched_journal(jblk, 16, 100, FS_MOUNT_RDONLY), 0);

    /* One operation larger than the transaction bound aborts the journal: the operation
     * fails, the mount turns read-only, and the disk keeps the last commit. */
    EXPECT_ERR(fresh(0), 0);
    EXPECT_ERR(fs_mknod(&g_fs, 2, "kept", 4, EXT2_S_IFREG | 0644, 0, &ino), 0);
    EXPECT_ERR(fs_sync(&g_fs), 0);
    g_fs.j.tx_max = 2;
    EXPECT_ERR(fs_mkdir(&g_fs, 2, "big", 3, 0755, &ino), -FS_ENOSPC);
    EXPECT(g_fs.rdonly && strstr(g_fs.why, "journal aborted") != NULL);
    EXPECT_ERR(fs_mknod(&g_fs, 2, "x", 1, EXT2_S_IFREG | 0644, 0, &ino), -FS_EROFS);
    EXPECT_ERR(fs_sync(&g_fs), -FS_EIO);
    EXPECT_ERR(fs_fsync(&g_fs, 2), -FS_EIO);
    EXPECT_ERR(fs_unmount(&g_fs), -FS_EIO);
    done();
    EXPECT(jsb_start_on_disk(jblk) != 0); /* the next mount replays */
    EXPECT_ERR(imagedev_open(&g_dev, g_image, false), 0);
    EXPECT_ERR(fs_mount(&g_fs, &g_dev, g_cache, sizeof(g_cache), 0), 0);
    EXPECT_ERR(fs_lookup(&g_fs, 2, "kept", 4, &ino), 0);
    EXPECT_ERR(fs_lookup(&g_fs, 2, "big", 3, &ino), -FS_ENOENT);
    EXPECT_ERR(fs_unmount(&g_fs), 0);
    done();
    return true;
}

/*
 * Blocks freed by the running transaction are not handed out before it commits (a crash
 * would keep their old owner, whose contents new file data must not replace): on a full
 * disk, the write after an unlink fails with FS_ENOSPC, and the next one, after the
 * commit this forces, succeeds.
 */
static bool
test_journal_busy(void)
{
    static uint8_t buf[65536];
    uint32_t fill, g;
    EXPECT_ERR(fresh(0), 0);
    EXPECT_ERR(fs_mknod(&g_fs, 2, "fill", 4, EXT2_S_IFREG | 0644, 0, &fill), 0);
    EXPECT_ERR(fs_mknod(&g_fs, 2, "g", 1, EXT2_S_IFREG | 0644, 0, &g), 0);
    uint64_t off = 0;
    long n;
    while ((n = fs_write(&g_fs, fill, off, buf, sizeof(buf))) == (long)sizeof(buf)) {
        off += sizeof(buf);
    }
    EXPECT_ERR((int)n, -FS_ENOSPC);
    EXPECT_ERR(fs_sync(&g_fs), 0);
    EXPECT_ERR(fs_truncate(&g_fs, fill, 0), 0);
    /* Only blocks the running transaction freed are free: refused, and a commit asked. */
    EXPECT_ERR((int)fs_write(&g_fs, g, 0, buf, 1024), -FS_ENOSPC);
    EXPECT(g_fs.j.need_commit);
    EXPECT_EQ(fs_write(&g_fs, g, 0, buf, 1024), 1024);
    EXPECT(!g_fs.j.need_commit);
    EXPECT_ERR(fs_unmount(&g_fs), 0);
    done();
    return true;
}

/*
 * A logged block that begins with the JBD2 magic (here a slow symlink's target) is stored
 * escaped: read back from the log after the cache dropped it, and replayed after a crash
 * (the image is left without unmounting), it is restored. Without a journal, a
 * synchronous mount writes the superblock's counts before each operation returns.
 */
static bool
test_journal_escape(void)
{
    char target[100], got[128];
    uint32_t ino, x;
    struct fs_stat st;
    memset(target, 'q', sizeof(target) - 1);
    target[sizeof(target) - 1] = '\0';
    memcpy(target, "\xc0\x3b\x39\x98", 4);
    EXPECT_ERR(fresh(0), 0);
    EXPECT_ERR(fs_symlink(&g_fs, 2, "m", 1, target, &ino), 0);
    for (uint32_t i = 12; i < g_fs.inodes_count; i += g_fs.inodes_per_block) {
        fs_stat(&g_fs, i, &st); /* fills the cache with inode table blocks */
    }
    EXPECT_EQ(fs_readlink(&g_fs, ino, got, sizeof(got)), strlen(target));
    EXPECT(strcmp(got, target) == 0);
    EXPECT_ERR(fs_fsync(&g_fs, ino), 0);
    done(); /* a power cut: no unmount */
    EXPECT_ERR(imagedev_open(&g_dev, g_image, false), 0);
    EXPECT_ERR(fs_mount(&g_fs, &g_dev, g_cache, sizeof(g_cache), 0), 0);
    EXPECT_ERR(fs_lookup(&g_fs, 2, "m", 1, &x), 0);
    EXPECT_EQ(fs_readlink(&g_fs, x, got, sizeof(got)), strlen(target));
    EXPECT(strcmp(got, target) == 0);
    EXPECT_ERR(fs_unmount(&g_fs), 0);
    done();

    uint8_t *sb = g_pristine + EXT2_SB_OFFSET;
    uint32_t compat = fs_le32(sb + EXT2_SB_FEATURE_COMPAT);
    fs_put_le32(sb + EXT2_SB_FEATURE_COMPAT, compat & ~(uint32_t)EXT2_COMPAT_HAS_JOURNAL);
    uint32_t free0 = fs_le32(sb + EXT2_SB_FREE_INODES);
    bool ok = fresh(FS_MOUNT_SYNC) == 0 && !g_fs.j.on &&
              fs_mknod(&g_fs, 2, "y", 1, EXT2_S_IFREG | 0644, 0, &x) == 0;
    load(g_after);
    uint32_t free1 = fs_le32(g_after + EXT2_SB_OFFSET + EXT2_SB_FREE_INODES);
    ok = ok && fs_fsync(&g_fs, x) == 0 && fs_unmount(&g_fs) == 0;
    done();
    fs_put_le32(sb + EXT2_SB_FEATURE_COMPAT, compat);
    EXPECT(ok);
    EXPECT_EQ(free1, free0 - 1);
    return true;
}

/*
 * Freeing a file's blocks stops whenever the running transaction is nearly full and goes
 * on in the next: with a bound that lets each step free about one block, unlinking a
 * 200 KiB file (or renaming another over it) takes a commit per block or two and ends
 * with every block returned.
 */
static bool
test_journal_steps(void)
{
    static uint8_t buf[200 * 1024];
    uint32_t f;
    memset(buf, 0x5a, sizeof(buf));
    EXPECT_ERR(fresh(0), 0);
    uint32_t free0 = fs_le32(g_fs.sb + EXT2_SB_FREE_BLOCKS);
    EXPECT_ERR(fs_mknod(&g_fs, 2, "f", 1, EXT2_S_IFREG | 0644, 0, &f), 0);
    EXPECT_EQ(fs_write(&g_fs, f, 0, buf, sizeof(buf)), sizeof(buf));
    EXPECT_ERR(fs_sync(&g_fs), 0);
    uint64_t commits = g_fs.j.commits;
    uint32_t tx_max = g_fs.j.tx_max;
    g_fs.j.tx_max = FS_JOURNAL_OP_BLOCKS / 2 + 1;
    EXPECT_ERR(fs_unlink(&g_fs, 2, "f", 1), 0);
    EXPECT(g_fs.j.commits - commits >= sizeof(buf) / 1024 / 2);
    EXPECT_ERR(fs_sync(&g_fs), 0);
    EXPECT_EQ(fs_le32(g_fs.sb + EXT2_SB_FREE_BLOCKS), free0);
    /* The same for a file replaced by a rename. */
    uint32_t g, h;
    g_fs.j.tx_max = tx_max;
    EXPECT_ERR(fs_mknod(&g_fs, 2, "g", 1, EXT2_S_IFREG | 0644, 0, &g), 0);
    EXPECT_ERR(fs_mknod(&g_fs, 2, "h", 1, EXT2_S_IFREG | 0644, 0, &h), 0);
    EXPECT_EQ(fs_write(&g_fs, g, 0, buf, sizeof(buf)), sizeof(buf));
    EXPECT_ERR(fs_sync(&g_fs), 0);
    commits = g_fs.j.commits;
    g_fs.j.tx_max = FS_JOURNAL_OP_BLOCKS / 2 + 1;
    EXPECT_ERR(fs_rename(&g_fs, 2, "h", 1, 2, "g", 1), 0);
    EXPECT(g_fs.j.commits - commits >= sizeof(buf) / 1024 / 2);
    EXPECT_ERR(fs_lookup(&g_fs, 2, "g", 1, &f), 0);
    EXPECT_EQ(f, h);
    EXPECT_ERR(fs_sync(&g_fs), 0);
    EXPECT_EQ(fs_le32(g_fs.sb + EXT2_SB_FREE_BLOCKS), free0);
    EXPECT_ERR(fs_unmount(&g_fs), 0);
    done();
    return true;
}

/*
 * The log wraps around: 300 synced creates go round a 1,024-block log more than once;
 * after a power cut with the last transaction near the wrap, the replay gives back
 * every file.
 */
static bool
test_journal_wrap(void)
{
    char name[16];
    uint8_t data[100], got[100];
    uint32_t ino;
    unsigned wraps = 0;
    EXPECT_ERR(fresh(0), 0);
    for (int i = 0; i < 300; i++) {
        uint32_t before = g_fs.j.start;
        snprintf(name, sizeof(name), "w%d", i);
        memset(data, i, sizeof(data));
        EXPECT_ERR(fs_mknod(&g_fs, 2, name, strlen(name), EXT2_S_IFREG | 0644, 0, &ino), 0);
        EXPECT_EQ(fs_write(&g_fs, ino, 0, data, sizeof(data)), sizeof(data));
        EXPECT_ERR(fs_fsync(&g_fs, ino), 0);
        wraps += g_fs.j.start < before;
    }
    EXPECT(wraps >= 1);
    done(); /* a power cut: no unmount */
    EXPECT_ERR(imagedev_open(&g_dev, g_image, false), 0);
    EXPECT_ERR(fs_mount(&g_fs, &g_dev, g_cache, sizeof(g_cache), 0), 0);
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "w%d", i);
        memset(data, i, sizeof(data));
        EXPECT_ERR(fs_lookup(&g_fs, 2, name, strlen(name), &ino), 0);
        EXPECT_EQ(fs_read(&g_fs, ino, 0, got, sizeof(got)), sizeof(got));
        EXPECT(memcmp(got, data, sizeof(data)) == 0);
    }
    EXPECT_ERR(fs_unmount(&g_fs), 0);
    done();
    return true;
}

/* A device that fails every request from the g_fail_at-th on (fault injection). */
static struct fs_dev g_real;
static long g_requests, g_fail_at;

static int
faulty_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
    return g_requests++ >= g_fail_at ? -FS_EIO : g_real.read(ctx, sector, count, buf);
}

static int
faulty_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
    return g_requests++ >= g_fail_at ? -FS_EIO : g_real.write(ctx, sector, count, buf);
}

static int
faulty_flush(void *ctx)
{
    return g_requests++ >= g_fail_at ? -FS_EIO : g_real.flush(ctx);
}

/* A workload touching every operation, on a device that may start failing at any point. */
static bool
workload(void)
{
    static uint8_t data[30000];
    uint32_t f, d, s, ino;
    uint8_t buf[64];
    uint64_t cookie = 0;
    struct fs_dirent de;
    struct fs_stat st;
    /* Until the device fails every call succeeds; the first failing one gives FS_EIO;
     * after that any error may follow (a name never made is FS_ENOENT), but no crash. */
    bool failing = false;
#define OK_OR_EIO(call)                                                                            \
    do {                                                                                           \
        int e_ = (int)(call);                                                                      \
        if (e_ < 0 && !failing && e_ != -FS_EIO) {                                                 \
            return fail_with("line %d: %s = %s", __LINE__, #call, fs_strerror(e_));                \
        }                                                                                          \
        failing = failing || e_ < 0;                                                               \
        EXPECT_EQ(fs_pinned(&g_fs), 0);                                                            \
    } while (0)
    f = d = s = 0;
    OK_OR_EIO(fs_mknod(&g_fs, 2, "f", 1, EXT2_S_IFREG | 0644, 0, &f));
    if (f != 0) {
        OK_OR_EIO(fs_write(&g_fs, f, 0, data, sizeof(data)));
        OK_OR_EIO(fs_read(&g_fs, f, 100, buf, sizeof(buf)));
        OK_OR_EIO(fs_truncate(&g_fs, f, 5000));
        OK_OR_EIO(fs_stat(&g_fs, f, &st));
        OK_OR_EIO(fs_setattr(&g_fs, f, 0600, 1, 2, 3, 4));
    }
    OK_OR_EIO(fs_mkdir(&g_fs, 2, "d", 1, 0755, &d));
    if (d != 0) {
        OK_OR_EIO(fs_symlink(&g_fs, d, "s", 1, "../f", &s));
        OK_OR_EIO(fs_walk(&g_fs, 2, "d/s", true, &ino));
        OK_OR_EIO(fs_rename(&g_fs, 2, "f", 1, d, "g", 1));
        OK_OR_EIO(fs_readdir(&g_fs, d, &cookie, &de));
        if (f != 0) {
            OK_OR_EIO(fs_link(&g_fs, 2, "h", 1, f));
        }
        OK_OR_EIO(fs_unlink(&g_fs, d, "g", 1));
        OK_OR_EIO(fs_unlink(&g_fs, d, "s", 1));
        OK_OR_EIO(fs_rmdir(&g_fs, 2, "d", 1));
    }
    OK_OR_EIO(fs_unlink(&g_fs, 2, "h", 1));
    OK_OR_EIO(fs_sync(&g_fs));
#undef OK_OR_EIO
    return true;
}

/*
 * The device fails from the k-th request on, for every k until the workload completes:
 * every call returns FS_EIO or succeeds, and nothing crashes (the sanitizers watch).
 */
static bool
test_device_errors(void)
{
    for (g_fail_at = 0;; g_fail_at++) {
        store(g_pristine);
        EXPECT(imagedev_open(&g_real, g_image, false) == 0);
        g_dev = g_real;
        g_dev.read = faulty_read;
        g_dev.write = faulty_write;
        g_dev.flush = faulty_flush;
        g_requests = 0;
        int err = fs_mount(&g_fs, &g_dev, g_cache, sizeof(g_cache), 0);
        g_fs.now = 1700000000;
        bool ok = err == 0 || err == -FS_EIO;
        if (!ok) {
            fail_with("fail_at %ld: mount %s", g_fail_at, fs_strerror(err));
        }
        if (ok && err == 0) {
            ok = workload();
        }
        bool finished = g_requests < g_fail_at;
        imagedev_close(&g_real);
        if (!ok) {
            return false;
        }
        if (finished) {
            break;
        }
    }
    EXPECT(g_fail_at > 50);
    return true;
}

int
test_fs_errors(const char *image)
{
    struct stat st;
    g_image = image;
    if (stat(image, &st) != 0) {
        perror(image);
        return 2;
    }
    g_size = (size_t)st.st_size;
    g_pristine = malloc(g_size);
    g_before = malloc(g_size);
    g_after = malloc(g_size);
    if (g_pristine == NULL || g_before == NULL || g_after == NULL) {
        return 2;
    }
    load(g_pristine);
    run("fs/errors/strerror", test_strerror);
    run("fs/errors/mount_refusals", test_mount_refusals);
    run("fs/errors/journal_recover", test_journal_recover);
    run("fs/errors/read_only", test_read_only);
    run("fs/errors/name_errors", test_name_errors);
    run("fs/errors/io_errors", test_io_errors);
    run("fs/errors/space", test_space);
    run("fs/errors/corrupt", test_corrupt);
    run("fs/errors/device_errors", test_device_errors);
    run("fs/errors/journal_write", test_journal_write);
    run("fs/errors/journal_map_metadata", test_journal_map_metadata);
    run("fs/errors/journal_revoke_wrap", test_journal_revoke_wrap);
    run("fs/errors/journal_busy", test_journal_busy);
    run("fs/errors/journal_escape", test_journal_escape);
    run("fs/errors/journal_steps", test_journal_steps);
    run("fs/errors/journal_wrap", test_journal_wrap);
    run("fs/errors/big_file", test_big_file); /* last: leaves its image for e2fsck */
    free(g_before);
    free(g_after);
    free(g_pristine);
    return g_failed ? 1 : 0;
}
