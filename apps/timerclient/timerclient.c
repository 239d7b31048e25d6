/*
 * timerclient: a client of the timer service (apps/timer, interfaces/timer.idl), used by
 * systems/timers. Its `role` (config) says what it does:
 *
 *   order   arms 25 one-shot timeouts, interleaved with the other clients' by its `index`
 *           (0..3) and set in a scrambled order, and checks each as it collects it: due at or
 *           before the service's time, and after everything it collected before; then runs a
 *           periodic timeout for 20 firings and checks that every one is on its grid. With
 *           `errors` set it then tries every error of the interface and a deadline in the
 *           past.
 *   lazy    arms a periodic timeout and a one-shot and never collects them until it gets the
 *           token (below): one signal from the service only, and every firing counted.
 *   napper  sleeps in its init() with vallum/timer_sleep.h (blocking, outside the event loop)
 *           on its call channel 0 / signal channel 1, while a second identity at the service
 *           (call channel 4, signal channel 5) has a timeout fire during the sleep: that
 *           signal must reach notified() only after init() returns.
 *   stray   calls the service on channels that break its convention (channel 0 has no
 *           notify channel at the service, channel 1 is not a client's channel there): every
 *           call but `now` is refused with bad_id, and nothing fires. It prints at init,
 *           before the other clients print anything.
 *
 * Channels: 0 calls the service, 1 is its signal, 2 brings the token, 3 passes it on. The
 * clients print nothing while they work (a line printed as another client prints would be cut
 * in two); each prints its report when it is done and holds the token, then passes it on, so
 * the reports come one after the other: c0 (which has no channel 2 and starts with the token),
 * c1, c2, c3, lazy, and then the service prints its log of firings. Every report line starts
 * with the component's name; tests/integration checks them.
 */
#include <stdio.h>
#include <string.h>
#include <vallum/os.h>

#include <vallum/timer_sleep.h>

#define CH_TIMER 0
#define CH_FIRED 1
#define CH_TOKEN_IN 2
#define CH_TOKEN_OUT 3
#define CH_TIMER_B 4 /* napper's second identity at the service */
#define CH_FIRED_B 5

#define ONE_SHOTS 25
#define SPACING 500000ull      /* ns between consecutive deadlines of all order clients */
#define START_GRID 50000000ull /* deadlines start on the next multiple of this after +1 grid */
#define PERIOD 2000000ull
#define PERIODIC_ID 40
#define PERIODIC_COLLECTIONS 20
#define LAZY_PERIOD 5000000ull

static const char *role = "order";
static int64_t index_;
static int64_t errors;
static uint64_t deadline[64]; /* of each one-shot id */
static uint64_t collected;    /* one-shot ids collected */
static uint64_t last_now;     /* the service's time at the previous collection */
static unsigned phase;        /* 0: one-shots, 1: periodic, 2: done */
static uint64_t periodic_first, periodic_firings, collections;
static unsigned failures;
static unsigned lazy_signals;
static uint64_t lazy_first, lazy_once;
static uint64_t fired_at[64]; /* the service's time when each one-shot id was collected */
static bool done, has_token, errors_tried;
static char first_failure[200]; /* printed in the report */

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        if (failures++ == 0) {                                                                     \
            snprintf(first_failure, sizeof(first_failure), __VA_ARGS__);                           \
        }                                                                                          \
    } while (0)

static uint64_t
now(void)
{
    uint64_t ns = 0;
    int st = timer_now(CH_TIMER, &ns);
    if (st != 0) {
        FAIL("now: status %d", st);
    }
    return ns;
}

/* Arms one timeout and expects status want. */
static void
set(uint32_t id, uint64_t ns, uint64_t period, int want)
{
    int st = timer_set_timeout(CH_TIMER, id, ns, period);
    if (st != want) {
        FAIL("set_timeout(%u, %lu, %lu): status %d, want %d", id, (unsigned long)ns,
             (unsigned long)period, st, want);
    }
}

static void
cancel(uint32_t id, int want)
{
    int st = timer_cancel(CH_TIMER, id);
    if (st != want) {
        FAIL("cancel(%u): status %d, want %d", id, st, want);
    }
}

static void
start_one_shots(void)
{
    uint64_t t0 = now();
    uint64_t base = (t0 / START_GRID + 2) * START_GRID;
    for (unsigned i = 0; i < ONE_SHOTS; i++) {
        unsigned id = (i * 7) % ONE_SHOTS; /* scrambled: not in deadline order */
        deadline[id] = base + (id * 4 + (uint64_t)index_) * SPACING;
        set(id, deadline[id], 0, 0);
    }
    last_now = t0;
}

