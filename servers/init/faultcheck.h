/*
 * init: the parts of the fault service (faults.c, docs/faults.md) that read untrusted
 * words: a handler's answers and the image's fault_handler fields. They make no system
 * calls and keep no state, so they also build on the host, where tests/unit/test_faultcheck.c
 * tests them under ASan + UBSan and tests/fuzz/fuzz_faultcheck.c fuzzes them.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <vallum/fault.h>
#include <vallum/faultsvc.h>
#include <vallum/sysimage.h>
#include <vallum/types.h>

/* A fault handed to a component's handler and not answered yet (faults.c). Its thread waits
 * on the reply capability init saved in the component's fault_reply slot. */
struct pending_fault {
    int is_active;
    int is_told;      /* the handler has fetched it (VL_FAULTS_NEXT) */
    vl_word_t ticket; /* unique per fault: a stale or repeated answer does not match */
    vl_word_t label;  /* enum vl_fault_type */
    vl_word_t mr[VL_FAULT_UNKNOWN_SYSCALL_LENGTH]; /* the fault message's words */
};

/* The words of a fault message with label and len words (uapi/vallum/fault.h); 0 for a
 * label init cannot decode or a message shorter than that label's words, which only a
 * component's own Call on its fault endpoint makes. */
vl_word_t faultcheck_length(vl_word_t label, vl_word_t len);

/*
 * Fills mr[0..VL_FAULTS_NEXT_LENGTH) with the NEXT reply (faultsvc.h) for fault p of
 * component index, called name (NUL-terminated; cut to 31 bytes). p->label is one that
 * faultcheck_length() accepts.
 */
void faultcheck_describe(const struct pending_fault *p, uint64_t index, const char *name,
                         vl_word_t *mr);

/*
 * Checks a VL_FAULTS_ANSWER of len words (the first VL_FAULTS_ANSWER_LENGTH in mr) from the
 * handler of the components whose bits are set in children, against pending[0..n), the
 * pending fault of each of the n components. Checks, in this order: the length, that the
 * child is one of children and below n, that its fault is pending under that ticket, the
 * action, and that a resume moves the pc only for an exception or unknown system call.
 * Returns VL_FAULTS_OK with the child's index in *child, or the VL_FAULTS_E_* reason.
 */
int faultcheck_answer(uint64_t children, const struct pending_fault *pending, uint64_t n,
                      const vl_word_t *mr, vl_word_t len, uint64_t *child);

/*
 * Checks the fault_handler fields of the n component records comps, with ids[i] the bit set
 * of channel ids component i uses: each is VL_SYSIMG_NO_FAULT_HANDLER or another component,
 * no handler uses channel id VL_COMP_FAULT_CHANNEL, and the handlers form no cycle. Returns
 * NULL, or the reason with the component it concerns in *which.
 */
const char *faultcheck_handlers(const struct vl_sysimg_component *comps, uint64_t n,
                                const uint64_t *ids, uint64_t *which);
