/*
 * SBI calls, the Sstc probe, the debug console hook and machine halt.
 */
#include "arch/machine.h"
#include "arch/riscv.h"
#include "plat/console.h"

struct sbi_ret
sbi_call(word_t ext, word_t fid, word_t a0, word_t a1, word_t a2)
{
    register word_t r_a0 __asm__("a0") = a0;
    register word_t r_a1 __asm__("a1") = a1;
    register word_t r_a2 __asm__("a2") = a2;
    register word_t r_a6 __asm__("a6") = fid;
    register word_t r_a7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r_a0), "+r"(r_a1) : "r"(r_a2), "r"(r_a6), "r"(r_a7) : "memory");
    struct sbi_ret ret = {(long)r_a0, (long)r_a1};
    return ret;
}

bool
arch_has_stimecmp(void)
{
    word_t ok;
    word_t saved_stvec;
    word_t saved_sstatus;

    /*
     * If the read traps, the trap goes to label 1 with ok still 0. A trap from S-mode sets
     * sstatus.SPP, which must stay 0 (sret returns to U-mode), and moves SIE to SPIE:
     * sstatus is put back as it was, and sepc, scause and stval mean nothing at boot.
     * stvec in direct mode needs a 4-byte aligned target.
     */
    __asm__ volatile("   li %0, 0\n"
                     "   csrr %2, sstatus\n"
                     "   la t0, 1f\n"
                     "   csrrw %1, stvec, t0\n"
                     "   csrr t0, 0x14d\n"
                     "   li %0, 1\n"
                     "   .balign 4\n"
                     "1: csrw stvec, %1\n"
                     "   csrw sstatus, %2\n"
                     : "=&r"(ok), "=&r"(saved_stvec), "=&r"(saved_sstatus)
                     :
                     : "t0", "memory");
    return ok != 0;
}

void
arch_putchar(char c)
{
    console_putchar(c);
}

void
arch_halt(word_t status)
{
    plat_halt(status);
}

bool
arch_slot_is_static(const struct cte *slot)
{
    /* Boot puts every first-task cap into the first task's CNode; the idle thread's slots
     * never hold a cap. */
    (void)slot;
    return false;
}

void
arch_power_off(word_t status)
{
    plat_halt(status);
}

void
arch_reset(void)
{
    plat_reset();
}
