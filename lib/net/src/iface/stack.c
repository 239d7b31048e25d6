/* Creating a stack, dispatching received frames, timers and the packet pool. */
#include <vallum/net/net.h>

#include "../net_internal.h"

#include <string.h>

static const char *const drop_names[NET_DROP_COUNT] = {
    [NET_DROP_NONE] = "none",
    [NET_DROP_ETH_SHORT] = "eth_short",
    [NET_DROP_ETH_LONG] = "eth_long",
    [NET_DROP_ETH_NOT_US] = "eth_not_us",
    [NET_DROP_ETH_SRC] = "eth_src",
    [NET_DROP_ETH_TYPE] = "eth_type",
    [NET_DROP_ARP_SHORT] = "arp_short",
    [NET_DROP_ARP_FORMAT] = "arp_format",
    [NET_DROP_ARP_OP] = "arp_op",
    [NET_DROP_ARP_SENDER] = "arp_sender",
    [NET_DROP_ARP_NOT_US] = "arp_not_us",
    [NET_DROP_IP_SHORT] = "ip_short",
    [NET_DROP_IP_VERSION] = "ip_version",
    [NET_DROP_IP_IHL] = "ip_ihl",
    [NET_DROP_IP_LENGTH] = "ip_length",
    [NET_DROP_IP_CHECKSUM] = "ip_checksum",
    [NET_DROP_IP_OPTIONS] = "ip_options",
    [NET_DROP_IP_SOURCE_ROUTE] = "ip_source_route",
    [NET_DROP_IP_FRAGMENT] = "ip_fragment",
    [NET_DROP_IP_SRC] = "ip_src",
    [NET_DROP_IP_NOT_US] = "ip_not_us",
    [NET_DROP_IP_PROTO] = "ip_proto",
    [NET_DROP_FRAG_DUPLICATE] = "frag_duplicate",
    [NET_DROP_FRAG_CONFLICT] = "frag_conflict",
    [NET_DROP_FRAG_TOO_BIG] = "frag_too_big",
    [NET_DROP_FRAG_TOO_MANY] = "frag_too_many",
    [NET_DROP_FRAG_NO_BUFFER] = "frag_no_buffer",
    [NET_DROP_FRAG_EVICTED] = "frag_evicted",
    [NET_DROP_FRAG_TIMEOUT] = "frag_timeout",
    [NET_DROP_ICMP_SHORT] = "icmp_short",
    [NET_DROP_ICMP_CHECKSUM] = "icmp_checksum",
    [NET_DROP_ICMP_BROADCAST] = "icmp_broadcast",
    [NET_DROP_ICMP_UNHANDLED] = "icmp_unhandled",
    [NET_DROP_UDP_SHORT] = "udp_short",
    [NET_DROP_UDP_LENGTH] = "udp_length",
    [NET_DROP_UDP_CHECKSUM] = "udp_checksum",
    [NET_DROP_UDP_NO_PORT] = "udp_no_port",
    [NET_DROP_ARP_PENDING_FULL] = "arp_pending_full",
    [NET_DROP_ARP_UNRESOLVED] = "arp_unresolved",
    [NET_DROP_ARP_NO_ENTRY] = "arp_no_entry",
    [NET_DROP_TX_NO_BUFFER] = "tx_no_buffer",
    [NET_DROP_ICMP_RATE] = "icmp_rate",
    [NET_DROP_TCP_SHORT] = "tcp_short",
    [NET_DROP_TCP_CHECKSUM] = "tcp_checksum",
    [NET_DROP_TCP_OPTIONS] = "tcp_options",
    [NET_DROP_TCP_FLAGS] = "tcp_flags",
    [NET_DROP_TCP_BROADCAST] = "tcp_broadcast",
    [NET_DROP_TCP_NO_SOCKET] = "tcp_no_socket",
    [NET_DROP_TCP_SEQ] = "tcp_seq",
    [NET_DROP_TCP_ACK] = "tcp_ack",
    [NET_DROP_TCP_PAWS] = "tcp_paws",
    [NET_DROP_TCP_RST] = "tcp_rst",
    [NET_DROP_TCP_SYN] = "tcp_syn",
    [NET_DROP_TCP_COOKIE] = "tcp_cookie",
    [NET_DROP_TCP_NO_MEMORY] = "tcp_no_memory",
    [NET_DROP_TCP_OOO_FULL] = "tcp_ooo_full",
};

