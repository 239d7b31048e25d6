/*
 * Host tests of lib/fs on image files (run by tests/unit/fs/run.sh, which makes the images
 * with mke2fs and checks the results with e2fsck and debugfs). Modes:
 *   test_fs compare IMAGE TREE        the image's tree equals the host tree, byte for byte
 *   test_fs random IMAGE DIR SEED N   N random operations on the image and on host dir DIR,
 *                                     trees compared after every step
 *   test_fs build IMAGE TREE          copies host TREE into the image's root with lib/fs
 *   test_fs errors IMAGE              every error path, on a scratch image
 *   test_fs recover IMAGE             mount read-write (replaying the journal) and unmount
 *   test_fs iostat IMAGE N            device requests per operation (N files per phase)
 * Output is VLTEST lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
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

static uint8_t g_cache[32 * 4096];
static struct fs g_fs;
static struct fs_dev g_dev;

static int
mount_image(const char *path, unsigned flags)
{
    if (imagedev_open(&g_dev, path, false) != 0) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    int err = fs_mount(&g_fs, &g_dev, g_cache, sizeof(g_cache), flags);
    g_fs.now = 1700000000;
    return err;
}

static void
unmount_image(void)
{
    fs_unmount(&g_fs);
    imagedev_close(&g_dev);
}

static uint16_t
host_type_to_fs(mode_t m)
{
    if (S_ISREG(m))
        return EXT2_S_IFREG;
    if (S_ISDIR(m))
        return EXT2_S_IFDIR;
    if (S_ISLNK(m))
        return EXT2_S_IFLNK;
    if (S_ISFIFO(m))
        return EXT2_S_IFIFO;
    if (S_ISCHR(m))
        return EXT2_S_IFCHR;
    if (S_ISBLK(m))
        return EXT2_S_IFBLK;
    return EXT2_S_IFSOCK;
}

/* Compares regular file ino with host file path, chunk by chunk. */
static bool
compare_file(uint32_t ino, const char *path, uint64_t size)
{
    static uint8_t a[65536], b[65536];
    int fd = open(path, O_RDONLY);
    EXPECT(fd >= 0);
    for (uint64_t off = 0; off < size; off += sizeof(a)) {
        long n = fs_read(&g_fs, ino, off, a, sizeof(a));
        ssize_t m = pread(fd, b, sizeof(b), (off_t)off);
        if (n != m || memcmp(a, b, (size_t)n) != 0) {
            close(fd);
            return fail_with("%s differs at %llu (%ld vs %zd)", path, (unsigned long long)off, n,
                             m);
        }
    }
    /* Past the end reads nothing. */
    long n = fs_read(&g_fs, ino, size, a, 1);
    close(fd);
    EXPECT_EQ(n, 0);
    return true;
}

