/*
 * The crash test of lib/fs's journal (docs/storage.md#the-crash-test), on the host under
 * ASan and UBSan:
 *
 *   crash_fs IMAGE SEED OPS FSCK_EVERY VARIANTS OUTDIR [FLAGS]
 *
 * A seeded workload (create, write, append, truncate, rename, unlink, hard and symbolic
 * links, mkdir and rmdir, fsync and sync in between) runs on IMAGE (a fresh mke2fs -t ext3
 * image, left untouched) through a recording device, which keeps every write and flush,
 * after an unrecorded warm-up that brings the log near its end (so the workload's
 * transactions wrap around it).
 * Then for every prefix of that log (the disk stopped after the K-th request), and for
 * VARIANTS seeded variants of each where the writes since the last flush are a random
 * subset applied in a random order (what a volatile disk cache may do), the resulting
 * image is mounted by lib/fs (replaying the journal) and must pass:
 *   - the mount itself, and lib/fs's own consistency check (every directory walks, "."
 *     and ".." right, link counts equal the names found, every file and link reads back,
 *     holding only bytes the workload writes (0x80..0xff) or zeros, never another
 *     structure's (which a replay of a block freed and reused as data would show),
 *     the free counts of the superblock equal the group descriptors' and the bitmaps');
 *   - every file whose fsync (or a sync) returned before the cut, and that no later
 *     operation before the cut touched, has exactly its synced contents at its names;
 *   - on every FSCK_EVERY-th cut, after lib/fs's replay and unmount, `e2fsck -fn` exits 0.
 * The log must also hold the flushes the protocol needs: each commit block is written
 * after a flush that follows its transaction's descriptor and revoke blocks.
 *
 * FLAGS: "sync" mounts with FS_MOUNT_SYNC; "keep" only writes an image cut just before
 * a commit block to OUTDIR/cut.img, with the files synced by then under
 * OUTDIR/expect/ (for crash.sh's e2fsck and debugfs interoperability check). Any other
 * word only names the run. `crash_fs replay IMAGE` mounts IMAGE read-write (replaying
 * its journal) and unmounts it.
 *
 * Prints VLTEST lines and the number of cut points checked; exits 1 on any failure.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vallum/fs/ext2.h>
#include <vallum/fs/fs.h>

#include "imagedev.h"

#define VLTEST_STRERROR fs_strerror
#include "../vltest.h"

/* One request the recording device saw: a write (data in g_arena) or a flush. */
struct req {
    bool flush;
    uint64_t sector;
    uint32_t count;
    size_t data; /* offset in g_arena */
};

static struct req *g_log;
static size_t g_nlog, g_caplog;
static uint8_t *g_arena;
static size_t g_narena, g_caparena;
static uint8_t *g_base; /* the image before the workload */
static size_t g_size;

static void *
grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) {
        return p;
    }
    *cap = need * 2;
    p = realloc(p, *cap * elem);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* The recording device: writes go to the live image and to the log. */
static int
rec_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
    memcpy(buf, (uint8_t *)ctx + sector * FS_SECTOR_SIZE, (size_t)count * FS_SECTOR_SIZE);
    return 0;
}

static bool g_recording = true; /* off during the warm-up */

static int
rec_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
    size_t len = (size_t)count * FS_SECTOR_SIZE;
    memcpy((uint8_t *)ctx + sector * FS_SECTOR_SIZE, buf, len);
    if (!g_recording) {
        return 0;
    }
    g_log = grow(g_log, &g_caplog, g_nlog + 1, sizeof(*g_log));
    g_arena = grow(g_arena, &g_caparena, g_narena + len, 1);
    memcpy(g_arena + g_narena, buf, len);
    g_log[g_nlog++] = (struct req){false, sector, count, g_narena};
    g_narena += len;
    return 0;
}

static int
rec_flush(void *ctx)
{
    (void)ctx;
    if (!g_recording) {
        return 0;
    }
    g_log = grow(g_log, &g_caplog, g_nlog + 1, sizeof(*g_log));
    g_log[g_nlog++] = (struct req){true, 0, 0, 0};
    return 0;
}

static uint64_t g_rng;

static uint32_t
rnd(uint32_t n)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return n == 0 ? 0 : (uint32_t)(g_rng % n);
}

