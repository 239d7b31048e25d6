/*
 * bench: the Vallum microbenchmark suite, run as the first task of a RELEASE kernel.
 *
 * Runs under QEMU with -icount shift=0,sleep=off, so the cycle counter (csrr cycle, readable
 * in U-mode) counts guest instructions and every run of the same image gives the same
 * numbers. See docs/performance.md for how each metric is taken.
 *
 * Output: a release kernel has no debug console system calls, so results leave the guest
 * through QEMU's semihosting interface (enabled for user mode with
 * -semihosting-config enable=on,userspace=on), which also ends the run with an exit status.
 * Lines:
 *     VLBENCH <metric> <median> <min> <max> <samples>
 *     VLBENCH-INFO <key> <value>
 *     VLBENCH-ERROR <metric> <reason>
 *     VLBENCH-DONE <errors>
 * The number of samples is 200 unless the semihosting command line (-semihosting-config
 * arg=...) holds "quick", then 20; "only=<metric>" runs one benchmark. Each benchmark first runs 20
 * warm-up iterations whose samples are dropped.
 *
 * Second address space: instead of loading a second ELF, the benchmark builds a second
 * VSpace that maps copies of the caps of this program's own image frames at the same
 * addresses. Threads in it run the same code on different page tables (a real address
 * space switch), and the shared data pages carry counters between the two sides.
 */
#include <stdbool.h>
#include <stdio.h>
#include <picotls.h>
#include <string.h>
#include <vallum/goldfish_rtc.h>
#include <vallum/ring.h>
#include <vallum/sys.h>

#include "counter.h"
#include "../apps/timer/service.h"
#include "kernel/fdt.h"

void vl_start(const struct vl_bootinfo *bi);

#define ROOT VL_CAP_INIT_CNODE
#define WARMUP 20
#define MAX_SAMPLES 200
#define QUICK_SAMPLES 20
#define TOTAL_MAX (WARMUP + MAX_SAMPLES)

/* Priorities: the root task orchestrates at 255 and blocks while a benchmark runs. */
#define PRIO_LOW 100
#define PRIO_HIGH 110
#define PRIO_SPIN 10

/* Scratch virtual addresses (outside the image, stack, IPC buffer and device tree). */
#define MAP_VA 0x2000000000ul
#define FAULT_VA 0x2000200000ul
#define RTC_VA 0x2000400000ul
#define SCRATCH_VA 0x2000600000ul

/* ---- Semihosting (RISC-V: the magic slli/ebreak/srai sequence, in one page). ---- */

#define SEMI_SYS_WRITE0 0x04
#define SEMI_SYS_GET_CMDLINE 0x15
#define SEMI_SYS_EXIT 0x18
#define SEMI_ADP_APPLICATION_EXIT 0x20026

/* vl_word_t semihost(op, arg): in a section of its own, 16-byte aligned, so that the three
 * 4-byte instructions of the sequence never straddle a page. */
vl_word_t semihost(vl_word_t op, vl_word_t arg);
__asm__(".pushsection .text.semihost, \"ax\", @progbits\n"
        ".p2align 4\n"
        ".global semihost\n"
        "semihost:\n"
        ".option push\n"
        ".option norvc\n"
        ".option norelax\n"
        "slli zero, zero, 0x1f\n"
        "ebreak\n"
        "srai zero, zero, 0x7\n"
        ".option pop\n"
        "ret\n"
        ".popsection\n");

static void
out(const char *s)
{
    semihost(SEMI_SYS_WRITE0, (vl_word_t)s);
}

static char line[256];
#define OUT(...)                                                                                   \
    do {                                                                                           \
        snprintf(line, sizeof(line), __VA_ARGS__);                                                 \
        out(line);                                                                                 \
    } while (0)

/* Ends the run: through the Shutdown cap the kernel gave the first task, or, should that
 * fail, through a semihosting exit. Both end QEMU with status. */
static __attribute__((noreturn)) void
finish(vl_word_t status)
{
    vl_shutdown_power_off(VL_CAP_SHUTDOWN_SLOT, status);
    static vl_word_t block[2];
    block[0] = SEMI_ADP_APPLICATION_EXIT;
    block[1] = status;
    semihost(SEMI_SYS_EXIT, (vl_word_t)block);
    for (;;) {
        vl_yield();
    }
}

/* ---- Counters. ---- */

static inline __attribute__((always_inline)) uint64_t
rdcycle(void)
{
    uint64_t c;
    /* csrr c, cycle (csrrs c, 0xc00, zero; -1024 is 0xc00 as a signed 12-bit immediate),
     * encoded directly: user code is built for rv64imac, without Zicsr. */
    __asm__ volatile(".insn i SYSTEM, 2, %0, zero, -1024" : "=r"(c)::"memory");
    return c;
}

/*
 * System calls with the counter read as the instruction right before the ecall and/or right
 * after it, so a timed region holds nothing but the system call: the registers are loaded
 * before the first read (the kernel preserves every register but a0..a5 and t0..t6).
 */
#define CSRR_CYCLE(r) ".insn i SYSTEM, 2, " r ", zero, -1024\n\t"
#define SYSCALL_REGS                                                                               \
    register vl_word_t a0 __asm__("a0") = cap;                                                     \
    register vl_word_t a1 __asm__("a1") = info;                                                    \
    register vl_word_t a2 __asm__("a2") = mr[0];                                                   \
    register vl_word_t a3 __asm__("a3") = mr[1];                                                   \
    register vl_word_t a4 __asm__("a4") = mr[2];                                                   \
    register vl_word_t a5 __asm__("a5") = mr[3];                                                   \
    register vl_word_t a7 __asm__("a7") = sysno
#define SYSCALL_OUT "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5)
#define SYSCALL_RET ((struct vl_msg){a0, a1, {a2, a3, a4, a5}})

/* csrr start; ecall; csrr end. */
static inline __attribute__((always_inline)) struct vl_msg
timed_syscall(vl_word_t sysno, vl_cptr_t cap, vl_word_t info, const vl_word_t mr[VL_MSG_REGS],
              uint64_t *start, uint64_t *end)
{
    SYSCALL_REGS;
    uint64_t s, e;
    __asm__ volatile(CSRR_CYCLE("%[s]") "ecall\n\t" CSRR_CYCLE("%[e]")
                     : [s] "=&r"(s), [e] "=&r"(e), SYSCALL_OUT
                     : "r"(a7)
                     : "memory", VL_SYSCALL_CLOBBERS);
    *start = s;
    *end = e;
    return SYSCALL_RET;
}

/* csrr start; ecall (the end is read by whoever runs next). Returns start. */
static inline __attribute__((always_inline)) uint64_t
start_syscall(vl_word_t sysno, vl_cptr_t cap, vl_word_t info, const vl_word_t mr[VL_MSG_REGS])
{
    SYSCALL_REGS;
    uint64_t s;
    __asm__ volatile(CSRR_CYCLE("%[s]") "ecall\n\t"
                     : [s] "=&r"(s), SYSCALL_OUT
                     : "r"(a7)
                     : "memory", VL_SYSCALL_CLOBBERS);
    return s;
}

/* ecall; csrr end: the first instruction after the call returns reads the counter. */
static inline __attribute__((always_inline)) uint64_t
syscall_end(vl_word_t sysno, vl_cptr_t cap, vl_word_t info, const vl_word_t mr[VL_MSG_REGS])
{
    SYSCALL_REGS;
    uint64_t e;
    __asm__ volatile("ecall\n\t" CSRR_CYCLE("%[e]")
                     : [e] "=&r"(e), SYSCALL_OUT
                     : "r"(a7)
                     : "memory", VL_SYSCALL_CLOBBERS);
    return e;
}

/* ---- Resources: slots, objects, frames. ---- */

static const struct vl_bootinfo *g_bi;
static vl_cptr_t next_slot, end_slot;
static vl_cptr_t g_big; /* the largest RAM untyped */
static unsigned n_samples = MAX_SAMPLES;
static unsigned n_total;
static unsigned errors;
static vl_cptr_t vs2; /* the second address space */

static void
error(const char *metric, const char *why, int err)
{
    errors++;
    OUT("VLBENCH-ERROR %s %s (error %d)\n", metric, why, err);
}

static vl_cptr_t
slot_alloc(void)
{
    if (next_slot >= end_slot) {
        return 0;
    }
    return next_slot++;
}

