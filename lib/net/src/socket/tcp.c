/*
 * TCP: the connection table, buffers from the pool, sequence-number choice and the
 * socket API. Input is in tcp_in.c, transmission and timers in tcp_out.c.
 */
#include "tcp_internal.h"

#include <vallum/net/siphash.h>

#include <string.h>

static const char *const state_names[] = {
    "FREE",       "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RCVD", "ESTABLISHED",
    "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK", "TIME_WAIT",
};

const char *
net_tcp_state_name(int state)
{
    if (state < 0 || (size_t)state >= sizeof(state_names) / sizeof(state_names[0])) {
        return "?";
    }
    return state_names[state];
}

int
net_tcp_init(struct net_stack *s, struct net_tcp *t, const struct net_tcp_config *cfg,
             const struct net_tcp_mem *mem)
{
    size_t i;

    if (mem->conn_count == 0 || mem->conn_count >= NET_TCP_NONE || mem->pool == NULL ||
        mem->pool_len / NET_TCP_BLOCK < 2 || mem->block_used == NULL ||
        mem->pool_len / NET_TCP_BLOCK > UINT32_MAX) {
        return -NET_EINVAL;
    }
    memset(t, 0, sizeof(*t));
    t->cfg = *cfg;
    t->mem = *mem;
    if (t->cfg.msl_ms == 0) {
        t->cfg.msl_ms = NET_TCP_MSL_MS;
    }
    if (t->cfg.keepidle_ms == 0) {
        t->cfg.keepidle_ms = NET_TCP_KEEPIDLE_MS;
    }
    if (t->cfg.keepintvl_ms == 0) {
        t->cfg.keepintvl_ms = NET_TCP_KEEPINTVL_MS;
    }
    t->nblocks = mem->pool_len / NET_TCP_BLOCK;
    memset(mem->block_used, 0, t->nblocks);
    memset(mem->conns, 0, mem->conn_count * sizeof(mem->conns[0]));
    for (i = 0; i < mem->conn_count; i++) {
        mem->conns[i].parent = NET_TCP_NONE;
    }
    t->challenge_tokens = (uint64_t)NET_TCP_CHALLENGE_PER_S * 1000;
    s->tcp = t;
    return 0;
}

/* --- Slots and buffers ----------------------------------------------------------------- */

/* Clears slot c for a new use, keeping its generation. */
static void
reset_slot(struct net_tcp_conn *c)
{
    uint16_t gen = c->gen;

    memset(c, 0, sizeof(*c));
    c->gen = gen;
    c->parent = NET_TCP_NONE;
    c->sndbuf = c->rcvbuf = NET_TCP_BUF_DEFAULT;
    c->t_rexmt = c->t_delack = c->t_keep = c->t_close = NET_NO_DEADLINE;
}

struct net_tcp_conn *
tcp_alloc(struct net_stack *s)
{
    struct net_tcp_conn *oldest_tw = NULL;
    size_t i;

    for (i = 0; i < s->tcp->mem.conn_count; i++) {
        struct net_tcp_conn *c = tcp_slot(s, i);
        if (c->state == NET_TCP_FREE) {
            reset_slot(c);
            c->state = NET_TCP_CLOSED;
            return c;
        }
        if (c->state == NET_TCP_TIME_WAIT &&
            (oldest_tw == NULL || c->t_close < oldest_tw->t_close)) {
            oldest_tw = c;
        }
    }
    /* A full table ends the TIME_WAIT that would end first rather than refuse: TIME_WAIT
     * only guards against old duplicates, which timestamps and ISNs already make unlikely
     * to be accepted (NET-FACTS pitfall 8: they pile up under Connection: close). */
    if (oldest_tw == NULL) {
        return NULL;
    }
    s->tcp->stats.tw_reused++;
    tcp_free(s, oldest_tw);
    reset_slot(oldest_tw);
    oldest_tw->state = NET_TCP_CLOSED;
    return oldest_tw;
}

