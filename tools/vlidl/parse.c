/*
 * The interface-description parser: a lexer over the whole file and a recursive-descent
 * parser of the grammar in docs/idl.md. It stops at the first problem.
 */
#include "vlidl.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const struct vlidl_cap_type vlidl_cap_types[] = {
    {"endpoint", "VL_CAP_ENDPOINT"}, {"notification", "VL_CAP_NOTIFICATION"},
    {"frame", "VL_CAP_FRAME"},       {"cnode", "VL_CAP_CNODE"},
    {"tcb", "VL_CAP_TCB"},           {"page_table", "VL_CAP_PAGE_TABLE"},
    {"vspace", "VL_CAP_VSPACE"},     {"irq_handler", "VL_CAP_IRQ_HANDLER"},
    {NULL, NULL},
};

/* Kind names, indexed by enum vlidl_kind, for the scalars that have one. */
static const char *const scalar_names[] = {"u8", "u16", "u32", "u64", "i8",
                                           "i16", "i32", "i64", "bool"};

/* Words that cannot be names: the language's own, and C's (names become C identifiers). */
static const char *const reserved[] = {
    "interface", "enum", "method", "errors", "bytes", "cap", "bulk", "u8", "u16", "u32", "u64",
    "i8", "i16", "i32", "i64", "bool", "auto", "break", "case", "char", "const", "continue",
    "default", "do", "double", "else", "extern", "float", "for", "goto", "if", "inline", "int",
    "long", "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
    "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "true", "false",
    NULL,
};

enum tok_kind { T_EOF, T_NAME, T_NUM, T_PUNCT };

struct tok {
    enum tok_kind kind;
    char text[64]; /* T_NAME (possibly cut: too long for any name), T_PUNCT */
    unsigned long long num;
    int line;
};

struct parser {
    const char *path;
    const char *src; /* the whole file, NUL-terminated */
    size_t pos;
    int line;
    struct tok tok;     /* the current token */
    char doc[VLIDL_MAX_DOC]; /* comment lines since the last declaration */
    bool failed;
};

static void
fail(struct parser *p, int line, const char *fmt, ...)
{
    if (p->failed) {
        return;
    }
    p->failed = true;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: error: ", p->path, line);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* Appends a comment's text (after "# ") to the pending documentation. */
static void
add_doc(struct parser *p, const char *text, size_t len)
{
    size_t have = strlen(p->doc);
    if (have + len + 2 > sizeof(p->doc)) {
        fail(p, p->line, "comment longer than %d characters", VLIDL_MAX_DOC - 2);
        return;
    }
    memcpy(p->doc + have, text, len);
    p->doc[have + len] = '\n';
    p->doc[have + len + 1] = '\0';
}

/* Reads the next token into p->tok. Comments before it go to p->doc. */
static void
next(struct parser *p)
{
    const char *s = p->src;
    /* A declaration's documentation is the comment right before its keyword. */
    p->doc[0] = '\0';
    for (;;) {
        while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\r' || s[p->pos] == '\n') {
            if (s[p->pos] == '\n') {
                p->line++;
            }
            p->pos++;
        }
        if (s[p->pos] != '#') {
            break;
        }
        size_t start = ++p->pos;
        while (s[p->pos] != '\n' && s[p->pos] != '\0') {
            p->pos++;
        }
        if (s[start] == ' ') {
            start++;
        }
        add_doc(p, s + start, p->pos > start ? p->pos - start : 0);
    }
    struct tok *t = &p->tok;
    memset(t, 0, sizeof(*t));
    t->line = p->line;
    char c = s[p->pos];
    if (c == '\0') {
        t->kind = T_EOF;
        strcpy(t->text, "end of file");
    } else if (isalpha((unsigned char)c) || c == '_') {
        size_t start = p->pos;
        while (isalnum((unsigned char)s[p->pos]) || s[p->pos] == '_') {
            p->pos++;
        }
        size_t len = p->pos - start;
        t->kind = T_NAME;
        memcpy(t->text, s + start, len < sizeof(t->text) - 1 ? len : sizeof(t->text) - 1);
    } else if (isdigit((unsigned char)c)) {
        t->kind = T_NUM;
        while (isdigit((unsigned char)s[p->pos])) {
            unsigned d = (unsigned)(s[p->pos] - '0');
            if (t->num > (0xffffffffull - d) / 10) {
                fail(p, p->line, "number too large");
                t->num = 0xffffffffull;
            } else {
                t->num = t->num * 10 + d;
            }
            p->pos++;
        }
        snprintf(t->text, sizeof(t->text), "%llu", t->num);
    } else if (c == '-' && s[p->pos + 1] == '>') {
        t->kind = T_PUNCT;
        strcpy(t->text, "->");
        p->pos += 2;
    } else if (strchr("(){}<>[],", c) != NULL) {
        t->kind = T_PUNCT;
        t->text[0] = c;
        p->pos++;
    } else {
        fail(p, p->line, isprint((unsigned char)c) ? "invalid character '%c'"
                                                    : "invalid character (byte %d)",
             isprint((unsigned char)c) ? c : (unsigned char)c);
        t->kind = T_EOF;
        strcpy(t->text, "end of file");
    }
}

