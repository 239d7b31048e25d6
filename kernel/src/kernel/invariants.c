/*
 * Invariant checkers: walk every capability (the derivation list starts at cdt_root) and
 * check the objects they name. Tests call these after every operation.
 */
#include "api/syscall.h"
#include "arch/machine.h"
#include "kernel/delete.h"
#include "kernel/thread.h"
#include "object/cap.h"
#include "object/endpoint.h"
#include "object/irq.h"
#include "object/notification.h"
#include "object/schedcontext.h"
#include "object/untyped.h"

struct cte cdt_root;

/* Upper bound on the caps walked, so a corrupted (cyclic) list cannot hang the check. */
#define CHECK_MAX_CAPS (1ul << 24)

static const char *
check_tcb(struct tcb *t)
{
    if (t->in_ready_queue && !thread_is_runnable(t)) {
        return "queued thread not runnable";
    }
    if ((t->state == TS_BLOCKED_ON_SEND || t->state == TS_BLOCKED_ON_RECV ||
         t->state == TS_BLOCKED_ON_NTFN) &&
        t->blocking_object == NULL) {
        return "blocked thread without an object";
    }
    if (t->reply_slot != NULL &&
        (cap_type(t->reply_slot->cap) != CAP_REPLY || cap_reply_tcb(t->reply_slot->cap) != t)) {
        return "reply slot back pointer wrong";
    }
    /* reply_cap_set and the fast path write only the words of the caller slot that differ
     * from an empty slot's, which is all zero; a reply cap has w1 0 and no derivation
     * parent. */
    const struct cte *caller = tcb_slot(t, TCB_CALLER);
    if (cap_type(caller->cap) == CAP_NULL
            ? (caller->cap.w0 | caller->cap.w1 | (word_t)caller->mdb_prev | caller->mdb_next) != 0
            : cap_type(caller->cap) != CAP_REPLY || caller->cap.w1 != 0 ||
                  caller->mdb_prev != NULL) {
        return "caller slot neither all zero nor a reply cap";
    }
    if (t->bound_ntfn != NULL && t->bound_ntfn->bound_tcb != t) {
        return "binding not mutual";
    }
    if (t->sc != NULL && t->sc->tcb != t) {
        return "scheduling context binding not mutual";
    }
    /* A context no cap names (the first task's) is checked through its thread. */
    if (t->sc != NULL && sc_check(t->sc) != NULL) {
        return sc_check(t->sc);
    }
    bool full = t->sc != NULL && t->sc->refills.budget != 0 &&
                t->sc->refills.budget == t->sc->refills.period;
    if (t->sc_full_share != full) {
        return "thread's full-share flag disagrees with its context";
    }
    if (t->in_release_queue && (t->in_ready_queue || !thread_is_runnable(t))) {
        return "thread in the release queue queued or not runnable";
    }
    /* The exit paths load satp from this cap without looking at its ASID. */
    cap_t vs = tcb_slot(t, TCB_VTABLE)->cap;
    if (cap_type(vs) != CAP_NULL && (cap_type(vs) != CAP_VSPACE || cap_vspace_asid(vs) == 0)) {
        return "thread's VSpace slot without a VSpace that has an ASID";
    }
    return NULL;
}

static const char *
check_cap(const struct cte *slot)
{
    cap_t cap = slot->cap;
    switch (cap_type(cap)) {
    case CAP_NULL:
        return "null cap in the derivation list";
    case CAP_ENDPOINT:
        return ep_check_queue(cap_ptr(cap));
    case CAP_NOTIFICATION:
        return ntfn_check(cap_ptr(cap));
    case CAP_TCB:
        return check_tcb(cap_tcb_ptr(cap));
    case CAP_SCHED_CONTEXT:
        return sc_check(cap_ptr(cap));
    case CAP_UNTYPED:
        return untyped_check(slot);
    default:
        return arch_check_cap(cap);
    }
}