/* Takes n contiguous free blocks; returns the first, or UINT32_MAX. */
static uint32_t
blocks_take(struct net_tcp *t, uint32_t n)
{
    uint32_t i, run = 0;

    for (i = 0; i < t->nblocks; i++) {
        run = t->mem.block_used[i] ? 0 : run + 1;
        if (run == n) {
            uint32_t first = i + 1 - n;
            memset(t->mem.block_used + first, 1, n);
            return first;
        }
    }
    return UINT32_MAX;
}

static uint32_t
blocks_for(uint32_t bytes)
{
    return (bytes + NET_TCP_BLOCK - 1) / NET_TCP_BLOCK;
}

int
tcp_buffers(struct net_stack *s, struct net_tcp_conn *c)
{
    struct net_tcp *t = s->tcp;
    uint32_t ntx = blocks_for(c->sndbuf), nrx = blocks_for(c->rcvbuf);
    uint32_t tx = blocks_take(t, ntx), rx;

    if (tx == UINT32_MAX) {
        return -NET_ENOBUFS;
    }
    rx = blocks_take(t, nrx);
    if (rx == UINT32_MAX) {
        memset(t->mem.block_used + tx, 0, ntx);
        return -NET_ENOBUFS;
    }
    c->tx_block = tx;
    c->rx_block = rx;
    c->tx_cap = ntx * NET_TCP_BLOCK;
    c->rx_cap = nrx * NET_TCP_BLOCK;
    c->tx_head = c->tx_len = c->rx_head = c->rx_len = 0;
    c->nooo = 0;
    /* The smallest shift that lets the whole receive buffer be advertised. */
    c->rcv_wscale = 0;
    while (c->rcv_wscale < NET_TCP_WSCALE_MAX && (c->rx_cap >> c->rcv_wscale) > 65535) {
        c->rcv_wscale++;
    }
    return 0;
}

void
tcp_free(struct net_stack *s, struct net_tcp_conn *c)
{
    struct net_tcp *t = s->tcp;

    if (c->tx_cap != 0) {
        memset(t->mem.block_used + c->tx_block, 0, c->tx_cap / NET_TCP_BLOCK);
    }
    if (c->rx_cap != 0) {
        memset(t->mem.block_used + c->rx_block, 0, c->rx_cap / NET_TCP_BLOCK);
    }
    if (c->parent != NET_TCP_NONE) {
        tcp_slot(s, c->parent)->children--;
    }
    c->tx_cap = c->rx_cap = 0;
    c->state = NET_TCP_FREE;
    c->has_handle = false;
    c->parent = NET_TCP_NONE;
    c->gen = (uint16_t)((c->gen + 1) & 0x7fff);
}

void
tcp_drop(struct net_stack *s, struct net_tcp_conn *c, int err)
{
    if (err == NET_ECONNRESET || err == NET_ECONNREFUSED) {
        s->tcp->stats.conns_reset++;
    } else if (err == NET_ETIMEDOUT) {
        s->tcp->stats.conns_timed_out++;
    }
    if (!c->has_handle) {
        tcp_free(s, c);
        return;
    }
    c->state = NET_TCP_CLOSED;
    c->err = err;
    c->t_rexmt = c->t_delack = c->t_keep = c->t_close = NET_NO_DEADLINE;
}

uint32_t
tcp_isn(struct net_stack *s, uint64_t now, net_ip4_t laddr, uint16_t lport, net_ip4_t raddr,
        uint16_t rport)
{
    uint8_t msg[12];

    net_put32(msg, laddr);
    net_put16(msg + 4, lport);
    net_put32(msg + 6, raddr);
    net_put16(msg + 10, rport);
    /* RFC 6528 3: ISN = M + F(4-tuple, secret), M a clock ticking every 4 microseconds. */
    return (uint32_t)(now * 250) + (uint32_t)net_siphash24(s->tcp->cfg.isn_key, msg, sizeof(msg));
}

void
tcp_init_seq(struct net_tcp_conn *c, uint32_t iss)
{
    c->iss = c->snd_una = c->snd_nxt = c->snd_max = iss;
    c->snd_wnd = 0;
    c->mss = 536; /* RFC 9293 3.7.1: the default when the peer sends no MSS option */
    c->ssthresh = UINT32_MAX;
    c->rto = NET_TCP_RTO_INIT_MS;
    c->srtt8 = c->rttvar4 = 0;
}

