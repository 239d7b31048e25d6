/*
 * The PLIC (platform-level interrupt controller), found in the device tree. The kernel
 * uses one context: hart 0's supervisor mode.
 */
#include "arch/riscv.h"
#include "config.h"
#include "plat/plat.h"

#define PLIC_PRIORITY(irq) (0x0 + 4 * (irq))
#define PLIC_ENABLE(ctx) (0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx) (0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx) (0x200004 + 0x1000 * (ctx))

static volatile uint8_t *plic;
static word_t plic_ctx;
static word_t plic_ndev;

static volatile uint32_t *
reg(word_t off)
{
    return (volatile uint32_t *)(plic + off);
}

/* Sets up the PLIC at base with ndev sources; all sources start disabled. */
void plat_plic_init(paddr_t base, word_t ndev, word_t ctx);
void
plat_plic_init(paddr_t base, word_t ndev, word_t ctx)
{
    plic = paddr_to_pptr(base);
    plic_ctx = ctx;
    plic_ndev = MIN(ndev + 1, (word_t)CONFIG_MAX_IRQS);
    for (word_t irq = 1; irq < plic_ndev; irq++) {
        *reg(PLIC_PRIORITY(irq)) = 1;
        plat_irq_set_enabled(irq, false);
    }
    *reg(PLIC_THRESHOLD(ctx)) = 0;
}

word_t
plat_irq_count(void)
{
    return plic != NULL ? plic_ndev : 0;
}

void
plat_irq_set_enabled(word_t irq, bool enabled)
{
    if (plic == NULL || irq == 0 || irq >= plic_ndev) {
        return;
    }
    volatile uint32_t *word = reg(PLIC_ENABLE(plic_ctx) + 4 * (irq / 32));
    if (enabled) {
        *word |= 1u << (irq % 32);
    } else {
        *word &= ~(1u << (irq % 32));
    }
}

void
plat_irq_ack(word_t irq)
{
    if (plic == NULL || irq == 0 || irq >= plic_ndev) {
        return;
    }
    *reg(PLIC_CLAIM(plic_ctx)) = (uint32_t)irq;
}

word_t
plat_irq_claim(void)
{
    if (plic == NULL) {
        return 0;
    }
    return *reg(PLIC_CLAIM(plic_ctx));
}
