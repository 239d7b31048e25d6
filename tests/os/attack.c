/*
 * Attacks on the kernel's isolation from user space (issue 10 review), with nothing but
 * the project's own headers. Each test asserts that the attack fails: the calls are
 * refused, nothing the attacker should not reach becomes reachable, the invariants hold,
 * and the kernel neither panics nor hangs.
 */
#include <stdbool.h>
#include <string.h>

#include "ktest.h"
#include "kernel/fdt.h"

#define RW (VL_RIGHT_READ | VL_RIGHT_WRITE)
#define ATTACK_VA 0x2800000000ul

/*
 * Races. Two threads of one priority share the root CSpace: the victim makes one long
 * kernel call (a deletion, revoke or Configure that timer ticks preempt), the attacker
 * runs whenever the victim's time slice ends, and attacks the state a preempted call has
 * left (att_seen counts the attacks made while the call was pending). A race is tried until the
 * attacker got a turn, each try starting the call at another point of the time slice.
 */
static volatile vl_word_t race_faulted, race_in_call, race_done, race_spin, att_seen, att_bad,
    att_revoked, att_round;
static int (*race_victim_op)(void);
/* Returns true if it found the victim's call pending and attacked. */
static bool (*race_attack_op)(void);

static void
race_victim(vl_word_t done_ntfn)
{
    /* A different part of the time slice is used up on each try, so that the call
     * starts at a different point before the slice's end. */
    for (volatile vl_word_t i = 0; i < race_spin; i++) {
    }
    race_in_call = 1;
    if (race_victim_op() != 0) {
        att_bad |= 1;
    }
    race_done = 1;
    vl_signal(done_ntfn);
    for (;;) {
        vl_yield();
    }
}

static void
race_attacker(vl_word_t arg)
{
    (void)arg;
    while (!race_done) {
        /* The victim does nothing between these two flags but its one system call. */
        if (race_in_call && !race_done && race_attack_op()) {
            att_seen++;
        }
    }
    for (;;) {
        vl_yield();
    }
}

static struct kthread *race_v, *race_a, *race_r;
static vl_cptr_t race_ntfn, race_fault_ep;

/* Ends the race when the victim faults instead (its call restarted on a cap the attacker
 * deleted: a capability fault, as for any thread invoking an empty slot). */
static void
race_reaper(vl_word_t arg)
{
    (void)arg;
    for (;;) {
        (void)vl_recv(race_fault_ep);
        race_faulted = 1;
        race_done = 1;
        vl_signal(race_ntfn);
    }
}

/* Runs one try of the race (setup done by the caller), the victim spinning spin turns
 * first. Returns att_seen. */
static vl_word_t
race_once(vl_word_t spin)
{
    if (race_v == NULL) {
        race_ntfn = obj_new(VL_OBJ_NOTIFICATION, 0);
        race_fault_ep = obj_new(VL_OBJ_ENDPOINT, 0);
        race_v = thread_create(race_victim, race_ntfn, 50, race_fault_ep, ROOT, 0);
        race_a = thread_create(race_attacker, 0, 50, 0, ROOT, 0);
        race_r = thread_new(race_reaper, 0, 60, 0);
        if (race_ntfn == 0 || race_fault_ep == 0 || race_v == NULL || race_a == NULL ||
            race_r == NULL) {
            att_bad |= 1ul << 62;
            return 0;
        }
    }
    race_done = 0;
    race_faulted = 0;
    race_in_call = 0;
    race_spin = spin;
    att_seen = 0;
    if (thread_start(race_v) != 0 || thread_start(race_a) != 0) {
        att_bad |= 1ul << 63;
        return 0;
    }
    vl_wait(race_ntfn);
    vl_tcb_suspend(race_a->tcb);
    vl_tcb_suspend(race_v->tcb);
    return att_seen;
}

static void
race_reset(void)
{
    race_v = race_a = race_r = NULL;
    att_bad = 0;
}

#define RACE_TRIES 32

/*
 * The victim deletes the only cap to a big CNode X (radix 12) whose slots hold the only
 * caps to 4096 small CNodes, all from one untyped U. Whenever the attacker finds X's slot
 * holding a zombie it tries what a thread can do to a slot it names; in the second round
 * it revokes U itself under the pending deletion, retypes U into frames at once and fills
 * them with garbage. Then the victim's call resumes.
 */
static vl_cptr_t att_u, att_s, att_e, att_tcb, att_f, del_x;