static vl_cptr_t
obj_new_from(vl_cptr_t ut, vl_word_t type, vl_word_t size_bits)
{
    vl_cptr_t s = slot_alloc();
    if (s == 0 || vl_untyped_retype(ut, type, size_bits, ROOT, 0, 0, s, 1) != 0) {
        return 0;
    }
    return s;
}

static vl_cptr_t
obj_new(vl_word_t type, vl_word_t size_bits)
{
    return obj_new_from(g_big, type, size_bits);
}

/* A page table from this run's memory, for vl_frame_map_tables. */
static int
new_table(void *ctx, vl_cptr_t *pt)
{
    (void)ctx;
    *pt = obj_new(VL_OBJ_PAGE_TABLE, 0);
    return *pt != 0 ? 0 : VL_NOT_ENOUGH_MEMORY;
}

/* Maps frame at va in vs, creating page tables as needed; returns the error. */
static int
map_page(vl_cptr_t vs, vl_cptr_t frame, vl_word_t va, vl_word_t rights, vl_word_t attr)
{
    return vl_frame_map_tables(frame, vs, va, rights, attr, new_table, NULL);
}

/* Builds the second address space: the image frames mapped at the same addresses. */
static int
make_second_vspace(void)
{
    vs2 = obj_new(VL_OBJ_VSPACE, 0);
    if (vs2 == 0) {
        return VL_NOT_ENOUGH_MEMORY;
    }
    /* An ASID from the pool the kernel gave the first task. */
    int err = vl_asid_pool_assign(g_bi->asid_pool, vs2);
    if (err != 0) {
        return err;
    }
    for (vl_cptr_t s = g_bi->image_frames.start; s < g_bi->image_frames.end; s++) {
        vl_word_t pa, va;
        if (vl_frame_get_address(s, &pa, &va) != 0 || va < g_bi->image_start ||
            va >= g_bi->image_end) {
            continue;
        }
        vl_cptr_t copy = slot_alloc();
        if (copy == 0) {
            return VL_NOT_ENOUGH_MEMORY;
        }
        err = vl_cnode_copy(ROOT, copy, 64, ROOT, s, 64, VL_RIGHTS_ALL);
        if (err == 0) {
            err = map_page(vs2, copy, va, VL_RIGHT_READ | VL_RIGHT_WRITE, 0);
        }
        if (err != 0) {
            return err;
        }
    }
    return 0;
}

/* ---- Threads (in this program's image; in either address space). ---- */

typedef void thread_fn(vl_word_t arg);
#define MAX_THREADS 8
#define STACK_BYTES 16384
#define TLS_BYTES 512
#define IPC_PAGES (MAX_THREADS / 4)
struct bthread {
    vl_cptr_t tcb;
    struct vl_ipc_buffer *buf;
    thread_fn *fn;
    vl_word_t arg;
};
static char thread_stacks[MAX_THREADS][STACK_BYTES] __attribute__((aligned(16)));
static char thread_tls[MAX_THREADS][TLS_BYTES] __attribute__((aligned(64)));
static char ipc_pages[IPC_PAGES][VL_PAGE_SIZE] __attribute__((aligned(VL_PAGE_SIZE)));
static vl_cptr_t ipc_page_frames[IPC_PAGES];
static struct bthread threads[MAX_THREADS];
static unsigned nthreads;
extern char __tls_size[];

static __attribute__((noreturn)) void
thread_entry(void *arg)
{
    struct bthread *t = arg;
    vl_ipc_buffer = t->buf;
    t->fn(t->arg);
    for (;;) {
        vl_tcb_suspend(t->tcb);
    }
}

/* Creates and starts a thread; vspace is VL_CAP_INIT_VSPACE or vs2. NULL on failure. */
static struct bthread *
thread_new(thread_fn *fn, vl_word_t arg, vl_word_t prio, vl_cptr_t vspace, vl_cptr_t fault_ep)
{
    if (nthreads >= MAX_THREADS) {
        return NULL;
    }
    unsigned i = nthreads;
    struct bthread *t = &threads[i];
    t->tcb = obj_new(VL_OBJ_TCB, 0);
    if (t->tcb == 0) {
        return NULL;
    }
    t->fn = fn;
    t->arg = arg;
    t->buf = (struct vl_ipc_buffer *)(ipc_pages[i / 4] + (i % 4) * 1024);
    memset(t->buf, 0, sizeof(*t->buf));
    _init_tls(thread_tls[i]);
    if (vl_tcb_configure(t->tcb, fault_ep, ROOT, 0, vspace, (vl_word_t)t->buf,
                         ipc_page_frames[i / 4]) != 0 ||
        vl_tcb_set_priority(t->tcb, VL_CAP_INIT_TCB, prio) != 0) {
        return NULL;
    }
    vl_word_t regs[VL_NUM_REGISTERS];
    vl_thread_regs(regs, thread_entry, t, (vl_word_t)thread_stacks[i + 1],
                   (vl_word_t)thread_tls[i]);
    if (vl_tcb_write_registers(t->tcb, 1, VL_NUM_REGISTERS, regs) != 0) {
        return NULL;
    }
    nthreads++;
    return t;
}

/* Suspends every benchmark thread; their stacks and buffers are reused afterwards. */
static void
threads_reset(void)
{
    for (unsigned i = 0; i < nthreads; i++) {
        vl_tcb_suspend(threads[i].tcb);
    }
    nthreads = 0;
}

/* ---- Samples and reporting. ---- */

static uint64_t samples[TOTAL_MAX];
static uint64_t sorted[TOTAL_MAX];
static uint64_t overhead;       /* one counter read, subtracted from every sample */
static volatile uint64_t g_end; /* end counter handed back by the other side */
static volatile int g_fail;     /* set by a benchmark thread on an unexpected result */
static vl_cptr_t g_done;        /* notification: the measuring thread has finished */

static uint64_t
median_of(const uint64_t *s, unsigned n, uint64_t *min, uint64_t *max)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t v = s[i];
        unsigned j = i;
        while (j > 0 && sorted[j - 1] > v) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = v;
    }
    *min = sorted[0];
    *max = sorted[n - 1];
    /* Lower median for even n: always one of the samples. */
    return sorted[(n - 1) / 2];
}

/* Reports samples[WARMUP..n_total) minus sub (per sample); flags nonsense values. */
static void
report(const char *name, uint64_t sub)
{
    if (g_fail) {
        error(name, "benchmark thread saw an unexpected result", g_fail);
        g_fail = 0;
        return;
    }
    uint64_t *s = samples + WARMUP;
    for (unsigned i = 0; i < n_samples; i++) {
        /* A wrapped (negative) difference means the protocol broke. */
        if (s[i] > (1ul << 40) || s[i] < sub) {
            error(name, "sample out of range", (int)i);
            return;
        }
        s[i] -= sub;
    }
    uint64_t min, max;
    uint64_t med = median_of(s, n_samples, &min, &max);
    OUT("VLBENCH %s %lu %lu %lu %u\n", name, (unsigned long)med, (unsigned long)min,
        (unsigned long)max, n_samples);
}

/* Blocks the root task until the measuring thread signals g_done, then stops all threads. */
static void
wait_done(void)
{
    vl_wait(g_done);
    threads_reset();
}

static const vl_word_t zero_mr[VL_MSG_REGS];

/* ---- Counter overhead. ---- */

static void
bench_overhead(void)
{
    for (unsigned i = 0; i < n_total; i++) {
        uint64_t a = rdcycle();
        uint64_t b = rdcycle();
        samples[i] = b - a;
    }
    uint64_t min, max;
    overhead = median_of(samples + WARMUP, n_samples, &min, &max);
    OUT("VLBENCH-INFO counter_read_overhead %lu\n", (unsigned long)overhead);
    if (min != max) {
        OUT("VLBENCH-INFO counter_read_overhead_range %lu %lu\n", (unsigned long)min,
            (unsigned long)max);
    }
}

/* ---- IPC: Call + ReplyRecv round trip. ---- */

static vl_cptr_t g_ep;
static vl_word_t g_len; /* message length in words, both directions */

/*
 * Echoes every message back (label, length, words): the client's check of the reply's
 * length then covers both directions.
 */
static void
ipc_server(vl_word_t arg)
{
    (void)arg;
    vl_cptr_t ep = g_ep;
    struct vl_msg m = vl_syscall(VL_SYS_RECV, ep, 0, zero_mr);
    for (;;) {
        m = vl_syscall(VL_SYS_REPLY_RECV, ep, m.info, m.mr);
    }
}

