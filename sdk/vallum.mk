# vallum.mk: builds and boots Vallum systems from a project folder outside the Vallum tree.
# Include it from your project's Makefile (docs/tutorial.md in the Vallum tree shows one):
#
#     VALLUM_SDK ?= /path/to/sdk
#     include $(VALLUM_SDK)/vallum.mk
#
# Variables (set before the include, or on the command line):
#   VALLUM_SDK    the SDK folder (default: the folder of this file)
#   SYSTEM        the system description to build, default system.yaml
#   PROGRAMS_DIR  where program folders are, default . : program P (named by the
#                 description's `program:` keys, listed by `vlsys programs`) is built from
#                 $(PROGRAMS_DIR)/P/*.c, linked with lib/os and lib/sys
#   BUILD         output folder, default build
#   KERNEL        normal (default) or check: the test kernel, which also runs the kernel's
#                 invariant walk when init asks (init prints "kernel invariants hold")
#   CFLAGS        added to the compiler flags of your programs
#   RUN_SECONDS   `make run`'s time limit (bin/vallum-run): unset, none when interactive and
#                 120 s otherwise; 0: none
#
# Targets:
#   make          $(BUILD)/<system>.bin, where <system> is SYSTEM's file name without .yaml
#                 (<system>-check.bin with KERNEL=check)
#   make run      builds it and boots it in QEMU (quit with Ctrl-A X)
#   make check    checks the description alone (vlsys check)
#   make clean    removes $(BUILD)
#
# Only the programs the description uses are built: a folder with unfinished code that no
# component uses does not stop the build.

# Unset, VALLUM_SDK is the folder this file is in (include it by its path).
VALLUM_SDK ?= $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

SYSTEM ?= system.yaml
PROGRAMS_DIR ?= .
BUILD ?= build
KERNEL ?= normal
RUN_SECONDS ?=

VALLUM_CROSS := riscv64-unknown-elf-
VALLUM_CC := $(VALLUM_CROSS)gcc
VALLUM_OBJCOPY := $(VALLUM_CROSS)objcopy
VALLUM_VLSYS := $(VALLUM_SDK)/bin/vlsys
VALLUM_NAME := $(basename $(notdir $(SYSTEM)))
VALLUM_OUT := $(BUILD)/$(VALLUM_NAME)$(if $(filter check,$(KERNEL)),-check)
VALLUM_ARCH := -march=rv64imac -mabi=lp64 -mcmodel=medany
VALLUM_CFLAGS := -std=gnu11 -Wall -Wextra -O2 -g $(VALLUM_ARCH) --specs=picolibc.specs \
	-I$(VALLUM_SDK)/include
VALLUM_LDFLAGS := -nostartfiles -T $(VALLUM_SDK)/lib/user.ld -Wl,--gc-sections
VALLUM_KFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -nostdlib \
	-ffreestanding
ifeq ($(KERNEL),normal)
VALLUM_KERNEL_OBJ := $(VALLUM_SDK)/boot/kernel.o
else ifeq ($(KERNEL),check)
VALLUM_KERNEL_OBJ := $(VALLUM_SDK)/boot/kernel-check.o
else
$(error KERNEL must be normal or check, not '$(KERNEL)')
endif

ifneq ($(VERBOSE),1)
VALLUM_Q := @
endif

# The programs the description names. If vlsys rejects the description the list is empty,
# and building the image shows vlsys's FILE:LINE diagnostics.
VALLUM_PROGRAMS := $(shell $(VALLUM_VLSYS) programs $(SYSTEM) 2>/dev/null)
VALLUM_ELFS := $(patsubst %,$(BUILD)/programs/%.elf,$(VALLUM_PROGRAMS))
VALLUM_LIBS := $(VALLUM_SDK)/lib/crt0.o $(VALLUM_SDK)/lib/libvlos.a $(VALLUM_SDK)/lib/libvlsys.a

.PHONY: all run check clean
.SECONDARY:
.DEFAULT_GOAL := all

all: $(VALLUM_OUT).bin

