/*
 * Sv39 page tables (kernel/src/arch/riscv64/pagetable.c) on host memory: Frame and
 * PageTable invocations at every level, their errors, unmapping on delete, and ASIDs.
 * The shim's physical addresses are host addresses, so entries can be checked directly.
 */
#include "ktest.h"

#include "config.h"

struct pt {
    struct kt_caller c;
    word_t *root;
    word_t asid;
    struct cte *vs; /* VSpace cap */
};

static struct pt
pt_setup(void)
{
    struct pt x;
    x.c = kt_caller();
    x.root = kt_alloc(VL_VSPACE_BITS);
    x.vs = kt_vspace(x.root);
    x.asid = cap_vspace_asid(x.vs->cap);
    return x;
}

static exception_t
call(struct pt *x, struct cte *slot, word_t label, const word_t *args, word_t n, struct cte *e0)
{
    struct cte *extra[1] = {e0};
    struct invocation inv = kt_inv(&x->c, slot, label, args, n, e0 != NULL, extra);
    inv.rbuf = x->c.buf;
    return arch_decode_invocation(&inv);
}

static struct cte *
new_pt(void)
{
    return kt_insert(cap_page_table(kt_alloc(VL_PAGE_TABLE_BITS)));
}

/* Entry for va at level in the tables under root, or NULL when no table leads there. */
static word_t *
entry(word_t *root, vaddr_t va, int level)
{
    word_t *t = root;
    for (int l = 2; l > level; l--) {
        word_t e = t[pt_index(va, l)];
        if (!(e & PTE_V) || pte_is_leaf(e)) {
            return NULL;
        }
        t = (word_t *)(uintptr_t)pte_paddr(e);
    }
    return &t[pt_index(va, level)];
}

#define LEAF (PTE_V | PTE_U | PTE_A | PTE_D | PTE_R)

