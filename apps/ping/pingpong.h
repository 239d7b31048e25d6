/*
 * What ping and pong agree on: the shape of the ring between them (lib/ring, docs/drivers.md)
 * and their channel ids. Ping produces short text messages into the ring's buffers; pong
 * consumes them and gives the buffers back.
 */
#pragma once

#define PINGPONG_CH_NOTIFY 0 /* the notify channel: ping signals new messages */
#define PINGPONG_CH_CALL 1   /* the doubler call channel, ping to pong */
#define PINGPONG_CAPACITY 8  /* entries per queue: every buffer fits, so enqueue never fills */
#define PINGPONG_BUF 64      /* bytes per buffer: one message */
#define PINGPONG_NBUFS 8     /* buffers in ring_data */
