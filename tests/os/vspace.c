/*
 * Virtual memory: Frame and PageTable map/unmap at every page size we can afford, rights
 * enforcement, unmap on delete and revoke, a page fault repaired by its handler, and
 * isolation between address spaces. Mappings go into a region of the root task's VSpace
 * that nothing else uses; the harness's clean-up deletes the page tables and frames.
 */
#include "ktest.h"

#define VS VL_CAP_INIT_VSPACE
#define AREA 0x2000000000ul /* 128 GiB: a gigabyte nothing else maps */
#define RW (VL_RIGHT_READ | VL_RIGHT_WRITE)

static volatile vl_word_t seen[4];
static volatile vl_word_t victim = 0x5eed;

/* A page table from this run's memory, for vl_frame_map_tables. */
static int
new_table(void *ctx, vl_cptr_t *pt)
{
    (void)ctx;
    *pt = obj_new(VL_OBJ_PAGE_TABLE, 0);
    return *pt != 0 ? 0 : VL_NOT_ENOUGH_MEMORY;
}

int
map_page(vl_cptr_t vs, vl_cptr_t frame, vl_word_t va, vl_word_t rights, vl_word_t attr)
{
    return vl_frame_map_tables(frame, vs, va, rights, attr, new_table, NULL);
}

static void
test_frame_map_4k(void)
{
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t copy = slot_alloc();
    CHECK(f != 0 && copy != 0);
    CHECK_EQ(map_page(VS, f, AREA, RW, 0), 0);
    volatile vl_word_t *p = (volatile vl_word_t *)AREA;
    CHECK_EQ(p[0], 0); /* fresh frames are zero */
    p[0] = 0x1234;
    /* A copy of the cap maps the same frame elsewhere. */
    CHECK_EQ(vl_cnode_copy(ROOT, copy, 64, ROOT, f, 64, RW), 0);
    CHECK_EQ(map_page(VS, copy, AREA + 0x1000, VL_RIGHT_READ, 0), 0);
    CHECK_EQ(((volatile vl_word_t *)(AREA + 0x1000))[0], 0x1234);
    vl_word_t pa, va, pa2, va2;
    CHECK_EQ(vl_frame_get_address(f, &pa, &va), 0);
    CHECK_EQ(vl_frame_get_address(copy, &pa2, &va2), 0);
    CHECK_EQ(pa, pa2);
    CHECK_EQ(va, AREA);
    CHECK_EQ(va2, AREA + 0x1000);
    CHECK_EQ(vl_frame_unmap(copy), 0);
    CHECK_EQ(vl_frame_get_address(copy, &pa2, &va2), 0);
    CHECK_EQ(va2, 0);
    CHECK_EQ(vl_frame_unmap(copy), 0); /* unmapping an unmapped cap is harmless */
    CHECK_EQ(vl_frame_unmap(f), 0);
}

static void
test_frame_map_2m(void)
{
    /* A 2 MiB frame needs a 2 MiB untyped: take one from a RAM untyped of its own. */
    vl_cptr_t big = 0;
    for (vl_word_t i = 0; i < g_bi->num_untyped && big == 0; i++) {
        const struct vl_untyped_desc *d = &g_bi->untyped_list[i];
        vl_cptr_t cap = g_bi->untyped.start + i;
        if (!d->is_device && d->size_bits == 22 && cap != t_ut) {
            big = cap;
        }
    }
    CHECK(big != 0);
    vl_cptr_t f = slot_alloc();
    CHECK_EQ(vl_untyped_retype(big, VL_OBJ_FRAME_2M, 0, ROOT, 0, 0, f, 1), 0);
    vl_word_t va2m = AREA + (4ul << 20);
    int err = map_page(VS, f, va2m, RW, 0);
    if (err == 0) {
        volatile vl_word_t *p = (volatile vl_word_t *)va2m;
        p[0] = 1;
        p[(2ul << 20) / 8 - 1] = 2; /* last word of the 2 MiB page */
        CHECK_EQ(p[0] + p[(2ul << 20) / 8 - 1], 3);
        CHECK_EQ(vl_frame_map(f, VS, va2m + 0x1000, RW, 0), VL_INVALID_CAPABILITY);
        CHECK_EQ(vl_frame_unmap(f), 0);
        /* Misaligned for its size. */
        CHECK_ERR(vl_frame_map(f, VS, va2m + 0x1000, RW, 0), VL_ALIGNMENT_ERROR);
    }
    CHECK_EQ(vl_cnode_revoke(ROOT, big, 64), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, f, 64), 0);
    CHECK_EQ(err, 0);
}

