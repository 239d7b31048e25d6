#!/usr/bin/python3
"""Run a list of test steps and aggregate their VLTEST results.

Usage:
    test_driver.py STEP_FILE
    test_driver.py -- NAME=CMD [NAME=CMD ...]

A STEP_FILE has one step per line, "name: shell command"; blank lines and lines starting
with "#" are ignored.  Each step's command runs with shell=True in the repository root (the
parent of tools/), in its own process group, with stdout and stderr captured into
build/logs/<name>.log.  Lines of its output that start with

    VLTEST PASS <test>
    VLTEST FAIL <test> <reason...>
    VLTEST SKIP <test> <reason...>

are counted as test results (only at the start of a line, so indented console excerpts are
never counted).  A step that prints no such line is itself one test named <name>: it passes
if it exits with status 0.  A step that prints results but exits nonzero without any FAIL
line gets one extra failed test "<name>:exit-status".  A step still running after
STEP_TIMEOUT seconds has its process group killed and gets a failed test "<name>:timeout".

Environment:
    TEST_FILTER=REGEX   run only steps whose name matches REGEX (re.search)
    STEP_TIMEOUT=SECS   per-step timeout, default 1200
    VERBOSE=1           also echo each step's output as it runs
The driver exports VLTEST_DRIVER_LOG=<absolute path of the step's log> to every step.

The last line printed is exactly "N passed, M failed" (", K skipped" is appended if K > 0).
Exit status: 0 if no test failed, 1 if some did, 2 on a usage or step-file error.
"""

import os
import re
import selectors
import signal
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOG_DIR = os.path.join(REPO_ROOT, "build", "logs")
DEFAULT_STEP_TIMEOUT = 1200.0
TAIL_LINES = 20
# Grace period between SIGTERM and SIGKILL when a step times out.
TERM_GRACE_SECONDS = 3.0
# After a step's shell exits, keep reading this long for output of leftover children.
EXIT_DRAIN_SECONDS = 1.0

RESULT_RE = re.compile(r"^VLTEST (PASS|FAIL|SKIP) (\S+)(?:\s+(.*))?$")


class UsageError(Exception):
    """A bad command line or step file."""


class Step:
    """One named shell command to run."""

    def __init__(self, name, command):
        self.name = name
        self.command = command

    def __repr__(self):
        return "Step(%r, %r)" % (self.name, self.command)


class TestResult:
    """The outcome of one test: status is "PASS", "FAIL" or "SKIP"."""

    def __init__(self, name, status, reason=""):
        self.name = name
        self.status = status
        self.reason = reason

    def __repr__(self):
        return "TestResult(%r, %r, %r)" % (self.name, self.status, self.reason)


class StepRun:
    """What running one step produced."""

    def __init__(self):
        self.exit_status = None      # None if the step timed out and was killed
        self.timed_out = False
        self.lines = []              # all output lines
        self.elapsed = 0.0


def check_step_name(name, where):
    """Reject step names that are empty or contain whitespace."""
    if not name or any(char.isspace() for char in name):
        raise UsageError("%s: bad step name %r" % (where, name))


def parse_step_file(path):
    """Read a step file and return its list of Step."""
    try:
        with open(path, encoding="utf-8") as step_file:
            text = step_file.read()
    except OSError as error:
        raise UsageError("cannot read step file: %s" % error)
    steps = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = "%s:%d" % (path, number)
        if ":" not in line:
            raise UsageError("%s: expected 'name: command', got %r" % (where, line))
        name, command = line.split(":", 1)
        name, command = name.strip(), command.strip()
        check_step_name(name, where)
        if not command:
            raise UsageError("%s: step %r has no command" % (where, name))
        steps.append(Step(name, command))
    return steps


def parse_step_args(args):
    """Turn NAME=CMD arguments into a list of Step."""
    steps = []
    for arg in args:
        if "=" not in arg:
            raise UsageError("expected NAME=CMD, got %r" % arg)
        name, command = arg.split("=", 1)
        check_step_name(name, "argument %r" % arg)
        if not command.strip():
            raise UsageError("step %r has no command" % name)
        steps.append(Step(name, command))
    return steps


