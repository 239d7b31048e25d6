/*
 * lib/os: the component runtime. A component is a program with three entry points, in the
 * style of seL4 Microkit:
 *
 *   void init(void);                                   once, at start (and after a restart)
 *   void notified(unsigned id);                        a signal arrived on channel id
 *   vl_word_t protected(unsigned id, vl_word_t info);  a protected call arrived on channel id;
 *                                                      returns the reply's message info
 *
 * and, in a component other components name as their `fault_handler` (docs/faults.md):
 *
 *   enum vl_os_fault_action fault(unsigned child, struct vl_os_fault *f);
 *                                                      component `child` faulted; returns
 *                                                      restart, resume or stop
 *
 * init() is required; notified(), protected() and fault() have weak defaults (ignore the
 * signal; reply with label 1 and no words; stop the child). lib/sys's crt0 calls vl_start(info),
 * which sets up the IPC buffer, calls init() and then runs the event loop forever: it receives on
 * the component's endpoint (or waits on its notification when it has no endpoint) and dispatches by
 * badge (component.h): bit 63 set is a protected call on channel (badge & 63); otherwise every set
 * bit i is a signal on channel i, except that in a fault handler bit VL_COMP_FAULT_CHANNEL is
 * init's "a child's fault is pending", and lib/os then calls fault() for each new fault.
 *
 * Message registers of calls and replies are read and written with vl_os_mr_get() and
 * vl_os_mr_set() (the first four travel in CPU registers, the rest in the IPC buffer).
 */
#pragma once

#include <stddef.h>
#include <vallum/component.h>
#include <vallum/ring.h>
#include <vallum/faultsvc.h>
#include <vallum/sys.h>

/* The component's entry points. */
void init(void);
void notified(unsigned id);
vl_word_t protected(unsigned id, vl_word_t info);

/* Faults of the components this one handles (docs/faults.md); the kinds and actions are
 * in faultsvc.h. */
struct vl_os_fault {
    unsigned child; /* the component's index in the system (the order of `components`) */
    char name[32];  /* its name */
    enum vl_os_fault_kind kind;
    vl_word_t pc;     /* of the faulting instruction (of the ecall for cap and syscall faults) */
    vl_word_t addr;   /* see enum vl_os_fault_kind */
    vl_word_t detail; /* see enum vl_os_fault_kind */
    /* Where a resume continues: pc on entry to fault(), which retries the instruction. For an
     * exception or unknown system call fault() may set it, e.g. to pc + 4 to step over a
     * 4-byte ebreak or ecall; for other kinds init refuses a changed value. */
    vl_word_t resume_pc;
    vl_word_t ticket; /* names this fault to init (vl_os_fault_answer) */
};

enum vl_os_fault_action fault(unsigned child, struct vl_os_fault *f);

/*
 * Answers the pending fault `ticket` of component child with action (resume at resume_pc),
 * as lib/os does with fault()'s result; for handlers that decide later or elsewhere. Returns
 * init's status: VL_FAULTS_OK or a VL_FAULTS_E_* reason (faultsvc.h); VL_FAULTS_E_NOT_YOURS
 * without asking init if this component handles no faults.
 */
int vl_os_fault_answer(unsigned child, vl_word_t ticket, enum vl_os_fault_action action,
                       vl_word_t resume_pc);

/* Entered from crt0 with a0 = VL_COMP_INFO_VADDR. Never returns. */
__attribute__((noreturn)) void vl_start(const struct vl_comp_info *info);

/* This component's name, from the info page. */
const char *vl_os_name(void);

/* How many times the supervisor has restarted this component. */
vl_word_t vl_os_restarts(void);

/*
 * Statuses of lib/os's channel and configuration calls. A misused channel is never a silent
 * no-op: the call returns one of these and, in debug builds (CONFIG=debug: NDEBUG not
 * defined), prints why on the console, naming the component and the id:
 *     lib/os: ping: notify on channel 5: no such channel
 * The errors are negative so that they never collide with the kernel's error codes (enum
 * vl_error, positive), which vl_os_irq_ack() also returns.
 */
enum vl_os_status {
    VL_OS_OK = 0,
    VL_OS_ENOCHANNEL = -1,   /* the description gives the component no channel with this id */
    VL_OS_EWRONGKIND = -2,   /* the channel is of another kind: notify on a call channel, call
                                on a notify channel or on the server end, irq ack on a channel
                                that is not an interrupt's, ... */
    VL_OS_ENOCONFIG = -3,    /* the description gives no `config` parameter of this name */
    VL_OS_EWRONGTYPE = -4,   /* the parameter is a string asked for as an integer, or back */
    VL_OS_ENOREGION = -5,    /* a region the call names is not mapped into the component, or is
                                smaller than the call needs */
    VL_OS_ERING = -6,        /* lib/ring refused the ring's shape (ring_init's status) */
    VL_OS_ENOPADDR = -7,     /* the region's physical address is not the component's to know:
                                not a dma region, or mapped without `paddr: true` */
    VL_OS_ENOCONNECTION = -8 /* the description connects this component to no ring of this
                                name (`connections`) */
};

