/*
 * lib/fs tunables, each with its default. A component may override one by defining it
 * before the first include of a lib/fs header (all lib/fs objects must see the same value).
 */
#pragma once

/* Largest file-system block size accepted, in bytes (ext2 allows 1, 2 and 4 KiB here). */
#ifndef FS_MAX_BLOCK_SIZE
#define FS_MAX_BLOCK_SIZE 4096
#endif

/*
 * Most block-cache slots used, whatever memory the caller gives. Every lookup is a linear
 * scan, so this also bounds the cost of a cache miss.
 */
#ifndef FS_CACHE_SLOTS_MAX
#define FS_CACHE_SLOTS_MAX 64
#endif

/*
 * Fewest cache slots a mount needs: the deepest operation (a write through a triple
 * indirect block that also allocates a block and updates the inode) pins eight, and
 * logging a block to the journal pins two more to find its place in the log.
 */
#define FS_CACHE_SLOTS_MIN 10

/* Longest path fs_walk() resolves, in bytes including the terminating NUL. */
#ifndef FS_PATH_MAX
#define FS_PATH_MAX 1024
#endif

/* Symbolic links fs_walk() follows in one resolution before it reports FS_ELOOP. */
#ifndef FS_SYMLINK_MAX
#define FS_SYMLINK_MAX 8
#endif

/* Parent steps rename() takes looking for a cycle before it calls the tree corrupt. */
#ifndef FS_DEPTH_MAX
#define FS_DEPTH_MAX 4096
#endif

/*
 * Most blocks one journal transaction logs (it also holds one descriptor block, its
 * revoke blocks and a commit block). A mount uses fewer if a descriptor block cannot tag
 * this many (124 with 1 KiB blocks) or the log is shorter than four transactions.
 */
#ifndef FS_JOURNAL_TX_MAX
#define FS_JOURNAL_TX_MAX 128
#endif

/*
 * Blocks a transaction keeps free for the next operation: an operation starts a new
 * transaction when fewer remain. Every operation logs fewer (writes and truncates are
 * split into steps of FS_JOURNAL_STEP_BLOCKS data blocks to make it so).
 */
#define FS_JOURNAL_OP_BLOCKS 32

/*
 * Runs of consecutive blocks a log may lie in for the cache to write back (mke2fs's logs
 * take one run per indirect block: 5 for 1,024 blocks of 1 KiB, 33 for 8,192). A log in
 * more runs is written as each block changes.
 */
#ifndef FS_JOURNAL_RUNS
#define FS_JOURNAL_RUNS 64
#endif
#define FS_JOURNAL_STEP_BLOCKS 4
