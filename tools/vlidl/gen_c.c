/*
 * The C generator: from an interface, a header (<name>.h), client stubs (<name>_client.c)
 * and the server dispatch (<name>_server.c), laid out as docs/idl.md describes. Every
 * identifier the generated code declares for itself starts with vl_, which the language
 * reserves, so that no argument name can shadow it.
 */
#define _GNU_SOURCE
#include "vlidl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const c_scalar[] = {"uint8_t", "uint16_t", "uint32_t", "uint64_t", "int8_t",
                                       "int16_t", "int32_t",  "int64_t",  "bool"};

/* Which side a decoder or encoder is generated for. */
enum side { SERVER, CLIENT };

static const struct vlidl_iface *F; /* the interface being generated */
static char UP[VLIDL_MAX_NAME + 1]; /* its name in upper case */

static void
upper(char *dst, const char *src)
{
    while ((*dst++ = (char)toupper((unsigned char)*src++)) != '\0') {
    }
}

/* The C type of a scalar kind (the element's, for arrays). */
static const char *
c_type(const struct vlidl_type *t)
{
    static char buf[VLIDL_MAX_NAME * 2 + 8];
    enum vlidl_kind k = t->kind == K_ARRAY ? t->elem : t->kind;
    if (k == K_ENUM) {
        snprintf(buf, sizeof(buf), "enum %s_%s", F->name, F->enums[t->enum_index].name);
        return buf;
    }
    return c_scalar[k];
}

/* The C condition on vl_w that rejects a word for a scalar kind, and the status; NULL if
 * every word is valid (u64, i64). */
static const char *
bad_cond(const struct vlidl_type *t, const char **status)
{
    static char buf[96];
    enum vlidl_kind k = t->kind == K_ARRAY ? t->elem : t->kind;
    static const char *const conds[] = {
        [K_U8] = "vl_w > 0xffull",
        [K_U16] = "vl_w > 0xffffull",
        [K_U32] = "vl_w > 0xffffffffull",
        [K_U64] = NULL,
        [K_I8] = "vl_w + 0x80ull > 0xffull",
        [K_I16] = "vl_w + 0x8000ull > 0xffffull",
        [K_I32] = "vl_w + 0x80000000ull > 0xffffffffull",
        [K_I64] = NULL,
        [K_BOOL] = "vl_w > 1",
    };
    *status = k == K_BOOL ? "VL_IDL_BAD_BOOL" : "VL_IDL_BAD_RANGE";
    if (k == K_ENUM) {
        char en[VLIDL_MAX_NAME + 1];
        upper(en, F->enums[t->enum_index].name);
        snprintf(buf, sizeof(buf), "vl_w >= %s_%s_COUNT", UP, en);
        *status = "VL_IDL_BAD_ENUM";
        return buf;
    }
    return conds[k];
}

/* The C expression converting vl_w (already checked) to a scalar kind. */
static const char *
from_word(const struct vlidl_type *t)
{
    static char buf[VLIDL_MAX_NAME * 2 + 32];
    enum vlidl_kind k = t->kind == K_ARRAY ? t->elem : t->kind;
    if (k == K_BOOL) {
        return "vl_w != 0";
    }
    if (k >= K_I8 && k <= K_I64) {
        snprintf(buf, sizeof(buf), "(%s)(int64_t)vl_w", c_type(t));
    } else {
        snprintf(buf, sizeof(buf), "(%s)vl_w", c_type(t));
    }
    return buf;
}

/* The C expression converting value v of a scalar kind to a word (signed: sign-extended). */
static void
to_word(FILE *o, const struct vlidl_type *t, const char *v)
{
    enum vlidl_kind k = t->kind == K_ARRAY ? t->elem : t->kind;
    if (k >= K_I8 && k <= K_I64) {
        fprintf(o, "(vl_word_t)(int64_t)%s", v);
    } else {
        fprintf(o, "(vl_word_t)%s", v);
    }
}

static bool
has_variable(const struct vlidl_field *f, unsigned n)
{
    return vlidl_min_words(f, n) != vlidl_max_words(f, n);
}