/* The workload's model: inodes with their names and contents. */
#define MAX_FILES 24
#define MAX_NAMES 3
#define MAX_CONTENT 16384
#define NAME_LEN 24

struct mfile {
    bool live;
    bool symlink;
    uint32_t ino;
    int nnames;
    char names[MAX_NAMES][NAME_LEN]; /* paths from the root */
    size_t size;
    uint8_t data[MAX_CONTENT];
};

/* A promise: from log position from to to, path holds exactly these bytes. */
struct check {
    size_t from, to;
    int file;
    char path[NAME_LEN];
    bool symlink;
    size_t size;
    uint8_t *data;
};

static struct mfile g_files[MAX_FILES];
static struct check *g_checks;
static size_t g_nchecks, g_capchecks;
static const char *const g_dirs[] = {"", "/d0", "/d1"};
static bool g_dir_live[3] = {true, true, false};
static struct fs g_fs;
static uint8_t g_cache[24 * 4096];

/* The workload's cache: small, so that changed blocks are often evicted before their
 * commit (written to the log early and read back from it). */
static size_t
workload_cache(void)
{
    uint32_t bs = 1024u << (fs_le32(g_base + EXT2_SB_OFFSET + EXT2_SB_LOG_BLOCK_SIZE) & 3);
    return (size_t)(FS_CACHE_SLOTS_MIN + 2) * bs;
}

/* Every open promise about file f ends at the current log position. */
static void
touch(int f)
{
    for (size_t i = 0; i < g_nchecks; i++) {
        if (g_checks[i].file == f && g_checks[i].to == SIZE_MAX) {
            g_checks[i].to = g_nlog;
        }
    }
}

/* File f is durable now: promise its contents at each of its names. */
static void
promise(int f)
{
    struct mfile *m = &g_files[f];
    for (int n = 0; n < m->nnames; n++) {
        g_checks = grow(g_checks, &g_capchecks, g_nchecks + 1, sizeof(*g_checks));
        struct check *c = &g_checks[g_nchecks++];
        c->from = g_nlog;
        c->to = SIZE_MAX;
        c->file = f;
        snprintf(c->path, sizeof(c->path), "%s", m->names[n]);
        c->symlink = m->symlink;
        c->size = m->size;
        c->data = malloc(m->size + 1);
        memcpy(c->data, m->data, m->size);
    }
}

static int
find_name(const char *path)
{
    for (int f = 0; f < MAX_FILES; f++) {
        for (int n = 0; g_files[f].live && n < g_files[f].nnames; n++) {
            if (strcmp(g_files[f].names[n], path) == 0) {
                return f;
            }
        }
    }
    return -1;
}

/* Splits path into its directory's inode and its last name. */
static int
parent_of(const char *path, uint32_t *dir, const char **name)
{
    const char *slash = strrchr(path, '/');
    char d[NAME_LEN];
    snprintf(d, sizeof(d), "%.*s", (int)(slash - path), path);
    *name = slash + 1;
    return fs_walk(&g_fs, EXT2_ROOT_INO, d[0] ? d : "/", false, dir);
}

static void
random_path(char *out)
{
    int d;
    do {
        d = (int)rnd(3);
    } while (!g_dir_live[d]);
    snprintf(out, NAME_LEN, "%s/f%u", g_dirs[d], rnd(10));
}

static void
drop_name(int f, const char *path)
{
    struct mfile *m = &g_files[f];
    for (int n = 0; n < m->nnames; n++) {
        if (strcmp(m->names[n], path) == 0) {
            memmove(m->names[n], m->names[n + 1], (size_t)(m->nnames - n - 1) * NAME_LEN);
            m->nnames--;
            break;
        }
    }
    if (m->nnames == 0) {
        m->live = false;
    }
}

static int
new_file(void)
{
    for (int f = 0; f < MAX_FILES; f++) {
        if (!g_files[f].live) {
            memset(&g_files[f], 0, sizeof(g_files[f]));
            return f;
        }
    }
    return -1;
}

static int
any_file(bool regular)
{
    int live[MAX_FILES], n = 0;
    for (int f = 0; f < MAX_FILES; f++) {
        if (g_files[f].live && (!regular || !g_files[f].symlink)) {
            live[n++] = f;
        }
    }
    return n == 0 ? -1 : live[rnd((uint32_t)n)];
}

