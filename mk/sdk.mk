# The SDK: what a project outside this tree needs to build and boot Vallum systems
# (docs/tutorial.md uses it; layout in sdk/README.md, which is copied into it).
#   make sdk   builds $(SDK) (default build/sdk) from the current CONFIG
#
# Everything is copied, nothing links back into the tree, so the SDK folder can be moved or
# copied to another machine with the same host tools (the cross compiler, picolibc, QEMU,
# libyaml). Host tools go to bin/ from SDK_TOOLS: a tool's own mk file appends its built
# binary (SDK_TOOLS += $(BUILD)/host/<tool>) and is included before this file, whose rule
# reads the list as a prerequisite.
# Needs from the including Makefile: O, Q, BUILD, CONFIG, CROSS, CRT0, LIBSYS_OBJS,
# KERNEL_OBJS, KERNEL_CHECK_OBJS, INIT_OBJS and LIBOS_SRCS (mk/systems.mk), VLSYS.

SDK ?= $(BUILD)/sdk
SDK_TOOLS += $(VLSYS)
SDK_HEADERS := $(wildcard uapi/vallum/*.h lib/sys/include/vallum/*.h lib/os/include/vallum/*.h \
	lib/ring/include/vallum/*.h lib/hw/include/vallum/*.h)
LIBOS_OBJS := $(patsubst %,$(O)/user/%.o,$(LIBOS_SRCS) $(COMPONENT_LIB_SRCS))

.PHONY: sdk
sdk: $(SDK_TOOLS) $(SDK_HEADERS) sdk/vallum.mk sdk/README.md tools/run.sh tools/debug.sh \
		tools/vallum-gdb.py $(CRT0) \
		$(LIBSYS_OBJS) $(LIBOS_OBJS) $(INIT_OBJS) $(KERNEL_OBJS) $(KERNEL_CHECK_OBJS) \
		lib/sys/user.ld kernel/kernel.ld kernel/src/arch/riscv64/init_image.S \
		servers/init/sysimage.S
	$(Q)rm -rf $(SDK)
	$(Q)mkdir -p $(SDK)/bin $(SDK)/include/vallum $(SDK)/lib $(SDK)/boot
	$(Q)cp $(SDK_TOOLS) $(SDK)/bin/
	$(Q)cp tools/run.sh $(SDK)/bin/vallum-run
	$(Q)chmod +x $(SDK)/bin/vallum-run
	$(Q)cp tools/debug.sh $(SDK)/bin/vallum-debug
	$(Q)cp tools/vallum-gdb.py $(SDK)/bin/
	$(Q)chmod +x $(SDK)/bin/vallum-debug
	$(Q)cp $(SDK_HEADERS) $(SDK)/include/vallum/
	$(Q)cp sdk/vallum.mk sdk/README.md $(SDK)/
	$(Q)cp $(CRT0) $(SDK)/lib/crt0.o
	$(Q)cp lib/sys/user.ld $(SDK)/lib/
	$(Q)$(CROSS)ar rcs $(SDK)/lib/libvlsys.a $(LIBSYS_OBJS)
	$(Q)$(CROSS)ar rcs $(SDK)/lib/libvlos.a $(LIBOS_OBJS)
	$(Q)$(CROSS)ld -r -o $(SDK)/boot/init.o $(INIT_OBJS)
	$(Q)$(CROSS)ld -r -o $(SDK)/boot/kernel.o $(KERNEL_OBJS)
	$(Q)$(CROSS)ld -r -o $(SDK)/boot/kernel-check.o $(KERNEL_CHECK_OBJS)
	$(Q)cp kernel/kernel.ld kernel/src/arch/riscv64/init_image.S servers/init/sysimage.S \
		$(SDK)/boot/
	$(Q)echo "Vallum SDK, $(CONFIG) build of $$(git describe --always --dirty 2>/dev/null \
		|| echo 'an unknown revision')" >$(SDK)/VERSION
	@echo "  built $(SDK)"
