/*
 * chatter: writes numbered lines to the console through the virtualiser, each in three
 * writes with a yield between them, so that chatters of one priority interleave their
 * writes; the virtualiser must still put out each line whole (systems/console,
 * tests/integration). It also tries to read the console after each line, which only the
 * reader may: it reports how many reads were refused and how many bytes it got (the attack
 * test of the virtualiser's reader right). Config: `name` (default "?"), `lines` (default 20).
 */
#include <stdio.h>
#include <string.h>
#include <vallum/os.h>

#include "console.h"

#define CH_CONSOLE 0
#define MAX_TRIES 1000

/* Writes s whole, retrying while the virtualiser's queue is full. */
static void
put(const char *s)
{
    size_t len = strlen(s), done = 0;
    for (unsigned tries = 0; done < len && tries < MAX_TRIES; tries++) {
        uint32_t taken = 0;
        if (console_write(CH_CONSOLE, (const uint8_t *)s + done, len - done, &taken) != 0) {
            return;
        }
        done += taken;
        if (done < len) {
            vl_yield(); /* the queue was full: let the driver run */
        }
    }
}

static unsigned reads_refused, reads_other;
static size_t bytes_got;

/* Tries to take a typed line, as a client that is not the reader. */
static void
try_read(void)
{
    uint8_t line[128];
    size_t len = 0;
    bool more = false;
    if (console_read(CH_CONSOLE, line, &len, &more) == CONSOLE_READ_NOT_READER) {
        reads_refused++;
    } else {
        reads_other++;
    }
    bytes_got += len;
}

void
init(void)
{
    const char *name = "?";
    int64_t lines = 20;
    (void)vl_os_config_str("name", &name);
    (void)vl_os_config_int("lines", &lines);
    char buf[64];
    for (int64_t i = 1; i <= lines; i++) {
        snprintf(buf, sizeof(buf), "chatter %s line %ld: ", name, (long)i);
        put(buf);
        vl_yield();
        put("the middle of it, ");
        vl_yield();
        snprintf(buf, sizeof(buf), "and its end (%s %ld)\n", name, (long)i);
        put(buf);
        try_read();
        vl_yield();
    }
    snprintf(buf, sizeof(buf),
             "reader right: chatter %s refused %u reads, other %u, bytes got %lu\n", name,
             reads_refused, reads_other, (unsigned long)bytes_got);
    put(buf);
    snprintf(buf, sizeof(buf), "chatter %s: done\n", name);
    put(buf);
}

void
notified(unsigned id)
{
    (void)id;
}
