/*
 * Sv39 page tables (kernel/src/arch/riscv64/pagetable.c) on host memory: Frame and
 * PageTable invocations at every level, their errors, unmapping on delete, and ASIDs;
 * seL4's mapping rules and the attacks they stop (issue 10, item 1), the TLB decisions
 * (arch/tlb.h), leaving a dying VSpace's root (item 7), and the mapping invariants of
 * arch_check_mappings, each corrupted on purpose.
 * The shim's physical addresses are host addresses, so entries can be checked directly.
 */
#include "ktest.h"

#include <string.h>

#include "arch/tlb.h"
#include "arch/vspace_satp.h"
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

/* True if every entry of the table is zero. */
static bool
table_is_clear(const word_t *t)
{
    for (word_t i = 0; i < PTES_PER_TABLE; i++) {
        if (t[i] != 0) {
            return false;
        }
    }
    return true;
}

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
    /* Unmap with a copy around: RevokeFirst. The copy carries the mapping. */
    struct cte *copy = kt_slot();
    cap_t derived;
    CHECK_EQ(cap_derive(l1, l1->cap, &derived), EXCEPTION_NONE);
    cte_insert(derived, l1, copy);
    CHECK(copy->cap.w0 == l1->cap.w0 && copy->cap.w1 == l1->cap.w1);
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

/* Another VSpace with its own root and ASID. */
static struct cte *
new_vspace(word_t **root)
{
    *root = kt_alloc(VL_VSPACE_BITS);
    return kt_vspace(*root);
}

/* A copy of the cap in src, as CNode_Copy makes it; NULL if cap_derive refuses. */
static struct cte *
copy_of(struct cte *src)
{
    cap_t derived;
    if (cap_derive(src, src->cap, &derived) != EXCEPTION_NONE) {
        return NULL;
    }
    struct cte *dest = kt_slot();
    cte_insert(derived, src, dest);
    return dest;
}

static word_t
table_pte(const struct cte *pt)
{
    return pte_make((paddr_t)(uintptr_t)cap_ptr(pt->cap), PTE_V);
}

/*
 * seL4's rule: an unmapped page-table cap cannot be copied; a copy of a mapped one
 * carries the mapping, cannot map the table again, and only the last cap unmaps it.
 */