static int
op_delete_x(void)
{
    return vl_cnode_delete(ROOT, del_x, 64);
}

/* Records in att_bad which attack (bit) was not refused as it must be. */
static void
attack_zombie_slot(vl_cptr_t x)
{
    struct vl_cap_info info;
    if (vl_cap_identify(x, &info) != 0 ||
        (info.type != VL_CAP_ZOMBIE && info.type != VL_CAP_NULL) || info.rights != 0 ||
        info.badge != 0) {
        att_bad |= 2;
    }
    /* Copy, Mint, Move, Mutate and Rotate refuse a zombie as source or pivot. */
    if (vl_cnode_copy(ROOT, att_s, 64, ROOT, x, 64, VL_RIGHTS_ALL) == 0 ||
        vl_cnode_mint(ROOT, att_s, 64, ROOT, x, 64, VL_RIGHTS_ALL, 1) == 0 ||
        vl_cnode_move(ROOT, att_s, 64, ROOT, x, 64) == 0 ||
        vl_cnode_mutate(ROOT, att_s, 64, ROOT, x, 64, 0) == 0 ||
        vl_cnode_rotate(ROOT, att_s, 64, 0, ROOT, x, 64, 0, ROOT, att_e, 64) == 0 ||
        vl_cnode_rotate(ROOT, x, 64, 0, ROOT, att_e, 64, 0, ROOT, x, 64) == 0) {
        att_bad |= 4;
    }
    if (vl_cap_identify(att_s, &info) != 0 || info.type != VL_CAP_NULL) {
        att_bad |= 8;
    }
    /* A zombie is no CNode: not invocable, not a root to look up in, not a CSpace. */
    if (vl_cnode_copy(x, 0, 12, ROOT, att_e, 64, VL_RIGHTS_ALL) == 0 ||
        vl_cnode_copy(ROOT, att_s, 64, x, 5, 12, VL_RIGHTS_ALL) == 0 ||
        vl_untyped_retype(att_u, VL_OBJ_ENDPOINT, 0, x, 0, 0, 7, 1) == 0 ||
        vl_tcb_set_space(att_tcb, 0, x, 0, VL_CAP_INIT_VSPACE) == 0 ||
        vl_cnode_copy(ROOT, x, 64, ROOT, att_e, 64, VL_RIGHTS_ALL) == 0) {
        att_bad |= 16;
    }
    /* Revoking the zombie's slot is allowed (it has no children) and only helps. */
    (void)vl_cnode_revoke(ROOT, x, 64);
    if (vl_debug_check() != 0) {
        att_bad |= 32;
    }
}

static bool
attack_preempted_delete(void)
{
    struct vl_cap_info info;
    if (vl_cap_identify(del_x, &info) != 0 || info.type != VL_CAP_ZOMBIE) {
        return false; /* the deletion has not started, or is over */
    }
    if (att_round == 0 || att_revoked) {
        attack_zombie_slot(del_x);
        return true;
    }
    /* Revoke U under the pending deletion, then reuse all of its memory. */
    if (vl_cnode_revoke(ROOT, att_u, 64) != 0) {
        att_bad |= 64;
    }
    att_revoked = 1;
    if (vl_untyped_retype(att_u, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, att_f, 4) != 0) {
        att_bad |= 128;
        return true;
    }
    if (map_page(VL_CAP_INIT_VSPACE, att_f, ATTACK_VA, RW, VL_MAP_EXECUTE_NEVER) != 0) {
        att_bad |= 256;
        return true;
    }
    memset((void *)ATTACK_VA, 0xa5, VL_PAGE_SIZE);
    if (vl_debug_check() != 0) {
        att_bad |= 512;
    }
    return true;
}

