/*
 * A host stand-in for the parts of lib/os that vlidl's generated code calls (vallum/idl.h),
 * for tests/idl and tests/fuzz/fuzz_idl.c. The message registers are one array; a call is
 * handed to host_server (a loopback to a generated dispatch, or a scripted server).
 *
 * It is also an oracle: reading a register at or past the length of the message being
 * decoded, or writing one past VL_MSG_MAX_LENGTH, aborts.
 */
#pragma once

#include <vallum/idl.h>

extern vl_word_t host_mr[VL_MSG_MAX_LENGTH];
/* Registers below this may be read: the length of the message being decoded. */
extern unsigned host_readable;
/* The server a call goes to: returns the reply's message info. */
extern vl_word_t (*host_server)(unsigned ch, vl_word_t info);
/* The capability a call carries, as the server sees it: its type, and how often the
 * dispatch deleted it. */
extern vl_word_t host_cap_type;
extern unsigned host_cap_drops;
extern vl_cptr_t host_sent_cap;
#define HOST_RECV_SLOT 77

/* Sets the registers of a request and its readable length. */
void host_message(vl_word_t info, const vl_word_t *words, unsigned n);
