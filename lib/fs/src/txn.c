/*
 * Journal writing (JBD2 as ext3 writes it, ordered mode). Every operation's metadata
 * changes join the running transaction; a commit makes it durable and a checkpoint
 * writes it home. The steps and the ordering each relies on (docs/storage.md):
 *
 *   1. A metadata block that an operation changes (fs_bput dirty) joins the transaction,
 *      with its place in the log: block i sits at log position start + 1 + i, after the
 *      descriptor's place. It stays changed in the cache (write-back) until the commit
 *      or an eviction writes it there, never home; a cache miss on it reads the log. (A
 *      log not in one run of blocks is written at once instead, as the block map that
 *      locates it reads through the cache.)
 *   2. File data (fs_bput_data) is written home at once: ordered mode.
 *   3. Commit: the descriptor (one tag per logged block) and the revoke blocks go to the
 *      log, then a flush: the data of step 2, the logged blocks of step 1 and the home
 *      writes of the previous transaction's checkpoint are now durable. Only then the
 *      commit block, and the journal superblock's tail moved to this transaction (the
 *      previous one is home and durable: it needs no replay), then a second flush. A
 *      crash before the commit block is durable replays up to the previous transaction.
 *   4. Checkpoint, right after the commit: every logged block is written home (no flush:
 *      the next commit's first flush, or the unmount's, makes these durable before the
 *      tail moves past this transaction).
 *
 * So at most two transactions are live in the log (the last committed, the running one),
 * which bounds the log space (each at most tx_max blocks; the log holds four) and the
 * revokes: a metadata block freed while it is logged in either is revoked, so that a
 * replay cannot write stale metadata over the block's next use as file data.
 *
 * A device error while logging or committing aborts the journal: the mount turns
 * read-only, and the disk keeps the last committed transaction for the next mount.
 */
#include "fs_internal.h"
#include "jbd2.h"

#include <stdio.h>
#include <string.h>

/* A position k blocks after pos in the circular log [first, maxlen). */
static uint32_t
log_pos(const struct fs_journal *j, uint32_t pos, uint32_t k)
{
    uint32_t len = j->maxlen - j->first;
    return j->first + (uint32_t)(((uint64_t)(pos - j->first) + k) % len);
}

/* The file-system block holding log position pos (through the journal inode's map). */
static int
log_block_nr(struct fs *fs, uint32_t pos, uint32_t *pblk)
{
    for (uint32_t r = 0; r < fs->j.nruns; r++) {
        if (pos - fs->j.runs[r].pos < fs->j.runs[r].len) {
            *pblk = fs->j.runs[r].block + (pos - fs->j.runs[r].pos); /* checked at start */
            return 0;
        }
    }
    struct fs_inode in;
    in.ino = EXT2_JOURNAL_INO;
    memcpy(in.raw, fs->j.inode, sizeof(in.raw));
    int err = fs_bmap(fs, &in, pos, false, pblk, NULL);
    if (err == 0 && !fs_block_ok(fs, *pblk)) {
        err = -FS_ECORRUPT;
    }
    return err;
}

static int
log_write(struct fs *fs, uint32_t pos, const void *data)
{
    uint32_t pblk;
    int err = log_block_nr(fs, pos, &pblk);
    if (err == 0) {
        err = fs_dev_write(fs, (uint64_t)pblk * fs->block_size, data, fs->block_size);
    }
    return err;
}

static int
log_read(struct fs *fs, uint32_t pos, void *data)
{
    uint32_t pblk;
    int err = log_block_nr(fs, pos, &pblk);
    if (err == 0) {
        err = fs_dev_read(fs, (uint64_t)pblk * fs->block_size, data, fs->block_size);
    }
    return err;
}

static int
flush(struct fs *fs)
{
    return fs->dev.flush(fs->dev.ctx) < 0 ? -FS_EIO : 0;
}

/*
 * Stops all writing: the disk keeps its last committed transaction, which the next mount
 * replays. Returns err for the operation that failed; later ones get FS_EROFS.
 */
static int
tx_abort(struct fs *fs, int err, const char *what)
{
    for (uint32_t i = 0; i < fs->nslots; i++) {
        fs->slots[i].dirty = false; /* never to be written: the cache keeps them for reads */
    }
    fs->j.aborted = true;
    fs->j.abort_fresh = true;
    fs->j.abort_err = err;
    fs->rdonly = true;
    snprintf(fs->why, sizeof(fs->why), "journal aborted: %s (%s)", what, fs_strerror(err));
    return err;
}