KTEST(pt_map_tables_and_4k_frame)
{
    struct pt x = pt_setup();
    vaddr_t va = 0x12345000;
    struct cte *l1 = new_pt(), *l0 = new_pt();
    /* The first table goes into the root (level 2), the second below it. */
    CHECK_EQ(call(&x, l1, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), EXCEPTION_NONE);
    CHECK_EQ(cap_page_table_level(l1->cap), 2);
    CHECK_EQ(cap_mapped_vaddr(l1->cap), ROUND_DOWN(va, 30));
    CHECK_EQ(cap_mapped_asid(l1->cap), x.asid);
    CHECK_EQ(x.root[pt_index(va, 2)], pte_make((paddr_t)(uintptr_t)cap_ptr(l1->cap), PTE_V));
    CHECK_EQ(call(&x, l0, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), EXCEPTION_NONE);
    CHECK_EQ(cap_page_table_level(l0->cap), 1);
    CHECK_EQ(cap_mapped_vaddr(l0->cap), ROUND_DOWN(va, 21));
    CHECK_EQ(host_last_flush_asid, x.asid);
    /* Both levels present: DeleteFirst. */
    struct cte *l2 = new_pt();
    kt_snap(x.root, BIT(12));
    kt_snap(l2, sizeof(*l2));
    CHECK_ERR(call(&x, l2, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), VL_DELETE_FIRST);
    void *mem = kt_alloc(12);
    struct cte *f = kt_insert(cap_frame(mem, FRAME_4K, false, VL_RIGHTS_ALL));
    word_t flushes = host_page_flushes;
    CHECK_EQ(call(&x, f, VL_FRAME_MAP, ARGS(va, VL_RIGHTS_ALL, 0), x.vs), EXCEPTION_NONE);
    CHECK_EQ(*entry(x.root, va, 0), pte_make((paddr_t)(uintptr_t)mem, LEAF | PTE_W | PTE_X));
    CHECK_EQ(host_page_flushes, flushes + 1);
    CHECK_EQ(host_last_flush_va, va);
    CHECK_EQ(cap_mapped_vaddr(f->cap), va);
    /* GetAddress: physical address and mapped address. */
    CHECK_EQ(call(&x, f, VL_FRAME_GET_ADDRESS, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK_EQ(ipc_get_mr(x.c.thread, x.c.buf, 0), (word_t)(uintptr_t)mem);
    CHECK_EQ(ipc_get_mr(x.c.thread, x.c.buf, 1), va);
    /* Remap at the same place with fewer rights and execute-never. */
    CHECK_EQ(call(&x, f, VL_FRAME_MAP, ARGS(va, VL_RIGHT_READ, 1), x.vs), EXCEPTION_NONE);
    CHECK_EQ(*entry(x.root, va, 0), pte_make((paddr_t)(uintptr_t)mem, LEAF));
    /* Unmap. */
    CHECK_EQ(call(&x, f, VL_FRAME_UNMAP, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK_EQ(*entry(x.root, va, 0), 0);
    CHECK(!cap_is_mapped(f->cap));
    CHECK_EQ(call(&x, f, VL_FRAME_UNMAP, NULL, 0, NULL), EXCEPTION_NONE);
    /* Map again, then delete the cap: the mapping goes. */
    CHECK_EQ(call(&x, f, VL_FRAME_MAP, ARGS(va, VL_RIGHTS_ALL, 0), x.vs), EXCEPTION_NONE);
    word_t calls = host_finalise_calls;
    CHECK_EQ(cte_delete(f), EXCEPTION_NONE);
    CHECK(host_finalise_calls > calls);
    CHECK_EQ(*entry(x.root, va, 0), 0);
    INV();
}

KTEST(pt_map_2m_and_1g_frames)
{
    struct pt x = pt_setup();
    struct cte *l1 = new_pt();
    vaddr_t va2 = 0x40200000, va1 = 0x80000000;
    CHECK_EQ(call(&x, l1, VL_PAGE_TABLE_MAP, ARGS(va2), x.vs), EXCEPTION_NONE);
    /* Frames are not touched: their memory need not exist on the host. */
    void *m2 = (void *)(uintptr_t)0x7e00000000ul, *m1 = (void *)(uintptr_t)0x7f00000000ul;
    struct cte *f2 = kt_insert(cap_frame(m2, FRAME_2M, false, VL_RIGHTS_ALL));
    struct cte *f1 = kt_insert(cap_frame(m1, FRAME_1G, true, VL_RIGHTS_ALL));
    CHECK_EQ(call(&x, f2, VL_FRAME_MAP, ARGS(va2, VL_RIGHTS_ALL, 0), x.vs), EXCEPTION_NONE);
    CHECK_EQ(*entry(x.root, va2, 1), pte_make((paddr_t)(uintptr_t)m2, LEAF | PTE_W | PTE_X));
    /* A device frame is never executable. */
    CHECK_EQ(call(&x, f1, VL_FRAME_MAP, ARGS(va1, VL_RIGHTS_ALL, 0), x.vs), EXCEPTION_NONE);
    CHECK_EQ(x.root[pt_index(va1, 2)], pte_make((paddr_t)(uintptr_t)m1, LEAF | PTE_W));
    /* A 4 KiB frame below a 2 MiB or 1 GiB leaf: DeleteFirst; PageTable_Map too. */
    struct cte *f4 = kt_insert(cap_frame(kt_alloc(12), FRAME_4K, false, VL_RIGHTS_ALL));
    struct cte *l0 = new_pt();
    kt_snap(x.root, BIT(12));
    kt_snap(cap_ptr(l1->cap), BIT(12));
    kt_snap(f4, sizeof(*f4));
    kt_snap(l0, sizeof(*l0));
    CHECK_ERR(call(&x, f4, VL_FRAME_MAP, ARGS(va2 + 0x3000, VL_RIGHTS_ALL, 0), x.vs),
              VL_DELETE_FIRST);
    CHECK_ERR(call(&x, f4, VL_FRAME_MAP, ARGS(va1 + 0x3000, VL_RIGHTS_ALL, 0), x.vs),
              VL_DELETE_FIRST);
    CHECK_ERR(call(&x, l0, VL_PAGE_TABLE_MAP, ARGS(va1), x.vs), VL_DELETE_FIRST);
    /* Deleting both frame caps unmaps both. */
    CHECK_EQ(cte_delete(f2), EXCEPTION_NONE);
    CHECK_EQ(cte_delete(f1), EXCEPTION_NONE);
    CHECK_EQ(*entry(x.root, va2, 1), 0);
    CHECK_EQ(x.root[pt_index(va1, 2)], 0);
    INV();
}

KTEST(pt_frame_map_errors)
{
    struct pt x = pt_setup();
    struct cte *f = kt_insert(cap_frame(kt_alloc(12), FRAME_4K, false, VL_RIGHTS_ALL));
    struct cte *f2 =
        kt_insert(cap_frame((void *)(uintptr_t)0x7e00000000ul, FRAME_2M, false, VL_RIGHTS_ALL));
    struct cte *ep = kt_insert(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL));
    /* A VSpace cap whose ASID names another root: the kernel never makes one (the
     * invariant checker reports it), so it stays outside the derivation tree. */
    struct cte *stale = kt_slot();
    stale->cap = cap_vspace(kt_alloc(12), x.asid);
    CHECK(arch_check_cap(stale->cap) != NULL);
    CHECK(arch_check_cap(x.vs->cap) == NULL);
    kt_snap(x.root, BIT(12));
    kt_snap(f, sizeof(*f));
    kt_snap(f2, sizeof(*f2));
    CHECK_ERR(call(&x, f, VL_FRAME_MAP, ARGS(0x1000, VL_RIGHTS_ALL), x.vs), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(call(&x, f, VL_FRAME_MAP, ARGS(0x1000, VL_RIGHTS_ALL, 0), NULL),
              VL_TRUNCATED_MESSAGE);
    CHECK_ERR(call(&x, f, VL_FRAME_MAP, ARGS(0x1000, VL_RIGHTS_ALL, 0), ep), VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(call(&x, f, VL_FRAME_MAP, ARGS(0x1000, VL_RIGHTS_ALL, 0), stale),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(call(&x, f2, VL_FRAME_MAP, ARGS(0x1000, VL_RIGHTS_ALL, 0), x.vs), VL_ALIGNMENT_ERROR);
    CHECK_ERR(call(&x, f, VL_FRAME_MAP, ARGS(0x1001, VL_RIGHTS_ALL, 0), x.vs), VL_ALIGNMENT_ERROR);
    CHECK_ERR(call(&x, f, VL_FRAME_MAP, ARGS(VL_USER_TOP, VL_RIGHTS_ALL, 0), x.vs),
              VL_INVALID_ARGUMENT);
    CHECK_EQ(current_syscall_error.invalid_argument, 0);
    CHECK_ERR(call(&x, f, VL_FRAME_MAP, ARGS(0x1000, VL_RIGHT_WRITE, 0), x.vs),
              VL_INVALID_ARGUMENT);
    CHECK_EQ(current_syscall_error.invalid_argument, 1);
    /* No tables: FailedLookup (not a source), missing cap at the root level. */
    CHECK_ERR(call(&x, f, VL_FRAME_MAP, ARGS(0x1000, VL_RIGHTS_ALL, 0), x.vs), VL_FAILED_LOOKUP);
    CHECK(!current_syscall_error.lookup_was_source);
    CHECK_EQ(current_lookup_fault.type, VL_LOOKUP_MISSING_CAP);
    CHECK_EQ(current_lookup_fault.bits_left, 30);
    /* Already mapped elsewhere: InvalidCapability 0. */
    kt_snap_reset();
    CHECK_EQ(call(&x, new_pt(), VL_PAGE_TABLE_MAP, ARGS(0x1000000000ul), x.vs), EXCEPTION_NONE);
    CHECK_EQ(call(&x, f2, VL_FRAME_MAP, ARGS(0x1000000000ul, VL_RIGHTS_ALL, 0), x.vs),
             EXCEPTION_NONE);
    kt_snap(x.root, BIT(12));
    kt_snap(f2, sizeof(*f2));
    CHECK_ERR(call(&x, f2, VL_FRAME_MAP, ARGS(0x1000200000ul, VL_RIGHTS_ALL, 0), x.vs),
              VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 0);
    /* Another frame where one is mapped: DeleteFirst. */
    struct cte *g =
        kt_insert(cap_frame((void *)(uintptr_t)0x7c00000000ul, FRAME_2M, false, VL_RIGHTS_ALL));
    CHECK_ERR(call(&x, g, VL_FRAME_MAP, ARGS(0x1000000000ul, VL_RIGHTS_ALL, 0), x.vs),
              VL_DELETE_FIRST);
    CHECK_ERR(call(&x, g, VL_PAGE_TABLE_MAP, NULL, 0, x.vs), VL_ILLEGAL_OPERATION);
    CHECK_ERR(call(&x, x.vs, VL_FRAME_MAP, NULL, 0, NULL), VL_ILLEGAL_OPERATION);
    INV();
}

KTEST(pt_page_table_map_unmap_errors)
{
    struct pt x = pt_setup();
    struct cte *l1 = new_pt();
    struct cte *ep = kt_insert(cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL));
    kt_snap(x.root, BIT(12));
    kt_snap(l1, sizeof(*l1));
    CHECK_ERR(call(&x, l1, VL_PAGE_TABLE_MAP, NULL, 0, x.vs), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(call(&x, l1, VL_PAGE_TABLE_MAP, ARGS(0), NULL), VL_TRUNCATED_MESSAGE);
    CHECK_ERR(call(&x, l1, VL_PAGE_TABLE_MAP, ARGS(0), ep), VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 1);
    CHECK_ERR(call(&x, l1, VL_PAGE_TABLE_MAP, ARGS(VL_USER_TOP), x.vs), VL_INVALID_ARGUMENT);
    CHECK_EQ(current_syscall_error.invalid_argument, 0);
    CHECK_ERR(call(&x, l1, VL_PAGE_TABLE_UNMAP + 5, NULL, 0, NULL), VL_ILLEGAL_OPERATION);
    kt_snap_reset();
    CHECK_EQ(call(&x, l1, VL_PAGE_TABLE_MAP, ARGS(0x200000), x.vs), EXCEPTION_NONE);
    kt_snap(x.root, BIT(12));
    kt_snap(l1, sizeof(*l1));
    CHECK_ERR(call(&x, l1, VL_PAGE_TABLE_MAP, ARGS(0x40000000), x.vs), VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 0);
    /* Unmap with a copy around: RevokeFirst. The copy is unmapped. */
    struct cte *copy = kt_slot();
    cte_insert(l1->cap, l1, copy);
    copy->cap.w1 = 0;
    kt_snap_reset();
    kt_snap(x.root, BIT(12));
    kt_snap(l1, sizeof(*l1));
    CHECK_ERR(call(&x, l1, VL_PAGE_TABLE_UNMAP, NULL, 0, NULL), VL_REVOKE_FIRST);
    CHECK_EQ(cte_delete(copy), EXCEPTION_NONE);
    CHECK(x.root[0] & PTE_V);
    kt_snap_reset();
    /* Unmap clears the entry and the table, and the cap is unmapped. */
    word_t *tbl = cap_ptr(l1->cap);
    tbl[3] = 0x55;
    CHECK_EQ(call(&x, l1, VL_PAGE_TABLE_UNMAP, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK_EQ(x.root[0], 0);
    CHECK_EQ(tbl[3], 0);
    CHECK(!cap_is_mapped(l1->cap));
    CHECK_EQ(cap_page_table_level(l1->cap), 0);
    /* Deleting a mapped table's last cap unmaps it. */
    CHECK_EQ(call(&x, l1, VL_PAGE_TABLE_MAP, ARGS(0x200000), x.vs), EXCEPTION_NONE);
    CHECK(x.root[0] & PTE_V);
    CHECK_EQ(cte_delete(l1), EXCEPTION_NONE);
    CHECK_EQ(x.root[0], 0);
    INV();
}
