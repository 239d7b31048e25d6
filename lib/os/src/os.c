/*
 * lib/os: the component runtime's start-up, event loop and channel helpers (os.h).
 */
#include "os_internal.h"

#include <stdio.h>
#include <string.h>

static const struct vl_comp_info *comp_info;
/* Shadow of the first VL_MSG_REGS message registers of the current call or reply. */
static vl_word_t shadow_mrs[VL_MSG_REGS];
/* The length of the current call or reply: vl_os_mr_get() reads 0 past it. The kernel
 * copies only the words a message has, so past its length the IPC buffer and registers
 * still hold an earlier message's words, such as another client's call. */
static vl_word_t received_length;
/* Signal bits that arrived while the component waited in vl_os_wait_signal(): the event
 * loop delivers them once the entry point that waited returns. */
static vl_word_t deferred_signals;

/* Makes m the current call or reply. */
static void
receive(const struct vl_msg *m)
{
    received_length = vl_msginfo_length(m->info);
    for (unsigned i = 0; i < VL_MSG_REGS; i++) {
        shadow_mrs[i] = i < received_length ? m->mr[i] : 0;
    }
}

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

const char *
vl_os_status_name(int status)
{
    switch (status) {
    case VL_OS_OK:
        return "ok";
    case VL_OS_ENOCHANNEL:
        return "no such channel";
    case VL_OS_EWRONGKIND:
        return "wrong kind of channel";
    case VL_OS_ENOCONFIG:
        return "no such config parameter";
    case VL_OS_EWRONGTYPE:
        return "wrong type of config parameter";
    case VL_OS_ENOREGION:
        return "no such region, or too small";
    case VL_OS_ERING:
        return "ring shape refused";
    case VL_OS_ENOPADDR:
        return "physical address not given";
    case VL_OS_ENOCONNECTION:
        return "no such connection";
    default:
        return "unknown status";
    }
}