/* The index of block in the running transaction, or -1. */
static int
tx_find(const struct fs_journal *j, uint32_t block)
{
    for (uint32_t i = 0; i < j->n; i++) {
        if (j->block[i] == block) {
            return (int)i;
        }
    }
    return -1;
}

static void
unrevoke(struct fs_journal *j, uint32_t block)
{
    for (uint32_t i = 0; i < j->nrevoke; i++) {
        if (j->revoke[i] == block) {
            j->revoke[i] = j->revoke[--j->nrevoke];
            return;
        }
    }
}

/* Writes the journal superblock with the log starting at start (0: empty) and seq. */
static int
write_jsb(struct fs *fs, uint32_t start, uint32_t seq)
{
    uint8_t *b = fs->j.buf;
    int err = log_read(fs, 0, b);
    if (err < 0) {
        return err;
    }
    put_be32(b + JBD2_SB_START, start);
    put_be32(b + JBD2_SB_SEQUENCE, seq);
    put_be32(b + JBD2_SB_INCOMPAT, fs_be32(b + JBD2_SB_INCOMPAT) | JBD2_INCOMPAT_REVOKE);
    return log_write(fs, 0, b);
}

int
fs_journal_start(struct fs *fs, bool sync)
{
    struct fs_journal *j = &fs->j;
    struct fs_inode in;
    int err = fs_iget(fs, EXT2_JOURNAL_INO, &in);
    if (err < 0) {
        return err;
    }
    memcpy(j->inode, in.raw, sizeof(j->inode));
    j->first = 0;
    j->maxlen = 1; /* log_pos is not used before the geometry is read */
    err = log_read(fs, 0, j->buf);
    if (err < 0) {
        return err;
    }
    /* fs_journal_recover has checked the geometry; writing also needs a v2 superblock
     * (v1 has no feature field to announce revoke blocks in). */
    if (fs_be32(j->buf + JBD2_H_BLOCKTYPE) != JBD2_SB_V2) {
        return -FS_EFEATURE;
    }
    j->first = fs_be32(j->buf + JBD2_SB_FIRST);
    j->maxlen = fs_be32(j->buf + JBD2_SB_MAXLEN);
    j->seq = fs_be32(j->buf + JBD2_SB_SEQUENCE);
    memcpy(j->uuid, j->buf + JBD2_SB_UUID, sizeof(j->uuid));
    uint32_t len = j->maxlen - j->first;
    uint32_t tags = (fs->block_size - JBD2_HEADER - JBD2_UUID_SIZE) / JBD2_TAG_SIZE;
    j->tx_max = FS_JOURNAL_TX_MAX;
    j->tx_max = tags < j->tx_max ? tags : j->tx_max;
    j->tx_max = len / 4 < j->tx_max ? len / 4 : j->tx_max;
    if (j->tx_max < 2 * FS_JOURNAL_OP_BLOCKS) {
        return -FS_ENOSPC; /* a log this short cannot hold two transactions */
    }
    /* A log in few runs of blocks (as mke2fs makes it) is located without its block
     * map, which lets the cache write a changed block back when it evicts it (cache.c). */
    j->nruns = 0;
    uint32_t nruns = 0;
    for (uint32_t pos = 0; pos < j->maxlen && err == 0; pos++) {
        uint32_t p;
        err = log_block_nr(fs, pos, &p);
        /* A hostile image's journal inode may map the log onto the superblock, the
         * descriptors, a bitmap or an inode table, which the writer would overwrite. */
        if (err == 0 && fs_block_is_metadata(fs, p, &err)) {
            err = err < 0 ? err : -FS_ECORRUPT;
        }
        if (err == 0 && nruns > 0 && j->runs[nruns - 1].block + j->runs[nruns - 1].len == p) {
            j->runs[nruns - 1].len++;
        } else if (err == 0 && nruns < FS_JOURNAL_RUNS) {
            j->runs[nruns].pos = pos;
            j->runs[nruns].block = p;
            j->runs[nruns].len = 1;
            nruns++;
        } else if (err == 0) {
            nruns = 0; /* too many runs: locate each block through the map */
            break;
        }
    }
    if (err < 0) {
        return err;
    }
    j->nruns = nruns;
    j->start = j->first;
    j->n = j->nrevoke = j->nprev = 0;
    j->aborted = j->need_commit = j->committed_valid = false;
    j->sync = sync;
    j->on = true;
    return 0;
}

