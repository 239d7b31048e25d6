#!/usr/bin/python3
"""Run the Vallum benchmark image under QEMU and report the results.

Usage:
    bench.py [--image IMAGE] [--quick] [--timeout SECONDS] [--out FILE] [--docs FILE]
             [--no-docs] [--log FILE]

The image (default build/release/images/bench.bin; a release kernel with bench/main.c as
its first task) boots in QEMU on one hart with "-icount shift=0,sleep=off", so the cycle
counter counts guest instructions and a run is deterministic. The guest prints, through
QEMU semihosting (a release kernel has no debug console for user space):

    VLBENCH <metric> <median> <min> <max> <samples>
    VLBENCH-INFO <key> <value...>
    VLBENCH-ERROR <metric> <reason...>
    VLBENCH-DONE <errors>

and ends the run with a semihosting exit. This script adds the host-side metrics
(kernel_text_bytes, kernel_sloc), checks every metric (present, nonzero, min <= median
<= max), and then:

  full mode (default): writes build/bench/results.json (sorted keys, stable formatting),
      prints a table with seL4's numbers under the same QEMU, regenerates
      docs/performance.md. Exit status 1 if any check failed.
  --quick: 20 samples per metric (the guest reads "quick" from the semihosting command
      line), prints "VLTEST PASS bench/<metric>" or "VLTEST FAIL bench/<metric> <reason>"
      per metric, writes build/bench/results-quick.json, does not touch the docs.
      Exit status 1 if any metric failed.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "tools"))
import qemu_run  # noqa: E402  (shares the QEMU command line with the test runner)

DEFAULT_IMAGE = "build/release/images/bench.bin"
DEFAULT_TIMEOUT = 120.0
SIZE_TOOL = "riscv64-unknown-elf-size"
NM_TOOL = "riscv64-unknown-elf-nm"
# QEMU options on top of qemu_run's (which adds -icount shift=0,sleep=off): semihosting for
# user mode (the guest's output channel) and the RTC on the virtual clock, so that the RTC
# alarm (irq_to_user) fires in virtual, deterministic time.
EXTRA_QEMU_ARGS = ["-semihosting-config", "enable=on,userspace=on,target=native",
                   "-rtc", "base=2020-01-01T00:00:00,clock=vm"]

# The metrics, in table order: name -> (unit, short description).
METRICS = [
    ("ipc_call_reply_cross_as", "instructions",
     "Call + ReplyRecv round trip, 0 words, client and server in different address spaces"),
    ("ipc_call_reply_same_as", "instructions",
     "Call + ReplyRecv round trip, 0 words, one address space"),
    ("ipc_call_reply_cross_as_10w", "instructions",
     "Call + ReplyRecv round trip, 10 words each way, different address spaces"),
    ("ipc_call_reply_cross_as_32w", "instructions",
     "Call + ReplyRecv round trip, 32 words each way, different address spaces"),
    ("idl_call_by_hand", "instructions",
     "counter's add (1 word each way) by hand: client call to result, across address spaces"),
    ("idl_call_generated", "instructions",
     "the same call through vlidl's generated client stub and server dispatch"),
    ("ipc_send_recv_cross_as", "instructions",
     "one-way Send, 0 words, to a waiting higher-priority receiver in another address space"),
    ("notify_wake_higher_prio", "instructions",
     "Signal waking a higher-priority waiter in another address space"),
    ("notify_signal_no_waiter", "instructions", "Signal of a notification nobody waits on"),
    ("yield_switch", "instructions", "Yield switching to another thread of the same priority"),
    ("timeslice_ticks", "timebase ticks",
     "a spinning thread's timeslice beside another of its priority, on the time counter"),
    ("timer_tick", "instructions",
     "a timer tick that switches nothing: user to kernel, next deadline armed, back to user"),
    ("irq_to_user", "instructions",
     "goldfish RTC alarm to the first instruction of the user handler"),
    ("timer_deadline_to_client", "instructions",
     "timer service: a client's deadline to its first instruction, through the service's "
     "interrupt handling and the client's notification (client in another address space)"),
    ("fault_roundtrip", "instructions",
     "page fault to a handler that maps the page and replies, until the thread resumes"),
    ("fault_exception_roundtrip", "instructions",
     "illegal instruction to a handler that replies with the next pc, until the thread resumes"),
    ("map_page_4k", "instructions", "Frame_Map of a 4 KiB frame (page tables present)"),
    ("unmap_page_4k", "instructions", "Frame_Unmap of a mapped 4 KiB frame"),
    ("retype_frame_4k", "instructions", "Untyped_Retype of one 4 KiB frame"),
    ("boot_to_init", "instructions", "kernel's first instruction to the first task's"),
    ("ring_batch32", "instructions",
     "lib/ring, per buffer, 32 per signal, batch calls: both sides, kernel, signal and wait"),
    ("ring_batch32_calls", "instructions",
     "lib/ring, per buffer, 32 per signal, one call per buffer: both sides, kernel, signal"),
    ("ring_signalled", "instructions",
     "lib/ring, per buffer, one signal per buffer: both sides, kernel, signal and wait"),
    ("delete_preempt_max_256", "instructions",
     "deleting a chain of 256 nested CNodes: most instructions between preemption checks"),
    ("delete_preempt_max_1024", "instructions",
     "the same with 1024 nested CNodes (must equal the 256 case within 5 %)"),
    ("delete_preempt_max_4096", "instructions",
     "the same with 4096 nested CNodes (must equal the 256 case within 5 %)"),
    ("kernel_text_bytes", "bytes", "kernel code and read-only data (without the first task)"),
    ("kernel_sloc", "lines", "kernel C and assembly, non-blank non-comment lines"),
]
METRIC_NAMES = [name for name, _, _ in METRICS]
HOST_METRICS = ("kernel_text_bytes", "kernel_sloc")
# Measured on a benchmark kernel (make BENCH_KERNEL=1), by a run of their own.
PREEMPT_METRICS = ("delete_preempt_max_256", "delete_preempt_max_1024", "delete_preempt_max_4096")
SINGLE_SAMPLE = ("boot_to_init", "kernel_text_bytes", "kernel_sloc") + PREEMPT_METRICS
# Measured in fewer samples than the rest (each takes two timeslices of virtual time).
FEW_SAMPLES = {"timeslice_ticks": 6, "timer_tick": 20}
# Metrics reported per buffer: each sample is one round of this many buffers, divided by it
# and rounded (tools/bench_profile.py finds such a round).
PER_BUFFER = {"ring_batch32": 32, "ring_batch32_calls": 32, "ring_signalled": 1}
# Metrics that must lie within a tolerance of a known value: name -> (value, tolerance).
# A timeslice is CONFIG_TIMESLICE_TICKS (5) ticks of CONFIG_TICK_US (2000 us) at QEMU
# virt's 10 MHz timebase (kernel/include/config.h): 100000 ticks, less the switch into the
# thread, which is a few ticks (100 instructions each under -icount shift=0).
EXPECTED = {"timeslice_ticks": (100000, 100)}
# The preemption metrics may differ from each other by at most this ratio.
PREEMPT_SPREAD = 1.05

# seL4 13.0.0 under the same QEMU (docs: /work/shared/reference/sel4-qemu-riscv64.md), in
# the same units and with the same method: metric -> (instructions, what was compared).
SEL4 = {
    "ipc_call_reply_cross_as": (509, "Call 235 + ReplyRecv 274, fast path"),
    "ipc_call_reply_cross_as_10w": (965 + 928, "Call 965 + ReplyRecv 928, 10 words"),
    "ipc_send_recv_cross_as": (877, "Send to a higher-priority waiter, slow path"),
    "notify_wake_higher_prio": (892, "Signal to a higher-priority process"),
    "yield_switch": (409, "Thread yield with a switch"),
    "fault_exception_roundtrip": (1847, "undefined-instruction fault, handler ReplyRecv, resume"),
    "map_page_4k": (570, "map one 4 KiB page RW, incl. 13-16 user-stub instructions"),
    "unmap_page_4k": (546, "unmap one 4 KiB page, incl. user-stub instructions"),
    "retype_frame_4k": (777, "retype one 4 KiB frame, incl. user-stub instructions"),
}

# What stands in the way of a target, written into the docs while it is not met (a target
# missed without an entry here is reported as "not analysed yet": measure it with
# `make bench-profile METRIC=...` and write the analysis here).
OBSTACLES = {
    "ring_batch32": (
        "a round of 32 buffers is 4,657 instructions: the four checked queue operations each "
        "buffer takes (the producer takes it from the free queue and hands it over on the "
        "active queue; the consumer takes it and gives it back) cost about 27 each with the "
        "calls' fixed parts, 108 per buffer (3,452 in `ring_dequeue_many` and "
        "`ring_enqueue_many`); the Signal with its switch and the consumer's Wait with the "
        "switch back 22 per buffer (695, 631 of them in the kernel); the benchmark's own "
        "loops (numbering and checking each buffer) 16 (510). Per operation and entry: two loads of the "
        "descriptor, the region check (a remainder, a quotient and three compares, plus a "
        "sign extension), the ownership bit (its word's address, the bit, a load, set or "
        "flip and compare, a store: 8), the slot step, the copy and the loop. 50 for both "
        "sides would leave about 7 instructions per operation, fewer than the checks on the "
        "peer's data alone. What could still come off: a byte per buffer instead of a bit "
        "(about 5 per operation, 20 per buffer, but `RING_OWNED_WORDS` would have to grow "
        "8-fold and callers that size the bitmap by hand would break), and the checks of a "
        "side's own enqueues where it gives back exactly what it just took (about 8 per "
        "buffer; they catch the caller's bugs, not the peer's). docs/drivers.md has the "
        "split."),
}

# Targets of the issue: metric -> upper bound.
TARGETS = {
    "ipc_call_reply_cross_as": 300,
    "ipc_call_reply_cross_as_10w": 960,
    "notify_wake_higher_prio": 450,
    "yield_switch": 250,
    "irq_to_user": 500,
    "ring_batch32": 50,
}

LINE_RE = re.compile(r"VLBENCH(-[A-Z]+)?\s*(.*)$")


# ---- Host-side metrics. ----

def strip_comments(text):
    """Return C/assembly source text with /* */ and // comments removed (strings kept)."""
    out = []
    i, n = 0, len(text)
    state = None  # None, "block", "line", '"' or "'"
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if state is None:
            if c == "/" and nxt == "*":
                state, i = "block", i + 2
                continue
            if c == "/" and nxt == "/":
                state, i = "line", i + 2
                continue
            if c in "\"'":
                state = c
            out.append(c)
        elif state == "block":
            if c == "*" and nxt == "/":
                state, i = None, i + 2
                continue
            if c == "\n":
                out.append(c)  # keep line structure
        elif state == "line":
            if c == "\n":
                state = None
                out.append(c)
        else:  # inside a string or character literal
            out.append(c)
            if c == "\\" and nxt:
                out.append(nxt)
                i += 1
            elif c == state or c == "\n":
                state = None
        i += 1
    return "".join(out)


