/*
 * The goldfish RTC of QEMU's virt machine: its 32-bit registers, as byte offsets from the
 * device's base. Time is in nanoseconds; reading TIME_LOW latches TIME_HIGH, so read the
 * low word first. The alarm raises the device's interrupt once the time reaches it (after
 * IRQ_ENABLED is set); writing CLEAR_INTERRUPT acknowledges it.
 */
#pragma once

#define GOLDFISH_RTC_TIME_LOW 0x00
#define GOLDFISH_RTC_TIME_HIGH 0x04
#define GOLDFISH_RTC_ALARM_LOW 0x08
#define GOLDFISH_RTC_ALARM_HIGH 0x0c
#define GOLDFISH_RTC_IRQ_ENABLED 0x10
#define GOLDFISH_RTC_CLEAR_INTERRUPT 0x1c
