"""vallum.mk and bin/vallum-run from a copy of the SDK, outside the tree: the paths the
tutorial does not take, each error included."""

import os
import subprocess

import pytest

import test_tutorial as tutorial
from conftest import REPO

MAKEFILE = "include $(VALLUM_SDK)/vallum.mk\n"
HELLO = ('#include <stdio.h>\n#include <vallum/os.h>\n\nvoid\ninit(void)\n{\n'
         '    printf("%s: up\\n", vl_os_name());\n}\n')
SYSTEM = "system: one\ncomponents:\n  - {name: solo, program: solo, priority: 100}\n"


def project(root, files):
    for path, text in files.items():
        path = os.path.join(root, path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return str(root)


def make(cwd, sdk, *args, **env):
    full = dict(os.environ, **env)
    if sdk is not None:
        full["VALLUM_SDK"] = sdk
    else:
        full.pop("VALLUM_SDK", None)
    proc = subprocess.run(["make", "-s"] + list(args), cwd=cwd, env=full,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)
    return proc.returncode, proc.stdout


def test_sdk_has_its_parts(sdk):
    for part in ("vallum.mk", "README.md", "VERSION", "bin/vlsys", "bin/vallum-run",
                 "include/vallum/os.h", "include/vallum/sys.h", "include/vallum/msginfo.h",
                 "lib/crt0.o", "lib/libvlsys.a", "lib/libvlos.a", "lib/user.ld",
                 "boot/kernel.o", "boot/kernel-check.o", "boot/init.o", "boot/kernel.ld",
                 "boot/init_image.S", "boot/sysimage.S"):
        path = os.path.join(sdk, part)
        assert os.path.isfile(path) and not os.path.islink(path), part
    assert os.access(os.path.join(sdk, "bin", "vallum-run"), os.X_OK)


def test_only_used_programs_are_built(sdk, tmp_path):
    root = project(tmp_path, {"Makefile": MAKEFILE, "system.yaml": SYSTEM,
                              "solo/solo.c": HELLO, "draft/draft.c": "not C at all\n"})
    status, out = make(root, sdk)
    assert status == 0, out
    assert os.path.exists(os.path.join(root, "build", "system.bin"))
    assert not os.path.exists(os.path.join(root, "build", "programs", "draft.elf"))


def test_check_kernel_runs_the_invariant_walk(sdk, tmp_path):
    root = project(tmp_path, {"Makefile": MAKEFILE, "system.yaml": SYSTEM, "solo/solo.c": HELLO})
    env = dict(os.environ, VALLUM_SDK=sdk, RUN_SECONDS="60")
    want = ["init: kernel invariants hold after building", "solo: up"]
    out, _, seen = tutorial.run_command("make -s run KERNEL=check", root, env, want)
    assert seen == len(want), "\n".join(out)
    assert os.path.exists(os.path.join(root, "build", "system-check.bin"))


def test_errors(sdk, tmp_path):
    root = project(tmp_path, {"Makefile": MAKEFILE, "solo/solo.c": HELLO,
                              "system.yaml": SYSTEM,
                              "ghost.yaml": SYSTEM.replace("program: solo", "program: ghost"),
                              "typo.yaml": SYSTEM.replace("priority", "priorty")})
    status, out = make(root, sdk, "SYSTEM=ghost.yaml")
    assert status != 0 and "vallum.mk: program 'ghost': no .c files in ./ghost/" in out, out
    status, out = make(root, sdk, "SYSTEM=typo.yaml")
    assert status != 0 and "typo.yaml:3: error: " in out, out
    status, out = make(root, sdk, "check", "SYSTEM=typo.yaml")
    assert status != 0 and "typo.yaml:3: error: " in out, out
    status, out = make(root, sdk, "check")
    assert status == 0 and "error" not in out, out
    status, out = make(root, sdk, "KERNEL=fast")
    assert status != 0 and "KERNEL must be normal or check, not 'fast'" in out, out
    with open(os.path.join(root, "Makefile.bypath"), "w") as f:
        f.write("include %s/vallum.mk\n" % sdk)  # no VALLUM_SDK: the file's own folder
    status, out = make(root, None, "-f", "Makefile.bypath")
    assert status == 0 and os.path.exists(os.path.join(root, "build", "system.bin")), out
    status, out = make(root, sdk, "clean")
    assert status == 0 and not os.path.exists(os.path.join(root, "build")), out


def test_vallum_run_errors(sdk, tmp_path):
    run = os.path.join(sdk, "bin", "vallum-run")
    image = os.path.join(str(tmp_path), "x.bin")
    with open(image, "wb") as f:
        f.write(b"\0" * 16)
    cases = [([], {}, 2, "usage: "),
             ([os.path.join(str(tmp_path), "none.bin")], {}, 2, "run: no boot image"),
             ([image], {"RUN_SECONDS": "-1"}, 2, "RUN_SECONDS must be a whole number"),
             ([image], {"QEMU": "/nonexistent/qemu", "RUN_SECONDS": "0"}, 127, ""),
             ([image], {"QEMU": "/nonexistent/qemu", "RUN_SECONDS": "5"}, 127, "")]
    for args, env, want, text in cases:
        proc = subprocess.run(["sh", run] + args, env=dict(os.environ, **env),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == want and text in proc.stderr, (args, env, proc.returncode,
                                                                  proc.stderr)


def test_sdk_is_the_tree_run_script(sdk):
    """bin/vallum-run is tools/run.sh: `make run` in the tree and in a project behave alike."""
    sdk_run = open(os.path.join(sdk, "bin", "vallum-run")).read()
    assert sdk_run == open(os.path.join(REPO, "tools", "run.sh")).read()


def test_sdk_works_with_the_tree_hidden(sdk, tmp_path):
    """The SDK needs nothing from the tree: a project is built from scratch and booted in a
    mount namespace where the tree's folder is an empty file system."""
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", "mount -t tmpfs none " + REPO],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("cannot hide the tree here (unshare --mount: %s)" % probe.stderr.strip())
    root = project(tmp_path, {"Makefile": MAKEFILE, "system.yaml": SYSTEM, "solo/solo.c": HELLO})
    env = dict(os.environ, VALLUM_SDK=sdk, RUN_SECONDS="60")
    hidden = ("unshare --mount sh -ec 'mount -t tmpfs none %s; test -z \"$(ls -A %s)\"; "
              "make -s -B run'" % (REPO, REPO))
    out, _, seen = tutorial.run_command(hidden, root, env, ["solo: up"])
    assert seen == 1, "\n".join(out)