static unsigned
count_caps(const struct vlidl_method *m)
{
    unsigned c = 0;
    for (unsigned i = 0; i < m->nargs; i++) {
        c += m->args[i].type.kind == K_CAP;
    }
    return c;
}

/* Prints the C parameters for fields: arguments (in) or results (out), for a client stub or
 * a handler. Each starts with ", ". */
static void
params(FILE *o, const struct vlidl_field *f, unsigned n, bool out, enum side side)
{
    for (unsigned i = 0; i < n; i++) {
        const struct vlidl_type *t = &f[i].type;
        const char *nm = f[i].name;
        switch (t->kind) {
        case K_BYTES:
            if (out) {
                fprintf(o, ", uint8_t *%s, size_t *%s_len", nm, nm);
            } else {
                fprintf(o, ", const uint8_t *%s, size_t %s_len", nm, nm);
            }
            break;
        case K_ARRAY:
            if (out) {
                fprintf(o, ", %s *%s, size_t *%s_len", c_type(t), nm, nm);
            } else {
                fprintf(o, ", const %s *%s, size_t %s_len", c_type(t), nm, nm);
            }
            break;
        case K_CAP:
            fprintf(o, ", vl_cptr_t %s", nm);
            break;
        case K_BULK:
            if (side == CLIENT) {
                fprintf(o, ", vl_word_t %s_offset, vl_word_t %s_length", nm, nm);
            } else {
                fprintf(o, ", volatile uint8_t *%s, vl_word_t %s_length", nm, nm);
            }
            break;
        default:
            fprintf(o, out ? ", %s *%s" : ", %s %s", c_type(t), nm);
            break;
        }
    }
}

static void
prototype(FILE *o, const struct vlidl_method *m, enum side side, const char *end)
{
    /* A definition puts its name at the start of a line (STYLE.md); a declaration does not. */
    const char *sep = end[0] == ';' ? " " : "\n";
    if (side == CLIENT) {
        fprintf(o, "static inline int%s%s_%s(unsigned vl_ch", sep, F->name, m->name);
    } else {
        fprintf(o, "int%s%s_do_%s(unsigned vl_ch", sep, F->name, m->name);
    }
    params(o, m->args, m->nargs, false, side);
    params(o, m->results, m->nresults, true, side);
    fprintf(o, ")%s", end);
}

/* Prints text as a C comment block, indented by indent. */
static void
comment(FILE *o, const char *text, const char *indent)
{
    if (text[0] == '\0') {
        return;
    }
    fprintf(o, "%s/*\n", indent);
    for (const char *l = text; *l != '\0';) {
        const char *nl = strchr(l, '\n');
        size_t len = nl != NULL ? (size_t)(nl - l) : strlen(l);
        fprintf(o, "%s *%s%.*s\n", indent, len ? " " : "", (int)len, l);
        l += len + (nl != NULL);
    }
    fprintf(o, "%s */\n", indent);
}

static void gen_client_stub(FILE *o, const struct vlidl_method *m);

