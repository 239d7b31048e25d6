/* File contents: read, write, truncate, and symbolic link targets. */
#include "fs_internal.h"

#include <string.h>

static uint64_t
max_size(const struct fs *fs)
{
    uint64_t max = fs_max_lblocks(fs) * fs->block_size;
    /* Without large_file, sizes stay below 2 GiB (the field's high half is not trusted). */
    if (!(fs->ro_compat & EXT2_RO_COMPAT_LARGE_FILE) && max > 0x7fffffffu) {
        max = 0x7fffffffu;
    }
    return max;
}

long
fs_read(struct fs *fs, uint32_t ino, uint64_t off, void *buf, size_t len)
{
    struct fs_inode in;
    int err = fs_iget(fs, ino, &in);
    if (err < 0) {
        return err;
    }
    uint16_t type = fs_imode(&in) & EXT2_S_IFMT;
    if (type == EXT2_S_IFDIR) {
        return -FS_EISDIR;
    }
    if (type != EXT2_S_IFREG && type != EXT2_S_IFLNK) {
        return -FS_EINVAL;
    }
    if (fs_is_fast_symlink(fs, &in)) {
        return -FS_EINVAL; /* its target is not in blocks: fs_readlink */
    }
    uint64_t size = fs_isize(&in);
    if (off >= size) {
        return 0;
    }
    if (len > size - off) {
        len = (size_t)(size - off);
    }
    if (len > (size_t)0x7fffffff) {
        len = 0x7fffffff;
    }
    size_t done = 0;
    while (done < len) {
        uint64_t pos = off + done;
        uint32_t in_blk = (uint32_t)(pos % fs->block_size);
        size_t chunk = fs->block_size - in_blk;
        if (chunk > len - done) {
            chunk = len - done;
        }
        uint32_t pblk;
        err = fs_bmap(fs, &in, pos / fs->block_size, false, &pblk, NULL);
        if (err < 0) {
            return err;
        }
        if (pblk == 0) {
            memset((uint8_t *)buf + done, 0, chunk);
        } else {
            uint8_t *b = fs_bget(fs, pblk, &err);
            if (b == NULL) {
                return err;
            }
            memcpy((uint8_t *)buf + done, b + in_blk, chunk);
            fs_bput(fs, b, false);
        }
        done += chunk;
    }
    return (long)done;
}

/* Writes into in's blocks (allocating them); does not touch the size. */
static int
write_blocks(struct fs *fs, struct fs_inode *in, uint64_t off, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint64_t pos = off + done;
        uint32_t in_blk = (uint32_t)(pos % fs->block_size);
        size_t chunk = fs->block_size - in_blk;
        if (chunk > len - done) {
            chunk = len - done;
        }
        uint32_t pblk;
        bool fresh;
        int err = fs_bmap(fs, in, pos / fs->block_size, true, &pblk, &fresh);
        if (err < 0) {
            return err;
        }
        uint8_t *b = fresh ? fs_bget_zero(fs, pblk, &err) : fs_bget(fs, pblk, &err);
        if (b == NULL) {
            return err;
        }
        memcpy(b + in_blk, buf + done, chunk);
        err = fs_bput_data(fs, b);
        if (err < 0) {
            return err;
        }
        done += chunk;
    }
    return 0;
}

/* One step of fs_write: len bytes at off, all of the write being total bytes at start. */
static long
write_op(struct fs *fs, uint32_t ino, uint64_t off, const void *buf, size_t len, uint64_t start,
         size_t total)
{
    if (fs->rdonly) {
        return -FS_EROFS;
    }
    if (fs_is_reserved(fs, ino)) {
        return -FS_EINVAL;
    }
    struct fs_inode in;
    int err = fs_iget(fs, ino, &in);
    if (err < 0) {
        return err;
    }
    if ((fs_imode(&in) & EXT2_S_IFMT) == EXT2_S_IFDIR) {
        return -FS_EISDIR;
    }
    if ((fs_imode(&in) & EXT2_S_IFMT) != EXT2_S_IFREG || fs_le16(in.raw + EXT2_I_LINKS) == 0) {
        return -FS_EINVAL;
    }
    if (start > max_size(fs) || total > max_size(fs) - start) {
        return -FS_EFBIG;
    }
    err = write_blocks(fs, &in, off, buf, len);
    if (err == 0) {
        if (off + len > fs_isize(&in)) {
            fs_set_isize(&in, off + len);
        }
        fs_itouch(fs, &in, true);
    }
    /* Written back even on failure: blocks allocated so far are in i_block and i_blocks. */
    int ierr = fs_iput(fs, &in);
    if (err < 0) {
        return err;
    }
    return ierr < 0 ? ierr : (long)len;
}

/*
 * With a journal, a write is split into steps of at most FS_JOURNAL_STEP_BLOCKS blocks,
 * each one operation (so that a transaction stays bounded): a crash may keep a prefix of
 * the steps, as POSIX allows for a write that was not synced.
 */
