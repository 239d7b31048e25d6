/*
 * lib/hw on the host: register windows are simulated devices (struct hw_model) that a test
 * attaches by name; every access becomes a call into the model. Fences are compiler and
 * CPU fences: the models are called synchronously, so nothing more is needed, but a driver
 * that forgets one still compiles the same way as in a component.
 */
#include <vallum/hw.h>

#include <string.h>

struct host_device {
    char name[32];
    const struct hw_model *model; /* NULL: a dma region (dma) */
    void *ctx;
    uint64_t size;
    struct hw_dma dma;
};

static struct host_device devices[HW_HOST_MAX_DEVICES];
static unsigned num_devices;

bool
hw_host_attach(const char *name, const struct hw_model *model, void *ctx, uint64_t size)
{
    if (num_devices == HW_HOST_MAX_DEVICES || strlen(name) >= sizeof(devices[0].name)) {
        return false;
    }
    struct host_device *d = &devices[num_devices++];
    strcpy(d->name, name);
    d->model = model;
    d->ctx = ctx;
    d->size = size;
    return true;
}

bool
hw_host_attach_dma(const char *name, const struct hw_dma *dma)
{
    if (num_devices == HW_HOST_MAX_DEVICES || strlen(name) >= sizeof(devices[0].name)) {
        return false;
    }
    struct host_device *d = &devices[num_devices++];
    *d = (struct host_device){.dma = *dma};
    strcpy(d->name, name);
    return true;
}

bool
hw_dma_open(struct hw_dma *dma, const char *name)
{
    for (unsigned i = 0; i < num_devices; i++) {
        if (devices[i].model == NULL && strcmp(devices[i].name, name) == 0) {
            *dma = devices[i].dma;
            return true;
        }
    }
    return false;
}

void
hw_host_reset(void)
{
    num_devices = 0;
}

bool
hw_window_open(struct hw_window *w, const char *name)
{
    for (unsigned i = 0; i < num_devices; i++) {
        if (devices[i].model != NULL && strcmp(devices[i].name, name) == 0) {
            *w = (struct hw_window){
                .size = devices[i].size, .model = devices[i].model, .model_ctx = devices[i].ctx};
            return true;
        }
    }
    return false;
}

uint64_t
hw_raw_read(struct hw_window *w, uint64_t off, unsigned width)
{
    return w->model->read(w->model_ctx, off, width);
}

void
hw_raw_write(struct hw_window *w, uint64_t off, unsigned width, uint64_t value)
{
    w->model->write(w->model_ctx, off, width, value);
}

void
hw_fence_io(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void
hw_fence_to_device(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void
hw_fence_from_device(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
