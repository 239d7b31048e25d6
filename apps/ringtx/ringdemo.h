/*
 * What ringtx and ringrx agree on: the ring's shape and the contents of message seq.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <vallum/os.h>

/* The ring is the description's connection "samples" (vl_os_connect): its channel id is
 * vlsys's to pick, and its shape must be this one. */
#define RINGDEMO_RING "samples"
/* ringtx signals this one once its closing report is printed: ringrx prints its own only
 * then, since both print to the one console a character at a time and would interleave. */
#define RINGDEMO_REPORTED_CH 1
#define RINGDEMO_BUF 256       /* bytes per buffer */
#define RINGDEMO_NBUFS 64      /* buffers in samples.data (16 KiB) */
#define RINGDEMO_MESSAGES 5000 /* messages ringtx sends */

/*
 * Whether the description's connection has the shape the messages are made for; prints why
 * not as who.
 */
static inline bool
ringdemo_shape_ok(const char *who, const struct vl_os_connection *conn)
{
    if (conn->buffers == RINGDEMO_NBUFS && conn->buffer_size == RINGDEMO_BUF) {
        return true;
    }
    printf("%s: the description's ring has %u buffers of %u bytes, not %u of %u\n", who,
           (unsigned)conn->buffers, (unsigned)conn->buffer_size, (unsigned)RINGDEMO_NBUFS,
           (unsigned)RINGDEMO_BUF);
    return false;
}

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