static void
gen_header(FILE *o)
{
    fprintf(o, "/* Generated by vlidl from %s.idl: do not edit (docs/idl.md). */\n", F->name);
    fprintf(o, "#pragma once\n\n#include <vallum/idl.h>\n\n");
    comment(o, F->doc, "");
    fprintf(o, "#define %s_VERSION %u\n\n", UP, F->version);
    for (unsigned e = 0; e < F->nenums; e++) {
        const struct vlidl_enum *en = &F->enums[e];
        char eu[VLIDL_MAX_NAME + 1];
        upper(eu, en->name);
        comment(o, en->doc, "");
        fprintf(o, "enum %s_%s {\n", F->name, en->name);
        for (unsigned v = 0; v < en->count; v++) {
            char vu[VLIDL_MAX_NAME + 1];
            upper(vu, en->values[v]);
            fprintf(o, "    %s_%s_%s = %u,\n", UP, eu, vu, v);
        }
        fprintf(o, "};\n#define %s_%s_COUNT %u\n\n", UP, eu, en->count);
    }
    fprintf(o, "/* Request labels: VL_IDL_LABEL(version, method number). */\n");
    for (unsigned i = 0; i < F->nmethods; i++) {
        char mu[VLIDL_MAX_NAME + 1];
        upper(mu, F->methods[i].name);
        fprintf(o, "#define %s_%s_LABEL VL_IDL_LABEL(%u, %u)\n", UP, mu, F->version, i + 1);
    }
    fprintf(o, "\n");
    for (unsigned i = 0; i < F->nmethods; i++) {
        const struct vlidl_method *m = &F->methods[i];
        if (m->nerrors == 0) {
            continue;
        }
        char mu[VLIDL_MAX_NAME + 1];
        upper(mu, m->name);
        fprintf(o, "/* Errors of %s (reply statuses). */\nenum %s_%s_error {\n", m->name, F->name,
                m->name);
        for (unsigned e = 0; e < m->nerrors; e++) {
            char eu[VLIDL_MAX_NAME + 1];
            upper(eu, m->errors[e]);
            fprintf(o, "    %s_%s_%s = %u,\n", UP, mu, eu, e + 1);
        }
        fprintf(o, "};\n\n");
    }
    fprintf(o,
            "/*\n * Server (%s_server.c): the handlers the server program defines, called "
            "with checked\n * values only; each returns 0 or one of its method's errors. "
            "%s_dispatch decodes a\n * request (the message info and registers of a protected "
            "call on channel vl_ch),\n * calls the handler, writes the reply's registers and "
            "returns its message info.\n * vl_shared is the region bulk arguments point into "
            "(NULL: none).\n */\n",
            F->name, F->name);
    for (unsigned i = 0; i < F->nmethods; i++) {
        prototype(o, &F->methods[i], SERVER, ";\n");
    }
    fprintf(o,
            "vl_word_t %s_dispatch(unsigned vl_ch, vl_word_t vl_info,\n"
            "    const struct vl_idl_region *vl_shared);\n",
            F->name);
    fprintf(o,
            "\n/*\n * Client stubs: each calls the server on call channel vl_ch and returns the "
            "reply's\n * status (0, a method error, or a VL_IDL_ status); results are written "
            "only with\n * status 0. Inline, as the same code written by hand would be; a "
            "client links\n * %s_client.c, which records its role for vlsys.\n */\n",
            F->name);
    for (unsigned i = 0; i < F->nmethods; i++) {
        fprintf(o, "\n");
        comment(o, F->methods[i].doc, "");
        gen_client_stub(o, &F->methods[i]);
    }
}

/* The index expression of the next word: a constant, or vl_pos for variable layouts. */
static void
word_at(char *buf, size_t size, bool dyn, unsigned off)
{
    if (dyn) {
        snprintf(buf, size, "vl_pos++");
    } else {
        snprintf(buf, size, "%u", off);
    }
}

/*
 * Decodes fields from the message words in order, checking each: on the server the
 * arguments into locals (a refusal deletes a capability that came along: vl_idl_refuse), on
 * the client the results through the out pointers (a refusal is VL_IDL_BAD_REPLY).
 */
