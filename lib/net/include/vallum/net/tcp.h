/*
 * TCP in lib/net (RFC 9293), with RFC 6298's retransmission timer, RFC 5681/6582 NewReno
 * congestion control, RFC 7323 window scaling and timestamps, RFC 5961's defences, RFC 6528
 * initial sequence numbers and SYN cookies. docs/tcp.md describes the design.
 *
 * Like the rest of the stack it allocates nothing: the component gives net_tcp_init a
 * table of connections and a byte pool that connection buffers are carved from
 * (NET_TCP_MEM_DEFINE). Running out of either is an error returned to the caller (or, for
 * a peer's SYN, a SYN cookie and then a reset), never a crash.
 *
 * Sockets are non-blocking: calls return -NET_EAGAIN when they would wait, and
 * net_tcp_events says what a socket is ready for. A socket handle names one use of a
 * connection slot, so a handle closed and reused is not mistaken for the new socket.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vallum/net/net.h>

enum net_tcp_state {
    NET_TCP_FREE = 0, /* slot unused */
    NET_TCP_CLOSED,   /* a socket not yet connected, or one whose connection ended */
    NET_TCP_LISTEN,
    NET_TCP_SYN_SENT,
    NET_TCP_SYN_RCVD,
    NET_TCP_ESTABLISHED,
    NET_TCP_FIN_WAIT_1,
    NET_TCP_FIN_WAIT_2,
    NET_TCP_CLOSE_WAIT,
    NET_TCP_CLOSING,
    NET_TCP_LAST_ACK,
    NET_TCP_TIME_WAIT,
};

/* Returns a constant name for a state ("ESTABLISHED"), or "?" if out of range. */
const char *net_tcp_state_name(int state);

#define NET_TCP_NONE 0xffffu

/* A range of sequence numbers, end exclusive. */
struct net_tcp_range {
    uint32_t start, end;
};

/* One connection (or listener). The fields are the library's; tests read them. Sequence
 * numbers are 32-bit and compared modulo 2^32; times are ms; NET_NO_DEADLINE is "off". */
struct net_tcp_conn {
    uint8_t state;   /* enum net_tcp_state */
    bool has_handle; /* the component holds a handle: not closed, and not a child waiting */
    bool nodelay, keepalive, reuseaddr; /* socket options */
    uint16_t gen;                       /* handle generation: bumped when the slot is freed */
    uint16_t parent;                    /* listener of a child not yet accepted, or NONE */
    uint16_t backlog, children;         /* LISTEN: limit and children not yet accepted */
    int err;                            /* pending NET_E* (reset, timeout), reported once */
    net_ip4_t laddr, raddr;
    uint16_t lport, rport;

    /* Buffers, from the pool: rings of tx_cap and rx_cap bytes (0 until connect/SYN). */
    uint32_t sndbuf, rcvbuf;     /* sizes asked for (NET_SO_SNDBUF/RCVBUF) */
    uint32_t tx_block, rx_block; /* first pool block of each ring */
    uint32_t tx_cap, rx_cap;
    uint32_t tx_head, tx_len; /* byte at SND.UNA (data), and bytes queued from there */
    uint32_t rx_head, rx_len; /* first unread byte, and in-order bytes unread */
    uint8_t nooo;             /* out-of-order ranges held beyond rx_len */
    struct net_tcp_range ooo[NET_TCP_OOO_MAX];
    uint32_t ooo_recent; /* a sequence number of the latest out-of-order data (SACK's first) */

    /* SACK scoreboard (RFC 6675): ranges above SND.UNA the peer holds, sorted, apart. */
    uint8_t nsacked;
    struct net_tcp_range sacked[NET_TCP_OOO_MAX];
    uint32_t rxt_high; /* HighRxt: holes below it were retransmitted in this recovery */

    /* Send sequence space (RFC 9293 3.3.1); snd_max is the highest SND.NXT reached. */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    /* Receive sequence space; rcv_adv is the right edge last advertised (never shrunk). */
    uint32_t irs, rcv_nxt, rcv_adv;
    uint16_t mss;       /* largest segment we send (the peer's MSS option, our MTU) */
    uint8_t snd_wscale; /* shift applied to windows the peer sends */
    uint8_t rcv_wscale; /* shift applied to windows we send */
    bool ws_ok;         /* window scaling negotiated (both SYNs carried it) */
    bool ts_ok;         /* timestamps negotiated */
    bool sack_ok;       /* SACK negotiated (both SYNs carried SACK-permitted) */
    bool fin_queued;    /* shutdown: FIN follows the queued data */
    bool fin_sent;      /* FIN sent at least once: it is at SND.UNA + tx_len */
    bool rcv_fin;       /* the peer's FIN arrived in order: no more data */
    bool cookie;        /* opened from a SYN cookie (no window scaling, no timestamps) */
    uint32_t ts_recent, last_ack_sent;

