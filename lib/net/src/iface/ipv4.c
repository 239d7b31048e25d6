/*
 * IPv4 input (address checks, then reassembly or delivery to a protocol) and output
 * (routing to the next hop, fragmentation to the MTU, building frames in place).
 */
#include "../net_internal.h"

#include <assert.h>
#include <string.h>

/* Checks the addresses of a parsed datagram; returns 0 or the drop reason, and sets *bcast
 * if it was sent to a broadcast address. */
static int
check_addrs(const struct net_stack *s, const struct net_ipv4 *ip, bool *bcast)
{
    /* Martian sources (RFC 1122 3.2.1.3, RFC 1812 5.3.7): nobody may send from a group or
     * broadcast address, loopback never crosses a link, and our own address arriving from
     * the link is a spoof or a loop. 0.0.0.0 is allowed: a DHCP client sends from it. */
    if (net_ip4_is_multicast_or_reserved(ip->src) || net_ip4_is_broadcast(s, ip->src) ||
        (ip->src >> 24) == 127 || (s->cfg.addr != 0 && ip->src == s->cfg.addr)) {
        return NET_DROP_IP_SRC;
    }
    *bcast = net_ip4_is_broadcast(s, ip->dst);
    /* Without an address (before DHCP) every unicast destination is accepted: the offer
     * may come to the address being offered (docs/network.md, NET-FACTS pitfall 4). */
    if (!*bcast && ip->dst != s->cfg.addr && s->cfg.addr != 0) {
        return NET_DROP_IP_NOT_US;
    }
    if (!*bcast && net_ip4_is_multicast_or_reserved(ip->dst)) {
        return NET_DROP_IP_NOT_US;
    }
    return 0;
}

void
net_ipv4_input(struct net_stack *s, uint64_t now, const uint8_t *p, size_t len, bool l2_bcast)
{
    struct net_ipv4 ip;
    bool bcast = false;
    int err = net_ipv4_parse(p, len, &ip);

    if (err != 0) {
        net_drop(s, -err);
        return;
    }
    err = check_addrs(s, &ip, &bcast);
    if (err != 0) {
        net_drop(s, err);
        return;
    }
    /* A unicast IP datagram in a link broadcast is treated as broadcast: no errors and
     * no echo answers to it (RFC 1122 3.2.2). TTL is not checked: a host must accept a
     * datagram whatever its TTL (RFC 1122 3.2.1.7); only routers decrement it. */
    bcast = bcast || l2_bcast;
    if (ip.mf || ip.frag_off != 0) {
        net_reass_input(s, now, &ip, p, bcast);
        return;
    }
    net_ipv4_deliver(s, now, &ip, p, bcast);
}

void
net_ipv4_deliver(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip, const uint8_t *p,
                 bool bcast)
{
    switch (ip->proto) {
    case NET_PROTO_ICMP:
        net_icmp_input(s, now, ip, p, bcast);
        break;
    case NET_PROTO_UDP:
        net_udp_input(s, now, ip, p, bcast);
        break;
    case NET_PROTO_TCP:
        if (s->tcp != NULL) {
            net_tcp_input(s, now, ip, p, bcast);
            break;
        }
        /* A stack without TCP answers as one that does not speak it. */
        net_drop(s, NET_DROP_IP_PROTO);
        net_icmp_error(s, now, NET_ICMP_DEST_UNREACH, NET_ICMP_UNREACH_PROTO, 0, ip, p, bcast);
        break;
    default:
        net_drop(s, NET_DROP_IP_PROTO);
        net_icmp_error(s, now, NET_ICMP_DEST_UNREACH, NET_ICMP_UNREACH_PROTO, 0, ip, p, bcast);
        break;
    }
}

/* Copies n bytes at offset off of the concatenation hdr ++ data to out. */
static void
copy_payload(uint8_t *out, size_t off, size_t n, const uint8_t *hdr, size_t hdr_len,
             const uint8_t *data)
{
    if (off < hdr_len) {
        size_t k = hdr_len - off < n ? hdr_len - off : n;
        memcpy(out, hdr + off, k);
        out += k;
        off += k;
        n -= k;
    }
    if (n > 0) {
        memcpy(out, data + (off - hdr_len), n);
    }
}

