/*
 * Checker branches fed corrupted objects: each check of the invariant checkers must fire
 * on the corruption it names and stay quiet on a consistent object (found by `make mutate`:
 * mutants of these branches survived while no test fed them a corrupted object).
 */
#include <string.h>

#include "ktest.h"

/* Checks that a checker returned exactly the message want. */
#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *got_ = (got);                                                                  \
        CHECK(got_ != NULL && strcmp(got_, (want)) == 0);                                          \
    } while (0)

/*
 * Five slots outside the derivation tree the kernel walks (so the harness's own checks do
 * not see the corruption): h heads a list h, s[0], s[1], s[2] of endpoint caps; s[3] is empty.
 * Returns s; h is s[-1].
 */
static struct cte *
linked_slots(void)
{
    struct cte *h = kt_alloc(VL_SLOT_BITS + 3);
    struct cte *s = h + 1;
    cap_t epc = cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL);
    for (int i = -1; i < 3; i++) {
        s[i].cap = epc;
        if (i >= 0) {
            s[i].mdb_prev = &s[i - 1];
            mdb_set_next(&s[i - 1], &s[i]);
        }
    }
    return s;
}

KTEST(checker_cdt_slots_consistent)
{
    struct cte *s = linked_slots();
    /* Slots with and without a predecessor and a successor, and an empty slot. */
    CHECK(cdt_check_slots(s - 1, 5) == NULL);
    /* The first slot of an array may head a list of its own (no predecessor). */
    CHECK(cdt_check_slots(s - 1, 1) == NULL);
}

KTEST(checker_cdt_slots_empty_slot_with_links)
{
    struct cte *s = linked_slots();
    s[3].mdb_prev = &s[2];
    CHECK_STR(cdt_check_slots(s, 4), "empty slot has CDT links");
    s[3].mdb_prev = NULL;
    mdb_set_next(&s[3], &s[2]);
    CHECK_STR(cdt_check_slots(s, 4), "empty slot has CDT links");
}

KTEST(checker_cdt_slots_next_prev_mismatch)
{
    struct cte *s = linked_slots();
    s[1].mdb_prev = &s[3]; /* s[0].next is s[1], but s[1].prev no longer s[0] */
    CHECK_STR(cdt_check_slots(s, 1), "next->prev does not point back");
}

KTEST(checker_cdt_slots_prev_next_mismatch)
{
    struct cte *s = linked_slots();
    mdb_set_next(&s[0], &s[2]); /* s[1].prev is s[0], but s[0].next skips s[1] */
    CHECK_STR(cdt_check_slots(&s[1], 1), "prev->next does not point back");
}

KTEST(checker_cdt_slots_link_to_empty)
{
    struct cte *s = linked_slots();
    mdb_set_next(&s[2], &s[3]);
    s[3].mdb_prev = &s[2]; /* linked both ways, but s[3] holds no cap */
    CHECK_STR(cdt_check_slots(&s[2], 1), "CDT links to an empty slot");
}

/* Two runnable threads queued at priority 50 (a first, then b) and one at 120. */
struct queued {
    struct tcb *a, *b, *c;
};

static struct queued
queued_threads(void)
{
    struct queued q = {kt_thread(50, TS_RUNNING), kt_thread(50, TS_RUNNING),
                       kt_thread(120, TS_RUNNING)};
    sched_append(q.a);
    sched_append(q.b);
    sched_append(q.c);
    CHECK(sched_check() == NULL);
    return q;
}

KTEST(checker_sched_current_queued)
{
    struct queued q = queued_threads();
    struct tcb *cur = ks_cur_thread;
    cur->in_ready_queue = true; /* flagged as queued */
    CHECK_STR(sched_check(), "current thread in a ready queue");
    cur->in_ready_queue = false;
    ks_cur_thread = q.b; /* actually in a queue, though not flagged current-queued */
    q.b->in_ready_queue = false;
    CHECK_STR(sched_check(), "current thread in a ready queue");
    q.b->in_ready_queue = true;
    ks_cur_thread = cur;
    CHECK(sched_check() == NULL);
}

KTEST(checker_sched_bitmaps)
{
    queued_threads();
    ready_bitmap[0] ^= BIT(7); /* priority 7: bit set, queue empty */
    CHECK_STR(sched_check(), "ready bitmap disagrees with queue");
    ready_bitmap[0] ^= BIT(7);
    ready_bitmap[120 / 64] ^= BIT(120 % 64); /* priority 120: queue, no bit */
    CHECK_STR(sched_check(), "ready bitmap disagrees with queue");
    ready_bitmap[120 / 64] ^= BIT(120 % 64);
    ready_top ^= BIT(1); /* word 1 (priority 120) not marked in the top level */
    CHECK_STR(sched_check(), "top-level bitmap wrong");
    ready_top ^= BIT(1);
    ready_top ^= BIT(2); /* word 2 marked though empty */
    CHECK_STR(sched_check(), "top-level bitmap wrong");
    ready_top ^= BIT(2);
    CHECK(sched_check() == NULL);
}

