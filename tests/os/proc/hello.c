/*
 * A program that ktest loads into an address space of its own (tests/os/proc.c). It
 * proves its segments were loaded (rodata, data, zeroed bss), talks to its parent through
 * the endpoint in slot 1 of its CSpace, and finally tries to read the parent's memory,
 * which must fault.
 */
#include <vallum/sys.h>

#define PARENT_EP 1

static const vl_word_t table[4] = {1, 2, 3, 5};
static vl_word_t data_word = 0x1234;
static vl_word_t bss_words[1024];

void vl_start(vl_word_t parent_addr);

void
vl_start(vl_word_t parent_addr)
{
    vl_ipc_buffer = (struct vl_ipc_buffer *)VL_IPC_BUFFER_VADDR;
    vl_word_t sum = data_word;
    for (int i = 0; i < 4; i++) {
        sum += table[i];
    }
    for (int i = 0; i < 1024; i++) {
        sum += bss_words[i];
    }
    bss_words[1023] = sum;
    vl_word_t mr[VL_MSG_REGS] = {sum, bss_words[1023], (vl_word_t)&data_word, 0};
    struct vl_msg m = vl_call(PARENT_EP, vl_msginfo(42, 0, 0, 3), mr);
    mr[0] = m.mr[0] + 1;
    vl_call(PARENT_EP, vl_msginfo(43, 0, 0, 1), mr);
    /* Isolation: the parent's address is not mapped here. */
    mr[0] = *(volatile vl_word_t *)parent_addr;
    vl_call(PARENT_EP, vl_msginfo(44, 0, 0, 1), mr);
    for (;;) {
    }
}
