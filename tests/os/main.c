/*
 * ktest: the in-QEMU kernel test suite, run as the first task.
 *
 * Protocol on the debug console: "VLTEST START ktest", one "VLTEST PASS <name>" or
 * "VLTEST FAIL <name> <reason>" per test, "VLTEST DONE <passed> <failed>", then the
 * machine halts with status 0 (all passed) or 1.
 *
 * Isolation: each test gets a fresh 1 MiB untyped (t_ut) retyped from the largest RAM
 * untyped (g_big) and scratch slots from one range. Afterwards the harness revokes g_big
 * (destroying every object the test made, and every thread) and deletes the scratch slots
 * it handed out, then checks that they are empty and that the kernel's invariants hold.
 */
#include "ktest.h"

#include <picotls.h>
#include <string.h>

void vl_start(const struct vl_bootinfo *bi);

const struct vl_bootinfo *g_bi;
vl_cptr_t t_ut;
int t_failed;

vl_cptr_t g_big; /* the large RAM untyped tests are carved from */
vl_cptr_t g_asid_pool;
static vl_cptr_t asid_pool_ut_parent; /* the RAM untyped g_asid_pool's memory is from */
static const char *skip_reason;       /* set by test_skip() */
static vl_cptr_t scratch_start;       /* scratch slot range */
static vl_cptr_t scratch_end;
static vl_cptr_t scratch_next; /* next free scratch slot of the running test */
static char fail_msg[200];
static unsigned passed, failed;

/* Thread resources: stacks, TLS blocks and IPC buffers (4 per page) in .bss. */
#define STACK_BYTES 16384
#define TLS_BYTES 512
#define IPC_PAGES (MAX_THREADS / 4)
static char thread_stacks[MAX_THREADS][STACK_BYTES] __attribute__((aligned(16)));
static char thread_tls[MAX_THREADS][TLS_BYTES] __attribute__((aligned(64)));
static char ipc_pages[IPC_PAGES][VL_PAGE_SIZE] __attribute__((aligned(VL_PAGE_SIZE)));
static char spare[VL_PAGE_SIZE] __attribute__((aligned(VL_PAGE_SIZE)));
static vl_cptr_t ipc_page_frames[IPC_PAGES];
static vl_cptr_t spare_frame;
static struct kthread threads[MAX_THREADS];
static unsigned nthreads;
extern char __tls_size[];

void
test_fail(const char *file, int line, const char *what, vl_word_t a, vl_word_t b)
{
    if (t_failed) {
        return;
    }
    t_failed = 1;
    const char *base = strrchr(file, '/');
    snprintf(fail_msg, sizeof(fail_msg), "%s:%d: %s (got %#lx, %#lx; last error %lu %#lx %#lx)",
             base ? base + 1 : file, line, what, (unsigned long)a, (unsigned long)b,
             (unsigned long)vl_last_error.code, (unsigned long)vl_last_error.mr[0],
             (unsigned long)vl_last_error.mr[1]);
}

vl_cptr_t
slot_alloc(void)
{
    return slots_alloc(1);
}

vl_cptr_t
slots_alloc(vl_word_t n)
{
    if (scratch_next + n > scratch_end) {
        return 0;
    }
    vl_cptr_t s = scratch_next;
    scratch_next += n;
    return s;
}

vl_cptr_t
tcb_bare(void)
{
    vl_cptr_t s = slot_alloc();
    if (s == 0 || vl_untyped_retype(t_ut, VL_OBJ_TCB, 0, ROOT, 0, 0, s, 1) != 0) {
        return 0;
    }
    return s;
}

vl_cptr_t
obj_new(vl_word_t type, vl_word_t size_bits)
{
    if (type == VL_OBJ_TCB) {
        vl_cptr_t t = tcb_bare();
        return t != 0 && sc_give(t, KT_FULL_PERIOD, KT_FULL_PERIOD) != 0 ? t : 0;
    }
    vl_cptr_t s = slot_alloc();
    if (s == 0 || vl_untyped_retype(t_ut, type, size_bits, ROOT, 0, 0, s, 1) != 0) {
        return 0;
    }
    return s;
}

vl_cptr_t
vspace_new(void)
{
    vl_cptr_t vs = obj_new(VL_OBJ_VSPACE, 0);
    if (vs == 0 || vl_asid_pool_assign(g_asid_pool, vs) != 0) {
        return 0;
    }
    return vs;
}

