/*
 * lib/hw: the checks every register access passes, and DMA addresses; shared by the
 * component (hw_mmio.c) and host (hw_host.c) implementations (see vallum/hw.h).
 */
#include <vallum/hw.h>

/* Whether a width-byte access at off lies inside the window and is naturally aligned (the
 * bus may split or refuse a misaligned device access; a driver never needs one). */
static bool
access_ok(struct hw_window *w, uint64_t off, unsigned width)
{
    if (w->size < width || off > w->size - width || off % width != 0) {
        w->bad_accesses++;
        return false;
    }
    return true;
}

static uint64_t
read_checked(struct hw_window *w, uint64_t off, unsigned width)
{
    if (!access_ok(w, off, width)) {
        return UINT64_MAX;
    }
    return hw_raw_read(w, off, width);
}

static void
write_checked(struct hw_window *w, uint64_t off, unsigned width, uint64_t value)
{
    if (access_ok(w, off, width)) {
        hw_raw_write(w, off, width, value);
    }
}

uint8_t
hw_read8(struct hw_window *w, uint64_t off)
{
    return (uint8_t)read_checked(w, off, 1);
}

uint16_t
hw_read16(struct hw_window *w, uint64_t off)
{
    return (uint16_t)read_checked(w, off, 2);
}

uint32_t
hw_read32(struct hw_window *w, uint64_t off)
{
    return (uint32_t)read_checked(w, off, 4);
}

uint64_t
hw_read64(struct hw_window *w, uint64_t off)
{
    return read_checked(w, off, 8);
}

void
hw_write8(struct hw_window *w, uint64_t off, uint8_t value)
{
    write_checked(w, off, 1, value);
}

void
hw_write16(struct hw_window *w, uint64_t off, uint16_t value)
{
    write_checked(w, off, 2, value);
}

void
hw_write32(struct hw_window *w, uint64_t off, uint32_t value)
{
    write_checked(w, off, 4, value);
}

void
hw_write64(struct hw_window *w, uint64_t off, uint64_t value)
{
    write_checked(w, off, 8, value);
}

uint64_t
hw_dma_addr(const struct hw_dma *d, const void *p, uint64_t len)
{
    uintptr_t at = (uintptr_t)p, base = (uintptr_t)d->vaddr;
    if (at < base || at - base > d->size || len > d->size - (at - base)) {
        return HW_DMA_NONE; /* outside, or runs past the end (written not to overflow) */
    }
    return d->device_addr + (at - base);
}
