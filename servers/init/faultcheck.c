/*
 * init: checks of the fault service's untrusted words, free of system calls (faultcheck.h).
 */
#include "faultcheck.h"

#include <string.h>
#include <vallum/component.h>

vl_word_t
faultcheck_length(vl_word_t label, vl_word_t len)
{
    vl_word_t n;
    switch (label) {
    case VL_FAULT_CAP:
        n = VL_FAULT_CAP_LENGTH;
        break;
    case VL_FAULT_UNKNOWN_SYSCALL:
        n = VL_FAULT_UNKNOWN_SYSCALL_LENGTH;
        break;
    case VL_FAULT_USER_EXCEPTION:
        n = VL_FAULT_USER_EXCEPTION_LENGTH;
        break;
    case VL_FAULT_VM:
        n = VL_FAULT_VM_LENGTH;
        break;
    default:
        return 0;
    }
    /* The kernel always sends all n words; a shorter message is a component's own Call on
     * its fault endpoint, and the words past its length are whatever init's IPC buffer held
     * last, another component's fault registers or fault service reply among them. */
    return len >= n ? n : 0;
}

void
faultcheck_describe(const struct pending_fault *p, uint64_t index, const char *name, vl_word_t *mr)
{
    mr[VL_FAULTS_MR_CHILD] = index;
    mr[VL_FAULTS_MR_TICKET] = p->ticket;
    mr[VL_FAULTS_MR_PC] = p->mr[0];
    switch (p->label) {
    case VL_FAULT_VM:
        mr[VL_FAULTS_MR_KIND] = VL_OS_FAULT_VM;
        mr[VL_FAULTS_MR_ADDR] = p->mr[1];
        mr[VL_FAULTS_MR_DETAIL] = p->mr[3];
        break;
    case VL_FAULT_CAP:
        mr[VL_FAULTS_MR_KIND] = VL_OS_FAULT_CAP;
        mr[VL_FAULTS_MR_ADDR] = p->mr[1];
        mr[VL_FAULTS_MR_DETAIL] = p->mr[3];
        break;
    case VL_FAULT_USER_EXCEPTION:
        mr[VL_FAULTS_MR_KIND] = VL_OS_FAULT_EXCEPTION;
        mr[VL_FAULTS_MR_ADDR] = p->mr[3];
        mr[VL_FAULTS_MR_DETAIL] = p->mr[2];
        break;
    default: /* VL_FAULT_UNKNOWN_SYSCALL: the only other label faultcheck_length() takes */
        mr[VL_FAULTS_MR_KIND] = VL_OS_FAULT_SYSCALL;
        mr[VL_FAULTS_MR_ADDR] = p->mr[11];
        mr[VL_FAULTS_MR_DETAIL] = 0;
        break;
    }
    char buf[VL_FAULTS_NAME_WORDS * sizeof(vl_word_t)] = {0};
    strncpy(buf, name, sizeof(buf) - 1);
    memcpy(&mr[VL_FAULTS_MR_NAME], buf, sizeof(buf));
}

int
faultcheck_answer(uint64_t children, const struct pending_fault *pending, uint64_t n,
                  const vl_word_t *mr, vl_word_t len, uint64_t *child)
{
    if (len < VL_FAULTS_ANSWER_LENGTH) {
        return VL_FAULTS_E_REQUEST;
    }
    vl_word_t c = mr[0], ticket = mr[1], action = mr[2], pc = mr[3];
    if (c >= n || c >= 64 || !(children & (1ull << c))) {
        return VL_FAULTS_E_NOT_YOURS;
    }
    const struct pending_fault *p = &pending[c];
    if (!p->is_active || p->ticket != ticket) {
        return VL_FAULTS_E_NOT_PENDING;
    }
    if (action != VL_OS_FAULT_RESTART && action != VL_OS_FAULT_RESUME &&
        action != VL_OS_FAULT_STOP) {
        return VL_FAULTS_E_ACTION;
    }
    if (action == VL_OS_FAULT_RESUME && pc != p->mr[0] && p->label != VL_FAULT_USER_EXCEPTION &&
        p->label != VL_FAULT_UNKNOWN_SYSCALL) {
        return VL_FAULTS_E_RESUME_PC;
    }
    *child = c;
    return VL_FAULTS_OK;
}

const char *
faultcheck_handlers(const struct vl_sysimg_component *comps, uint64_t n, const uint64_t *ids,
                    uint64_t *which)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t h = comps[i].fault_handler;
        *which = i;
        if (h == VL_SYSIMG_NO_FAULT_HANDLER) {
            continue;
        }
        if (h >= n || h == i) {
            return "fault handler";
        }
        if (ids[h] & (1ull << VL_COMP_FAULT_CHANNEL)) {
            *which = h;
            return "channel id reserved in a fault handler";
        }
    }
    /* With every index valid: following the handlers from i ends within n steps unless
     * they form a cycle. */
    for (uint64_t i = 0; i < n; i++) {
        uint64_t at = i;
        for (uint64_t steps = 0; comps[at].fault_handler != VL_SYSIMG_NO_FAULT_HANDLER; steps++) {
            if (steps == n) {
                *which = i;
                return "fault handlers form a cycle";
            }
            at = comps[at].fault_handler;
        }
    }
    return NULL;
}
