/*
 * The serial console's rings (docs/drivers.md, "Writing a driver"): the shapes the serial
 * driver (apps/serial) and the console virtualiser (apps/console) agree on, and their
 * channel ids. The regions are the system description's (systems/console).
 *
 *   tx  virtualiser -> driver: whole lines (one buffer each, at most SERIAL_TX_BUF bytes)
 *   rx  driver -> virtualiser: received bytes as they came (at most SERIAL_RX_BUF a buffer)
 */
#pragma once

#define SERIAL_TX_CAPACITY 64
#define SERIAL_TX_BUF 128
#define SERIAL_TX_NBUFS 64 /* 8 KiB of data: region serial_tx_data */
#define SERIAL_RX_CAPACITY 16
#define SERIAL_RX_BUF 64
#define SERIAL_RX_NBUFS 16 /* 1 KiB of data: region serial_rx_data */

#define SERIAL_CH_PEER 0 /* the driver's and the virtualiser's notify channel */
#define SERIAL_CH_IRQ 1  /* the driver's: the UART's interrupt */
