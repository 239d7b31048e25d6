/*
 * vlsys: dma regions (docs/system-description.md). A memory region with `dma: true` is
 * made physically contiguous by init; a map entry with `paddr: true` tells that component
 * the region's physical address. The address lets a device write anywhere the driver says
 * (QEMU's virt has no IOMMU), so it goes to drivers alone: the map must be of a dma region,
 * into a component that holds a device (a device region or an interrupt).
 */
#include "vlsys.h"

#include <string.h>

/* Whether component ci holds a device: a device region or an interrupt. */
static bool
holds_device(const struct vlsys_system *sys, int ci)
{
    for (size_t i = 0; i < sys->regions.count; i++) {
        const struct vlsys_region *r = VEC_AT(&sys->regions, struct vlsys_region, i);
        if (r->kind == VL_REGION_DEVICE && r->device == ci) {
            return true;
        }
    }
    for (size_t i = 0; i < sys->irqs.count; i++) {
        if (VEC_AT(&sys->irqs, struct vlsys_irq, i)->end.component == ci) {
            return true;
        }
    }
    return false;
}

void
dma_check(const struct vlsys_system *sys)
{
    for (size_t i = 0; i < sys->maps.count; i++) {
        const struct vlsys_map *m = VEC_AT(&sys->maps, struct vlsys_map, i);
        if ((m->flags & VL_MAP_PADDR) == 0) {
            continue;
        }
        const struct vlsys_region *r = VEC_AT(&sys->regions, struct vlsys_region, m->region);
        if ((r->flags & VL_REGION_DMA) == 0) {
            diag_error(m->paddr_line,
                       "'paddr' on a mapping of region '%s', which is not a dma region (add "
                       "'dma: true' to it)",
                       r->name);
        } else if (m->component >= 0 && !holds_device(sys, m->component)) {
            diag_error(m->paddr_line,
                       "'%s' holds no device: only a driver may be told the physical address of "
                       "dma region '%s'",
                       VEC_AT(&sys->components, struct vlsys_component, m->component)->name,
                       r->name);
        }
    }
}