static void
gen_decode(FILE *o, const struct vlidl_field *f, unsigned n, enum side side, const char *ind)
{
    bool dyn = has_variable(f, n);
    unsigned off = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct vlidl_type *t = &f[i].type;
        const char *nm = f[i].name;
        char at[32];
        const char *st = NULL;
        const char *cond = NULL;
        unsigned rest = vlidl_min_words(f + i + 1, n - i - 1);
        char failbuf[64];
#define FAIL(status)                                                                               \
    (side == SERVER                                                                                \
         ? (snprintf(failbuf, sizeof(failbuf), "return vl_idl_refuse(vl_info, %s);", (status)),    \
            failbuf)                                                                               \
         : "return VL_IDL_BAD_REPLY;")
        switch (t->kind) {
        case K_CAP:
            break;
        case K_BULK:
            fprintf(o, "%svl_word_t %s_offset = vl_os_mr_get(%s);\n", ind, nm,
                    (word_at(at, sizeof(at), dyn, off), at));
            fprintf(o, "%svl_word_t %s_length = vl_os_mr_get(%s);\n", ind, nm,
                    (word_at(at, sizeof(at), dyn, off + 1), at));
            fprintf(o,
                    "%sif (vl_shared == NULL || %s_offset > vl_shared->size ||\n"
                    "%s    %s_length > vl_shared->size - %s_offset) {\n%s    %s\n%s}\n",
                    ind, nm, ind, nm, nm, ind, FAIL("VL_IDL_BAD_BULK"), ind);
            fprintf(o, "%svolatile uint8_t *%s = vl_shared->base + %s_offset;\n", ind, nm, nm);
            off += 2;
            break;
        case K_BYTES:
        case K_ARRAY: {
            bool bytes = t->kind == K_BYTES;
            word_at(at, sizeof(at), dyn, off);
            fprintf(o, "%svl_w = vl_os_mr_get(%s);\n", ind, at);
            fprintf(o, "%sif (vl_w > %u) {\n%s    %s\n%s}\n", ind, t->bound, ind,
                    FAIL("VL_IDL_BAD_SIZE"), ind);
            if (side == SERVER) {
                fprintf(o, "%ssize_t %s_len = (size_t)vl_w;\n", ind, nm);
                fprintf(o, "%s%s %s[%u];\n", ind, bytes ? "uint8_t" : c_type(t), nm, t->bound);
            } else {
                fprintf(o, "%s*%s_len = (size_t)vl_w;\n", ind, nm);
            }
            /* vl_pos + rest <= vl_len holds here, so the subtraction cannot wrap. */
            char restbuf[16] = "";
            if (rest > 0) {
                snprintf(restbuf, sizeof(restbuf), " - %u", rest);
            }
            fprintf(o, "%sif (%s > vl_len - vl_pos%s) {\n%s    %s\n%s}\n", ind,
                    bytes ? "(vl_w + 7) / 8" : "vl_w", restbuf, ind, FAIL("VL_IDL_BAD_LENGTH"),
                    ind);
            if (bytes) {
                fprintf(o, "%sif (!vl_idl_unpack(%s, vl_w, (unsigned)vl_pos)) {\n%s    %s\n%s}\n",
                        ind, nm, ind, FAIL("VL_IDL_BAD_RANGE"), ind);
                fprintf(o, "%svl_pos += (vl_w + 7) / 8;\n", ind);
            } else {
                fprintf(o, "%sfor (vl_word_t vl_n = vl_w, vl_i = 0; vl_i < vl_n; vl_i++) {\n", ind);
                fprintf(o, "%s    vl_w = vl_os_mr_get((unsigned)vl_pos++);\n", ind);
                cond = bad_cond(t, &st);
                if (cond != NULL) {
                    fprintf(o, "%s    if (%s) {\n%s        %s\n%s    }\n", ind, cond, ind, FAIL(st),
                            ind);
                }
                fprintf(o, "%s    %s[vl_i] = %s;\n%s}\n", ind, nm, from_word(t), ind);
            }
            break;
        }
        default:
            word_at(at, sizeof(at), dyn, off);
            fprintf(o, "%svl_w = vl_os_mr_get(%s);\n", ind, at);
            cond = bad_cond(t, &st);
            if (cond != NULL) {
                fprintf(o, "%sif (%s) {\n%s    %s\n%s}\n", ind, cond, ind, FAIL(st), ind);
            }
            if (side == SERVER) {
                fprintf(o, "%s%s %s = %s;\n", ind, c_type(t), nm, from_word(t));
            } else {
                fprintf(o, "%s*%s = %s;\n", ind, nm, from_word(t));
            }
            off++;
            break;
        }
#undef FAIL
    }
    if (dyn) {
        fprintf(o, "%sif (vl_pos != vl_len) {\n%s    %s\n%s}\n", ind, ind,
                side == SERVER ? "return vl_idl_refuse(vl_info, VL_IDL_BAD_LENGTH);"
                               : "return VL_IDL_BAD_REPLY;",
                ind);
    }
}

