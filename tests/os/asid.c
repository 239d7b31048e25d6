/*
 * ASID control and ASID pools: ASIDControl_MakePool and ASIDPool_Assign with every error;
 * a pool used up after VL_ASID_POOL_SIZE assignments; and the starvation properties the
 * pools exist for: holding untyped memory alone gives no usable VSpace, using up one pool
 * leaves another's holder unaffected, and deleting a pool makes its VSpaces unusable
 * without harming anything (a thread already in one keeps a safe address space, whose
 * mappings still go when their caps do).
 *
 * The kernel has CONFIG_NUM_ASIDS / VL_ASID_POOL_SIZE ranges (8): the first is the first
 * task's pool, the second the harness's g_asid_pool; the tests use the rest and give
 * them back through the harness's revoke of the test memory.
 */
#include "ktest.h"

#define CONTROL VL_CAP_ASID_CONTROL_SLOT
#define AREA 0x2000000000ul /* where the root task looks at frames it shares with threads */
#define RW (VL_RIGHT_READ | VL_RIGHT_WRITE)
#define NUM_RANGES 8

/* A 4 KiB untyped from t_ut in a new scratch slot (0 on failure). */
static vl_cptr_t
pool_untyped(void)
{
    return obj_new(VL_OBJ_UNTYPED, VL_ASID_POOL_BITS);
}

/* A new ASID pool in a scratch slot (0 on failure, the error in vl_last_error). */
static vl_cptr_t
pool_new(void)
{
    vl_cptr_t ut = pool_untyped();
    vl_cptr_t p = slot_alloc();
    if (ut == 0 || p == 0 || vl_asid_control_make_pool(CONTROL, ut, ROOT, p, 64) != 0) {
        return 0;
    }
    return p;
}

/* What the kernel put in the first task's CSpace. */
static void
test_asid_boot_caps(void)
{
    CHECK_TYPE(CONTROL, VL_CAP_ASID_CONTROL);
    CHECK_TYPE(g_bi->asid_pool, VL_CAP_ASID_POOL);
    CHECK_EQ(g_bi->asid_pool, VL_NUM_INIT_SLOTS);
    CHECK_EQ(g_bi->image_frames.start, g_bi->asid_pool + 1);
    CHECK_TYPE(g_asid_pool, VL_CAP_ASID_POOL);
    /* The first task's pool hands out ASIDs (its own VSpace has one of them). */
    vl_cptr_t vs = obj_new(VL_OBJ_VSPACE, 0);
    CHECK(vs != 0);
    CHECK_EQ(vl_asid_pool_assign(g_bi->asid_pool, vs), 0);
    CHECK_ERR(vl_asid_pool_assign(g_bi->asid_pool, vs), VL_INVALID_CAPABILITY);
}

