/*
 * Host tests of the timer service (apps/timer, ASan + UBSan): the goldfish driver core
 * against a simulated goldfish RTC that follows QEMU's hw/rtc/goldfish_rtc.c register by
 * register, the timeouts tables and heap against a reference, and the service's logic (the
 * two together) driven by the simulated clock: nothing ever fires before its deadline,
 * everything fires in order, periodic timeouts keep their grid, and every error path.
 */
#include "../../../apps/timer/goldfish_timer.h"
#include "../../../apps/timer/service.h"
#include "../../../apps/timer/timeouts.h"

#include <stdlib.h>
#include <vallum/goldfish_rtc.h>

static const char *
status_name(int s)
{
    static const char *const names[] = {"ok", "bad_id", "full", "bad_period", "unknown"};
    return s >= 0 && s <= TIMEOUTS_UNKNOWN ? names[s] : "?";
}
#define VLTEST_STRERROR(x) status_name(x)
#include "../vltest.h"

/*
 * The simulated goldfish RTC, as QEMU's: the time (now, advanced by `tick` on every access
 * and by the test) is latched into TIME_HIGH by a TIME_LOW read; ALARM_LOW arms the alarm for
 * alarm_next (raising the interrupt at once if it is not in the future); the interrupt line
 * is pending && enabled; CLEAR_ALARM stops an armed alarm; CLEAR_INTERRUPT lowers pending.
 * Registers other than the eight, and accesses other than 32-bit, are logged as bad.
 */
struct goldfish {
    uint64_t now, tick;
    uint32_t time_high;
    uint64_t alarm_next;
    bool alarm_running, irq_pending, irq_enabled;
    unsigned accesses, arms, bad;
};

static bool
goldfish_irq(const struct goldfish *g)
{
    return g->irq_pending && g->irq_enabled;
}

/* The device's timer callback: the alarm is reached. */
static void
goldfish_check_alarm(struct goldfish *g)
{
    if (g->alarm_running && g->now >= g->alarm_next) {
        g->alarm_running = false;
        g->irq_pending = true;
    }
}

static void
goldfish_advance(struct goldfish *g, uint64_t ns)
{
    g->now += ns;
    goldfish_check_alarm(g);
}

static uint64_t
goldfish_read(void *ctx, uint64_t off, unsigned width)
{
    struct goldfish *g = ctx;
    g->accesses++;
    goldfish_advance(g, g->tick);
    if (width != 4) {
        g->bad++;
        return 0;
    }
    switch (off) {
    case GOLDFISH_RTC_TIME_LOW:
        g->time_high = (uint32_t)(g->now >> 32);
        return (uint32_t)g->now;
    case GOLDFISH_RTC_TIME_HIGH:
        return g->time_high;
    case GOLDFISH_RTC_ALARM_LOW:
        return (uint32_t)g->alarm_next;
    case GOLDFISH_RTC_ALARM_HIGH:
        return (uint32_t)(g->alarm_next >> 32);
    case GOLDFISH_RTC_IRQ_ENABLED:
        return g->irq_enabled;
    case GOLDFISH_RTC_ALARM_STATUS:
        return g->alarm_running;
    default:
        g->bad++;
        return 0;
    }
}

static void
goldfish_write(void *ctx, uint64_t off, unsigned width, uint64_t value)
{
    struct goldfish *g = ctx;
    g->accesses++;
    goldfish_advance(g, g->tick);
    if (width != 4) {
        g->bad++;
        return;
    }
    switch (off) {
    case GOLDFISH_RTC_ALARM_LOW:
        g->alarm_next = (g->alarm_next & ~0xffffffffull) | (uint32_t)value;
        g->arms++;
        if (g->alarm_next <= g->now) {
            g->alarm_running = false;
            g->irq_pending = true;
        } else {
            g->alarm_running = true;
        }
        break;
    case GOLDFISH_RTC_ALARM_HIGH:
        g->alarm_next = (g->alarm_next & 0xffffffffull) | ((uint64_t)(uint32_t)value << 32);
        break;
    case GOLDFISH_RTC_IRQ_ENABLED:
        g->irq_enabled = value & 1;
        break;
    case GOLDFISH_RTC_CLEAR_ALARM:
        g->alarm_running = false;
        break;
    case GOLDFISH_RTC_CLEAR_INTERRUPT:
        g->irq_pending = false;
        break;
    default:
        g->bad++; /* the driver never writes the time */
        break;
    }
}