/*
 * Encodes fields into the message words: on the client the arguments, on the server the
 * results (from locals). With strings or arrays the word count ends in vl_pos.
 */
static void
gen_encode(FILE *o, const struct vlidl_field *f, unsigned n, const char *ind)
{
    bool dyn = has_variable(f, n);
    unsigned off = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct vlidl_type *t = &f[i].type;
        const char *nm = f[i].name;
        char at[32];
        switch (t->kind) {
        case K_CAP:
            break;
        case K_BULK:
            fprintf(o, "%svl_os_mr_set(%s, %s_offset);\n", ind,
                    (word_at(at, sizeof(at), dyn, off), at), nm);
            fprintf(o, "%svl_os_mr_set(%s, %s_length);\n", ind,
                    (word_at(at, sizeof(at), dyn, off + 1), at), nm);
            off += 2;
            break;
        case K_BYTES:
            fprintf(o, "%svl_os_mr_set(%s, (vl_word_t)%s_len);\n", ind,
                    (word_at(at, sizeof(at), dyn, off), at), nm);
            fprintf(o, "%svl_idl_pack(%s, %s_len, (unsigned)vl_pos);\n", ind, nm, nm);
            fprintf(o, "%svl_pos += (%s_len + 7) / 8;\n", ind, nm);
            break;
        case K_ARRAY:
            fprintf(o, "%svl_os_mr_set(%s, (vl_word_t)%s_len);\n", ind,
                    (word_at(at, sizeof(at), dyn, off), at), nm);
            fprintf(o, "%sfor (size_t vl_i = 0; vl_i < %s_len; vl_i++) {\n", ind, nm);
            fprintf(o, "%s    vl_os_mr_set((unsigned)vl_pos++, ", ind);
            char el[VLIDL_MAX_NAME + 16];
            snprintf(el, sizeof(el), "%s[vl_i]", nm);
            to_word(o, t, el);
            fprintf(o, ");\n%s}\n", ind);
            break;
        default:
            fprintf(o, "%svl_os_mr_set(%s, ", ind, (word_at(at, sizeof(at), dyn, off), at));
            to_word(o, t, nm);
            fprintf(o, ");\n");
            off++;
            break;
        }
    }
}

/* Checks of values the generating side holds before it encodes them: enums, lengths. */
static void
gen_value_checks(FILE *o, const struct vlidl_field *f, unsigned n, const char *ind,
                 const char *size_status, const char *enum_status)
{
    for (unsigned i = 0; i < n; i++) {
        const struct vlidl_type *t = &f[i].type;
        const char *nm = f[i].name;
        char eu[VLIDL_MAX_NAME + 1] = "";
        bool is_enum = (t->kind == K_ENUM) || (t->kind == K_ARRAY && t->elem == K_ENUM);
        if (is_enum) {
            upper(eu, F->enums[t->enum_index].name);
        }
        if (t->kind == K_BYTES || t->kind == K_ARRAY) {
            fprintf(o, "%sif (%s_len > %u) {\n%s    return %s;\n%s}\n", ind, nm, t->bound, ind,
                    size_status, ind);
        }
        if (t->kind == K_ENUM) {
            fprintf(o, "%sif ((unsigned)%s >= %s_%s_COUNT) {\n%s    return %s;\n%s}\n", ind, nm, UP,
                    eu, ind, enum_status, ind);
        } else if (t->kind == K_ARRAY && t->elem == K_ENUM) {
            fprintf(o, "%sfor (size_t vl_i = 0; vl_i < %s_len; vl_i++) {\n", ind, nm);
            fprintf(o,
                    "%s    if ((unsigned)%s[vl_i] >= %s_%s_COUNT) {\n%s        return %s;\n"
                    "%s    }\n%s}\n",
                    ind, nm, UP, eu, ind, enum_status, ind, ind);
        }
    }
}

