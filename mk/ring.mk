# lib/ring and lib/hw (docs/drivers.md): host tests, fuzzing and a target build check.
#   make unit-ring                 lib/ring under ASan + UBSan, with a two-thread stress run
#                                  (RING_STRESS=N transfers, default 2000000)
#   make unit-hw                   lib/hw's host implementation and the example driver
#   make fuzz-ring [FUZZ_SECONDS=N] libFuzzer as the untrusted peer (default 20 s)
#   make fuzz-ring-long            the same for an hour (RING_FUZZ_LONG=seconds), corpus kept
# Needs from the including Makefile: BUILD, HOST_CC, HOST_CFLAGS, Q, deps-test.

RING_LIB := lib/ring/src/ring.c lib/ring/include/vallum/ring.h
HW_LIB := lib/hw/src/hw.c lib/hw/include/vallum/hw.h lib/hw/example/goldfish_clock.c \
	lib/hw/example/goldfish_clock.h
RING_STRESS ?= 2000000
RING_FUZZ_LONG ?= 3600
RING_CROSS ?= riscv64-unknown-elf-
RING_RV64_CFLAGS := -std=gnu11 -O2 -march=rv64imac -mabi=lp64 -mcmodel=medany -ffreestanding \
	-Wall -Wextra -Werror -Ilib/ring/include

.PHONY: unit-ring unit-hw fuzz-ring fuzz-ring-long

$(BUILD)/host/test_ring: $(RING_LIB) tests/unit/ring/test_ring.c tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/ring/include lib/ring/src/ring.c \
		tests/unit/ring/test_ring.c -lpthread -o $@

# The library must build for the target, freestanding (components link it through
# mk/systems.mk; this catches a host-only construct even when no app uses it).
$(BUILD)/host/ring/ring.rv64.o: $(RING_LIB) | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(RING_CROSS)gcc $(RING_RV64_CFLAGS) -c lib/ring/src/ring.c -o $@

unit-ring: $(BUILD)/host/test_ring $(BUILD)/host/ring/ring.rv64.o
	$(Q)$(BUILD)/host/test_ring $(RING_STRESS)

$(BUILD)/host/test_hw: $(HW_LIB) lib/hw/src/hw_host.c tests/unit/hw/test_hw.c \
		tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/hw/include -Ilib/sys/include lib/hw/src/hw.c \
		lib/hw/src/hw_host.c lib/hw/example/goldfish_clock.c tests/unit/hw/test_hw.c -o $@

unit-hw: $(BUILD)/host/test_hw
	$(Q)$(BUILD)/host/test_hw

$(BUILD)/fuzz/fuzz_ring: $(RING_LIB) tests/fuzz/fuzz_ring.c | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Ilib/ring/include lib/ring/src/ring.c tests/fuzz/fuzz_ring.c -o $@

# $(1): seconds; $(2): corpus directory.
define ring_fuzz_run
	@mkdir -p $(2)
	$(Q)if $(BUILD)/fuzz/fuzz_ring -max_total_time=$(1) -timeout=10 \
		-artifact_prefix=$(BUILD)/fuzz/ring- $(2) > $(BUILD)/fuzz/fuzz_ring.log 2>&1; then \
		echo "VLTEST PASS fuzz/ring"; \
	else \
		echo "VLTEST FAIL fuzz/ring see $(BUILD)/fuzz/fuzz_ring.log"; \
		tail -n 30 $(BUILD)/fuzz/fuzz_ring.log; exit 1; \
	fi
endef

fuzz-ring: $(BUILD)/fuzz/fuzz_ring
	$(call ring_fuzz_run,$(FUZZ_SECONDS),$(BUILD)/fuzz/ring-corpus)

fuzz-ring-long: $(BUILD)/fuzz/fuzz_ring
	$(call ring_fuzz_run,$(RING_FUZZ_LONG),$(BUILD)/fuzz/ring-corpus-long)
