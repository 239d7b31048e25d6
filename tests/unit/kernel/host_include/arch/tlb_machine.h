/*
 * Host stand-in for kernel/include/arch/tlb_machine.h, found first on the host test
 * build's include path: the fences are functions of the shim (host_arch.c) that count
 * the requests and remember the last page and ASID (host_arch.h).
 */
#pragma once

#include "types.h"

void vspace_flush_page(vaddr_t va, word_t asid);
void vspace_flush_asid(word_t asid);
void vspace_flush_all(void);