static const struct hw_model goldfish_model = {goldfish_read, goldfish_write};
static struct goldfish g;

/* A fresh simulated device at time `now`, attached as region "rtc". */
static void
attach(uint64_t now)
{
    g = (struct goldfish){.now = now};
    hw_host_reset();
    hw_host_attach("rtc", &goldfish_model, &g, 4096);
}

static bool
test_driver_open(void)
{
    struct goldfish_timer t = {.alarm = 77};
    hw_host_reset();
    EXPECT(!goldfish_timer_open(&t, "rtc"));
    EXPECT(hw_host_attach("small", &goldfish_model, &g, GOLDFISH_RTC_CLEAR_INTERRUPT));
    EXPECT(!goldfish_timer_open(&t, "small"));
    EXPECT_EQ(t.alarm, 77); /* untouched */
    EXPECT_EQ(g.accesses, 0);
    /* What a previous run left: an alarm armed, an interrupt pending, the interrupt off. */
    attach(1000);
    g.alarm_next = 5000, g.alarm_running = true, g.irq_pending = true;
    EXPECT(goldfish_timer_open(&t, "rtc"));
    EXPECT(!g.alarm_running && !g.irq_pending && g.irq_enabled);
    EXPECT(!t.armed);
    goldfish_advance(&g, 10000);
    EXPECT(!goldfish_irq(&g)); /* the old alarm is gone */
    EXPECT_EQ(g.bad, 0);
    return true;
}

static bool
test_driver_now_latched(void)
{
    struct goldfish_timer t;
    attach(0x2ffffffff0ull);
    EXPECT(goldfish_timer_open(&t, "rtc"));
    g.now = 0x2ffffffff0ull, g.tick = 0x20; /* the two reads straddle a carry */
    EXPECT_EQ(goldfish_timer_now(&t), 0x3000000010ull);
    g.tick = 0;
    EXPECT_EQ(goldfish_timer_now(&t), 0x3000000030ull);
    return true;
}

static bool
test_driver_alarm(void)
{
    struct goldfish_timer t;
    attach(1000000);
    EXPECT(goldfish_timer_open(&t, "rtc"));
    /* A future alarm raises the interrupt once it is reached, not before. */
    goldfish_timer_arm(&t, 0x500000000ull);
    EXPECT(g.alarm_running && !goldfish_irq(&g));
    EXPECT_EQ(g.alarm_next, 0x500000000ull);
    EXPECT(t.armed && t.alarm == 0x500000000ull);
    unsigned arms = g.arms;
    goldfish_timer_arm(&t, 0x500000000ull); /* the same deadline: the device is not touched */
    EXPECT_EQ(g.arms, arms);
    goldfish_advance(&g, 0x500000000ull - g.now - 1);
    EXPECT(!goldfish_irq(&g));
    goldfish_advance(&g, 1);
    EXPECT(goldfish_irq(&g) && !g.alarm_running);
    /* The level stays until acknowledged. */
    goldfish_advance(&g, 100);
    EXPECT(goldfish_irq(&g));
    goldfish_timer_ack(&t);
    EXPECT(!goldfish_irq(&g) && !t.armed);
    /* A deadline already past raises it at once. */
    goldfish_timer_arm(&t, g.now - 1);
    EXPECT(goldfish_irq(&g));
    goldfish_timer_ack(&t);
    /* Re-arming moves the alarm; disarming stops it. */
    goldfish_timer_arm(&t, g.now + 1000);
    goldfish_timer_arm(&t, g.now + 5000);
    goldfish_advance(&g, 2000);
    EXPECT(!goldfish_irq(&g));
    goldfish_timer_disarm(&t);
    EXPECT(!g.alarm_running && !t.armed);
    goldfish_advance(&g, 10000);
    EXPECT(!goldfish_irq(&g));
    /* Disarming leaves a pending interrupt pending (the service handles it). */
    goldfish_timer_arm(&t, g.now + 10);
    goldfish_advance(&g, 10);
    goldfish_timer_disarm(&t);
    EXPECT(goldfish_irq(&g));
    EXPECT_EQ(g.bad, 0);
    EXPECT_EQ(t.regs.bad_accesses, 0);
    return true;
}

