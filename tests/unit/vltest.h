/*
 * A small harness for host unit tests that speak the VLTEST line protocol. A test is a
 * function returning bool; the EXPECT macros return false with the reason recorded;
 * run() prints `VLTEST PASS name` or `VLTEST FAIL name reason`.
 *
 * A test file includes this once, after defining VLTEST_STRERROR to its module's
 * error-name function (used by EXPECT_ERR). A test may also mark the run as "clobbered"
 * (an API contract broken behind the test's back) with g_clobbered and g_clobber_why.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static char g_why[512];         /* reason for the current test's failure */
static bool g_clobbered;        /* the code under test broke its contract (see its caller) */
static char g_clobber_why[256]; /* how it did */
static int g_failed;
static int g_passed;

/* Records a failure reason for the running test; returns false for use in EXPECT. */
static bool __attribute__((format(printf, 1, 2), unused)) fail_with(const char *fmt, ...)
{
    char buf[sizeof(g_why)];
    va_list ap;

    /* Format into a copy first: callers may pass g_why itself as an argument. */
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    memcpy(g_why, buf, sizeof(g_why));
    return false;
}

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            return fail_with("line %d: %s", __LINE__, #cond);                                      \
        }                                                                                          \
    } while (0)

#define EXPECT_EQ(a, b)                                                                            \
    do {                                                                                           \
        unsigned long long a_ = (unsigned long long)(a);                                           \
        unsigned long long b_ = (unsigned long long)(b);                                           \
        if (a_ != b_) {                                                                            \
            return fail_with("line %d: %s = %#llx, want %#llx", __LINE__, #a, a_, b_);             \
        }                                                                                          \
    } while (0)

#define EXPECT_ERR(got, want)                                                                      \
    do {                                                                                           \
        int g_ = (got);                                                                            \
        int w_ = (want);                                                                           \
        if (g_ != w_) {                                                                            \
            return fail_with("line %d: %s = %d (%s), want %d (%s)", __LINE__, #got, g_,            \
                             VLTEST_STRERROR(g_), w_, VLTEST_STRERROR(w_));                        \
        }                                                                                          \
    } while (0)

/* Prints the verdict line for one test. */
static void __attribute__((unused)) report(const char *name, bool ok)
{
    if (ok && g_clobbered) {
        ok = false;
        snprintf(g_why, sizeof(g_why), "%s", g_clobber_why);
    }
    if (ok) {
        printf("VLTEST PASS %s\n", name);
        g_passed++;
    } else {
        printf("VLTEST FAIL %s %s\n", name, g_why);
        g_failed++;
    }
    fflush(stdout);
    g_why[0] = '\0';
    g_clobbered = false;
}

/* Runs a built-in test. */
static void __attribute__((unused)) run(const char *name, bool (*fn)(void))
{
    g_why[0] = '\0';
    g_clobbered = false;
    report(name, fn());
}
