/*
 * Linear directories. A hashed (dir_index) directory is read as a linear one: its index
 * blocks look like blocks holding one empty entry, which Linux also relies on. Any change
 * to such a directory clears its index flag (EXT2_INDEX_FL), as Linux's ext2 driver does,
 * so no stale index is left for e2fsck or an ext3/ext4 driver to trust; `e2fsck -fD`
 * rebuilds the index if wanted.
 */
#include "fs_internal.h"

#include <string.h>

static uint32_t
rec_len_for(size_t name_len)
{
    return (uint32_t)((EXT2_DE_HEADER + name_len + 3) & ~(size_t)3);
}

/*
 * Checks a whole directory block: entries tile it exactly, each long enough for its
 * header and name, 4-byte aligned, naming an inode number in range and not reserved.
 */
int
fs_dir_check_block(const struct fs *fs, const uint8_t *b)
{
    uint32_t off = 0;
    while (off < fs->block_size) {
        if (fs->block_size - off < EXT2_DE_HEADER) {
            return -FS_ECORRUPT;
        }
        const uint8_t *de = b + off;
        uint32_t rec = fs_le16(de + EXT2_DE_REC_LEN);
        if (rec < EXT2_DE_HEADER || rec % 4 != 0 || rec > fs->block_size - off ||
            rec_len_for(de[EXT2_DE_NAME_LEN]) > rec) {
            return -FS_ECORRUPT;
        }
        /* Reserved inodes (the journal, the resize inode, ...) are never named, except
         * the root: an entry that names one would let a client write the journal. */
        uint32_t ino = fs_le32(de + EXT2_DE_INODE);
        if (ino > fs->inodes_count || (ino != 0 && ino != EXT2_ROOT_INO && ino < fs->first_ino)) {
            return -FS_ECORRUPT;
        }
        off += rec;
    }
    return 0;
}

uint8_t
fs_mode_to_ft(uint16_t mode)
{
    switch (mode & EXT2_S_IFMT) {
    case EXT2_S_IFREG:
        return EXT2_FT_REG;
    case EXT2_S_IFDIR:
        return EXT2_FT_DIR;
    case EXT2_S_IFCHR:
        return EXT2_FT_CHRDEV;
    case EXT2_S_IFBLK:
        return EXT2_FT_BLKDEV;
    case EXT2_S_IFIFO:
        return EXT2_FT_FIFO;
    case EXT2_S_IFSOCK:
        return EXT2_FT_SOCK;
    case EXT2_S_IFLNK:
        return EXT2_FT_SYMLINK;
    default:
        return EXT2_FT_UNKNOWN;
    }
}

/* Number of blocks of dir, checked against what the size can be. */
static int
dir_blocks(struct fs *fs, const struct fs_inode *dir, uint64_t *n)
{
    if ((fs_imode(dir) & EXT2_S_IFMT) != EXT2_S_IFDIR) {
        return -FS_ENOTDIR;
    }
    /* Every block of a directory is allocated and counted in i_blocks: checking that
     * bounds a walk of a corrupted directory by its real size, not by a forged i_size
     * over an indirect block that repeats one block number. */
    uint64_t size = fs_isize(dir);
    uint64_t blocks = size / fs->block_size;
    if (size % fs->block_size != 0 ||
        blocks * fs->sectors_per_block > fs_le32(dir->raw + EXT2_I_BLOCKS)) {
        return -FS_ECORRUPT;
    }
    *n = blocks;
    return 0;
}

/* Reads and checks directory block lblk of dir (pinned). A hole is corruption. */
static uint8_t *
dir_block(struct fs *fs, struct fs_inode *dir, uint64_t lblk, uint32_t *pblk, int *err)
{
    *err = fs_bmap(fs, dir, lblk, false, pblk, NULL);
    if (*err < 0) {
        return NULL;
    }
    if (*pblk == 0) {
        *err = -FS_ECORRUPT;
        return NULL;
    }
    uint8_t *b = fs_bget(fs, *pblk, err);
    if (b == NULL) {
        return NULL;
    }
    *err = fs_dir_check_block(fs, b);
    if (*err < 0) {
        fs_bput(fs, b, false);
        return NULL;
    }
    return b;
}

static bool
entry_is(const uint8_t *de, const char *name, size_t len)
{
    return fs_le32(de + EXT2_DE_INODE) != 0 && de[EXT2_DE_NAME_LEN] == len &&
           memcmp(de + EXT2_DE_NAME, name, len) == 0;
}

/*
 * The entry name in dir: calls fn with the pinned block, the entry's offset and the
 * previous entry's offset (or UINT32_MAX), stopping at the first match. FS_ENOENT if
 * there is none. fn returns whether it changed the block.
 */
typedef int (*entry_fn)(struct fs *fs, uint8_t *b, uint32_t off, uint32_t prev, void *arg,
                        bool *dirty);