def kernel_sloc(root):
    """Non-blank, non-comment lines of kernel/**/*.c, *.h and *.S."""
    total = 0
    kernel_dir = os.path.join(root, "kernel")
    for dirpath, dirnames, filenames in os.walk(kernel_dir):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith((".c", ".h", ".S")):
                continue
            with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as f:
                text = strip_comments(f.read())
            total += sum(1 for line in text.splitlines() if line.strip())
    return total


def kernel_text_bytes(elf):
    """The "text" of riscv64-unknown-elf-size (code + read-only data) minus the embedded
    first-task image (init_image_start..init_image_end, in .rodata).

    Returns (bytes, details dict)."""
    berkeley = subprocess.run([SIZE_TOOL, elf], check=True, capture_output=True, text=True)
    text = int(berkeley.stdout.splitlines()[1].split()[0])
    sysv = subprocess.run([SIZE_TOOL, "-A", elf], check=True, capture_output=True, text=True)
    sections = {}
    for line in sysv.stdout.splitlines():
        words = line.split()
        if len(words) == 3 and words[1].isdigit():
            sections[words[0]] = int(words[1])
    nm = subprocess.run([NM_TOOL, elf], check=True, capture_output=True, text=True)
    symbols = {}
    for line in nm.stdout.splitlines():
        words = line.split()
        if len(words) == 3:
            symbols[words[2]] = int(words[0], 16)
    image = symbols["init_image_end"] - symbols["init_image_start"]
    details = {"size_text": text, "text_section": sections.get(".text", 0),
               "rodata_section": sections.get(".rodata", 0), "init_image": image}
    return text - image, details


