# vlsys, the system-description compiler (tools/vlsys), and its tests.
#   $(BUILD)/host/vlsys   the tool (gcc -O2); the build runs it on systems/<name>/system.yaml
#   make unit-vlsys       the tool's tests, against a clang-14 ASan + UBSan build of it
#   make fuzz-vlsys       the description reader under libFuzzer (FUZZ_SECONDS=N, default 20)
# Needs from the including Makefile: BUILD, Q, PYTHON, deps-test. Needs libyaml-dev (mk/deps.sh).

VLSYS_SRCS := $(sort $(wildcard tools/vlsys/*.c)) lib/elf/src/elf.c
VLSYS_DEPS := $(VLSYS_SRCS) $(wildcard tools/vlsys/*.h) lib/elf/include/vallum/elf.h \
	lib/os/include/vallum/sysimage.h lib/ring/include/vallum/ring.h
VLSYS_INC := -Itools/vlsys -Ilib/elf/include -Ilib/os/include -Ilib/ring/include -Iuapi
VLSYS := $(BUILD)/host/vlsys
VLSYS_ASAN := $(BUILD)/host/vlsys-asan

.PHONY: unit-vlsys

$(VLSYS): $(VLSYS_DEPS) | deps-test
	@mkdir -p $(dir $@)
	$(Q)gcc -std=gnu11 -O2 -Wall -Wextra -Werror $(VLSYS_INC) $(VLSYS_SRCS) -lyaml -o $@

$(VLSYS_ASAN): $(VLSYS_DEPS) | deps-test
	@mkdir -p $(dir $@)
	$(Q)clang-14 -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
		-fno-sanitize-recover=all -fno-omit-frame-pointer $(VLSYS_INC) $(VLSYS_SRCS) -lyaml -o $@

unit-vlsys: $(VLSYS) $(VLSYS_ASAN)
	$(Q)$(PYTHON) tests/unit/vlsys/run_tests.py $(VLSYS_ASAN) $(BUILD)/host/vlsys-test

# The description reader (every vlsys source but main.c, over libyaml) under libFuzzer, seeded with
# every description in the tree: make fuzz-vlsys [FUZZ_SECONDS=N].
VLSYS_FUZZ := $(BUILD)/fuzz/fuzz_vlsys
VLSYS_FUZZ_SRCS := $(filter-out tools/vlsys/main.c,$(VLSYS_SRCS))

.PHONY: fuzz-vlsys
$(VLSYS_FUZZ): $(VLSYS_DEPS) tests/fuzz/fuzz_vlsys.c | deps-test
	@mkdir -p $(dir $@)
	$(Q)clang-14 -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $(VLSYS_INC) $(VLSYS_FUZZ_SRCS) tests/fuzz/fuzz_vlsys.c \
		-lyaml -o $@

fuzz-vlsys: $(VLSYS_FUZZ)
	@mkdir -p $(BUILD)/fuzz/vlsys-corpus
	$(Q)for f in systems/*/system.yaml tests/unit/vlsys/fixtures/*.yaml; do \
		cp $$f $(BUILD)/fuzz/vlsys-corpus/$$(echo $$f | tr / _); done
	$(Q)if $(VLSYS_FUZZ) -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=4096 \
		-artifact_prefix=$(BUILD)/fuzz/vlsys- $(BUILD)/fuzz/vlsys-corpus \
		> $(BUILD)/fuzz/fuzz_vlsys.log 2>&1; then \
		echo "VLTEST PASS fuzz/vlsys"; \
	else \
		echo "VLTEST FAIL fuzz/vlsys see $(BUILD)/fuzz/fuzz_vlsys.log"; \
		tail -n 30 $(BUILD)/fuzz/fuzz_vlsys.log; exit 1; \
	fi
