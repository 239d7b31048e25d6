"""`make debug` (docs/debugging.md): QEMU with its gdb stub and gdb-multiarch with the symbols
of the kernel, init and every program, each program linked at its own address. gdb runs in
batch mode (GDB_BATCH) on commands each test writes; every run is bounded (DEBUG_SECONDS and
a subprocess timeout) and tools/debug.sh stops its QEMU by process id, which the tests check.

Run: /usr/bin/python3 -m pytest -q tests/integration/test_debug.py
"""

import os
import re
import subprocess

import pytest
from make_helper import run_make

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.environ.get("CONFIG", "debug")
SYSTEMS = os.path.join(REPO, "build", CONFIG, "systems")
TIMEOUT = 300  # the build of the system, when make debug is the first to need it, and gdb's run


@pytest.fixture(scope="module", autouse=True)
def build():
    """The programs as linked per system, which function() reads before make debug runs: this
    module may run first, in a tree where nothing has built the systems yet."""
    run_make(["-s", "CONFIG=" + CONFIG, "systems"], cwd=REPO)


def function(system, program, name):
    """The address of function name in program, as linked for system (nm)."""
    elf = os.path.join(SYSTEMS, system, program + ".elf")
    out = subprocess.run(["riscv64-unknown-elf-nm", "--defined-only", elf],
                         capture_output=True, text=True, check=True).stdout
    found = [int(f[0], 16) for f in (l.split() for l in out.splitlines())
             if len(f) == 3 and f[1] in "tT" and f[2] == name]
    assert len(found) == 1, (elf, name, found)
    return found[0]


def debug(tmp_path, system, commands, env=None):
    """Runs `make debug SYSTEM=system` with gdb in batch mode on commands; returns make's
    status and output, after checking that the QEMU it started is gone."""
    cmds = tmp_path / "commands.gdb"
    cmds.write_text(commands)
    proc = subprocess.run(["make", "-s", "CONFIG=" + CONFIG, "debug", "SYSTEM=" + system,
                           "GDB_BATCH=" + str(cmds)], cwd=REPO, capture_output=True, text=True,
                          timeout=TIMEOUT, env=dict(os.environ, **(env or {})))
    out = proc.stdout + proc.stderr
    m = re.search(r"^debug: QEMU \(pid (\d+)\) waits for gdb on 127\.0\.0\.1:\d+", out, re.M)
    if m:
        try:
            os.kill(int(m.group(1)), 0)
            pytest.fail("QEMU (pid %s) still runs after make debug:\n%s" % (m.group(1), out))
        except ProcessLookupError:
            pass
    return proc.returncode, out


def test_breakpoint_stops_in_one_component_only(tmp_path):
    """In pingpong, pong (priority 150) runs its init() first, then ping (100) runs its own.
    `vl-break ping init` stops in ping's init; pong's init, the same name in the other
    program, runs first without stopping there (a breakpoint that never stops records that it
    ran). The two programs' init() are at different addresses, each in its program's slot."""
    ping_init = function("pingpong", "ping", "init")
    pong_init = function("pingpong", "pong", "init")
    assert 0x1000000 <= ping_init < 0x2000000 <= pong_init < 0x3000000
    status, out = debug(tmp_path, "pingpong", """vl-programs
vl-where
python
class Trace(gdb.Breakpoint):
    def stop(self):
        print("VLDEBUG passed 0x%%x" %% int(gdb.parse_and_eval("$pc")))
        return False
Trace("*0x%x", internal=True)
end
vl-break ping init
continue
vl-where
info symbol $pc
python
print("VLDEBUG stop 0x%%x" %% int(gdb.parse_and_eval("$pc")))
print("VLDEBUG hits %%d" %% gdb.breakpoints()[-1].hit_count)
end
""" % pong_init)
    assert status == 0, out
    # The symbols: the kernel's, init's and both programs', at their entry points.
    assert re.search(r"^ping +entry 0x1000000 +\S+/pingpong/ping\.elf$", out, re.M), out
    assert re.search(r"^pong +entry 0x2000000 +\S+/pingpong/pong\.elf$", out, re.M), out
    assert "pc 0x1000 is in no program of the system" in out, out  # QEMU's reset vector
    assert "vl-break: ping's init at %#x" % ping_init in out, out
    passed = out.index("VLDEBUG passed %#x" % pong_init)
    stop = out.index("VLDEBUG stop %#x" % ping_init)
    assert passed < stop, out
    assert "pc %#x is in program ping, function init" % ping_init in out, out
    assert re.search(r"^init in section \.text of \S+/pingpong/ping\.elf$", out, re.M), out
    assert "VLDEBUG hits 1" in out, out


