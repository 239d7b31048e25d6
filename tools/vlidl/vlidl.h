/*
 * vlidl: the interface compiler (docs/idl.md). It reads one interface description
 * (interfaces/<name>.idl) into the model below (parse.c) and writes from it the C header,
 * client stubs and server dispatch (gen_c.c) and the reference page (gen_md.c).
 *
 * The parser stops at the first problem and reports it as "FILE:LINE: error: message".
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VLIDL_MAX_NAME 31      /* characters of any name */
#define VLIDL_MAX_ENUMS 16
#define VLIDL_MAX_VALUES 64    /* per enum */
#define VLIDL_MAX_METHODS 64
#define VLIDL_MAX_FIELDS 16    /* arguments, and results, per method */
#define VLIDL_MAX_ERRORS 32    /* per method */
#define VLIDL_MAX_BOUND 512    /* elements of an array or bytes of a byte string */
#define VLIDL_MAX_WORDS 120    /* message registers (VL_MSG_MAX_LENGTH) */
#define VLIDL_MAX_DOC 1024     /* characters of a declaration's comment */

enum vlidl_kind {
    K_U8, K_U16, K_U32, K_U64, K_I8, K_I16, K_I32, K_I64, K_BOOL, K_ENUM, /* scalars */
    K_BYTES, /* bytes<N>: a byte string of at most N bytes */
    K_ARRAY, /* T[N]: at most N scalars of type T */
    K_CAP,   /* cap<type>: a capability of that type */
    K_BULK,  /* bulk: an offset and a length into the server's shared region */
};

struct vlidl_type {
    enum vlidl_kind kind;
    enum vlidl_kind elem; /* K_ARRAY: the element's kind */
    int enum_index;       /* K_ENUM, or K_ARRAY of K_ENUM */
    unsigned bound;       /* K_BYTES, K_ARRAY */
    int cap_type;         /* K_CAP: index into vlidl_cap_types */
};

struct vlidl_field {
    char name[VLIDL_MAX_NAME + 1];
    struct vlidl_type type;
    int line;
};

struct vlidl_enum {
    char name[VLIDL_MAX_NAME + 1];
    char values[VLIDL_MAX_VALUES][VLIDL_MAX_NAME + 1];
    unsigned count;
    int line;
    char doc[VLIDL_MAX_DOC];
};

struct vlidl_method {
    char name[VLIDL_MAX_NAME + 1];
    struct vlidl_field args[VLIDL_MAX_FIELDS];
    unsigned nargs;
    struct vlidl_field results[VLIDL_MAX_FIELDS];
    unsigned nresults;
    char errors[VLIDL_MAX_ERRORS][VLIDL_MAX_NAME + 1];
    unsigned nerrors;
    int line;
    char doc[VLIDL_MAX_DOC];
};

struct vlidl_iface {
    char name[VLIDL_MAX_NAME + 1];
    unsigned version;
    char doc[VLIDL_MAX_DOC];
    struct vlidl_enum enums[VLIDL_MAX_ENUMS];
    unsigned nenums;
    struct vlidl_method methods[VLIDL_MAX_METHODS];
    unsigned nmethods;
};

/* Capability types a cap<...> may name, and their enum vl_cap_type constants. */
struct vlidl_cap_type {
    const char *name;
    const char *constant;
};
extern const struct vlidl_cap_type vlidl_cap_types[];

/*
 * Reads the interface in path into iface. On a problem, prints it to stderr as
 * "PATH:LINE: error: message" and returns false.
 */
bool vlidl_parse(const char *path, struct vlidl_iface *iface);

/* The least and the most message words the fields take (docs/idl.md, "Wire format"). */
unsigned vlidl_min_words(const struct vlidl_field *f, unsigned n);
unsigned vlidl_max_words(const struct vlidl_field *f, unsigned n);

/* True if a field of this kind is one message word and needs no length. */
bool vlidl_is_scalar(enum vlidl_kind kind);

/* The name a type is written with in an interface file, e.g. "bytes<16>" (static buffer). */
const char *vlidl_type_name(const struct vlidl_iface *iface, const struct vlidl_type *t);

/* Writes <dir>/<name>.h, <name>_client.c and <name>_server.c. Returns false on an I/O error. */
bool vlidl_gen_c(const struct vlidl_iface *iface, const char *dir);

/* Writes the reference page to out. */
void vlidl_gen_md(const struct vlidl_iface *iface, FILE *out);