/*
 * A 1 GiB frame, mapped straight into the root table. Needs a 1 GiB untyped: the suite
 * runs with 2 GiB of RAM so that one exists; with less memory the test is skipped.
 */
static void
test_frame_map_1g(void)
{
    vl_cptr_t big = 0;
    for (vl_word_t i = 0; i < g_bi->num_untyped && big == 0; i++) {
        const struct vl_untyped_desc *d = &g_bi->untyped_list[i];
        vl_cptr_t cap = g_bi->untyped.start + i;
        if (!d->is_device && d->size_bits >= 30 && cap != t_ut && cap != g_big) {
            big = cap;
        }
    }
    if (big == 0) {
        test_skip("no 1 GiB untyped (run QEMU with at least 2 GiB of RAM)");
        return;
    }
    vl_cptr_t f = slot_alloc();
    CHECK_EQ(vl_untyped_retype(big, VL_OBJ_FRAME_1G, 0, ROOT, 0, 0, f, 1), 0);
    vl_word_t va = 0x3000000000ul; /* 192 GiB: its own root-table entry */
    CHECK_ERR(vl_frame_map(f, VS, va + (2ul << 20), RW, 0), VL_ALIGNMENT_ERROR);
    int err = vl_frame_map(f, VS, va, RW, 0);
    if (err == 0) {
        volatile vl_word_t *p = (volatile vl_word_t *)va;
        p[0] = 11;
        p[(1ul << 30) / 8 - 1] = 22;
        err = (p[0] + p[(1ul << 30) / 8 - 1] == 33) ? 0 : -1;
        vl_word_t pa, mva;
        CHECK_EQ(vl_frame_get_address(f, &pa, &mva), 0);
        CHECK_EQ(mva, va);
        CHECK_EQ(pa & ((1ul << 30) - 1), 0);
        CHECK_EQ(vl_frame_unmap(f), 0);
    }
    CHECK_EQ(vl_cnode_delete(ROOT, f, 64), 0);
    CHECK_EQ(vl_cnode_revoke(ROOT, big, 64), 0);
    CHECK_EQ(err, 0);
}

