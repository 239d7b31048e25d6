/*
 * probe: tries what a component must not be able to do. One program, three components,
 * told apart by name; each makes one attempt, which faults, and the supervisor stops it
 * (restart: never) while the others go on:
 *   probe_caps  lists its CSpace (only the slots component.h promises may hold a cap, and
 *               its caps to shared endpoints are badged), then invokes a slot it was not given: a
 * capability fault probe_mem   reads memory that is not mapped in its address space: a page fault
 *   probe_dev   reads the UART's registers, which it was not given: a page fault
 * Each first calls keeper (counter_hit, interfaces/counter.idl), to show the peer answers
 * before and after every fault.
 */
#include <stdio.h>
#include <string.h>
#include <vallum/os.h>

#include "counter.h"

#define CH_KEEPER 0
#define UNMAPPED 0x2000000000ul /* init's scratch area, in init's address space only */
#define UART 0x10000000ul

static void
check_cspace(void)
{
    unsigned held = 0, unexpected = 0, unbadged = 0;
    printf("probe_caps: slots holding a capability:");
    for (vl_cptr_t s = 0; s < (1u << VL_COMP_CNODE_BITS); s++) {
        vl_word_t t = vl_debug_cap_type(s);
        if (t == VL_CAP_NULL) {
            continue;
        }
        held++;
        printf(" %lu", (unsigned long)s);
        int expected = (s == VL_COMP_SLOT_EP && t == VL_CAP_ENDPOINT) ||
                       (s == VL_COMP_SLOT_NTFN && t == VL_CAP_NOTIFICATION) ||
                       (s == VL_COMP_SLOT_FAULT && t == VL_CAP_ENDPOINT) ||
                       (s == VL_COMP_SLOT_CHANNEL + CH_KEEPER && t == VL_CAP_ENDPOINT) ||
                       (s == VL_COMP_SLOT_DEBUG && t == VL_CAP_DEBUG);
        unexpected += !expected;
        /* Caps to others' endpoints and notifications come badged: an unbadged one could
         * be minted with any badge, and so pass for another sender. */
        struct vl_cap_info ci;
        if ((t == VL_CAP_ENDPOINT || t == VL_CAP_NOTIFICATION) && s != VL_COMP_SLOT_EP &&
            s != VL_COMP_SLOT_NTFN && (vl_cap_identify(s, &ci) != 0 || ci.badge == 0)) {
            unbadged++;
        }
    }
    printf("\n");
    printf("probe_caps: unbadged caps to shared endpoints or notifications: %u\n", unbadged);
    if (held == 5 && unexpected == 0) {
        printf("probe_caps: least privilege holds: exactly the 5 capabilities promised\n");
    } else {
        printf("probe_caps: LEAST PRIVILEGE VIOLATED: %u caps, %u unexpected\n", held, unexpected);
    }
}

void
init(void)
{
    const char *name = vl_os_name();
    uint64_t calls = 0;
    int st = counter_hit(CH_KEEPER, &calls);
    if (st != 0) {
        printf("%s: keeper's reply has status %d\n", name, st);
    }
    printf("%s: keeper answered %lu\n", name, (unsigned long)calls);
    if (strcmp(name, "probe_caps") == 0) {
        check_cspace();
        printf("probe_caps: invoking slot 5, which it was not given\n");
        int err = vl_untyped_retype(5, VL_OBJ_FRAME_4K, 0, 5, 0, 0, 6, 1);
        printf("probe_caps: UNEXPECTED: the invocation returned %d\n", err);
    } else if (strcmp(name, "probe_mem") == 0) {
        printf("probe_mem: reading 0x%lx, which is not mapped here\n", UNMAPPED);
        printf("probe_mem: UNEXPECTED: read %lx\n", *(volatile unsigned long *)UNMAPPED);
    } else if (strcmp(name, "probe_dev") == 0) {
        printf("probe_dev: reading the UART at 0x%lx, which it was not given\n", UART);
        printf("probe_dev: UNEXPECTED: read %x\n", *(volatile unsigned char *)UART);
    }
}