long
fs_write(struct fs *fs, uint32_t ino, uint64_t off, const void *buf, size_t len)
{
    if (len > (size_t)0x7fffffff) {
        len = 0x7fffffff;
    }
    size_t done = 0;
    long r = 0;
    do {
        size_t chunk = len - done;
        if (fs->j.on) {
            size_t step = (size_t)FS_JOURNAL_STEP_BLOCKS * fs->block_size;
            size_t room = step - (size_t)((off + done) % fs->block_size);
            chunk = chunk < room ? chunk : room;
        }
        r = fs_tx_begin(fs);
        if (r == 0) {
            r = write_op(fs, ino, off + done, (const uint8_t *)buf + done, chunk, off, len);
        }
        done += r > 0 ? (size_t)r : 0;
    } while (r >= 0 && done < len);
    int err = fs_tx_end(fs, r < 0 ? (int)r : 0);
    return err < 0 ? err : (long)len;
}

/* Zeroes the bytes of the block holding size that lie past size (if mapped). */
static int
zero_tail(struct fs *fs, struct fs_inode *in, uint64_t size)
{
    uint32_t in_blk = (uint32_t)(size % fs->block_size);
    if (in_blk == 0) {
        return 0;
    }
    uint32_t pblk;
    int err = fs_bmap(fs, in, size / fs->block_size, false, &pblk, NULL);
    if (err < 0 || pblk == 0) {
        return err;
    }
    uint8_t *b = fs_bget(fs, pblk, &err);
    if (b == NULL) {
        return err;
    }
    memset(b + in_blk, 0, fs->block_size - in_blk);
    return fs_bput_data(fs, b);
}

/*
 * One step of fs_truncate: frees at most max_blocks data blocks from the end; *left says
 * the file is still longer than size (the step stopped on its budget).
 */
static int
truncate_op(struct fs *fs, uint32_t ino, uint64_t size, uint64_t max_blocks, bool *left)
{
    *left = false;
    if (fs->rdonly) {
        return -FS_EROFS;
    }
    if (fs_is_reserved(fs, ino)) {
        return -FS_EINVAL;
    }
    struct fs_inode in;
    int err = fs_iget(fs, ino, &in);
    if (err < 0) {
        return err;
    }
    if ((fs_imode(&in) & EXT2_S_IFMT) == EXT2_S_IFDIR) {
        return -FS_EISDIR;
    }
    if ((fs_imode(&in) & EXT2_S_IFMT) != EXT2_S_IFREG || fs_le16(in.raw + EXT2_I_LINKS) == 0) {
        return -FS_EINVAL;
    }
    if (size > max_size(fs)) {
        return -FS_EFBIG;
    }
    uint64_t new_size = size;
    if (size < fs_isize(&in)) {
        uint64_t keep = (size + fs->block_size - 1) / fs->block_size;
        uint64_t low;
        err = fs_free_blocks_upto(fs, &in, keep, max_blocks, &low);
        if (err == 0 && low > keep) {
            /* Stopped early: the file ends where its freed blocks begin, for now. */
            *left = true;
            new_size = low * fs->block_size < fs_isize(&in) ? low * fs->block_size : fs_isize(&in);
        } else if (err == 0) {
            err = zero_tail(fs, &in, size);
        }
    }
    if (err == 0) {
        fs_set_isize(&in, new_size);
        fs_itouch(fs, &in, true);
    }
    int ierr = fs_iput(fs, &in);
    return err < 0 ? err : ierr;
}

/*
 * With a journal, shrinking frees blocks from the end in steps, each one operation that
 * stops when the running transaction is nearly full (the next step starts a new one):
 * a crash may leave the file between its old and its new size, never with a hole it did
 * not have.
 */
int
fs_truncate(struct fs *fs, uint32_t ino, uint64_t size)
{
    uint64_t budget = UINT64_MAX;
    bool left = true;
    int err = 0;
    while (err == 0 && left) {
        err = fs_tx_begin(fs);
        if (err == 0) {
            err = truncate_op(fs, ino, size, budget, &left);
        }
    }
    return fs_tx_end(fs, err);
}

long
fs_readlink(struct fs *fs, uint32_t ino, char *buf, size_t len)
{
    struct fs_inode in;
    int err = fs_iget(fs, ino, &in);
    if (err < 0) {
        return err;
    }
    if ((fs_imode(&in) & EXT2_S_IFMT) != EXT2_S_IFLNK) {
        return -FS_EINVAL;
    }
    uint64_t size = fs_isize(&in);
    if (len == 0 || size == 0 || size >= fs->block_size) {
        return size >= fs->block_size || size == 0 ? -FS_ECORRUPT : -FS_ENAMETOOLONG;
    }
    if (size >= len) {
        return -FS_ENAMETOOLONG;
    }
    if (fs_is_fast_symlink(fs, &in)) {
        if (size > 4 * EXT2_N_BLOCKS - 1) {
            return -FS_ECORRUPT;
        }
        memcpy(buf, in.raw + EXT2_I_BLOCK, size);
    } else {
        uint32_t pblk;
        err = fs_bmap(fs, &in, 0, false, &pblk, NULL);
        if (err < 0) {
            return err;
        }
        if (pblk == 0) {
            return -FS_ECORRUPT;
        }
        uint8_t *b = fs_bget(fs, pblk, &err);
        if (b == NULL) {
            return err;
        }
        memcpy(buf, b, size);
        fs_bput(fs, b, false);
    }
    buf[size] = '\0';
    return (long)size;
}
