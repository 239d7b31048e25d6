/*
 * Wire formats of lib/net: Ethernet, ARP, IPv4, ICMP and UDP. Each format has one table of
 * offsets, a parse that checks untrusted bytes into a checked struct (returning the reason
 * it rejects them), and an emit that writes the struct back as bytes. Parsers read only
 * within the length they are given and never write; multi-byte fields are read byte by
 * byte, so a frame may start at any address. Addresses and numbers in the structs are in
 * host byte order.
 *
 * The layers above (iface/, socket/) use nothing from a frame that a parser here has not
 * checked. IPv6 will add its own file here and a value of struct net_eth.type.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a frame was dropped: a parser's rejection or a decision of the stack. Counted per
 * reason in struct net_stats; net_drop_name() gives each a name. */
enum net_drop {
    NET_DROP_NONE = 0,
    NET_DROP_ETH_SHORT,        /* shorter than an Ethernet header */
    NET_DROP_ETH_LONG,         /* longer than NET_FRAME_MAX */
    NET_DROP_ETH_NOT_US,       /* destination neither our MAC nor broadcast */
    NET_DROP_ETH_SRC,          /* source MAC is multicast or broadcast */
    NET_DROP_ETH_TYPE,         /* EtherType we do not speak (IPv6, VLAN, 802.3 length) */
    NET_DROP_ARP_SHORT,        /* fewer than 28 bytes of ARP */
    NET_DROP_ARP_FORMAT,       /* not Ethernet/IPv4 ARP (hardware, protocol, lengths) */
    NET_DROP_ARP_OP,           /* neither request nor reply */
    NET_DROP_ARP_SENDER,       /* sender MAC or IPv4 address not a unicast host's */
    NET_DROP_ARP_NOT_US,       /* not for us and nothing of ours to update */
    NET_DROP_IP_SHORT,         /* fewer bytes than the header or the total length says */
    NET_DROP_IP_VERSION,       /* version is not 4 */
    NET_DROP_IP_IHL,           /* header length under 20 bytes */
    NET_DROP_IP_LENGTH,        /* total length under the header length */
    NET_DROP_IP_CHECKSUM,      /* header checksum wrong */
    NET_DROP_IP_OPTIONS,       /* an option runs past the header or has a bad length */
    NET_DROP_IP_SOURCE_ROUTE,  /* loose or strict source route: hosts must not forward */
    NET_DROP_IP_FRAGMENT,      /* fragment beyond 65,535 bytes, or a non-last one not 8-aligned */
    NET_DROP_IP_SRC,           /* source address is multicast, broadcast, loopback or ours */
    NET_DROP_IP_NOT_US,        /* destination is not our address nor a broadcast */
    NET_DROP_IP_PROTO,         /* protocol the stack does not speak */
    NET_DROP_FRAG_DUPLICATE,   /* fragment wholly covered by one already held */
    NET_DROP_FRAG_CONFLICT,    /* fragments disagree about the datagram's length */
    NET_DROP_FRAG_TOO_BIG,     /* datagram larger than the assembly buffer */
    NET_DROP_FRAG_TOO_MANY,    /* more than NET_REASS_MAX_FRAGS fragments */
    NET_DROP_FRAG_NO_BUFFER,   /* reassembly budget or packet pool exhausted */
    NET_DROP_FRAG_EVICTED,     /* datagram given up to make room for a newer one */
    NET_DROP_FRAG_TIMEOUT,     /* datagram incomplete after NET_REASS_TIMEOUT_MS */
    NET_DROP_ICMP_SHORT,       /* fewer than 8 bytes of ICMP */
    NET_DROP_ICMP_CHECKSUM,    /* ICMP checksum wrong */
    NET_DROP_ICMP_BROADCAST,   /* echo request to a broadcast address (no smurf replies) */
    NET_DROP_ICMP_UNHANDLED,   /* a type the stack does not act on */
    NET_DROP_UDP_SHORT,        /* fewer than 8 bytes of UDP */
    NET_DROP_UDP_LENGTH,       /* UDP length under 8 or beyond the IP payload */
    NET_DROP_UDP_CHECKSUM,     /* UDP checksum wrong */
    NET_DROP_UDP_NO_PORT,      /* no socket bound to the destination port */
    NET_DROP_ARP_PENDING_FULL, /* oldest packet waiting for ARP dropped for a newer one */
    NET_DROP_ARP_UNRESOLVED,   /* waiting packet dropped: no ARP answer after NET_ARP_TRIES */
    NET_DROP_ARP_NO_ENTRY,     /* waiting packet dropped: every ARP entry waits already */
    NET_DROP_TX_NO_BUFFER,     /* the link had no transmit buffer */
    NET_DROP_ICMP_RATE,        /* ICMP error not sent: over the rate limit */
    NET_DROP_TCP_SHORT,        /* fewer than 20 bytes of TCP, or data offset past the segment */
    NET_DROP_TCP_CHECKSUM,     /* TCP checksum wrong */
    NET_DROP_TCP_OPTIONS,      /* an option runs past the header or has a bad length */
    NET_DROP_TCP_FLAGS,        /* a flag combination no state accepts (no ACK, SYN+RST, ...) */
    NET_DROP_TCP_BROADCAST,    /* TCP to a broadcast address */
    NET_DROP_TCP_NO_SOCKET,    /* no connection nor listener (answered with a reset) */
    NET_DROP_TCP_SEQ,          /* outside the receive window (answered with an ACK) */
    NET_DROP_TCP_ACK,          /* acknowledges what was never sent, or too old (RFC 5961 5.2) */
    NET_DROP_TCP_PAWS,         /* timestamp older than the connection's (RFC 7323 5) */
    NET_DROP_TCP_RST,          /* reset not exactly at RCV.NXT (challenged, RFC 5961 3) */
    NET_DROP_TCP_SYN,          /* SYN on a synchronized connection (challenged, RFC 5961 4) */
    NET_DROP_TCP_COOKIE,       /* ACK to a listener without a valid SYN cookie */
    NET_DROP_TCP_NO_MEMORY,    /* valid cookie, but no connection or buffer free (reset) */
    NET_DROP_TCP_OOO_FULL,     /* out-of-order data beyond what the connection tracks */
    NET_DROP_COUNT
};

