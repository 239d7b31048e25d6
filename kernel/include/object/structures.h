/*
 * Capabilities, capability slots and the kernel objects they name.
 *
 * A capability is two words:
 *
 *   w0:  63                       16 15        9 8      5 4     0
 *       +---------------------------+-----------+--------+-------+
 *       |  object pointer (48 bits) |   small   | rights |  type |
 *       +---------------------------+-----------+--------+-------+
 *   w1:  type-specific word (badge, guard, watermark, mapping)
 *
 * The object pointer is a kernel virtual address, stored as its low 48 bits and sign
 * extended from bit 47 (kernel addresses on RISC-V Sv39 and host test addresses both
 * survive this). Objects are at least 16-byte aligned.
 */
#pragma once

#include <vallum/invocation.h>
#include <vallum/objects.h>

#include "kernel/refill.h"
#include "types.h"
#include "util.h"

typedef struct cap {
    word_t w0;
    word_t w1;
} cap_t;

enum cap_type {
    CAP_NULL = VL_CAP_NULL,
    CAP_UNTYPED = VL_CAP_UNTYPED,
    CAP_TCB = VL_CAP_TCB,
    CAP_ENDPOINT = VL_CAP_ENDPOINT,
    CAP_NOTIFICATION = VL_CAP_NOTIFICATION,
    CAP_CNODE = VL_CAP_CNODE,
    CAP_FRAME = VL_CAP_FRAME,
    CAP_PAGE_TABLE = VL_CAP_PAGE_TABLE,
    CAP_VSPACE = VL_CAP_VSPACE,
    CAP_REPLY = VL_CAP_REPLY,
    CAP_IRQ_CONTROL = VL_CAP_IRQ_CONTROL,
    CAP_IRQ_HANDLER = VL_CAP_IRQ_HANDLER,
    CAP_ZOMBIE = VL_CAP_ZOMBIE,
    CAP_ASID_CONTROL = VL_CAP_ASID_CONTROL,
    CAP_ASID_POOL = VL_CAP_ASID_POOL,
    CAP_DEBUG = VL_CAP_DEBUG,
    CAP_SHUTDOWN = VL_CAP_SHUTDOWN,
    CAP_SCHED_CONTEXT = VL_CAP_SCHED_CONTEXT,
    CAP_SCHED_CONTROL = VL_CAP_SCHED_CONTROL,
};

static inline cap_t
cap_make(word_t type, word_t rights, word_t small, word_t ptr, word_t w1)
{
    cap_t c;
    c.w0 = (type & 0x1f) | ((rights & 0xf) << 5) | ((small & 0x7f) << 9) | (ptr << 16);
    c.w1 = w1;
    return c;
}

static inline cap_t
cap_null(void)
{
    return cap_make(CAP_NULL, 0, 0, 0, 0);
}

static inline word_t
cap_type(cap_t c)
{
    return c.w0 & 0x1f;
}

static inline word_t
cap_rights(cap_t c)
{
    return (c.w0 >> 5) & 0xf;
}

static inline cap_t
cap_set_rights(cap_t c, word_t rights)
{
    c.w0 = (c.w0 & ~(0xful << 5)) | ((rights & 0xf) << 5);
    return c;
}

static inline bool
cap_has_right(cap_t c, word_t right)
{
    return (cap_rights(c) & right) == right;
}

/* True if c is of the type and has all of rights (one mask and compare). */
static inline bool
cap_is_with_rights(cap_t c, word_t type, word_t rights)
{
    word_t want = type | (rights << 5);
    return (c.w0 & (0x1f | (rights << 5))) == want;
}

static inline word_t
cap_small(cap_t c)
{
    return (c.w0 >> 9) & 0x7f;
}

static inline cap_t
cap_set_small(cap_t c, word_t small)
{
    c.w0 = (c.w0 & ~(0x7ful << 9)) | ((small & 0x7f) << 9);
    return c;
}

/* The object pointer, sign extended from bit 47. */
static inline void *
cap_ptr(cap_t c)
{
    return (void *)(uintptr_t)((int64_t)c.w0 >> 16);
}

static inline word_t
cap_ptr_bits(void *p)
{
    return (word_t)(uintptr_t)p & MASK(48);
}

/* Untyped: small = size_bits (6) | is_device << 6; w1 = watermark in bytes. */
static inline cap_t
cap_untyped(void *base, word_t size_bits, bool is_device, word_t free_index)
{
    return cap_make(CAP_UNTYPED, 0, size_bits | ((word_t)is_device << 6), cap_ptr_bits(base),
                    free_index);
}