static bool
is_punct(const struct parser *p, const char *text)
{
    return p->tok.kind == T_PUNCT && strcmp(p->tok.text, text) == 0;
}

static bool
is_word(const struct parser *p, const char *text)
{
    return p->tok.kind == T_NAME && strcmp(p->tok.text, text) == 0;
}

static const char *
quoted(const struct parser *p)
{
    static char buf[80];
    if (p->tok.kind == T_EOF) {
        return "end of file";
    }
    snprintf(buf, sizeof(buf), "'%s'", p->tok.text);
    return buf;
}

/* Consumes punctuation text, or fails. */
static void
expect(struct parser *p, const char *text)
{
    if (!is_punct(p, text)) {
        fail(p, p->tok.line, "expected '%s', found %s", text, quoted(p));
        return;
    }
    next(p);
}

static bool
is_reserved(const char *name)
{
    for (unsigned i = 0; reserved[i] != NULL; i++) {
        if (strcmp(reserved[i], name) == 0) {
            return true;
        }
    }
    return strncmp(name, "vl_", 3) == 0;
}

/* Consumes a name into out (VLIDL_MAX_NAME + 1 bytes), checking its spelling. */
static void
name(struct parser *p, char *out, const char *what)
{
    if (p->tok.kind != T_NAME) {
        fail(p, p->tok.line, "expected %s, found %s", what, quoted(p));
        return;
    }
    const char *n = p->tok.text;
    bool ok = islower((unsigned char)n[0]) && strlen(n) <= VLIDL_MAX_NAME;
    for (const char *c = n; ok && *c != '\0'; c++) {
        ok = islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_';
    }
    if (!ok) {
        fail(p, p->tok.line,
             "invalid name '%s': lower-case letters, digits and '_', starting with a letter, "
             "at most %d characters", n, VLIDL_MAX_NAME);
    } else if (is_reserved(n)) {
        fail(p, p->tok.line, "'%s' is reserved and cannot be a name", n);
    } else {
        strcpy(out, n);
    }
    next(p);
}

/* Consumes a number in [lo, hi]. */
static unsigned
number(struct parser *p, const char *what, unsigned lo, unsigned hi)
{
    if (p->tok.kind != T_NUM) {
        fail(p, p->tok.line, "expected %s, found %s", what, quoted(p));
        return lo;
    }
    unsigned long long v = p->tok.num;
    if (v < lo || v > hi) {
        fail(p, p->tok.line, "%s %llu out of range %u..%u", what, v, lo, hi);
        v = lo;
    }
    next(p);
    return (unsigned)v;
}

