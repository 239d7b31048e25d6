/*
 * A DHCP client (RFC 2131) on a lib/net stack: discover, offer, request, acknowledge;
 * renewal from the server at T1, rebinding by broadcast at T2, and the address given up
 * when the lease expires. Transaction IDs and retransmission jitter come from the
 * component's entropy callback. Like the stack it allocates nothing and is driven by
 * net_dhcp_poll(now), which returns its next deadline.
 *
 * Not done: the ARP probe of an offered address (RFC 2131 2.2, DHCPDECLINE), INIT-REBOOT
 * with a remembered address, DHCPRELEASE and DHCPINFORM.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vallum/net/net.h>

/* --- The message (RFC 2131 2, RFC 2132) --------------------------------------------------- */

enum {
    NET_DHCP_OP = 0,       /* 1 byte: 1 request, 2 reply */
    NET_DHCP_HTYPE = 1,    /* 1 byte: 1, Ethernet */
    NET_DHCP_HLEN = 2,     /* 1 byte: 6 */
    NET_DHCP_XID = 4,      /* 4 bytes */
    NET_DHCP_SECS = 8,     /* 2 bytes */
    NET_DHCP_FLAGS = 10,   /* 2 bytes: 0x8000 asks for broadcast replies */
    NET_DHCP_CIADDR = 12,  /* 4 bytes: the client's address while it has one */
    NET_DHCP_YIADDR = 16,  /* 4 bytes: the address offered */
    NET_DHCP_CHADDR = 28,  /* 16 bytes: the client's MAC, then zeros */
    NET_DHCP_COOKIE = 236, /* 4 bytes: 99.130.83.99 */
    NET_DHCP_OPTIONS = 240,
    NET_DHCP_MIN_LEN = 300, /* BOOTP's size; what the client sends, padded */
};

#define NET_DHCP_SERVER_PORT 67
#define NET_DHCP_CLIENT_PORT 68
#define NET_DHCP_MAGIC 0x63825363u
#define NET_DHCP_FLAG_BROADCAST 0x8000

#define NET_DHCPDISCOVER 1
#define NET_DHCPOFFER 2
#define NET_DHCPREQUEST 3
#define NET_DHCPACK 5
#define NET_DHCPNAK 6

#define NET_DHCP_MAX_DNS 3

/* A server's reply, checked. Times in seconds; 0xffffffff is an infinite lease. */
struct net_dhcp_reply {
    uint32_t xid;
    uint8_t type; /* NET_DHCPOFFER, NET_DHCPACK or NET_DHCPNAK */
    net_ip4_t yiaddr;
    net_ip4_t server;  /* server identifier (option 54) */
    net_ip4_t netmask; /* option 1, or 0 if absent */
    net_ip4_t router;  /* first of option 3, or 0 */
    net_ip4_t dns[NET_DHCP_MAX_DNS];
    uint8_t ndns;
    uint32_t lease_s; /* option 51, or 0 if absent */
    uint32_t t1_s;    /* option 58, or 0 if absent */
    uint32_t t2_s;    /* option 59, or 0 if absent */
};

/* Parses a DHCP reply for the client with MAC mac: BOOTREPLY for Ethernet with our MAC in
 * chaddr, the magic cookie, well-formed options (each within the message; the overload
 * option's sname and file fields are not read), a message type of OFFER, ACK or NAK, and
 * a server identifier. Returns 0 or -1: the client only counts what it rejects. */
int net_dhcp_parse(const uint8_t *p, size_t len, const struct net_mac *mac,
                   struct net_dhcp_reply *out);

/* --- The client -------------------------------------------------------------------------- */

enum net_dhcp_state {
    NET_DHCP_INIT = 0,   /* about to send a discover */
    NET_DHCP_SELECTING,  /* discover sent, waiting for offers */
    NET_DHCP_REQUESTING, /* request sent for an offer, waiting for ACK or NAK */
    NET_DHCP_BOUND,      /* the stack has the leased address */
    NET_DHCP_RENEWING,   /* past T1: asking the server by unicast */
    NET_DHCP_REBINDING,  /* past T2: asking any server by broadcast */
};

/* Returns 32 bits from the component's entropy source (the CSPRNG service). */
typedef uint32_t (*net_entropy_fn)(void *ctx);

struct net_dhcp {
    struct net_stack *s;
    int sock;
    uint8_t state; /* enum net_dhcp_state */
    uint8_t tries; /* transmissions in this state */
    uint32_t xid;
    uint64_t next;                    /* ms: next transmission (or state change) */
    uint64_t t1_at, t2_at, expiry_at; /* ms; NET_NO_DEADLINE for an infinite lease */
    struct net_dhcp_reply lease;      /* the offer being requested, then the lease */
    net_entropy_fn entropy;
    void *entropy_ctx;
    uint64_t rejected; /* replies dropped: malformed, other xid, unusable */
    uint64_t leases;   /* ACKs accepted */
};

/* Starts a client for stack s (which should have no address yet; a client takes UDP
 * port 68 on it). The first discover goes out at the next net_dhcp_poll. Returns 0, or
 * -NET_EINVAL (entropy NULL) or an error of net_udp_bind. */
int net_dhcp_start(struct net_dhcp *d, struct net_stack *s, uint64_t now, net_entropy_fn entropy,
                   void *entropy_ctx);

/* Sends what is due at now (discover, request, renewal; retransmissions with exponential
 * backoff from 4 s to 64 s and +-1 s of jitter) and moves the lease through T1, T2 and
 * expiry (when the stack's address is removed). Returns the next deadline. */
uint64_t net_dhcp_poll(struct net_dhcp *d, uint64_t now);
