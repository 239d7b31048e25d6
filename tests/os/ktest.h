/*
 * ktest: the in-QEMU kernel test suite. Shared harness declarations.
 *
 * Every test runs with a fresh child untyped (t_ut, 1 MiB) carved from one large RAM
 * untyped; after the test the harness revokes that large untyped and empties every
 * scratch slot the test used, so each test starts from the same state. Tests allocate
 * slots with slot_alloc() and objects with obj_new(); threads with thread_new().
 */
#pragma once

#include <stdio.h>
#include <vallum/sys.h>

#define ROOT VL_CAP_INIT_CNODE
#define TEST_UT_BITS 20

extern const struct vl_bootinfo *g_bi;
extern vl_cptr_t t_ut;  /* this test's untyped */
extern vl_cptr_t g_big; /* the RAM untyped every test's t_ut is carved from */
/* An ASID pool made at start-up (ASIDControl_MakePool) from memory outside g_big, so it
 * outlives every test; the VSpaces tests make get their ASIDs from it (vspace_new). */
extern vl_cptr_t g_asid_pool;
extern int t_failed; /* set by the CHECK macros */

/* Reports a failed check of the running test (first failure wins). */
void test_fail(const char *file, int line, const char *what, vl_word_t a, vl_word_t b);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_fail(__FILE__, __LINE__, #cond, 0, 0);                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        vl_word_t a_ = (vl_word_t)(a), b_ = (vl_word_t)(b);                                        \
        if (a_ != b_) {                                                                            \
            test_fail(__FILE__, __LINE__, #a " == " #b, a_, b_);                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Checks that an invocation failed with err and, for detail words, the error detail. */
#define CHECK_ERR(call, err)                                                                       \
    do {                                                                                           \
        int e_ = (call);                                                                           \
        CHECK_EQ(e_, (err));                                                                       \
    } while (0)

#define CHECK_TYPE(slot, type) CHECK_EQ(vl_debug_cap_type(slot), (type))

/* Marks the running test skipped (reported unless a check fails), with the reason. */
void test_skip(const char *why);

/* Runs one test: fresh untyped, the test, invariant check, clean-up, protocol line. */
void run_test(const char *name, void (*fn)(void));
#define RUN(fn) run_test(#fn, fn)

/* A free scratch slot of the root CNode (0 if none left). */
vl_cptr_t slot_alloc(void);
/* n consecutive free scratch slots; returns the first. */
vl_cptr_t slots_alloc(vl_word_t n);
/* Retypes one object from t_ut into a new scratch slot; 0 on failure. A TCB comes bound to
 * a full-share scheduling context (sc_give) in the next scratch slot, so it can run. */
vl_cptr_t obj_new(vl_word_t type, vl_word_t size_bits);
/* Retypes a TCB without a scheduling context into a new scratch slot; 0 on failure. */
vl_cptr_t tcb_bare(void);
/* Retypes a VSpace from t_ut into a new scratch slot and gives it an ASID from
 * g_asid_pool; 0 on failure. */
vl_cptr_t vspace_new(void);
/* Retypes a 4 KiB frame and returns its physical address (0 on failure). */
vl_word_t probe_frame_paddr(void);

/* Threads in the root task's VSpace. Entry gets arg; it must not return (it may: the
 * harness then suspends the thread). */
typedef void thread_fn(vl_word_t arg);
#define MAX_THREADS 8
struct kthread {
    vl_cptr_t tcb;
    struct vl_ipc_buffer *buf;
    vl_cptr_t buf_frame;
    thread_fn *fn;
    vl_word_t arg;
    vl_word_t stack_top;
    vl_word_t tls;
    vl_cptr_t sc; /* its scheduling context: a full share unless the test reconfigures it */
};
/* Creates, configures and starts a thread in the root CSpace; NULL on failure. */
struct kthread *thread_new(thread_fn *fn, vl_word_t arg, vl_word_t prio, vl_cptr_t fault_ep);
/* Creates and configures a thread but does not start it. */
struct kthread *thread_create(thread_fn *fn, vl_word_t arg, vl_word_t prio, vl_cptr_t fault_ep,
                              vl_cptr_t cspace, vl_word_t cspace_data);
/* (Re)starts t at its entry with fresh registers. Returns the error code. */
int thread_start(struct kthread *t);
/*
 * Retypes a scheduling context into a new scratch slot, configures it (budget and period in
 * time-counter ticks) and binds it to tcb: every thread needs one to run on a kernel that
 * enforces them (MCS=1). Returns its slot, 0 on failure.
 */
vl_cptr_t sc_give(vl_cptr_t tcb, vl_word_t budget, vl_word_t period);
/* Period of the full-share context a thread gets: budget = period, today's behaviour. */
#define KT_FULL_PERIOD 20000
/* Fills regs[32] with the fresh-start register set of t. */
void thread_regs(const struct kthread *t, vl_word_t *regs);

/* A 4 KiB page of ktest's .bss reserved for one test's private use, and its frame cap. */
void *spare_page(vl_cptr_t *frame);

/* Returns once every thread above priority 1 has blocked (0; -1 on error). */
int settle(void);
#define SETTLE() CHECK_EQ(settle(), 0)

/* Waits on ntfn until all bits in want have been seen; returns the bits seen. */
vl_word_t wait_bits(vl_cptr_t ntfn, vl_word_t want);

/* Maps frame at va in vs, creating page tables from t_ut as needed; returns the error. */
int map_page(vl_cptr_t vs, vl_cptr_t frame, vl_word_t va, vl_word_t rights, vl_word_t attr);

/* Test groups. */
void untyped_tests(void);
void cnode_tests(void);
void tcb_tests(void);
void irq_tests(void);
void ipc_tests(void);
void ntfn_tests(void);
void sched_tests(void);
void fault_tests(void);
void delete_tests(void);
void attack_tests(void);
void fuzz_tests(void);
void vspace_tests(void);
void irq_rtc_tests(void);
void proc_tests(void);
void asid_tests(void);
void debug_tests(void);
void shutdown_tests(void);
void sched_context_tests(void);
void mcs_tests(void);
void oracle_tests(void); /* run by its own image: see tests/os/oracle.c */
