/*
 * lib/os: the component runtime. A component is a program with three entry points, in the
 * style of seL4 Microkit:
 *
 *   void init(void);                                   once, at start (and after a restart)
 *   void notified(unsigned id);                        a signal arrived on channel id
 *   vl_word_t protected(unsigned id, vl_word_t info);  a protected call arrived on channel id;
 *                                                      returns the reply's message info
 *
 * init() is required; notified() and protected() have weak defaults (ignore the signal;
 * reply with label 1 and no words). lib/sys's crt0 calls vl_start(info), which sets up
 * the IPC buffer, calls init() and then runs the event loop forever: it receives on the
 * component's endpoint (or waits on its notification when it has no endpoint) and
 * dispatches by badge (component.h): bit 63 set is a protected call on channel
 * (badge & 63); otherwise every set bit i is a signal on channel i.
 *
 * Message registers of calls and replies are read and written with vl_os_mr_get() and
 * vl_os_mr_set() (the first four travel in CPU registers, the rest in the IPC buffer).
 */
#pragma once

#include <stddef.h>
#include <vallum/component.h>
#include <vallum/sys.h>

/* The component's entry points. */
void init(void);
void notified(unsigned id);
vl_word_t protected(unsigned id, vl_word_t info);

/* Entered from crt0 with a0 = VL_COMP_INFO_VADDR. Never returns. */
__attribute__((noreturn)) void vl_start(const struct vl_comp_info *info);

/* This component's name, from the info page. */
const char *vl_os_name(void);

/* How many times the supervisor has restarted this component. */
vl_word_t vl_os_restarts(void);

/* Signals the peer of notify channel id. Does nothing if id is not a notify channel. */
void vl_os_notify(unsigned id);

/*
 * Calls the server of call channel id with message info `info` and the message registers
 * set by vl_os_mr_set(); returns the reply's message info, whose registers vl_os_mr_get()
 * then reads. If id is not a call channel (client side), returns a message info with
 * label VL_OS_BAD_CHANNEL and does not call.
 */
vl_word_t vl_os_ppcall(unsigned id, vl_word_t info);
#define VL_OS_BAD_CHANNEL 0xfffff

/* Acknowledges the interrupt of channel id, so that it can be delivered again.
 * Returns the kernel's error code (VL_INVALID_CAPABILITY-like codes if id has no irq). */
int vl_os_irq_ack(unsigned id);

/*
 * Address of the shared (or device) region `name` mapped into this component, and its
 * size in bytes in *size (if size is not NULL). Returns NULL if no such region is mapped.
 */
void *vl_os_region(const char *name, size_t *size);

/* Message register i (0..VL_MSG_MAX_LENGTH-1) of the current call or reply. */
vl_word_t vl_os_mr_get(unsigned i);
void vl_os_mr_set(unsigned i, vl_word_t value);

/* The info page init wrote for this component. */
const struct vl_comp_info *vl_os_info(void);
