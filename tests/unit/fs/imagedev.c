/* lib/fs block devices for host tests: an image file (pread/pwrite) or a memory buffer. */
#include "imagedev.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
file_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
    size_t len = (size_t)count * FS_SECTOR_SIZE;
    ssize_t n = pread((int)(intptr_t)ctx, buf, len, (off_t)(sector * FS_SECTOR_SIZE));
    return n == (ssize_t)len ? 0 : -FS_EIO;
}

static int
file_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
    size_t len = (size_t)count * FS_SECTOR_SIZE;
    ssize_t n = pwrite((int)(intptr_t)ctx, buf, len, (off_t)(sector * FS_SECTOR_SIZE));
    return n == (ssize_t)len ? 0 : -FS_EIO;
}

static int
file_flush(void *ctx)
{
    return fsync((int)(intptr_t)ctx) == 0 ? 0 : -FS_EIO;
}

int
imagedev_open(struct fs_dev *dev, const char *path, bool rdonly)
{
    struct stat st;
    int fd = open(path, rdonly ? O_RDONLY : O_RDWR);
    if (fd < 0 || fstat(fd, &st) != 0) {
        return -1;
    }
    dev->ctx = (void *)(intptr_t)fd;
    dev->sectors = (uint64_t)st.st_size / FS_SECTOR_SIZE;
    dev->read = file_read;
    dev->write = file_write;
    dev->flush = file_flush;
    return 0;
}

void
imagedev_close(struct fs_dev *dev)
{
    close((int)(intptr_t)dev->ctx);
}

struct mem {
    uint8_t *p;
};

static int
mem_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
    memcpy(buf, (uint8_t *)ctx + sector * FS_SECTOR_SIZE, (size_t)count * FS_SECTOR_SIZE);
    return 0;
}

static int
mem_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
    memcpy((uint8_t *)ctx + sector * FS_SECTOR_SIZE, buf, (size_t)count * FS_SECTOR_SIZE);
    return 0;
}

static int
mem_flush(void *ctx)
{
    (void)ctx;
    return 0;
}

void
imagedev_mem(struct fs_dev *dev, void *mem, size_t len)
{
    dev->ctx = mem;
    dev->sectors = len / FS_SECTOR_SIZE;
    dev->read = mem_read;
    dev->write = mem_write;
    dev->flush = mem_flush;
}
