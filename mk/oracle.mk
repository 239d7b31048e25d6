# The isolation oracle (tests/os/oracle.c; docs/testing.md): ktest's objects with main.c
# and oracle.c built with -DKTEST_ORACLE_ONLY, so the image runs only the oracle. Each
# parameter set gets its own image (the parameters are compile-time defines).
#   make oracle          ORACLE_STEPS steps x ORACLE_SEEDS seeds from ORACLE_SEED_BASE
#                        (the make-test run); replay a seed: ORACLE_SEED_BASE=N ORACLE_SEEDS=1
#   make oracle-long     10^6 steps (ORACLE_LONG_STEPS) of seed ORACLE_LONG_SEED
#   make oracle-caught   passes only if the oracle fails: for kernels built with a defect
#                        re-enabled, e.g. TEST_DEFECT=PT or SCHED (tests/steps.txt)
ORACLE_STEPS ?= 20000
ORACLE_SEEDS ?= 4
ORACLE_SEED_BASE ?= 1
ORACLE_FIRST_FAIL ?= 0
# A guard against a hang, in wall-clock seconds, not a measure: about 115 s on an idle
# 2-core machine, but three times that when the machine is busy.
ORACLE_TIMEOUT ?= 900
ORACLE_LONG_STEPS ?= 1000000
ORACLE_LONG_SEED ?= 100
ORACLE_RUN ?= oracle
# ORACLE_CFLAGS: more defines for debugging (e.g. -DORACLE_PT_COPIES=0); give ORACLE_TAG too.
ORACLE_NAME := oracle-$(ORACLE_STEPS)x$(ORACLE_SEEDS)s$(ORACLE_SEED_BASE)f$(ORACLE_FIRST_FAIL)$(ORACLE_TAG)
ORACLE_DEFS := -DKTEST_ORACLE_ONLY -DORACLE_STEPS=$(ORACLE_STEPS) -DORACLE_SEEDS=$(ORACLE_SEEDS) \
	-DORACLE_SEED_BASE=$(ORACLE_SEED_BASE) -DORACLE_FIRST_FAIL=$(ORACLE_FIRST_FAIL) \
	$(ORACLE_CFLAGS)
ORACLE_KTEST_OBJS := $(patsubst %,$(O)/user/%.o,$(filter-out tests/os/main.c tests/os/oracle.c, \
	$(wildcard tests/os/*.c)) tests/os/proc_image.S kernel/src/kernel/fdt.c lib/elf/src/elf.c)
ORACLE_OBJS := $(ORACLE_KTEST_OBJS) $(O)/$(ORACLE_NAME)/main.c.o $(O)/$(ORACLE_NAME)/oracle.c.o
ORACLE_IMAGE := $(O)/images/$(ORACLE_NAME).bin

.PHONY: oracle oracle-long oracle-caught

$(O)/$(ORACLE_NAME)/%.c.o: tests/os/%.c | deps
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(UCFLAGS) $(ORACLE_DEFS) -MMD -MP -c $< -o $@

$(O)/programs/$(ORACLE_NAME).elf: $(ORACLE_OBJS) $(CRT0) $(LIBSYS_OBJS) lib/sys/user.ld
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(UCFLAGS) $(ULDFLAGS) -o $@ $(CRT0) $(ORACLE_OBJS) $(LIBSYS_OBJS)

oracle: $(ORACLE_IMAGE) deps-test
	$(PYTHON) tools/qemu_run.py --timeout $(ORACLE_TIMEOUT) --name $(ORACLE_RUN) -- $<

oracle-long:
	$(MAKE) oracle ORACLE_STEPS=$(ORACLE_LONG_STEPS) ORACLE_SEEDS=1 \
		ORACLE_SEED_BASE=$(ORACLE_LONG_SEED) ORACLE_TIMEOUT=100000 ORACLE_RUN=oracle-long

# The run's own VLTEST lines are shown indented (so the test driver does not count them);
# the one result is PASS if the oracle (or the kernel, by panicking) reported a failure.
oracle-caught: $(ORACLE_IMAGE) deps-test
	@mkdir -p $(BUILD)/logs
	@if $(PYTHON) tools/qemu_run.py --timeout $(ORACLE_TIMEOUT) --name $(ORACLE_RUN) -- $< \
		> $(BUILD)/logs/$(ORACLE_RUN).out 2>&1; then \
		sed 's/^/  | /' $(BUILD)/logs/$(ORACLE_RUN).out; \
		echo "VLTEST FAIL $(ORACLE_RUN) the oracle did not catch the defect (TEST_DEFECT=$(TEST_DEFECT))"; \
		exit 1; \
	fi; \
	grep -h -e 'VLTEST FAIL' -e 'oracle: seed' -e 'PANIC' -e 'panic' $(BUILD)/logs/$(ORACLE_RUN).out \
		$(BUILD)/logs/$(ORACLE_RUN).log 2>/dev/null | head -6 | sed 's/^/  caught: /'; \
	echo "VLTEST PASS $(ORACLE_RUN)"
