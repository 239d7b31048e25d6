/*
 * The IPC buffer: one per thread, 1 KiB, aligned to 1 KiB inside a frame.
 * msg[0..VL_MSG_REGS-1] shadow the message registers passed in CPU registers and are
 * not read by the kernel; the rest carry longer messages.
 */
#pragma once

#include <vallum/msginfo.h>
#include <vallum/types.h>

#define VL_IPC_BUFFER_BITS 10

struct vl_ipc_buffer {
    vl_word_t tag;
    vl_word_t msg[VL_MSG_MAX_LENGTH];
    vl_word_t user_data;
    /* Sender: cptrs of extra caps. Receiver: badges of unwrapped caps. */
    vl_word_t caps_or_badges[VL_MSG_MAX_EXTRA_CAPS];
    /* Where received capabilities go: CNode cptr, index and depth in that CNode. */
    vl_cptr_t receive_cnode;
    vl_cptr_t receive_index;
    vl_word_t receive_depth;
};

_Static_assert(sizeof(struct vl_ipc_buffer) == (1u << VL_IPC_BUFFER_BITS),
               "IPC buffer layout is part of the ABI");