/* One random operation; returns 0 or the first unexpected error. */
static int
step(void)
{
    char path[NAME_LEN], path2[NAME_LEN];
    uint32_t dir = 0, dir2 = 0, ino = 0;
    const char *name, *name2;
    static uint8_t buf[4096];
    int f = any_file(true), err = 0;
    uint32_t op = rnd(100);
    if (getenv("CRASH_TRACE")) {
        fprintf(stderr, "op %u on file %d (%s)\n", op, f, f >= 0 ? g_files[f].names[0] : "");
    }

    if (op < 14 || f < 0) { /* create */
        random_path(path);
        if (find_name(path) >= 0 || (f = new_file()) < 0) {
            return 0;
        }
        err = parent_of(path, &dir, &name);
        err = err ? err : fs_mknod(&g_fs, dir, name, strlen(name), EXT2_S_IFREG | 0644, 0, &ino);
        struct mfile *m = &g_files[f];
        *m = (struct mfile){.live = true, .ino = ino, .nnames = 1};
        snprintf(m->names[0], NAME_LEN, "%s", path);
    } else if (op < 40) { /* write at an offset, or append */
        struct mfile *m = &g_files[f];
        size_t len = 1 + rnd(3072);
        size_t off = op < 28 ? m->size : rnd((uint32_t)m->size + 1);
        if (off + len > MAX_CONTENT) {
            return 0;
        }
        touch(f);
        /* Data bytes are never below 0x80 (nor 0): a file showing such a byte shows
         * another structure's bytes (a replay wrote stale metadata over its block). */
        for (size_t i = 0; i < len; i++) {
            buf[i] = (uint8_t)(0x80 | rnd(128));
        }
        long n = fs_write(&g_fs, m->ino, off, buf, len);
        err = n < 0 ? (int)n : 0;
        if (off > m->size) {
            memset(m->data + m->size, 0, off - m->size);
        }
        memcpy(m->data + off, buf, len);
        m->size = off + len > m->size ? off + len : m->size;
    } else if (op < 48) { /* truncate */
        struct mfile *m = &g_files[f];
        size_t size = rnd(MAX_CONTENT / 2);
        touch(f);
        err = fs_truncate(&g_fs, m->ino, size);
        if (size > m->size) {
            memset(m->data + m->size, 0, size - m->size);
        }
        m->size = size;
    } else if (op < 58) { /* rename, maybe over another file */
        random_path(path2);
        struct mfile *m = &g_files[f];
        snprintf(path, sizeof(path), "%s", m->names[rnd((uint32_t)m->nnames)]);
        int victim = find_name(path2);
        if (victim == f) {
            return 0;
        }
        touch(f);
        if (victim >= 0) {
            touch(victim);
        }
        err = parent_of(path, &dir, &name);
        err = err ? err : parent_of(path2, &dir2, &name2);
        err = err ? err : fs_rename(&g_fs, dir, name, strlen(name), dir2, name2, strlen(name2));
        if (victim >= 0) {
            drop_name(victim, path2);
        }
        drop_name(f, path);
        m->live = true;
        snprintf(m->names[m->nnames++], NAME_LEN, "%s", path2);
    } else if (op < 66) { /* unlink one name */
        struct mfile *m = &g_files[f];
        snprintf(path, sizeof(path), "%s", m->names[rnd((uint32_t)m->nnames)]);
        touch(f);
        err = parent_of(path, &dir, &name);
        err = err ? err : fs_unlink(&g_fs, dir, name, strlen(name));
        drop_name(f, path);
    } else if (op < 72) { /* hard link */
        random_path(path);
        struct mfile *m = &g_files[f];
        if (find_name(path) >= 0 || m->nnames == MAX_NAMES) {
            return 0;
        }
        err = parent_of(path, &dir, &name);
        err = err ? err : fs_link(&g_fs, dir, name, strlen(name), m->ino);
        snprintf(m->names[m->nnames++], NAME_LEN, "%s", path);
    } else if (op < 77) { /* symbolic link, fast or slow */
        random_path(path);
        if (find_name(path) >= 0 || (f = new_file()) < 0) {
            return 0;
        }
        struct mfile *m = &g_files[f];
        *m = (struct mfile){.live = true, .symlink = true, .nnames = 1};
        m->size = 1 + rnd(2) * 100 + rnd(50);
        for (size_t i = 0; i < m->size; i++) {
            m->data[i] = (uint8_t)('a' + rnd(26));
        }
        snprintf(m->names[0], NAME_LEN, "%s", path);
        char target[256];
        memcpy(target, m->data, m->size);
        target[m->size] = '\0';
        err = parent_of(path, &dir, &name);
        err = err ? err : fs_symlink(&g_fs, dir, name, strlen(name), target, &m->ino);
    } else if (op < 83) { /* mkdir or rmdir /d1 (empty when removed) */
        bool has = false;
        for (int i = 0; i < MAX_FILES; i++) {
            for (int n = 0; g_files[i].live && n < g_files[i].nnames; n++) {
                has |= strncmp(g_files[i].names[n], "/d1/", 4) == 0;
            }
        }
        if (g_dir_live[2] && !has) {
            err = fs_rmdir(&g_fs, EXT2_ROOT_INO, "d1", 2);
            g_dir_live[2] = false;
        } else if (!g_dir_live[2]) {
            err = fs_mkdir(&g_fs, EXT2_ROOT_INO, "d1", 2, 0755, &ino);
            g_dir_live[2] = true;
        }
    } else if (op < 96) { /* fsync one file */
        err = fs_fsync(&g_fs, g_files[f].ino);
        promise(f);
    } else { /* sync everything */
        err = fs_sync(&g_fs);
        for (int i = 0; i < MAX_FILES; i++) {
            if (g_files[i].live) {
                promise(i);
            }
        }
    }
    return err;
}

