/*
 * Host tests of init's fault-service checks (servers/init/faultcheck.c): every refusal of a
 * handler's answer in its order, every accepted answer, the NEXT reply of each fault kind,
 * and every reason to refuse an image's fault_handler fields.
 */
#include <stdint.h>
#include <string.h>

#include "faultcheck.h"
#include <vallum/component.h>
#include <vallum/msginfo.h>

#define VLTEST_STRERROR(e) ((e) == 0 ? "ok" : "refused")
#include "vltest.h"

#define N 4
#define NONE VL_SYSIMG_NO_FAULT_HANDLER

static struct pending_fault g_pending[N];

/* Component 1 has a page fault pending under ticket 7, component 2 an exception under
 * ticket 8, component 3 an unknown system call under ticket 9; all at pc 0x1000. */
static void
setup(void)
{
    memset(g_pending, 0, sizeof(g_pending));
    vl_word_t labels[N] = {0, VL_FAULT_VM, VL_FAULT_USER_EXCEPTION, VL_FAULT_UNKNOWN_SYSCALL};
    for (int i = 1; i < N; i++) {
        g_pending[i].is_active = 1;
        g_pending[i].ticket = 6 + (vl_word_t)i;
        g_pending[i].label = labels[i];
        g_pending[i].mr[0] = 0x1000;
    }
}

/* The status of an answer (child, ticket, action, pc) of len words from the handler of
 * components 1..3; *child is left at 99 unless accepted. */
static int
answer(vl_word_t c, vl_word_t ticket, vl_word_t action, vl_word_t pc, vl_word_t len,
       uint64_t *child)
{
    vl_word_t mr[4] = {c, ticket, action, pc};
    *child = 99;
    return faultcheck_answer(0xe, g_pending, N, mr, len, child);
}

static bool
test_answer_refused(void)
{
    setup();
    uint64_t child;
    EXPECT_ERR(answer(1, 7, VL_OS_FAULT_STOP, 0x1000, 3, &child), VL_FAULTS_E_REQUEST);
    EXPECT_ERR(answer(0, 7, VL_OS_FAULT_STOP, 0x1000, 4, &child), VL_FAULTS_E_NOT_YOURS);
    EXPECT_ERR(answer(N, 7, VL_OS_FAULT_STOP, 0x1000, 4, &child), VL_FAULTS_E_NOT_YOURS);
    EXPECT_ERR(answer(64, 7, VL_OS_FAULT_STOP, 0x1000, 4, &child), VL_FAULTS_E_NOT_YOURS);
    EXPECT_ERR(answer(~0ull, 7, VL_OS_FAULT_STOP, 0x1000, 4, &child), VL_FAULTS_E_NOT_YOURS);
    EXPECT_ERR(answer(1, 8, VL_OS_FAULT_STOP, 0x1000, 4, &child), VL_FAULTS_E_NOT_PENDING);
    g_pending[1].is_active = 0;
    EXPECT_ERR(answer(1, 7, VL_OS_FAULT_STOP, 0x1000, 4, &child), VL_FAULTS_E_NOT_PENDING);
    g_pending[1].is_active = 1;
    EXPECT_ERR(answer(1, 7, 0, 0x1000, 4, &child), VL_FAULTS_E_ACTION);
    EXPECT_ERR(answer(1, 7, 4, 0x1000, 4, &child), VL_FAULTS_E_ACTION);
    EXPECT_ERR(answer(1, 7, VL_OS_FAULT_RESUME, 0x1004, 4, &child), VL_FAULTS_E_RESUME_PC);
    g_pending[1].label = VL_FAULT_CAP;
    EXPECT_ERR(answer(1, 7, VL_OS_FAULT_RESUME, 0x1004, 4, &child), VL_FAULTS_E_RESUME_PC);
    /* The order: a short message is refused before anything else is looked at. */
    EXPECT_ERR(answer(0, 0, 0, 0, 0, &child), VL_FAULTS_E_REQUEST);
    EXPECT_ERR(answer(0, 0, 0, 0, 4, &child), VL_FAULTS_E_NOT_YOURS);
    EXPECT_ERR(answer(1, 0, 0, 0, 4, &child), VL_FAULTS_E_NOT_PENDING);
    EXPECT_EQ(child, 99);
    return true;
}

