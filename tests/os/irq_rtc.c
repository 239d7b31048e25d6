/*
 * An interrupt from a real QEMU device, end to end: the goldfish RTC's alarm, found in the
 * device tree, raises its interrupt; the kernel signals the notification set on the
 * IRQHandler; the source stays masked until the handler is acknowledged.
 */
#include <stdbool.h>
#include <vallum/goldfish_rtc.h>

#include "kernel/fdt.h"
#include "ktest.h"

#define RTC_VA 0x2000000000ul

static volatile uint32_t *rtc;

static uint32_t
rtc_read(vl_word_t reg)
{
    return rtc[reg / 4];
}

static void
rtc_write(vl_word_t reg, uint32_t v)
{
    rtc[reg / 4] = v;
}

/* Sets the alarm delta_ns from now (virtual time: under -icount, instructions). */
static void
rtc_alarm_in(uint64_t delta_ns)
{
    uint64_t now = rtc_read(GOLDFISH_RTC_TIME_LOW);
    now |= (uint64_t)rtc_read(GOLDFISH_RTC_TIME_HIGH) << 32;
    uint64_t at = now + delta_ns;
    rtc_write(GOLDFISH_RTC_IRQ_ENABLED, 1);
    rtc_write(GOLDFISH_RTC_ALARM_HIGH, (uint32_t)(at >> 32));
    rtc_write(GOLDFISH_RTC_ALARM_LOW, (uint32_t)at);
}

/* Two consecutive scratch slots, for vl_device_frame. */
static vl_cptr_t
new_pair(void *ctx)
{
    (void)ctx;
    return slots_alloc(2);
}

/* A 4 KiB device frame for paddr; *root_ut is the device untyped to revoke afterwards. */
static vl_cptr_t
device_frame(vl_word_t paddr, vl_cptr_t *root_ut)
{
    vl_cptr_t frame = slot_alloc();
    if (frame == 0 || vl_device_frame(g_bi, paddr, ROOT, new_pair, NULL, frame, root_ut) != 0) {
        return 0;
    }
    return frame;
}

static void
test_irq_rtc_alarm(void)
{
    struct fdt_platform plat;
    CHECK_EQ(fdt_parse_platform((const void *)g_bi->dtb_vaddr, g_bi->dtb_size, &plat), FDT_OK);
    CHECK(plat.rtc_base != 0 && plat.rtc_irq != 0);
    vl_cptr_t dev_ut = 0;
    vl_cptr_t frame = device_frame(plat.rtc_base & ~0xffful, &dev_ut);
    CHECK(frame != 0);
    vl_cptr_t pt1 = obj_new(VL_OBJ_PAGE_TABLE, 0);
    vl_cptr_t pt2 = obj_new(VL_OBJ_PAGE_TABLE, 0);
    CHECK_EQ(vl_page_table_map(pt1, VL_CAP_INIT_VSPACE, RTC_VA), 0);
    CHECK_EQ(vl_page_table_map(pt2, VL_CAP_INIT_VSPACE, RTC_VA), 0);
    CHECK_EQ(vl_frame_map(frame, VL_CAP_INIT_VSPACE, RTC_VA, VL_RIGHT_READ | VL_RIGHT_WRITE,
                          VL_MAP_EXECUTE_NEVER),
             0);
    rtc = (volatile uint32_t *)(RTC_VA + (plat.rtc_base & 0xfff));

    vl_cptr_t ntfn = obj_new(VL_OBJ_NOTIFICATION, 0);
    vl_cptr_t badged = slot_alloc();
    vl_cptr_t handler = slot_alloc();
    CHECK(ntfn != 0 && badged != 0 && handler != 0);
    CHECK_EQ(vl_cnode_mint(ROOT, badged, 64, ROOT, ntfn, 64, VL_RIGHTS_ALL, 0x40), 0);
    CHECK_EQ(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, plat.rtc_irq, ROOT, handler, 64), 0);
    CHECK_EQ(vl_irq_handler_set_notification(handler, badged), 0);

    /* First alarm: delivered as a signal with the handler's badge. */
    rtc_alarm_in(200000);
    CHECK_EQ(vl_wait(ntfn), 0x40);
    rtc_write(GOLDFISH_RTC_CLEAR_INTERRUPT, 1);

    /* Second alarm before the Ack: the source is masked, nothing arrives. */
    rtc_alarm_in(1000);
    for (int i = 0; i < 20000; i++) {
        __asm__ volatile("" ::: "memory");
    }
    for (int i = 0; i < 5; i++) {
        vl_yield();
    }
    CHECK_EQ(vl_poll(ntfn), 0);
    /* The Ack unmasks it: the pending alarm is delivered. */
    CHECK_EQ(vl_irq_handler_ack(handler), 0);
    CHECK_EQ(vl_wait(ntfn), 0x40);
    rtc_write(GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
    rtc_write(GOLDFISH_RTC_IRQ_ENABLED, 0);
    CHECK_EQ(vl_irq_handler_ack(handler), 0);

    /* Clear: no more signals; the handler can be set again. */
    CHECK_EQ(vl_irq_handler_clear(handler), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, handler, 64), 0);
    /* With the last handler cap gone the interrupt can be claimed afresh. */
    CHECK_EQ(vl_irq_control_get(VL_CAP_IRQ_CONTROL_SLOT, plat.rtc_irq, ROOT, handler, 64), 0);
    CHECK_EQ(vl_cnode_delete(ROOT, handler, 64), 0);
    CHECK_EQ(vl_cnode_revoke(ROOT, dev_ut, 64), 0);
}

void
irq_rtc_tests(void)
{
    RUN(test_irq_rtc_alarm);
}
