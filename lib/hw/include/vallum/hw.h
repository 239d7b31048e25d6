/*
 * lib/hw: the hardware-access interface drivers are written against (docs/drivers.md).
 *
 * A driver touches its device only through this header: register reads and writes of 8,
 * 16, 32 and 64 bits at byte offsets in a register window, the fences that order device
 * accesses against each other and against memory the device reads or writes (DMA), and the
 * device-visible address of a DMA buffer. Two implementations provide it:
 *
 *   lib/hw/src/hw_mmio.c  components: the window is the device region the system
 *                         description maps (vl_os_region), accesses are volatile loads and
 *                         stores, fences are RISC-V `fence` instructions with I/O bits.
 *   lib/hw/src/hw_host.c  host tests: the window is a simulated device model (struct
 *                         hw_model callbacks) that a test attaches under the region's name.
 *
 * so the same driver source runs in QEMU and against a model in host tests. lib/hw/src/hw.c,
 * shared by both, checks every access: an offset outside the window or not aligned to the
 * access's width is a driver bug; it is not performed (a read returns all ones, as a bus
 * with nothing there would) and is counted in the window's bad_accesses.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A simulated device (host implementation only): read returns the register of `width`
 * bytes (1, 2, 4 or 8) at byte offset `offset`; write stores one. Offsets are inside the
 * window and aligned to the width (lib/hw checks before calling). ctx is the model's state.
 */
struct hw_model {
    uint64_t (*read)(void *ctx, uint64_t offset, unsigned width);
    void (*write)(void *ctx, uint64_t offset, unsigned width, uint64_t value);
};

/* A device's register window, as a driver holds it. */
struct hw_window {
    volatile uint8_t *base;       /* the registers' mapping (components); NULL on the host */
    uint64_t size;                /* bytes of the window */
    const struct hw_model *model; /* the simulated device (host); NULL in components */
    void *model_ctx;              /* the model's state (host) */
    uint64_t bad_accesses;        /* out-of-window or misaligned accesses refused */
};

/*
 * Finds the register window of the device region `name` (as the system description names
 * it) and fills *w. Returns true, or false (and *w untouched) if there is no such region.
 * Host: the region is what hw_host_attach registered under that name.
 */
bool hw_window_open(struct hw_window *w, const char *name);

/* Register accesses at byte offset off; see the header comment for bad offsets. */
uint8_t hw_read8(struct hw_window *w, uint64_t off);
uint16_t hw_read16(struct hw_window *w, uint64_t off);
uint32_t hw_read32(struct hw_window *w, uint64_t off);
uint64_t hw_read64(struct hw_window *w, uint64_t off);
void hw_write8(struct hw_window *w, uint64_t off, uint8_t value);
void hw_write16(struct hw_window *w, uint64_t off, uint16_t value);
void hw_write32(struct hw_window *w, uint64_t off, uint32_t value);
void hw_write64(struct hw_window *w, uint64_t off, uint64_t value);

/*
 * Ordering. Register accesses to one device are performed in program order with respect to
 * each other only after hw_fence_io(); on RISC-V, device (I/O) accesses and memory
 * accesses are ordered only by fences that name them.
 *
 *   hw_fence_io()         earlier register accesses before later ones (fence io,io)
 *   hw_fence_to_device()  earlier memory writes (a filled DMA buffer, a descriptor) before a
 *                         later register write (the doorbell) (fence w,o)
 *   hw_fence_from_device() an earlier register read (a status saying the DMA is done) before
 *                         later memory reads of what the device wrote (fence i,r)
 */
void hw_fence_io(void);
void hw_fence_to_device(void);
void hw_fence_from_device(void);

/*
 * A DMA region: memory the device reads or writes, seen by the driver at vaddr and by the
 * device at device_addr (a physical address: QEMU virt has no IOMMU). The device address
 * comes from the system description (issue 11, item 3) and is given to the driver alone.
 */
struct hw_dma {
    uint8_t *vaddr;       /* the driver's mapping */
    uint64_t device_addr; /* where the device sees byte 0 */
    uint64_t size;        /* bytes */
};

/*
 * Finds the dma region `name` (docs/system-description.md: `dma: true`, mapped into this
 * driver with `paddr: true`) and fills *d with its mapping, device address and size.
 * Returns false (and *d untouched) if there is no such region or its physical address is
 * not given to this component. Host: the region is what hw_host_attach_dma registered.
 */
bool hw_dma_open(struct hw_dma *d, const char *name);

/* Returned by hw_dma_addr for a range outside the region. */
#define HW_DMA_NONE UINT64_MAX

/*
 * The device-visible address of the len bytes at p, which must lie inside d (len may be 0
 * for a position); HW_DMA_NONE otherwise. A driver puts only addresses from this function
 * into descriptors it gives the device.
 */
uint64_t hw_dma_addr(const struct hw_dma *d, const void *p, uint64_t len);

/* Host implementation only: registers a simulated device as region `name` of size bytes,
 * for hw_window_open. Returns false if the table (HW_HOST_MAX_DEVICES) is full or name is
 * longer than 31 characters. hw_host_reset() forgets every device. */
#define HW_HOST_MAX_DEVICES 8
bool hw_host_attach(const char *name, const struct hw_model *model, void *ctx, uint64_t size);
/* Host implementation only: registers *d as dma region `name` for hw_dma_open (the same
 * table and limits as hw_host_attach). */
bool hw_host_attach_dma(const char *name, const struct hw_dma *d);
void hw_host_reset(void);

/* Each implementation's raw access, called by hw.c after the checks (not for drivers). */
uint64_t hw_raw_read(struct hw_window *w, uint64_t off, unsigned width);
void hw_raw_write(struct hw_window *w, uint64_t off, unsigned width, uint64_t value);