    /* NewReno (RFC 5681, RFC 6582). */
    uint32_t cwnd, ssthresh, recover;
    uint8_t dupacks;
    bool in_recovery;
    /* RTT (RFC 6298), ms scaled: srtt8 = 8 SRTT, rttvar4 = 4 RTTVAR; 0 before a sample. */
    uint32_t srtt8, rttvar4, rto;
    bool rtt_timing; /* without timestamps: timing the segment at rtt_seq (Karn) */
    uint32_t rtt_seq;
    uint64_t rtt_start;
    uint8_t backoff; /* RTOs in a row without an ACK of new data */
    bool persist;    /* the retransmission timer runs as the zero-window probe timer */

    /* Delayed ACK: full segments received since our last ACK, and whether one is due now. */
    uint8_t unacked;
    bool ack_now;
    uint8_t keep_probes; /* keepalive or zero-window probes unanswered */
    uint64_t last_rx;    /* ms: the last segment accepted (keepalive idle time) */

    /* Timers, ms (NET_NO_DEADLINE: off). */
    uint64_t t_rexmt, t_delack, t_keep, t_close;

    /* Counters for tests and the status page. */
    uint32_t retransmits, fast_retransmits, timeouts, challenge_acks, dup_acks_rx;
};

/* The connection table and the buffer pool; block_used has one byte per NET_TCP_BLOCK of
 * pool (see NET_TCP_MEM_DEFINE). */
struct net_tcp_mem {
    struct net_tcp_conn *conns;
    size_t conn_count; /* 1..65535 */
    uint8_t *pool;
    size_t pool_len;
    uint8_t *block_used; /* pool_len / NET_TCP_BLOCK bytes */
};