/* The tables must hold their invariants after every operation. */
#define CHECKED(t) EXPECT(timeouts_check(t))

static struct timeouts tt;

static bool
test_timeouts_errors(void)
{
    timeouts_init(&tt);
    EXPECT_ERR(timeouts_set(&tt, 0, TIMEOUTS_IDS, 100, 0), TIMEOUTS_BAD_ID);
    EXPECT_ERR(timeouts_set(&tt, TIMEOUTS_MAX_CLIENTS, 0, 100, 0), TIMEOUTS_BAD_ID);
    EXPECT_ERR(timeouts_set(&tt, 0, 1, 100, 1), TIMEOUTS_BAD_PERIOD);
    EXPECT_ERR(timeouts_set(&tt, 0, 1, 100, TIMEOUTS_MIN_PERIOD - 1), TIMEOUTS_BAD_PERIOD);
    /* The order of checks: a bad id first. */
    EXPECT_ERR(timeouts_set(&tt, 0, 99, 100, 1), TIMEOUTS_BAD_ID);
    EXPECT_EQ(tt.count, 0);
    CHECKED(&tt);
    /* Full: the table holds TIMEOUTS_PER_CLIENT; re-arming one of them still works. */
    for (unsigned id = 0; id < TIMEOUTS_PER_CLIENT; id++) {
        EXPECT_ERR(timeouts_set(&tt, 3, id, 1000 + id, 0), TIMEOUTS_OK);
    }
    EXPECT_ERR(timeouts_set(&tt, 3, TIMEOUTS_PER_CLIENT, 5, 0), TIMEOUTS_FULL);
    EXPECT_ERR(timeouts_set(&tt, 3, TIMEOUTS_PER_CLIENT, 5, 3), TIMEOUTS_BAD_PERIOD);
    EXPECT_EQ(timeouts_armed(&tt, 3), TIMEOUTS_PER_CLIENT);
    uint64_t next;
    EXPECT(timeouts_next(&tt, &next) && next == 1000);
    EXPECT_ERR(timeouts_set(&tt, 3, 0, 2000, 0), TIMEOUTS_OK); /* re-armed, not a new one */
    EXPECT(timeouts_next(&tt, &next) && next == 1001);
    CHECKED(&tt);
    /* Another client is not affected by one whose table is full. */
    EXPECT_ERR(timeouts_set(&tt, 4, 63, 10, 0), TIMEOUTS_OK);
    EXPECT(timeouts_next(&tt, &next) && next == 10);
    /* Cancel: bad ids, unknown ids (never set, or set by another client). */
    EXPECT_ERR(timeouts_cancel(&tt, 0, TIMEOUTS_IDS), TIMEOUTS_BAD_ID);
    EXPECT_ERR(timeouts_cancel(&tt, TIMEOUTS_MAX_CLIENTS, 0), TIMEOUTS_BAD_ID);
    EXPECT_ERR(timeouts_cancel(&tt, 3, 40), TIMEOUTS_UNKNOWN);
    EXPECT_ERR(timeouts_cancel(&tt, 5, 63), TIMEOUTS_UNKNOWN);
    EXPECT_ERR(timeouts_cancel(&tt, 4, 63), TIMEOUTS_OK);
    EXPECT_ERR(timeouts_cancel(&tt, 4, 63), TIMEOUTS_UNKNOWN); /* only once */
    EXPECT_ERR(timeouts_cancel(&tt, 3, 5), TIMEOUTS_OK);
    EXPECT_ERR(timeouts_set(&tt, 3, 40, 5, 0), TIMEOUTS_OK); /* a slot is free again */
    EXPECT_EQ(timeouts_armed(&tt, 3), TIMEOUTS_PER_CLIENT);
    EXPECT_EQ(timeouts_armed(&tt, TIMEOUTS_MAX_CLIENTS), 0);
    uint64_t ov = 7;
    EXPECT_EQ(timeouts_collect(&tt, TIMEOUTS_MAX_CLIENTS, &ov), 0);
    EXPECT_EQ(ov, 0);
    CHECKED(&tt);
    return true;
}

