# The entropy service (apps/rng, docs/virtio.md#entropy): host tests.
#   make unit-rng   ChaCha20 (RFC 8439's vectors), the generator's reseeding and fast key
#                   erasure, and the virtio-rng driver's core against the simulated device of
#                   both transport versions, a hostile one included, under ASan + UBSan
# Needs from the including Makefile: BUILD, HOST_CC, HOST_CFLAGS, Q, deps-test, and
# VIRTIO_LIB, VIRTIO_SRCS, VIRTIO_INC (mk/virtio.mk).

RNG_SRCS := apps/rng/chacha20.c apps/rng/csprng.c apps/rng/vrng.c

.PHONY: unit-rng

$(BUILD)/host/test_rng: $(RNG_SRCS) $(wildcard apps/rng/*.h) $(VIRTIO_LIB) lib/hw/src/hw.c \
		lib/hw/src/hw_host.c tests/unit/rng/test_rng.c tests/unit/virtio/virtio_model.h \
		tests/unit/vltest.h | deps-test
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(VIRTIO_INC) $(RNG_SRCS) $(VIRTIO_SRCS) lib/hw/src/hw.c \
		lib/hw/src/hw_host.c tests/unit/rng/test_rng.c -o $@

unit-rng: $(BUILD)/host/test_rng
	$(Q)$(BUILD)/host/test_rng
