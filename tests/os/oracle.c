/*
 * The isolation oracle: a seeded random sequence of operations on frames, page tables,
 * VSpace caps, kernel objects, untypeds and threads, checked after every step by what
 * probe threads can actually reach, against an abstract model the test keeps itself.
 *
 * The model (struct model) is built only from the test's own bookkeeping and the
 * documented semantics (docs/kernel/invocations.md, objects.md), with seL4's page-table
 * rules: a page table has at most one mapping, shared by all its caps; a copy of an
 * unmapped page-table cap is refused and a copy of a mapped one carries the mapping; only
 * the last cap unmaps (PageTable_Unmap, which clears the table) or destroys the table.
 * The kernel's answer to an operation is compared with the model's prediction (success
 * or failure, not the error code): a call the model predicts to succeed must succeed and
 * one it predicts to fail must fail; the model is updated only on a predicted success.
 * The one exception is PageTable_Map refused where the model expected success: the model
 * stays as it was (a kernel may restrict where a table goes; refusing is never a breach).
 *
 * After every step, in each of the three VSpaces, the probe thread living there loads
 * from every address of the oracle's region (NG x NL1 x NL0 pages) and from a random
 * sample of other addresses, and writes back what it read where the model says the page
 * is writable. Every frame carries a unique tag in its first word, written by the test
 * through a mapping of its own; other words are zero. So a load through a stale entry
 * (a freed frame, a page table or any other kernel object retyped in its memory) shows a
 * wrong tag, a missing mapping faults where the model expects data, and an extra one
 * reads where the model expects a fault. Then the kernel's invariant check runs.
 *
 * A probe is a few instructions (oracle_probe_code) in a code page mapped in every
 * VSpace; it reports through faults on a shared endpoint: a page fault, or an unknown
 * system call carrying what it read. The test starts each probe with
 * TCB_WriteRegisters (pc, a0 = address, a1 = expected tag, a2 = write back).
 *
 * Scheduler steps (tests/os/oracle_sched.c): three threads of the root VSpace (low, high,
 * server) with random priorities; low resumes high, which Calls server through the fast
 * path (the shape of issue 10's defect 3), or the test resumes, suspends and restarts
 * them directly.
 *
 * ORACLE_STEPS steps for each of ORACLE_SEEDS seeds (ORACLE_SEED_BASE, +1, ...); every
 * seed prints "oracle seed N steps M" and is one test (oracle_seed_N). A failure names the
 * seed and the step: rebuild with ORACLE_SEED_BASE=N ORACLE_SEEDS=1 to replay it.
 */
#include "ktest.h"
#include "oracle.h"

#include <stdarg.h>
#include <string.h>

#ifndef ORACLE_STEPS
#define ORACLE_STEPS 10000
#endif
#ifndef ORACLE_SEEDS
#define ORACLE_SEEDS 4
#endif
#ifndef ORACLE_SEED_BASE
#define ORACLE_SEED_BASE 1
#endif
/* Nonzero: stop at the first failing seed (the defect-flag builds only need one). */
#ifndef ORACLE_FIRST_FAIL
#define ORACLE_FIRST_FAIL 0
#endif

/* 0: never copy page-table caps (for checking the rest of the model on a kernel whose
 * page-table copies do not follow seL4's rule). */
#ifndef ORACLE_PT_COPIES
#define ORACLE_PT_COPIES 1
#endif

/* 0: no scheduler steps (for checking the rest on a kernel with defect (3)). */
#ifndef ORACLE_SCHED
#define ORACLE_SCHED 1
#endif
#ifndef ORACLE_TRACE
#define ORACLE_TRACE 0 /* 1: print every step's operation draw */
#endif
#ifndef ORACLE_PROGRESS
#define ORACLE_PROGRESS 1000 /* a progress line every so many steps */
#endif

#define NVS 3          /* VSpaces, one probe thread each */
#define NUT 4          /* pool untypeds the random objects come from */
#define UT_BITS 17     /* 128 KiB each: 32 pages */
#define NSLOT 32       /* pool cap slots */
#define NOBJ NSLOT     /* a live pool object always has a cap in the pool */
#define NG 2           /* gigabytes of the oracle's region: root-table entries 1..NG */
#define NL1 2          /* 2 MiB regions used per gigabyte */
#define NL0 4          /* pages used per 2 MiB region */
#define NSAMPLE 3      /* random extra addresses probed per VSpace and step */
#define PROBE_PRIO 120 /* below the test (255), above the settler (1) */
#define CODE_VA 0x10000ul
#define WIN 0x3000000000ul /* the test's own window for writing tags (root VSpace) */
#define RW (VL_RIGHT_READ | VL_RIGHT_WRITE)
#define NONE (-1)

/*
 * The probe: a0 = address, a1 = expected word, a2 = nonzero to write back. It stores
 * only if it read the expected word, so it never writes into memory it should not see.
 */
