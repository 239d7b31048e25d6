"""Tests for tools/qemu_run.py and tools/test_driver.py.

Run with:  /usr/bin/python3 -m pytest -q tests/unit/test_tools.py

QEMU is replaced by a small fake emulator (env QEMU) that follows a JSON plan of output lines,
sleeps and an exit status.  Each test copies the tools into a temporary "repository" so that
their default log directory (build/logs under the repository root) is private to the test.
One optional test boots a tiny real RISC-V image when QEMU and a cross toolchain are present.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS_DIR = os.path.join(REPO_ROOT, "tools")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

FAKE_QEMU = textwrap.dedent('''\
    #!/usr/bin/python3
    """Fake emulator: records its argv and pid, then follows the JSON plan in FAKE_QEMU_PLAN."""
    import json, os, subprocess, sys, time
    with open(os.environ["FAKE_QEMU_ARGV"], "w") as f:
        json.dump(sys.argv[1:], f)
    with open(os.environ["FAKE_QEMU_PID"], "w") as f:
        f.write(str(os.getpid()))
    with open(os.environ["FAKE_QEMU_PLAN"]) as f:
        plan = json.load(f)
    out = sys.stdout.buffer
    for action, value in plan:
        if action == "line":
            out.write(value.encode() + b"\\r\\n")
        elif action == "text":
            out.write(value.encode())
        elif action == "hex":
            out.write(bytes.fromhex(value))
        elif action == "sleep":
            out.flush()
            time.sleep(value)
        elif action == "sleeper":
            child = subprocess.Popen(["sleep", "60"])
            with open(value, "w") as f:
                f.write(str(child.pid))
        elif action == "exit":
            out.flush()
            sys.exit(value)
        out.flush()
    ''')


def load_module(name):
    """Import one of the tools as a module."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(TOOLS_DIR, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


qemu_run = load_module("qemu_run")
test_driver = load_module("test_driver")


def process_gone(pid):
    """True if `pid` no longer runs (a zombie waiting for a non-waiting init counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return fields[0] in ("Z", "X")


def wait_gone(pid, seconds=5.0):
    """Wait up to `seconds` for `pid` to be gone; return whether it is."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if process_gone(pid):
            return True
        time.sleep(0.05)
    return process_gone(pid)


class FakeRepo:
    """A temporary repository holding copies of the tools, a fake QEMU and a dummy image."""

    def __init__(self, root):
        self.root = str(root)
        os.makedirs(os.path.join(self.root, "tools"))
        for name in ("qemu_run.py", "test_driver.py"):
            shutil.copy(os.path.join(TOOLS_DIR, name), os.path.join(self.root, "tools", name))
        self.fake = os.path.join(self.root, "fake_qemu.py")
        with open(self.fake, "w") as fake:
            fake.write(FAKE_QEMU)
        os.chmod(self.fake, 0o755)
        self.image = os.path.join(self.root, "kernel.elf")
        with open(self.image, "wb") as image:
            image.write(b"\x7fELF dummy")
        self.plan_path = os.path.join(self.root, "plan.json")
        self.argv_path = os.path.join(self.root, "argv.json")
        self.pid_path = os.path.join(self.root, "qemu.pid")

    def path(self, *parts):
        """A path inside the fake repository."""
        return os.path.join(self.root, *parts)

    def env(self, **extra):
        """Environment for running the tools against the fake QEMU."""
        env = dict(os.environ)
        for name in ("VERBOSE", "TEST_FILTER", "STEP_TIMEOUT", "VLTEST_DRIVER_LOG"):
            env.pop(name, None)
        env.update(QEMU=self.fake, FAKE_QEMU_PLAN=self.plan_path,
                   FAKE_QEMU_ARGV=self.argv_path, FAKE_QEMU_PID=self.pid_path)
        env.update(extra)
        return env

    def qemu_run(self, plan, *options, image=None, extra=(), env=None):
        """Run qemu_run.py with the fake QEMU following `plan`; return (CompletedProcess, secs)."""
        with open(self.plan_path, "w") as plan_file:
            json.dump(plan, plan_file)
        argv = [PYTHON, self.path("tools", "qemu_run.py")] + list(options)
        argv += ["--", image or self.image] + list(extra)
        start = time.monotonic()
        proc = subprocess.run(argv, cwd=self.root, env=env or self.env(), capture_output=True,
                              text=True, timeout=60)
        return proc, time.monotonic() - start

    def driver(self, *args, env=None):
        """Run test_driver.py; return (CompletedProcess, secs)."""
        argv = [PYTHON, self.path("tools", "test_driver.py")] + list(args)
        start = time.monotonic()
        proc = subprocess.run(argv, cwd=self.root, env=env or self.env(), capture_output=True,
                              text=True, timeout=120)
        return proc, time.monotonic() - start

    def read(self, *parts):
        """Contents of a file inside the fake repository."""
        with open(self.path(*parts), encoding="utf-8") as text_file:
            return text_file.read()