static void
ipc_client(vl_word_t arg)
{
    (void)arg;
    vl_word_t info = vl_msginfo(0, 0, 0, g_len);
    for (vl_word_t i = VL_MSG_REGS; i < g_len; i++) {
        vl_ipc_buffer->msg[i] = i;
    }
    for (unsigned i = 0; i < n_total; i++) {
        uint64_t start, end;
        struct vl_msg m = timed_syscall(VL_SYS_CALL, g_ep, info, zero_mr, &start, &end);
        samples[i] = end - start;
        if (vl_msginfo_length(m.info) != g_len) {
            g_fail = 2;
        }
    }
    vl_signal(g_done);
}

static void
bench_call_reply(const char *name, vl_word_t len, bool cross)
{
    g_len = len;
    /* Same priority: the server (started first) blocks in Recv before the client runs. */
    if (thread_new(ipc_server, 0, PRIO_LOW, cross ? vs2 : VL_CAP_INIT_VSPACE, 0) == NULL ||
        thread_new(ipc_client, 0, PRIO_LOW, VL_CAP_INIT_VSPACE, 0) == NULL) {
        error(name, "cannot create threads", 0);
        threads_reset();
        return;
    }
    wait_done();
    report(name, overhead);
}

/* ---- Interfaces: a call through vlidl's generated stubs vs the same call by hand. ---- */

/*
 * The part of lib/os that generated stubs use (vallum/idl.h, os.c's shape), for the bench's
 * threads: the registers of the current call or reply live in idl_mr (client and server
 * alternate strictly, so they can share it), and a call goes to g_ep. The bench has no
 * receive slot: a capability that came with a request would be of type VL_CAP_NULL.
 * They are not inlined, as lib/os's are not into a component (another file, no LTO), so
 * that the call by hand pays for them as an app written by hand does.
 */
static vl_word_t idl_mr[VL_MSG_REGS];
static uint64_t idl_total; /* the server's counter */

__attribute__((noinline)) vl_word_t
vl_os_mr_get(unsigned i)
{
    if (i < VL_MSG_REGS) {
        return idl_mr[i];
    }
    return i < VL_MSG_MAX_LENGTH ? vl_ipc_buffer->msg[i] : 0;
}

__attribute__((noinline)) void
vl_os_mr_set(unsigned i, vl_word_t value)
{
    if (i < VL_MSG_REGS) {
        idl_mr[i] = value;
    } else if (i < VL_MSG_MAX_LENGTH) {
        vl_ipc_buffer->msg[i] = value;
    }
}

__attribute__((noinline)) vl_word_t
vl_os_ppcall(unsigned id, vl_word_t info)
{
    (void)id;
    struct vl_msg m = vl_call(g_ep, info, idl_mr);
    memcpy(idl_mr, m.mr, sizeof(idl_mr));
    return m.info;
}

void
vl_idl_send_cap(unsigned i, vl_cptr_t cap)
{
    vl_ipc_buffer->caps_or_badges[i % VL_MSG_MAX_EXTRA_CAPS] = cap;
}

vl_cptr_t
vl_idl_recv_slot(void)
{
    return 0;
}

vl_word_t
vl_idl_cap_type(vl_cptr_t slot)
{
    (void)slot;
    return VL_CAP_NULL;
}

void
vl_idl_cap_drop(vl_cptr_t slot)
{
    (void)slot;
}

int
counter_do_hit(unsigned ch, uint64_t *calls)
{
    (void)ch;
    *calls = ++idl_total;
    return 0;
}

int
counter_do_add(unsigned ch, uint64_t n, uint64_t *total)
{
    (void)ch;
    if (idl_total + n < idl_total) {
        return COUNTER_ADD_OVERFLOW;
    }
    idl_total += n;
    *total = idl_total;
    return 0;
}

/*
 * The server's protected() entry point, by hand: counter's add with the checks a careful
 * server makes without vlidl. Not inlined: lib/os's event loop calls protected() from
 * another file, as idl_server calls both entry points here.
 */
static __attribute__((noinline)) vl_word_t
hand_protected(vl_word_t info)
{
    if (vl_msginfo_label(info) != COUNTER_ADD_LABEL || vl_msginfo_length(info) != 1 ||
        vl_msginfo_extra_caps(info) != 0) {
        return vl_msginfo(VL_IDL_BAD_LENGTH, 0, 0, 0);
    }
    vl_word_t n = vl_os_mr_get(0);
    if (idl_total + n < idl_total) {
        return vl_msginfo(COUNTER_ADD_OVERFLOW, 0, 0, 0);
    }
    idl_total += n;
    vl_os_mr_set(0, idl_total);
    return vl_msginfo(0, 0, 0, 1);
}

/* The same entry point with vlidl: what an app's protected() is (apps/keeper). */
static __attribute__((noinline)) vl_word_t
generated_protected(vl_word_t info)
{
    return counter_dispatch(0, info, NULL);
}

/* lib/os's event loop for one call channel; arg 1: the generated dispatch, 0: by hand. */
static void
idl_server(vl_word_t generated)
{
    struct vl_msg m = vl_recv(g_ep);
    for (;;) {
        memcpy(idl_mr, m.mr, sizeof(idl_mr));
        vl_word_t reply = generated ? generated_protected(m.info) : hand_protected(m.info);
        m = vl_reply_recv(g_ep, reply, idl_mr);
    }
}

/* Times counter_add(1) from the client's call to the result in hand; arg as for the server. */
static void
idl_client(vl_word_t generated)
{
    for (unsigned i = 0; i < n_total; i++) {
        uint64_t total = 0;
        int st;
        uint64_t start = rdcycle();
        if (generated) {
            st = counter_add(0, 1, &total);
        } else {
            vl_os_mr_set(0, 1);
            vl_word_t info = vl_os_ppcall(0, vl_msginfo(COUNTER_ADD_LABEL, 0, 0, 1));
            st = (int)vl_msginfo_label(info);
            if (st == 0 && (vl_msginfo_length(info) != 1 || vl_msginfo_extra_caps(info) != 0)) {
                st = VL_IDL_BAD_REPLY;
            }
            total = vl_os_mr_get(0);
        }
        uint64_t end = rdcycle();
        samples[i] = end - start;
        if (st != 0 || total != i + 1) {
            g_fail = 3;
        }
    }
    vl_signal(g_done);
}

static void
bench_idl(const char *name, bool generated)
{
    idl_total = 0;
    if (thread_new(idl_server, generated, PRIO_LOW, vs2, 0) == NULL ||
        thread_new(idl_client, generated, PRIO_LOW, VL_CAP_INIT_VSPACE, 0) == NULL) {
        error(name, "cannot create threads", 0);
        threads_reset();
        return;
    }
    wait_done();
    report(name, overhead);
}

/* ---- One way: a Send (endpoint) or Signal (notification) that wakes a waiting
 * higher-priority thread in another address space. ---- */

static vl_cptr_t g_ntfn;

/* Receives on (or waits for) the cap in arg forever; records when each call returns. */
static void
one_way_receiver(vl_word_t cap)
{
    for (;;) {
        g_end = syscall_end(VL_SYS_RECV, cap, 0, zero_mr);
    }
}

/* Sends on (or signals) the cap in arg, timing each call up to the receiver's return. */
static void
one_way_sender(vl_word_t cap)
{
    for (unsigned i = 0; i < n_total; i++) {
        g_end = 0;
        uint64_t start = start_syscall(VL_SYS_SEND, cap, 0, zero_mr);
        samples[i] = g_end - start;
    }
    vl_signal(g_done);
}

/* The receiver at high priority in vs2, the sender at low priority here. */
static void
bench_one_way(const char *name, vl_cptr_t cap)
{
    if (thread_new(one_way_receiver, cap, PRIO_HIGH, vs2, 0) == NULL ||
        thread_new(one_way_sender, cap, PRIO_LOW, VL_CAP_INIT_VSPACE, 0) == NULL) {
        error(name, "cannot create threads", 0);
        threads_reset();
        return;
    }
    wait_done();
    report(name, overhead);
}

