/*
 * lib/fs internals shared between its source files: the block cache, inodes in memory,
 * block mapping and allocation. Every function returns 0 or a negative FS_E* code.
 */
#pragma once

#include <vallum/fs/ext2.h>
#include <vallum/fs/fs.h>

/* An inode in memory: its number and the first 128 bytes of its on-disk record. */
struct fs_inode {
    uint32_t ino;
    uint8_t raw[EXT2_GOOD_OLD_INODE_SIZE];
};

/* cache.c: pinned block buffers. A pinned buffer stays valid until its fs_bput. */
uint8_t *fs_bget(struct fs *fs, uint32_t block, int *err);
uint8_t *fs_bget_zero(struct fs *fs, uint32_t block, int *err);
int fs_bput(struct fs *fs, uint8_t *data, bool dirty);
int fs_bput_data(struct fs *fs, uint8_t *data);
int fs_dev_read(struct fs *fs, uint64_t byte_off, void *buf, uint32_t len);
int fs_dev_write(struct fs *fs, uint64_t byte_off, const void *buf, uint32_t len);

/* inode.c */
int fs_iget(struct fs *fs, uint32_t ino, struct fs_inode *in);
int fs_iput(struct fs *fs, const struct fs_inode *in);
uint16_t fs_imode(const struct fs_inode *in);
uint64_t fs_isize(const struct fs_inode *in);
void fs_set_isize(struct fs_inode *in, uint64_t size);
bool fs_is_fast_symlink(const struct fs *fs, const struct fs_inode *in);
void fs_itouch(struct fs *fs, struct fs_inode *in, bool mtime);
bool fs_is_reserved(const struct fs *fs, uint32_t ino);

/* bmap.c */
int fs_bmap(struct fs *fs, struct fs_inode *in, uint64_t lblk, bool alloc, uint32_t *pblk,
            bool *fresh);
int fs_free_blocks_from(struct fs *fs, struct fs_inode *in, uint64_t first_lblk);
int fs_free_blocks_upto(struct fs *fs, struct fs_inode *in, uint64_t first_lblk,
                        uint64_t max_blocks, uint64_t *low);
uint64_t fs_max_lblocks(const struct fs *fs);

/* alloc.c */
int fs_block_alloc(struct fs *fs, uint32_t goal_group, uint32_t *block);
int fs_block_free(struct fs *fs, uint32_t block);
int fs_inode_alloc(struct fs *fs, uint32_t goal_group, bool is_dir, uint32_t *ino);
int fs_inode_free(struct fs *fs, uint32_t ino, bool is_dir);
bool fs_block_ok(const struct fs *fs, uint32_t block);
bool fs_block_is_metadata(struct fs *fs, uint32_t block, int *err);
int fs_group_desc(struct fs *fs, uint32_t group, uint8_t **block, uint8_t **gd);

/* dir.c */
int fs_dir_find(struct fs *fs, struct fs_inode *dir, const char *name, size_t len, uint32_t *ino);
int fs_dir_add(struct fs *fs, struct fs_inode *dir, const char *name, size_t len, uint32_t ino,
               uint8_t type);
int fs_dir_remove(struct fs *fs, struct fs_inode *dir, const char *name, size_t len);
int fs_dir_set(struct fs *fs, struct fs_inode *dir, const char *name, size_t len, uint32_t ino,
               uint8_t type);
int fs_dir_is_empty(struct fs *fs, struct fs_inode *dir);
int fs_dir_check_block(const struct fs *fs, const uint8_t *b);
uint8_t fs_mode_to_ft(uint16_t mode);

/* inode.c: writes a newly allocated inode, clearing the whole on-disk record first. */
int fs_iput_new(struct fs *fs, const struct fs_inode *in);

/* journal.c */
int fs_journal_recover(struct fs *fs, uint32_t jino, bool *replayed);

/*
 * txn.c: the journal writer. fs_tx_begin and fs_tx_end bracket every operation that
 * writes (a transaction never splits one); fs_tx_log logs a changed metadata block;
 * fs_tx_read reads a logged block back on a cache miss (1 if it did, 0 if the block is
 * not logged); fs_tx_revoke marks a freed block so that no replay writes it.
 */
#define FS_EFREE_FIRST 100  /* internal: free the file's blocks, then try again */
#define FS_JBLOCK_ESCAPED 1 /* stored with its first word zeroed: it began with the magic */
#define FS_JBLOCK_REVOKED 2 /* freed after it was logged: never written home */
int fs_journal_start(struct fs *fs, bool sync);
int fs_journal_stop(struct fs *fs);
int fs_tx_begin(struct fs *fs);
int fs_tx_end(struct fs *fs, int err);
int fs_tx_commit(struct fs *fs);
int fs_tx_log(struct fs *fs, uint32_t block, const uint8_t *data);
int fs_tx_note(struct fs *fs, uint32_t block);
int fs_tx_read(struct fs *fs, uint32_t block, uint8_t *buf);
void fs_tx_revoke(struct fs *fs, uint32_t block);
int fs_tx_committed_bitmap(struct fs *fs, uint32_t block, const uint8_t **bits);
