/*
 * The NS16550 driver core (see ns16550.h). Register names are lib/sys's vallum/ns16550.h.
 */
#include "ns16550.h"

#include <vallum/ns16550.h>

static uint8_t
reg_read(struct ns16550 *u, unsigned reg)
{
    return hw_read8(&u->regs, (uint64_t)reg << u->reg_shift);
}

static void
reg_write(struct ns16550 *u, unsigned reg, uint8_t value)
{
    hw_write8(&u->regs, (uint64_t)reg << u->reg_shift, value);
}

bool
ns16550_open(struct ns16550 *u, const char *region, unsigned reg_shift)
{
    struct hw_window w;
    if (reg_shift > 2 || !hw_window_open(&w, region) ||
        w.size < (uint64_t)NS16550_NREGS << reg_shift) {
        return false;
    }
    *u = (struct ns16550){.regs = w, .reg_shift = reg_shift};
    ns16550_reset(u);
    return true;
}

void
ns16550_reset(struct ns16550 *u)
{
    /* DLAB first: with it set, IER's offset is the divisor's high byte. */
    reg_write(u, NS16550_LCR, NS16550_LCR_8N1);
    hw_fence_io();
    reg_write(u, NS16550_IER, 0);
    u->ier = 0;
    reg_write(u, NS16550_FCR,
              NS16550_FCR_ENABLE | NS16550_FCR_CLEAR_RX | NS16550_FCR_CLEAR_TX |
                  NS16550_FCR_TRIGGER_1);
    reg_write(u, NS16550_MCR, NS16550_MCR_DTR | NS16550_MCR_RTS | NS16550_MCR_OUT2);
    hw_fence_io();
    /* A UART without FIFOs (a 16450) ignores FCR and reads 0 in IIR's top bits. */
    uint8_t iir = reg_read(u, NS16550_IIR);
    u->fifo_depth = (iir & NS16550_IIR_FIFOS) == NS16550_IIR_FIFOS ? NS16550_FIFO_DEPTH : 1;
    /* Read away what is stale: line status, a byte that arrived after the clear (a 16450
     * has no FIFO to clear), modem status. */
    for (unsigned i = 0;
         i < NS16550_FIFO_DEPTH + 1 && (reg_read(u, NS16550_LSR) & NS16550_LSR_DR) != 0; i++) {
        (void)reg_read(u, NS16550_RBR);
    }
    (void)reg_read(u, NS16550_MSR);
    u->stats = (struct ns16550_stats){0};
    u->head_lsr = 0;
    u->ier = NS16550_IER_RDI | NS16550_IER_RLSI;
    hw_fence_io();
    reg_write(u, NS16550_IER, u->ier);
}

size_t
ns16550_tx(struct ns16550 *u, const uint8_t *buf, size_t len)
{
    if ((reg_read(u, NS16550_LSR) & NS16550_LSR_THRE) == 0) {
        return 0;
    }
    /* THRE: the FIFO is empty, so a FIFO's depth fits, and no more. */
    size_t n = len < u->fifo_depth ? len : u->fifo_depth;
    hw_fence_io();
    for (size_t i = 0; i < n; i++) {
        reg_write(u, NS16550_THR, buf[i]);
    }
    u->stats.tx_bytes += n;
    return n;
}

void
ns16550_tx_irq(struct ns16550 *u, bool on)
{
    uint8_t ier = on ? u->ier | NS16550_IER_THRI : u->ier & ~NS16550_IER_THRI;
    if (ier != u->ier) {
        u->ier = ier;
        reg_write(u, NS16550_IER, ier);
    }
}

void
ns16550_rx_irq(struct ns16550 *u, bool on)
{
    uint8_t ier = on ? u->ier | NS16550_IER_RDI : u->ier & ~NS16550_IER_RDI;
    if (ier != u->ier) {
        u->ier = ier;
        reg_write(u, NS16550_IER, ier);
    }
}

bool
ns16550_tx_idle(struct ns16550 *u)
{
    return (reg_read(u, NS16550_LSR) & NS16550_LSR_TEMT) != 0;
}

/* Counts the errors in a line status value; true if the byte at the head is bad. */
static bool
count_errors(struct ns16550 *u, uint8_t lsr)
{
    if (lsr & NS16550_LSR_OE) {
        u->stats.overruns++;
    }
    if (lsr & NS16550_LSR_BI) {
        u->stats.breaks++; /* a break also sets FE on most UARTs: count it once */
        return true;
    }
    if (lsr & NS16550_LSR_PE) {
        u->stats.parity++;
        return true;
    }
    if (lsr & NS16550_LSR_FE) {
        u->stats.framing++;
        return true;
    }
    return false;
}

size_t
ns16550_rx(struct ns16550 *u, uint8_t *buf, size_t max)
{
    size_t n = 0;
    /* Dropped bytes count against the bound too, so a line full of errors ends the loop.
     * LSR is read only when a byte will be taken: reading it clears the error bits that
     * describe the byte at the head. */
    size_t budget = max + 2 * (size_t)u->fifo_depth + 2;
    while (n < max && budget > 0) {
        uint8_t lsr = reg_read(u, NS16550_LSR) | u->head_lsr;
        u->head_lsr = 0;
        if ((lsr & NS16550_LSR_DR) == 0) {
            count_errors(u, lsr & NS16550_LSR_OE); /* an overrun is reported without data */
            break;
        }
        budget--;
        hw_fence_io();
        uint8_t b = reg_read(u, NS16550_RBR);
        if (!count_errors(u, lsr)) {
            buf[n++] = b;
            u->stats.rx_bytes++;
        }
    }
    return n;
}

bool
ns16550_rx_ready(struct ns16550 *u)
{
    uint8_t lsr = reg_read(u, NS16550_LSR);
    if ((lsr & NS16550_LSR_DR) == 0) {
        count_errors(u, lsr & NS16550_LSR_OE);
        return false;
    }
    count_errors(u, lsr & NS16550_LSR_OE);
    /* Reading LSR cleared the head byte's error bits: keep them for ns16550_rx. */
    u->head_lsr = lsr & (NS16550_LSR_PE | NS16550_LSR_FE | NS16550_LSR_BI);
    return true;
}

bool
ns16550_irq_pending(struct ns16550 *u)
{
    return (reg_read(u, NS16550_IIR) & NS16550_IIR_NO_INT) == 0;
}