/* --- Handles --------------------------------------------------------------------------- */

static int
handle_of(const struct net_stack *s, const struct net_tcp_conn *c)
{
    return (int)(((uint32_t)c->gen << 16) | (uint32_t)(c - s->tcp->mem.conns));
}

static struct net_tcp_conn *
conn_of(const struct net_stack *s, int sock)
{
    size_t idx;
    struct net_tcp_conn *c;

    if (s->tcp == NULL || sock < 0) {
        return NULL;
    }
    idx = (size_t)sock & 0xffff;
    if (idx >= s->tcp->mem.conn_count) {
        return NULL;
    }
    c = &s->tcp->mem.conns[idx];
    if (c->state == NET_TCP_FREE || !c->has_handle || c->gen != ((unsigned)sock >> 16)) {
        return NULL;
    }
    return c;
}

const struct net_tcp_conn *
net_tcp_conn(const struct net_stack *s, int sock)
{
    return conn_of(s, sock);
}

/* --- The socket API -------------------------------------------------------------------- */

int
net_tcp_socket(struct net_stack *s)
{
    struct net_tcp_conn *c;

    if (s->tcp == NULL) {
        return -NET_EINVAL;
    }
    c = tcp_alloc(s);
    if (c == NULL) {
        return -NET_EAGAIN;
    }
    c->has_handle = true;
    return handle_of(s, c);
}

int
net_tcp_setopt(struct net_stack *s, int sock, int opt, uint32_t value)
{
    struct net_tcp_conn *c = conn_of(s, sock);

    if (c == NULL) {
        return -NET_EBADF;
    }
    switch (opt) {
    case NET_TCP_NODELAY:
        c->nodelay = value != 0;
        break;
    case NET_SO_KEEPALIVE:
        c->keepalive = value != 0;
        break;
    case NET_SO_REUSEADDR:
        c->reuseaddr = value != 0;
        break;
    case NET_SO_SNDBUF:
    case NET_SO_RCVBUF:
        if (value == 0 || value > NET_TCP_BUF_MAX) {
            return -NET_EINVAL;
        }
        if (c->state != NET_TCP_CLOSED || c->tx_cap != 0) {
            return -NET_EISCONN;
        }
        if (opt == NET_SO_SNDBUF) {
            c->sndbuf = value;
        } else {
            c->rcvbuf = value;
        }
        break;
    default:
        return -NET_EINVAL;
    }
    return 0;
}

/* True if another slot than self holds port in a way that forbids self to bind it: a
 * listener always does; a connection does unless self has NET_SO_REUSEADDR. */
static bool
port_conflicts(struct net_stack *s, const struct net_tcp_conn *self, uint16_t port)
{
    size_t i;

    for (i = 0; i < s->tcp->mem.conn_count; i++) {
        const struct net_tcp_conn *c = tcp_slot(s, i);
        if (c == self || c->state == NET_TCP_FREE || c->lport != port) {
            continue;
        }
        if (c->state == NET_TCP_LISTEN || !self->reuseaddr) {
            return true;
        }
    }
    return false;
}

int
net_tcp_bind(struct net_stack *s, int sock, uint16_t port)
{
    struct net_tcp_conn *c = conn_of(s, sock);

    if (c == NULL) {
        return -NET_EBADF;
    }
    if (c->state != NET_TCP_CLOSED || c->lport != 0 || c->tx_cap != 0) {
        return -NET_EISCONN;
    }
    if (port != 0 && port_conflicts(s, c, port)) {
        return -NET_EADDRINUSE;
    }
    c->lport = port;
    return 0;
}

int
net_tcp_listen(struct net_stack *s, int sock, uint32_t backlog)
{
    struct net_tcp_conn *c = conn_of(s, sock);

    if (c == NULL) {
        return -NET_EBADF;
    }
    if (c->state != NET_TCP_CLOSED || c->tx_cap != 0) {
        return -NET_EISCONN;
    }
    if (c->lport == 0 || backlog == 0 || backlog > 1024) {
        return -NET_EINVAL;
    }
    c->state = NET_TCP_LISTEN;
    c->backlog = (uint16_t)backlog;
    c->children = 0;
    return 0;
}