# ---- The QEMU run. ----

def run_guest(image, quick, timeout, log_path, only=None):
    """Boot the image (running only the benchmark of metric `only`, if given); returns
    (console lines, exit status or None, error or None)."""
    args = list(EXTRA_QEMU_ARGS)
    guest_args = (["quick"] if quick else []) + (["only=" + only] if only else [])
    for arg in guest_args:
        args[1] += ",arg=" + arg
    command = qemu_run.build_qemu_command(image, True, args)
    os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    start = time.monotonic()
    try:
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout,
                              start_new_session=True)
    except subprocess.TimeoutExpired as expired:
        output = expired.output or b""
        status, error = None, "no VLBENCH-DONE within %gs (qemu killed)" % timeout
    except OSError as exc:
        return [], None, "cannot start qemu: %s" % exc
    else:
        output, status, error = proc.stdout, proc.returncode, None
    lines = output.decode("utf-8", errors="replace").replace("\r", "").splitlines()
    with open(log_path, "w", encoding="utf-8") as log:
        log.write("# bench: %s\n" % " ".join(command))
        for line in lines:
            log.write(line + "\n")
        log.write("# bench: %s after %.1fs\n"
                  % (error or "qemu exited with status %s" % status, time.monotonic() - start))
    return lines, status, error


def parse(lines):
    """Parse VLBENCH lines: (metrics, info, errors, done)."""
    metrics, info, errors, done = {}, {}, [], None
    for line in lines:
        match = LINE_RE.search(line)
        if match is None:
            continue
        kind, words = match.group(1) or "", match.group(2).split()
        if kind == "" and len(words) == 5 and all(w.isdigit() for w in words[1:]):
            median, low, high, samples = (int(w) for w in words[1:])
            metrics[words[0]] = {"value": median, "min": low, "max": high, "samples": samples}
        elif kind == "-INFO" and words:
            info[words[0]] = " ".join(words[1:])
        elif kind == "-ERROR" and words:
            errors.append((words[0], " ".join(words[1:])))
        elif kind == "-DONE" and words and words[0].isdigit():
            done = int(words[0])
        elif kind in ("", "-START"):
            if kind == "" or words:
                errors.append(("protocol", "malformed line: %r" % line.strip()))
    return metrics, info, errors, done