__asm__(".pushsection .text.oracle_probe, \"ax\"\n"
        ".balign 4\n"
        ".globl oracle_probe_code, oracle_probe_ld, oracle_probe_sd, oracle_probe_end\n"
        "oracle_probe_code:\n"
        "oracle_probe_ld: ld t0, 0(a0)\n"
        "    mv a3, t0\n"
        "    beqz a2, 1f\n"
        "    bne t0, a1, 1f\n"
        "oracle_probe_sd: sd t0, 0(a0)\n"
        "1:  li a7, 99\n"
        "    ecall\n"
        "    j oracle_probe_code\n"
        "oracle_probe_end:\n"
        ".popsection\n");
extern char oracle_probe_code[], oracle_probe_ld[], oracle_probe_sd[], oracle_probe_end[];

/* Model. */
enum obj_kind { O_FREE, O_FRAME, O_PT, O_KOBJ };
enum cap_kind { C_NULL, C_FRAME, C_PT, C_VS, C_KOBJ };

struct mobj {
    unsigned char kind;        /* enum obj_kind */
    unsigned char ut;          /* pool untyped it was retyped from */
    unsigned char mapped;      /* page table: has a mapping (all its caps share it) */
    unsigned char level;       /* page table: 1 (under the root) or 0 */
    unsigned char vs, g, i;    /* page table: where it is mapped */
    signed char ent[NL0];      /* level 1: table per 2 MiB region; level 0: frame per page */
    unsigned char rights[NL0]; /* level 0: rights of each leaf */
    vl_word_t tag;             /* frame: the word at offset 0 */
};

struct mcap {
    unsigned char kind;        /* enum cap_kind */
    unsigned char orig;        /* made by Untyped_Retype (the parent of the copies) */
    unsigned char rights;      /* frame: read/write rights of the cap */
    unsigned char mapped;      /* frame cap: records a mapping */
    unsigned char vs, g, i, j; /* frame cap: where */
    signed char obj;           /* pool object, or VSpace index for C_VS */
};

struct model {
    struct mobj obj[NOBJ];
    struct mcap cap[NSLOT];
    signed char root[NVS][NG]; /* level-1 table of each gigabyte, or NONE */
    vl_word_t wm[NUT];         /* watermark of each pool untyped, bytes */
    int probe_vs[NVS];         /* VSpace each probe thread is in */
};

static struct model m;

/* Kernel-side names of the things the model talks about. */
static vl_cptr_t pool[NSLOT];
static vl_cptr_t ut[NUT];
static vl_cptr_t vs_cap[NVS];
static vl_cptr_t probe_tcb[NVS];
static vl_cptr_t probe_fep[NVS];
static vl_cptr_t fault_ep;
static vl_cptr_t code_frame;

static unsigned cur_seed, cur_step;
static vl_word_t rng_state, tag_next;
static unsigned stats_ok, stats_refused, stats_mapped;
static int oracle_failed;

static vl_word_t
rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned
rnd_below(unsigned n)
{
    return (unsigned)((rnd() >> 33) % n);
}

/* Records the first failure of this seed, with the seed and step. */
static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
bad(const char *fmt, ...)
{
    if (oracle_failed) {
        return;
    }
    oracle_failed = 1;
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    printf("oracle: seed %u step %u: %s\n", cur_seed, cur_step, what);
    char msg[200];
    snprintf(msg, sizeof(msg), "seed %u step %u: %s", cur_seed, cur_step, what);
    test_fail(__FILE__, __LINE__, msg, cur_seed, cur_step);
}

static vl_word_t
page_va(unsigned g, unsigned i, unsigned j)
{
    return ((vl_word_t)(g + 1) << 30) | ((vl_word_t)i << 21) | ((vl_word_t)j << 12);
}

static int
table_from_t_ut(void *ctx, vl_cptr_t *pt)
{
    (void)ctx;
    *pt = obj_new(VL_OBJ_PAGE_TABLE, 0);
    return *pt != 0 ? 0 : VL_NOT_ENOUGH_MEMORY;
}

/* ---- The model's view of the address spaces. ---- */

/* The level-0 table serving (vs, g, i) by walking from the root, or NONE. */
static int
walk_l0(unsigned vs, unsigned g, unsigned i)
{
    int t1 = m.root[vs][g];
    return t1 == NONE ? NONE : m.obj[t1].ent[i];
}

/* The frame mapped at (vs, g, i, j), or NONE; *rights gets its rights. */
static int
leaf_at(unsigned vs, unsigned g, unsigned i, unsigned j, unsigned *rights)
{
    int t0 = walk_l0(vs, g, i);
    if (t0 == NONE || m.obj[t0].ent[j] == NONE) {
        return NONE;
    }
    *rights = m.obj[t0].rights[j];
    return m.obj[t0].ent[j];
}

static int
cap_count(int obj, unsigned kind)
{
    int n = 0;
    for (int s = 0; s < NSLOT; s++) {
        if (m.cap[s].kind == kind && m.cap[s].obj == obj) {
            n++;
        }
    }
    return n;
}

