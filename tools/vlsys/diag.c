/*
 * Problem reporting and small containers for vlsys. Problems are collected, not printed at
 * once, so that they can be printed in line order however the checks found them.
 */
#define _GNU_SOURCE
#include "vlsys.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct diag {
    int line;
    size_t seq; /* order of discovery, keeps the sort stable */
    bool is_warning;
    char *msg;
};

static struct vlsys_vec diags;
static size_t nerrors; /* diags that are errors, not warnings */

void *
vec_push(struct vlsys_vec *vec, size_t size)
{
    if (vec->count == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 8;
        void *items = realloc(vec->items, cap * size);
        if (items == NULL) {
            fprintf(stderr, "vlsys: error: out of memory\n");
            exit(2);
        }
        vec->items = items;
        vec->cap = cap;
    }
    void *item = (char *)vec->items + vec->count * size;
    memset(item, 0, size);
    vec->count++;
    return item;
}

void
vec_free(struct vlsys_vec *vec)
{
    free(vec->items);
    vec->items = NULL;
    vec->count = 0;
    vec->cap = 0;
}

/* Records msg (vasprintf'd from fmt and ap) at line. */
static void
diag_add(int line, bool is_warning, const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) {
        fprintf(stderr, "vlsys: error: out of memory\n");
        exit(2);
    }
    struct diag *d = vec_push(&diags, sizeof(*d));
    d->line = line;
    d->seq = diags.count;
    d->is_warning = is_warning;
    d->msg = msg;
    nerrors += !is_warning;
}

void
diag_error(int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_add(line, false, fmt, ap);
    va_end(ap);
}

void
diag_warning(int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_add(line, true, fmt, ap);
    va_end(ap);
}

size_t
diag_count(void)
{
    return nerrors;
}

/*
 * The edit distance (insertions, deletions, substitutions, and swaps of two neighbours count
 * one each) between a and b, or DIAG_FAR if it is more than 3 or either is longer than
 * VL_SYSIMG_MAX_NAME + 1: suggestions are for near misses of short names only.
 */
#define DIAG_FAR 99
static unsigned
edit_distance(const char *a, const char *b)
{
    enum { N = VL_SYSIMG_MAX_NAME + 2 };
    size_t la = strlen(a);
    size_t lb = strlen(b);
    if (la >= N || lb >= N || (la > lb ? la - lb : lb - la) > 3) {
        return DIAG_FAR;
    }
    unsigned d[N][N];
    for (size_t i = 0; i <= la; i++) {
        for (size_t j = 0; j <= lb; j++) {
            if (i == 0 || j == 0) {
                d[i][j] = (unsigned)(i + j);
                continue;
            }
            unsigned best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            best = d[i - 1][j] + 1 < best ? d[i - 1][j] + 1 : best;
            best = d[i][j - 1] + 1 < best ? d[i][j - 1] + 1 : best;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best) {
                best = d[i - 2][j - 2] + 1;
            }
            d[i][j] = best;
        }
    }
    return d[la][lb] > 3 ? DIAG_FAR : d[la][lb];
}

const char *
diag_nearest(const char *word, const char *const *names, size_t n)
{
    /* One edit in a short word, two in one of five letters or more, and never as many edits as
     * the word has letters: further than that the "suggestion" is more often a different word
     * than a typo. */
    unsigned limit = strlen(word) >= 5 ? 2 : 1;
    const char *best = NULL;
    unsigned best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        unsigned dist = edit_distance(word, names[i]);
        if (dist < best_d && dist < strlen(word) && strcmp(word, names[i]) != 0) {
            best = names[i];
            best_d = dist;
        }
    }
    return best;
}

static int
diag_cmp(const void *a, const void *b)
{
    const struct diag *x = a;
    const struct diag *y = b;
    if (x->line != y->line) {
        return x->line < y->line ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

void
diag_print(const char *file)
{
    if (diags.count == 0) {
        return;
    }
    qsort(diags.items, diags.count, sizeof(struct diag), diag_cmp);
    for (size_t i = 0; i < diags.count; i++) {
        struct diag *d = VEC_AT(&diags, struct diag, i);
        fprintf(stderr, "%s:%d: %s: %s\n", file, d->line, d->is_warning ? "warning" : "error",
                d->msg);
    }
    diag_clear();
}

void
diag_clear(void)
{
    for (size_t i = 0; i < diags.count; i++) {
        free(VEC_AT(&diags, struct diag, i)->msg);
    }
    vec_free(&diags);
    nerrors = 0;
}
