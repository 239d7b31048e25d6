/*
 * Test runner and shared helpers for the host kernel tests.
 */
#include "ktest.h"

#include "arch/registers.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS 256
#define MAX_ALLOCS 4096
#define MAX_SLOTS 1024
#define MAX_SNAPS 16
#define REASON_LEN 512
#define TEST_TIMEOUT_S 5

static struct {
    const char *name;
    ktest_fn fn;
} tests[MAX_TESTS];
static int n_tests;

static char *reason; /* shared with the forked child */
static void *allocs[MAX_ALLOCS];
static int n_allocs;
static struct cte boot_slots[MAX_SLOTS] __attribute__((aligned(32)));
static int n_boot_slots;

static struct {
    const void *p;
    size_t n;
    void *copy;
} snaps[MAX_SNAPS];
static int n_snaps;

void
ktest_register(const char *name, ktest_fn fn)
{
    if (n_tests == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        exit(2);
    }
    tests[n_tests].name = name;
    tests[n_tests].fn = fn;
    n_tests++;
}

void
ktest_fail(const char *file, int line, const char *why)
{
    snprintf(reason, REASON_LEN, "%s:%d: %s", file, line, why);
    fflush(stdout);
    _exit(1);
}

void
ktest_fail_eq(const char *file, int line, const char *what, unsigned long long a,
              unsigned long long b)
{
    char buf[REASON_LEN];
    snprintf(buf, sizeof(buf), "%s (0x%llx != 0x%llx)", what, a, b);
    ktest_fail(file, line, buf);
}

static void
panic_hook(const char *file, int line, const char *msg)
{
    snprintf(reason, REASON_LEN, "kernel panic at %s:%d: %s", file, line, msg);
}

void *
kt_alloc(word_t bits)
{
    size_t size = (size_t)1 << (bits < 4 ? 4 : bits);
    void *p = aligned_alloc(size, size);
    if (p == NULL || n_allocs == MAX_ALLOCS) {
        ktest_fail(__FILE__, __LINE__, "out of host memory");
    }
    memset(p, 0, size);
    allocs[n_allocs++] = p;
    return p;
}

struct cte *
kt_slot(void)
{
    if (n_boot_slots == MAX_SLOTS) {
        ktest_fail(__FILE__, __LINE__, "out of boot slots");
    }
    return &boot_slots[n_boot_slots++];
}

bool
kt_is_boot_slot(const struct cte *slot)
{
    return slot >= &boot_slots[0] && slot < &boot_slots[MAX_SLOTS];
}

void
kt_insert_at(cap_t cap, struct cte *slot)
{
    cte_insert_original(cap, &cdt_root, slot);
}

struct cte *
kt_insert(cap_t cap)
{
    struct cte *s = kt_slot();
    kt_insert_at(cap, s);
    return s;
}

cap_t
kt_cnode(word_t radix, word_t guard_size, word_t guard)
{
    return cap_cnode(kt_alloc(radix + VL_SLOT_BITS), radix, guard_size, guard);
}

struct tcb *
kt_thread(word_t prio, word_t state)
{
    struct tcb *t = tcb_from_obj(kt_alloc(VL_TCB_BITS));
    thread_init(t);
    t->priority = (uint8_t)prio;
    t->mcp = VL_MAX_PRIORITY;
    t->state = state;
    return t;
}

word_t
kt_cdt_count(void)
{
    word_t n = 0;
    for (struct cte *s = mdb_next(&cdt_root); s != NULL; s = mdb_next(s)) {
        n++;
    }
    return n;
}

struct kt_caller
kt_caller(void)
{
    struct kt_caller c;
    c.thread = kt_thread(10, TS_RUNNING);
    kt_insert(cap_tcb(tcb_slots(c.thread))); /* its slots lie in a live TCB */
    c.buf = kt_alloc(VL_IPC_BUFFER_BITS);
    return c;
}

struct cte *
kt_asid_pool(void)
{
    static struct cte *pool;
    if (pool != NULL) {
        return pool;
    }
    struct kt_caller c = kt_caller();
    struct cte *control = kt_insert(cap_asid_control());
    struct cte *ut = kt_insert(
        cap_untyped(kt_alloc(VL_ASID_POOL_BITS), VL_ASID_POOL_BITS, false, BIT(VL_ASID_POOL_BITS)));
    struct cte *cnode = kt_insert(kt_cnode(1, VL_WORD_BITS - 1, 0));
    struct cte *extra[2] = {ut, cnode};
    struct invocation inv =
        kt_inv(&c, control, VL_ASID_CONTROL_MAKE_POOL, ARGS(0, VL_WORD_BITS), 2, extra);
    if (arch_decode_asid_invocation(&inv) != EXCEPTION_NONE) {
        ktest_fail(__FILE__, __LINE__, "kt_asid_pool: MakePool failed");
    }
    pool = cap_ptr(cnode->cap);
    return pool;
}

