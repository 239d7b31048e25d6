#!/usr/bin/python3
"""Boot a Vallum image in QEMU under a timeout and check its VLTEST console protocol.

Usage:
    qemu_run.py [--timeout SECONDS] [--icount] [--expect REGEX ...] [--log FILE]
                [--name SUITE] [--] IMAGE [extra qemu args...]

The guest speaks a line protocol on the serial console.  A protocol line may be preceded by
other text on the same console line; it is matched from the substring starting at "VLTEST":

    VLTEST START <suite>
    VLTEST PASS <test-name>
    VLTEST FAIL <test-name> <reason...>
    VLTEST SKIP <test-name> <reason...>
    VLTEST DONE <passed> <failed>

After DONE the guest is expected to power off through QEMU's sifive_test device (or an SBI
shutdown): QEMU exit status 0 means success, a nonzero status is the guest's failure code.

With --expect REGEX (repeatable) the protocol is not used: the run succeeds when every regex
has matched some console line before the timeout, and QEMU is then killed.  Each regex is one
test named "<suite>:expect:<n>" (n counts from 1).

Output (stdout): one line per test,
    VLTEST PASS <suite>/<test>
    VLTEST FAIL <suite>/<test> <reason>
    VLTEST SKIP <suite>/<test> <reason>
Failures detected by this harness rather than reported by the guest already carry the suite
name and are printed without the "<suite>/" prefix, e.g. "VLTEST FAIL kernel:timeout ...".
They are:
    <suite>:panic          a console line contained "KERNEL PANIC" or "kernel panic"
    <suite>:timeout        no VLTEST DONE before the deadline ("hang after test X")
    <suite>:qemu-exit      QEMU exited (or closed the console) before VLTEST DONE
    <suite>:no-start       VLTEST DONE was seen but VLTEST START never was
    <suite>:done-mismatch  the DONE counts disagree with the PASS/FAIL lines seen
    <suite>:exit-status    QEMU exited nonzero although no test failed
    <suite>:protocol       a malformed VLTEST line, or a VLTEST line after DONE
    <suite>:boot           the image is missing or QEMU could not be started
Each harness failure is also explained by a "qemu_run: ..." line followed by the last 30
console lines (prefixed with "  | " so that they are never mistaken for protocol output).

Environment:
    QEMU=CMD     emulator command to use instead of qemu-system-riscv64 (split like a shell
                 word list; the tests point it at a fake emulator script)
    VERBOSE=1    also echo every console line to stdout, prefixed with "| "
    VLTEST_DRIVER_LOG
                 set by test_driver.py to its own log file for the running step; if the
                 console log would be that same file, ".console.log" is used instead

The console log goes to --log, default build/logs/<suite>.log under the repository root.
Exit status: 0 if no test failed, 1 otherwise, 2 on a usage error.
"""

import argparse
import collections
import os
import re
import selectors
import shlex
import signal
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TIMEOUT = 120.0
TAIL_LINES = 30
PANIC_MARKERS = ("KERNEL PANIC", "kernel panic")
# After a panic, keep reading this long so the log also holds the panic dump.
PANIC_DRAIN_SECONDS = 1.0
# After VLTEST DONE, wait this long for QEMU to power off by itself.
DONE_GRACE_SECONDS = 5.0
# After QEMU exits, wait this long for the rest of its output to arrive.
EXIT_DRAIN_SECONDS = 0.5
# A console "line" longer than this without a newline is cut into pieces.
MAX_LINE_BYTES = 65536

VLTEST_RE = re.compile(r"VLTEST\s+([A-Z]+)\b\s*(.*)$")


class TestResult:
    """The outcome of one test: status is "PASS", "FAIL" or "SKIP"."""

    def __init__(self, name, status, reason=""):
        self.name = name
        self.status = status
        self.reason = reason

    def __repr__(self):
        return "TestResult(%r, %r, %r)" % (self.name, self.status, self.reason)


