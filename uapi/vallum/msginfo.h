/*
 * Message info word: describes a message.
 *
 *   63                 12 11        9 8     7 6        0
 *  +---------------------+-----------+-------+----------+
 *  |        label        | unwrapped | extra |  length  |
 *  +---------------------+-----------+-------+----------+
 *
 * length: number of message registers (0..VL_MSG_MAX_LENGTH); extra: number of extra
 * capabilities (0..3); unwrapped: bit i set if extra capability i was unwrapped to its
 * badge at the receiver; label: free for the sender (invocation label, or error code
 * in a reply from the kernel).
 */
#pragma once

#include <vallum/types.h>

#define VL_MSG_MAX_LENGTH 120
#define VL_MSG_MAX_EXTRA_CAPS 3

/* Number of message registers passed in CPU registers (a2..a5). */
#define VL_MSG_REGS 4

static inline vl_word_t
vl_msginfo(vl_word_t label, vl_word_t unwrapped, vl_word_t extra_caps, vl_word_t length)
{
    return (label << 12) | ((unwrapped & 7) << 9) | ((extra_caps & 3) << 7) | (length & 0x7f);
}

static inline vl_word_t
vl_msginfo_label(vl_word_t mi)
{
    return mi >> 12;
}

static inline vl_word_t
vl_msginfo_unwrapped(vl_word_t mi)
{
    return (mi >> 9) & 7;
}

static inline vl_word_t
vl_msginfo_extra_caps(vl_word_t mi)
{
    return (mi >> 7) & 3;
}

static inline vl_word_t
vl_msginfo_length(vl_word_t mi)
{
    return mi & 0x7f;
}
