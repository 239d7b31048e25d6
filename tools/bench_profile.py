#!/usr/bin/env python3
"""Where the instructions of one benchmark sample go.

    bench_profile.py METRIC [--image IMAGE] [--listing FILE] [--timeout SECONDS]

Runs the bench image (make bench-image) with "quick only=METRIC", so the guest runs just
the benchmark that produces METRIC, under QEMU with one instruction per translation block
and an execution log (-d exec,nochain), and -icount shift=0,sleep=off as `make bench`.
Every timed sample starts and ends with a read of the cycle counter (csrr cycle), so the
samples are the stretches of the log between two counter reads; the profile is the last
one whose length is the median the guest reported (plus the counter-read overhead), i.e.
a typical warm sample (an instruction that faults is logged but not counted, so a
sample with faults is as many entries longer). It prints the functions the sample runs through, in order, with their
instruction counts, then the totals per function, and writes the sample's full annotated
instruction listing to FILE (default build/bench/profile-METRIC.txt).

METRIC is any metric timed with the cycle counter: every one but irq_to_user (timed by the
RTC), boot_to_init and the host-side kernel_text_bytes and kernel_sloc.
"""
import argparse
import bisect
import collections
import os
import re
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "tools"))
import bench  # noqa: E402  (metric names, QEMU options, output parser)
import qemu_run  # noqa: E402

NOT_PROFILABLE = ("irq_to_user", "boot_to_init") + bench.HOST_METRICS
PC_RE = re.compile(rb"\[[0-9a-f]+/([0-9a-f]+)/")
OBJDUMP = "riscv64-unknown-elf-objdump"
NM = "riscv64-unknown-elf-nm"


def one_insn_per_tb_args():
    """The QEMU option that makes every instruction its own translation block."""
    out = subprocess.run(["qemu-system-riscv64", "-version"], capture_output=True,
                         text=True).stdout
    match = re.search(r"version (\d+)\.(\d+)", out)
    if match and (int(match.group(1)), int(match.group(2))) >= (8, 1):
        return ["-accel", "tcg,one-insn-per-tb=on"]
    return ["-singlestep"]


def disassemble(elfs):
    """{address: instruction text} for every instruction of the ELF files."""
    code = {}
    for elf in elfs:
        out = subprocess.run([OBJDUMP, "-d", "--no-show-raw-insn", elf], capture_output=True,
                             text=True, check=True).stdout
        for line in out.splitlines():
            head, sep, text = line.partition(":\t")
            head = head.strip()
            if sep and head and " " not in head:
                try:
                    code[int(head, 16)] = text.strip()
                except ValueError:
                    pass
    return code


class Symbols:
    """Address to function name, from the symbol tables of the ELF files."""

    def __init__(self, elfs):
        syms = []
        for elf in elfs:
            out = subprocess.run([NM, "-n", elf], capture_output=True, text=True,
                                 check=True).stdout
            for line in out.splitlines():
                words = line.split()
                if len(words) == 3 and words[1] in "tTwW":
                    syms.append((int(words[0], 16), words[2]))
        syms.sort()
        self.addrs = [a for a, _ in syms]
        self.names = [n for _, n in syms]

    def name(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        return self.names[i] if i >= 0 else "?"


def run_traced(image, metric, log_path, timeout):
    """Runs the guest with an execution log; returns the console lines."""
    args = list(bench.EXTRA_QEMU_ARGS)
    args[1] += ",arg=quick,arg=only=%s" % metric
    args += one_insn_per_tb_args() + ["-d", "exec,nochain", "-D", log_path]
    command = qemu_run.build_qemu_command(image, True, args)
    proc = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout, start_new_session=True)
    return proc.stdout.decode("utf-8", errors="replace").replace("\r", "").splitlines()


def read_pcs(log_path):
    pcs = []
    with open(log_path, "rb") as log:
        for line in log:
            match = PC_RE.search(line)
            if match:
                pcs.append(int(match.group(1), 16))
    return pcs


# An instruction that traps without completing (a page fault) is in the log but is not
# counted by -icount: a sample with faults is that many entries longer in the log.
MAX_EXTRA = 4


def find_sample(pcs, counter_reads, length, slack=0):
    """(start, end) of the last stretch between counter reads whose length is the given
    one, or failing that the one closest above it (by at most MAX_EXTRA + slack)."""
    reads = [i for i, pc in enumerate(pcs) if pc in counter_reads]
    best = None
    lengths = collections.Counter()
    for a, b in zip(reads, reads[1:]):
        lengths[b - a] += 1
        extra = b - a - length
        if 0 <= extra <= MAX_EXTRA + slack and (best is None or extra <= best[0]):
            best = (extra, (a, b))
    return (best[1] if best else None), lengths