static void
test_asid_make_pool_errors(void)
{
    vl_cptr_t ut = pool_untyped();
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t big = obj_new(VL_OBJ_UNTYPED, VL_ASID_POOL_BITS + 1);
    vl_cptr_t small = obj_new(VL_OBJ_UNTYPED, VL_ASID_POOL_BITS - 1);
    vl_cptr_t used = pool_untyped();
    vl_cptr_t child = slot_alloc();
    vl_cptr_t p = slot_alloc();
    CHECK(ut && ep && big && small && used && child && p);
    CHECK_EQ(vl_untyped_retype(used, VL_OBJ_ENDPOINT, 0, ROOT, 0, 0, child, 1), 0);
    vl_cptr_t caps[] = {ut, ROOT};
    vl_word_t args[] = {p, 64};

    /* In seL4's order: label, message, a free range, the untyped, its children, the
     * destination's lookup, the destination empty. */
    CHECK_ERR(vl_invoke(CONTROL, VL_ASID_POOL_ASSIGN, args, 2, caps, 2, NULL, 0),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_invoke(CONTROL, VL_ASID_CONTROL_MAKE_POOL, args, 1, caps, 2, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_invoke(CONTROL, VL_ASID_CONTROL_MAKE_POOL, args, 2, caps, 1, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_asid_control_make_pool(CONTROL, ep, ROOT, p, 64), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_asid_control_make_pool(CONTROL, big, ROOT, p, 64), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_asid_control_make_pool(CONTROL, small, ROOT, p, 64), VL_INVALID_CAPABILITY);
    /* Device memory: a 4 KiB device untyped, if the machine has device memory. */
    for (vl_word_t i = 0; i < g_bi->num_untyped; i++) {
        const struct vl_untyped_desc *d = &g_bi->untyped_list[i];
        vl_cptr_t dev_ut = g_bi->untyped.start + i;
        vl_cptr_t dev = slot_alloc();
        if (!d->is_device || d->size_bits < VL_ASID_POOL_BITS ||
            vl_untyped_retype(dev_ut, VL_OBJ_UNTYPED, VL_ASID_POOL_BITS, ROOT, 0, 0, dev, 1) != 0) {
            continue;
        }
        CHECK_ERR(vl_asid_control_make_pool(CONTROL, dev, ROOT, p, 64), VL_INVALID_CAPABILITY);
        CHECK_EQ(vl_last_error.mr[0], 1);
        CHECK_EQ(vl_cnode_revoke(ROOT, dev_ut, 64), 0);
        break;
    }
    CHECK_ERR(vl_asid_control_make_pool(CONTROL, used, ROOT, p, 64), VL_REVOKE_FIRST);
    CHECK_ERR(vl_asid_control_make_pool(CONTROL, ut, ep, p, 64), VL_FAILED_LOOKUP);
    CHECK_ERR(vl_asid_control_make_pool(CONTROL, ut, ROOT, p, 0), VL_RANGE_ERROR);
    CHECK_ERR(vl_asid_control_make_pool(CONTROL, ut, ROOT, ep, 64), VL_DELETE_FIRST);
    /* Nothing changed: the untyped is still whole and the slot empty. */
    CHECK_TYPE(p, VL_CAP_NULL);
    vl_cptr_t probe = slot_alloc();
    CHECK_EQ(vl_untyped_retype(ut, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, probe, 1), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, probe, 64), 0);

    /* Success: a pool cap; the untyped is used up by it. */
    CHECK_EQ(vl_asid_control_make_pool(CONTROL, ut, ROOT, p, 64), 0);
    CHECK_TYPE(p, VL_CAP_ASID_POOL);
    CHECK_ERR(vl_untyped_retype(ut, VL_OBJ_ENDPOINT, 0, ROOT, 0, 0, probe, 1),
              VL_NOT_ENOUGH_MEMORY);
    CHECK_ERR(vl_asid_control_make_pool(CONTROL, ut, ROOT, probe, 64), VL_REVOKE_FIRST);

    /* The ranges run out (two are taken by the first task and the harness): DeleteFirst,
     * before the untyped is even looked at. */
    vl_word_t made = 1;
    vl_cptr_t last = 0;
    for (;;) {
        vl_cptr_t q = pool_new();
        if (q == 0) {
            break;
        }
        last = q;
        made++;
    }
    CHECK_EQ(vl_last_error.code, VL_DELETE_FIRST);
    CHECK_EQ(made, NUM_RANGES - 2);
    CHECK_ERR(vl_asid_control_make_pool(CONTROL, ep, ROOT, probe, 64), VL_DELETE_FIRST);
    /* Deleting a pool gives its range back. */
    CHECK_EQ(vl_cnode_delete(ROOT, last, 64), 0);
    CHECK(pool_new() != 0);
    CHECK_EQ(vl_debug_check(), 0);
}

static void
test_asid_assign_errors(void)
{
    vl_cptr_t pool = pool_new();
    vl_cptr_t vs = obj_new(VL_OBJ_VSPACE, 0);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    vl_cptr_t frame = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t pt = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t copy = slot_alloc();
    CHECK(pool && vs && ep && tcb && frame && pt && copy);

    /* A VSpace without an ASID: no thread, no mapping, no copy. */
    CHECK_ERR(vl_tcb_configure(tcb, 0, ROOT, 0, vs, 0, 0), VL_INVALID_CAPABILITY);
    CHECK_ERR(vl_frame_map(frame, vs, AREA, RW, 0), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_page_table_map(pt, vs, AREA), VL_INVALID_CAPABILITY);
    CHECK_ERR(vl_cnode_copy(ROOT, copy, 64, ROOT, vs, 64, VL_RIGHTS_ALL), VL_ILLEGAL_OPERATION);
    CHECK_TYPE(copy, VL_CAP_NULL);

    vl_cptr_t caps[] = {vs};
    CHECK_ERR(vl_invoke(pool, VL_ASID_CONTROL_MAKE_POOL, NULL, 0, caps, 1, NULL, 0),
              VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_invoke(pool, VL_ASID_POOL_ASSIGN, NULL, 0, caps, 0, NULL, 0),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_asid_pool_assign(pool, ep), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_asid_pool_assign(frame, vs), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_asid_pool_assign(CONTROL, vs), VL_ILLEGAL_OPERATION);

    /* Success: then everything takes it; a second ASID is refused, from any pool. */
    CHECK_EQ(vl_asid_pool_assign(pool, vs), 0);
    CHECK_ERR(vl_asid_pool_assign(pool, vs), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_asid_pool_assign(g_asid_pool, vs), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_cnode_copy(ROOT, copy, 64, ROOT, vs, 64, VL_RIGHTS_ALL), 0);
    CHECK_ERR(vl_asid_pool_assign(pool, copy), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_tcb_configure(tcb, 0, ROOT, 0, copy, 0, 0), 0);
    CHECK_EQ(vl_page_table_map(pt, vs, AREA), 0);
    CHECK_EQ(vl_debug_check(), 0);
}

/* One pool hands out VL_ASID_POOL_SIZE ASIDs; then DeleteFirst, while another pool's
 * holder is unaffected; deleting a VSpace gives its ASID back. */
static void
test_asid_pool_exhausted(void)
{
    vl_cptr_t pool = pool_new();
    vl_cptr_t mem = slot_alloc();
    vl_cptr_t vs = slots_alloc(VL_ASID_POOL_SIZE + 1);
    CHECK(pool && mem && vs);
    CHECK_EQ(vl_untyped_retype(g_big, VL_OBJ_UNTYPED, 22, ROOT, 0, 0, mem, 1), 0);
    /* 513 VSpaces (2 MiB and a page), at most 256 per retype. */
    CHECK_EQ(vl_untyped_retype(mem, VL_OBJ_VSPACE, 0, ROOT, 0, 0, vs, 256), 0);
    CHECK_EQ(vl_untyped_retype(mem, VL_OBJ_VSPACE, 0, ROOT, 0, 0, vs + 256, 256), 0);
    CHECK_EQ(vl_untyped_retype(mem, VL_OBJ_VSPACE, 0, ROOT, 0, 0, vs + 512, 1), 0);
    for (vl_word_t i = 0; i < VL_ASID_POOL_SIZE; i++) {
        CHECK_EQ(vl_asid_pool_assign(pool, vs + i), 0);
    }
    vl_cptr_t extra = vs + VL_ASID_POOL_SIZE;
    CHECK_ERR(vl_asid_pool_assign(pool, extra), VL_DELETE_FIRST);
    /* The harness's pool still serves its holder. */
    vl_cptr_t other = vspace_new();
    CHECK(other != 0);
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    CHECK(tcb != 0);
    CHECK_EQ(vl_tcb_configure(tcb, 0, ROOT, 0, other, 0, 0), 0);
    /* A copy going keeps the ASID; the last cap going frees it. */
    vl_cptr_t copy = slot_alloc();
    CHECK_EQ(vl_cnode_copy(ROOT, copy, 64, ROOT, vs + 100, 64, VL_RIGHTS_ALL), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, copy, 64), 0);
    CHECK_ERR(vl_asid_pool_assign(pool, extra), VL_DELETE_FIRST);
    CHECK_EQ(vl_cnode_delete(ROOT, vs + 100, 64), 0);
    CHECK_EQ(vl_asid_pool_assign(pool, extra), 0);
    CHECK_EQ(vl_debug_check(), 0);
}

