/*
 * The DNS stub resolver: a bounded cache, and queries in flight each with its own UDP
 * socket on a random port, a random ID, and retries that move through the servers.
 */
#include <vallum/net/dns.h>

#include <string.h>

#define PORT_TRIES 16 /* random ports tried before taking the next free ephemeral one */

int
net_dns_init(struct net_dns *d, struct net_stack *s, struct net_dns_cache_entry *cache,
             size_t cache_count, struct net_dns_query *queries, size_t query_count,
             net_entropy_fn entropy, void *entropy_ctx)
{
    if (cache_count == 0 || query_count == 0 || entropy == NULL) {
        return -NET_EINVAL;
    }
    memset(d, 0, sizeof(*d));
    memset(cache, 0, cache_count * sizeof(cache[0]));
    memset(queries, 0, query_count * sizeof(queries[0]));
    d->s = s;
    d->cache = cache;
    d->cache_count = cache_count;
    d->queries = queries;
    d->query_count = query_count;
    d->entropy = entropy;
    d->entropy_ctx = entropy_ctx;
    return 0;
}

int
net_dns_set_servers(struct net_dns *d, const net_ip4_t *servers, size_t n)
{
    size_t i;

    d->nservers = 0;
    for (i = 0; i < n && d->nservers < NET_DNS_MAX_SERVERS; i++) {
        if (servers[i] != 0 && !net_ip4_is_multicast_or_reserved(servers[i])) {
            d->servers[d->nservers++] = servers[i];
        }
    }
    return d->nservers == 0 ? -NET_EINVAL : 0;
}

/* Copies name in lower case without a final dot into out; false if it is too long. */
static bool
normalise(const char *name, char *out)
{
    size_t i, n = strlen(name);

    if (n > 0 && name[n - 1] == '.') {
        n--;
    }
    if (n > NET_DNS_NAME_MAX) {
        return false;
    }
    for (i = 0; i < n; i++) {
        out[i] = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] - 'A' + 'a') : name[i];
    }
    out[n] = '\0';
    return true;
}

static struct net_dns_cache_entry *
cache_find(struct net_dns *d, uint64_t now, const char *key)
{
    size_t i;

    for (i = 0; i < d->cache_count; i++) {
        struct net_dns_cache_entry *e = &d->cache[i];
        if (e->name[0] != '\0' && now < e->expires && strcmp(e->name, key) == 0) {
            return e;
        }
    }
    return NULL;
}

static bool
reusable(const struct net_dns_cache_entry *e, uint64_t now)
{
    return e->name[0] == '\0' || e->expires <= now;
}

/* Stores an answer, replacing an entry for the same name, an expired one, or the one that
 * expires first. */
static void
cache_put(struct net_dns *d, uint64_t now, const char *key, net_ip4_t addr, uint32_t ttl_s)
{
    struct net_dns_cache_entry *pick = &d->cache[0];
    size_t i;

    if (ttl_s == 0) {
        return; /* RFC 1035 3.2.1: use it for this transaction only */
    }
    for (i = 0; i < d->cache_count; i++) {
        struct net_dns_cache_entry *e = &d->cache[i];
        if (e->name[0] != '\0' && strcmp(e->name, key) == 0) {
            pick = e;
            break;
        }
        if (!reusable(pick, now) && (reusable(e, now) || e->expires < pick->expires)) {
            pick = e;
        }
    }
    memcpy(pick->name, key, strlen(key) + 1);
    pick->addr = addr;
    pick->expires = now + (uint64_t)(ttl_s < NET_DNS_TTL_MAX_S ? ttl_s : NET_DNS_TTL_MAX_S) * 1000;
}

static void
finish(struct net_dns_query *q, enum net_dns_status status, net_ip4_t addr)
{
    char name[NET_DNS_NAME_MAX + 1];
    net_dns_fn fn = q->fn;
    void *ctx = q->ctx;

    /* Free the slot first: the callback may start another query. */
    memcpy(name, q->name, sizeof(name));
    net_udp_close(q->dns->s, q->sock);
    q->name[0] = '\0';
    fn(ctx, name, status, addr);
}

