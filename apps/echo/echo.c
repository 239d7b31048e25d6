/*
 * echo: answers lines typed at the console (systems/console, the default system). It is
 * the console virtualiser's reader (interfaces/console.idl): signalled on CH_TYPED when a
 * line has been typed, it reads it and answers through the virtualiser like any client.
 * Commands: `help`, `crash` (a deliberate fault: the fault report still reaches the
 * console through the serial driver, and the supervisor restarts echo), anything else is
 * echoed back.
 */
#include <stdio.h>
#include <string.h>
#include <vallum/os.h>

#include "console.h"

#define CH_CONSOLE 0 /* call channel to the virtualiser */
#define CH_TYPED 1   /* notify channel: a line was typed */
#define MAX_TRIES 1000

/* Writes s through the virtualiser, retrying (yielding to the driver) while its queue is
 * full; gives up after MAX_TRIES and says so on the debug console. */
static void
say(const char *s)
{
    size_t len = strlen(s), done = 0;
    for (unsigned tries = 0; done < len && tries < MAX_TRIES; tries++) {
        size_t n = len - done < 128 ? len - done : 128;
        uint32_t taken = 0;
        int st = console_write(CH_CONSOLE, (const uint8_t *)s + done, n, &taken);
        if (st != 0) {
            printf("echo: console write: status %d\n", st);
            return;
        }
        done += taken;
        if (taken < n) {
            vl_yield();
        }
    }
}

static void
answer(const char *line)
{
    char msg[200];
    if (strcmp(line, "help") == 0) {
        say("echo: commands: help, crash; anything else is echoed\n");
    } else if (strcmp(line, "crash") == 0) {
        say("echo: crashing on purpose\n");
        *(volatile int *)0 = 1;
    } else {
        snprintf(msg, sizeof(msg), "echo: you typed '%s'\n", line);
        say(msg);
    }
}

void
init(void)
{
    char msg[96];
    snprintf(msg, sizeof(msg), "echo: ready (restart %lu); type a line, or 'help'\n",
             (unsigned long)vl_os_restarts());
    say(msg);
    notified(CH_TYPED); /* lines typed before echo (re)started */
}

void
notified(unsigned id)
{
    if (id != CH_TYPED) {
        return;
    }
    for (unsigned i = 0; i < 16; i++) {
        uint8_t line[129];
        size_t len = 0;
        bool more = false;
        if (console_read(CH_CONSOLE, line, &len, &more) != 0) {
            return;
        }
        line[len] = '\0';
        answer((const char *)line);
        if (!more) {
            return;
        }
    }
}