/* Firings recorded by the callback. */
struct firing {
    unsigned client, id;
    uint64_t deadline;
    bool notify;
};
static struct firing log_[4096];
static unsigned nlog;

static void
record(void *ctx, unsigned client, unsigned id, uint64_t deadline, bool notify)
{
    (void)ctx;
    if (nlog < sizeof(log_) / sizeof(log_[0])) {
        log_[nlog++] = (struct firing){client, id, deadline, notify};
    }
}

static bool
test_timeouts_one_shot(void)
{
    timeouts_init(&tt);
    nlog = 0;
    EXPECT_ERR(timeouts_set(&tt, 0, 7, 300, 0), TIMEOUTS_OK);
    EXPECT_ERR(timeouts_set(&tt, 1, 7, 100, 0), TIMEOUTS_OK);
    EXPECT_ERR(timeouts_set(&tt, 0, 9, 200, 0), TIMEOUTS_OK);
    EXPECT_ERR(timeouts_set(&tt, 0, 8, 200, 0), TIMEOUTS_OK); /* a tie: armed later */
    EXPECT_EQ(timeouts_expire(&tt, 99, record, NULL), 0);
    EXPECT_EQ(timeouts_expire(&tt, 200, record, NULL), 3);
    CHECKED(&tt);
    EXPECT_EQ(nlog, 3);
    EXPECT(log_[0].client == 1 && log_[0].id == 7 && log_[0].deadline == 100 && log_[0].notify);
    EXPECT(log_[1].client == 0 && log_[1].id == 9 && log_[1].notify);
    EXPECT(log_[2].client == 0 && log_[2].id == 8 && !log_[2].notify); /* mask was non-zero */
    EXPECT_EQ(timeouts_armed(&tt, 0), 1);
    uint64_t ov;
    EXPECT_EQ(timeouts_collect(&tt, 0, &ov), (1ull << 8) | (1ull << 9));
    EXPECT_EQ(ov, 0);
    EXPECT_EQ(timeouts_collect(&tt, 0, &ov), 0);
    /* A fired, uncollected one-shot can be cancelled (its bit goes), and re-armed. */
    EXPECT_ERR(timeouts_cancel(&tt, 1, 7), TIMEOUTS_OK);
    EXPECT_EQ(timeouts_collect(&tt, 1, &ov), 0);
    EXPECT_ERR(timeouts_cancel(&tt, 1, 7), TIMEOUTS_UNKNOWN);
    /* A deadline in the past fires at the next expire. */
    EXPECT_ERR(timeouts_set(&tt, 2, 0, 5, 0), TIMEOUTS_OK);
    nlog = 0;
    EXPECT_EQ(timeouts_expire(&tt, 250, record, NULL), 1);
    EXPECT(nlog == 1 && log_[0].client == 2 && log_[0].deadline == 5);
    /* Firing an id whose bit is still set is an overrun. */
    EXPECT_ERR(timeouts_set(&tt, 2, 0, 260, 0), TIMEOUTS_OK);
    EXPECT_EQ(timeouts_expire(&tt, 260, NULL, NULL), 1);
    EXPECT_EQ(timeouts_collect(&tt, 2, &ov), 1);
    EXPECT_EQ(ov, 1);
    EXPECT_EQ(timeouts_expire(&tt, UINT64_MAX, NULL, NULL), 1); /* client 0's id 7 */
    EXPECT_EQ(tt.count, 0);
    CHECKED(&tt);
    return true;
}