static int
with_entry(struct fs *fs, struct fs_inode *dir, const char *name, size_t len, entry_fn fn,
           void *arg)
{
    uint64_t n;
    int err = dir_blocks(fs, dir, &n);
    if (err < 0) {
        return err;
    }
    for (uint64_t l = 0; l < n; l++) {
        uint32_t pblk;
        uint8_t *b = dir_block(fs, dir, l, &pblk, &err);
        if (b == NULL) {
            return err;
        }
        uint32_t prev = UINT32_MAX;
        for (uint32_t off = 0; off < fs->block_size; off += fs_le16(b + off + EXT2_DE_REC_LEN)) {
            if (entry_is(b + off, name, len)) {
                bool dirty = false;
                err = fn(fs, b, off, prev, arg, &dirty);
                int perr = fs_bput(fs, b, dirty);
                return err < 0 ? err : perr;
            }
            prev = off;
        }
        fs_bput(fs, b, false);
    }
    return -FS_ENOENT;
}

static int
get_ino(struct fs *fs, uint8_t *b, uint32_t off, uint32_t prev, void *arg, bool *dirty)
{
    (void)fs, (void)prev, (void)dirty;
    *(uint32_t *)arg = fs_le32(b + off + EXT2_DE_INODE);
    return 0;
}

/* Finds name in dir. */
int
fs_dir_find(struct fs *fs, struct fs_inode *dir, const char *name, size_t len, uint32_t *ino)
{
    return with_entry(fs, dir, name, len, get_ino, ino);
}

/* Clears the hashed-index flag of a directory about to change (see the file comment). */
static void
drop_index(struct fs_inode *dir)
{
    uint32_t flags = fs_le32(dir->raw + EXT2_I_FLAGS);
    fs_put_le32(dir->raw + EXT2_I_FLAGS, flags & ~(uint32_t)EXT2_INDEX_FL);
}

static void
fill_entry(struct fs *fs, uint8_t *de, uint32_t rec, const char *name, size_t len, uint32_t ino,
           uint8_t type)
{
    fs_put_le32(de + EXT2_DE_INODE, ino);
    fs_put_le16(de + EXT2_DE_REC_LEN, (uint16_t)rec);
    de[EXT2_DE_NAME_LEN] = (uint8_t)len;
    de[EXT2_DE_FILE_TYPE] = (fs->incompat & EXT2_INCOMPAT_FILETYPE) ? type : 0;
    memcpy(de + EXT2_DE_NAME, name, len);
    /* Zero the padding so that no stale bytes of an old name linger on disk. */
    memset(de + EXT2_DE_NAME + len, 0, rec_len_for(len) - EXT2_DE_HEADER - len);
}

/*
 * Adds name -> ino to dir, in the first gap large enough or in a new block. The caller
 * has checked that name is not there; dir's size, blocks and flags change (the caller
 * does not need to write dir back: this does).
 */
int
fs_dir_add(struct fs *fs, struct fs_inode *dir, const char *name, size_t len, uint32_t ino,
           uint8_t type)
{
    uint32_t need = rec_len_for(len);
    uint64_t n;
    int err = dir_blocks(fs, dir, &n);
    if (err < 0) {
        return err;
    }
    for (uint64_t l = 0; l < n; l++) {
        uint32_t pblk;
        uint8_t *b = dir_block(fs, dir, l, &pblk, &err);
        if (b == NULL) {
            return err;
        }
        for (uint32_t off = 0; off < fs->block_size;) {
            uint8_t *de = b + off;
            uint32_t rec = fs_le16(de + EXT2_DE_REC_LEN);
            uint32_t used = fs_le32(de + EXT2_DE_INODE) ? rec_len_for(de[EXT2_DE_NAME_LEN]) : 0;
            if (rec - used >= need) {
                if (used != 0) {
                    fs_put_le16(de + EXT2_DE_REC_LEN, (uint16_t)used);
                }
                fill_entry(fs, de + used, rec - used, name, len, ino, type);
                err = fs_bput(fs, b, true);
                if (err < 0) {
                    return err;
                }
                drop_index(dir);
                fs_itouch(fs, dir, true);
                return fs_iput(fs, dir);
            }
            off += rec;
        }
        fs_bput(fs, b, false);
    }
    /* No room: a new block at the end. */
    uint32_t pblk;
    bool fresh;
    err = fs_bmap(fs, dir, n, true, &pblk, &fresh);
    if (err < 0) {
        fs_iput(fs, dir); /* keep any indirect block it allocated accounted */
        return err;
    }
    uint8_t *b = fs_bget_zero(fs, pblk, &err);
    if (b == NULL) {
        return err;
    }
    fill_entry(fs, b, fs->block_size, name, len, ino, type);
    err = fs_bput(fs, b, true);
    if (err < 0) {
        return err;
    }
    fs_set_isize(dir, (n + 1) * fs->block_size);
    drop_index(dir);
    fs_itouch(fs, dir, true);
    return fs_iput(fs, dir);
}

