# Vallum build. Out-of-tree: everything goes to $(BUILD)/$(CONFIG).
#   make run            build and boot the default system in QEMU
#   make test           run every test (host unit tests, static analysis, QEMU suites)
#   make help           list the targets
#   make sdk            the SDK for projects outside the tree (build/sdk, docs/tutorial.md)
# Variables: CONFIG=debug|release, SYSTEM=<name>, BUILD=<dir>, VERBOSE=1, RUN_SECONDS=<n>,
# MCS=1 (a kernel that enforces scheduling contexts).

BUILD ?= build
CONFIG ?= debug
SYSTEM ?= default
# FASTPATH=0 builds the kernel without the IPC fast path (into its own directory).
FASTPATH ?= 1
# MCS=1 builds a kernel that enforces scheduling contexts' budgets (into its own directory;
# docs/kernel/scheduling.md): a thread runs only on a context with budget left.
MCS ?= 0
# BENCH_KERNEL=1 builds a benchmark kernel (its own directory): it records the longest
# stretch between preemption checks for `make bench` (VL_SYS_BENCH_PREEMPT_MAX).
BENCH_KERNEL ?= 0
# TEST_DEFECT=PT (or SCHED) builds a kernel with a known defect brought back
# (CONFIG_TEST_DEFECT_PT, kernel/include/config.h; CONFIG_TEST_DEFECT_SCHED,
# kernel/src/kernel/thread.c), into its own directory, to show the tests catch it.
TEST_DEFECT ?=
O := $(BUILD)/$(CONFIG)$(if $(filter 0,$(FASTPATH)),-nofastpath)$(if $(filter 1,$(MCS)),-mcs)$(if $(filter 1,$(BENCH_KERNEL)),-bench)$(if $(TEST_DEFECT),-defect-$(TEST_DEFECT))
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
	$(if $(filter 1,$(MCS)),-DCONFIG_MCS) \
	$(if $(filter 1,$(BENCH_KERNEL)),-DCONFIG_BENCH_PREEMPTION) \
	$(if $(TEST_DEFECT),-DCONFIG_TEST_DEFECT_$(TEST_DEFECT)=1) -g -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany \
	-ffreestanding -nostdlib -fno-builtin -fno-stack-protector -fno-pic \
	-fno-common -Ikernel/include -Iuapi