static bool
test_timeouts_periodic(void)
{
    const uint64_t P = 1000000, START = 5000000;
    timeouts_init(&tt);
    nlog = 0;
    EXPECT_ERR(timeouts_set(&tt, 0, 1, START, P), TIMEOUTS_OK);
    /* Serviced late by varying amounts, but each time before the next deadline: every
     * firing is on the grid START + k P, with no drift and no overrun. */
    uint64_t now = START;
    for (unsigned k = 0; k < 100; k++) {
        now = START + k * P + (k * 7919) % P;
        EXPECT_EQ(timeouts_expire(&tt, now, record, NULL), 1);
        uint64_t ov;
        EXPECT_EQ(timeouts_collect(&tt, 0, &ov), 2);
        EXPECT_EQ(ov, 0);
        EXPECT_EQ(log_[k].deadline, START + k * P);
        CHECKED(&tt);
    }
    /* Three deadlines missed at once: one firing, two overruns, back on the grid. */
    nlog = 0;
    now = START + 102 * P + 5;
    EXPECT_EQ(timeouts_expire(&tt, now, record, NULL), 1);
    EXPECT_EQ(log_[0].deadline, START + 100 * P);
    uint64_t next, ov;
    EXPECT(timeouts_next(&tt, &next) && next == START + 103 * P);
    /* Not collected: two more firings are overruns too, but only the first notifies. */
    EXPECT_EQ(timeouts_expire(&tt, START + 103 * P, record, NULL), 1);
    EXPECT_EQ(timeouts_expire(&tt, START + 104 * P, record, NULL), 1);
    EXPECT(log_[0].notify && !log_[1].notify && !log_[2].notify);
    EXPECT_EQ(timeouts_collect(&tt, 0, &ov), 2);
    EXPECT_EQ(ov, 4);
    /* A periodic timeout first due in the past fires once and counts what it missed. */
    EXPECT_ERR(timeouts_set(&tt, 1, 2, 0, P), TIMEOUTS_OK);
    EXPECT_EQ(timeouts_expire(&tt, 10 * P, NULL, NULL), 1);
    EXPECT_EQ(timeouts_collect(&tt, 1, &ov), 4);
    EXPECT_EQ(ov, 10);
    EXPECT(timeouts_next(&tt, &next) && next == 11 * P); /* the first after 10 P */
    /* Re-arming as one-shot stops it after one firing; cancel stops a periodic one. */
    EXPECT_ERR(timeouts_set(&tt, 1, 2, 12 * P, 0), TIMEOUTS_OK);
    EXPECT_EQ(timeouts_expire(&tt, 20 * P, NULL, NULL), 1);
    EXPECT_EQ(timeouts_armed(&tt, 1), 0);
    EXPECT_ERR(timeouts_cancel(&tt, 0, 1), TIMEOUTS_OK);
    EXPECT_EQ(tt.count, 0);
    /* A grid that would overflow 64 bits stops instead of wrapping to the past. */
    EXPECT_ERR(timeouts_set(&tt, 0, 3, UINT64_MAX - 10, P), TIMEOUTS_OK);
    EXPECT_EQ(timeouts_expire(&tt, UINT64_MAX, NULL, NULL), 1);
    EXPECT_EQ(tt.count, 0);
    CHECKED(&tt);
    return true;
}

/* Random sets, re-arms and cancels over every client, expired at random times, against a
 * reference: each firing is due, in order, and is exactly the reference's next due one. */
struct ref {
    bool armed;
    uint64_t deadline, order;
};
static struct ref ref[TIMEOUTS_MAX_CLIENTS][TIMEOUTS_IDS];

