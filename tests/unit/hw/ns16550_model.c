/*
 * The simulated NS16550A (see ns16550_model.h).
 */
#include "ns16550_model.h"

#include <string.h>
#include <vallum/ns16550.h>

static unsigned
depth(const struct ns16550_model *m)
{
    return m->fifos_on ? NS16550_FIFO_DEPTH : 1;
}

void
ns16550_model_init(struct ns16550_model *m, bool has_fifos)
{
    memset(m, 0, sizeof(*m));
    m->has_fifos = has_fifos;
}

bool
ns16550_model_receive(struct ns16550_model *m, uint8_t b, uint8_t flags)
{
    if (m->rx_count == depth(m)) {
        m->overrun = true;
        return false;
    }
    unsigned i = (m->rx_head + m->rx_count) % 16;
    m->rx[i] = b;
    m->rx_flags[i] = flags & (NS16550_LSR_PE | NS16550_LSR_FE | NS16550_LSR_BI);
    m->rx_count++;
    return true;
}

void
ns16550_model_send(struct ns16550_model *m, unsigned n)
{
    for (; n > 0 && m->tx_count > 0; n--) {
        if (m->out_len < NS16550_MODEL_OUT) {
            m->out[m->out_len++] = m->tx[m->tx_head];
        }
        m->tx_head = (m->tx_head + 1) % 16;
        m->tx_count--;
        if (m->tx_count == 0) {
            m->thri_pending = true;
        }
    }
}

/* The head byte's error bits, unless an LSR read has reported them already. */
static uint8_t
head_errors(const struct ns16550_model *m)
{
    return m->rx_count > 0 && !m->head_shown ? m->rx_flags[m->rx_head] : 0;
}

static uint8_t
lsr_value(const struct ns16550_model *m)
{
    uint8_t lsr = head_errors(m) | (m->overrun ? NS16550_LSR_OE : 0);
    if (m->rx_count > 0) {
        lsr |= NS16550_LSR_DR;
    }
    if (m->tx_count == 0) {
        lsr |= NS16550_LSR_THRE | NS16550_LSR_TEMT;
    }
    return lsr;
}

/* The highest-priority pending interrupt's IIR identification, or NS16550_IIR_NO_INT. */
static uint8_t
iir_id(const struct ns16550_model *m)
{
    if ((m->ier & NS16550_IER_RLSI) && (lsr_value(m) & NS16550_LSR_ERRORS)) {
        return NS16550_IIR_RLSI;
    }
    if ((m->ier & NS16550_IER_RDI) && m->rx_count > 0) {
        return NS16550_IIR_RDI;
    }
    if ((m->ier & NS16550_IER_THRI) && m->thri_pending) {
        return NS16550_IIR_THRI;
    }
    return NS16550_IIR_NO_INT;
}

bool
ns16550_model_irq(const struct ns16550_model *m)
{
    return iir_id(m) != NS16550_IIR_NO_INT;
}

static uint8_t
read_rbr(struct ns16550_model *m)
{
    if (m->rx_count == 0) {
        return 0;
    }
    uint8_t b = m->rx[m->rx_head];
    m->rx_head = (m->rx_head + 1) % 16;
    m->rx_count--;
    m->head_shown = false;
    return b;
}

static uint64_t
model_read(void *ctx, uint64_t off, unsigned width)
{
    struct ns16550_model *m = ctx;
    if (width != 1) {
        m->bad_widths++;
        return UINT64_MAX;
    }
    bool dlab = (m->lcr & NS16550_LCR_DLAB) != 0;
    switch (off) {
    case NS16550_RBR:
        return dlab ? m->dll : read_rbr(m);
    case NS16550_IER:
        return dlab ? m->dlm : m->ier;
    case NS16550_IIR: {
        uint8_t id = iir_id(m);
        if (id == NS16550_IIR_THRI) {
            m->thri_pending = false; /* reading IIR acknowledges it */
        }
        return id | (m->fifos_on ? NS16550_IIR_FIFOS : 0);
    }
    case NS16550_LCR:
        return m->lcr;
    case NS16550_MCR:
        return m->mcr;
    case NS16550_LSR: {
        uint8_t lsr = lsr_value(m);
        m->overrun = false;
        m->head_shown = m->rx_count > 0;
        return lsr;
    }
    case NS16550_MSR:
        return 0;
    case NS16550_SCR:
        return m->scr;
    default:
        return 0xff;
    }
}

static void
write_thr(struct ns16550_model *m, uint8_t b)
{
    m->thri_pending = false;
    if (m->tx_count == depth(m)) {
        m->thr_overflows++;
        return;
    }
    m->tx[(m->tx_head + m->tx_count) % 16] = b;
    m->tx_count++;
}

static void
write_fcr(struct ns16550_model *m, uint8_t v)
{
    if (!m->has_fifos) {
        return;
    }
    m->fifos_on = (v & NS16550_FCR_ENABLE) != 0;
    if ((v & NS16550_FCR_CLEAR_RX) || !m->fifos_on) {
        m->rx_count = 0, m->head_shown = false;
    }
    if ((v & NS16550_FCR_CLEAR_TX) || !m->fifos_on) {
        m->tx_count = 0;
    }
}

static void
model_write(void *ctx, uint64_t off, unsigned width, uint64_t value)
{
    struct ns16550_model *m = ctx;
    uint8_t v = (uint8_t)value;
    if (width != 1) {
        m->bad_widths++;
        return;
    }
    bool dlab = (m->lcr & NS16550_LCR_DLAB) != 0;
    switch (off) {
    case NS16550_THR:
        if (dlab) {
            m->dll = v;
        } else {
            write_thr(m, v);
        }
        break;
    case NS16550_IER:
        if (dlab) {
            m->dlm = v;
            break;
        }
        /* Enabling THRI while THR is empty raises it at once, as on a real 16550. */
        if ((v & NS16550_IER_THRI) && !(m->ier & NS16550_IER_THRI) && m->tx_count == 0) {
            m->thri_pending = true;
        }
        m->ier = v & 0x0f;
        break;
    case NS16550_FCR:
        write_fcr(m, v);
        break;
    case NS16550_LCR:
        m->lcr = v;
        break;
    case NS16550_MCR:
        m->mcr = v;
        break;
    case NS16550_SCR:
        m->scr = v;
        break;
    default:
        break;
    }
}

const struct hw_model ns16550_model_ops = {model_read, model_write};
