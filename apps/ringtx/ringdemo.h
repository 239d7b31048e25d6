/*
 * What ringtx and ringrx agree on: the ring's shape and the contents of message seq.
 */
#pragma once

#include <stdint.h>

#define RINGDEMO_CH 0 /* the notify channel between the two */
/* ringtx signals this one once its closing report is printed: ringrx prints its own only
 * then, since both print to the one console a character at a time and would interleave. */
#define RINGDEMO_REPORTED_CH 1
#define RINGDEMO_CAPACITY 64   /* entries per queue: every buffer fits, so enqueue never fills */
#define RINGDEMO_BUF 256       /* bytes per buffer */
#define RINGDEMO_NBUFS 64      /* buffers in ring_data (16 KiB) */
#define RINGDEMO_MESSAGES 5000 /* messages ringtx sends */

/* Message seq is 4 + seq % (RINGDEMO_BUF - 3) bytes: seq itself, then bytes (seq + i) & 0xff. */
static inline uint32_t
ringdemo_length(uint32_t seq)
{
    return 4 + seq % (RINGDEMO_BUF - 3);
}

static inline uint8_t
ringdemo_byte(uint32_t seq, uint32_t i)
{
    return (uint8_t)(seq + i);
}

/* Instructions retired so far (meaningful under QEMU's -icount; docs/drivers.md, "Measured"). */
static inline uint64_t
instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}