int
net_tcp_accept(struct net_stack *s, int sock)
{
    struct net_tcp_conn *l = conn_of(s, sock);
    uint16_t li;
    size_t i;

    if (l == NULL) {
        return -NET_EBADF;
    }
    if (l->state != NET_TCP_LISTEN) {
        return -NET_EINVAL;
    }
    li = tcp_index(s, l);
    for (i = 0; i < s->tcp->mem.conn_count; i++) {
        struct net_tcp_conn *c = tcp_slot(s, i);
        if (c->parent == li && c->state != NET_TCP_FREE && c->state != NET_TCP_SYN_RCVD) {
            l->children--;
            c->parent = NET_TCP_NONE;
            c->has_handle = true;
            s->tcp->stats.conns_accepted++;
            return handle_of(s, c);
        }
    }
    return -NET_EAGAIN;
}

/* True if a connection other than self has the four-tuple. */
static struct net_tcp_conn *
tuple_user(struct net_stack *s, const struct net_tcp_conn *self, uint16_t lport, net_ip4_t raddr,
           uint16_t rport)
{
    size_t i;

    for (i = 0; i < s->tcp->mem.conn_count; i++) {
        struct net_tcp_conn *c = tcp_slot(s, i);
        if (c != self && c->state > NET_TCP_LISTEN && c->lport == lport && c->raddr == raddr &&
            c->rport == rport) {
            return c;
        }
    }
    return NULL;
}

/* Picks an ephemeral port for raddr:rport whose four-tuple is free (RFC 6056 algorithm 3:
 * a keyed hash of the destination plus a counter, so ports are hard to guess). */
static uint16_t
ephemeral(struct net_stack *s, const struct net_tcp_conn *self, net_ip4_t raddr, uint16_t rport)
{
    const uint32_t range = NET_EPHEMERAL_LAST - NET_EPHEMERAL_FIRST + 1;
    uint8_t msg[6];
    uint32_t base, n;

    net_put32(msg, raddr);
    net_put16(msg + 4, rport);
    base = (uint32_t)net_siphash24(s->tcp->cfg.isn_key, msg, sizeof(msg));
    for (n = 0; n < range; n++) {
        uint16_t port = (uint16_t)(NET_EPHEMERAL_FIRST + (base + s->tcp->port_offset++) % range);
        if (tuple_user(s, self, port, raddr, rport) == NULL && !port_conflicts(s, self, port)) {
            return port;
        }
    }
    return 0;
}

int
net_tcp_connect(struct net_stack *s, uint64_t now, int sock, net_ip4_t dst, uint16_t dport)
{
    struct net_tcp_conn *c = conn_of(s, sock), *old;
    int err;

    if (c == NULL) {
        return -NET_EBADF;
    }
    if (c->state != NET_TCP_CLOSED || c->tx_cap != 0) {
        return -NET_EISCONN;
    }
    if (dport == 0 || dst == 0 || net_ip4_is_multicast_or_reserved(dst) ||
        net_ip4_is_broadcast(s, dst) || (dst >> 24) == 127) {
        return -NET_EINVAL;
    }
    if (s->cfg.addr == 0) {
        return -NET_EHOSTUNREACH;
    }
    if (c->lport != 0) {
        old = tuple_user(s, c, c->lport, dst, dport);
        /* A TIME_WAIT of the same four-tuple gives way to SO_REUSEADDR: our new ISN is
         * later on RFC 6528's clock and timestamps guard the rest (RFC 6191's reasoning). */
        if (old != NULL && !(c->reuseaddr && old->state == NET_TCP_TIME_WAIT)) {
            return -NET_EADDRINUSE;
        }
        if (old != NULL) {
            s->tcp->stats.tw_reused++;
            tcp_free(s, old);
        }
    } else {
        c->lport = ephemeral(s, c, dst, dport);
        if (c->lport == 0) {
            return -NET_EAGAIN;
        }
    }
    err = tcp_buffers(s, c);
    if (err != 0) {
        return err;
    }
    c->laddr = s->cfg.addr;
    c->raddr = dst;
    c->rport = dport;
    tcp_init_seq(c, tcp_isn(s, now, c->laddr, c->lport, dst, dport));
    c->state = NET_TCP_SYN_SENT;
    c->last_rx = now;
    s->tcp->stats.conns_opened++;
    tcp_output(s, now, c);
    return 0;
}