static void
test_attack_preempted_delete(void)
{
    race_reset();
    /* U first, at the start of this test's untyped: everything else fits above it. */
    att_u = obj_new(VL_OBJ_UNTYPED, 19);
    att_e = obj_new(VL_OBJ_ENDPOINT, 0);
    att_tcb = obj_new(VL_OBJ_TCB, 0);
    att_s = slot_alloc();
    att_f = slots_alloc(4);
    del_x = slot_alloc();
    CHECK(att_u && att_e && att_tcb && att_s && att_f && del_x);
    race_victim_op = op_delete_x;
    race_attack_op = attack_preempted_delete;
    vl_word_t seen_rounds = 0;
    for (att_round = 0; att_round < 2; att_round++) {
        for (int attempt = 0; attempt < RACE_TRIES; attempt++) {
            CHECK_EQ(vl_untyped_retype(att_u, VL_OBJ_CNODE, 12, ROOT, 0, 0, del_x, 1), 0);
            for (vl_word_t i = 0; i < 4096; i += 256) {
                CHECK_EQ(vl_untyped_retype(att_u, VL_OBJ_CNODE, 1, del_x, 0, 0, i, 256), 0);
            }
            CHECK_EQ(vl_debug_check(), 0);
            att_revoked = 0;
            vl_word_t seen = race_once((vl_word_t)attempt * 12500);
            CHECK_EQ(att_bad, 0);
            CHECK_EQ(vl_debug_check(), 0);
            /* Everything of X is gone: the slot is empty, U can be reset. */
            CHECK_TYPE(del_x, VL_CAP_NULL);
            CHECK_EQ(vl_cnode_revoke(ROOT, att_u, 64), 0);
            CHECK_EQ(vl_untyped_retype(att_u, VL_OBJ_UNTYPED, 19, ROOT, 0, 0, att_s, 1), 0);
            CHECK_EQ(vl_cnode_delete(ROOT, att_s, 64), 0);
            CHECK_EQ(vl_cnode_revoke(ROOT, att_u, 64), 0);
            CHECK_EQ(vl_debug_check(), 0);
            if (seen != 0) {
                printf("attack: delete round %lu: preempted at try %d, %lu attacks\n",
                       (unsigned long)att_round, attempt + 1, (unsigned long)seen);
                seen_rounds++;
                CHECK(att_round == 0 || att_revoked);
                break;
            }
        }
    }
    if (seen_rounds < 2) {
        test_skip("the deletion was not seen preempted in every round");
    }
}

/*
 * Issue 10's defect 12 from user space: CNodes A (from UA, radix 13) and B (from UB)
 * hold each other's only caps, B in A's last slot; A's other slots hold endpoint caps.
 * The victim revokes UA. While the revoke is preempted, the attacker retypes frames from
 * UB; once one lands where B lived (B was made at UB's base: UB was reset, so B is gone)
 * it maps it and fills it with garbage while the revoke is still pending. The invariant
 * check holds at every turn and after the revoke.
 */
static vl_cptr_t d12_ua, d12_ub, d12_f;
static vl_word_t d12_b_paddr;

static int
op_revoke_ua(void)
{
    return vl_cnode_revoke(ROOT, d12_ua, 64);
}

static bool
attack_reuse_ub(void)
{
    if (att_revoked) {
        return true; /* B's memory is the attacker's: it waits for the revoke to end */
    }
    if (vl_untyped_retype(d12_ub, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, d12_f, 1) != 0) {
        return true; /* UB full: fine */
    }
    vl_word_t pa = 0, va = 0;
    if (vl_frame_get_address(d12_f, &pa, &va) != 0) {
        att_bad |= 2;
    }
    if (pa == d12_b_paddr) {
        /* UB was reset (B is gone) while the revoke is still pending: the attacker maps
         * B's memory and fills it with garbage; the kernel must not use it any more. */
        if (map_page(VL_CAP_INIT_VSPACE, d12_f, ATTACK_VA, RW, VL_MAP_EXECUTE_NEVER) != 0) {
            att_bad |= 4;
        }
        memset((void *)ATTACK_VA, 0xa5, VL_PAGE_SIZE);
        att_revoked = 1;
    } else if (vl_cnode_delete(ROOT, d12_f, 64) != 0) {
        att_bad |= 8;
    }
    if (vl_debug_check() != 0) {
        att_bad |= 16;
    }
    return true;
}

