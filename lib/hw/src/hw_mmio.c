/*
 * lib/hw in components: the register window is a device region mapped by the system
 * description (uncached device memory in QEMU's model), accessed with volatile loads and
 * stores of the exact width so the compiler neither merges, splits nor drops them.
 */
#include <vallum/hw.h>
#include <vallum/os.h>

bool
hw_window_open(struct hw_window *w, const char *name)
{
    size_t size = 0;
    void *base = vl_os_region(name, &size);
    if (base == NULL) {
        return false;
    }
    *w = (struct hw_window){.base = base, .size = size};
    return true;
}

uint64_t
hw_raw_read(struct hw_window *w, uint64_t off, unsigned width)
{
    volatile uint8_t *p = w->base + off;
    switch (width) {
    case 1:
        return *p;
    case 2:
        return *(volatile uint16_t *)p;
    case 4:
        return *(volatile uint32_t *)p;
    default:
        return *(volatile uint64_t *)p;
    }
}

void
hw_raw_write(struct hw_window *w, uint64_t off, unsigned width, uint64_t value)
{
    volatile uint8_t *p = w->base + off;
    switch (width) {
    case 1:
        *p = (uint8_t)value;
        break;
    case 2:
        *(volatile uint16_t *)p = (uint16_t)value;
        break;
    case 4:
        *(volatile uint32_t *)p = (uint32_t)value;
        break;
    default:
        *(volatile uint64_t *)p = value;
        break;
    }
}

void
hw_fence_io(void)
{
    __asm__ volatile("fence io, io" ::: "memory");
}

void
hw_fence_to_device(void)
{
    __asm__ volatile("fence w, o" ::: "memory");
}

void
hw_fence_from_device(void)
{
    __asm__ volatile("fence i, r" ::: "memory");
}
