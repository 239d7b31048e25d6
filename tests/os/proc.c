/*
 * Processes: load an ELF program with lib/elf into a new VSpace and CSpace, run it
 * isolated, and talk to it over IPC. The ELF is checked before anything is created; a
 * malformed image is refused with an error, nothing half-built.
 */
#include <string.h>
#include <vallum/elf.h>

#include "ktest.h"

extern const char proc_image_start[], proc_image_end[];

#define SCRATCH 0x2000000000ul /* where the root task fills frames before handing them over */
#define CHILD_STACK_TOP 0x3ffff00000ul

static volatile vl_word_t parent_secret = 0xfeed;

/* Fills a fresh frame through the root task's VSpace, then maps it into vs at va. */
static int
load_page(vl_cptr_t vs, const struct elf_image *img, unsigned seg, vl_word_t va, vl_word_t rights,
          vl_word_t attr)
{
    vl_cptr_t f = obj_new(VL_OBJ_FRAME_4K, 0);
    if (f == 0) {
        return VL_NOT_ENOUGH_MEMORY;
    }
    int err = map_page(VL_CAP_INIT_VSPACE, f, SCRATCH, VL_RIGHT_READ | VL_RIGHT_WRITE, 0);
    if (err != 0) {
        return err;
    }
    if (img != NULL && elf_load_page(img, seg, va, (void *)SCRATCH) != ELF_OK) {
        return VL_INVALID_ARGUMENT;
    }
    err = vl_frame_unmap(f);
    if (err == 0) {
        err = map_page(vs, f, va, rights, attr);
    }
    return err;
}

/* Loads every page of every segment of img into vs. */
static int
load_image(vl_cptr_t vs, const struct elf_image *img)
{
    for (unsigned i = 0; i < img->num_segments; i++) {
        const struct elf_segment *s = &img->seg[i];
        vl_word_t rights = VL_RIGHT_READ | ((s->flags & ELF_W) ? VL_RIGHT_WRITE : 0);
        vl_word_t attr = (s->flags & ELF_X) ? 0 : VL_MAP_EXECUTE_NEVER;
        vl_word_t start = s->vaddr & ~(vl_word_t)(VL_PAGE_SIZE - 1);
        for (vl_word_t va = start; va < s->vaddr + s->memsz; va += VL_PAGE_SIZE) {
            int err = load_page(vs, img, i, va, rights, attr);
            if (err != 0) {
                return err;
            }
        }
    }
    return 0;
}

static void
test_process_load_and_run(void)
{
    struct elf_image img;
    size_t size = (size_t)((uintptr_t)proc_image_end - (uintptr_t)proc_image_start);
    CHECK_EQ(elf_parse(proc_image_start, size, VL_USER_TOP, &img), ELF_OK);
    CHECK(img.num_segments >= 2);

    vl_cptr_t vs = vspace_new();
    vl_cptr_t cn = obj_new(VL_OBJ_CNODE, 4);
    vl_cptr_t tcb = obj_new(VL_OBJ_TCB, 0);
    vl_cptr_t ep = obj_new(VL_OBJ_ENDPOINT, 0);
    CHECK(vs && cn && tcb && ep);
    CHECK_EQ(load_image(vs, &img), 0);
    /* Stack and IPC buffer. */
    CHECK_EQ(load_page(vs, NULL, 0, CHILD_STACK_TOP - VL_PAGE_SIZE, VL_RIGHT_READ | VL_RIGHT_WRITE,
                       VL_MAP_EXECUTE_NEVER),
             0);
    vl_cptr_t buf = obj_new(VL_OBJ_FRAME_4K, 0);
    CHECK(buf != 0);
    CHECK_EQ(map_page(vs, buf, VL_IPC_BUFFER_VADDR, VL_RIGHT_READ | VL_RIGHT_WRITE,
                      VL_MAP_EXECUTE_NEVER),
             0);
    /* Its CSpace: slot 1 the parent's endpoint (badged), slot 2 its fault endpoint. */
    CHECK_EQ(vl_cnode_mint(cn, 1, 4, ROOT, ep, 64, VL_RIGHT_WRITE | VL_RIGHT_GRANT_REPLY, 0x77), 0);
    CHECK_EQ(vl_cnode_mint(cn, 2, 4, ROOT, ep, 64, VL_RIGHT_WRITE | VL_RIGHT_GRANT_REPLY, 0xf), 0);
    CHECK_EQ(vl_tcb_configure(tcb, 2, cn, 64 - 4, vs, VL_IPC_BUFFER_VADDR, buf), 0);
    CHECK_EQ(vl_tcb_set_priority(tcb, VL_CAP_INIT_TCB, 100), 0);
    vl_word_t regs[VL_NUM_REGISTERS] = {0};
    regs[VL_REG_PC] = img.entry;
    regs[VL_REG_SP] = CHILD_STACK_TOP;
    regs[VL_REG_A0] = (vl_word_t)&parent_secret;
    CHECK_EQ(vl_tcb_write_registers(tcb, 1, VL_NUM_REGISTERS, regs), 0);

    /* Its segments arrived: 0x1234 + 1 + 2 + 3 + 5, with a zero bss. */
    struct vl_msg m = vl_recv(ep);
    CHECK_EQ(m.badge, 0x77);
    CHECK_EQ(vl_msginfo_label(m.info), 42);
    CHECK_EQ(m.mr[0], 0x1234 + 11);
    CHECK_EQ(m.mr[1], 0x1234 + 11);
    vl_word_t mr[VL_MSG_REGS] = {500};
    m = vl_reply_recv(ep, vl_msginfo(0, 0, 0, 1), mr);
    CHECK_EQ(vl_msginfo_label(m.info), 43);
    CHECK_EQ(m.mr[0], 501);
    /* Its attempt to read our memory is a reported page fault, nothing more. */
    m = vl_reply_recv(ep, vl_msginfo(0, 0, 0, 0), mr);
    CHECK_EQ(m.badge, 0xf);
    CHECK_EQ(vl_msginfo_label(m.info), VL_FAULT_VM);
    CHECK_EQ(m.mr[1], (vl_word_t)&parent_secret);
    CHECK_EQ(parent_secret, 0xfeed);
    CHECK_EQ(vl_tcb_suspend(tcb), 0);
}

static void
test_process_bad_images(void)
{
    static char copy[8192] __attribute__((aligned(8)));
    size_t size = (size_t)((uintptr_t)proc_image_end - (uintptr_t)proc_image_start);
    size_t n = size < sizeof(copy) ? size : sizeof(copy);
    struct elf_image img;
    /* Truncated, wrong magic, wrong machine: refused before anything is created. */
    memcpy(copy, proc_image_start, n);
    CHECK(elf_parse(copy, 40, VL_USER_TOP, &img) != ELF_OK);
    copy[0] = 0;
    CHECK_EQ(elf_parse(copy, n, VL_USER_TOP, &img), ELF_ERR_MAGIC);
    memcpy(copy, proc_image_start, n);
    copy[18] = 62; /* x86-64 */
    CHECK_EQ(elf_parse(copy, n, VL_USER_TOP, &img), ELF_ERR_MACHINE);
    /* Segments beyond the user address range are refused. */
    CHECK(elf_parse(proc_image_start, size, 0x10000, &img) != ELF_OK);
}

void
proc_tests(void)
{
    RUN(test_process_load_and_run);
    RUN(test_process_bad_images);
}