/* Compares directory ino of the image with host directory path, recursively. */
static bool
compare_dir(uint32_t dir, const char *path)
{
    uint64_t cookie = 0;
    struct fs_dirent de;
    int r, fs_entries = 0, host_entries = 0;
    char sub[4096];

    while ((r = fs_readdir(&g_fs, dir, &cookie, &de)) == 1) {
        if (strcmp(de.name, ".") == 0 || strcmp(de.name, "..") == 0 ||
            (dir == EXT2_ROOT_INO && strcmp(de.name, "lost+found") == 0)) {
            continue;
        }
        fs_entries++;
        snprintf(sub, sizeof(sub), "%s/%s", path, de.name);
        struct stat hs;
        struct fs_stat st;
        if (lstat(sub, &hs) != 0) {
            return fail_with("%s only in the image", sub);
        }
        EXPECT_ERR(fs_stat(&g_fs, de.ino, &st), 0);
        if ((st.mode & EXT2_S_IFMT) != host_type_to_fs(hs.st_mode)) {
            return fail_with("%s: type %o vs %o", sub, st.mode, hs.st_mode);
        }
        if ((st.mode & 07777) != (hs.st_mode & 07777) && !S_ISLNK(hs.st_mode)) {
            return fail_with("%s: mode %o vs %o", sub, st.mode, hs.st_mode);
        }
        if (S_ISREG(hs.st_mode)) {
            if (st.size != (uint64_t)hs.st_size || st.links != hs.st_nlink) {
                return fail_with("%s: size %llu links %u vs %lld %lu", sub,
                                 (unsigned long long)st.size, st.links, (long long)hs.st_size,
                                 (unsigned long)hs.st_nlink);
            }
            if (!compare_file(de.ino, sub, st.size)) {
                return false;
            }
        } else if (S_ISLNK(hs.st_mode)) {
            char a[4096], b[4096];
            long n = fs_readlink(&g_fs, de.ino, a, sizeof(a));
            ssize_t m = readlink(sub, b, sizeof(b) - 1);
            if (n != m || memcmp(a, b, (size_t)n) != 0) {
                return fail_with("%s: link target differs", sub);
            }
        } else if (S_ISDIR(hs.st_mode)) {
            if (!compare_dir(de.ino, sub)) {
                return false;
            }
        } else if (S_ISCHR(hs.st_mode) || S_ISBLK(hs.st_mode)) {
            EXPECT_EQ(st.rdev, hs.st_rdev);
        }
    }
    EXPECT_ERR(r, 0);
    DIR *d = opendir(path);
    EXPECT(d != NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            host_entries++;
        }
    }
    closedir(d);
    if (fs_entries != host_entries) {
        return fail_with("%s: %d entries in the image, %d on the host", path, fs_entries,
                         host_entries);
    }
    return true;
}

/* ---- build: copy a host tree in with lib/fs ---- */

/* Host inodes with several links already copied, so later names become hard links. */
static struct {
    ino_t host;
    uint32_t ino;
} g_links[256];
static int g_nlinks;

static bool
linked(ino_t host, uint32_t *ino)
{
    for (int i = 0; i < g_nlinks; i++) {
        if (g_links[i].host == host) {
            *ino = g_links[i].ino;
            return true;
        }
    }
    return false;
}

static bool
build_dir(uint32_t dir, const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char sub[4096];
    static uint8_t buf[65536];
    EXPECT(d != NULL);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        struct stat hs;
        uint32_t ino;
        size_t len = strlen(e->d_name);
        EXPECT(lstat(sub, &hs) == 0);
        if (S_ISDIR(hs.st_mode)) {
            EXPECT_ERR(fs_mkdir(&g_fs, dir, e->d_name, len, hs.st_mode & 07777, &ino), 0);
            if (!build_dir(ino, sub)) {
                closedir(d);
                return false;
            }
        } else if (S_ISLNK(hs.st_mode)) {
            char t[4096];
            ssize_t n = readlink(sub, t, sizeof(t) - 1);
            EXPECT(n > 0);
            t[n] = '\0';
            EXPECT_ERR(fs_symlink(&g_fs, dir, e->d_name, len, t, &ino), 0);
        } else if (S_ISREG(hs.st_mode) && hs.st_nlink > 1 && linked(hs.st_ino, &ino)) {
            EXPECT_ERR(fs_link(&g_fs, dir, e->d_name, len, ino), 0);
        } else if (S_ISREG(hs.st_mode)) {
            EXPECT_ERR(fs_mknod(&g_fs, dir, e->d_name, len, (uint16_t)hs.st_mode, 0, &ino), 0);
            int fd = open(sub, O_RDONLY);
            ssize_t n;
            uint64_t off = 0;
            EXPECT(fd >= 0);
            while ((n = read(fd, buf, sizeof(buf))) > 0) {
                EXPECT_EQ(fs_write(&g_fs, ino, off, buf, (size_t)n), n);
                off += (uint64_t)n;
            }
            close(fd);
            if (hs.st_nlink > 1 && g_nlinks < 256) {
                g_links[g_nlinks].host = hs.st_ino;
                g_links[g_nlinks++].ino = ino;
            }
        } else {
            EXPECT_ERR(fs_mknod(&g_fs, dir, e->d_name, len, (uint16_t)hs.st_mode,
                                (uint32_t)hs.st_rdev, &ino),
                       0);
        }
    }
    closedir(d);
    return true;
}

