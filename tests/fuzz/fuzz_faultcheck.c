/*
 * libFuzzer target for init's fault-service checks (servers/init/faultcheck.c): the words a
 * fault handler sends (faultcheck_answer) and the image's fault_handler fields
 * (faultcheck_handlers), both untrusted. Run with `make fuzz-faults [FUZZ_SECONDS=N]`.
 *
 * The input is read as 64-bit words: the number of components (1..32), a children mask, per
 * component a pending fault (state, ticket, label, pc) and a fault_handler word and channel
 * ids, then an answer's length and words. Checked against the contracts in faultcheck.h: an
 * accepted answer names a child of the caller with that fault pending under its ticket, a
 * known action, and a pc moved only for an exception or unknown system call; an accepted set
 * of handlers has every index valid and not the component itself, no channel id 62 in a
 * handler, and every chain of handlers ending at init. The NEXT reply of every pending fault
 * with a decodable label is filled without reading past the name. Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faultcheck.h"
#include <vallum/component.h>
#include <vallum/msginfo.h>

struct input {
    const uint8_t *data;
    size_t size;
    size_t at;
};

/* The next word of the input (zero once it is used up). */
static uint64_t
next(struct input *in)
{
    uint64_t w = 0;
    size_t n = in->size - in->at < 8 ? in->size - in->at : 8;
    memcpy(&w, in->data + in->at, n);
    in->at += n;
    return w;
}

static void
check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_faultcheck: contract violated: %s\n", what);
        abort();
    }
}

/* Whether the chain of handlers from i reaches init within n steps. */
static int
ends_at_init(const struct vl_sysimg_component *comps, uint64_t n, uint64_t i)
{
    for (uint64_t steps = 0; steps <= n; steps++) {
        if (comps[i].fault_handler == VL_SYSIMG_NO_FAULT_HANDLER) {
            return 1;
        }
        i = comps[i].fault_handler;
    }
    return 0;
}

static void
fuzz_handlers(const struct vl_sysimg_component *comps, uint64_t n, const uint64_t *ids)
{
    uint64_t which = 1234;
    const char *why = faultcheck_handlers(comps, n, ids, &which);
    if (why != NULL) {
        check(which < n, "a refusal names a component");
        return;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t h = comps[i].fault_handler;
        if (h != VL_SYSIMG_NO_FAULT_HANDLER) {
            check(h < n && h != i, "an accepted handler is another component");
            check(!(ids[h] & (1ull << VL_COMP_FAULT_CHANNEL)), "no channel id 62 in a handler");
        }
        check(ends_at_init(comps, n, i), "accepted handlers form no cycle");
    }
}

static void
fuzz_answer(uint64_t children, const struct pending_fault *pending, uint64_t n, struct input *in)
{
    vl_word_t len = next(in) % 16;
    vl_word_t mr[VL_FAULTS_ANSWER_LENGTH];
    for (unsigned i = 0; i < VL_FAULTS_ANSWER_LENGTH; i++) {
        mr[i] = next(in);
    }
    /* Children, tickets and actions in range often enough to reach the later checks, and
     * tickets one off the pending one too. */
    if (mr[0] & (1ull << 63)) {
        uint64_t how = mr[0] >> 61;
        mr[0] %= n;
        mr[1] = (how & 1) ? pending[mr[0]].ticket : pending[mr[0]].ticket + (mr[1] & 1 ? 1 : -1);
        mr[2] %= 5;
        mr[3] = (mr[3] & 1) ? pending[mr[0]].mr[0] : mr[3];
    }
    uint64_t child = 1234;
    int status = faultcheck_answer(children, pending, n, mr, len, &child);
    check(status >= VL_FAULTS_OK && status <= VL_FAULTS_E_RESUME_PC && status != VL_FAULTS_NONE,
          "a known status");
    if (status != VL_FAULTS_OK) {
        check(child == 1234, "a refusal leaves *child alone");
        return;
    }
    const struct pending_fault *p = &pending[child];
    check(len >= VL_FAULTS_ANSWER_LENGTH, "long enough");
    check(child == mr[0] && child < n && (children & (1ull << child)), "one of the caller's");
    check(p->is_active && p->ticket == mr[1], "pending under that ticket");
    check(mr[2] >= VL_OS_FAULT_RESTART && mr[2] <= VL_OS_FAULT_STOP, "a known action");
    check(mr[2] != VL_OS_FAULT_RESUME || mr[3] == p->mr[0] || p->label == VL_FAULT_USER_EXCEPTION ||
              p->label == VL_FAULT_UNKNOWN_SYSCALL,
          "a moved pc only where the kernel takes one");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size, 0};
    uint64_t n = next(&in) % VL_SYSIMG_MAX_COMPONENTS + 1;
    uint64_t children = next(&in);
    struct pending_fault pending[VL_SYSIMG_MAX_COMPONENTS];
    struct vl_sysimg_component comps[VL_SYSIMG_MAX_COMPONENTS];
    uint64_t ids[VL_SYSIMG_MAX_COMPONENTS];
    memset(pending, 0, sizeof(pending));
    memset(comps, 0, sizeof(comps));
    for (uint64_t i = 0; i < n; i++) {
        uint64_t state = next(&in);
        pending[i].is_active = state & 1;
        pending[i].is_told = (state >> 1) & 1;
        pending[i].ticket = next(&in);
        pending[i].label = next(&in) % 6;
        pending[i].mr[0] = next(&in);
        uint64_t h = next(&in);
        /* Mostly small indices or none, so that chains and cycles form. */
        comps[i].fault_handler = (h & 1) ? VL_SYSIMG_NO_FAULT_HANDLER : (h >> 1) % (n + 2);
        if ((h & 0xe) == 0xe) {
            comps[i].fault_handler = h;
        }
        ids[i] = next(&in);
    }
    fuzz_handlers(comps, n, ids);
    fuzz_answer(children, pending, n, &in);
    for (uint64_t i = 0; i < n; i++) {
        vl_word_t len = next(&in) % (VL_MSG_MAX_LENGTH + 1);
        vl_word_t words = faultcheck_length(pending[i].label, len);
        check(words <= len && words <= VL_FAULT_UNKNOWN_SYSCALL_LENGTH,
              "a fault's words lie within its message and its pending record");
        if (words != 0) {
            vl_word_t mr[VL_FAULTS_NEXT_LENGTH];
            faultcheck_describe(&pending[i], i, "a_component_name_of_31_chars_xx", mr);
            check(mr[VL_FAULTS_MR_CHILD] == i && mr[VL_FAULTS_MR_TICKET] == pending[i].ticket,
                  "NEXT names the fault");
        }
    }
    return 0;
}