def profile(metric, image, listing_path, timeout):
    # The first task's own ELF sits beside the images: BUILD/release/programs/bench.elf.
    user_elf = os.path.join(os.path.dirname(os.path.dirname(image)), "programs", "bench.elf")
    if metric not in bench.METRIC_NAMES or metric in NOT_PROFILABLE:
        profilable = [m for m in bench.METRIC_NAMES if m not in NOT_PROFILABLE]
        print("bench_profile: %s is not a metric timed by the cycle counter; one of: %s"
              % (metric, ", ".join(profilable)))
        return 2
    kernel_elf = os.path.splitext(image)[0] + ".elf"
    for path in (image, kernel_elf, user_elf):
        if not os.path.isfile(path):
            print("bench_profile: %s not found (run make bench-image)" % path)
            return 2
    log_path = os.path.join(os.path.dirname(listing_path), "profile-%s.exec.log" % metric)
    os.makedirs(os.path.dirname(os.path.abspath(listing_path)), exist_ok=True)
    print("bench_profile: tracing %s (one instruction per block; this takes a while)" % metric)
    try:
        lines = run_traced(image, metric, log_path, timeout)
    except subprocess.TimeoutExpired:
        print("bench_profile: qemu did not finish within %gs" % timeout)
        return 1
    metrics, info, errors, done = bench.parse(lines)
    if metric not in metrics or done != 0 or errors:
        print("bench_profile: the guest did not report %s (errors: %s)" % (metric, errors))
        return 1
    overhead = int(info.get("counter_read_overhead", "0"))
    median = metrics[metric]["value"]
    pcs = read_pcs(log_path)
    os.remove(log_path)

    code = disassemble([kernel_elf, user_elf])
    counter_reads = {pc for pc, text in code.items()
                     if pc < (1 << 63) and re.match(r"(rdcycle\s|csrr\s+\w+,\s*cycle$)", text)}
    # A metric reported per buffer (bench.PER_BUFFER) is one stretch divided by its batch,
    # rounded: the stretch is any of the `batch` lengths that round to the median.
    batch = bench.PER_BUFFER.get(metric, 1)
    low = median * batch - batch // 2 if batch > 1 else median
    window, lengths = find_sample(pcs, counter_reads, low + overhead, batch - 1)
    if window is None:
        common = ", ".join("%d (x%d)" % kv for kv in lengths.most_common(8))
        print("bench_profile: no stretch of %d instructions between counter reads "
              "(median %d + overhead %d); most common: %s"
              % (median + overhead, median, overhead, common))
        return 1
    start, end = window
    sample = pcs[start:end]
    syms = Symbols([kernel_elf, user_elf])
    runs, totals = [], collections.OrderedDict()
    for pc in sample:
        name = syms.name(pc)
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
        totals[name] = totals.get(name, 0) + 1
    kernel = sum(1 for pc in sample if pc >= (1 << 63))

    if batch > 1:
        print("%s: median %d per buffer; one round of %d buffers (+%d counter read) = %d "
              "instructions, %d in the kernel, %d in user mode"
              % (metric, median, batch, overhead, len(sample), kernel, len(sample) - kernel))
    else:
        print("%s: median %d (+%d counter read) = %d instructions, %d in the kernel, %d in "
              "user mode" % (metric, median, overhead, len(sample), kernel,
                             len(sample) - kernel))
    if batch == 1 and len(sample) != median + overhead:
        print("(%d more than counted: instructions that trapped without completing, such as "
              "a faulting store, are in the trace but not counted)"
              % (len(sample) - median - overhead))
    print("\nin order:")
    for name, count in runs:
        print("  %5d  %s" % (count, name))
    print("\nper function:")
    for name, count in sorted(totals.items(), key=lambda kv: -kv[1]):
        print("  %5d  %s" % (count, name))
    with open(listing_path, "w", encoding="utf-8") as out:
        out.write("# %s: one sample of %d instructions (the first is the counter read "
                  "that starts it)\n" % (metric, len(sample)))
        previous = None
        for pc in sample:
            name = syms.name(pc)
            if name != previous:
                out.write("%s:\n" % name)
                previous = name
            out.write("  %16x  %s\n" % (pc, code.get(pc, "?")))
    print("\nlisting: %s" % listing_path)
    return 0


def main(argv):
    parser = argparse.ArgumentParser(prog="bench_profile.py",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("metric")
    parser.add_argument("--image", default=bench.DEFAULT_IMAGE,
                        help="bench boot image (default %(default)s)")
    parser.add_argument("--listing", help="annotated listing (default "
                        "build/bench/profile-METRIC.txt)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="QEMU deadline in seconds (default %(default)g)")
    args = parser.parse_args(argv)
    os.chdir(REPO_ROOT)
    listing = args.listing or "build/bench/profile-%s.txt" % args.metric
    return profile(args.metric, args.image, listing, args.timeout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