/* Returns a short constant name for a drop reason ("ip_checksum"), or "?" if out of range. */
const char *net_drop_name(enum net_drop reason);

/* An IPv4 address in host byte order (10.0.2.15 is 0x0a00020f). */
typedef uint32_t net_ip4_t;

#define NET_IP4(a, b, c, d)                                                                        \
    ((net_ip4_t)(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) |            \
                 (uint32_t)(d)))
#define NET_IP4_BROADCAST 0xffffffffu

struct net_mac {
    uint8_t b[6];
};

/* True for the broadcast address and every group address (low bit of the first byte). */
static inline bool
net_mac_is_multicast(const struct net_mac *m)
{
    return (m->b[0] & 1) != 0;
}

static inline bool
net_mac_equal(const struct net_mac *a, const struct net_mac *b)
{
    return a->b[0] == b->b[0] && a->b[1] == b->b[1] && a->b[2] == b->b[2] && a->b[3] == b->b[3] &&
           a->b[4] == b->b[4] && a->b[5] == b->b[5];
}

/* Big-endian field access at any alignment. */
static inline uint16_t
net_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
net_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void
net_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void
net_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* --- Internet checksum (RFC 1071) ------------------------------------------------------ */

/* Adds len bytes at p to a running 32-bit one's-complement sum, as 16-bit big-endian words
 * (an odd last byte is padded with zero). Start with sum 0 or a pseudo-header's sum. */
uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len);

/* Adds the IPv4 pseudo-header (RFC 768) of a transport segment of len bytes. */
uint32_t net_csum_pseudo(uint32_t sum, net_ip4_t src, net_ip4_t dst, uint8_t proto, size_t len);

/* Folds a running sum to 16 bits and complements it: the value to store in a checksum
 * field, and 0 when a sum over data including a correct checksum field is checked. */
uint16_t net_csum_finish(uint32_t sum);

/* --- Ethernet II ----------------------------------------------------------------------- */

enum {
    NET_ETH_DST = 0,   /* 6 bytes */
    NET_ETH_SRC = 6,   /* 6 bytes */
    NET_ETH_TYPE = 12, /* 2 bytes */
    NET_ETH_HDR_LEN = 14,
};

