/*
 * lib/fs: Linux's ext2 format (revisions 0 and 1), read and write, with no heap. See
 * docs/storage.md for the features supported and refused.
 *
 * The caller gives a block device (struct fs_dev) and the memory of a block cache; a
 * struct fs holds everything else. Every function returns 0 (or a count) on success and a
 * negative FS_E* code on failure. The on-disk image is untrusted: every structure is
 * checked before use, and a bad one gives FS_ECORRUPT (never a crash, a hang or a write
 * outside the structures the operation owns). A struct fs is not thread-safe.
 *
 * Operations name files by inode number and directory entries by (directory inode,
 * name, length): the file server resolves paths under each client's grant. fs_walk()
 * resolves a whole path for callers that want it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vallum/fs/config.h>

/* Error codes (negated on return). */
enum fs_error {
    FS_OK = 0,
    FS_EIO = 1,       /* the device reported an error */
    FS_ECORRUPT = 2,  /* an on-disk structure failed a check */
    FS_EFEATURE = 3,  /* the image uses an incompatible feature lib/fs does not implement */
    FS_EROFS = 4,     /* mounted read-only (by request or because of a ro_compat feature) */
    FS_ENOENT = 5,    /* no such entry */
    FS_EEXIST = 6,    /* the name already exists */
    FS_ENOTDIR = 7,   /* not a directory */
    FS_EISDIR = 8,    /* is a directory */
    FS_ENOTEMPTY = 9, /* the directory has entries besides . and .. */
    FS_ENOSPC = 10,   /* no free block or inode */
    FS_EINVAL = 11,   /* a bad argument (name, offset, mode, cache too small) */
    FS_ENAMETOOLONG = 12,
    FS_EFBIG = 13,  /* beyond the largest file the block size can map */
    FS_EMLINK = 14, /* the link count would overflow */
    FS_ELOOP = 15,  /* too many symbolic links in a path */
    FS_EBUSY = 16,  /* the cache has no free slot (a lib/fs bug if it ever happens) */
};

/*
 * The block device, in 512-byte sectors. read/write move count sectors at sector into
 * buf and return 0 or a negative FS_E* code; flush makes every completed write durable.
 * flush is the only ordering lib/fs assumes: writes since the last flush may reach the
 * disk in any order, or not at all, if the power fails (the journal relies on no more).
 */
struct fs_dev {
    void *ctx;
    uint64_t sectors; /* device size */
    int (*read)(void *ctx, uint64_t sector, uint32_t count, void *buf);
    int (*write)(void *ctx, uint64_t sector, uint32_t count, const void *buf);
    int (*flush)(void *ctx);
};

#define FS_SECTOR_SIZE 512

/* One block-cache slot (internal to lib/fs; in struct fs only so that it needs no heap). */
struct fs_cslot {
    uint32_t block; /* file-system block number held */
    uint32_t pins;  /* users between fs_bget and fs_bput */
    uint64_t used;  /* LRU stamp */
    bool valid;
    bool dirty; /* changed in the running transaction, not yet written to the log */
    uint8_t *data;
};

/* Mount flags. */
#define FS_MOUNT_RDONLY 0x1
#define FS_MOUNT_SYNC 0x2 /* every operation returns only once it is durable */

/*
 * The journal writer's state (internal to lib/fs; in struct fs so that it needs no heap).
 * The running transaction's blocks are logged as they change; see docs/storage.md.
 */
struct fs_journal {
    bool on;          /* metadata goes through the journal */
    bool sync;        /* commit at the end of every operation */
    bool aborted;     /* a device error: nothing more is written */
    bool abort_fresh; /* the running operation aborted it, with abort_err */
    int abort_err;
    bool need_commit; /* an allocation found only blocks this transaction freed */
    uint32_t nruns;   /* the log as runs of blocks (0: too many, use its map) */
    struct {
        uint32_t pos, block, len;
    } runs[FS_JOURNAL_RUNS];
    uint8_t inode[128];     /* the journal inode (its block map locates the log) */
    uint8_t uuid[16];       /* the journal superblock's, for the first tag */
    uint32_t first, maxlen; /* the log's blocks: [first, maxlen) of the journal inode */
    uint32_t tx_max;        /* blocks one transaction logs at most, this mount */
    uint32_t seq;           /* the running transaction's sequence number */
    uint32_t start;         /* its descriptor's log position */
    uint32_t n;             /* blocks it logs: block i at start + 1 + i */
    uint32_t block[FS_JOURNAL_TX_MAX];
    uint8_t flags[FS_JOURNAL_TX_MAX]; /* FS_JBLOCK_* */
    uint32_t nrevoke;                 /* blocks it revokes */
    uint32_t revoke[2 * FS_JOURNAL_TX_MAX];
    uint32_t nprev; /* blocks of the last committed transaction (replayable) */
    uint32_t prev[FS_JOURNAL_TX_MAX];
    uint64_t commits;         /* transactions committed this mount */
    uint32_t committed_block; /* the bitmap block whose home copy is in committed[] */
    bool committed_valid;
    uint8_t committed[FS_MAX_BLOCK_SIZE]; /* a block bitmap as last committed */
    uint8_t buf[FS_MAX_BLOCK_SIZE];       /* descriptor, revoke, commit and escaped blocks */
};