static bool
test_timeouts_random(void)
{
    srand(1);
    timeouts_init(&tt);
    memset(ref, 0, sizeof(ref));
    uint64_t now = 0, order = 0;
    for (unsigned step = 0; step < 20000; step++) {
        unsigned c = (unsigned)rand() % TIMEOUTS_MAX_CLIENTS, id = (unsigned)rand() % TIMEOUTS_IDS;
        int op = rand() % 4;
        if (op <= 1) {
            uint64_t d = now + (uint64_t)(rand() % 100000) - 1000;
            enum timeouts_status st = timeouts_set(&tt, c, id, d, 0);
            if (st == TIMEOUTS_OK) {
                ref[c][id] = (struct ref){true, d, order++};
            } else {
                EXPECT_ERR(st, TIMEOUTS_FULL);
                EXPECT(!ref[c][id].armed && timeouts_armed(&tt, c) == TIMEOUTS_PER_CLIENT);
            }
        } else if (op == 2) {
            enum timeouts_status st = timeouts_cancel(&tt, c, id);
            EXPECT(st == TIMEOUTS_OK || !ref[c][id].armed);
            ref[c][id].armed = false;
        } else {
            now += (uint64_t)(rand() % 20000);
            nlog = 0;
            timeouts_expire(&tt, now, record, NULL);
            for (unsigned i = 0; i < nlog; i++) {
                /* The reference's earliest armed (deadline, order) must be this one. */
                unsigned bc = 0, bi = 0;
                bool any = false;
                for (unsigned rc = 0; rc < TIMEOUTS_MAX_CLIENTS; rc++) {
                    for (unsigned ri = 0; ri < TIMEOUTS_IDS; ri++) {
                        struct ref *r = &ref[rc][ri], *b = &ref[bc][bi];
                        if (r->armed && (!any || r->deadline < b->deadline ||
                                         (r->deadline == b->deadline && r->order < b->order))) {
                            bc = rc, bi = ri, any = true;
                        }
                    }
                }
                EXPECT(any);
                EXPECT(log_[i].client == bc && log_[i].id == bi);
                EXPECT(log_[i].deadline == ref[bc][bi].deadline && log_[i].deadline <= now);
                ref[bc][bi].armed = false;
            }
            uint64_t next;
            if (timeouts_next(&tt, &next)) {
                EXPECT(next > now);
            }
            uint64_t ov;
            timeouts_collect(&tt, c, &ov);
        }
        CHECKED(&tt);
    }
    return true;
}

/* The service on the simulated device: notifications received. */
static unsigned notified_count[TIMEOUTS_MAX_CLIENTS];

static void
notify(unsigned client)
{
    notified_count[client]++;
}

/* Advances the simulated clock to the next raised interrupt (jumping to the alarm), then
 * `lag` ns more, and lets the service handle it. Returns false if nothing is armed. */
static bool
next_interrupt(struct service *s, uint64_t lag)
{
    if (!goldfish_irq(&g)) {
        if (!g.alarm_running) {
            return false;
        }
        goldfish_advance(&g, g.alarm_next > g.now ? g.alarm_next - g.now : 0);
    }
    goldfish_advance(&g, lag);
    service_interrupt(s);
    return true;
}

static struct service svc;

/* The deadline of client c's id in test_service_order. */
static uint64_t
order_deadline(uint64_t t0, unsigned c, unsigned id)
{
    return t0 + 1000000 + (id * 4 + c) * 10000;
}

static bool
test_service_order(void)
{
    attach(946684800000000000ull); /* 2000-01-01, as systems/timers starts the clock */
    memset(notified_count, 0, sizeof(notified_count));
    EXPECT(service_open(&svc, "rtc", notify));
    g.tick = 3;
    uint64_t t0 = service_now(&svc);
    /* 100 timeouts over 4 clients, deadlines interleaved, set in a scrambled order. */
    for (unsigned i = 0; i < 100; i++) {
        unsigned k = (i * 37) % 100;
        EXPECT_ERR(service_set(&svc, k % 4, k / 4, order_deadline(t0, k % 4, k / 4), 0),
                   TIMEOUTS_OK);
    }
    EXPECT(g.alarm_running && g.alarm_next == t0 + 1000000);
    /* Each interrupt is handled 25 us late, so several deadlines are due at once. After each,
     * every client collects: what fired is due, later than all that fired before, and
     * nothing due is left unfired. */
    unsigned seen = 0;
    uint64_t latest = 0;
    while (next_interrupt(&svc, 25000)) {
        uint64_t first_in_batch = UINT64_MAX, last_in_batch = 0, now = 0;
        for (unsigned c = 0; c < 4; c++) {
            uint64_t ov;
            uint64_t ids = service_collect(&svc, c, &ov, &now);
            EXPECT_EQ(ov, 0);
            for (unsigned id = 0; id < 64; id++) {
                if (ids & (1ull << id)) {
                    uint64_t d = order_deadline(t0, c, id);
                    EXPECT(d <= now); /* never early */
                    first_in_batch = d < first_in_batch ? d : first_in_batch;
                    last_in_batch = d > last_in_batch ? d : last_in_batch;
                    seen++;
                }
            }
        }
        EXPECT(seen == 100 || first_in_batch > latest); /* in order across interrupts */
        latest = last_in_batch > latest ? last_in_batch : latest;
        uint64_t next;
        EXPECT(!timeouts_next(&svc.timeouts, &next) || next > now); /* nothing due left */
        EXPECT(!timeouts_next(&svc.timeouts, &next) || (g.alarm_running && g.alarm_next == next));
    }
    EXPECT_EQ(seen, 100);
    EXPECT_EQ(svc.fired, 100);
    for (unsigned c = 0; c < 4; c++) {
        EXPECT(notified_count[c] >= 1 && notified_count[c] <= 25);
    }
    EXPECT(!g.alarm_running && !goldfish_irq(&g)); /* nothing left armed */
    EXPECT_EQ(g.bad, 0);
    EXPECT_EQ(svc.dev.regs.bad_accesses, 0);
    return true;
}