def check(name, entry, min_samples):
    """Why the metric entry is unacceptable, or None."""
    if entry is None:
        return "missing"
    if entry["value"] == 0:
        return "zero value"
    if not entry["min"] <= entry["value"] <= entry["max"]:
        return "min <= median <= max violated (%d, %d, %d)" % (
            entry["min"], entry["value"], entry["max"])
    if name in EXPECTED:
        want, tolerance = EXPECTED[name]
        if abs(entry["min"] - want) > tolerance or abs(entry["max"] - want) > tolerance:
            return "outside %d +- %d (min %d, max %d)" % (want, tolerance, entry["min"],
                                                        entry["max"])
    if name in SINGLE_SAMPLE:
        if entry["samples"] != 1:
            return "expected 1 sample, got %d" % entry["samples"]
    elif name in FEW_SAMPLES:
        if entry["samples"] != FEW_SAMPLES[name]:
            return "expected %d samples, got %d" % (FEW_SAMPLES[name], entry["samples"])
    elif entry["samples"] < min_samples:
        return "only %d samples (need %d)" % (entry["samples"], min_samples)
    return None


# ---- Output. ----

def results_json(results):
    """Stable text of the results: sorted keys, fixed indentation, trailing newline."""
    return json.dumps(results, indent=2, sort_keys=True) + "\n"


def status_of(name, value):
    """'met' or 'not met' for metrics with a target, else ''."""
    if name not in TARGETS or value is None:
        return ""
    return "met" if value <= TARGETS[name] else "not met"


def table_rows(results):
    """Rows: metric, value, unit, min, max, samples, seL4, ratio, target, status."""
    rows = []
    for name, unit, _ in METRICS:
        entry = results.get(name)
        value = entry["value"] if entry else None
        sel4 = SEL4.get(name)
        rows.append([
            name,
            str(value) if value is not None else "-",
            unit,
            str(entry["min"]) if entry else "-",
            str(entry["max"]) if entry else "-",
            str(entry["samples"]) if entry else "-",
            str(sel4[0]) if sel4 else "",
            ("%.2fx" % (value / sel4[0])) if sel4 and value else "",
            ("<= %d" % TARGETS[name]) if name in TARGETS else "",
            status_of(name, value),
        ])
    return rows


HEADER = ["metric", "value", "unit", "min", "max", "samples", "seL4", "vs seL4", "target",
          "status"]


def print_table(results, info):
    """The readable table on stdout."""
    rows = [HEADER] + table_rows(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    for index, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) if i in (0, 2, 8, 9) else cell.rjust(widths[i])
                 for i, cell in enumerate(row)]
        print("  ".join(cells).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))
    print("counter read overhead %s instruction(s), RTC read overhead %s (subtracted); "
          "seL4 column: seL4 13.0.0 under the same QEMU"
          % (info.get("counter_read_overhead", "?"), info.get("rtc_read_overhead", "?")))


def markdown_table(results):
    """The results table in Markdown."""
    out = ["| metric | value | unit | min | max | samples | seL4 | vs seL4 | target | status |",
           "|---|---:|---|---:|---:|---:|---:|---:|---|---|"]
    for row in table_rows(results):
        row = list(row)
        row[0] = "`%s`" % row[0]
        row[8] = row[8].replace("<=", "≤")
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out)


def write_docs(path, results, info, text_details):
    """Regenerate docs/performance.md from the results."""
    def value(name):
        entry = results.get(name)
        return entry["value"] if entry else None

    targets = []
    for name in TARGETS:
        v = value(name)
        targets.append("| `%s` | ≤ %d | %s | %s |" % (name, TARGETS[name],
                                                      v if v is not None else "-",
                                                      status_of(name, v) or "-"))
    unmet = [name for name in TARGETS if status_of(name, value(name)) == "not met"]
    obstacles = ""
    if unmet:
        obstacles = "\nWhat stands in the way of the targets not met:\n\n" + "\n".join(
            "- `%s` (%s instructions, target %d): %s" % (
                name, value(name), TARGETS[name], OBSTACLES.get(name, "not analysed yet."))
            for name in unmet) + "\n"
    comparison = []
    for name, (sel4, what) in SEL4.items():
        v = value(name)
        comparison.append("| `%s` | %s | %d (%s) | %s |" % (
            name, v if v is not None else "-", sel4, what,
            ("%.2fx" % (v / sel4)) if v else "-"))
    fault = value("fault_roundtrip")
    mapping = value("map_page_4k")
    fault_net = ("%d" % (fault - mapping)) if fault and mapping else "-"

    text = DOC_TEMPLATE.format(
        table=markdown_table(results),
        targets="\n".join(targets),
        obstacles=obstacles,
        comparison="\n".join(comparison),
        counter_overhead=info.get("counter_read_overhead", "?"),
        rtc_overhead=info.get("rtc_read_overhead", "?"),
        timer_handling=info.get("timer_service_handling", "?"),
        fault_net=fault_net,
        size_text=text_details["size_text"],
        text_section=text_details["text_section"],
        init_image=text_details["init_image"],
        kernel_text=value("kernel_text_bytes"),
    )
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


