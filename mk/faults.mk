# init's fault-service checks (servers/init/faultcheck.c, docs/faults.md) on the host.
#   make unit-faults                 unit tests under ASan + UBSan
#   make fuzz-faults [FUZZ_SECONDS=N] libFuzzer run (default 20 s)
# Needs from the including Makefile: BUILD, HOST_CC, HOST_CFLAGS, Q, deps-test.

FAULTS_SRC := servers/init/faultcheck.c
FAULTS_DEPS := $(FAULTS_SRC) servers/init/faultcheck.h lib/os/include/vallum/faultsvc.h \
	lib/os/include/vallum/sysimage.h lib/os/include/vallum/component.h uapi/vallum/fault.h
FAULTS_INC := -Iservers/init -Ilib/os/include -Iuapi

.PHONY: unit-faults fuzz-faults

$(BUILD)/host/test_faultcheck: $(FAULTS_DEPS) tests/unit/test_faultcheck.c tests/unit/vltest.h \
		| deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(FAULTS_INC) $(FAULTS_SRC) tests/unit/test_faultcheck.c -o $@

unit-faults: $(BUILD)/host/test_faultcheck
	$(Q)$(BUILD)/host/test_faultcheck

$(BUILD)/fuzz/fuzz_faultcheck: $(FAULTS_DEPS) tests/fuzz/fuzz_faultcheck.c | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(FAULTS_INC) $(FAULTS_SRC) tests/fuzz/fuzz_faultcheck.c -o $@

fuzz-faults: $(BUILD)/fuzz/fuzz_faultcheck
	@mkdir -p $(BUILD)/fuzz/faults-corpus
	$(Q)if $(BUILD)/fuzz/fuzz_faultcheck -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-artifact_prefix=$(BUILD)/fuzz/faults- $(BUILD)/fuzz/faults-corpus \
		> $(BUILD)/fuzz/fuzz_faultcheck.log 2>&1; then \
		echo "VLTEST PASS fuzz/faults"; \
	else \
		tail -30 $(BUILD)/fuzz/fuzz_faultcheck.log; \
		echo "VLTEST FAIL fuzz/faults see $(BUILD)/fuzz/fuzz_faultcheck.log"; exit 1; \
	fi
