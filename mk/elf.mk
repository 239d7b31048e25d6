# ELF loader library (lib/elf): host unit tests and a fuzz target.
#   make unit-elf                  unit tests under ASan + UBSan, against real RISC-V ELF files
#                                  (test_elf: the loader; test_elf_symbol: elf_find_function,
#                                  each file with what nm says of its functions)
#   make fuzz-elf [FUZZ_SECONDS=N] libFuzzer run (default 20 s), seeded with the same files
# Needs from the including Makefile: BUILD, O, HOST_CC, HOST_CFLAGS, Q, deps-test.
# The real files are tests/unit/elf_prog.c linked with lib/sys/user.ld, plus every program
# already built in $(O)/programs; each is checked against what readelf says about it.

ELF_CROSS ?= riscv64-unknown-elf-
ELF_HOST_O := $(BUILD)/host
ELF_FUZZ_O := $(BUILD)/fuzz
ELF_LIB := lib/elf/src/elf.c lib/elf/include/vallum/elf.h
ELF_PROG := $(ELF_HOST_O)/elf/elf_prog.elf
ELF_FILES = $(ELF_PROG) $(wildcard $(O)/programs/*.elf)
FUZZ_SECONDS ?= 20

.PHONY: unit-elf fuzz-elf

$(ELF_HOST_O)/test_elf: $(ELF_LIB) tests/unit/test_elf.c tests/unit/vltest.h tests/unit/elf_bytes.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/elf/include lib/elf/src/elf.c tests/unit/test_elf.c -o $@

$(ELF_HOST_O)/test_elf_symbol: $(ELF_LIB) tests/unit/test_elf_symbol.c tests/unit/vltest.h \
		tests/unit/elf_bytes.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/elf/include lib/elf/src/elf.c tests/unit/test_elf_symbol.c \
		-o $@

# A small statically linked program with text, rodata, data, bss and TLS.
$(ELF_PROG): tests/unit/elf_prog.c lib/sys/user.ld | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(ELF_CROSS)gcc -std=gnu11 -O2 -Wall -Wextra -Werror -march=rv64imac -mabi=lp64 \
		-mcmodel=medany -ffreestanding -nostdlib -nostartfiles -static -T lib/sys/user.ld \
		-o $@ $<

# The library must also build for the target, freestanding.
$(ELF_HOST_O)/elf/elf.rv64.o: $(ELF_LIB) | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(ELF_CROSS)gcc -std=gnu11 -O2 -march=rv64imac -mabi=lp64 -mcmodel=medany \
		-ffreestanding -Wall -Wextra -Werror -Ilib/elf/include -c lib/elf/src/elf.c -o $@

unit-elf: $(ELF_HOST_O)/test_elf $(ELF_HOST_O)/test_elf_symbol $(ELF_PROG) \
		$(ELF_HOST_O)/elf/elf.rv64.o
	$(Q)args=""; syms=""; for f in $(ELF_FILES); do \
		r=$(ELF_HOST_O)/elf/$$(basename $$f .elf).readelf; \
		n=$(ELF_HOST_O)/elf/$$(basename $$f .elf).nm; \
		$(ELF_CROSS)readelf -lW $$f > $$r || exit 1; \
		$(ELF_CROSS)nm -S --defined-only $$f > $$n || exit 1; \
		args="$$args $$f $$r"; syms="$$syms $$f $$n"; \
	done; \
	st=0; $(ELF_HOST_O)/test_elf $$args || st=1; \
	$(ELF_HOST_O)/test_elf_symbol $$syms || st=1; exit $$st

$(ELF_FUZZ_O)/fuzz_elf: $(ELF_LIB) tests/fuzz/fuzz_elf.c | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Ilib/elf/include lib/elf/src/elf.c tests/fuzz/fuzz_elf.c -o $@

fuzz-elf: $(ELF_FUZZ_O)/fuzz_elf $(ELF_PROG)
	@mkdir -p $(ELF_FUZZ_O)/elf-corpus
	$(Q)cp $(ELF_FILES) $(ELF_FUZZ_O)/elf-corpus/
	$(Q)if $(ELF_FUZZ_O)/fuzz_elf -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-artifact_prefix=$(ELF_FUZZ_O)/elf- $(ELF_FUZZ_O)/elf-corpus \
		> $(ELF_FUZZ_O)/fuzz_elf.log 2>&1; then \
		echo "VLTEST PASS fuzz/elf"; \
	else \
		echo "VLTEST FAIL fuzz/elf see $(ELF_FUZZ_O)/fuzz_elf.log"; \
		tail -n 30 $(ELF_FUZZ_O)/fuzz_elf.log; exit 1; \
	fi
