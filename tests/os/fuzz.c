/*
 * Seeded random system calls: a user thread issues at least FUZZ_CALLS random system
 * calls and invocations, on random slots with random arguments, and the kernel must stay
 * up, keep its invariants and never let the fuzzer touch what the harness owns.
 *
 * The fuzzer runs in the root task's VSpace (below the harness's priority) but with its
 * own sandbox CSpace: a radix-6 CNode whose guard makes cptr = slot, holding only caps to
 * objects made for it (an untyped, an endpoint and a badged copy, notifications, frames,
 * two page tables, a VSpace with an ASID and one without, the only cap of an ASID pool
 * made for the round, a spare TCB, a copy of its own TCB and of the sandbox CNode, an
 * IRQHandler for an unused interrupt, its fault endpoint, a debug cap that may print and
 * check but not halt). It never holds a cap to a harness object (no root CNode, root TCB,
 * root VSpace, IRQControl or ASIDControl).
 *
 * Call i (0-based) is a pure function of (FUZZ_SEED, i): the generator is reseeded per
 * call, so restarts do not perturb the sequence. The calls run in rounds of FUZZ_ROUND;
 * each round starts from a freshly built sandbox, so a failing round replays on its own:
 * set FUZZ_ONLY_ROUND to its number (and FUZZ_TRACE_ROUND to print every call of it).
 *
 * Whenever the fuzzer stops (a fault, a message on its fault endpoint, or it blocked or
 * suspended itself, noticed by a priority-1 watchdog that runs only when everything else
 * is blocked), the harness restores its priority, spaces and IPC buffer and restarts it at
 * its entry; it continues with the next call. All sandbox objects come from one untyped
 * (carved from t_ut) that the harness revokes after every round.
 */
#include "ktest.h"

#include <string.h>

#define FUZZ_SEED 0x5eed5a11a7ull /* change to replay another seed */
#define FUZZ_CALLS 100000         /* minimum number of calls */
#define FUZZ_ROUND 2000           /* calls per sandbox round */
#define FUZZ_ONLY_ROUND (-1)      /* >= 0: run only this round (replay) */
#define FUZZ_TRACE_ROUND (-1)     /* >= 0: the fuzzer prints every call of this round */
#define FUZZ_PRIO 50
#define FUZZ_IRQ 5 /* a PLIC source nothing on QEMU virt raises */
#define SB_BITS 6
#define SB_SLOTS (1u << SB_BITS)
#define SB_GUARD (64 - SB_BITS) /* cspace data: guard size 58, guard 0 -> cptr = slot */
#define ROUND_UT_BITS 18
#define FAULT_BADGE 0xfa
#define WD_BADGE 0xd09

/* Sandbox slots. */
enum {
    S_NULL = 0,
    S_TCB = 1,   /* the fuzzer's own TCB */
    S_CNODE = 2, /* the sandbox CNode (guard 58) */
    S_UT = 3,    /* 64 KiB untyped */
    S_EP = 4,
    S_NTFN = 5,
    S_FRAME = 6,
    S_PT = 7,
    S_VSPACE = 8,
    S_BEP = 9,    /* badged copy of S_EP */
    S_IRQ = 10,   /* IRQHandler for FUZZ_IRQ */
    S_FAULT = 11, /* fault endpoint: Write|GrantReply, badge FAULT_BADGE */
    S_FRAME2 = 12,
    S_NTFN_RO = 13, /* read-only copy of S_NTFN */
    S_NTFN2 = 14,
    S_PT2 = 15,       /* a second page table: a 4 KiB mapping needs two */
    S_TCB2 = 16,      /* an unconfigured TCB for the fuzzer to set up, write and resume */
    S_ASID_POOL = 17, /* the only cap of the round's ASID pool; S_VSPACE's ASID is from it */
    S_VSPACE2 = 18,   /* a VSpace without an ASID */
    S_DEBUG = 19,     /* a debug cap with the print and check rights, not halt */
    S_SC = 20,        /* an unconfigured, unbound scheduling context */
    S_SCHED_CTL = 21, /* a copy of the SchedControl cap: configures S_SC */
    S_USED = 22,      /* slots below this start filled; the rest start empty */
};

struct fz_call {
    vl_word_t i, sys, cap, info, mr[VL_MSG_REGS], msg[4], caps[3];
};

/* Shared between the fuzzer and the harness. */
static volatile vl_word_t fz_calls;     /* index of the next call */
static volatile vl_word_t fz_end;       /* the round ends at this index */
static volatile vl_word_t fz_bad_check; /* 1 + index of a DebugCheck that failed */
static volatile vl_word_t fz_returned;  /* calls that returned to the fuzzer */
static volatile vl_word_t fz_ok[128];   /* Calls with this invocation label that succeeded */
#define RING 8
static struct fz_call fz_ring[RING];
static vl_word_t fz_seed = FUZZ_SEED;

/* ---- generator ---- */

static vl_word_t rng;

