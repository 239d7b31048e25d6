/*
 * Inodes: read and written through the inode table blocks, only the 128-byte core is
 * interpreted; the rest of a large inode (extra fields, in-inode attributes) is kept as
 * it is on disk.
 */
#include "fs_internal.h"

#include <string.h>

/* Locates inode ino: the inode-table block and the byte offset inside it. */
static int
locate(struct fs *fs, uint32_t ino, uint32_t *block, uint32_t *off)
{
    if (ino == 0 || ino > fs->inodes_count) {
        return -FS_EINVAL;
    }
    uint32_t group = (ino - 1) / fs->inodes_per_group;
    uint32_t index = (ino - 1) % fs->inodes_per_group;
    uint8_t *b = NULL, *gd = NULL;
    int err = fs_group_desc(fs, group, &b, &gd);
    if (err < 0) {
        return err;
    }
    uint32_t table = fs_le32(gd + EXT2_GD_INODE_TABLE);
    fs_bput(fs, b, false);
    /* check_groups() proved the whole table lies inside the file system. */
    *block = table + index / fs->inodes_per_block;
    *off = (index % fs->inodes_per_block) * fs->inode_size;
    return 0;
}

/*
 * Is ino one of the reserved inodes (below first_ino) other than the root? They hold the
 * journal, the resize inode's reserved blocks and the like: never files of a client.
 */
bool
fs_is_reserved(const struct fs *fs, uint32_t ino)
{
    return ino != EXT2_ROOT_INO && ino < fs->first_ino;
}

/* Reads inode ino into *in. */
int
fs_iget(struct fs *fs, uint32_t ino, struct fs_inode *in)
{
    uint32_t block, off;
    int err = locate(fs, ino, &block, &off);
    if (err < 0) {
        return err;
    }
    uint8_t *b = fs_bget(fs, block, &err);
    if (b == NULL) {
        return err;
    }
    in->ino = ino;
    memcpy(in->raw, b + off, sizeof(in->raw));
    fs_bput(fs, b, false);
    if (fs_le32(in->raw + EXT2_I_FLAGS) & (EXT2_EXTENTS_FL | EXT2_INLINE_DATA_FL)) {
        /* Only ext4 writes these, and we refuse ext4 features at mount: a lie. */
        return -FS_ECORRUPT;
    }
    return 0;
}

/* Writes *in back (its 128-byte core; the rest of the record is left as it is). */
int
fs_iput(struct fs *fs, const struct fs_inode *in)
{
    uint32_t block, off;
    int err = locate(fs, in->ino, &block, &off);
    if (err < 0) {
        return err;
    }
    uint8_t *b = fs_bget(fs, block, &err);
    if (b == NULL) {
        return err;
    }
    memcpy(b + off, in->raw, sizeof(in->raw));
    return fs_bput(fs, b, true);
}

/*
 * Writes a newly allocated inode: the record past the 128-byte core is cleared (it may
 * hold a deleted inode's extra fields) and i_extra_isize set to 32 as Linux does.
 */
int
fs_iput_new(struct fs *fs, const struct fs_inode *in)
{
    uint32_t block, off;
    int err = locate(fs, in->ino, &block, &off);
    if (err < 0) {
        return err;
    }
    uint8_t *b = fs_bget(fs, block, &err);
    if (b == NULL) {
        return err;
    }
    memset(b + off, 0, fs->inode_size);
    memcpy(b + off, in->raw, sizeof(in->raw));
    if (fs->inode_size >= EXT2_GOOD_OLD_INODE_SIZE + 32) {
        fs_put_le16(b + off + EXT2_I_EXTRA_ISIZE, 32);
    }
    return fs_bput(fs, b, true);
}

uint16_t
fs_imode(const struct fs_inode *in)
{
    return fs_le16(in->raw + EXT2_I_MODE);
}

/* i_size, with the high half for regular files (large_file) only, as Linux reads it. */
uint64_t
fs_isize(const struct fs_inode *in)
{
    uint64_t size = fs_le32(in->raw + EXT2_I_SIZE);
    if ((fs_imode(in) & EXT2_S_IFMT) == EXT2_S_IFREG) {
        size |= (uint64_t)fs_le32(in->raw + EXT2_I_SIZE_HIGH) << 32;
    }
    return size;
}

void
fs_set_isize(struct fs_inode *in, uint64_t size)
{
    fs_put_le32(in->raw + EXT2_I_SIZE, (uint32_t)size);
    if ((fs_imode(in) & EXT2_S_IFMT) == EXT2_S_IFREG) {
        fs_put_le32(in->raw + EXT2_I_SIZE_HIGH, (uint32_t)(size >> 32));
    }
}