const char *
net_drop_name(enum net_drop reason)
{
    if ((unsigned)reason >= NET_DROP_COUNT || drop_names[reason] == NULL) {
        return "?";
    }
    return drop_names[reason];
}

const char *
net_strerror(int err)
{
    static const char *const names[] = {
        "NET_OK",           "NET_EINVAL",     "NET_ENOBUFS",   "NET_EADDRINUSE", "NET_EHOSTUNREACH",
        "NET_EMSGSIZE",     "NET_EAGAIN",     "NET_EBADF",     "NET_ENOTCONN",   "NET_EISCONN",
        "NET_ECONNREFUSED", "NET_ECONNRESET", "NET_ETIMEDOUT", "NET_EPIPE"};

    if (err < 0) {
        err = -err;
    }
    if ((size_t)err >= sizeof(names) / sizeof(names[0])) {
        return "NET_E?";
    }
    return names[err];
}

uint16_t
net_pkt_alloc(struct net_stack *s, enum net_pkt_owner owner)
{
    uint16_t idx = s->free_head;
    struct net_pkt *pkt;

    if (idx == NET_PKT_NONE) {
        return NET_PKT_NONE;
    }
    pkt = &s->mem.pkts[idx];
    s->free_head = pkt->next;
    s->free_count--;
    pkt->next = NET_PKT_NONE;
    pkt->owner = (uint8_t)owner;
    pkt->len = 0;
    pkt->frag_off = 0;
    return idx;
}

void
net_pkt_free(struct net_stack *s, uint16_t idx)
{
    struct net_pkt *pkt = &s->mem.pkts[idx];

    pkt->owner = NET_PKT_FREE;
    pkt->next = s->free_head;
    s->free_head = idx;
    s->free_count++;
}

bool
net_ip4_is_broadcast(const struct net_stack *s, net_ip4_t a)
{
    if (a == NET_IP4_BROADCAST) {
        return true;
    }
    return s->cfg.addr != 0 && s->cfg.netmask != NET_IP4_BROADCAST &&
           (a & s->cfg.netmask) == (s->cfg.addr & s->cfg.netmask) &&
           (a | s->cfg.netmask) == NET_IP4_BROADCAST;
}

/* True if the address and mask can be a host's configuration. */
static bool
addr_ok(net_ip4_t addr, net_ip4_t mask, net_ip4_t gw)
{
    /* A contiguous mask is ones then zeros: its complement plus one is a power of two. */
    uint32_t host = ~mask;

    if ((host & (host + 1)) != 0) {
        return false;
    }
    if (addr == 0) {
        return true;
    }
    if (net_ip4_is_multicast_or_reserved(addr) || (addr >> 24) == 127 || (addr >> 24) == 0) {
        return false;
    }
    /* Neither the network nor the broadcast address of its own subnet (unless /31, /32). */
    if (host > 1 && ((addr & host) == 0 || (addr & host) == host)) {
        return false;
    }
    return gw == 0 || (gw & mask) == (addr & mask);
}

