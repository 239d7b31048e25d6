# lib/net (docs/network.md): host tests, fuzzing and a target build check.
#   make unit-net                  lib/net's host tests (stack, DHCP, DNS) under ASan + UBSan;
#                                  every file of lib/net built for RISC-V (the components'
#                                  flags); cppcheck and gcc -fanalyzer
#   make fuzz-net [FUZZ_SECONDS=N] libFuzzer on three stacks fed arbitrary frames, DHCP and
#                                  DNS replies and events, seeded with tests/fuzz/corpus/net
#                                  (default 20 s)
#   make fuzz-net-long             the same for an hour (NET_FUZZ_LONG=seconds), corpus kept
#                                  in $(BUILD)/fuzz/net-corpus-long
# Needs from the including Makefile: BUILD, HOST_CC, HOST_CFLAGS, Q, deps-test.

NET_SRC := $(sort $(wildcard lib/net/src/*/*.c))
NET_H := $(wildcard lib/net/include/vallum/net/*.h) lib/net/src/net_internal.h
NET_FUZZ_LONG ?= 3600
NET_CROSS ?= riscv64-unknown-elf-
NET_RV64_CFLAGS := -std=gnu11 -O2 -march=rv64imac -mabi=lp64 -mcmodel=medany \
	--specs=picolibc.specs -Wall -Wextra -Werror -Ilib/net/include

.PHONY: unit-net fuzz-net fuzz-net-long unit-tcp unit-tcp-long

$(BUILD)/host/test_net: $(NET_SRC) $(NET_H) tests/unit/net/test_net.c tests/unit/net/netsim.h \
		tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/net/include $(NET_SRC) tests/unit/net/test_net.c -o $@

$(BUILD)/host/test_dhcp: $(NET_SRC) $(NET_H) tests/unit/net/test_dhcp.c tests/unit/net/netsim.h \
		tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/net/include $(NET_SRC) tests/unit/net/test_dhcp.c -o $@

$(BUILD)/host/test_tcp: $(NET_SRC) $(NET_H) tests/unit/net/test_tcp.c tests/unit/net/netsim.h \
		tests/unit/net/tcpsim.h tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/net/include $(NET_SRC) tests/unit/net/test_tcp.c -o $@

$(BUILD)/host/test_dns: $(NET_SRC) $(NET_H) tests/unit/net/test_dns.c tests/unit/net/netsim.h \
		tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/net/include $(NET_SRC) tests/unit/net/test_dns.c -o $@

# The library must build for the target with the components' C library (picolibc): this
# catches a host-only construct even before a component links it.
NET_RV64_O := $(patsubst lib/net/src/%.c,$(BUILD)/host/net-rv64/%.o,$(NET_SRC))
$(BUILD)/host/net-rv64/%.o: lib/net/src/%.c $(NET_H) | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(NET_CROSS)gcc $(NET_RV64_CFLAGS) -c $< -o $@

unit-net: $(BUILD)/host/test_net $(BUILD)/host/test_dhcp $(BUILD)/host/test_dns \
		$(BUILD)/host/test_tcp $(NET_RV64_O)
	$(Q)$(BUILD)/host/test_net
	$(Q)$(BUILD)/host/test_dhcp
	$(Q)$(BUILD)/host/test_dns
	$(Q)$(BUILD)/host/test_tcp
	$(Q)echo "VLTEST PASS net/builds_for_riscv64"
	$(Q)cppcheck --quiet --enable=warning,portability,performance --std=c11 --inline-suppr \
		--error-exitcode=1 --suppress=missingIncludeSystem -Ilib/net/include $(NET_SRC) && \
		echo "VLTEST PASS net/cppcheck" || (echo "VLTEST FAIL net/cppcheck findings above"; exit 1)
	$(Q)fail=0; for f in $(NET_SRC); do \
		out=$$($(NET_CROSS)gcc $(NET_RV64_CFLAGS) -fanalyzer -c $$f -o /dev/null 2>&1); \
		if [ -n "$$out" ]; then echo "$$out"; fail=1; fi; \
	done; \
	if [ $$fail = 0 ]; then echo "VLTEST PASS net/gcc-fanalyzer"; \
	else echo "VLTEST FAIL net/gcc-fanalyzer findings above"; exit 1; fi

$(BUILD)/fuzz/fuzz_net: $(NET_SRC) $(NET_H) tests/fuzz/fuzz_net.c tests/unit/net/netsim.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Ilib/net/include $(NET_SRC) tests/fuzz/fuzz_net.c -o $@

# $(1): seconds; $(2): corpus directory (the seeds in the tree are read, never written).
define net_fuzz_run
	@mkdir -p $(2)
	$(Q)if $(BUILD)/fuzz/fuzz_net -max_total_time=$(1) -timeout=10 -max_len=8192 \
		-artifact_prefix=$(BUILD)/fuzz/net- $(2) tests/fuzz/corpus/net \
		> $(BUILD)/fuzz/fuzz_net.log 2>&1; then \
		echo "VLTEST PASS fuzz/net"; \
	else \
		echo "VLTEST FAIL fuzz/net see $(BUILD)/fuzz/fuzz_net.log"; \
		tail -n 30 $(BUILD)/fuzz/fuzz_net.log; exit 1; \
	fi
endef

fuzz-net: $(BUILD)/fuzz/fuzz_net
	$(call net_fuzz_run,$(FUZZ_SECONDS),$(BUILD)/fuzz/net-corpus)

fuzz-net-long: $(BUILD)/fuzz/fuzz_net
	$(call net_fuzz_run,$(NET_FUZZ_LONG),$(BUILD)/fuzz/net-corpus-long)

# TCP alone (the quick loop), and its long run: the bulk transfers with 8x the data and
# four seeds per link profile.
unit-tcp: $(BUILD)/host/test_tcp
	$(Q)$(BUILD)/host/test_tcp

unit-tcp-long: $(BUILD)/host/test_tcp
	$(Q)$(BUILD)/host/test_tcp --long

# libFuzzer on TCP segment processing against live connections (tests/fuzz/fuzz_tcp.c).
#   make fuzz-tcp [FUZZ_SECONDS=N]   seeded with tests/fuzz/corpus/tcp
#   make fuzz-tcp-long               an hour (NET_FUZZ_LONG=seconds)
$(BUILD)/fuzz/fuzz_tcp: $(NET_SRC) $(NET_H) tests/fuzz/fuzz_tcp.c tests/unit/net/netsim.h \
		tests/unit/net/tcpsim.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Ilib/net/include $(NET_SRC) tests/fuzz/fuzz_tcp.c -o $@

define tcp_fuzz_run
	@mkdir -p $(2)
	$(Q)if $(BUILD)/fuzz/fuzz_tcp -max_total_time=$(1) -timeout=10 -max_len=4096 \
		-artifact_prefix=$(BUILD)/fuzz/tcp- $(2) tests/fuzz/corpus/tcp \
		> $(BUILD)/fuzz/fuzz_tcp.log 2>&1; then \
		echo "VLTEST PASS fuzz/tcp"; \
	else \
		echo "VLTEST FAIL fuzz/tcp see $(BUILD)/fuzz/fuzz_tcp.log"; \
		tail -n 30 $(BUILD)/fuzz/fuzz_tcp.log; exit 1; \
	fi
endef

.PHONY: fuzz-tcp fuzz-tcp-long
fuzz-tcp: $(BUILD)/fuzz/fuzz_tcp
	$(call tcp_fuzz_run,$(FUZZ_SECONDS),$(BUILD)/fuzz/tcp-corpus)

fuzz-tcp-long: $(BUILD)/fuzz/fuzz_tcp
	$(call tcp_fuzz_run,$(NET_FUZZ_LONG),$(BUILD)/fuzz/tcp-corpus-long)