/* lib/fs's own consistency check of a mounted image; returns NULL or what is wrong. */
static uint32_t g_links[65536];
static uint8_t g_rbuf[MAX_CONTENT * 8];
static char g_fault[256];

static const char *
walk(uint32_t dir, uint32_t parent, int depth)
{
    uint64_t cookie = 0;
    struct fs_dirent de;
    int r;
    if (depth > 8) {
        return "directories nested too deep";
    }
    while ((r = fs_readdir(&g_fs, dir, &cookie, &de)) == 1) {
        if (de.ino >= sizeof(g_links) / sizeof(g_links[0])) {
            return "inode number out of the checker's range";
        }
        if (strcmp(de.name, ".") == 0 || strcmp(de.name, "..") == 0) {
            if (de.ino != (de.name[1] ? parent : dir)) {
                return "wrong . or ..";
            }
            continue;
        }
        g_links[de.ino]++;
        struct fs_stat st;
        if (fs_stat(&g_fs, de.ino, &st) < 0) {
            return "entry names a free or bad inode";
        }
        uint16_t type = st.mode & EXT2_S_IFMT;
        if (type == EXT2_S_IFDIR) {
            g_links[de.ino]++; /* its "." */
            g_links[dir]++;    /* its ".." */
            const char *why = walk(de.ino, dir, depth + 1);
            if (why != NULL) {
                return why;
            }
        } else if (type == EXT2_S_IFLNK) {
            char t[256];
            long n = fs_readlink(&g_fs, de.ino, t, sizeof(t));
            if (n < 0) {
                return "unreadable symbolic link";
            }
            for (long i = 0; i < n; i++) {
                if (t[i] < 'a' || t[i] > 'z') {
                    snprintf(g_fault, sizeof(g_fault), "link %s holds bytes nobody wrote to it",
                             de.name);
                    return g_fault;
                }
            }
        } else if (st.size <= sizeof(g_rbuf)) {
            if (fs_read(&g_fs, de.ino, 0, g_rbuf, sizeof(g_rbuf)) != (long)st.size) {
                return "file does not read back to its size";
            }
            for (size_t i = 0; i < st.size; i++) {
                if (g_rbuf[i] != 0 && g_rbuf[i] < 0x80) {
                    snprintf(g_fault, sizeof(g_fault), "%s holds bytes nobody wrote to it",
                             de.name);
                    return g_fault;
                }
            }
        } else {
            return "file larger than any the workload writes";
        }
    }
    return r < 0 ? "unreadable directory" : NULL;
}

static int
popcount_zeros(const uint8_t *b, uint32_t bits)
{
    int n = 0;
    for (uint32_t i = 0; i < bits; i++) {
        n += !(b[i / 8] & (1u << (i % 8)));
    }
    return n;
}

