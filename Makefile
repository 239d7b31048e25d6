# Vallum build. Out-of-tree: everything goes to $(BUILD)/$(CONFIG).
#   make run            build and boot the default system in QEMU
#   make test           run every test (host unit tests, static analysis, QEMU suites)
#   make help           list the targets
# Variables: CONFIG=debug|release, SYSTEM=<name>, BUILD=<dir>, VERBOSE=1.

BUILD ?= build
CONFIG ?= debug
SYSTEM ?= default
# FASTPATH=0 builds the kernel without the IPC fast path (into its own directory).
FASTPATH ?= 1
# BENCH_KERNEL=1 builds a benchmark kernel (its own directory): it records the longest
# stretch between preemption checks for `make bench` (VL_SYS_BENCH_PREEMPT_MAX).
BENCH_KERNEL ?= 0
O := $(BUILD)/$(CONFIG)$(if $(filter 0,$(FASTPATH)),-nofastpath)$(if $(filter 1,$(BENCH_KERNEL)),-bench)
PYTHON := /usr/bin/python3
CROSS := riscv64-unknown-elf-
CC_K := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
HOST_CC := clang-14
QEMU := qemu-system-riscv64
QEMU_FLAGS := -machine virt -cpu rv64 -m 256M -smp 1 -nographic -bios default

ifneq ($(VERBOSE),1)
Q := @
endif

WARN := -std=gnu11 -Wall -Wextra -Werror
ifeq ($(CONFIG),release)
CONFIG_FLAGS := -DNDEBUG -O2
else ifeq ($(CONFIG),debug)
CONFIG_FLAGS := -O2
else
$(error CONFIG must be debug or release)
endif

KCFLAGS := $(WARN) $(CONFIG_FLAGS) $(if $(filter 1,$(FASTPATH)),-DCONFIG_FASTPATH) \
	$(if $(filter 1,$(BENCH_KERNEL)),-DCONFIG_BENCH_PREEMPTION) -g -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany \
	-ffreestanding -nostdlib -fno-builtin -fno-stack-protector -fno-pic \
	-fno-common -Ikernel/include -Iuapi
UCFLAGS := $(WARN) $(CONFIG_FLAGS) -g -march=rv64imac -mabi=lp64 -mcmodel=medany \
	--specs=picolibc.specs -Iuapi -Ilib/sys/include
ULDFLAGS := -nostartfiles -T lib/sys/user.ld -Wl,--gc-sections

