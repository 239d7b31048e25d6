/*
 * lib/os: the component runtime's start-up, event loop and channel helpers (os.h).
 */
#include "os_internal.h"

#include <string.h>

static const struct vl_comp_info *comp_info;
/* Shadow of the first VL_MSG_REGS message registers of the current call or reply. */
static vl_word_t shadow_mrs[VL_MSG_REGS];

__attribute__((weak)) void
notified(unsigned id)
{
    (void)id;
}

__attribute__((weak)) vl_word_t protected(unsigned id, vl_word_t info)
{
    (void)id;
    (void)info;
    return vl_msginfo(1, 0, 0, 0);
}

const struct vl_comp_info *
vl_os_info(void)
{
    return comp_info;
}

const char *
vl_os_name(void)
{
    return comp_info->name;
}

vl_word_t
vl_os_restarts(void)
{
    return comp_info->restarts;
}

static int
channel_is(unsigned id, enum vl_comp_channel_kind kind)
{
    return id < VL_COMP_MAX_CHANNELS && comp_info->channels[id] == kind;
}

void
vl_os_notify(unsigned id)
{
    if (channel_is(id, VL_COMP_CH_NOTIFY)) {
        vl_signal(VL_COMP_SLOT_CHANNEL + id);
    }
}

vl_word_t
vl_os_ppcall(unsigned id, vl_word_t info)
{
    if (!channel_is(id, VL_COMP_CH_CLIENT)) {
        return vl_msginfo(VL_OS_BAD_CHANNEL, 0, 0, 0);
    }
    struct vl_msg m = vl_call(VL_COMP_SLOT_CHANNEL + id, info, shadow_mrs);
    memcpy(shadow_mrs, m.mr, sizeof(shadow_mrs));
    return m.info;
}

int
vl_os_irq_ack(unsigned id)
{
    if (!channel_is(id, VL_COMP_CH_IRQ)) {
        return VL_INVALID_CAPABILITY;
    }
    return vl_irq_handler_ack(VL_COMP_SLOT_IRQ + id);
}

void *
vl_os_region(const char *name, size_t *size)
{
    vl_word_t n = comp_info->num_regions;
    if (n > VL_COMP_MAX_REGIONS) {
        n = VL_COMP_MAX_REGIONS;
    }
    for (vl_word_t i = 0; i < n; i++) {
        const struct vl_comp_region *r = &comp_info->regions[i];
        if (strncmp(r->name, name, sizeof(r->name)) == 0) {
            if (size != NULL) {
                *size = (size_t)r->size;
            }
            return (void *)(uintptr_t)r->vaddr;
        }
    }
    return NULL;
}

vl_word_t
vl_os_mr_get(unsigned i)
{
    if (i < VL_MSG_REGS) {
        return shadow_mrs[i];
    }
    return i < VL_MSG_MAX_LENGTH ? vl_ipc_buffer->msg[i] : 0;
}

void
vl_os_mr_set(unsigned i, vl_word_t value)
{
    if (i < VL_MSG_REGS) {
        shadow_mrs[i] = value;
    } else if (i < VL_MSG_MAX_LENGTH) {
        vl_ipc_buffer->msg[i] = value;
    }
}

/* Delivers every signal bit of badge to notified(); in a fault handler, bit
 * VL_COMP_FAULT_CHANNEL is init's "a child's fault is pending" and goes to fault(). */
static void
dispatch_signals(vl_word_t badge)
{
    for (unsigned id = 0; id < VL_COMP_MAX_CHANNELS; id++) {
        if (!(badge & (1ull << id))) {
            continue;
        }
        if (id == VL_COMP_FAULT_CHANNEL && comp_info->fault_children != 0) {
            os_faults_dispatch();
        } else {
            notified(id);
        }
    }
}

/* init gives an endpoint to every component that has a channel (component.h). */
static int
has_endpoint(void)
{
    for (unsigned id = 0; id < VL_COMP_MAX_CHANNELS; id++) {
        if (comp_info->channels[id] != VL_COMP_CH_NONE) {
            return 1;
        }
    }
    return 0;
}

void
vl_start(const struct vl_comp_info *info)
{
    comp_info = info;
    vl_debug_cap = VL_COMP_SLOT_DEBUG;
    vl_ipc_buffer = (struct vl_ipc_buffer *)info->ipc_buffer;
    init();
    if (!has_endpoint()) {
        for (;;) {
            dispatch_signals(vl_wait(VL_COMP_SLOT_NTFN));
        }
    }
    struct vl_msg m = vl_recv(VL_COMP_SLOT_EP);
    for (;;) {
        if (m.badge & VL_COMP_CALL_BADGE) {
            memcpy(shadow_mrs, m.mr, sizeof(shadow_mrs));
            vl_word_t reply = protected((unsigned)(m.badge & 63), m.info);
            m = vl_reply_recv(VL_COMP_SLOT_EP, reply, shadow_mrs);
        } else {
            dispatch_signals(m.badge);
            m = vl_recv(VL_COMP_SLOT_EP);
        }
    }
}
