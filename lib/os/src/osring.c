/*
 * lib/os: a lib/ring ring over two of the component's regions (os.h, vl_os_ring_open), the
 * set-up every ring user repeats: find both regions, check they fit the shape, ring_init;
 * and vl_os_connect, the same for a ring of the description's `connections`, whose names,
 * shape and channel id vlsys derived from one entry.
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

/* Bytes of a name on the info page (struct vl_comp_config's and vl_comp_region's name[]). */
#define NAME_BYTES 32

/* Reads config parameter NAME.suffix, an integer in 0..max, into *out. */
static bool
connection_param(const char *name, const char *suffix, int64_t max, int64_t *out)
{
    char key[NAME_BYTES];
    if (snprintf(key, sizeof(key), "%s.%s", name, suffix) >= (int)sizeof(key)) {
        return false; /* longer than any name vlsys writes */
    }
    return vl_os_config_int(key, out) == VL_OS_OK && *out >= 0 && *out <= max;
}

int
vl_os_connect(struct ring *r, const char *name, enum ring_role role, uint64_t *owned,
              size_t owned_words, struct vl_os_connection *conn)
{
    int64_t channel;
    int64_t buffers;
    int64_t buffer_size;
    /* vlsys writes all three or none; the bounds keep the casts below exact. */
    if (!connection_param(name, "channel", VL_COMP_MAX_CHANNELS - 1, &channel) ||
        !connection_param(name, "buffers", UINT32_MAX, &buffers) ||
        !connection_param(name, "buffer_size", UINT32_MAX, &buffer_size)) {
#ifndef NDEBUG
        printf("lib/os: %s: no connection '%s' in the description\n", vl_os_name(), name);
#endif
        return VL_OS_ENOCONNECTION;
    }
    if (owned_words < RING_OWNED_WORDS((uint64_t)buffers)) {
#ifndef NDEBUG
        printf("lib/os: %s: connection '%s': %lu buffers need %lu owned words, not %lu\n",
               vl_os_name(), name, (unsigned long)buffers,
               (unsigned long)RING_OWNED_WORDS((uint64_t)buffers), (unsigned long)owned_words);
#endif
        return VL_OS_ERING;
    }
    /* The least power of two that holds every buffer, as vlsys sized the queues region. */
    uint32_t capacity = 1;
    while (capacity < (uint64_t)buffers && capacity < RING_MAX_CAPACITY) {
        capacity <<= 1;
    }
    char queues[NAME_BYTES];
    char data[NAME_BYTES];
    snprintf(queues, sizeof(queues), "%s.queues", name);
    snprintf(data, sizeof(data), "%s.data", name);
    struct ring_config shape = {.capacity = capacity,
                                .buf_size = (uint32_t)buffer_size,
                                .nbufs = (uint32_t)buffers,
                                .owned = owned};
    int s = vl_os_ring_open(r, role, queues, data, shape);
    if (s == VL_OS_OK) {
        conn->channel = (unsigned)channel;
        conn->buffers = (uint32_t)buffers;
        conn->buffer_size = (uint32_t)buffer_size;
    }
    return s;
}
