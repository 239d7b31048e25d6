/*
 * Host tests of lib/hw (its host implementation, ASan + UBSan): register accesses of every
 * width reach the simulated device at the right offset, bad accesses are refused and
 * counted, DMA addresses are checked, and the example goldfish clock driver (the same source
 * the ringrx component runs in QEMU) works against a simulated goldfish RTC.
 */
#include <vallum/hw.h>

#include "../../../lib/hw/example/goldfish_clock.h"
#include <vallum/goldfish_rtc.h>

#define VLTEST_STRERROR(x) "?"
#include "../vltest.h"

/* A register file: 64 bytes of little-endian memory, and a log of the last access. */
struct regfile {
    uint8_t bytes[64];
    unsigned reads, writes;
    uint64_t last_off;
    unsigned last_width;
};

static uint64_t
regfile_read(void *ctx, uint64_t off, unsigned width)
{
    struct regfile *r = ctx;
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++) {
        v |= (uint64_t)r->bytes[off + i] << (8 * i);
    }
    r->reads++, r->last_off = off, r->last_width = width;
    return v;
}

static void
regfile_write(void *ctx, uint64_t off, unsigned width, uint64_t value)
{
    struct regfile *r = ctx;
    for (unsigned i = 0; i < width; i++) {
        r->bytes[off + i] = (uint8_t)(value >> (8 * i));
    }
    r->writes++, r->last_off = off, r->last_width = width;
}

static const struct hw_model regfile_model = {regfile_read, regfile_write};

static bool
test_window_open(void)
{
    static struct regfile rf;
    struct hw_window w = {.size = 12345};
    hw_host_reset();
    EXPECT(!hw_window_open(&w, "regs"));
    EXPECT_EQ(w.size, 12345); /* untouched */
    EXPECT(hw_host_attach("regs", &regfile_model, &rf, sizeof(rf.bytes)));
    EXPECT(!hw_window_open(&w, "reg"));
    EXPECT(hw_window_open(&w, "regs"));
    EXPECT_EQ(w.size, 64);
    EXPECT_EQ(w.bad_accesses, 0);
    EXPECT(w.base == NULL && w.model == &regfile_model && w.model_ctx == &rf);
    EXPECT(!hw_host_attach("a name that is far too long for it", &regfile_model, &rf, 64));
    for (unsigned i = 1; i < HW_HOST_MAX_DEVICES; i++) {
        EXPECT(hw_host_attach("more", &regfile_model, &rf, 64));
    }
    EXPECT(!hw_host_attach("one too many", &regfile_model, &rf, 64));
    hw_host_reset();
    EXPECT(!hw_window_open(&w, "regs"));
    return true;
}

static bool
test_widths(void)
{
    static struct regfile rf;
    struct hw_window w;
    memset(&rf, 0, sizeof(rf));
    hw_host_reset();
    EXPECT(hw_host_attach("regs", &regfile_model, &rf, sizeof(rf.bytes)));
    EXPECT(hw_window_open(&w, "regs"));
    hw_write64(&w, 8, 0x0807060504030201ull);
    EXPECT_EQ(rf.last_width, 8);
    EXPECT_EQ(rf.last_off, 8);
    EXPECT_EQ(hw_read8(&w, 9), 0x02);
    EXPECT_EQ(rf.last_width, 1);
    EXPECT_EQ(hw_read16(&w, 10), 0x0403);
    EXPECT_EQ(rf.last_width, 2);
    EXPECT_EQ(hw_read32(&w, 12), 0x08070605);
    EXPECT_EQ(rf.last_width, 4);
    EXPECT_EQ(hw_read64(&w, 8), 0x0807060504030201ull);
    hw_write8(&w, 63, 0xaa);
    hw_write16(&w, 0, 0xbbcc);
    hw_write32(&w, 60, 0x11223344);
    EXPECT_EQ(rf.bytes[63], 0x11);
    EXPECT_EQ(rf.bytes[0], 0xcc);
    EXPECT_EQ(rf.bytes[1], 0xbb);
    EXPECT_EQ(hw_read32(&w, 60), 0x11223344);
    EXPECT_EQ(rf.writes, 4);
    EXPECT_EQ(w.bad_accesses, 0);
    hw_fence_io();
    hw_fence_to_device();
    hw_fence_from_device();
    return true;
}

