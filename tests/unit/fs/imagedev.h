/* A lib/fs block device over a host image file (tests and fuzzing). */
#pragma once

#include <vallum/fs/fs.h>

/* Opens path as a device (read-write unless rdonly). Returns 0 or -1. */
int imagedev_open(struct fs_dev *dev, const char *path, bool rdonly);
/* A device over memory (the fuzzer's input); writes go to the buffer. */
void imagedev_mem(struct fs_dev *dev, void *mem, size_t len);
void imagedev_close(struct fs_dev *dev);