/* Whether page table t is the entry its mapping record names. */
static int
pt_attached(int t)
{
    const struct mobj *o = &m.obj[t];
    if (!o->mapped) {
        return 0;
    }
    if (o->level == 1) {
        return m.root[o->vs][o->g] == t;
    }
    int t1 = m.root[o->vs][o->g];
    return t1 != NONE && m.obj[t1].ent[o->i] == t;
}

static void
pt_detach(int t)
{
    const struct mobj *o = &m.obj[t];
    if (!pt_attached(t)) {
        return;
    }
    if (o->level == 1) {
        m.root[o->vs][o->g] = NONE;
    } else {
        m.obj[m.root[o->vs][o->g]].ent[o->i] = NONE;
    }
}

/* Removes what a mapped frame cap records, if that entry still holds its frame. */
static void
frame_cap_unmap(const struct mcap *c)
{
    if (!c->mapped) {
        return;
    }
    int t0 = walk_l0(c->vs, c->g, c->i);
    if (t0 != NONE && m.obj[t0].ent[c->j] == c->obj) {
        m.obj[t0].ent[c->j] = NONE;
    }
}

/* Empties pool slot s as Delete does (final caps destroy their object). */
static void
model_delete(int s)
{
    struct mcap *c = &m.cap[s];
    unsigned kind = c->kind;
    int obj = c->obj;
    if (kind == C_NULL) {
        return;
    }
    if (kind == C_FRAME) {
        frame_cap_unmap(c);
    }
    c->kind = C_NULL;
    if (kind == C_VS || cap_count(obj, kind) > 0) {
        return;
    }
    if (kind == C_PT) {
        pt_detach(obj);
    }
    m.obj[obj].kind = O_FREE;
}

/* Revoke of pool slot s: an original loses every other cap to its object. */
static void
model_revoke(int s)
{
    const struct mcap *c = &m.cap[s];
    if (c->kind == C_NULL || c->kind == C_VS || !c->orig) {
        return;
    }
    for (int t = 0; t < NSLOT; t++) {
        if (t != s && m.cap[t].kind == c->kind && m.cap[t].obj == c->obj) {
            model_delete(t);
        }
    }
}

static int
ut_has_children(unsigned k)
{
    for (int s = 0; s < NSLOT; s++) {
        const struct mcap *c = &m.cap[s];
        if (c->kind != C_NULL && c->kind != C_VS && m.obj[c->obj].ut == k) {
            return 1;
        }
    }
    return 0;
}

/* Where Untyped_Retype of an object of 2^bits bytes in pool untyped k would put it, or
 * -1 if it does not fit. */
static long
ut_place(unsigned k, unsigned bits)
{
    vl_word_t wm = ut_has_children(k) ? m.wm[k] : 0;
    vl_word_t start = (wm + (1ul << bits) - 1) & ~((1ul << bits) - 1);
    if (start + (1ul << bits) > (1ul << UT_BITS)) {
        return -1;
    }
    return (long)start;
}

static int
free_obj(void)
{
    for (int o = 0; o < NOBJ; o++) {
        if (m.obj[o].kind == O_FREE) {
            return o;
        }
    }
    return NONE;
}

static int
random_slot(int want_empty)
{
    unsigned start = rnd_below(NSLOT);
    for (unsigned n = 0; n < NSLOT; n++) {
        int s = (int)((start + n) % NSLOT);
        if ((m.cap[s].kind == C_NULL) == want_empty) {
            return s;
        }
    }
    return NONE;
}

/*
 * A random slot for a frame or page-table invocation: usually one of that kind, now and
 * then one of the other (a wrong-type invocation must be refused). Never a slot of another
 * kind: invoking an endpoint or notification cap is IPC, not an invocation.
 */
static int
random_mapping_slot(unsigned kind)
{
    if (rnd_below(10) == 0) {
        kind = kind == C_FRAME ? C_PT : C_FRAME;
    }
    unsigned start = rnd_below(NSLOT);
    for (unsigned n = 0; n < NSLOT; n++) {
        int s = (int)((start + n) % NSLOT);
        if (m.cap[s].kind == kind) {
            return s;
        }
    }
    return NONE;
}

/* ---- Comparing the kernel's answer with the prediction. ---- */

static const char *op_name;

/* Returns 1 if the model should apply the operation. */
static int
expect(int predicted_ok, int err)
{
    if (predicted_ok && err != 0) {
        bad("%s: model predicts success, kernel says %s", op_name, vl_error_name(err));
        return 0;
    }
    if (!predicted_ok && err == 0) {
        bad("%s: model predicts refusal, kernel accepted", op_name);
        return 0;
    }
    if (err == 0) {
        stats_ok++;
    } else {
        stats_refused++;
    }
    return err == 0;
}

/* ---- Operations. ---- */

