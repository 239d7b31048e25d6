/*
 * The goldfish RTC of QEMU's virt machine: its 32-bit registers, as byte offsets from the
 * device's base. Time is in nanoseconds; reading TIME_LOW latches TIME_HIGH, so read the
 * low word first. The alarm raises the device's interrupt once the time reaches it (after
 * IRQ_ENABLED is set); writing CLEAR_INTERRUPT acknowledges it. (QEMU's hw/rtc/goldfish_rtc.c.)
 *
 * The alarm in detail: writing ALARM_LOW arms it for (ALARM_HIGH << 32 | value); an alarm
 * at or before the current time raises the interrupt at once. The interrupt is a level:
 * pending (set when the alarm is reached, cleared by CLEAR_INTERRUPT) and IRQ_ENABLED.
 * CLEAR_ALARM stops an armed alarm (a pending interrupt stays); ALARM_STATUS reads 1 while
 * one is armed and not yet reached.
 */
#pragma once

#define GOLDFISH_RTC_TIME_LOW 0x00
#define GOLDFISH_RTC_TIME_HIGH 0x04
#define GOLDFISH_RTC_ALARM_LOW 0x08
#define GOLDFISH_RTC_ALARM_HIGH 0x0c
#define GOLDFISH_RTC_IRQ_ENABLED 0x10
#define GOLDFISH_RTC_CLEAR_ALARM 0x14
#define GOLDFISH_RTC_ALARM_STATUS 0x18
#define GOLDFISH_RTC_CLEAR_INTERRUPT 0x1c