UCFLAGS := $(WARN) $(CONFIG_FLAGS) $(if $(filter 1,$(MCS)),-DCONFIG_MCS) -g -march=rv64imac -mabi=lp64 -mcmodel=medany \
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
	@echo "  make run SYSTEM=<name>  boot systems/<name> (an unknown name lists them)"
	@echo "  make debug SYSTEM=<name>  boot it stopped, in gdb with the symbols of the kernel and"
	@echo "                  of every component (docs/debugging.md; GDB_BATCH=<file>: batch mode)"
	@echo "  make all        build the boot images into $(O)/images"
	@echo "  make sdk        the SDK for projects outside the tree, in $(SDK) (docs/tutorial.md)"
	@echo "  make deps       install the Debian packages the build needs (make deps-test: and the tests';"
	@echo "                  make deps-debug: and gdb-multiarch, for make debug)"
	@echo "  make unit       host unit tests only (ASan + UBSan)"
	@echo "  make analyze    static analysis of the kernel (cppcheck, gcc -fanalyzer)"
	@echo "  make bench      benchmarks (release kernel, QEMU -icount): build/bench/results.json"
	@echo "  make bench-quick  quick benchmark sanity check (20 samples, VLTEST lines)"
	@echo "  make bench-profile METRIC=m  instructions of one sample of metric m, by function"
	@echo "  make ktest      the in-QEMU kernel test suite only"
	@echo "  make ktest-mcs  the kernel suite on a kernel built with MCS=1, under -icount"
	@echo "  make oracle     the isolation oracle (make oracle-long: 10^6 steps)"
	@echo "  make mutate     mutation testing of the kernel (MUTANTS=100 SEED=1, MUTANT=<id>)"
	@echo "  make clean      remove $(BUILD)"
	@echo "Test targets (most are steps of make test, tests/steps.txt; docs/testing.md):"
	@echo "  TEST_FILTER=<regex> make test  only the steps whose name matches, e.g. '^sdk$$'"
	@echo "                  (sdk: the SDK and tutorial tests, tests/sdk)"
	@echo "  make unit-elf, unit-vlsys, unit-vlidl, unit-faults, unit-ring, unit-hw, unit-net,"
	@echo "       unit-fs    one module's host tests (ASan + UBSan)"
	@echo "  make unit-timer  the timer service's driver, timeouts and logic on the host (ASan + UBSan)"
	@echo "  make fuzz-timer  libFuzzer as every client of the timer service's tables (FUZZ_SECONDS)"
	@echo "  make fuzz-fdt, fuzz-elf, fuzz-vlsys, fuzz-idl, fuzz-iface, fuzz-faults, fuzz-ring,"
	@echo "       fuzz-net, fuzz-fs  libFuzzer on one parser, FUZZ_SECONDS=<n> (default 20)"
	@echo "  make fuzz-idl-long, fuzz-ring-long, fuzz-net-long, fuzz-fs-long  longer fuzzing"
	@echo "                  (10 minutes for idl, an hour for the others)"
	@echo "  make unit-tcp, fuzz-tcp  lib/net's TCP alone: host tests (also run by unit-net),"
	@echo "                  libFuzzer on segments against live connections"
	@echo "  make unit-tcp-long, fuzz-tcp-long  TCP bulk transfers with 8x the data and 4 seeds;"
	@echo "                  an hour of fuzz-tcp"
	@echo "  make random-fs-long  lib/fs's random comparison, 20000 steps and 5 seeds"
	@echo "  make fs-iostat  lib/fs's device requests per operation (a measurement, not a test)"
	@echo "  make spin-ring  the ring's signalling protocol model, checked by spin"
	@echo "  make shutdown-test  the power-off and reset systems' exit statuses"
	@echo "  make systems    every system image (make bad-images: the corrupted ones init refuses)"
	@echo "  make oracle-caught TEST_DEFECT=PT  the oracle catches a kernel with a known defect"
	@echo "  make analyze-cppcheck, analyze-gcc  one half of make analyze"
	@echo "  make idl-docs   regenerate docs/interfaces/*.md from interfaces/*.idl"
	@echo "  make crash-fs   lib/fs's journal crash test: every cut point of a recorded workload"
	@echo "  make crash-fs-long  the crash test with more operations and seeds, e2fsck on every cut"
	@echo "  make unit-virtio, fuzz-virtio  lib/virtio against a simulated device (both"
	@echo "                  versions), and libFuzzer as a hostile device (docs/virtio.md)"
	@echo "  make unit-serial  the NS16550 driver core against a simulated UART and the console's"
	@echo "                  line discipline (ASan + UBSan); make fuzz-console: libFuzzer on the latter"
	@echo "  make unit-rng   the entropy service: ChaCha20 (RFC 8439), its generator, and the"
	@echo "                  virtio-rng driver core against a simulated device (ASan + UBSan)"
	@echo "Variables: CONFIG=debug|release (default debug), VERBOSE=1, TEST_DEFECT=PT (a kernel"
	@echo "  with a known defect brought back, to show the tests catch it; docs/testing.md),"
	@echo "  RUN_SECONDS=<n>: make run's time limit (default: none at a terminal, 120 otherwise;"
	@echo "  0: none; reaching it, quitting with Ctrl-A X or a power-off all exit 0: tools/run.sh)"
	@echo "  MCS=1: a kernel that enforces scheduling contexts (build/<config>-mcs; make ktest-mcs"
	@echo "  runs the kernel suite on it; docs/kernel/scheduling.md)"

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

# A user program: name, sources. IDL_OBJS_<name>: its generated interface stubs (mk/idl.mk).
# objs_of_<name>: its objects, which mk/systems.mk links again at each system's address.
define program
objs_of_$(1) := $(patsubst %,$(O)/user/%.o,$(2)) $(IDL_OBJS_$(1))
$(O)/programs/$(1).elf: $(patsubst %,$(O)/user/%.o,$(2)) $(IDL_OBJS_$(1)) $(CRT0) $(LIBSYS_OBJS) lib/sys/user.ld
	@mkdir -p $$(dir $$@)
	$(Q)$(CC_K) $(UCFLAGS) $(ULDFLAGS) -o $$@ $(CRT0) $(patsubst %,$(O)/user/%.o,$(2)) $(IDL_OBJS_$(1)) $(LIBSYS_OBJS)