def test_breakpoint_in_one_component_of_a_shared_program(tmp_path):
    """In greetings, one program (hello) runs as three components, shy (priority 110), hello
    (100) and bonjour (90), which run its init() in that order. `vl-break hello init bonjour`
    stops only in bonjour's: gdb passes it in shy's and hello's address spaces (a breakpoint
    that never stops records the component each time), and vl-where names bonjour."""
    init = function("greetings", "hello", "init")
    status, out = debug(tmp_path, "greetings", """python
class Trace(gdb.Breakpoint):
    def stop(self):
        print("VLDEBUG passed %%s" %% _component())
        return False
Trace("*0x%x", internal=True)
end
vl-break hello init bonjour
continue
vl-where
python print("VLDEBUG stops %%d" %% gdb.breakpoints()[-1].hit_count)
python
for args in ["hello init nosuch", "hello init bonjour extra"]:
    try:
        gdb.execute("vl-break " + args)
    except gdb.error as e:
        print("VLDEBUG error %%s: %%s" %% (args, e))
end
""" % init)
    assert status == 0, out
    assert "vl-break: hello's init at %#x, in component bonjour only" % init in out, out
    passed = re.findall(r"^VLDEBUG passed (\w+)$", out, re.M)
    assert passed == ["shy", "hello", "bonjour"], out
    assert "pc %#x is in program hello, function init, component bonjour" % init in out, out
    assert out.index("VLDEBUG passed bonjour") < out.index("component bonjour\n"), out
    assert "VLDEBUG stops 1" in out, out
    assert ("VLDEBUG error hello init nosuch: no component 'nosuch' in this system (it has "
            "shy, hello, bonjour)") in out, out
    assert ("VLDEBUG error hello init bonjour extra: usage: vl-break PROGRAM FUNCTION "
            "[COMPONENT]") in out, out


def test_breakpoint_in_the_kernel_and_errors(tmp_path):
    """The kernel's symbols are there too (a breakpoint on its C entry stops before init
    runs); vl-break names a program that is not in the system, a function a program lacks,
    or too few words, as errors."""
    status, out = debug(tmp_path, "hello", """python
for args in ["nosuch init", "hello nosuch", "hello"]:
    try:
        gdb.execute("vl-break " + args)
    except gdb.error as e:
        print("VLDEBUG error %s: %s" % (args, e))
end
break kernel_main
continue
python
print("VLDEBUG kernel stop %s" % gdb.selected_frame().name())
end
""")
    assert status == 0, out
    assert "VLDEBUG error nosuch init: no program 'nosuch' in this system" in out, out
    assert "VLDEBUG error hello nosuch: program 'hello' has no function 'nosuch'" in out, out
    assert "VLDEBUG error hello: usage: vl-break PROGRAM FUNCTION [COMPONENT]" in out, out
    assert "VLDEBUG kernel stop kernel_main" in out, out


def test_at_a_terminal(tmp_path):
    """make debug as a person runs it (pexpect): the gdb prompt; `continue` runs the system;
    Ctrl-C stops it in gdb and leaves QEMU running (it is in a session of its own); `quit`
    ends gdb and QEMU. make, which saw the Ctrl-C too, then reports an interrupt."""
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn("make", ["-s", "CONFIG=" + CONFIG, "debug", "SYSTEM=hello"],
                          cwd=REPO, encoding="utf-8", timeout=TIMEOUT)
    try:
        child.expect(r"QEMU \(pid (\d+)\)")
        pid = int(child.match.group(1))
        child.expect(r"\(gdb\) ")
        child.sendline("continue")
        child.expect("Continuing.")
        child.expect(pexpect.TIMEOUT, timeout=2)  # the system runs a while
        child.sendintr()
        child.expect(r"\(gdb\) ", timeout=60)
        os.kill(pid, 0)  # QEMU still runs: ProcessLookupError otherwise
        child.sendline("vl-where")
        child.expect(r"pc 0x[0-9a-f]+ is in ")
        child.expect(r"\(gdb\) ")
        child.sendline("quit")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_unknown_system_and_usage():
    """make debug with an unknown system lists the systems; tools/debug.sh refuses too few
    arguments, a missing file and a bad DEBUG_SECONDS, before starting anything."""
    proc = subprocess.run(["make", "-s", "debug", "SYSTEM=nosuch"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "there is no system 'nosuch'" in proc.stderr, proc.stderr
    assert "Systems: " in proc.stderr and "pingpong" in proc.stderr, proc.stderr
    script = os.path.join(REPO, "tools", "debug.sh")
    image = os.path.join(REPO, "build", CONFIG, "images", "hello.bin")
    for args, env, want in ((["a", "b", "c"], {}, "usage: debug.sh"),
                            (["/nonexistent.bin", "x.gdb", image, image], {}, "no file"),
                            ([image, "x.gdb", image, image], {"DEBUG_SECONDS": "0"},
                             "DEBUG_SECONDS must be")):
        proc = subprocess.run(["sh", script] + args, capture_output=True, text=True,
                              timeout=60, env=dict(os.environ, **env))
        assert proc.returncode == 2 and want in proc.stderr, (args, proc.stderr)
        assert "QEMU (pid" not in proc.stdout