/* The length expression of an encoded message. */
static void
length_expr(char *buf, size_t size, const struct vlidl_field *f, unsigned n)
{
    if (has_variable(f, n)) {
        snprintf(buf, size, "vl_pos");
    } else {
        snprintf(buf, size, "%u", vlidl_min_words(f, n));
    }
}

static void
gen_client(FILE *o)
{
    fprintf(o, "/* Generated by vlidl from %s.idl: do not edit (docs/idl.md). */\n", F->name);
    fprintf(o, "#include \"%s.h\"\n\n", F->name);
    fprintf(o, "/* Tells vlsys that this program is a client of %s, version %u. */\n", F->name,
            F->version);
    fprintf(o,
            "__asm__(\".pushsection .vlidl,\\\"\\\",@progbits\\n\"\n"
            "        \".asciz \\\"%s %u client\\\"\\n\"\n"
            "        \".popsection\\n\");\n",
            F->name, F->version);
}

/* One client stub (static inline, in the header). */
static void
gen_client_stub(FILE *o, const struct vlidl_method *m)
{
    {
        char mu[VLIDL_MAX_NAME + 1];
        upper(mu, m->name);
        prototype(o, m, CLIENT, "\n{\n");
        gen_value_checks(o, m->args, m->nargs, "    ", "VL_IDL_BAD_SIZE", "VL_IDL_BAD_ENUM");
        if (has_variable(m->args, m->nargs)) {
            fprintf(o, "    vl_word_t vl_pos = 0;\n");
        }
        gen_encode(o, m->args, m->nargs, "    ");
        unsigned caps = 0;
        for (unsigned a = 0; a < m->nargs; a++) {
            if (m->args[a].type.kind == K_CAP) {
                fprintf(o, "    vl_idl_send_cap(%u, %s);\n", caps++, m->args[a].name);
            }
        }
        char len[32];
        length_expr(len, sizeof(len), m->args, m->nargs);
        fprintf(
            o, "    vl_word_t vl_info = vl_os_ppcall(vl_ch, vl_msginfo(%s_%s_LABEL, 0, %u, %s));\n",
            UP, mu, caps, len);
        fprintf(o, "    if (vl_msginfo_label(vl_info) != 0) {\n"
                   "        return vl_idl_client_status(vl_msginfo_label(vl_info));\n    }\n");
        unsigned lo = vlidl_min_words(m->results, m->nresults);
        unsigned hi = vlidl_max_words(m->results, m->nresults);
        fprintf(o, "    vl_word_t vl_len = vl_msginfo_length(vl_info);\n");
        if (lo == hi) {
            fprintf(o, "    if (vl_len != %u || vl_msginfo_extra_caps(vl_info) != 0) {\n", lo);
        } else {
            fprintf(o,
                    "    if (vl_len < %u || vl_len > %u || vl_msginfo_extra_caps(vl_info) != 0) "
                    "{\n",
                    lo, hi);
        }
        fprintf(o, "        return VL_IDL_BAD_REPLY;\n    }\n");
        if (has_variable(m->results, m->nresults)) {
            fprintf(o, "    %svl_pos = 0;\n", has_variable(m->args, m->nargs) ? "" : "vl_word_t ");
        }
        bool any_word = false;
        for (unsigned r = 0; r < m->nresults; r++) {
            any_word = any_word || m->results[r].type.kind != K_CAP;
        }
        if (any_word) {
            fprintf(o, "    vl_word_t vl_w;\n");
        }
        gen_decode(o, m->results, m->nresults, CLIENT, "    ");
        fprintf(o, "    return 0;\n}\n");
    }
}