KTEST(checker_sched_entries)
{
    struct queued q = queued_threads();
    q.b->priority = 51;
    CHECK_STR(sched_check(), "ready queue entry inconsistent");
    q.b->priority = 50;
    q.b->in_ready_queue = false;
    CHECK_STR(sched_check(), "ready queue entry inconsistent");
    q.b->in_ready_queue = true;
    q.b->sched_prev = NULL;
    CHECK_STR(sched_check(), "ready queue entry inconsistent");
    q.b->sched_prev = q.a;
    q.b->state = TS_INACTIVE;
    CHECK_STR(sched_check(), "non-runnable thread in a ready queue");
    q.b->state = TS_RESTART; /* runnable too */
    CHECK(sched_check() == NULL);
    q.b->state = TS_RUNNING;
    q.a->sched_next = NULL; /* the queue now ends at a, but its tail is b */
    CHECK_STR(sched_check(), "ready queue tail wrong");
    q.a->sched_next = q.b;
    CHECK(sched_check() == NULL);
}

KTEST(checker_untyped_watermark)
{
    char *mem = kt_alloc(12);
    struct cte *ut = kt_insert(cap_untyped(mem, 12, false, 64));
    struct cte *child = kt_slot();
    cte_insert(cap_endpoint(mem + 32, 0, VL_RIGHTS_ALL), ut, child); /* bytes 32..63 */
    CHECK(untyped_check(ut) == NULL);
    ut->cap.w1 = 48; /* the watermark below the end of the child */
    CHECK_STR(untyped_check(ut), "untyped child above the watermark");
    CHECK(kernel_check_invariants() != NULL);
    ut->cap.w1 = 64;
    CHECK(untyped_check(ut) == NULL);
    /* A device untyped has no watermark to respect (its children are frames anywhere). */
    struct cte *dev = kt_insert(cap_untyped(kt_alloc(12), 12, true, 0));
    struct cte *frame = kt_slot();
    cte_insert(cap_frame(cap_ptr(dev->cap), FRAME_4K, true, VL_RIGHTS_ALL), dev, frame);
    CHECK(untyped_check(dev) == NULL);
    INV();
}

/* An endpoint (outside the derivation tree) with two senders queued: a, then b. */
KTEST(checker_endpoint_queue)
{
    struct endpoint *ep = kt_alloc(VL_ENDPOINT_BITS);
    CHECK(ep_check_queue(ep) == NULL); /* idle and empty */
    struct tcb *a = kt_thread(10, TS_BLOCKED_ON_SEND), *b = kt_thread(10, TS_BLOCKED_ON_SEND);
    a->blocking_object = ep;
    b->blocking_object = ep;
    a->ep_next = b;
    b->ep_prev = a;
    ep->head = a;
    ep->tail = b;
    ep->state = EP_SEND;
    CHECK(ep_check_queue(ep) == NULL);
    ep->state = EP_IDLE;
    CHECK_STR(ep_check_queue(ep), "endpoint state disagrees with its queue");
    ep->state = EP_RECV; /* queued threads are senders */
    CHECK_STR(ep_check_queue(ep), "endpoint queue entry inconsistent");
    ep->state = EP_SEND;
    b->blocking_object = NULL;
    CHECK_STR(ep_check_queue(ep), "endpoint queue entry inconsistent");
    b->blocking_object = ep;
    b->ep_prev = NULL;
    CHECK_STR(ep_check_queue(ep), "endpoint queue entry inconsistent");
    b->ep_prev = a;
    ep->tail = a;
    CHECK_STR(ep_check_queue(ep), "endpoint queue tail wrong");
    ep->tail = b;
    CHECK(ep_check_queue(ep) == NULL);
}

/* A notification (outside the derivation tree): waiting threads, pending bits, binding. */
KTEST(checker_notification)
{
    struct notification *n = kt_alloc(VL_NOTIFICATION_BITS);
    CHECK(ntfn_check(n) == NULL);
    n->pending = 5;
    CHECK(ntfn_check(n) == NULL); /* idle may hold bits too */
    n->state = NTFN_ACTIVE;
    CHECK(ntfn_check(n) == NULL);
    struct tcb *a = kt_thread(10, TS_BLOCKED_ON_NTFN), *b = kt_thread(10, TS_BLOCKED_ON_NTFN);
    a->blocking_object = n;
    b->blocking_object = n;
    a->ep_next = b;
    b->ep_prev = a;
    n->head = a;
    n->tail = b;
    CHECK_STR(ntfn_check(n), "notification state disagrees with its queue");
    n->state = NTFN_WAITING;
    CHECK_STR(ntfn_check(n), "notification has pending bits while waiting");
    n->pending = 0;
    CHECK(ntfn_check(n) == NULL);
    b->state = TS_BLOCKED_ON_RECV;
    CHECK_STR(ntfn_check(n), "notification queue entry inconsistent");
    b->state = TS_BLOCKED_ON_NTFN;
    b->blocking_object = NULL;
    CHECK_STR(ntfn_check(n), "notification queue entry inconsistent");
    b->blocking_object = n;
    b->ep_prev = NULL;
    CHECK_STR(ntfn_check(n), "notification queue entry inconsistent");
    b->ep_prev = a;
    n->tail = a;
    CHECK_STR(ntfn_check(n), "notification queue tail wrong");
    n->tail = b;
    struct tcb *t = kt_thread(10, TS_RUNNING);
    n->bound_tcb = t;
    CHECK_STR(ntfn_check(n), "notification binding not mutual");
    t->bound_ntfn = n;
    CHECK(ntfn_check(n) == NULL);
}