struct cte *
kt_vspace(void *root)
{
    struct cte *vs = kt_insert(cap_vspace(root, 0));
    struct kt_caller c = kt_caller();
    struct cte *extra[1] = {vs};
    struct invocation inv = kt_inv(&c, kt_asid_pool(), VL_ASID_POOL_ASSIGN, NULL, 0, 1, extra);
    if (arch_decode_asid_invocation(&inv) != EXCEPTION_NONE) {
        ktest_fail(__FILE__, __LINE__, "kt_vspace: ASIDPool_Assign failed");
    }
    return vs;
}

struct invocation
kt_inv(struct kt_caller *c, struct cte *slot, word_t label, const word_t *args, word_t n_args,
       word_t n_extra, struct cte *const *extra)
{
    struct invocation inv;
    memset(&inv, 0, sizeof(inv));
    inv.thread = c->thread;
    inv.label = label;
    inv.length = n_args;
    inv.slot = slot;
    inv.cap = slot->cap;
    inv.buf = c->buf;
    inv.is_call = true;
    memset(c->buf->msg, 0, sizeof(c->buf->msg));
    for (word_t i = 0; i < VL_MSG_REGS; i++) {
        c->thread->regs[REG_MR0 + i] = 0;
    }
    for (word_t i = 0; i < n_args; i++) {
        ipc_set_mr(c->thread, c->buf, i, args[i]);
    }
    for (word_t i = 0; i < n_extra; i++) {
        inv.extra[i] = extra[i];
    }
    inv.n_extra = n_extra;
    kt_clear_errors();
    return inv;
}

void
kt_snap_reset(void)
{
    for (int i = 0; i < n_snaps; i++) {
        free(snaps[i].copy);
    }
    n_snaps = 0;
}

void
kt_snap(const void *p, size_t n)
{
    if (n_snaps == MAX_SNAPS) {
        ktest_fail(__FILE__, __LINE__, "too many snapshots");
    }
    snaps[n_snaps].p = p;
    snaps[n_snaps].n = n;
    snaps[n_snaps].copy = malloc(n);
    memcpy(snaps[n_snaps].copy, p, n);
    n_snaps++;
}

bool
kt_snap_same(void)
{
    for (int i = 0; i < n_snaps; i++) {
        if (memcmp(snaps[i].p, snaps[i].copy, snaps[i].n) != 0) {
            return false;
        }
    }
    return true;
}

void
kt_clear_errors(void)
{
    memset(&current_syscall_error, 0, sizeof(current_syscall_error));
    memset(&current_lookup_fault, 0, sizeof(current_lookup_fault));
}

/* Runs one test in the child: a fresh scheduler with an idle thread, then the test. */
static void
run_child(ktest_fn fn)
{
    host_panic_hook = panic_hook;
    ks_idle_thread = kt_thread(0, TS_IDLE);
    ks_cur_thread = ks_idle_thread;
    ks_sched_action = SCHED_RESUME_CURRENT;
    alarm(TEST_TIMEOUT_S);
    fn();
    INV();
    kt_snap_reset();
    for (int i = 0; i < n_allocs; i++) {
        free(allocs[i]);
    }
    fflush(stdout);
    _exit(0);
}

int
main(int argc, char **argv)
{
    reason = mmap(NULL, REASON_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (reason == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    int failed = 0, run = 0;
    for (int i = 0; i < n_tests; i++) {
        if (argc > 1 && strcmp(argv[1], tests[i].name) != 0) {
            continue;
        }
        run++;
        reason[0] = '\0';
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            run_child(tests[i].fn);
        }
        int status;
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            printf("VLTEST PASS %s\n", tests[i].name);
            fflush(stdout);
            continue;
        }
        failed++;
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
            printf("VLTEST FAIL %s timeout after %ds (hang)\n", tests[i].name, TEST_TIMEOUT_S);
        } else if (reason[0] != '\0') {
            printf("VLTEST FAIL %s %s\n", tests[i].name, reason);
        } else if (WIFSIGNALED(status)) {
            printf("VLTEST FAIL %s killed by signal %d\n", tests[i].name, WTERMSIG(status));
        } else {
            printf("VLTEST FAIL %s exit status %d (sanitizer report above)\n", tests[i].name,
                   WEXITSTATUS(status));
        }
    }
    printf("%d tests, %d passed, %d failed\n", run, run - failed, failed);
    return failed != 0;
}
