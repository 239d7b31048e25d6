/*
 * Host tests of the console virtualiser's line discipline (apps/console/lines.c, the source
 * the virtualiser runs in QEMU), under ASan and UBSan: output kept until a newline or
 * LINES_MAX bytes and handed on whole, refusals and retries, and typed input with Enter in
 * every form, rubbing out, control characters and over-long lines.
 */
#include "../../../apps/console/lines.h"

#define VLTEST_STRERROR(x) "?"
#include "../vltest.h"

/* A sink for pieces: records them, refuses while `refuse` is set. */
struct sink {
    char text[4096];
    uint32_t len;
    uint32_t pieces;
    uint32_t last_n;
    bool refuse;
};

static bool
sink_send(void *ctx, const char *piece, uint32_t n)
{
    struct sink *s = ctx;
    if (s->refuse || n == 0 || n > LINES_MAX || s->len + n > sizeof(s->text)) {
        return false;
    }
    memcpy(s->text + s->len, piece, n);
    s->len += n, s->pieces++, s->last_n = n;
    return true;
}

static size_t
write_str(struct lines_out *o, struct sink *s, const char *str)
{
    return lines_out_write(o, (const uint8_t *)str, strlen(str), sink_send, s);
}

static bool
test_out_whole_lines(void)
{
    static struct sink s;
    struct lines_out o = {0};
    EXPECT_EQ(write_str(&o, &s, "half a "), 7);
    EXPECT_EQ(s.pieces, 0); /* kept: no newline yet */
    EXPECT_EQ(write_str(&o, &s, "line\nand "), 9);
    EXPECT_EQ(s.pieces, 1);
    EXPECT(s.len == 12 && memcmp(s.text, "half a line\n", 12) == 0);
    EXPECT_EQ(write_str(&o, &s, "more\n"), 5);
    EXPECT_EQ(s.pieces, 2);
    EXPECT(memcmp(s.text + 12, "and more\n", 9) == 0);
    EXPECT_EQ(o.len, 0);
    /* Two lines in one write go as two pieces. */
    EXPECT_EQ(write_str(&o, &s, "x\ny\n"), 4);
    EXPECT_EQ(s.pieces, 4);
    EXPECT_EQ(s.last_n, 2);
    return true;
}

static bool
test_out_long_line_split(void)
{
    static struct sink s;
    struct lines_out o = {0};
    uint8_t big[300];
    memset(big, 'z', sizeof(big));
    EXPECT_EQ(lines_out_write(&o, big, sizeof(big), sink_send, &s), 300);
    /* 128 + 128 went when each filled (the second when the 257th byte came), 44 wait. */
    EXPECT_EQ(s.pieces, 2);
    EXPECT_EQ(s.last_n, LINES_MAX);
    EXPECT_EQ(o.len, 300 - 2 * LINES_MAX);
    EXPECT_EQ(write_str(&o, &s, "\n"), 1);
    EXPECT_EQ(s.last_n, 300 - 2 * LINES_MAX + 1);
    return true;
}

static bool
test_out_refused(void)
{
    static struct sink s;
    struct lines_out o = {0};
    s.refuse = true;
    EXPECT_EQ(write_str(&o, &s, "one\ntwo\n"), 4); /* "one\n" is kept, complete */
    EXPECT(o.complete);
    EXPECT_EQ(write_str(&o, &s, "two\n"), 0); /* nothing more until it went */
    EXPECT(!lines_out_flush(&o, sink_send, &s));
    s.refuse = false;
    EXPECT(lines_out_flush(&o, sink_send, &s));
    EXPECT(s.pieces == 1 && memcmp(s.text, "one\n", 4) == 0);
    EXPECT(lines_out_flush(&o, sink_send, &s)); /* nothing due */
    EXPECT_EQ(s.pieces, 1);
    EXPECT_EQ(write_str(&o, &s, "two\n"), 4);
    EXPECT(s.pieces == 2 && memcmp(s.text + 4, "two\n", 4) == 0);
    /* A full line refused: no byte is taken until it went. */
    uint8_t big[LINES_MAX];
    memset(big, 'q', sizeof(big));
    s.refuse = true;
    EXPECT_EQ(lines_out_write(&o, big, sizeof(big), sink_send, &s), LINES_MAX);
    EXPECT_EQ(write_str(&o, &s, "r"), 0);
    EXPECT_EQ(o.len, LINES_MAX);
    return true;
}

/* Types str; returns the lines it ended, joined by '|', and the echo in *echo. */
static void
type(struct lines_in *in, const char *str, char *lines, char *echo)
{
    size_t nl = 0, ne = 0;
    for (const char *p = str; *p; p++) {
        char e[LINES_ECHO_MAX];
        uint32_t n = 99;
        bool ended = lines_in_byte(in, *p, e, &n);
        memcpy(echo + ne, e, n);
        ne += n;
        if (ended) {
            memcpy(lines + nl, in->line, in->len);
            nl += in->len;
            lines[nl++] = '|';
        }
    }
    lines[nl] = echo[ne] = '\0';
}

static bool
test_in_lines(void)
{
    struct lines_in in = {0};
    char lines[512], echo[1024];
    type(&in, "hi\rthere\r\nthird\nfourth\n\r", lines, echo);
    EXPECT(strcmp(lines, "hi|there|third|fourth||") == 0);
    EXPECT(strcmp(echo, "hi\nthere\nthird\nfourth\n\n") == 0);
    /* Rub-outs, at the start of a line too; control characters other than these ignored. */
    type(&in,
         "\x7f"
         "ab\bc\x01\x1b"
         "d\x7f\x7f"
         "e\n",
         lines, echo);
    EXPECT(strcmp(lines, "ae|") == 0);
    EXPECT(strcmp(echo, "ab\b \bcd\b \b\b \be\n") == 0);
    return true;
}

static bool
test_in_long_line(void)
{
    struct lines_in in = {0};
    static char lines[1024], echo[1024], typed[301];
    memset(typed, 'k', 300);
    typed[300] = '\0';
    type(&in, typed, lines, echo);
    EXPECT_EQ(in.len, LINES_MAX); /* it stopped growing, and stopped echoing */
    EXPECT_EQ(strlen(echo), LINES_MAX);
    type(&in, "\n", lines, echo);
    EXPECT_EQ(strlen(lines), LINES_MAX + 1);
    return true;
}

int
main(void)
{
    run("console/out_whole_lines", test_out_whole_lines);
    run("console/out_long_line_split", test_out_long_line_split);
    run("console/out_refused", test_out_refused);
    run("console/in_lines", test_in_lines);
    run("console/in_long_line", test_in_long_line);
    return g_failed == 0 ? 0 : 1;
}