/*
 * A fast symlink keeps its target in i_block. Like e2fsprogs, decide by the block count:
 * a symlink with no blocks (apart from an attribute block) is fast.
 */
bool
fs_is_fast_symlink(const struct fs *fs, const struct fs_inode *in)
{
    if ((fs_imode(in) & EXT2_S_IFMT) != EXT2_S_IFLNK) {
        return false;
    }
    uint32_t blocks = fs_le32(in->raw + EXT2_I_BLOCKS);
    uint32_t acl = fs->block_size / 512;
    if (fs_le32(in->raw + EXT2_I_FILE_ACL) != 0) {
        blocks = blocks >= acl ? blocks - acl : 0;
    }
    return blocks == 0;
}

/* Stamps ctime (and mtime if asked) with fs->now. */
void
fs_itouch(struct fs *fs, struct fs_inode *in, bool mtime)
{
    fs_put_le32(in->raw + EXT2_I_CTIME, (uint32_t)fs->now);
    if (mtime) {
        fs_put_le32(in->raw + EXT2_I_MTIME, (uint32_t)fs->now);
    }
}

int
fs_stat(struct fs *fs, uint32_t ino, struct fs_stat *st)
{
    struct fs_inode in;
    int err = fs_iget(fs, ino, &in);
    if (err < 0) {
        return err;
    }
    uint16_t links = fs_le16(in.raw + EXT2_I_LINKS);
    if (links == 0) {
        return -FS_ENOENT;
    }
    memset(st, 0, sizeof(*st));
    st->ino = ino;
    st->mode = fs_imode(&in);
    st->links = links;
    st->uid = fs_le16(in.raw + EXT2_I_UID) | ((uint32_t)fs_le16(in.raw + EXT2_I_UID_HIGH) << 16);
    st->gid = fs_le16(in.raw + EXT2_I_GID) | ((uint32_t)fs_le16(in.raw + EXT2_I_GID_HIGH) << 16);
    st->size = fs_isize(&in);
    st->blocks = fs_le32(in.raw + EXT2_I_BLOCKS);
    st->atime = fs_le32(in.raw + EXT2_I_ATIME);
    st->mtime = fs_le32(in.raw + EXT2_I_MTIME);
    st->ctime = fs_le32(in.raw + EXT2_I_CTIME);
    uint16_t type = st->mode & EXT2_S_IFMT;
    if (type == EXT2_S_IFCHR || type == EXT2_S_IFBLK) {
        /* Linux stores the old 16-bit encoding in i_block[0], the new one in i_block[1]. */
        uint32_t old = fs_le32(in.raw + EXT2_I_BLOCK);
        st->rdev = old != 0 ? old : fs_le32(in.raw + EXT2_I_BLOCK + 4);
    }
    return 0;
}

static int
setattr_op(struct fs *fs, uint32_t ino, uint16_t perm, uint32_t uid, uint32_t gid, uint32_t atime,
           uint32_t mtime)
{
    if (fs->rdonly) {
        return -FS_EROFS;
    }
    if (perm & ~07777 || fs_is_reserved(fs, ino)) {
        return -FS_EINVAL;
    }
    struct fs_inode in;
    int err = fs_iget(fs, ino, &in);
    if (err < 0) {
        return err;
    }
    if (fs_le16(in.raw + EXT2_I_LINKS) == 0) {
        return -FS_ENOENT;
    }
    fs_put_le16(in.raw + EXT2_I_MODE, (uint16_t)((fs_imode(&in) & EXT2_S_IFMT) | perm));
    fs_put_le16(in.raw + EXT2_I_UID, (uint16_t)uid);
    fs_put_le16(in.raw + EXT2_I_UID_HIGH, (uint16_t)(uid >> 16));
    fs_put_le16(in.raw + EXT2_I_GID, (uint16_t)gid);
    fs_put_le16(in.raw + EXT2_I_GID_HIGH, (uint16_t)(gid >> 16));
    fs_put_le32(in.raw + EXT2_I_ATIME, atime);
    fs_put_le32(in.raw + EXT2_I_MTIME, mtime);
    fs_itouch(fs, &in, false);
    return fs_iput(fs, &in);
}

int
fs_setattr(struct fs *fs, uint32_t ino, uint16_t perm, uint32_t uid, uint32_t gid, uint32_t atime,
           uint32_t mtime)
{
    int err = fs_tx_begin(fs);
    if (err == 0) {
        err = setattr_op(fs, ino, perm, uid, gid, atime, mtime);
    }
    return fs_tx_end(fs, err);
}
