/*
 * The host stand-in for lib/os under vlidl's generated code (host_os.h).
 */
#include "host_os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vl_word_t host_mr[VL_MSG_MAX_LENGTH];
unsigned host_readable = VL_MSG_MAX_LENGTH;
vl_word_t (*host_server)(unsigned ch, vl_word_t info);
vl_word_t host_cap_type;
unsigned host_cap_drops;
vl_cptr_t host_sent_cap;

vl_word_t
vl_os_mr_get(unsigned i)
{
    if (i >= host_readable) {
        fprintf(stderr, "host_os: register %u read, message has %u\n", i, host_readable);
        abort();
    }
    return host_mr[i];
}

void
vl_os_mr_set(unsigned i, vl_word_t value)
{
    if (i >= VL_MSG_MAX_LENGTH) {
        fprintf(stderr, "host_os: register %u written\n", i);
        abort();
    }
    host_mr[i] = value;
}

/* As in the kernel, a message has at most VL_MSG_MAX_LENGTH registers. */
static unsigned
readable(vl_word_t info)
{
    vl_word_t n = vl_msginfo_length(info);
    return n < VL_MSG_MAX_LENGTH ? (unsigned)n : VL_MSG_MAX_LENGTH;
}

vl_word_t
vl_os_ppcall(unsigned id, vl_word_t info)
{
    /* The server reads what the client wrote, up to the length the message info says. */
    host_readable = readable(info);
    vl_word_t reply = host_server(id, info);
    host_readable = readable(reply);
    return reply;
}

void
vl_idl_send_cap(unsigned i, vl_cptr_t cap)
{
    if (i != 0) {
        fprintf(stderr, "host_os: extra cap %u sent\n", i);
        abort();
    }
    host_sent_cap = cap;
}

vl_cptr_t
vl_idl_recv_slot(void)
{
    return HOST_RECV_SLOT;
}

vl_word_t
vl_idl_cap_type(vl_cptr_t slot)
{
    if (slot != HOST_RECV_SLOT) {
        abort();
    }
    return host_cap_type;
}

void
vl_idl_cap_drop(vl_cptr_t slot)
{
    if (slot != HOST_RECV_SLOT) {
        abort();
    }
    host_cap_drops++;
}

void
host_message(vl_word_t info, const vl_word_t *words, unsigned n)
{
    memset(host_mr, 0, sizeof(host_mr));
    memcpy(host_mr, words, n * sizeof(vl_word_t));
    host_readable = readable(info);
}
