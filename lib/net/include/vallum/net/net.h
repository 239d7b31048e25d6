/*
 * lib/net: an IPv4 stack as a library, one instance per component (docs/network.md).
 *
 * The stack allocates nothing. Its tables (ARP entries, packet buffers, reassembly slots,
 * UDP sockets) are arrays the component provides when it creates the stack, and the
 * stack never holds more than those. It is driven by three kinds of call, each given the
 * current time in milliseconds from any fixed origin (a monotonic clock, or a test's
 * virtual one):
 *
 *   net_input(s, now, frame, len)  a frame from the link, processed before returning;
 *   net_poll(s, now)               timers (ARP retries and expiry, reassembly timeouts);
 *                                  returns when it next wants to be called;
 *   net_udp_sendto(...), net_ping(...)  transmissions.
 *
 * The stack reaches the link through a netif of two callbacks (take a transmit buffer,
 * hand it back filled), so it can sit on lib/ring or on a test's virtual wire. A stack is
 * used by one thread; callbacks it makes (the netif, receive handlers) may transmit but
 * must not call net_input or net_poll.
 *
 * Errors are negative NET_E* values; dropped frames are counted per reason in
 * struct net_stats (enum net_drop in wire.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vallum/net/config.h>
#include <vallum/net/wire.h>

enum net_err {
    NET_OK = 0,
    NET_EINVAL = 1,       /* an argument is out of range */
    NET_ENOBUFS = 2,      /* no transmit or packet buffer free */
    NET_EADDRINUSE = 3,   /* the port is bound already */
    NET_EHOSTUNREACH = 4, /* no route: off-link destination and no gateway, or no address */
    NET_EMSGSIZE = 5,     /* datagram larger than IPv4 can carry */
    NET_EAGAIN = 6,       /* no free socket or ephemeral port */
    NET_EBADF = 7,        /* not a bound socket */
    /* TCP (tcp.h) */
    NET_ENOTCONN = 8,      /* the connection is not (or no longer) established */
    NET_EISCONN = 9,       /* the socket is connected or listening already */
    NET_ECONNREFUSED = 10, /* the peer answered the SYN with a reset */
    NET_ECONNRESET = 11,   /* the peer reset the connection */
    NET_ETIMEDOUT = 12,    /* retransmissions or keepalives went unanswered */
    NET_EPIPE = 13,        /* sending after shutdown */
};

/* Returns a constant name for a NET_E* value given positive or negative. */
const char *net_strerror(int err);

/* No deadline: net_poll returns this when no timer runs. */
#define NET_NO_DEADLINE UINT64_MAX

/* The link. tx_acquire returns a buffer of at least NET_FRAME_MAX bytes for one frame (its
 * size in *cap), or NULL when none is free; tx_submit hands it back holding len bytes to
 * send, and every buffer acquired is submitted before the stack's call returns. */
struct net_netif {
    uint8_t *(*tx_acquire)(void *ctx, size_t *cap);
    void (*tx_submit)(void *ctx, uint8_t *buf, size_t len);
    void *ctx;
};

/* --- Memory the component provides (see NET_MEM_DEFINE) ------------------------------- */
/* The fields of these structs are the library's; a component only declares the arrays. */

#define NET_PKT_NONE 0xffffu

/* Where a packet buffer is: exactly one place at any time (net_check verifies it). */
enum net_pkt_owner {
    NET_PKT_FREE = 0,
    NET_PKT_ARP,   /* a frame waiting for its next hop's MAC */
    NET_PKT_REASS, /* a fragment waiting for the rest of its datagram */
};

struct net_pkt {
    uint16_t next;      /* next packet in the same list, or NET_PKT_NONE */
    uint16_t len;       /* bytes of data in use */
    uint16_t frag_off;  /* NET_PKT_REASS: the fragment's offset in its datagram, bytes */
    uint8_t owner;      /* enum net_pkt_owner */
    uint8_t check_mark; /* net_check's mark while it runs; means nothing elsewhere */
    uint8_t data[NET_FRAME_MAX];
};

enum net_arp_state {
    NET_ARP_FREE = 0,
    NET_ARP_INCOMPLETE, /* request sent, packets may wait in pending */
    NET_ARP_REACHABLE,  /* mac is valid until deadline */
};

struct net_arp_entry {
    net_ip4_t ip;
    struct net_mac mac;
    uint8_t state;                                      /* enum net_arp_state */
    uint8_t tries;                                      /* requests sent (INCOMPLETE) */
    uint16_t pending_head, pending_tail, pending_count; /* waiting frames, oldest first */
    uint64_t deadline; /* ms: INCOMPLETE, next request; REACHABLE, expiry */
    uint64_t created;  /* ms: the oldest entry is replaced first when the table is full */
};