static void
op_retype(void)
{
    static const unsigned kobj_type[] = {VL_OBJ_TCB, VL_OBJ_ENDPOINT, VL_OBJ_NOTIFICATION,
                                         VL_OBJ_CNODE};
    static const unsigned kobj_bits[] = {VL_TCB_BITS, VL_ENDPOINT_BITS, VL_NOTIFICATION_BITS, 0};
    int s = random_slot(1);
    int o = free_obj();
    if (s == NONE || o == NONE) {
        return;
    }
    unsigned k = rnd_below(NUT);
    unsigned r = rnd_below(20);
    unsigned type, bits, size_arg = 0, kind;
    if (r < 9) {
        type = VL_OBJ_FRAME_4K, bits = VL_FRAME_4K_BITS, kind = O_FRAME;
        op_name = "Untyped_Retype(frame)";
    } else if (r < 17) {
        type = VL_OBJ_PAGE_TABLE, bits = VL_PAGE_TABLE_BITS, kind = O_PT;
        op_name = "Untyped_Retype(page table)";
    } else {
        unsigned x = rnd_below(4);
        type = kobj_type[x];
        bits = kobj_bits[x];
        if (type == VL_OBJ_CNODE) {
            size_arg = 1 + rnd_below(5);
            bits = size_arg + VL_SLOT_BITS;
        }
        kind = O_KOBJ;
        op_name = "Untyped_Retype(kernel object)";
    }
    long at = ut_place(k, bits);
    int err = vl_untyped_retype(ut[k], type, size_arg, ROOT, 0, 0, pool[s], 1);
    if (!expect(at >= 0, err)) {
        return;
    }
    m.wm[k] = (vl_word_t)at + (1ul << bits);
    struct mobj *ob = &m.obj[o];
    memset(ob, 0, sizeof(*ob));
    memset(ob->ent, NONE, sizeof(ob->ent));
    ob->kind = (unsigned char)kind;
    ob->ut = (unsigned char)k;
    struct mcap *c = &m.cap[s];
    memset(c, 0, sizeof(*c));
    c->kind = kind == O_FRAME ? C_FRAME : kind == O_PT ? C_PT : C_KOBJ;
    c->orig = 1;
    c->rights = RW;
    c->obj = (signed char)o;
    if (kind != O_FRAME) {
        return;
    }
    /* Tag the frame through the test's own window. */
    ob->tag = 0x7a90000000000000ull | ((vl_word_t)cur_seed << 32) | ++tag_next;
    op_name = "tagging a new frame";
    if (!expect(1, vl_frame_map(pool[s], VL_CAP_INIT_VSPACE, WIN, RW, VL_MAP_EXECUTE_NEVER))) {
        return;
    }
    volatile vl_word_t *w = (volatile vl_word_t *)WIN;
    if (w[0] != 0 || w[VL_PAGE_SIZE / 8 - 1] != 0) {
        bad("a new frame is not zero (%#lx)", (unsigned long)w[0]);
    }
    w[0] = ob->tag;
    expect(1, vl_frame_unmap(pool[s]));
}

/*
 * A 2 MiB region (g, i) of VSpace vs for a map call: mostly one where the model has a
 * level-0 table (have_table) or lacks one (!have_table), so that mappings get built.
 */
static void
pick_region(int vs, int have_table, unsigned *g, unsigned *i)
{
    *g = rnd_below(NG);
    *i = rnd_below(NL1);
    if (vs == NONE || rnd_below(4) == 0) {
        return;
    }
    for (unsigned n = 0; n < NG * NL1; n++) {
        unsigned gg = (*g + n / NL1) % NG, ii = (*i + n) % NL1;
        if ((walk_l0((unsigned)vs, gg, ii) != NONE) == have_table) {
            *g = gg;
            *i = ii;
            return;
        }
    }
}

/* A VSpace cap for a map call: usually a live one, sometimes whatever a pool slot has. */
static vl_cptr_t
pick_vspace(int *vs)
{
    if (rnd_below(4) != 0) {
        *vs = (int)rnd_below(NVS);
        return vs_cap[*vs];
    }
    /* Never an empty slot: an extra cap that cannot be looked up is a capability fault. */
    int s = random_slot(0);
    if (s == NONE) {
        *vs = (int)rnd_below(NVS);
        return vs_cap[*vs];
    }
    *vs = m.cap[s].kind == C_VS ? m.cap[s].obj : NONE;
    return pool[s];
}

