/*
 * The ext2 revision 1 on-disk layout, as Linux and e2fsprogs write it: byte offsets of the
 * fields lib/fs reads or writes, flags and feature bits. All multi-byte fields are little
 * endian. Fields are reached through fs_le16()/fs_le32() and their put_ twins at these
 * offsets, never by casting a struct over disk bytes (alignment and endianness stay the
 * reader's problem only in one place).
 */
#pragma once

#include <stdint.h>

/* The superblock: 1024 bytes at byte 1024 of the device, whatever the block size. */
#define EXT2_SB_OFFSET 1024
#define EXT2_SB_SIZE 1024
#define EXT2_SB_INODES_COUNT 0
#define EXT2_SB_BLOCKS_COUNT 4
#define EXT2_SB_R_BLOCKS_COUNT 8
#define EXT2_SB_FREE_BLOCKS 12
#define EXT2_SB_FREE_INODES 16
#define EXT2_SB_FIRST_DATA_BLOCK 20
#define EXT2_SB_LOG_BLOCK_SIZE 24
#define EXT2_SB_LOG_FRAG_SIZE 28
#define EXT2_SB_BLOCKS_PER_GROUP 32
#define EXT2_SB_FRAGS_PER_GROUP 36
#define EXT2_SB_INODES_PER_GROUP 40
#define EXT2_SB_MTIME 44
#define EXT2_SB_WTIME 48
#define EXT2_SB_MNT_COUNT 52
#define EXT2_SB_MAGIC 56
#define EXT2_SB_STATE 58
#define EXT2_SB_REV_LEVEL 76
#define EXT2_SB_FIRST_INO 84
#define EXT2_SB_INODE_SIZE 88
#define EXT2_SB_FEATURE_COMPAT 92
#define EXT2_SB_FEATURE_INCOMPAT 96
#define EXT2_SB_FEATURE_RO_COMPAT 100
#define EXT2_SB_RESERVED_GDT_BLOCKS 206
#define EXT2_SB_JOURNAL_INUM 224
#define EXT2_SB_DESC_SIZE 254

#define EXT2_MAGIC 0xEF53
#define EXT2_STATE_VALID 0x0001 /* cleanly unmounted */
#define EXT2_STATE_ERROR 0x0002 /* errors detected */
#define EXT2_GOOD_OLD_REV 0
#define EXT2_DYNAMIC_REV 1
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_GOOD_OLD_FIRST_INO 11

/* Feature bits. Compat: any implementation may write. */
#define EXT2_COMPAT_DIR_PREALLOC 0x0001
#define EXT2_COMPAT_IMAGIC_INODES 0x0002
#define EXT2_COMPAT_HAS_JOURNAL 0x0004
#define EXT2_COMPAT_EXT_ATTR 0x0008
#define EXT2_COMPAT_RESIZE_INODE 0x0010
#define EXT2_COMPAT_DIR_INDEX 0x0020
/* Read-only compatible: an implementation that does not know one may only read. */
#define EXT2_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_RO_COMPAT_LARGE_FILE 0x0002
#define EXT2_RO_COMPAT_BTREE_DIR 0x0004
#define EXT2_RO_COMPAT_HUGE_FILE 0x0008
#define EXT2_RO_COMPAT_GDT_CSUM 0x0010
#define EXT2_RO_COMPAT_DIR_NLINK 0x0020
#define EXT2_RO_COMPAT_EXTRA_ISIZE 0x0040
#define EXT2_RO_COMPAT_QUOTA 0x0100
#define EXT2_RO_COMPAT_BIGALLOC 0x0200
#define EXT2_RO_COMPAT_METADATA_CSUM 0x0400
/* Incompatible: an implementation that does not know one must not mount at all. */
#define EXT2_INCOMPAT_COMPRESSION 0x0001
#define EXT2_INCOMPAT_FILETYPE 0x0002
#define EXT2_INCOMPAT_RECOVER 0x0004
#define EXT2_INCOMPAT_JOURNAL_DEV 0x0008
#define EXT2_INCOMPAT_META_BG 0x0010
#define EXT2_INCOMPAT_EXTENTS 0x0040
#define EXT2_INCOMPAT_64BIT 0x0080
#define EXT2_INCOMPAT_MMP 0x0100
#define EXT2_INCOMPAT_FLEX_BG 0x0200
#define EXT2_INCOMPAT_EA_INODE 0x0400
#define EXT2_INCOMPAT_DIRDATA 0x1000
#define EXT2_INCOMPAT_CSUM_SEED 0x2000
#define EXT2_INCOMPAT_LARGEDIR 0x4000
#define EXT2_INCOMPAT_INLINE_DATA 0x8000
#define EXT2_INCOMPAT_ENCRYPT 0x10000
#define EXT2_INCOMPAT_CASEFOLD 0x20000