int
fs_tx_read(struct fs *fs, uint32_t block, uint8_t *buf)
{
    struct fs_journal *j = &fs->j;
    int i = j->on ? tx_find(j, block) : -1;
    if (i < 0 || (j->flags[i] & FS_JBLOCK_REVOKED)) {
        return 0;
    }
    int err = log_read(fs, log_pos(j, j->start, 1 + (uint32_t)i), buf);
    if (err < 0) {
        return err;
    }
    if (j->flags[i] & FS_JBLOCK_ESCAPED) {
        put_be32(buf, JBD2_MAGIC);
    }
    return 1;
}

/*
 * Makes block part of the running transaction (its place in the log: start + 1 + its
 * index); the caller writes it there now (fs_tx_log) or keeps it dirty in the cache.
 */
static int
tx_add(struct fs *fs, uint32_t block)
{
    struct fs_journal *j = &fs->j;
    if (j->aborted) {
        return -FS_EROFS;
    }
    int i = tx_find(j, block);
    if (i < 0) {
        if (j->n == j->tx_max) {
            return tx_abort(fs, -FS_ENOSPC, "one operation outgrew a transaction");
        }
        i = (int)j->n++;
        j->block[i] = block;
        j->flags[i] = 0;
    }
    /* Logged again after a free: this copy is the one a replay must write. */
    unrevoke(j, block);
    j->flags[i] &= (uint8_t)~FS_JBLOCK_REVOKED;
    return i;
}

int
fs_tx_note(struct fs *fs, uint32_t block)
{
    int i = tx_add(fs, block);
    return i < 0 ? i : 0;
}

int
fs_tx_log(struct fs *fs, uint32_t block, const uint8_t *data)
{
    struct fs_journal *j = &fs->j;
    int i = tx_add(fs, block);
    if (i < 0) {
        return i;
    }
    j->flags[i] = 0;
    const uint8_t *src = data;
    if (fs_be32(data) == JBD2_MAGIC) {
        /* A replay would read the copy as a log block header: store it escaped. */
        memcpy(j->buf, data, fs->block_size);
        memset(j->buf, 0, 4);
        src = j->buf;
        j->flags[i] = FS_JBLOCK_ESCAPED;
    }
    int err = log_write(fs, log_pos(j, j->start, 1 + (uint32_t)i), src);
    return err < 0 ? tx_abort(fs, err, "writing the log") : 0;
}

void
fs_tx_revoke(struct fs *fs, uint32_t block)
{
    struct fs_journal *j = &fs->j;
    if (!j->on) {
        return;
    }
    int i = tx_find(j, block);
    bool logged = i >= 0;
    if (logged) {
        j->flags[i] |= FS_JBLOCK_REVOKED;
    }
    for (uint32_t k = 0; k < j->nprev && !logged; k++) {
        logged = j->prev[k] == block;
    }
    if (!logged) {
        return; /* in no live transaction: nothing could replay over it */
    }
    for (uint32_t k = 0; k < j->nrevoke; k++) {
        if (j->revoke[k] == block) {
            return;
        }
    }
    /* Room: revoked blocks are distinct members of the two live transactions. */
    j->revoke[j->nrevoke++] = block;
}

/*
 * Sets *bits to block bitmap block as the last commit left it, or NULL when the running
 * transaction has not changed it. The home copy is that state: only a checkpoint,
 * right after a commit, writes a logged block home.
 */
int
fs_tx_committed_bitmap(struct fs *fs, uint32_t block, const uint8_t **bits)
{
    struct fs_journal *j = &fs->j;
    *bits = NULL;
    if (!j->on || tx_find(j, block) < 0) {
        return 0;
    }
    if (!j->committed_valid || j->committed_block != block) {
        j->committed_valid = false;
        int err = fs_dev_read(fs, (uint64_t)block * fs->block_size, j->committed, fs->block_size);
        if (err < 0) {
            return err;
        }
        j->committed_block = block;
        j->committed_valid = true;
    }
    *bits = j->committed;
    return 0;
}

