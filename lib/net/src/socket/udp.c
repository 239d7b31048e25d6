/*
 * UDP sockets: a fixed table of bound ports, each with a receive handler called with the
 * datagram in place (no copy, no queue: the component queues if it wants to), and sends
 * that build the datagram straight into transmit buffers.
 */
#include "../net_internal.h"

static bool
port_bound(const struct net_stack *s, uint16_t port)
{
    size_t i;

    for (i = 0; i < s->mem.udp_count; i++) {
        if (s->mem.udp[i].port == port) {
            return true;
        }
    }
    return false;
}

/* Returns a free ephemeral port, or 0 if every one is bound. Ports are handed out in turn,
 * so a port just closed is not reused at once (stray replies to it reach no one). */
static uint16_t
ephemeral(struct net_stack *s)
{
    uint32_t n;

    for (n = 0; n <= NET_EPHEMERAL_LAST - NET_EPHEMERAL_FIRST; n++) {
        uint16_t port = s->next_ephemeral;
        s->next_ephemeral = port == NET_EPHEMERAL_LAST ? NET_EPHEMERAL_FIRST : (uint16_t)(port + 1);
        if (!port_bound(s, port)) {
            return port;
        }
    }
    return 0;
}

int
net_udp_bind(struct net_stack *s, uint16_t port, net_udp_recv_fn recv, void *ctx)
{
    size_t i;

    if (recv == NULL) {
        return -NET_EINVAL;
    }
    if (port != 0 && port_bound(s, port)) {
        return -NET_EADDRINUSE;
    }
    for (i = 0; i < s->mem.udp_count; i++) {
        if (s->mem.udp[i].port == 0) {
            break;
        }
    }
    if (i == s->mem.udp_count) {
        return -NET_EAGAIN;
    }
    if (port == 0) {
        port = ephemeral(s);
        if (port == 0) {
            return -NET_EAGAIN;
        }
    }
    s->mem.udp[i].port = port;
    s->mem.udp[i].recv = recv;
    s->mem.udp[i].ctx = ctx;
    return (int)i;
}

static struct net_udp_sock *
sock_of(const struct net_stack *s, int sock)
{
    if (sock < 0 || (size_t)sock >= s->mem.udp_count || s->mem.udp[sock].port == 0) {
        return NULL;
    }
    return &s->mem.udp[sock];
}

uint16_t
net_udp_port(const struct net_stack *s, int sock)
{
    const struct net_udp_sock *u = sock_of(s, sock);

    return u == NULL ? 0 : u->port;
}

int
net_udp_close(struct net_stack *s, int sock)
{
    struct net_udp_sock *u = sock_of(s, sock);

    if (u == NULL) {
        return -NET_EBADF;
    }
    u->port = 0;
    u->recv = NULL;
    u->ctx = NULL;
    return 0;
}

int
net_udp_sendto(struct net_stack *s, uint64_t now, int sock, net_ip4_t dst, uint16_t dport,
               const void *data, size_t len)
{
    struct net_udp_sock *u = sock_of(s, sock);
    uint8_t hdr[NET_UDP_HDR_LEN];

    if (u == NULL) {
        return -NET_EBADF;
    }
    if (dport == 0 || dst == 0 ||
        (net_ip4_is_multicast_or_reserved(dst) && dst != NET_IP4_BROADCAST)) {
        return -NET_EINVAL;
    }
    if (len > NET_IP_MAX_LEN - NET_IP_HDR_LEN - NET_UDP_HDR_LEN) {
        return -NET_EMSGSIZE;
    }
    net_udp_emit_header(hdr, u->port, dport, len);
    net_put16(hdr + NET_UDP_CSUM, net_udp_checksum(hdr, data, len, s->cfg.addr, dst));
    return net_ipv4_output(s, now, dst, NET_PROTO_UDP, hdr, sizeof(hdr), data, len);
}

void
net_udp_input(struct net_stack *s, uint64_t now, const struct net_ipv4 *ip, const uint8_t *p,
              bool bcast)
{
    struct net_udp udp;
    size_t i;
    int err = net_udp_parse(p + ip->hdr_len, ip->total_len - ip->hdr_len, ip->src, ip->dst, &udp);

    if (err != 0) {
        net_drop(s, -err);
        return;
    }
    for (i = 0; i < s->mem.udp_count; i++) {
        struct net_udp_sock *u = &s->mem.udp[i];
        if (u->port != 0 && u->port == udp.dport) {
            s->stats.udp_delivered++;
            u->recv(u->ctx, (int)i, ip->src, udp.sport, udp.payload, udp.payload_len);
            return;
        }
    }
    net_drop(s, NET_DROP_UDP_NO_PORT);
    net_icmp_error(s, now, NET_ICMP_DEST_UNREACH, NET_ICMP_UNREACH_PORT, 0, ip, p, bcast);
}