/* A short description of status (enum vl_os_status), e.g. "no such channel". */
const char *vl_os_status_name(int status);

/*
 * Signals the peer of notify channel id. Returns VL_OS_OK, VL_OS_ENOCHANNEL if the component
 * has no channel id, or VL_OS_EWRONGKIND if channel id is not a notify channel (then nothing
 * is signalled).
 */
int vl_os_notify(unsigned id);

/*
 * Waits, outside the event loop, until notify channel id is signalled (or interrupt channel
 * id fires; the caller acknowledges it with vl_os_irq_ack): for code that must block for
 * one event in the middle of an entry point (vallum/timer_sleep.h sleeps with it; the
 * entropy service waits for its first seed).
 * Signals on other channels that arrive meanwhile are kept and delivered to notified() once
 * the entry point returns to the event loop; protected calls to this component wait until
 * then too. Returns VL_OS_OK, or VL_OS_ENOCHANNEL / VL_OS_EWRONGKIND (without waiting) if id
 * is neither a notify nor an interrupt channel.
 */
int vl_os_wait_signal(unsigned id);

/*
 * Calls the server of call channel id with message info `info` and the message registers
 * set by vl_os_mr_set(); returns the reply's message info, whose registers vl_os_mr_get()
 * then reads. If id is not the client end of a call channel, it does not call: it returns a
 * message info with label VL_OS_BAD_CHANNEL and length 1, and message register 0 holds the
 * status, VL_OS_ENOCHANNEL or VL_OS_EWRONGKIND ((int)vl_os_mr_get(0)). Servers must not
 * reply with label VL_OS_BAD_CHANNEL.
 */
vl_word_t vl_os_ppcall(unsigned id, vl_word_t info);
#define VL_OS_BAD_CHANNEL 0xfffff

/*
 * Acknowledges the interrupt of channel id, so that it can be delivered again. Returns 0,
 * the kernel's error code (enum vl_error, positive) if the kernel refuses, or
 * VL_OS_ENOCHANNEL / VL_OS_EWRONGKIND if id is not an interrupt's channel.
 */
int vl_os_irq_ack(unsigned id);

/*
 * The component's configuration: the named parameters of `config` in its description
 * (docs/system-description.md), integers and strings, which init writes on its info page.
 * vl_os_config_int() sets *value to the integer parameter name; vl_os_config_str() sets *value
 * to the string parameter name (NUL-terminated, at most VL_COMP_CONFIG_STR_MAX printable
 * characters, valid for the component's life). Both return VL_OS_OK, VL_OS_ENOCONFIG if the
 * description gives no parameter name (a program's defaults go here), or VL_OS_EWRONGTYPE if
 * it is of the other type (debug builds print why); *value is left alone on an error.
 */
int vl_os_config_int(const char *name, int64_t *value);
int vl_os_config_str(const char *name, const char **value);

/*
 * Address of the shared (or device) region `name` mapped into this component, and its
 * size in bytes in *size (if size is not NULL). Returns NULL if no such region is mapped.
 */
void *vl_os_region(const char *name, size_t *size);

/*
 * The physical address of the dma region `name` mapped into this component, in *paddr: the
 * device-visible address of its first byte, the region being physically contiguous
 * (docs/system-description.md, dma regions). Only a driver whose description maps the
 * region with `paddr: true` is told it. Returns VL_OS_OK, VL_OS_ENOREGION if no such region
 * is mapped, or VL_OS_ENOPADDR if its address is not given to this component; *paddr is left
 * alone on an error.
 */
int vl_os_region_paddr(const char *name, uint64_t *paddr);

/* Message register i (0..VL_MSG_MAX_LENGTH-1) of the current call or reply: vl_os_mr_get()
 * reads 0 past that message's length (what lies there is an earlier message's), also for a
 * word set since by vl_os_mr_set(), which writes the next call or reply. */
vl_word_t vl_os_mr_get(unsigned i);
void vl_os_mr_set(unsigned i, vl_word_t value);

/*
 * For servers of vlidl interfaces with capability arguments (docs/idl.md): takes a free slot
 * (needs `untyped`) and makes it the receive slot of the IPC buffer. Returns the slot, or 0.
 */
vl_cptr_t vl_os_idl_receive(void);

/* The info page init wrote for this component. */
const struct vl_comp_info *vl_os_info(void);

/*
 * Resource allocation and threads. Available to components whose description gives them an
 * `untyped` (component.h): the allocators work over the free slots, the untyped and the
 * virtual address window that init hands over; without one they fail (return 0 or NULL,
 * vl_os_error() VL_INVALID_CAPABILITY). They keep no locks: call them from one thread at a
 * time (typically the component's main thread). Memory retyped from the untyped is not
 * reclaimed when objects are freed (the kernel's untyped is a bump allocator); a restart
 * reclaims all of it.
 */

