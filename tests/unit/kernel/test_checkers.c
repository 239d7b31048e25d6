/*
 * Checker branches fed corrupted objects: each check of the invariant checkers must fire
 * on the corruption it names and stay quiet on a consistent object (found by `make mutate`:
 * mutants of these branches survived while no test fed them a corrupted object).
 */
#include <string.h>

#include "ktest.h"

/* Checks that a checker returned exactly the message want. */
#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *got_ = (got);                                                                  \
        CHECK(got_ != NULL && strcmp(got_, (want)) == 0);                                          \
    } while (0)

/*
 * Five slots outside the derivation tree the kernel walks (so the harness's own checks do
 * not see the corruption): h heads a list h, s[0], s[1], s[2] of endpoint caps; s[3] is empty.
 * Returns s; h is s[-1].
 */
static struct cte *
linked_slots(void)
{
    struct cte *h = kt_alloc(VL_SLOT_BITS + 3);
    struct cte *s = h + 1;
    cap_t epc = cap_endpoint(kt_alloc(VL_ENDPOINT_BITS), 0, VL_RIGHTS_ALL);
    for (int i = -1; i < 3; i++) {
        s[i].cap = epc;
        if (i >= 0) {
            s[i].mdb_prev = &s[i - 1];
            mdb_set_next(&s[i - 1], &s[i]);
        }
    }
    return s;
}

KTEST(checker_cdt_slots_consistent)
{
    struct cte *s = linked_slots();
    /* Slots with and without a predecessor and a successor, and an empty slot. */
    CHECK(cdt_check_slots(s - 1, 5) == NULL);
    /* The first slot of an array may head a list of its own (no predecessor). */
    CHECK(cdt_check_slots(s - 1, 1) == NULL);
}

KTEST(checker_cdt_slots_empty_slot_with_links)
{
    struct cte *s = linked_slots();
    s[3].mdb_prev = &s[2];
    CHECK_STR(cdt_check_slots(s, 4), "empty slot has CDT links");
    s[3].mdb_prev = NULL;
    mdb_set_next(&s[3], &s[2]);
    CHECK_STR(cdt_check_slots(s, 4), "empty slot has CDT links");
}

KTEST(checker_cdt_slots_next_prev_mismatch)
{
    struct cte *s = linked_slots();
    s[1].mdb_prev = &s[3]; /* s[0].next is s[1], but s[1].prev no longer s[0] */
    CHECK_STR(cdt_check_slots(s, 1), "next->prev does not point back");
}

KTEST(checker_cdt_slots_prev_next_mismatch)
{
    struct cte *s = linked_slots();
    mdb_set_next(&s[0], &s[2]); /* s[1].prev is s[0], but s[0].next skips s[1] */
    CHECK_STR(cdt_check_slots(&s[1], 1), "prev->next does not point back");
}

KTEST(checker_cdt_slots_link_to_empty)
{
    struct cte *s = linked_slots();
    mdb_set_next(&s[2], &s[3]);
    s[3].mdb_prev = &s[2]; /* linked both ways, but s[3] holds no cap */
    CHECK_STR(cdt_check_slots(&s[2], 1), "CDT links to an empty slot");
}
