/*
 * The block cache: a fixed set of block-sized slots in memory the caller gave at mount,
 * looked up linearly, evicted least-recently-used among unpinned slots (clean ones
 * first). Without a journal a dirty buffer is written home at fs_bput (write-through),
 * so an evicted slot never holds unwritten data and a failed operation never leaves a
 * half-updated block only in memory. With a journal, a changed metadata block joins the
 * running transaction (txn.c) and stays in its slot, marked dirty, until the commit
 * writes it to the log, or until eviction does (a later miss reads it back from the
 * log): the cache is write-back, within the caller's memory, and everything it holds
 * reaches the disk in journal order (log, commit, then home). File data (fs_bput_data)
 * is written home at once (ordered mode).
 */
#include "fs_internal.h"

#include <string.h>

int
fs_dev_read(struct fs *fs, uint64_t byte_off, void *buf, uint32_t len)
{
    uint64_t sector = byte_off / FS_SECTOR_SIZE;
    uint32_t count = len / FS_SECTOR_SIZE;

    if (sector + count > fs->dev.sectors) {
        return -FS_ECORRUPT;
    }
    int err = fs->dev.read(fs->dev.ctx, sector, count, buf);
    return err < 0 ? err : 0;
}

int
fs_dev_write(struct fs *fs, uint64_t byte_off, const void *buf, uint32_t len)
{
    uint64_t sector = byte_off / FS_SECTOR_SIZE;
    uint32_t count = len / FS_SECTOR_SIZE;

    if (sector + count > fs->dev.sectors) {
        return -FS_ECORRUPT;
    }
    int err = fs->dev.write(fs->dev.ctx, sector, count, buf);
    return err < 0 ? err : 0;
}

/* Eviction order: empty slots, then clean ones, then changed ones (which cost a write). */
static int
rank(const struct fs_cslot *s)
{
    return !s->valid ? 0 : s->dirty ? 2 : 1;
}

/*
 * Finds block in the cache or claims a slot for it (not yet read). A changed block
 * evicted before its transaction commits is written to its place in the log first.
 */
static struct fs_cslot *
slot_for(struct fs *fs, uint32_t block, bool *hit, int *err)
{
    struct fs_cslot *victim = NULL;

    for (uint32_t i = 0; i < fs->nslots; i++) {
        struct fs_cslot *s = &fs->slots[i];
        if (s->valid && s->block == block) {
            *hit = true;
            return s;
        }
        if (s->pins == 0 && (victim == NULL || rank(s) < rank(victim) ||
                             (rank(s) == rank(victim) && s->used < victim->used))) {
            victim = s;
        }
    }
    if (victim == NULL) {
        *err = -FS_EBUSY;
        return NULL;
    }
    if (victim->valid && victim->dirty) {
        int e = fs_tx_log(fs, victim->block, victim->data);
        if (e < 0) {
            *err = e;
            return NULL;
        }
        victim->dirty = false;
    }
    *hit = false;
    victim->valid = false;
    victim->block = block;
    return victim;
}

static uint8_t *
bget(struct fs *fs, uint32_t block, bool zero, int *err)
{
    bool hit;

    /* Callers check block numbers against their own rules (fs_block_ok for file
     * blocks); this only keeps every device access inside the file system. */
    if (block >= fs->blocks_count) {
        *err = -FS_ECORRUPT;
        return NULL;
    }
    struct fs_cslot *s = slot_for(fs, block, &hit, err);
    if (s == NULL) {
        return NULL;
    }
    /* Pinned before reading: a read from the journal uses the cache for the log's map. */
    s->pins++;
    if (!hit) {
        int e = 0;
        if (zero) {
            memset(s->data, 0, fs->block_size);
        } else {
            e = fs_tx_read(fs, block, s->data);
            if (e == 0) {
                e = fs_dev_read(fs, (uint64_t)block * fs->block_size, s->data, fs->block_size);
            }
        }
        if (e < 0) {
            s->pins--;
            *err = e;
            return NULL;
        }
        s->valid = true;
    } else if (zero) {
        memset(s->data, 0, fs->block_size);
    }
    s->used = ++fs->clock;
    return s->data;
}

/* Returns block's buffer, pinned; NULL with *err set on failure. */
uint8_t *
fs_bget(struct fs *fs, uint32_t block, int *err)
{
    return bget(fs, block, false, err);
}

/* Returns a pinned, zero-filled buffer for block without reading it (a fresh block). */
uint8_t *
fs_bget_zero(struct fs *fs, uint32_t block, int *err)
{
    return bget(fs, block, true, err);
}

/*
 * Unpins a buffer from fs_bget, first writing it if dirty: home, or (with a journal, for
 * metadata) to the log. The slot stays pinned while it is written, since finding its
 * place in the log reads through the cache. A failed write drops the slot so that the
 * cache does not keep contents the disk does not have.
 */
static int
bput(struct fs *fs, uint8_t *data, bool dirty, bool file_data)
{
    for (uint32_t i = 0; i < fs->nslots; i++) {
        struct fs_cslot *s = &fs->slots[i];
        /* Matched by buffer, not validity: a slot dropped by a failed write while another
         * user held it must still be unpinned by that user. */
        if (s->data != data || s->pins == 0) {
            continue;
        }
        int err = 0;
        if (dirty && !s->valid) {
            err = -FS_EIO; /* dropped by an earlier failed write: its contents are gone */
        } else if (dirty && fs->j.aborted) {
            err = -FS_EROFS;
        } else if (dirty && fs->j.on && !file_data && fs->j.nruns != 0) {
            /* Write-back: logged once, at the commit or when evicted. */
            err = fs_tx_note(fs, s->block);
            s->dirty = err == 0;
        } else if (dirty && fs->j.on && !file_data) {
            err = fs_tx_log(fs, s->block, data);
        } else if (dirty) {
            err = fs_dev_write(fs, (uint64_t)s->block * fs->block_size, data, fs->block_size);
            s->dirty = false;
        }
        if (err < 0) {
            s->valid = false;
        }
        s->pins--;
        return err;
    }
    return -FS_EBUSY;
}

int
fs_bput(struct fs *fs, uint8_t *data, bool dirty)
{
    return bput(fs, data, dirty, false);
}

/* Unpins and writes home a regular file's data block (never logged: ordered mode). */
int
fs_bput_data(struct fs *fs, uint8_t *data)
{
    return bput(fs, data, true, true);
}

uint32_t
fs_pinned(const struct fs *fs)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < fs->nslots; i++) {
        n += fs->slots[i].pins != 0;
    }
    return n;
}