static void
test_attack_cycle_revoke_reuse(void)
{
    race_reset();
    d12_ua = obj_new(VL_OBJ_UNTYPED, 18);
    d12_ub = obj_new(VL_OBJ_UNTYPED, 14);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    vl_cptr_t a = slot_alloc(), a2 = slot_alloc(), b = slot_alloc();
    d12_f = slot_alloc();
    CHECK(d12_ua && d12_ub && ep && a && a2 && b && d12_f);
    race_victim_op = op_revoke_ua;
    race_attack_op = attack_reuse_ub;
    int attempt = 0;
    vl_word_t seen = 0;
    for (; attempt < RACE_TRIES && seen == 0; attempt++) {
        /* B's address: a frame made at UB's base first. */
        CHECK_EQ(vl_untyped_retype(d12_ub, VL_OBJ_FRAME_4K, 0, ROOT, 0, 0, d12_f, 1), 0);
        vl_word_t va;
        CHECK_EQ(vl_frame_get_address(d12_f, (vl_word_t *)&d12_b_paddr, &va), 0);
        CHECK_EQ(vl_cnode_revoke(ROOT, d12_ub, 64), 0);
        CHECK_EQ(vl_untyped_retype(d12_ua, VL_OBJ_CNODE, 13, ROOT, 0, 0, a, 1), 0);
        CHECK_EQ(vl_untyped_retype(d12_ub, VL_OBJ_CNODE, 2, ROOT, 0, 0, b, 1), 0);
        for (vl_word_t i = 0; i < 8191; i++) {
            CHECK_EQ(vl_cnode_copy(a, i, 13, ROOT, ep, 64, VL_RIGHTS_ALL), 0);
        }
        /* A's only cap into B, B's only cap into A (through a copy of A's, deleted). */
        CHECK_EQ(vl_cnode_copy(ROOT, a2, 64, ROOT, a, 64, VL_RIGHTS_ALL), 0);
        CHECK_EQ(vl_cnode_move(b, 1, 2, ROOT, a, 64), 0);
        CHECK_EQ(vl_cnode_move(a2, 8191, 13, ROOT, b, 64), 0);
        CHECK_EQ(vl_cnode_delete(ROOT, a2, 64), 0);
        CHECK_EQ(vl_debug_check(), 0);
        att_revoked = 0;
        seen = race_once((vl_word_t)attempt * 12500);
        CHECK_EQ(att_bad, 0);
        CHECK_EQ(vl_debug_check(), 0);
        CHECK_EQ(vl_cnode_delete(ROOT, d12_f, 64), 0);
        CHECK_EQ(vl_cnode_revoke(ROOT, d12_ub, 64), 0);
        CHECK_EQ(vl_cnode_revoke(ROOT, d12_ua, 64), 0);
    }
    if (seen == 0) {
        test_skip("the revoke was not seen preempted");
    } else {
        printf("attack: cycle revoke preempted at try %d, %lu attacks, B's memory %s\n", attempt,
               (unsigned long)seen, att_revoked ? "reused while pending" : "not freed early");
    }
}

/*
 * The victim configures thread T with a new CSpace root; T's old root C is a big CNode
 * whose only cap is T's, so the Configure spends long deleting it. Meanwhile the
 * attacker configures T too, suspends and resumes it, reads its registers, and finally
 * deletes the cap to T itself under the pending Configure. Nothing is put into a dead TCB
 * (the invariant check), and T ends with one of the two roots or is gone.
 */
static vl_cptr_t cf_t, cf_r1, cf_r2;

static int
op_configure_t(void)
{
    /* If the attacker deletes T's cap, the restarted call faults (the reaper ends it). */
    return vl_tcb_set_space(cf_t, 0, cf_r1, 0, VL_CAP_INIT_VSPACE);
}

static bool
attack_configure_race(void)
{
    if (att_revoked) {
        return true;
    }
    vl_word_t regs[4];
    (void)vl_tcb_set_space(cf_t, 0, cf_r2, 0, VL_CAP_INIT_VSPACE);
    (void)vl_tcb_suspend(cf_t);
    (void)vl_tcb_read_registers(cf_t, 0, 4, regs);
    if (vl_debug_check() != 0) {
        att_bad |= 2;
    }
    if (att_seen > 1) {
        if (vl_cnode_delete(ROOT, cf_t, 64) != 0) {
            att_bad |= 4;
        }
        att_revoked = 1;
        if (vl_debug_check() != 0) {
            att_bad |= 8;
        }
    }
    return true;
}

