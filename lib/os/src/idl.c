/*
 * lib/os: the capability side of vlidl's generated stubs (vallum/idl.h). A server that
 * accepts capability arguments calls vl_os_idl_receive() once in init(): it takes a slot
 * from the component's free slots and names it as the receive slot of the IPC buffer, so
 * that the kernel puts a capability that comes with a call there. The generated dispatch
 * checks its type and deletes it after the handler ran.
 */
#include <vallum/idl.h>
#include <vallum/os.h>

static vl_cptr_t recv_slot;

vl_cptr_t
vl_os_idl_receive(void)
{
    if (recv_slot == 0) {
        recv_slot = vl_os_slot_alloc();
    }
    if (recv_slot != 0) {
        vl_ipc_buffer->receive_cnode = VL_COMP_SLOT_CNODE;
        vl_ipc_buffer->receive_index = recv_slot;
        vl_ipc_buffer->receive_depth = VL_WORD_BITS;
    }
    return recv_slot;
}

void
vl_idl_send_cap(unsigned i, vl_cptr_t cap)
{
    if (i < VL_MSG_MAX_EXTRA_CAPS) {
        vl_ipc_buffer->caps_or_badges[i] = cap;
    }
}

vl_cptr_t
vl_idl_recv_slot(void)
{
    return recv_slot;
}

vl_word_t
vl_idl_cap_type(vl_cptr_t slot)
{
    struct vl_cap_info ci;
    if (slot == 0 || vl_cap_identify(slot, &ci) != 0) {
        return VL_CAP_NULL;
    }
    return ci.type;
}

void
vl_idl_cap_drop(vl_cptr_t slot)
{
    if (slot != 0) {
        vl_cnode_delete(VL_COMP_SLOT_CNODE, slot, VL_WORD_BITS);
    }
}