DOC_TEMPLATE = """\
# Performance

<!-- Generated by tools/bench.py (`make bench`) from build/bench/results.json.
     Do not edit by hand: edit DOC_TEMPLATE in tools/bench.py and rerun `make bench`. -->

`make bench` builds the benchmark system (a **release** kernel, `-O2 -DNDEBUG`, with
`bench/main.c` as its first task), boots it in QEMU (`-machine virt`, one hart,
`-icount shift=0,sleep=off`), and writes `build/bench/results.json`. Under `-icount
shift=0` the cycle counter counts guest instructions, so every number below is a count of
executed instructions (user and kernel), and two runs of the same commit give identical
results. `make bench-quick` (a step of `make test`) runs the same image with 20 samples
per metric and only checks that every metric is present and sane.

## Results

{table}

Each value is the median of the samples after 20 warm-up iterations (lower median for an
even count); min and max show the spread. The seL4 column is seL4 13.0.0 (release, fast
path) with sel4bench under the same QEMU and the same method (see "seL4 comparison").
Counter-read overhead: {counter_overhead} instruction(s), subtracted from every sample
taken with the cycle counter.

## Targets

| metric | target | value | status |
|---|---|---:|---|
{targets}
{obstacles}
## seL4 comparison

| metric | Vallum | seL4 (same QEMU) | Vallum / seL4 |
|---|---:|---|---:|
{comparison}

seL4's numbers are one-way figures; the round trips compare against the sum of the Call
and the ReplyRecv. seL4 was measured with GCC 12.2 for rv64imac on QEMU 7.2 like ours.

**The slow paths against 0.6x seL4** (the aim of issue 16 for the paths user-level paging
and POSIX lean on): none is met yet. `fault_exception_roundtrip` is the closest; about 330
of its instructions are OpenSBI's (the firmware does not delegate illegal-instruction
traps), which seL4's figure pays too. For `map_page_4k`, `unmap_page_4k` and
`retype_frame_4k` what stands in the way is the generic invocation path: the capability
lookups, the decode and the two thread-state changes (restart, then running) take about
130 instructions before the architecture code starts, and the page-table walk goes through
out-of-line address conversions that the host tests substitute. A fast path for map and
unmap (decode straight from registers, as the IPC fast path does) is what would remove
them; `make bench-profile METRIC=map_page_4k` shows the split.

## Where a round trip goes

`make bench-profile METRIC=ipc_call_reply_cross_as` shows the 299 instructions of the
Call/ReplyRecv round trip: 6 in user mode (the client's `ecall` and counter read, the
server's 4-instruction echo loop), and for each direction a trap entry of 37 (Call) or 39
(ReplyRecv), 1 of glue, the C fast path (74 for Call, 76 for ReplyRecv) and an exit of 33.

- **Registers: 2 x (24 + 29) = 106.** Entry stores the 24 registers a system call must
  keep (t0..t6 are not preserved, as across a C call; the restart arguments are kept);
  exit loads all 31 registers but the badge and info, which come from the fast path in
  registers. Every register the next thread sees is its own or its message.
- **Entry overhead, 13-15 per direction:** the kernel-trap guard (sscratch), the cause
  check, the resume and restart pcs, the kernel stack (one `lui`), and the dispatch (Call
  is system call 0, ReplyRecv 1).
- **The fast path proper:** a one-level CSpace lookup of about 13 (CNode caps carry a
  "one level" bit and a left-aligned guard), endpoint type and rights in one compare, the
  scheduler check (one load when nothing else is runnable), the reply cap, the thread
  states, the address-space switch (satp is compared with the CSR itself) and the message.

It is C, not assembly: the checks are the ones the host tests compare against the slow
path. The target is met with one instruction to spare: two more on either fast path
would miss it, and `make bench-profile` is the way to see where they went.

## How each metric is taken

All timed regions read the cycle counter with `csrr cycle` (readable in user mode:
OpenSBI sets `scounteren`) and subtract one counter read (the median of two back-to-back
reads over the same number of samples, as sel4bench does). System calls in timed regions
are issued inline (`vl_syscall`, one `ecall`), not through library wrappers, and
arguments that live in the IPC buffer are written before the first counter read. The
root task orchestrates at priority 255 and blocks on a notification while a benchmark's
threads run (priorities 100 and 110, nothing else runnable), so no other thread
interferes; the kernel's 2 ms timer tick can land in a sample, which shows in max.

**Second address space.** The benchmark does not load a second program: it makes a new
VSpace and maps copies of the caps of its own image frames (text, data, bss) at the same
virtual addresses. Threads in it run the same code through different page tables, so an
IPC between the two is a real address-space switch; the shared data pages carry counter
values back. Both sides use the root CNode as their CSpace.

- `ipc_call_reply_cross_as`: a server thread in the second address space loops on
  ReplyRecv, echoing each message (label, length and words) back; the client (same
  priority, 100, in the first address space) reads the counter, Calls, reads it again when
  the Call returns, and checks the reply's length (so both directions are checked). Round
  trip = the Call plus the ReplyRecv that answers it, 0-word messages.
- `ipc_call_reply_same_as`: the same with both threads in the first address space.
- `ipc_call_reply_cross_as_10w`, `_32w`: as the first, with 10 and 32 message words in
  both directions (words 0..3 in registers, the rest through the IPC buffers).
- `idl_call_by_hand`, `idl_call_generated` (docs/idl.md): the `add` method of
  `interfaces/counter.idl` (one word each way, so the call stays on the fast path), timed
  in the client from before the call to the result in hand, with the server in the second
  address space running lib/os's event loop (message registers shadowed in memory, Call
  and ReplyRecv through lib/sys). By hand: the client sets the word, calls and checks the
  reply's status and length; the server checks label, length and capabilities, adds and
  replies. Generated: `counter_add()` and `counter_dispatch()` with the handler
  `counter_do_add()`, which make the same checks and the decode's fixed order. The goal
  is at most 5 % more for the generated call.
- `ipc_send_recv_cross_as`: the receiver (priority 110, second address space) waits in
  Recv; the sender (100) reads the counter just before its Send; the receiver, which runs
  at once, reads the counter right after its Recv returns and stores it in shared memory;
  the sender computes the difference when it runs again.
- `notify_wake_higher_prio`: the same with a notification: Signal by the sender, Wait by
  a higher-priority waiter in the other address space, counted to the waiter's first
  instruction after its Wait returns.
- `notify_signal_no_waiter`: Signal (badge 1) of a notification nobody waits on, timed
  around the system call; a Poll after each sample (not timed) consumes the signal.
- `yield_switch`: threads A and B at the same priority in one address space. A reads the
  counter and Yields; B's first instruction after its own Yield returns reads the counter.
- `irq_to_user`: the goldfish RTC (found in the device tree; its page split out of the
  device untyped) is programmed to raise its alarm at virtual time T, 20,000 ns ahead; the
  IRQHandler signals a notification the root task (priority 255) waits on, while a
  priority-10 thread spins in user mode (so the interrupt arrives from user mode). Under
  `-icount shift=0` virtual nanoseconds are instructions; QEMU is run with
  `-rtc clock=vm` so the RTC follows that clock. The handler's first instruction after its
  Wait's `ecall` is the load of TIME_LOW (which latches TIME_HIGH, read afterwards);
  value = time read - T - the RTC read overhead ({rtc_overhead} instruction(s): the
  difference of two back-to-back loads of TIME_LOW, the same convention as the cycle
  counter's overhead). So the value counts from the alarm to the handler's first
  instruction; the MMIO read itself is that one load.
- `timer_deadline_to_client` (docs/drivers.md#the-timer-service): the timer service's own
  code (`apps/timer`: its driver core, timeouts and interrupt handling, built into the
  bench) on the same RTC. A service thread (priority 110) waits for the alarm's interrupt,
  runs `service_interrupt` and acknowledges the IRQHandler, as the component does; a client
  thread (priority 100) in the second address space arms a one-shot timeout 20,000 ns
  ahead (a direct call into the service's tables here; a protected call in a system) and
  waits on its notification, which the service signals when the timeout fires; a
  priority-10 thread spins. Value = the time the client's first instruction after its Wait
  reads from the RTC - the deadline - the RTC read overhead: from the deadline to the client
  running, through the interrupt, the service's handling (`VLBENCH-INFO
  timer_service_handling`: {timer_handling} instructions of it are `service_interrupt` and
  the IRQHandler ack) and two switches. A client in a system then asks which timeout fired
  with `fired`, one protected call more (about `idl_call_generated`).
- `fault_roundtrip`: a thread (priority 100) with a fault endpoint reads the counter and
  stores to an unmapped page; the fault handler (priority 110, same address space)
  receives the VM fault, maps the page (one Frame_Map) and replies; the thread's store is
  retried, succeeds, and the thread reads the counter. After each sample the thread unmaps
  the page again (not timed), so every sample is the same fault. The value therefore
  includes one Frame_Map invocation; minus `map_page_4k` it is {fault_net} instructions
  for fault delivery, the handler's receive and reply and the resumption.
- `fault_exception_roundtrip`: the fault round trip of sel4bench's fault benchmark, which
  maps nothing: a thread (priority 100) with a fault endpoint reads the counter and
  executes the all-zero word (an illegal instruction; sel4bench uses the same one); the
  handler (priority 110, same address space) receives the user-exception fault and replies
  with ReplyRecv, giving the pc 4 bytes on and the unchanged stack pointer; the thread
  resumes there and reads the counter. seL4's figure is the same round trip (faulter →
  handler → faulter resumes). Both include OpenSBI's part: the firmware does not delegate
  illegal-instruction exceptions, tries to emulate the instruction in M-mode and then
  redirects the trap to the kernel, about 510 instructions of every sample (see
  `make bench-profile METRIC=fault_exception_roundtrip`).
- `map_page_4k` / `unmap_page_4k`: Frame_Map (read-write, execute-never) of a 4 KiB frame
  at an address whose page tables exist, then Frame_Unmap of it, each timed around the
  `ecall`.
- `retype_frame_4k`: Untyped_Retype of one 4 KiB frame from a 2 MiB untyped that keeps one
  other child, so the untyped is never reset and every sample carves already-zero memory at
  the watermark (the path of an ordinary allocation); the frame cap is deleted after each
  sample (not timed).
- `boot_to_init`: the kernel stores the cycle counter at its first instruction in the boot
  info (`kernel_entry_cycle`); the first task's `vl_start` reads the counter first thing.
  It includes the kernel's whole boot (clearing and handing over memory, building the
  first task) and the three instructions of `crt0` before `vl_start`. One sample.
- `kernel_text_bytes`: the "text" column of `riscv64-unknown-elf-size` for
  `build/release/images/bench.elf` ({size_text} bytes: `.text` plus `.rodata`) minus the
  embedded first-task image (`init_image_start`..`init_image_end`, {init_image} bytes) =
  {kernel_text} bytes of kernel code and read-only data; `.text` alone is {text_section}
  bytes.
- `kernel_sloc`: non-blank lines of `kernel/**/*.c`, `*.h`, `*.S` after removing `/* */` and
  `//` comments, counted by `tools/bench.py`.
- `ring_batch32`, `ring_batch32_calls`, `ring_signalled` (lib/ring, docs/drivers.md): one
  ring (64 buffers of 64 bytes, queues of 64 entries) in the image's data, which both
  address spaces map. The consumer (priority 110, second address space) owns the buffers
  at first and puts them all on the free queue; then it loops: drain the active queue
  while whole batches of 32 come, check each buffer, give every one back on the free
  queue, `ring_signal_needed` (and Signal the producer if it asked), `ring_sleep_prepare`
  and Wait. The producer (priority 100, first address space) loops: take a batch from
  the free queue, number the buffers, hand them over on the active queue,
  `ring_signal_needed` and Signal the consumer, which runs at once (higher priority),
  drains, gives back and Waits, so the producer resumes. One sample is one such round,
  from one counter read of the producer's loop to the next: both sides' ring calls, the
  Signal with its switch, the consumer's Wait with the switch back, and the two loops
  themselves; divided by the batch and rounded, so the value is **instructions per
  buffer**, both sides, the kernel and the amortised signal included. No payload is
  copied: each buffer's length is the next number of a sequence (0..64) that the consumer
  checks, so a lost, doubled or reordered buffer fails the benchmark. `ring_batch32`: 32
  buffers per signal with the batch calls (`ring_dequeue_many`, `ring_enqueue_many`);
  `ring_batch32_calls`: the same with one `ring_dequeue` or `ring_enqueue` per buffer (the
  calls every user had before); `ring_signalled`: one buffer per signal, single calls.
  `make bench-profile METRIC=ring_batch32` lists one round.

**Output channel.** A release kernel has no debug console system calls, so the first task
prints its results through QEMU semihosting (`-semihosting-config enable=on,userspace=on`),
which also ends the run (semihosting exit). Semihosting is outside every timed region.

## Reproducing and profiling

    make bench          # full run: 200 samples, results.json, this file
    make bench-quick    # 20 samples, VLTEST lines, no docs
    make bench-profile METRIC=ipc_call_reply_cross_as
    python3 tools/bench.py --help

`make bench-profile` (`tools/bench_profile.py`) runs only the benchmark of one metric,
with QEMU logging every instruction it executes, finds a warm sample of exactly the
median length between two counter reads, and prints the functions it runs through with
their instruction counts (for example `trap_entry 37, fast_call 1, fastpath_call 74,
fastpath_exit 33, ...`); the instruction-by-instruction listing goes to
`build/bench/profile-METRIC.txt`. It takes about a minute. Every metric timed by the
cycle counter can be profiled (all but `irq_to_user` and `boot_to_init`).
"""


