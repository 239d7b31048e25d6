/* Functions shared between lib/net's TCP files (socket/tcp*.c); not part of the API. */
#pragma once

#include <vallum/net/tcp.h>

#include "../net_internal.h"

/* Sequence number comparisons modulo 2^32 (RFC 9293 3.4). */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

/* Our MSS: what fits a frame without IP or TCP options. */
#define TCP_MSS (NET_MTU - NET_IP_HDR_LEN - NET_TCP_HDR_LEN)

static inline uint64_t
tcp_min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static inline uint32_t
tcp_min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static inline uint32_t
tcp_max32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* Our timestamp clock for c (RFC 7323 5.4): milliseconds plus a per-connection offset (the
 * ISN), so that values do not reveal the uptime and are never 0 by accident at time 0. */
static inline uint32_t
tcp_ts_now(const struct net_tcp_conn *c, uint64_t now)
{
    return (uint32_t)now + c->iss;
}

/* The connection in slot i. */
static inline struct net_tcp_conn *
tcp_slot(struct net_stack *s, size_t i)
{
    return &s->tcp->mem.conns[i];
}

static inline uint16_t
tcp_index(const struct net_stack *s, const struct net_tcp_conn *c)
{
    return (uint16_t)(c - s->tcp->mem.conns);
}

/* SMSS: the most data one segment of c carries, the MSS less the timestamps option. */
static inline uint32_t
tcp_smss(const struct net_tcp_conn *c)
{
    return c->mss - (c->ts_ok ? 12u : 0u);
}

/* Bytes in flight: sent and not acknowledged (SYN and FIN count one each). */
static inline uint32_t
tcp_flight(const struct net_tcp_conn *c)
{
    return c->snd_max - c->snd_una;
}

/* True in the states where the connection is synchronized and data may move. */
static inline bool
tcp_synchronized(const struct net_tcp_conn *c)
{
    return c->state >= NET_TCP_ESTABLISHED;
}

/* tcp.c: slots, buffers, ending connections. */
struct net_tcp_conn *tcp_alloc(struct net_stack *s);
int tcp_buffers(struct net_stack *s, struct net_tcp_conn *c);
/* Ends a connection: an error for the component if it holds a handle (the slot stays
 * CLOSED until net_tcp_close), otherwise the slot is freed. */
void tcp_drop(struct net_stack *s, struct net_tcp_conn *c, int err);
/* Frees a slot and its buffers (its handle, if any, becomes stale). */
void tcp_free(struct net_stack *s, struct net_tcp_conn *c);
uint32_t tcp_isn(struct net_stack *s, uint64_t now, net_ip4_t laddr, uint16_t lport,
                 net_ip4_t raddr, uint16_t rport);
/* Sets the connection's sequence state for a new connection with ISN iss. */
void tcp_init_seq(struct net_tcp_conn *c, uint32_t iss);

/* tcp_out.c: transmission and timers. */
void tcp_output(struct net_stack *s, uint64_t now, struct net_tcp_conn *c);
/* Sends what SACK recovery allows (RFC 6675 5's NextSeg while pipe < cwnd). */
void tcp_sack_output(struct net_stack *s, uint64_t now, struct net_tcp_conn *c);
/* Sends a segment with no data: flags at seq (ACK carries RCV.NXT). */
void tcp_send_ctl(struct net_stack *s, uint64_t now, struct net_tcp_conn *c, uint32_t seq,
                  uint8_t flags);
/* Sends an ACK now (and cancels a delayed one). */
void tcp_send_ack(struct net_stack *s, uint64_t now, struct net_tcp_conn *c);
/* Sends a challenge ACK unless over the stack's rate (RFC 5961 7). */
void tcp_challenge_ack(struct net_stack *s, uint64_t now, struct net_tcp_conn *c);
/* Sends a reset from laddr:lport to raddr:rport, without a connection. */
void tcp_send_reset(struct net_stack *s, uint64_t now, net_ip4_t laddr, uint16_t lport,
                    net_ip4_t raddr, uint16_t rport, uint32_t seq, uint32_t ack, bool with_ack);
/* Sends a SYN-ACK for a SYN cookie (no connection exists). */
void tcp_send_cookie(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip,
                     const struct net_tcp_seg *seg, uint32_t cookie, uint16_t mss);
/* RTT sample (RFC 6298 2.2, 2.3); one over NET_TCP_RTO_MAX_MS is ignored as bogus. */
void tcp_rtt_sample(struct net_tcp_conn *c, uint32_t rtt);
void tcp_arm_rexmt(struct net_tcp_conn *c, uint64_t now);
/* Gives c's buffers back to the pool (a connection in TIME_WAIT nobody reads). */
void tcp_release_buffers(struct net_stack *s, struct net_tcp_conn *c);
/* Enters TIME_WAIT. */
void tcp_time_wait(struct net_stack *s, uint64_t now, struct net_tcp_conn *c);