class LineReader:
    """Split the bytes arriving on a pipe into text lines without blocking past a timeout.

    Lines end at "\\n"; a trailing "\\r" is removed, bytes are decoded as UTF-8 with
    errors="replace".  An unterminated last line is returned by flush().
    """

    def __init__(self, fileobj):
        self.fd = fileobj.fileno()
        os.set_blocking(self.fd, False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.fd, selectors.EVENT_READ)
        self.pending = b""
        self.eof = False

    @staticmethod
    def decode(raw):
        """Turn one raw console line into text."""
        return raw.decode("utf-8", errors="replace").rstrip("\r")

    def read_lines(self, timeout):
        """Wait at most `timeout` seconds for data and return the complete lines it finished.

        Returns an empty list if nothing complete arrived.  At end of file the partial line,
        if any, is returned as well and self.eof becomes True.
        """
        if self.eof:
            return []
        if not self.selector.select(max(timeout, 0.0)):
            return []
        try:
            chunk = os.read(self.fd, 65536)
        except BlockingIOError:
            return []
        if not chunk:
            self.eof = True
            self.selector.close()
            return self.flush()
        self.pending += chunk
        pieces = self.pending.split(b"\n")
        self.pending = pieces.pop()
        while len(self.pending) > MAX_LINE_BYTES:
            pieces.append(self.pending[:MAX_LINE_BYTES])
            self.pending = self.pending[MAX_LINE_BYTES:]
        return [self.decode(piece) for piece in pieces]

    def flush(self):
        """Return the unterminated partial line as a one-element list (or an empty list)."""
        if not self.pending:
            return []
        line = self.decode(self.pending)
        self.pending = b""
        return [line]


def parse_vltest(line):
    """Parse the VLTEST part of a console line.

    Returns None if the line holds no "VLTEST <VERB>", otherwise a tuple (verb, fields, error)
    where fields is a dict and error is None or a description of why the line is malformed.
    Fields: START -> suite; PASS -> name; FAIL/SKIP -> name, reason; DONE -> passed, failed.
    """
    match = VLTEST_RE.search(line)
    if match is None:
        return None
    verb = match.group(1)
    rest = match.group(2).strip()
    words = rest.split()
    if verb == "START":
        if len(words) < 1:
            return verb, {}, "VLTEST START without a suite name"
        return verb, {"suite": words[0]}, None
    if verb == "PASS":
        if len(words) < 1:
            return verb, {}, "VLTEST PASS without a test name"
        return verb, {"name": words[0]}, None
    if verb in ("FAIL", "SKIP"):
        if len(words) < 1:
            return verb, {}, "VLTEST %s without a test name" % verb
        reason = rest[len(words[0]):].strip()
        if not reason and verb == "FAIL":
            reason = "no reason given"
        return verb, {"name": words[0], "reason": reason}, None
    if verb == "DONE":
        if len(words) != 2 or not words[0].isdigit() or not words[1].isdigit():
            return verb, {}, "malformed VLTEST DONE line: %r" % rest
        return verb, {"passed": int(words[0]), "failed": int(words[1])}, None
    return verb, {}, "unknown VLTEST verb %r" % verb


class ProtocolState:
    """Everything learnt from the console lines of one run."""

    def __init__(self, expects=()):
        self.suite = None            # from VLTEST START
        self.started = False
        self.done = None             # (passed, failed) from VLTEST DONE
        self.results = []            # TestResult for each PASS/FAIL/SKIP line
        self.last_test = None        # name of the most recent PASS/FAIL/SKIP
        self.panic_line = None       # first console line that reported a panic
        self.protocol_errors = []    # descriptions of malformed or misplaced VLTEST lines
        self.expects = [re.compile(rx) for rx in expects]
        self.expect_matched = [False] * len(self.expects)

    def count(self, status):
        """Number of guest results with the given status."""
        return sum(1 for result in self.results if result.status == status)

    def all_expects_matched(self):
        """True in --expect mode once every regex has matched a line."""
        return bool(self.expects) and all(self.expect_matched)

    def feed(self, line):
        """Update the state from one console line."""
        if self.panic_line is None and any(marker in line for marker in PANIC_MARKERS):
            self.panic_line = line.strip()
        if self.expects:
            for index, regex in enumerate(self.expects):
                if not self.expect_matched[index] and regex.search(line):
                    self.expect_matched[index] = True
            return
        parsed = parse_vltest(line)
        if parsed is None:
            return
        verb, fields, error = parsed
        if error is not None:
            self.protocol_errors.append(error)
            return
        if self.done is not None:
            self.protocol_errors.append("VLTEST %s after VLTEST DONE" % verb)
            return
        if verb == "START":
            if self.started:
                self.protocol_errors.append("second VLTEST START (%s)" % fields["suite"])
                return
            self.started = True
            self.suite = fields["suite"]
        elif verb == "DONE":
            self.done = (fields["passed"], fields["failed"])
        else:
            self.results.append(TestResult(fields["name"], verb, fields.get("reason", "")))
            self.last_test = fields["name"]

    def position(self):
        """Describe how far the guest got, for hang and crash messages."""
        if not self.started:
            return "before VLTEST START"
        if self.last_test is None:
            return "after VLTEST START, before the first test"
        return "after test %s" % self.last_test