@pytest.fixture
def repo(tmp_path):
    """A fresh FakeRepo."""
    return FakeRepo(tmp_path)


def result_lines(stdout):
    """The lines of `stdout` that start with a VLTEST result."""
    return [line for line in stdout.splitlines()
            if line.startswith(("VLTEST PASS", "VLTEST FAIL", "VLTEST SKIP"))]


def lines(*texts):
    """A plan that prints each text as one console line and then exits 0."""
    return [["line", text] for text in texts] + [["exit", 0]]


# --------------------------------------------------------------------------------------------
# qemu_run.py: the protocol parser


def test_parse_vltest_verbs():
    assert qemu_run.parse_vltest("hello world") is None
    assert qemu_run.parse_vltest("VLTEST START kernel") == ("START", {"suite": "kernel"}, None)
    assert qemu_run.parse_vltest("VLTEST PASS ipc_call") == ("PASS", {"name": "ipc_call"}, None)
    assert qemu_run.parse_vltest("VLTEST FAIL cap_copy expected 3 got 4") == (
        "FAIL", {"name": "cap_copy", "reason": "expected 3 got 4"}, None)
    assert qemu_run.parse_vltest("VLTEST SKIP smp needs 2 harts") == (
        "SKIP", {"name": "smp", "reason": "needs 2 harts"}, None)
    assert qemu_run.parse_vltest("VLTEST DONE 7 1") == (
        "DONE", {"passed": 7, "failed": 1}, None)


def test_parse_vltest_with_leading_text():
    parsed = qemu_run.parse_vltest("[hart0] 12.5: VLTEST PASS vm_map")
    assert parsed == ("PASS", {"name": "vm_map"}, None)


def test_parse_vltest_fail_without_reason():
    assert qemu_run.parse_vltest("VLTEST FAIL x") == (
        "FAIL", {"name": "x", "reason": "no reason given"}, None)


@pytest.mark.parametrize("line", ["VLTEST PASS", "VLTEST DONE 1", "VLTEST DONE a b",
                                  "VLTEST START", "VLTEST BOGUS x"])
def test_parse_vltest_malformed(line):
    verb, fields, error = qemu_run.parse_vltest(line)
    assert error is not None


def test_protocol_state_tracks_results():
    state = qemu_run.ProtocolState()
    for line in ["OpenSBI banner", "VLTEST START kern", "VLTEST PASS a", "VLTEST FAIL b bad",
                 "VLTEST SKIP c later", "VLTEST DONE 1 1"]:
        state.feed(line)
    assert state.suite == "kern" and state.started
    assert [(r.name, r.status, r.reason) for r in state.results] == [
        ("a", "PASS", ""), ("b", "FAIL", "bad"), ("c", "SKIP", "later")]
    assert state.done == (1, 1)
    assert state.last_test == "c"
    assert state.protocol_errors == []