/* Logs the in-memory superblock into its block (block 1, or bytes 1024.. of block 0). */
static int
log_super(struct fs *fs)
{
    int err;
    uint32_t blk = EXT2_SB_OFFSET / fs->block_size;
    uint8_t *b = fs_bget(fs, blk, &err);
    if (b == NULL) {
        return err;
    }
    if (fs->now != 0) {
        fs_put_le32(fs->sb + EXT2_SB_WTIME, (uint32_t)fs->now);
    }
    memcpy(b + EXT2_SB_OFFSET % fs->block_size, fs->sb, EXT2_SB_SIZE);
    err = fs_bput(fs, b, true);
    if (err == 0) {
        fs->sb_dirty = false;
    }
    return err;
}

/* Writes the descriptor block of the running transaction at its start. */
static int
write_descriptor(struct fs *fs)
{
    struct fs_journal *j = &fs->j;
    uint8_t *b = j->buf;
    memset(b, 0, fs->block_size);
    put_be32(b + JBD2_H_MAGIC, JBD2_MAGIC);
    put_be32(b + JBD2_H_BLOCKTYPE, JBD2_DESCRIPTOR);
    put_be32(b + JBD2_H_SEQUENCE, j->seq);
    uint32_t off = JBD2_HEADER;
    for (uint32_t i = 0; i < j->n; i++) {
        uint16_t flags = 0;
        flags |= (j->flags[i] & FS_JBLOCK_ESCAPED) ? JBD2_FLAG_ESCAPE : 0;
        flags |= i > 0 ? JBD2_FLAG_SAME_UUID : 0;
        flags |= i + 1 == j->n ? JBD2_FLAG_LAST_TAG : 0;
        put_be32(b + off, j->block[i]);
        b[off + JBD2_TAG_FLAGS] = (uint8_t)(flags >> 8);
        b[off + JBD2_TAG_FLAGS + 1] = (uint8_t)flags;
        off += JBD2_TAG_SIZE;
        if (i == 0) {
            memcpy(b + off, j->uuid, JBD2_UUID_SIZE);
            off += JBD2_UUID_SIZE;
        }
    }
    return log_write(fs, j->start, b);
}

/* Writes the revoke blocks from pos on; *pos moves past them. */
static int
write_revokes(struct fs *fs, uint32_t *pos)
{
    struct fs_journal *j = &fs->j;
    uint32_t per_block = (fs->block_size - JBD2_REVOKE_RECORDS) / 4;
    for (uint32_t done = 0; done < j->nrevoke;) {
        uint32_t k = j->nrevoke - done < per_block ? j->nrevoke - done : per_block;
        uint8_t *b = j->buf;
        memset(b, 0, fs->block_size);
        put_be32(b + JBD2_H_MAGIC, JBD2_MAGIC);
        put_be32(b + JBD2_H_BLOCKTYPE, JBD2_REVOKE);
        put_be32(b + JBD2_H_SEQUENCE, j->seq);
        put_be32(b + JBD2_REVOKE_COUNT, JBD2_REVOKE_RECORDS + 4 * k);
        for (uint32_t r = 0; r < k; r++) {
            put_be32(b + JBD2_REVOKE_RECORDS + 4 * r, j->revoke[done + r]);
        }
        int err = log_write(fs, *pos, b);
        if (err < 0) {
            return err;
        }
        *pos = log_pos(j, *pos, 1);
        done += k;
    }
    return 0;
}

static int
write_commit(struct fs *fs, uint32_t pos)
{
    struct fs_journal *j = &fs->j;
    uint8_t *b = j->buf;
    memset(b, 0, fs->block_size);
    put_be32(b + JBD2_H_MAGIC, JBD2_MAGIC);
    put_be32(b + JBD2_H_BLOCKTYPE, JBD2_COMMIT);
    put_be32(b + JBD2_H_SEQUENCE, j->seq);
    put_be32(b + JBD2_COMMIT_SEC, (uint32_t)(fs->now >> 32));
    put_be32(b + JBD2_COMMIT_SEC + 4, (uint32_t)fs->now);
    return log_write(fs, pos, b);
}

