# The timer service (apps/timer, docs/drivers.md#the-timer-service): host tests.
#   make unit-timer   the goldfish driver core against a simulated goldfish RTC, the timeouts
#                     tables and heap against a reference, and the service on the simulated
#                     clock (ASan + UBSan)
# Needs from the including Makefile: BUILD, HOST_CC, HOST_CFLAGS, Q, deps-test.

TIMER_SRCS := apps/timer/goldfish_timer.c apps/timer/timeouts.c apps/timer/service.c

.PHONY: unit-timer

$(BUILD)/host/test_timer: $(TIMER_SRCS) $(wildcard apps/timer/*.h) lib/hw/src/hw.c \
		lib/hw/src/hw_host.c tests/unit/timer/test_timer.c tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/hw/include -Ilib/sys/include $(TIMER_SRCS) \
		lib/hw/src/hw.c lib/hw/src/hw_host.c tests/unit/timer/test_timer.c -o $@

unit-timer: $(BUILD)/host/test_timer
	$(Q)$(BUILD)/host/test_timer