static void
bench_signal_no_waiter(void)
{
    /* A badge-1 cap, so that the poll below can check the signal arrived. */
    vl_cptr_t badged = slot_alloc();
    int err = badged ? vl_cnode_mint(ROOT, badged, 64, ROOT, g_ntfn, 64, VL_RIGHTS_ALL, 1)
                     : VL_NOT_ENOUGH_MEMORY;
    if (err != 0) {
        error("notify_signal_no_waiter", "set-up failed", err);
        return;
    }
    for (unsigned i = 0; i < n_total; i++) {
        uint64_t start, end;
        timed_syscall(VL_SYS_SEND, badged, 0, zero_mr, &start, &end);
        samples[i] = end - start;
        if (vl_poll(g_ntfn) != 1) { /* consume the signal: same state for every sample */
            g_fail = 3;
        }
    }
    report("notify_signal_no_waiter", overhead);
}

/* ---- Yield to a thread of the same priority. ---- */

static void
yield_a(vl_word_t arg)
{
    (void)arg;
    for (unsigned i = 0; i < n_total; i++) {
        uint64_t start = start_syscall(VL_SYS_YIELD, 0, 0, zero_mr);
        samples[i] = g_end - start;
    }
    vl_signal(g_done);
}

static void
yield_b(vl_word_t arg)
{
    (void)arg;
    for (;;) {
        g_end = syscall_end(VL_SYS_YIELD, 0, 0, zero_mr);
    }
}

static void
bench_yield(void)
{
    g_end = 0;
    /* A runs first: its first sample (a warm-up one) sees B's first yield, not its end. */
    if (thread_new(yield_a, 0, PRIO_LOW, VL_CAP_INIT_VSPACE, 0) == NULL ||
        thread_new(yield_b, 0, PRIO_LOW, VL_CAP_INIT_VSPACE, 0) == NULL) {
        error("yield_switch", "cannot create threads", 0);
        threads_reset();
        return;
    }
    wait_done();
    report("yield_switch", overhead);
}

/* ---- Timeslice length and timer interrupt cost (the timer's deadlines). ---- */

/* Whole timeslices measured (after one partial one), and the gap between two time reads,
 * in timebase ticks, that means another thread ran in between: far longer than a timer
 * interrupt that switches nothing (a few ticks), far shorter than a timeslice. A gap of
 * more than TICK_MIN instructions that is not a switch is a timer tick that switched
 * nothing; TICK_SAMPLES of them are kept (a timeslice has 4). */
#define SLICE_SAMPLES 6
#define SLICE_GAP 1000
#define TICK_MIN 100
#define TICK_SAMPLES 20

static uint64_t tick_samples[TICK_SAMPLES];
static uint64_t loop_min; /* instructions of one loop pass in slice_a without interruption */

