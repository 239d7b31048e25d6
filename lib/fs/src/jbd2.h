/*
 * The JBD2 on-disk format as ext3 writes it (no 64-bit block numbers, no checksums):
 * block header and superblock fields, all big endian. Shared by replay (journal.c) and
 * the writer (txn.c).
 */
#pragma once

#include <stdint.h>

#define JBD2_H_MAGIC 0
#define JBD2_H_BLOCKTYPE 4
#define JBD2_H_SEQUENCE 8
#define JBD2_HEADER 12
#define JBD2_SB_BLOCKSIZE 12
#define JBD2_SB_MAXLEN 16
#define JBD2_SB_FIRST 20
#define JBD2_SB_SEQUENCE 24
#define JBD2_SB_INCOMPAT 40
#define JBD2_SB_UUID 48
#define JBD2_DESCRIPTOR 1
#define JBD2_COMMIT 2
#define JBD2_SB_V1 3
#define JBD2_SB_V2 4
#define JBD2_REVOKE 5
#define JBD2_INCOMPAT_REVOKE 0x1
#define JBD2_TAG_SIZE 8 /* blocknr, checksum, flags: no 64bit, no checksums */
#define JBD2_TAG_FLAGS 6
#define JBD2_FLAG_ESCAPE 1
#define JBD2_FLAG_SAME_UUID 2
#define JBD2_FLAG_LAST_TAG 8
#define JBD2_UUID_SIZE 16
#define JBD2_REVOKE_COUNT 12
#define JBD2_REVOKE_RECORDS 16
#define JBD2_COMMIT_SEC 48 /* be64: when the transaction committed */

static inline void
put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint16_t
be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