/* ---- random operations against lib/fs and a host directory ---- */

static const char *const g_names[] = {"a",      "b", "c", "dd", "a-much-longer-name-for-entries",
                                      "bigdir", "d1"};
#define NNAMES (sizeof(g_names) / sizeof(g_names[0]))

static void
random_path(char *out, size_t cap)
{
    /* Mostly shallow, so that most paths have an existing parent. */
    int r = rand() % 20;
    int depth = r < 11 ? 1 : r < 18 ? 2 : 3;
    out[0] = '\0';
    for (int i = 0; i < depth; i++) {
        if (i > 0) {
            strncat(out, "/", cap - strlen(out) - 1);
        }
        strncat(out, g_names[rand() % NNAMES], cap - strlen(out) - 1);
    }
}

/* Host paths that exist (relative to the random run's directory), for operations on them. */
static char g_existing[512][128];
static int g_nexisting;

static void
collect(int dirfd, const char *prefix, int depth)
{
    DIR *d = fdopendir(dirfd);
    struct dirent *e;
    if (d == NULL) {
        close(dirfd);
        return;
    }
    while ((e = readdir(d)) != NULL && g_nexisting < 512) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        char *slot = g_existing[g_nexisting];
        if (snprintf(slot, sizeof(g_existing[0]), "%s%s", prefix, e->d_name) >=
            (int)sizeof(g_existing[0])) {
            continue;
        }
        g_nexisting++;
        if (e->d_type == DT_DIR && depth < 4) {
            char sub[160];
            snprintf(sub, sizeof(sub), "%s/", slot);
            int fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY);
            if (fd >= 0) {
                collect(fd, sub, depth + 1);
            }
        }
    }
    closedir(d);
}

/* Picks an existing path most of the time (a random, probably new, one otherwise). */
static void
existing_path(int hostfd, char *out, size_t cap)
{
    g_nexisting = 0;
    collect(openat(hostfd, ".", O_RDONLY | O_DIRECTORY), "", 0);
    if (g_nexisting == 0 || rand() % 8 == 0) {
        random_path(out, cap);
        return;
    }
    snprintf(out, cap, "%s", g_existing[rand() % g_nexisting]);
}

/* Resolves path's parent in the image into *dir and points *name at the last component. */
static int
fs_parent(const char *path, uint32_t *dir, const char **name)
{
    char parent[256];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        *dir = EXT2_ROOT_INO;
        *name = path;
        return 0;
    }
    memcpy(parent, path, (size_t)(slash - path));
    parent[slash - path] = '\0';
    *name = slash + 1;
    uint32_t ino;
    int err = fs_walk(&g_fs, EXT2_ROOT_INO, parent, true, &ino);
    if (err == 0) {
        struct fs_stat st;
        err = fs_stat(&g_fs, ino, &st);
        if (err == 0 && (st.mode & EXT2_S_IFMT) != EXT2_S_IFDIR) {
            err = -FS_ENOTDIR;
        }
    }
    *dir = ino;
    return err;
}

static int g_succeeded; /* random steps that succeeded (on both sides) */

