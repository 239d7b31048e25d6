# Systems: components (apps/<program>/*.c with lib/os), system images (tools/vlsys) and
# one boot image per system with an init that embeds the image.
#   $(O)/programs/<program>.elf   each app, linked with lib/os at 0x10000
#   $(O)/systems/<name>/<program>.elf  the same objects linked at the address `vlsys layout`
#                                 gives the program in system <name> (component.h,
#                                 VL_COMP_PROGRAM_BASE): what the image holds and gdb loads
#   $(O)/systems/<name>.img       systems/<name>/system.yaml compiled by vlsys (it depends on
#                                 the programs the description names, nothing else in apps/)
#   $(O)/systems/<name>.programs.mk  those programs' names and addresses, from `vlsys layout`
#   $(O)/sysinit/<name>.elf       init with that image linked in
#   $(O)/images/<name>.bin        the kernel with that init: `make run SYSTEM=<name>` boots it
#   $(O)/images/<name>-check.bin  the same with the test kernel (the invariant walk, Makefile):
#                                 what tests/integration boots
# Needs from the including Makefile: O, Q, CC_K, UCFLAGS, ULDFLAGS, CRT0, LIBSYS_OBJS,
# KCFLAGS, the program macro, and VLSYS (mk/vlsys.mk).

APPS := $(notdir $(patsubst %/,%,$(wildcard apps/*/)))
SYSTEMS := $(notdir $(patsubst %/,%,$(wildcard systems/*/)))
LIBOS_SRCS := $(sort $(wildcard lib/os/src/*.c))
# lib/ring and lib/hw (with its example driver) for every app; --gc-sections drops what is unused.
COMPONENT_LIB_SRCS := lib/ring/src/ring.c lib/hw/src/hw.c lib/hw/src/hw_mmio.c lib/hw/src/hw_dma.c lib/hw/example/goldfish_clock.c \
	drivers/serial/ns16550/ns16550.c lib/virtio/src/virtio.c lib/virtio/src/virtq.c \
	$(sort $(wildcard lib/net/src/*/*.c))