#define NET_ETHERTYPE_IPV4 0x0800
#define NET_ETHERTYPE_ARP 0x0806
#define NET_ETHERTYPE_IPV6 0x86dd

struct net_eth {
    struct net_mac dst;
    struct net_mac src;
    uint16_t type;
};

/* Parses an Ethernet header. Checks only the length and that the source is a unicast
 * address: which destinations and types to accept is the interface's decision.
 * Returns 0, or -NET_DROP_ETH_SHORT, -NET_DROP_ETH_LONG, -NET_DROP_ETH_SRC. */
int net_eth_parse(const uint8_t *frame, size_t len, struct net_eth *out);

/* Writes h as the first NET_ETH_HDR_LEN bytes of frame. */
void net_eth_emit(uint8_t *frame, const struct net_eth *h);

/* --- ARP for IPv4 over Ethernet (RFC 826) ---------------------------------------------- */

enum {
    NET_ARP_HTYPE = 0, /* 2 bytes: 1, Ethernet */
    NET_ARP_PTYPE = 2, /* 2 bytes: 0x0800, IPv4 */
    NET_ARP_HLEN = 4,  /* 1 byte: 6 */
    NET_ARP_PLEN = 5,  /* 1 byte: 4 */
    NET_ARP_OPER = 6,  /* 2 bytes */
    NET_ARP_SHA = 8,   /* 6 bytes: sender hardware address */
    NET_ARP_SPA = 14,  /* 4 bytes: sender protocol address */
    NET_ARP_THA = 18,  /* 6 bytes: target hardware address */
    NET_ARP_TPA = 24,  /* 4 bytes: target protocol address */
    NET_ARP_LEN = 28,
};

#define NET_ARP_REQUEST 1
#define NET_ARP_REPLY 2

struct net_arp {
    uint16_t op;
    struct net_mac sha;
    net_ip4_t spa;
    struct net_mac tha;
    net_ip4_t tpa;
};

/* Parses an ARP packet (the Ethernet payload; trailing padding is ignored). Returns 0,
 * or -NET_DROP_ARP_SHORT, -NET_DROP_ARP_FORMAT, -NET_DROP_ARP_OP, -NET_DROP_ARP_SENDER
 * (sender MAC multicast, or sender address multicast or limited broadcast). A sender
 * address of 0.0.0.0 (an RFC 5227 probe) is accepted: the caller must not learn from it. */
int net_arp_parse(const uint8_t *p, size_t len, struct net_arp *out);

/* Writes a as NET_ARP_LEN bytes at p. */
void net_arp_emit(uint8_t *p, const struct net_arp *a);

/* --- IPv4 (RFC 791) -------------------------------------------------------------------- */

enum {
    NET_IP_VER_IHL = 0,  /* 1 byte: version (high 4 bits), header length in words */
    NET_IP_TOS = 1,      /* 1 byte */
    NET_IP_LEN = 2,      /* 2 bytes: total length, header included */
    NET_IP_ID = 4,       /* 2 bytes */
    NET_IP_FRAG = 6,     /* 2 bytes: flags (reserved, DF, MF) and offset in 8-byte units */
    NET_IP_TTL = 8,      /* 1 byte */
    NET_IP_PROTO = 9,    /* 1 byte */
    NET_IP_CSUM = 10,    /* 2 bytes */
    NET_IP_SRC = 12,     /* 4 bytes */
    NET_IP_DST = 16,     /* 4 bytes */
    NET_IP_HDR_LEN = 20, /* without options */
    NET_IP_HDR_MAX = 60,
};

#define NET_IP_FLAG_DF 0x4000
#define NET_IP_FLAG_MF 0x2000
#define NET_IP_OFFSET_MASK 0x1fff
#define NET_IP_MAX_LEN 65535

#define NET_PROTO_ICMP 1
#define NET_PROTO_TCP 6
#define NET_PROTO_UDP 17

struct net_ipv4 {
    uint8_t hdr_len; /* bytes, 20..60 */
    uint8_t tos;
    uint16_t total_len; /* bytes, header included; at most the bytes given to the parser */
    uint16_t id;
    bool df;
    bool mf;
    uint16_t frag_off; /* bytes */
    uint8_t ttl;
    uint8_t proto;
    net_ip4_t src;
    net_ip4_t dst;
};

