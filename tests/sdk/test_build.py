"""The in-tree build as a newcomer meets it, in a copy of the tree: each system builds only
the programs it uses, an unknown SYSTEM names the systems that exist, and a failed build
in a test says which line of which file is wrong."""

import glob
import os
import re
import subprocess

from conftest import REPO
from make_helper import failure_message, run_make

BROKEN_APP = "this is not C;\n"
TYPO_SYSTEM = ("system: zz_typo\n"
               "components:\n"
               "  - name: hello\n"
               "    program: hello\n"
               "    priorty: 100\n")
USES_BROKEN = ("system: zz_uses_broken\n"
               "components:\n"
               "  - {name: b, program: zz_broken, priority: 100}\n")


def write(root, path, text):
    path = os.path.join(root, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def make(tree, *args):
    proc = subprocess.run(["make", "-s"] + list(args), cwd=tree, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=600)
    return proc.returncode, proc.stdout


def test_system_builds_beside_a_broken_app(tree):
    """An unfinished app in apps/ stops only the systems that use it."""
    write(tree, "apps/zz_broken/broken.c", BROKEN_APP)
    write(tree, "systems/zz_uses_broken/system.yaml", USES_BROKEN)
    run_make(["-s", "build/debug/images/hello.bin"], cwd=tree)
    assert os.path.exists(os.path.join(tree, "build/debug/images/hello.bin"))
    # hello's program, linked for the system (mk/systems.mk), and nothing of zz_broken.
    assert os.path.exists(os.path.join(tree, "build/debug/systems/hello/hello.elf"))
    assert not glob.glob(os.path.join(tree, "build/debug/**/zz_broken.elf"), recursive=True)
    status, out = make(tree, "build/debug/images/zz_uses_broken.bin")
    assert status != 0 and "apps/zz_broken/broken.c:1" in out, out


def test_unknown_system_lists_the_systems(tree):
    status, out = make(tree, "run", "SYSTEM=nosuch")
    assert status != 0, out
    assert "there is no system 'nosuch'" in out, out
    listed = out.split("Systems: ", 1)[1].split()
    assert "hello" in listed and "pingpong" in listed and "nosuch" not in listed, out
    assert "No rule to make target" not in out, out


def test_failed_build_names_the_vlsys_line(tree):
    """What a test reports when a system's build fails: vlsys's diagnostic, first."""
    write(tree, "systems/zz_typo/system.yaml", TYPO_SYSTEM)
    command = ["make", "-s", "build/debug/images/zz_typo.bin"]
    status, out = make(tree, *command[2:])
    assert status != 0, out
    first = failure_message(command, status, out).splitlines()[0]
    assert first.startswith("systems/zz_typo/system.yaml:3: error: "), first
    assert "systems/zz_typo/system.yaml:5: error: " in first and "'priorty'" in first, first
    # Only the description's own problems: its programs were not looked for.
    assert "not found" not in out, out


def make_help():
    return subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout


def rule_targets():
    """The targets the Makefile and mk/*.mk name literally in a rule (not variables, not
    patterns): what `make NAME` can be asked for."""
    names = set()
    paths = [os.path.join(REPO, "Makefile")] + [
        os.path.join(REPO, "mk", f) for f in os.listdir(os.path.join(REPO, "mk"))
        if f.endswith(".mk")]
    for path in paths:
        for line in open(path):
            m = re.match(r"^([a-z][a-z0-9-]*(?: +[a-z][a-z0-9-]*)*) *:(?!=)", line)
            if m:
                names.update(m.group(1).split())
    return names


def test_help_lists_deps_sdk_and_run_seconds():
    out = make_help()
    for needle in ("make deps", "make sdk", "RUN_SECONDS=", "make run SYSTEM=",
                   "TEST_FILTER="):
        assert needle in out, "make help does not mention %r:\n%s" % (needle, out)


def test_help_lists_the_test_targets():
    """Every make target a step of make test runs, every unit-*, fuzz-* and *-long target,
    and the other test targets are in make help, and every such name it lists exists."""
    out = make_help()
    words = set(re.split(r"[\s,():]+", out))
    targets = rule_targets()
    wanted = {t for t in targets if re.match(r"^(unit|fuzz)-|.*-long$", t)}
    wanted |= {"spin-ring", "sdk", "bench", "bench-quick", "bench-profile", "oracle",
               "oracle-long", "mutate", "ktest", "unit", "analyze"}
    for line in open(os.path.join(REPO, "tests", "steps.txt")):
        m = re.match(r"^[\w-]+: make -s (?:[A-Z_]+=\S+ )*([a-z][a-z0-9-]*)", line)
        if m and m.group(1) != "all":
            wanted.add(m.group(1))
    assert wanted <= targets, sorted(wanted - targets)  # the test's own list is real
    missing = sorted(wanted - words)
    assert not missing, "make help does not list %s:\n%s" % (missing, out)
    prefixes = r"^(unit|fuzz|analyze|bench|oracle|spin|random|fs)-"
    listed = {w for w in words if re.match(prefixes, w)}
    assert listed <= targets, "make help lists targets that do not exist: %s" % sorted(
        listed - targets)


def test_driver_shows_the_vlsys_line(tree, tmp_path):
    """End to end: a pytest test whose build fails, run as make test runs it (run_vltest.py,
    then tools/test_driver.py), reports vlsys's line as its reason."""
    write(tree, "systems/zz_typo2/system.yaml", TYPO_SYSTEM.replace("zz_typo", "zz_typo2"))
    with open(os.path.join(str(tmp_path), "test_typo.py"), "w") as f:
        f.write("import sys\nsys.path.insert(0, %r)\nfrom make_helper import run_make\n\n\n"
                "def test_typo():\n    run_make(['-s', 'build/debug/images/zz_typo2.bin'], "
                "cwd=%r)\n" % (os.path.join(REPO, "tests", "integration"), tree))
    step = "/usr/bin/python3 %s --suite e2e %s" % (
        os.path.join(REPO, "tests", "integration", "run_vltest.py"), str(tmp_path))
    # Without the outer run's TEST_FILTER, which would leave no step to run.
    env = {k: v for k, v in os.environ.items() if k != "TEST_FILTER"}
    proc = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "tools", "test_driver.py"),
                           "--", "e2e=" + step], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    want = "FAIL e2e/test_typo: Failed: systems/zz_typo2/system.yaml:3: error: "
    assert proc.returncode == 1 and want in proc.stdout, proc.stdout
