/*
 * lib/os: the fault() entry point of fault handlers (os.h), over init's fault service
 * (faultsvc.h). Init signals bit VL_COMP_FAULT_CHANNEL; the event loop calls
 * os_faults_dispatch(), which asks init for each new fault, lets fault() decide and answers.
 */
#include "os_internal.h"

#include <stdio.h>
#include <string.h>

__attribute__((weak)) enum vl_os_fault_action
fault(unsigned child, struct vl_os_fault *f)
{
    (void)child;
    (void)f;
    return VL_OS_FAULT_STOP;
}

static int
is_fault_handler(void)
{
    return vl_os_info()->fault_children != 0;
}

int
vl_os_fault_answer(unsigned child, vl_word_t ticket, enum vl_os_fault_action action,
                   vl_word_t resume_pc)
{
    if (!is_fault_handler()) {
        return VL_FAULTS_E_NOT_YOURS;
    }
    vl_word_t mr[VL_MSG_REGS] = {child, ticket, (vl_word_t)action, resume_pc};
    struct vl_msg m = vl_call(VL_COMP_SLOT_FAULTS,
                              vl_msginfo(VL_FAULTS_ANSWER, 0, 0, VL_FAULTS_ANSWER_LENGTH), mr);
    return (int)vl_msginfo_label(m.info);
}

/* Message register i of the reply m (the first VL_MSG_REGS in m, the rest in the buffer). */
static vl_word_t
reply_mr(const struct vl_msg *m, unsigned i)
{
    return i < VL_MSG_REGS ? m->mr[i] : vl_ipc_buffer->msg[i];
}

/* Asks init for the next fault not told yet into f; returns 0 if there is none. */
static int
next_fault(struct vl_os_fault *f)
{
    vl_word_t none[VL_MSG_REGS] = {0};
    struct vl_msg m = vl_call(VL_COMP_SLOT_FAULTS, vl_msginfo(VL_FAULTS_NEXT, 0, 0, 0), none);
    if (vl_msginfo_label(m.info) != VL_FAULTS_OK ||
        vl_msginfo_length(m.info) < VL_FAULTS_NEXT_LENGTH) {
        return 0;
    }
    memset(f, 0, sizeof(*f));
    f->child = (unsigned)reply_mr(&m, VL_FAULTS_MR_CHILD);
    f->ticket = reply_mr(&m, VL_FAULTS_MR_TICKET);
    f->kind = (enum vl_os_fault_kind)reply_mr(&m, VL_FAULTS_MR_KIND);
    f->pc = reply_mr(&m, VL_FAULTS_MR_PC);
    f->addr = reply_mr(&m, VL_FAULTS_MR_ADDR);
    f->detail = reply_mr(&m, VL_FAULTS_MR_DETAIL);
    f->resume_pc = f->pc;
    for (unsigned w = 0; w < VL_FAULTS_NAME_WORDS; w++) {
        vl_word_t v = reply_mr(&m, VL_FAULTS_MR_NAME + w);
        memcpy(f->name + w * sizeof(v), &v, sizeof(v));
    }
    f->name[sizeof(f->name) - 1] = '\0';
    return 1;
}

void
os_faults_dispatch(void)
{
    if (!is_fault_handler()) {
        return;
    }
    /* Init tells each fault once, so this ends even if init refuses an answer. */
    struct vl_os_fault f;
    while (next_fault(&f)) {
        enum vl_os_fault_action action = fault(f.child, &f);
        int status = vl_os_fault_answer(f.child, f.ticket, action, f.resume_pc);
        if (status != VL_FAULTS_OK) {
            printf("%s: init refused the answer to %s's fault: status %d\n", vl_os_name(), f.name,
                   status);
        }
    }
}
