/*
 * Basic types of the kernel ABI. Shared by the kernel and user space; this header must
 * compile in a freestanding environment and on the host.
 */
#pragma once

#include <stdint.h>

typedef uint64_t vl_word_t;
typedef vl_word_t vl_cptr_t;

#define VL_WORD_BITS 64
#define VL_PAGE_BITS 12
#define VL_PAGE_SIZE (1ul << VL_PAGE_BITS)

/* Virtual addresses from 0 up to (not including) VL_USER_TOP belong to user space. */
#define VL_USER_TOP 0x4000000000ul
