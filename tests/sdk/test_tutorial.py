"""docs/tutorial.md, followed literally: its files are written and its commands run in a
temporary folder outside the tree against a copy of the SDK, and each command's output must
contain the lines the page shows. The page's conventions are in its last section, "How this
tutorial is tested"."""

import os
import re
import selectors
import signal
import subprocess
import time

import pytest

from conftest import REPO

TUTORIAL = os.path.join(REPO, "docs", "tutorial.md")
FILE_LINE = re.compile(r"^`([^`\s]+)`:$")
FENCE = re.compile(r"^```(\S*)\s*$")
# A command still running this long after its last expected line has been seen is stopped
# (a booted system runs for ever); one that has not shown it after COMMAND_TIMEOUT fails.
GRACE_SECONDS = 0.5
COMMAND_TIMEOUT = 180.0


def normalise(line):
    """The parts of a console line the page does not fix: sizes, capability counts and
    addresses."""
    line = re.sub(r"0x[0-9a-fA-F]+", "0x?", line)
    return re.sub(r"\b\d+ (bytes|KiB|caps)\b", r"? \1", line.rstrip())


def parse(text):
    """The page's steps, in order: ("file", path, content), ("sh", commands, expected lines)
    where expected is the next `text` block's lines (or []), and ("unnamed", where, kind)
    for a code block that should have named its file."""
    steps, lines, i, pending_file = [], text.splitlines(), 0, None
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if not fence:
            m = FILE_LINE.match(line)
            if m:
                pending_file = m.group(1)
            elif line.strip():
                pending_file = None
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end] != "```":
            end += 1
        body = "\n".join(lines[i + 1:end]) + "\n"
        kind = fence.group(1)
        if pending_file is not None:
            steps.append(("file", pending_file, body))
        elif kind in ("c", "yaml", "make"):
            steps.append(("unnamed", "line %d" % (i + 1), kind))
        elif kind == "sh":
            steps.append(("sh", body, []))
        elif kind == "text" and steps and steps[-1][0] == "sh" and not steps[-1][2]:
            steps[-1] = ("sh", steps[-1][1], body.splitlines())
        pending_file = None
        i = end + 1
    return steps


def run_command(commands, cwd, env, expected):
    """Runs commands with sh -e in cwd until it exits or, if expected lines are given, until
    all have been seen in order (then stops it). Returns (output lines, exit status or None
    if it was stopped, index of the first expected line not seen)."""
    proc = subprocess.Popen(["sh", "-ec", commands], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    out, pending, want = [], b"", 0
    deadline, stop_at = time.monotonic() + COMMAND_TIMEOUT, None
    try:
        while True:
            now = time.monotonic()
            if now >= deadline or (stop_at is not None and now >= stop_at):
                break
            if not sel.select(timeout=0.1):
                continue
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                proc.wait()
                break
            pending += data
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                line = raw.decode(errors="replace").rstrip("\r")
                out.append(line)
                if want < len(expected) and normalise(line) == normalise(expected[want]):
                    want += 1
                    if want == len(expected):
                        stop_at = time.monotonic() + GRACE_SECONDS
    finally:
        status = proc.poll()
        if status is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        sel.close()
        proc.stdout.close()
    return out, status, want


def test_tutorial_page_is_followable():
    """The page has the shape its conventions promise (a guard against a parser that silently
    finds nothing to run)."""
    steps = parse(open(TUTORIAL).read())
    assert not [s for s in steps if s[0] == "unnamed"], "code blocks without a file name"
    files = {s[1] for s in steps if s[0] == "file"}
    assert {"Makefile", "system.yaml", "client/client.c", "counter/counter.c",
            "watcher/watcher.c", "interfaces/counter.idl", "client/interfaces",
            "counter/interfaces"} <= files, files
    runs = [s for s in steps if s[0] == "sh" and "make run" in s[1]]
    assert len(runs) >= 4 and all(s[2] for s in runs), runs


def test_tutorial(sdk, tmp_path):
    """Every step of the page, in a fresh folder outside the tree."""
    work = str(tmp_path / "counting")
    os.makedirs(work)
    env = dict(os.environ, VALLUM_SDK=sdk, RUN_SECONDS="60")
    for kind, what, expected in parse(open(TUTORIAL).read()):
        if kind == "unnamed":
            pytest.fail("docs/tutorial.md %s: a %s block without a file name" % (what, expected))
        if kind == "file":
            path = os.path.join(work, what)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(expected)  # a file step's third field is the file's content
            continue
        out, status, seen = run_command(what, work, env, expected)
        console = "\n".join(out[-60:])
        assert not any("KERNEL PANIC" in line or "kernel panic" in line for line in out), console
        if seen < len(expected):
            pytest.fail("after `%s`: no line %r (in order); output:\n%s" %
                        (what.strip(), expected[seen], console))
        if not expected:
            assert status == 0, "`%s` exited with %s:\n%s" % (what.strip(), status, console)
    # Nothing was taken from the tree: every command make ran names the SDK copy only.
    plan = subprocess.run(["make", "-n", "-B", "VERBOSE=1"], cwd=work, env=env,
                          capture_output=True, text=True)
    assert plan.returncode == 0 and sdk in plan.stdout, plan.stdout + plan.stderr
    assert REPO not in plan.stdout, plan.stdout
