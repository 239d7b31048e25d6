/*
 * A small harness for host tests of the portable kernel core. Each test runs in its own
 * forked process (fresh kernel globals, crashes and hangs contained) and the runner
 * prints one line per test: "VLTEST PASS <name>" or "VLTEST FAIL <name> <reason>".
 */
#pragma once

#include <string.h>

#include "api/failures.h"
#include "api/invocation.h"
#include "api/syscall.h"
#include "arch/machine.h"
#include "arch/pagetable.h"
#include "arch/riscv.h"
#include "arch/registers.h"
#include "host_arch.h"
#include "kernel/cspace.h"
#include "kernel/delete.h"
#include "kernel/thread.h"
#include "object/cap.h"
#include "object/cnode.h"
#include "object/endpoint.h"
#include "object/irq.h"
#include "object/notification.h"
#include "object/objecttype.h"
#include "object/tcb.h"
#include "object/untyped.h"

typedef void (*ktest_fn)(void);

void ktest_register(const char *name, ktest_fn fn);

/* Defines and registers a test function. */
#define KTEST(name)                                                                                \
    static void ktest_##name(void);                                                                \
    __attribute__((constructor)) static void ktest_reg_##name(void)                                \
    {                                                                                              \
        ktest_register(#name, ktest_##name);                                                       \
    }                                                                                              \
    static void ktest_##name(void)

/* Ends the current test as failed (never returns). */
__attribute__((noreturn)) void ktest_fail(const char *file, int line, const char *why);

#define CHECK(e)                                                                                   \
    do {                                                                                           \
        if (!(e)) {                                                                                \
            ktest_fail(__FILE__, __LINE__, "check failed: " #e);                                   \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        unsigned long long ka_ = (unsigned long long)(a), kb_ = (unsigned long long)(b);           \
        if (ka_ != kb_) {                                                                          \
            ktest_fail_eq(__FILE__, __LINE__, #a " == " #b, ka_, kb_);                             \
        }                                                                                          \
    } while (0)

__attribute__((noreturn)) void ktest_fail_eq(const char *file, int line, const char *what,
                                             unsigned long long a, unsigned long long b);

/* Runs every invariant checker and fails the test on a violation. */
#define INV()                                                                                      \
    do {                                                                                           \
        const char *why_ = kernel_check_invariants();                                              \
        if (why_ != NULL) {                                                                        \
            ktest_fail(__FILE__, __LINE__, why_);                                                  \
        }                                                                                          \
    } while (0)

/* The invariant checker reports exactly why. */
#define CHECK_INV_FIRES(why)                                                                       \
    do {                                                                                           \
        const char *got_ = kernel_check_invariants();                                              \
        CHECK(got_ != NULL);                                                                       \
        if (strcmp(got_, (why)) != 0) {                                                            \
            ktest_fail(__FILE__, __LINE__, got_);                                                  \
        }                                                                                          \
    } while (0)

/* Zeroed memory of 2^bits bytes aligned to its size, freed when the test ends. */
void *kt_alloc(word_t bits);

/* A fresh slot outside any CNode (a "boot" slot), 32-byte aligned, initially empty. */
struct cte *kt_slot(void);

/* True if slot is one of the harness's boot slots (arch_slot_is_static on the host). */
bool kt_is_boot_slot(const struct cte *slot);

/* Puts cap into a fresh boot slot as an original cap at the head of the CDT. */
struct cte *kt_insert(cap_t cap);

/* Puts cap into slot as an original cap at the head of the CDT. */
void kt_insert_at(cap_t cap, struct cte *slot);

/* The test's ASID pool cap, made through ASIDControl_MakePool on first use (ASIDs
 * 0..511: the first range is free, as no first task runs on the host). */
struct cte *kt_asid_pool(void);

/* A VSpace cap to root (4 KiB, aligned) given an ASID by kt_asid_pool(), in a fresh boot
 * slot. */
struct cte *kt_vspace(void *root);

/* A new CNode of 2^radix slots and an (unplaced) cap to it. */
cap_t kt_cnode(word_t radix, word_t guard_size, word_t guard);

/* A new TCB object, thread_init'ed, at the given priority and state. */
struct tcb *kt_thread(word_t prio, word_t state);

/* Number of caps in the derivation list. */
word_t kt_cdt_count(void);

/* The invoking thread for invocation tests and its IPC buffer. */
struct kt_caller {
    struct tcb *thread;
    struct vl_ipc_buffer *buf;
};

struct kt_caller kt_caller(void);

/* Builds an invocation (use ARGS(...) for args, n_args) of the cap in slot with the given arguments
 * and extra-cap slots. */
struct invocation kt_inv(struct kt_caller *c, struct cte *slot, word_t label, const word_t *args,
                         word_t n_args, word_t n_extra, struct cte *const *extra);

/* Snapshots of memory, to check that failed operations changed nothing. */
void kt_snap(const void *p, size_t n);
void kt_snap_reset(void);
/* True if all snapshotted regions are unchanged. */
bool kt_snap_same(void);

#define CHECK_UNCHANGED() CHECK(kt_snap_same())

/* Checks that an operation failed with a syscall error of the given type and changed
 * nothing (of what was snapshotted). */
#define CHECK_ERR(st, type_)                                                                       \
    do {                                                                                           \
        CHECK_EQ((st), EXCEPTION_SYSCALL_ERROR);                                                   \
        CHECK_EQ(current_syscall_error.type, (type_));                                             \
        CHECK_UNCHANGED();                                                                         \
    } while (0)

/* Clears the syscall error and lookup fault records. */
void kt_clear_errors(void);

#define ARGS(...)                                                                                  \
    ((const word_t[]){__VA_ARGS__}), (sizeof((word_t[]){__VA_ARGS__}) / sizeof(word_t))
