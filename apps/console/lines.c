/*
 * The console virtualiser's line discipline (see lines.h).
 */
#include "lines.h"

bool
lines_out_flush(struct lines_out *o, lines_send_fn send, void *ctx)
{
    if (!o->complete && o->len < LINES_MAX) {
        return true;
    }
    if (!send(ctx, o->line, o->len)) {
        return false;
    }
    o->len = 0;
    o->complete = false;
    return true;
}

size_t
lines_out_write(struct lines_out *o, const uint8_t *data, size_t len, lines_send_fn send, void *ctx)
{
    size_t i = 0;
    for (; i < len && lines_out_flush(o, send, ctx); i++) {
        o->line[o->len++] = (char)data[i];
        o->complete = data[i] == '\n';
    }
    /* The last byte may have completed the line: it goes now, not with the next write. */
    (void)lines_out_flush(o, send, ctx);
    return i;
}

bool
lines_in_byte(struct lines_in *in, char b, char *echo, uint32_t *echo_len)
{
    *echo_len = 0;
    if (in->ended) {
        in->len = 0; /* the caller had the last line until this call */
        in->ended = false;
    }
    if (in->after_cr && b == '\n') {
        in->after_cr = false;
        return false;
    }
    in->after_cr = b == '\r';
    if (b == '\r' || b == '\n') {
        echo[0] = '\n';
        *echo_len = 1;
        in->ended = true;
        return true;
    }
    if (b == 0x7f || b == '\b') {
        if (in->len > 0) {
            in->len--;
            echo[0] = '\b', echo[1] = ' ', echo[2] = '\b';
            *echo_len = 3;
        }
        return false;
    }
    if ((unsigned char)b < ' ' || in->len == LINES_MAX) {
        return false; /* other control characters, and a full line, are ignored */
    }
    in->line[in->len++] = b;
    echo[0] = b;
    *echo_len = 1;
    return false;
}
