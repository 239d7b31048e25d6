/*
 * libFuzzer on the console virtualiser's line discipline (apps/console/lines.c): the input
 * is a script of client writes (each from one of four clients, some with the driver
 * refusing pieces) and typed bytes. The oracle: every piece handed on is 1..LINES_MAX bytes
 * and ends with a newline unless it is a full LINES_MAX; per client, the pieces handed on
 * plus what is kept are exactly the bytes taken, in order; a typed line never exceeds
 * LINES_MAX and holds no control character; the echo never exceeds LINES_ECHO_MAX.
 */
#include <stdlib.h>
#include <string.h>

#include "../../apps/console/lines.h"

#define CLIENTS 4
#define LOG 8192

struct sink {
    bool refuse;
    uint8_t sent[CLIENTS][LOG];
    size_t sent_len[CLIENTS];
    uint8_t taken[CLIENTS][LOG];
    size_t taken_len[CLIENTS];
    int client;
};

static bool
send(void *ctx, const char *piece, uint32_t n)
{
    struct sink *s = ctx;
    if (n == 0 || n > LINES_MAX || (piece[n - 1] != '\n' && n != LINES_MAX)) {
        abort();
    }
    if (s->refuse) {
        return false;
    }
    size_t *l = &s->sent_len[s->client];
    if (*l + n <= LOG) {
        memcpy(s->sent[s->client] + *l, piece, n);
    }
    *l += n;
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sink s;
    struct lines_out out[CLIENTS];
    struct lines_in in;
    memset(&s, 0, sizeof(s));
    memset(out, 0, sizeof(out));
    memset(&in, 0, sizeof(in));
    size_t i = 0;
    while (i < size) {
        uint8_t op = data[i++];
        if (op & 0x80) { /* typed bytes */
            size_t n = op & 0x0f;
            for (; n > 0 && i < size; n--, i++) {
                char echo[LINES_ECHO_MAX];
                uint32_t e = 99;
                if (lines_in_byte(&in, (char)data[i], echo, &e)) {
                    for (uint32_t k = 0; k < in.len; k++) {
                        if ((unsigned char)in.line[k] < ' ' || in.line[k] == 0x7f) {
                            abort();
                        }
                    }
                }
                if (e > LINES_ECHO_MAX || in.len > LINES_MAX) {
                    abort();
                }
            }
            continue;
        }
        s.client = op & (CLIENTS - 1);
        s.refuse = (op & 0x04) != 0;
        size_t n = (op >> 3) & 0x0f;
        if (n > size - i) {
            n = size - i;
        }
        struct lines_out *o = &out[s.client];
        size_t took = lines_out_write(o, data + i, n, send, &s);
        if (took > n || o->len > LINES_MAX) {
            abort();
        }
        size_t *tl = &s.taken_len[s.client];
        if (*tl + took <= LOG) {
            memcpy(s.taken[s.client] + *tl, data + i, took);
        }
        *tl += took;
        i += n;
    }
    for (int c = 0; c < CLIENTS; c++) {
        /* Sent, then kept, is what was taken: nothing lost, doubled or reordered. */
        if (s.sent_len[c] + out[c].len != s.taken_len[c]) {
            abort();
        }
        if (s.taken_len[c] <= LOG &&
            (memcmp(s.sent[c], s.taken[c], s.sent_len[c]) != 0 ||
             memcmp(out[c].line, s.taken[c] + s.sent_len[c], out[c].len) != 0)) {
            abort();
        }
    }
    return 0;
}