static inline uint64_t
read_time(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

/*
 * Spins reading the time counter while slice_b, at the same priority, spins too: the
 * timer's round robin alternates them. Each gap longer than SLICE_GAP is the other's
 * timeslice; samples[i] is the length of the i-th whole timeslice of this thread, from
 * the first read after one gap to the last read before the next. Shorter gaps of more
 * than TICK_MIN instructions are ticks that switched nothing: tick_samples[] holds their
 * length in instructions, loop pass included.
 */
static void
slice_a(vl_word_t arg)
{
    (void)arg;
    uint64_t prev = read_time();
    uint64_t prev_c = rdcycle();
    uint64_t begin = 0;
    unsigned n = 0;
    unsigned ticks = 0;
    bool whole = false;
    loop_min = ~0ull;
    while (n < SLICE_SAMPLES || ticks < TICK_SAMPLES) {
        uint64_t now = read_time();
        uint64_t c = rdcycle();
        if (now - prev > SLICE_GAP) {
            if (whole && n < SLICE_SAMPLES) {
                samples[n++] = prev - begin;
            }
            whole = true;
            begin = now;
        } else if (c - prev_c > TICK_MIN) {
            if (whole && ticks < TICK_SAMPLES) {
                tick_samples[ticks++] = c - prev_c;
            }
        } else if (c - prev_c < loop_min) {
            loop_min = c - prev_c;
        }
        prev = now;
        prev_c = c;
    }
    vl_signal(g_done);
}

static void
slice_b(vl_word_t arg)
{
    (void)arg;
    for (;;) {
    }
}

static void
bench_timeslice(void)
{
    if (thread_new(slice_a, 0, PRIO_LOW, VL_CAP_INIT_VSPACE, 0) == NULL ||
        thread_new(slice_b, 0, PRIO_LOW, VL_CAP_INIT_VSPACE, 0) == NULL) {
        error("timeslice_ticks", "cannot create threads", 0);
        threads_reset();
        return;
    }
    wait_done();
    uint64_t min, max;
    uint64_t med = median_of(samples, SLICE_SAMPLES, &min, &max);
    OUT("VLBENCH %s %lu %lu %lu %u\n", "timeslice_ticks", (unsigned long)med, (unsigned long)min,
        (unsigned long)max, SLICE_SAMPLES);
    for (unsigned i = 0; i < TICK_SAMPLES; i++) {
        tick_samples[i] -= loop_min;
    }
    med = median_of(tick_samples, TICK_SAMPLES, &min, &max);
    OUT("VLBENCH %s %lu %lu %lu %u\n", "timer_tick", (unsigned long)med, (unsigned long)min,
        (unsigned long)max, TICK_SAMPLES);
}

/* ---- Page fault round trip. ---- */

static vl_cptr_t g_fault_ep, g_fault_frame;

static void
fault_handler(vl_word_t arg)
{
    (void)arg;
    struct vl_msg m = vl_syscall(VL_SYS_RECV, g_fault_ep, 0, zero_mr);
    for (;;) {
        if (vl_msginfo_label(m.info) != VL_FAULT_VM || m.mr[1] != FAULT_VA) {
            g_fail = 4;
        }
        vl_frame_map(g_fault_frame, VL_CAP_INIT_VSPACE, FAULT_VA, VL_RIGHT_READ | VL_RIGHT_WRITE,
                     VL_MAP_EXECUTE_NEVER);
        m = vl_syscall(VL_SYS_REPLY_RECV, g_fault_ep, vl_msginfo(0, 0, 0, 0), zero_mr);
    }
}

static void
fault_thread(vl_word_t arg)
{
    (void)arg;
    volatile vl_word_t *p = (volatile vl_word_t *)FAULT_VA;
    for (unsigned i = 0; i < n_total; i++) {
        uint64_t start, end;
        /* csrr; sd (faults, is retried after the handler's reply); csrr */
        __asm__ volatile(CSRR_CYCLE("%[s]") "sd %[v], 0(%[p])\n\t" CSRR_CYCLE("%[e]")
                         : [s] "=&r"(start), [e] "=&r"(end)
                         : [v] "r"((vl_word_t)i), [p] "r"(p)
                         : "memory");
        samples[i] = end - start;
        if (vl_frame_unmap(g_fault_frame) != 0) {
            g_fail = 5;
        }
    }
    vl_signal(g_done);
}

static void
bench_fault(void)
{
    g_fault_ep = obj_new(VL_OBJ_ENDPOINT, 0);
    g_fault_frame = obj_new(VL_OBJ_FRAME_4K, 0);
    /* Page tables for FAULT_VA exist from here on; only the leaf entry comes and goes. */
    int err = g_fault_ep && g_fault_frame
                  ? map_page(VL_CAP_INIT_VSPACE, g_fault_frame, FAULT_VA,
                             VL_RIGHT_READ | VL_RIGHT_WRITE, VL_MAP_EXECUTE_NEVER)
                  : VL_NOT_ENOUGH_MEMORY;
    if (err == 0) {
        err = vl_frame_unmap(g_fault_frame);
    }
    if (err != 0) {
        error("fault_roundtrip", "set-up failed", err);
        return;
    }
    if (thread_new(fault_handler, 0, PRIO_HIGH, VL_CAP_INIT_VSPACE, 0) == NULL ||
        thread_new(fault_thread, 0, PRIO_LOW, VL_CAP_INIT_VSPACE, g_fault_ep) == NULL) {
        error("fault_roundtrip", "cannot create threads", 0);
        threads_reset();
        return;
    }
    wait_done();
    report("fault_roundtrip", overhead);
}

/* ---- Exception fault round trip (sel4bench's fault benchmark: no mapping). ---- */

static void
exception_handler(vl_word_t arg)
{
    (void)arg;
    struct vl_msg m = vl_syscall(VL_SYS_RECV, g_fault_ep, 0, zero_mr);
    for (;;) {
        if (vl_msginfo_label(m.info) != VL_FAULT_USER_EXCEPTION || m.mr[2] != 2) {
            g_fail = 8;
        }
        /* Resume after the 4-byte illegal instruction, with the stack pointer unchanged. */
        const vl_word_t mr[VL_MSG_REGS] = {m.mr[0] + 4, m.mr[1], 0, 0};
        m = vl_syscall(VL_SYS_REPLY_RECV, g_fault_ep, vl_msginfo(0, 0, 0, 2), mr);
    }
}

static void
exception_thread(vl_word_t arg)
{
    (void)arg;
    for (unsigned i = 0; i < n_total; i++) {
        uint64_t start, end;
        /* csrr; the all-zero word, illegal (exception 2) as sel4bench's fault benchmark
         * uses it, skipped by the handler's reply; csrr */
        __asm__ volatile(CSRR_CYCLE("%[s]") ".4byte 0\n\t" CSRR_CYCLE("%[e]")
                         : [s] "=&r"(start), [e] "=&r"(end)
                         :
                         : "memory");
        samples[i] = end - start;
    }
    vl_signal(g_done);
}

static void
bench_exception_fault(void)
{
    g_fault_ep = obj_new(VL_OBJ_ENDPOINT, 0);
    if (g_fault_ep == 0) {
        error("fault_exception_roundtrip", "set-up failed", VL_NOT_ENOUGH_MEMORY);
        return;
    }
    if (thread_new(exception_handler, 0, PRIO_HIGH, VL_CAP_INIT_VSPACE, 0) == NULL ||
        thread_new(exception_thread, 0, PRIO_LOW, VL_CAP_INIT_VSPACE, g_fault_ep) == NULL) {
        error("fault_exception_roundtrip", "cannot create threads", 0);
        threads_reset();
        return;
    }
    wait_done();
    report("fault_exception_roundtrip", overhead);
}

/* ---- Single invocations: map, unmap, retype. ---- */

static void
bench_map_unmap(void)
{
    static uint64_t unmap_samples[TOTAL_MAX];
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    int err = f ? map_page(VL_CAP_INIT_VSPACE, f, MAP_VA, VL_RIGHT_READ | VL_RIGHT_WRITE,
                           VL_MAP_EXECUTE_NEVER)
                : VL_NOT_ENOUGH_MEMORY;
    if (err == 0) {
        err = vl_frame_unmap(f);
    }
    if (err != 0) {
        error("map_page_4k", "set-up failed", err);
        error("unmap_page_4k", "set-up failed", err);
        return;
    }
    vl_word_t map_info = vl_msginfo(VL_FRAME_MAP, 0, 1, 3);
    vl_word_t unmap_info = vl_msginfo(VL_FRAME_UNMAP, 0, 0, 0);
    const vl_word_t map_mr[VL_MSG_REGS] = {MAP_VA, VL_RIGHT_READ | VL_RIGHT_WRITE,
                                           VL_MAP_EXECUTE_NEVER, 0};
    for (unsigned i = 0; i < n_total; i++) {
        vl_ipc_buffer->caps_or_badges[0] = VL_CAP_INIT_VSPACE;
        uint64_t start, end;
        struct vl_msg m = timed_syscall(VL_SYS_CALL, f, map_info, map_mr, &start, &end);
        samples[i] = end - start;
        if (vl_msginfo_label(m.info) != 0) {
            g_fail = 6;
        }
        *(volatile vl_word_t *)MAP_VA = i; /* touch it: the mapping is real */
        m = timed_syscall(VL_SYS_CALL, f, unmap_info, zero_mr, &start, &end);
        unmap_samples[i] = end - start;
        if (vl_msginfo_label(m.info) != 0) {
            g_fail = 7;
        }
    }
    int fail = g_fail;
    report("map_page_4k", overhead);
    g_fail = fail;
    memcpy(samples, unmap_samples, sizeof(samples));
    report("unmap_page_4k", overhead);
}

static void
bench_retype(void)
{
    /* A 2 MiB untyped with one object that stays: no reset between samples, so every
     * sample carves one frame at the watermark of already-zero memory. */
    vl_cptr_t ut = obj_new(VL_OBJ_UNTYPED, 21);
    vl_cptr_t keep = ut ? obj_new_from(ut, VL_OBJ_FRAME_4K, 0) : 0;
    vl_cptr_t slot = slot_alloc();
    if (keep == 0 || slot == 0) {
        error("retype_frame_4k", "set-up failed", 0);
        return;
    }
    vl_word_t info = vl_msginfo(VL_UNTYPED_RETYPE, 0, 1, 6);
    /* Arguments: type, size_bits, node_index, node_depth | node_offset, num_objects. */
    const vl_word_t mr[VL_MSG_REGS] = {VL_OBJ_FRAME_4K, 0, 0, 0};
    for (unsigned i = 0; i < n_total; i++) {
        vl_ipc_buffer->msg[4] = slot;
        vl_ipc_buffer->msg[5] = 1;
        vl_ipc_buffer->caps_or_badges[0] = ROOT;
        uint64_t start, end;
        struct vl_msg m = timed_syscall(VL_SYS_CALL, ut, info, mr, &start, &end);
        samples[i] = end - start;
        if (vl_msginfo_label(m.info) != 0 || vl_cnode_delete(ROOT, slot, 64) != 0) {
            g_fail = 8;
        }
    }
    report("retype_frame_4k", overhead);
}

/* ---- Deleting nested CNodes: the longest stretch without a preemption check. ---- */

/*
 * Builds a chain of depth radix-1 CNodes, each holding in its slot 0 the only cap to the
 * next, and deletes the cap to the first: the kernel empties them all, with a check for a
 * pending interrupt every CONFIG_PREEMPTION_WORK_UNITS units of work. A benchmark kernel
 * (VL_SYS_BENCH_PREEMPT_MAX) reports the most instructions retired between two such checks;
 * it must not grow with the depth. Returns 0 or an error.
 */
/* Returns, and resets, the kernel's record (benchmark kernels only). */
static vl_word_t
vl_bench_preempt_max(void)
{
    static const vl_word_t no_mrs[VL_MSG_REGS];
    return vl_syscall(VL_SYS_BENCH_PREEMPT_MAX, 0, 0, no_mrs).badge;
}

static int
delete_chain(vl_word_t depth, vl_word_t *max)
{
    /* The chain's caps sit in a scratch CNode while it is built: the root CNode's lookups
     * take all 64 bits, so a cap must be in a root slot to be invoked. */
    const vl_word_t bits = 13;
    vl_cptr_t ut = obj_new(VL_OBJ_UNTYPED, 20);
    vl_cptr_t scratch = ut ? obj_new_from(ut, VL_OBJ_CNODE, bits) : 0;
    vl_cptr_t held = slot_alloc();
    if (scratch == 0 || held == 0 || depth + 1 > (1ul << bits)) {
        return VL_NOT_ENOUGH_MEMORY;
    }
    int err = 0;
    for (vl_word_t i = 0; i <= depth && err == 0; i += 256) {
        vl_word_t n = depth + 1 - i < 256 ? depth + 1 - i : 256;
        err = vl_untyped_retype(ut, VL_OBJ_CNODE, 1, ROOT, scratch, 64, i, n);
    }
    for (vl_word_t i = depth; i-- > 0 && err == 0;) {
        /* C_i comes to a root slot, takes the only cap to C_{i+1} into its slot 0, and goes
         * back. */
        err = vl_cnode_move(ROOT, held, 64, scratch, i, bits);
        if (err == 0) {
            err = vl_cnode_move(held, 0, 1, scratch, i + 1, bits);
        }
        if (err == 0) {
            err = vl_cnode_move(scratch, i, bits, ROOT, held, 64);
        }
    }
    if (err == 0) {
        (void)vl_bench_preempt_max();
        err = vl_cnode_delete(scratch, 0, bits);
        *max = vl_bench_preempt_max();
    }
    vl_cnode_revoke(ROOT, ut, 64);
    vl_cnode_delete(ROOT, ut, 64);
    return err;
}

static void
bench_delete_preemption(void)
{
    static const struct {
        const char *name;
        vl_word_t depth;
    } runs[] = {
        {"delete_preempt_max_256", 256},
        {"delete_preempt_max_1024", 1024},
        {"delete_preempt_max_4096", 4096},
    };
    for (unsigned i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        vl_word_t max = 0;
        int err = delete_chain(runs[i].depth, &max);
        if (err != 0) {
            error(runs[i].name, "chain of CNodes not built or deleted", err);
        } else {
            OUT("VLBENCH %s %lu %lu %lu 1\n", runs[i].name, (unsigned long)max, (unsigned long)max,
                (unsigned long)max);
        }
    }
}

/* ---- Interrupt to user: goldfish RTC alarm. ---- */

#define IRQ_DELAY 20000 /* ns = instructions under -icount shift=0 */

static volatile uint32_t *rtc;
/* Kept for bench_timer_service, which runs after bench_irq on the same device. */
static vl_cptr_t rtc_frame, rtc_handler;
static uint64_t rtc_read_overhead;

static inline __attribute__((always_inline)) uint64_t
rtc_now(void)
{
    uint64_t lo = rtc[GOLDFISH_RTC_TIME_LOW / 4]; /* reading the low word latches the high word */
    return lo | (uint64_t)rtc[GOLDFISH_RTC_TIME_HIGH / 4] << 32;
}

/* Two consecutive scratch slots, for vl_device_frame. */
static vl_cptr_t
new_pair(void *ctx)
{
    (void)ctx;
    vl_cptr_t first = slot_alloc(); /* a bump allocator: the next slot follows */
    return first != 0 && slot_alloc() == first + 1 ? first : 0;
}

/* A 4 KiB device frame for paddr, split out of the device untyped that holds it. */
static vl_cptr_t
device_frame(vl_word_t paddr)
{
    vl_cptr_t frame = slot_alloc();
    vl_cptr_t from;
    if (frame == 0 || vl_device_frame(g_bi, paddr, ROOT, new_pair, NULL, frame, &from) != 0) {
        return 0;
    }
    return frame;
}

static void
spinner(vl_word_t arg)
{
    (void)arg;
    for (;;) {
        __asm__ volatile("" ::: "memory");
    }
}

static void
bench_irq(void)
{
    const char *name = "irq_to_user";
    struct fdt_platform plat;
    if (fdt_parse_platform((const void *)g_bi->dtb_vaddr, g_bi->dtb_size, &plat) != FDT_OK ||
        plat.rtc_base == 0 || plat.rtc_irq == 0) {
        error(name, "no goldfish RTC in the device tree", 0);
        return;
    }
    vl_cptr_t frame = device_frame(plat.rtc_base & ~0xffful);
    if (frame == 0) {
        error(name, "no device frame for the RTC", 0);
        return;
    }
    int err = map_page(VL_CAP_INIT_VSPACE, frame, RTC_VA, VL_RIGHT_READ | VL_RIGHT_WRITE,
                       VL_MAP_EXECUTE_NEVER);
    vl_cptr_t ntfn = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t handler = slot_alloc();
    if (err == 0 && (ntfn == 0 || handler == 0)) {
        err = VL_NOT_ENOUGH_MEMORY;
    }
    if (err == 0) {
        err = vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, plat.rtc_irq, ROOT, handler, 64);
    }
    if (err == 0) {
        err = vl_irq_handler_set_notification(handler, ntfn);
    }
    if (err != 0) {
        error(name, "set-up failed", err);
        return;
    }
    rtc = (volatile uint32_t *)(RTC_VA + (plat.rtc_base & 0xfff));
    rtc_frame = frame;
    rtc_handler = handler;

    /* The read overhead, as for the cycle counter: two back-to-back loads of TIME_LOW. */
    static uint64_t mmio[TOTAL_MAX];
    volatile uint32_t *time_low = &rtc[GOLDFISH_RTC_TIME_LOW / 4];
    for (unsigned i = 0; i < n_total; i++) {
        uint32_t a, b;
        __asm__ volatile("lw %[a], 0(%[p])\n\tlw %[b], 0(%[p])"
                         : [a] "=&r"(a), [b] "=&r"(b)
                         : [p] "r"(time_low)
                         : "memory");
        mmio[i] = (uint32_t)(b - a);
    }
    uint64_t mmin, mmax;
    uint64_t mmio_overhead = median_of(mmio + WARMUP, n_samples, &mmin, &mmax);
    OUT("VLBENCH-INFO rtc_read_overhead %lu\n", (unsigned long)mmio_overhead);
    rtc_read_overhead = mmio_overhead;

    /* Something to interrupt: a low-priority spinner keeps the hart busy in user mode. */
    if (thread_new(spinner, 0, PRIO_SPIN, VL_CAP_INIT_VSPACE, 0) == NULL) {
        error(name, "cannot create the spinner", 0);
        return;
    }
    rtc[GOLDFISH_RTC_IRQ_ENABLED / 4] = 1;
    for (unsigned i = 0; i < n_total; i++) {
        uint64_t at = rtc_now() + IRQ_DELAY;
        rtc[GOLDFISH_RTC_ALARM_HIGH / 4] = (uint32_t)(at >> 32);
        rtc[GOLDFISH_RTC_ALARM_LOW / 4] = (uint32_t)at;
        /* ecall (Wait); lw TIME_LOW: the handler's first instruction reads the time. */
        uint32_t lo;
        {
            vl_cptr_t cap = ntfn;
            vl_word_t sysno = VL_SYS_RECV, info = 0;
            const vl_word_t *mr = zero_mr;
            SYSCALL_REGS;
            __asm__ volatile("ecall\n\tlw %[lo], 0(%[p])"
                             : [lo] "=&r"(lo), SYSCALL_OUT
                             : "r"(a7), [p] "r"(time_low)
                             : "memory", VL_SYSCALL_CLOBBERS);
        }
        uint64_t now = lo | (uint64_t)rtc[GOLDFISH_RTC_TIME_HIGH / 4] << 32; /* latched by the lw */
        samples[i] = now - at;
        rtc[GOLDFISH_RTC_CLEAR_INTERRUPT / 4] = 1;
        if (vl_irq_handler_ack(handler) != 0) {
            g_fail = 9;
        }
    }
    rtc[GOLDFISH_RTC_IRQ_ENABLED / 4] = 0;
    threads_reset();
    vl_irq_handler_clear(handler);
    report(name, mmio_overhead);
}