static void
test_attack_configure_race(void)
{
    race_reset();
    vl_cptr_t u = obj_new(VL_OBJ_UNTYPED, 19);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    cf_r1 = obj_new(VL_OBJ_CNODE, 2);
    cf_r2 = obj_new(VL_OBJ_CNODE, 2);
    vl_cptr_t c = slot_alloc();
    cf_t = slot_alloc();
    CHECK(u && ep && cf_r1 && cf_r2 && c && cf_t);
    race_victim_op = op_configure_t;
    race_attack_op = attack_configure_race;
    int attempt = 0;
    vl_word_t seen = 0;
    /* The Configure is shorter than the other calls: finer steps through the slice. */
    for (; attempt < 2 * RACE_TRIES && seen < 2; attempt++) {
        CHECK_EQ(vl_untyped_retype(u, VL_OBJ_CNODE, 13, ROOT, 0, 0, c, 1), 0);
        CHECK_EQ(vl_untyped_retype(u, VL_OBJ_TCB, 0, ROOT, 0, 0, cf_t, 1), 0);
        for (vl_word_t i = 0; i < 15 * 256; i += 256) {
            CHECK_EQ(vl_untyped_retype(u, VL_OBJ_NOTIFICATION, 0, c, 0, 0, i * 2, 256), 0);
        }
        CHECK_EQ(vl_tcb_set_space(cf_t, 0, c, 0, VL_CAP_INIT_VSPACE), 0);
        CHECK_EQ(vl_cnode_delete(ROOT, c, 64), 0); /* T's root holds C's only cap */
        att_revoked = 0;
        seen = race_once((vl_word_t)attempt * 8000);
        CHECK_EQ(att_bad, 0);
        CHECK(!race_faulted || att_revoked);
        CHECK_EQ(vl_debug_check(), 0);
        CHECK_EQ(vl_cnode_revoke(ROOT, u, 64), 0);
        CHECK_EQ(vl_debug_check(), 0);
    }
    if (seen == 0) {
        test_skip("the Configure was not seen preempted");
    } else {
        printf("attack: configure preempted at try %d, %lu attacks, T deleted: %s\n", attempt,
               (unsigned long)seen, att_revoked ? "yes" : "no");
    }
}

/* True if [a, a + an) and [b, b + bn) share a byte. */
static bool
overlaps(vl_word_t a, vl_word_t an, vl_word_t b, vl_word_t bn)
{
    return an != 0 && bn != 0 && a < b + bn && b < a + an;
}

/*
 * What the first task's untyped memory reaches, checked against the device tree the test
 * reads itself: no untyped covers the kernel's image or devices (the PLIC, the console
 * UART's page, the test device's page), so no frame retyped from any of them can map
 * them; RAM untypeds lie in RAM, device untypeds outside it; and no two untypeds overlap
 * (two caps to one byte would let one component retype memory another's objects use).
 */
static void
test_attack_untyped_reach(void)
{
    struct fdt_platform plat;
    CHECK_EQ(fdt_parse_platform((const void *)g_bi->dtb_vaddr, g_bi->dtb_size, &plat), FDT_OK);
    CHECK(plat.plic_base != 0 && plat.uart_base != 0 && plat.test_base != 0);
    const vl_word_t page = VL_PAGE_SIZE;
    const vl_word_t kernel = g_bi->kernel_paddr_start;
    const vl_word_t kernel_size = g_bi->kernel_paddr_end - kernel;
    CHECK(kernel_size != 0);
    for (vl_word_t i = 0; i < g_bi->num_untyped; i++) {
        const struct vl_untyped_desc *d = &g_bi->untyped_list[i];
        vl_word_t size = 1ul << d->size_bits;
        CHECK(!overlaps(d->paddr, size, kernel, kernel_size));
        CHECK(!overlaps(d->paddr, size, plat.plic_base, plat.plic_size));
        CHECK(!overlaps(d->paddr, size, plat.uart_base & ~(page - 1), page));
        CHECK(!overlaps(d->paddr, size, plat.test_base & ~(page - 1), page));
        bool in_ram = false, touches_ram = false;
        for (unsigned m = 0; m < plat.num_memory; m++) {
            const struct fdt_region *r = &plat.memory[m];
            in_ram |= d->paddr >= r->base && d->paddr + size <= r->base + r->size;
            touches_ram |= overlaps(d->paddr, size, r->base, r->size);
        }
        if (d->is_device) {
            CHECK(!touches_ram);
        } else {
            CHECK(in_ram);
        }
        for (vl_word_t j = 0; j < i; j++) {
            const struct vl_untyped_desc *e = &g_bi->untyped_list[j];
            CHECK(!overlaps(d->paddr, size, e->paddr, 1ul << e->size_bits));
        }
    }
}

void
attack_tests(void)
{
    RUN(test_attack_untyped_reach);
    RUN(test_attack_preempted_delete);
    RUN(test_attack_cycle_revoke_reuse);
    RUN(test_attack_configure_race);
}