struct fs {
    struct fs_dev dev;
    uint8_t sb[1024]; /* the superblock as read; written back by fs_sync */
    bool rdonly;
    bool sb_dirty;
    uint32_t block_size;
    uint32_t sectors_per_block;
    uint32_t blocks_count;
    uint32_t first_data_block;
    uint32_t inodes_count;
    uint32_t blocks_per_group;
    uint32_t inodes_per_group;
    uint32_t groups;
    uint32_t inode_size;
    uint32_t inodes_per_block;
    uint32_t first_ino;
    uint32_t addr_per_block; /* block numbers in an indirect block */
    uint32_t gd_per_block;
    uint32_t incompat, ro_compat, compat;
    uint64_t now; /* seconds since 1970 stamped into inodes; the caller sets it after fs_mount */
    struct fs_cslot slots[FS_CACHE_SLOTS_MAX];
    uint32_t nslots;
    uint64_t clock;
    char why[128]; /* why the last mount failed, or why it is read-only, in words */
    struct fs_journal j;
};

/* What fs_stat reports. */
struct fs_stat {
    uint32_t ino;
    uint16_t mode; /* type and permission bits, as on disk (EXT2_S_*) */
    uint16_t links;
    uint32_t uid, gid;
    uint64_t size;
    uint64_t blocks; /* 512-byte units */
    uint32_t atime, mtime, ctime;
    uint32_t rdev; /* device nodes: the device number as Linux encodes it */
};

/* One directory entry from fs_readdir. */
struct fs_dirent {
    uint32_t ino;
    uint8_t type; /* EXT2_FT_* */
    uint8_t name_len;
    char name[256]; /* NUL-terminated */
};

/*
 * Counts the cache slots still pinned. Every operation unpins all it pinned, on success
 * and on error alike, so this is 0 between operations (tests check it after each).
 */
uint32_t fs_pinned(const struct fs *fs);

/* The name of an FS_E* code (positive or negative), for messages. */
const char *fs_strerror(int err);

/*
 * Mounts the ext2 file system on dev, using cache (cache_bytes long, any alignment) for
 * block buffers. Reads and checks the superblock and every group descriptor. Returns 0,
 * or FS_EFEATURE (fs->why names the feature), FS_ECORRUPT (fs->why says which check
 * failed), FS_EINVAL (cache smaller than FS_CACHE_SLOTS_MIN blocks), FS_EIO. An image
 * with a read-only-compatible feature lib/fs does not implement mounts read-only. A
 * read-write mount replays a journal that holds committed transactions (a read-only one
 * refuses it: FS_EROFS) and marks the superblock "not clean" until fs_unmount. A
 * read-write mount of a journaled file system writes through the journal (FS_EFEATURE
 * for a v1 journal superblock, FS_ENOSPC for a log too short) and sets needs_recovery
 * until fs_unmount. flags: FS_MOUNT_RDONLY, FS_MOUNT_SYNC (every operation commits
 * before it returns, as if fs_fsync followed it).
 */
int fs_mount(struct fs *fs, const struct fs_dev *dev, void *cache, size_t cache_bytes,
             unsigned flags);

/*
 * Makes every operation that returned so far durable: commits the running journal
 * transaction, or without a journal writes back the superblock and flushes the device.
 * Returns 0 or FS_EIO (with a journal, it is then aborted and the mount read-only).
 */
int fs_sync(struct fs *fs);

/*
 * Makes every operation that returned so far durable: on a journaled file system, commits
 * the running transaction (its commit block is on disk behind a flush when this returns);
 * without a journal, flushes the device (see docs/storage.md for that weaker promise).
 * Returns 0, FS_EIO (the journal is aborted and the mount turns read-only), FS_EINVAL
 * for an inode number out of range.
 */
int fs_fsync(struct fs *fs, uint32_t ino);

/*
 * Marks the file system clean and syncs it: the journal is committed, checkpointed
 * (every logged block written home) and emptied first. The struct fs is unusable
 * afterwards.
 */
int fs_unmount(struct fs *fs);

