# Host builds of portable modules, under AddressSanitizer and UndefinedBehaviorSanitizer.
HOST_O := $(BUILD)/host
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -Ikernel/include -Iuapi

.PHONY: unit analyze fuzz

$(HOST_O)/test_fdt: kernel/src/kernel/fdt.c tests/unit/test_fdt.c kernel/include/kernel/fdt.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) kernel/src/kernel/fdt.c tests/unit/test_fdt.c -o $@

unit: $(HOST_O)/test_fdt
	$(Q)sh tests/unit/fdt_gen.sh $(HOST_O)/dtb && $(HOST_O)/test_fdt $(HOST_O)/dtb
