/*
 * The DHCP client's state machine (RFC 2131 4.4, figure 5). Messages are built on the
 * stack (a few hundred bytes) and sent through the client's UDP socket; replies arrive
 * through the socket's handler and are checked by net_dhcp_parse.
 */
#include <vallum/net/dhcp.h>

#include <string.h>

#define BACKOFF_FIRST_MS 4000
#define BACKOFF_MAX_MS 64000
#define RENEW_MIN_MS 60000 /* RFC 2131 4.4.5: retransmit renewals no sooner than 60 s */
#define REQUEST_TRIES 5    /* requests for one offer before starting again */

/* Builds and broadcasts (or, renewing, unicasts to the server) a message of type type. */
static void
send_msg(struct net_dhcp *d, uint64_t now, uint8_t type)
{
    static const uint8_t params[] = {1, 3, 6, 51, 58, 59}; /* what we ask the server for */
    uint8_t m[NET_DHCP_MIN_LEN];
    bool have_addr = d->state == NET_DHCP_RENEWING || d->state == NET_DHCP_REBINDING;
    net_ip4_t dst = d->state == NET_DHCP_RENEWING ? d->lease.server : NET_IP4_BROADCAST;
    size_t i = NET_DHCP_OPTIONS;

    memset(m, 0, sizeof(m));
    m[NET_DHCP_OP] = 1;
    m[NET_DHCP_HTYPE] = 1;
    m[NET_DHCP_HLEN] = 6;
    net_put32(m + NET_DHCP_XID, d->xid);
    /* Broadcast replies until we have an address: the stack accepts unicast to any
     * address while it has none, but some servers unicast to the MAC of an address the
     * client cannot answer ARP for (NET-FACTS pitfall 4). */
    if (!have_addr) {
        net_put16(m + NET_DHCP_FLAGS, NET_DHCP_FLAG_BROADCAST);
    } else {
        net_put32(m + NET_DHCP_CIADDR, d->s->cfg.addr);
    }
    memcpy(m + NET_DHCP_CHADDR, d->s->cfg.mac.b, 6);
    net_put32(m + NET_DHCP_COOKIE, NET_DHCP_MAGIC);
    m[i++] = 53;
    m[i++] = 1;
    m[i++] = type;
    if (d->state == NET_DHCP_REQUESTING) {
        m[i++] = 50; /* requested address */
        m[i++] = 4;
        net_put32(m + i, d->lease.yiaddr);
        i += 4;
        m[i++] = 54; /* the server whose offer we take */
        m[i++] = 4;
        net_put32(m + i, d->lease.server);
        i += 4;
    }
    m[i++] = 55;
    m[i++] = sizeof(params);
    memcpy(m + i, params, sizeof(params));
    i += sizeof(params);
    m[i] = 255;
    /* A lost message is retransmitted; -NET_ENOBUFS and the like need nothing else. */
    (void)net_udp_sendto(d->s, now, d->sock, dst, NET_DHCP_SERVER_PORT, m, sizeof(m));
}

/* Returns ms until the next retransmission in SELECTING or REQUESTING: 4, 8, 16, 32, 64 s,
 * each +-1 s at random (RFC 2131 4.1). */
static uint64_t
backoff(struct net_dhcp *d)
{
    uint64_t base = (uint64_t)BACKOFF_FIRST_MS << (d->tries < 4 ? d->tries : 4);

    return base - 1000 + d->entropy(d->entropy_ctx) % 2001;
}

static void
enter(struct net_dhcp *d, uint8_t state)
{
    d->state = state;
    d->tries = 0;
}

static void
restart(struct net_dhcp *d, uint64_t now)
{
    memset(&d->lease, 0, sizeof(d->lease));
    enter(d, NET_DHCP_INIT);
    d->next = now;
}

/* True if an offer can be used: a host address, and a contiguous mask (or none). */
static bool
usable(const struct net_dhcp_reply *r)
{
    uint32_t host = ~r->netmask;

    if (r->yiaddr == 0 || net_ip4_is_multicast_or_reserved(r->yiaddr) || (r->yiaddr >> 24) == 127 ||
        (r->yiaddr >> 24) == 0) {
        return false;
    }
    return r->netmask == 0 || (host & (host + 1)) == 0;
}

/* Adds s seconds to now in ms, or NET_NO_DEADLINE for an infinite lease. */
static uint64_t
after(uint64_t now, uint32_t s, bool infinite)
{
    return infinite ? NET_NO_DEADLINE : now + (uint64_t)s * 1000;
}

static void
bind_lease(struct net_dhcp *d, uint64_t now, const struct net_dhcp_reply *r)
{
    net_ip4_t mask = r->netmask != 0 ? r->netmask : NET_IP4(255, 255, 255, 0);
    net_ip4_t router = r->router;
    bool infinite = r->lease_s == 0xffffffffu;
    uint32_t t1 = r->t1_s, t2 = r->t2_s;

    /* A router off the subnet cannot be reached: use none rather than refuse the lease. */
    if ((router & mask) != (r->yiaddr & mask)) {
        router = 0;
    }
    if (d->s->cfg.addr != r->yiaddr || d->s->cfg.netmask != mask || d->s->cfg.gateway != router) {
        if (net_set_addr(d->s, r->yiaddr, mask, router) != 0) {
            /* The subnet's network or broadcast address: not an address we can use. If it
             * came in a renewal, the address we had is not confirmed either. */
            net_set_addr(d->s, 0, 0, 0);
            d->rejected++;
            restart(d, now);
            return;
        }
    }
    /* RFC 2131 4.4.5: T1 defaults to half the lease and T2 to 7/8; ones out of order are
     * treated as absent. */
    if (t1 == 0 || t2 == 0 || t1 >= t2 || t2 >= r->lease_s) {
        t1 = r->lease_s / 2;
        t2 = (uint32_t)((uint64_t)r->lease_s * 7 / 8);
    }
    d->lease = *r;
    d->t1_at = after(now, t1, infinite);
    d->t2_at = after(now, t2, infinite);
    d->expiry_at = after(now, r->lease_s, infinite);
    d->leases++;
    enter(d, NET_DHCP_BOUND);
    d->next = d->t1_at;
}