struct net_reass {
    bool used;
    uint8_t proto;
    uint8_t nfrags; /* fragments held, in frag[] in arrival order */
    bool have_last; /* the fragment without MF arrived: total_len is known */
    uint16_t id;
    uint16_t total_len; /* payload bytes of the whole datagram, once have_last */
    net_ip4_t src, dst;
    uint64_t deadline; /* ms: given up at this time */
    uint16_t frag[NET_REASS_MAX_FRAGS];
};

typedef void (*net_udp_recv_fn)(void *ctx, int sock, net_ip4_t src, uint16_t sport,
                                const uint8_t *data, size_t len);
typedef void (*net_echo_reply_fn)(void *ctx, net_ip4_t src, uint16_t id, uint16_t seq,
                                  const uint8_t *data, size_t len);

struct net_udp_sock {
    uint16_t port; /* 0: free */
    net_udp_recv_fn recv;
    void *ctx;
};

/* The tables a stack uses; each count is at least 1 (reass_count and reass_buf_len may be
 * 0: the stack then drops every fragment). reass_buf_len bytes hold one datagram while it
 * is put together, so it is the largest fragmented datagram accepted (at most 65,535). */
struct net_mem {
    struct net_arp_entry *arp;
    size_t arp_count;
    struct net_pkt *pkts;
    size_t pkt_count; /* at most NET_PKT_NONE */
    struct net_reass *reass;
    size_t reass_count;
    uint8_t *reass_buf;
    size_t reass_buf_len;
    struct net_udp_sock *udp;
    size_t udp_count;
};