KTEST(pt_copy_carries_mapping)
{
    struct pt x = pt_setup();
    vaddr_t va = 0x40000000;
    struct cte *p = new_pt();
    cap_t out;
    kt_snap(p, sizeof(*p));
    CHECK_ERR(cap_derive(p, p->cap, &out), VL_ILLEGAL_OPERATION);
    CHECK_EQ(call(&x, p, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), EXCEPTION_NONE);
    struct cte *q = copy_of(p);
    CHECK(q != NULL);
    CHECK(q->cap.w0 == p->cap.w0 && q->cap.w1 == p->cap.w1);
    INV();
    /* The copy cannot map the table a second time, not even where the walk would put it
     * below itself; neither cap can unmap while the other exists. */
    kt_snap_reset();
    kt_snap(x.root, BIT(12));
    kt_snap(cap_ptr(p->cap), BIT(12));
    kt_snap(q, sizeof(*q));
    CHECK_ERR(call(&x, q, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 0);
    CHECK_ERR(call(&x, q, VL_PAGE_TABLE_MAP, ARGS(0x80000000), x.vs), VL_INVALID_CAPABILITY);
    CHECK_ERR(call(&x, p, VL_PAGE_TABLE_UNMAP, NULL, 0, NULL), VL_REVOKE_FIRST);
    CHECK_ERR(call(&x, q, VL_PAGE_TABLE_UNMAP, NULL, 0, NULL), VL_REVOKE_FIRST);
    /* Deleting a cap that is not the last leaves the mapping alone. */
    kt_snap_reset();
    void *mem = kt_alloc(12);
    struct cte *f = kt_insert(cap_frame(mem, FRAME_2M, false, VL_RIGHTS_ALL));
    CHECK_EQ(call(&x, f, VL_FRAME_MAP, ARGS(va, VL_RIGHTS_ALL, 0), x.vs), EXCEPTION_NONE);
    CHECK_EQ(cte_delete(p), EXCEPTION_NONE);
    CHECK_EQ(x.root[pt_index(va, 2)], table_pte(q));
    CHECK(*entry(x.root, va, 1) & PTE_V);
    INV();
    /* The last cap unmaps and clears the table; the cap is then unmapped. */
    word_t *tbl = cap_ptr(q->cap);
    CHECK_EQ(call(&x, q, VL_PAGE_TABLE_UNMAP, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK_EQ(x.root[pt_index(va, 2)], 0);
    CHECK(table_is_clear(tbl));
    CHECK_EQ(q->cap.w1, 0);
    CHECK_EQ(cap_page_table_level(q->cap), 0);
    kt_snap(q, sizeof(*q));
    CHECK_ERR(cap_derive(q, q->cap, &out), VL_ILLEGAL_OPERATION);
    INV();
}

/*
 * Issue 10's attack: map table P through p with a copy p2, map frame F through P, delete
 * p, delete F (its memory could now become a kernel object), map p2 — the detached table
 * would bring F's entry back. Now deleting p leaves the mapping (p2 records it), deleting
 * F removes F's entry, and p2 cannot map the table anywhere else.
 */
KTEST(pt_attack_copy_of_detached_table)
{
    struct pt x = pt_setup();
    vaddr_t va = 0x40201000;
    struct cte *l1 = new_pt(), *p = new_pt();
    CHECK_EQ(call(&x, l1, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), EXCEPTION_NONE);
    CHECK_EQ(call(&x, p, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), EXCEPTION_NONE);
    void *mem = kt_alloc(12);
    struct cte *f = kt_insert(cap_frame(mem, FRAME_4K, false, VL_RIGHTS_ALL));
    CHECK_EQ(call(&x, f, VL_FRAME_MAP, ARGS(va, VL_RIGHTS_ALL, 0), x.vs), EXCEPTION_NONE);
    struct cte *p2 = copy_of(p);
    CHECK(p2 != NULL);
    CHECK_EQ(cte_delete(p), EXCEPTION_NONE);
    word_t *leaf = entry(x.root, va, 0);
    CHECK(leaf != NULL && (*leaf & PTE_V)); /* still mapped: p2 holds the mapping */
    CHECK_EQ(cte_delete(f), EXCEPTION_NONE);
    CHECK_EQ(*entry(x.root, va, 0), 0);
    CHECK(table_is_clear(cap_ptr(p2->cap)));
    /* Mapping p2 elsewhere (in a fresh 1 GiB region) is refused. */
    kt_snap(x.root, BIT(12));
    kt_snap(p2, sizeof(*p2));
    CHECK_ERR(call(&x, p2, VL_PAGE_TABLE_MAP, ARGS(0x80000000), x.vs), VL_INVALID_CAPABILITY);
    INV();
    /* The last cap's deletion unmaps the table. */
    CHECK_EQ(cte_delete(p2), EXCEPTION_NONE);
    CHECK_EQ(*entry(x.root, va, 1), 0);
    INV();
}

/*
 * The two-level attack: a table mapped in the root (its entries 2 MiB each) mapped again
 * below itself through a copy would turn each 4 KiB leaf written into it into a 2 MiB
 * page. A table has one mapping, so the copy cannot map it at all.
 */
KTEST(pt_attack_table_at_two_levels)
{
    struct pt x = pt_setup();
    vaddr_t va = 0x40000000;
    struct cte *p = new_pt();
    CHECK_EQ(call(&x, p, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), EXCEPTION_NONE);
    CHECK_EQ(cap_page_table_level(p->cap), 2);
    struct cte *p2 = copy_of(p);
    CHECK(p2 != NULL);
    word_t *tbl = cap_ptr(p->cap);
    kt_snap(x.root, BIT(12));
    kt_snap(tbl, BIT(12));
    kt_snap(p2, sizeof(*p2));
    CHECK_ERR(call(&x, p2, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), VL_INVALID_CAPABILITY);
    CHECK_EQ(tbl[pt_index(va, 1)], 0);
    /* After unmapping (the last cap), the table is empty and may go to another level. */
    kt_snap_reset();
    CHECK_EQ(cte_delete(p2), EXCEPTION_NONE);
    CHECK_EQ(call(&x, p, VL_PAGE_TABLE_UNMAP, NULL, 0, NULL), EXCEPTION_NONE);
    struct cte *l1 = new_pt();
    CHECK_EQ(call(&x, l1, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), EXCEPTION_NONE);
    CHECK_EQ(call(&x, p, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), EXCEPTION_NONE);
    CHECK_EQ(cap_page_table_level(p->cap), 1);
    INV();
}

/*
 * A VSpace deleted with tables and frames mapped in it: their caps keep a stale record.
 * A stale table cannot be mapped until its last cap unmaps (and clears) it; a copy of it
 * carries the stale record; a stale frame record maps only at its old place.
 */
KTEST(pt_stale_records_after_vspace_deleted)
{
    struct pt x = pt_setup();
    word_t *root2;
    struct cte *vs2 = new_vspace(&root2);
    word_t asid2 = cap_vspace_asid(vs2->cap);
    vaddr_t va = 0x40200000;
    struct cte *p = new_pt();
    CHECK_EQ(call(&x, p, VL_PAGE_TABLE_MAP, ARGS(va), vs2), EXCEPTION_NONE);
    void *m2 = (void *)(uintptr_t)0x7e00000000ul;
    struct cte *f = kt_insert(cap_frame(m2, FRAME_2M, false, VL_RIGHTS_ALL));
    CHECK_EQ(call(&x, f, VL_FRAME_MAP, ARGS(va, VL_RIGHTS_ALL, 0), vs2), EXCEPTION_NONE);
    word_t flushes = host_asid_flushes;
    CHECK_EQ(cte_delete(vs2), EXCEPTION_NONE);
    CHECK_EQ(host_asid_flushes, flushes + 1);
    CHECK_EQ(host_last_flush_asid, asid2);
    CHECK(cap_is_mapped(p->cap));
    INV();
    /* The table still holds F's entry: it must not be mapped anywhere as it is. */
    kt_snap(x.root, BIT(12));
    kt_snap(p, sizeof(*p));
    CHECK_ERR(call(&x, p, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), VL_INVALID_CAPABILITY);
    CHECK_EQ(current_syscall_error.invalid_cap, 0);
    kt_snap_reset();
    struct cte *p2 = copy_of(p);
    CHECK(p2 != NULL && p2->cap.w1 == p->cap.w1);
    kt_snap(x.root, BIT(12));
    kt_snap(p, sizeof(*p));
    kt_snap(p2, sizeof(*p2));
    CHECK_ERR(call(&x, p2, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), VL_INVALID_CAPABILITY);
    CHECK_ERR(call(&x, p, VL_PAGE_TABLE_UNMAP, NULL, 0, NULL), VL_REVOKE_FIRST);
    kt_snap_reset();
    CHECK_EQ(cte_delete(p2), EXCEPTION_NONE);
    CHECK_EQ(call(&x, p, VL_PAGE_TABLE_UNMAP, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK(table_is_clear(cap_ptr(p->cap)));
    CHECK_EQ(call(&x, p, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), EXCEPTION_NONE);
    CHECK_EQ(*entry(x.root, va, 1), 0); /* F's entry did not come back */
    /* F's stale record: it maps only at its old place (in its old, dead ASID: no). */
    kt_snap(x.root, BIT(12));
    kt_snap(f, sizeof(*f));
    CHECK_ERR(call(&x, f, VL_FRAME_MAP, ARGS(va, VL_RIGHTS_ALL, 0), x.vs), VL_INVALID_CAPABILITY);
    CHECK_EQ(call(&x, f, VL_FRAME_UNMAP, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK(!cap_is_mapped(f->cap));
    kt_snap_reset();
    CHECK_EQ(call(&x, f, VL_FRAME_MAP, ARGS(va, VL_RIGHTS_ALL, 0), x.vs), EXCEPTION_NONE);
    INV();
}

/*
 * A stale frame record whose ASID went to a new VSpace: unmapping through it removes
 * only an entry that maps this very frame, never another frame's.
 */
KTEST(pt_stale_frame_record_asid_reused)
{
    struct pt x = pt_setup();
    word_t *root2;
    struct cte *vs2 = new_vspace(&root2);
    word_t asid2 = cap_vspace_asid(vs2->cap);
    vaddr_t va = 0x40200000;
    void *m = (void *)(uintptr_t)0x7e00000000ul, *g = (void *)(uintptr_t)0x7c00000000ul;
    struct cte *p = new_pt();
    struct cte *f = kt_insert(cap_frame(m, FRAME_2M, false, VL_RIGHTS_ALL));
    CHECK_EQ(call(&x, p, VL_PAGE_TABLE_MAP, ARGS(va), vs2), EXCEPTION_NONE);
    CHECK_EQ(call(&x, f, VL_FRAME_MAP, ARGS(va, VL_RIGHTS_ALL, 0), vs2), EXCEPTION_NONE);
    CHECK_EQ(cte_delete(vs2), EXCEPTION_NONE);
    /* Take ASIDs until the freed one comes round again. */
    word_t *root3 = NULL;
    struct cte *vs3 = NULL;
    for (word_t n = 0; n < VL_ASID_POOL_SIZE && vs3 == NULL; n++) {
        word_t *r;
        struct cte *v = new_vspace(&r);
        if (cap_vspace_asid(v->cap) == asid2) {
            vs3 = v;
            root3 = r;
        }
    }
    CHECK(vs3 != NULL);
    struct cte *q = new_pt();
    struct cte *gf = kt_insert(cap_frame(g, FRAME_2M, false, VL_RIGHTS_ALL));
    CHECK_EQ(call(&x, q, VL_PAGE_TABLE_MAP, ARGS(va), vs3), EXCEPTION_NONE);
    CHECK_EQ(call(&x, gf, VL_FRAME_MAP, ARGS(va, VL_RIGHTS_ALL, 0), vs3), EXCEPTION_NONE);
    word_t gpte = *entry(root3, va, 1);
    INV();
    /* F's record names (asid2, va), where G is now. Remapping through it replaces
     * nothing but an entry of F's own; unmapping through it leaves G. */
    kt_snap(root3, BIT(12));
    kt_snap(cap_ptr(q->cap), BIT(12));
    kt_snap(f, sizeof(*f));
    CHECK_ERR(call(&x, f, VL_FRAME_MAP, ARGS(va, VL_RIGHTS_ALL, 0), vs3), VL_DELETE_FIRST);
    kt_snap_reset();
    CHECK_EQ(call(&x, f, VL_FRAME_UNMAP, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK_EQ(*entry(root3, va, 1), gpte);
    INV();
}

/* A VSpace with a level-1 and a level-0 table and a 4 KiB frame at va, for corruption. */
struct mapped {
    struct pt x;
    vaddr_t va;
    struct cte *l1, *l0, *f;
    word_t *t1, *t0;
};

static struct mapped
mapped_setup(void)
{
    struct mapped m;
    m.x = pt_setup();
    m.va = 0x40201000;
    m.l1 = new_pt();
    m.l0 = new_pt();
    m.f = kt_insert(cap_frame(kt_alloc(12), FRAME_4K, false, VL_RIGHTS_ALL));
    CHECK_EQ(call(&m.x, m.l1, VL_PAGE_TABLE_MAP, ARGS(m.va), m.x.vs), EXCEPTION_NONE);
    CHECK_EQ(call(&m.x, m.l0, VL_PAGE_TABLE_MAP, ARGS(m.va), m.x.vs), EXCEPTION_NONE);
    CHECK_EQ(call(&m.x, m.f, VL_FRAME_MAP, ARGS(m.va, VL_RIGHTS_ALL, 0), m.x.vs), EXCEPTION_NONE);
    m.t1 = cap_ptr(m.l1->cap);
    m.t0 = cap_ptr(m.l0->cap);
    return m;
}

/* Each mapping invariant, broken on purpose, then restored. */
KTEST(pt_invariants_tables)
{
    struct mapped m = mapped_setup();
    INV();
    word_t *root = m.x.root;
    word_t i2 = pt_index(m.va, 2), i1 = pt_index(m.va, 1);
    /* A table reachable without a page-table cap (memory of no table). */
    root[i2 + 1] = pte_make((paddr_t)(uintptr_t)kt_alloc(12), PTE_V);
    CHECK_INV_FIRES("page table reachable without a page-table cap");
    root[i2 + 1] = 0;
    /* The same table reachable at two places. */
    root[i2 + 1] = root[i2];
    CHECK_INV_FIRES("page table reachable where a cap to it does not record it");
    root[i2 + 1] = 0;
    /* The same table at two levels. */
    m.t1[i1 + 1] = root[i2];
    CHECK_INV_FIRES("page table reachable where a cap to it does not record it");
    m.t1[i1 + 1] = 0;
    /* A cap recording another place than the table's. */
    word_t w1 = m.l0->cap.w1;
    m.l0->cap.w1 = cap_mapping(ROUND_DOWN(m.va, 21) + (2ul << 20), m.x.asid);
    CHECK_INV_FIRES("page table reachable where a cap to it does not record it");
    m.l0->cap.w1 = w1;
    /* A copy that disagrees with the other caps to its table. */
    struct cte *c = copy_of(m.l0);
    CHECK(c != NULL);
    INV();
    c->cap.w1 = cap_mapping(ROUND_DOWN(m.va, 21) + (4ul << 20), m.x.asid);
    CHECK_INV_FIRES("caps to one page table disagree about its mapping");
    CHECK_EQ(cte_delete(c), EXCEPTION_NONE);
    /* A level-0 entry pointing to a table. */
    m.t0[3] = pte_make((paddr_t)(uintptr_t)m.t1, PTE_V);
    CHECK_INV_FIRES("level-0 entry points to a table");
    m.t0[3] = 0;
    INV();
}

KTEST(pt_invariants_leaves_and_records)
{
    struct mapped m = mapped_setup();
    word_t i0 = pt_index(m.va, 0);
    /* A leaf no frame cap records: to memory of no frame, or of a frame mapped
     * elsewhere, or of the right frame at the wrong size. */
    m.t0[i0 + 1] = pte_make((paddr_t)(uintptr_t)kt_alloc(12), LEAF);
    CHECK_INV_FIRES("valid leaf entry without a frame cap that records it");
    m.t0[i0 + 1] = m.t0[i0];
    CHECK_INV_FIRES("valid leaf entry without a frame cap that records it");
    m.t0[i0 + 1] = 0;
    m.t1[pt_index(m.va, 1) + 1] = pte_make((paddr_t)(uintptr_t)cap_ptr(m.f->cap), LEAF);
    CHECK_INV_FIRES("valid leaf entry without a frame cap that records it");
    m.t1[pt_index(m.va, 1) + 1] = 0;
    /* The frame cap forgets its mapping while the entry stays. */
    word_t w1 = m.f->cap.w1;
    m.f->cap.w1 = 0;
    CHECK_INV_FIRES("valid leaf entry without a frame cap that records it");
    m.f->cap.w1 = w1;
    INV();
    /* Records that no mapping could have made. */
    m.f->cap.w1 = w1 | 2;
    CHECK_INV_FIRES("mapping record with stray bits");
    m.f->cap.w1 = cap_mapping(m.va, 0);
    CHECK_INV_FIRES("mapping record without a possible ASID");
    m.f->cap.w1 = cap_mapping(VL_USER_TOP, m.x.asid);
    CHECK_INV_FIRES("mapping record at an address the level cannot have");
    m.f->cap = cap_frame(cap_ptr(m.f->cap), FRAME_2M, false, VL_RIGHTS_ALL);
    m.f->cap.w1 = w1;
    CHECK_INV_FIRES("mapping record at an address the level cannot have");
    m.f->cap = cap_frame(cap_ptr(m.f->cap), FRAME_4K, false, VL_RIGHTS_ALL);
    m.f->cap.w1 = w1;
    INV();
    /* Page-table caps: an impossible level, a level or record while unmapped, and an
     * unmapped table that is not empty (it could be mapped as it is). */
    cap_t saved = m.l0->cap;
    m.l0->cap = cap_set_small(saved, 0);
    CHECK_INV_FIRES("mapped page-table cap with an impossible level");
    m.l0->cap = cap_set_small(saved, 3);
    CHECK_INV_FIRES("mapped page-table cap with an impossible level");
    m.l0->cap = saved;
    struct cte *p = new_pt();
    INV();
    p->cap = cap_set_small(p->cap, 1);
    CHECK_INV_FIRES("unmapped page-table cap with a level or record");
    p->cap = cap_page_table(cap_ptr(p->cap));
    ((word_t *)cap_ptr(p->cap))[7] = pte_make(0x7e00000000ul, LEAF);
    CHECK_INV_FIRES("unmapped page table not empty");
    ((word_t *)cap_ptr(p->cap))[7] = 0;
    INV();
}

/* Which fence each kind of change asks for (arch/tlb.h), and that tlb_flush does it. */
KTEST(pt_tlb_decisions)
{
    struct tlb_flush f = tlb_flush_needed(TLB_LEAF_ADDED, 0x40201234, 5, 0);
    CHECK_EQ(f.scope, TLB_FLUSH_PAGE);
    CHECK_EQ(f.va, 0x40201000);
    CHECK_EQ(f.asid, 5);
    f = tlb_flush_needed(TLB_LEAF_CHANGED, 0x40301234, 6, 1);
    CHECK_EQ(f.scope, TLB_FLUSH_PAGE);
    CHECK_EQ(f.va, 0x40200000);
    CHECK_EQ(f.asid, 6);
    f = tlb_flush_needed(TLB_LEAF_CHANGED, 0x80001000, 6, 2);
    CHECK_EQ(f.scope, TLB_FLUSH_PAGE);
    CHECK_EQ(f.va, 0x80000000);
    /* A non-leaf change covers a range: the whole ASID. */
    f = tlb_flush_needed(TLB_TABLE_ADDED, 0x40201000, 7, 1);
    CHECK_EQ(f.scope, TLB_FLUSH_ASID);
    CHECK_EQ(f.asid, 7);
    f = tlb_flush_needed(TLB_TABLE_CHANGED, 0x40201000, 3, 2);
    CHECK_EQ(f.scope, TLB_FLUSH_ASID);
    CHECK_EQ(f.asid, 3);
    f = tlb_flush_needed(TLB_ASID_RETIRED, 0, 4, 0);
    CHECK_EQ(f.scope, TLB_FLUSH_ASID);
    CHECK_EQ(f.asid, 4);
    /* Global entries, aliasing ASIDs, and anything unknown: everything. */
    CHECK_EQ(tlb_flush_needed(TLB_GLOBAL_CHANGED, 0, 0, 2).scope, TLB_FLUSH_ALL);
    CHECK_EQ(tlb_flush_needed(TLB_ASIDS_ALIASED, 0, 0, 0).scope, TLB_FLUSH_ALL);
    CHECK_EQ(tlb_flush_needed((enum tlb_change)99, 0, 0, 0).scope, TLB_FLUSH_ALL);
    /* tlb_flush runs the machine's fence the decision names. */
    word_t pages = host_page_flushes, asids = host_asid_flushes, alls = host_all_flushes;
    tlb_flush(TLB_LEAF_CHANGED, 0x1234, 9, 0);
    CHECK_EQ(host_page_flushes, pages + 1);
    CHECK_EQ(host_last_flush_va, 0x1000);
    CHECK_EQ(host_last_flush_asid, 9);
    tlb_flush(TLB_TABLE_CHANGED, 0x1234, 8, 1);
    CHECK_EQ(host_asid_flushes, asids + 1);
    CHECK_EQ(host_last_flush_asid, 8);
    tlb_flush(TLB_GLOBAL_CHANGED, 0, 0, 2);
    CHECK_EQ(host_all_flushes, alls + 1);
    CHECK_EQ(host_page_flushes, pages + 1);
    CHECK_EQ(host_asid_flushes, asids + 1);
}

/* The page-table operations name the right kind of change: leaves by page, tables by
 * ASID. */
KTEST(pt_tlb_kinds_of_operations)
{
    struct pt x = pt_setup();
    vaddr_t va = 0x40201000;
    struct cte *l1 = new_pt(), *l0 = new_pt();
    struct cte *f = kt_insert(cap_frame(kt_alloc(12), FRAME_4K, false, VL_RIGHTS_ALL));
    word_t pages = host_page_flushes, asids = host_asid_flushes;
    CHECK_EQ(call(&x, l1, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), EXCEPTION_NONE);
    CHECK_EQ(call(&x, l0, VL_PAGE_TABLE_MAP, ARGS(va), x.vs), EXCEPTION_NONE);
    CHECK_EQ(host_asid_flushes, asids + 2);
    CHECK_EQ(host_page_flushes, pages);
    CHECK_EQ(call(&x, f, VL_FRAME_MAP, ARGS(va, VL_RIGHTS_ALL, 0), x.vs), EXCEPTION_NONE);
    CHECK_EQ(call(&x, f, VL_FRAME_MAP, ARGS(va, VL_RIGHT_READ, 0), x.vs), EXCEPTION_NONE);
    CHECK_EQ(call(&x, f, VL_FRAME_UNMAP, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK_EQ(host_page_flushes, pages + 3);
    CHECK_EQ(host_last_flush_va, va);
    CHECK_EQ(host_asid_flushes, asids + 2);
    CHECK_EQ(call(&x, l0, VL_PAGE_TABLE_UNMAP, NULL, 0, NULL), EXCEPTION_NONE);
    CHECK_EQ(cte_delete(l1), EXCEPTION_NONE);
    CHECK_EQ(host_asid_flushes, asids + 4);
    CHECK_EQ(host_last_flush_asid, x.asid);
    CHECK_EQ(host_page_flushes, pages + 3);
    INV();
}

/*
 * Item 7: the final cap of the VSpace satp is running on is deleted (as by a thread that
 * Configures away its own VSpace): satp moves to the kernel's table at once, before the
 * ASID is flushed and freed. Other deletions leave satp alone.
 */
KTEST(pt_satp_leaves_dying_vspace)
{
    struct pt x = pt_setup();
    word_t satp;
    CHECK(vspace_satp_of(x.vs->cap, &satp));
    host_satp = satp;
    struct cte *copy = copy_of(x.vs);
    CHECK(copy != NULL);
    CHECK_EQ(cte_delete(copy), EXCEPTION_NONE);
    CHECK_EQ(host_satp, satp);
    word_t *root2;
    struct cte *vs2 = new_vspace(&root2);
    CHECK_EQ(cte_delete(vs2), EXCEPTION_NONE);
    CHECK_EQ(host_satp, satp);
    word_t loads = host_satp_loads, flushes = host_asid_flushes;
    CHECK_EQ(cte_delete(x.vs), EXCEPTION_NONE);
    CHECK_EQ(host_satp, HOST_KERNEL_SATP);
    CHECK_EQ(host_satp_loads, loads + 1);
    CHECK_EQ(host_asid_flushes, flushes + 1);
    CHECK(pt_asid_root(x.asid) == NULL);
    INV();
}

/* The test vspace_unload_root makes before leaving a dying VSpace (issue 10, item 7):
 * satp's page number names the root, whatever the mode and ASID. */
KTEST(pt_satp_holds_root)
{
    paddr_t root = 0x80234000ul;
    word_t satp = SATP_MODE_SV39 | (7ul << 44) | (root >> 12);
    CHECK(satp_holds_root(satp, root));
    CHECK(satp_holds_root(root >> 12, root));
    CHECK(!satp_holds_root(satp, root + 0x1000));
    CHECK(!satp_holds_root(satp, root - 0x1000));
    CHECK(!satp_holds_root(satp, root << 1));
    CHECK(!satp_holds_root(SATP_MODE_SV39 | (0x80235000ul >> 12), root));
}