static void
gen_server_method(FILE *o, const struct vlidl_method *m)
{
    fprintf(o,
            "\nstatic vl_word_t\n%s_decode_%s(unsigned vl_ch, vl_word_t vl_info,\n"
            "    const struct vl_idl_region *vl_shared)\n{\n",
            F->name, m->name);
    unsigned lo = vlidl_min_words(m->args, m->nargs);
    unsigned hi = vlidl_max_words(m->args, m->nargs);
    unsigned caps = count_caps(m);
    bool uses_shared = false;
    for (unsigned a = 0; a < m->nargs; a++) {
        uses_shared = uses_shared || m->args[a].type.kind == K_BULK;
    }
    if (!uses_shared) {
        fprintf(o, "    (void)vl_shared;\n");
    }
    fprintf(o, "    vl_word_t vl_len = vl_msginfo_length(vl_info);\n");
    if (lo == hi) {
        fprintf(o, "    if (vl_len != %u) {\n", lo);
    } else {
        fprintf(o, "    if (vl_len < %u || vl_len > %u) {\n", lo, hi);
    }
    fprintf(o, "        return vl_idl_refuse(vl_info, VL_IDL_BAD_LENGTH);\n    }\n");
    if (lo != hi) {
        fprintf(o, "    vl_word_t vl_pos = 0;\n");
    }
    bool any_word = false;
    for (unsigned a = 0; a < m->nargs; a++) {
        any_word = any_word || (m->args[a].type.kind != K_CAP && m->args[a].type.kind != K_BULK);
    }
    if (any_word) {
        fprintf(o, "    vl_word_t vl_w;\n");
    }
    gen_decode(o, m->args, m->nargs, SERVER, "    ");
    fprintf(o,
            "    if (vl_idl_caps_field(vl_info) != %u) {\n"
            "        return vl_idl_refuse(vl_info, VL_IDL_BAD_CAPS);\n    }\n",
            caps);
    for (unsigned a = 0; a < m->nargs; a++) {
        const struct vlidl_field *f = &m->args[a];
        if (f->type.kind == K_CAP) {
            fprintf(o, "    vl_cptr_t %s = vl_idl_recv_slot();\n", f->name);
            fprintf(o,
                    "    if (vl_idl_cap_type(%s) != %s) {\n"
                    "        return vl_idl_refuse(vl_info, VL_IDL_BAD_CAP_TYPE);\n    }\n",
                    f->name, vlidl_cap_types[f->type.cap_type].constant);
        }
    }
    /* Results start zeroed, so a handler that leaves one unset sends a defined value. */
    for (unsigned r = 0; r < m->nresults; r++) {
        const struct vlidl_field *f = &m->results[r];
        const struct vlidl_type *t = &f->type;
        if (t->kind == K_BYTES) {
            fprintf(o, "    uint8_t %s[%u] = {0};\n    size_t %s_len = 0;\n", f->name, t->bound,
                    f->name);
        } else if (t->kind == K_ARRAY) {
            fprintf(o, "    %s %s[%u] = {0};\n    size_t %s_len = 0;\n", c_type(t), f->name,
                    t->bound, f->name);
        } else {
            fprintf(o, "    %s %s = 0;\n", c_type(t), f->name);
        }
    }
    fprintf(o, "    int vl_st = %s_do_%s(vl_ch", F->name, m->name);
    for (unsigned a = 0; a < m->nargs; a++) {
        const struct vlidl_field *f = &m->args[a];
        switch (f->type.kind) {
        case K_BYTES:
        case K_ARRAY:
            fprintf(o, ", %s, %s_len", f->name, f->name);
            break;
        case K_BULK:
            fprintf(o, ", %s, %s_length", f->name, f->name);
            break;
        default:
            fprintf(o, ", %s", f->name);
            break;
        }
    }
    for (unsigned r = 0; r < m->nresults; r++) {
        const struct vlidl_field *f = &m->results[r];
        if (f->type.kind == K_BYTES || f->type.kind == K_ARRAY) {
            fprintf(o, ", %s, &%s_len", f->name, f->name);
        } else {
            fprintf(o, ", &%s", f->name);
        }
    }
    fprintf(o, ");\n");
    if (caps != 0) {
        fprintf(o, "    /* The capability was the handler's only while it ran. */\n"
                   "    vl_idl_cap_drop(vl_idl_recv_slot());\n");
    }
    if (m->nerrors == 0) {
        fprintf(o, "    if (vl_st != 0) {\n"
                   "        return vl_idl_status_reply(VL_IDL_SERVER_ERROR);\n    }\n");
    } else {
        fprintf(o,
                "    if (vl_st != 0) {\n        return vl_idl_status_reply(\n"
                "            vl_st > 0 && vl_st <= %u ? (vl_word_t)vl_st : VL_IDL_SERVER_ERROR);\n"
                "    }\n",
                m->nerrors);
    }
    gen_value_checks(o, m->results, m->nresults, "    ", "vl_idl_status_reply(VL_IDL_SERVER_ERROR)",
                     "vl_idl_status_reply(VL_IDL_SERVER_ERROR)");
    if (has_variable(m->results, m->nresults)) {
        fprintf(o, "    %svl_pos = 0;\n", lo != hi ? "" : "vl_word_t ");
    }
    gen_encode(o, m->results, m->nresults, "    ");
    char len[32];
    length_expr(len, sizeof(len), m->results, m->nresults);
    fprintf(o, "    return vl_msginfo(0, 0, 0, %s);\n}\n", len);
}

