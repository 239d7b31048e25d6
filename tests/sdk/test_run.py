"""`make run` as a person runs it, at a terminal (pexpect gives it one): it exits with status
0 when the system powers off and when the user quits QEMU with Ctrl-A X, and its time limit
(RUN_SECONDS) is not an error. tools/run.sh documents the rules."""

import os
import subprocess

import pexpect

from conftest import REPO

# Limits for a boot that fails to happen; a passing test never waits for them.
BOOT_TIMEOUT = 120


def spawn(*args, env=None):
    return pexpect.spawn("make", ["-s"] + list(args), cwd=REPO, env=env, encoding="utf-8",
                         timeout=BOOT_TIMEOUT)


def test_power_off_exits_0():
    """systems/shutdown powers off with status 42: the run ended cleanly, so make says 0 and
    the status is printed."""
    child = spawn("run", "SYSTEM=shutdown")
    child.expect("owner: powering off")
    child.expect("QEMU exited with status 42: the system powered off with that status")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before


def test_ctrl_a_x_exits_0():
    child = spawn("run", "SYSTEM=hello")
    child.expect("hello from hello")
    child.send("\x01x")
    child.expect("QEMU: Terminated")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "Error" not in child.before, child.before


def test_time_limit_is_not_an_error():
    """Without a terminal a run has a limit; RUN_SECONDS sets it, and reaching it exits 0."""
    env = dict(os.environ, RUN_SECONDS="1")
    proc = subprocess.run(["make", "-s", "run", "SYSTEM=hello"], cwd=REPO, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=BOOT_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "run: stopped after RUN_SECONDS=1 seconds" in proc.stdout, proc.stdout
    assert "Error" not in proc.stderr, proc.stderr


def test_bad_run_seconds_is_refused():
    env = dict(os.environ, RUN_SECONDS="soon")
    proc = subprocess.run(["make", "-s", "run", "SYSTEM=hello"], cwd=REPO, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=BOOT_TIMEOUT)
    assert proc.returncode != 0, proc.stdout
    assert "RUN_SECONDS must be a whole number of seconds" in proc.stderr, proc.stderr