static bool
test_answer_accepted(void)
{
    setup();
    uint64_t child;
    EXPECT_ERR(answer(1, 7, VL_OS_FAULT_RESTART, 0, 4, &child), VL_FAULTS_OK);
    EXPECT_EQ(child, 1);
    EXPECT_ERR(answer(1, 7, VL_OS_FAULT_STOP, 0, 4, &child), VL_FAULTS_OK);
    EXPECT_ERR(answer(1, 7, VL_OS_FAULT_RESUME, 0x1000, 4, &child), VL_FAULTS_OK);
    EXPECT_ERR(answer(2, 8, VL_OS_FAULT_RESUME, 0x1004, 4, &child), VL_FAULTS_OK);
    EXPECT_EQ(child, 2);
    EXPECT_ERR(answer(3, 9, VL_OS_FAULT_RESUME, 0x2000, 12, &child), VL_FAULTS_OK);
    EXPECT_EQ(child, 3);
    /* Checking changes nothing: the fault stays pending until init acts on it. */
    EXPECT(g_pending[3].is_active && g_pending[3].ticket == 9);
    return true;
}

static bool
test_length(void)
{
    EXPECT_EQ(faultcheck_length(VL_FAULT_CAP, 7), VL_FAULT_CAP_LENGTH);
    EXPECT_EQ(faultcheck_length(VL_FAULT_UNKNOWN_SYSCALL, 12), VL_FAULT_UNKNOWN_SYSCALL_LENGTH);
    EXPECT_EQ(faultcheck_length(VL_FAULT_USER_EXCEPTION, 4), VL_FAULT_USER_EXCEPTION_LENGTH);
    EXPECT_EQ(faultcheck_length(VL_FAULT_VM, 4), VL_FAULT_VM_LENGTH);
    EXPECT_EQ(faultcheck_length(VL_FAULT_VM, VL_MSG_MAX_LENGTH), VL_FAULT_VM_LENGTH);
    EXPECT_EQ(faultcheck_length(VL_FAULT_NONE, 12), 0);
    EXPECT_EQ(faultcheck_length(77, 12), 0);
    /* A made-up fault shorter than the kernel's: init's stale IPC-buffer words would fill the
     * rest (another component's registers), so it is no fault a handler sees. */
    EXPECT_EQ(faultcheck_length(VL_FAULT_CAP, 6), 0);
    EXPECT_EQ(faultcheck_length(VL_FAULT_UNKNOWN_SYSCALL, 0), 0);
    EXPECT_EQ(faultcheck_length(VL_FAULT_UNKNOWN_SYSCALL, 11), 0);
    EXPECT_EQ(faultcheck_length(VL_FAULT_USER_EXCEPTION, 3), 0);
    EXPECT_EQ(faultcheck_length(VL_FAULT_VM, 0), 0);
    return true;
}

/* The NEXT reply for label with the fault words w; checks the common words and the name. */
static bool
describe(vl_word_t label, const char *name, vl_word_t *mr)
{
    struct pending_fault p = {.is_active = 1, .ticket = 5, .label = label};
    for (vl_word_t i = 0; i < VL_FAULT_UNKNOWN_SYSCALL_LENGTH; i++) {
        p.mr[i] = 0x100 + i;
    }
    memset(mr, 0xa5, VL_FAULTS_NEXT_LENGTH * sizeof(vl_word_t));
    faultcheck_describe(&p, 3, name, mr);
    EXPECT_EQ(mr[VL_FAULTS_MR_CHILD], 3);
    EXPECT_EQ(mr[VL_FAULTS_MR_TICKET], 5);
    EXPECT_EQ(mr[VL_FAULTS_MR_PC], 0x100);
    char got[VL_FAULTS_NAME_WORDS * 8];
    memcpy(got, &mr[VL_FAULTS_MR_NAME], sizeof(got));
    EXPECT(got[sizeof(got) - 1] == '\0');
    EXPECT(strncmp(got, name, sizeof(got) - 1) == 0);
    return true;
}

