/*
 * libFuzzer target for the devicetree parser (kernel/src/kernel/fdt.c).
 *
 * Build and run from the repository root:
 *   mkdir -p build/fuzz/corpus
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       -Ikernel/include kernel/src/kernel/fdt.c tests/fuzz/fuzz_fdt.c -o build/fuzz/fuzz_fdt
 *   tests/unit/fdt_gen.sh build/fuzz/corpus
 *   build/fuzz/fuzz_fdt -max_total_time=20 build/fuzz/corpus
 *
 * The input is the blob itself, in a buffer of exactly the input's size, so AddressSanitizer
 * flags any read past its end. Besides "no crash, no hang", the target checks the contract:
 * fdt_check_header agrees with fdt_parse_platform, a failed parse leaves *out untouched, a
 * successful one satisfies the result invariants, parsing is deterministic, and the result
 * does not depend on the blob's alignment. Any violation aborts, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/fdt.h"

/* Aborts with a message; libFuzzer saves the input that led here. */
static void
check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_fdt: contract violated: %s\n", what);
        abort();
    }
}

/* Checks the invariants of a successful parse. */
static void
check_result(const struct fdt_platform *p)
{
    check(p->num_memory >= 1 && p->num_memory <= FDT_MAX_REGIONS, "num_memory in range");
    check(p->num_reserved <= FDT_MAX_REGIONS, "num_reserved in range");
    check(p->timebase_hz != 0, "timebase nonzero");
    check(p->plic_s_context >= -1, "plic_s_context >= -1");
    for (unsigned i = 0; i < p->num_memory; i++) {
        check(p->memory[i].size != 0, "memory size nonzero");
        check(p->memory[i].size <= UINT64_MAX - p->memory[i].base, "memory end fits");
    }
    for (unsigned i = 0; i < p->num_reserved; i++) {
        check(p->reserved[i].size != 0, "reserved size nonzero");
        check(p->reserved[i].size <= UINT64_MAX - p->reserved[i].base, "reserved end fits");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fdt_platform out;
    struct fdt_platform before;
    struct fdt_platform again;
    uint8_t *shifted;
    long hdr;
    int err;

    memset(&out, 0x5a, sizeof(out));
    memcpy(&before, &out, sizeof(out));
    hdr = fdt_check_header(data, size);
    err = fdt_parse_platform(data, size, &out);
    check(fdt_strerror(err) != NULL, "strerror non-NULL");
    check(err <= 0 && err >= FDT_ERR_MISSING, "error code known");
    check(hdr != 0, "check_header never returns 0");
    if (hdr < 0) {
        check(err == (int)hdr, "header error matches parse error");
    } else {
        check((size_t)hdr <= size, "totalsize within size");
    }
    if (err != FDT_OK) {
        check(memcmp(&before, &out, sizeof(out)) == 0, "failed parse leaves *out alone");
        return 0;
    }
    check_result(&out);

    /* The same bytes at an odd address must parse the same way. */
    shifted = malloc(size + 1);
    if (shifted == NULL) {
        return 0;
    }
    memcpy(shifted + 1, data, size);
    memset(&again, 0x5a, sizeof(again)); /* same fill, so padding bytes compare equal */
    err = fdt_parse_platform(shifted + 1, size, &again);
    free(shifted);
    check(err == FDT_OK, "misaligned parse succeeds");
    check(memcmp(&out, &again, sizeof(out)) == 0, "misaligned parse gives the same result");
    return 0;
}