/* The error a call reports first: a pending one, once. */
static int
take_err(struct net_tcp_conn *c)
{
    int err = c->err;

    c->err = 0;
    return -err;
}

int
net_tcp_send(struct net_stack *s, uint64_t now, int sock, const void *data, size_t len)
{
    struct net_tcp_conn *c = conn_of(s, sock);
    const uint8_t *p = data;
    uint32_t n, at, first;

    if (c == NULL) {
        return -NET_EBADF;
    }
    if (c->err != 0) {
        return take_err(c);
    }
    if (c->state == NET_TCP_SYN_SENT || c->state == NET_TCP_SYN_RCVD) {
        return -NET_EAGAIN;
    }
    if (c->state == NET_TCP_LISTEN || (c->state == NET_TCP_CLOSED && c->tx_cap == 0)) {
        return -NET_ENOTCONN;
    }
    if (c->fin_queued || (c->state != NET_TCP_ESTABLISHED && c->state != NET_TCP_CLOSE_WAIT)) {
        return -NET_EPIPE;
    }
    n = (uint32_t)(len < c->tx_cap - c->tx_len ? len : c->tx_cap - c->tx_len);
    if (n == 0) {
        return len == 0 ? 0 : -NET_EAGAIN;
    }
    at = (c->tx_head + c->tx_len) % c->tx_cap;
    first = tcp_min32(n, c->tx_cap - at);
    memcpy(s->tcp->mem.pool + (size_t)c->tx_block * NET_TCP_BLOCK + at, p, first);
    memcpy(s->tcp->mem.pool + (size_t)c->tx_block * NET_TCP_BLOCK, p + first, n - first);
    c->tx_len += n;
    tcp_output(s, now, c);
    return (int)tcp_min32(n, INT32_MAX);
}

int
net_tcp_recv(struct net_stack *s, uint64_t now, int sock, void *buf, size_t len)
{
    struct net_tcp_conn *c = conn_of(s, sock);
    uint8_t *p = buf;
    uint32_t n, first, before;

    if (c == NULL) {
        return -NET_EBADF;
    }
    if (c->rx_len == 0 && c->err != 0) {
        return take_err(c);
    }
    if (c->state == NET_TCP_LISTEN || (c->state == NET_TCP_CLOSED && c->rx_cap == 0)) {
        return -NET_ENOTCONN;
    }
    if (c->rx_len == 0) {
        return c->rcv_fin || c->state == NET_TCP_CLOSED ? 0 : -NET_EAGAIN;
    }
    n = (uint32_t)(len < c->rx_len ? len : c->rx_len);
    if (n > INT32_MAX) {
        n = INT32_MAX;
    }
    first = tcp_min32(n, c->rx_cap - c->rx_head);
    memcpy(p, s->tcp->mem.pool + (size_t)c->rx_block * NET_TCP_BLOCK + c->rx_head, first);
    memcpy(p + first, s->tcp->mem.pool + (size_t)c->rx_block * NET_TCP_BLOCK, n - first);
    before = c->rx_cap - c->rx_len;
    c->rx_head = (c->rx_head + n) % c->rx_cap;
    c->rx_len -= n;
    /* A window update when reading opened at least two segments or half the buffer
     * (RFC 1122 4.2.3.3's receiver side of silly window avoidance). */
    if (tcp_synchronized(c) && !c->rcv_fin) {
        uint32_t opened = c->rx_cap - c->rx_len - tcp_max32(before, c->rcv_adv - c->rcv_nxt);
        if ((int32_t)opened >= (int32_t)tcp_min32(2u * TCP_MSS, c->rx_cap / 2)) {
            tcp_send_ack(s, now, c);
        }
    }
    return (int)n;
}

