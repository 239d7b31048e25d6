/*
 * libFuzzer over vlsys's reader of the .vlidl records in a program's ELF file
 * (tools/vlsys/iface.c, iface_lookup): section headers and records from the input. ASan
 * reports any read outside the input; the oracle checks that an answer is one of the three
 * defined ones. Build and run: make fuzz-iface.
 */
#include <stdlib.h>

#include "vlsys.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long v = iface_lookup(data, size, "counter", "client");
    if (v < -1 || v > 65535) {
        abort();
    }
    return 0;
}
