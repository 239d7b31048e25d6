/*
 * lib/os: allocators for slots, kernel objects and virtual addresses, fresh mappings and
 * threads (os.h), over what init gives a component with `untyped` (component.h).
 */
#include <vallum/os.h>

#include <picotls.h>
#include <stdint.h>
#include <string.h>

#define SLOTS (1u << VL_COMP_CNODE_BITS)
#define WORD_BITS 64u
#define MAX_THREADS 32
#define TLS_ALIGN 64ul

static __thread int os_error;
static uint64_t slot_used[SLOTS / WORD_BITS]; /* 1: not free (or outside the free range) */
static int slots_ready;
static vl_word_t vaddr_next;

extern char __tls_size[];

struct vl_os_thread {
    vl_cptr_t tcb;
    vl_cptr_t done; /* notification: signalled when fn has returned */
    void (*fn)(void *);
    void *arg;
    struct vl_ipc_buffer *ipc;
};
static struct vl_os_thread threads[MAX_THREADS];
static unsigned nthreads;

int
vl_os_error(void)
{
    return os_error;
}

/* Marks slot s free in the bitmap. */
static void
slot_release(vl_cptr_t s)
{
    slot_used[s / WORD_BITS] &= ~(1ull << (s % WORD_BITS));
}

/* bytes rounded up to whole pages (0 if that overflows). */
static vl_word_t
page_round(vl_word_t bytes)
{
    return (bytes + VL_PAGE_SIZE - 1) & ~(vl_word_t)(VL_PAGE_SIZE - 1);
}

static int
has_untyped(void)
{
    const struct vl_comp_info *info = vl_os_info();
    if (info == NULL || info->untyped_bits == 0) {
        os_error = VL_INVALID_CAPABILITY;
        return 0;
    }
    return 1;
}

static void
slots_init(void)
{
    if (slots_ready) {
        return;
    }
    slots_ready = 1;
    memset(slot_used, 0xff, sizeof(slot_used));
    const struct vl_comp_info *info = vl_os_info();
    vl_word_t end = info->free_slot_end < SLOTS ? info->free_slot_end : SLOTS;
    for (vl_word_t s = info->free_slot_start; s < end; s++) {
        if (s != 0) {
            slot_release(s);
        }
    }
}

static int
in_free_range(vl_cptr_t s)
{
    const struct vl_comp_info *info = vl_os_info();
    return s != 0 && s >= info->free_slot_start && s < info->free_slot_end && s < SLOTS;
}

vl_cptr_t
vl_os_slot_alloc(void)
{
    if (!has_untyped()) {
        return 0;
    }
    slots_init();
    for (unsigned w = 0; w < SLOTS / WORD_BITS; w++) {
        if (~slot_used[w] != 0) {
            unsigned bit = (unsigned)__builtin_ctzll(~slot_used[w]);
            slot_used[w] |= 1ull << bit;
            return w * WORD_BITS + bit;
        }
    }
    os_error = VL_NOT_ENOUGH_MEMORY;
    return 0;
}

void
vl_os_slot_free(vl_cptr_t s)
{
    if (!has_untyped() || !in_free_range(s)) {
        return;
    }
    slots_init();
    vl_cnode_delete(VL_COMP_SLOT_CNODE, s, VL_WORD_BITS);
    slot_release(s);
}

vl_cptr_t
vl_os_object_alloc(vl_word_t type, vl_word_t size_bits)
{
    vl_cptr_t s = vl_os_slot_alloc();
    if (s == 0) {
        return 0;
    }
    int err =
        vl_untyped_retype(VL_COMP_SLOT_UNTYPED, type, size_bits, VL_COMP_SLOT_CNODE, 0, 0, s, 1);
    if (err != 0) {
        os_error = err;
        slot_release(s);
        return 0;
    }
    return s;
}

vl_word_t
vl_os_vaddr_alloc(vl_word_t bytes)
{
    if (!has_untyped()) {
        return 0;
    }
    const struct vl_comp_info *info = vl_os_info();
    if (vaddr_next == 0) {
        vaddr_next = info->vaddr_window_start;
    }
    vl_word_t len = page_round(bytes);
    if (bytes == 0 || len < bytes || len > info->vaddr_window_end - vaddr_next) {
        os_error = VL_NOT_ENOUGH_MEMORY;
        return 0;
    }
    vl_word_t va = vaddr_next;
    vaddr_next += len;
    return va;
}

/* A page table from the component's untyped, for vl_frame_map_tables. */
static int
new_table(void *ctx, vl_cptr_t *pt)
{
    (void)ctx;
    *pt = vl_os_object_alloc(VL_OBJ_PAGE_TABLE, 0);
    return *pt != 0 ? 0 : os_error;
}

/* Maps frame at va read-write, never executable, making page tables as needed. */
static int
map_frame(vl_cptr_t frame, vl_word_t va)
{
    return vl_frame_map_tables(frame, VL_COMP_SLOT_VSPACE, va, VL_RIGHT_READ | VL_RIGHT_WRITE,
                               VL_MAP_EXECUTE_NEVER, new_table, NULL);
}

