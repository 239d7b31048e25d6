/*
 * lib/hw in components: a dma region (docs/virtio.md) as a driver sees it, its virtual
 * address and the physical address init told it. Apart from hw_mmio.c so that a program
 * with register windows but no dma regions (the bench's timer service) needs no
 * vl_os_region_paddr.
 */
#include <vallum/hw.h>
#include <vallum/os.h>

bool
hw_dma_open(struct hw_dma *d, const char *name)
{
    size_t size = 0;
    uint64_t paddr = 0;
    void *base = vl_os_region(name, &size);
    if (base == NULL || vl_os_region_paddr(name, &paddr) != VL_OS_OK) {
        return false;
    }
    *d = (struct hw_dma){.vaddr = base, .device_addr = paddr, .size = size};
    return true;
}