/* Fills *st for inode ino. FS_EINVAL for an inode number out of range, FS_ENOENT free. */
int fs_stat(struct fs *fs, uint32_t ino, struct fs_stat *st);

/*
 * Looks name (len bytes, no '/') up in directory dir. Returns 0 with *ino set, FS_ENOENT,
 * FS_ENOTDIR, FS_ENAMETOOLONG, FS_ECORRUPT.
 */
int fs_lookup(struct fs *fs, uint32_t dir, const char *name, size_t len, uint32_t *ino);

/*
 * Resolves path (NUL-terminated; relative to dir, or to the root if it starts with '/').
 * Follows symbolic links in the middle of the path, and at its end if follow is true, at
 * most FS_SYMLINK_MAX of them (FS_ELOOP). ".." of the root is the root.
 */
int fs_walk(struct fs *fs, uint32_t dir, const char *path, bool follow, uint32_t *ino);

/*
 * Reads the directory entry after *cookie (0 to start) into *de and advances *cookie.
 * Returns 1 for an entry, 0 at the end, or an error.
 */
int fs_readdir(struct fs *fs, uint32_t dir, uint64_t *cookie, struct fs_dirent *de);

/* Reads up to len bytes at off of a regular file (or symlink). Returns the count. */
long fs_read(struct fs *fs, uint32_t ino, uint64_t off, void *buf, size_t len);

/*
 * Writes len bytes at off of regular file ino, allocating blocks and extending the size.
 * Returns len, or an error (FS_ENOSPC, FS_EFBIG, ...); a failed write leaves the size
 * unchanged but may leave newly allocated (zeroed) blocks inside it. With a journal the
 * write is done in steps of FS_JOURNAL_STEP_BLOCKS blocks, one transaction's worth each:
 * a failure keeps the steps before it (the size grows to where they end).
 */
long fs_write(struct fs *fs, uint32_t ino, uint64_t off, const void *buf, size_t len);

/*
 * Sets the size of regular file ino, freeing blocks past it or leaving a hole. With a
 * journal it frees FS_JOURNAL_STEP_BLOCKS blocks per step from the end: a failure (or a
 * crash) leaves the file between its old and its new size.
 */
int fs_truncate(struct fs *fs, uint32_t ino, uint64_t size);

/* Reads symbolic link ino's target into buf (NUL-terminated). Returns its length. */
long fs_readlink(struct fs *fs, uint32_t ino, char *buf, size_t len);

/*
 * Creates name in dir: a regular file, fifo, socket or device node per mode's type bits
 * (rdev for devices). Returns 0 with *ino set; FS_EEXIST, FS_ENOSPC, FS_EINVAL (bad
 * type or name), FS_ENAMETOOLONG, FS_EROFS.
 */
int fs_mknod(struct fs *fs, uint32_t dir, const char *name, size_t len, uint16_t mode,
             uint32_t rdev, uint32_t *ino);

/* Creates directory name in dir with "." and "..". */
int fs_mkdir(struct fs *fs, uint32_t dir, const char *name, size_t len, uint16_t mode,
             uint32_t *ino);

/* Creates symbolic link name in dir pointing at target (fast if under 60 bytes). */
int fs_symlink(struct fs *fs, uint32_t dir, const char *name, size_t len, const char *target,
               uint32_t *ino);

/*
 * Adds name in dir for existing non-directory ino. FS_EMLINK at 65000 links.
 * fs_link, fs_write, fs_truncate and fs_setattr refuse (FS_EINVAL) the reserved inodes
 * below the first inode other than the root (the journal, the resize inode, ...).
 */
int fs_link(struct fs *fs, uint32_t dir, const char *name, size_t len, uint32_t ino);

/* Removes non-directory name from dir, freeing the inode at its last link. */
int fs_unlink(struct fs *fs, uint32_t dir, const char *name, size_t len);

/* Removes empty directory name from dir. FS_ENOTEMPTY, FS_ENOTDIR, FS_EINVAL for . or .. */
int fs_rmdir(struct fs *fs, uint32_t dir, const char *name, size_t len);

/*
 * Renames odir/oname to ndir/nname. An existing target (a non-directory replacing a
 * non-directory, an empty directory replacing a directory) is replaced in one block
 * write, so nname names either the old or the new file at every instant. FS_EINVAL when
 * a directory would move into itself, FS_EISDIR/FS_ENOTDIR on type mismatch.
 */
int fs_rename(struct fs *fs, uint32_t odir, const char *oname, size_t olen, uint32_t ndir,
              const char *nname, size_t nlen);

/* Sets mode's permission bits (07777), owner and times of ino. */
int fs_setattr(struct fs *fs, uint32_t ino, uint16_t perm, uint32_t uid, uint32_t gid,
               uint32_t atime, uint32_t mtime);