def check_run(failures, what, lines, status, run_error, done, guest_errors):
    """Appends to failures why a guest run went wrong, if it did."""
    if run_error is not None:
        failures.append((what, run_error))
    elif lines and done is None:
        failures.append((what, "qemu exited (status %s) before VLBENCH-DONE" % status))
    elif done is not None and status != 0 and not guest_errors:
        failures.append((what, "qemu exited with status %s" % status))


def preempt_spread(results):
    """Why the preemption metrics differ too much, or None (also None if one is missing)."""
    values = [results[name]["value"] for name in PREEMPT_METRICS if name in results]
    if len(values) != len(PREEMPT_METRICS) or min(values) == 0:
        return None
    if max(values) > min(values) * PREEMPT_SPREAD:
        return "longest stretch without a preemption check grows with the depth: %s" % (
            ", ".join(str(v) for v in values))
    return None


def main(argv):
    parser = argparse.ArgumentParser(prog="bench.py", description=__doc__.split("\n")[0])
    parser.add_argument("--image", default=DEFAULT_IMAGE,
                        help="bench boot image (default %(default)s)")
    parser.add_argument("--elf", help="its ELF for kernel_text_bytes (default: IMAGE with .elf)")
    parser.add_argument("--preempt-image",
                        help="the bench program on a benchmark kernel (BENCH_KERNEL=1), for "
                        "the delete_preempt_max_* metrics")
    parser.add_argument("--quick", action="store_true",
                        help="20 samples, VLTEST lines, no docs regeneration")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="QEMU deadline in seconds (default %(default)g)")
    parser.add_argument("--out", help="results file (default build/bench/results.json, "
                        "results-quick.json with --quick)")
    parser.add_argument("--docs", default="docs/performance.md",
                        help="performance document to regenerate (default %(default)s)")
    parser.add_argument("--no-docs", action="store_true", help="do not regenerate the docs")
    parser.add_argument("--log", default="build/logs/bench.console.log",
                        help="console log (default %(default)s)")
    args = parser.parse_args(argv)

    os.chdir(REPO_ROOT)
    image = args.image
    elf = args.elf or os.path.splitext(image)[0] + ".elf"
    out = args.out or ("build/bench/results-quick.json" if args.quick
                       else "build/bench/results.json")
    min_samples = 20 if args.quick else 100

    failures = []  # (metric, reason)
    results = {}
    info = {}
    text_details = {"size_text": 0, "text_section": 0, "rodata_section": 0, "init_image": 0}
    if not os.path.isfile(image):
        failures.append(("image", "%s not found (run make bench-image)" % image))
        lines, status, run_error = [], None, None
    else:
        lines, status, run_error = run_guest(image, args.quick, args.timeout, args.log)
    metrics, info, guest_errors, done = parse(lines)
    check_run(failures, "run", lines, status, run_error, done, guest_errors)
    if args.preempt_image is not None:
        if not os.path.isfile(args.preempt_image):
            failures.append(("image", "%s not found (run make bench-image)" % args.preempt_image))
        else:
            plines, pstatus, perror = run_guest(args.preempt_image, args.quick, args.timeout,
                                                os.path.splitext(args.log)[0] + "-preempt.log",
                                                only=PREEMPT_METRICS[0])
            pmetrics, _, perrors, pdone = parse(plines)
            check_run(failures, "run-preempt", plines, pstatus, perror, pdone, perrors)
            for name in PREEMPT_METRICS:
                if name in pmetrics:
                    metrics[name] = pmetrics[name]
            guest_errors += perrors
    errors_by_metric = {}
    for name, reason in guest_errors:
        errors_by_metric.setdefault(name, reason)
        if name not in METRIC_NAMES:
            failures.append((name, reason))

    for name, unit, _ in METRICS:
        if name in HOST_METRICS:
            continue
        if name in metrics:
            entry = dict(metrics[name])
            entry["unit"] = unit
            results[name] = entry
    try:
        size, text_details = kernel_text_bytes(elf)
        results["kernel_text_bytes"] = {"value": size, "unit": "bytes", "min": size,
                                        "max": size, "samples": 1}
    except (OSError, subprocess.CalledProcessError, KeyError, IndexError, ValueError) as exc:
        errors_by_metric["kernel_text_bytes"] = "cannot measure %s: %s" % (elf, exc)
    sloc = kernel_sloc(REPO_ROOT)
    results["kernel_sloc"] = {"value": sloc, "unit": "lines", "min": sloc, "max": sloc,
                              "samples": 1}

    spread = preempt_spread(results)
    if spread is not None:
        errors_by_metric.setdefault(PREEMPT_METRICS[-1], spread)
    per_metric = []
    for name in METRIC_NAMES:
        if name in PREEMPT_METRICS and args.preempt_image is None:
            continue
        why = errors_by_metric.get(name) or check(name, results.get(name), min_samples)
        per_metric.append((name, why))
        if why is not None:
            failures.append((name, why))

    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write(results_json(results))

    if args.quick:
        for name, why in per_metric:
            if why is None:
                print("VLTEST PASS bench/%s" % name)
            else:
                print("VLTEST FAIL bench/%s %s" % (name, why))
        for name, why in failures:
            if name not in METRIC_NAMES:
                print("VLTEST FAIL bench:%s %s" % (name, why))
    else:
        print_table(results, info)
        print("results: %s" % out)
        if not failures and not args.no_docs:
            write_docs(args.docs, results, info, text_details)
            print("docs: %s regenerated" % args.docs)
        for name, why in failures:
            print("bench: FAIL %s: %s" % (name, why))
        if failures and not args.no_docs:
            print("bench: %s not regenerated because of the failures above" % args.docs)
    if failures and lines:
        print("bench: console log in %s" % args.log)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