static int
find_enum(const struct vlidl_iface *f, const char *n)
{
    for (unsigned i = 0; i < f->nenums; i++) {
        if (strcmp(f->enums[i].name, n) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int
find_method(const struct vlidl_iface *f, const char *n)
{
    for (unsigned i = 0; i < f->nmethods; i++) {
        if (strcmp(f->methods[i].name, n) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* type = scalar [ "[" N "]" ] | "bytes" "<" N ">" | "cap" "<" captype ">" | "bulk" */
static void
type(struct parser *p, const struct vlidl_iface *f, struct vlidl_type *t)
{
    memset(t, 0, sizeof(*t));
    if (p->tok.kind != T_NAME) {
        fail(p, p->tok.line, "expected a type, found %s", quoted(p));
        return;
    }
    int line = p->tok.line;
    if (is_word(p, "bytes")) {
        next(p);
        t->kind = K_BYTES;
        expect(p, "<");
        t->bound = number(p, "bound", 1, VLIDL_MAX_BOUND);
        expect(p, ">");
        return;
    }
    if (is_word(p, "cap")) {
        next(p);
        t->kind = K_CAP;
        expect(p, "<");
        t->cap_type = -1;
        for (int i = 0; p->tok.kind == T_NAME && vlidl_cap_types[i].name != NULL; i++) {
            if (strcmp(vlidl_cap_types[i].name, p->tok.text) == 0) {
                t->cap_type = i;
            }
        }
        if (t->cap_type < 0) {
            fail(p, p->tok.line, "unknown capability type %s", quoted(p));
            return;
        }
        next(p);
        expect(p, ">");
        return;
    }
    if (is_word(p, "bulk")) {
        next(p);
        t->kind = K_BULK;
        return;
    }
    bool found = false;
    for (unsigned i = 0; i < sizeof(scalar_names) / sizeof(scalar_names[0]); i++) {
        if (strcmp(scalar_names[i], p->tok.text) == 0) {
            t->kind = (enum vlidl_kind)i;
            found = true;
        }
    }
    if (!found) {
        t->enum_index = find_enum(f, p->tok.text);
        if (t->enum_index < 0) {
            fail(p, line, "unknown type '%s'", p->tok.text);
            return;
        }
        t->kind = K_ENUM;
    }
    next(p);
    if (is_punct(p, "[")) {
        next(p);
        t->elem = t->kind;
        t->kind = K_ARRAY;
        t->bound = number(p, "bound", 1, VLIDL_MAX_BOUND);
        expect(p, "]");
    }
}

/* Fails if n is already the name of one of the fields. */
static void
check_unique(struct parser *p, const char *what, const char *n, int line,
             const struct vlidl_field *fields, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        if (strcmp(fields[i].name, n) == 0) {
            fail(p, line, "duplicate %s '%s' (first on line %d)", what, n, fields[i].line);
        }
    }
}

/* fields = "(" [ type NAME { "," type NAME } ] ")" */
static void
fields(struct parser *p, const struct vlidl_iface *f, struct vlidl_method *m, bool results)
{
    struct vlidl_field *list = results ? m->results : m->args;
    unsigned *count = results ? &m->nresults : &m->nargs;
    expect(p, "(");
    if (is_punct(p, ")")) {
        next(p);
        return;
    }
    for (;;) {
        if (p->failed) {
            return;
        }
        if (*count == VLIDL_MAX_FIELDS) {
            fail(p, p->tok.line, "method '%s' has more than %d %s", m->name, VLIDL_MAX_FIELDS,
                 results ? "results" : "arguments");
            return;
        }
        struct vlidl_field *fl = &list[*count];
        type(p, f, &fl->type);
        fl->line = p->tok.line;
        name(p, fl->name, results ? "a result name" : "an argument name");
        if (p->failed) {
            return;
        }
        /* Arguments and results are parameters of one client stub: one namespace. */
        check_unique(p, "argument", fl->name, fl->line, m->args, m->nargs);
        check_unique(p, "result", fl->name, fl->line, m->results, m->nresults);
        if (results && (fl->type.kind == K_CAP || fl->type.kind == K_BULK)) {
            fail(p, fl->line, "result '%s': capabilities and bulk data travel in requests only",
                 fl->name);
        }
        (*count)++;
        if (!is_punct(p, ",")) {
            break;
        }
        next(p);
    }
    expect(p, ")");
}

/* The checks of a whole method once it is read. */
static void
check_method(struct parser *p, const struct vlidl_method *m)
{
    unsigned caps = 0;
    for (unsigned i = 0; i < m->nargs; i++) {
        caps += m->args[i].type.kind == K_CAP;
    }
    if (caps > 1) {
        fail(p, m->line,
             "method '%s' has %u capability arguments: a message carries at most one", m->name,
             caps);
    }
    unsigned w = vlidl_max_words(m->args, m->nargs);
    if (w > VLIDL_MAX_WORDS) {
        fail(p, m->line, "method '%s': arguments take up to %u words, more than %d", m->name, w,
             VLIDL_MAX_WORDS);
    }
    w = vlidl_max_words(m->results, m->nresults);
    if (w > VLIDL_MAX_WORDS) {
        fail(p, m->line, "method '%s': results take up to %u words, more than %d", m->name, w,
             VLIDL_MAX_WORDS);
    }
}

/* method = "method" NAME fields [ "->" fields ] [ "errors" "(" NAME { "," NAME } ")" ] */
static void
method(struct parser *p, struct vlidl_iface *f)
{
    if (f->nmethods == VLIDL_MAX_METHODS) {
        fail(p, p->tok.line, "more than %d methods", VLIDL_MAX_METHODS);
        return;
    }
    struct vlidl_method *m = &f->methods[f->nmethods];
    strcpy(m->doc, p->doc);
    next(p);
    m->line = p->tok.line;
    name(p, m->name, "a method name");
    if (!p->failed && (find_method(f, m->name) >= 0 || find_enum(f, m->name) >= 0)) {
        fail(p, m->line, "duplicate name '%s'", m->name);
    }
    fields(p, f, m, false);
    if (is_punct(p, "->")) {
        next(p);
        fields(p, f, m, true);
    }
    if (is_word(p, "errors")) {
        next(p);
        expect(p, "(");
        for (;;) {
            if (p->failed) {
                return;
            }
            if (m->nerrors == VLIDL_MAX_ERRORS) {
                fail(p, p->tok.line, "method '%s' has more than %d errors", m->name,
                     VLIDL_MAX_ERRORS);
                return;
            }
            int line = p->tok.line;
            char *e = m->errors[m->nerrors];
            name(p, e, "an error name");
            for (unsigned i = 0; !p->failed && i < m->nerrors; i++) {
                if (strcmp(m->errors[i], e) == 0) {
                    fail(p, line, "duplicate error '%s'", e);
                }
            }
            m->nerrors++;
            if (!is_punct(p, ",")) {
                break;
            }
            next(p);
        }
        expect(p, ")");
    }
    if (!p->failed) {
        check_method(p, m);
        f->nmethods++;
    }
}

/* enum = "enum" NAME "{" NAME { "," NAME } "}" */
static void
enumeration(struct parser *p, struct vlidl_iface *f)
{
    if (f->nenums == VLIDL_MAX_ENUMS) {
        fail(p, p->tok.line, "more than %d enums", VLIDL_MAX_ENUMS);
        return;
    }
    struct vlidl_enum *e = &f->enums[f->nenums];
    strcpy(e->doc, p->doc);
    next(p);
    e->line = p->tok.line;
    name(p, e->name, "an enum name");
    if (!p->failed && (find_method(f, e->name) >= 0 || find_enum(f, e->name) >= 0)) {
        fail(p, e->line, "duplicate name '%s'", e->name);
    }
    expect(p, "{");
    for (;;) {
        if (p->failed) {
            return;
        }
        if (e->count == VLIDL_MAX_VALUES) {
            fail(p, p->tok.line, "enum '%s' has more than %d values", e->name, VLIDL_MAX_VALUES);
            return;
        }
        int line = p->tok.line;
        char *v = e->values[e->count];
        name(p, v, "an enum value");
        for (unsigned i = 0; !p->failed && i < e->count; i++) {
            if (strcmp(e->values[i], v) == 0) {
                fail(p, line, "duplicate value '%s' in enum '%s'", v, e->name);
            }
        }
        e->count++;
        if (!is_punct(p, ",")) {
            break;
        }
        next(p);
    }
    expect(p, "}");
    if (!p->failed) {
        f->nenums++;
    }
}

/* The file's base name without ".idl", into out (or "" if it does not end in ".idl"). */
static void
file_stem(const char *path, char *out, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t len = strlen(base);
    out[0] = '\0';
    if (len > 4 && strcmp(base + len - 4, ".idl") == 0 && len - 4 < size) {
        memcpy(out, base, len - 4);
        out[len - 4] = '\0';
    }
}

static char *
read_file(const char *path, const char **why)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        *why = strerror(errno);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        len += fread(buf + len, 1, cap - len - 1, fp);
        if (len < cap - 1) {
            break;
        }
        cap *= 2;
        char *grown = realloc(buf, cap);
        if (grown == NULL) {
            free(buf);
        }
        buf = grown;
    }
    fclose(fp);
    if (buf == NULL) {
        *why = "out of memory";
        return NULL;
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        free(buf);
        *why = "the file contains a NUL byte";
        return NULL;
    }
    return buf;
}

bool
vlidl_parse(const char *path, struct vlidl_iface *f)
{
    memset(f, 0, sizeof(*f));
    const char *why = NULL;
    char *src = read_file(path, &why);
    if (src == NULL) {
        fprintf(stderr, "%s:0: error: cannot read: %s\n", path, why);
        return false;
    }
    struct parser p = {.path = path, .src = src, .line = 1};
    next(&p);
    if (!is_word(&p, "interface")) {
        fail(&p, p.tok.line, "expected 'interface', found %s", quoted(&p));
    }
    strcpy(f->doc, p.doc);
    next(&p);
    int line = p.tok.line;
    name(&p, f->name, "the interface name");
    char stem[VLIDL_MAX_NAME + 8];
    file_stem(path, stem, sizeof(stem));
    if (!p.failed && strcmp(stem, f->name) != 0) {
        fail(&p, line, "interface '%s' must be in a file named %s.idl", f->name, f->name);
    }
    f->version = number(&p, "version", 1, 65535);
    while (!p.failed && p.tok.kind != T_EOF) {
        if (is_word(&p, "method")) {
            method(&p, f);
        } else if (is_word(&p, "enum")) {
            enumeration(&p, f);
        } else {
            fail(&p, p.tok.line, "expected 'method' or 'enum', found %s", quoted(&p));
        }
    }
    if (!p.failed && f->nmethods == 0) {
        fail(&p, line, "interface '%s' has no methods", f->name);
    }
    free(src);
    return !p.failed;
}

bool
vlidl_is_scalar(enum vlidl_kind kind)
{
    return kind <= K_ENUM;
}

/* Words of one field: the least (lengths 0) or the most (lengths at their bounds). */
static unsigned
field_words(const struct vlidl_type *t, bool most)
{
    switch (t->kind) {
    case K_BYTES:
        return 1 + (most ? (t->bound + 7) / 8 : 0);
    case K_ARRAY:
        return 1 + (most ? t->bound : 0);
    case K_CAP:
        return 0;
    case K_BULK:
        return 2;
    default:
        return 1;
    }
}

unsigned
vlidl_min_words(const struct vlidl_field *f, unsigned n)
{
    unsigned w = 0;
    for (unsigned i = 0; i < n; i++) {
        w += field_words(&f[i].type, false);
    }
    return w;
}

unsigned
vlidl_max_words(const struct vlidl_field *f, unsigned n)
{
    unsigned w = 0;
    for (unsigned i = 0; i < n; i++) {
        w += field_words(&f[i].type, true);
    }
    return w;
}

const char *
vlidl_type_name(const struct vlidl_iface *f, const struct vlidl_type *t)
{
    static char buf[64];
    enum vlidl_kind k = t->kind == K_ARRAY ? t->elem : t->kind;
    const char *base = k == K_ENUM ? f->enums[t->enum_index].name
                       : k <= K_BOOL ? scalar_names[k]
                                     : "";
    switch (t->kind) {
    case K_BYTES:
        snprintf(buf, sizeof(buf), "bytes<%u>", t->bound);
        break;
    case K_ARRAY:
        snprintf(buf, sizeof(buf), "%s[%u]", base, t->bound);
        break;
    case K_CAP:
        snprintf(buf, sizeof(buf), "cap<%s>", vlidl_cap_types[t->cap_type].name);
        break;
    case K_BULK:
        snprintf(buf, sizeof(buf), "bulk");
        break;
    default:
        snprintf(buf, sizeof(buf), "%s", base);
        break;
    }
    return buf;
}
