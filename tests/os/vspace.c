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

/* Starts a reader of addr; returns 0 if it read v, 1 if it faulted at addr (reported on
 * ep), -1 otherwise. */
static int
read_outcome(vl_cptr_t ep, vl_word_t addr, vl_word_t v)
{
    seen[2] = 0;
    seen[3] = 0;
    if (thread_new(reader, addr, 100, ep) == NULL || settle() != 0) {
        return -1;
    }
    if (seen[3] == 1) {
        return seen[2] == v ? 0 : -1;
    }
    struct vl_msg m = vl_nb_recv(ep);
    return vl_msginfo_label(m.info) == VL_FAULT_VM && m.mr[1] == addr ? 1 : -1;
}

/*
 * seL4's rule for page-table caps: an unmapped one cannot be copied (nor minted); a copy
 * of a mapped one carries the mapping and cannot map the table again; deleting a cap that
 * is not the last leaves the mapping; the last one unmaps and clears the table.
 */
static void
test_page_table_copy_rules(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t pt1 = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t pt0 = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t copy = slot_alloc();
    CHECK(ep && pt1 && pt0 && f && copy);
    CHECK_ERR(vl_cnode_copy(ROOT, copy, 64, ROOT, pt0, 64, RW), VL_ILLEGAL_OPERATION);
    CHECK_ERR(vl_cnode_mint(ROOT, copy, 64, ROOT, pt0, 64, RW, 0), VL_ILLEGAL_OPERATION);
    CHECK_TYPE(copy, VL_CAP_NULL);
    CHECK_EQ(vl_page_table_map(pt1, VS, AREA), 0);
    CHECK_EQ(vl_page_table_map(pt0, VS, AREA), 0);
    CHECK_EQ(vl_frame_map(f, VS, AREA, RW, 0), 0);
    *(volatile vl_word_t *)AREA = 42;
    CHECK_EQ(vl_cnode_copy(ROOT, copy, 64, ROOT, pt0, 64, RW), 0);
    CHECK_ERR(vl_page_table_map(copy, VS, AREA + (2ul << 20)), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_last_error.mr[0], 0);
    CHECK_ERR(vl_page_table_unmap(copy), VL_REVOKE_FIRST);
    /* Deleting the cap that mapped it: the copy still holds the mapping. */
    CHECK_EQ(vl_cnode_delete(ROOT, pt0, 64), 0);
    CHECK_EQ(read_outcome(ep, AREA, 42), 0);
    /* The last cap unmaps and clears: the frame is unreachable, also when it maps again. */
    CHECK_EQ(vl_page_table_unmap(copy), 0);
    CHECK_EQ(read_outcome(ep, AREA, 42), 1);
    CHECK_EQ(vl_page_table_map(copy, VS, AREA), 0);
    CHECK_EQ(read_outcome(ep, AREA, 42), 1);
    CHECK_EQ(vl_debug_check(), 0);
}

/* A 4 KiB untyped of its own, so that a frame's memory can be retyped after it. */
static vl_cptr_t
small_untyped(void)
{
    return obj_new(VL_OBJ_UNTYPED, VL_PAGE_BITS);
}

/* Child: waits on the endpoint in arg (so the endpoint's memory holds kernel pointers). */
static void
waiter(vl_word_t ep)
{
    (void)vl_recv(ep);
}

/*
 * Issue 10's attack on page-table copies: map table P through p with a copy p2, map frame
 * F through P, delete p, delete F, retype F's memory into an endpoint (with a thread
 * queued on it, so it holds kernel pointers), map p2 and read. The copy now carries the
 * mapping, so deleting p leaves P mapped, deleting F removes its entry, and p2 cannot map
 * P again: the endpoint's memory stays out of reach.
 */
static void
test_page_table_attack_detached(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t pt1 = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t p = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t u = small_untyped();
    vl_cptr_t f = slot_alloc(), p2 = slot_alloc(), kobj = slot_alloc();
    CHECK(ep && pt1 && p && u && f && p2 && kobj);
    CHECK_EQ(vl_untyped_retype(u, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, f, 1), 0);
    CHECK_EQ(vl_page_table_map(pt1, VS, AREA), 0);
    CHECK_EQ(vl_page_table_map(p, VS, AREA), 0);
    CHECK_EQ(vl_frame_map(f, VS, AREA, RW, 0), 0);
    *(volatile vl_word_t *)AREA = 42;
    CHECK_EQ(vl_cnode_copy(ROOT, p2, 64, ROOT, p, 64, RW), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, p, 64), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, f, 64), 0);
    CHECK_EQ(vl_untyped_retype(u, VL_OBJ_ENDPOINT, 0, ROOT, 0, 0, kobj, 1), 0);
    CHECK(thread_new(waiter, kobj, 100, 0) != NULL);
    SETTLE();
    CHECK_ERR(vl_page_table_map(p2, VS, AREA), VL_INVALID_CAPABILITY);
    CHECK_EQ(read_outcome(ep, AREA, 42), 1);
    CHECK_EQ(vl_debug_check(), 0);
}