static inline word_t
cap_untyped_size_bits(cap_t c)
{
    return cap_small(c) & 0x3f;
}

static inline bool
cap_untyped_is_device(cap_t c)
{
    return (cap_small(c) >> 6) & 1;
}

/* Endpoint and notification: w1 = badge. */
static inline cap_t
cap_endpoint(void *ep, word_t badge, word_t rights)
{
    return cap_make(CAP_ENDPOINT, rights, 0, cap_ptr_bits(ep), badge);
}

static inline cap_t
cap_notification(void *ntfn, word_t badge, word_t rights)
{
    return cap_make(CAP_NOTIFICATION, rights, 0, cap_ptr_bits(ntfn), badge);
}

/*
 * CNode. A CNode cap has no rights; its rights and small fields hold instead
 *   w0 bits 5..10:  64 - (guard_size + radix), the cptr bits a lookup at the top of a
 *                   CSpace leaves for further levels (0 for a CSpace of one CNode);
 *   w0 bits 11..15: radix (1..VL_MAX_CNODE_RADIX);
 *   w1:             the guard, left-aligned: guard << (64 - guard_size), 0 if guard_size
 *                   is 0.
 * So the common lookup (cspace_lookup_one_level) is one mask to check the type and that
 * the CNode resolves all 64 bits, and one exclusive-or to match the guard and leave the
 * index.
 */
#define CNODE_REST_SHIFT 5
#define CNODE_RADIX_SHIFT 11
#define CNODE_ONE_LEVEL_MASK 0x7ffu /* type and rest: CAP_CNODE iff one level */

_Static_assert(VL_MAX_CNODE_RADIX < 32, "a CNode's radix has 5 bits in its cap");

static inline cap_t
cap_cnode(void *slots, word_t radix, word_t guard_size, word_t guard)
{
    assert(radix >= 1 && radix <= VL_MAX_CNODE_RADIX && guard_size + radix <= VL_WORD_BITS);
    cap_t c;
    c.w0 = CAP_CNODE | ((VL_WORD_BITS - guard_size - radix) << CNODE_REST_SHIFT) |
           (radix << CNODE_RADIX_SHIFT) | (cap_ptr_bits(slots) << 16);
    c.w1 = guard_size == 0 ? 0 : guard << (VL_WORD_BITS - guard_size);
    return c;
}

static inline word_t
cap_cnode_radix(cap_t c)
{
    return (c.w0 >> CNODE_RADIX_SHIFT) & 0x1f;
}

static inline word_t
cap_cnode_guard_size(cap_t c)
{
    word_t rest = (c.w0 >> CNODE_REST_SHIFT) & 0x3f;
    return VL_WORD_BITS - rest - cap_cnode_radix(c);
}

static inline word_t
cap_cnode_guard(cap_t c)
{
    word_t guard_size = cap_cnode_guard_size(c);
    return guard_size == 0 ? 0 : c.w1 >> (VL_WORD_BITS - guard_size);
}

static inline cap_t
cap_tcb(void *tcb_obj)
{
    return cap_make(CAP_TCB, VL_RIGHTS_ALL, 0, cap_ptr_bits(tcb_obj), 0);
}

/*
 * Reply: the pointer is the waiting caller's struct tcb (not its TCB object's base, as a
 * TCB cap's: the IPC fast path makes and uses reply caps, and saves an addition each
 * way); small bit 0 = may grant.
 */
struct tcb;
static inline cap_t
cap_reply(struct tcb *caller, bool can_grant)
{
    return cap_make(CAP_REPLY, VL_RIGHTS_ALL, can_grant, cap_ptr_bits(caller), 0);
}

static inline struct tcb *
cap_reply_tcb(cap_t c)
{
    return cap_ptr(c);
}

static inline bool
cap_reply_can_grant(cap_t c)
{
    return cap_small(c) & 1;
}

/*
 * Frame: small = size (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB) | is_device << 2;
 * w1 = mapping: mapped vaddr | asid << 48 | 1 if mapped.
 * Page table: w1 = mapping as for frames. VSpace: w1 = asid.
 */
enum frame_size { FRAME_4K = 0, FRAME_2M = 1, FRAME_1G = 2 };

static inline word_t
frame_size_bits(word_t size)
{
    return 12 + 9 * size;
}

static inline cap_t
cap_frame(void *base, word_t size, bool is_device, word_t rights)
{
    return cap_make(CAP_FRAME, rights, size | ((word_t)is_device << 2), cap_ptr_bits(base), 0);
}

static inline word_t
cap_frame_size(cap_t c)
{
    return cap_small(c) & 3;
}