static void
op_frame_map(void)
{
    static const unsigned rights_choice[] = {VL_RIGHT_READ, RW, RW, VL_RIGHT_WRITE};
    int s = random_mapping_slot(C_FRAME);
    if (s == NONE) {
        return;
    }
    struct mcap *c = &m.cap[s];
    int vs;
    vl_cptr_t vcap = pick_vspace(&vs);
    unsigned g, i, j = rnd_below(NL0);
    pick_region(vs, 1, &g, &i);
    if (vs != NONE && walk_l0((unsigned)vs, g, i) == NONE && rnd_below(4) != 0) {
        /* Somewhere a level-0 table is: that is where a mapping can be made. */
        unsigned start = rnd_below(NVS * NG * NL1);
        for (unsigned n = 0; n < NVS * NG * NL1; n++) {
            unsigned x = (start + n) % (NVS * NG * NL1);
            if (walk_l0(x / (NG * NL1), (x / NL1) % NG, x % NL1) != NONE) {
                vs = (int)(x / (NG * NL1));
                vcap = vs_cap[vs];
                g = (x / NL1) % NG;
                i = x % NL1;
                break;
            }
        }
    }
    unsigned asked = rights_choice[rnd_below(4)];
    unsigned rights = asked & c->rights;
    int ok = c->kind == C_FRAME && vs != NONE && (rights & VL_RIGHT_READ);
    int t0 = NONE;
    if (ok && c->mapped && (c->vs != vs || c->g != g || c->i != i || c->j != j)) {
        ok = 0;
    }
    if (ok) {
        t0 = walk_l0((unsigned)vs, g, i);
        ok = t0 != NONE && (m.obj[t0].ent[j] == NONE || (c->mapped && m.obj[t0].ent[j] == c->obj));
    }
    op_name = "Frame_Map";
    int err = vl_frame_map(pool[s], vcap, page_va(g, i, j), asked, 0);
    if (!expect(ok, err)) {
        return;
    }
    m.obj[t0].ent[j] = c->obj;
    m.obj[t0].rights[j] = (unsigned char)rights;
    c->mapped = 1;
    c->vs = (unsigned char)vs, c->g = (unsigned char)g, c->i = (unsigned char)i;
    c->j = (unsigned char)j;
}

static void
op_frame_unmap(void)
{
    int s = random_mapping_slot(C_FRAME);
    if (s == NONE) {
        return;
    }
    op_name = "Frame_Unmap";
    if (expect(m.cap[s].kind == C_FRAME, vl_frame_unmap(pool[s]))) {
        frame_cap_unmap(&m.cap[s]);
        m.cap[s].mapped = 0;
    }
}

static void
op_pt_map(void)
{
    int s = random_mapping_slot(C_PT);
    if (s == NONE) {
        return;
    }
    const struct mcap *c = &m.cap[s];
    int vs;
    vl_cptr_t vcap = pick_vspace(&vs);
    unsigned g, i, j = rnd_below(NL0);
    pick_region(vs, 0, &g, &i);
    int ok = c->kind == C_PT && !m.obj[c->obj].mapped && vs != NONE;
    unsigned level = 1;
    if (ok && m.root[vs][g] != NONE) {
        level = 0;
        ok = m.obj[m.root[vs][g]].ent[i] == NONE;
    }
    op_name = "PageTable_Map";
    int err = vl_page_table_map(pool[s], vcap, page_va(g, i, j) + 8 * rnd_below(512));
    if (ORACLE_TRACE) {
        printf("  PT_Map obj %d vs %d g %u i %u: predicted %d err %d\n", c->obj, vs, g, i, ok, err);
    }
    if (ok && err != 0) {
        stats_refused++; /* the model stays as it was: see the header comment */
        return;
    }
    if (!expect(ok, err)) {
        return;
    }
    struct mobj *o = &m.obj[c->obj];
    o->mapped = 1;
    o->level = (unsigned char)level;
    o->vs = (unsigned char)vs, o->g = (unsigned char)g, o->i = (unsigned char)i;
    if (level == 1) {
        m.root[vs][g] = c->obj;
    } else {
        m.obj[m.root[vs][g]].ent[i] = c->obj;
    }
}

static void
op_pt_unmap(void)
{
    int s = random_mapping_slot(C_PT);
    if (s == NONE) {
        return;
    }
    int t = m.cap[s].obj;
    op_name = "PageTable_Unmap";
    int ok = m.cap[s].kind == C_PT && cap_count(t, C_PT) == 1;
    if (!expect(ok, vl_page_table_unmap(pool[s]))) {
        return;
    }
    pt_detach(t);
    m.obj[t].mapped = 0;
    memset(m.obj[t].ent, NONE, sizeof(m.obj[t].ent));
}

static void
op_copy(void)
{
    int d = random_slot(1);
    if (d == NONE) {
        return;
    }
    vl_cptr_t src;
    struct mcap c;
    if (rnd_below(10) == 0) {
        unsigned v = rnd_below(NVS);
        src = vs_cap[v];
        memset(&c, 0, sizeof(c));
        c.kind = C_VS;
        c.obj = (signed char)v;
    } else {
        int s = random_slot(0);
        if (s == NONE) {
            return;
        }
        src = pool[s];
        c = m.cap[s];
    }
    if (!ORACLE_PT_COPIES && c.kind == C_PT) {
        return;
    }
    unsigned mask = rnd_below(3) == 0 ? VL_RIGHT_READ : VL_RIGHTS_ALL;
    /* seL4's rule: an unmapped page-table cap cannot be copied (a copy would be a second
     * way to map the table); a copy of a mapped one shares its mapping. */
    int ok = c.kind != C_PT || m.obj[c.obj].mapped;
    op_name = c.kind == C_PT ? "CNode_Copy(page table)" : "CNode_Copy";
    if (!expect(ok, vl_cnode_copy(ROOT, pool[d], 64, ROOT, src, 64, mask))) {
        return;
    }
    c.orig = 0;
    c.mapped = 0; /* a frame cap copy is unmapped */
    c.rights &= mask;
    m.cap[d] = c;
}