/* Writes every logged block of the just-committed transaction home (no flush). */
static int
checkpoint(struct fs *fs)
{
    struct fs_journal *j = &fs->j;
    for (uint32_t i = 0; i < j->n; i++) {
        if (j->flags[i] & FS_JBLOCK_REVOKED) {
            continue; /* freed: its home may already hold file data */
        }
        int err;
        uint8_t *b = fs_bget(fs, j->block[i], &err);
        if (b == NULL) {
            return err;
        }
        err = fs_dev_write(fs, (uint64_t)j->block[i] * fs->block_size, b, fs->block_size);
        fs_bput(fs, b, false);
        if (err < 0) {
            return err;
        }
    }
    return 0;
}

/* Steps 3 and 4 of the header comment. */
static int
commit(struct fs *fs)
{
    struct fs_journal *j = &fs->j;
    int err = 0;
    if (fs->sb_dirty) {
        err = log_super(fs);
    }
    if (err < 0 || (j->n == 0 && j->nrevoke == 0)) {
        return err;
    }
    /* The blocks the cache still holds changed go to their places in the log. */
    for (uint32_t i = 0; i < fs->nslots && err == 0; i++) {
        struct fs_cslot *s = &fs->slots[i];
        if (s->valid && s->dirty) {
            err = fs_tx_log(fs, s->block, s->data);
            s->dirty = err != 0;
        }
    }
    if (err < 0) {
        return tx_abort(fs, err, "writing the log");
    }
    /* Without tags there is no descriptor: the revoke blocks start the transaction. */
    uint32_t pos = j->n > 0 ? log_pos(j, j->start, 1 + j->n) : j->start;
    if (j->n > 0) {
        err = write_descriptor(fs);
    }
    if (err == 0) {
        err = write_revokes(fs, &pos);
    }
    if (err == 0) {
        err = flush(fs);
    }
    if (err == 0) {
        err = write_commit(fs, pos);
    }
    if (err == 0) {
        err = write_jsb(fs, j->start, j->seq);
    }
    if (err == 0) {
        err = flush(fs);
    }
    if (err == 0) {
        err = checkpoint(fs);
    }
    if (err < 0) {
        return tx_abort(fs, err, "committing");
    }
    memcpy(j->prev, j->block, j->n * sizeof(j->block[0]));
    j->nprev = j->n;
    j->n = j->nrevoke = 0;
    j->committed_valid = false; /* the checkpoint rewrote the home copies */
    j->need_commit = false;
    j->seq++;
    j->start = log_pos(j, pos, 1);
    j->commits++;
    return 0;
}

int
fs_tx_commit(struct fs *fs)
{
    if (!fs->j.on) {
        return 0;
    }
    if (fs->j.aborted) {
        return -FS_EROFS;
    }
    return commit(fs);
}

int
fs_tx_begin(struct fs *fs)
{
    struct fs_journal *j = &fs->j;
    j->abort_fresh = false;
    if (!j->on || j->aborted) {
        return 0;
    }
    if (j->n + FS_JOURNAL_OP_BLOCKS > j->tx_max || j->need_commit) {
        return commit(fs);
    }
    return 0;
}

int
fs_tx_end(struct fs *fs, int err)
{
    if (fs->j.abort_fresh) {
        /* The operation's own error may be a consequence (a buffer the abort dropped). */
        fs->j.abort_fresh = false;
        return fs->j.abort_err;
    }
    /* A synchronous mount: with or without a journal, durable before the reply. */
    if (fs->j.sync && !fs->rdonly) {
        int serr = fs_sync(fs);
        return err < 0 ? err : serr;
    }
    return err;
}

int
fs_journal_stop(struct fs *fs)
{
    struct fs_journal *j = &fs->j;
    if (!j->on || j->aborted) {
        return j->aborted ? -FS_EIO : 0;
    }
    /* The home writes of the last checkpoint are durable before the log says empty. */
    int err = commit(fs);
    if (err == 0) {
        err = flush(fs);
    }
    if (err == 0) {
        err = write_jsb(fs, 0, j->seq);
    }
    if (err == 0) {
        err = flush(fs);
    }
    if (err < 0) {
        return tx_abort(fs, err, "emptying the log");
    }
    j->nprev = 0;
    j->on = false;
    return 0;
}
