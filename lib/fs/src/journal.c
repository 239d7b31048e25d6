/*
 * Journal replay at mount (JBD2, as ext3 writes it): the committed transactions of a
 * journal that needs recovery are copied to their home blocks, revoked blocks skipped,
 * and the journal marked empty. Everything read from the journal is checked like any
 * other on-disk structure; every walk of the log is bounded by the log's length.
 *
 * Without a heap there is no revoke table: whether a block is revoked is answered by
 * walking the log's revoke blocks again (bounded, and only when the log has any).
 */
#include "fs_internal.h"
#include "jbd2.h"

#include <string.h>

/* The log: the journal inode, its geometry, where replay starts. */
struct jlog {
    struct fs_inode in;
    uint32_t first, maxlen, start, sequence;
    uint32_t end_seq; /* first transaction without a commit block */
    bool has_revokes;
};

static uint32_t
next_pos(const struct jlog *j, uint32_t pos)
{
    return pos + 1 >= j->maxlen ? j->first : pos + 1;
}

/* Reads log block pos (pinned). */
static uint8_t *
log_block(struct fs *fs, struct jlog *j, uint32_t pos, int *err)
{
    uint32_t pblk;
    *err = fs_bmap(fs, &j->in, pos, false, &pblk, NULL);
    if (*err < 0) {
        return NULL;
    }
    if (pblk == 0) {
        *err = -FS_ECORRUPT;
        return NULL;
    }
    return fs_bget(fs, pblk, err);
}

/*
 * Walks a descriptor block's tags: calls fn(tag block number, flags, index) for each,
 * returns the number of tags (data blocks that follow) or an error.
 */
typedef int (*tag_fn)(struct fs *fs, struct jlog *j, uint32_t target, uint16_t flags,
                      uint32_t index, void *arg);

static int
for_tags(struct fs *fs, struct jlog *j, const uint8_t *b, tag_fn fn, void *arg)
{
    uint32_t off = JBD2_HEADER;
    uint32_t n = 0;
    for (;;) {
        if (fs->block_size - off < JBD2_TAG_SIZE) {
            return -FS_ECORRUPT; /* no LAST_TAG before the end of the block */
        }
        uint32_t target = fs_be32(b + off);
        uint16_t flags = be16(b + off + JBD2_TAG_FLAGS);
        off += JBD2_TAG_SIZE;
        if (!(flags & JBD2_FLAG_SAME_UUID)) {
            off += JBD2_UUID_SIZE;
        }
        /* Block 0 is legal: on 4 KiB file systems it holds the superblock, which ext3
         * journals like any other metadata block. */
        if (target >= fs->blocks_count) {
            return -FS_ECORRUPT;
        }
        if (fn != NULL) {
            int err = fn(fs, j, target, flags, n, arg);
            if (err < 0) {
                return err;
            }
        }
        n++;
        if (flags & JBD2_FLAG_LAST_TAG) {
            return (int)n;
        }
        if (off > fs->block_size) {
            return -FS_ECORRUPT;
        }
    }
}

/*
 * Walks the log from its start, calling visit for each block header in transactions
 * before end_seq (or, in the first pass, finding end_seq). Bounded by maxlen blocks.
 */
typedef int (*visit_fn)(struct fs *fs, struct jlog *j, uint32_t pos, const uint8_t *b,
                        uint32_t type, uint32_t seq, void *arg);

static int
walk_log(struct fs *fs, struct jlog *j, bool first_pass, visit_fn visit, void *arg)
{
    uint32_t pos = j->start, seq = j->sequence;
    uint32_t steps = 0;
    while (steps < j->maxlen && (first_pass || seq != j->end_seq)) {
        int err;
        uint8_t *b = log_block(fs, j, pos, &err);
        if (b == NULL) {
            return err;
        }
        uint32_t type = fs_be32(b + JBD2_H_BLOCKTYPE);
        if (fs_be32(b + JBD2_H_MAGIC) != JBD2_MAGIC || fs_be32(b + JBD2_H_SEQUENCE) != seq ||
            (type != JBD2_DESCRIPTOR && type != JBD2_COMMIT && type != JBD2_REVOKE)) {
            fs_bput(fs, b, false);
            break; /* the end of the log */
        }
        int n = 0;
        err = 0;
        if (type == JBD2_DESCRIPTOR) {
            n = for_tags(fs, j, b, NULL, NULL);
            err = n < 0 ? n : 0;
        } else if (type == JBD2_REVOKE) {
            j->has_revokes = true;
        }
        if (err == 0 && visit != NULL) {
            err = visit(fs, j, pos, b, type, seq, arg);
        }
        fs_bput(fs, b, false);
        if (err < 0) {
            return err;
        }
        steps += 1 + (uint32_t)n;
        for (int i = 0; i <= n; i++) {
            pos = next_pos(j, pos);
        }
        if (type == JBD2_COMMIT) {
            seq++;
            if (first_pass) {
                j->end_seq = seq;
            }
        }
    }
    return 0;
}

struct revoke_query {
    uint32_t block, seq;
    bool revoked;
};