/* Out-of-window and misaligned accesses never reach the device. */
static bool
test_bad_accesses(void)
{
    static struct regfile rf;
    struct hw_window w;
    memset(&rf, 0, sizeof(rf));
    hw_host_reset();
    EXPECT(hw_host_attach("regs", &regfile_model, &rf, sizeof(rf.bytes)));
    EXPECT(hw_window_open(&w, "regs"));
    EXPECT_EQ(hw_read8(&w, 64), 0xff);
    EXPECT_EQ(hw_read16(&w, 63), 0xffff); /* misaligned and crossing the end */
    EXPECT_EQ(hw_read16(&w, 1), 0xffff);  /* misaligned */
    EXPECT_EQ(hw_read32(&w, 62), 0xffffffffu);
    EXPECT_EQ(hw_read64(&w, 60), UINT64_MAX);             /* aligned to 4 only */
    EXPECT_EQ(hw_read64(&w, UINT64_MAX - 7), UINT64_MAX); /* off + 8 would overflow */
    hw_write8(&w, 64, 1);
    hw_write16(&w, 3, 1);
    hw_write32(&w, 64, 1);
    hw_write64(&w, 4, 1);
    EXPECT_EQ(rf.reads, 0);
    EXPECT_EQ(rf.writes, 0);
    EXPECT_EQ(w.bad_accesses, 10);
    /* A window smaller than the access. */
    hw_host_reset();
    EXPECT(hw_host_attach("tiny", &regfile_model, &rf, 2));
    EXPECT(hw_window_open(&w, "tiny"));
    EXPECT_EQ(hw_read32(&w, 0), 0xffffffffu);
    EXPECT_EQ(hw_read16(&w, 0), 0);
    EXPECT_EQ(w.bad_accesses, 1);
    return true;
}

static bool
test_dma_addr(void)
{
    static uint8_t mem[4096];
    struct hw_dma d = {mem, 0x80400000, sizeof(mem)};
    EXPECT_EQ(hw_dma_addr(&d, mem, 4096), 0x80400000);
    EXPECT_EQ(hw_dma_addr(&d, mem + 100, 10), 0x80400064);
    EXPECT_EQ(hw_dma_addr(&d, mem + 4096, 0), 0x80401000); /* the end, as a position */
    EXPECT_EQ(hw_dma_addr(&d, mem + 4095, 2), HW_DMA_NONE);
    EXPECT_EQ(hw_dma_addr(&d, mem + 4096, 1), HW_DMA_NONE);
    EXPECT_EQ(hw_dma_addr(&d, mem + 1, UINT64_MAX), HW_DMA_NONE); /* length overflows */
    EXPECT_EQ(hw_dma_addr(&d, (uint8_t *)mem - 1, 1), HW_DMA_NONE);
    EXPECT_EQ(hw_dma_addr(&d, (uint8_t *)mem + 8192, 0), HW_DMA_NONE);
    return true;
}

/*
 * The simulated goldfish RTC: its clock advances by `tick` ns on every register access (so
 * a driver that read the halves without the latch would see them from different instants);
 * reading TIME_LOW latches the high half, as QEMU's device does. Writing ALARM_LOW arms the
 * alarm from the ALARM_HIGH written before.
 */
struct goldfish {
    uint64_t now, tick;
    uint32_t latched_high, alarm_high;
    uint64_t alarm;
    bool armed, irq_enabled;
    unsigned accesses;
};

static uint64_t
goldfish_read(void *ctx, uint64_t off, unsigned width)
{
    struct goldfish *g = ctx;
    g->accesses++;
    g->now += g->tick;
    if (width != 4) {
        return 0;
    }
    switch (off) {
    case GOLDFISH_RTC_TIME_LOW:
        g->latched_high = (uint32_t)(g->now >> 32);
        return (uint32_t)g->now;
    case GOLDFISH_RTC_TIME_HIGH:
        return g->latched_high;
    default:
        return 0;
    }
}

