/*
 * A DNS stub resolver (RFC 1035) on a lib/net stack: A records by UDP to the servers the
 * component names (from its DHCP lease, usually), each query from a fresh random source
 * port with a random ID (RFC 5452), both from the component's entropy callback; answers
 * kept in a bounded cache for their TTL. Like the stack it allocates nothing: the cache
 * and the table of queries in flight are arrays the component provides.
 *
 * Not done: TCP fallback for truncated answers (they fail), negative caching, AAAA.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vallum/net/dhcp.h>
#include <vallum/net/net.h>

#define NET_DNS_PORT 53
#define NET_DNS_NAME_MAX 255 /* bytes of a name in dotted text, without the final dot */
#define NET_DNS_MAX_SERVERS 3
#define NET_DNS_RETRY_MS 2000 /* per try; each try goes to the next server */
#define NET_DNS_TRIES 4
#define NET_DNS_TTL_MAX_S 86400 /* answers are cached for at most a day */

/* --- The message (RFC 1035 4.1) ----------------------------------------------------------- */

enum {
    NET_DNS_ID = 0,      /* 2 bytes */
    NET_DNS_FLAGS = 2,   /* 2 bytes: QR, opcode, AA, TC, RD, RA, Z, RCODE */
    NET_DNS_QDCOUNT = 4, /* 2 bytes */
    NET_DNS_ANCOUNT = 6, /* 2 bytes */
    NET_DNS_NSCOUNT = 8, /* 2 bytes */
    NET_DNS_ARCOUNT = 10,
    NET_DNS_HDR_LEN = 12,
};

#define NET_DNS_QUERY_MAX (NET_DNS_HDR_LEN + NET_DNS_NAME_MAX + 2 + 4)

/* Writes a query for the A record of name (dotted text, a final dot allowed) with
 * identifier id into out (NET_DNS_QUERY_MAX bytes). Returns its length, or -1 if name is
 * not a valid name (empty label, label over 63 bytes, name over 255 bytes). */
int net_dns_build_query(uint8_t *out, uint16_t id, const char *name);

/* The outcome of a response. */
enum net_dns_status {
    NET_DNS_OK = 0,       /* addr and ttl_s hold an answer */
    NET_DNS_NXDOMAIN = 1, /* the name does not exist */
    NET_DNS_NODATA = 2,   /* the name exists but has no A record, or the answer has none */
    NET_DNS_FAILED = 3,   /* server failure, refusal, truncation, or no server answered */
};

/* Parses a response to the query for name with identifier id: the header (a response,
 * standard query, one question), the question (the same name, type A, class IN), then the
 * answers, following CNAMEs within the message. Names may be compressed; every pointer
 * must point backwards, so a loop is impossible. Returns 0 with *status (and, if OK, the
 * first address and its TTL), or -1 if the message is malformed or not the answer to
 * this query. */
int net_dns_parse_response(const uint8_t *p, size_t len, uint16_t id, const char *name,
                           enum net_dns_status *status, net_ip4_t *addr, uint32_t *ttl_s);

/* --- The resolver ------------------------------------------------------------------------ */

/* Called once per query with the outcome; addr is valid when status is NET_DNS_OK. */
typedef void (*net_dns_fn)(void *ctx, const char *name, enum net_dns_status status, net_ip4_t addr);

struct net_dns_cache_entry {
    char name[NET_DNS_NAME_MAX + 1]; /* lower case, no final dot; "" if free */
    net_ip4_t addr;
    uint64_t expires; /* ms */
};

struct net_dns_query {
    char name[NET_DNS_NAME_MAX + 1]; /* "" if free */
    int sock;                        /* its own UDP socket, on a random port */
    uint16_t id;
    uint8_t tries;
    net_ip4_t server; /* asked last */
    uint64_t deadline;
    net_dns_fn fn;
    void *ctx;
    struct net_dns *dns;
};

struct net_dns {
    struct net_stack *s;
    net_ip4_t servers[NET_DNS_MAX_SERVERS];
    uint8_t nservers;
    struct net_dns_cache_entry *cache;
    size_t cache_count;
    struct net_dns_query *queries;
    size_t query_count;
    net_entropy_fn entropy;
    void *entropy_ctx;
    uint64_t rejected; /* responses dropped: malformed, wrong ID or source */
};

/* Creates a resolver for stack s with the given cache and query tables (counts >= 1).
 * Returns 0 or -NET_EINVAL. */
int net_dns_init(struct net_dns *d, struct net_stack *s, struct net_dns_cache_entry *cache,
                 size_t cache_count, struct net_dns_query *queries, size_t query_count,
                 net_entropy_fn entropy, void *entropy_ctx);

/* Sets the servers (from a DHCP lease: lease.dns, lease.ndns); at most
 * NET_DNS_MAX_SERVERS are used. Returns 0, or -NET_EINVAL if none is a host address. */
int net_dns_set_servers(struct net_dns *d, const net_ip4_t *servers, size_t n);

/* Resolves name's A record. From the cache, fn is called before this returns; otherwise a
 * query is sent and fn is called from net_input (the answer) or net_dns_poll (no answer
 * after NET_DNS_TRIES tries). Returns 0, or -NET_EINVAL (not a name, or no server),
 * -NET_EAGAIN (every query slot or every ephemeral port busy). */
int net_dns_resolve(struct net_dns *d, uint64_t now, const char *name, net_dns_fn fn, void *ctx);

/* Retransmits and gives up queries; returns the next deadline. */
uint64_t net_dns_poll(struct net_dns *d, uint64_t now);
