# Host builds of portable modules, under AddressSanitizer and UndefinedBehaviorSanitizer.
HOST_O := $(BUILD)/host
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -Ikernel/include -Iuapi

.PHONY: unit analyze fuzz

$(HOST_O)/test_fdt: kernel/src/kernel/fdt.c tests/unit/test_fdt.c kernel/include/kernel/fdt.h \
		tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) kernel/src/kernel/fdt.c tests/unit/test_fdt.c -o $@

unit: $(HOST_O)/test_fdt $(HOST_O)/test_kernel
	$(Q)sh tests/unit/fdt_gen.sh $(HOST_O)/dtb && $(HOST_O)/test_fdt $(HOST_O)/dtb
	$(Q)$(HOST_O)/test_kernel

# The portable kernel core (capabilities, CSpace, untyped, deletion, scheduler, IPC, Sv39
# page tables, the IPC fast path) on the host, against the arch/platform shim in
# tests/unit/kernel/host_arch.c. string.c and printf.c stay out: libc provides
# memset/memcpy and the shim provides kprintf and panics. arch_finalise_cap is wrapped so
# the shim can count calls to it. tests/unit/kernel/host_include comes before kernel/include:
# its arch/vspace_switch.h replaces the kernel's, which writes the satp CSR.
KTEST_CFLAGS := -Itests/unit/kernel/host_include -Itests/unit/kernel -DCONFIG_FASTPATH -DCONFIG_DEBUG_CHECK \
	-Wl,--wrap=arch_finalise_cap
KERNEL_PORTABLE_C := $(addprefix kernel/src/object/,cap.c cnode.c untyped.c tcb.c endpoint.c \
	notification.c objecttype.c irq.c shutdown.c schedcontext.c) \
	$(addprefix kernel/src/kernel/,cspace.c delete.c thread.c invariants.c refill.c) \
	$(addprefix kernel/src/api/,debug.c faults.c syscall.c fastpath.c) \
	kernel/src/arch/riscv64/pagetable.c kernel/src/arch/riscv64/asid.c
KTEST_C := $(sort $(wildcard tests/unit/kernel/*.c))
KTEST_H := $(shell find tests/unit/kernel kernel/include uapi -name '*.h')

# tests/unit/kernel/test_printf.c and test_string.c include the kernel's printf.c and
# string.c (under other names: the host build otherwise uses the shim's and libc's).
$(HOST_O)/test_kernel: $(KERNEL_PORTABLE_C) kernel/src/kernel/printf.c kernel/src/kernel/string.c \
		$(KTEST_C) $(KTEST_H) | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(KTEST_CFLAGS) $(HOST_CFLAGS) $(KERNEL_PORTABLE_C) $(KTEST_C) -o $@

# Device-tree parser fuzzing (libFuzzer), seeded with QEMU's own device trees.
.PHONY: fuzz-fdt
$(BUILD)/fuzz/fuzz_fdt: kernel/src/kernel/fdt.c tests/fuzz/fuzz_fdt.c | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Ikernel/include kernel/src/kernel/fdt.c tests/fuzz/fuzz_fdt.c -o $@

fuzz-fdt: $(BUILD)/fuzz/fuzz_fdt
	$(Q)sh tests/unit/fdt_gen.sh $(BUILD)/fuzz/fdt-corpus >/dev/null
	$(Q)if $(BUILD)/fuzz/fuzz_fdt -max_total_time=$(FUZZ_SECONDS) $(BUILD)/fuzz/fdt-corpus \
		> $(BUILD)/fuzz/fuzz_fdt.log 2>&1; then echo "VLTEST PASS fuzz/fdt"; \
	else tail -30 $(BUILD)/fuzz/fuzz_fdt.log; echo "VLTEST FAIL fuzz/fdt crash, see $(BUILD)/fuzz/fuzz_fdt.log"; exit 1; fi
