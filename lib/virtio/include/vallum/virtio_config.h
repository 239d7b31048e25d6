/*
 * lib/virtio's tunables, with their defaults. A component may define any of them before
 * including vallum/virtio.h (all files of one program must agree).
 */
#pragma once

/* Largest queue a struct virtq handles: the private bookkeeping is sized by it (about
 * 8 bytes per entry). QEMU's virtio-net and virtio-blk queues are 256 entries at most. */
#ifndef VIRTIO_QUEUE_MAX
#define VIRTIO_QUEUE_MAX 256u
#endif

/* Reads of the status register after a reset before the device is declared stuck
 * (version 2 devices may take a moment to read back 0; QEMU's take none). */
#ifndef VIRTIO_RESET_TRIES
#define VIRTIO_RESET_TRIES 1000u
#endif

/* Times a configuration read is retried when ConfigGeneration changes under it. */
#ifndef VIRTIO_CONFIG_TRIES
#define VIRTIO_CONFIG_TRIES 8u
#endif

/* Descriptors one chain may have (virtq_add's n). */
#ifndef VIRTIO_CHAIN_MAX
#define VIRTIO_CHAIN_MAX 8u
#endif
