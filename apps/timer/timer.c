/*
 * timer: the timer service (docs/drivers.md, "The timer service"). It owns QEMU's goldfish
 * RTC (device region "rtc", its interrupt on channel 0) and serves interfaces/timer.idl:
 * monotonic time, and one-shot and periodic timeouts for many clients, each with its own.
 *
 * Channels, as the system description gives them to this component:
 *   0                  the RTC's interrupt
 *   1..16              a client's calls (client number = id - 1)
 *   id + 16            that client's notify channel: signalled when a timeout of its fires
 *   33                 (with config `log`) a signal to print the log of firings
 * The logic is service.c (host-tested in tests/unit/timer); this file connects it to lib/os.
 */
#include <stdio.h>
#include <vallum/os.h>

#include "service.h"
#include "timer.h"

#define CH_IRQ 0
#define CH_CLIENT_FIRST 1
#define CH_NOTIFY_OFFSET TIMEOUTS_MAX_CLIENTS
#define CH_LOG (CH_CLIENT_FIRST + 2 * TIMEOUTS_MAX_CLIENTS)
#define LOG_MAX 512

/* With config `log`, the firings are kept here and printed when channel CH_LOG is signalled
 * (printing as they happen would cut into the clients' console lines): for tests, which
 * check the global order of firings from it. */
struct firing {
    uint64_t deadline, now;
    uint8_t client, id;
};
static struct firing firings[LOG_MAX];
static unsigned nfirings;
static uint64_t log_dropped;

static struct service svc;
static bool ready;                        /* the device was found */
static bool served[VL_COMP_MAX_CHANNELS]; /* a client's call channel with its notify channel */

static void
wake(unsigned client)
{
    vl_os_notify(client + CH_CLIENT_FIRST + CH_NOTIFY_OFFSET);
}

/* The client number of call channel ch, or TIMEOUTS_MAX_CLIENTS (which the tables refuse as
 * a bad id) for a channel this service does not serve. */
static unsigned
client_of(unsigned ch)
{
    return ready && ch < VL_COMP_MAX_CHANNELS && served[ch] ? ch - CH_CLIENT_FIRST
                                                            : TIMEOUTS_MAX_CLIENTS;
}

/* Marks the call channels that follow the convention above; says which do not. */
static unsigned
find_clients(void)
{
    const struct vl_comp_info *info = vl_os_info();
    unsigned n = 0;
    for (unsigned ch = 0; ch < VL_COMP_MAX_CHANNELS; ch++) {
        if (info->channels[ch] != VL_COMP_CH_SERVER) {
            continue;
        }
        unsigned notify = ch + CH_NOTIFY_OFFSET;
        if (ch < CH_CLIENT_FIRST || ch >= CH_CLIENT_FIRST + TIMEOUTS_MAX_CLIENTS) {
            printf("timer: call channel %u is not a client's (1..%u)\n", ch, TIMEOUTS_MAX_CLIENTS);
        } else if (info->channels[notify] != VL_COMP_CH_NOTIFY) {
            printf("timer: call channel %u has no notify channel %u\n", ch, notify);
        } else {
            served[ch] = true;
            n++;
        }
    }
    return n;
}

static void
log_firing(unsigned client, unsigned id, uint64_t deadline, uint64_t now)
{
    if (nfirings == LOG_MAX) {
        log_dropped++;
        return;
    }
    firings[nfirings++] = (struct firing){deadline, now, (uint8_t)client, (uint8_t)id};
}

static void
print_log(void)
{
    for (unsigned i = 0; i < nfirings; i++) {
        printf("timer: fired client %u id %u due %lu at %lu\n", firings[i].client, firings[i].id,
               (unsigned long)firings[i].deadline, (unsigned long)firings[i].now);
    }
    printf("timer: %u firings logged, %lu not, %lu interrupts\n", nfirings,
           (unsigned long)log_dropped, (unsigned long)svc.interrupts);
    nfirings = 0;
    log_dropped = 0;
}

void
init(void)
{
    if (!service_open(&svc, "rtc", wake)) {
        printf("timer: no device region 'rtc'\n");
        return;
    }
    ready = true;
    int64_t log = 0;
    vl_os_config_int("log", &log);
    if (log != 0) {
        svc.log = log_firing;
    }
    unsigned n = find_clients();
    int err = vl_os_irq_ack(CH_IRQ);
    if (err != 0) {
        printf("timer: irq ack: %s\n", err < 0 ? vl_os_status_name(err) : vl_error_name(err));
    }
    printf("timer: serving %u clients, clock at %lu ns\n", n, (unsigned long)service_now(&svc));
}

void
notified(unsigned id)
{
    if (id == CH_LOG && svc.log != NULL) {
        print_log();
    }
    if (id != CH_IRQ || !ready) {
        return;
    }
    service_interrupt(&svc);
    int err = vl_os_irq_ack(CH_IRQ);
    if (err != 0) {
        printf("timer: irq ack: %s\n", err < 0 ? vl_os_status_name(err) : vl_error_name(err));
    }
}

vl_word_t protected(unsigned id, vl_word_t info)
{
    return timer_dispatch(id, info, NULL);
}

int
timer_do_now(unsigned ch, uint64_t *ns)
{
    (void)ch;
    *ns = ready ? service_now(&svc) : 0;
    return 0;
}

int
timer_do_set_timeout(unsigned ch, uint32_t id, uint64_t ns, uint64_t period)
{
    switch (service_set(&svc, client_of(ch), id, ns, period)) {
    case TIMEOUTS_OK:
        return 0;
    case TIMEOUTS_FULL:
        return TIMER_SET_TIMEOUT_FULL;
    case TIMEOUTS_BAD_PERIOD:
        return TIMER_SET_TIMEOUT_BAD_PERIOD;
    default:
        return TIMER_SET_TIMEOUT_BAD_ID;
    }
}

int
timer_do_cancel(unsigned ch, uint32_t id)
{
    switch (service_cancel(&svc, client_of(ch), id)) {
    case TIMEOUTS_OK:
        return 0;
    case TIMEOUTS_UNKNOWN:
        return TIMER_CANCEL_UNKNOWN;
    default:
        return TIMER_CANCEL_BAD_ID;
    }
}

int
timer_do_fired(unsigned ch, uint64_t *ids, uint64_t *overruns, uint64_t *now)
{
    if (!ready) {
        return 0; /* results start zeroed */
    }
    *ids = service_collect(&svc, client_of(ch), overruns, now);
    return 0;
}
