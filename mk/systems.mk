# Systems: components (apps/<program>/*.c with lib/os), system images (tools/vlsys) and
# one boot image per system with an init that embeds the image.
#   $(O)/programs/<program>.elf   each app, linked with lib/os
#   $(O)/systems/<name>.img       systems/<name>/system.yaml compiled by vlsys
#   $(O)/sysinit/<name>.elf       init with that image linked in
#   $(O)/images/<name>.bin        the kernel with that init: `make run SYSTEM=<name>` boots it
#   $(O)/images/<name>-check.bin  the same with the test kernel (the invariant walk, Makefile):
#                                 what tests/integration boots
# Needs from the including Makefile: O, Q, CC_K, UCFLAGS, ULDFLAGS, CRT0, LIBSYS_OBJS,
# KCFLAGS, the program macro, and VLSYS (mk/vlsys.mk).

APPS := $(notdir $(patsubst %/,%,$(wildcard apps/*/)))
SYSTEMS := $(notdir $(patsubst %/,%,$(wildcard systems/*/)))
LIBOS_SRCS := $(sort $(wildcard lib/os/src/*.c))
INIT_SRCS := $(sort $(wildcard servers/init/*.c)) lib/elf/src/elf.c
INIT_OBJS := $(patsubst %,$(O)/user/%.o,$(INIT_SRCS))
APP_PROGRAMS := $(patsubst %,$(O)/programs/%.elf,$(APPS))

.PHONY: systems
systems: $(patsubst %,$(O)/images/%.bin,$(SYSTEMS)) $(patsubst %,$(O)/images/%-check.bin,$(SYSTEMS))

$(O)/user/apps/%.c.o $(O)/user/lib/os/%.c.o: UCFLAGS += -Ilib/os/include
$(O)/user/servers/init/%.c.o: UCFLAGS += -Ilib/os/include -Ilib/elf/include

$(foreach a,$(APPS),$(eval $(call program,$(a),$(sort $(wildcard apps/$(a)/*.c)) $(LIBOS_SRCS))))

$(O)/systems/%.img: systems/%/system.yaml $(VLSYS) $(APP_PROGRAMS)
	@mkdir -p $(dir $@)
	$(Q)$(VLSYS) build $< --programs $(O)/programs -o $@

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
	bad_priority bad_untyped bad_debug bad_elf bad_config bad_config_table bad_config_twice \
	bad_config_count
$(O)/systems/bad_%.img: $(O)/systems/pingpong.img tests/integration/corrupt_image.py
	$(Q)$(PYTHON) tests/integration/corrupt_image.py bad_$* $< $@
$(foreach s,$(BAD_IMAGES),$(eval $(call system_image,$(s))))
.PHONY: bad-images
bad-images: $(patsubst %,$(O)/images/%.bin,$(BAD_IMAGES))