static void
op_move(void)
{
    int s = random_slot(0), d = random_slot(1);
    if (s == NONE || d == NONE) {
        return;
    }
    op_name = "CNode_Move";
    if (expect(1, vl_cnode_move(ROOT, pool[d], 64, ROOT, pool[s], 64))) {
        m.cap[d] = m.cap[s];
        m.cap[s].kind = C_NULL;
    }
}

static void
op_delete(void)
{
    int s = random_slot(0);
    if (s == NONE) {
        return;
    }
    op_name = "CNode_Delete";
    if (expect(1, vl_cnode_delete(ROOT, pool[s], 64))) {
        model_delete(s);
    }
}

static void
op_revoke(void)
{
    int s = random_slot(0);
    if (s == NONE) {
        return;
    }
    op_name = "CNode_Revoke";
    if (expect(1, vl_cnode_revoke(ROOT, pool[s], 64))) {
        model_revoke(s);
    }
}

/* Revoking a pool untyped destroys every object made from it; its memory is then reused
 * by the next retypes, possibly as kernel objects. */
static void
op_revoke_untyped(void)
{
    unsigned k = rnd_below(NUT);
    op_name = "CNode_Revoke(untyped)";
    if (!expect(1, vl_cnode_revoke(ROOT, ut[k], 64))) {
        return;
    }
    for (int s = 0; s < NSLOT; s++) {
        if (m.cap[s].kind != C_NULL && m.cap[s].kind != C_VS && m.obj[m.cap[s].obj].ut == k) {
            model_delete(s);
        }
    }
}

/* Moves probe p to VSpace v with TCB_SetSpace or TCB_Configure. */
static int
probe_set_space(unsigned p, unsigned v, vl_cptr_t vcap)
{
    if (rnd_below(2)) {
        op_name = "TCB_SetSpace";
        return vl_tcb_set_space(probe_tcb[p], probe_fep[p], ROOT, 0, vcap);
    }
    op_name = "TCB_Configure";
    (void)v;
    return vl_tcb_configure(probe_tcb[p], probe_fep[p], ROOT, 0, vcap, 0, 0);
}

/* Two probes swap VSpaces (through a VSpace cap copy when the pool has one), so every
 * VSpace keeps a probe. */
static void
op_swap_probes(void)
{
    unsigned p = rnd_below(NVS), q = (p + 1 + rnd_below(NVS - 1)) % NVS;
    unsigned vp = (unsigned)m.probe_vs[p], vq = (unsigned)m.probe_vs[q];
    vl_cptr_t cp = vs_cap[vq], cq = vs_cap[vp];
    for (int s = 0; s < NSLOT; s++) {
        if (m.cap[s].kind == C_VS && (unsigned)m.cap[s].obj == vq && rnd_below(2)) {
            cp = pool[s];
        }
    }
    if (!expect(1, probe_set_space(p, vq, cp))) {
        return;
    }
    m.probe_vs[p] = (int)vq;
    if (!expect(1, probe_set_space(q, vp, cq))) {
        return;
    }
    m.probe_vs[q] = (int)vp;
}

/* ---- Scheduler steps (tests/os/oracle_sched.c). ---- */

static void
op_sched(void)
{
    static const unsigned low_prio[] = {10, 30};
    static const unsigned high_prio[] = {20, 100, 180};
    static const unsigned server_prio[] = {90, 200};
    unsigned prio[3];
    prio[0] = low_prio[rnd_below(2)];
    prio[1] = high_prio[rnd_below(3)];
    prio[2] = server_prio[rnd_below(2)];
    unsigned variant = rnd_below(4);
    int server_waits = variant == 0 && rnd_below(2);
    if (ORACLE_TRACE) {
        printf("  scheduler variant %u, priorities %u %u %u, server waits %d\n", variant, prio[0],
               prio[1], prio[2], server_waits);
    }
    op_name = "scheduler step";
    expect(1, oracle_sched_step(prio, variant, server_waits));
}

/* ---- Probing. ---- */

enum { P_FAULT, P_REPORT };

struct outcome {
    int kind;
    vl_word_t pc, addr, access, value;
};

