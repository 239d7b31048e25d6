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
    char *msg;
};

static struct vlsys_vec diags;

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

void
diag_error(int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fprintf(stderr, "vlsys: error: out of memory\n");
        exit(2);
    }
    struct diag *d = vec_push(&diags, sizeof(*d));
    d->line = line;
    d->seq = diags.count;
    d->msg = msg;
}

size_t
diag_count(void)
{
    return diags.count;
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
        fprintf(stderr, "%s:%d: error: %s\n", file, d->line, d->msg);
        free(d->msg);
    }
    vec_free(&diags);
}