#define NET_TCP_MEM_DEFINE(name, nconn, pool_bytes)                                                \
    static struct net_tcp_conn name##_conns[nconn];                                                \
    static uint8_t name##_pool[pool_bytes];                                                        \
    static uint8_t name##_used[(pool_bytes) / NET_TCP_BLOCK + 1];                                  \
    static const struct net_tcp_mem name = {name##_conns, (nconn), name##_pool, (pool_bytes),      \
                                            name##_used}

struct net_tcp_config {
    uint8_t isn_key[16]; /* secret for ISNs, SYN cookies and ports: from the CSPRNG */
    uint32_t msl_ms;     /* 0: NET_TCP_MSL_MS */
    uint32_t keepidle_ms, keepintvl_ms; /* 0: NET_TCP_KEEPIDLE_MS, NET_TCP_KEEPINTVL_MS */
    bool no_timestamps; /* do not offer timestamps (tests; peers that mishandle them) */
    bool no_wscale;     /* do not offer window scaling */
    bool no_sack;       /* do not offer SACK */
};

struct net_tcp_stats {
    uint64_t conns_opened, conns_accepted, conns_reset, conns_timed_out;
    uint64_t segs_in, segs_out, retransmits, fast_retransmits, timeouts;
    uint64_t cookies_sent, cookies_accepted, challenge_acks, resets_sent;
    uint64_t tw_reused;
};

struct net_tcp {
    struct net_tcp_config cfg;
    struct net_tcp_mem mem;
    size_t nblocks;
    struct net_tcp_stats stats;
    uint64_t challenge_tokens; /* thousandths of a challenge ACK (RFC 5961 7) */
    uint64_t challenge_last;   /* ms */
    uint32_t port_offset;      /* ephemeral port search: counter (RFC 6056 algorithm 3) */
    uint8_t seg[NET_MTU];      /* a segment being built */
};

/* Gives stack s TCP, with state t, cfg and the tables in mem (cleared). From now on TCP
 * segments reach TCP instead of being answered with ICMP protocol unreachable. Returns 0,
 * or -NET_EINVAL (no connection slot or more than 65,535, a pool smaller than two blocks,
 * or no block map). */
int net_tcp_init(struct net_stack *s, struct net_tcp *t, const struct net_tcp_config *cfg,
                 const struct net_tcp_mem *mem);

/* Opens a socket in CLOSED. Returns its handle (>= 0), -NET_EINVAL (no TCP on s) or
 * -NET_EAGAIN (every connection slot in use; TIME_WAIT slots are reused for it). */
int net_tcp_socket(struct net_stack *s);

/* Socket options (net_tcp_setopt). */
enum net_tcp_opt {
    NET_TCP_NODELAY = 1, /* value != 0: send small segments at once (no Nagle) */
    NET_SO_KEEPALIVE,    /* value != 0: probe an idle connection */
    NET_SO_SNDBUF,       /* send buffer bytes, 1..NET_TCP_BUF_MAX, rounded up to blocks */
    NET_SO_RCVBUF,       /* receive buffer bytes, likewise */
    NET_SO_REUSEADDR,    /* value != 0: bind a port that a non-listening connection holds */
};

/* Sets an option. Buffer sizes only before connect or listen. Returns 0, -NET_EBADF,
 * -NET_EINVAL (unknown option, size out of range), -NET_EISCONN (a size after connect). */
int net_tcp_setopt(struct net_stack *s, int sock, int opt, uint32_t value);

/* Binds a CLOSED socket to port (0: an ephemeral port chosen at connect). Returns 0,
 * -NET_EBADF, -NET_EISCONN (bound or connected already), -NET_EADDRINUSE (a listener has the
 * port, or a connection does and neither has NET_SO_REUSEADDR). */
int net_tcp_bind(struct net_stack *s, int sock, uint16_t port);

/* Makes a bound socket a listener with a queue of at most backlog connections handshaking
 * or waiting for net_tcp_accept (1..1024). When that queue is full, SYNs are answered with
 * SYN cookies: established connections are never evicted. Returns 0, -NET_EBADF,
 * -NET_EINVAL (not bound, backlog out of range), -NET_EISCONN (connected). */
int net_tcp_listen(struct net_stack *s, int sock, uint32_t backlog);

/* Takes an established connection from a listener. Returns its handle, -NET_EBADF,
 * -NET_EINVAL (not listening) or -NET_EAGAIN (none waiting). */
int net_tcp_accept(struct net_stack *s, int sock);

/* Opens a connection to dst:dport (active open): takes buffers from the pool, picks an
 * ephemeral port if unbound, sends a SYN. Returns 0 with the connection under way (the
 * socket becomes NET_TCP_WRITABLE when established, or reports an error), or -NET_EBADF,
 * -NET_EISCONN, -NET_EINVAL (dst not a unicast host, dport 0), -NET_EHOSTUNREACH (no
 * address), -NET_EADDRINUSE (the four-tuple is in use), -NET_EAGAIN (no ephemeral port),
 * -NET_ENOBUFS (pool exhausted). */
int net_tcp_connect(struct net_stack *s, uint64_t now, int sock, net_ip4_t dst, uint16_t dport);

/* Queues up to len bytes for sending and sends what the windows allow. Returns the bytes
 * queued (> 0), or -NET_EBADF, -NET_EAGAIN (send buffer full, or still connecting),
 * -NET_ENOTCONN (never connected, listening), -NET_EPIPE (after shutdown or when the
 * connection ended), or the pending error (-NET_ECONNRESET, -NET_ETIMEDOUT, ...) once. */
int net_tcp_send(struct net_stack *s, uint64_t now, int sock, const void *data, size_t len);

/* Reads up to len bytes. Returns the bytes read (> 0), 0 at the end of the stream (the
 * peer's FIN), or -NET_EBADF, -NET_EAGAIN, -NET_ENOTCONN, or the pending error once. */
int net_tcp_recv(struct net_stack *s, uint64_t now, int sock, void *buf, size_t len);

/* Shuts the sending half: a FIN follows the data queued. Receiving goes on. Returns 0,
 * -NET_EBADF or -NET_ENOTCONN. */
int net_tcp_shutdown(struct net_stack *s, uint64_t now, int sock);

/* Releases the handle. A connection closes gracefully (queued data, then FIN) and lives on
 * in the stack until done; unread received data, or a listener's unaccepted connections,
 * are reset instead (RFC 1122 4.2.2.13). Returns 0 or -NET_EBADF. */
int net_tcp_close(struct net_stack *s, uint64_t now, int sock);

/* Resets the connection (RST) and releases the handle. Returns 0 or -NET_EBADF. */
int net_tcp_abort(struct net_stack *s, uint64_t now, int sock);

/* Readiness (net_tcp_events). */
#define NET_TCP_READABLE 0x1   /* recv will not return -NET_EAGAIN */
#define NET_TCP_WRITABLE 0x2   /* send will queue at least one byte */
#define NET_TCP_ACCEPTABLE 0x4 /* accept will return a connection */
#define NET_TCP_ERROR 0x8      /* an error is pending */
#define NET_TCP_HUP 0x10       /* the peer's FIN came, or the connection ended */

/* Returns the NET_TCP_* readiness flags of a socket (0 for a bad handle). */
unsigned net_tcp_events(const struct net_stack *s, int sock);

/* Returns a socket's connection for reading its state and counters, or NULL. */
const struct net_tcp_conn *net_tcp_conn(const struct net_stack *s, int sock);

/* Checks TCP's invariants: every pool block used by exactly the connection that owns it,
 * ring lengths within capacity, sequence numbers ordered (SND.UNA <= SND.NXT <= SND.MAX),
 * out-of-order ranges sorted within the window, listener counts right. Returns true, or
 * false with why (why_len bytes). For tests and fuzzing. */
bool net_tcp_check(const struct net_stack *s, char *why, size_t why_len);