static int
probe_run(unsigned p, vl_word_t addr, vl_word_t want, int write_back, struct outcome *o)
{
    vl_word_t regs[13] = {0};
    regs[0] = CODE_VA;
    regs[10] = addr;
    regs[11] = want;
    regs[12] = (vl_word_t)write_back;
    if (ORACLE_TRACE > 1) {
        printf("  probe %u vs %d %#lx\n", p, m.probe_vs[p], (unsigned long)addr);
    }
    int err = vl_tcb_write_registers(probe_tcb[p], 1, 13, regs);
    if (err != 0) {
        bad("probe %u: TCB_WriteRegisters: %s", p, vl_error_name(err));
        return -1;
    }
    struct vl_msg msg = vl_recv(fault_ep);
    if (msg.badge != p + 1) {
        bad("message from badge %lu while probe %u runs", (unsigned long)msg.badge, p);
        return -1;
    }
    vl_word_t label = vl_msginfo_label(msg.info);
    if (label == VL_FAULT_VM) {
        o->kind = P_FAULT;
        o->pc = msg.mr[0] - CODE_VA;
        o->addr = msg.mr[1];
        o->access = msg.mr[3];
        return 0;
    }
    if (label == VL_FAULT_UNKNOWN_SYSCALL && msg.mr[3] == addr) {
        o->kind = P_REPORT;
        o->value = vl_ipc_buffer->msg[6]; /* a3 */
        return 0;
    }
    bad("probe %u at %#lx: unexpected message label %lu pc %#lx", p, (unsigned long)addr,
        (unsigned long)label, (unsigned long)msg.mr[0]);
    return -1;
}

/* Probes addr in probe p's VSpace; frame is what the model has there (NONE: nothing). */
static void
probe_check(unsigned p, vl_word_t addr, int frame, unsigned rights)
{
    vl_word_t off = addr & (VL_PAGE_SIZE - 1);
    vl_word_t want = frame == NONE ? 0 : (off == 0 ? m.obj[frame].tag : 0);
    int write_back = frame != NONE && off == 0;
    struct outcome o;
    if (probe_run(p, addr, want, write_back, &o) != 0) {
        return;
    }
    vl_word_t ld = (vl_word_t)(oracle_probe_ld - oracle_probe_code);
    vl_word_t sd = (vl_word_t)(oracle_probe_sd - oracle_probe_code);
    unsigned vs = (unsigned)m.probe_vs[p];
    if (frame == NONE) {
        if (o.kind == P_REPORT) {
            bad("VSpace %u: %#lx is readable (word %#lx) but the model maps nothing", vs,
                (unsigned long)addr, (unsigned long)o.value);
        } else if (o.pc != ld || o.addr != addr || o.access != 1) {
            bad("VSpace %u: %#lx: fault at pc +%#lx addr %#lx access %lu, expected a read fault",
                vs, (unsigned long)addr, (unsigned long)o.pc, (unsigned long)o.addr,
                (unsigned long)o.access);
        }
        return;
    }
    if (o.kind == P_FAULT && o.pc == ld) {
        bad("VSpace %u: %#lx faults on read but the model maps frame tag %#lx there", vs,
            (unsigned long)addr, (unsigned long)want);
    } else if (o.kind == P_REPORT && o.value != want) {
        bad("VSpace %u: %#lx reads %#lx, the model expects %#lx (another frame or kernel "
            "memory)",
            vs, (unsigned long)addr, (unsigned long)o.value, (unsigned long)want);
    } else if (o.kind == P_REPORT && write_back && !(rights & VL_RIGHT_WRITE)) {
        bad("VSpace %u: %#lx is writable but mapped read-only in the model", vs,
            (unsigned long)addr);
    } else if (o.kind == P_FAULT && (o.pc != sd || o.addr != addr || o.access != 2)) {
        bad("VSpace %u: %#lx: unexpected fault at pc +%#lx addr %#lx", vs, (unsigned long)addr,
            (unsigned long)o.pc, (unsigned long)o.addr);
    } else if (o.kind == P_FAULT && (rights & VL_RIGHT_WRITE)) {
        bad("VSpace %u: %#lx is read-only but writable in the model", vs, (unsigned long)addr);
    }
}

static void
probe_all(void)
{
    for (unsigned p = 0; p < NVS && !oracle_failed; p++) {
        unsigned vs = (unsigned)m.probe_vs[p];
        for (unsigned g = 0; g < NG; g++) {
            for (unsigned i = 0; i < NL1; i++) {
                for (unsigned j = 0; j < NL0 && !oracle_failed; j++) {
                    unsigned rights = 0;
                    int f = leaf_at(vs, g, i, j, &rights);
                    stats_mapped += f != NONE;
                    probe_check(p, page_va(g, i, j), f, rights);
                }
            }
        }
        /* A sample of the rest: any word of the oracle's gigabytes and the next one
         * (other 2 MiB regions, other pages of the used tables, other offsets). */
        for (unsigned n = 0; n < NSAMPLE && !oracle_failed; n++) {
            unsigned g = rnd_below(NG + 1), i = rnd_below(512), j = rnd_below(512);
            vl_word_t addr = page_va(g, i, j) + 8 * rnd_below(VL_PAGE_SIZE / 8);
            unsigned rights = 0;
            int f = NONE;
            if (g < NG && i < NL1 && j < NL0) {
                f = leaf_at(vs, g, i, j, &rights);
            }
            probe_check(p, addr, f, rights);
        }
    }
}