static vl_word_t
splitmix(vl_word_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static vl_word_t
rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static vl_word_t
below(vl_word_t n)
{
    return (rnd() >> 11) % n;
}

#define FZ_VBASE 0x2000000000ull

/* A virtual address for VM invocations: mostly page (or 2 MiB) aligned near FZ_VBASE. */
static vl_word_t
rvaddr(void)
{
    switch (below(6)) {
    case 0:
        return FZ_VBASE + (below(4) << 21);
    case 1:
        return FZ_VBASE + (below(4) << 21) + below(VL_PAGE_SIZE);
    case 2:
        return (below(1u << 27) << 12) & 0x7fffffffffull; /* anywhere in the lower half */
    case 3:
        return rnd();
    default: /* mostly where the pre-mapped page tables cover */
        return FZ_VBASE + (below(4) ? 0 : below(4) << 21) + (below(8) << 12);
    }
}

/* A slot: mostly one that starts filled, sometimes any, rarely any word. */
static vl_word_t
rslot(void)
{
    vl_word_t r = below(100);
    if (r < 75) {
        return below(S_USED);
    } else if (r < 95) {
        return below(SB_SLOTS);
    } else if (r < 98) {
        return rnd();
    }
    return below(SB_SLOTS) | (1ull << below(64));
}

static const vl_word_t interesting[] = {
    0,
    1,
    2,
    3,
    4,
    6,
    7,
    8,
    12,
    58,
    63,
    64,
    65,
    120,
    121,
    127,
    128,
    255,
    256,
    1023,
    1024,
    4095,
    4096,
    4097,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    1ull << 38,
    (1ull << 38) - 4096,
    1ull << 39,
    0x3fffffffffull,
    0x4000000000ull,
    0x7ffffff000ull,
    0xffffffc000000000ull,
    1ull << 63,
    ~0ull,
    ~0ull - 1,
    0x8000000000000000ull - 1,
};

/* An argument word, biased toward values that mean something to the kernel. */
static vl_word_t
rval(void)
{
    switch (below(10)) {
    case 0:
        return rnd();
    case 1:
    case 2:
        return below(71);
    case 3:
        return rslot();
    case 4:
        return below(VL_OBJ_NUM_TYPES + 2);
    case 5:
        return below(41);
    case 6:
        return below(65);
    case 7:
        return rvaddr();
    case 8:
        return interesting[below(sizeof(interesting) / sizeof(interesting[0]))];
    default:
        return below(16);
    }
}

static const vl_word_t labels[] = {
    VL_UNTYPED_RETYPE,
    VL_TCB_CONFIGURE,
    VL_TCB_SET_PRIORITY,
    VL_TCB_SET_MC_PRIORITY,
    VL_TCB_SET_SPACE,
    VL_TCB_SET_IPC_BUFFER,
    VL_TCB_READ_REGISTERS,
    VL_TCB_WRITE_REGISTERS,
    VL_TCB_RESUME,
    VL_TCB_SUSPEND,
    VL_TCB_BIND_NOTIFICATION,
    VL_TCB_UNBIND_NOTIFICATION,
    VL_CNODE_REVOKE,
    VL_CNODE_DELETE,
    VL_CNODE_CANCEL_BADGED_SENDS,
    VL_CNODE_COPY,
    VL_CNODE_MINT,
    VL_CNODE_MOVE,
    VL_CNODE_MUTATE,
    VL_CNODE_ROTATE,
    VL_CNODE_SAVE_CALLER,
    VL_IRQ_ISSUE_HANDLER,
    VL_IRQ_ACK,
    VL_IRQ_SET_NOTIFICATION,
    VL_IRQ_CLEAR,
    VL_PAGE_TABLE_MAP,
    VL_PAGE_TABLE_UNMAP,
    VL_FRAME_MAP,
    VL_FRAME_UNMAP,
    VL_FRAME_GET_ADDRESS,
    VL_ASID_CONTROL_MAKE_POOL,
    VL_ASID_POOL_ASSIGN,
    VL_SCHED_CONTROL_CONFIGURE,
    VL_SCHED_CONTEXT_BIND,
    VL_SCHED_CONTEXT_UNBIND,
    VL_SCHED_CONTEXT_CONSUMED,
    VL_SCHED_CONTEXT_GET_BUDGET,
};
#define NLABELS (sizeof(labels) / sizeof(labels[0]))

static vl_word_t
pick2(vl_word_t likely, vl_word_t pct)
{
    return below(100) < pct ? likely : rslot();
}

static vl_word_t
rtcb(void)
{
    vl_word_t r = below(100);
    return r < 45 ? S_TCB : r < 90 ? S_TCB2 : rslot();
}

static vl_word_t
rdepth(void)
{
    vl_word_t r = below(8);
    return r < 5 ? 64 : r == 5 ? SB_BITS : rval();
}

/* Sets argument word k of the message (MR k, in a register or the IPC buffer). */
static void
set_arg(struct fz_call *c, struct vl_ipc_buffer *b, vl_word_t k, vl_word_t v)
{
    if (k < VL_MSG_REGS) {
        c->mr[k] = v;
    } else {
        b->msg[k] = v;
    }
}

/* A well-formed-looking invocation for label: plausible target, arguments and caps. */
static void
smart(struct fz_call *c, struct vl_ipc_buffer *b, vl_word_t label)
{
    vl_word_t n = 0, extra = 0;
    vl_word_t *caps = b->caps_or_badges;
#define ARG(v) set_arg(c, b, n++, (v))
    switch (label) {
    case VL_UNTYPED_RETYPE:
        c->cap = pick2(S_UT, 70);
        ARG(below(100) < 90 ? below(VL_OBJ_NUM_TYPES) : rval());
        ARG(below(100) < 80 ? below(20) : rval());
        ARG(below(4) ? 0 : rslot());
        ARG(below(4) ? 0 : rdepth());
        ARG(below(4) ? S_USED + below(SB_SLOTS - S_USED) : rval());
        ARG(below(4) ? 1 + below(4) : rval());
        caps[0] = pick2(S_CNODE, 80);
        extra = 1;
        break;
    case VL_TCB_CONFIGURE:
        c->cap = rtcb();
        ARG(pick2(S_FAULT, 80));
        ARG(below(2) ? SB_GUARD : rval());
        ARG(0);
        ARG(below(2) ? 0 : FZ_VBASE + (below(5) << 10));
        caps[0] = pick2(S_CNODE, 70);
        caps[1] = pick2(S_VSPACE, 70);
        caps[2] = pick2(S_FRAME, 70);
        extra = 2 + below(2);
        break;
    case VL_TCB_SET_PRIORITY:
    case VL_TCB_SET_MC_PRIORITY:
        c->cap = rtcb();
        ARG(below(2) ? below(FUZZ_PRIO + 10) : rval());
        caps[0] = below(3) ? S_TCB : rtcb();
        extra = 1;
        break;
    case VL_TCB_SET_SPACE:
        c->cap = rtcb();
        ARG(pick2(S_FAULT, 80));
        ARG(below(2) ? SB_GUARD : rval());
        ARG(0);
        caps[0] = pick2(S_CNODE, 70);
        caps[1] = pick2(S_VSPACE, 70);
        extra = 2;
        break;
    case VL_TCB_SET_IPC_BUFFER:
        c->cap = rtcb();
        ARG(below(3) ? FZ_VBASE + (below(5) << 10) : below(2) ? 0 : rval());
        caps[0] = pick2(S_FRAME, 70);
        extra = 1;
        break;
    case VL_TCB_READ_REGISTERS:
        c->cap = rtcb();
        ARG(below(4) == 0);
        ARG(below(3) ? below(VL_NUM_REGISTERS + 4) : rval());
        break;
    case VL_TCB_WRITE_REGISTERS: {
        c->cap = rtcb();
        vl_word_t cnt = below(3) ? below(VL_NUM_REGISTERS + 4) : rval();
        ARG(below(2));
        ARG(cnt);
        /* Random registers never run ktest's code: the kernel refuses WriteRegisters on
         * the caller, and the other TCBs the fuzzer can reach only get the sandbox VSpace. */
        for (vl_word_t k = 0; k < VL_NUM_REGISTERS && n < VL_MSG_MAX_LENGTH; k++) {
            ARG(rval());
        }
        n = below(4) ? (cnt < VL_NUM_REGISTERS ? 2 + cnt : 2 + VL_NUM_REGISTERS) : below(40);
        break;
    }
    case VL_TCB_RESUME:
    case VL_TCB_SUSPEND:
    case VL_TCB_UNBIND_NOTIFICATION:
        c->cap = rtcb();
        break;
    case VL_TCB_BIND_NOTIFICATION:
        c->cap = rtcb();
        caps[0] = pick2(below(2) ? S_NTFN : S_NTFN_RO, 70);
        extra = 1;
        break;
    case VL_CNODE_COPY:
    case VL_CNODE_MINT:
        c->cap = pick2(S_CNODE, 80);
        ARG(below(3) ? S_USED + below(SB_SLOTS - S_USED) : rslot());
        ARG(rdepth());
        ARG(rslot());
        ARG(rdepth());
        ARG(below(3) ? below(16) : rval());
        ARG(below(2) ? below(8) : rval());
        if (label == VL_CNODE_COPY) {
            n--;
        }
        caps[0] = pick2(S_CNODE, 80);
        extra = 1;
        break;
    case VL_CNODE_MOVE:
    case VL_CNODE_MUTATE:
        c->cap = pick2(S_CNODE, 80);
        ARG(below(3) ? S_USED + below(SB_SLOTS - S_USED) : rslot());
        ARG(rdepth());
        ARG(below(2) ? S_USED + below(SB_SLOTS - S_USED) : rslot());
        ARG(rdepth());
        ARG(below(2) ? below(8) : rval());
        if (label == VL_CNODE_MOVE) {
            n--;
        }
        caps[0] = pick2(S_CNODE, 80);
        extra = 1;
        break;
    case VL_CNODE_ROTATE:
        c->cap = pick2(S_CNODE, 80);
        ARG(rslot());
        ARG(rdepth());
        ARG(below(8));
        ARG(rslot());
        ARG(rdepth());
        ARG(below(8));
        ARG(rslot());
        ARG(rdepth());
        caps[0] = pick2(S_CNODE, 80);
        caps[1] = pick2(S_CNODE, 80);
        extra = 2;
        break;
    case VL_CNODE_REVOKE:
    case VL_CNODE_DELETE:
    case VL_CNODE_CANCEL_BADGED_SENDS:
    case VL_CNODE_SAVE_CALLER:
        c->cap = pick2(S_CNODE, 80);
        /* Deleting the caps everything hangs on ends the fun early: favour the rest. */
        ARG(below(4) ? S_USED + below(SB_SLOTS - S_USED) : rslot());
        ARG(rdepth());
        break;
    case VL_IRQ_ISSUE_HANDLER:
        c->cap = rslot();
        ARG(below(20));
        ARG(S_USED + below(SB_SLOTS - S_USED));
        ARG(rdepth());
        caps[0] = pick2(S_CNODE, 80);
        extra = 1;
        break;
    case VL_IRQ_ACK:
    case VL_IRQ_CLEAR:
        c->cap = pick2(S_IRQ, 70);
        break;
    case VL_IRQ_SET_NOTIFICATION:
        c->cap = pick2(S_IRQ, 70);
        caps[0] = pick2(below(2) ? S_NTFN : S_NTFN2, 70);
        extra = 1;
        break;
    case VL_PAGE_TABLE_MAP:
        c->cap = pick2(below(2) ? S_PT : S_PT2, 70);
        ARG(rvaddr());
        caps[0] = pick2(S_VSPACE, 80);
        extra = 1;
        break;
    case VL_FRAME_MAP:
        c->cap = pick2(below(2) ? S_FRAME : S_FRAME2, 70);
        ARG(below(10) < 6 ? FZ_VBASE + (below(8) << 12) : rvaddr());
        ARG(below(3) ? (below(2) ? VL_RIGHT_READ : VL_RIGHT_READ | VL_RIGHT_WRITE) : rval());
        ARG(below(3) ? below(2) : rval());
        caps[0] = pick2(S_VSPACE, 80);
        extra = 1;
        break;
    case VL_PAGE_TABLE_UNMAP:
        c->cap = pick2(below(2) ? S_PT : S_PT2, 70);
        break;
    case VL_FRAME_UNMAP:
    case VL_FRAME_GET_ADDRESS:
        c->cap = pick2(below(2) ? S_FRAME : S_FRAME2, 70);
        break;
    case VL_ASID_CONTROL_MAKE_POOL:
        /* The fuzzer holds no ASID control cap: only the refusals are reachable. */
        c->cap = rslot();
        ARG(below(2) ? S_USED + below(SB_SLOTS - S_USED) : rslot());
        ARG(rdepth());
        caps[0] = pick2(S_UT, 50);
        caps[1] = pick2(S_CNODE, 70);
        extra = 2;
        break;
    case VL_SCHED_CONTROL_CONFIGURE: {
        /* Budgets and periods near the bounds as often as anywhere. */
        c->cap = pick2(S_SCHED_CTL, 70);
        vl_word_t budget = below(2) ? VL_SC_MIN_BUDGET - 1 + below(2000) : rval();
        ARG(budget);
        ARG(below(2) ? budget - 1 + below(3) + below(2) * below(100000) : rval());
        caps[0] = pick2(S_SC, 80);
        extra = 1;
        break;
    }
    case VL_SCHED_CONTEXT_BIND:
        c->cap = pick2(S_SC, 70);
        caps[0] = rtcb();
        extra = 1;
        break;
    case VL_SCHED_CONTEXT_UNBIND:
    case VL_SCHED_CONTEXT_CONSUMED:
    case VL_SCHED_CONTEXT_GET_BUDGET:
        c->cap = pick2(S_SC, 70);
        break;
    case VL_ASID_POOL_ASSIGN:
        c->cap = pick2(S_ASID_POOL, 70);
        caps[0] = pick2(below(3) ? S_VSPACE2 : S_VSPACE, 70);
        extra = 1;
        break;
    default:
        break;
    }
#undef ARG
    if (below(10) == 0) {
        n = below(VL_MSG_MAX_LENGTH + 1); /* occasionally a wrong length */
    }
    if (below(10) == 0) {
        extra = below(4);
    }
    c->info = vl_msginfo(label, below(8), extra, n);
}

/* Generates call i (pure function of the seed and i) into c and the IPC buffer b. */
static void
gen(vl_word_t i, struct fz_call *c, struct vl_ipc_buffer *b)
{
    rng = splitmix(fz_seed ^ splitmix(i));
    if (rng == 0) {
        rng = 1;
    }
    c->i = i;
    b->tag = rnd();
    for (vl_word_t k = 0; k < VL_MSG_MAX_LENGTH; k++) {
        b->msg[k] = rval();
    }
    b->user_data = rnd();
    for (vl_word_t k = 0; k < VL_MSG_MAX_EXTRA_CAPS; k++) {
        b->caps_or_badges[k] = rslot();
    }
    b->receive_cnode = below(4) ? S_CNODE : rslot();
    b->receive_index = below(4) ? S_USED + below(SB_SLOTS - S_USED) : rval();
    b->receive_depth = rdepth();

    vl_word_t r = below(100);
    if (r < 60) {
        c->sys = VL_SYS_CALL;
    } else if (r < 67) {
        c->sys = VL_SYS_SEND;
    } else if (r < 72) {
        c->sys = VL_SYS_NB_SEND;
    } else if (r < 75) {
        c->sys = VL_SYS_RECV;
    } else if (r < 80) {
        c->sys = VL_SYS_NB_RECV;
    } else if (r < 82) {
        c->sys = VL_SYS_REPLY_RECV;
    } else if (r < 85) {
        c->sys = VL_SYS_REPLY;
    } else if (r < 87) {
        c->sys = VL_SYS_YIELD;
    } else if (r < 89) {
        c->sys = VL_SYS_DEBUG_NAME;
    } else if (r < 90) {
        c->sys = VL_SYS_DEBUG_CHECK;
    } else if (r < 92) {
        c->sys = VL_SYS_DEBUG_CAP_TYPE;
    } else if (r < 93) {
        c->sys = VL_SYS_IDENTIFY;
    } else {
        /* Unknown numbers (8 is Identify), and Halt 33, which the sandbox's debug cap may
         * not do (never PutChar 32 or Dump 35: they print). */
        static const vl_word_t bad[] = {
            11, 9, 10, 16, 31, 33, 38, 39, 64, 100, 255, 256, ~0ull, 1ull << 63, 0x100000021ull};
        vl_word_t s = below(3) ? bad[below(sizeof(bad) / sizeof(bad[0]))] : rnd();
        if (s == 32 || s == 35) {
            s = 99;
        }
        c->sys = s;
    }
    c->cap = rslot();
    for (vl_word_t k = 0; k < VL_MSG_REGS; k++) {
        c->mr[k] = rval();
    }
    vl_word_t label;
    r = below(10);
    label = r < 8 ? labels[below(NLABELS)] : r == 8 ? below(64) : rnd() >> 12;
    if (label == VL_PAGE_TABLE_UNMAP && below(4) != 0) {
        label = VL_FRAME_MAP; /* unmapping the tables early starves Frame_Map */
    }
    r = below(10);
    vl_word_t len = r < 6 ? below(8) : r < 9 ? below(VL_MSG_MAX_LENGTH + 1) : below(128);
    c->info = vl_msginfo(label, below(8), below(4), len);
    if (r == 9 && below(2)) {
        c->info = rnd();
    }
    if ((c->sys == VL_SYS_CALL || c->sys == VL_SYS_SEND || c->sys == VL_SYS_NB_SEND) &&
        below(100) < 70) {
        smart(c, b, label);
    }
    for (vl_word_t k = 0; k < 4; k++) {
        c->msg[k] = b->msg[VL_MSG_REGS + k];
    }
    for (vl_word_t k = 0; k < 3; k++) {
        c->caps[k] = b->caps_or_badges[k];
    }
}

static void
print_call(const char *what, const struct fz_call *c)
{
    printf("%s call %lu: sys %#lx cap %#lx info %#lx (label %lu len %lu extra %lu) "
           "mr %#lx %#lx %#lx %#lx msg4.. %#lx %#lx %#lx %#lx caps %#lx %#lx %#lx\n",
           what, (unsigned long)c->i, (unsigned long)c->sys, (unsigned long)c->cap,
           (unsigned long)c->info, (unsigned long)vl_msginfo_label(c->info),
           (unsigned long)vl_msginfo_length(c->info), (unsigned long)vl_msginfo_extra_caps(c->info),
           (unsigned long)c->mr[0], (unsigned long)c->mr[1], (unsigned long)c->mr[2],
           (unsigned long)c->mr[3], (unsigned long)c->msg[0], (unsigned long)c->msg[1],
           (unsigned long)c->msg[2], (unsigned long)c->msg[3], (unsigned long)c->caps[0],
           (unsigned long)c->caps[1], (unsigned long)c->caps[2]);
}

/* ---- the fuzzer thread (sandbox CSpace, root VSpace) ---- */

static void
fuzz_main(vl_word_t arg)
{
    (void)arg;
    struct vl_ipc_buffer *b = vl_ipc_buffer;
    for (;;) {
        vl_word_t i = fz_calls;
        if (i >= fz_end) {
            /* Round over: stop. An unknown system call faults whatever the fuzzer did
             * to its CSpace (a Call on a slot might not fault, nor block); the fault goes
             * to the harness, or suspends us and the watchdog tells the harness. */
            static const vl_word_t z[VL_MSG_REGS];
            vl_syscall(99, S_NULL, 0, z);
            continue;
        }
        struct fz_call c;
        gen(i, &c, b);
        if (FUZZ_TRACE_ROUND >= 0 && i / FUZZ_ROUND == (vl_word_t)FUZZ_TRACE_ROUND) {
            print_call("fuzz", &c);
        }
        fz_ring[i % RING] = c;
        fz_calls = i + 1;
        struct vl_msg m = vl_syscall(c.sys, c.cap, c.info, c.mr);
        fz_returned++;
        /* A check the kernel ran (a0 = 0) that found a violation (a1 = 1). */
        if (c.sys == VL_SYS_DEBUG_CHECK && m.badge == 0 && m.info != 0 && fz_bad_check == 0) {
            fz_bad_check = i + 1;
        }
        vl_word_t label = vl_msginfo_label(c.info);
        if (c.sys == VL_SYS_CALL && label < 128 && vl_msginfo_label(m.info) == 0) {
            fz_ok[label]++;
        }
    }
}

/* Sends to the harness whenever it runs: only when everything above priority 1 blocks. */
static void
watchdog_main(vl_word_t cap)
{
    static const vl_word_t z[VL_MSG_REGS];
    for (;;) {
        vl_send(cap, 0, z);
    }
}

/* Echoes MR0 + 1 (the harness's health check afterwards). */
static void
echo_main(vl_word_t ep)
{
    struct vl_msg m = vl_recv(ep);
    for (;;) {
        vl_word_t r[VL_MSG_REGS] = {m.mr[0] + 1};
        m = vl_reply_recv(ep, vl_msginfo(0, 0, 0, 1), r);
    }
}

/* ---- the harness side ---- */

static struct kthread *fz_thread;
static vl_cptr_t sb, fep;

/* Puts the fuzzer back in its sandbox at its normal priority and starts it at its entry. */
static int
fuzz_restart(void)
{
    struct kthread *t = fz_thread;
    int e = vl_tcb_suspend(t->tcb);
    e = e ? e
          : vl_tcb_configure(t->tcb, S_FAULT, sb, SB_GUARD, VL_CAP_INIT_VSPACE, (vl_word_t)t->buf,
                             t->buf_frame);
    e = e ? e : vl_tcb_set_mc_priority(t->tcb, VL_CAP_INIT_TCB, FUZZ_PRIO);
    e = e ? e : vl_tcb_set_priority(t->tcb, VL_CAP_INIT_TCB, FUZZ_PRIO);
    vl_tcb_unbind_notification(t->tcb); /* fails when none is bound */
    return e ? e : thread_start(t);
}

/* Empties the sandbox: destroys everything made from the round's untyped, then its slots. */
static int
sandbox_clear(vl_cptr_t round_ut)
{
    if (vl_cnode_revoke(ROOT, round_ut, 64) != 0) {
        return 1;
    }
    for (vl_word_t s = 0; s < SB_SLOTS; s++) {
        if (vl_cnode_delete(sb, s, SB_BITS) != 0) {
            return 2;
        }
    }
    return vl_debug_cap_type(sb) == VL_CAP_CNODE ? 0 : 3;
}

static vl_cptr_t tmp[6]; /* root slots to set up pre-mapped objects and the pool in */

static int
sandbox_fill(vl_cptr_t round_ut, vl_word_t round)
{
    static const struct {
        vl_word_t slot, type, bits;
    } objs[] = {
        {S_UT, VL_OBJ_UNTYPED, 16},       {S_EP, VL_OBJ_ENDPOINT, 0},
        {S_NTFN, VL_OBJ_NOTIFICATION, 0}, {S_NTFN2, VL_OBJ_NOTIFICATION, 0},
        {S_FRAME, VL_OBJ_FRAME_4K, 0},    {S_FRAME2, VL_OBJ_FRAME_4K, 0},
        {S_PT, VL_OBJ_PAGE_TABLE, 0},     {S_PT2, VL_OBJ_PAGE_TABLE, 0},
        {S_VSPACE2, VL_OBJ_VSPACE, 0},    {S_TCB2, VL_OBJ_TCB, 0},
        {S_SC, VL_OBJ_SCHED_CONTEXT, 0},
    };
    /* Every other round starts with the page table and the second frame already mapped
     * in the sandbox VSpace: made in root slots, mapped there, then moved in. */
    int premap = (round & 1) != 0;
    for (unsigned k = 0; k < sizeof(objs) / sizeof(objs[0]); k++) {
        vl_word_t s = objs[k].slot;
        if (premap && (s == S_FRAME2 || s == S_PT || s == S_PT2)) {
            continue;
        }
        if (vl_untyped_retype(round_ut, objs[k].type, objs[k].bits, sb, 0, 0, s, 1) != 0) {
            return 10 + (int)k;
        }
    }
    /* The round's ASID pool (its untyped stays in a root slot) and the VSpace with an ASID
     * from it, made in root slots and then moved in. */
    if (vl_untyped_retype(round_ut, VL_OBJ_UNTYPED, VL_ASID_POOL_BITS, ROOT, 0, 0, tmp[5], 1) !=
            0 ||
        vl_asid_control_make_pool(VL_CAP_ASID_CONTROL_SLOT, tmp[5], ROOT, tmp[4], 64) != 0 ||
        vl_untyped_retype(round_ut, VL_OBJ_VSPACE, 0, ROOT, 0, 0, tmp[0], 1) != 0 ||
        vl_asid_pool_assign(tmp[4], tmp[0]) != 0) {
        return 7;
    }
    if (premap) {
        if (vl_untyped_retype(round_ut, VL_OBJ_PAGE_TABLE, 0, ROOT, 0, 0, tmp[1], 1) != 0 ||
            vl_untyped_retype(round_ut, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, tmp[2], 1) != 0 ||
            vl_untyped_retype(round_ut, VL_OBJ_PAGE_TABLE, 0, ROOT, 0, 0, tmp[3], 1) != 0) {
            return 4;
        }
        if (vl_page_table_map(tmp[1], tmp[0], FZ_VBASE) != 0 ||
            vl_page_table_map(tmp[3], tmp[0], FZ_VBASE) != 0 ||
            vl_frame_map(tmp[2], tmp[0], FZ_VBASE + VL_PAGE_SIZE, VL_RIGHT_READ | VL_RIGHT_WRITE,
                         0) != 0) {
            return 5;
        }
        if (vl_cnode_move(sb, S_PT, SB_BITS, ROOT, tmp[1], 64) != 0 ||
            vl_cnode_move(sb, S_FRAME2, SB_BITS, ROOT, tmp[2], 64) != 0 ||
            vl_cnode_move(sb, S_PT2, SB_BITS, ROOT, tmp[3], 64) != 0) {
            return 6;
        }
    }
    if (vl_cnode_move(sb, S_VSPACE, SB_BITS, ROOT, tmp[0], 64) != 0 ||
        vl_cnode_move(sb, S_ASID_POOL, SB_BITS, ROOT, tmp[4], 64) != 0) {
        return 8;
    }
    if (vl_cnode_copy(sb, S_TCB, SB_BITS, ROOT, fz_thread->tcb, 64, VL_RIGHTS_ALL) != 0 ||
        vl_cnode_mint(sb, S_CNODE, SB_BITS, ROOT, sb, 64, VL_RIGHTS_ALL, SB_GUARD) != 0 ||
        vl_cnode_mint(sb, S_BEP, SB_BITS, sb, S_EP, SB_BITS, VL_RIGHTS_ALL, 0x77) != 0 ||
        vl_cnode_copy(sb, S_NTFN_RO, SB_BITS, sb, S_NTFN, SB_BITS, VL_RIGHT_READ) != 0 ||
        vl_cnode_mint(sb, S_FAULT, SB_BITS, ROOT, fep, 64, VL_RIGHT_WRITE | VL_RIGHT_GRANT_REPLY,
                      FAULT_BADGE) != 0 ||
        vl_cnode_copy(sb, S_DEBUG, SB_BITS, ROOT, VL_CAP_DEBUG_SLOT, 64,
                      VL_DEBUG_RIGHT_PRINT | VL_DEBUG_RIGHT_CHECK) != 0 ||
        vl_cnode_copy(sb, S_SCHED_CTL, SB_BITS, ROOT, VL_CAP_SCHED_CONTROL_SLOT, 64,
                      VL_RIGHTS_ALL) != 0) {
        return 2;
    }
    if (vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, FUZZ_IRQ, sb, S_IRQ, SB_BITS) != 0) {
        return 3;
    }
    return 0;
}

