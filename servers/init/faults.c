/*
 * init: the fault service (faultsvc.h, docs/faults.md). A component with a `fault_handler`
 * faults to init like every other; init keeps its faulted thread waiting on a reply
 * capability it saves, tells the handler, and does what the handler answers: restart,
 * resume or stop. Init stays the mechanism: it never waits for a handler (it signals it and
 * answers its calls at once), checks every answer against the faults it has pending for
 * that handler, and takes the pending faults back to the restart policy when the handler
 * itself faults.
 */
#include "init.h"

#include <stdio.h>
#include <string.h>

static vl_word_t next_ticket = 1;
/* Per component: its fault held for its handler, if any. */
static struct pending_fault pending[VL_SYSIMG_MAX_COMPONENTS];

int
faults_plan(void)
{
    for (uint64_t i = 0; i < g_img.ncomps; i++) {
        struct comp *c = &g_comps[i];
        if (c->desc->fault_handler == VL_SYSIMG_NO_FAULT_HANDLER) {
            continue;
        }
        c->handler = &g_comps[c->desc->fault_handler];
        c->handler->fault_children |= 1ull << i;
        c->fault_reply = alloc_slots(1);
        if (c->fault_reply == 0) {
            return VL_NOT_ENOUGH_MEMORY;
        }
    }
    for (uint64_t i = 0; i < g_img.ncomps; i++) {
        struct comp *h = &g_comps[i];
        if (h->fault_children == 0) {
            continue;
        }
        h->fault_signal = alloc_slots(1);
        if (h->fault_signal == 0) {
            return VL_NOT_ENOUGH_MEMORY;
        }
        int err = vl_cnode_mint(ROOT, h->fault_signal, INIT_DEPTH, ROOT, h->ntfn, INIT_DEPTH,
                                VL_RIGHT_WRITE, 1ull << VL_COMP_FAULT_CHANNEL);
        if (err != 0) {
            return err;
        }
    }
    return 0;
}

int
faults_has_handler(const struct comp *c)
{
    return c->handler != NULL && c->handler->state == COMP_RUNNING &&
           !pending[c->handler->index].is_active;
}

int
faults_hand_over(struct comp *c, const struct vl_msg *m)
{
    vl_word_t label = vl_msginfo_label(m->info);
    vl_word_t n = faultcheck_length(label, vl_msginfo_length(m->info));
    if (n == 0) {
        return -1;
    }
    if (pending[c->index].is_active) {
        /* Another thread of c faulted: one fault per component is pending at a time. Its
         * reply capability goes with init's next Recv, which leaves that thread stopped. */
        printf("init: %s faulted again with a fault pending: that thread stays stopped\n", c->name);
        return 0;
    }
    int err = vl_cnode_save_caller(ROOT, c->fault_reply, INIT_DEPTH);
    if (err != 0) {
        printf("init: cannot keep %s's fault: %s\n", c->name, vl_error_name(err));
        return -1;
    }
    struct pending_fault *p = &pending[c->index];
    memset(p, 0, sizeof(*p));
    for (vl_word_t i = 0; i < n; i++) {
        p->mr[i] = i < VL_MSG_REGS ? m->mr[i] : vl_ipc_buffer->msg[i];
    }
    p->label = label;
    p->ticket = next_ticket++;
    p->is_active = 1;
    vl_signal(c->handler->fault_signal);
    printf("init: %s's fault goes to its handler %s\n", c->name, c->handler->name);
    return 0;
}

void
faults_drop(struct comp *c)
{
    if (!pending[c->index].is_active) {
        return;
    }
    /* Deleting an unused reply capability leaves its thread stopped (docs/kernel/faults.md). */
    vl_cnode_delete(ROOT, c->fault_reply, INIT_DEPTH);
    memset(&pending[c->index], 0, sizeof(pending[c->index]));
}

void
faults_orphan(struct comp *h)
{
    for (uint64_t i = 0; i < g_img.ncomps; i++) {
        struct comp *c = &g_comps[i];
        if (!(h->fault_children & (1ull << i)) || !pending[i].is_active) {
            continue;
        }
        printf("init: %s's handler %s is down: %s's fault goes to its restart policy\n", c->name,
               h->name, c->name);
        faults_drop(c);
        supervise_by_policy(c);
    }
}

/* Replies to the handler's call with label and the first n words of mr. */
static void
reply(vl_word_t label, const vl_word_t *mr, vl_word_t n)
{
    for (vl_word_t i = VL_MSG_REGS; i < n; i++) {
        vl_ipc_buffer->msg[i] = mr[i];
    }
    vl_reply(vl_msginfo(label, 0, 0, n), mr);
}

