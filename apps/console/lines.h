/*
 * The console virtualiser's line discipline (apps/console), portable so that it is unit
 * tested and fuzzed on the host (tests/unit/console, tests/fuzz/fuzz_console_lines.c):
 *
 *   output  a client's bytes are kept until a newline or LINES_MAX bytes, and only then
 *           handed on as one piece, so pieces of different clients never cut each other's
 *           lines; a piece that could not be handed on stays and goes before any new byte.
 *   input   typed bytes become lines: Enter ("\r", "\n" or "\r\n") ends one, Backspace and
 *           Delete rub out the last character, other control characters are ignored, and a
 *           line stops growing at LINES_MAX characters. Each byte gives the echo to show.
 *
 * Nothing here trusts its input: any byte sequence keeps every length within its bounds.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINES_MAX 128 /* bytes of a client's unfinished line; characters of a typed line */

/* A client's unfinished output line. Zero-initialised is empty. */
struct lines_out {
    char line[LINES_MAX];
    uint32_t len;
    bool complete; /* ends with a newline and waits to be handed on */
};

/* Hands on n (1..LINES_MAX) bytes as one piece; false if it cannot now (nothing taken). */
typedef bool (*lines_send_fn)(void *ctx, const char *piece, uint32_t n);

/*
 * Sends o's line if it is complete or full. Returns true if o can take another byte
 * (nothing was due, or it went), false if send refused it (o unchanged).
 */
bool lines_out_flush(struct lines_out *o, lines_send_fn send, void *ctx);

/*
 * Takes bytes of data into o, handing on each line as it completes; stops at the first
 * line send refuses. Returns how many bytes were taken (all of them, unless refused).
 */
size_t lines_out_write(struct lines_out *o, const uint8_t *data, size_t len, lines_send_fn send,
                       void *ctx);

/* The line being typed. Zero-initialised is empty. */
struct lines_in {
    char line[LINES_MAX];
    uint32_t len;
    bool after_cr; /* the last byte was "\r": a "\n" right after it is the same Enter */
    bool ended;    /* the last byte ended line[0..len): the next one starts a new line */
};

/* At most this many bytes of echo per typed byte ("\b \b"). */
#define LINES_ECHO_MAX 3

/*
 * Feeds one typed byte. Sets echo (at most LINES_ECHO_MAX bytes, *echo_len of them) to
 * what the console should show for it. Returns true if it ended a line: the line is then
 * in->line[0..in->len), valid until the next call, which starts a new one.
 */
bool lines_in_byte(struct lines_in *in, char b, char *echo, uint32_t *echo_len);