/* ---- Rings: buffers moved between two address spaces through lib/ring. ---- */

/*
 * The producer (priority 100, first address space) takes free buffers from the free queue,
 * hands them over on the active queue in batches of `batch`, and signals the consumer when
 * ring_signal_needed() says it sleeps. The consumer (priority 110, second address space)
 * wakes at once, drains the active queue, gives every buffer back on the free queue and
 * goes back to sleep (ring_sleep_prepare, Wait). One sample is one such round, from the
 * producer's counter read before it takes the batch's free buffers to its read before the
 * next batch: both sides' ring work, the Signal with its switch and the consumer's Wait
 * with the switch back, divided by the batch. The transfer carries no payload; each
 * buffer's length is the next number of a sequence the consumer checks, so a lost, doubled
 * or reordered buffer fails the benchmark. The queues and the region are in the image's
 * data, which both address spaces map (the region is never touched).
 */
#define RING_B_CAP 64
#define RING_B_NBUFS 64
#define RING_B_BUF 64
#define RING_B_MAX_BATCH 32

static _Alignas(RING_LINE) uint8_t ring_b_queues[RING_QUEUES_SIZE(RING_B_CAP)];
static _Alignas(RING_LINE) uint8_t ring_b_data[RING_B_NBUFS * RING_B_BUF];
static uint64_t ring_b_powned[RING_OWNED_WORDS(RING_B_NBUFS)];
static uint64_t ring_b_cowned[RING_OWNED_WORDS(RING_B_NBUFS)];
static struct ring ring_b_p, ring_b_c;
static vl_cptr_t ring_b_to_c, ring_b_to_p; /* notifications: wake the consumer, the producer */
static unsigned ring_b_batch;

/* The length that carries sequence number seq (0..RING_B_BUF). */
static inline uint32_t
ring_b_len(uint32_t seq)
{
    return seq % (RING_B_BUF + 1);
}

/*
 * Takes up to max buffers from r's `in` queue into d; the number taken. Inlined with `many`
 * a constant, so that each thread's loop below is as tight as a driver's would be.
 */
static inline __attribute__((always_inline)) unsigned
ring_b_take(bool many, struct ring *r, struct ring_desc *d, unsigned max)
{
    uint32_t n = 0;
    if (many) {
        (void)ring_dequeue_many(r, d, max, &n); /* a bad status takes nothing: n checks it */
        return n;
    }
    while (n < max && ring_dequeue(r, &d[n]) == RING_OK) {
        n++;
    }
    return n;
}