static void
test_frame_map_errors(void)
{
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t ro = slot_alloc();
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(f != 0 && ro != 0 && ep != 0);
    vl_word_t args[2] = {AREA, RW};
    vl_cptr_t caps[1] = {VS};
    CHECK_ERR(vl_invoke(f, VL_FRAME_MAP, args, 2, caps, 1, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_frame_map(f, ep, AREA, RW, 0), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_frame_map(f, VS, AREA + 8, RW, 0), VL_ALIGNMENT_ERROR);
    CHECK_ERR(vl_frame_map(f, VS, VL_USER_TOP, RW, 0), VL_INVALID_ARGUMENT);
    CHECK_EQ(vl_last_error.mr[0], 0);
    CHECK_ERR(vl_frame_map(f, VS, AREA, VL_RIGHT_WRITE, 0), VL_INVALID_ARGUMENT);
    CHECK_EQ(vl_last_error.mr[0], 1);
    /* No page table yet under AREA: the lookup fails. */
    CHECK_ERR(vl_frame_map(f, VS, AREA, RW, 0), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[1], VL_LOOKUP_MISSING_CAP);
    vl_word_t pa, va;
    CHECK_EQ(vl_frame_get_address(f, &pa, &va), 0);
    CHECK_EQ(va, 0); /* nothing changed */
    CHECK_EQ(map_page(VS, f, AREA, RW, 0), 0);
    /* Mapping the same cap elsewhere, or another frame on top: refused. */
    CHECK_ERR(vl_frame_map(f, VS, AREA + 0x1000, RW, 0), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 0);
    vl_cptr_t g = obj_new(VL_OBJ_FRAME_4K, 0);
    CHECK_ERR(vl_frame_map(g, VS, AREA, RW, 0), VL_DELETE_FIRST);
    CHECK_EQ(vl_frame_get_address(g, &pa, &va), 0);
    CHECK_EQ(va, 0);
    /* Remapping the same cap at the same place changes its rights. */
    CHECK_EQ(vl_frame_map(f, VS, AREA, VL_RIGHT_READ, 0), 0);
    /* A read-only cap cannot give write access. */
    CHECK_EQ(vl_cnode_copy(ROOT, ro, 64, ROOT, g, 64, VL_RIGHT_READ), 0);
    CHECK_EQ(map_page(VS, ro, AREA + 0x2000, RW, 0), 0);
    CHECK_ERR(vl_invoke(f, 77, NULL, 0, NULL, 0, NULL, 0), VL_ILLEGAL_OPERATION);
}

static void
test_page_table_errors(void)
{
    vl_cptr_t pt = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t pt2 = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t copy = slot_alloc();
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(pt != 0 && pt2 != 0 && copy != 0 && ep != 0);
    CHECK_ERR(vl_invoke(pt, VL_PAGE_TABLE_MAP, NULL, 0, NULL, 0, NULL, 0), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(vl_page_table_map(pt, ep, AREA), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 1);
    CHECK_ERR(vl_page_table_map(pt, VS, VL_USER_TOP), VL_INVALID_ARGUMENT);
    CHECK_EQ(vl_page_table_map(pt, VS, AREA), 0);
    CHECK_ERR(vl_page_table_map(pt, VS, AREA), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 0);
    CHECK_EQ(vl_page_table_map(pt2, VS, AREA), 0); /* the next level down */
    vl_cptr_t pt3 = obj_new(VL_OBJ_PAGE_TABLE, 0);
    CHECK_ERR(vl_page_table_map(pt3, VS, AREA), VL_DELETE_FIRST);
    /* Unmapping needs the last cap. */
    CHECK_EQ(vl_cnode_copy(ROOT, copy, 64, ROOT, pt2, 64, RW), 0);
    CHECK_ERR(vl_page_table_unmap(pt2), VL_REVOKE_FIRST);
    CHECK_EQ(vl_cnode_delete(ROOT, copy, 64), 0);
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    CHECK_EQ(vl_frame_map(f, VS, AREA, RW, 0), 0);
    *(volatile vl_word_t *)AREA = 7;
    CHECK_EQ(vl_page_table_unmap(pt2), 0);
    /* The frame is unreachable now; a new table maps again and the frame can return. */
    CHECK_EQ(vl_page_table_map(pt3, VS, AREA), 0);
    CHECK_EQ(vl_frame_unmap(f), 0);
    CHECK_EQ(vl_frame_map(f, VS, AREA, RW, 0), 0);
    CHECK_EQ(*(volatile vl_word_t *)AREA, 7);
    CHECK_ERR(vl_invoke(pt, 77, NULL, 0, NULL, 0, NULL, 0), VL_ILLEGAL_OPERATION);
}

/* Child: reads arg's address, records progress (returning suspends it). */
static void
reader(vl_word_t addr)
{
    seen[2] = *(volatile vl_word_t *)addr;
    seen[3] = 1;
}

/*
 * Deleting the cap that mapped a page table unmaps it even while copies of the cap remain:
 * nothing may keep pointing at a table whose caps can all be deleted.
 */
static void
test_page_table_delete_mapping_cap(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t pt1 = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t pt2 = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t copy = slot_alloc();
    CHECK(ep && pt1 && pt2 && f && copy);
    CHECK_EQ(vl_page_table_map(pt1, VS, AREA), 0);
    CHECK_EQ(vl_page_table_map(pt2, VS, AREA), 0);
    CHECK_EQ(vl_frame_map(f, VS, AREA, RW, 0), 0);
    *(volatile vl_word_t *)AREA = 42;
    CHECK_EQ(vl_cnode_copy(ROOT, copy, 64, ROOT, pt2, 64, RW), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, pt2, 64), 0);
    seen[3] = 0;
    CHECK(thread_new(reader, AREA, 100, ep) != NULL);
    SETTLE();
    CHECK_EQ(seen[3], 0); /* it could not read: the table is gone */
    struct vl_msg m = vl_nb_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_VM);
    CHECK_EQ(m.mr[1], AREA);
    /* The copy (unmapped) can map the same table again, with the frame still in it. */
    CHECK_EQ(vl_page_table_map(copy, VS, AREA), 0);
    CHECK_EQ(*(volatile vl_word_t *)AREA, 42);
    CHECK_EQ(vl_cnode_delete(ROOT, copy, 64), 0);
}