static int
find_revoke(struct fs *fs, struct jlog *j, uint32_t pos, const uint8_t *b, uint32_t type,
            uint32_t seq, void *arg)
{
    struct revoke_query *q = arg;
    (void)j, (void)pos;
    /* A revoke counts in its own transaction and later ones; sequence numbers wrap, so
     * "earlier" is a signed difference (JBD2's tid_gt), not an unsigned compare. */
    if (type != JBD2_REVOKE || (int32_t)(seq - q->seq) < 0) {
        return 0;
    }
    uint32_t count = fs_be32(b + JBD2_REVOKE_COUNT);
    if (count < JBD2_REVOKE_RECORDS || count > fs->block_size) {
        return -FS_ECORRUPT;
    }
    for (uint32_t off = JBD2_REVOKE_RECORDS; off + 4 <= count; off += 4) {
        if (fs_be32(b + off) == q->block) {
            q->revoked = true;
        }
    }
    return 0;
}

struct replay_ctx {
    uint32_t pos; /* the descriptor's log position */
    uint32_t seq;
};

/* Copies the index-th data block after the descriptor to its home, unless revoked. */
static int
replay_tag(struct fs *fs, struct jlog *j, uint32_t target, uint16_t flags, uint32_t index,
           void *arg)
{
    struct replay_ctx *c = arg;
    if (j->has_revokes) {
        struct revoke_query q = {target, c->seq, false};
        int err = walk_log(fs, j, false, find_revoke, &q);
        if (err < 0 || q.revoked) {
            return err;
        }
    }
    uint32_t pos = c->pos;
    for (uint32_t i = 0; i <= index; i++) {
        pos = next_pos(j, pos);
    }
    int err;
    uint8_t *src = log_block(fs, j, pos, &err);
    if (src == NULL) {
        return err;
    }
    uint8_t *dst = fs_bget_zero(fs, target, &err);
    if (dst == NULL) {
        fs_bput(fs, src, false);
        return err;
    }
    memcpy(dst, src, fs->block_size);
    if (flags & JBD2_FLAG_ESCAPE) {
        put_be32(dst, JBD2_MAGIC); /* the block began with the magic: the log escaped it */
    }
    fs_bput(fs, src, false);
    return fs_bput(fs, dst, true);
}

static int
replay_descriptor(struct fs *fs, struct jlog *j, uint32_t pos, const uint8_t *b, uint32_t type,
                  uint32_t seq, void *arg)
{
    (void)arg;
    if (type != JBD2_DESCRIPTOR) {
        return 0;
    }
    struct replay_ctx c = {pos, seq};
    int n = for_tags(fs, j, b, replay_tag, &c);
    return n < 0 ? n : 0;
}

/*
 * Replays the journal of inode jino if it needs it (s_start != 0), then marks it empty
 * and clears needs_recovery. *replayed says whether anything was done (the caller then
 * reads the superblock again: the log may have rewritten it).
 */
int
fs_journal_recover(struct fs *fs, uint32_t jino, bool *replayed)
{
    struct jlog j;
    memset(&j, 0, sizeof(j));
    *replayed = false;
    int err = fs_iget(fs, jino, &j.in);
    if (err < 0) {
        return err;
    }
    uint8_t *sb = log_block(fs, &j, 0, &err);
    if (sb == NULL) {
        return err;
    }
    uint32_t type = fs_be32(sb + JBD2_H_BLOCKTYPE);
    uint32_t incompat = type == JBD2_SB_V2 ? fs_be32(sb + JBD2_SB_INCOMPAT) : 0;
    j.maxlen = fs_be32(sb + JBD2_SB_MAXLEN);
    j.first = fs_be32(sb + JBD2_SB_FIRST);
    j.start = fs_be32(sb + JBD2_SB_START);
    j.sequence = fs_be32(sb + JBD2_SB_SEQUENCE);
    uint32_t bsize = fs_be32(sb + JBD2_SB_BLOCKSIZE);
    uint32_t magic = fs_be32(sb + JBD2_H_MAGIC);
    fs_bput(fs, sb, false);
    if (magic != JBD2_MAGIC || (type != JBD2_SB_V1 && type != JBD2_SB_V2) ||
        bsize != fs->block_size || j.first == 0 || j.first >= j.maxlen ||
        (uint64_t)j.maxlen * fs->block_size > fs_isize(&j.in) ||
        (j.start != 0 && (j.start < j.first || j.start >= j.maxlen))) {
        return -FS_ECORRUPT;
    }
    if (incompat & ~(uint32_t)JBD2_INCOMPAT_REVOKE) {
        return -FS_EFEATURE; /* 64-bit tags, checksums, async commit, fast commits */
    }
    if (j.start == 0) {
        return 0;
    }
    if (fs->rdonly) {
        return -FS_EROFS;
    }
    j.end_seq = j.sequence;
    err = walk_log(fs, &j, true, NULL, NULL);
    if (err == 0) {
        err = walk_log(fs, &j, false, replay_descriptor, NULL);
    }
    if (err == 0) {
        err = fs->dev.flush(fs->dev.ctx) < 0 ? -FS_EIO : 0;
    }
    if (err < 0) {
        return err;
    }
    /* Only now, with the home blocks durable, may the log be emptied. */
    sb = log_block(fs, &j, 0, &err);
    if (sb == NULL) {
        return err;
    }
    put_be32(sb + JBD2_SB_START, 0);
    /* One past the first transaction without a commit: its blocks may still lie in the
     * log, and the next writer must not take them for its own (as JBD2 and e2fsck do). */
    put_be32(sb + JBD2_SB_SEQUENCE, j.end_seq + 1);
    err = fs_bput(fs, sb, true);
    if (err == 0) {
        err = fs->dev.flush(fs->dev.ctx) < 0 ? -FS_EIO : 0;
    }
    *replayed = err == 0;
    return err;
}