/* Parses and checks an IPv4 header: version, header length, total length within len
 * (bytes beyond it are link padding), header checksum, every option's length, no source
 * route, and a fragment that stays within 65,535 bytes with a non-last fragment's length
 * a multiple of 8. Addresses are the interface's to judge. Returns 0 or -NET_DROP_IP_*. */
int net_ipv4_parse(const uint8_t *p, size_t len, struct net_ipv4 *out);

/* Writes a 20-byte header (h->hdr_len is ignored; no options) with its checksum at p. */
void net_ipv4_emit(uint8_t *p, const struct net_ipv4 *h);

/* True for multicast (224/4), reserved (240/4) and limited broadcast addresses: none is a
 * single host's, so none may be a source, and the stack answers none. */
static inline bool
net_ip4_is_multicast_or_reserved(net_ip4_t a)
{
    return (a >> 28) >= 0xe;
}

/* --- ICMP (RFC 792) -------------------------------------------------------------------- */

enum {
    NET_ICMP_TYPE = 0, /* 1 byte */
    NET_ICMP_CODE = 1, /* 1 byte */
    NET_ICMP_CSUM = 2, /* 2 bytes, over the whole message */
    NET_ICMP_REST = 4, /* 4 bytes: echo identifier and sequence, or unused/pointer */
    NET_ICMP_HDR_LEN = 8,
};

#define NET_ICMP_ECHO_REPLY 0
#define NET_ICMP_DEST_UNREACH 3
#define NET_ICMP_ECHO_REQUEST 8
#define NET_ICMP_TIME_EXCEEDED 11
#define NET_ICMP_PARAM_PROBLEM 12

#define NET_ICMP_UNREACH_PROTO 2
#define NET_ICMP_UNREACH_PORT 3
#define NET_ICMP_EXCEEDED_REASS 1

struct net_icmp {
    uint8_t type;
    uint8_t code;
    uint32_t rest;       /* bytes 4..7 as one big-endian word */
    const uint8_t *data; /* what follows the header, within the parsed bytes */
    size_t data_len;
};

/* Parses an ICMP message of exactly len bytes and checks its checksum. Returns 0,
 * -NET_DROP_ICMP_SHORT or -NET_DROP_ICMP_CHECKSUM. */
int net_icmp_parse(const uint8_t *p, size_t len, struct net_icmp *out);

/* Writes type, code and rest at p and the checksum over the NET_ICMP_HDR_LEN + data_len
 * bytes at p (the data must already be at p + NET_ICMP_HDR_LEN). */
void net_icmp_emit(uint8_t *p, const struct net_icmp *h, size_t data_len);

/* --- UDP (RFC 768) --------------------------------------------------------------------- */

enum {
    NET_UDP_SPORT = 0, /* 2 bytes */
    NET_UDP_DPORT = 2, /* 2 bytes */
    NET_UDP_LEN = 4,   /* 2 bytes: header and payload */
    NET_UDP_CSUM = 6,  /* 2 bytes; 0 means none was computed */
    NET_UDP_HDR_LEN = 8,
};

struct net_udp {
    uint16_t sport;
    uint16_t dport;
    const uint8_t *payload; /* within the parsed bytes */
    size_t payload_len;
};

/* Parses a UDP datagram carried in len bytes of IPv4 payload from src to dst: the UDP
 * length must be at least 8 and at most len (bytes beyond it are ignored, RFC 768), and a
 * non-zero checksum must verify. Returns 0 or -NET_DROP_UDP_SHORT, -NET_DROP_UDP_LENGTH,
 * -NET_DROP_UDP_CHECKSUM. */
int net_udp_parse(const uint8_t *p, size_t len, net_ip4_t src, net_ip4_t dst, struct net_udp *out);

/* Returns the checksum field for a UDP header (ports and length filled in, checksum
 * zero) and payload, from src to dst; a computed 0 is sent as 0xffff (RFC 768). */
uint16_t net_udp_checksum(const uint8_t *hdr, const uint8_t *payload, size_t payload_len,
                          net_ip4_t src, net_ip4_t dst);

