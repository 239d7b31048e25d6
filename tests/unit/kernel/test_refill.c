/*
 * The sporadic-server budget rule (kernel/src/kernel/refill.c) against a simulated clock:
 * a thread that runs, blocks and wakes at random never gets more than its budget in any
 * window of one period, an overrun costs it later budget, budget is never delayed by more
 * than a period, a thread that is always busy gets its whole budget every period, and the
 * refill queue stays well formed after every step.
 */
#include "kernel/refill.h"

#include "ktest.h"

/* The i-th refill in queue order (0 is the head). */
static struct refill *
refill_at(struct refills *rs, word_t i)
{
    return &rs->r[(rs->head + i) % CONFIG_SC_REFILLS];
}

/* Deterministic pseudo-random numbers (xorshift64), so a failure replays. */
static uint64_t rng_state;

static word_t
rng(word_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (word_t)(rng_state % n);
}

/* One stretch of running, [start, start + len). */
struct run {
    word_t start;
    word_t len;
};

#define MAX_RUNS 4000

static struct run runs[MAX_RUNS];
static word_t n_runs;

/* Ticks of running inside [a, b). */
static word_t
used_in(word_t a, word_t b)
{
    word_t sum = 0;
    for (word_t i = 0; i < n_runs; i++) {
        word_t lo = MAX(a, runs[i].start);
        word_t hi = MIN(b, runs[i].start + runs[i].len);
        if (lo < hi) {
            sum += hi - lo;
        }
    }
    return sum;
}

/*
 * Simulates a thread on a context of budget b and period t from time 1000 on: when its
 * head refill is ready it runs for a random part of what is available (all of it if busy),
 * plus up to overrun ticks more, then sleeps a random while (never if busy); when not
 * ready it waits for the head's time. Checks the queue after every step and that no refill
 * lies more than a period ahead, plus one period for each tick an overrun may take from
 * refills that were still to come.
 */
static void
simulate(word_t b, word_t t, word_t overrun, bool busy, word_t steps)
{
    struct refills rs;
    word_t now = 1000;

    refill_reset(&rs, b, t, now);
    n_runs = 0;
    for (word_t i = 0; i < steps && n_runs < MAX_RUNS; i++) {
        CHECK(refill_check(&rs) == NULL);
        if (!refill_ready(&rs, now)) {
            CHECK_EQ(refill_available(&rs, now), 0);
            CHECK(refill_head_time(&rs) > now);
            now = refill_head_time(&rs);
            continue;
        }
        word_t avail = refill_available(&rs, now);
        CHECK(avail > 0 && avail <= b);
        word_t len = busy ? avail : 1 + rng(avail);
        len += overrun > 0 ? rng(overrun + 1) : 0;
        runs[n_runs].start = now;
        runs[n_runs].len = len;
        n_runs++;
        refill_charge(&rs, now, len);
        now += len;
        for (word_t k = 0; k < rs.count; k++) {
            CHECK(refill_at(&rs, k)->time <= now + (1 + overrun) * t);
        }
        if (!busy) {
            now += rng(2 * t);
        }
    }
    CHECK(refill_check(&rs) == NULL);
}

/* The most any window [a, a + t) holds; windows starting where a run starts are enough. */
static word_t
worst_window(word_t t)
{
    word_t worst = 0;
    for (word_t i = 0; i < n_runs; i++) {
        worst = MAX(worst, used_in(runs[i].start, runs[i].start + t));
    }
    return worst;
}

KTEST(refill_reset_is_one_full_refill)
{
    struct refills rs;

    refill_reset(&rs, 30, 100, 5000);
    CHECK(refill_check(&rs) == NULL);
    CHECK_EQ(rs.count, 1);
    CHECK(!refill_ready(&rs, 4999));
    CHECK_EQ(refill_available(&rs, 4999), 0);
    CHECK(refill_ready(&rs, 5000));
    CHECK_EQ(refill_available(&rs, 5000), 30);
    CHECK_EQ(refill_head_time(&rs), 5000);
    /* A budget equal to the period: the thread may run all the time. */
    refill_reset(&rs, 100, 100, 0);
    CHECK(refill_check(&rs) == NULL);
}

/* Exact bookkeeping of one short run, one run to exhaustion and one overrun. */
KTEST(refill_charge_exact)
{
    struct refills rs;

    refill_reset(&rs, 30, 100, 0);
    refill_charge(&rs, 10, 5); /* ran [10, 15) */
    CHECK(refill_check(&rs) == NULL);
    CHECK_EQ(rs.count, 2);
    CHECK_EQ(refill_at(&rs, 0)->time, 0);
    CHECK_EQ(refill_at(&rs, 0)->amount, 25);
    CHECK_EQ(refill_at(&rs, 1)->time, 110);
    CHECK_EQ(refill_at(&rs, 1)->amount, 5);
    CHECK_EQ(refill_available(&rs, 20), 25);
    refill_charge(&rs, 20, 25); /* ran [20, 45): the head is used up */
    CHECK(refill_check(&rs) == NULL);
    CHECK(!refill_ready(&rs, 45));
    CHECK_EQ(refill_head_time(&rs), 110);
    CHECK_EQ(refill_at(&rs, 1)->time, 120);
    CHECK_EQ(refill_at(&rs, 1)->amount, 25);
    /* At 110 the 5 ticks are back; at 115 the next 25 follow before they run out. */
    CHECK_EQ(refill_available(&rs, 110), 5);
    CHECK_EQ(refill_available(&rs, 115), 30);
    /* An overrun of 3 past the 5 available: 3 ticks come out of the refill at 120 and
     * come back a period after 120, not after they were used. */
    refill_charge(&rs, 112, 8);
    CHECK(refill_check(&rs) == NULL);
    CHECK_EQ(refill_head_time(&rs), 120);
    CHECK_EQ(refill_at(&rs, 0)->amount, 22);
    CHECK_EQ(refill_at(&rs, 1)->time, 212);
    CHECK_EQ(refill_at(&rs, 1)->amount, 5);
    CHECK_EQ(refill_at(&rs, 2)->time, 220);
    CHECK_EQ(refill_at(&rs, 2)->amount, 3);
}

