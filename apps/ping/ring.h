/*
 * The ring the pingpong example shares: ping writes messages and advances head (its only
 * writer); pong reads them, keeping its own read index and checking head against the
 * ring's size before using it.
 */
#pragma once

#include <stdint.h>

#define RING_SLOTS 8
#define RING_MSG 64

struct ring {
    volatile uint64_t head; /* messages written so far; written by ping only */
    char msg[RING_SLOTS][RING_MSG];
};
