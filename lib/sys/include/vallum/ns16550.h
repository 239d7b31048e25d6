/*
 * The NS16550A UART (QEMU virt's console, at 0x10000000, interrupt 10): its 8-bit
 * registers as register numbers; the byte offset is the number shifted left by the
 * device tree's reg-shift (0 on QEMU virt). Offsets 0 and 1 name other registers while
 * LCR.DLAB is set (the baud divisor), so a driver clears DLAB before touching data.
 */
#pragma once

#define NS16550_RBR 0 /* read: the oldest received byte (DLAB clear) */
#define NS16550_THR 0 /* write: a byte to send (DLAB clear) */
#define NS16550_DLL 0 /* the divisor's low byte (DLAB set) */
#define NS16550_IER 1 /* interrupt enable (DLAB clear) */
#define NS16550_DLM 1 /* the divisor's high byte (DLAB set) */
#define NS16550_IIR 2 /* read: interrupt identification */
#define NS16550_FCR 2 /* write: FIFO control */
#define NS16550_LCR 3 /* line control */
#define NS16550_MCR 4 /* modem control */
#define NS16550_LSR 5 /* line status */
#define NS16550_MSR 6 /* modem status */
#define NS16550_SCR 7 /* scratch */
#define NS16550_NREGS 8

#define NS16550_IER_RDI 0x01  /* received data available (or the FIFO's timeout) */
#define NS16550_IER_THRI 0x02 /* the transmit holding register (FIFO) became empty */
#define NS16550_IER_RLSI 0x04 /* a receive line status error */

#define NS16550_IIR_NO_INT 0x01 /* bit 0 set: no interrupt pending */
#define NS16550_IIR_ID_MASK 0x0e
#define NS16550_IIR_THRI 0x02    /* the transmitter is empty (cleared by reading IIR) */
#define NS16550_IIR_RDI 0x04     /* received data at the trigger level */
#define NS16550_IIR_RLSI 0x06    /* a line status error (cleared by reading LSR) */
#define NS16550_IIR_TIMEOUT 0x0c /* received data below the trigger level, idle for a while */
#define NS16550_IIR_FIFOS 0xc0   /* both bits set: the FIFOs are on (a 16550A, not a 16450) */

#define NS16550_FCR_ENABLE 0x01
#define NS16550_FCR_CLEAR_RX 0x02
#define NS16550_FCR_CLEAR_TX 0x04
#define NS16550_FCR_TRIGGER_1 0x00 /* interrupt at the first received byte */

#define NS16550_LCR_8N1 0x03 /* eight data bits, no parity, one stop bit */
#define NS16550_LCR_DLAB 0x80

#define NS16550_MCR_DTR 0x01
#define NS16550_MCR_RTS 0x02
#define NS16550_MCR_OUT2 0x08 /* on a PC, gates the interrupt line; set it as drivers do */

#define NS16550_LSR_DR 0x01   /* a received byte is waiting */
#define NS16550_LSR_OE 0x02   /* overrun: a byte was lost before the next one */
#define NS16550_LSR_PE 0x04   /* parity error in the byte at the head */
#define NS16550_LSR_FE 0x08   /* framing error in the byte at the head */
#define NS16550_LSR_BI 0x10   /* break: the byte at the head is a 0 standing for it */
#define NS16550_LSR_THRE 0x20 /* the transmit FIFO is empty: up to a FIFO's worth may go */
#define NS16550_LSR_TEMT 0x40 /* the transmitter is wholly idle */
#define NS16550_LSR_ERRORS (NS16550_LSR_OE | NS16550_LSR_PE | NS16550_LSR_FE | NS16550_LSR_BI)

#define NS16550_FIFO_DEPTH 16 /* bytes each FIFO of a 16550A holds */