/* The error code (enum vl_error) of the last failed allocation or thread call; the
 * kernel's detail is in vl_last_error. */
int vl_os_error(void);

/* An empty slot of the component's CSpace (from [free_slot_start, free_slot_end) of the
 * info page), or 0 if none is left. */
vl_cptr_t vl_os_slot_alloc(void);

/* Deletes the capability in slot s (if any) and makes s free again. Slots outside the
 * free range are ignored. */
void vl_os_slot_free(vl_cptr_t s);

/*
 * Makes a kernel object of type (enum vl_object_type) from the component's untyped into a
 * fresh slot and returns the slot; size_bits as for vl_untyped_retype (CNode radix, untyped
 * size; 0 for fixed-size objects). Returns 0 if there is no slot or no memory left.
 */
vl_cptr_t vl_os_object_alloc(vl_word_t type, vl_word_t size_bits);

/* A fresh page-aligned range of bytes (rounded up to pages) in the component's virtual
 * address window, nothing mapped there; 0 when the window is exhausted. A bump allocator:
 * ranges are never reused. */
vl_word_t vl_os_vaddr_alloc(vl_word_t bytes);

/* Fresh zeroed memory: a new range of bytes (rounded up to pages), mapped read-write and
 * never executable, with frames and page tables made from the untyped. NULL on failure. */
void *vl_os_map_new(vl_word_t bytes);

/*
 * Threads of the component, in its own CSpace and VSpace: each has its own TCB, a stack of
 * VL_OS_THREAD_STACK bytes with an unmapped guard page below it, an IPC buffer and a block
 * of thread-local storage (so vl_ipc_buffer and vl_last_error are its own). Its fault
 * endpoint is VL_COMP_SLOT_FAULT: a fault in any thread is the component's fault for the
 * supervisor. lib/os's entry points and vl_os_mr_get()/vl_os_mr_set() belong to the main
 * thread; other threads use lib/sys's IPC calls directly.
 */
#define VL_OS_THREAD_STACK (16u * 1024)
struct vl_os_thread;

/*
 * Creates a thread that runs fn(arg) at priority prio (at most the component's own, which
 * its TCB allows as the authority) and starts it. When fn returns, the thread signals
 * completion (see vl_os_thread_join) and stops. Returns NULL on failure (vl_os_error()
 * says why; VL_RANGE_ERROR for a priority above the component's).
 */
struct vl_os_thread *vl_os_thread_create(void (*fn)(void *), void *arg, vl_word_t prio);

/* Waits until thread t's function has returned. Only one thread may wait for t. */
void vl_os_thread_join(struct vl_os_thread *t);

/* The TCB of thread t (a slot in the component's CSpace). */
vl_cptr_t vl_os_thread_tcb(const struct vl_os_thread *t);

/*
 * Sets up r as this component's side (role) of a lib/ring ring (docs/drivers.md) whose
 * queues and data are the component's regions named `queues` and `data`: shape gives the
 * capacity, buf_size, nbufs and owned bitmap (its queues and data are set here from the
 * regions). Returns VL_OS_OK, VL_OS_ENOREGION if a region is not mapped or is smaller than
 * the shape needs, or VL_OS_ERING if ring_init refuses the shape; debug builds print which
 * region or which ring status. A producer then holds no buffer: ring_own_all() gives it all.
 */
int vl_os_ring_open(struct ring *r, enum ring_role role, const char *queues, const char *data,
                    struct ring_config shape);

/*
 * What vl_os_connect() learns of a connection from the description: the ring's shape and the
 * notify channel to the peer (the id vlsys picked in this component).
 */
struct vl_os_connection {
    unsigned channel;     /* notify the peer on this id; its signals arrive on it */
    uint32_t buffers;     /* buffers in the data region (the ring's nbufs) */
    uint32_t buffer_size; /* bytes per buffer */
};

/*
 * Sets up r as this component's side (role) of the ring `name` of the description's
 * `connections` (docs/system-description.md): vlsys mapped its regions NAME.queues and
 * NAME.data and wrote its channel id and shape as config parameters NAME.channel,
 * NAME.buffers and NAME.buffer_size, which this reads back into *conn. owned is the side's
 * private ownership bitmap, owned_words words (RING_OWNED_WORDS(buffers) are needed); the
 * capacity is the least power of two that holds every buffer (as vlsys sized the queues).
 * Returns VL_OS_OK, VL_OS_ENOCONNECTION if the component has no connection name,
 * VL_OS_ERING if owned is too small or ring_init refuses, or vl_os_ring_open's errors;
 * debug builds print why. A producer then holds no buffer: ring_own_all() gives it all.
 */
int vl_os_connect(struct ring *r, const char *name, enum ring_role role, uint64_t *owned,
                  size_t owned_words, struct vl_os_connection *conn);