/* The free counts: superblock == sum of descriptors == zero bits of the bitmaps. */
static const char *
check_counts(const uint8_t *img)
{
    uint32_t bs = g_fs.block_size, fb = 0, fi = 0;
    for (uint32_t g = 0; g < g_fs.groups; g++) {
        const uint8_t *gd = img + (uint64_t)(g_fs.first_data_block + 1) * bs + g * EXT2_GD_SIZE;
        uint32_t first = g_fs.first_data_block + g * g_fs.blocks_per_group;
        uint32_t nb = g_fs.blocks_count - first < g_fs.blocks_per_group ? g_fs.blocks_count - first
                                                                        : g_fs.blocks_per_group;
        const uint8_t *bb = img + (uint64_t)fs_le32(gd + EXT2_GD_BLOCK_BITMAP) * bs;
        const uint8_t *ib = img + (uint64_t)fs_le32(gd + EXT2_GD_INODE_BITMAP) * bs;
        if (popcount_zeros(bb, nb) != fs_le16(gd + EXT2_GD_FREE_BLOCKS) ||
            popcount_zeros(ib, g_fs.inodes_per_group) != fs_le16(gd + EXT2_GD_FREE_INODES)) {
            snprintf(g_fault, sizeof(g_fault), "group %u: free counts differ from bitmaps", g);
            return g_fault;
        }
        fb += fs_le16(gd + EXT2_GD_FREE_BLOCKS);
        fi += fs_le16(gd + EXT2_GD_FREE_INODES);
    }
    if (fb != fs_le32(g_fs.sb + EXT2_SB_FREE_BLOCKS) ||
        fi != fs_le32(g_fs.sb + EXT2_SB_FREE_INODES)) {
        return "superblock free counts differ from the groups'";
    }
    return NULL;
}

static const char *
consistent(const uint8_t *img)
{
    memset(g_links, 0, sizeof(g_links));
    g_links[EXT2_ROOT_INO] = 2; /* its "." and ".." */
    const char *why = walk(EXT2_ROOT_INO, EXT2_ROOT_INO, 0);
    if (why != NULL) {
        return why;
    }
    for (uint32_t ino = 1; ino <= g_fs.inodes_count && ino < 65536; ino++) {
        struct fs_stat st;
        int err = fs_stat(&g_fs, ino, &st);
        if (err == -FS_ENOENT) {
            if (g_links[ino] != 0) {
                return "entry names a free inode";
            }
            continue;
        }
        if (ino >= g_fs.first_ino || ino == EXT2_ROOT_INO) {
            if (st.links != g_links[ino]) {
                snprintf(g_fault, sizeof(g_fault), "inode %u: %u links, %u names", ino, st.links,
                         g_links[ino]);
                return g_fault;
            }
        }
    }
    return check_counts(img);
}

/* Every promise in force at cut k holds on the mounted image. */
static const char *
promises_hold(size_t k)
{
    static uint8_t got[MAX_CONTENT + 1];
    for (size_t i = 0; i < g_nchecks; i++) {
        struct check *c = &g_checks[i];
        if (k < c->from || k > c->to) {
            continue;
        }
        uint32_t ino;
        long n;
        if (fs_walk(&g_fs, EXT2_ROOT_INO, c->path, false, &ino) < 0) {
            n = -1;
        } else if (c->symlink) {
            n = fs_readlink(&g_fs, ino, (char *)got, sizeof(got));
        } else {
            struct fs_stat st;
            n = fs_stat(&g_fs, ino, &st) < 0 || st.size != c->size
                    ? -1
                    : fs_read(&g_fs, ino, 0, got, sizeof(got));
        }
        if (n != (long)c->size || memcmp(got, c->data, c->size) != 0) {
            snprintf(g_fault, sizeof(g_fault),
                     "%s lost its synced contents (%zu bytes, synced at %zu, read %ld)", c->path,
                     c->size, c->from, n);
            return g_fault;
        }
    }
    return NULL;
}

static void
apply(uint8_t *img, const struct req *r)
{
    memcpy(img + r->sector * FS_SECTOR_SIZE, g_arena + r->data, (size_t)r->count * FS_SECTOR_SIZE);
}