/* Every error of the interface, and a deadline in the past. */
static void
try_errors(void)
{
    uint64_t t = now();
    set(64, t + 1000000, 0, TIMER_SET_TIMEOUT_BAD_ID);
    set(0xffffffffu, t + 1000000, 0, TIMER_SET_TIMEOUT_BAD_ID);
    cancel(64, TIMER_CANCEL_BAD_ID);
    cancel(10, TIMER_CANCEL_UNKNOWN);
    set(1, t + 1000000, 1, TIMER_SET_TIMEOUT_BAD_PERIOD);
    set(1, t + 1000000, 49999, TIMER_SET_TIMEOUT_BAD_PERIOD);
    cancel(1, TIMER_CANCEL_UNKNOWN); /* the refused set armed nothing */
    /* Full: 32 armed, the 33rd refused; re-arming one of the 32 is not a new one. */
    for (uint32_t id = 0; id < 32; id++) {
        set(id, t + 1000000000ull + id, 0, 0);
    }
    set(32, t + 1000000000ull, 0, TIMER_SET_TIMEOUT_FULL);
    set(5, t + 2000000000ull, 0, 0);
    for (uint32_t id = 0; id < 32; id++) {
        cancel(id, 0);
    }
    cancel(5, TIMER_CANCEL_UNKNOWN);
    /* A deadline in the past fires at once: fired before set_timeout returned. */
    set(3, t - 1000, 0, 0);
    uint64_t ids = 0, ov = 0, at = 0;
    timer_fired(CH_TIMER, &ids, &ov, &at);
    if (ids != (1ull << 3) || ov != 0) {
        FAIL("past deadline: fired %#lx overruns %lu", (unsigned long)ids, (unsigned long)ov);
    }
    /* Fired and not collected, then cancelled: forgotten. */
    set(4, t - 1000, 0, 0);
    cancel(4, 0);
    timer_fired(CH_TIMER, &ids, &ov, &at);
    if (ids != 0) {
        FAIL("cancelled timeout still fired: %#lx", (unsigned long)ids);
    }
    errors_tried = true;
}

/* The report, once the work is done and this client holds the token; then passes it on. */
static void
report(void)
{
    if (!done || !has_token) {
        return;
    }
    for (unsigned id = 0; id < ONE_SHOTS; id++) {
        printf("%s: id %u due %lu fired by %lu\n", vl_os_name(), id, (unsigned long)deadline[id],
               (unsigned long)fired_at[id]);
    }
    if (collected == (1ull << ONE_SHOTS) - 1) {
        printf("%s: %u timeouts fired in order, none early\n", vl_os_name(), ONE_SHOTS);
    }
    printf("%s: periodic %lu ns: %lu collections, %lu firings, all on the grid\n", vl_os_name(),
           (unsigned long)PERIOD, (unsigned long)collections, (unsigned long)periodic_firings);
    if (errors_tried) {
        printf("%s: errors: bad_id, unknown, bad_period, full and past deadlines as documented\n",
               vl_os_name());
    }
    if (failures != 0) {
        printf("%s: FAIL %s\n", vl_os_name(), first_failure);
    }
    printf("%s: done, %u failures\n", vl_os_name(), failures);
    has_token = false;
    vl_os_notify(CH_TOKEN_OUT);
}

static void
finish(void)
{
    phase = 2;
    if (errors) {
        try_errors();
    }
    done = true;
    report();
}

/* One collection in the one-shot phase. */
static void
check_one_shots(uint64_t ids, uint64_t ov, uint64_t at)
{
    if (ov != 0) {
        FAIL("one-shots: %lu overruns", (unsigned long)ov);
    }
    for (unsigned id = 0; id < 64; id++) {
        if (!(ids & (1ull << id))) {
            continue;
        }
        if (id >= ONE_SHOTS || (collected & (1ull << id))) {
            FAIL("id %u fired, not armed", id);
            continue;
        }
        /* Never early; and in order: later than everything due at the last collection. */
        fired_at[id] = at;
        if (deadline[id] > at) {
            FAIL("id %u early: due %lu, now %lu", id, (unsigned long)deadline[id],
                 (unsigned long)at);
        }
        if (deadline[id] <= last_now) {
            FAIL("id %u out of order: due %lu, before the last collection at %lu", id,
                 (unsigned long)deadline[id], (unsigned long)last_now);
        }
        collected |= 1ull << id;
    }
    last_now = at;
    if (collected == (1ull << ONE_SHOTS) - 1) {
        phase = 1;
        periodic_first = now() + PERIOD;
        set(PERIODIC_ID, periodic_first, PERIOD, 0);
    }
}