static void
goldfish_write(void *ctx, uint64_t off, unsigned width, uint64_t value)
{
    struct goldfish *g = ctx;
    g->accesses++;
    if (width != 4) {
        return;
    }
    switch (off) {
    case GOLDFISH_RTC_ALARM_HIGH:
        g->alarm_high = (uint32_t)value;
        break;
    case GOLDFISH_RTC_ALARM_LOW:
        g->alarm = ((uint64_t)g->alarm_high << 32) | (uint32_t)value;
        g->armed = true;
        break;
    case GOLDFISH_RTC_IRQ_ENABLED:
        g->irq_enabled = value & 1;
        break;
    default:
        break;
    }
}

static const struct hw_model goldfish_model = {goldfish_read, goldfish_write};

static bool
test_goldfish_clock_driver(void)
{
    static struct goldfish g;
    struct goldfish_clock c;
    hw_host_reset();
    EXPECT(!goldfish_clock_open(&c, "rtc")); /* no device */
    EXPECT(hw_host_attach("small", &goldfish_model, &g, GOLDFISH_RTC_CLEAR_INTERRUPT));
    EXPECT(!goldfish_clock_open(&c, "small")); /* too small for its registers */
    EXPECT(hw_host_attach("rtc", &goldfish_model, &g, 4096));
    EXPECT(goldfish_clock_open(&c, "rtc"));
    /* Just below a carry into the high half: the ticks between the two reads cross it. */
    g = (struct goldfish){.now = 0x17fffffff0ull, .tick = 0x20};
    uint64_t t = goldfish_clock_ns(&c);
    EXPECT_EQ(t, 0x1800000010ull); /* the instant of the TIME_LOW read, both halves */
    EXPECT_EQ(g.accesses, 2);
    goldfish_clock_set_alarm(&c, 0x123456789abcdef0ull);
    EXPECT(g.armed && g.irq_enabled);
    EXPECT_EQ(g.alarm, 0x123456789abcdef0ull);
    EXPECT_EQ(c.regs.bad_accesses, 0);
    return true;
}

/* hw_dma_open finds a dma region by name, never a device window, and leaves *d alone on a
 * miss; hw_window_open never returns a dma region. */
static bool
test_dma_open(void)
{
    static uint8_t mem[8192];
    static struct regfile rf;
    struct hw_dma reg = {mem, 0x80400000, sizeof(mem)}, d = {NULL, 7, 7};
    struct hw_window w = {.size = 5};
    hw_host_reset();
    EXPECT(!hw_dma_open(&d, "bufs"));
    EXPECT(hw_host_attach("regs", &regfile_model, &rf, sizeof(rf.bytes)));
    EXPECT(hw_host_attach_dma("bufs", &reg));
    EXPECT(!hw_dma_open(&d, "regs"));
    EXPECT(!hw_window_open(&w, "bufs"));
    EXPECT(d.vaddr == NULL && d.device_addr == 7 && d.size == 7 && w.size == 5);
    EXPECT(hw_dma_open(&d, "bufs"));
    EXPECT(d.vaddr == mem && d.device_addr == 0x80400000 && d.size == sizeof(mem));
    EXPECT(!hw_host_attach_dma("a_name_of_thirty_two_characters_", &reg));
    for (unsigned i = 2; i < HW_HOST_MAX_DEVICES; i++) {
        EXPECT(hw_host_attach_dma("more", &reg));
    }
    EXPECT(!hw_host_attach_dma("full", &reg));
    hw_host_reset();
    EXPECT(!hw_dma_open(&d, "bufs"));
    return true;
}

int
main(void)
{
    run("hw/window_open", test_window_open);
    run("hw/widths", test_widths);
    run("hw/bad_accesses", test_bad_accesses);
    run("hw/dma_addr", test_dma_addr);
    run("hw/dma_open", test_dma_open);
    run("hw/goldfish_clock_driver", test_goldfish_clock_driver);
    return g_failed == 0 ? 0 : 1;
}
