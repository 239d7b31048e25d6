/*
 * What the C code that vlidl generates (docs/idl.md) needs from the component runtime, and
 * the statuses it replies with. Generated stubs include this header, not os.h, so that they
 * also build on the host (tests/idl), where a test harness provides the functions below.
 *
 * On Vallum, lib/os provides them: the message registers (vl_os_mr_get/vl_os_mr_set), the
 * call (vl_os_ppcall), and for capability arguments lib/os/src/idl.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vallum/msginfo.h>
#include <vallum/objects.h>
#include <vallum/types.h>

/*
 * Reply statuses (the reply's label). 0 is success and 1..255 are the method's own errors,
 * in the order of its `errors(...)` list. The server's generated decode replies with these
 * when a request breaks the wire format (docs/idl.md, "Wire format"), before any handler
 * runs; the client stub returns VL_IDL_BAD_REPLY for a reply that breaks it, and
 * VL_IDL_BAD_SIZE/VL_IDL_BAD_ENUM without calling for arguments it cannot encode.
 */
enum vl_idl_status {
    VL_IDL_OK = 0,
    VL_IDL_BAD_METHOD = 0x100,   /* no method with this number */
    VL_IDL_BAD_VERSION = 0x101,  /* the label's version is not the server's */
    VL_IDL_BAD_LENGTH = 0x102,   /* the message length does not match the method's layout */
    VL_IDL_BAD_RANGE = 0x103,    /* an integer out of its type's range, or non-zero padding */
    VL_IDL_BAD_ENUM = 0x104,     /* an enum value that is not declared */
    VL_IDL_BAD_BOOL = 0x105,     /* a bool other than 0 or 1 */
    VL_IDL_BAD_SIZE = 0x106,     /* a byte string or array longer than its bound */
    VL_IDL_BAD_BULK = 0x107,     /* a bulk range not inside the shared region */
    VL_IDL_BAD_CAPS = 0x108,     /* not the method's number of capabilities, or unwrapped */
    VL_IDL_BAD_CAP_TYPE = 0x109, /* a capability of another type than declared */
    VL_IDL_BAD_REPLY = 0x10a,    /* (client side) the reply breaks the wire format */
    VL_IDL_SERVER_ERROR = 0x10b, /* the handler returned a status it did not declare */
};

/* The label of a request: the interface version in bits 16..31, the method number in 0..15. */
#define VL_IDL_LABEL(version, method) (((vl_word_t)(version) << 16) | (vl_word_t)(method))

/*
 * The shared region that bulk arguments point into, as the server maps it (NULL or size 0:
 * no region, every bulk argument is refused with VL_IDL_BAD_BULK).
 */
struct vl_idl_region {
    volatile uint8_t *base;
    vl_word_t size;
};

/* The message registers and the call (lib/os, os.h). */
vl_word_t vl_os_mr_get(unsigned i);
void vl_os_mr_set(unsigned i, vl_word_t value);
vl_word_t vl_os_ppcall(unsigned id, vl_word_t info);

/*
 * Capabilities (lib/os/src/idl.c). A request carries at most one capability (the kernel
 * transfers at most one per message).
 *   vl_idl_send_cap     client: the cap of extra capability slot i of the next call
 *   vl_idl_recv_slot    server: the slot a received capability lands in
 *   vl_idl_cap_type     the type of the cap in slot (enum vl_cap_type; Identify)
 *   vl_idl_cap_drop     server: deletes the cap in slot, after the handler (or a refusal)
 */
void vl_idl_send_cap(unsigned i, vl_cptr_t cap);
vl_cptr_t vl_idl_recv_slot(void);
vl_word_t vl_idl_cap_type(vl_cptr_t slot);
void vl_idl_cap_drop(vl_cptr_t slot);

/* A reply that carries only a status. */
static inline vl_word_t
vl_idl_status_reply(vl_word_t status)
{
    return vl_msginfo(status, 0, 0, 0);
}

/*
 * The server's refusal of a request with info: deletes a capability that came with it (the
 * handler never sees it), and returns the status-only reply.
 */
static inline vl_word_t
vl_idl_refuse(vl_word_t info, vl_word_t status)
{
    if (vl_msginfo_extra_caps(info) != 0) {
        vl_idl_cap_drop(vl_idl_recv_slot());
    }
    return vl_msginfo(status, 0, 0, 0);
}

/* The extra-capability count and the unwrapped mask of info together (bits 7..11): equal to
 * a method's number of capabilities exactly when that many arrived and none was unwrapped
 * (a method has at most one). */
static inline vl_word_t
vl_idl_caps_field(vl_word_t info)
{
    return (info >> 7) & 0x1f;
}

/* The status for a label that names no method of an interface of this version. */
static inline vl_word_t
vl_idl_bad_label(vl_word_t label, vl_word_t version)
{
    return (label >> 16) != version ? VL_IDL_BAD_VERSION : VL_IDL_BAD_METHOD;
}

/*
 * The status a client stub returns for a reply label: the label itself when it fits (a
 * method error, a decode status, or the runtime's VL_OS_BAD_CHANNEL), else
 * VL_IDL_BAD_REPLY.
 */
static inline int
vl_idl_client_status(vl_word_t label)
{
    return label <= 0xfffff ? (int)label : VL_IDL_BAD_REPLY;
}

/*
 * Byte strings travel packed into message words, 8 bytes a word, little-endian: byte i is
 * bits 8*(i%8)..8*(i%8)+7 of word i/8; the unused high bytes of the last word are 0.
 */

/* Unpacks len bytes from the words at pos; false if the last word's unused bytes are not 0. */
static inline bool
vl_idl_unpack(uint8_t *dst, vl_word_t len, unsigned pos)
{
    for (vl_word_t i = 0; i < len; i += 8) {
        vl_word_t w = vl_os_mr_get(pos + (unsigned)(i / 8));
        vl_word_t n = len - i < 8 ? len - i : 8;
        for (vl_word_t b = 0; b < n; b++) {
            dst[i + b] = (uint8_t)(w >> (8 * b));
        }
        if (n < 8 && (w >> (8 * n)) != 0) {
            return false;
        }
    }
    return true;
}

/* Packs len bytes into the words at pos. */
static inline void
vl_idl_pack(const uint8_t *src, vl_word_t len, unsigned pos)
{
    for (vl_word_t i = 0; i < len; i += 8) {
        vl_word_t n = len - i < 8 ? len - i : 8;
        vl_word_t w = 0;
        for (vl_word_t b = 0; b < n; b++) {
            w |= (vl_word_t)src[i + b] << (8 * b);
        }
        vl_os_mr_set(pos + (unsigned)(i / 8), w);
    }
}