# One program: every .c file in its folder.
define vallum_program
vallum_objs_$(1) := $(patsubst $(PROGRAMS_DIR)/$(1)/%.c,$(BUILD)/obj/$(1)/%.o,\
	$(wildcard $(PROGRAMS_DIR)/$(1)/*.c))
$(BUILD)/programs/$(1).elf: $$(vallum_objs_$(1)) $(VALLUM_LIBS) $(VALLUM_SDK)/lib/user.ld
	$(if $(wildcard $(PROGRAMS_DIR)/$(1)/*.c),,@echo "vallum.mk: program '$(1)': no .c files in $(PROGRAMS_DIR)/$(1)/" >&2; exit 1)
	@mkdir -p $$(dir $$@)
	$(VALLUM_Q)$(VALLUM_CC) $(VALLUM_CFLAGS) $(CFLAGS) $(VALLUM_LDFLAGS) -o $$@ \
		$(VALLUM_SDK)/lib/crt0.o $$(vallum_objs_$(1)) \
		-Wl,--whole-archive $(VALLUM_SDK)/lib/libvlos.a -Wl,--no-whole-archive \
		$(VALLUM_SDK)/lib/libvlsys.a
	@echo "  built $$@"

$(BUILD)/obj/$(1)/%.o: $(PROGRAMS_DIR)/$(1)/%.c
	@mkdir -p $$(dir $$@)
	$(VALLUM_Q)$(VALLUM_CC) $(VALLUM_CFLAGS) $(CFLAGS) -MMD -MP -c $$< -o $$@
endef
$(foreach p,$(VALLUM_PROGRAMS),$(eval $(call vallum_program,$(p))))

# The system image, then init with it linked in, then the kernel with that init. `vlsys
# check` first: for a description it rejects no program was built, and its diagnostics
# alone say what is wrong.
$(VALLUM_OUT).img: $(SYSTEM) $(VALLUM_ELFS) $(VALLUM_VLSYS)
	@mkdir -p $(dir $@)
	$(VALLUM_Q)$(VALLUM_VLSYS) check $(SYSTEM)
	$(VALLUM_Q)$(VALLUM_VLSYS) build $(SYSTEM) --programs $(BUILD)/programs -o $@

$(VALLUM_OUT)-sysimage.o: $(VALLUM_SDK)/boot/sysimage.S $(VALLUM_OUT).img
	$(VALLUM_Q)$(VALLUM_CC) $(VALLUM_KFLAGS) -DSYSIMG='"$(VALLUM_OUT).img"' -c $< -o $@

$(VALLUM_OUT)-init.elf: $(VALLUM_OUT)-sysimage.o $(VALLUM_SDK)/boot/init.o $(VALLUM_LIBS)
	$(VALLUM_Q)$(VALLUM_CC) $(VALLUM_CFLAGS) $(VALLUM_LDFLAGS) -o $@ $(VALLUM_SDK)/lib/crt0.o \
		$(VALLUM_SDK)/boot/init.o $< $(VALLUM_SDK)/lib/libvlsys.a

$(VALLUM_OUT)-init_image.o: $(VALLUM_SDK)/boot/init_image.S $(VALLUM_OUT)-init.elf
	$(VALLUM_Q)$(VALLUM_CC) $(VALLUM_KFLAGS) -DINIT_ELF='"$(VALLUM_OUT)-init.elf"' -c $< -o $@

$(VALLUM_OUT).elf: $(VALLUM_OUT)-init_image.o $(VALLUM_KERNEL_OBJ) $(VALLUM_SDK)/boot/kernel.ld
	$(VALLUM_Q)$(VALLUM_CC) $(VALLUM_KFLAGS) -T $(VALLUM_SDK)/boot/kernel.ld \
		-Wl,--no-warn-rwx-segments -o $@ $(VALLUM_KERNEL_OBJ) $<

$(VALLUM_OUT).bin: $(VALLUM_OUT).elf
	$(VALLUM_Q)$(VALLUM_OBJCOPY) -O binary $< $@
	@echo "  built $@"

run: $(VALLUM_OUT).bin
	$(VALLUM_Q)RUN_SECONDS='$(RUN_SECONDS)' sh $(VALLUM_SDK)/bin/vallum-run $<

check:
	$(VALLUM_Q)$(VALLUM_VLSYS) check $(SYSTEM)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