#ifndef NDEBUG
/* What a channel of kind k is, for messages. */
static const char *
kind_name(unsigned k)
{
    static const char *const names[] = {"none", "a notify channel", "the client end of a call",
                                        "the server end of a call", "an interrupt's channel"};
    return k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

/* Debug builds say why a channel call failed, naming the component, the call and the id. */
static void
report_misuse(const char *op, unsigned id, int status)
{
    if (status == VL_OS_ENOCHANNEL) {
        printf("lib/os: %s: %s on channel %u: no such channel\n", comp_info->name, op, id);
    } else {
        printf("lib/os: %s: %s on channel %u: wrong kind: it is %s\n", comp_info->name, op, id,
               kind_name(comp_info->channels[id]));
    }
}

/* Debug builds say which parameter was asked for with the wrong type. */
static void
report_wrong_type(const char *name, uint64_t kind)
{
    printf("lib/os: %s: config '%s' is %s\n", comp_info->name, name,
           kind == VL_COMP_CONFIG_STR ? "a string, not an integer" : "an integer, not a string");
}
#else
/* Release builds return the status only. */
static void
report_misuse(const char *op, unsigned id, int status)
{
    (void)op;
    (void)id;
    (void)status;
}

static void
report_wrong_type(const char *name, uint64_t kind)
{
    (void)name;
    (void)kind;
}
#endif

/* Checks that channel id exists and is of kind `kind`; reports (debug builds) if not. */
static int
check_channel(const char *op, unsigned id, enum vl_comp_channel_kind kind)
{
    int status = VL_OS_OK;
    if (id >= VL_COMP_MAX_CHANNELS || comp_info->channels[id] == VL_COMP_CH_NONE) {
        status = VL_OS_ENOCHANNEL;
    } else if (comp_info->channels[id] != kind) {
        status = VL_OS_EWRONGKIND;
    }
    if (status != VL_OS_OK) {
        report_misuse(op, id, status);
    }
    return status;
}

int
vl_os_notify(unsigned id)
{
    int status = check_channel("notify", id, VL_COMP_CH_NOTIFY);
    if (status == VL_OS_OK) {
        vl_signal(VL_COMP_SLOT_CHANNEL + id);
    }
    return status;
}

vl_word_t
vl_os_ppcall(unsigned id, vl_word_t info)
{
    int status = check_channel("call", id, VL_COMP_CH_CLIENT);
    if (status != VL_OS_OK) {
        struct vl_msg refusal = {.info = vl_msginfo(VL_OS_BAD_CHANNEL, 0, 0, 1),
                                 .mr = {(vl_word_t)(long)status}};
        receive(&refusal);
        return refusal.info;
    }
    struct vl_msg m = vl_call(VL_COMP_SLOT_CHANNEL + id, info, shadow_mrs);
    receive(&m);
    return m.info;
}

int
vl_os_irq_ack(unsigned id)
{
    int status = check_channel("irq ack", id, VL_COMP_CH_IRQ);
    if (status != VL_OS_OK) {
        return status;
    }
    return vl_irq_handler_ack(VL_COMP_SLOT_IRQ + id);
}

/*
 * Finds config parameter name of kind `kind` on the info page. Returns it, or NULL with
 * *status set to VL_OS_ENOCONFIG or VL_OS_EWRONGTYPE (reported in debug builds).
 */
static const struct vl_comp_config *
find_config(const char *name, uint64_t kind, int *status)
{
    vl_word_t n = comp_info->num_config;
    if (n > VL_COMP_MAX_CONFIG) {
        n = VL_COMP_MAX_CONFIG; /* init writes at most this; do not read past the array */
    }
    for (vl_word_t i = 0; i < n; i++) {
        const struct vl_comp_config *cfg = &comp_info->config[i];
        if (strncmp(cfg->name, name, sizeof(cfg->name)) != 0) {
            continue;
        }
        if (cfg->kind == kind) {
            return cfg;
        }
        *status = VL_OS_EWRONGTYPE;
        report_wrong_type(name, cfg->kind);
        return NULL;
    }
    *status = VL_OS_ENOCONFIG;
    return NULL;
}

int
vl_os_config_int(const char *name, int64_t *value)
{
    int status = VL_OS_OK;
    const struct vl_comp_config *cfg = find_config(name, VL_COMP_CONFIG_INT, &status);
    if (cfg != NULL) {
        *value = cfg->value;
    }
    return status;
}

int
vl_os_config_str(const char *name, const char **value)
{
    int status = VL_OS_OK;
    const struct vl_comp_config *cfg = find_config(name, VL_COMP_CONFIG_STR, &status);
    if (cfg != NULL) {
        *value = cfg->str;
    }
    return status;
}

/* The info page's entry for region name, or NULL. */
static const struct vl_comp_region *
find_region(const char *name)
{
    vl_word_t n = comp_info->num_regions;
    if (n > VL_COMP_MAX_REGIONS) {
        n = VL_COMP_MAX_REGIONS;
    }
    for (vl_word_t i = 0; i < n; i++) {
        const struct vl_comp_region *r = &comp_info->regions[i];
        if (strncmp(r->name, name, sizeof(r->name)) == 0) {
            return r;
        }
    }
    return NULL;
}

void *
vl_os_region(const char *name, size_t *size)
{
    const struct vl_comp_region *r = find_region(name);
    if (r == NULL) {
        return NULL;
    }
    if (size != NULL) {
        *size = (size_t)r->size;
    }
    return (void *)(uintptr_t)r->vaddr;
}

int
vl_os_region_paddr(const char *name, uint64_t *paddr)
{
    const struct vl_comp_region *r = find_region(name);
    if (r == NULL) {
        return VL_OS_ENOREGION;
    }
    if (r->paddr == 0) {
        return VL_OS_ENOPADDR;
    }
    *paddr = r->paddr;
    return VL_OS_OK;
}

vl_word_t
vl_os_mr_get(unsigned i)
{
    if (i >= received_length) {
        return 0;
    }
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

int
vl_os_wait_signal(unsigned id)
{
    /* An interrupt's channel too: a driver waits for its device's first answer in init(). */
    bool is_irq = id < VL_COMP_MAX_CHANNELS && comp_info->channels[id] == VL_COMP_CH_IRQ;
    int status = check_channel("wait", id, is_irq ? VL_COMP_CH_IRQ : VL_COMP_CH_NOTIFY);
    if (status != VL_OS_OK) {
        return status;
    }
    vl_word_t bit = 1ull << id;
    /* The notification is bound to this thread, which may wait on it directly; calls to the
     * endpoint wait until the component is back in the event loop. */
    while (!(deferred_signals & bit)) {
        deferred_signals |= vl_wait(VL_COMP_SLOT_NTFN);
    }
    deferred_signals &= ~bit;
    return VL_OS_OK;
}

/* Delivers the signals vl_os_wait_signal() kept, including any that arrive while they are
 * delivered (notified() may wait again). */
static void
deliver_deferred(void)
{
    while (deferred_signals != 0) {
        vl_word_t bits = deferred_signals;
        deferred_signals = 0;
        dispatch_signals(bits);
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
    deliver_deferred();
    if (!has_endpoint()) {
        for (;;) {
            dispatch_signals(vl_wait(VL_COMP_SLOT_NTFN));
            deliver_deferred();
        }
    }
    struct vl_msg m = vl_recv(VL_COMP_SLOT_EP);
    for (;;) {
        if (m.badge & VL_COMP_CALL_BADGE) {
            receive(&m);
            vl_word_t reply = protected((unsigned)(m.badge & 63), m.info);
            if (deferred_signals == 0) {
                m = vl_reply_recv(VL_COMP_SLOT_EP, reply, shadow_mrs);
                continue;
            }
            /* The handler waited for a signal: answer, then deliver what it kept. */
            vl_reply(reply, shadow_mrs);
            deliver_deferred();
        } else {
            dispatch_signals(m.badge);
            deliver_deferred();
        }
        m = vl_recv(VL_COMP_SLOT_EP);
    }
}
