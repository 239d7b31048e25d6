/*
 * lib/os: a lib/ring ring over two of the component's regions (os.h, vl_os_ring_open), the
 * set-up every ring user repeats: find both regions, check they fit the shape, ring_init.
 */
#include <stdio.h>
#include <vallum/os.h>

/* The region named name if it is mapped and holds at least need bytes, else NULL. */
static void *
region_of_size(const char *name, uint64_t need)
{
    size_t size = 0;
    void *p = vl_os_region(name, &size);
    if (p == NULL || size < need) {
#ifndef NDEBUG
        printf("lib/os: %s: ring region '%s' %s (%lu bytes needed)\n", vl_os_name(), name,
               p == NULL ? "is not mapped" : "is too small", (unsigned long)need);
#endif
        return NULL;
    }
    return p;
}

int
vl_os_ring_open(struct ring *r, enum ring_role role, const char *queues, const char *data,
                struct ring_config shape)
{
    shape.queues = region_of_size(queues, RING_QUEUES_SIZE((uint64_t)shape.capacity));
    shape.data = region_of_size(data, (uint64_t)shape.nbufs * shape.buf_size);
    if (shape.queues == NULL || shape.data == NULL) {
        return VL_OS_ENOREGION;
    }
    int s = ring_init(r, role, &shape);
    if (s != RING_OK) {
#ifndef NDEBUG
        printf("lib/os: %s: ring on '%s' and '%s': %s\n", vl_os_name(), queues, data,
               ring_status_name(s));
#endif
        return VL_OS_ERING;
    }
    return VL_OS_OK;
}