/* One collection in the periodic phase: every grid point up to `at` has fired, no more. */
static void
check_periodic(uint64_t ids, uint64_t ov, uint64_t at)
{
    if (ids == 0) {
        return;
    }
    if (ids != (1ull << PERIODIC_ID)) {
        FAIL("periodic: fired %#lx", (unsigned long)ids);
    }
    periodic_firings += 1 + ov;
    uint64_t want = at >= periodic_first ? (at - periodic_first) / PERIOD + 1 : 0;
    if (periodic_firings != want) {
        FAIL("periodic: %lu firings by %lu, want %lu", (unsigned long)periodic_firings,
             (unsigned long)at, (unsigned long)want);
    }
    if (++collections == PERIODIC_COLLECTIONS) {
        cancel(PERIODIC_ID, 0);
        finish();
    }
}

static void
lazy_start(void)
{
    uint64_t t = now();
    lazy_first = t + LAZY_PERIOD;
    lazy_once = t + 20 * LAZY_PERIOD;
    set(0, lazy_first, LAZY_PERIOD, 0);
    set(1, lazy_once, 0, 0);
}

/* The token: collect everything at once, report and pass the token on. */
static void
lazy_collect(void)
{
    uint64_t ids = 0, ov = 0, at = 0;
    timer_fired(CH_TIMER, &ids, &ov, &at);
    uint64_t firings = (at - lazy_first) / LAZY_PERIOD + 1;
    if (ids != 3 || at < lazy_once) {
        FAIL("lazy: fired %#lx at %lu", (unsigned long)ids, (unsigned long)at);
    }
    /* Both ids fired once into an empty mask; every other periodic firing is an overrun. */
    if (ov != firings - 1) {
        FAIL("lazy: %lu overruns, want %lu", (unsigned long)ov, (unsigned long)(firings - 1));
    }
    if (lazy_signals != 1) {
        FAIL("lazy: %u signals from the service, want 1", lazy_signals);
    }
    cancel(0, 0);
    cancel(1, TIMER_CANCEL_UNKNOWN); /* a one-shot leaves when it fires */
    printf("%s: %u signal, ids %#lx, %lu periodic firings (%lu overruns) by %lu\n", vl_os_name(),
           lazy_signals, (unsigned long)ids, (unsigned long)firings, (unsigned long)ov,
           (unsigned long)at);
    if (failures != 0) {
        printf("%s: FAIL %s\n", vl_os_name(), first_failure);
    }
    printf("%s: done, %u failures\n", vl_os_name(), failures);
    vl_os_notify(CH_TOKEN_OUT);
}

static unsigned naps;                /* sleeps that returned at or after their deadline */
static uint64_t nap_others;          /* other ids collected while sleeping */
static bool napped, nap_signal_late; /* init's sleeps done; identity B's signal came after */
static unsigned nap_b_signals;

/* One sleep until `deadline`; counts it if it did not return early. */
static void
nap_until(uint64_t deadline)
{
    uint64_t ov = 0;
    int st = vl_timer_sleep_until(CH_TIMER, CH_FIRED, 63, deadline, &nap_others, &ov);
    if (st != 0 || ov != 0) {
        FAIL("sleep: status %d, %lu overruns", st, (unsigned long)ov);
    } else if (now() < deadline) {
        FAIL("sleep returned early");
    } else {
        naps++;
    }
}

/* A sleep on an id whose earlier firing the client has not collected: that stale bit must not
 * end the sleep early (the sleep is not counted in naps; an early return is a failure). */
static void
nap_after_stale_firing(void)
{
    set(63, now() - 1, 0, 0); /* already past: fires at once, bit 63 left uncollected */
    uint64_t deadline = now() + 2000000;
    uint64_t ov = 0;
    int st = vl_timer_sleep_until(CH_TIMER, CH_FIRED, 63, deadline, &nap_others, &ov);
    if (st != 0 || ov != 0) {
        FAIL("sleep after a stale firing: status %d, %lu overruns", st, (unsigned long)ov);
    } else if (now() < deadline) {
        FAIL("sleep after a stale firing returned early");
    }
}

