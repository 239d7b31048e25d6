# Benchmarks (docs/performance.md). Included from the top-level Makefile.
#   make bench        build the release bench image, run it under QEMU -icount, write
#                     build/bench/results.json, print the table, regenerate docs/performance.md
#   make bench-quick  20 samples per metric, VLTEST PASS/FAIL lines, no docs (used by make test)
#   make bench-profile METRIC=name  the instructions of one sample, function by function
# The bench image always uses the RELEASE kernel: the targets build it with a sub-make with
# CONFIG=release, whatever CONFIG this make runs with.

BENCH_IMAGE := $(BUILD)/release/images/bench.bin
# The same program on a benchmark kernel (BENCH_KERNEL=1), for the preemption metrics only.
BENCH_PREEMPT_IMAGE := $(BUILD)/release-bench/images/bench.bin

# The bench root task reads the device tree with the kernel's freestanding parser, links
# the stubs vlidl generates for interfaces/counter.idl (mk/idl.mk) to time them, and lib/ring
# to time rings.
IDL_OBJS_bench = $(O)/idl/counter_client.c.o $(O)/idl/counter_server.c.o
# It also runs the timer service's logic (apps/timer) on lib/hw for timer_deadline_to_client.
BENCH_TIMER_SRCS := apps/timer/service.c apps/timer/timeouts.c apps/timer/goldfish_timer.c \
	lib/hw/src/hw.c lib/hw/src/hw_mmio.c
$(eval $(call program,bench,bench/main.c kernel/src/kernel/fdt.c lib/ring/src/ring.c \
	$(BENCH_TIMER_SRCS)))
$(O)/user/bench/%.c.o: UCFLAGS += -Ikernel/include -Ilib/os/include -Ilib/ring/include \
	-I$(BUILD)/gen
$(O)/user/bench/%.c.o: UCFLAGS += -Ilib/hw/include
$(O)/user/bench/main.c.o: $(BUILD)/gen/counter.h

.PHONY: bench bench-quick bench-image
bench-image:
	$(Q)$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) CONFIG=release \
		BUILD=$(BUILD) $(BENCH_IMAGE)
	$(Q)$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) CONFIG=release \
		BENCH_KERNEL=1 BUILD=$(BUILD) $(BENCH_PREEMPT_IMAGE)

bench: bench-image
	$(Q)$(PYTHON) tools/bench.py --image $(BENCH_IMAGE) --preempt-image $(BENCH_PREEMPT_IMAGE) \
		--out $(BUILD)/bench/results.json

bench-quick: bench-image
	$(Q)$(PYTHON) tools/bench.py --quick --image $(BENCH_IMAGE) \
		--preempt-image $(BENCH_PREEMPT_IMAGE) --out $(BUILD)/bench/results-quick.json

# make bench-profile METRIC=ipc_call_reply_cross_as: where one sample's instructions go
# (tools/bench_profile.py; about a minute).
.PHONY: bench-profile
bench-profile: bench-image
	$(Q)$(PYTHON) tools/bench_profile.py $(or $(METRIC),ipc_call_reply_cross_as) \
		--image $(BENCH_IMAGE) --listing $(BUILD)/bench/profile-$(or $(METRIC),ipc_call_reply_cross_as).txt