INIT_SRCS := $(sort $(wildcard servers/init/*.c)) lib/elf/src/elf.c
INIT_OBJS := $(patsubst %,$(O)/user/%.o,$(INIT_SRCS))

.PHONY: systems
systems: $(patsubst %,$(O)/images/%.bin,$(SYSTEMS)) $(patsubst %,$(O)/images/%-check.bin,$(SYSTEMS))

$(O)/user/apps/%.c.o $(O)/user/lib/os/%.c.o $(O)/user/lib/ring/%.c.o $(O)/user/lib/hw/%.c.o \
	$(O)/user/drivers/%.c.o: \
	UCFLAGS += -Ilib/os/include -Ilib/ring/include -Ilib/hw/include -Ilib/virtio/include \
	-Ilib/net/include
$(O)/user/lib/virtio/%.c.o: UCFLAGS += -Ilib/virtio/include -Ilib/hw/include
$(O)/user/lib/net/%.c.o: UCFLAGS += -Ilib/net/include
$(O)/user/servers/init/%.c.o: UCFLAGS += -Ilib/os/include -Ilib/elf/include

$(foreach a,$(APPS),$(eval $(call program,$(a),$(sort $(wildcard apps/$(a)/*.c)) $(LIBOS_SRCS) $(COMPONENT_LIB_SRCS))))

# `vlsys check` first: a description it rejects has an empty program list (below), and
# its diagnostics alone are what to show, not also "program not found" for each program.
$(O)/systems/%.img: systems/%/system.yaml $(VLSYS)
	@mkdir -p $(dir $@)
	$(Q)$(VLSYS) check $<
	$(Q)$(VLSYS) build $< --programs $(O)/systems/$* -o $@

# Each image depends only on the programs its description names (`vlsys programs`), so an
# unfinished app breaks only the systems that use it. $(O)/systems/<name>.programs.mk sets
# programs_of_<name> and layout_of_<name> (program=address words, `vlsys layout`); a
# description vlsys rejects gets empty lists, and building its image then prints vlsys's
# diagnostics. Names without an apps/ folder are left to vlsys too ("program 'x' not
# found"). Read only for goals that may build a system image, so that `make all`, `make
# unit` and the like do not need vlsys.
$(O)/systems/%.programs.mk: systems/%/system.yaml $(VLSYS)
	@mkdir -p $(dir $@)
	$(Q)echo "programs_of_$* := $$($(VLSYS) programs $< 2>/dev/null | tr '\n' ' ')" >$@
	$(Q)echo "layout_of_$* := $$($(VLSYS) layout $< 2>/dev/null | tr ' \n' '= ')" >>$@

ifneq ($(filter run debug systems bad-images %.bin %.elf %.img,$(MAKECMDGOALS)),)
-include $(patsubst %,$(O)/systems/%.programs.mk,$(SYSTEMS))
endif

# Program $(2) of system $(1), linked at its address there (the programs.mk it comes from is
# a prerequisite: a description that reorders its programs moves them).
define system_program
$(O)/systems/$(1)/$(2).elf: $(objs_of_$(2)) $(CRT0) $(LIBSYS_OBJS) lib/sys/user.ld \
		$(O)/systems/$(1).programs.mk
	@mkdir -p $$(dir $$@)
	$(Q)$(CC_K) $(UCFLAGS) $(ULDFLAGS) \
		-Wl,--defsym=__vl_link_base=$(patsubst $(2)=%,%,$(filter $(2)=%,$(layout_of_$(1)))) \
		-o $$@ $(CRT0) $(objs_of_$(2)) $(LIBSYS_OBJS)
endef
$(foreach s,$(SYSTEMS),$(foreach p,$(filter $(APPS),$(programs_of_$(s))),\
	$(eval $(call system_program,$(s),$(p)))))
$(foreach s,$(SYSTEMS),$(eval $(O)/systems/$(s).img: \
	$(patsubst %,$(O)/systems/$(s)/%.elf,$(filter $(APPS),$(programs_of_$(s))))))

$(O)/sysinit/%/sysimage.o: servers/init/sysimage.S $(O)/systems/%.img
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(UCFLAGS) -DSYSIMG='"$(O)/systems/$*.img"' -c $< -o $@

$(O)/sysinit/%.elf: $(INIT_OBJS) $(O)/sysinit/%/sysimage.o $(CRT0) $(LIBSYS_OBJS) lib/sys/user.ld
	$(Q)$(CC_K) $(UCFLAGS) $(ULDFLAGS) -o $@ $(CRT0) $(INIT_OBJS) $(O)/sysinit/$*/sysimage.o \
		$(LIBSYS_OBJS)

# The boot image of each system: explicit rules, ahead of the generic one in the Makefile.
define system_image
$(O)/images/$(1)/init_image.o: kernel/src/arch/riscv64/init_image.S $(O)/sysinit/$(1).elf
	@mkdir -p $$(dir $$@)
	$(Q)$(CC_K) $(KCFLAGS) -DINIT_ELF='"$(O)/sysinit/$(1).elf"' -c $$< -o $$@
endef
$(foreach s,$(SYSTEMS),$(eval $(call system_image,$(s))))

$(O)/images/%-check.elf: $(KERNEL_CHECK_OBJS) $(O)/images/%/init_image.o kernel/kernel.ld
	$(Q)$(CC_K) $(KCFLAGS) -T kernel/kernel.ld -Wl,--no-warn-rwx-segments -o $@ \
		$(KERNEL_CHECK_OBJS) $(O)/images/$*/init_image.o
	@echo "  built $@"

# Damaged images for tests/integration: pingpong's image with one field broken.
BAD_IMAGES := bad_magic bad_size bad_table bad_program bad_string bad_map bad_channel \
	bad_priority bad_untyped bad_debug bad_elf bad_fault_self bad_fault_index bad_fault_cycle \
	bad_fault_channel bad_config bad_config_table bad_config_twice bad_config_count \
	bad_grant_notify bad_channel_flags bad_region_flags bad_map_paddr bad_map_paddr_driver \
	bad_budget bad_period bad_admission bad_console_twice bad_region_kind bad_console_paddr \
	bad_console_maps
$(O)/systems/bad_%.img: $(O)/systems/pingpong.img tests/integration/corrupt_image.py
	$(Q)$(PYTHON) tests/integration/corrupt_image.py bad_$* $< $@
$(foreach s,$(BAD_IMAGES),$(eval $(call system_image,$(s))))
.PHONY: bad-images
bad-images: $(patsubst %,$(O)/images/%.bin,$(BAD_IMAGES))
