/*
 * lib/net's tunable sizes and times, each with its default. A component may override a
 * default by defining the macro before any lib/net header is included (for example with
 * -D on the command line); lib/net and its users must then agree on the value. Table
 * sizes (ARP entries, packet buffers, reassembly slots, sockets) are not here: the
 * component chooses them when it creates the stack (struct net_mem in net.h).
 */
#pragma once

/* Largest IPv4 packet the link carries, in bytes (Ethernet's MTU). */
#ifndef NET_MTU
#define NET_MTU 1500
#endif

/* Largest frame, in bytes, without the frame check sequence: MTU plus Ethernet header. */
#define NET_FRAME_MAX (NET_MTU + 14)

/* Time-to-live of datagrams the stack sends when the configuration gives none. */
#ifndef NET_DEFAULT_TTL
#define NET_DEFAULT_TTL 64
#endif

/* How long a resolved ARP entry is trusted, in milliseconds (Linux keeps ~30 s). */
#ifndef NET_ARP_REACHABLE_MS
#define NET_ARP_REACHABLE_MS 30000
#endif

/* Interval between ARP requests for an unresolved address, in milliseconds. */
#ifndef NET_ARP_RETRY_MS
#define NET_ARP_RETRY_MS 1000
#endif

/* ARP requests sent for one address before its waiting packets are dropped. */
#ifndef NET_ARP_TRIES
#define NET_ARP_TRIES 3
#endif

/* Packets held while one address is resolved; RFC 1122 2.3.2.2 asks for at least one.
 * When full, the oldest is dropped to make room for the newest. */
#ifndef NET_ARP_PENDING_MAX
#define NET_ARP_PENDING_MAX 4
#endif

/* How long a datagram's fragments are kept waiting for the rest, in milliseconds,
 * counted from its first fragment (not extended by later ones, so a sender that trickles
 * fragments forever cannot hold memory forever). RFC 791 suggests 15 s; Linux uses 30 s. */
#ifndef NET_REASS_TIMEOUT_MS
#define NET_REASS_TIMEOUT_MS 30000
#endif

/* Fragments one datagram may hold. 45 fragments of an MTU-sized link carry the largest
 * datagram (65,515 bytes of payload); more means tiny or overlapping fragments. */
#ifndef NET_REASS_MAX_FRAGS
#define NET_REASS_MAX_FRAGS 48
#endif

/* ICMP errors the stack may send per second on average, and in a burst (RFC 1812 4.3.2.8
 * asks for a limit; Linux's default is 1000/s with a burst of 50). */
#ifndef NET_ICMP_RATE_PER_S
#define NET_ICMP_RATE_PER_S 100
#endif
#ifndef NET_ICMP_BURST
#define NET_ICMP_BURST 10
#endif

/* First and last port handed out by net_udp_bind(port 0) (RFC 6335's dynamic range). */
#define NET_EPHEMERAL_FIRST 49152
#define NET_EPHEMERAL_LAST 65535

/* --- TCP (tcp.h, docs/tcp.md) ---------------------------------------------------------- */

/* Connection buffers are carved from the component's pool in blocks of this many bytes. */
#ifndef NET_TCP_BLOCK
#define NET_TCP_BLOCK 2048
#endif

/* Send and receive buffer of a socket unless NET_SO_SNDBUF / NET_SO_RCVBUF says otherwise. */
#ifndef NET_TCP_BUF_DEFAULT
#define NET_TCP_BUF_DEFAULT 65536
#endif

/* Largest send or receive buffer of one connection: window scaling (shift 14) reaches 1 GiB,
 * but a bounded shift keeps the arithmetic of a window in 32 bits with room to spare. */
#define NET_TCP_BUF_MAX (16u << 20)

/* Maximum segment lifetime, milliseconds; TIME_WAIT lasts twice this (RFC 9293 3.4.2
 * suggests 2 minutes; Linux holds TIME_WAIT 60 s). The stack's config may change it. */
#ifndef NET_TCP_MSL_MS
#define NET_TCP_MSL_MS 30000
#endif

/* RFC 6298's timer: the first RTO, its floor and its ceiling, milliseconds. 2.4 asks for
 * a 1 s floor; like Linux we use 200 ms, since timers here are exact, not 500 ms ticks. */
#ifndef NET_TCP_RTO_INIT_MS
#define NET_TCP_RTO_INIT_MS 1000
#endif
#ifndef NET_TCP_RTO_MIN_MS
#define NET_TCP_RTO_MIN_MS 200
#endif
#ifndef NET_TCP_RTO_MAX_MS
#define NET_TCP_RTO_MAX_MS 60000
#endif

/* Retransmissions of one segment before the connection is given up (RFC 1122 4.2.3.5's
 * R2; 12 backed-off RTOs are several minutes), and of a SYN (R2 for SYNs: >= 3 minutes
 * there; fewer here since a listener that never answers is usually gone). */
#ifndef NET_TCP_RETRIES
#define NET_TCP_RETRIES 12
#endif
#ifndef NET_TCP_SYN_RETRIES
#define NET_TCP_SYN_RETRIES 6
#endif

/* Delayed ACKs (RFC 1122 4.2.3.2: under 500 ms, at least every second full segment). */
#ifndef NET_TCP_DELACK_MS
#define NET_TCP_DELACK_MS 40
#endif

/* Keepalive: idle time before the first probe, interval, probes unanswered before the
 * connection is given up (RFC 1122 4.2.3.6: idle at least 2 hours by default). */
#ifndef NET_TCP_KEEPIDLE_MS
#define NET_TCP_KEEPIDLE_MS 7200000
#endif
#ifndef NET_TCP_KEEPINTVL_MS
#define NET_TCP_KEEPINTVL_MS 75000
#endif
#ifndef NET_TCP_KEEPCNT
#define NET_TCP_KEEPCNT 9
#endif

/* How long a connection closed by its component may sit in FIN_WAIT_2 waiting for the
 * peer's FIN (nobody can read what would follow; Linux: 60 s). */
#ifndef NET_TCP_FIN_WAIT2_MS
#define NET_TCP_FIN_WAIT2_MS 60000
#endif

/* Out-of-order ranges a connection keeps in its receive buffer; data that would need
 * more is dropped (the sender retransmits it). */
#ifndef NET_TCP_OOO_MAX
#define NET_TCP_OOO_MAX 8
#endif

/* Challenge ACKs per second for the whole stack (RFC 5961 7; Linux: 1000/s). */
#ifndef NET_TCP_CHALLENGE_PER_S
#define NET_TCP_CHALLENGE_PER_S 100
#endif

/* SYN cookies: the cookie's time counter advances every this many ms, and a cookie is
 * honoured for this counter and the one before (so for 64 to 128 s). */
#define NET_TCP_COOKIE_PERIOD_MS 64000