/* What lib/fs implements; everything else is refused (incompat) or read-only (ro_compat). */
#define FS_INCOMPAT_SUPPORTED (EXT2_INCOMPAT_FILETYPE)
#define FS_RO_COMPAT_SUPPORTED (EXT2_RO_COMPAT_SPARSE_SUPER | EXT2_RO_COMPAT_LARGE_FILE)

/* A group descriptor: 32 bytes (ext2 has no 64-bit descriptors). */
#define EXT2_GD_SIZE 32
#define EXT2_GD_BLOCK_BITMAP 0
#define EXT2_GD_INODE_BITMAP 4
#define EXT2_GD_INODE_TABLE 8
#define EXT2_GD_FREE_BLOCKS 12
#define EXT2_GD_FREE_INODES 14
#define EXT2_GD_USED_DIRS 16
#define EXT2_GD_FLAGS 18

/* An inode: the first 128 bytes are the classic core; i_extra_isize follows at 128. */
#define EXT2_I_MODE 0
#define EXT2_I_UID 2
#define EXT2_I_SIZE 4
#define EXT2_I_ATIME 8
#define EXT2_I_CTIME 12
#define EXT2_I_MTIME 16
#define EXT2_I_DTIME 20
#define EXT2_I_GID 24
#define EXT2_I_LINKS 26
#define EXT2_I_BLOCKS 28 /* in 512-byte units, metadata blocks included */
#define EXT2_I_FLAGS 32
#define EXT2_I_BLOCK 40 /* 15 block numbers (or a fast symlink's target) */
#define EXT2_I_GENERATION 100
#define EXT2_I_FILE_ACL 104
#define EXT2_I_SIZE_HIGH 108 /* upper 32 bits of i_size for regular files */
#define EXT2_I_UID_HIGH 120
#define EXT2_I_GID_HIGH 122
#define EXT2_I_EXTRA_ISIZE 128

#define EXT2_N_BLOCKS 15
#define EXT2_NDIR_BLOCKS 12
#define EXT2_IND_BLOCK 12
#define EXT2_DIND_BLOCK 13
#define EXT2_TIND_BLOCK 14

#define EXT2_INDEX_FL 0x00001000   /* hashed (htree) directory */
#define EXT2_EXTENTS_FL 0x00080000 /* extent-mapped: ext4 only */
#define EXT2_INLINE_DATA_FL 0x10000000

/* Reserved inode numbers. */
#define EXT2_BAD_INO 1
#define EXT2_ROOT_INO 2
#define EXT2_RESIZE_INO 7
#define EXT2_JOURNAL_INO 8

/* Mode bits. */
#define EXT2_S_IFMT 0xF000
#define EXT2_S_IFSOCK 0xC000
#define EXT2_S_IFLNK 0xA000
#define EXT2_S_IFREG 0x8000
#define EXT2_S_IFBLK 0x6000
#define EXT2_S_IFDIR 0x4000
#define EXT2_S_IFCHR 0x2000
#define EXT2_S_IFIFO 0x1000

/* A directory entry: 8 bytes of header, then the name, padded to 4 bytes. */
#define EXT2_DE_INODE 0
#define EXT2_DE_REC_LEN 4
#define EXT2_DE_NAME_LEN 6
#define EXT2_DE_FILE_TYPE 7
#define EXT2_DE_NAME 8
#define EXT2_DE_HEADER 8
#define EXT2_NAME_MAX 255

/* File types in directory entries (incompat filetype). */
#define EXT2_FT_UNKNOWN 0
#define EXT2_FT_REG 1
#define EXT2_FT_DIR 2
#define EXT2_FT_CHRDEV 3
#define EXT2_FT_BLKDEV 4
#define EXT2_FT_FIFO 5
#define EXT2_FT_SOCK 6
#define EXT2_FT_SYMLINK 7

/* An extended-attribute block starts with this header. */
#define EXT2_XATTR_MAGIC 0xEA020000
#define EXT2_XATTR_H_MAGIC 0
#define EXT2_XATTR_H_REFCOUNT 4
#define EXT2_XATTR_H_BLOCKS 8

/* A JBD2 journal superblock (big endian) starts with this magic; s_start 0 means clean. */
#define JBD2_MAGIC 0xC03B3998
#define JBD2_SB_START 28

static inline uint16_t
fs_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
fs_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint32_t
fs_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void
fs_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void
fs_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