def test_protocol_state_detects_panic_and_late_lines():
    state = qemu_run.ProtocolState()
    state.feed("VLTEST START kern")
    assert state.position() == "after VLTEST START, before the first test"
    state.feed("VLTEST DONE 0 0")
    state.feed("VLTEST PASS late")
    state.feed("kernel panic: bad trap")
    assert state.panic_line == "kernel panic: bad trap"
    assert state.protocol_errors == ["VLTEST PASS after VLTEST DONE"]


def test_line_reader_handles_crlf_partial_lines_and_bad_utf8():
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb") as read_end:
        reader = qemu_run.LineReader(read_end)
        os.write(write_fd, b"one\r\ntw")
        assert reader.read_lines(1.0) == ["one"]
        os.write(write_fd, b"o\n\xff\xfebad\r\nlast")
        assert reader.read_lines(1.0) == ["two", "\ufffd\ufffdbad"]
        assert reader.read_lines(0.05) == []
        os.close(write_fd)
        assert reader.read_lines(1.0) == ["last"]
        assert reader.eof


def test_build_qemu_command(monkeypatch):
    monkeypatch.delenv("QEMU", raising=False)
    command = qemu_run.build_qemu_command("k.elf", icount=True, extra_args=["-s"])
    assert command == [
        "qemu-system-riscv64", "-machine", "virt", "-cpu", "rv64", "-m", "256M", "-smp", "1",
        "-nographic", "-bios", "default", "-kernel", "k.elf", "-monitor", "none",
        "-serial", "stdio", "-icount", "shift=0,sleep=off", "-s"]
    monkeypatch.setenv("QEMU", "/usr/bin/python3 fake.py")
    assert qemu_run.build_qemu_command("k.elf")[:2] == ["/usr/bin/python3", "fake.py"]


# --------------------------------------------------------------------------------------------
# qemu_run.py: whole runs against the fake QEMU


def test_run_success(repo):
    proc, _ = repo.qemu_run(lines("OpenSBI v1.1", "VLTEST START kern", "boot: VLTEST PASS a",
                                  "VLTEST SKIP b no second hart", "VLTEST PASS c",
                                  "VLTEST DONE 2 0"))
    assert proc.returncode == 0, proc.stdout
    assert result_lines(proc.stdout) == [
        "VLTEST PASS kern/a", "VLTEST SKIP kern/b no second hart", "VLTEST PASS kern/c"]
    log = repo.read("build", "logs", "kernel.log")
    assert "OpenSBI v1.1\nVLTEST START kern\n" in log
    assert "\r" not in log


def test_run_passes_qemu_arguments(repo):
    proc, _ = repo.qemu_run(lines("VLTEST START s", "VLTEST DONE 0 0"), "--icount",
                            extra=["-d", "guest_errors"])
    assert proc.returncode == 0, proc.stdout
    with open(repo.argv_path) as argv_file:
        argv = json.load(argv_file)
    assert argv == ["-machine", "virt", "-cpu", "rv64", "-m", "256M", "-smp", "1",
                    "-nographic", "-bios", "default", "-kernel", repo.image,
                    "-monitor", "none", "-serial", "stdio",
                    "-icount", "shift=0,sleep=off", "-d", "guest_errors"]


def test_run_reports_guest_failure(repo):
    plan = [["line", "VLTEST START kern"], ["line", "VLTEST PASS a"],
            ["line", "VLTEST FAIL b expected 1 got 2"], ["line", "VLTEST DONE 1 1"],
            ["exit", 3]]
    proc, _ = repo.qemu_run(plan)
    assert proc.returncode == 1
    assert result_lines(proc.stdout) == ["VLTEST PASS kern/a",
                                         "VLTEST FAIL kern/b expected 1 got 2"]


def test_run_name_option_and_log_option(repo):
    log = repo.path("custom.log")
    proc, _ = repo.qemu_run(lines("VLTEST START guestname", "VLTEST PASS a", "VLTEST DONE 1 0"),
                            "--name", "mysuite", "--log", log)
    assert proc.returncode == 0
    assert result_lines(proc.stdout) == ["VLTEST PASS mysuite/a"]
    assert "VLTEST PASS a" in repo.read("custom.log")