static void
napper_start(void)
{
    uint64_t t = now();
    int st = timer_set_timeout(CH_TIMER_B, 0, t + 1000000, 0); /* fires during the first nap */
    if (st != 0) {
        FAIL("identity B: set_timeout status %d", st);
    }
    nap_until(t + 3000000);
    set(1, now() + 500000, 0, 0); /* fires during the next nap: collected by it */
    for (unsigned i = 0; i < 4; i++) {
        uint64_t ov = 0;
        int st = vl_timer_sleep(CH_TIMER, CH_FIRED, 63, 1000000, &nap_others, &ov);
        if (st != 0) {
            FAIL("sleep %u: status %d", i, st);
        } else {
            naps++;
        }
    }
    nap_after_stale_firing();
    nap_until(t); /* in the past: returns at once */
    napped = true;
}

/* Identity B's signal: kept during the nap, delivered once init() returned. */
static void
napper_signal_b(void)
{
    uint64_t ids = 0, ov = 0, at = 0;
    timer_fired(CH_TIMER_B, &ids, &ov, &at);
    if (ids == 1) {
        nap_signal_late = napped;
        nap_b_signals++;
    }
}

static void
napper_report(void)
{
    /* Waiting on channels that are not notify channels: refused without waiting. */
    int wrong = vl_os_wait_signal(CH_TIMER);
    int none = vl_os_wait_signal(9);
    printf("%s: %u sleeps, none early; others %#lx collected while sleeping\n", vl_os_name(), naps,
           (unsigned long)nap_others);
    printf("%s: the signal that came during the sleep reached notified() after it: %s\n",
           vl_os_name(), nap_signal_late && nap_b_signals == 1 ? "yes" : "no");
    printf("%s: wait on a call channel: %s; on channel 9: %s\n", vl_os_name(),
           vl_os_status_name(wrong), vl_os_status_name(none));
    if (failures != 0) {
        printf("%s: FAIL %s\n", vl_os_name(), first_failure);
    }
    printf("%s: done, %u failures\n", vl_os_name(), failures);
    vl_os_notify(CH_TOKEN_OUT);
}

/* Calls on channel ch, which the service does not serve. Returns true if each is refused. */
static bool
stray_channel(unsigned ch)
{
    uint64_t t = 0, ids = 1, ov = 1, at = 1;
    bool ok = timer_now(ch, &t) == 0 && t != 0;
    ok = ok && timer_set_timeout(ch, 0, t - 1, 0) == TIMER_SET_TIMEOUT_BAD_ID;
    ok = ok && timer_cancel(ch, 0) == TIMER_CANCEL_BAD_ID;
    ok = ok && timer_fired(ch, &ids, &ov, &at) == 0 && ids == 0 && ov == 0;
    return ok;
}

static void
stray(void)
{
    bool ok = stray_channel(0) && stray_channel(1);
    printf("%s: unserved channels: %s\n", vl_os_name(),
           ok ? "now works, set_timeout and cancel get bad_id, nothing fires" : "FAIL");
}

void
init(void)
{
    vl_os_config_str("role", &role);
    vl_os_config_int("index", &index_);
    vl_os_config_int("errors", &errors);
    has_token = vl_os_info()->channels[CH_TOKEN_IN] == VL_COMP_CH_NONE;
    if (strcmp(role, "napper") == 0) {
        napper_start();
    } else if (strcmp(role, "stray") == 0) {
        stray();
    } else if (strcmp(role, "lazy") == 0) {
        lazy_start();
    } else {
        start_one_shots();
    }
}

void
notified(unsigned id)
{
    if (strcmp(role, "napper") == 0) {
        if (id == CH_FIRED_B) {
            napper_signal_b();
        } else if (id == CH_TOKEN_IN) {
            napper_report();
        }
        return;
    }
    if (strcmp(role, "lazy") == 0) {
        if (id == CH_FIRED) {
            lazy_signals++;
        } else if (id == CH_TOKEN_IN) {
            lazy_collect();
        }
        return;
    }
    if (id == CH_TOKEN_IN) {
        has_token = true;
        report();
        return;
    }
    if (id != CH_FIRED || phase == 2) {
        return;
    }
    uint64_t ids = 0, ov = 0, at = 0;
    int st = timer_fired(CH_TIMER, &ids, &ov, &at);
    if (st != 0) {
        FAIL("fired: status %d", st);
        return;
    }
    if (phase == 0) {
        check_one_shots(ids, ov, at);
    } else {
        check_periodic(ids, ov, at);
    }
}