/*
 * A "component" holding untyped memory and no pool: a thread whose CSpace has only an
 * untyped, its own CNode and an endpoint to report on. It retypes VSpaces, frames, page
 * tables and a TCB, and tries to use a VSpace; it reports each error code.
 */
enum { C_UT = 1, C_CNODE = 2, C_EP = 3, C_VS = 4, C_FRAME = 5, C_PT = 6, C_TCB = 7, C_COPY = 8 };
#define C_BITS 6
#define C_MANY 16

static void
untyped_only_main(vl_word_t arg)
{
    (void)arg;
    vl_word_t r[VL_MSG_REGS] = {0};
    int e = vl_untyped_retype(C_UT, VL_OBJ_VSPACE, 0, C_CNODE, 0, 0, C_VS, 1);
    e |= vl_untyped_retype(C_UT, VL_OBJ_FRAME_4K, 0, C_CNODE, 0, 0, C_FRAME, 1);
    e |= vl_untyped_retype(C_UT, VL_OBJ_PAGE_TABLE, 0, C_CNODE, 0, 0, C_PT, 1);
    e |= vl_untyped_retype(C_UT, VL_OBJ_TCB, 0, C_CNODE, 0, 0, C_TCB, 1);
    /* As many VSpaces as it likes: they cost memory, no ASIDs. */
    e |= vl_untyped_retype(C_UT, VL_OBJ_VSPACE, 0, C_CNODE, 0, 0, 32, C_MANY);
    r[0] = (vl_word_t)e;
    r[1] = (vl_word_t)vl_frame_map(C_FRAME, C_VS, AREA, RW, 0) |
           (vl_word_t)vl_page_table_map(C_PT, C_VS, AREA) << 8 |
           (vl_word_t)vl_tcb_configure(C_TCB, 0, C_CNODE, 64 - C_BITS, C_VS, 0, 0) << 16 |
           (vl_word_t)vl_cnode_copy(C_CNODE, C_COPY, 64, C_CNODE, C_VS, 64, VL_RIGHTS_ALL) << 24;
    /* Its untyped cannot stand in for a pool, nor anything else it has. */
    r[2] = (vl_word_t)vl_asid_pool_assign(C_UT, C_VS) |
           (vl_word_t)vl_asid_pool_assign(C_CNODE, C_VS) << 8 |
           (vl_word_t)vl_asid_control_make_pool(C_CNODE, C_UT, C_CNODE, C_COPY, 64) << 16;
    vl_call(C_EP, vl_msginfo(0, 0, 0, 3), r);
}