def test_run_panic_is_a_failure_and_stops_quickly(repo):
    plan = [["line", "VLTEST START kern"], ["line", "VLTEST PASS a"],
            ["line", "KERNEL PANIC: page fault at 0x0"], ["line", "  ra 0x80201234"],
            ["sleep", 30]]
    proc, secs = repo.qemu_run(plan, "--timeout", "20")
    assert proc.returncode == 1
    assert secs < 8
    assert result_lines(proc.stdout) == [
        "VLTEST PASS kern/a",
        "VLTEST FAIL kern:panic kernel panic after test a: KERNEL PANIC: page fault at 0x0"]
    assert "  | KERNEL PANIC: page fault at 0x0" in proc.stdout
    assert "ra 0x80201234" in repo.read("build", "logs", "kernel.log")
    with open(repo.pid_path) as pid_file:
        assert wait_gone(int(pid_file.read()))


def test_run_lowercase_panic_even_after_done(repo):
    proc, _ = repo.qemu_run(lines("VLTEST START kern", "VLTEST DONE 0 0", "kernel panic: late"))
    assert proc.returncode == 1
    assert "VLTEST FAIL kern:panic" in proc.stdout


def test_run_timeout_reports_hang_and_kills_process_group(repo):
    sleeper_pid_path = repo.path("sleeper.pid")
    plan = [["sleeper", sleeper_pid_path], ["line", "VLTEST START kern"],
            ["line", "VLTEST PASS first"], ["line", "VLTEST PASS second"], ["sleep", 60]]
    proc, secs = repo.qemu_run(plan, "--timeout", "1.5")
    assert proc.returncode == 1
    assert secs < 6
    failures = [line for line in result_lines(proc.stdout) if "FAIL" in line]
    assert failures == ["VLTEST FAIL kern:timeout no VLTEST DONE within 1.5s: "
                        "hang after test second"]
    assert "qemu_run: --- last" in proc.stdout
    with open(repo.pid_path) as pid_file:
        assert wait_gone(int(pid_file.read()))
    with open(sleeper_pid_path) as pid_file:
        assert wait_gone(int(pid_file.read()))


def test_run_timeout_without_any_output(repo):
    proc, _ = repo.qemu_run([["sleep", 60]], "--timeout", "1", "--name", "quiet")
    assert proc.returncode == 1
    assert "VLTEST FAIL quiet:timeout no VLTEST DONE within 1s: hang before VLTEST START" \
        in proc.stdout


def test_run_qemu_exit_before_done(repo):
    plan = [["line", "VLTEST START kern"], ["line", "VLTEST PASS a"], ["exit", 5]]
    proc, _ = repo.qemu_run(plan)
    assert proc.returncode == 1
    assert ("VLTEST FAIL kern:qemu-exit qemu exited with status 5 before VLTEST DONE, "
            "after test a") in proc.stdout


def test_run_qemu_exit_zero_before_done_is_still_a_failure(repo):
    proc, _ = repo.qemu_run(lines("VLTEST START kern", "VLTEST PASS a"))
    assert proc.returncode == 1
    assert "kern:qemu-exit qemu exited with status 0 before VLTEST DONE" in proc.stdout


def test_run_done_count_mismatch(repo):
    proc, _ = repo.qemu_run(lines("VLTEST START kern", "VLTEST PASS a", "VLTEST DONE 2 0"))
    assert proc.returncode == 1
    assert "VLTEST FAIL kern:done-mismatch VLTEST DONE 2 0 but saw 1 PASS and 0 FAIL lines" \
        in proc.stdout


def test_run_missing_start(repo):
    proc, _ = repo.qemu_run(lines("VLTEST PASS a", "VLTEST DONE 1 0"))
    assert proc.returncode == 1
    assert "VLTEST FAIL kernel:no-start" in proc.stdout
    assert "VLTEST PASS kernel/a" in proc.stdout