/* One random operation on both sides; false if the outcomes (success or not) differ. */
static bool
random_step(int hostfd, int step)
{
    static uint8_t buf[70000];
    char p1[256], p2[256];
    uint32_t d1, d2, ino;
    const char *n1, *n2;
    int op = rand() % 11;
    int hr, fr;
    if (op == 0 || op == 7 || op == 8 || op == 10) {
        random_path(p1, sizeof(p1)); /* create, mkdir, symlink: a new name */
    } else {
        existing_path(hostfd, p1, sizeof(p1));
    }
    if (rand() % 4 == 0) {
        existing_path(hostfd, p2, sizeof(p2)); /* rename or link over an existing name */
    } else {
        random_path(p2, sizeof(p2));
    }
    int e1 = fs_parent(p1, &d1, &n1);
    int e2 = fs_parent(p2, &d2, &n2);
    const char *what = "?";
    switch (op) {
    case 0: /* create */
        what = "create";
        hr = mknodat(hostfd, p1, S_IFREG | 0644, 0);
        fr = e1 ? e1 : fs_mknod(&g_fs, d1, n1, strlen(n1), EXT2_S_IFREG | 0644, 0, &ino);
        break;
    case 1: /* write at a random offset */
    case 2: {
        what = "write";
        uint64_t off = (uint64_t)(rand() % 4 == 0 ? rand() % 3000000 : rand() % 20000);
        size_t len = (size_t)(rand() % (int)sizeof(buf));
        for (size_t i = 0; i < len; i++) {
            buf[i] = (uint8_t)(step + i * 7);
        }
        int fd = openat(hostfd, p1, O_WRONLY | O_NOFOLLOW);
        struct stat hs;
        hr = fd < 0 || fstat(fd, &hs) != 0 || !S_ISREG(hs.st_mode) ? -1
             : pwrite(fd, buf, len, (off_t)off) == (ssize_t)len    ? 0
                                                                   : -1;
        if (fd >= 0) {
            close(fd);
        }
        fr = e1 ? e1 : fs_lookup(&g_fs, d1, n1, strlen(n1), &ino);
        if (fr == 0) {
            struct fs_stat st;
            fs_stat(&g_fs, ino, &st);
            fr = (st.mode & EXT2_S_IFMT) != EXT2_S_IFREG            ? -FS_EINVAL
                 : fs_write(&g_fs, ino, off, buf, len) == (long)len ? 0
                                                                    : -FS_EIO;
        }
        break;
    }
    case 3: { /* truncate */
        what = "truncate";
        uint64_t size = (uint64_t)(rand() % 2 ? rand() % 5000 : rand() % 400000);
        int fd = openat(hostfd, p1, O_WRONLY | O_NOFOLLOW);
        struct stat hs;
        hr =
            fd < 0 || fstat(fd, &hs) != 0 || !S_ISREG(hs.st_mode) ? -1 : ftruncate(fd, (off_t)size);
        if (fd >= 0) {
            close(fd);
        }
        fr = e1 ? e1 : fs_lookup(&g_fs, d1, n1, strlen(n1), &ino);
        if (fr == 0) {
            struct fs_stat st;
            fs_stat(&g_fs, ino, &st);
            fr = (st.mode & EXT2_S_IFMT) != EXT2_S_IFREG ? -FS_EINVAL
                                                         : fs_truncate(&g_fs, ino, size);
        }
        break;
    }
    case 4:
        what = "rename";
        hr = renameat(hostfd, p1, hostfd, p2);
        fr = e1 ? e1 : e2 ? e2 : fs_rename(&g_fs, d1, n1, strlen(n1), d2, n2, strlen(n2));
        break;
    case 5: { /* link */
        what = "link";
        hr = linkat(hostfd, p1, hostfd, p2, 0);
        fr = e1 ? e1 : e2 ? e2 : fs_lookup(&g_fs, d1, n1, strlen(n1), &ino);
        if (fr == 0) {
            fr = fs_link(&g_fs, d2, n2, strlen(n2), ino);
        }
        break;
    }
    case 6:
        what = "unlink";
        hr = unlinkat(hostfd, p1, 0);
        fr = e1 ? e1 : fs_unlink(&g_fs, d1, n1, strlen(n1));
        break;
    case 7:
    case 8:
        what = "mkdir";
        hr = mkdirat(hostfd, p1, 0755);
        fr = e1 ? e1 : fs_mkdir(&g_fs, d1, n1, strlen(n1), 0755, &ino);
        break;
    case 10: /* symlink to a relative path (the host resolves absolute ones from its /) */
        what = "symlink";
        hr = symlinkat(p2, hostfd, p1);
        fr = e1 ? e1 : fs_symlink(&g_fs, d1, n1, strlen(n1), p2, &ino);
        break;
    default:
        what = "rmdir";
        hr = unlinkat(hostfd, p1, AT_REMOVEDIR);
        fr = e1 ? e1 : fs_rmdir(&g_fs, d1, n1, strlen(n1));
        break;
    }
    g_succeeded += hr == 0;
    if (fs_pinned(&g_fs) != 0) {
        return fail_with("step %d: %s left %u cache slots pinned", step, what, fs_pinned(&g_fs));
    }
    if (getenv("FS_RANDOM_VERBOSE") != NULL) {
        printf("step %d: %s %s %s: %s\n", step, what, p1, p2, fs_strerror(fr));
    }
    if ((hr == 0) != (fr == 0)) {
        return fail_with("step %d: %s %s %s: host %s, lib/fs %s", step, what, p1, p2,
                         hr == 0 ? "ok" : strerror(errno), fs_strerror(fr));
    }
    return true;
}