vl_word_t
probe_frame_paddr(void)
{
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_word_t paddr = 0, vaddr = 0;
    if (f == 0 || vl_frame_get_address(f, &paddr, &vaddr) != 0) {
        return 0;
    }
    return paddr;
}

void *
spare_page(vl_cptr_t *frame)
{
    *frame = spare_frame;
    return spare;
}

/*
 * Lets every thread of priority above 1 run until it blocks: a priority-1 settler thread
 * waits for "go"; once signalled it can only run when nothing else is runnable, and then
 * it signals "done". The settler lives in the test's memory, so each test makes its own.
 */
static struct kthread *settler;
static vl_cptr_t settle_go, settle_done;

static void
settler_main(vl_word_t arg)
{
    (void)arg;
    for (;;) {
        vl_wait(settle_go);
        vl_signal(settle_done);
    }
}

int
settle(void)
{
    if (settler == NULL) {
        settle_go = obj_new(VL_OBJ_NOTIFICATION, 0);
        settle_done = obj_new(VL_OBJ_NOTIFICATION, 0);
        if (settle_go == 0 || settle_done == 0) {
            return -1;
        }
        settler = thread_new(settler_main, 0, 1, 0);
        if (settler == NULL) {
            return -1;
        }
    }
    vl_signal(settle_go);
    vl_wait(settle_done);
    return 0;
}

vl_word_t
wait_bits(vl_cptr_t ntfn, vl_word_t want)
{
    vl_word_t seen = 0;
    while ((seen & want) != want) {
        seen |= vl_wait(ntfn);
    }
    return seen;
}

static __attribute__((noreturn)) void
thread_entry(void *arg)
{
    struct kthread *t = arg;
    vl_ipc_buffer = t->buf;
    t->fn(t->arg);
    for (;;) {
        vl_tcb_suspend(t->tcb);
    }
}

void
thread_regs(const struct kthread *t, vl_word_t *regs)
{
    vl_thread_regs(regs, thread_entry, (void *)t, t->stack_top, t->tls);
}

int
thread_start(struct kthread *t)
{
    vl_word_t regs[VL_NUM_REGISTERS];
    thread_regs(t, regs);
    return vl_tcb_write_registers(t->tcb, 1, VL_NUM_REGISTERS, regs);
}

vl_cptr_t
sc_give(vl_cptr_t tcb, vl_word_t budget, vl_word_t period)
{
    vl_cptr_t sc = obj_new(VL_OBJ_SCHED_CONTEXT, 0);
    if (sc == 0 || vl_sched_control_configure(VL_CAP_SCHED_CONTROL_SLOT, sc, budget, period) != 0 ||
        vl_sched_context_bind(sc, tcb) != 0) {
        return 0;
    }
    return sc;
}

struct kthread *
thread_create(thread_fn *fn, vl_word_t arg, vl_word_t prio, vl_cptr_t fault_ep, vl_cptr_t cspace,
              vl_word_t cspace_data)
{
    if (nthreads >= MAX_THREADS) {
        return NULL;
    }
    unsigned i = nthreads;
    struct kthread *t = &threads[i];
    t->tcb = tcb_bare();
    if (t->tcb == 0) {
        return NULL;
    }
    t->fn = fn;
    t->arg = arg;
    t->buf = (struct vl_ipc_buffer *)(ipc_pages[i / 4] + (i % 4) * 1024);
    t->buf_frame = ipc_page_frames[i / 4];
    t->stack_top = (vl_word_t)thread_stacks[i + 1];
    t->tls = (vl_word_t)thread_tls[i];
    memset(t->buf, 0, sizeof(*t->buf));
    _init_tls((void *)t->tls);
    if (vl_tcb_configure(t->tcb, fault_ep, cspace, cspace_data, VL_CAP_INIT_VSPACE,
                         (vl_word_t)t->buf, t->buf_frame) != 0) {
        return NULL;
    }
    if (vl_tcb_set_priority(t->tcb, VL_CAP_INIT_TCB, prio) != 0) {
        return NULL;
    }
    t->sc = sc_give(t->tcb, KT_FULL_PERIOD, KT_FULL_PERIOD);
    if (t->sc == 0) {
        return NULL;
    }
    nthreads++;
    return t;
}

struct kthread *
thread_new(thread_fn *fn, vl_word_t arg, vl_word_t prio, vl_cptr_t fault_ep)
{
    struct kthread *t = thread_create(fn, arg, prio, fault_ep, ROOT, 0);
    if (t == NULL || thread_start(t) != 0) {
        return NULL;
    }
    return t;
}