def test_run_nonzero_exit_with_all_tests_passing(repo):
    plan = [["line", "VLTEST START kern"], ["line", "VLTEST PASS a"],
            ["line", "VLTEST DONE 1 0"], ["exit", 1]]
    proc, _ = repo.qemu_run(plan)
    assert proc.returncode == 1
    assert "VLTEST FAIL kern:exit-status qemu exited with status 1 although no test failed" \
        in proc.stdout


def test_run_done_without_poweroff_is_accepted(repo):
    plan = [["line", "VLTEST START kern"], ["line", "VLTEST PASS a"],
            ["line", "VLTEST DONE 1 0"], ["sleep", 60]]
    proc, secs = repo.qemu_run(plan, "--timeout", "2")
    assert proc.returncode == 0, proc.stdout
    assert secs < 6
    with open(repo.pid_path) as pid_file:
        assert wait_gone(int(pid_file.read()))


def test_run_partial_last_line_and_bad_utf8(repo):
    plan = [["text", "VLTEST START kern\r\n"], ["hex", "ff"], ["text", " noise\nVLTEST PASS "],
            ["sleep", 0.2], ["text", "a\nVLTEST DONE 1 0"], ["exit", 0]]
    proc, _ = repo.qemu_run(plan)
    assert proc.returncode == 0, proc.stdout
    assert result_lines(proc.stdout) == ["VLTEST PASS kern/a"]
    assert "\ufffd noise" in repo.read("build", "logs", "kernel.log")


def test_run_malformed_protocol_line(repo):
    proc, _ = repo.qemu_run(lines("VLTEST START kern", "VLTEST DONE x y", "VLTEST DONE 0 0"))
    assert proc.returncode == 1
    assert "VLTEST FAIL kern:protocol malformed VLTEST DONE line" in proc.stdout


def test_run_verbose_echoes_console_with_prefix(repo):
    proc, _ = repo.qemu_run(lines("VLTEST START kern", "VLTEST PASS a", "VLTEST DONE 1 0"),
                            env=repo.env(VERBOSE="1"))
    assert proc.returncode == 0
    assert "| VLTEST PASS a" in proc.stdout.splitlines()
    assert result_lines(proc.stdout) == ["VLTEST PASS kern/a"]


def test_run_missing_image(repo):
    proc, _ = repo.qemu_run(lines(), image=repo.path("nope.elf"))
    assert proc.returncode == 1
    assert "VLTEST FAIL nope:boot image" in proc.stdout


def test_run_missing_emulator(repo):
    proc, _ = repo.qemu_run(lines(), env=repo.env(QEMU=repo.path("no-such-qemu")))
    assert proc.returncode == 1
    assert "VLTEST FAIL kernel:boot cannot start" in proc.stdout


def test_run_expect_mode_success_kills_qemu(repo):
    plan = [["line", "OpenSBI v1.1"], ["line", "vallum: init started"],
            ["line", "shell> "], ["sleep", 60]]
    proc, secs = repo.qemu_run(plan, "--timeout", "20", "--expect", "init started",
                               "--expect", "^shell>", "--name", "demo")
    assert proc.returncode == 0, proc.stdout
    assert secs < 8
    assert result_lines(proc.stdout) == ["VLTEST PASS demo:expect:1",
                                         "VLTEST PASS demo:expect:2"]
    with open(repo.pid_path) as pid_file:
        assert wait_gone(int(pid_file.read()))


def test_run_expect_mode_timeout(repo):
    plan = [["line", "vallum: init started"], ["sleep", 60]]
    proc, _ = repo.qemu_run(plan, "--timeout", "1", "--expect", "init started",
                            "--expect", "never", "--name", "demo")
    assert proc.returncode == 1
    assert result_lines(proc.stdout) == [
        "VLTEST PASS demo:expect:1",
        "VLTEST FAIL demo:expect:2 /never/: no console line matched within 1s"]


def test_run_expect_mode_qemu_exit(repo):
    proc, _ = repo.qemu_run([["line", "hello"], ["exit", 2]], "--expect", "bye")
    assert proc.returncode == 1
    assert "VLTEST FAIL kernel:expect:1 /bye/: qemu exited with status 2 before a match" \
        in proc.stdout


