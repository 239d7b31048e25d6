/*
 * init: the supervisor. Every component's fault endpoint is init's supervisor endpoint,
 * badged with the component's index + 1 (INIT_FAULT_BADGE). A fault is logged, with the
 * function its pc falls in (docs/faults.md, "Fault reports"); the component is then restarted
 * with fresh private memory (its untyped revoked, its image, stack, heap and CSpace rebuilt;
 * shared regions, endpoints and peers untouched) or stopped, as its restart policy says, or,
 * for a component with a `fault_handler`, as that handler answers (faults.c).
 */
#include "init.h"

#include <stdio.h>

/* Describes the fault of message m into buf. */
static void
describe(const struct vl_msg *m, char *buf, size_t len)
{
    vl_word_t label = vl_msginfo_label(m->info);
    /* A made-up fault (a component's own Call) may be short: its words are not read. */
    if (faultcheck_length(label, vl_msginfo_length(m->info)) == 0) {
        snprintf(buf, len, "fault %lu of %lu words", (unsigned long)label,
                 (unsigned long)vl_msginfo_length(m->info));
        return;
    }
    switch (label) {
    case VL_FAULT_VM: {
        vl_word_t access = m->mr[3];
        const char *how = (access & 4) ? "executing" : (access & 2) ? "writing" : "reading";
        snprintf(buf, len, "page fault %s 0x%lx", how, (unsigned long)m->mr[1]);
        break;
    }
    case VL_FAULT_CAP:
        snprintf(buf, len, "capability fault on slot %lu", (unsigned long)m->mr[1]);
        break;
    case VL_FAULT_USER_EXCEPTION:
        snprintf(buf, len, "exception %lu (stval 0x%lx)", (unsigned long)m->mr[2],
                 (unsigned long)m->mr[3]);
        break;
    default: /* VL_FAULT_UNKNOWN_SYSCALL: the only other label faultcheck_length() takes */
        snprintf(buf, len, "unknown system call %lu", (unsigned long)vl_ipc_buffer->msg[11]);
        break;
    }
}

#define SYMBOL_CHARS 47 /* of a function's name in a report; longer ones are cut */

/*
 * Names the function of c's program that pc falls in, as " (function+0xoffset)" into buf, or
 * "" if none does: a made-up fault's pc, a jump outside the program. The symbol table is the
 * program's own, in the system image, which image_check() parsed (lib/elf checks the tables
 * as it reads them); a name is as untrusted, so any byte but printable ASCII shows as '?'.
 */
static void
describe_pc(const struct comp *c, vl_word_t pc, char *buf, size_t len)
{
    struct elf_symbol sym;
    char name[SYMBOL_CHARS + 1];
    buf[0] = '\0';
    if (elf_find_function(&c->elf, pc, &sym) != ELF_OK) {
        return;
    }
    size_t n = 0;
    for (; n < SYMBOL_CHARS && sym.name[n] != '\0'; n++) {
        name[n] = sym.name[n] >= 0x20 && sym.name[n] <= 0x7e ? sym.name[n] : '?';
    }
    name[n] = '\0';
    snprintf(buf, len, " (%s+0x%lx)", name, (unsigned long)(pc - sym.value));
}

/* Whether c's policy allows another restart now; records it if so. */
static int
may_restart(struct comp *c, const char **why)
{
    const struct vl_sysimg_component *d = c->desc;
    if (d->restart_policy == VL_RESTART_NEVER) {
        *why = "restart policy never";
        return 0;
    }
    uint64_t now = build_now_ms();
    if (d->restart_policy == VL_RESTART_LIMITED) {
        vl_word_t recent = 0;
        vl_word_t known = c->restarts < INIT_MAX_RESTART_LOG ? c->restarts : INIT_MAX_RESTART_LOG;
        for (vl_word_t i = 0; i < known; i++) {
            if (now - c->restart_ms[i] < d->restart_window_ms) {
                recent++;
            }
        }
        if (recent >= d->restart_max) {
            *why = "restart limit reached";
            return 0;
        }
    }
    c->restart_ms[c->restarts % INIT_MAX_RESTART_LOG] = now;
    return 1;
}

void
supervise_restart(struct comp *c)
{
    faults_drop(c);
    build_unmap_shared(c);
    int err = vl_cnode_revoke(ROOT, c->ut, INIT_DEPTH);
    if (err != 0) {
        printf("init: cannot revoke %s's memory: %s\n", c->name, vl_error_name(err));
        c->state = COMP_STOPPED;
        return;
    }
    c->restarts++;
    if (build_component(c) != 0) {
        c->state = COMP_STOPPED;
        printf("init: %s stopped: rebuild failed\n", c->name);
        return;
    }
    printf("init: restarted %s (restart %lu)\n", c->name, (unsigned long)c->restarts);
    if (vl_debug_check() > 0) {
        printf("init: kernel invariants VIOLATED after restarting %s\n", c->name);
    }
    printf("init: memory in use %lu bytes\n", (unsigned long)alloc_memory_in_use());
}

void
supervise_stop(struct comp *c, const char *why)
{
    /* Leave it blocked on its fault for good: it never runs again. Threads it made
     * itself (from its own untyped) are destroyed with everything else made from it. */
    faults_drop(c);
    vl_tcb_suspend(c->tcb);
    if (c->own_ut != 0) {
        vl_cnode_revoke(c->cnode, VL_COMP_SLOT_UNTYPED, VL_COMP_CNODE_BITS);
    }
    c->state = COMP_STOPPED;
    printf("init: %s stopped: %s\n", c->name, why);
    printf("init: memory in use %lu bytes\n", (unsigned long)alloc_memory_in_use());
}

void
supervise_by_policy(struct comp *c)
{
    const char *why = "";
    if (c->state == COMP_RUNNING && may_restart(c, &why)) {
        supervise_restart(c);
    } else {
        supervise_stop(c, why);
    }
}

void
supervise(void)
{
    for (;;) {
        struct vl_msg m = vl_recv(g_fault_ep);
        if (m.badge & VL_COMP_FAULTS_BADGE) {
            faults_serve(&m);
            continue;
        }
        if (m.badge == 0 || m.badge > INIT_FAULT_BADGE(g_img.ncomps - 1)) {
            continue;
        }
        struct comp *c = &g_comps[m.badge - INIT_FAULT_BADGE(0)];
        char cause[96];
        char where[96];
        describe(&m, cause, sizeof(cause));
        describe_pc(c, m.mr[0], where, sizeof(where));
        printf("init: %s faulted: %s at pc 0x%lx%s\n", c->name, cause, (unsigned long)m.mr[0],
               where);
        /* Handed over first: that copies the fault's words from the IPC buffer, which the
         * restarts below may overwrite. */
        int is_handed =
            c->state == COMP_RUNNING && faults_has_handler(c) && faults_hand_over(c, &m) == 0;
        /* A handler that faulted answers nothing more for now: its children's pending
         * faults go back to their restart policy, before it is itself restarted or held. */
        faults_orphan(c);
        if (!is_handed) {
            supervise_by_policy(c);
        }
    }
}