#ifndef NDEBUG
/*
 * Every slot in the derivation list lies in a live object that has slots (a CNode or TCB
 * with a cap, or a zombie: an object being emptied) or is one of the kernel's own slots.
 * A slot left linked in the memory of a destroyed object would be reset and handed to
 * user space with its untyped while the kernel still reads and writes it as a slot.
 * The containers are gathered first (at most CHECK_MAX_CONTAINERS; beyond that this
 * check is skipped), then every slot is looked up among them.
 */
#define CHECK_MAX_CONTAINERS 2048

static struct {
    uintptr_t base;
    uintptr_t end; /* one past the last slot */
} containers[CHECK_MAX_CONTAINERS];

static bool
container_of(cap_t cap, uintptr_t *base, uintptr_t *end)
{
    switch (cap_type(cap)) {
    case CAP_CNODE:
        *base = (uintptr_t)cap_ptr(cap);
        *end = *base + (BIT(cap_cnode_radix(cap)) << VL_SLOT_BITS);
        return true;
    case CAP_TCB:
        *base = (uintptr_t)cap_ptr(cap);
        *end = *base + TCB_NUM_SLOTS * sizeof(struct cte);
        return true;
    case CAP_ZOMBIE:
        *base = (uintptr_t)cap_zombie_slots(cap);
        *end = *base + BIT(cap_zombie_size_bits(cap));
        return true;
    default:
        return false;
    }
}

static const char *
check_slots_live(void)
{
    word_t n = 0;
    for (const struct cte *s = mdb_next(&cdt_root); s != NULL; s = mdb_next(s)) {
        uintptr_t base, end;
        if (container_of(s->cap, &base, &end)) {
            if (n == CHECK_MAX_CONTAINERS) {
                return NULL;
            }
            containers[n].base = base;
            containers[n].end = end;
            n++;
        }
    }
    for (const struct cte *s = mdb_next(&cdt_root); s != NULL; s = mdb_next(s)) {
        uintptr_t a = (uintptr_t)s;
        bool live = irq_owns_slot(s) || arch_slot_is_static(s);
        for (word_t i = 0; i < n && !live; i++) {
            live = a >= containers[i].base && a < containers[i].end;
        }
        if (!live) {
            return "a linked slot lies in no live object";
        }
    }
    return NULL;
}
#endif

/* True if s holds the first cap of an object the ASID tables record (a VSpace with an
 * ASID, an ASID pool) in the list: the caps to one object are neighbours there. */
static bool
is_first_asid_object_cap(const struct cte *prev, const struct cte *s, word_t type)
{
    if (cap_type(s->cap) != type || cap_same_object_as(prev->cap, s->cap)) {
        return false;
    }
    return type != CAP_VSPACE || cap_vspace_asid(s->cap) != 0;
}

const char *
kernel_check_invariants(void)
{
    const char *why = sched_check();
    if (why == NULL) {
        why = delete_check_orphans();
    }
    if (why != NULL) {
        return why;
    }
    if (cdt_root.mdb_prev != NULL || cap_type(cdt_root.cap) != CAP_NULL) {
        return "derivation root damaged";
    }
    const struct cte *prev = &cdt_root;
    word_t n = 0;
    word_t vspaces = 0;
    word_t pools = 0;
    for (const struct cte *s = mdb_next(&cdt_root); s != NULL; s = mdb_next(s)) {
        if (++n > CHECK_MAX_CAPS) {
            return "derivation list too long (cycle?)";
        }
        if (s->mdb_prev != prev) {
            return "derivation list links not mutual";
        }
        why = check_cap(s);
        if (why != NULL) {
            return why;
        }
        vspaces += is_first_asid_object_cap(prev, s, CAP_VSPACE);
        pools += is_first_asid_object_cap(prev, s, CAP_ASID_POOL);
        prev = s;
    }
#ifndef NDEBUG
    why = check_slots_live();
    if (why != NULL) {
        return why;
    }
#endif
    why = arch_check_asids(vspaces, pools);
    if (why != NULL) {
        return why;
    }
    return arch_check_mappings();
}
