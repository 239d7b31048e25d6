/*
 * A simulated NS16550A for host tests of drivers (tests/unit/hw/test_ns16550.c): the
 * registers, both FIFOs, DLAB, line status and interrupt identification as the data sheet
 * gives them, and the ways a driver can break the rules, counted: a byte written to a
 * full transmit FIFO is lost (thr_overflows), so is an access of any width but 1
 * (bad_widths). The test plays the line: it delivers received bytes (with an error if it
 * likes) and lets the transmitter send.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <vallum/hw.h>

#define NS16550_MODEL_OUT 4096 /* bytes of transmitted output kept */

struct ns16550_model {
    bool has_fifos; /* a 16550A; false: a 16450, whose FCR does nothing */
    /* Registers. */
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    bool fifos_on;
    /* Receive FIFO: bytes and the line status bits (PE, FE, BI) each arrived with. */
    uint8_t rx[16], rx_flags[16];
    unsigned rx_head, rx_count;
    bool overrun;    /* LSR.OE, until LSR is read */
    bool head_shown; /* the head byte's error bits were reported by an LSR read */
    /* Transmit FIFO. */
    uint8_t tx[16];
    unsigned tx_head, tx_count;
    bool thri_pending; /* the THR-empty interrupt, until IIR is read or THR written */
    /* What went out on the line. */
    uint8_t out[NS16550_MODEL_OUT];
    unsigned out_len;
    /* Rule breaks. */
    unsigned thr_overflows, bad_widths;
};

extern const struct hw_model ns16550_model_ops;

/* A UART in its power-on state (FIFOs off, everything 0, THR empty). */
void ns16550_model_init(struct ns16550_model *m, bool has_fifos);

/* The line delivers byte b with line status bits flags (NS16550_LSR_PE/FE/BI or 0).
 * Returns false if the receive FIFO was full: the byte is lost and OE set. */
bool ns16550_model_receive(struct ns16550_model *m, uint8_t b, uint8_t flags);

/* The transmitter sends up to n bytes from its FIFO onto the line (into out). */
void ns16550_model_send(struct ns16550_model *m, unsigned n);

/* Whether the interrupt line is asserted. */
bool ns16550_model_irq(const struct ns16550_model *m);