static inline bool
cap_frame_is_device(cap_t c)
{
    return (cap_small(c) >> 2) & 1;
}

static inline word_t
cap_mapping(word_t vaddr, word_t asid)
{
    return ROUND_DOWN(vaddr, 12) | (asid << 48) | 1;
}

static inline bool
cap_is_mapped(cap_t c)
{
    return c.w1 & 1;
}

static inline word_t
cap_mapped_vaddr(cap_t c)
{
    return ROUND_DOWN(c.w1 & MASK(48), 12);
}

static inline word_t
cap_mapped_asid(cap_t c)
{
    return c.w1 >> 48;
}

/* Page table: small = level of the entry that maps it (2 = in the root, 1 = below). */
static inline cap_t
cap_page_table(void *pt)
{
    return cap_make(CAP_PAGE_TABLE, VL_RIGHTS_ALL, 0, cap_ptr_bits(pt), 0);
}

static inline word_t
cap_page_table_level(cap_t c)
{
    return cap_small(c) & 3;
}

/*
 * VSpace: w1 holds the ASID where the RISC-V satp register has it (bits 44..59), with
 * satp's Sv39 mode above, so that switching to the VSpace only adds the root's page
 * number (arch/vspace_satp.h). The ASID is 0 until ASIDPool_Assign gives the VSpace one;
 * the mode bits are there even then, so no VSpace cap can ever turn into a satp value
 * without translation.
 */
#define VSPACE_ASID_SHIFT 44
#define VSPACE_MODE_SV39 (8ul << 60)

static inline cap_t
cap_vspace(void *root, word_t asid)
{
    return cap_make(CAP_VSPACE, VL_RIGHTS_ALL, 0, cap_ptr_bits(root),
                    VSPACE_MODE_SV39 | (asid << VSPACE_ASID_SHIFT));
}

/* The ASID of a VSpace cap (0: none). */
static inline word_t
cap_vspace_asid(cap_t c)
{
    return (c.w1 >> VSPACE_ASID_SHIFT) & 0xffff;
}

/* ASID control: the authority to make ASID pools; names no memory. */
static inline cap_t
cap_asid_control(void)
{
    return cap_make(CAP_ASID_CONTROL, VL_RIGHTS_ALL, 0, 0, 0);
}

/* ASID pool: ptr = the pool object (4 KiB), w1 = the first of its VL_ASID_POOL_SIZE ASIDs. */
static inline cap_t
cap_asid_pool(void *pool, word_t base)
{
    return cap_make(CAP_ASID_POOL, VL_RIGHTS_ALL, 0, cap_ptr_bits(pool), base);
}

static inline word_t
cap_asid_pool_base(cap_t c)
{
    return c.w1;
}

static inline cap_t
cap_irq_control(void)
{
    return cap_make(CAP_IRQ_CONTROL, VL_RIGHTS_ALL, 0, 0, 0);
}

/* The authority to power the machine off or reset it: no object, no rights, no badge. */
static inline cap_t
cap_shutdown(void)
{
    return cap_make(CAP_SHUTDOWN, 0, 0, 0, 0);
}

/* Scheduling control: the authority to set budgets; names no object, no rights, no badge. */
static inline cap_t
cap_sched_control(void)
{
    return cap_make(CAP_SCHED_CONTROL, 0, 0, 0, 0);
}

/* Scheduling context: ptr = the struct sched_context; no rights, no badge. */
static inline cap_t
cap_sched_context(void *sc)
{
    return cap_make(CAP_SCHED_CONTEXT, 0, 0, cap_ptr_bits(sc), 0);
}

static inline cap_t
cap_irq_handler(word_t irq)
{
    return cap_make(CAP_IRQ_HANDLER, VL_RIGHTS_ALL, 0, 0, irq);
}

/* Debug: names no object; its rights are VL_DEBUG_RIGHT_* (api/debug.h). */
static inline cap_t
cap_debug(word_t rights)
{
    return cap_make(CAP_DEBUG, rights, 0, 0, 0);
}

/*
 * Zombie: an object whose last capability is being deleted and whose slots are being
 * emptied (kernel/src/kernel/delete.c). Only deletion may touch a zombie.
 *   w0 pointer field: the object's base (its first slot) ORed with the number of slots not
 *                     yet emptied: an object is aligned to its size, which is at least 32
 *                     times its number of slots, so the count fits in the base's zero bits;
 *   w0 small:         is_tcb | radix << 1 (radix of a CNode);
 *   w0 rights field:  ZOMBIE_ORPHAN if the zombie is on the orphan list;
 *   w1:               the next slot on the orphan list (0: none, or not on it).
 */