/* Sends the query's next try to the next server. */
static void
send_try(struct net_dns_query *q, uint64_t now)
{
    struct net_dns *d = q->dns;
    uint8_t m[NET_DNS_QUERY_MAX];
    int len = net_dns_build_query(m, q->id, q->name);

    q->server = d->servers[q->tries % d->nservers];
    q->tries++;
    q->deadline = now + NET_DNS_RETRY_MS;
    if (len > 0) {
        /* A lost query is retried; the send's own errors need nothing more. */
        (void)net_udp_sendto(d->s, now, q->sock, q->server, NET_DNS_PORT, m, (size_t)len);
    }
}

static void
on_response(void *ctx, int sock, net_ip4_t src, uint16_t sport, const uint8_t *data, size_t len)
{
    struct net_dns_query *q = ctx;
    struct net_dns *d = q->dns;
    enum net_dns_status status;
    net_ip4_t addr = 0;
    uint32_t ttl = 0;

    (void)sock;
    /* Only from the server asked, from port 53, with our ID and question (RFC 5452). */
    if (q->name[0] == '\0' || src != q->server || sport != NET_DNS_PORT ||
        net_dns_parse_response(data, len, q->id, q->name, &status, &addr, &ttl) != 0) {
        d->rejected++;
        return;
    }
    if (status == NET_DNS_OK) {
        cache_put(d, d->s->now, q->name, addr, ttl);
    }
    finish(q, status, addr);
}

/* Binds a socket for q on a random port. Returns the socket or -NET_E*. */
static int
bind_random(struct net_dns *d, struct net_dns_query *q)
{
    uint32_t range = NET_EPHEMERAL_LAST - NET_EPHEMERAL_FIRST + 1;
    int i, sock;

    for (i = 0; i < PORT_TRIES; i++) {
        uint16_t port = (uint16_t)(NET_EPHEMERAL_FIRST + d->entropy(d->entropy_ctx) % range);
        sock = net_udp_bind(d->s, port, on_response, q);
        if (sock != -NET_EADDRINUSE) {
            return sock;
        }
    }
    return net_udp_bind(d->s, 0, on_response, q);
}

int
net_dns_resolve(struct net_dns *d, uint64_t now, const char *name, net_dns_fn fn, void *ctx)
{
    uint8_t check[NET_DNS_QUERY_MAX];
    struct net_dns_cache_entry *e;
    struct net_dns_query *q = NULL;
    char key[NET_DNS_NAME_MAX + 1];
    size_t i;
    int sock;

    if (fn == NULL || d->nservers == 0 || !normalise(name, key) ||
        net_dns_build_query(check, 0, key) < 0) {
        return -NET_EINVAL;
    }
    e = cache_find(d, now, key);
    if (e != NULL) {
        fn(ctx, name, NET_DNS_OK, e->addr);
        return 0;
    }
    for (i = 0; i < d->query_count && q == NULL; i++) {
        if (d->queries[i].name[0] == '\0') {
            q = &d->queries[i];
        }
    }
    if (q == NULL) {
        return -NET_EAGAIN;
    }
    sock = bind_random(d, q);
    if (sock < 0) {
        return sock;
    }
    memcpy(q->name, key, sizeof(key));
    q->sock = sock;
    q->id = (uint16_t)d->entropy(d->entropy_ctx);
    q->tries = 0;
    q->fn = fn;
    q->ctx = ctx;
    q->dns = d;
    send_try(q, now);
    return 0;
}

uint64_t
net_dns_poll(struct net_dns *d, uint64_t now)
{
    uint64_t next = NET_NO_DEADLINE;
    size_t i;

    for (i = 0; i < d->query_count; i++) {
        struct net_dns_query *q = &d->queries[i];
        if (q->name[0] == '\0') {
            continue;
        }
        if (now >= q->deadline) {
            if (q->tries >= NET_DNS_TRIES) {
                finish(q, NET_DNS_FAILED, 0);
                continue;
            }
            send_try(q, now);
        }
        if (q->deadline < next) {
            next = q->deadline;
        }
    }
    return next;
}
