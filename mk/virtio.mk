# lib/virtio (docs/virtio.md): host tests against a simulated device of both transport
# versions, a libFuzzer target playing a hostile device, and a target build check.
#   make unit-virtio                 lib/virtio and the virtio-net driver's core under ASan +
#                                    UBSan; lib/virtio built for RISC-V
#   make fuzz-virtio [FUZZ_SECONDS=N] libFuzzer as the device (default 20 s)
# Needs from the including Makefile: BUILD, HOST_CC, HOST_CFLAGS, Q, deps-test.

VIRTIO_LIB := lib/virtio/src/virtio.c lib/virtio/src/virtq.c $(wildcard lib/virtio/include/vallum/*.h)
VIRTIO_SRCS := lib/virtio/src/virtio.c lib/virtio/src/virtq.c
VIRTIO_INC := -Ilib/virtio/include -Ilib/hw/include

.PHONY: unit-virtio fuzz-virtio

$(BUILD)/host/test_virtio: $(VIRTIO_LIB) lib/hw/src/hw.c lib/hw/src/hw_host.c \
		tests/unit/virtio/test_virtio.c tests/unit/virtio/virtio_model.h tests/unit/vltest.h \
		| deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(VIRTIO_INC) $(VIRTIO_SRCS) lib/hw/src/hw.c \
		lib/hw/src/hw_host.c tests/unit/virtio/test_virtio.c -o $@

# The library must build for the target, freestanding, with the project's warnings.
$(BUILD)/host/virtio/%.rv64.o: lib/virtio/src/%.c $(VIRTIO_LIB) | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(RING_CROSS)gcc $(RING_RV64_CFLAGS) $(VIRTIO_INC) -c $< -o $@

# The virtio-net driver's core (apps/virtio_net/vnet.c) against the same simulated device.
$(BUILD)/host/test_vnet: $(VIRTIO_LIB) lib/hw/src/hw.c lib/hw/src/hw_host.c lib/ring/src/ring.c \
		apps/virtio_net/vnet.c apps/virtio_net/vnet.h tests/unit/virtio/test_vnet.c \
		tests/unit/virtio/virtio_model.h tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(VIRTIO_INC) -Ilib/ring/include $(VIRTIO_SRCS) lib/hw/src/hw.c \
		lib/hw/src/hw_host.c lib/ring/src/ring.c apps/virtio_net/vnet.c \
		tests/unit/virtio/test_vnet.c -o $@

unit-virtio: $(BUILD)/host/test_virtio $(BUILD)/host/test_vnet $(BUILD)/host/virtio/virtio.rv64.o \
		$(BUILD)/host/virtio/virtq.rv64.o
	$(Q)$(BUILD)/host/test_virtio
	$(Q)$(BUILD)/host/test_vnet

$(BUILD)/fuzz/fuzz_virtio: $(VIRTIO_LIB) lib/hw/src/hw.c lib/hw/src/hw_host.c \
		tests/fuzz/fuzz_virtio.c | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(VIRTIO_INC) $(VIRTIO_SRCS) lib/hw/src/hw.c lib/hw/src/hw_host.c \
		tests/fuzz/fuzz_virtio.c -o $@

fuzz-virtio: $(BUILD)/fuzz/fuzz_virtio
	@mkdir -p $(BUILD)/fuzz/virtio-corpus
	$(Q)if $(BUILD)/fuzz/fuzz_virtio -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-artifact_prefix=$(BUILD)/fuzz/virtio- $(BUILD)/fuzz/virtio-corpus \
		> $(BUILD)/fuzz/fuzz_virtio.log 2>&1; then \
		echo "VLTEST PASS fuzz/virtio"; \
	else \
		echo "VLTEST FAIL fuzz/virtio see $(BUILD)/fuzz/fuzz_virtio.log"; \
		tail -n 30 $(BUILD)/fuzz/fuzz_virtio.log; exit 1; \
	fi