/*
 * The two-level attack: table P in the root (entries of 2 MiB) mapped again below itself
 * through a copy would turn a 4 KiB leaf written into it into a 2 MiB page. The copy
 * carries P's one mapping and cannot map it; no level-0 table appears.
 */
static void
test_page_table_attack_two_levels(void)
{
    vl_cptr_t p = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t p2 = slot_alloc();
    CHECK(p && f && p2);
    CHECK_EQ(vl_page_table_map(p, VS, AREA), 0);
    CHECK_EQ(vl_cnode_copy(ROOT, p2, 64, ROOT, p, 64, RW), 0);
    CHECK_ERR(vl_page_table_map(p2, VS, AREA), VL_INVALID_CAPABILITY);
    CHECK_ERR(vl_frame_map(f, VS, AREA, RW, 0), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_last_error.mr[2], 21); /* the level-0 table is missing */
    CHECK_EQ(vl_debug_check(), 0);
}

/*
 * Moving a mapped page-table cap (Move, Mutate, Rotate) moves its mapping: the moved cap
 * is the one that unmaps. IPC transfer derives like Copy: an unmapped page-table cap is
 * not transferred, a mapped one arrives carrying the mapping.
 */
static void
pt_sender(vl_word_t ep)
{
    vl_ipc_buffer->caps_or_badges[0] = seen[0];
    vl_word_t mr[VL_MSG_REGS] = {7};
    vl_send(ep, vl_msginfo(0, 0, 1, 1), mr);
}

static void
test_page_table_cap_moves_and_transfer(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t p = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t q = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t a = slot_alloc(), b = slot_alloc(), recv = slot_alloc();
    CHECK(ep && p && q && a && b && recv);
    CHECK_EQ(vl_page_table_map(p, VS, AREA), 0);
    CHECK_EQ(vl_cnode_move(ROOT, a, 64, ROOT, p, 64), 0);
    CHECK_EQ(vl_cnode_mutate(ROOT, b, 64, ROOT, a, 64, 0), 0);
    CHECK_EQ(vl_cnode_rotate(ROOT, p, 64, 0, ROOT, b, 64, 0, ROOT, q, 64), 0);
    /* Now p holds the mapped table, b the unmapped one (q is empty). */
    CHECK_ERR(vl_page_table_map(p, VS, AREA + (1ul << 30)), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_page_table_map(b, VS, AREA), 0); /* below p's table: it is still mapped */
    CHECK_EQ(vl_page_table_unmap(b), 0);
    CHECK_EQ(vl_page_table_unmap(p), 0);
    CHECK_EQ(vl_page_table_map(b, VS, AREA), 0); /* in the root again: p's table is gone */
    /* IPC: the unmapped cap is not transferred; the mapped one is, with its mapping. */
    vl_ipc_buffer->receive_cnode = ROOT;
    vl_ipc_buffer->receive_index = recv;
    vl_ipc_buffer->receive_depth = 64;
    seen[0] = p;
    CHECK(thread_new(pt_sender, ep, 100, 0) != NULL);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_extra_caps(m.info), 0);
    CHECK_TYPE(recv, VL_CAP_NULL);
    seen[0] = b;
    CHECK(thread_new(pt_sender, ep, 100, 0) != NULL);
    m = vl_recv(ep);
    vl_ipc_buffer->receive_depth = 0;
    vl_ipc_buffer->receive_cnode = 0;
    CHECK_EQ(vl_msginfo_extra_caps(m.info), 1);
    CHECK_TYPE(recv, VL_CAP_PAGE_TABLE);
    CHECK_ERR(vl_page_table_map(recv, VS, AREA + (1ul << 30)), VL_INVALID_CAPABILITY);
    CHECK_ERR(vl_page_table_unmap(b), VL_REVOKE_FIRST);
    CHECK_EQ(vl_debug_check(), 0);
}

/*
 * A VSpace deleted while tables and frames are mapped in it. Their caps keep the record
 * of a mapping that no longer exists; the tables still hold their entries. A copy carries
 * that stale record, so nothing can map such a table until its last cap unmaps (clears)
 * it; the frame's stale record maps it nowhere else.
 */