endef

$(eval $(call program,init,servers/init/main.c))
$(eval $(call program,proc_hello,tests/os/proc/hello.c))
$(eval $(call program,sd_poweroff,tests/os/shutdown/poweroff.c))
$(eval $(call program,sd_reset,tests/os/shutdown/reset.c))
$(eval $(call program,ktest,$(sort $(wildcard tests/os/*.c)) tests/os/proc_image.S \
	kernel/src/kernel/fdt.c lib/elf/src/elf.c))
# ktest embeds proc_hello and reads ELF files and the device tree with our own parsers.
$(O)/user/tests/os/proc_image.S.o: tests/os/proc_image.S $(O)/programs/proc_hello.elf
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(UCFLAGS) -DPROC_ELF='"$(O)/programs/proc_hello.elf"' -c $< -o $@
$(O)/user/tests/os/%.c.o: UCFLAGS += -Ilib/elf/include
# The test suite reads the device tree with the kernel's (freestanding) parser.
$(O)/user/kernel/src/kernel/fdt.c.o $(O)/user/tests/os/irq_rtc.c.o $(O)/user/tests/os/attack.c.o: \
	UCFLAGS += -Ikernel/include
$(O)/user/lib/elf/src/elf.c.o: UCFLAGS += -Ilib/elf/include

# The invariant walk (VL_SYS_DEBUG_CHECK) has no preemption point, so only test kernels
# have it: kernel/src/api/debug.c built a second time with CONFIG_DEBUG_CHECK. The images
# that tests boot link it: ktest, the isolation oracle (oracle-*), init (the boot test)
# and each system's <name>-check (mk/systems.mk); the system images that `make run` boots
# do not.
KERNEL_CHECK_OBJS := $(filter-out $(O)/kernel/src/api/debug.c.o,$(KERNEL_OBJS)) \
	$(O)/kernel-check/src/api/debug.c.o
TEST_IMAGES := ktest init oracle%

$(O)/kernel-check/%.c.o: kernel/%.c | deps
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(KCFLAGS) -DCONFIG_DEBUG_CHECK -MMD -MP -c $< -o $@

# A boot image: the kernel with one first task linked in.
$(O)/images/%/init_image.o: kernel/src/arch/riscv64/init_image.S $(O)/programs/%.elf
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(KCFLAGS) -DINIT_ELF='"$(O)/programs/$*.elf"' -c $< -o $@

$(O)/images/%.elf: $(KERNEL_OBJS) $(KERNEL_CHECK_OBJS) $(O)/images/%/init_image.o kernel/kernel.ld
	$(Q)$(CC_K) $(KCFLAGS) -T kernel/kernel.ld -Wl,--no-warn-rwx-segments -o $@ \
		$(if $(filter $(TEST_IMAGES),$*),$(KERNEL_CHECK_OBJS),$(KERNEL_OBJS)) \
		$(O)/images/$*/init_image.o
	@echo "  built $@"

$(O)/images/%.bin: $(O)/images/%.elf
	$(Q)$(OBJCOPY) -O binary $< $@

ktest: $(O)/images/ktest.bin deps-test
	$(PYTHON) tools/qemu_run.py --timeout 300 --name ktest -- $< -m 2G

# The kernel suite on a kernel that enforces scheduling contexts, on the virtual clock.
.PHONY: ktest-mcs
ktest-mcs: deps-test
	$(Q)$(MAKE) --no-print-directory MCS=1 CONFIG=$(CONFIG) BUILD=$(BUILD) all
	$(PYTHON) tools/qemu_run.py --timeout 300 --icount --name ktest-mcs -- \
		$(BUILD)/$(CONFIG)-mcs/images/ktest.bin -m 2G

# Shutdown_PowerOff ends QEMU with the status given (42); a first task still running after
# 60 s fails (timeout's status 124). Shutdown_Reset reboots the machine, which boots the
# same image again and resets again: the step lets it run 3 s and wants at least two boots
# in the console log (a power-off would show one). Logs: build/logs/shutdown-*.log.
.PHONY: shutdown-test
shutdown-test: $(O)/images/sd_poweroff.bin $(O)/images/sd_reset.bin
	$(Q)mkdir -p $(BUILD)/logs; st=0; timeout --foreground 60 $(QEMU) $(QEMU_FLAGS) \
		-kernel $(O)/images/sd_poweroff.bin </dev/null >$(BUILD)/logs/shutdown-poweroff.log \
		|| st=$$?; \
	if [ $$st -eq 42 ]; then echo "VLTEST PASS shutdown/power_off_status"; \
	else echo "VLTEST FAIL shutdown/power_off_status QEMU exited with $$st, not 42"; fi; \
	timeout --foreground 3 $(QEMU) $(QEMU_FLAGS) -kernel $(O)/images/sd_reset.bin \
		</dev/null >$(BUILD)/logs/shutdown-reset.log; \
	boots=$$(grep -c 'starting init' $(BUILD)/logs/shutdown-reset.log); \
	if [ $$boots -ge 2 ]; then echo "VLTEST PASS shutdown/reset"; \
	else echo "VLTEST FAIL shutdown/reset $$boots boot(s) in 3 s, want 2 or more"; fi; \
	[ $$st -eq 42 ] && [ $$boots -ge 2 ]

include mk/host.mk
include mk/analyze.mk
include mk/elf.mk
include mk/ring.mk
include mk/virtio.mk
include mk/serial.mk
include mk/net.mk
include mk/fs.mk
include mk/bench.mk
include mk/vlsys.mk
include mk/idl.mk
include mk/systems.mk
include mk/faults.mk
include mk/sdk.mk
include mk/oracle.mk
include mk/mutate.mk
include mk/timer.mk
include mk/rng.mk

# Boots systems/$(SYSTEM) (mk/systems.mk builds its image) through tools/run.sh: RUN_SECONDS
# and the exit status are described there.
RUN_SECONDS ?=
ifneq ($(filter $(SYSTEM),$(SYSTEMS)),)
run: $(O)/images/$(SYSTEM).bin
	$(Q)RUN_SECONDS='$(RUN_SECONDS)' QEMU='$(QEMU)' sh tools/run.sh \
		--args-file systems/$(SYSTEM)/qemu.args $<
else
run:
	@echo "make run: there is no system '$(SYSTEM)' (no systems/$(SYSTEM)/system.yaml)." >&2
	@echo "Systems: $(SYSTEMS)" >&2
	@exit 2
endif

# Debugs systems/$(SYSTEM) in gdb (tools/debug.sh, docs/debugging.md): QEMU stopped at its
# first instruction with its gdb stub on a free port, gdb-multiarch with the symbols of the
# kernel, init and every program (each linked at its own address), from a script written to
# $(O)/debug/$(SYSTEM).gdb; the console goes to $(O)/debug/$(SYSTEM).console.
# GDB_BATCH=FILE runs gdb in batch mode on the commands in FILE (tests/integration/test_debug.py).
GDB_BATCH ?=
# The component names of `vlsys dump`'s "component N 'NAME': ..." lines, for vl-break.
VLSYS_COMPONENTS := sed -n "s/^component [0-9]* '\([^']*\)':.*/\1/p" | tr '\n' ' '
.PHONY: debug deps-debug
deps-debug:
	$(Q)sh mk/deps.sh debug

ifneq ($(filter $(SYSTEM),$(SYSTEMS)),)
debug: $(O)/images/$(SYSTEM).bin $(O)/sysinit/$(SYSTEM).elf tools/vallum-gdb.py | deps-debug
	$(Q)QEMU='$(QEMU)' sh tools/debug.sh --args-file systems/$(SYSTEM)/qemu.args \
		--components "$$($(VLSYS) dump $(O)/systems/$(SYSTEM).img | $(VLSYS_COMPONENTS))" \
		$(if $(GDB_BATCH),--batch $(GDB_BATCH)) $< $(O)/debug/$(SYSTEM).gdb \
		$(O)/images/$(SYSTEM).elf $(O)/sysinit/$(SYSTEM).elf \
		$(patsubst %,$(O)/systems/$(SYSTEM)/%.elf,$(filter $(APPS),$(programs_of_$(SYSTEM))))
else
debug:
	@echo "make debug: there is no system '$(SYSTEM)' (no systems/$(SYSTEM)/system.yaml)." >&2
	@echo "Systems: $(SYSTEMS)" >&2
	@exit 2
endif

test: deps-test all
	@$(PYTHON) tools/test_driver.py tests/steps.txt

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