def parse_command_line(argv):
    """Return the list of Step named by the command line."""
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0)
    if argv and argv[0] == "--":
        steps = parse_step_args(argv[1:])
    elif len(argv) == 1:
        steps = parse_step_file(argv[0])
    else:
        raise UsageError("usage: test_driver.py STEP_FILE | test_driver.py -- NAME=CMD ...")
    names = set()
    for step in steps:
        if step.name in names:
            raise UsageError("duplicate step name %r" % step.name)
        names.add(step.name)
    return steps


def log_path_for(name):
    """The log file of a step: build/logs/<name>.log with unusual characters replaced."""
    safe = re.sub(r"[^A-Za-z0-9._+-]", "_", name)
    return os.path.join(LOG_DIR, safe + ".log")


def signal_group(proc, signum):
    """Send `signum` to the process group led by `proc`, ignoring one that is gone."""
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def stop_group(proc):
    """Terminate the step's process group: SIGTERM, a short grace period, then SIGKILL."""
    signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=TERM_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    signal_group(proc, signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def decode_line(raw):
    """Turn one raw output line into text."""
    return raw.decode("utf-8", errors="replace").rstrip("\r")


def run_step(step, timeout, log_file, echo):
    """Run one step, copying its output to `log_file` (and stdout if `echo`); return StepRun."""
    run = StepRun()
    start = time.monotonic()
    deadline = start + timeout
    env = dict(os.environ, VLTEST_DRIVER_LOG=os.path.abspath(log_file.name))
    proc = subprocess.Popen(step.command, shell=True, cwd=REPO_ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    os.set_blocking(proc.stdout.fileno(), False)
    pending = b""
    exited_at = None

    def take(chunk_lines):
        """Record complete output lines."""
        for raw in chunk_lines:
            line = decode_line(raw)
            run.lines.append(line)
            log_file.write(line + "\n")
            if echo:
                print(line, flush=True)
        log_file.flush()

    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                run.timed_out = True
                break
            if exited_at is not None and now >= exited_at + EXIT_DRAIN_SECONDS:
                break
            chunk = None
            if selector.select(min(deadline - now, 0.2)):
                try:
                    chunk = os.read(proc.stdout.fileno(), 65536)
                except BlockingIOError:
                    chunk = None
                if chunk == b"":
                    break
            if chunk:
                pieces = (pending + chunk).split(b"\n")
                pending = pieces.pop()
                take(pieces)
            if exited_at is None and proc.poll() is not None:
                exited_at = time.monotonic()
        if pending:
            take([pending])
        if not run.timed_out:
            # The output is closed (or the shell exited); wait for the exit status.
            try:
                run.exit_status = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                run.timed_out = True
    finally:
        selector.close()
        if proc.poll() is None:
            stop_group(proc)
        else:
            # The shell is gone: kill anything it left running in its process group.
            signal_group(proc, signal.SIGKILL)
        proc.stdout.close()
    run.elapsed = time.monotonic() - start
    return run


def parse_results(lines):
    """Return the TestResult of every "VLTEST PASS|FAIL|SKIP" line among `lines`."""
    results = []
    for line in lines:
        match = RESULT_RE.match(line)
        if match is None:
            continue
        status, name, reason = match.group(1), match.group(2), (match.group(3) or "").strip()
        if status == "FAIL" and not reason:
            reason = "no reason given"
        results.append(TestResult(name, status, reason))
    return results


def step_results(step, run, timeout):
    """Apply the counting rules to a finished step and return its list of TestResult."""
    results = parse_results(run.lines)
    if run.timed_out:
        results.append(TestResult(step.name + ":timeout", "FAIL",
                                  "step still running after %gs, killed" % timeout))
        return results
    if not results:
        if run.exit_status == 0:
            return [TestResult(step.name, "PASS")]
        return [TestResult(step.name, "FAIL", describe_status(run.exit_status))]
    if run.exit_status != 0 and not any(result.status == "FAIL" for result in results):
        results.append(TestResult(step.name + ":exit-status", "FAIL",
                                  describe_status(run.exit_status)))
    return results


def describe_status(status):
    """Describe a shell exit status."""
    if status is None:
        return "exit status unknown"
    if status < 0:
        return "killed by signal %d" % -status
    return "exited with status %d" % status


def count(results, status):
    """Number of results with the given status."""
    return sum(1 for result in results if result.status == status)


def counts_text(passed, failed, skipped):
    """The "N passed, M failed[, K skipped]" text."""
    text = "%d passed, %d failed" % (passed, failed)
    if skipped:
        text += ", %d skipped" % skipped
    return text


def report_failures(step, results, run, log_path):
    """Print the failures of one step with the tail of its log."""
    failures = [result for result in results if result.status == "FAIL"]
    if not failures:
        return
    for result in failures:
        print("FAIL %s: %s" % (result.name, result.reason))
    tail = run.lines[-TAIL_LINES:]
    print("--- last %d lines of %s ---" % (len(tail), os.path.relpath(log_path, REPO_ROOT)))
    for line in tail:
        print("  | " + line)
    print("--- end of %s ---" % step.name)


def run_all(steps, timeout, echo):
    """Run every step, printing progress; return the list of all TestResult."""
    os.makedirs(LOG_DIR, exist_ok=True)
    all_results = []
    for step in steps:
        print("== %s" % step.name, flush=True)
        log_path = log_path_for(step.name)
        with open(log_path, "w", encoding="utf-8") as log_file:
            run = run_step(step, timeout, log_file, echo)
        results = step_results(step, run, timeout)
        report_failures(step, results, run, log_path)
        text = counts_text(count(results, "PASS"), count(results, "FAIL"),
                           count(results, "SKIP"))
        print("== %s: %s (%.1fs)" % (step.name, text, run.elapsed), flush=True)
        all_results += results
    return all_results


def print_summary(results):
    """Print the failed tests, then the final counts line."""
    failures = [result for result in results if result.status == "FAIL"]
    if failures:
        print()
        print("Failed tests:")
        for result in failures:
            print("  %s: %s" % (result.name, result.reason))
    print(counts_text(count(results, "PASS"), len(failures), count(results, "SKIP")), flush=True)


def step_timeout_from_env():
    """The per-step timeout from env STEP_TIMEOUT, default 1200 s."""
    text = os.environ.get("STEP_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_STEP_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        raise UsageError("STEP_TIMEOUT must be a number of seconds, got %r" % text)
    if value <= 0:
        raise UsageError("STEP_TIMEOUT must be positive, got %r" % text)
    return value


def select_steps(steps):
    """Apply env TEST_FILTER (a regex searched in step names)."""
    pattern = os.environ.get("TEST_FILTER", "")
    if not pattern:
        return steps
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise UsageError("bad TEST_FILTER %r: %s" % (pattern, error))
    return [step for step in steps if regex.search(step.name)]


class Terminated(Exception):
    """Raised by the SIGTERM/SIGHUP handler so that the running step is killed."""


def on_terminate(signum, frame):
    """Signal handler: unwind through run_step's cleanup."""
    raise Terminated("signal %d" % signum)


def main(argv):
    """Entry point; returns the process exit status."""
    try:
        steps = select_steps(parse_command_line(argv))
        timeout = step_timeout_from_env()
    except UsageError as error:
        print("test_driver.py: %s" % error, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGHUP, on_terminate)
    try:
        results = run_all(steps, timeout, os.environ.get("VERBOSE") == "1")
    except (KeyboardInterrupt, Terminated) as error:
        print("test_driver.py: interrupted (%s)" % (error or "Ctrl-C"), flush=True)
        return 1
    print_summary(results)
    return 0 if count(results, "FAIL") == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