#define ZOMBIE_ORPHAN 1ul

struct cte;

static inline word_t
zombie_size_bits(bool is_tcb, word_t radix)
{
    return is_tcb ? VL_TCB_BITS : radix + VL_SLOT_BITS;
}

static inline cap_t
cap_zombie(void *first_slot, bool is_tcb, word_t radix, word_t remaining)
{
    assert(remaining < BIT(zombie_size_bits(is_tcb, radix)) &&
           ((word_t)(uintptr_t)first_slot & MASK(zombie_size_bits(is_tcb, radix))) == 0);
    return cap_make(CAP_ZOMBIE, 0, (word_t)is_tcb | (radix << 1),
                    cap_ptr_bits(first_slot) | remaining, 0);
}

static inline word_t
cap_zombie_size_bits(cap_t c)
{
    return zombie_size_bits(cap_small(c) & 1, cap_small(c) >> 1);
}

/* The zombie's object: its first slot. */
static inline struct cte *
cap_zombie_slots(cap_t c)
{
    return (struct cte *)((uintptr_t)cap_ptr(c) & ~(uintptr_t)MASK(cap_zombie_size_bits(c)));
}

/* The number of the object's slots not yet emptied (the last ones come first). */
static inline word_t
cap_zombie_count(cap_t c)
{
    return (word_t)(uintptr_t)cap_ptr(c) & MASK(cap_zombie_size_bits(c));
}

static inline cap_t
cap_zombie_set_count(cap_t c, word_t remaining)
{
    c.w0 = (c.w0 & ~(MASK(cap_zombie_size_bits(c)) << 16)) | (remaining << 16);
    return c;
}

static inline bool
cap_zombie_is_orphan(cap_t c)
{
    return cap_rights(c) & ZOMBIE_ORPHAN;
}

/*
 * A capability slot. The capability derivation tree is a doubly linked list in
 * depth-first order, kept in the slots: prev/next point to neighbouring slots, and the
 * low bits of next carry two flags (slots are 32-byte aligned).
 *   MDB_REVOCABLE:    this cap may have children (it is an original cap).
 *   MDB_FIRST_BADGED: this cap is the first with its badge (a badged original).
 */
struct cte {
    cap_t cap;
    struct cte *mdb_prev;
    word_t mdb_next; /* pointer | flags */
};

_Static_assert(sizeof(struct cte) == (1u << VL_SLOT_BITS), "slot size is part of the ABI");

#define MDB_REVOCABLE 1ul
#define MDB_FIRST_BADGED 2ul
#define MDB_FLAGS 3ul

static inline struct cte *
mdb_next(const struct cte *s)
{
    return (struct cte *)(uintptr_t)(s->mdb_next & ~MDB_FLAGS);
}

static inline void
mdb_set_next(struct cte *s, struct cte *next)
{
    s->mdb_next = (word_t)(uintptr_t)next | (s->mdb_next & MDB_FLAGS);
}

static inline bool
mdb_is_revocable(const struct cte *s)
{
    return s->mdb_next & MDB_REVOCABLE;
}

static inline bool
mdb_is_first_badged(const struct cte *s)
{
    return s->mdb_next & MDB_FIRST_BADGED;
}

static inline void
mdb_set_flags(struct cte *s, bool revocable, bool first_badged)
{
    s->mdb_next = (s->mdb_next & ~MDB_FLAGS) | (revocable ? MDB_REVOCABLE : 0) |
                  (first_badged ? MDB_FIRST_BADGED : 0);
}

/* Endpoint: a queue of threads all sending or all receiving. 32 bytes. */
enum ep_state { EP_IDLE = 0, EP_SEND = 1, EP_RECV = 2 };

struct endpoint {
    struct tcb *head; /* queue of blocked threads, FIFO */
    struct tcb *tail;
    word_t state; /* enum ep_state */
    word_t padding;
};

_Static_assert(sizeof(struct endpoint) <= (1u << VL_ENDPOINT_BITS), "endpoint size");

/* Notification: a word of binary semaphores. 64 bytes. */
enum ntfn_state { NTFN_IDLE = 0, NTFN_WAITING = 1, NTFN_ACTIVE = 2 };

struct notification {
    struct tcb *head; /* queue of waiting threads, FIFO (state WAITING) */
    struct tcb *tail;
    word_t state;   /* enum ntfn_state */
    word_t pending; /* OR of badges signalled and not yet received (state ACTIVE) */
    struct tcb *bound_tcb;
    word_t padding[3];
};