/* ---- iostat: device requests per operation (the cost a write-back cache will cut) ---- */

static struct fs_dev g_inner;
static unsigned long g_reads, g_writes, g_flushes;

static int
count_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
    g_reads++;
    return g_inner.read(ctx, sector, count, buf);
}

static int
count_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
    g_writes++;
    return g_inner.write(ctx, sector, count, buf);
}

static int
count_flush(void *ctx)
{
    g_flushes++;
    return g_inner.flush(ctx);
}

static unsigned long g_f0;

/* Prints the mean device reads, writes and flushes of one phase of n operations. */
static void
phase(const char *what, int n, unsigned long r0, unsigned long w0)
{
    printf("fs iostat: %-28s %6.2f reads %6.2f writes %5.2f flushes per op\n", what,
           (double)(g_reads - r0) / n, (double)(g_writes - w0) / n, (double)(g_flushes - g_f0) / n);
    g_f0 = g_flushes;
}

static bool
iostat(int n)
{
    static uint8_t buf[65536];
    char name[32];
    uint32_t ino, d;
    unsigned long r0, w0;
    EXPECT_ERR(fs_mkdir(&g_fs, EXT2_ROOT_INO, "iostat", 6, 0755, &d), 0);
    EXPECT_ERR(fs_sync(&g_fs), 0);
    /* Each phase that writes ends with fs_sync inside its count: equal durability. */
    g_f0 = g_flushes;
    r0 = g_reads, w0 = g_writes;
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "f%05d", i);
        EXPECT_ERR(fs_mknod(&g_fs, d, name, strlen(name), EXT2_S_IFREG | 0644, 0, &ino), 0);
    }
    EXPECT_ERR(fs_sync(&g_fs), 0);
    phase("create empty file", n, r0, w0);
    r0 = g_reads, w0 = g_writes;
    for (int i = 0; i < n; i++) {
        struct fs_stat st;
        snprintf(name, sizeof(name), "f%05d", i);
        EXPECT_ERR(fs_lookup(&g_fs, d, name, strlen(name), &ino), 0);
        EXPECT_ERR(fs_stat(&g_fs, ino, &st), 0);
    }
    phase("lookup + stat", n, r0, w0);
    r0 = g_reads, w0 = g_writes;
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "f%05d", i);
        EXPECT_ERR(fs_unlink(&g_fs, d, name, strlen(name)), 0);
    }
    EXPECT_ERR(fs_sync(&g_fs), 0);
    phase("unlink", n, r0, w0);
    r0 = g_reads, w0 = g_writes;
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "g%05d", i);
        EXPECT_ERR(fs_mknod(&g_fs, d, name, strlen(name), EXT2_S_IFREG | 0644, 0, &ino), 0);
        EXPECT_EQ(fs_write(&g_fs, ino, 0, buf, 4096), 4096);
    }
    EXPECT_ERR(fs_sync(&g_fs), 0);
    phase("create + 4 KiB write", n, r0, w0);
    EXPECT_ERR(fs_mknod(&g_fs, d, "seq", 3, EXT2_S_IFREG | 0644, 0, &ino), 0);
    EXPECT_ERR(fs_sync(&g_fs), 0);
    g_f0 = g_flushes;
    r0 = g_reads, w0 = g_writes;
    for (int i = 0; i < 64; i++) {
        EXPECT_EQ(fs_write(&g_fs, ino, (uint64_t)i * sizeof(buf), buf, sizeof(buf)), sizeof(buf));
    }
    EXPECT_ERR(fs_sync(&g_fs), 0);
    phase("sequential write, 64 KiB", 64, r0, w0);
    r0 = g_reads, w0 = g_writes;
    for (int i = 0; i < 64; i++) {
        EXPECT_EQ(fs_read(&g_fs, ino, (uint64_t)i * sizeof(buf), buf, sizeof(buf)), sizeof(buf));
    }
    phase("sequential read, 64 KiB", 64, r0, w0);
    return true;
}

