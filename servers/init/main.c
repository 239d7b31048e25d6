/*
 * init: the first task. It reports what the kernel handed it: its capabilities, untyped
 * memory (RAM and device) and the device tree, and checks the kernel's invariants. An init
 * built with a system image (mk/systems.mk links system.c and the image in) then builds
 * that system and supervises it; the plain init (images/init.bin) stops the machine.
 */
#include "init.h"

#include <stdio.h>

/* Defined only when a system image is linked in. */
#pragma weak init_run_system

void vl_start(const struct vl_bootinfo *bi);

static void
print_size(vl_word_t bytes)
{
    if (bytes >= (1ul << 30) && bytes % (1ul << 30) == 0) {
        printf("%lu GiB", (unsigned long)(bytes >> 30));
    } else if (bytes >= (1ul << 20) && bytes % (1ul << 20) == 0) {
        printf("%lu MiB", (unsigned long)(bytes >> 20));
    } else if (bytes >= 1024) {
        printf("%lu KiB", (unsigned long)(bytes >> 10));
    } else {
        printf("%lu B", (unsigned long)bytes);
    }
}

const char *
init_invariants(int check)
{
    if (check < 0) {
        return "not checked (no invariant walk in this kernel)";
    }
    return check == 0 ? "hold" : "VIOLATED";
}

void
vl_start(const struct vl_bootinfo *bi)
{
    vl_ipc_buffer = (struct vl_ipc_buffer *)bi->ipc_buffer;
    printf("init: Vallum boot info v%lu at %p\n", (unsigned long)bi->version, (void *)bi);
    if (bi->magic != VL_BOOTINFO_MAGIC) {
        printf("init: bad boot info magic\n");
        vl_debug_halt(1);
    }
    printf("init: CNode of %lu slots; free slots %lu..%lu\n", 1ul << bi->init_cnode_bits,
           (unsigned long)bi->empty.start, (unsigned long)bi->empty.end - 1);
    printf("init: fixed caps: TCB %d, CNode %d, VSpace %d, IRQ control %d, boot info %d, "
           "IPC buffer %d, ASID control %d, debug %d; ASID pool in slot %lu\n",
           VL_CAP_INIT_TCB, VL_CAP_INIT_CNODE, VL_CAP_INIT_VSPACE, VL_CAP_IRQ_CONTROL_SLOT,
           VL_CAP_BOOTINFO_FRAME, VL_CAP_INIT_IPC_BUFFER, VL_CAP_ASID_CONTROL_SLOT,
           VL_CAP_DEBUG_SLOT, (unsigned long)bi->asid_pool);
    printf("init: image %lx..%lx, frames and page tables in slots %lu..%lu\n",
           (unsigned long)bi->image_start, (unsigned long)bi->image_end,
           (unsigned long)bi->image_frames.start, (unsigned long)bi->image_frames.end - 1);
    printf("init: device tree at %lx, %lu bytes; timebase %lu Hz\n", (unsigned long)bi->dtb_vaddr,
           (unsigned long)bi->dtb_size, (unsigned long)bi->timebase_hz);
    vl_word_t ram = 0, dev = 0;
    for (vl_word_t i = 0; i < bi->num_untyped; i++) {
        const struct vl_untyped_desc *d = &bi->untyped_list[i];
        if (d->is_device) {
            dev += 1ul << d->size_bits;
        } else {
            ram += 1ul << d->size_bits;
            printf("init:   untyped slot %lu: RAM %09lx, ", (unsigned long)(bi->untyped.start + i),
                   (unsigned long)d->paddr);
            print_size(1ul << d->size_bits);
            printf("\n");
        }
    }
    printf("init: %lu untyped caps in slots %lu..%lu: RAM ", (unsigned long)bi->num_untyped,
           (unsigned long)bi->untyped.start, (unsigned long)bi->untyped.end - 1);
    print_size(ram);
    printf(", device ");
    print_size(dev);
    printf("\n");
    printf("init: kernel keeps %lx..%lx\n", (unsigned long)bi->kernel_paddr_start,
           (unsigned long)bi->kernel_paddr_end);
    int check = vl_debug_check();
    int bad = check > 0;
    printf("init: kernel invariants %s\n", init_invariants(check));
    if (!bad && init_run_system != NULL) {
        init_run_system(bi);
    }
    printf("init: done\n");
    /* The kernel gave the first task the Shutdown cap; the debug call only if that fails. */
    vl_shutdown_power_off(VL_CAP_SHUTDOWN_SLOT, bad ? 2 : 0);
    vl_debug_halt(bad ? 2 : 0);
}