static void
report(const char *name, const char *why)
{
    if (why == NULL) {
        passed++;
        printf("VLTEST PASS %s\n", name);
    } else {
        failed++;
        printf("VLTEST FAIL %s %s\n", name, why);
    }
}

/* Destroys what the test made; returns NULL or why the clean-up failed. */
static const char *
cleanup(void)
{
    /* The root task may have been changed by a test: restore it. */
    vl_tcb_unbind_notification(VL_CAP_INIT_TCB);
    vl_tcb_set_priority(VL_CAP_INIT_TCB, VL_CAP_INIT_TCB, VL_MAX_PRIORITY);
    if (vl_cnode_revoke(ROOT, g_big, 64) != 0) {
        return "clean-up: revoke of the test memory failed";
    }
    for (vl_cptr_t s = scratch_start; s < scratch_next; s++) {
        if (vl_cnode_delete(ROOT, s, 64) != 0) {
            return "clean-up: delete of a scratch slot failed";
        }
    }
    if (vl_debug_cap_type(t_ut) != VL_CAP_NULL) {
        return "clean-up: test untyped survived the revoke";
    }
    for (vl_cptr_t s = scratch_start; s < scratch_next; s++) {
        if (vl_debug_cap_type(s) != VL_CAP_NULL) {
            return "clean-up: scratch slot not empty";
        }
    }
    if (vl_debug_check() != 0) {
        return "clean-up: invariants violated after clean-up";
    }
    return NULL;
}

void
test_skip(const char *why)
{
    skip_reason = why;
}

void
run_test(const char *name, void (*fn)(void))
{
    t_failed = 0;
    skip_reason = NULL;
    fail_msg[0] = '\0';
    nthreads = 0;
    settler = NULL;
    scratch_next = scratch_start;
    memset(&vl_last_error, 0, sizeof(vl_last_error));
    if (vl_untyped_retype(g_big, VL_OBJ_UNTYPED, TEST_UT_BITS, ROOT, 0, 0, t_ut, 1) != 0) {
        report(name, "set-up: cannot retype the test untyped");
        return;
    }
    fn();
    if (!t_failed && vl_debug_check() != 0) {
        t_failed = 1;
        snprintf(fail_msg, sizeof(fail_msg), "kernel invariants violated after the test");
    }
    const char *why = cleanup();
    if (!t_failed && why != NULL) {
        t_failed = 1;
        snprintf(fail_msg, sizeof(fail_msg), "%s", why);
    }
    if (!t_failed && skip_reason != NULL) {
        printf("VLTEST SKIP %s %s\n", name, skip_reason);
        return;
    }
    report(name, t_failed ? fail_msg : NULL);
}

/* Leak check: every RAM untyped can be retyped again at its full size (after the suite's
 * ASID pool is deleted), and the pool had every ASID free again. */
static void
test_no_leaks(void)
{
    CHECK_EQ(vl_cnode_revoke(ROOT, g_big, 64), 0);
    CHECK_EQ(vl_untyped_retype(g_big, VL_OBJ_UNTYPED, 22, ROOT, 0, 0, t_ut, 1), 0);
    vl_cptr_t many = slots_alloc(VL_ASID_POOL_SIZE + 1);
    CHECK(many != 0);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_VSPACE, 0, ROOT, 0, 0, many, 256), 0);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_VSPACE, 0, ROOT, 0, 0, many + 256, 256), 0);
    for (vl_word_t i = 0; i < VL_ASID_POOL_SIZE; i++) {
        CHECK_EQ(vl_asid_pool_assign(g_asid_pool, many + i), 0);
    }
    CHECK_EQ(vl_cnode_revoke(ROOT, g_big, 64), 0);
    CHECK_EQ(vl_cnode_revoke(ROOT, asid_pool_ut_parent, 64), 0);
    CHECK_TYPE(g_asid_pool, VL_CAP_NULL);
    vl_cptr_t s = slot_alloc();
    CHECK(s != 0);
    for (vl_word_t i = 0; i < g_bi->num_untyped; i++) {
        const struct vl_untyped_desc *d = &g_bi->untyped_list[i];
        vl_cptr_t ut = g_bi->untyped.start + i;
        if (d->is_device) {
            continue;
        }
        if (ut == g_big) {
            /* The harness's own test untyped is the one child of g_big right now. */
            CHECK_EQ(vl_cnode_revoke(ROOT, g_big, 64), 0);
        }
        CHECK_EQ(vl_untyped_retype(ut, VL_OBJ_UNTYPED, d->size_bits, ROOT, 0, 0, s, 1), 0);
        CHECK_TYPE(s, VL_CAP_UNTYPED);
        CHECK_EQ(vl_cnode_delete(ROOT, s, 64), 0);
    }
}