static void
serve_next(struct comp *h)
{
    vl_word_t mr[VL_FAULTS_NEXT_LENGTH] = {0};
    for (uint64_t i = 0; i < g_img.ncomps; i++) {
        struct comp *c = &g_comps[i];
        if ((h->fault_children & (1ull << i)) && pending[i].is_active && !pending[i].is_told) {
            pending[i].is_told = 1;
            faultcheck_describe(&pending[i], i, c->name, mr);
            reply(VL_FAULTS_OK, mr, VL_FAULTS_NEXT_LENGTH);
            return;
        }
    }
    reply(VL_FAULTS_NONE, mr, 0);
}

/* Resumes c's faulted thread at pc (checked by faultcheck_answer). */
static void
resume(struct comp *c, vl_word_t pc)
{
    struct pending_fault *p = &pending[c->index];
    /* The thread may have stopped waiting (a thread of c with its TCB cap suspended it),
     * and its reply capability with it: a Send on the empty slot would fault init. */
    struct vl_cap_info cap;
    if (vl_cap_identify(c->fault_reply, &cap) != 0 || cap.type != VL_CAP_REPLY) {
        printf("init: %s's faulted thread no longer waits: nothing to resume\n", c->name);
        faults_drop(c);
        return;
    }
    vl_word_t mr[VL_FAULT_UNKNOWN_SYSCALL_LENGTH];
    vl_word_t n = 0;
    memcpy(mr, p->mr, sizeof(mr));
    mr[0] = pc;
    /* Only these faults take registers from the reply (uapi/vallum/fault.h). */
    if (p->label == VL_FAULT_USER_EXCEPTION) {
        n = 2; /* pc, sp */
    } else if (p->label == VL_FAULT_UNKNOWN_SYSCALL) {
        n = 11; /* pc, sp, ra, a0..a7 */
    }
    for (vl_word_t i = VL_MSG_REGS; i < n; i++) {
        vl_ipc_buffer->msg[i] = mr[i];
    }
    /* A Send on a reply capability never blocks; it is used up either way. */
    vl_send(c->fault_reply, vl_msginfo(0, 0, 0, n), mr);
    memset(p, 0, sizeof(*p));
}

static const char *
status_name(int status)
{
    switch (status) {
    case VL_FAULTS_E_REQUEST:
        return "bad request";
    case VL_FAULTS_E_NOT_YOURS:
        return "not a component it handles";
    case VL_FAULTS_E_NOT_PENDING:
        return "no such fault pending";
    case VL_FAULTS_E_ACTION:
        return "unknown action";
    case VL_FAULTS_E_RESUME_PC:
        return "this fault resumes only where it happened";
    default:
        return "?";
    }
}

static void
serve_answer(struct comp *h, const struct vl_msg *m)
{
    uint64_t child = 0;
    int status = faultcheck_answer(h->fault_children, pending, g_img.ncomps, m->mr,
                                   vl_msginfo_length(m->info), &child);
    reply(status, m->mr, 0);
    if (status != VL_FAULTS_OK) {
        printf("init: %s's answer for component %lu refused: %s\n", h->name,
               (unsigned long)m->mr[0], status_name(status));
        return;
    }
    struct comp *c = &g_comps[child];
    switch (m->mr[2]) {
    case VL_OS_FAULT_RESUME:
        printf("init: %s resumes %s at pc 0x%lx\n", h->name, c->name, (unsigned long)m->mr[3]);
        resume(c, m->mr[3]);
        break;
    case VL_OS_FAULT_RESTART:
        printf("init: %s restarts %s\n", h->name, c->name);
        supervise_restart(c);
        break;
    default: /* VL_OS_FAULT_STOP: faultcheck_answer() lets no other action through */
        supervise_stop(c, "stopped by its handler");
        break;
    }
}

void
faults_serve(const struct vl_msg *m)
{
    vl_word_t index = m->badge & ~VL_COMP_FAULTS_BADGE;
    struct comp *h = index < g_img.ncomps ? &g_comps[index] : NULL;
    if (h == NULL || h->fault_children == 0) {
        /* Only init mints this badge, and only for handlers. */
        reply(VL_FAULTS_E_REQUEST, m->mr, 0);
        return;
    }
    switch (vl_msginfo_label(m->info)) {
    case VL_FAULTS_NEXT:
        serve_next(h);
        break;
    case VL_FAULTS_ANSWER:
        serve_answer(h, m);
        break;
    default:
        reply(VL_FAULTS_E_REQUEST, m->mr, 0);
        break;
    }
}
