/*
 * libFuzzer target for vlsys's reading of system descriptions (tools/vlsys/parse.c and
 * check.c, over libyaml): a description is written by people and may come from anywhere
 * (an out-of-tree project, a merge gone wrong), so no input may crash the tool, read out of
 * bounds, leak, or overflow an integer (ASan, UBSan and LeakSanitizer abort on each).
 *
 * Build and run from the repository root with `make fuzz-vlsys FUZZ_SECONDS=20`, seeded with
 * every description in systems/ and tests/unit/vlsys/fixtures/.
 *
 * Each input is parsed (without program files) and checked twice; the two runs must report
 * the same number of errors, and the second must leave nothing behind (the diagnostics and
 * the model are freed after each).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlsys.h"

/* Parses and checks data; returns the number of errors reported. */
static size_t
run_once(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size, "rb");
    if (f == NULL) {
        abort();
    }
    struct vlsys_system sys;
    memset(&sys, 0, sizeof(sys));
    if (parse_system_file(f, NULL, &sys)) {
        check_system(&sys);
    }
    fclose(f);
    size_t errors = diag_count();
    diag_clear();
    system_free(&sys);
    return errors;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0; /* fmemopen refuses an empty buffer; the empty file has a fixture */
    }
    size_t first = run_once(data, size);
    size_t second = run_once(data, size);
    if (first != second || diag_count() != 0) {
        fprintf(stderr, "vlsys: %zu errors, then %zu for the same input\n", first, second);
        abort();
    }
    return 0;
}