static void
test_fuzz_syscalls(void)
{
    sb = obj_new(VL_OBJ_CNODE, SB_BITS);
    fep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t wdcap = slot_alloc();
    vl_cptr_t round_ut = slot_alloc();
    tmp[0] = slot_alloc();
    tmp[1] = slot_alloc();
    tmp[2] = slot_alloc();
    tmp[3] = slot_alloc();
    tmp[4] = slot_alloc();
    tmp[5] = slot_alloc();
    CHECK(sb != 0 && fep != 0 && wdcap != 0 && round_ut != 0 && tmp[5] != 0);
    CHECK_EQ(vl_cnode_mint(ROOT, wdcap, 64, ROOT, fep, 64, VL_RIGHT_WRITE, WD_BADGE), 0);
    fz_calls = 0;
    fz_end = 0;
    fz_bad_check = 0;
    fz_returned = 0;
    memset((void *)fz_ok, 0, sizeof(fz_ok));
    fz_thread = thread_create(fuzz_main, 0, FUZZ_PRIO, S_FAULT, sb, SB_GUARD);
    CHECK(fz_thread != NULL);
    struct kthread *wd = thread_new(watchdog_main, wdcap, 1, 0);
    CHECK(wd != NULL);
    printf("fuzz seed %#lx\n", (unsigned long)fz_seed);

    vl_word_t nfault[6] = {0}, stalls = 0, restarts = 0, rounds = 0;
    vl_word_t first = 0, last = (FUZZ_CALLS + FUZZ_ROUND - 1) / FUZZ_ROUND;
    if (FUZZ_ONLY_ROUND >= 0) {
        first = FUZZ_ONLY_ROUND;
        last = FUZZ_ONLY_ROUND + 1;
    }
    /* The sandbox's memory; revoking it at the end of a round makes it all free again. */
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_UNTYPED, ROUND_UT_BITS, ROOT, 0, 0, round_ut, 1), 0);
    for (vl_word_t round = first; round < last; round++) {
        int e = sandbox_fill(round_ut, round);
        if (e != 0) {
            printf("fuzz: round %lu: sandbox set-up failed at step %d\n", (unsigned long)round, e);
        }
        CHECK_EQ(e, 0);
        fz_calls = round * FUZZ_ROUND;
        fz_end = (round + 1) * FUZZ_ROUND;
        CHECK_EQ(fuzz_restart(), 0);
        vl_word_t idle = 0, before = fz_calls;
        for (;;) {
            struct vl_msg m = vl_recv(fep);
            if (m.badge == WD_BADGE) {
                stalls++;
            } else if (m.badge == FAULT_BADGE) {
                vl_word_t l = vl_msginfo_label(m.info);
                nfault[l <= 4 ? l : 5]++;
            } else {
                printf("fuzz: unexpected badge %#lx on the fault endpoint\n",
                       (unsigned long)m.badge);
                CHECK(0);
            }
            if (fz_calls >= fz_end) {
                break;
            }
            idle = fz_calls == before ? idle + 1 : 0;
            before = fz_calls;
            if (idle > 1000) {
                printf("fuzz: no progress at call %lu\n", (unsigned long)fz_calls);
                print_call("fuzz: last", &fz_ring[(fz_calls - 1) % RING]);
                CHECK(0);
            }
            CHECK_EQ(fuzz_restart(), 0);
            restarts++;
        }
        CHECK_EQ(vl_tcb_suspend(fz_thread->tcb), 0);
        rounds++;
        int bad = vl_debug_check();
        if (bad != 0 || fz_bad_check != 0) {
            printf("fuzz: seed %#lx round %lu: kernel invariants violated (check %d, in-run "
                   "check failed at call %ld); last calls:\n",
                   (unsigned long)fz_seed, (unsigned long)round, bad, (long)fz_bad_check - 1);
            for (vl_word_t k = fz_calls >= RING ? fz_calls - RING : 0; k < fz_calls; k++) {
                print_call("fuzz:", &fz_ring[k % RING]);
            }
        }
        CHECK_EQ(bad, 0);
        CHECK_EQ(fz_bad_check, 0);
        e = sandbox_clear(round_ut);
        if (e != 0) {
            printf("fuzz: round %lu: sandbox clean-up failed at step %d\n", (unsigned long)round,
                   e);
        }
        CHECK_EQ(e, 0);
    }
    CHECK_EQ(vl_tcb_suspend(wd->tcb), 0);
    vl_word_t total = rounds * FUZZ_ROUND;
    printf("fuzz: %lu calls, %lu faults (cap %lu, syscall %lu, user %lu, vm %lu), %lu other "
           "messages, %lu stalls, %lu restarts\n",
           (unsigned long)total, (unsigned long)(nfault[1] + nfault[2] + nfault[3] + nfault[4]),
           (unsigned long)nfault[1], (unsigned long)nfault[2], (unsigned long)nfault[3],
           (unsigned long)nfault[4], (unsigned long)(nfault[0] + nfault[5]), (unsigned long)stalls,
           (unsigned long)restarts);
    printf("fuzz: %lu calls returned; Calls that succeeded, by label:", (unsigned long)fz_returned);
    for (unsigned k = 0; k < NLABELS; k++) {
        printf(" %lu:%lu", (unsigned long)labels[k], (unsigned long)fz_ok[labels[k]]);
    }
    printf("\n");
    if (FUZZ_ONLY_ROUND < 0) {
        CHECK(total >= FUZZ_CALLS);
    }

    /* The harness is unharmed: invariants hold, it can make objects and do IPC. */
    CHECK_EQ(vl_debug_check(), 0);
    CHECK_TYPE(ROOT, VL_CAP_CNODE);
    CHECK_TYPE(VL_CAP_INIT_TCB, VL_CAP_TCB);
    CHECK_TYPE(VL_CAP_INIT_VSPACE, VL_CAP_VSPACE);
    CHECK_TYPE(VL_CAP_IRQ_CONTROL_SLOT, VL_CAP_IRQ_CONTROL);
    CHECK_TYPE(VL_CAP_ASID_CONTROL_SLOT, VL_CAP_ASID_CONTROL);
    CHECK_TYPE(VL_CAP_SCHED_CONTROL_SLOT, VL_CAP_SCHED_CONTROL);
    CHECK_TYPE(g_asid_pool, VL_CAP_ASID_POOL);
    CHECK(vspace_new() != 0);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(ep != 0);
    CHECK(thread_new(echo_main, ep, 100, 0) != NULL);
    vl_word_t mr[VL_MSG_REGS] = {41};
    struct vl_msg m = vl_call(ep, vl_msginfo(0, 0, 0, 1), mr);
    CHECK_EQ(m.mr[0], 42);
    /* The IRQ is free again (its handler went with the sandbox). */
    vl_cptr_t h = slot_alloc();
    CHECK_EQ(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, FUZZ_IRQ, ROOT, h, 64), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, h, 64), 0);
    SETTLE();
}

void
fuzz_tests(void)
{
    RUN(test_fuzz_syscalls);
}
