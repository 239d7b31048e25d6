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