/* ---- Set-up and the run of one seed. ---- */

static int
setup(void)
{
    memset(&m, 0, sizeof(m));
    memset(m.root, NONE, sizeof(m.root));
    fault_ep = obj_new(VL_OBJ_ENDPOINT, 0);
    code_frame = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t first = slots_alloc(NSLOT);
    if (fault_ep == 0 || code_frame == 0 || first == 0) {
        return -1;
    }
    for (int s = 0; s < NSLOT; s++) {
        pool[s] = first + (vl_cptr_t)s;
    }
    /* The probe code, written through the test's window (which keeps its tables). */
    if (vl_frame_map_tables(code_frame, VL_CAP_INIT_VSPACE, WIN, RW, VL_MAP_EXECUTE_NEVER,
                            table_from_t_ut, NULL) != 0) {
        return -1;
    }
    memcpy((void *)WIN, oracle_probe_code, (size_t)(oracle_probe_end - oracle_probe_code));
    if (vl_frame_unmap(code_frame) != 0) {
        return -1;
    }
    for (unsigned v = 0; v < NVS; v++) {
        vl_cptr_t code = slot_alloc();
        vs_cap[v] = vspace_new();
        probe_tcb[v] = obj_new(VL_OBJ_TCB, 0);
        probe_fep[v] = slot_alloc();
        if (code == 0 || vs_cap[v] == 0 || probe_tcb[v] == 0 || probe_fep[v] == 0 ||
            vl_cnode_copy(ROOT, code, 64, ROOT, code_frame, 64, VL_RIGHT_READ) != 0 ||
            vl_frame_map_tables(code, vs_cap[v], CODE_VA, VL_RIGHT_READ, 0, table_from_t_ut,
                                NULL) != 0 ||
            vl_cnode_mint(ROOT, probe_fep[v], 64, ROOT, fault_ep, 64,
                          VL_RIGHT_WRITE | VL_RIGHT_GRANT_REPLY, v + 1) != 0 ||
            vl_tcb_configure(probe_tcb[v], probe_fep[v], ROOT, 0, vs_cap[v], 0, 0) != 0 ||
            vl_tcb_set_priority(probe_tcb[v], VL_CAP_INIT_TCB, PROBE_PRIO) != 0) {
            return -1;
        }
        m.probe_vs[v] = (int)v;
    }
    for (unsigned k = 0; k < NUT; k++) {
        ut[k] = obj_new(VL_OBJ_UNTYPED, UT_BITS);
        if (ut[k] == 0) {
            return -1;
        }
    }
    return oracle_sched_setup();
}

/* One random operation. Weights in per cent. */
static void
step(void)
{
    unsigned r = rnd_below(100);
    if (ORACLE_TRACE) {
        printf("oracle step %u: op %u\n", cur_step, r);
    }
    if (r < 19) {
        op_retype();
    } else if (r < 45) {
        op_frame_map();
    } else if (r < 49) {
        op_frame_unmap();
    } else if (r < 63) {
        op_pt_map();
    } else if (r < 66) {
        op_pt_unmap();
    } else if (r < 74) {
        op_copy();
    } else if (r < 78) {
        op_move();
    } else if (r < 86) {
        op_delete();
    } else if (r < 89) {
        op_revoke();
    } else if (r < 91) {
        op_revoke_untyped();
    } else if (r < 96) {
        op_swap_probes();
    } else if (ORACLE_SCHED) {
        op_sched();
    }
}

static void
oracle_run(void)
{
    oracle_failed = 0;
    stats_ok = stats_refused = stats_mapped = 0;
    tag_next = 0;
    rng_state = 0x9e3779b97f4a7c15ull ^ ((vl_word_t)cur_seed * 0x100000001b3ull);
    cur_step = 0;
    if (setup() != 0) {
        bad("set-up failed");
        return;
    }
    for (cur_step = 1; cur_step <= ORACLE_STEPS && !oracle_failed; cur_step++) {
        if (cur_step % ORACLE_PROGRESS == 0) {
            printf("oracle seed %u: step %u\n", cur_seed, cur_step);
        }
        step();
        if (!oracle_failed) {
            probe_all();
        }
        if (!oracle_failed && vl_debug_check() != 0) {
            bad("kernel invariants violated");
        }
    }
    printf("oracle seed %u: %u calls accepted, %u refused as predicted, %u mapped pages "
           "probed\n",
           cur_seed, stats_ok, stats_refused, stats_mapped);
}

void
oracle_tests(void)
{
    static char name[32];
    for (unsigned n = 0; n < ORACLE_SEEDS; n++) {
        cur_seed = ORACLE_SEED_BASE + n;
        printf("oracle seed %u steps %u\n", cur_seed, (unsigned)ORACLE_STEPS);
        snprintf(name, sizeof(name), "oracle_seed_%u", cur_seed);
        run_test(name, oracle_run);
        if (ORACLE_FIRST_FAIL && oracle_failed) {
            break;
        }
    }
}