static void
on_reply(void *ctx, int sock, net_ip4_t src, uint16_t sport, const uint8_t *data, size_t len)
{
    struct net_dhcp *d = ctx;
    struct net_dhcp_reply r;
    uint64_t now = d->s->now;

    (void)sock;
    (void)src;
    if (sport != NET_DHCP_SERVER_PORT || net_dhcp_parse(data, len, &d->s->cfg.mac, &r) != 0 ||
        r.xid != d->xid) {
        d->rejected++;
        return;
    }
    switch (d->state) {
    case NET_DHCP_SELECTING:
        /* The first usable offer is taken (RFC 2131 allows any choice). */
        if (r.type != NET_DHCPOFFER || !usable(&r) || r.lease_s == 0) {
            d->rejected++;
            return;
        }
        d->lease = r;
        enter(d, NET_DHCP_REQUESTING);
        send_msg(d, now, NET_DHCPREQUEST);
        d->next = now + backoff(d);
        return;
    case NET_DHCP_REQUESTING:
    case NET_DHCP_RENEWING:
    case NET_DHCP_REBINDING:
        if (r.type == NET_DHCPNAK) {
            /* The server refuses: the address is not ours any more (RFC 2131 4.4.4). */
            if (d->state != NET_DHCP_REQUESTING) {
                net_set_addr(d->s, 0, 0, 0);
            }
            restart(d, now);
            return;
        }
        if (r.type != NET_DHCPACK || !usable(&r) || r.lease_s == 0 ||
            (d->state == NET_DHCP_REQUESTING && r.yiaddr != d->lease.yiaddr)) {
            d->rejected++;
            return;
        }
        bind_lease(d, now, &r);
        return;
    default:
        d->rejected++;
        return;
    }
}

int
net_dhcp_start(struct net_dhcp *d, struct net_stack *s, uint64_t now, net_entropy_fn entropy,
               void *entropy_ctx)
{
    int sock;

    if (entropy == NULL) {
        return -NET_EINVAL;
    }
    memset(d, 0, sizeof(*d));
    sock = net_udp_bind(s, NET_DHCP_CLIENT_PORT, on_reply, d);
    if (sock < 0) {
        return sock;
    }
    d->s = s;
    d->sock = sock;
    d->entropy = entropy;
    d->entropy_ctx = entropy_ctx;
    restart(d, now);
    return 0;
}

/* Starts a new transaction with a discover. */
static void
discover(struct net_dhcp *d, uint64_t now)
{
    d->xid = d->entropy(d->entropy_ctx);
    enter(d, NET_DHCP_SELECTING);
    send_msg(d, now, NET_DHCPDISCOVER);
    d->next = now + backoff(d);
}

/* Time until the next renewal or rebinding message: half the time left before limit,
 * but no less than 60 s, and never past limit. */
static uint64_t
renew_next(uint64_t now, uint64_t limit)
{
    uint64_t half = (limit - now) / 2;

    if (half < RENEW_MIN_MS) {
        half = RENEW_MIN_MS;
    }
    return now + half < limit ? now + half : limit;
}

uint64_t
net_dhcp_poll(struct net_dhcp *d, uint64_t now)
{
    /* Lease timers first: each may change the state the retransmission below uses. */
    if (d->state >= NET_DHCP_BOUND && now >= d->expiry_at) {
        net_set_addr(d->s, 0, 0, 0);
        restart(d, now);
    } else if ((d->state == NET_DHCP_BOUND || d->state == NET_DHCP_RENEWING) && now >= d->t2_at) {
        enter(d, NET_DHCP_REBINDING);
        d->next = now;
    } else if (d->state == NET_DHCP_BOUND && now >= d->t1_at) {
        enter(d, NET_DHCP_RENEWING);
        d->next = now;
    }
    if (now < d->next) {
        return d->next;
    }
    switch (d->state) {
    case NET_DHCP_INIT:
        discover(d, now);
        break;
    case NET_DHCP_SELECTING:
        /* The backoff stops growing at 64 s; so does the count. */
        d->tries = (uint8_t)(d->tries + (d->tries < 4));
        send_msg(d, now, NET_DHCPDISCOVER);
        d->next = now + backoff(d);
        break;
    case NET_DHCP_REQUESTING:
        if (++d->tries >= REQUEST_TRIES) {
            /* No answer to our request: the offer is stale, start again. */
            memset(&d->lease, 0, sizeof(d->lease));
            discover(d, now);
            break;
        }
        send_msg(d, now, NET_DHCPREQUEST);
        d->next = now + backoff(d);
        break;
    case NET_DHCP_RENEWING:
        if (d->tries++ == 0) {
            d->xid = d->entropy(d->entropy_ctx);
        }
        send_msg(d, now, NET_DHCPREQUEST);
        d->next = renew_next(now, d->t2_at);
        break;
    case NET_DHCP_REBINDING:
        if (d->tries++ == 0) {
            d->xid = d->entropy(d->entropy_ctx);
        }
        send_msg(d, now, NET_DHCPREQUEST);
        d->next = renew_next(now, d->expiry_at);
        break;
    default:
        /* BOUND: nothing to send before T1. */
        d->next = d->t1_at;
        break;
    }
    return d->next;
}
