/*
 * rtc: a minimal driver. It is given the registers of QEMU's goldfish real-time clock (a
 * device region) and its interrupt, and reads the time from the device directly.
 */
#include <stdio.h>
#include <vallum/goldfish_rtc.h>
#include <vallum/os.h>

#define CH_IRQ 1

static volatile uint32_t *regs;

void
init(void)
{
    size_t size = 0;
    regs = vl_os_region("rtc", &size);
    if (regs == NULL) {
        printf("rtc: no device region\n");
        return;
    }
    uint64_t lo = regs[GOLDFISH_RTC_TIME_LOW / 4];
    uint64_t ns = ((uint64_t)regs[GOLDFISH_RTC_TIME_HIGH / 4] << 32) | lo;
    printf("rtc: device region of %lu bytes at %p\n", (unsigned long)size, (void *)regs);
    printf("rtc: the clock reads %lu s since 1970\n", (unsigned long)(ns / 1000000000u));
    printf("rtc: irq ack: %s\n", vl_error_name(vl_os_irq_ack(CH_IRQ)));
}

void
notified(unsigned id)
{
    if (id == CH_IRQ) {
        int err = vl_os_irq_ack(CH_IRQ);
        if (err != 0) {
            printf("rtc: irq ack: %s\n", err < 0 ? vl_os_status_name(err) : vl_error_name(err));
        }
    }
}
