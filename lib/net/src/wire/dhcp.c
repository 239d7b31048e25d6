/* DHCP replies (RFC 2131 2, options RFC 2132). */
#include <vallum/net/dhcp.h>

#include <string.h>

/* Options the client reads. */
#define OPT_PAD 0
#define OPT_NETMASK 1
#define OPT_ROUTER 3
#define OPT_DNS 6
#define OPT_LEASE 51
#define OPT_MSG_TYPE 53
#define OPT_SERVER_ID 54
#define OPT_T1 58
#define OPT_T2 59
#define OPT_END 255

/* Reads one option's value into out; returns -1 if its length is not what it must be. */
static int
read_option(uint8_t code, const uint8_t *v, size_t n, struct net_dhcp_reply *out)
{
    size_t i;

    switch (code) {
    case OPT_NETMASK:
    case OPT_SERVER_ID:
    case OPT_LEASE:
    case OPT_T1:
    case OPT_T2:
        if (n != 4) {
            return -1;
        }
        if (code == OPT_NETMASK) {
            out->netmask = net_get32(v);
        } else if (code == OPT_SERVER_ID) {
            out->server = net_get32(v);
        } else if (code == OPT_LEASE) {
            out->lease_s = net_get32(v);
        } else if (code == OPT_T1) {
            out->t1_s = net_get32(v);
        } else {
            out->t2_s = net_get32(v);
        }
        return 0;
    case OPT_ROUTER:
    case OPT_DNS:
        if (n == 0 || n % 4 != 0) {
            return -1;
        }
        if (code == OPT_ROUTER) {
            out->router = net_get32(v);
            return 0;
        }
        for (i = 0; i < n && out->ndns < NET_DHCP_MAX_DNS; i += 4) {
            out->dns[out->ndns++] = net_get32(v + i);
        }
        return 0;
    case OPT_MSG_TYPE:
        if (n != 1) {
            return -1;
        }
        out->type = v[0];
        return 0;
    default:
        /* Options we do not use are skipped; their length was checked by the caller. */
        return 0;
    }
}

int
net_dhcp_parse(const uint8_t *p, size_t len, const struct net_mac *mac, struct net_dhcp_reply *out)
{
    size_t i;

    memset(out, 0, sizeof(*out));
    if (len < NET_DHCP_OPTIONS) {
        return -1;
    }
    if (p[NET_DHCP_OP] != 2 || p[NET_DHCP_HTYPE] != 1 || p[NET_DHCP_HLEN] != 6) {
        return -1;
    }
    /* A reply for another client on the same link (replies may be broadcast). */
    if (memcmp(p + NET_DHCP_CHADDR, mac->b, 6) != 0) {
        return -1;
    }
    if (net_get32(p + NET_DHCP_COOKIE) != NET_DHCP_MAGIC) {
        return -1;
    }
    out->xid = net_get32(p + NET_DHCP_XID);
    out->yiaddr = net_get32(p + NET_DHCP_YIADDR);
    i = NET_DHCP_OPTIONS;
    while (i < len && p[i] != OPT_END) {
        if (p[i] == OPT_PAD) {
            i++;
            continue;
        }
        /* Code, length, value: all within the message. */
        if (i + 1 >= len || p[i + 1] > len - i - 2) {
            return -1;
        }
        if (read_option(p[i], p + i + 2, p[i + 1], out) != 0) {
            return -1;
        }
        i += 2 + (size_t)p[i + 1];
    }
    if (out->type != NET_DHCPOFFER && out->type != NET_DHCPACK && out->type != NET_DHCPNAK) {
        return -1;
    }
    /* RFC 2131 4.3.1: every OFFER, ACK and NAK names its server. */
    if (out->server == 0) {
        return -1;
    }
    return 0;
}