static int
write_file(const char *path, const uint8_t *img)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL || fwrite(img, 1, g_size, fp) != g_size || fclose(fp) != 0) {
        return -1;
    }
    return 0;
}

static const char *g_out;
static unsigned g_fsck_runs;

/* Mounts a crashed image, checks it, unmounts, and maybe runs e2fsck on the result. */
static const char *
check_cut(uint8_t *img, size_t k, bool fsck)
{
    struct fs_dev dev;
    imagedev_mem(&dev, img, g_size);
    int err = fs_mount(&g_fs, &dev, g_cache, sizeof(g_cache), 0);
    if (err < 0) {
        snprintf(g_fault, sizeof(g_fault), "mount: %s (%s)", fs_strerror(err), g_fs.why);
        return g_fault;
    }
    const char *why = consistent(img);
    if (why == NULL) {
        why = promises_hold(k);
    }
    err = fs_unmount(&g_fs);
    if (why == NULL && err < 0) {
        why = "unmount failed";
    }
    if (why == NULL && fsck) {
        char path[512], cmd[1200];
        snprintf(path, sizeof(path), "%s/fsck.img", g_out);
        snprintf(cmd, sizeof(cmd), "/usr/sbin/e2fsck -fn %s > %s/fsck.log 2>&1", path, g_out);
        g_fsck_runs++;
        if (write_file(path, img) != 0 || system(cmd) != 0) {
            snprintf(g_fault, sizeof(g_fault), "e2fsck -fn failed (see %s/fsck.log)", g_out);
            why = g_fault;
        }
    }
    return why;
}

/* Each commit block is written after a flush that follows its descriptor and revokes. */
static const char *
check_protocol(uint32_t bs, size_t *commits)
{
    size_t last_flush = 0, last_header = 0;
    bool any_flush = false;
    for (size_t i = 0; i < g_nlog; i++) {
        const struct req *r = &g_log[i];
        if (r->flush) {
            last_flush = i;
            any_flush = true;
            continue;
        }
        const uint8_t *b = g_arena + r->data;
        if (r->count * FS_SECTOR_SIZE != bs || fs_be32(b) != JBD2_MAGIC) {
            continue;
        }
        uint32_t type = fs_be32(b + 4);
        if (type == 1 || type == 5) {
            last_header = i;
        } else if (type == 2) {
            (*commits)++;
            if (!any_flush || last_flush < last_header) {
                return "a commit block was written before its transaction was flushed";
            }
        }
    }
    return NULL;
}

/* Promises in force at cut k. */
static size_t
promised_at(size_t k)
{
    size_t n = 0;
    for (size_t i = 0; i < g_nchecks; i++) {
        n += k >= g_checks[i].from && k <= g_checks[i].to && !g_checks[i].symlink;
    }
    return n;
}

/*
 * Writes the image cut just before a commit block (mid-transaction: its log blocks are
 * there, its commit is not; the transaction before it still needs replay), the one with
 * the most synced files in force, and those files.
 */
