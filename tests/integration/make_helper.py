"""Runs make for the tests and, when it fails, fails the test with the lines that say why.

A bare CalledProcessError names only the command. What a person needs is the diagnostic:
vlsys's "FILE:LINE: error: ..." or the compiler's, which make printed. run_make() puts
those lines first in the failure message (the one-line summary that tools/test_driver.py
shows is the message's start), then the tail of the output.
"""

import re
import subprocess

import pytest

# Diagnostic lines of vlsys, the compilers and the linker, and make's own errors.
DIAGNOSTIC = re.compile(r"(^|: )(fatal )?error: |^make(\[\d+\])?: \*\*\* |undefined reference")
TAIL_LINES = 30


def failure_message(command, status, output):
    """The message for a failed command: its diagnostic lines, then the tail of its output."""
    lines = output.splitlines()
    found = [line for line in lines if DIAGNOSTIC.search(line)]
    head = "; ".join(found[:3]) if found else "no diagnostic line"
    return "%s (%s exited with status %d)\n%s" % (head, " ".join(command), status,
                                                  "\n".join(lines[-TAIL_LINES:]))


def run_make(args, cwd, env=None, timeout=600):
    """Runs make with args in cwd; returns its output (stdout and stderr together), or fails
    the calling test with failure_message() if make fails."""
    command = ["make"] + list(args)
    proc = subprocess.run(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(failure_message(command, proc.returncode, proc.stdout))
    return proc.stdout