/* With every refill in use, new chunks merge into the last one, later, never earlier. */
KTEST(refill_full_queue_merges_later)
{
    struct refills rs;
    word_t now = 0;

    refill_reset(&rs, 100, 1000, 0);
    for (word_t i = 0; i < 3 * CONFIG_SC_REFILLS; i++) {
        refill_charge(&rs, now, 1);
        now += 10;
        CHECK(refill_check(&rs) == NULL);
        CHECK(rs.count <= CONFIG_SC_REFILLS);
    }
    CHECK_EQ(rs.count, CONFIG_SC_REFILLS);
    struct refill *tail = refill_at(&rs, rs.count - 1);
    /* The last chunk ran at now - 10: its tick comes back no earlier than a period on. */
    CHECK_EQ(tail->time, now - 10 + 1000);
    /* The head gave one tick to each charge; the first R - 2 ticks have refills of their
     * own, the rest merged into the tail. */
    CHECK_EQ(refill_at(&rs, 0)->amount, 100 - 3 * CONFIG_SC_REFILLS);
    CHECK_EQ(refill_at(&rs, 1)->amount, 1);
    CHECK_EQ(tail->amount, 3 * CONFIG_SC_REFILLS - (CONFIG_SC_REFILLS - 2));
}

/* No overrun: never more than the budget in any window of a period. */
KTEST(refill_window_never_exceeds_budget)
{
    rng_state = 0x9e3779b97f4a7c15ull;
    for (int trial = 0; trial < 200; trial++) {
        word_t t = 1 + rng(300);
        word_t b = 1 + rng(t);
        simulate(b, t, 0, false, 400);
        CHECK(worst_window(t) <= b);
    }
}

/*
 * Overruns (the budget-expiry interrupt comes late): a window holds at most the budget
 * plus the overruns that end inside it, and over a long run the thread gets no more than
 * its share plus one overrun.
 */
KTEST(refill_overrun_is_paid_back)
{
    rng_state = 12345;
    for (int trial = 0; trial < 200; trial++) {
        word_t t = 10 + rng(300);
        word_t b = 1 + rng(t);
        word_t l = 1 + rng(5);
        simulate(b, t, l, trial % 2 == 0, 400);
        for (word_t i = 0; i < n_runs; i++) {
            word_t a = runs[i].start;
            word_t overruns = 0;
            for (word_t j = 0; j < n_runs; j++) {
                word_t end = runs[j].start + runs[j].len;
                overruns += end > a && runs[j].start < a + t;
            }
            CHECK(used_in(a, a + t) <= b + overruns * l);
        }
        word_t first = runs[0].start;
        word_t last = runs[n_runs - 1].start + runs[n_runs - 1].len;
        CHECK(used_in(first, last) <= ((last - first) / t + 1) * b + l);
    }
}

/* A thread that always wants to run gets its whole budget in every period. */
KTEST(refill_busy_thread_gets_its_share)
{
    rng_state = 777;
    for (int trial = 0; trial < 100; trial++) {
        word_t t = 1 + rng(300);
        word_t b = 1 + rng(t);
        simulate(b, t, 0, true, 300);
        word_t first = runs[0].start;
        for (word_t k = 0; first + (k + 1) * t <= runs[n_runs - 1].start; k++) {
            CHECK_EQ(used_in(first + k * t, first + (k + 1) * t), b);
        }
    }
}

/* The checker names each way a queue can be broken. */
KTEST(refill_check_finds_each_fault)
{
    struct refills rs;

    refill_reset(&rs, 30, 100, 0);
    refill_charge(&rs, 0, 10);
    CHECK(refill_check(&rs) == NULL);
    struct refills bad = rs;
    bad.budget = 0;
    CHECK(strcmp(refill_check(&bad), "scheduling context: budget not in 1..period") == 0);
    bad = rs;
    bad.budget = 101;
    CHECK(strcmp(refill_check(&bad), "scheduling context: budget not in 1..period") == 0);
    bad = rs;
    bad.count = 0;
    CHECK(strcmp(refill_check(&bad), "scheduling context: refill queue out of range") == 0);
    bad = rs;
    bad.count = CONFIG_SC_REFILLS + 1;
    CHECK(strcmp(refill_check(&bad), "scheduling context: refill queue out of range") == 0);
    bad = rs;
    bad.head = CONFIG_SC_REFILLS;
    CHECK(strcmp(refill_check(&bad), "scheduling context: refill queue out of range") == 0);
    bad = rs;
    refill_at(&bad, 1)->amount = 0;
    CHECK(strcmp(refill_check(&bad), "scheduling context: empty refill") == 0);
    bad = rs;
    refill_at(&bad, 0)->time = 200;
    CHECK(strcmp(refill_check(&bad), "scheduling context: refills out of order") == 0);
    bad = rs;
    refill_at(&bad, 1)->amount = 11;
    CHECK(strcmp(refill_check(&bad), "scheduling context: refills exceed the budget") == 0);
    bad = rs;
    refill_at(&bad, 1)->amount = 9;
    CHECK(strcmp(refill_check(&bad), "scheduling context: refills fall short of the budget") == 0);
}
