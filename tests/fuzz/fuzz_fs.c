/*
 * libFuzzer target for lib/fs: the input is a whole disk image (seeded with small images
 * mke2fs makes at build time). Mounts it, walks every directory it can reach (stat,
 * read, readlink, path walks), then runs each kind of write on it and unmounts. Any crash,
 * sanitizer report or hang is a bug: a corrupted image must only give errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vallum/fs/ext2.h>
#include <vallum/fs/fs.h>

#include "../unit/fs/imagedev.h"

#define WALK_MAX 512 /* directory entries visited per input */
#define DEPTH_MAX 6

static uint8_t g_cache[16 * 4096];
static uint8_t g_buf[8192];
static unsigned g_visited;
static uint32_t g_some_file, g_some_dir;

static void
walk(struct fs *fs, uint32_t dir, int depth)
{
    uint64_t cookie = 0;
    struct fs_dirent de;
    while (g_visited < WALK_MAX && fs_readdir(fs, dir, &cookie, &de) == 1) {
        struct fs_stat st;
        g_visited++;
        if (de.name_len == 0 || strcmp(de.name, ".") == 0 || strcmp(de.name, "..") == 0 ||
            fs_stat(fs, de.ino, &st) < 0) {
            continue;
        }
        uint32_t again;
        fs_lookup(fs, dir, de.name, de.name_len, &again);
        switch (st.mode & EXT2_S_IFMT) {
        case EXT2_S_IFDIR:
            g_some_dir = de.ino;
            if (depth < DEPTH_MAX) {
                walk(fs, de.ino, depth + 1);
            }
            break;
        case EXT2_S_IFREG:
            g_some_file = de.ino;
            fs_read(fs, de.ino, 0, g_buf, sizeof(g_buf));
            fs_read(fs, de.ino, st.size > 100 ? st.size - 100 : 0, g_buf, sizeof(g_buf));
            break;
        case EXT2_S_IFLNK: {
            char target[FS_PATH_MAX];
            fs_readlink(fs, de.ino, target, sizeof(target));
            fs_walk(fs, dir, de.name, true, &again);
            break;
        }
        default:
            break;
        }
    }
}

static void
write_ops(struct fs *fs)
{
    uint32_t f, d, s;
    memset(g_buf, 0x5a, sizeof(g_buf));
    if (fs_mknod(fs, EXT2_ROOT_INO, "fz", 2, EXT2_S_IFREG | 0644, 0, &f) == 0) {
        fs_write(fs, f, 70000, g_buf, 5000);
        fs_write(fs, f, 10, g_buf, 3000);
        fs_truncate(fs, f, 2000);
        fs_link(fs, EXT2_ROOT_INO, "fz2", 3, f);
    }
    if (fs_mkdir(fs, EXT2_ROOT_INO, "dz", 2, 0755, &d) == 0) {
        fs_symlink(fs, d, "sz", 2, "../fz2", &s);
        fs_rename(fs, EXT2_ROOT_INO, "fz", 2, d, "moved", 5);
        fs_rename(fs, EXT2_ROOT_INO, "dz", 2, EXT2_ROOT_INO, "dz2", 3);
    }
    if (g_some_file != 0) {
        fs_write(fs, g_some_file, 5, g_buf, 2000);
        fs_truncate(fs, g_some_file, 1);
    }
    if (g_some_dir != 0) {
        fs_mknod(fs, g_some_dir, "new", 3, EXT2_S_IFIFO | 0600, 0, &f);
        fs_rename(fs, g_some_dir, "new", 3, EXT2_ROOT_INO, "fz2", 3);
        fs_rmdir(fs, EXT2_ROOT_INO, "lost+found", 10);
    }
    fs_unlink(fs, EXT2_ROOT_INO, "fz2", 3);
    fs_unlink(fs, EXT2_ROOT_INO, "file01", 6);
    fs_rmdir(fs, EXT2_ROOT_INO, "dz2", 3);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *img;
    static size_t cap;
    struct fs fs;
    struct fs_dev dev;
    size_t len = (size + FS_SECTOR_SIZE - 1) / FS_SECTOR_SIZE * FS_SECTOR_SIZE;
    if (size < EXT2_SB_OFFSET + EXT2_SB_SIZE) {
        return 0; /* no superblock: fs_mount's refusal is covered by the unit tests */
    }
    if (len > cap) {
        free(img);
        img = malloc(len);
        cap = len;
        if (img == NULL) {
            cap = 0;
            return 0;
        }
    }
    memcpy(img, data, size);
    memset(img + size, 0, len - size);
    imagedev_mem(&dev, img, len);
    if (fs_mount(&fs, &dev, g_cache, sizeof(g_cache), 0) < 0) {
        return 0;
    }
    g_visited = 0;
    g_some_file = g_some_dir = 0;
    walk(&fs, EXT2_ROOT_INO, 0);
    uint32_t ino;
    fs_walk(&fs, EXT2_ROOT_INO, "/d1/../fastlink", true, &ino);
    write_ops(&fs);
    if (fs_pinned(&fs) != 0) {
        abort(); /* an error path forgot to unpin a buffer */
    }
    fs_unmount(&fs);
    return 0;
}
