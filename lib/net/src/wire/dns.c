/* DNS queries and responses (RFC 1035 4.1), for A records. */
#include <vallum/net/dns.h>

#include <string.h>

#define TYPE_A 1
#define TYPE_CNAME 5
#define CLASS_IN 1
#define FLAG_QR 0x8000
#define FLAG_TC 0x0200
#define FLAG_RD 0x0100
#define OPCODE_MASK 0x7800
#define RCODE_MASK 0x000f
#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3
#define CNAME_MAX 8 /* CNAMEs followed within one answer */

int
net_dns_build_query(uint8_t *out, uint16_t id, const char *name)
{
    size_t n = strlen(name), i = 0, o = NET_DNS_HDR_LEN;

    if (n > 0 && name[n - 1] == '.') {
        n--;
    }
    if (n == 0 || n > NET_DNS_NAME_MAX - 2) {
        return -1;
    }
    memset(out, 0, NET_DNS_HDR_LEN);
    net_put16(out + NET_DNS_ID, id);
    net_put16(out + NET_DNS_FLAGS, FLAG_RD);
    net_put16(out + NET_DNS_QDCOUNT, 1);
    while (i < n) {
        size_t start = i;
        while (i < n && name[i] != '.') {
            i++;
        }
        if (i == start || i - start > 63) {
            return -1;
        }
        out[o++] = (uint8_t)(i - start);
        memcpy(out + o, name + start, i - start);
        o += i - start;
        i++; /* the dot */
        if (i == n) {
            return -1; /* "a..": an empty last label */
        }
    }
    out[o++] = 0;
    net_put16(out + o, TYPE_A);
    net_put16(out + o + 2, CLASS_IN);
    return (int)(o + 4);
}

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Reads the name at *off into text (dotted, lower case, NUL-terminated; NET_DNS_NAME_MAX + 1
 * bytes) and moves *off past it. Compression pointers must point before the place they
 * are read from, so every jump goes backwards and the walk ends. Returns 0 or -1. */
static int
read_name(const uint8_t *p, size_t len, size_t *off, char *text)
{
    size_t at = *off, t = 0, limit = *off;
    bool jumped = false;

    for (;;) {
        uint8_t l;
        if (at >= len) {
            return -1;
        }
        l = p[at];
        if ((l & 0xc0) == 0xc0) {
            size_t to;
            if (at + 1 >= len) {
                return -1;
            }
            to = (size_t)((l & 0x3f) << 8 | p[at + 1]);
            if (to >= limit) {
                return -1;
            }
            if (!jumped) {
                *off = at + 2;
                jumped = true;
            }
            limit = to;
            at = to;
            continue;
        }
        if ((l & 0xc0) != 0) {
            return -1; /* the reserved label types */
        }
        if (l == 0) {
            break;
        }
        if (at + 1 + l > len || t + l + 1 > NET_DNS_NAME_MAX) {
            return -1;
        }
        if (t > 0) {
            text[t++] = '.';
        }
        for (size_t i = 0; i < l; i++) {
            text[t++] = lower((char)p[at + 1 + i]);
        }
        at += 1 + (size_t)l;
    }
    text[t] = '\0';
    if (!jumped) {
        *off = at + 1;
    }
    return 0;
}

/* True if a (lower case) equals name, ignoring case and a final dot of name. */
static bool
same_name(const char *a, const char *name)
{
    size_t i;

    for (i = 0; a[i] != '\0'; i++) {
        if (lower(name[i]) != a[i]) {
            return false;
        }
    }
    return name[i] == '\0' || (name[i] == '.' && name[i + 1] == '\0');
}

int
net_dns_parse_response(const uint8_t *p, size_t len, uint16_t id, const char *name,
                       enum net_dns_status *status, net_ip4_t *addr, uint32_t *ttl_s)
{
    char owner[NET_DNS_NAME_MAX + 1], want[NET_DNS_NAME_MAX + 1];
    uint16_t flags, an, i;
    size_t off = NET_DNS_HDR_LEN;
    int cnames = 0;

    if (len < NET_DNS_HDR_LEN || net_get16(p + NET_DNS_ID) != id) {
        return -1;
    }
    flags = net_get16(p + NET_DNS_FLAGS);
    if (!(flags & FLAG_QR) || (flags & OPCODE_MASK) != 0 || net_get16(p + NET_DNS_QDCOUNT) != 1) {
        return -1;
    }
    /* The question must be ours: a response to another query is not an answer. */
    if (read_name(p, len, &off, want) != 0 || !same_name(want, name) || off + 4 > len ||
        net_get16(p + off) != TYPE_A || net_get16(p + off + 2) != CLASS_IN) {
        return -1;
    }
    off += 4;
    if ((flags & RCODE_MASK) == RCODE_NXDOMAIN) {
        *status = NET_DNS_NXDOMAIN;
        return 0;
    }
    if ((flags & RCODE_MASK) != 0 || (flags & FLAG_TC)) {
        *status = NET_DNS_FAILED;
        return 0;
    }
    an = net_get16(p + NET_DNS_ANCOUNT);
    *status = NET_DNS_NODATA;
    for (i = 0; i < an; i++) {
        uint16_t type, rdlen;
        uint32_t ttl;
        if (read_name(p, len, &off, owner) != 0 || off + 10 > len) {
            return -1;
        }
        type = net_get16(p + off);
        ttl = net_get32(p + off + 4);
        rdlen = net_get16(p + off + 8);
        off += 10;
        if (rdlen > len - off) {
            return -1;
        }
        /* Records about other names are ignored (RFC 5452 9.1: nothing unasked is used). */
        if (net_get16(p + off - 8) == CLASS_IN && strcmp(owner, want) == 0) {
            if (type == TYPE_A && rdlen == 4) {
                *status = NET_DNS_OK;
                *addr = net_get32(p + off);
                *ttl_s = ttl > 0x7fffffffu ? 0 : ttl; /* RFC 2181 8: top bit set means 0 */
                return 0;
            }
            if (type == TYPE_CNAME && cnames < CNAME_MAX) {
                size_t at = off;
                if (read_name(p, len, &at, want) != 0 || at > off + rdlen) {
                    return -1;
                }
                cnames++;
            }
        }
        off += rdlen;
    }
    return 0;
}