static void
test_asid_untyped_is_not_enough(void)
{
    vl_cptr_t cn = obj_new(VL_OBJ_CNODE, C_BITS);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(cn && ep);
    CHECK_EQ(vl_untyped_retype(t_ut, VL_OBJ_UNTYPED, 17, cn, 0, 0, C_UT, 1), 0);
    CHECK_EQ(vl_cnode_mint(cn, C_CNODE, C_BITS, ROOT, cn, 64, VL_RIGHTS_ALL, 64 - C_BITS), 0);
    CHECK_EQ(vl_cnode_copy(cn, C_EP, C_BITS, ROOT, ep, 64, VL_RIGHTS_ALL), 0);
    struct kthread *t = thread_create(untyped_only_main, 0, 100, 0, cn, 64 - C_BITS);
    CHECK(t != NULL);
    CHECK_EQ(thread_start(t), 0);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(m.mr[0], 0);
    CHECK_EQ(m.mr[1], VL_INVALID_CAPABILITY | VL_INVALID_CAPABILITY << 8 |
                          VL_INVALID_CAPABILITY << 16 | VL_ILLEGAL_OPERATION << 24);
    CHECK_EQ(m.mr[2],
             VL_ILLEGAL_OPERATION | VL_ILLEGAL_OPERATION << 8 | VL_ILLEGAL_OPERATION << 16);
    /* Nobody else noticed: the harness's pool still has ASIDs. */
    CHECK(vspace_new() != 0);
    CHECK_EQ(vl_tcb_suspend(t->tcb), 0);
}

/*
 * Deleting a pool while a thread runs in one of its VSpaces. The thread counts in a
 * frame it shares with the root task: "1: ld t0, 0(a0); addi t0, t0, 1; sd t0, 0(a0);
 * j 1b". After the deletion the VSpace is unusable for anything new, the thread keeps its
 * address space (ASID reserved, mappings kept), and deleting the counter's frame cap still
 * unmaps it there: the thread's next store faults.
 */
#define CODE_VA 0x10000ul
#define DATA_VA 0x20000ul