int
net_init(struct net_stack *s, const struct net_config *cfg, const struct net_mem *mem,
         const struct net_netif *netif)
{
    size_t i;

    if (mem->arp_count == 0 || mem->pkt_count == 0 || mem->pkt_count >= NET_PKT_NONE ||
        mem->udp_count == 0 || mem->udp_count > 0x7fffffff || mem->reass_buf_len > NET_IP_MAX_LEN ||
        netif->tx_acquire == NULL || netif->tx_submit == NULL) {
        return -NET_EINVAL;
    }
    if (net_mac_is_multicast(&cfg->mac) || !addr_ok(cfg->addr, cfg->netmask, cfg->gateway)) {
        return -NET_EINVAL;
    }
    memset(s, 0, sizeof(*s));
    s->cfg = *cfg;
    s->mem = *mem;
    s->netif = *netif;
    if (s->cfg.ttl == 0) {
        s->cfg.ttl = NET_DEFAULT_TTL;
    }
    if (s->cfg.reass_budget == 0 || s->cfg.reass_budget > mem->pkt_count) {
        s->cfg.reass_budget = (uint32_t)(mem->pkt_count + 1) / 2;
    }
    if (s->cfg.icmp_rate_per_s == 0) {
        s->cfg.icmp_rate_per_s = NET_ICMP_RATE_PER_S;
    }
    if (s->cfg.icmp_burst == 0) {
        s->cfg.icmp_burst = NET_ICMP_BURST;
    }
    s->icmp_tokens = (uint64_t)s->cfg.icmp_burst * 1000;
    s->ip_id = cfg->ip_id_seed;
    s->next_ephemeral =
        (uint16_t)(NET_EPHEMERAL_FIRST +
                   cfg->ephemeral_seed % (NET_EPHEMERAL_LAST - NET_EPHEMERAL_FIRST + 1));
    memset(mem->arp, 0, mem->arp_count * sizeof(mem->arp[0]));
    for (i = 0; i < mem->arp_count; i++) {
        mem->arp[i].pending_head = mem->arp[i].pending_tail = NET_PKT_NONE;
    }
    memset(mem->reass, 0, mem->reass_count * sizeof(mem->reass[0]));
    memset(mem->udp, 0, mem->udp_count * sizeof(mem->udp[0]));
    s->free_head = NET_PKT_NONE;
    for (i = mem->pkt_count; i-- > 0;) {
        mem->pkts[i].owner = NET_PKT_FREE;
        mem->pkts[i].next = s->free_head;
        s->free_head = (uint16_t)i;
    }
    s->free_count = (uint16_t)mem->pkt_count;
    return 0;
}

int
net_set_addr(struct net_stack *s, net_ip4_t addr, net_ip4_t netmask, net_ip4_t gateway)
{
    if (!addr_ok(addr, netmask, gateway)) {
        return -NET_EINVAL;
    }
    net_arp_forget_all(s);
    s->cfg.addr = addr;
    s->cfg.netmask = netmask;
    s->cfg.gateway = gateway;
    return 0;
}

void
net_input(struct net_stack *s, uint64_t now, const uint8_t *frame, size_t len)
{
    struct net_eth eth;
    bool bcast;
    int err;

    s->now = now;
    s->stats.rx_frames++;
    err = net_eth_parse(frame, len, &eth);
    if (err != 0) {
        net_drop(s, -err);
        return;
    }
    bcast = net_mac_is_multicast(&eth.dst);
    /* Only our MAC and broadcast: we join no multicast group. */
    if (!net_mac_equal(&eth.dst, &s->cfg.mac) &&
        !(bcast && eth.dst.b[0] == 0xff && eth.dst.b[1] == 0xff && eth.dst.b[2] == 0xff &&
          eth.dst.b[3] == 0xff && eth.dst.b[4] == 0xff && eth.dst.b[5] == 0xff)) {
        net_drop(s, NET_DROP_ETH_NOT_US);
        return;
    }
    switch (eth.type) {
    case NET_ETHERTYPE_ARP:
        net_arp_input(s, now, frame + NET_ETH_HDR_LEN, len - NET_ETH_HDR_LEN);
        break;
    case NET_ETHERTYPE_IPV4:
        net_ipv4_input(s, now, frame + NET_ETH_HDR_LEN, len - NET_ETH_HDR_LEN, bcast);
        break;
    default:
        /* IPv6 (NET_ETHERTYPE_IPV6) gets its own case here when it comes. */
        net_drop(s, NET_DROP_ETH_TYPE);
        break;
    }
}

uint64_t
net_poll(struct net_stack *s, uint64_t now)
{
    uint64_t r, a;

    s->now = now;
    /* Reassembly first: a timeout may send an ICMP error, which may start an ARP timer
     * that the ARP pass must then see (the fuzzer found the other order losing it). */
    r = net_reass_poll(s, now);
    a = net_arp_poll(s, now);
    if (a < r) {
        r = a;
    }
    /* TCP last: its timers transmit, which may start ARP timers; those are due no sooner
     * than NET_ARP_RETRY_MS from now, after any TCP deadline this pass returns. */
    if (s->tcp != NULL) {
        a = net_tcp_poll(s, now);
        if (a < r) {
            r = a;
        }
    }
    return r;
}

void
net_set_echo_handler(struct net_stack *s, net_echo_reply_fn fn, void *ctx)
{
    s->echo_reply = fn;
    s->echo_ctx = ctx;
}