static void
test_vspace_deleted_with_tables(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t vs2 = vspace_new();
    vl_cptr_t p1 = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t p0 = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t copy = slot_alloc();
    CHECK(ep && vs2 && p1 && p0 && f && copy);
    CHECK_EQ(vl_page_table_map(p1, vs2, AREA), 0);
    CHECK_EQ(vl_page_table_map(p0, vs2, AREA), 0);
    CHECK_EQ(vl_frame_map(f, vs2, AREA, RW, 0), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, vs2, 64), 0);
    CHECK_EQ(vl_debug_check(), 0);
    CHECK_ERR(vl_page_table_map(p0, VS, AREA), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_cnode_copy(ROOT, copy, 64, ROOT, p0, 64, RW), 0);
    CHECK_ERR(vl_page_table_map(copy, VS, AREA), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_cnode_delete(ROOT, copy, 64), 0);
    CHECK_EQ(vl_page_table_unmap(p1), 0);
    CHECK_EQ(vl_page_table_unmap(p0), 0);
    CHECK_EQ(vl_page_table_map(p1, VS, AREA), 0);
    CHECK_EQ(vl_page_table_map(p0, VS, AREA), 0);
    CHECK_EQ(read_outcome(ep, AREA, 0), 1); /* the frame's old entry is gone */
    CHECK_ERR(vl_frame_map(f, VS, AREA + 0x1000, RW, 0), VL_INVALID_CAPABILITY);
    CHECK_EQ(vl_frame_unmap(f), 0);
    CHECK_EQ(vl_frame_map(f, VS, AREA + 0x1000, RW, 0), 0);
    CHECK_EQ(vl_debug_check(), 0);
}

/*
 * Revoking the untyped a mapped table came from deletes all its caps; the last one
 * unmaps it. Its memory, retyped into an endpoint, is not reachable through the old
 * mapping.
 */
static void
test_page_table_revoked_untyped(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t pt1 = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t u = small_untyped();
    vl_cptr_t p = slot_alloc(), copy = slot_alloc(), kobj = slot_alloc();
    CHECK(ep && pt1 && f && u && p && copy && kobj);
    CHECK_EQ(vl_untyped_retype(u, VL_OBJ_PAGE_TABLE, 0, ROOT, 0, 0, p, 1), 0);
    CHECK_EQ(vl_page_table_map(pt1, VS, AREA), 0);
    CHECK_EQ(vl_page_table_map(p, VS, AREA), 0);
    CHECK_EQ(vl_frame_map(f, VS, AREA, RW, 0), 0);
    CHECK_EQ(vl_cnode_copy(ROOT, copy, 64, ROOT, p, 64, RW), 0);
    CHECK_EQ(read_outcome(ep, AREA, 0), 0);
    CHECK_EQ(vl_cnode_revoke(ROOT, u, 64), 0);
    CHECK_TYPE(p, VL_CAP_NULL);
    CHECK_TYPE(copy, VL_CAP_NULL);
    CHECK_EQ(vl_untyped_retype(u, VL_OBJ_ENDPOINT, 0, ROOT, 0, 0, kobj, 1), 0);
    CHECK_EQ(read_outcome(ep, AREA, 0), 1);
    CHECK_ERR(vl_frame_map(f, VS, AREA, RW, 0), VL_FAILED_LOOKUP);
    CHECK_EQ(vl_debug_check(), 0);
}

/*
 * A thread's IPC buffer slot holds an unmapped copy of the frame cap: the mapping stays
 * with the cap that made it, whose deletion unmaps the frame although the thread still
 * uses it as its buffer.
 */