static void
test_asid_pool_deleted_under_a_thread(void)
{
    vl_cptr_t pool = pool_new();
    vl_cptr_t vs = obj_new(VL_OBJ_VSPACE, 0);
    vl_cptr_t code = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t data = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t code2 = slot_alloc(), data2 = slot_alloc();
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0), tcb2 = obj_new(VL_OBJ_TCB, 0);
    vl_cptr_t fep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t frame = obj_new(VL_OBJ_FRAME_4K, 0);
    CHECK(pool && vs && code && data && code2 && data2 && tcb && tcb2 && fep && frame);
    CHECK_EQ(vl_asid_pool_assign(pool, vs), 0);
    CHECK_EQ(map_page(VL_CAP_INIT_VSPACE, code, AREA, RW, 0), 0);
    CHECK_EQ(map_page(VL_CAP_INIT_VSPACE, data, AREA + VL_PAGE_SIZE, RW, 0), 0);
    volatile uint32_t *insn = (volatile uint32_t *)AREA;
    insn[0] = 0x00053283; /* ld t0, 0(a0) */
    insn[1] = 0x00128293; /* addi t0, t0, 1 */
    insn[2] = 0x00553023; /* sd t0, 0(a0) */
    insn[3] = 0xff5ff06f; /* j -12 */
    volatile vl_word_t *count = (volatile vl_word_t *)(AREA + VL_PAGE_SIZE);
    CHECK_EQ(vl_cnode_copy(ROOT, code2, 64, ROOT, code, 64, RW), 0);
    CHECK_EQ(vl_cnode_copy(ROOT, data2, 64, ROOT, data, 64, RW), 0);
    CHECK_EQ(map_page(vs, code2, CODE_VA, VL_RIGHT_READ, 0), 0);
    CHECK_EQ(map_page(vs, data2, DATA_VA, RW, VL_MAP_EXECUTE_NEVER), 0);
    CHECK_EQ(vl_tcb_configure(tcb, fep, ROOT, 0, vs, 0, 0), 0);
    /* Priority 1, as the settler's: settle() returns after it has had the processor. */
    CHECK_EQ(vl_tcb_set_priority(tcb, VL_CAP_INIT_TCB, 1), 0);
    vl_word_t regs[VL_NUM_REGISTERS] = {0};
    regs[VL_REG_PC] = CODE_VA;
    regs[VL_REG_A0] = DATA_VA;
    CHECK_EQ(vl_tcb_write_registers(tcb, 1, VL_NUM_REGISTERS, regs), 0);
    while (*count == 0) {
        SETTLE();
    }

    /* Delete the pool (its only cap): the VSpace is orphaned. */
    CHECK_EQ(vl_cnode_delete(ROOT, pool, 64), 0);
    CHECK_EQ(vl_debug_check(), 0);
    vl_word_t before = *count;
    while (*count == before) {
        SETTLE();
    }
    CHECK_ERR(vl_tcb_configure(tcb2, fep, ROOT, 0, vs, 0, 0), VL_INVALID_CAPABILITY);
    CHECK_ERR(vl_tcb_set_space(tcb2, fep, ROOT, 0, vs), VL_INVALID_CAPABILITY);
    CHECK_ERR(vl_frame_map(frame, vs, DATA_VA + VL_PAGE_SIZE, RW, 0), VL_INVALID_CAPABILITY);
    CHECK_ERR(vl_asid_pool_assign(g_asid_pool, vs), VL_INVALID_CAPABILITY);
    /* Its range is kept while the VSpace lives: the other ranges fill up first. */
    while (pool_new() != 0) {
    }
    CHECK_EQ(vl_last_error.code, VL_DELETE_FIRST);
    /* Deleting the counter's frame cap unmaps it from the orphaned VSpace. */
    CHECK_EQ(vl_cnode_delete(ROOT, data2, 64), 0);
    struct vl_msg m = vl_recv(fep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_VM);
    CHECK_EQ(m.mr[1], DATA_VA);
    before = *count;
    /* The VSpace's last caps go (revoking takes the thread's copy): the range is free. */
    CHECK_EQ(vl_cnode_revoke(ROOT, vs, 64), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, vs, 64), 0);
    CHECK_EQ(vl_debug_check(), 0);
    CHECK(pool_new() != 0);
    CHECK_EQ(*count, before);
    CHECK_EQ(vl_tcb_suspend(tcb), 0);
}

void
asid_tests(void)
{
    RUN(test_asid_boot_caps);
    RUN(test_asid_make_pool_errors);
    RUN(test_asid_assign_errors);
    RUN(test_asid_pool_exhausted);
    RUN(test_asid_untyped_is_not_enough);
    RUN(test_asid_pool_deleted_under_a_thread);
}