/* Hands d[0..n) to the peer; the number handed over. Inlined as ring_b_take. */
static inline __attribute__((always_inline)) unsigned
ring_b_give(bool many, struct ring *r, const struct ring_desc *d, unsigned n)
{
    uint32_t i = 0;
    if (many) {
        (void)ring_enqueue_many(r, d, n, &i);
        return i;
    }
    while (i < n && ring_enqueue(r, d[i]) == RING_OK) {
        i++;
    }
    return i;
}

/*
 * The consumer: drains while whole batches come (a shorter one means the queue was empty
 * when read; ring_sleep_prepare's re-check catches anything that came since), gives every
 * buffer back, signals the producer only if it asked, and sleeps.
 */
static inline __attribute__((always_inline)) void
ring_consumer_loop(bool many)
{
    struct ring_desc d[RING_B_MAX_BATCH];
    uint32_t seq = 0;
    for (;;) {
        ring_awake(&ring_b_c);
        unsigned n;
        do {
            n = ring_b_take(many, &ring_b_c, d, RING_B_MAX_BATCH);
            for (unsigned i = 0; i < n; i++) {
                if (d[i].length != ring_b_len(seq++)) {
                    g_fail = 10;
                }
            }
            if (ring_b_give(many, &ring_b_c, d, n) != n) {
                g_fail = 11;
            }
        } while (n == RING_B_MAX_BATCH);
        if (ring_signal_needed(&ring_b_c)) {
            vl_signal(ring_b_to_p);
        }
        if (ring_sleep_prepare(&ring_b_c)) {
            vl_wait(ring_b_to_c);
        }
    }
}

/* arg: true for the batch calls. */
static void
ring_consumer(vl_word_t many)
{
    if (many) {
        ring_consumer_loop(true);
    } else {
        ring_consumer_loop(false);
    }
}

static inline __attribute__((always_inline)) void
ring_producer_loop(bool many)
{
    struct ring_desc d[RING_B_MAX_BATCH];
    uint32_t seq = 0;
    const unsigned batch = ring_b_batch;
    uint64_t prev = 0;
    for (unsigned i = 0; i <= n_total; i++) {
        /* The consumer gave back every buffer before it slept: a whole batch is free. */
        unsigned n = ring_b_take(many, &ring_b_p, d, batch);
        for (unsigned k = 0; k < n; k++) {
            d[k].length = ring_b_len(seq++);
        }
        if (n != batch || ring_b_give(many, &ring_b_p, d, n) != n) {
            g_fail = 12;
        }
        if (ring_signal_needed(&ring_b_p)) {
            vl_signal(ring_b_to_c);
        }
        uint64_t now = rdcycle();
        if (i > 0) {
            /* Per buffer, rounded to the nearest instruction. */
            samples[i - 1] = (now - prev - overhead + batch / 2) / batch;
        }
        prev = now;
    }
    vl_signal(g_done);
}

/* arg: true for the batch calls. */
static void
ring_producer(vl_word_t many)
{
    if (many) {
        ring_producer_loop(true);
    } else {
        ring_producer_loop(false);
    }
}

static void
bench_ring(const char *name, unsigned batch, bool many)
{
    ring_b_batch = batch;
    memset(ring_b_queues, 0, sizeof(ring_b_queues));
    struct ring_config cfg = {.queues = ring_b_queues,
                              .capacity = RING_B_CAP,
                              .data = ring_b_data,
                              .buf_size = RING_B_BUF,
                              .nbufs = RING_B_NBUFS,
                              .owned = ring_b_powned};
    int err = ring_init(&ring_b_p, RING_PRODUCER, &cfg);
    cfg.owned = ring_b_cowned;
    if (err == RING_OK) {
        err = ring_init(&ring_b_c, RING_CONSUMER, &cfg);
    }
    /* The consumer owns the region at first and puts every buffer on the free queue. */
    ring_own_all(&ring_b_c);
    for (uint32_t i = 0; i < RING_B_NBUFS && err == RING_OK; i++) {
        err = ring_enqueue(&ring_b_c, (struct ring_desc){i * RING_B_BUF, 0});
    }
    if (err != RING_OK) {
        error(name, "ring set-up failed", err);
        return;
    }
    if (thread_new(ring_consumer, many, PRIO_HIGH, vs2, 0) == NULL ||
        thread_new(ring_producer, many, PRIO_LOW, VL_CAP_INIT_VSPACE, 0) == NULL) {
        error(name, "cannot create threads", 0);
        threads_reset();
        return;
    }
    wait_done();
    /* The counter overhead was subtracted per round, before the division. */
    report(name, 0);
}

/* ---- Timer service: from a client's deadline to the client running. ---- */

/*
 * apps/timer's service logic, driver and timeouts (the same sources the timer component
 * runs) on the goldfish RTC that bench_irq set up: a service thread here waits for the
 * alarm's interrupt and handles it as the component does (service_interrupt, then the
 * IRQHandler ack), and wakes a client thread in the second address space through its
 * notification. The client arms a one-shot timeout DELAY ns ahead and waits; the sample is
 * the time its first instruction after the wait reads from the RTC, less the deadline (and
 * less one RTC read): instructions under -icount shift=0. The client arms through a direct
 * call into the service's state (the component takes a protected call for it, which is not
 * part of this path).
 */
#define TIMER_DELAY 20000 /* ns = instructions */

static struct service tsvc;
static vl_cptr_t timer_irq_ntfn, timer_client_ntfn;
static uint64_t timer_handling[TOTAL_MAX]; /* the service's part: handler and IRQ ack */
static unsigned timer_handled;

/* lib/hw's MMIO implementation finds a device window by region name (hw_mmio.c): here the
 * RTC's page, mapped by bench_irq. */
void *
vl_os_region(const char *name, size_t *size)
{
    if (rtc == NULL || strcmp(name, "rtc") != 0) {
        return NULL;
    }
    if (size != NULL) {
        *size = VL_PAGE_SIZE - ((vl_word_t)rtc & 0xfff);
    }
    return (void *)rtc;
}

static void
timer_wake_client(unsigned client)
{
    (void)client;
    vl_signal(timer_client_ntfn);
}

static void
timer_service_thread(vl_word_t arg)
{
    (void)arg;
    for (;;) {
        vl_wait(timer_irq_ntfn);
        uint64_t start = rdcycle();
        service_interrupt(&tsvc);
        if (vl_irq_handler_ack(rtc_handler) != 0) {
            g_fail = 10;
        }
        if (timer_handled < TOTAL_MAX) {
            timer_handling[timer_handled++] = rdcycle() - start;
        }
    }
}

static void
timer_client_thread(vl_word_t arg)
{
    (void)arg;
    volatile uint32_t *time_low = &rtc[GOLDFISH_RTC_TIME_LOW / 4];
    for (unsigned i = 0; i < n_total; i++) {
        uint64_t deadline = service_now(&tsvc) + TIMER_DELAY;
        if (service_set(&tsvc, 0, 0, deadline, 0) != TIMEOUTS_OK) {
            g_fail = 11;
        }
        uint32_t lo;
        {
            vl_cptr_t cap = timer_client_ntfn;
            vl_word_t sysno = VL_SYS_RECV, info = 0;
            const vl_word_t *mr = zero_mr;
            SYSCALL_REGS;
            __asm__ volatile("ecall\n\tlw %[lo], 0(%[p])"
                             : [lo] "=&r"(lo), SYSCALL_OUT
                             : "r"(a7), [p] "r"(time_low)
                             : "memory", VL_SYSCALL_CLOBBERS);
        }
        uint64_t now = lo | (uint64_t)rtc[GOLDFISH_RTC_TIME_HIGH / 4] << 32;
        samples[i] = now - deadline;
        uint64_t ov, at;
        if (service_collect(&tsvc, 0, &ov, &at) != 1 || ov != 0) {
            g_fail = 12;
        }
    }
    vl_signal(g_done);
}

