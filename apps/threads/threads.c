/*
 * threads: exercises lib/os's resource allocation and threads (os.h). The main thread
 * allocates an endpoint, maps a fresh buffer and fills it; two worker threads each sum half
 * of it and call the main thread with their sums (a protected-call-style exchange over the
 * endpoint); the main thread replies with an acknowledgement, joins them and checks the
 * total. It frees and reuses slots, checks the priority limit, prints "threads: done", and
 * finally starts a worker that writes to an unmapped address: the supervisor reports that
 * as the component's fault.
 */
#include <stdio.h>
#include <vallum/os.h>

#define WORDS 2048 /* 16 KiB of 64-bit words */
#define WORKERS 2

struct work {
    unsigned index;
    const vl_word_t *words;
    unsigned count;
    vl_cptr_t ep;
    vl_word_t reply; /* what the main thread answered */
};

static struct work work[WORKERS];
static vl_word_t fault_addr;

static void
worker(void *arg)
{
    struct work *w = arg;
    vl_word_t sum = 0;
    for (unsigned i = 0; i < w->count; i++) {
        sum += w->words[i];
    }
    vl_word_t mr[VL_MSG_REGS] = {sum, w->index, 0, 0};
    struct vl_msg m = vl_call(w->ep, vl_msginfo(1, 0, 0, 2), mr);
    w->reply = m.mr[0];
}

static void
faulter(void *arg)
{
    (void)arg;
    *(volatile vl_word_t *)fault_addr = 1;
}

static int
check(int ok, const char *what)
{
    printf("threads: %s: %s\n", what, ok ? "ok" : "FAILED");
    return ok;
}

void
init(void)
{
    const struct vl_comp_info *info = vl_os_info();
    vl_word_t prio = info->priority;
    printf("threads: free slots [%lu, %lu), window [0x%lx, 0x%lx), untyped 2^%lu bytes\n",
           (unsigned long)info->free_slot_start, (unsigned long)info->free_slot_end,
           (unsigned long)info->vaddr_window_start, (unsigned long)info->vaddr_window_end,
           (unsigned long)info->untyped_bits);
    int ok = 1;
    ok &= check(vl_debug_cap_type(VL_COMP_SLOT_UNTYPED) == VL_CAP_UNTYPED &&
                    vl_debug_cap_type(VL_COMP_SLOT_CNODE) == VL_CAP_CNODE &&
                    vl_debug_cap_type(VL_COMP_SLOT_VSPACE) == VL_CAP_VSPACE &&
                    vl_debug_cap_type(VL_COMP_SLOT_TCB) == VL_CAP_TCB,
                "own untyped, CNode, VSpace and TCB");

    vl_cptr_t ep = vl_os_object_alloc(VL_OBJ_ENDPOINT, 0);
    ok &= check(ep != 0 && vl_debug_cap_type(ep) == VL_CAP_ENDPOINT, "endpoint allocated");

    vl_word_t *words = vl_os_map_new(WORDS * sizeof(vl_word_t));
    int zero = words != NULL;
    for (unsigned i = 0; zero && i < WORDS; i++) {
        zero &= words[i] == 0;
    }
    ok &= check(zero, "fresh memory mapped and zeroed");
    vl_word_t expect = 0;
    for (unsigned i = 0; words != NULL && i < WORDS; i++) {
        words[i] = i + 1;
        expect += i + 1;
    }

    struct vl_os_thread *t[WORKERS] = {0};
    for (unsigned i = 0; words != NULL && i < WORKERS; i++) {
        work[i] = (struct work){i, words + i * (WORDS / WORKERS), WORDS / WORKERS, ep, 0};
        t[i] = vl_os_thread_create(worker, &work[i], prio - 10);
        ok &= check(t[i] != NULL, "worker started");
    }
    vl_word_t total = 0;
    for (unsigned n = 0; t[0] != NULL && t[1] != NULL && n < WORKERS; n++) {
        struct vl_msg m = vl_recv(ep);
        printf("threads: worker %lu sent sum %lu\n", (unsigned long)m.mr[1],
               (unsigned long)m.mr[0]);
        total += m.mr[0];
        vl_word_t mr[VL_MSG_REGS] = {1000 + m.mr[1], 0, 0, 0};
        vl_reply(vl_msginfo(0, 0, 0, 1), mr);
    }
    for (unsigned i = 0; i < WORKERS; i++) {
        vl_os_thread_join(t[i]);
    }
    printf("threads: total %lu (expected %lu)\n", (unsigned long)total, (unsigned long)expect);
    ok &= check(total == expect, "sum");
    ok &= check(work[0].reply == 1000 && work[1].reply == 1001, "replies received");

    vl_cptr_t s = vl_os_slot_alloc();
    vl_os_slot_free(s);
    vl_cptr_t s2 = vl_os_slot_alloc();
    ok &= check(s != 0 && s2 == s, "slot freed and reused");
    vl_os_slot_free(s2);
    vl_os_slot_free(ep);
    ok &= check(vl_debug_cap_type(ep) == VL_CAP_NULL, "endpoint freed");
    vl_cptr_t ntfn = vl_os_object_alloc(VL_OBJ_NOTIFICATION, 0);
    ok &= check(ntfn == ep, "freed slot reused for a notification"); /* the lowest free */

    ok &= check(vl_os_thread_create(worker, &work[0], prio + 1) == NULL &&
                    vl_os_error() == VL_RANGE_ERROR,
                "priority above the component's refused");
    ok &=
        check(vl_os_object_alloc(VL_OBJ_UNTYPED, 30) == 0 && vl_os_error() == VL_NOT_ENOUGH_MEMORY,
              "object larger than the untyped refused");
    printf("threads: %s\n", ok ? "all checks passed" : "SOME CHECKS FAILED");
    printf("threads: done\n");

    fault_addr = vl_os_vaddr_alloc(VL_PAGE_SIZE);
    printf("threads: a worker writes to 0x%lx, which is not mapped\n", (unsigned long)fault_addr);
    if (vl_os_thread_create(faulter, NULL, prio - 10) == NULL) {
        printf("threads: cannot start the faulting worker: %s\n", vl_error_name(vl_os_error()));
    }
}
