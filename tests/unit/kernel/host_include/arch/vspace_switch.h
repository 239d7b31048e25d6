/*
 * Host stand-in for kernel/include/arch/vspace_switch.h, found first on the host test
 * build's include path: the satp value comes from the kernel's own vspace_satp_of, and
 * loading it records it in host_satp instead of writing the CSR.
 */
#pragma once

#include "arch/vspace_satp.h"
#include "host_arch.h"

static inline void
vspace_switch_satp(word_t satp)
{
    host_satp = satp;
    host_satp_loads++;
}