static void
test_ipc_buffer_frame_copy(void)
{
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    CHECK(ep && f && tcb);
    CHECK_EQ(map_page(VS, f, AREA, RW, 0), 0);
    CHECK_EQ(vl_tcb_configure(tcb, 0, ROOT, 0, VS, AREA, f), 0);
    vl_word_t pa, va;
    CHECK_EQ(vl_frame_get_address(f, &pa, &va), 0);
    CHECK_EQ(va, AREA);
    CHECK_EQ(vl_cnode_delete(ROOT, f, 64), 0);
    CHECK_EQ(read_outcome(ep, AREA, 0), 1);
    CHECK_EQ(vl_debug_check(), 0);
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

/*
 * Item 7: a thread whose own VSpace's final cap is in its VTABLE slot replaces it
 * (TCB_SetSpace on itself, to the root task's VSpace). Its old VSpace dies inside the
 * call; the kernel leaves that root at once and the thread returns into its new space,
 * where the next instruction (after the ecall) is not mapped: a fetch fault. The memory
 * of the old root, retyped into a frame full of junk, harms nothing.
 *
 * The thread runs two instructions at CODE in its own VSpace, "ecall; j .", with the
 * registers of a TCB_SetSpace Call prepared by TCB_WriteRegisters; its IPC buffer is a
 * frame the root task also maps, to supply the two extra caps.
 */
static void
test_thread_replaces_own_vspace(void)
{
    const vl_word_t code_va = AREA + 0x5000, buf_va = AREA + 0x1000, junk_va = AREA + 0x2000;
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t u = small_untyped();
    vl_cptr_t code = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t buf = obj_new(VL_OBJ_FRAME_4K, 0);
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    vl_cptr_t vs2 = slot_alloc(), code2 = slot_alloc(), junk = slot_alloc();
    CHECK(ep && u && code && buf && tcb && vs2 && code2 && junk);
    CHECK_EQ(vl_untyped_retype(u, VL_OBJ_VSPACE, 0, ROOT, 0, 0, vs2, 1), 0);
    CHECK_EQ(vl_asid_pool_assign(g_asid_pool, vs2), 0);
    CHECK_EQ(map_page(VS, code, AREA, RW, 0), 0);
    volatile uint32_t *insn = (volatile uint32_t *)AREA;
    insn[0] = 0x00000073; /* ecall */
    insn[1] = 0x0000006f; /* j . */
    CHECK_EQ(vl_cnode_copy(ROOT, code2, 64, ROOT, code, 64, RW), 0);
    CHECK_EQ(map_page(vs2, code2, code_va, VL_RIGHT_READ, 0), 0);
    CHECK_EQ(map_page(VS, buf, buf_va, RW, 0), 0);
    CHECK_EQ(vl_tcb_configure(tcb, ep, ROOT, 0, vs2, buf_va, buf), 0);
    CHECK_EQ(vl_tcb_set_priority(tcb, VL_CAP_INIT_TCB, 100), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, vs2, 64), 0); /* the thread's slot has the last cap */
    struct vl_ipc_buffer *b = (struct vl_ipc_buffer *)buf_va;
    b->caps_or_badges[0] = ROOT;
    b->caps_or_badges[1] = VS;
    vl_word_t regs[VL_NUM_REGISTERS] = {0};
    regs[0] = code_va;
    regs[10] = tcb;
    regs[11] = vl_msginfo(VL_TCB_SET_SPACE, 0, 2, 3);
    regs[12] = ep; /* MR0: fault endpoint, MR1: CSpace data, MR2: unused */
    regs[17] = VL_SYS_CALL;
    CHECK_EQ(vl_tcb_write_registers(tcb, 1, VL_NUM_REGISTERS, regs), 0);
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_VM);
    CHECK_EQ(m.mr[0], code_va + 4);
    CHECK_EQ(m.mr[2], 1); /* an instruction fetch */
    CHECK_EQ(vl_tcb_read_registers(tcb, 1, VL_NUM_REGISTERS, regs), 0);
    CHECK_EQ(vl_msginfo_label(regs[11]), 0); /* SetSpace succeeded */
    /* The old root's memory is free: make it a frame full of junk. */
    CHECK_EQ(vl_untyped_retype(u, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, junk, 1), 0);
    CHECK_EQ(map_page(VS, junk, junk_va, RW, 0), 0);
    for (vl_word_t i = 0; i < 512; i++) {
        ((volatile vl_word_t *)junk_va)[i] = ~0ul;
    }
    CHECK_EQ(read_outcome(ep, AREA, 0x0000006f00000073ul), 0);
    CHECK_EQ(vl_debug_check(), 0);
}

void
vspace_tests(void)
{
    RUN(test_frame_map_4k);
    RUN(test_frame_map_2m);
    RUN(test_frame_map_1g);
    RUN(test_frame_map_errors);
    RUN(test_page_table_errors);
    RUN(test_page_table_copy_rules);
    RUN(test_page_table_attack_detached);
    RUN(test_page_table_attack_two_levels);
    RUN(test_page_table_cap_moves_and_transfer);
    RUN(test_vspace_deleted_with_tables);
    RUN(test_page_table_revoked_untyped);
    RUN(test_ipc_buffer_frame_copy);
    RUN(test_thread_replaces_own_vspace);
    RUN(test_rights_enforced);
    RUN(test_fault_repaired);
    RUN(test_unmap_on_delete_and_revoke);
    RUN(test_isolation);
}
