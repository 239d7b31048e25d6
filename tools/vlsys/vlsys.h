/*
 * vlsys: the host tool that checks a Vallum system description (docs/system-description.md)
 * and compiles it into a system image (lib/os/include/vallum/sysimage.h).
 *
 * The description is read into the model below (parse.c), which records for every value the
 * 1-based line it came from; check.c applies the cross-entity checks; image.c writes and
 * dumps images. Every problem is reported through diag_error() and all of them are printed,
 * sorted by line, before the tool exits.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vallum/elf.h"
#include "vallum/component.h"
#include "vallum/sysimage.h"
#include "vallum/types.h"

/* Placement of a component's stack, heap and reserved area (see the spec, "Address space"). */
#define VLSYS_PAGE 4096ull
#define VLSYS_USER_TOP ((uint64_t)VL_USER_TOP)
#define VLSYS_STACK_TOP 0x3ffff00000ull /* stack grows down from here */
#define VLSYS_GUARD VLSYS_PAGE          /* unmapped page below the stack and below the heap */
#define VLSYS_DEFAULT_STACK (16ull * 1024)
#define VLSYS_IRQ_MAX 1023 /* highest PLIC interrupt source */

/*
 * The newest format of the description this tool reads (key `format`, default 1; the rule for
 * extending it is in docs/system-description.md, "Format version").
 */
#define VLSYS_FORMAT 1

/* A program file, loaded once however many components use it. */
struct vlsys_program {
    char name[VL_SYSIMG_MAX_NAME + 1];
    uint8_t *data;         /* the ELF file, malloc'd; NULL if not loaded */
    size_t size;           /* bytes */
    bool is_valid;         /* elf_parse() accepted it; lo and hi are meaningful */
    uint64_t lo;           /* page-rounded start of its PT_LOAD segments */
    uint64_t hi;           /* page-rounded end */
    uint64_t image_offset; /* where image.c put it */
};

struct vlsys_component {
    char name[VL_SYSIMG_MAX_NAME + 1];
    int line;      /* the entry (its mapping) */
    int name_line; /* the name value */
    int program;   /* index into vlsys_system.programs, or -1 */
    int program_line;
    uint64_t priority;
    uint64_t stack; /* bytes */
    int stack_line;
    uint64_t heap; /* bytes */
    int heap_line;
    uint64_t restart_policy; /* enum vl_restart_policy */
    uint64_t restart_max;
    uint64_t restart_window_ms;
    uint64_t untyped_bits; /* 0: no `untyped` */
    uint64_t kernel_caps;  /* VL_SYSIMG_DEBUG_* (`debug`, or print if absent) and
                              VL_SYSIMG_SHUTDOWN (`shutdown`) */
    bool is_layout_valid;  /* stack and heap are valid sizes */
    char fault_handler_name[VL_SYSIMG_MAX_NAME + 1]; /* `fault_handler`, "" if none */
    int fault_handler_line;
    int fault_handler;  /* index of the handler (faults.c), -1: none or unknown */
    uint64_t budget_us; /* `budget` (budget.c), 0 if absent */
    int budget_line;    /* 0 if absent, -1 if not an integer (reported) */
    uint64_t period_us; /* `period`, 0 if absent */
    int period_line;    /* 0 if absent, -1 if not an integer (reported) */
};

struct vlsys_region {
    char name[VL_SYSIMG_MAX_NAME + 1];
    int line;      /* the entry */
    int name_line; /* the name value */
    uint64_t size;
    uint64_t kind; /* enum vl_region_kind */
    uint64_t paddr;
    int device;       /* the driver's component index for device regions, else -1 */
    bool is_valid;    /* size is a valid, non-zero multiple of 4 KiB */
    bool paddr_valid; /* device regions: paddr is aligned and paddr + size does not wrap */
    uint64_t flags;   /* VL_REGION_* (key `dma`, dma.c) */
};

struct vlsys_map {
    int region;    /* index */
    int component; /* index, or -1 if unknown */
    uint64_t vaddr;
    uint64_t perms;     /* VL_PERM_* */
    int line;           /* the map entry */
    bool is_valid;      /* component known, vaddr aligned and below the limit, perms valid */
    uint64_t flags;     /* VL_MAP_* (key `paddr`, dma.c) */
    int paddr_line;     /* the `paddr` value, 0 if absent */
    bool is_connection; /* made by a `connections` entry (connect.c), at a vaddr vlsys chose */
};