/* Writes a UDP header for payload_len bytes, checksum field zero, at hdr. */
void net_udp_emit_header(uint8_t *hdr, uint16_t sport, uint16_t dport, size_t payload_len);

/* --- TCP (RFC 9293, options of RFC 7323 and RFC 2018) ---------------------------------- */

enum {
    NET_TCP_SPORT = 0, /* 2 bytes */
    NET_TCP_DPORT = 2, /* 2 bytes */
    NET_TCP_SEQ = 4,   /* 4 bytes */
    NET_TCP_ACK = 8,   /* 4 bytes */
    NET_TCP_OFF = 12,  /* 1 byte: data offset in words (high 4 bits) */
    NET_TCP_FLAGS = 13,
    NET_TCP_WND = 14,  /* 2 bytes */
    NET_TCP_CSUM = 16, /* 2 bytes, over pseudo-header, header and data */
    NET_TCP_URP = 18,  /* 2 bytes */
    NET_TCP_HDR_LEN = 20,
    NET_TCP_HDR_MAX = 60,
};

#define NET_TCP_FIN 0x01
#define NET_TCP_SYN 0x02
#define NET_TCP_RST 0x04
#define NET_TCP_PSH 0x08
#define NET_TCP_ACKF 0x10
#define NET_TCP_URG 0x20

#define NET_TCP_OPT_EOL 0
#define NET_TCP_OPT_NOP 1
#define NET_TCP_OPT_MSS 2     /* length 4 */
#define NET_TCP_OPT_WSCALE 3  /* length 3 */
#define NET_TCP_OPT_SACK_OK 4 /* length 2 */
#define NET_TCP_OPT_SACK 5    /* length 2 + 8n */
#define NET_TCP_OPT_TS 8      /* length 10 */
#define NET_TCP_WSCALE_MAX 14 /* RFC 7323 2.3: larger shifts are taken as 14 */
#define NET_TCP_SACK_BLOCKS 4 /* the most a 40-byte option space holds */

struct net_tcp_seg {
    uint16_t sport;
    uint16_t dport;
    uint32_t seq;
    uint32_t ack;
    uint8_t flags; /* NET_TCP_FIN ... NET_TCP_URG; the reserved bits are ignored */
    uint16_t wnd;  /* as sent: not scaled */
    uint16_t urp;
    uint16_t mss;  /* MSS option, or 0 if absent */
    int8_t wscale; /* window scale shift 0..14, or -1 if absent */
    bool sack_ok;  /* SACK-permitted option present */
    bool has_ts;   /* timestamps option present: tsval, tsecr */
    uint32_t tsval;
    uint32_t tsecr;
    uint8_t nsack; /* SACK blocks (RFC 2018), 0..NET_TCP_SACK_BLOCKS */
    struct {
        uint32_t start, end; /* sequence numbers, end exclusive, as sent (unchecked) */
    } sack[4];
    const uint8_t *payload; /* within the parsed bytes */
    size_t payload_len;
};

/* Parses a TCP segment carried in len bytes of IPv4 payload from src to dst: a header of
 * at least 20 bytes whose data offset stays within len, a checksum that verifies, and
 * options each within the header with the length its kind requires (a SACK option 2 + 8n
 * bytes, n 1..4; unknown kinds are skipped by their length). Returns 0 or
 * -NET_DROP_TCP_SHORT, -NET_DROP_TCP_CHECKSUM, -NET_DROP_TCP_OPTIONS. */
int net_tcp_parse(const uint8_t *p, size_t len, net_ip4_t src, net_ip4_t dst,
                  struct net_tcp_seg *out);

/* Writes the header of h at p with the options it names (MSS if mss != 0, window scale if
 * wscale >= 0, SACK-permitted, timestamps, nsack SACK blocks), padded to words, checksum
 * zero. The caller keeps the options within 40 bytes (timestamps leave room for three SACK
 * blocks). Returns the header's length (20..60 bytes). */
size_t net_tcp_emit_header(uint8_t *p, const struct net_tcp_seg *h);

/* Returns the checksum field for a TCP segment of len bytes at p (checksum field zero)
 * from src to dst. */
uint16_t net_tcp_checksum(const uint8_t *p, size_t len, net_ip4_t src, net_ip4_t dst);