class RunOutcome:
    """How the QEMU process ended: the fields are filled in by run_qemu()."""

    def __init__(self):
        self.timed_out = False       # the overall deadline expired
        self.exit_status = None      # QEMU's exit status, None if we had to kill it
        self.stopped_early = False   # we killed QEMU on purpose (expect success, panic, DONE)
        self.start_error = None      # why QEMU could not be started
        self.elapsed = 0.0


def build_qemu_command(image, icount=False, extra_args=()):
    """Return the QEMU argument list for booting `image` (honours env QEMU)."""
    emulator = shlex.split(os.environ.get("QEMU", "")) or ["qemu-system-riscv64"]
    command = emulator + [
        "-machine", "virt", "-cpu", "rv64", "-m", "256M", "-smp", "1",
        "-nographic", "-bios", "default", "-kernel", image,
        "-monitor", "none", "-serial", "stdio",
    ]
    if icount:
        command += ["-icount", "shift=0,sleep=off"]
    return command + list(extra_args)


def kill_group(proc):
    """Kill the process group led by `proc` (ignoring one that is already gone) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


class ConsoleSink:
    """Records console lines: the log file, the VERBOSE echo and the tail kept for reports."""

    def __init__(self, log_file, verbose):
        self.log_file = log_file
        self.verbose = verbose
        self.tail = collections.deque(maxlen=TAIL_LINES)

    def write(self, line):
        """Record one console line."""
        self.tail.append(line)
        if self.log_file is not None:
            self.log_file.write(line + "\n")
            self.log_file.flush()
        if self.verbose:
            print("| " + line, flush=True)


def run_qemu(command, timeout, state, sink):
    """Run `command`, feeding its console lines to `state` and `sink`; return a RunOutcome.

    Never runs past `timeout` seconds (plus a few seconds for killing), and always kills the
    emulator's process group before returning.
    """
    outcome = RunOutcome()
    start = time.monotonic()
    deadline = start + timeout
    try:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as error:
        outcome.start_error = "cannot start %s: %s" % (command[0], error)
        return outcome
    try:
        read_console(proc, deadline, state, sink, outcome)
    finally:
        if proc.poll() is None:
            kill_group(proc)
        else:
            # QEMU itself is gone; make sure nothing it started is left behind.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        proc.stdout.close()
    outcome.elapsed = time.monotonic() - start
    return outcome


def read_console(proc, deadline, state, sink, outcome):
    """The read loop of run_qemu(): stops at EOF, exit, deadline, or when the run is decided."""
    reader = LineReader(proc.stdout)
    stop_at = None        # earlier stop after a panic or DONE, None if not yet decided
    exited_at = None      # when we noticed that QEMU exited
    while True:
        now = time.monotonic()
        if now >= deadline:
            outcome.timed_out = state.done is None and not state.all_expects_matched()
            break
        if stop_at is not None and now >= stop_at:
            outcome.stopped_early = True
            break
        if exited_at is not None and now >= exited_at + EXIT_DRAIN_SECONDS:
            break
        limit = min(deadline, stop_at or deadline) - now
        for line in reader.read_lines(min(limit, 0.2)):
            sink.write(line)
            state.feed(line)
            if state.all_expects_matched():
                outcome.stopped_early = True
                return
        if reader.eof:
            break
        if state.panic_line is not None and stop_at is None:
            stop_at = min(deadline, time.monotonic() + PANIC_DRAIN_SECONDS)
        if state.done is not None and stop_at is None:
            stop_at = min(deadline, time.monotonic() + DONE_GRACE_SECONDS)
        if exited_at is None and proc.poll() is not None:
            exited_at = time.monotonic()
    for line in reader.flush():
        sink.write(line)
        state.feed(line)
    if reader.eof or exited_at is not None:
        try:
            outcome.exit_status = proc.wait(timeout=max(0.0, min(2.0, deadline - now)))
        except subprocess.TimeoutExpired:
            outcome.exit_status = None


def describe_exit(outcome):
    """Describe how QEMU ended, for failure reasons."""
    if outcome.exit_status is None:
        return "qemu closed the console without exiting"
    if outcome.exit_status < 0:
        return "qemu was killed by signal %d" % -outcome.exit_status
    return "qemu exited with status %d" % outcome.exit_status


def describe_end(outcome):
    """Describe how the whole run ended, for the log file."""
    if outcome.start_error is not None:
        return outcome.start_error
    if outcome.timed_out:
        return "timed out, qemu killed"
    if outcome.stopped_early and outcome.exit_status is None:
        return "run decided, qemu killed"
    return describe_exit(outcome)


def evaluate(state, outcome, suite, timeout):
    """Turn the state of a finished run into the list of TestResult to report.

    Guest results are named "<suite>/<test>"; harness failures "<suite>:<kind>".
    """
    results = []
    if outcome.start_error is not None:
        return [TestResult(suite + ":boot", "FAIL", outcome.start_error)]
    if state.expects:
        return evaluate_expects(state, outcome, suite, timeout)
    for result in state.results:
        results.append(TestResult(suite + "/" + result.name, result.status, result.reason))
    position = state.position()
    if state.panic_line is not None:
        results.append(TestResult(suite + ":panic", "FAIL",
                                  "kernel panic %s: %s" % (position, state.panic_line)))
    elif state.done is None:
        if outcome.timed_out:
            results.append(TestResult(suite + ":timeout", "FAIL",
                                      "no VLTEST DONE within %gs: hang %s" % (timeout, position)))
        else:
            results.append(TestResult(suite + ":qemu-exit", "FAIL",
                                      "%s before VLTEST DONE, %s" % (describe_exit(outcome),
                                                                      position)))
    else:
        results += check_done(state, outcome, suite)
    if state.protocol_errors:
        errors = state.protocol_errors
        more = " (and %d more)" % (len(errors) - 1) if len(errors) > 1 else ""
        results.append(TestResult(suite + ":protocol", "FAIL", errors[0] + more))
    return results


def check_done(state, outcome, suite):
    """Consistency checks for a run that reached VLTEST DONE; returns failed TestResults."""
    results = []
    if not state.started:
        results.append(TestResult(suite + ":no-start", "FAIL",
                                  "VLTEST DONE seen but VLTEST START never was"))
    passed, failed = state.done
    seen_passed, seen_failed = state.count("PASS"), state.count("FAIL")
    if (passed, failed) != (seen_passed, seen_failed):
        results.append(TestResult(
            suite + ":done-mismatch", "FAIL",
            "VLTEST DONE %d %d but saw %d PASS and %d FAIL lines"
            % (passed, failed, seen_passed, seen_failed)))
    if outcome.exit_status is not None and outcome.exit_status != 0 and seen_failed == 0:
        results.append(TestResult(suite + ":exit-status", "FAIL",
                                  "%s although no test failed" % describe_exit(outcome)))
    return results


def evaluate_expects(state, outcome, suite, timeout):
    """Results for --expect mode: one test per regex, plus a panic failure."""
    if state.panic_line is not None:
        why = "kernel panic before a match"
    elif outcome.timed_out:
        why = "no console line matched within %gs" % timeout
    else:
        why = describe_exit(outcome) + " before a match"
    results = []
    for index, regex in enumerate(state.expects):
        name = "%s:expect:%d" % (suite, index + 1)
        if state.expect_matched[index]:
            results.append(TestResult(name, "PASS"))
        else:
            results.append(TestResult(name, "FAIL", "/%s/: %s" % (regex.pattern, why)))
    if state.panic_line is not None:
        results.append(TestResult(suite + ":panic", "FAIL", "kernel panic: " + state.panic_line))
    return results


def format_result(result):
    """The protocol line for one result."""
    line = "VLTEST %s %s" % (result.status, result.name)
    if result.reason:
        line += " " + result.reason
    return line


def report(results, suite, sink, elapsed):
    """Print the result lines, then an explanation of harness failures with the console tail."""
    for result in results:
        print(format_result(result))
    harness_failures = [r for r in results
                        if r.status == "FAIL" and not r.name.startswith(suite + "/")]
    for result in harness_failures:
        print("qemu_run: %s: %s" % (result.name, result.reason))
    if harness_failures:
        print("qemu_run: --- last %d console lines ---" % len(sink.tail))
        for line in sink.tail:
            print("  | " + line)
        print("qemu_run: --- end of console ---")
    counts = {status: sum(1 for r in results if r.status == status)
              for status in ("PASS", "FAIL", "SKIP")}
    print("qemu_run: %s: %d passed, %d failed, %d skipped (%.1fs)"
          % (suite, counts["PASS"], counts["FAIL"], counts["SKIP"], elapsed), flush=True)


def parse_args(argv):
    """Parse the command line: options, then "--", then the image and extra QEMU arguments."""
    parser = argparse.ArgumentParser(
        prog="qemu_run.py",
        usage="%(prog)s [--timeout SECONDS] [--icount] [--expect REGEX ...] [--log FILE] "
              "[--name SUITE] -- IMAGE [extra qemu args...]",
        description="Boot a Vallum image in QEMU and check its VLTEST console protocol.")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="overall deadline in seconds (default %(default)g)")
    parser.add_argument("--icount", action="store_true",
                        help="run QEMU with -icount shift=0,sleep=off")
    parser.add_argument("--expect", action="append", default=[], metavar="REGEX",
                        help="succeed once every REGEX matched a console line (repeatable)")
    parser.add_argument("--log", help="console log file (default build/logs/<name>.log)")
    parser.add_argument("--name", help="suite name (default: the image's file name)")
    if "--" in argv:
        split = argv.index("--")
        options, rest = argv[:split], argv[split + 1:]
        args = parser.parse_args(options)
        if not rest:
            parser.error("missing IMAGE after --")
        args.image, args.qemu_args = rest[0], rest[1:]
    else:
        parser.add_argument("image", help="kernel image to boot")
        args = parser.parse_args(argv)
        args.qemu_args = []
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    for regex in args.expect:
        try:
            re.compile(regex)
        except re.error as error:
            parser.error("bad --expect regex %r: %s" % (regex, error))
    return args


def default_suite_name(image):
    """The suite name derived from an image path: its file name without extension."""
    base = os.path.basename(image)
    return os.path.splitext(base)[0] or base or "qemu"


def choose_log_path(args, name):
    """Pick the console log path, avoiding the log file of an enclosing test_driver step."""
    if args.log:
        return args.log
    path = os.path.join(REPO_ROOT, "build", "logs", name + ".log")
    driver_log = os.environ.get("VLTEST_DRIVER_LOG")
    if driver_log and os.path.abspath(driver_log) == os.path.abspath(path):
        path = os.path.join(REPO_ROOT, "build", "logs", name + ".console.log")
    return path


class Terminated(Exception):
    """Raised by the SIGTERM/SIGHUP handler so that cleanup code runs."""


def on_terminate(signum, frame):
    """Signal handler: unwind through the finally blocks that kill QEMU."""
    raise Terminated("signal %d" % signum)


def main(argv):
    """Entry point; returns the process exit status."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGHUP, on_terminate)
    name = args.name or default_suite_name(args.image)
    log_path = choose_log_path(args, name)
    os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    state = ProtocolState(args.expect)
    command = build_qemu_command(args.image, args.icount, args.qemu_args)
    with open(log_path, "w", encoding="utf-8") as log_file:
        log_file.write("# qemu_run: %s\n" % shlex.join(command))
        sink = ConsoleSink(log_file, os.environ.get("VERBOSE") == "1")
        if not os.path.isfile(args.image):
            outcome = RunOutcome()
            outcome.start_error = "image %s not found" % args.image
        else:
            try:
                outcome = run_qemu(command, args.timeout, state, sink)
            except (KeyboardInterrupt, Terminated) as error:
                print("qemu_run: interrupted (%s); qemu killed" % (error or "Ctrl-C"),
                      flush=True)
                return 1
        suite = args.name or state.suite or name
        results = evaluate(state, outcome, suite, args.timeout)
        failed = sum(1 for result in results if result.status == "FAIL")
        log_file.write("# qemu_run: %s after %.1fs: %d result(s), %d failed\n"
                       % (describe_end(outcome), outcome.elapsed, len(results), failed))
    report(results, suite, sink, outcome.elapsed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
