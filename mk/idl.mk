# vlidl, the interface compiler (tools/vlidl, docs/idl.md), the stubs it generates for the
# apps, and its tests.
#   $(BUILD)/host/vlidl           the tool (gcc -O2): one rule, no library but libc
#   $(BUILD)/gen/<iface>.h, <iface>_client.c, <iface>_server.c   from interfaces/<iface>.idl
#   make unit-vlidl               the tool's tests (fixtures under ASan + UBSan, the committed
#                                 reference pages, host round trips, the Python wire encoder)
#   make fuzz-idl [FUZZ_SECONDS=N]  libFuzzer over the generated dispatches (default 20 s;
#                                 make fuzz-idl-long runs 10 minutes)
# An app that uses interfaces lists them in apps/<app>/interfaces, one "<iface> client" or
# "<iface> server" a line; its program links those generated stubs and its sources find
# the headers as "<iface>.h". Included before mk/systems.mk, which evaluates the programs.
# Needs from the including Makefile: BUILD, O, Q, PYTHON, CC_K, UCFLAGS, HOST_CC, deps-test.

VLIDL_SRCS := $(sort $(wildcard tools/vlidl/*.c))
VLIDL := $(BUILD)/host/vlidl
# The SDK ships it (mk/sdk.mk, included after this file): sdk/vallum.mk generates a
# project's stubs with it.
SDK_TOOLS += $(VLIDL)
VLIDL_ASAN := $(BUILD)/host/vlidl-asan
IDL_GEN := $(BUILD)/gen
IDL_IFACES := $(basename $(notdir $(wildcard interfaces/*.idl)))
IDL_H := lib/os/include/vallum/idl.h

$(VLIDL): $(VLIDL_SRCS) tools/vlidl/vlidl.h
	@mkdir -p $(dir $@)
	$(Q)gcc -std=gnu11 -O2 -Wall -Wextra -Werror $(VLIDL_SRCS) -o $@

$(VLIDL_ASAN): $(VLIDL_SRCS) tools/vlidl/vlidl.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)clang-14 -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
		-fno-sanitize-recover=all -fno-omit-frame-pointer $(VLIDL_SRCS) -o $@

# One run writes the three files of an interface (a grouped pattern rule).
$(IDL_GEN)/%.h $(IDL_GEN)/%_client.c $(IDL_GEN)/%_server.c: interfaces/%.idl $(VLIDL)
	@mkdir -p $(dir $@)
	$(Q)$(VLIDL) c $< $(IDL_GEN)

$(O)/idl/%.c.o: $(IDL_GEN)/%.c $(IDL_H)
	@mkdir -p $(dir $@)
	$(Q)$(CC_K) $(UCFLAGS) -Ilib/os/include -I$(IDL_GEN) -MMD -MP -c $< -o $@

# The generated stubs of app $(1): "counter server" in apps/$(1)/interfaces gives
# counter_server. IDL_OBJS_<app> is linked into the program (the program macro).
idl_stubs = $(shell sed -n 's/^\([a-z][a-z0-9_]*\) \(client\|server\)$$/\1_\2/p' \
	apps/$(1)/interfaces 2>/dev/null)
define app_idl
IDL_OBJS_$(1) := $(patsubst %,$(O)/idl/%.c.o,$(call idl_stubs,$(1)))
$(patsubst %.c,$(O)/user/%.c.o,$(wildcard apps/$(1)/*.c)): \
	$(patsubst %,$(IDL_GEN)/%.h,$(sort $(patsubst %_server,%,$(patsubst %_client,%,$(call idl_stubs,$(1))))))
endef
$(foreach a,$(notdir $(patsubst %/,%,$(wildcard apps/*/))),$(eval $(call app_idl,$(a))))
$(O)/user/apps/%.c.o: UCFLAGS += -I$(IDL_GEN)

# The fuzz target links the generated server dispatches of store and counter (and their
# client stubs, unused, to show they build on the host too) with tests/idl/host_os.c.
IDL_HOST_GEN := $(BUILD)/host/idl-gen
$(IDL_HOST_GEN)/%.h $(IDL_HOST_GEN)/%_client.c $(IDL_HOST_GEN)/%_server.c: interfaces/%.idl \
		$(VLIDL)
	@mkdir -p $(dir $@)
	$(Q)$(VLIDL) c $< $(IDL_HOST_GEN)
IDL_FUZZ_GEN := $(foreach i,store counter,$(IDL_HOST_GEN)/$(i)_server.c)

