# lib/fs, the ext2 library (docs/storage.md): host tests, fuzzing and a target build check.
#   make unit-fs                     host tests on images made by mke2fs, checked by e2fsck and
#                                    debugfs, under ASan + UBSan (FS_RANDOM_STEPS=N operations
#                                    per random run, default 300; FS_RANDOM_SEEDS="1 2")
#   make random-fs-long              the random comparison with 20000 steps and 5 seeds
#   make fuzz-fs [FUZZ_SECONDS=N]    libFuzzer on mounting, walking and writing corrupted images
#   make fuzz-fs-long                the same for an hour (FS_FUZZ_LONG=seconds), corpus kept
#   make fs-iostat [FS_IOSTAT_FILES=N] device requests per operation on the reference image
#                                    type (256 MiB mke2fs -t ext3: 1 KiB blocks), N=10000
# Needs from the including Makefile: BUILD, HOST_CC, HOST_CFLAGS, Q, deps-test.

FS_SRC := $(sort $(wildcard lib/fs/src/*.c))
FS_DEPS := $(FS_SRC) $(wildcard lib/fs/src/*.h lib/fs/include/vallum/fs/*.h)
FS_TEST_SRC := tests/unit/fs/test_fs.c tests/unit/fs/test_fs_errors.c tests/unit/fs/imagedev.c
FS_RANDOM_STEPS ?= 300
FS_RANDOM_SEEDS ?= 1 2
FS_FUZZ_LONG ?= 3600
FS_CROSS ?= riscv64-unknown-elf-
FS_RV64_CFLAGS := -std=gnu11 -O2 -march=rv64imac -mabi=lp64 -mcmodel=medany \
	--specs=picolibc.specs -Wall -Wextra -Werror -Ilib/fs/include

FS_IOSTAT_FILES ?= 10000

.PHONY: unit-fs random-fs-long fuzz-fs fuzz-fs-long fs-iostat

$(BUILD)/host/test_fs: $(FS_DEPS) $(FS_TEST_SRC) tests/unit/fs/imagedev.h tests/unit/vltest.h \
		| deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/fs/include -Ilib/fs/src $(FS_SRC) $(FS_TEST_SRC) -o $@

# The library must build for the target (the file server will link it); picolibc gives
# it string.h and stdio.h's vsnprintf, which is all it uses.
$(BUILD)/host/fs/rv64/%.o: lib/fs/src/%.c $(FS_DEPS) | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(FS_CROSS)gcc $(FS_RV64_CFLAGS) -c $< -o $@

FS_RV64_OBJS := $(patsubst lib/fs/src/%.c,$(BUILD)/host/fs/rv64/%.o,$(FS_SRC))

# Images and trees go to FS_TEST_OUT (the long run has its own, so both can run at once).
FS_TEST_OUT ?= $(BUILD)/host/fs

unit-fs: $(BUILD)/host/test_fs $(FS_RV64_OBJS)
	$(Q)sh tests/unit/fs/run.sh $(BUILD)/host/test_fs $(FS_TEST_OUT) $(FS_RANDOM_STEPS) \
		"$(FS_RANDOM_SEEDS)"

random-fs-long:
	$(Q)$(MAKE) -s unit-fs FS_RANDOM_STEPS=20000 FS_RANDOM_SEEDS="11 12 13 14 15" \
		FS_TEST_OUT=$(BUILD)/host/fs-long

$(BUILD)/fuzz/fuzz_fs: $(FS_DEPS) tests/fuzz/fuzz_fs.c tests/unit/fs/imagedev.c | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Ilib/fs/include $(FS_SRC) tests/unit/fs/imagedev.c tests/fuzz/fuzz_fs.c -o $@

# $(1): seconds; $(2): corpus directory. Seeds are remade each run (mke2fs is quick).
define fs_fuzz_run
	@mkdir -p $(2)
	$(Q)sh tests/fuzz/fs_seeds.sh $(BUILD)/fuzz/fs-seeds > /dev/null 2>&1
	$(Q)if $(BUILD)/fuzz/fuzz_fs -max_total_time=$(1) -timeout=10 -rss_limit_mb=4096 -max_len=3145728 \
		-artifact_prefix=$(BUILD)/fuzz/fs- $(2) $(BUILD)/fuzz/fs-seeds \
		> $(BUILD)/fuzz/fuzz_fs.log 2>&1; then \
		echo "VLTEST PASS fuzz/fs"; \
	else \
		echo "VLTEST FAIL fuzz/fs see $(BUILD)/fuzz/fuzz_fs.log"; \
		tail -n 30 $(BUILD)/fuzz/fuzz_fs.log; exit 1; \
	fi
endef

fuzz-fs: $(BUILD)/fuzz/fuzz_fs
	$(call fs_fuzz_run,$(FUZZ_SECONDS),$(BUILD)/fuzz/fs-corpus)

fuzz-fs-long: $(BUILD)/fuzz/fuzz_fs
	$(call fs_fuzz_run,$(FS_FUZZ_LONG),$(BUILD)/fuzz/fs-corpus-long)

# Not in make test (it takes about a minute and a half under the sanitizers): numbers for
# docs/storage.md and the later comparison with Linux (the phases of the Linux reference measurements).
fs-iostat: $(BUILD)/host/test_fs
	$(Q)rm -f $(BUILD)/host/fs/iostat.img
	$(Q)/usr/sbin/mke2fs -q -F -t ext3 $(BUILD)/host/fs/iostat.img 256M > /dev/null 2>&1
	$(Q)$(BUILD)/host/test_fs iostat $(BUILD)/host/fs/iostat.img $(FS_IOSTAT_FILES)
	$(Q)/usr/sbin/e2fsck -fn $(BUILD)/host/fs/iostat.img > /dev/null 2>&1 && \
		echo "VLTEST PASS fs/iostat/e2fsck" || echo "VLTEST FAIL fs/iostat/e2fsck"

# The crash test of the journal (docs/storage.md#the-crash-test): every cut point of a
# recorded workload checked by lib/fs, every FS_CRASH_FSCK_EVERY-th also by e2fsck -fn.
#   make crash-fs        two seeds at 1 KiB blocks, one at 4 KiB, one synchronous mount
#   make crash-fs-long   more operations and seeds, e2fsck on every cut point
FS_CRASH_OPS ?= 240
FS_CRASH_SEEDS ?= 1 2
FS_CRASH_FSCK_EVERY ?= 40
FS_CRASH_VARIANTS ?= 1
FS_CRASH_OUT ?= $(BUILD)/host/fs-crash

.PHONY: crash-fs crash-fs-long

$(BUILD)/host/crash_fs: $(FS_DEPS) tests/unit/fs/crash_fs.c tests/unit/fs/imagedev.c \
		tests/unit/fs/imagedev.h tests/unit/vltest.h | deps-test
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Ilib/fs/include -Ilib/fs/src $(FS_SRC) tests/unit/fs/crash_fs.c \
		tests/unit/fs/imagedev.c -o $@

crash-fs: $(BUILD)/host/crash_fs
	$(Q)sh tests/unit/fs/crash.sh $(BUILD)/host/crash_fs $(FS_CRASH_OUT) $(FS_CRASH_OPS) \
		$(FS_CRASH_FSCK_EVERY) $(FS_CRASH_VARIANTS) "$(FS_CRASH_SEEDS)"

crash-fs-long:
	$(Q)$(MAKE) -s crash-fs FS_CRASH_OPS=600 FS_CRASH_SEEDS="11 12 13 14 15" FS_CRASH_FSCK_EVERY=1 \
		FS_CRASH_VARIANTS=3 FS_CRASH_OUT=$(BUILD)/host/fs-crash-long
