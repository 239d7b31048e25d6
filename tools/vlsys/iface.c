/*
 * Interfaces of call channels (docs/system-description.md, `interface`; docs/idl.md).
 *
 * A call channel may name the interface its client and server speak, as "name" or
 * "name@version". The C stubs vlidl generates record in a program's ELF file, in a
 * non-allocated section ".vlidl", one NUL-terminated "name version role" string per
 * interface and role (client, server) linked in. With --programs, vlsys reads those
 * records and checks that the client is built as a client of the interface, the server as
 * its server, both for the same version, and that version is the one the channel names.
 */
#include "vlsys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IFACE_MAX_VERSION 65535

void
iface_parse(const char *value, int line, struct vlsys_channel *ch)
{
    ch->iface_line = line;
    if (value == NULL) {
        diag_error(line, "'interface' must be a string such as counter or counter@1");
        return;
    }
    const char *at = strchr(value, '@');
    size_t n = at != NULL ? (size_t)(at - value) : strlen(value);
    bool ok = n >= 1 && n < sizeof(ch->iface) && value[0] >= 'a' && value[0] <= 'z';
    for (size_t i = 1; ok && i < n; i++) {
        ok = (value[i] >= 'a' && value[i] <= 'z') || (value[i] >= '0' && value[i] <= '9') ||
             value[i] == '_';
    }
    unsigned long version = 0;
    if (ok && at != NULL) {
        char *end = NULL;
        ok = at[1] >= '1' && at[1] <= '9';
        version = ok ? strtoul(at + 1, &end, 10) : 0;
        ok = ok && *end == '\0' && version <= IFACE_MAX_VERSION;
    }
    if (!ok) {
        diag_error(line, "invalid interface '%.64s': use name or name@version, version 1..%d",
                   value, IFACE_MAX_VERSION);
        return;
    }
    memcpy(ch->iface, value, n);
    ch->iface[n] = '\0';
    ch->iface_version = (unsigned)version;
}

static uint64_t
le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/*
 * Finds the .vlidl section of an ELF64 file: sets *rec and *len (NULL, 0 if there is none).
 * Returns false if the section headers are malformed (out of the file, a name outside the
 * string table). Every offset is checked against size before it is read.
 */
static bool
find_records(const uint8_t *d, size_t size, const uint8_t **rec, size_t *len)
{
    *rec = NULL;
    *len = 0;
    if (size < 64) {
        return false;
    }
    uint64_t shoff = le(d + 0x28, 8), shentsize = le(d + 0x3a, 2), shnum = le(d + 0x3c, 2);
    uint64_t shstrndx = le(d + 0x3e, 2);
    if (shnum == 0) {
        return true;
    }
    if (shentsize < 64 || shoff > size || shnum > (size - shoff) / shentsize || shstrndx >= shnum) {
        return false;
    }
    const uint8_t *strh = d + shoff + shstrndx * shentsize;
    uint64_t stroff = le(strh + 0x18, 8), strsize = le(strh + 0x20, 8);
    if (stroff > size || strsize > size - stroff) {
        return false;
    }
    for (uint64_t i = 0; i < shnum; i++) {
        const uint8_t *sh = d + shoff + i * shentsize;
        uint64_t name = le(sh, 4), off = le(sh + 0x18, 8), sz = le(sh + 0x20, 8);
        static const char want[] = ".vlidl";
        if (name >= strsize || strsize - name < sizeof(want) ||
            memcmp(d + stroff + name, want, sizeof(want)) != 0) {
            continue;
        }
        if (off > size || sz > size - off) {
            return false;
        }
        *rec = d + off;
        *len = sz;
        return true;
    }
    return true;
}

long
iface_lookup(const uint8_t *data, size_t size, const char *name, const char *role)
{
    const uint8_t *rec;
    size_t len;
    if (!find_records(data, size, &rec, &len) || (len > 0 && rec[len - 1] != '\0')) {
        return -1;
    }
    long found = 0;
    /* Every record is checked, not only up to the one looked for. */
    for (size_t at = 0; at < len; at += strlen((const char *)rec + at) + 1) {
        char n[64], r[16], extra;
        unsigned v;
        const char *s = (const char *)rec + at;
        if (sscanf(s, "%63s %u %15s %c", n, &v, r, &extra) != 3 || v == 0 ||
            v > IFACE_MAX_VERSION || (strcmp(r, "client") != 0 && strcmp(r, "server") != 0)) {
            return -1;
        }
        if (strcmp(n, name) == 0 && strcmp(r, role) == 0) {
            found = v;
        }
    }
    return found;
}

/*
 * Looks for interface name with role in program p's records: returns its version, 0 if the
 * program does not record it, or -1 (after reporting at line) if its records are malformed.
 */
static long
recorded_version(const struct vlsys_program *p, const char *name, const char *role, int line)
{
    long v = iface_lookup(p->data, p->size, name, role);
    if (v < 0) {
        diag_error(line, "program '%s' has a malformed .vlidl section", p->name);
    }
    return v;
}

/* The version end's program records for the channel's interface in role, or <= 0. */
static long
end_version(const struct vlsys_system *sys, const struct vlsys_channel *ch,
            const struct vlsys_end *end, const char *role)
{
    const struct vlsys_component *c = VEC_AT(&sys->components, struct vlsys_component,
                                             end->component);
    if (c->program < 0) {
        return -1;
    }
    const struct vlsys_program *p = VEC_AT(&sys->programs, struct vlsys_program, c->program);
    if (p->data == NULL || !p->is_valid) {
        return -1; /* already reported */
    }
    long v = recorded_version(p, ch->iface, role, ch->iface_line);
    if (v == 0) {
        diag_error(ch->iface_line, "%s '%s' (program '%s') is not built as a %s of interface '%s'",
                   role, c->name, p->name, role, ch->iface);
    } else if (v > 0 && ch->iface_version != 0 && (unsigned long)v != ch->iface_version) {
        diag_error(ch->iface_line, "%s '%s' (program '%s') is built for %s version %ld, not %u",
                   role, c->name, p->name, ch->iface, v, ch->iface_version);
        return -1;
    }
    return v;
}

void
check_interfaces(const struct vlsys_system *sys)
{
    if (!sys->has_programs) {
        return;
    }
    for (size_t i = 0; i < sys->channels.count; i++) {
        const struct vlsys_channel *ch = VEC_AT(&sys->channels, struct vlsys_channel, i);
        if (ch->kind != VL_CHANNEL_CALL || ch->iface[0] == '\0' || !ch->a.is_valid ||
            !ch->b.is_valid) {
            continue;
        }
        long vc = end_version(sys, ch, &ch->a, "client");
        long vs = end_version(sys, ch, &ch->b, "server");
        if (vc > 0 && vs > 0 && vc != vs) {
            diag_error(ch->iface_line,
                       "interface '%s': client built for version %ld, server for version %ld",
                       ch->iface, vc, vs);
        }
    }
}