/* One end of a channel, or the channel id of an interrupt. */
struct vlsys_end {
    int component; /* index, or -1 if unknown */
    uint64_t id;
    int line;      /* the end's mapping */
    int id_line;   /* the id value */
    bool is_valid; /* component known and id in range */
};

struct vlsys_channel {
    uint64_t kind;                      /* enum vl_channel_kind */
    struct vlsys_end a;                 /* notify: first end; call: client */
    struct vlsys_end b;                 /* notify: second end; call: server */
    int line;                           /* the channel entry */
    uint64_t flags;                     /* VL_CHANNEL_*: call channels only (key `grant`) */
    char iface[VL_SYSIMG_MAX_NAME + 1]; /* call: `interface` name, "" if none (iface.c) */
    unsigned iface_version;             /* its version, 0 if the channel names none */
    int iface_line;
};

struct vlsys_irq {
    struct vlsys_end end; /* the driver and its channel id */
    uint64_t number;
    int line;      /* the number value */
    bool is_valid; /* number in range */
};

/* One `config` parameter of a component. */
struct vlsys_config {
    int component; /* index */
    char name[VL_SYSIMG_MAX_NAME + 1];
    uint64_t kind;                          /* enum vl_config_kind */
    int64_t value;                          /* VL_CONFIG_INT */
    char str[VL_SYSIMG_MAX_CONFIG_STR + 1]; /* VL_CONFIG_STR, NUL-terminated */
    int line;                               /* the name */
};

/*
 * The names vlsys derives from a connection's name (connect.c): its regions NAME.queues and
 * NAME.data, and in each end the config parameters NAME.channel, NAME.buffers and
 * NAME.buffer_size. The longest must fit VL_SYSIMG_MAX_NAME.
 */
#define VLSYS_CONNECT_MAX_NAME (VL_SYSIMG_MAX_NAME - 12) /* strlen(".buffer_size") */
#define VLSYS_CONNECT_MAX_BUFFERS 65536u
#define VLSYS_CONNECT_MAX_BUFFER_SIZE (1ull << 20)
#define VLSYS_CONNECT_MAX_DATA (256ull << 20) /* buffers * buffer_size */
/* Where vlsys maps connections in every component: no hand-written map may reach into it. */
#define VLSYS_CONNECT_WINDOW_START 0x3000000000ull
#define VLSYS_CONNECT_WINDOW_END 0x3800000000ull

/* One `connections` entry: a lib/ring ring from a producer to a consumer. */
struct vlsys_connection {
    char name[VLSYS_CONNECT_MAX_NAME + 1]; /* "" if invalid (reported) */
    int line;                              /* the entry */
    int from;                              /* the producer's index, -1 if unknown */
    int to;                                /* the consumer's index, -1 if unknown */
    uint64_t buffers;                      /* 0 if invalid (reported) */
    uint64_t buffer_size;                  /* 0 if invalid (reported) */
    uint64_t consumer_perms;               /* VL_PERM_* of the data region in the consumer */
};

/* A growable array of fixed-size records. */
struct vlsys_vec {
    void *items;
    size_t count;
    size_t cap;
};

struct vlsys_system {
    char name[VL_SYSIMG_MAX_NAME + 1];
    int name_line;               /* the `system` value */
    struct vlsys_vec components; /* struct vlsys_component */
    struct vlsys_vec programs;   /* struct vlsys_program */
    struct vlsys_vec regions;    /* struct vlsys_region */
    struct vlsys_vec maps;       /* struct vlsys_map */
    struct vlsys_vec channels;   /* struct vlsys_channel */
    struct vlsys_vec irqs;       /* struct vlsys_irq */
    struct vlsys_vec
        configs;        /* struct vlsys_config, by component in file order, then connections' */
    bool has_programs;  /* program files were looked up (check --programs, build) */
    int console_line;   /* the first device with `console: true`, 0 if none */
    int console_driver; /* with console_line: its component index, -1 if unknown */
    struct vlsys_vec connections; /* struct vlsys_connection (connect.c) */
};

#define VEC_AT(vec, type, i) (&((type *)(vec)->items)[i])

/*
 * Appends a zeroed record of size bytes to vec and returns it. Exits the tool with a message
 * if memory runs out.
 */
void *vec_push(struct vlsys_vec *vec, size_t size);

/* Frees vec's storage and empties it. */
void vec_free(struct vlsys_vec *vec);

