# The serial console (docs/drivers.md, "Writing a driver"): the NS16550 driver core's host
# tests against a simulated UART.
#   make unit-serial   drivers/serial/ns16550 and the console virtualiser's line discipline
#                      (apps/console/lines.c) under ASan + UBSan, and a freestanding target
#                      build of the driver core
#   make fuzz-console  libFuzzer on the line discipline (FUZZ_SECONDS=N, default 20)
# Needs from the including Makefile: BUILD, HOST_CC, HOST_CFLAGS, Q, deps-test, RING_CROSS
# and RING_RV64_CFLAGS (mk/ring.mk).

NS16550_LIB := drivers/serial/ns16550/ns16550.c drivers/serial/ns16550/ns16550.h \
	lib/sys/include/vallum/ns16550.h lib/hw/src/hw.c lib/hw/src/hw_host.c lib/hw/include/vallum/hw.h

.PHONY: unit-serial

$(BUILD)/host/test_ns16550: $(NS16550_LIB) tests/unit/hw/test_ns16550.c tests/unit/hw/ns16550_model.c \
		tests/unit/hw/ns16550_model.h tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/hw/include -Ilib/sys/include lib/hw/src/hw.c \
		lib/hw/src/hw_host.c drivers/serial/ns16550/ns16550.c tests/unit/hw/ns16550_model.c \
		tests/unit/hw/test_ns16550.c -o $@

$(BUILD)/host/serial/ns16550.rv64.o: $(NS16550_LIB) | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(RING_CROSS)gcc $(RING_RV64_CFLAGS) -Ilib/hw/include -Ilib/sys/include \
		-c drivers/serial/ns16550/ns16550.c -o $@

unit-serial: $(BUILD)/host/test_ns16550 $(BUILD)/host/serial/ns16550.rv64.o \
		$(BUILD)/host/test_console_lines
	$(Q)$(BUILD)/host/test_ns16550
	$(Q)$(BUILD)/host/test_console_lines

# The console virtualiser's line discipline (apps/console/lines.c): host tests in
# unit-serial, and libFuzzer (make fuzz-console [FUZZ_SECONDS=N], default 20 s).
CONSOLE_LINES := apps/console/lines.c apps/console/lines.h

$(BUILD)/host/test_console_lines: $(CONSOLE_LINES) tests/unit/console/test_lines.c \
		tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) apps/console/lines.c tests/unit/console/test_lines.c -o $@

.PHONY: fuzz-console
$(BUILD)/fuzz/fuzz_console_lines: $(CONSOLE_LINES) tests/fuzz/fuzz_console_lines.c | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		apps/console/lines.c tests/fuzz/fuzz_console_lines.c -o $@

fuzz-console: $(BUILD)/fuzz/fuzz_console_lines
	@mkdir -p $(BUILD)/fuzz/console-corpus
	$(Q)if $(BUILD)/fuzz/fuzz_console_lines -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-artifact_prefix=$(BUILD)/fuzz/console- $(BUILD)/fuzz/console-corpus \
		> $(BUILD)/fuzz/fuzz_console_lines.log 2>&1; then echo "VLTEST PASS fuzz/console_lines"; \
	else echo "VLTEST FAIL fuzz/console_lines see $(BUILD)/fuzz/fuzz_console_lines.log"; \
		tail -n 30 $(BUILD)/fuzz/fuzz_console_lines.log; exit 1; fi