int
net_tcp_shutdown(struct net_stack *s, uint64_t now, int sock)
{
    struct net_tcp_conn *c = conn_of(s, sock);

    if (c == NULL) {
        return -NET_EBADF;
    }
    if (c->state != NET_TCP_ESTABLISHED && c->state != NET_TCP_CLOSE_WAIT &&
        c->state != NET_TCP_SYN_SENT && c->state != NET_TCP_SYN_RCVD) {
        return c->fin_queued ? 0 : -NET_ENOTCONN;
    }
    if (c->state == NET_TCP_SYN_SENT) {
        /* Nothing was sent: RFC 9293 3.10.4 deletes the connection. */
        tcp_drop(s, c, 0);
        return 0;
    }
    c->fin_queued = true;
    tcp_output(s, now, c);
    return 0;
}

/* Resets every child of listener l that the component has not accepted. */
static void
reset_children(struct net_stack *s, uint64_t now, struct net_tcp_conn *l)
{
    uint16_t li = tcp_index(s, l);
    size_t i;

    for (i = 0; i < s->tcp->mem.conn_count; i++) {
        struct net_tcp_conn *c = tcp_slot(s, i);
        if (c->state != NET_TCP_FREE && c->parent == li) {
            tcp_send_ctl(s, now, c, c->snd_max, NET_TCP_RST);
            tcp_free(s, c);
        }
    }
}

int
net_tcp_abort(struct net_stack *s, uint64_t now, int sock)
{
    struct net_tcp_conn *c = conn_of(s, sock);

    if (c == NULL) {
        return -NET_EBADF;
    }
    if (c->state == NET_TCP_LISTEN) {
        reset_children(s, now, c);
    } else if (c->state >= NET_TCP_SYN_RCVD) {
        tcp_send_ctl(s, now, c, c->snd_max, NET_TCP_RST | NET_TCP_ACKF);
        s->tcp->stats.resets_sent++;
    }
    tcp_free(s, c);
    return 0;
}

int
net_tcp_close(struct net_stack *s, uint64_t now, int sock)
{
    struct net_tcp_conn *c = conn_of(s, sock);

    if (c == NULL) {
        return -NET_EBADF;
    }
    /* Unread data would be lost without the peer knowing: reset (RFC 1122 4.2.2.13). */
    if (c->state == NET_TCP_LISTEN || c->rx_len > 0 || c->state == NET_TCP_SYN_SENT ||
        c->state == NET_TCP_CLOSED) {
        return net_tcp_abort(s, now, sock);
    }
    c->has_handle = false;
    if (c->state == NET_TCP_ESTABLISHED || c->state == NET_TCP_CLOSE_WAIT ||
        c->state == NET_TCP_SYN_RCVD) {
        c->fin_queued = true;
        tcp_output(s, now, c);
    }
    if (c->state == NET_TCP_FIN_WAIT_2 && c->t_close == NET_NO_DEADLINE) {
        c->t_close = now + NET_TCP_FIN_WAIT2_MS;
    }
    if (c->state == NET_TCP_TIME_WAIT) {
        tcp_release_buffers(s, c);
    }
    return 0;
}

unsigned
net_tcp_events(const struct net_stack *s, int sock)
{
    const struct net_tcp_conn *c = conn_of(s, sock);
    unsigned ev = 0;
    size_t i;

    if (c == NULL) {
        return 0;
    }
    if (c->err != 0) {
        ev |= NET_TCP_ERROR | NET_TCP_READABLE;
    }
    if (c->state == NET_TCP_LISTEN) {
        for (i = 0; i < s->tcp->mem.conn_count; i++) {
            const struct net_tcp_conn *k = &s->tcp->mem.conns[i];
            if (k->state > NET_TCP_SYN_RCVD && k->parent == tcp_index(s, c)) {
                ev |= NET_TCP_ACCEPTABLE;
                break;
            }
        }
        return ev;
    }
    if (c->rx_len > 0 || c->rcv_fin) {
        ev |= NET_TCP_READABLE;
    }
    if (c->rcv_fin || (c->state == NET_TCP_CLOSED && c->tx_cap != 0)) {
        ev |= NET_TCP_HUP | NET_TCP_READABLE;
    }
    if ((c->state == NET_TCP_ESTABLISHED || c->state == NET_TCP_CLOSE_WAIT) && !c->fin_queued &&
        c->tx_len < c->tx_cap) {
        ev |= NET_TCP_WRITABLE;
    }
    return ev;
}
