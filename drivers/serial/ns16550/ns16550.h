/*
 * The NS16550 driver core (docs/drivers.md, "Writing a driver"): everything the serial
 * driver does to the UART, written against lib/hw only, so the same source runs in the
 * serial component (apps/serial) and against the simulated UART of tests/unit/hw.
 *
 * It keeps no buffers of its own: the caller hands it bytes to send and space for bytes
 * received, and decides what to do when either side cannot keep up. The rules it follows:
 *
 *   transmit  a byte goes to THR only when LSR.THRE says the transmit FIFO is empty, and
 *             then at most a FIFO's depth of them (16 on a 16550A, 1 on a UART without
 *             FIFOs, found at reset from IIR); a byte written to a full FIFO is lost.
 *   receive   bytes are read while LSR.DR is set; LSR is read before each byte, because it
 *             describes the byte at the head of the FIFO: a byte with a parity or framing
 *             error and the 0 a break delivers are dropped and counted, an overrun (bytes
 *             lost inside the UART) is counted.
 *   interrupts received data and line status are always enabled; the transmitter-empty
 *             interrupt only while the caller has more to send (ns16550_tx_irq), since it
 *             would otherwise fire for ever on an idle line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vallum/hw.h>

/* Line status events and byte counts since ns16550_open. */
struct ns16550_stats {
    uint64_t tx_bytes; /* bytes written to THR */
    uint64_t rx_bytes; /* good bytes handed to the caller */
    uint64_t overruns; /* LSR.OE seen: the UART lost bytes (how many, it does not say) */
    uint64_t parity;   /* bytes dropped for a parity error */
    uint64_t framing;  /* bytes dropped for a framing error */
    uint64_t breaks;   /* breaks received (each a dropped 0 byte) */
};

struct ns16550 {
    struct hw_window regs;
    unsigned reg_shift;  /* byte offset of register n is n << reg_shift */
    unsigned fifo_depth; /* bytes THR takes when LSR.THRE is set: 16, or 1 without FIFOs */
    uint8_t ier;         /* the value last written to IER (IER is not read back) */
    uint8_t head_lsr;    /* PE/FE/BI of the head byte, read by ns16550_rx_ready, not yet used */
    struct ns16550_stats stats;
};

/*
 * Opens the UART whose registers are the device region `region` and resets it (see
 * ns16550_reset). Returns false, touching nothing, if there is no such region or it is
 * smaller than the registers at this reg_shift.
 */
bool ns16550_open(struct ns16550 *u, const char *region, unsigned reg_shift);

/*
 * Puts the UART into a known state whatever a previous driver left: interrupts off, DLAB
 * clear, both FIFOs enabled and emptied (bytes a dead driver left in them are dropped),
 * 8N1, DTR/RTS/OUT2 set, stale line status, interrupt and received bytes read away; then
 * receive and line status interrupts on. Clears the statistics. The baud divisor is left
 * alone: QEMU ignores it and firmware set it on real boards.
 */
void ns16550_reset(struct ns16550 *u);

/*
 * Sends up to len bytes of buf: as many as the transmitter takes now (0 while it is busy,
 * else at most fifo_depth). Returns how many were written to THR.
 */
size_t ns16550_tx(struct ns16550 *u, const uint8_t *buf, size_t len);

/* Enables (on) or disables the transmitter-empty interrupt. */
void ns16550_tx_irq(struct ns16550 *u, bool on);

/* Enables (on, as after reset) or disables the received-data interrupt: a caller with no
 * room for input turns it off, leaving the bytes in the UART, instead of dropping them. */
void ns16550_rx_irq(struct ns16550 *u, bool on);

/*
 * Whether the transmitter has taken everything: LSR.TEMT (the FIFO and the shift register
 * are empty), so nothing written so far can still be lost by a reset.
 */
bool ns16550_tx_idle(struct ns16550 *u);

/*
 * Reads received bytes into buf, at most max, dropping and counting bad ones (see the
 * header comment). Returns how many good bytes it stored; bytes beyond max stay in the
 * UART (its interrupt stays asserted). Bounded: it takes at most max + 2 * fifo_depth + 2
 * bytes, good or bad, even from a UART that never runs dry.
 */
size_t ns16550_rx(struct ns16550 *u, uint8_t *buf, size_t max);

/* Whether a received byte waits (LSR.DR). Reads LSR: its error bits are counted here, as
 * ns16550_rx would, so none is lost. */
bool ns16550_rx_ready(struct ns16550 *u);

/* Whether the UART has an interrupt pending (IIR bit 0 clear). Reading IIR acknowledges a
 * transmitter-empty interrupt, so call ns16550_tx again when this has returned true. */
bool ns16550_irq_pending(struct ns16550 *u);
