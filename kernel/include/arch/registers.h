/*
 * Which saved user registers carry system-call arguments (RISC-V: regs[i] is x_i,
 * regs[0] is the pc to resume at). See uapi/vallum/syscall.h for the convention.
 */
#pragma once

#define REG_PC 0
#define REG_SP 2
#define REG_CAP 10     /* a0: capability pointer on entry */
#define REG_BADGE 10   /* a0: badge on return */
#define REG_MSGINFO 11 /* a1 */
#define REG_MR0 12     /* a2..a5: message registers 0..3 */
#define REG_SYSNO 17   /* a7 */