/* Child: writes arg's address, records progress (returning suspends it). */
static void
writer(vl_word_t addr)
{
    seen[0] = 1;
    *(volatile vl_word_t *)addr = 0xbeef;
    seen[1] = 1;
}

/* Child: calls the code at addr. */
static void
jumper(vl_word_t addr)
{
    ((void (*)(void))addr)();
    seen[2] = 1;
}

static void
test_rights_enforced(void)
{
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(f != 0 && ep != 0);
    CHECK_EQ(map_page(VS, f, AREA, VL_RIGHT_READ, 0), 0);
    seen[0] = seen[1] = 0;
    CHECK(thread_new(writer, AREA, 100, ep) != NULL);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_VM);
    CHECK_EQ(m.mr[1], AREA);
    CHECK_EQ(m.mr[2], 0); /* not a fetch */
    CHECK_EQ(m.mr[3], 2); /* a write */
    CHECK_EQ(seen[0], 1);
    CHECK_EQ(seen[1], 0);
    /* Non-executable page: put a "ret" there and jump to it. */
    vl_cptr_t code = obj_new(VL_OBJ_FRAME_4K, 0);
    CHECK_EQ(map_page(VS, code, AREA + 0x1000, RW, VL_MAP_EXECUTE_NEVER), 0);
    *(volatile uint32_t *)(AREA + 0x1000) = 0x00008067; /* ret */
    seen[2] = 0;
    CHECK(thread_new(jumper, AREA + 0x1000, 100, ep) != NULL);
    m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_VM);
    CHECK_EQ(m.mr[0], AREA + 0x1000);
    CHECK_EQ(m.mr[2], 1); /* instruction fetch */
    CHECK_EQ(m.mr[3], 4);
    CHECK_EQ(seen[2], 0);
}

static void
test_fault_repaired(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    CHECK(ep != 0 && f != 0);
    seen[0] = seen[1] = 0;
    CHECK(thread_new(writer, AREA + 0x3008, 100, ep) != NULL);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_VM);
    CHECK_EQ(m.mr[1], AREA + 0x3008);
    CHECK_EQ(seen[1], 0);
    /* Repair: map the page and resume; the store is retried and succeeds. */
    CHECK_EQ(map_page(VS, f, AREA + 0x3000, RW, 0), 0);
    vl_word_t none[VL_MSG_REGS] = {0};
    vl_reply(vl_msginfo(0, 0, 0, 0), none);
    SETTLE();
    CHECK_EQ(seen[1], 1);
    CHECK_EQ(*(volatile vl_word_t *)(AREA + 0x3008), 0xbeef);
}

static void
test_unmap_on_delete_and_revoke(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t copy = slot_alloc();
    CHECK(ep != 0 && f != 0 && copy != 0);
    CHECK_EQ(vl_cnode_copy(ROOT, copy, 64, ROOT, f, 64, RW), 0);
    CHECK_EQ(map_page(VS, copy, AREA, RW, 0), 0);
    *(volatile vl_word_t *)AREA = 1;
    /* Deleting the mapping cap unmaps: a child's access now faults. */
    CHECK_EQ(vl_cnode_delete(ROOT, copy, 64), 0);
    seen[0] = seen[1] = 0;
    CHECK(thread_new(writer, AREA, 100, ep) != NULL);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_VM);
    CHECK_EQ(m.mr[1], AREA);
    /* Revoking the original removes the mappings of its copies. */
    CHECK_EQ(vl_cnode_copy(ROOT, copy, 64, ROOT, f, 64, RW), 0);
    CHECK_EQ(map_page(VS, copy, AREA + 0x1000, RW, 0), 0);
    CHECK_EQ(vl_cnode_revoke(ROOT, f, 64), 0);
    CHECK_TYPE(copy, VL_CAP_NULL);
    seen[0] = seen[1] = 0;
    CHECK(thread_new(writer, AREA + 0x1000, 100, ep) != NULL);
    m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_VM);
    CHECK_EQ(m.mr[1], AREA + 0x1000);
}