KERNEL_C := $(sort $(wildcard kernel/src/api/*.c kernel/src/object/*.c kernel/src/kernel/*.c \
	kernel/src/arch/riscv64/*.c kernel/src/plat/qemu-virt/*.c))
KERNEL_S := kernel/src/arch/riscv64/head.S kernel/src/arch/riscv64/trap.S
KERNEL_OBJS := $(patsubst %,$(O)/%.o,$(KERNEL_C) $(KERNEL_S))
LIBSYS_OBJS := $(O)/lib/sys/src/sys.c.o $(O)/lib/sys/src/mapping.c.o
CRT0 := $(O)/lib/sys/src/crt0.S.o

.PHONY: all run test help deps deps-test clean images bench
# Keep intermediate files (programs, per-image objects) for debugging and fast rebuilds.
.SECONDARY:
.DEFAULT_GOAL := all

all: $(O)/images/init.bin $(O)/images/ktest.bin

help:
	@echo "Vallum targets:"
	@echo "  make run        build and boot the default system in QEMU (init prints a summary)"
	@echo "  make test       run every test; ends with 'N passed, N failed'"
	@echo "  make all        build the boot images into $(O)/images"
	@echo "  make unit       host unit tests only (ASan + UBSan)"
	@echo "  make analyze    static analysis of the kernel (cppcheck, gcc -fanalyzer)"
	@echo "  make bench      benchmarks (release kernel, QEMU -icount): build/bench/results.json"
	@echo "  make bench-quick  quick benchmark sanity check (20 samples, VLTEST lines)"
	@echo "  make bench-profile METRIC=m  instructions of one sample of metric m, by function"
	@echo "  make ktest      the in-QEMU kernel test suite only"
	@echo "  make mutate     mutation testing of the kernel (MUTANTS=100 SEED=1, MUTANT=<id>)"
	@echo "  make clean      remove $(BUILD)"
	@echo "Variables: CONFIG=debug|release (default debug), VERBOSE=1"

deps:
	$(Q)sh mk/deps.sh run

deps-test:
	$(Q)sh mk/deps.sh test

# Kernel objects.
$(O)/kernel/%.c.o: kernel/%.c | deps
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(KCFLAGS) -MMD -MP -c $< -o $@

$(O)/kernel/%.S.o: kernel/%.S | deps
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(KCFLAGS) -MMD -MP -c $< -o $@

# User library and programs.
$(O)/lib/%.c.o: lib/%.c | deps
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(UCFLAGS) -MMD -MP -c $< -o $@

$(O)/lib/%.S.o: lib/%.S | deps
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(UCFLAGS) -c $< -o $@

$(O)/user/%.c.o: %.c | deps
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(UCFLAGS) -MMD -MP -c $< -o $@

# A user program: name, sources.
define program
$(O)/programs/$(1).elf: $(patsubst %,$(O)/user/%.o,$(2)) $(CRT0) $(LIBSYS_OBJS) lib/sys/user.ld
	@mkdir -p $$(dir $$@)
	$(Q)$(CC_K) $(UCFLAGS) $(ULDFLAGS) -o $$@ $(CRT0) $(patsubst %,$(O)/user/%.o,$(2)) $(LIBSYS_OBJS)
endef

$(eval $(call program,init,servers/init/main.c))
$(eval $(call program,proc_hello,tests/os/proc/hello.c))
$(eval $(call program,ktest,$(sort $(wildcard tests/os/*.c)) tests/os/proc_image.S \
	kernel/src/kernel/fdt.c lib/elf/src/elf.c))
# ktest embeds proc_hello and reads ELF files and the device tree with our own parsers.
$(O)/user/tests/os/proc_image.S.o: tests/os/proc_image.S $(O)/programs/proc_hello.elf
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(UCFLAGS) -DPROC_ELF='"$(O)/programs/proc_hello.elf"' -c $< -o $@
$(O)/user/tests/os/%.c.o: UCFLAGS += -Ilib/elf/include
# The test suite reads the device tree with the kernel's (freestanding) parser.
$(O)/user/kernel/src/kernel/fdt.c.o $(O)/user/tests/os/irq_rtc.c.o: UCFLAGS += -Ikernel/include
$(O)/user/lib/elf/src/elf.c.o: UCFLAGS += -Ilib/elf/include

# A boot image: the kernel with one first task linked in.
$(O)/images/%/init_image.o: kernel/src/arch/riscv64/init_image.S $(O)/programs/%.elf
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(KCFLAGS) -DINIT_ELF='"$(O)/programs/$*.elf"' -c $< -o $@

$(O)/images/%.elf: $(KERNEL_OBJS) $(O)/images/%/init_image.o kernel/kernel.ld
	$(Q)$(CC_K) $(KCFLAGS) -T kernel/kernel.ld -Wl,--no-warn-rwx-segments \
		-o $@ $(KERNEL_OBJS) $(O)/images/$*/init_image.o
	@echo "  built $@"

$(O)/images/%.bin: $(O)/images/%.elf
	$(Q)$(OBJCOPY) -O binary $< $@

# Boots systems/$(SYSTEM) (mk/systems.mk builds its image).
run: $(O)/images/$(SYSTEM).bin
	timeout --foreground 120 $(QEMU) $(QEMU_FLAGS) -kernel $<

ktest: $(O)/images/ktest.bin deps-test
	$(PYTHON) tools/qemu_run.py --timeout 300 --name ktest -- $< -m 2G

include mk/host.mk
include mk/analyze.mk
include mk/elf.mk
include mk/bench.mk
include mk/vlsys.mk
include mk/systems.mk
include mk/mutate.mk

test: deps-test all
	@$(PYTHON) tools/test_driver.py tests/steps.txt

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