/* A periodic timeout keeps its grid however late the interrupts are handled; a client that
 * never collects is woken once and costs the others nothing; past deadlines fire at once. */
static bool
test_service_periodic_and_lazy_client(void)
{
    const uint64_t P = 1000000;
    attach(5000000000ull);
    memset(notified_count, 0, sizeof(notified_count));
    EXPECT(service_open(&svc, "rtc", notify));
    uint64_t t0 = service_now(&svc);
    EXPECT_ERR(service_set(&svc, 0, 5, t0 + P, P), TIMEOUTS_OK); /* collects */
    EXPECT_ERR(service_set(&svc, 1, 6, t0 + P, P), TIMEOUTS_OK); /* never collects */
    uint64_t firings = 0;
    for (unsigned k = 0; k < 200; k++) {
        EXPECT(next_interrupt(&svc, (k * 104729) % (P / 2)));
        uint64_t ov, now;
        uint64_t ids = service_collect(&svc, 0, &ov, &now);
        if (ids != 0) {
            EXPECT_EQ(ids, 1ull << 5);
            firings += 1 + ov;
            /* Every grid point up to now has fired, and only those: no drift. */
            EXPECT_EQ(firings, (now - t0) / P);
        }
    }
    EXPECT_EQ(notified_count[1], 1);
    uint64_t ov, now;
    EXPECT_EQ(service_collect(&svc, 1, &ov, &now), 1ull << 6);
    EXPECT_EQ(1 + ov, (now - t0) / P);
    /* A deadline in the past fires within the call: the client is notified before it
     * returns. */
    unsigned before = notified_count[2];
    EXPECT_ERR(service_set(&svc, 2, 0, t0, 0), TIMEOUTS_OK);
    EXPECT_EQ(notified_count[2], before + 1);
    EXPECT_EQ(service_collect(&svc, 2, &ov, &now), 1);
    /* Errors change nothing on the device. */
    unsigned arms = g.arms;
    EXPECT_ERR(service_set(&svc, 2, 64, t0, 0), TIMEOUTS_BAD_ID);
    EXPECT_ERR(service_set(&svc, 2, 1, t0, 10), TIMEOUTS_BAD_PERIOD);
    EXPECT_ERR(service_cancel(&svc, 2, 1), TIMEOUTS_UNKNOWN);
    EXPECT_EQ(g.arms, arms);
    /* Cancelling both leaves the device without an alarm. */
    EXPECT_ERR(service_cancel(&svc, 0, 5), TIMEOUTS_OK);
    EXPECT_ERR(service_cancel(&svc, 1, 6), TIMEOUTS_OK);
    EXPECT(!g.alarm_running);
    EXPECT(!next_interrupt(&svc, 0) || !goldfish_irq(&g));
    EXPECT_EQ(g.bad, 0);
    return true;
}

int
main(void)
{
    run("timer/driver_open", test_driver_open);
    run("timer/driver_now_latched", test_driver_now_latched);
    run("timer/driver_alarm", test_driver_alarm);
    run("timer/timeouts_errors", test_timeouts_errors);
    run("timer/timeouts_one_shot", test_timeouts_one_shot);
    run("timer/timeouts_periodic", test_timeouts_periodic);
    run("timer/timeouts_random", test_timeouts_random);
    run("timer/service_order", test_service_order);
    run("timer/service_periodic_and_lazy_client", test_service_periodic_and_lazy_client);
    return g_failed == 0 ? 0 : 1;
}
