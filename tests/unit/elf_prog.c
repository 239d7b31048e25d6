/*
 * A tiny freestanding RISC-V program that tests/unit/test_elf.c loads: code, read-only data,
 * initialised data, bss and thread-local data, so that the linker script lib/sys/user.ld
 * produces a text segment, a data segment with memsz > filesz, and a PT_TLS header.
 * Built by mk/elf.mk; never run.
 */
#include <stdint.h>

static const char message[] = "vallum elf loader test";
uint64_t counter = 0x1122334455667788ull;
uint64_t scratch[64];
__thread uint64_t tls_word = 42;
__thread uint64_t tls_zero;

void _start(void) __attribute__((section(".text.start"), noreturn));

void
_start(void)
{
    for (;;) {
        for (unsigned i = 0; i < sizeof(message); i++) {
            scratch[i % 64] += (uint64_t)message[i] + counter + tls_word + tls_zero++;
        }
    }
}