_Static_assert(sizeof(struct notification) <= (1u << VL_NOTIFICATION_BITS), "ntfn size");

/*
 * Scheduling context: the CPU time a thread may use, budget per period
 * (docs/kernel/scheduling.md). 256 bytes. Protected by the kernel lock.
 */
struct sched_context {
    /* Budget and period and the refills that make up the budget; budget 0 (and no
     * refills) until SchedControl_Configure sets them. */
    struct refills refills;
    struct tcb *tcb; /* the thread bound to it, or NULL; then tcb->sc is this context */
    word_t consumed; /* ticks charged since SchedContext_Consumed last read it */
};

_Static_assert(sizeof(struct sched_context) <= (1u << VL_SCHED_CONTEXT_BITS), "sc size");

/* Thread states. */
enum thread_state {
    TS_INACTIVE = 0,
    TS_RUNNING,
    TS_RESTART, /* re-execute the system call at fault_ip when next run */
    TS_BLOCKED_ON_RECV,
    TS_BLOCKED_ON_SEND,
    TS_BLOCKED_ON_REPLY,
    TS_BLOCKED_ON_NTFN,
    TS_IDLE,
};

/* Fault kinds a thread can have pending (see uapi/vallum/fault.h for the messages). */
enum fault_type {
    FAULT_NONE = 0,
    FAULT_CAP = 1,
    FAULT_UNKNOWN_SYSCALL = 2,
    FAULT_USER_EXCEPTION = 3,
    FAULT_VM = 4,
};

struct fault {
    word_t type;
    word_t w[4]; /* meaning depends on type; see fault.c */
};

/* The slots every TCB object carries, at its start. */
enum tcb_slot {
    TCB_CTABLE = 0, /* CSpace root */
    TCB_VTABLE = 1, /* VSpace root */
    TCB_BUFFER = 2, /* frame holding the IPC buffer */
    TCB_CALLER = 3, /* reply cap to the thread that last Called this one */
    TCB_NUM_SLOTS = 4,
};

/*
 * A thread. The TCB object (1 KiB) starts with TCB_NUM_SLOTS slots followed by this
 * structure; a TCB capability points at the start of the object.
 */
struct tcb {
    word_t regs[32];       /* [0] = pc to resume at, [i] = x_i */
    word_t fault_ip;       /* pc of the trapping instruction (for restart) */
    word_t state;          /* enum thread_state */
    void *blocking_object; /* endpoint or notification blocked on */
    word_t blocking_badge; /* badge of the cap sent with, when blocked on send */
    bool blocking_can_grant;
    bool blocking_can_grant_reply;
    bool blocking_is_call;
    uint8_t priority;
    uint8_t mcp; /* maximum controlled priority */
    bool in_ready_queue;
    bool in_release_queue; /* CONFIG_MCS: waiting for its budget (kernel/thread.c) */
    bool sc_full_share;    /* bound to a context with budget = period (sc_update_share) */
    struct tcb *ep_next;   /* endpoint or notification queue; protected by the kernel lock */
    struct tcb *ep_prev;
    struct tcb *sched_next; /* ready queue, or release queue if in_release_queue */
    struct tcb *sched_prev;
    word_t time_slice; /* ticks left */
    struct notification *bound_ntfn;
    struct sched_context *sc; /* bound scheduling context, or NULL; then sc->tcb is this */
    word_t ipc_buffer;        /* user virtual address of the IPC buffer, 0 if none */
    cptr_t fault_ep;          /* cptr of the fault endpoint in the thread's CSpace */
    struct cte *reply_slot;   /* slot holding the reply cap for this thread, if any */
    struct fault fault;       /* pending fault, delivered to the fault endpoint */
    char name[32];
};

#define TCB_OFFSET (TCB_NUM_SLOTS * sizeof(struct cte))

_Static_assert(TCB_OFFSET + sizeof(struct tcb) <= (1u << VL_TCB_BITS), "TCB object size");

static inline struct tcb *
tcb_from_obj(void *obj)
{
    return (struct tcb *)((char *)obj + TCB_OFFSET);
}

static inline struct cte *
tcb_slots(struct tcb *t)
{
    return (struct cte *)((char *)t - TCB_OFFSET);
}

static inline struct cte *
tcb_slot(struct tcb *t, enum tcb_slot s)
{
    return &tcb_slots(t)[s];
}

/* The thread a TCB cap names (a reply cap's: cap_reply_tcb). */
static inline struct tcb *
cap_tcb_ptr(cap_t c)
{
    assert(cap_type(c) == CAP_TCB);
    return tcb_from_obj(cap_ptr(c));
}