static int
usage(void)
{
    fprintf(stderr,
            "usage: test_fs compare|build|random|errors|recover|iostat IMAGE [TREE|N] [SEED N]\n");
    return 2;
}

/* Defined in test_fs_errors.c. */
int test_fs_errors(const char *image);

int
main(int argc, char **argv)
{
    if (argc < 3) {
        return usage();
    }
    const char *mode = argv[1], *image = argv[2];
    if (strcmp(mode, "errors") == 0) {
        return test_fs_errors(image);
    }
    if (strcmp(mode, "recover") == 0) {
        /* A read-write mount replays the journal; unmounting leaves the image clean. */
        int err = mount_image(image, 0);
        if (err == 0) {
            err = fs_unmount(&g_fs);
            imagedev_close(&g_dev);
        }
        if (err == 0) {
            printf("VLTEST PASS fs/recover/%s\n", image);
        } else {
            printf("VLTEST FAIL fs/recover/%s %s (%s)\n", image, fs_strerror(err), g_fs.why);
        }
        return err == 0 ? 0 : 1;
    }
    if (argc < 4) {
        return usage();
    }
    bool ok;
    if (strcmp(mode, "iostat") == 0) {
        /* Count the device requests: wrap the image device before mounting. */
        if (imagedev_open(&g_inner, image, false) != 0) {
            return 2;
        }
        g_dev = g_inner;
        g_dev.read = count_read;
        g_dev.write = count_write;
        g_dev.flush = count_flush;
        int err = fs_mount(&g_fs, &g_dev, g_cache, sizeof(g_cache), 0);
        g_fs.now = 1700000000;
        ok = err == 0 && iostat(atoi(argv[3]));
        if (err < 0) {
            fail_with("mount: %s", fs_strerror(err));
        }
        fs_unmount(&g_fs);
        imagedev_close(&g_inner);
        printf("VLTEST %s fs/iostat %s\n", ok ? "PASS" : "FAIL", ok ? "" : g_why);
        return ok ? 0 : 1;
    }
    int err = mount_image(image, strcmp(mode, "compare") == 0 ? FS_MOUNT_RDONLY : 0);
    if (err < 0) {
        printf("VLTEST FAIL fs/%s/%s mount: %s (%s)\n", mode, argv[3], fs_strerror(err), g_fs.why);
        return 1;
    }
    if (strcmp(mode, "compare") == 0) {
        ok = compare_dir(EXT2_ROOT_INO, argv[3]);
    } else if (strcmp(mode, "build") == 0) {
        ok = build_dir(EXT2_ROOT_INO, argv[3]);
    } else if (strcmp(mode, "random") == 0 && argc == 6) {
        int hostfd = open(argv[3], O_RDONLY | O_DIRECTORY);
        int steps = atoi(argv[5]);
        srand((unsigned)atoi(argv[4]));
        ok = hostfd >= 0;
        for (int i = 0; ok && i < steps; i++) {
            ok = random_step(hostfd, i) && compare_dir(EXT2_ROOT_INO, argv[3]);
            if (!ok) {
                char why[sizeof(g_why)];
                memcpy(why, g_why, sizeof(why));
                fail_with("after step %d: %s", i, why);
            }
        }
        printf("%d steps, %d succeeded\n", steps, g_succeeded);
    } else {
        return usage();
    }
    unmount_image();
    if (ok) {
        printf("VLTEST PASS fs/%s/%s\n", mode, argv[3]);
    } else {
        printf("VLTEST FAIL fs/%s/%s %s\n", mode, argv[3], g_why);
    }
    return ok ? 0 : 1;
}
