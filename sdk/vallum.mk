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
#   INTERFACES_DIR  where the interfaces are, default interfaces: NAME.idl (docs/idl.md)
#   BUILD         output folder, default build
#   KERNEL        normal (default) or check: the test kernel, which also runs the kernel's
#                 invariant walk when init asks (init prints "kernel invariants hold")
#   CFLAGS        added to the compiler flags of your programs
#   RUN_SECONDS   `make run`'s time limit (bin/vallum-run): unset, none when interactive and
#                 120 s otherwise; 0: none
#   GDB_BATCH     `make debug` runs gdb in batch mode on the commands in this file
#
# Targets:
#   make          $(BUILD)/<system>.bin, where <system> is SYSTEM's file name without .yaml
#                 (<system>-check.bin with KERNEL=check)
#   make run      builds it and boots it in QEMU (quit with Ctrl-A X)
#   make debug    boots it in QEMU stopped, and gdb-multiarch connected with the symbols of the
#                 kernel, init and every program (bin/vallum-debug; docs/debugging.md in the
#                 Vallum tree): the script is $(BUILD)/<system>.gdb, the console
#                 $(BUILD)/<system>.console
#   make check    checks the description alone (vlsys check)
#   make clean    removes $(BUILD)
#
# Only the programs the description uses are built: a folder with unfinished code that no
# component uses does not stop the build.
#
# Interfaces (docs/idl.md): a program that uses some lists them in $(PROGRAMS_DIR)/P/interfaces,
# one "<name> client" or "<name> server" a line (blank lines and # comments allowed), as
# apps/<app>/interfaces in the Vallum tree. bin/vlidl generates the stubs of
# $(INTERFACES_DIR)/<name>.idl into $(BUILD)/gen; the program's sources include "<name>.h"
# and it links the stubs of its roles, whose records let vlsys check the description's
# `interface:` on each call channel.

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
VALLUM_VLIDL := $(VALLUM_SDK)/bin/vlidl
INTERFACES_DIR ?= interfaces
VALLUM_GEN := $(BUILD)/gen
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
# and building the image shows vlsys's FILE:LINE diagnostics. Each is linked at the address
# `vlsys layout` gives it in this system (program=address words), its own, so that a
# debugger tells the programs' code apart (make debug); the ELF files are per system, in
# $(BUILD)/programs/<system>/, as two systems may place one program at two addresses.
VALLUM_PROGRAMS := $(shell $(VALLUM_VLSYS) programs $(SYSTEM) 2>/dev/null)
VALLUM_LAYOUT := $(shell $(VALLUM_VLSYS) layout $(SYSTEM) 2>/dev/null | tr ' ' '=')
VALLUM_PROGDIR := $(BUILD)/programs/$(VALLUM_NAME)
VALLUM_ELFS := $(patsubst %,$(VALLUM_PROGDIR)/%.elf,$(VALLUM_PROGRAMS))
VALLUM_LIBS := $(VALLUM_SDK)/lib/crt0.o $(VALLUM_SDK)/lib/libvlos.a $(VALLUM_SDK)/lib/libvlsys.a
VALLUM_IFACES := $(basename $(notdir $(wildcard $(INTERFACES_DIR)/*.idl)))

# The interfaces program $(1) uses, as name:role words, from the lines of its interfaces
# file that are well formed and name an existing .idl file. The others are reported by the
# file's check (vallum-interfaces-%), which runs before anything of the program is built.
vallum_uses = $(foreach u,$(shell sed -n \
	's/^\([a-z][a-z0-9_]*\) \(client\|server\)$$/\1:\2/p' $(PROGRAMS_DIR)/$(1)/interfaces \
	2>/dev/null),$(if $(filter $(firstword $(subst :, ,$(u))),$(VALLUM_IFACES)),$(u)))

# Every line of an interfaces file (awk, with dir = INTERFACES_DIR): a line make would skip
# silently, or an interface without its file, would otherwise show up later as a compiler's
# "counter.h: No such file", far from its cause.
VALLUM_IFACE_CHECK := /^[ \t]*(\#|$$)/ { next } \
	!/^[a-z][a-z0-9_]* [a-z]+$$/ { \
		err("expected \047<interface> client\047 or \047<interface> server\047, not \047" $$0 "\047"); \
		next } \
	$$2 != "client" && $$2 != "server" { \
		err("role \047" $$2 "\047 of interface \047" $$1 "\047 must be client or server"); next } \
	system("test -f \"" dir "/" $$1 ".idl\"") { \
		err("unknown interface \047" $$1 "\047: there is no " dir "/" $$1 ".idl") } \
	function err(m) { print FILENAME ":" FNR ": error: " m > "/dev/stderr"; bad = 1 } \
	END { exit bad }

.PHONY: all run debug check clean
.SECONDARY:
.DEFAULT_GOAL := all

all: $(VALLUM_OUT).bin

# One program: every .c file in its folder.
define vallum_program
vallum_objs_$(1) := $(patsubst $(PROGRAMS_DIR)/$(1)/%.c,$(BUILD)/obj/$(1)/%.o,\
	$(wildcard $(PROGRAMS_DIR)/$(1)/*.c))
vallum_uses_$(1) := $(call vallum_uses,$(1))
vallum_stubs_$(1) := $$(patsubst %,$(VALLUM_GEN)/%.o,$$(subst :,_,$$(vallum_uses_$(1))))
vallum_check_$(1) := $(if $(wildcard $(PROGRAMS_DIR)/$(1)/interfaces),vallum-interfaces-$(1))
# It depends on its interfaces file: a line taken away or added changes what is linked even
# when every object is older than the program; and on the description, whose order of
# programs decides its address.
$(VALLUM_PROGDIR)/$(1).elf: $$(vallum_objs_$(1)) $$(vallum_stubs_$(1)) $(VALLUM_LIBS) \
		$(VALLUM_SDK)/lib/user.ld $(wildcard $(PROGRAMS_DIR)/$(1)/interfaces) $(SYSTEM) \
		| $$(vallum_check_$(1))
	$(if $(wildcard $(PROGRAMS_DIR)/$(1)/*.c),,@echo "vallum.mk: program '$(1)': no .c files in $(PROGRAMS_DIR)/$(1)/" >&2; exit 1)
	@mkdir -p $$(dir $$@)
	$(VALLUM_Q)$(VALLUM_CC) $(VALLUM_CFLAGS) $(CFLAGS) $(VALLUM_LDFLAGS) \
		-Wl,--defsym=__vl_link_base=$(patsubst $(1)=%,%,$(filter $(1)=%,$(VALLUM_LAYOUT))) -o $$@ \
		$(VALLUM_SDK)/lib/crt0.o $$(vallum_objs_$(1)) $$(vallum_stubs_$(1)) \
		-Wl,--whole-archive $(VALLUM_SDK)/lib/libvlos.a -Wl,--no-whole-archive \
		$(VALLUM_SDK)/lib/libvlsys.a
	@echo "  built $$@"

# Its sources find the headers of the interfaces it uses, generated first.
$(BUILD)/obj/$(1)/%.o: $(PROGRAMS_DIR)/$(1)/%.c \
		$$(foreach u,$$(vallum_uses_$(1)),$(VALLUM_GEN)/$$(firstword $$(subst :, ,$$(u))).h) \
		| $$(vallum_check_$(1))
	@mkdir -p $$(dir $$@)
	$(VALLUM_Q)$(VALLUM_CC) $(VALLUM_CFLAGS) -I$(VALLUM_GEN) $(CFLAGS) -MMD -MP -c $$< -o $$@
endef
$(foreach p,$(VALLUM_PROGRAMS),$(eval $(call vallum_program,$(p))))

# Not a file and never made: the check runs on every build (an awk over a few lines).
vallum-interfaces-%:
	$(VALLUM_Q)awk -v dir='$(INTERFACES_DIR)' '$(VALLUM_IFACE_CHECK)' \
		'$(patsubst ./%,%,$(PROGRAMS_DIR)/$*/interfaces)'

# One run of vlidl writes the three files of an interface (a grouped pattern rule).
$(VALLUM_GEN)/%.h $(VALLUM_GEN)/%_client.c $(VALLUM_GEN)/%_server.c: $(INTERFACES_DIR)/%.idl \
		$(VALLUM_VLIDL)
	@mkdir -p $(VALLUM_GEN)
	$(VALLUM_Q)$(VALLUM_VLIDL) c $< $(VALLUM_GEN)

$(VALLUM_GEN)/%.o: $(VALLUM_GEN)/%.c $(VALLUM_SDK)/include/vallum/idl.h
	$(VALLUM_Q)$(VALLUM_CC) $(VALLUM_CFLAGS) -c $< -o $@

# The system image, then init with it linked in, then the kernel with that init. `vlsys
# check` first: for a description it rejects no program was built, and its diagnostics
# alone say what is wrong.
$(VALLUM_OUT).img: $(SYSTEM) $(VALLUM_ELFS) $(VALLUM_VLSYS)
	@mkdir -p $(dir $@)
	$(VALLUM_Q)$(VALLUM_VLSYS) check $(SYSTEM)
	$(VALLUM_Q)$(VALLUM_VLSYS) build $(SYSTEM) --programs $(VALLUM_PROGDIR) -o $@

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
	$(VALLUM_Q)RUN_SECONDS='$(RUN_SECONDS)' sh $(VALLUM_SDK)/bin/vallum-run \
		--args-file $(dir $(SYSTEM))qemu.args $<

GDB_BATCH ?=
debug: $(VALLUM_OUT).bin
	$(VALLUM_Q)sh $(VALLUM_SDK)/bin/vallum-debug --args-file $(dir $(SYSTEM))qemu.args \
		--components "$$($(VALLUM_VLSYS) dump $(VALLUM_OUT).img | sed -n \
			"s/^component [0-9]* '\([^']*\)':.*/\1/p" | tr '\n' ' ')" \
		$(if $(GDB_BATCH),--batch $(GDB_BATCH)) $< $(VALLUM_OUT).gdb $(VALLUM_OUT).elf \
		$(VALLUM_OUT)-init.elf $(VALLUM_ELFS)

check:
	$(VALLUM_Q)$(VALLUM_VLSYS) check $(SYSTEM)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
