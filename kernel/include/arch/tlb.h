/*
 * TLB maintenance. Every sfence.vma the kernel executes once it runs C goes through
 * tlb_flush: the caller names the kind of change it made to the page tables (or satp),
 * and tlb_flush decides from the RISC-V privileged specification what must be flushed,
 * then asks the machine for it (vspace_flush_page, _asid, _all in arch/tlb_machine.h).
 * Portable: the host unit tests replace arch/tlb_machine.h and check the decisions.
 *
 * Call sites: every change of an entry in a user page table goes through pte_store in
 * pagetable.c, which names the kind from the old and the new entry (TLB_LEAF_ADDED,
 * TLB_LEAF_CHANGED, TLB_TABLE_ADDED, TLB_TABLE_CHANGED); TLB_ASID_RETIRED comes from
 * arch_finalise_cap (pagetable.c) when a VSpace dies, TLB_GLOBAL_CHANGED from the end of
 * boot (vspace.c) and TLB_ASIDS_ALIASED from the satp switch (vspace_switch.h). The only
 * other sfence.vma instructions are in head.S, around turning paging on, before any C.
 */
#pragma once

#include "arch/tlb_machine.h"
#include "types.h"
#include "util.h"

/* What changed in the page tables (or in satp). */
enum tlb_change {
    TLB_LEAF_ADDED,     /* an invalid entry became a valid leaf */
    TLB_LEAF_CHANGED,   /* a valid leaf was removed or rewritten (other rights) */
    TLB_TABLE_ADDED,    /* an invalid entry became a pointer to a page table */
    TLB_TABLE_CHANGED,  /* a pointer to a page table was removed */
    TLB_ASID_RETIRED,   /* a VSpace died; satp no longer holds its ASID */
    TLB_GLOBAL_CHANGED, /* the kernel's global entries (upper half, G bit) changed */
    TLB_ASIDS_ALIASED,  /* satp was loaded on a hart that has fewer ASIDs than Vallum */
};

/* What a flush covers: the page holding va in asid, all of asid's non-global entries, or
 * everything (all address spaces, global entries too). */
enum tlb_scope {
    TLB_FLUSH_PAGE,
    TLB_FLUSH_ASID,
    TLB_FLUSH_ALL,
};

struct tlb_flush {
    enum tlb_scope scope;
    vaddr_t va;  /* TLB_FLUSH_PAGE: an address inside the page that changed */
    word_t asid; /* TLB_FLUSH_PAGE, TLB_FLUSH_ASID */
};

/*
 * The decisions, argued from the RISC-V privileged specification, section "Supervisor
 * Memory-Management Fence Instruction" (SFENCE.VMA):
 *
 * (a) SFENCE.VMA with rs1 = va orders and invalidates only the *leaf* entries that
 *     translate va; with rs1 = x0 it covers every level of the tables. An implementation
 *     may use any translation that was valid at any time since the last SFENCE.VMA that
 *     subsumes the address.
 * (b) "This specification permits the caching of PTEs whose V (Valid) bit is clear."
 *     Without a fence, a walk may keep using a cached invalid entry after it was made
 *     valid.
 * (c) The spec's rules of thumb: after changing a non-leaf entry, SFENCE.VMA with
 *     rs1 = x0; after changing a leaf, rs1 = an address in the page; rs2 = the ASID unless
 *     an entry on the way is global (G), then rs2 = x0. When an ASID is recycled, flush it
 *     while satp holds another ASID (or right after loading the new table with it).
 * (d) If the hart implements fewer ASID bits than written, it ignores the upper bits of
 *     rs2, so a fence for an ASID also covers the ASIDs that alias with it.
 *
 * User mappings are below VL_USER_TOP, in the lower half of every root, and never have
 * the G bit, so their fences name the ASID. The kernel's mappings (upper half) are global
 * and identical in every VSpace; they change only at boot.
 */
/* Bytes covered by one entry at a level (0: 4 KiB, 1: 2 MiB, 2: 1 GiB), as a shift. */
static inline word_t
tlb_entry_bits(int level)
{
    return 12 + 9 * (word_t)level;
}

/*
 * The flush that a change needs. va is the virtual address the changed entry serves and
 * level its level (2 = root, 1, 0), for entry changes; asid the address space whose
 * tables changed (or that was retired). Pure: the host tests call it directly.
 */
static inline __attribute__((always_inline)) struct tlb_flush
tlb_flush_needed(enum tlb_change change, vaddr_t va, word_t asid, int level)
{
    struct tlb_flush f = {TLB_FLUSH_ALL, 0, 0};
    switch (change) {
    case TLB_LEAF_ADDED:
    case TLB_LEAF_CHANGED:
        /* A leaf changed (a), (c): the page or superpage holding va, in its ASID; one
         * address inside a superpage covers all of it. For an added leaf the spec allows
         * fencing lazily, on the page fault a cached invalid entry (b) may cause; Vallum
         * sends page faults to the thread's handler and fences nothing there, so it
         * fences now. */
        f.scope = TLB_FLUSH_PAGE;
        f.va = ROUND_DOWN(va, tlb_entry_bits(level));
        f.asid = asid;
        return f;
    case TLB_TABLE_ADDED:
    case TLB_TABLE_CHANGED:
        /* A non-leaf entry changed (a), (c): the whole ASID. A removed table served a
         * range (2 MiB or 1 GiB) whose translations may be cached anywhere in it. An added
         * one replaces an invalid entry that may be cached at a non-leaf level (b), which
         * a fence by address does not reach (a): leaves mapped into the new table later
         * could stay unreachable. (The new table is empty: nothing is lost.) */
        f.scope = TLB_FLUSH_ASID;
        f.asid = asid;
        return f;
    case TLB_ASID_RETIRED:
        /* (c): the ASID will be handed to a new VSpace. The caller has moved satp off the
         * dying root first (arch_finalise_cap), so no walk refills the ASID from the old
         * tables after this fence. */
        f.scope = TLB_FLUSH_ASID;
        f.asid = asid;
        return f;
    case TLB_GLOBAL_CHANGED:
        /* (c): global entries go only with rs2 = x0, and rs1 = x0 also covers the
         * non-leaf entries the boot mappings remove: everything. */
        return f;
    case TLB_ASIDS_ALIASED:
        /* (d): the ASID just loaded shares its TLB tag with others, whose translations
         * would be used for it. A fence for that ASID would do (d); flushing everything
         * is simpler and happens only on harts with few ASID bits. */
        return f;
    default:
        /* Not a change the kernel makes: flushing everything is always enough. */
        return f;
    }
}

/*
 * Performs the flush tlb_flush_needed decides for the change: the one function in front
 * of every sfence.vma. Call it after the entry is written (the fence orders the store
 * before later page-table walks). Inline, so that a constant kind costs nothing but its
 * fence (the satp switch on the IPC fast path uses it).
 */
static inline __attribute__((always_inline)) void
tlb_flush(enum tlb_change change, vaddr_t va, word_t asid, int level)
{
    struct tlb_flush f = tlb_flush_needed(change, va, asid, level);
    switch (f.scope) {
    case TLB_FLUSH_PAGE:
        vspace_flush_page(f.va, f.asid);
        return;
    case TLB_FLUSH_ASID:
        vspace_flush_asid(f.asid);
        return;
    case TLB_FLUSH_ALL:
        vspace_flush_all();
        return;
    }
}