static bool
test_describe(void)
{
    vl_word_t mr[VL_FAULTS_NEXT_LENGTH];
    EXPECT(describe(VL_FAULT_VM, "faller", mr));
    EXPECT_EQ(mr[VL_FAULTS_MR_KIND], VL_OS_FAULT_VM);
    EXPECT_EQ(mr[VL_FAULTS_MR_ADDR], 0x101);
    EXPECT_EQ(mr[VL_FAULTS_MR_DETAIL], 0x103);
    EXPECT(describe(VL_FAULT_CAP, "a", mr));
    EXPECT_EQ(mr[VL_FAULTS_MR_KIND], VL_OS_FAULT_CAP);
    EXPECT_EQ(mr[VL_FAULTS_MR_ADDR], 0x101);
    EXPECT_EQ(mr[VL_FAULTS_MR_DETAIL], 0x103);
    EXPECT(describe(VL_FAULT_USER_EXCEPTION, "breaker", mr));
    EXPECT_EQ(mr[VL_FAULTS_MR_KIND], VL_OS_FAULT_EXCEPTION);
    EXPECT_EQ(mr[VL_FAULTS_MR_ADDR], 0x103);
    EXPECT_EQ(mr[VL_FAULTS_MR_DETAIL], 0x102);
    /* A name of 31 characters fills the words but for the terminating NUL; a longer one
     * (init's names are at most 31) is cut. */
    EXPECT(describe(VL_FAULT_UNKNOWN_SYSCALL, "abcdefghijklmnopqrstuvwxyz01234", mr));
    EXPECT_EQ(mr[VL_FAULTS_MR_KIND], VL_OS_FAULT_SYSCALL);
    EXPECT_EQ(mr[VL_FAULTS_MR_ADDR], 0x10b);
    EXPECT_EQ(mr[VL_FAULTS_MR_DETAIL], 0);
    EXPECT(describe(VL_FAULT_VM, "abcdefghijklmnopqrstuvwxyz0123456789", mr));
    return true;
}

/* faultcheck_handlers on n components with the given handlers and ids. */
static const char *
handlers(const uint64_t *fh, uint64_t n, const uint64_t *ids, uint64_t *which)
{
    struct vl_sysimg_component comps[N];
    memset(comps, 0, sizeof(comps));
    for (uint64_t i = 0; i < n; i++) {
        comps[i].fault_handler = fh[i];
    }
    *which = 99;
    return faultcheck_handlers(comps, n, ids, which);
}

static bool
test_handlers(void)
{
    uint64_t ids[N] = {0};
    uint64_t which;
    const uint64_t none[N] = {NONE, NONE, NONE, NONE};
    EXPECT(handlers(none, N, ids, &which) == NULL);
    const uint64_t chain[N] = {1, 2, 3, NONE}; /* 0 -> 1 -> 2 -> 3 -> init */
    EXPECT(handlers(chain, N, ids, &which) == NULL);
    const uint64_t tree[N] = {NONE, 0, 0, 1};
    EXPECT(handlers(tree, N, ids, &which) == NULL);
    const uint64_t self[N] = {NONE, NONE, 2, NONE};
    EXPECT(strcmp(handlers(self, N, ids, &which), "fault handler") == 0);
    EXPECT_EQ(which, 2);
    const uint64_t outside[N] = {NONE, 4, NONE, NONE};
    EXPECT(strcmp(handlers(outside, N, ids, &which), "fault handler") == 0);
    EXPECT_EQ(which, 1);
    /* Valid in a system of four, outside one of three. */
    const uint64_t last[N] = {3, NONE, NONE, NONE};
    EXPECT(strcmp(handlers(last, 3, ids, &which), "fault handler") == 0);
    EXPECT_EQ(which, 0);
    const uint64_t cycle[N] = {NONE, 2, 3, 1};
    EXPECT(strcmp(handlers(cycle, N, ids, &which), "fault handlers form a cycle") == 0);
    EXPECT_EQ(which, 1);
    const uint64_t pair[N] = {NONE, NONE, 3, 2};
    EXPECT(strcmp(handlers(pair, N, ids, &which), "fault handlers form a cycle") == 0);
    EXPECT_EQ(which, 2);
    /* Channel id 62 is free in a component that handles nothing, reserved in a handler. */
    ids[0] = 1ull << VL_COMP_FAULT_CHANNEL;
    EXPECT(handlers(chain, N, ids, &which) == NULL);
    ids[3] = 1ull << VL_COMP_FAULT_CHANNEL;
    EXPECT(strcmp(handlers(chain, N, ids, &which), "channel id reserved in a fault handler") == 0);
    EXPECT_EQ(which, 3);
    return true;
}

int
main(void)
{
    run("faultcheck/answer_refused", test_answer_refused);
    run("faultcheck/answer_accepted", test_answer_accepted);
    run("faultcheck/length", test_length);
    run("faultcheck/describe", test_describe);
    run("faultcheck/handlers", test_handlers);
    printf("# faultcheck: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed != 0;
}