/* Maps fresh frames over [va, va + len); returns 0 or the error. */
static int
map_fresh(vl_word_t va, vl_word_t len, vl_cptr_t *first_frame)
{
    for (vl_word_t off = 0; off < len; off += VL_PAGE_SIZE) {
        vl_cptr_t f = vl_os_object_alloc(VL_OBJ_FRAME_4K, 0);
        if (f == 0) {
            return os_error;
        }
        int err = map_frame(f, va + off);
        if (err != 0) {
            vl_os_slot_free(f);
            return err;
        }
        if (off == 0 && first_frame != NULL) {
            *first_frame = f;
        }
    }
    return 0;
}

void *
vl_os_map_new(vl_word_t bytes)
{
    vl_word_t va = vl_os_vaddr_alloc(bytes);
    if (va == 0) {
        return NULL;
    }
    int err = map_fresh(va, page_round(bytes), NULL);
    if (err != 0) {
        os_error = err;
        return NULL;
    }
    return (void *)(uintptr_t)va;
}

static __attribute__((noreturn)) void
thread_entry(void *arg)
{
    struct vl_os_thread *t = arg;
    vl_ipc_buffer = t->ipc;
    t->fn(t->arg);
    vl_signal(t->done);
    for (;;) {
        vl_tcb_suspend(t->tcb);
    }
}

/* Fails thread creation with err, giving back t's TCB and notification slots if made
 * (its memory and address range stay used: neither is ever reclaimed). */
static struct vl_os_thread *
thread_fail(struct vl_os_thread *t, int err)
{
    if (t != NULL) {
        vl_os_slot_free(t->tcb);
        vl_os_slot_free(t->done);
    }
    os_error = err;
    return NULL;
}

struct vl_os_thread *
vl_os_thread_create(void (*fn)(void *), void *arg, vl_word_t prio)
{
    if (!has_untyped()) {
        return NULL;
    }
    if (prio > vl_os_info()->priority) {
        return thread_fail(NULL, VL_RANGE_ERROR);
    }
    if (nthreads >= MAX_THREADS) {
        return thread_fail(NULL, VL_NOT_ENOUGH_MEMORY);
    }
    vl_word_t tls_bytes = ((vl_word_t)__tls_size + TLS_ALIGN - 1) & ~(TLS_ALIGN - 1);
    if (tls_bytes > VL_OS_THREAD_STACK / 4) {
        return thread_fail(NULL, VL_NOT_ENOUGH_MEMORY);
    }
    struct vl_os_thread *t = &threads[nthreads];
    memset(t, 0, sizeof(*t));
    t->fn = fn;
    t->arg = arg;
    /* The IPC buffer's page, then a guard page and the stack (TLS at its top). */
    vl_word_t ipc_va = vl_os_vaddr_alloc(VL_PAGE_SIZE);
    vl_word_t area = vl_os_vaddr_alloc(VL_PAGE_SIZE + VL_OS_THREAD_STACK);
    if (ipc_va == 0 || area == 0) {
        return NULL;
    }
    vl_cptr_t ipc_frame = 0;
    int err = map_fresh(ipc_va, VL_PAGE_SIZE, &ipc_frame);
    if (err == 0) {
        err = map_fresh(area + VL_PAGE_SIZE, VL_OS_THREAD_STACK, NULL);
    }
    if (err != 0) {
        return thread_fail(NULL, err);
    }
    t->tcb = vl_os_object_alloc(VL_OBJ_TCB, 0);
    t->done = vl_os_object_alloc(VL_OBJ_NOTIFICATION, 0);
    if (t->tcb == 0 || t->done == 0) {
        return thread_fail(t, os_error);
    }
    t->ipc = (struct vl_ipc_buffer *)(uintptr_t)ipc_va;
    vl_word_t top = area + VL_PAGE_SIZE + VL_OS_THREAD_STACK;
    vl_word_t tls = top - tls_bytes;
    _init_tls((void *)(uintptr_t)tls);
    if ((err = vl_tcb_configure(t->tcb, VL_COMP_SLOT_FAULT, VL_COMP_SLOT_CNODE,
                                VL_WORD_BITS - VL_COMP_CNODE_BITS, VL_COMP_SLOT_VSPACE, ipc_va,
                                ipc_frame)) != 0 ||
        (err = vl_tcb_set_priority(t->tcb, VL_COMP_SLOT_TCB, prio)) != 0) {
        return thread_fail(t, err);
    }
    vl_word_t regs[VL_NUM_REGISTERS];
    vl_thread_regs(regs, thread_entry, t, tls, tls);
    if ((err = vl_tcb_write_registers(t->tcb, 1, VL_NUM_REGISTERS, regs)) != 0) {
        return thread_fail(t, err);
    }
    nthreads++;
    return t;
}

void
vl_os_thread_join(struct vl_os_thread *t)
{
    if (t != NULL) {
        vl_wait(t->done);
    }
}

vl_cptr_t
vl_os_thread_tcb(const struct vl_os_thread *t)
{
    return t != NULL ? t->tcb : 0;
}