static void
bench_timer_service(void)
{
    const char *name = "timer_deadline_to_client";
    if (rtc == NULL) {
        error(name, "needs the RTC that irq_to_user sets up", 0);
        return;
    }
    /* The client's thread reads the RTC too: map it into the second address space. */
    vl_cptr_t copy = slot_alloc();
    int err = copy ? vl_cnode_copy(ROOT, copy, 64, ROOT, rtc_frame, 64, VL_RIGHTS_ALL)
                   : VL_NOT_ENOUGH_MEMORY;
    if (err == 0) {
        err = map_page(vs2, copy, RTC_VA, VL_RIGHT_READ | VL_RIGHT_WRITE, VL_MAP_EXECUTE_NEVER);
    }
    timer_irq_ntfn = obj_new(VL_OBJ_NOTIFICATION, 0);
    timer_client_ntfn = obj_new(VL_OBJ_NOTIFICATION, 0);
    if (err == 0 && (timer_irq_ntfn == 0 || timer_client_ntfn == 0)) {
        err = VL_NOT_ENOUGH_MEMORY;
    }
    if (err == 0) {
        err = vl_irq_handler_set_notification(rtc_handler, timer_irq_ntfn);
    }
    if (err != 0 || !service_open(&tsvc, "rtc", timer_wake_client)) {
        error(name, "set-up failed", err);
        return;
    }
    if (thread_new(spinner, 0, PRIO_SPIN, VL_CAP_INIT_VSPACE, 0) == NULL ||
        thread_new(timer_service_thread, 0, PRIO_HIGH, VL_CAP_INIT_VSPACE, 0) == NULL ||
        thread_new(timer_client_thread, 0, PRIO_LOW, vs2, 0) == NULL) {
        error(name, "cannot create threads", 0);
        threads_reset();
        return;
    }
    wait_done();
    vl_irq_handler_clear(rtc_handler);
    if (timer_handled == n_total) {
        uint64_t hmin, hmax;
        uint64_t h = median_of(timer_handling + WARMUP, n_samples, &hmin, &hmax);
        OUT("VLBENCH-INFO timer_service_handling %lu\n", (unsigned long)(h - overhead));
    } else {
        g_fail = 13;
    }
    report(name, rtc_read_overhead);
}

/* ---- Main. ---- */

/* The metric named by "only=<metric>" on the command line, or NULL to run them all. */
static const char *only;

/*
 * Reads the semihosting command line: "quick" for 20 samples, "only=<metric>" to run just
 * the benchmark that produces that metric (tools/bench_profile.py traces one).
 */
static void
parse_cmdline(void)
{
    static char cmd[128];
    static vl_word_t block[2];
    block[0] = (vl_word_t)cmd;
    block[1] = sizeof(cmd) - 1;
    if (semihost(SEMI_SYS_GET_CMDLINE, (vl_word_t)block) == 0) {
        if (strstr(cmd, "quick") != NULL) {
            n_samples = QUICK_SAMPLES;
        }
        char *o = strstr(cmd, "only=");
        if (o != NULL) {
            only = o + 5;
            o[5 + strcspn(o + 5, " ")] = '\0';
        }
    }
    n_total = WARMUP + n_samples;
}

/* True if the benchmark producing the metrics in the space-separated list runs. */
static bool
wanted(const char *metrics)
{
    if (only == NULL) {
        return true;
    }
    size_t n = strlen(only);
    for (const char *m = metrics; *m != '\0'; m += strcspn(m, " "), m += strspn(m, " ")) {
        if (strncmp(m, only, n) == 0 && (m[n] == ' ' || m[n] == '\0')) {
            return true;
        }
    }
    return false;
}

void
vl_start(const struct vl_bootinfo *bi)
{
    uint64_t init_entry = rdcycle(); /* first thing: boot_to_init */
    vl_ipc_buffer = (struct vl_ipc_buffer *)bi->ipc_buffer;
    g_bi = bi;
    out("VLBENCH-START\n");
    parse_cmdline();
    OUT("VLBENCH boot_to_init %lu %lu %lu 1\n",
        (unsigned long)(init_entry - bi->kernel_entry_cycle),
        (unsigned long)(init_entry - bi->kernel_entry_cycle),
        (unsigned long)(init_entry - bi->kernel_entry_cycle));

    unsigned best_bits = 0;
    for (vl_word_t i = 0; i < bi->num_untyped; i++) {
        const struct vl_untyped_desc *d = &bi->untyped_list[i];
        if (!d->is_device && d->size_bits > best_bits) {
            best_bits = d->size_bits;
            g_big = bi->untyped.start + i;
        }
    }
    next_slot = bi->empty.start;
    end_slot = bi->empty.end;
    for (unsigned i = 0; i < IPC_PAGES; i++) {
        ipc_page_frames[i] = vl_bootinfo_frame_at(g_bi, (vl_word_t)ipc_pages[i]);
    }
    int err = 0;
    if (bi->magic != VL_BOOTINFO_MAGIC || best_bits < 24) {
        error("setup", "bad boot info or no large RAM untyped", 0);
    } else if (ipc_page_frames[0] == 0 || ipc_page_frames[IPC_PAGES - 1] == 0) {
        error("setup", "frame caps of the IPC buffer pages not found", 0);
    } else if ((vl_word_t)__tls_size > TLS_BYTES) {
        error("setup", "TLS block too large", 0);
    } else if ((g_done = obj_new(VL_OBJ_NOTIFICATION, 0)) == 0 ||
               (g_ep = obj_new(VL_OBJ_ENDPOINT, 0)) == 0 ||
               (g_ntfn = obj_new(VL_OBJ_NOTIFICATION, 0)) == 0 ||
               (ring_b_to_c = obj_new(VL_OBJ_NOTIFICATION, 0)) == 0 ||
               (ring_b_to_p = obj_new(VL_OBJ_NOTIFICATION, 0)) == 0) {
        error("setup", "cannot create objects", 0);
    } else if ((err = make_second_vspace()) != 0) {
        error("setup", "cannot build the second address space", err);
    }
    if (errors != 0) {
        OUT("VLBENCH-DONE %u\n", errors);
        finish(1);
    }

    bench_overhead();
    static const struct {
        const char *name;
        vl_word_t len;
        bool cross;
    } call_reply[] = {
        {"ipc_call_reply_cross_as", 0, true},
        {"ipc_call_reply_same_as", 0, false},
        {"ipc_call_reply_cross_as_10w", 10, true},
        {"ipc_call_reply_cross_as_32w", 32, true},
    };
    for (unsigned i = 0; i < sizeof(call_reply) / sizeof(call_reply[0]); i++) {
        if (wanted(call_reply[i].name)) {
            bench_call_reply(call_reply[i].name, call_reply[i].len, call_reply[i].cross);
        }
    }
    if (wanted("idl_call_by_hand")) {
        bench_idl("idl_call_by_hand", false);
    }
    if (wanted("idl_call_generated")) {
        bench_idl("idl_call_generated", true);
    }
    if (wanted("ipc_send_recv_cross_as")) {
        bench_one_way("ipc_send_recv_cross_as", g_ep);
    }
    if (wanted("notify_wake_higher_prio")) {
        bench_one_way("notify_wake_higher_prio", g_ntfn);
    }
    if (wanted("notify_signal_no_waiter")) {
        bench_signal_no_waiter();
    }
    if (wanted("yield_switch")) {
        bench_yield();
    }
    if (wanted("timeslice_ticks timer_tick")) {
        bench_timeslice();
    }
    if (wanted("fault_roundtrip")) {
        bench_fault();
    }
    if (wanted("fault_exception_roundtrip")) {
        bench_exception_fault();
    }
    if (wanted("map_page_4k unmap_page_4k")) {
        bench_map_unmap();
    }
    if (wanted("retype_frame_4k")) {
        bench_retype();
    }
    if (wanted("irq_to_user timer_deadline_to_client")) {
        bench_irq();
    }
    if (wanted("timer_deadline_to_client")) {
        bench_timer_service();
    }
    if (wanted("ring_batch32")) {
        bench_ring("ring_batch32", 32, true);
    }
    if (wanted("ring_batch32_calls")) {
        bench_ring("ring_batch32_calls", 32, false);
    }
    if (wanted("ring_signalled")) {
        bench_ring("ring_signalled", 1, false);
    }
    /* Only a benchmark kernel has the system call these need (make bench runs it apart). */
    if (only != NULL && wanted("delete_preempt_max_256 delete_preempt_max_1024 "
                               "delete_preempt_max_4096")) {
        bench_delete_preemption();
    }

    OUT("VLBENCH-DONE %u\n", errors);
    finish(errors ? 1 : 0);
}
