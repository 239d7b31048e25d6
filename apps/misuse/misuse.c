/*
 * misuse: uses every lib/os channel and config call wrongly once, and rightly once, and
 * prints what each returned, so tests/integration can check each status and (in debug
 * builds) lib/os's message about it. systems/misuse gives it notify channel 0 and the client
 * end of call channel 1 (both to answer, which serves interfaces/counter.idl), the server end of
 * call channel 2, interrupt channel 3 (a PLIC source with no device behind it), three config
 * parameters, a 4 KiB region `scratch` to open rings on and the producer end of connection
 * `probe` (to asker, which leaves it alone).
 *
 * The same program is also the client of channel 2, as component "asker": its `role`
 * parameter says which part it plays. Its second call has no words, and neither has the
 * reply: each side reads 0 there, not the words of the message before.
 */
#include <stdio.h>
#include <vallum/os.h>

#include "counter.h"

#define CH_NOTIFY 0
#define CH_CALL 1
#define CH_SERVED 2
#define CH_IRQ 3
#define CH_ASK 0 /* asker's end of channel 2 */
#define SECRET 0x5ec7e70ul

/* Prints "misuse: WHAT -> STATUS (NAME)", the line the test looks for after lib/os's. */
static void
show(const char *what, int status)
{
    printf("misuse: %s -> %d (%s)\n", what, status, vl_os_status_name(status));
}

/* A call on channel id: the label of the reply, and the status in MR 0 if refused. */
static void
show_call(const char *what, unsigned id)
{
    vl_word_t reply = vl_os_ppcall(id, vl_msginfo(1, 0, 0, 0));
    if (vl_msginfo_label(reply) == VL_OS_BAD_CHANNEL) {
        show(what, (int)vl_os_mr_get(0));
    } else {
        printf("misuse: %s -> answered %lu\n", what, (unsigned long)vl_os_mr_get(0));
    }
}

static void
channels(void)
{
    show("notify 0", vl_os_notify(CH_NOTIFY));
    show("notify 5", vl_os_notify(5));
    show("notify 1", vl_os_notify(CH_CALL));
    show("notify 63", vl_os_notify(63));
    show("notify 4000000000", vl_os_notify(4000000000u));
    vl_word_t calls = 0;
    int st = counter_hit(CH_CALL, &calls); /* the right call: answer serves counter */
    printf("misuse: call 1 -> status %d, answered %lu\n", st, (unsigned long)calls);
    show_call("call 7", 7);
    show_call("call 0", CH_NOTIFY);
    show("irq ack 0", vl_os_irq_ack(CH_NOTIFY));
    show("irq ack 9", vl_os_irq_ack(9));
    show("irq ack 3", vl_os_irq_ack(CH_IRQ));
    show("notify 2", vl_os_notify(CH_SERVED));
    show_call("call 2", CH_SERVED);
    show("notify 3", vl_os_notify(CH_IRQ));
    show_call("call 3", CH_IRQ);
    show("status 42", 42);
}

static void
config(void)
{
    int64_t n = 77;
    const char *s = "unchanged";
    int status = vl_os_config_int("rounds", &n);
    printf("misuse: config rounds -> %d, %ld\n", status, (long)n);
    status = vl_os_config_int("offset", &n);
    printf("misuse: config offset -> %d, %ld\n", status, (long)n);
    status = vl_os_config_str("label", &s);
    printf("misuse: config label -> %d, '%s'\n", status, s);
    n = 77;
    s = "unchanged";
    status = vl_os_config_int("label", &n);
    printf("misuse: config label as integer -> %d, %ld\n", status, (long)n);
    status = vl_os_config_str("rounds", &s);
    printf("misuse: config rounds as string -> %d, '%s'\n", status, s);
    status = vl_os_config_int("missing", &n);
    printf("misuse: config missing -> %d, %ld\n", status, (long)n);
    status = vl_os_config_str("", &s);
    printf("misuse: config '' -> %d, '%s'\n", status, s);
}

/* vl_os_ring_open on a region that is not there, one too small, and a shape lib/ring refuses. */
static void
rings(void)
{
    static struct ring r;
    static uint64_t owned[1];
    struct ring_config shape = {.capacity = 4, .buf_size = 64, .nbufs = 4, .owned = owned};
    show("ring nosuch", vl_os_ring_open(&r, RING_PRODUCER, "nosuch", "scratch", shape));
    struct ring_config big = shape;
    big.capacity = 1u << 20; /* 8 MiB of queues: more than the 4 KiB region */
    show("ring too big", vl_os_ring_open(&r, RING_PRODUCER, "scratch", "scratch", big));
    struct ring_config odd = shape;
    odd.capacity = 3; /* not a power of two */
    show("ring odd", vl_os_ring_open(&r, RING_PRODUCER, "scratch", "scratch", odd));
    show("ring ok", vl_os_ring_open(&r, RING_PRODUCER, "scratch", "scratch", shape));
}

/*
 * vl_os_connect on a connection that is not there, a name too long to be one, and the
 * description's `probe` (100 buffers: two words of bitmap) with one word, then with two.
 */
static void
connections(void)
{
    static struct ring r;
    static uint64_t owned[2];
    struct vl_os_connection conn = {0};
    show("connect nosuch", vl_os_connect(&r, "nosuch", RING_PRODUCER, owned, 2, &conn));
    show("connect long",
         vl_os_connect(&r, "a_name_longer_than_any_connection", RING_PRODUCER, owned, 2, &conn));
    show("connect short bitmap", vl_os_connect(&r, "probe", RING_PRODUCER, owned, 1, &conn));
    show("connect ok", vl_os_connect(&r, "probe", RING_PRODUCER, owned, 2, &conn));
    printf("misuse: probe: channel %u, %u buffers of %u bytes\n", conn.channel,
           (unsigned)conn.buffers, (unsigned)conn.buffer_size);
}

void
init(void)
{
    const char *role = "misuse";
    if (vl_os_config_str("role", &role) == VL_OS_OK && role[0] == 'a') {
        /* A call of five words, then one of none: misuse must not see the first call's
         * words in the second (they are still in its IPC buffer and registers). */
        for (unsigned w = 0; w < 5; w++) {
            vl_os_mr_set(w, SECRET + w);
        }
        vl_word_t reply = vl_os_ppcall(CH_ASK, vl_msginfo(0, 0, 0, 5));
        printf("asker: misuse answered with label %lu\n", (unsigned long)vl_msginfo_label(reply));
        reply = vl_os_ppcall(CH_ASK, vl_msginfo(0, 0, 0, 0));
        printf("asker: misuse answered with label %lu, word 0 %#lx\n",
               (unsigned long)vl_msginfo_label(reply), (unsigned long)vl_os_mr_get(0));
        return;
    }
    channels();
    config();
    rings();
    connections();
    printf("misuse: done\n");
}

vl_word_t protected(unsigned id, vl_word_t info)
{
    printf("misuse: called on channel %u with %lu words, words 0 and 4: %#lx %#lx\n", id,
           (unsigned long)vl_msginfo_length(info), (unsigned long)vl_os_mr_get(0),
           (unsigned long)vl_os_mr_get(4));
    /* A reply of no words, with a word set that it does not carry. */
    vl_os_mr_set(0, SECRET);
    return vl_msginfo(5, 0, 0, 0);
}
