# lib/ring and lib/hw (docs/drivers.md): host tests, fuzzing and a target build check.
#   make unit-ring                 lib/ring under ASan + UBSan, with a two-thread stress run
#                                  (RING_STRESS=N transfers, default 2000000); then the
#                                  two-thread tests again under ThreadSanitizer
#   make unit-hw                   lib/hw's host implementation and the example driver
#   make fuzz-ring [FUZZ_SECONDS=N] libFuzzer as the untrusted peer (default 20 s)
#   make fuzz-ring-long            the same for an hour (RING_FUZZ_LONG=seconds), corpus kept
#   make spin-ring                 the Promela model of the signalling protocol, checked by spin
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

# The same tests under ThreadSanitizer (which cannot be combined with ASan): the two-thread
# ones only, with a tenth of the stress transfers (TSan is slow). Checks the library's atomics
# and fences leave no data race.
$(BUILD)/host/test_ring_tsan: $(RING_LIB) tests/unit/ring/test_ring.c tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=thread -Ilib/ring/include \
		lib/ring/src/ring.c tests/unit/ring/test_ring.c -lpthread -o $@

unit-ring: $(BUILD)/host/test_ring $(BUILD)/host/test_ring_tsan $(BUILD)/host/ring/ring.rv64.o
	$(Q)$(BUILD)/host/test_ring $(RING_STRESS)
	$(Q)TSAN_OPTIONS=halt_on_error=1 $(BUILD)/host/test_ring_tsan $$(($(RING_STRESS) / 10)) tsan

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

# The Promela model of the signalling protocol (tests/model/ring_signal.pml), checked by
# spin: the protocol as written must verify (no lost wakeup, no overflow, no buffer owned
# twice), and the variant without the consumer's re-check (-DBROKEN) must be rejected.
.PHONY: spin-ring
SPIN_O := $(BUILD)/spin

# $(1): ok or broken; $(2): spin's defines.
define spin_model
$(SPIN_O)/$(1)/pan: tests/model/ring_signal.pml | deps-test
	@mkdir -p $$(dir $$@)
	$(Q)cd $$(dir $$@) && spin $(2) -a $$(abspath $$<) >/dev/null && gcc -O2 -w -o pan pan.c
endef
$(eval $(call spin_model,ok,))
$(eval $(call spin_model,broken,-DBROKEN))

spin-ring: $(SPIN_O)/ok/pan $(SPIN_O)/broken/pan
	$(Q)cd $(SPIN_O)/ok && ./pan -m100000 > pan.log 2>&1; \
	if grep -q "errors: 0" pan.log; then echo "VLTEST PASS spin/ring_signal"; \
	else echo "VLTEST FAIL spin/ring_signal see $(SPIN_O)/ok/pan.log"; tail -n 20 pan.log; exit 1; fi
	$(Q)cd $(SPIN_O)/broken && rm -f *.trail && ./pan -m100000 > pan.log 2>&1; \
	if grep -q "invalid end state" pan.log; then echo "VLTEST PASS spin/ring_signal_broken_rejected"; \
	else echo "VLTEST FAIL spin/ring_signal_broken_rejected spin accepted the model without the re-check"; exit 1; fi
