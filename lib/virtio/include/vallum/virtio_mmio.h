/*
 * The virtio-mmio register block and the split virtqueue's memory layout (virtio 1.2,
 * sections 4.2.2 and 2.7; legacy layout: 4.2.4 and 2.7 "Legacy Interfaces"). Every offset
 * and flag lib/virtio uses is named here once; the structs in guest memory carry their
 * layout and a _Static_assert. Everything is little-endian (RISC-V and the host tests are).
 */
#pragma once

#include <stdint.h>

/* Registers, byte offsets from the start of the device's page. (v1) legacy only, (v2)
 * version 2 only, otherwise both. */
#define VIRTIO_MMIO_MAGIC 0x000     /* reads "virt" */
#define VIRTIO_MMIO_VERSION 0x004   /* 1: legacy, 2: virtio 1.x */
#define VIRTIO_MMIO_DEVICE_ID 0x008 /* 0: no device in this slot */
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010     /* 32 feature bits, chosen by ..._SEL */
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014 /* 0: bits 0..31, 1: bits 32..63 */
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_GUEST_PAGE_SIZE 0x028 /* (v1) the unit of QUEUE_PFN */
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034 /* 0: no such queue */
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_ALIGN 0x03c  /* (v1) alignment of the used ring */
#define VIRTIO_MMIO_QUEUE_PFN 0x040    /* (v1) queue address / page size; 0 stops the queue */
#define VIRTIO_MMIO_QUEUE_READY 0x044  /* (v2) */
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050 /* write a queue index: it has new buffers */
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070         /* write 0: reset */
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080 /* (v2) the three parts' addresses, 64 bits each */
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc /* (v2) changes when the config space does */
#define VIRTIO_MMIO_CONFIG 0x100            /* device-specific configuration space */
#define VIRTIO_MMIO_SIZE 0x200              /* the window a driver needs (a 4 KiB page) */

#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976u /* "virt" */

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* InterruptStatus bits (4.2.2). */
#define VIRTIO_IRQ_USED_BUFFER 1u
#define VIRTIO_IRQ_CONFIG_CHANGE 2u

/* Device IDs (5). */
#define VIRTIO_ID_NET 1u
#define VIRTIO_ID_BLOCK 2u
#define VIRTIO_ID_RNG 4u

/* Transport feature bits (6). */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33

/* Split virtqueue: a descriptor (2.7.5). 16 bytes. */
struct virtq_desc {
    uint64_t addr;  /* device address of the buffer */
    uint32_t len;   /* bytes */
    uint16_t flags; /* VIRTQ_DESC_F_* */
    uint16_t next;  /* the next descriptor of the chain, if flags has NEXT */
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc is 16 bytes");

#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u /* the device writes this buffer (otherwise it reads it) */
#define VIRTQ_DESC_F_INDIRECT 4u

/* The available (driver) ring (2.7.6): flags, idx, ring[num], used_event. */
struct virtq_avail {
    uint16_t flags; /* VIRTQ_AVAIL_F_NO_INTERRUPT */
    uint16_t idx;   /* free-running: the next entry the driver will write */
    uint16_t ring[];
};
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail header is two 16-bit words");
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

/* The used (device) ring (2.7.8): flags, idx, ring[num] of {id, len}, avail_event. */
struct virtq_used_elem {
    uint32_t id;  /* head of the chain the device finished */
    uint32_t len; /* bytes the device wrote into the chain's writable buffers */
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem is two 32-bit words");
struct virtq_used {
    uint16_t flags; /* VIRTQ_USED_F_NO_NOTIFY */
    uint16_t idx;   /* free-running: the next entry the device will write */
    struct virtq_used_elem ring[];
};
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used header is two 16-bit words");
#define VIRTQ_USED_F_NO_NOTIFY 1u

/* The largest queue a split virtqueue may have (2.7: Queue Size is at most 32768). */
#define VIRTQ_MAX_SIZE 32768u

/*
 * Bytes of each part for a queue of num entries, and the legacy layout both transport
 * versions use here: descriptor table, then the available ring, then the used ring at the
 * next multiple of VIRTQ_LEGACY_ALIGN (legacy devices compute the used ring's place from
 * QueuePFN this way; version 2 takes three addresses, and the same layout satisfies its
 * alignments of 16, 2 and 4).
 */
#define VIRTQ_LEGACY_ALIGN 4096u
#define VIRTQ_DESC_BYTES(num) (16u * (num))
#define VIRTQ_AVAIL_BYTES(num) (6u + 2u * (num))
#define VIRTQ_USED_BYTES(num) (6u + 8u * (num))
#define VIRTQ_USED_OFFSET(num)                                                                     \
    ((VIRTQ_DESC_BYTES(num) + VIRTQ_AVAIL_BYTES(num) + VIRTQ_LEGACY_ALIGN - 1) &                   \
     ~(VIRTQ_LEGACY_ALIGN - 1))
#define VIRTQ_BYTES(num) (VIRTQ_USED_OFFSET(num) + VIRTQ_USED_BYTES(num))
