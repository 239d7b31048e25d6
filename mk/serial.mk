# The serial console (docs/drivers.md, "Writing a driver"): the NS16550 driver core's host
# tests against a simulated UART.
#   make unit-serial   drivers/serial/ns16550 under ASan + UBSan, and a freestanding target
#                      build of it
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

unit-serial: $(BUILD)/host/test_ns16550 $(BUILD)/host/serial/ns16550.rv64.o
	$(Q)$(BUILD)/host/test_ns16550