/*
 * Isolation: a thread in a second address space runs two instructions,
 * "ld t0, 0(a0); j .", with a0 = the address of a variable of the root task. In its own
 * address space that address is not mapped, so the load faults and is reported.
 */
static void
test_isolation(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t vs = vspace_new();
    vl_cptr_t code = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t code2 = slot_alloc();
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    CHECK(ep != 0 && vs != 0 && code != 0 && code2 != 0 && tcb != 0);
    CHECK_EQ(map_page(VS, code, AREA, RW, 0), 0);
    volatile uint32_t *insn = (volatile uint32_t *)AREA;
    insn[0] = 0x00053283; /* ld t0, 0(a0) */
    insn[1] = 0x0000006f; /* j . */
    insn[2] = 0x00b53023; /* sd a1, 0(a0) */
    insn[3] = 0x0000006f; /* j . */
    CHECK_EQ(vl_cnode_copy(ROOT, code2, 64, ROOT, code, 64, RW), 0);
    CHECK_EQ(map_page(vs, code2, 0x10000, VL_RIGHT_READ, 0), 0);
    CHECK_EQ(vl_tcb_configure(tcb, ep, ROOT, 0, vs, 0, 0), 0);
    CHECK_EQ(vl_tcb_set_priority(tcb, VL_CAP_INIT_TCB, 100), 0);
    vl_word_t regs[VL_NUM_REGISTERS] = {0};
    regs[0] = 0x10000;
    regs[10] = (vl_word_t)&victim;
    regs[11] = 0xbad;
    CHECK_EQ(vl_tcb_write_registers(tcb, 1, VL_NUM_REGISTERS, regs), 0);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_VM);
    CHECK_EQ(m.mr[0], 0x10000);
    CHECK_EQ(m.mr[1], (vl_word_t)&victim);
    CHECK_EQ(m.mr[3], 1); /* a read */
    /* Now a write at the root task's variable: also a fault, and the variable is intact. */
    regs[0] = 0x10008;
    CHECK_EQ(vl_tcb_write_registers(tcb, 1, VL_NUM_REGISTERS, regs), 0);
    m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_VM);
    CHECK_EQ(m.mr[1], (vl_word_t)&victim);
    CHECK_EQ(m.mr[3], 2);
    CHECK_EQ(victim, 0x5eed);
    /* Deleting the VSpace (revoking it takes the TCB's copy too) leaves the thread
     * without an address space: it faults cleanly on its next instruction fetch. */
    CHECK_EQ(vl_cnode_revoke(ROOT, vs, 64), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, vs, 64), 0);
    regs[0] = 0x10000;
    CHECK_EQ(vl_tcb_write_registers(tcb, 1, VL_NUM_REGISTERS, regs), 0);
    m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_VM);
    CHECK_EQ(m.mr[0], 0x10000);
    CHECK_EQ(m.mr[2], 1); /* instruction fetch */
    CHECK_EQ(vl_tcb_suspend(tcb), 0);
}

void
vspace_tests(void)
{
    RUN(test_frame_map_4k);
    RUN(test_frame_map_2m);
    RUN(test_frame_map_1g);
    RUN(test_frame_map_errors);
    RUN(test_page_table_errors);
    RUN(test_page_table_delete_mapping_cap);
    RUN(test_rights_enforced);
    RUN(test_fault_repaired);
    RUN(test_unmap_on_delete_and_revoke);
    RUN(test_isolation);
}