static void
gen_server(FILE *o)
{
    fprintf(o, "/* Generated by vlidl from %s.idl: do not edit (docs/idl.md). */\n", F->name);
    fprintf(o, "#include \"%s.h\"\n\n", F->name);
    fprintf(o, "/* Tells vlsys that this program is a server of %s, version %u. */\n", F->name,
            F->version);
    fprintf(o,
            "__asm__(\".pushsection .vlidl,\\\"\\\",@progbits\\n\"\n"
            "        \".asciz \\\"%s %u server\\\"\\n\"\n"
            "        \".popsection\\n\");\n",
            F->name, F->version);
    for (unsigned i = 0; i < F->nmethods; i++) {
        gen_server_method(o, &F->methods[i]);
    }
    fprintf(o, "\n/* Every path deletes a capability that came with the request: a refusal at "
               "once,\n * a method with a capability argument after its handler. */\n");
    fprintf(o,
            "vl_word_t\n%s_dispatch(unsigned vl_ch, vl_word_t vl_info, "
            "const struct vl_idl_region *vl_shared)\n{\n"
            "    switch (vl_msginfo_label(vl_info)) {\n",
            F->name);
    for (unsigned i = 0; i < F->nmethods; i++) {
        char mu[VLIDL_MAX_NAME + 1];
        upper(mu, F->methods[i].name);
        fprintf(o,
                "    case %s_%s_LABEL:\n        return %s_decode_%s(vl_ch, vl_info, "
                "vl_shared);\n",
                UP, mu, F->name, F->methods[i].name);
    }
    fprintf(o,
            "    default:\n        return vl_idl_refuse(vl_info,\n"
            "            vl_idl_bad_label(vl_msginfo_label(vl_info), %s_VERSION));\n"
            "    }\n}\n",
            UP);
}

/* Writes one output file through a temporary file renamed into place. */
static bool
write_file(const char *dir, const char *suffix, void (*gen)(FILE *))
{
    char *path = NULL, *tmp = NULL;
    if (asprintf(&path, "%s/%s%s", dir, F->name, suffix) < 0 ||
        asprintf(&tmp, "%s.tmp", path) < 0) {
        return false;
    }
    FILE *o = fopen(tmp, "w");
    bool ok = o != NULL;
    if (ok) {
        gen(o);
        ok = !ferror(o);
        ok = fclose(o) == 0 && ok;
        ok = ok && rename(tmp, path) == 0;
    }
    if (!ok) {
        fprintf(stderr, "vlidl: error: cannot write %s\n", path);
        remove(tmp);
    }
    free(path);
    free(tmp);
    return ok;
}

bool
vlidl_gen_c(const struct vlidl_iface *iface, const char *dir)
{
    F = iface;
    upper(UP, iface->name);
    return write_file(dir, ".h", gen_header) && write_file(dir, "_client.c", gen_client) &&
           write_file(dir, "_server.c", gen_server);
}