static void
keep_cut(void)
{
    size_t cut = 0, best = 0;
    for (size_t i = 0; i < g_nlog; i++) {
        const uint8_t *b = g_arena + g_log[i].data;
        if (!g_log[i].flush && fs_be32(b) == JBD2_MAGIC && fs_be32(b + 4) == 2 &&
            promised_at(i) >= best) {
            cut = i;
            best = promised_at(i);
        }
    }
    uint8_t *img = malloc(g_size);
    memcpy(img, g_base, g_size);
    for (size_t i = 0; i < cut; i++) {
        if (!g_log[i].flush) {
            apply(img, &g_log[i]);
        }
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/cut.img", g_out);
    write_file(path, img);
    snprintf(path, sizeof(path), "%s/expect", g_out);
    mkdir(path, 0755);
    for (size_t i = 0; i < g_nchecks; i++) {
        struct check *c = &g_checks[i];
        if (cut < c->from || cut > c->to || c->symlink) {
            continue;
        }
        /* One line per file in expect/list: its path, then its bytes in expect/<n>. */
        snprintf(path, sizeof(path), "%s/expect/%zu", g_out, i);
        FILE *fp = fopen(path, "wb");
        fwrite(c->data, 1, c->size, fp);
        fclose(fp);
        snprintf(path, sizeof(path), "%s/expect/list", g_out);
        fp = fopen(path, "a");
        fprintf(fp, "%zu %s\n", i, c->path);
        fclose(fp);
    }
    free(img);
}

/* crash_fs replay IMAGE: a read-write mount (which replays the journal) and an unmount. */
static int
replay(const char *path)
{
    struct fs_dev dev;
    if (imagedev_open(&dev, path, false) != 0) {
        return 2;
    }
    int err = fs_mount(&g_fs, &dev, g_cache, sizeof(g_cache), 0);
    if (err == 0) {
        err = fs_unmount(&g_fs);
    }
    imagedev_close(&dev);
    printf(err == 0 ? "replayed\n" : "mount: %s (%s)\n", fs_strerror(err), g_fs.why);
    return err == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "replay") == 0) {
        return replay(argv[2]);
    }
    if (argc < 7) {
        fprintf(stderr, "usage: crash_fs IMAGE SEED OPS FSCK_EVERY VARIANTS OUTDIR [sync|keep]\n");
        return 2;
    }
    g_rng = strtoull(argv[2], NULL, 0) * 0x9e3779b97f4a7c15ull + 1;
    unsigned ops = (unsigned)atoi(argv[3]);
    unsigned fsck_every = (unsigned)atoi(argv[4]);
    unsigned variants = (unsigned)atoi(argv[5]);
    g_out = argv[6];
    const char *flags = argc > 7 ? argv[7] : "";
    char name[128];
    snprintf(name, sizeof(name), "fs/crash/seed%s%s%s", argv[2], flags[0] ? "-" : "", flags);

    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 2;
    }
    g_size = (size_t)st.st_size;
    g_base = malloc(g_size);
    uint8_t *live = malloc(g_size);
    if (g_base == NULL || live == NULL || read(fd, g_base, g_size) != (ssize_t)g_size) {
        return 2;
    }
    close(fd);
    memcpy(live, g_base, g_size);

    struct fs_dev dev = {live, g_size / FS_SECTOR_SIZE, rec_read, rec_write, rec_flush};
    int err =
        fs_mount(&g_fs, &dev, g_cache, workload_cache(), strstr(flags, "sync") ? FS_MOUNT_SYNC : 0);
    if (err < 0 || !g_fs.j.on) {
        printf("VLTEST FAIL %s mount: %s (%s)\n", name, fs_strerror(err), g_fs.why);
        return 1;
    }
    g_fs.now = 1700000000;
    uint32_t bs = g_fs.block_size;
    uint32_t d0, warm;
    /* Warm-up, not recorded: synced rewrites of one file bring the log near its end, so
     * that the workload's transactions wrap around it. The disk so left (mounted, its
     * last transaction live in the log) is where every cut starts from. */
    g_recording = false;
    err = fs_mkdir(&g_fs, EXT2_ROOT_INO, "d0", 2, 0755, &d0);
    err = err ? err : fs_mknod(&g_fs, EXT2_ROOT_INO, "warm", 4, EXT2_S_IFREG | 0644, 0, &warm);
    while (err == 0 && g_fs.j.start < g_fs.j.maxlen - g_fs.j.maxlen / 8) {
        long n = fs_write(&g_fs, warm, 0, "\xf0\xf1\xf2\xf3", 4);
        err = n < 0 ? (int)n : fs_fsync(&g_fs, warm);
    }
    memcpy(g_base, live, g_size);
    g_nlog = g_narena = 0; /* the mount's requests are in the base already */
    g_recording = true;
    bool trace = getenv("CRASH_TRACE") != NULL;
    uint64_t warm_commits = g_fs.j.commits;
    unsigned wraps = 0; /* times the log went round */
    for (unsigned i = 0; i < ops && err == 0; i++) {
        size_t before = g_nlog;
        uint32_t start = g_fs.j.start;
        err = step();
        wraps += g_fs.j.start < start;
        if (trace) {
            fprintf(stderr, "op %u: log %zu..%zu\n", i, before, g_nlog);
            for (size_t r = before; r < g_nlog; r++) {
                fprintf(stderr, "  req %zu: %s sector %llu (block %llu)\n", r,
                        g_log[r].flush ? "flush" : "write", (unsigned long long)g_log[r].sector,
                        (unsigned long long)(g_log[r].sector * FS_SECTOR_SIZE / g_fs.block_size));
            }
        }
        if (err < 0) {
            printf("VLTEST FAIL %s/workload step %u: %s\n", name, i, fs_strerror(err));
            return 1;
        }
    }
    uint64_t commits = g_fs.j.commits - warm_commits;
    /* No unmount: the disk stops while mounted, as in a power cut. */
    if (strstr(flags, "keep")) {
        keep_cut();
        return 0;
    }

    int failed = 0;
    size_t logged_commits = 0;
    const char *why = check_protocol(bs, &logged_commits);
    if (why != NULL) {
        fail_with("%s", why);
    }
    char pname[160];
    snprintf(pname, sizeof(pname), "%s/protocol", name);
    report(pname, why == NULL);
    failed |= why != NULL;

    /* Every prefix, and variants of the unflushed tail; images built incrementally. */
    uint8_t *work = malloc(g_size), *flushed = malloc(g_size), *img = malloc(g_size);
    memcpy(work, g_base, g_size);
    memcpy(flushed, g_base, g_size);
    size_t last_flush = 0, cuts = 0, reordered = 0, bad = 0;
    unsigned since_fsck = 0;
    char first_bad[400] = "";
    for (size_t k = 0; k <= g_nlog; k++) {
        if (k > 0 && g_log[k - 1].flush) {
            memcpy(flushed, work, g_size);
            last_flush = k;
        }
        for (unsigned v = 0; v <= variants; v++) {
            size_t tail = k - last_flush;
            if (v > 0 && tail < 2) {
                break; /* nothing to drop or reorder */
            }
            if (v == 0) {
                memcpy(img, work, g_size);
            } else {
                /* A random subset of the unflushed writes, applied in a random order. */
                size_t idx[4096], n = 0;
                memcpy(img, flushed, g_size);
                for (size_t i = last_flush; i < k && n < 4096; i++) {
                    if (!g_log[i].flush && rnd(2)) {
                        idx[n++] = i;
                    }
                }
                for (size_t i = n; i > 1; i--) {
                    size_t j = rnd((uint32_t)i), t = idx[i - 1];
                    idx[i - 1] = idx[j];
                    idx[j] = t;
                }
                for (size_t i = 0; i < n; i++) {
                    apply(img, &g_log[idx[i]]);
                }
                reordered++;
            }
            bool fsck = fsck_every != 0 && ++since_fsck >= fsck_every;
            if (fsck) {
                since_fsck = 0;
            }
            why = check_cut(img, k, fsck);
            cuts++;
            if (why != NULL && bad == 0) {
                /* Keep the first failing image (after lib/fs's replay) for a look. */
                char path[512];
                snprintf(path, sizeof(path), "%s/failed.img", g_out);
                write_file(path, img);
            }
            if (why != NULL && bad++ == 0) {
                snprintf(first_bad, sizeof(first_bad), "cut %zu/%zu variant %u: %s", k, g_nlog, v,
                         why);
            }
        }
        if (k < g_nlog && !g_log[k].flush) {
            apply(work, &g_log[k]);
        }
    }
    printf("%s: %u operations, %llu commits, log wrapped %u times, %zu requests; %zu cut points "
           "checked by lib/fs (%zu prefixes, %zu reordered), %u by e2fsck; %zu failed\n",
           name, ops, (unsigned long long)commits, wraps, g_nlog, cuts, cuts - reordered, reordered,
           g_fsck_runs, bad);
    if (bad != 0) {
        fail_with("%s", first_bad);
    }
    report(name, bad == 0);
    failed |= bad != 0;
    /* Enough cut points, a commit in the log for each the workload made, and the log
     * gone round its end at least once. */
    bool enough = cuts >= 200 && logged_commits == commits && commits > 2 && wraps >= 1;
    snprintf(name + strlen(name), sizeof(name) - strlen(name), "/coverage");
    if (!enough) {
        fail_with("%zu cuts, %zu commit blocks for %llu commits, %u wraps", cuts, logged_commits,
                  (unsigned long long)commits, wraps);
    }
    report(name, enough);
    failed |= !enough;
    for (size_t i = 0; i < g_nchecks; i++) {
        free(g_checks[i].data);
    }
    free(g_checks);
    free(g_log);
    free(g_arena);
    free(g_base);
    free(live);
    free(work);
    free(flushed);
    free(img);
    return failed;
}