/* Defines static arrays and a struct net_mem named name that points at them. */
#define NET_MEM_DEFINE(name, narp, npkt, nreass, reass_bytes, nudp)                                \
    static struct net_arp_entry name##_arp[narp];                                                  \
    static struct net_pkt name##_pkts[npkt];                                                       \
    static struct net_reass name##_reass[(nreass) ? (nreass) : 1];                                 \
    static uint8_t name##_reass_buf[(reass_bytes) ? (reass_bytes) : 1];                            \
    static struct net_udp_sock name##_udp[nudp];                                                   \
    static const struct net_mem name = {name##_arp,   (narp),   name##_pkts,      (npkt),          \
                                        name##_reass, (nreass), name##_reass_buf, (reass_bytes),   \
                                        name##_udp,   (nudp)}

struct net_tcp; /* tcp.h */

/* --- Configuration and state ----------------------------------------------------------- */

struct net_config {
    struct net_mac mac;       /* unicast */
    net_ip4_t addr;           /* 0: no address yet (then every destination is accepted, for DHCP) */
    net_ip4_t netmask;        /* contiguous */
    net_ip4_t gateway;        /* 0: none, only on-link destinations are reachable */
    uint8_t ttl;              /* 0: NET_DEFAULT_TTL */
    uint16_t ip_id_seed;      /* first IPv4 identification (from the component's entropy) */
    uint16_t ephemeral_seed;  /* first ephemeral UDP port tried: NET_EPHEMERAL_FIRST + this
                                 mod the range (from the component's entropy; RFC 6056) */
    uint32_t reass_budget;    /* packet buffers reassembly may hold at once; 0: half the pool */
    uint32_t icmp_rate_per_s; /* 0: NET_ICMP_RATE_PER_S */
    uint32_t icmp_burst;      /* 0: NET_ICMP_BURST */
};

struct net_stats {
    uint64_t rx_frames;
    uint64_t tx_frames;
    uint64_t rx_drops[NET_DROP_COUNT]; /* index enum net_drop; [0] unused */
    uint64_t icmp_echo_replied;
    uint64_t icmp_errors_sent;
    uint64_t reassembled;
    uint64_t udp_delivered;
    uint64_t arp_requests_sent;
    uint64_t arp_replies_sent;
};

struct net_stack {
    struct net_config cfg;
    struct net_mem mem;
    struct net_netif netif;
    struct net_stats stats;
    uint64_t now;       /* ms: the time given to the last net_input or net_poll */
    uint16_t free_head; /* free packet list */
    uint16_t free_count;
    uint16_t reass_held; /* packets held by reassembly */
    uint16_t ip_id;      /* next IPv4 identification */
    uint16_t next_ephemeral;
    uint64_t icmp_tokens; /* thousandths of an ICMP error */
    uint64_t icmp_last;   /* ms: when icmp_tokens was last refilled */
    net_echo_reply_fn echo_reply;
    void *echo_ctx;
    struct net_tcp *tcp; /* TCP's state (net_tcp_init), or NULL: TCP is refused */
};

/* Creates a stack in s with cfg, the tables in mem and the link netif. Every table entry
 * is cleared; the tables stay the stack's until the component stops using s. Returns 0,
 * or -NET_EINVAL if a count is 0 or too large, the MAC is multicast, the netmask is not
 * contiguous, or the address is not a host's. */
int net_init(struct net_stack *s, const struct net_config *cfg, const struct net_mem *mem,
             const struct net_netif *netif);

/* Changes the address, netmask and gateway (a DHCP lease). Every ARP entry is forgotten
 * (their waiting packets are dropped) since the neighbours may have changed. Returns 0 or
 * -NET_EINVAL as net_init. */
int net_set_addr(struct net_stack *s, net_ip4_t addr, net_ip4_t netmask, net_ip4_t gateway);

/* Processes one received frame of len bytes (no frame check sequence): answers ARP and
 * echo requests, learns neighbours, reassembles fragments, sends ICMP errors and hands
 * UDP datagrams to their sockets' handlers before returning. The frame is only read, and
 * not kept after the call. Any bytes are safe; what is not accepted is counted in
 * s->stats.rx_drops. */
void net_input(struct net_stack *s, uint64_t now, const uint8_t *frame, size_t len);

/* Runs the timers due at now: ARP retries and expiry (dropping the packets of neighbours
 * that never answer) and reassembly timeouts. Returns the time of the next timer, or
 * NET_NO_DEADLINE; calling earlier is harmless. Input and transmission may start timers,
 * so the component calls net_poll after them and waits until what it returns. */
uint64_t net_poll(struct net_stack *s, uint64_t now);

/* Binds a UDP socket to port (0: a free ephemeral port). recv is called for each datagram
 * to the port, with data valid only during the call. Returns the socket (>= 0), or
 * -NET_EINVAL (recv NULL), -NET_EADDRINUSE, -NET_EAGAIN (no free socket or ephemeral port). */
int net_udp_bind(struct net_stack *s, uint16_t port, net_udp_recv_fn recv, void *ctx);

/* Returns the port of a bound socket, or 0 if sock is not one. */
uint16_t net_udp_port(const struct net_stack *s, int sock);

/* Closes a socket. Returns 0 or -NET_EBADF. */
int net_udp_close(struct net_stack *s, int sock);

/* Sends len bytes from socket sock to dst:dport, fragmented if larger than a frame. If the
 * next hop's MAC is not known the frames wait (at most NET_ARP_PENDING_MAX, oldest dropped
 * first) while ARP asks; a datagram of more fragments than may wait is refused with
 * -NET_ENOBUFS (ARP still asks, so a later retry can go). Returns 0, or -NET_EBADF,
 * -NET_EINVAL (dport 0 or dst not a host's address other than broadcast), -NET_EMSGSIZE
 * (over 65,507 bytes), -NET_EHOSTUNREACH, -NET_ENOBUFS (no transmit or packet buffer;
 * fragments already sent stay sent). */
int net_udp_sendto(struct net_stack *s, uint64_t now, int sock, net_ip4_t dst, uint16_t dport,
                   const void *data, size_t len);

/* Sends an ICMP echo request to dst with identifier id, sequence seq and len bytes of
 * data. Returns as net_udp_sendto. Replies go to the handler set by net_set_echo_handler. */
int net_ping(struct net_stack *s, uint64_t now, net_ip4_t dst, uint16_t id, uint16_t seq,
             const void *data, size_t len);

/* Sets the handler for echo replies (NULL: replies are counted as unhandled). */
void net_set_echo_handler(struct net_stack *s, net_echo_reply_fn fn, void *ctx);

/* Checks the stack's invariants: every packet buffer in exactly one place (free list, one
 * ARP entry's queue, one reassembly slot) and the counts of each place right, no queue or
 * slot over its bound, and every table entry well-formed. Returns true, or false with the
 * first broken invariant described in why (why_len bytes). Costs time linear in the tables:
 * for tests and fuzzing, not the packet path. */
bool net_check(const struct net_stack *s, char *why, size_t why_len);

/* Packet buffers on the free list (for tests: every buffer is free again once timers ran). */
static inline size_t
net_pkts_free(const struct net_stack *s)
{
    return s->free_count;
}