/* Records a problem found at line (1-based) of the file being checked. printf-style. */
void diag_error(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records a warning at line: printed like an error, but it does not make the check fail. */
void diag_warning(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Returns the number of errors (not warnings) recorded so far. */
size_t diag_count(void);

/*
 * Prints every recorded problem as "FILE:LINE: error: message" (or "warning:"), sorted by
 * line, and forgets them.
 */
void diag_print(const char *file);

/* Forgets every recorded problem without printing it. */
void diag_clear(void);

/*
 * Returns the one of names[0..n) nearest to word, if it is near enough to be a likely
 * misspelling of it (one edit for words under five characters, two for longer ones; the
 * first on a tie), else NULL. A name equal to word is never suggested.
 */
const char *diag_nearest(const char *word, const char *const *names, size_t n);

/*
 * Reads the system description in path into sys (zeroed by the caller), recording every
 * syntax, type and single-value problem with diag_error(). Name references are resolved to
 * indices (-1 and an error if unknown). If programs_dir is not NULL, each distinct program is
 * loaded from programs_dir/<program>.elf and checked with elf_parse().
 * Returns false only if the file could not be read or is not YAML (already reported).
 */
bool parse_system(const char *path, const char *programs_dir, struct vlsys_system *sys);

/* parse_system() of a description read from f (left open), for the fuzz target. */
bool parse_system_file(FILE *f, const char *programs_dir, struct vlsys_system *sys);

/* Writes bytes as the description would: "8KiB", "1MiB", else decimal, into buf. */
#define VLSYS_SIZE_STR 32
void format_size(uint64_t bytes, char *buf);

/* The name of the component of sys nearest to name (diag_nearest), or NULL. */
const char *nearest_component(const struct vlsys_system *sys, const char *name);
/* iface.c: reads a call channel's `interface` value (NULL: not a string) at line into ch. */
void iface_parse(const char *value, int line, struct vlsys_channel *ch);

/* iface.c: the version of interface name in role (client, server) that an ELF file's
 * .vlidl section records: 0 if none, -1 if the section or a record is malformed. */
long iface_lookup(const uint8_t *data, size_t size, const char *name, const char *role);

/* iface.c: checks that both ends' programs are built for each channel's interface. */
void check_interfaces(const struct vlsys_system *sys);

/* Applies the cross-entity checks of the spec to a parsed system, reporting with diag_error. */
void check_system(const struct vlsys_system *sys);

/* faults.c: resolves every component's `fault_handler` name to an index, reporting unknown
 * names, a component that handles itself and handlers that form a cycle. */
void faults_resolve(struct vlsys_system *sys);

/* faults.c: reports channel id VL_COMP_FAULT_CHANNEL in a fault handler (reserved there). */
void faults_check(const struct vlsys_system *sys);

/* dma.c: reports maps with `paddr` on a region without `dma`, or into a component that
 * holds no device (docs/system-description.md, dma regions). */
void dma_check(const struct vlsys_system *sys);

/*
 * Checks every component's `budget` and `period` (budget.c): both or neither, each in
 * range, and admission: the budget/period of all components add up to at most 1, counted
 * in millionths rounded up (as init counts them).
 */
void budget_check(const struct vlsys_system *sys);
/* console.c: reports channel id VL_COMP_CONSOLE_LOG_CHANNEL in the console driver. */
void console_check(const struct vlsys_system *sys);

/*
 * connect.c: expands every valid connection of sys into the records it stands for: regions
 * NAME.queues and NAME.data mapped into both ends in the connections window, a notify
 * channel with the lowest free id in each end, and the config parameters that tell each end
 * that id and the ring's shape. Reports what cannot be expanded. Run once everything else
 * is parsed (the ids and config parameters written by hand must be known).
 */
void connect_expand(struct vlsys_system *sys);

/* connect.c: reports hand-written maps in the connections window and components with more
 * regions than the info page holds (VL_COMP_MAX_REGIONS). */
void connect_check(const struct vlsys_system *sys);

/* The ring capacity of a connection of `buffers` buffers: the least power of two that holds
 * them all, so that an enqueue never finds its queue full (lib/os computes it the same way). */
uint64_t connect_capacity(uint64_t buffers);

/* Frees everything parse_system() allocated in sys. */
void system_free(struct vlsys_system *sys);

/*
 * Writes the image of a checked, error-free system with its programs loaded to out (via a
 * temporary file renamed into place). Returns the image size in bytes, or 0 after printing
 * an error to stderr (nothing is left at out then).
 */
uint64_t image_write(struct vlsys_system *sys, const char *out);

/*
 * Checks the image file at path and prints it in readable form to stdout. Returns 0, or 1
 * after printing "PATH: error: ..." to stderr if the file is not a valid image.
 */
int image_dump(const char *path);