$(BUILD)/fuzz/fuzz_idl: tests/fuzz/fuzz_idl.c tests/idl/host_os.c tests/idl/host_os.h $(IDL_H) \
		$(IDL_FUZZ_GEN) | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Wall -Wextra -Werror -Iuapi -Ilib/os/include -Itests/idl -I$(IDL_HOST_GEN) \
		tests/fuzz/fuzz_idl.c tests/idl/host_os.c $(IDL_FUZZ_GEN) -o $@

.PHONY: fuzz-idl fuzz-idl-long
fuzz-idl: $(BUILD)/fuzz/fuzz_idl
	@mkdir -p $(BUILD)/fuzz/idl-corpus
	$(Q)if $(BUILD)/fuzz/fuzz_idl -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-artifact_prefix=$(BUILD)/fuzz/idl- $(BUILD)/fuzz/idl-corpus \
		> $(BUILD)/fuzz/fuzz_idl.log 2>&1; then echo "VLTEST PASS fuzz/idl"; \
	else echo "VLTEST FAIL fuzz/idl see $(BUILD)/fuzz/fuzz_idl.log"; \
		tail -n 30 $(BUILD)/fuzz/fuzz_idl.log; exit 1; fi

fuzz-idl-long:
	$(Q)$(MAKE) --no-print-directory fuzz-idl FUZZ_SECONDS=600

# Host round trips (tests/idl/test_idl.c) over the generated store and v_every code.
$(IDL_HOST_GEN)/v_every.h $(IDL_HOST_GEN)/v_every_client.c $(IDL_HOST_GEN)/v_every_server.c: \
		tests/idl/fixtures/v_every.idl $(VLIDL)
	@mkdir -p $(dir $@)
	$(Q)$(VLIDL) c $< $(IDL_HOST_GEN)
IDL_TEST_GEN := $(foreach i,store v_every,$(IDL_HOST_GEN)/$(i)_server.c $(IDL_HOST_GEN)/$(i)_client.c)
# apps/storer/keys.c is the store's semantics, shared with the storer component.
$(BUILD)/host/test_idl: tests/idl/test_idl.c tests/idl/host_os.c tests/idl/host_os.h $(IDL_H) \
		apps/storer/keys.c apps/storer/keys.h $(IDL_TEST_GEN) | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/os/include -Itests/idl -Iapps/storer -I$(IDL_HOST_GEN) \
		tests/idl/test_idl.c tests/idl/host_os.c apps/storer/keys.c $(IDL_TEST_GEN) -o $@

.PHONY: unit-vlidl idl-docs
unit-vlidl: $(VLIDL_ASAN) $(BUILD)/host/test_idl
	$(Q)$(PYTHON) tests/idl/run_tests.py $(VLIDL_ASAN) $(BUILD)/host/vlidl-test $(BUILD)/host/test_idl

# Regenerates the committed reference pages docs/interfaces/<iface>.md.
idl-docs: $(VLIDL)
	@mkdir -p docs/interfaces
	$(Q)for i in $(IDL_IFACES); do $(VLIDL) md interfaces/$$i.idl docs/interfaces/$$i.md || exit 1; done

# vlsys's reader of .vlidl records (tools/vlsys/iface.c), fuzzed, seeded with the programs.
.PHONY: fuzz-iface
$(BUILD)/fuzz/fuzz_iface: tools/vlsys/iface.c tools/vlsys/diag.c tests/fuzz/fuzz_iface.c \
		tools/vlsys/vlsys.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Wall -Wextra -Werror $(VLSYS_INC) tools/vlsys/iface.c tools/vlsys/diag.c \
		tests/fuzz/fuzz_iface.c -o $@

fuzz-iface: $(BUILD)/fuzz/fuzz_iface
	@mkdir -p $(BUILD)/fuzz/iface-corpus
	$(Q)cp $(wildcard $(O)/programs/*.elf) $(BUILD)/fuzz/iface-corpus/ 2>/dev/null || true
	$(Q)for f in $(wildcard $(O)/systems/*/*.elf); do \
		cp $$f $(BUILD)/fuzz/iface-corpus/$$(echo $$f | tr / _); done
	$(Q)if $(BUILD)/fuzz/fuzz_iface -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-artifact_prefix=$(BUILD)/fuzz/iface- $(BUILD)/fuzz/iface-corpus \
		> $(BUILD)/fuzz/fuzz_iface.log 2>&1; then echo "VLTEST PASS fuzz/iface"; \
	else echo "VLTEST FAIL fuzz/iface see $(BUILD)/fuzz/fuzz_iface.log"; \
		tail -n 30 $(BUILD)/fuzz/fuzz_iface.log; exit 1; fi
