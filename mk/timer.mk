# The timer service (apps/timer, docs/drivers.md#the-timer-service): host tests.
#   make fuzz-timer [FUZZ_SECONDS=N]  libFuzzer over the timeout tables (default 20 s)
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

# libFuzzer as every client at once (tests/fuzz/fuzz_timer.c): any ids, deadlines, periods
# and clock jumps, with a model of the tables as the oracle.
.PHONY: fuzz-timer
$(BUILD)/fuzz/fuzz_timer: apps/timer/timeouts.c apps/timer/timeouts.h tests/fuzz/fuzz_timer.c \
		| deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		apps/timer/timeouts.c tests/fuzz/fuzz_timer.c -o $@

fuzz-timer: $(BUILD)/fuzz/fuzz_timer
	@mkdir -p $(BUILD)/fuzz/timer-corpus
	$(Q)if $(BUILD)/fuzz/fuzz_timer -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-artifact_prefix=$(BUILD)/fuzz/timer- $(BUILD)/fuzz/timer-corpus \
		> $(BUILD)/fuzz/fuzz_timer.log 2>&1; then \
		echo "VLTEST PASS fuzz/timer"; \
	else \
		echo "VLTEST FAIL fuzz/timer see $(BUILD)/fuzz/fuzz_timer.log"; \
		tail -n 30 $(BUILD)/fuzz/fuzz_timer.log; exit 1; \
	fi