void
vl_start(const struct vl_bootinfo *bi)
{
    vl_ipc_buffer = (struct vl_ipc_buffer *)bi->ipc_buffer;
    g_bi = bi;
    printf("VLTEST START ktest\n");

    /* The largest RAM untyped up to 256 MiB feeds the tests (larger ones are left for
     * the tests of huge pages, and would cost time to clear). */
    unsigned best_bits = 0;
    for (vl_word_t i = 0; i < bi->num_untyped; i++) {
        const struct vl_untyped_desc *d = &bi->untyped_list[i];
        if (!d->is_device && d->size_bits > best_bits && d->size_bits <= 28) {
            best_bits = d->size_bits;
            g_big = bi->untyped.start + i;
        }
    }
    t_ut = bi->empty.start;
    /* The suite's ASID pool: from the smallest other RAM untyped (slots 1 and 2 after t_ut). */
    unsigned pool_from_bits = 64;
    for (vl_word_t i = 0; i < bi->num_untyped; i++) {
        const struct vl_untyped_desc *d = &bi->untyped_list[i];
        vl_cptr_t ut = bi->untyped.start + i;
        if (!d->is_device && ut != g_big && d->size_bits >= VL_ASID_POOL_BITS &&
            d->size_bits < pool_from_bits) {
            pool_from_bits = d->size_bits;
            asid_pool_ut_parent = ut;
        }
    }
    g_asid_pool = bi->empty.start + 2;
    scratch_start = bi->empty.start + 16;
    scratch_end = bi->empty.end;
    for (unsigned i = 0; i < IPC_PAGES; i++) {
        ipc_page_frames[i] = vl_bootinfo_frame_at(g_bi, (vl_word_t)ipc_pages[i]);
    }
    spare_frame = vl_bootinfo_frame_at(g_bi, (vl_word_t)spare);
    const char *setup = NULL;
    if (bi->magic != VL_BOOTINFO_MAGIC || best_bits < TEST_UT_BITS + 1) {
        setup = "bad boot info or no large RAM untyped";
    } else if (ipc_page_frames[0] == 0 || ipc_page_frames[IPC_PAGES - 1] == 0 || spare_frame == 0) {
        setup = "frame caps of the IPC buffer pages not found";
    } else if ((vl_word_t)__tls_size > TLS_BYTES) {
        setup = "TLS block too large";
    } else if (asid_pool_ut_parent == 0 ||
               vl_untyped_retype(asid_pool_ut_parent, VL_OBJ_UNTYPED, VL_ASID_POOL_BITS, ROOT, 0, 0,
                                 bi->empty.start + 1, 1) != 0 ||
               vl_asid_control_make_pool(VL_CAP_ASID_CONTROL_SLOT, bi->empty.start + 1, ROOT,
                                         g_asid_pool, 64) != 0) {
        setup = "cannot make the suite's ASID pool";
    }
    if (setup != NULL) {
        report("setup", setup);
        printf("VLTEST DONE %u %u\n", passed, failed);
        vl_debug_halt(1);
    }

#ifdef KTEST_ORACLE_ONLY
    oracle_tests(); /* the oracle's own image (mk/oracle.mk) */
    RUN(test_no_leaks);
    printf("VLTEST DONE %u %u\n", passed, failed);
    vl_debug_halt(failed ? 1 : 0);
#endif
    untyped_tests();
    cnode_tests();
    tcb_tests();
    irq_tests();
    ipc_tests();
    ntfn_tests();
    sched_tests();
    fault_tests();
    delete_tests();
    attack_tests();
    vspace_tests();
    irq_rtc_tests();
    proc_tests();
    asid_tests();
    debug_tests();
    shutdown_tests();
    sched_context_tests();
    mcs_tests();
    fuzz_tests();
    RUN(test_no_leaks);

    printf("VLTEST DONE %u %u\n", passed, failed);
    /* The run ends through the Shutdown cap the kernel gave the first task (the exit
     * status reaches the test runner); the debug call only if that fails. */
    vl_shutdown_power_off(VL_CAP_SHUTDOWN_SLOT, failed ? 1 : 0);
    vl_debug_halt(failed ? 1 : 0);
}