/* Finds the next hop for dst; returns 0 or -NET_EHOSTUNREACH. */
static int
route(const struct net_stack *s, net_ip4_t dst, net_ip4_t *next_hop)
{
    if (dst == NET_IP4_BROADCAST || net_ip4_is_broadcast(s, dst)) {
        *next_hop = dst;
        return 0;
    }
    if (s->cfg.addr == 0) {
        return -NET_EHOSTUNREACH;
    }
    if ((dst & s->cfg.netmask) == (s->cfg.addr & s->cfg.netmask)) {
        *next_hop = dst;
        return 0;
    }
    if (s->cfg.gateway == 0) {
        return -NET_EHOSTUNREACH;
    }
    *next_hop = s->cfg.gateway;
    return 0;
}

int
net_ipv4_output(struct net_stack *s, uint64_t now, net_ip4_t dst, uint8_t proto, const uint8_t *hdr,
                size_t hdr_len, const uint8_t *data, size_t data_len)
{
    size_t total = hdr_len + data_len;
    /* Every fragment but the last carries a multiple of 8 bytes. */
    size_t chunk_max = (NET_MTU - NET_IP_HDR_LEN) & ~(size_t)7;
    struct net_ipv4 ip = {
        .tos = 0, .ttl = s->cfg.ttl, .proto = proto, .src = s->cfg.addr, .dst = dst};
    struct net_eth eth = {.src = s->cfg.mac, .type = NET_ETHERTYPE_IPV4};
    net_ip4_t next_hop;
    bool known;
    size_t off;
    int err;

    /* The callers bound their datagrams (net_udp_sendto, net_ping: -NET_EMSGSIZE; errors
     * quote at most 68 bytes; echo replies are no longer than their requests). */
    assert(total <= NET_IP_MAX_LEN - NET_IP_HDR_LEN);
    err = route(s, dst, &next_hop);
    if (err != 0) {
        return err;
    }
    known = net_arp_lookup(s, now, next_hop, &eth.dst);
    /* Only NET_ARP_PENDING_MAX frames may wait for ARP: a datagram of more fragments would
     * lose its first ones while waiting and arrive incomplete. Refuse it whole, but ask,
     * so that a retry finds the MAC. */
    if (!known && (total + chunk_max - 1) / chunk_max > NET_ARP_PENDING_MAX) {
        net_arp_resolve(s, now, next_hop);
        return -NET_ENOBUFS;
    }
    ip.id = s->ip_id++;
    off = 0;
    do {
        size_t n = total - off > chunk_max ? chunk_max : total - off;
        size_t frame_len = NET_ETH_HDR_LEN + NET_IP_HDR_LEN + n;
        uint16_t pkt = NET_PKT_NONE;
        size_t cap = 0;
        uint8_t *buf;

        if (known) {
            buf = s->netif.tx_acquire(s->netif.ctx, &cap);
            if (buf != NULL && cap < frame_len) {
                s->netif.tx_submit(s->netif.ctx, buf, 0);
                buf = NULL;
            }
            if (buf == NULL) {
                net_drop(s, NET_DROP_TX_NO_BUFFER);
                return -NET_ENOBUFS;
            }
        } else {
            pkt = net_pkt_alloc(s, NET_PKT_ARP);
            if (pkt == NET_PKT_NONE) {
                net_drop(s, NET_DROP_TX_NO_BUFFER);
                return -NET_ENOBUFS;
            }
            buf = s->mem.pkts[pkt].data;
        }
        ip.total_len = (uint16_t)(NET_IP_HDR_LEN + n);
        ip.frag_off = (uint16_t)off;
        ip.mf = off + n < total;
        net_eth_emit(buf, &eth);
        net_ipv4_emit(buf + NET_ETH_HDR_LEN, &ip);
        copy_payload(buf + NET_ETH_HDR_LEN + NET_IP_HDR_LEN, off, n, hdr, hdr_len, data);
        net_arp_output(s, now, next_hop, pkt, buf, frame_len);
        off += n;
    } while (off < total);
    return 0;
}