static int
remove_entry(struct fs *fs, uint8_t *b, uint32_t off, uint32_t prev, void *arg, bool *dirty)
{
    (void)fs, (void)arg;
    if (prev == UINT32_MAX) {
        fs_put_le32(b + off + EXT2_DE_INODE, 0);
    } else {
        uint32_t rec = fs_le16(b + prev + EXT2_DE_REC_LEN) + fs_le16(b + off + EXT2_DE_REC_LEN);
        fs_put_le16(b + prev + EXT2_DE_REC_LEN, (uint16_t)rec);
    }
    *dirty = true;
    return 0;
}

/* Removes name from dir (and writes dir back with new times). */
int
fs_dir_remove(struct fs *fs, struct fs_inode *dir, const char *name, size_t len)
{
    int err = with_entry(fs, dir, name, len, remove_entry, NULL);
    if (err < 0) {
        return err;
    }
    drop_index(dir);
    fs_itouch(fs, dir, true);
    return fs_iput(fs, dir);
}

struct set_arg {
    uint32_t ino;
    uint8_t type;
};

static int
set_entry(struct fs *fs, uint8_t *b, uint32_t off, uint32_t prev, void *arg, bool *dirty)
{
    const struct set_arg *s = arg;
    (void)prev;
    fs_put_le32(b + off + EXT2_DE_INODE, s->ino);
    b[off + EXT2_DE_FILE_TYPE] = (fs->incompat & EXT2_INCOMPAT_FILETYPE) ? s->type : 0;
    *dirty = true;
    return 0;
}

/* Points the existing entry name of dir at ino, in one block write (rename's atomic step). */
int
fs_dir_set(struct fs *fs, struct fs_inode *dir, const char *name, size_t len, uint32_t ino,
           uint8_t type)
{
    struct set_arg s = {ino, type};
    int err = with_entry(fs, dir, name, len, set_entry, &s);
    if (err < 0) {
        return err;
    }
    drop_index(dir);
    fs_itouch(fs, dir, true);
    return fs_iput(fs, dir);
}

/* Returns 1 if dir holds nothing but "." and "..", 0 if it holds more. */
int
fs_dir_is_empty(struct fs *fs, struct fs_inode *dir)
{
    uint64_t n;
    int err = dir_blocks(fs, dir, &n);
    if (err < 0) {
        return err;
    }
    for (uint64_t l = 0; l < n; l++) {
        uint32_t pblk;
        uint8_t *b = dir_block(fs, dir, l, &pblk, &err);
        if (b == NULL) {
            return err;
        }
        for (uint32_t off = 0; off < fs->block_size; off += fs_le16(b + off + EXT2_DE_REC_LEN)) {
            const uint8_t *de = b + off;
            if (fs_le32(de + EXT2_DE_INODE) != 0 && !entry_is(de, ".", 1) &&
                !entry_is(de, "..", 2)) {
                fs_bput(fs, b, false);
                return 0;
            }
        }
        fs_bput(fs, b, false);
    }
    return 1;
}

int
fs_readdir(struct fs *fs, uint32_t dir_ino, uint64_t *cookie, struct fs_dirent *de)
{
    struct fs_inode dir;
    uint64_t n;
    int err = fs_iget(fs, dir_ino, &dir);
    if (err == 0) {
        err = dir_blocks(fs, &dir, &n);
    }
    if (err < 0) {
        return err;
    }
    for (uint64_t l = *cookie / fs->block_size; l < n; l++) {
        uint32_t pblk;
        uint8_t *b = dir_block(fs, &dir, l, &pblk, &err);
        if (b == NULL) {
            return err;
        }
        uint64_t base = l * fs->block_size;
        for (uint32_t off = 0; off < fs->block_size; off += fs_le16(b + off + EXT2_DE_REC_LEN)) {
            const uint8_t *e = b + off;
            if (base + off < *cookie || fs_le32(e + EXT2_DE_INODE) == 0) {
                continue;
            }
            de->ino = fs_le32(e + EXT2_DE_INODE);
            de->name_len = e[EXT2_DE_NAME_LEN];
            de->type = (fs->incompat & EXT2_INCOMPAT_FILETYPE) ? e[EXT2_DE_FILE_TYPE] : 0;
            memcpy(de->name, e + EXT2_DE_NAME, de->name_len);
            de->name[de->name_len] = '\0';
            *cookie = base + off + fs_le16(e + EXT2_DE_REC_LEN);
            fs_bput(fs, b, false);
            return 1;
        }
        fs_bput(fs, b, false);
    }
    *cookie = n * fs->block_size;
    return 0;
}
