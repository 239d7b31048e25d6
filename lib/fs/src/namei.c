/*
 * The name space: lookup and path walks, creating and removing entries, links and
 * rename. Each operation orders its writes so that a crash between two of them leaves at
 * worst an inode with too high a link count or an unreferenced inode (what e2fsck
 * repairs without loss), never an entry naming a free inode.
 */
#include "fs_internal.h"

#include <string.h>

#define FS_LINK_MAX 65000

/* Checks a single name: 1..255 bytes, no '/' or NUL. */
static int
check_name(const char *name, size_t len)
{
    if (len == 0) {
        return -FS_EINVAL;
    }
    if (len > EXT2_NAME_MAX) {
        return -FS_ENAMETOOLONG;
    }
    if (memchr(name, '/', len) != NULL || memchr(name, '\0', len) != NULL) {
        return -FS_EINVAL;
    }
    return 0;
}

static bool
is_dot_or_dotdot(const char *name, size_t len)
{
    return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

static uint16_t
links_of(const struct fs_inode *in)
{
    return fs_le16(in->raw + EXT2_I_LINKS);
}

static bool
is_dir(const struct fs_inode *in)
{
    return (fs_imode(in) & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

/* Reads a live directory inode. */
static int
open_dir(struct fs *fs, uint32_t ino, struct fs_inode *dir)
{
    int err = fs_iget(fs, ino, dir);
    if (err < 0) {
        return err;
    }
    if (links_of(dir) == 0) {
        return -FS_ENOENT;
    }
    return is_dir(dir) ? 0 : -FS_ENOTDIR;
}

int
fs_lookup(struct fs *fs, uint32_t dir_ino, const char *name, size_t len, uint32_t *ino)
{
    struct fs_inode dir;
    int err = check_name(name, len);
    if (err == 0) {
        err = open_dir(fs, dir_ino, &dir);
    }
    if (err == 0) {
        err = fs_dir_find(fs, &dir, name, len, ino);
    }
    if (err == 0 && (*ino == 0 || *ino > fs->inodes_count)) {
        err = -FS_ECORRUPT;
    }
    return err;
}

int
fs_walk(struct fs *fs, uint32_t dir, const char *path, bool follow, uint32_t *ino)
{
    char buf[FS_PATH_MAX];
    char target[FS_PATH_MAX];
    size_t plen = strlen(path);
    unsigned links = 0;

    if (plen >= sizeof(buf)) {
        return -FS_ENAMETOOLONG;
    }
    memcpy(buf, path, plen + 1);
    uint32_t cur = buf[0] == '/' ? EXT2_ROOT_INO : dir;
    size_t pos = 0;
    for (;;) {
        while (buf[pos] == '/') {
            pos++;
        }
        if (buf[pos] == '\0') {
            struct fs_inode in;
            int err = fs_iget(fs, cur, &in);
            if (err == 0 && links_of(&in) == 0) {
                err = -FS_ENOENT;
            }
            *ino = cur;
            return err;
        }
        size_t start = pos;
        while (buf[pos] != '\0' && buf[pos] != '/') {
            pos++;
        }
        size_t len = pos - start;
        uint32_t next;
        if (len == 2 && buf[start] == '.' && buf[start + 1] == '.' && cur == EXT2_ROOT_INO) {
            continue;
        }
        int err = fs_lookup(fs, cur, buf + start, len, &next);
        if (err < 0) {
            return err;
        }
        struct fs_inode in;
        err = fs_iget(fs, next, &in);
        if (err < 0) {
            return err;
        }
        bool last = buf[pos + strspn(buf + pos, "/")] == '\0';
        if ((fs_imode(&in) & EXT2_S_IFMT) != EXT2_S_IFLNK || (last && !follow)) {
            cur = next;
            continue;
        }
        if (++links > FS_SYMLINK_MAX) {
            return -FS_ELOOP;
        }
        long tlen = fs_readlink(fs, next, target, sizeof(target));
        if (tlen < 0) {
            return (int)tlen;
        }
        size_t rest = strlen(buf + pos);
        if ((size_t)tlen + 1 + rest >= sizeof(buf)) {
            return -FS_ENAMETOOLONG;
        }
        /* The rest of the path follows the target: target + rest ("/..." or ""). */
        memmove(buf + tlen, buf + pos, rest + 1);
        memcpy(buf, target, (size_t)tlen);
        pos = 0;
        if (buf[0] == '/') {
            cur = EXT2_ROOT_INO;
        }
    }
}

/* Reads inode ino, adds delta to its link count and writes it back. */
static int
adjust_links(struct fs *fs, uint32_t ino, int delta)
{
    struct fs_inode in;
    int err = fs_iget(fs, ino, &in);
    if (err < 0) {
        return err;
    }
    int links = links_of(&in) + delta;
    if (links < 0 || links > FS_LINK_MAX) {
        return links < 0 ? -FS_ECORRUPT : -FS_EMLINK;
    }
    fs_put_le16(in.raw + EXT2_I_LINKS, (uint16_t)links);
    fs_itouch(fs, &in, false);
    return fs_iput(fs, &in);
}

/* Drops in's extended-attribute block reference (freeing the block at its last one). */
static int
xattr_put(struct fs *fs, struct fs_inode *in)
{
    uint32_t blk = fs_le32(in->raw + EXT2_I_FILE_ACL);
    if (blk == 0) {
        return 0;
    }
    if (!fs_block_ok(fs, blk)) {
        return -FS_ECORRUPT;
    }
    int err;
    uint8_t *b = fs_bget(fs, blk, &err);
    if (b == NULL) {
        return err;
    }
    uint32_t refs = fs_le32(b + EXT2_XATTR_H_REFCOUNT);
    if (fs_le32(b + EXT2_XATTR_H_MAGIC) != EXT2_XATTR_MAGIC || refs == 0 ||
        fs_le32(b + EXT2_XATTR_H_BLOCKS) != 1) {
        fs_bput(fs, b, false);
        return -FS_ECORRUPT;
    }
    fs_put_le32(b + EXT2_XATTR_H_REFCOUNT, refs - 1);
    err = fs_bput(fs, b, refs > 1);
    if (err == 0 && refs == 1) {
        err = fs_block_free(fs, blk);
    }
    if (err == 0) {
        uint32_t iblocks = fs_le32(in->raw + EXT2_I_BLOCKS);
        fs_put_le32(in->raw + EXT2_I_BLOCKS,
                    iblocks >= fs->sectors_per_block ? iblocks - fs->sectors_per_block : 0);
        fs_put_le32(in->raw + EXT2_I_FILE_ACL, 0);
    }
    return err;
}

/* Does in's i_block hold block numbers (not a device number or a fast symlink)? */
static bool
has_block_map(const struct fs *fs, const struct fs_inode *in)
{
    uint16_t type = fs_imode(in) & EXT2_S_IFMT;
    if (type == EXT2_S_IFLNK) {
        return !fs_is_fast_symlink(fs, in);
    }
    return type == EXT2_S_IFREG || type == EXT2_S_IFDIR;
}

/* Frees an inode whose last link is gone: its blocks, attribute block and number. */
static int
release(struct fs *fs, struct fs_inode *in)
{
    int err = 0;
    if (has_block_map(fs, in)) {
        err = fs_free_blocks_from(fs, in, 0);
    }
    if (err == 0) {
        err = xattr_put(fs, in);
    }
    fs_put_le16(in->raw + EXT2_I_LINKS, 0);
    /* A dtime below the inode count reads as an orphan-list link to e2fsck: never write one. */
    uint32_t dtime = (uint32_t)fs->now;
    fs_put_le32(in->raw + EXT2_I_DTIME, dtime > fs->inodes_count ? dtime : fs->inodes_count + 1);
    int ierr = fs_iput(fs, in);
    if (err == 0) {
        err = ierr;
    }
    if (err == 0) {
        err = fs_inode_free(fs, in->ino, is_dir(in));
    }
    return err;
}

/*
 * Undoes new_inode() for an inode never written to disk: its blocks and its number go
 * back, and its on-disk record is left as it was, so a failed create changes nothing.
 */
static int
release_unwritten(struct fs *fs, struct fs_inode *in)
{
    int err = fs_free_blocks_from(fs, in, 0);
    int ierr = fs_inode_free(fs, in->ino, is_dir(in));
    return err < 0 ? err : ierr;
}

/* Checks that name may be created in directory dir_ino (read into *dir). */
static int
prepare_create(struct fs *fs, uint32_t dir_ino, const char *name, size_t len, struct fs_inode *dir)
{
    if (fs->rdonly) {
        return -FS_EROFS;
    }
    int err = check_name(name, len);
    if (err < 0) {
        return err;
    }
    err = open_dir(fs, dir_ino, dir);
    if (err < 0) {
        return err;
    }
    if (is_dot_or_dotdot(name, len)) {
        return -FS_EEXIST;
    }
    uint32_t existing;
    err = fs_dir_find(fs, dir, name, len, &existing);
    if (err == 0) {
        return -FS_EEXIST;
    }
    return err == -FS_ENOENT ? 0 : err;
}

/* Allocates and initialises (in memory) a new inode of mode near dir. */
static int
new_inode(struct fs *fs, const struct fs_inode *dir, uint16_t mode, struct fs_inode *in)
{
    uint32_t group = (dir->ino - 1) / fs->inodes_per_group;
    memset(in, 0, sizeof(*in));
    int err = fs_inode_alloc(fs, group, (mode & EXT2_S_IFMT) == EXT2_S_IFDIR, &in->ino);
    if (err < 0) {
        return err;
    }
    fs_put_le16(in->raw + EXT2_I_MODE, mode);
    fs_put_le16(in->raw + EXT2_I_LINKS, 1);
    fs_put_le32(in->raw + EXT2_I_ATIME, (uint32_t)fs->now);
    fs_put_le32(in->raw + EXT2_I_CTIME, (uint32_t)fs->now);
    fs_put_le32(in->raw + EXT2_I_MTIME, (uint32_t)fs->now);
    return 0;
}

/*
 * Writes new inode in and links it into dir under name; on failure releases it again so
 * that a failed create leaves nothing allocated.
 */
static int
commit_create(struct fs *fs, struct fs_inode *dir, const char *name, size_t len,
              struct fs_inode *in)
{
    int err = fs_iput_new(fs, in);
    if (err == 0) {
        err = fs_dir_add(fs, dir, name, len, in->ino, fs_mode_to_ft(fs_imode(in)));
    }
    if (err < 0) {
        release(fs, in);
    }
    return err;
}

static int
mknod_op(struct fs *fs, uint32_t dir_ino, const char *name, size_t len, uint16_t mode,
         uint32_t rdev, uint32_t *ino)
{
    struct fs_inode dir, in;
    uint16_t type = mode & EXT2_S_IFMT;
    if (type != EXT2_S_IFREG && type != EXT2_S_IFIFO && type != EXT2_S_IFSOCK &&
        type != EXT2_S_IFCHR && type != EXT2_S_IFBLK) {
        return -FS_EINVAL;
    }
    int err = prepare_create(fs, dir_ino, name, len, &dir);
    if (err == 0) {
        err = new_inode(fs, &dir, mode, &in);
    }
    if (err < 0) {
        return err;
    }
    if (type == EXT2_S_IFCHR || type == EXT2_S_IFBLK) {
        /* Like Linux: the old 8:8 encoding when it fits, else the new one in i_block[1]. */
        uint32_t major = rdev >> 8 & 0xfff, minor = (rdev & 0xff) | (rdev >> 12 & 0xfff00);
        if (major < 256 && minor < 256) {
            fs_put_le32(in.raw + EXT2_I_BLOCK, major << 8 | minor);
        } else {
            fs_put_le32(in.raw + EXT2_I_BLOCK + 4, rdev);
        }
    }
    err = commit_create(fs, &dir, name, len, &in);
    if (err == 0) {
        *ino = in.ino;
    }
    return err;
}

int
fs_mknod(struct fs *fs, uint32_t dir_ino, const char *name, size_t len, uint16_t mode,
         uint32_t rdev, uint32_t *ino)
{
    int err = fs_tx_begin(fs);
    if (err == 0) {
        err = mknod_op(fs, dir_ino, name, len, mode, rdev, ino);
    }
    return fs_tx_end(fs, err);
}

static int
mkdir_op(struct fs *fs, uint32_t dir_ino, const char *name, size_t len, uint16_t mode,
         uint32_t *ino)
{
    struct fs_inode dir, in;
    if (mode & EXT2_S_IFMT & ~EXT2_S_IFDIR) {
        return -FS_EINVAL;
    }
    int err = prepare_create(fs, dir_ino, name, len, &dir);
    if (err == 0 && links_of(&dir) >= FS_LINK_MAX) {
        err = -FS_EMLINK;
    }
    if (err == 0) {
        err = new_inode(fs, &dir, (uint16_t)(EXT2_S_IFDIR | (mode & 07777)), &in);
    }
    if (err < 0) {
        return err;
    }
    /* The first block: "." and ".." (which takes the rest of the block). */
    uint32_t pblk;
    bool fresh;
    err = fs_bmap(fs, &in, 0, true, &pblk, &fresh);
    uint8_t *b = err == 0 ? fs_bget_zero(fs, pblk, &err) : NULL;
    if (b != NULL) {
        fs_put_le32(b + EXT2_DE_INODE, in.ino);
        fs_put_le16(b + EXT2_DE_REC_LEN, 12);
        b[EXT2_DE_NAME_LEN] = 1;
        b[EXT2_DE_FILE_TYPE] = (fs->incompat & EXT2_INCOMPAT_FILETYPE) ? EXT2_FT_DIR : 0;
        b[EXT2_DE_NAME] = '.';
        fs_put_le32(b + 12 + EXT2_DE_INODE, dir.ino);
        fs_put_le16(b + 12 + EXT2_DE_REC_LEN, (uint16_t)(fs->block_size - 12));
        b[12 + EXT2_DE_NAME_LEN] = 2;
        b[12 + EXT2_DE_FILE_TYPE] = (fs->incompat & EXT2_INCOMPAT_FILETYPE) ? EXT2_FT_DIR : 0;
        memcpy(b + 12 + EXT2_DE_NAME, "..", 2);
        err = fs_bput(fs, b, true);
    }
    fs_set_isize(&in, fs->block_size);
    fs_put_le16(in.raw + EXT2_I_LINKS, 2);
    if (err < 0) {
        release_unwritten(fs, &in);
        return err;
    }
    /* The parent's link for ".." first: a crash then leaves only a count too high. */
    err = adjust_links(fs, dir.ino, 1);
    if (err == 0) {
        err = open_dir(fs, dir.ino, &dir);
    }
    if (err == 0) {
        err = commit_create(fs, &dir, name, len, &in);
        if (err < 0) {
            adjust_links(fs, dir.ino, -1);
        }
    }
    if (err == 0) {
        *ino = in.ino;
    }
    return err;
}

int
fs_mkdir(struct fs *fs, uint32_t dir_ino, const char *name, size_t len, uint16_t mode,
         uint32_t *ino)
{
    int err = fs_tx_begin(fs);
    if (err == 0) {
        err = mkdir_op(fs, dir_ino, name, len, mode, ino);
    }
    return fs_tx_end(fs, err);
}

static int
symlink_op(struct fs *fs, uint32_t dir_ino, const char *name, size_t len, const char *target,
           uint32_t *ino)
{
    struct fs_inode dir, in;
    size_t tlen = strlen(target);
    if (tlen == 0) {
        return -FS_EINVAL;
    }
    if (tlen >= fs->block_size || tlen >= FS_PATH_MAX) {
        return -FS_ENAMETOOLONG;
    }
    int err = prepare_create(fs, dir_ino, name, len, &dir);
    if (err == 0) {
        err = new_inode(fs, &dir, EXT2_S_IFLNK | 0777, &in);
    }
    if (err < 0) {
        return err;
    }
    fs_set_isize(&in, tlen);
    if (tlen < 4 * EXT2_N_BLOCKS) {
        memcpy(in.raw + EXT2_I_BLOCK, target, tlen);
    } else {
        uint32_t pblk;
        bool fresh;
        err = fs_bmap(fs, &in, 0, true, &pblk, &fresh);
        uint8_t *b = err == 0 ? fs_bget_zero(fs, pblk, &err) : NULL;
        if (b != NULL) {
            memcpy(b, target, tlen);
            err = fs_bput(fs, b, true);
        }
        if (err < 0) {
            release_unwritten(fs, &in);
            return err;
        }
    }
    err = commit_create(fs, &dir, name, len, &in);
    if (err == 0) {
        *ino = in.ino;
    }
    return err;
}

int
fs_symlink(struct fs *fs, uint32_t dir_ino, const char *name, size_t len, const char *target,
           uint32_t *ino)
{
    int err = fs_tx_begin(fs);
    if (err == 0) {
        err = symlink_op(fs, dir_ino, name, len, target, ino);
    }
    return fs_tx_end(fs, err);
}

static int
link_op(struct fs *fs, uint32_t dir_ino, const char *name, size_t len, uint32_t ino)
{
    struct fs_inode dir, in;
    int err = prepare_create(fs, dir_ino, name, len, &dir);
    if (err == 0 && fs_is_reserved(fs, ino)) {
        err = -FS_EINVAL;
    }
    if (err == 0) {
        err = fs_iget(fs, ino, &in);
    }
    if (err < 0) {
        return err;
    }
    if (links_of(&in) == 0) {
        return -FS_ENOENT;
    }
    if (is_dir(&in)) {
        return -FS_EISDIR;
    }
    err = adjust_links(fs, ino, 1);
    if (err < 0) {
        return err;
    }
    err = fs_dir_add(fs, &dir, name, len, ino, fs_mode_to_ft(fs_imode(&in)));
    if (err < 0) {
        adjust_links(fs, ino, -1);
    }
    return err;
}

int
fs_link(struct fs *fs, uint32_t dir_ino, const char *name, size_t len, uint32_t ino)
{
    int err = fs_tx_begin(fs);
    if (err == 0) {
        err = link_op(fs, dir_ino, name, len, ino);
    }
    return fs_tx_end(fs, err);
}

/* Drops one link of ino (a non-directory), releasing it at the last. */
static int
drop_link(struct fs *fs, uint32_t ino)
{
    struct fs_inode in;
    int err = fs_iget(fs, ino, &in);
    if (err < 0) {
        return err;
    }
    if (links_of(&in) <= 1) {
        return release(fs, &in);
    }
    fs_put_le16(in.raw + EXT2_I_LINKS, (uint16_t)(links_of(&in) - 1));
    fs_itouch(fs, &in, false);
    return fs_iput(fs, &in);
}

/* Releases an empty directory that lost its entry: its "." link and its own. */
static int
drop_dir(struct fs *fs, uint32_t ino)
{
    struct fs_inode in;
    int err = fs_iget(fs, ino, &in);
    if (err < 0) {
        return err;
    }
    return release(fs, &in);
}

/* Looks name up in dir for removal: checks the mount, the name and the entry. */
static int
prepare_remove(struct fs *fs, uint32_t dir_ino, const char *name, size_t len, struct fs_inode *dir,
               struct fs_inode *victim)
{
    if (fs->rdonly) {
        return -FS_EROFS;
    }
    int err = check_name(name, len);
    if (err == 0) {
        err = open_dir(fs, dir_ino, dir);
    }
    uint32_t ino;
    if (err == 0) {
        err = fs_dir_find(fs, dir, name, len, &ino);
    }
    if (err == 0) {
        err = fs_iget(fs, ino, victim);
    }
    if (err == 0 && links_of(victim) == 0) {
        err = -FS_ECORRUPT; /* an entry naming a free inode */
    }
    return err;
}

/*
 * With a journal, a regular file's last name goes only after its blocks: freeing a large
 * file in one operation could outgrow a transaction, so the removal stops before it
 * changes anything (FS_EFREE_FIRST), fs_truncate frees the blocks over as many
 * transactions as they need, and the removal runs again (without asking twice: an
 * extended-attribute block still counts in i_blocks). A crash in between leaves the
 * file shorter under its name.
 */
static bool
must_free_first(const struct fs *fs, const struct fs_inode *in)
{
    return fs->j.on && (fs_imode(in) & EXT2_S_IFMT) == EXT2_S_IFREG &&
           fs_le16(in->raw + EXT2_I_LINKS) == 1 && fs_le32(in->raw + EXT2_I_BLOCKS) != 0;
}

static int
free_first(struct fs *fs, uint32_t ino)
{
    int err = fs_truncate(fs, ino, 0);
    return err == 0 ? fs_tx_begin(fs) : err;
}

static int
unlink_op(struct fs *fs, uint32_t dir_ino, const char *name, size_t len, uint32_t *free_ino)
{
    struct fs_inode dir, victim;
    int err = prepare_remove(fs, dir_ino, name, len, &dir, &victim);
    if (err < 0) {
        return err;
    }
    if (is_dir(&victim)) {
        return -FS_EISDIR;
    }
    if (*free_ino != victim.ino && must_free_first(fs, &victim)) {
        *free_ino = victim.ino;
        return -FS_EFREE_FIRST;
    }
    err = fs_dir_remove(fs, &dir, name, len);
    if (err == 0) {
        err = drop_link(fs, victim.ino);
    }
    return err;
}

int
fs_unlink(struct fs *fs, uint32_t dir_ino, const char *name, size_t len)
{
    uint32_t free_ino = 0;
    int err = fs_tx_begin(fs);
    if (err == 0) {
        err = unlink_op(fs, dir_ino, name, len, &free_ino);
    }
    if (err == -FS_EFREE_FIRST) {
        err = free_first(fs, free_ino);
        if (err == 0) {
            err = unlink_op(fs, dir_ino, name, len, &free_ino);
        }
    }
    return fs_tx_end(fs, err);
}

static int
rmdir_op(struct fs *fs, uint32_t dir_ino, const char *name, size_t len)
{
    struct fs_inode dir, victim;
    if (len == 1 && name[0] == '.') {
        return -FS_EINVAL;
    }
    if (len == 2 && name[0] == '.' && name[1] == '.') {
        return -FS_ENOTEMPTY;
    }
    int err = prepare_remove(fs, dir_ino, name, len, &dir, &victim);
    if (err < 0) {
        return err;
    }
    if (!is_dir(&victim)) {
        return -FS_ENOTDIR;
    }
    err = fs_dir_is_empty(fs, &victim);
    if (err <= 0) {
        return err == 0 ? -FS_ENOTEMPTY : err;
    }
    err = fs_dir_remove(fs, &dir, name, len);
    if (err == 0) {
        err = drop_dir(fs, victim.ino);
    }
    if (err == 0) {
        err = adjust_links(fs, dir_ino, -1);
    }
    return err;
}

int
fs_rmdir(struct fs *fs, uint32_t dir_ino, const char *name, size_t len)
{
    int err = fs_tx_begin(fs);
    if (err == 0) {
        err = rmdir_op(fs, dir_ino, name, len);
    }
    return fs_tx_end(fs, err);
}

/* Is dir anc an ancestor of (or equal to) dir ino? Walks ".." up to the root, bounded. */
static int
is_ancestor(struct fs *fs, uint32_t anc, uint32_t ino)
{
    for (unsigned steps = 0; steps < FS_DEPTH_MAX; steps++) {
        if (ino == anc) {
            return 1;
        }
        if (ino == EXT2_ROOT_INO) {
            return 0;
        }
        int err = fs_lookup(fs, ino, "..", 2, &ino);
        if (err < 0) {
            return err;
        }
    }
    return -FS_ECORRUPT; /* a ".." cycle that never reaches the root */
}

/* Checks a rename and finds the source (*src) and the target if any (*dst, ino 0 if none). */
static int
prepare_rename(struct fs *fs, uint32_t odir, const char *oname, size_t olen, uint32_t ndir,
               const char *nname, size_t nlen, struct fs_inode *src, struct fs_inode *dst)
{
    struct fs_inode od, nd;
    uint32_t ino;
    if (fs->rdonly) {
        return -FS_EROFS;
    }
    int err = check_name(oname, olen);
    if (err == 0) {
        err = check_name(nname, nlen);
    }
    if (err == 0 && (is_dot_or_dotdot(oname, olen) || is_dot_or_dotdot(nname, nlen))) {
        err = -FS_EINVAL;
    }
    if (err == 0) {
        err = open_dir(fs, odir, &od);
    }
    if (err == 0) {
        err = open_dir(fs, ndir, &nd);
    }
    if (err == 0) {
        err = fs_dir_find(fs, &od, oname, olen, &ino);
    }
    if (err == 0) {
        err = fs_iget(fs, ino, src);
    }
    if (err < 0) {
        return err;
    }
    if (links_of(src) == 0) {
        return -FS_ECORRUPT;
    }
    memset(dst, 0, sizeof(*dst));
    err = fs_dir_find(fs, &nd, nname, nlen, &ino);
    if (err == -FS_ENOENT) {
        ino = 0;
        err = 0;
    } else if (err == 0) {
        err = fs_iget(fs, ino, dst);
        if (err == 0 && links_of(dst) == 0) {
            err = -FS_ECORRUPT;
        }
    }
    if (err < 0) {
        return err;
    }
    if (is_dir(src)) {
        err = is_ancestor(fs, src->ino, ndir);
        if (err != 0) {
            return err < 0 ? err : -FS_EINVAL;
        }
    }
    if (ino == 0 || dst->ino == src->ino) {
        return 0;
    }
    if (is_dir(src) && !is_dir(dst)) {
        return -FS_ENOTDIR;
    }
    if (!is_dir(src) && is_dir(dst)) {
        return -FS_EISDIR;
    }
    if (is_dir(dst)) {
        err = fs_dir_is_empty(fs, dst);
        if (err <= 0) {
            return err == 0 ? -FS_ENOTEMPTY : err;
        }
    }
    return 0;
}

/*
 * The writes, in an order a crash cannot turn into loss: the new name is made to point
 * at the source first (replacing any target in one block write), then the old name goes,
 * then link counts and the moved directory's ".." follow.
 */
static int
rename_op(struct fs *fs, uint32_t odir, const char *oname, size_t olen, uint32_t ndir,
          const char *nname, size_t nlen, uint32_t *free_ino)
{
    struct fs_inode src, dst, dir;
    int err = prepare_rename(fs, odir, oname, olen, ndir, nname, nlen, &src, &dst);
    if (err < 0) {
        return err;
    }
    if (dst.ino == src.ino) {
        return 0; /* POSIX: two links to the same file, nothing to do */
    }
    if (dst.ino != 0 && *free_ino != dst.ino && must_free_first(fs, &dst)) {
        *free_ino = dst.ino;
        return -FS_EFREE_FIRST;
    }
    bool moving_dir = is_dir(&src) && odir != ndir;
    if (moving_dir && dst.ino == 0) {
        /* ndir gains the moved directory's "..". */
        err = adjust_links(fs, ndir, 1);
        if (err < 0) {
            return err;
        }
    }
    uint8_t ft = fs_mode_to_ft(fs_imode(&src));
    err = open_dir(fs, ndir, &dir);
    if (err == 0) {
        err = dst.ino != 0 ? fs_dir_set(fs, &dir, nname, nlen, src.ino, ft)
                           : fs_dir_add(fs, &dir, nname, nlen, src.ino, ft);
    }
    if (err < 0) {
        if (moving_dir && dst.ino == 0) {
            adjust_links(fs, ndir, -1);
        }
        return err;
    }
    err = open_dir(fs, odir, &dir);
    if (err == 0) {
        err = fs_dir_remove(fs, &dir, oname, olen);
    }
    if (err == 0 && moving_dir) {
        err = open_dir(fs, src.ino, &dir);
        if (err == 0) {
            err = fs_dir_set(fs, &dir, "..", 2, ndir, EXT2_FT_DIR);
        }
        if (err == 0) {
            err = adjust_links(fs, odir, -1);
        }
    }
    if (err == 0 && dst.ino != 0) {
        if (is_dir(&dst)) {
            /* dst's ".." no longer counts in ndir; src's (if it moved) took its place. */
            err = drop_dir(fs, dst.ino);
            if (err == 0 && !moving_dir) {
                err = adjust_links(fs, ndir, -1);
            }
        } else {
            err = drop_link(fs, dst.ino);
        }
    }
    if (err == 0) {
        err = adjust_links(fs, src.ino, 0); /* ctime */
    }
    return err;
}

int
fs_rename(struct fs *fs, uint32_t odir, const char *oname, size_t olen, uint32_t ndir,
          const char *nname, size_t nlen)
{
    uint32_t free_ino = 0;
    int err = fs_tx_begin(fs);
    if (err == 0) {
        err = rename_op(fs, odir, oname, olen, ndir, nname, nlen, &free_ino);
    }
    if (err == -FS_EFREE_FIRST) {
        err = free_first(fs, free_ino);
        if (err == 0) {
            err = rename_op(fs, odir, oname, olen, ndir, nname, nlen, &free_ino);
        }
    }
    return fs_tx_end(fs, err);
}
