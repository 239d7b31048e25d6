/*
 * Functions shared between lib/net's files; not part of its API. Each layer's input
 * function takes a packet its caller has parsed down to this layer's bytes.
 */
#pragma once

#include <vallum/net/net.h>

/* Counts a dropped frame. */
static inline void
net_drop(struct net_stack *s, int reason)
{
    if (reason > 0 && reason < NET_DROP_COUNT) {
        s->stats.rx_drops[reason]++;
    }
}

/* Packet pool (stack.c). net_pkt_alloc returns NET_PKT_NONE when the pool is empty. */
uint16_t net_pkt_alloc(struct net_stack *s, enum net_pkt_owner owner);
void net_pkt_free(struct net_stack *s, uint16_t idx);

/* True if a is the limited broadcast or the directed broadcast of our subnet. */
bool net_ip4_is_broadcast(const struct net_stack *s, net_ip4_t a);

/* ARP (iface/arp.c). */
void net_arp_input(struct net_stack *s, uint64_t now, const uint8_t *p, size_t len);
uint64_t net_arp_poll(struct net_stack *s, uint64_t now);
void net_arp_forget_all(struct net_stack *s);
/* Sends a frame of len bytes (Ethernet header included) built in buf to next_hop. If pkt is
 * NET_PKT_NONE, buf is a transmit buffer whose destination MAC the caller filled in from
 * net_arp_lookup, and it is submitted. Otherwise buf is packet buffer pkt, for a next hop
 * whose lookup failed: the frame waits in it (taken over) while ARP asks, and its
 * destination MAC is filled in when the answer comes. */
void net_arp_output(struct net_stack *s, uint64_t now, net_ip4_t next_hop, uint16_t pkt,
                    uint8_t *buf, size_t len);
/* Starts resolving next_hop (whose lookup failed) unless that is under way; returns its
 * entry, INCOMPLETE. */
struct net_arp_entry *net_arp_resolve(struct net_stack *s, uint64_t now, net_ip4_t next_hop);
/* Looks up next_hop's MAC; true if known (and *mac set). */
bool net_arp_lookup(struct net_stack *s, uint64_t now, net_ip4_t next_hop, struct net_mac *mac);

/* IPv4 (iface/ipv4.c). */
void net_ipv4_input(struct net_stack *s, uint64_t now, const uint8_t *p, size_t len, bool l2_bcast);
/* Sends hdr (hdr_len bytes) followed by data (data_len) as the payload of one datagram of
 * protocol proto to dst, fragmented to the MTU. Returns 0 or -NET_E*. */
int net_ipv4_output(struct net_stack *s, uint64_t now, net_ip4_t dst, uint8_t proto,
                    const uint8_t *hdr, size_t hdr_len, const uint8_t *data, size_t data_len);
/* Delivers a whole datagram (header at p, ip parsed) to its protocol. */
void net_ipv4_deliver(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip,
                      const uint8_t *p, bool bcast);

/* Reassembly (iface/frag.c). */
void net_reass_input(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip, const uint8_t *p,
                     bool bcast);
uint64_t net_reass_poll(struct net_stack *s, uint64_t now);

/* ICMP (iface/icmp.c). */
void net_icmp_input(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip, const uint8_t *p,
                    bool bcast);
/* Sends an ICMP error about the datagram whose header is at orig (parsed as ip), unless the
 * rules of RFC 1122 3.2.2 forbid one or the rate limit is reached. */
void net_icmp_error(struct net_stack *s, uint64_t now, uint8_t type, uint8_t code, uint32_t rest,
                    const struct net_ipv4 *ip, const uint8_t *orig, bool bcast);

/* UDP (socket/udp.c). */
void net_udp_input(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip, const uint8_t *p,
                   bool bcast);

/* TCP (socket/tcp_*.c), reached only when s->tcp is set. */
void net_tcp_input(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip, const uint8_t *p,
                   bool bcast);
uint64_t net_tcp_poll(struct net_stack *s, uint64_t now);
