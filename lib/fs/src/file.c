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
        err = fs_bput(fs, b, true);
        if (err < 0) {
            return err;
        }
        done += chunk;
    }
    return 0;
}

long
fs_write(struct fs *fs, uint32_t ino, uint64_t off, const void *buf, size_t len)
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
    if (len > (size_t)0x7fffffff) {
        len = 0x7fffffff;
    }
    if (off > max_size(fs) || len > max_size(fs) - off) {
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
    return fs_bput(fs, b, true);
}

int
fs_truncate(struct fs *fs, uint32_t ino, uint64_t size)
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
    if (size > max_size(fs)) {
        return -FS_EFBIG;
    }
    if (size < fs_isize(&in)) {
        uint64_t keep = (size + fs->block_size - 1) / fs->block_size;
        err = fs_free_blocks_from(fs, &in, keep);
        if (err == 0) {
            err = zero_tail(fs, &in, size);
        }
    }
    if (err == 0) {
        fs_set_isize(&in, size);
        fs_itouch(fs, &in, true);
    }
    int ierr = fs_iput(fs, &in);
    return err < 0 ? err : ierr;
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