def test_run_log_does_not_clobber_driver_log(repo):
    driver_log = repo.path("build", "logs", "kernel.log")
    proc, _ = repo.qemu_run(lines("VLTEST START kern", "VLTEST DONE 0 0"),
                            env=repo.env(VLTEST_DRIVER_LOG=driver_log))
    assert proc.returncode == 0
    assert not os.path.exists(driver_log)
    assert "VLTEST START kern" in repo.read("build", "logs", "kernel.console.log")


def test_run_usage_error(repo):
    proc = subprocess.run([PYTHON, repo.path("tools", "qemu_run.py"), "--timeout", "1", "--"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2


# --------------------------------------------------------------------------------------------
# test_driver.py


def write_steps(repo, text):
    """Write a step file into the fake repository and return its path."""
    path = repo.path("steps.txt")
    with open(path, "w") as step_file:
        step_file.write(textwrap.dedent(text))
    return path


def test_parse_step_file(tmp_path):
    path = tmp_path / "steps"
    path.write_text("# comment\n\nunit: python3 -m pytest -q\n  kern : echo a:b \n")
    steps = test_driver.parse_step_file(str(path))
    assert [(s.name, s.command) for s in steps] == [("unit", "python3 -m pytest -q"),
                                                   ("kern", "echo a:b")]


@pytest.mark.parametrize("text", ["no colon here\n", ": echo x\n", "two words: echo x\n",
                                  "empty:\n"])
def test_parse_step_file_errors(tmp_path, text):
    path = tmp_path / "steps"
    path.write_text(text)
    with pytest.raises(test_driver.UsageError):
        test_driver.parse_step_file(str(path))


def test_parse_results_only_at_line_start():
    results = test_driver.parse_results([
        "VLTEST PASS a", "VLTEST FAIL b it broke", "VLTEST SKIP c", "VLTEST FAIL d",
        "  | VLTEST PASS console-echo", "VLTEST DONE 1 1", "VLTEST START x"])
    assert [(r.name, r.status, r.reason) for r in results] == [
        ("a", "PASS", ""), ("b", "FAIL", "it broke"), ("c", "SKIP", ""),
        ("d", "FAIL", "no reason given")]


def test_counts_text():
    assert test_driver.counts_text(3, 0, 0) == "3 passed, 0 failed"
    assert test_driver.counts_text(3, 1, 2) == "3 passed, 1 failed, 2 skipped"


def test_driver_counts_steps(repo):
    path = write_steps(repo, """\
        # a comment
        proto: printf 'VLTEST PASS a\\nVLTEST SKIP b no disk\\nVLTEST PASS c\\nnoise\\n'
        plain: true

        failing: printf 'VLTEST PASS x\\nVLTEST FAIL y wrong answer\\n'; exit 1
        """)
    proc, _ = repo.driver(path)
    assert proc.returncode == 1
    out = proc.stdout.splitlines()
    assert out[-1] == "4 passed, 1 failed, 1 skipped"
    assert "== proto" in out
    assert any(line.startswith("== proto: 2 passed, 0 failed, 1 skipped (") for line in out)
    assert any(line.startswith("== plain: 1 passed, 0 failed (") for line in out)
    assert any(line.startswith("== failing: 1 passed, 1 failed (") for line in out)
    assert "FAIL y: wrong answer" in out
    assert "  y: wrong answer" in out
    assert "failing:exit-status" not in proc.stdout
    assert "VLTEST FAIL y wrong answer" in repo.read("build", "logs", "failing.log")


def test_driver_all_pass_final_line(repo):
    proc, _ = repo.driver("--", "one=true", "two=echo VLTEST PASS t")
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.splitlines()[-1] == "2 passed, 0 failed"
    assert "Failed tests" not in proc.stdout


def test_driver_plain_step_failure_shows_log_tail(repo):
    proc, _ = repo.driver("--", "bad=for i in $(seq 1 30); do echo line$i; done; exit 4")
    assert proc.returncode == 1
    out = proc.stdout.splitlines()
    assert "FAIL bad: exited with status 4" in out
    assert "  | line30" in out and "  | line11" in out and "  | line10" not in out
    assert out[-1] == "0 passed, 1 failed"


def test_driver_exit_status_without_fail_lines(repo):
    proc, _ = repo.driver("--", "st=echo VLTEST PASS a; exit 2")
    assert proc.returncode == 1
    assert "FAIL st:exit-status: exited with status 2" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "1 passed, 1 failed"


def test_driver_timeout_kills_process_group(repo):
    pid_path = repo.path("bg.pid")
    command = "echo VLTEST PASS early; sleep 60 & echo $! > %s; sleep 60" % pid_path
    proc, secs = repo.driver("--", "slow=" + command, "after=true",
                             env=repo.env(STEP_TIMEOUT="1"))
    assert proc.returncode == 1
    assert secs < 15
    assert "FAIL slow:timeout: step still running after 1s, killed" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "2 passed, 1 failed"
    with open(pid_path) as pid_file:
        assert wait_gone(int(pid_file.read()))


def test_driver_filter(repo):
    path = write_steps(repo, "unit-a: true\nunit-b: true\nqemu: false\n")
    proc, _ = repo.driver(path, env=repo.env(TEST_FILTER="^unit"))
    assert proc.returncode == 0
    assert "== qemu" not in proc.stdout
    assert proc.stdout.splitlines()[-1] == "2 passed, 0 failed"


def test_driver_runs_in_repo_root_and_sets_driver_log(repo):
    proc, _ = repo.driver("--", "where=pwd; echo log=$VLTEST_DRIVER_LOG")
    assert proc.returncode == 0
    log = repo.read("build", "logs", "where.log")
    assert os.path.realpath(log.splitlines()[0]) == os.path.realpath(repo.root)
    assert "log=" + repo.path("build", "logs", "where.log") in log


def test_driver_usage_errors(repo):
    assert repo.driver()[0].returncode == 2
    assert repo.driver("--", "novalue")[0].returncode == 2
    assert repo.driver("--", "a=true", "a=true")[0].returncode == 2
    assert repo.driver(repo.path("missing-steps"))[0].returncode == 2
    assert repo.driver("--", "a=true", env=repo.env(STEP_TIMEOUT="soon"))[0].returncode == 2


def test_driver_with_qemu_run(repo):
    plan = [["line", "VLTEST START kern"], ["line", "VLTEST PASS a"],
            ["line", "VLTEST FAIL b bad"], ["line", "VLTEST DONE 1 1"], ["exit", 3]]
    with open(repo.plan_path, "w") as plan_file:
        json.dump(plan, plan_file)
    path = write_steps(repo, "kernel: %s tools/qemu_run.py --timeout 10 -- kernel.elf\n"
                       % PYTHON)
    proc, _ = repo.driver(path)
    assert proc.returncode == 1
    out = proc.stdout.splitlines()
    assert "FAIL kern/b: bad" in out
    assert out[-1] == "1 passed, 1 failed"
    # Console and driver logs share the name "kernel"; neither clobbers the other.
    assert "VLTEST PASS kern/a" in repo.read("build", "logs", "kernel.log")
    assert "VLTEST START kern" in repo.read("build", "logs", "kernel.console.log")


# --------------------------------------------------------------------------------------------
# Optional: a real QEMU boot of a tiny image that speaks the protocol

TINY_IMAGE_ASM = r"""
    .section .text
    .globl _start
_start:
    la a0, message
    li t1, 0x10000000          /* virt UART0 */
1:  lbu t2, 0(a0)
    beqz t2, 2f
    sb t2, 0(t1)
    addi a0, a0, 1
    j 1b
2:  li t1, 0x100000            /* sifive_test */
    li t2, 0x5555              /* power off, status 0 */
    sw t2, 0(t1)
3:  j 3b
    .section .rodata
message:
    .asciz "VLTEST START tiny\r\nVLTEST PASS hello\r\nVLTEST DONE 1 0\r\n"
"""


@pytest.mark.skipif(shutil.which("qemu-system-riscv64") is None
                    or shutil.which("riscv64-unknown-elf-gcc") is None,
                    reason="needs qemu-system-riscv64 and riscv64-unknown-elf-gcc")
def test_real_qemu_boot(repo):
    source, elf, image = repo.path("tiny.S"), repo.path("tiny.elf"), repo.path("tiny.bin")
    with open(source, "w") as asm:
        asm.write(TINY_IMAGE_ASM)
    subprocess.run(["riscv64-unknown-elf-gcc", "-nostdlib", "-nostartfiles",
                    "-Wl,-Ttext=0x80200000", "-o", elf, source], check=True)
    subprocess.run(["riscv64-unknown-elf-objcopy", "-O", "binary", elf, image], check=True)
    env = repo.env()
    del env["QEMU"]
    proc, _ = repo.qemu_run([], "--timeout", "30", image=image, env=env)
    assert proc.returncode == 0, proc.stdout
    assert result_lines(proc.stdout) == ["VLTEST PASS tiny/hello"]


# ---- bench_profile.py ----

def test_profile_reads_pcs_from_exec_log(tmp_path):
    profile = load_module("bench_profile")
    log = tmp_path / "exec.log"
    log.write_bytes(b"Trace 0: 0x7f443c000100 [0000000000000000/0000000000001000/00209003/ff020201] \n"
                    b"garbage line\n"
                    b"Trace 0: 0x7f443c000240 [0000000000000000/ffffffff80200074/00209003/ff020201] \n")
    assert profile.read_pcs(str(log)) == [0x1000, 0xffffffff80200074]


def test_profile_find_sample_prefers_exact_and_last():
    profile = load_module("bench_profile")
    r = 0x10
    pcs = [r, 1, 2, r, 1, r, 1, 2, r, 5]
    # stretches between reads of r: 3, 2, 3 instructions; the last of length 3 wins
    window, lengths = profile.find_sample(pcs, {r}, 3)
    assert window == (5, 8)
    assert lengths == {3: 2, 2: 1}


def test_profile_find_sample_allows_logged_faults_but_not_fewer():
    profile = load_module("bench_profile")
    r = 0x10
    pcs = [r, 1, 2, 3, r]
    assert profile.find_sample(pcs, {r}, 2)[0] == (0, 4)   # 4 logged for 2 counted
    assert profile.find_sample(pcs, {r}, 5)[0] is None     # never shorter than counted
    assert profile.find_sample(pcs, {r}, 4 - profile.MAX_EXTRA - 1)[0] is None


def test_profile_refuses_metrics_not_timed_by_the_cycle_counter(tmp_path):
    for metric in ("irq_to_user", "kernel_sloc", "no_such_metric"):
        proc = subprocess.run([PYTHON, os.path.join(TOOLS_DIR, "bench_profile.py"), metric,
                               "--listing", str(tmp_path / "p.txt")],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2
        assert "not a metric timed by the cycle counter" in proc.stdout
        assert "ipc_call_reply_cross_as" in proc.stdout


# ---- bench.py ----

def test_bench_check_expected_value_and_sample_count():
    bench = load_module("bench")
    entry = {"value": 99997, "min": 99996, "max": 99997, "samples": 6}
    assert bench.check("timeslice_ticks", entry, 100) is None
    # A deadline armed twice too far shows as a timeslice twice too long.
    far = dict(entry, value=199997, min=199996, max=199997)
    assert "outside 100000 +- 100" in bench.check("timeslice_ticks", far, 100)
    # One sample off is enough to fail, whatever the median says.
    assert "outside" in bench.check("timeslice_ticks", dict(entry, max=100101), 100)
    assert "outside" in bench.check("timeslice_ticks", dict(entry, min=99899), 100)
    assert "expected 6 samples" in bench.check("timeslice_ticks", dict(entry, samples=5), 100)
