"""vallum.mk and bin/vallum-run from a copy of the SDK, outside the tree: the paths the
tutorial does not take, each error included."""

import os
import re
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
                 "bin/vallum-debug", "bin/vallum-gdb.py",
                 "bin/vlidl", "include/vallum/os.h", "include/vallum/sys.h",
                 "include/vallum/msginfo.h", "include/vallum/idl.h",
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
    # Programs are per system (build/programs/<system>/), each linked where `vlsys layout`
    # puts it: solo, the first, at 16 MiB (component.h, VL_COMP_PROGRAM_BASE).
    progs = os.path.join(root, "build", "programs", "system")
    assert sorted(os.listdir(progs)) == ["solo.elf"]
    out = subprocess.run(["riscv64-unknown-elf-readelf", "-lW", os.path.join(progs, "solo.elf")],
                         capture_output=True, text=True, check=True).stdout
    assert re.search(r"^  LOAD +0x[0-9a-f]+ 0x0*1000000 .* R E ", out, re.M), out


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


COUNTER_IDL = "interface counter 1\nmethod add(u64 n) -> (u64 count) errors(overflow)\n"
COUNTER_C = ('#include <vallum/os.h>\n\n#include "counter.h"\n\nstatic uint64_t count;\n\n'
             'void\ninit(void)\n{\n}\n\nint\ncounter_do_add(unsigned ch, uint64_t n, '
             'uint64_t *result)\n{\n    (void)ch;\n    if (count + n < count) {\n'
             '        return COUNTER_ADD_OVERFLOW;\n    }\n    *result = count += n;\n'
             '    return 0;\n}\n\nvl_word_t\nprotected(unsigned id, vl_word_t info)\n{\n'
             '    return counter_dispatch(id, info, NULL);\n}\n')
CLIENT_C = ('#include <stdint.h>\n#include <stdio.h>\n#include <vallum/os.h>\n\n'
            '#include "counter.h"\n\nstatic void\nadd(uint64_t n)\n{\n'
            '    uint64_t count = 0;\n    int status = counter_add(0, n, &count);\n'
            '    printf("client: add: status %d, count %lu\\n", status, (unsigned long)count);\n'
            '}\n\nvoid\ninit(void)\n{\n    add(5);\n    add(UINT64_MAX);\n}\n')
CALL_SYSTEM = ("system: call\ncomponents:\n"
               "  - {name: client, program: client, priority: 100}\n"
               "  - {name: counter, program: counter, priority: 150}\n"
               "channels:\n"
               "  - call:\n"
               "      client: {component: client, id: 0}\n"
               "      server: {component: counter, id: 0}\n"
               "      interface: counter@1\n")


def idl_project(root, **changes):
    files = {"Makefile": MAKEFILE, "system.yaml": CALL_SYSTEM,
             "interfaces/counter.idl": COUNTER_IDL,
             "counter/counter.c": COUNTER_C, "counter/interfaces": "counter server\n",
             "client/client.c": CLIENT_C,
             "client/interfaces": "# what the client uses\n\ncounter client\n"}
    files.update(changes)
    return project(root, files)


def test_interfaces_are_generated_and_linked(sdk, tmp_path):
    """A project's interfaces/counter.idl, used through <program>/interfaces: the stubs are
    generated into build/gen, linked by role, and the image boots and calls through them."""
    root = idl_project(tmp_path)
    env = dict(os.environ, VALLUM_SDK=sdk, RUN_SECONDS="60")
    want = ["client: add: status 0, count 5", "client: add: status 1, count 0"]
    out, _, seen = tutorial.run_command("make -s run", root, env, want)
    assert seen == len(want), "\n".join(out)
    for gen in ("counter.h", "counter_client.o", "counter_server.o"):
        assert os.path.exists(os.path.join(root, "build", "gen", gen)), gen
    # Only the role each program lists is linked: vlsys reads the records.
    for program, role, other in (("client", "client", "server"), ("counter", "server", "client")):
        data = open(os.path.join(root, "build", "programs", "system", program + ".elf"),
                    "rb").read()
        assert b"counter 1 " + role.encode() in data, program
        assert b"counter 1 " + other.encode() not in data, program
    # A new version of the interface rebuilds both programs: the description's counter@1
    # no longer matches, and vlsys says so.
    with open(os.path.join(root, "interfaces", "counter.idl"), "w") as f:
        f.write(COUNTER_IDL.replace("counter 1", "counter 2"))
    status, out = make(root, sdk)
    assert status != 0, out
    assert ("system.yaml:9: error: client 'client' (program 'client') is built for counter "
            "version 2, not 1") in out, out
    assert "system.yaml:9: error: server 'counter' (program 'counter') is built for" in out, out


def test_debug(sdk, tmp_path):
    """`make debug` in a project: gdb (batch mode, GDB_BATCH) holds the symbols of both
    programs, client at 16 MiB and counter at 32 MiB (the description's order), and a
    breakpoint on the client's init() stops there, not in the counter's init() (which runs
    first, at priority 150); the console goes to build/system.console."""
    root = idl_project(tmp_path)
    with open(os.path.join(root, "cmds.gdb"), "w") as f:
        f.write("vl-programs\nvl-break client init\ncontinue\nvl-where\n")
    status, out = make(root, sdk, "debug", "GDB_BATCH=cmds.gdb", DEBUG_SECONDS="120")
    assert status == 0, out
    assert re.search(r"^client +entry 0x1000000 +\S+/build/programs/system/client\.elf$", out,
                     re.M), out
    assert re.search(r"^counter +entry 0x2000000 +\S+/build/programs/system/counter\.elf$",
                     out, re.M), out
    assert re.search(r"^pc 0x1[0-9a-f]{6} is in program client, function init, component "
                     r"client$", out, re.M), out
    console = open(os.path.join(root, "build", "system.console")).read()
    assert "init: started counter" in console, console
    assert os.path.exists(os.path.join(root, "build", "system.gdb"))


def test_interfaces_file_change_relinks(sdk, tmp_path):
    """A role taken out of a program's interfaces file relinks it without the record, though
    its objects are up to date: vlsys then refuses the client."""
    root = idl_project(tmp_path)
    status, out = make(root, sdk)
    assert status == 0, out
    with open(os.path.join(root, "client", "interfaces"), "w") as f:
        f.write("# none any more\n")
    status, out = make(root, sdk)
    assert status != 0, out
    assert ("system.yaml:9: error: client 'client' (program 'client') is not built as a "
            "client of interface 'counter'") in out, out


def test_interface_ends_that_disagree(sdk, tmp_path):
    """A server program that does not list the interface: vlsys refuses the image."""
    root = idl_project(tmp_path, **{
        "counter/interfaces": "",
        "counter/counter.c": ("#include <vallum/os.h>\n\nvoid\ninit(void)\n{\n}\n")})
    status, out = make(root, sdk)
    assert status != 0, out
    assert ("system.yaml:9: error: server 'counter' (program 'counter') is not built as a "
            "server of interface 'counter'") in out, out
    assert not os.path.exists(os.path.join(root, "build", "call.bin")), out


def test_interfaces_file_errors(sdk, tmp_path):
    """Each kind of bad line of <program>/interfaces is reported with its file and line, and
    nothing of that program is compiled."""
    cases = [("countr client\n",
              "client/interfaces:1: error: unknown interface 'countr': there is no "
              "interfaces/countr.idl"),
             ("\ncounter clinet\n",
              "client/interfaces:2: error: role 'clinet' of interface 'counter' must be client "
              "or server"),
             ("counter\n",
              "client/interfaces:1: error: expected '<interface> client' or '<interface> "
              "server', not 'counter'"),
             ("counter  client\n",
              "client/interfaces:1: error: expected '<interface> client' or '<interface> "
              "server', not 'counter  client'"),
             ("Counter client\n",
              "client/interfaces:1: error: expected '<interface> client' or '<interface> "
              "server', not 'Counter client'")]
    for i, (text, want) in enumerate(cases):
        root = idl_project(tmp_path / str(i), **{"client/interfaces": text})
        status, out = make(root, sdk)
        assert status != 0 and want in out, (text, out)
        assert not os.path.exists(os.path.join(root, "build", "obj", "client")), (text, out)
    # Under another INTERFACES_DIR, the message names that folder.
    root = idl_project(tmp_path / "dir", **{"client/interfaces": "counter client\n"})
    status, out = make(root, sdk, "INTERFACES_DIR=idl")
    assert status != 0 and ("client/interfaces:1: error: unknown interface 'counter': there "
                            "is no idl/counter.idl") in out, out


def test_interface_file_errors_are_vlidls(sdk, tmp_path):
    """A mistake in the .idl file is vlidl's FILE:LINE diagnostic, before any compiling."""
    root = idl_project(tmp_path, **{"interfaces/counter.idl": COUNTER_IDL.replace(
        "u64 n", "u65 n")})
    status, out = make(root, sdk)
    assert status != 0 and "interfaces/counter.idl:2: error: " in out, out
    assert not os.path.exists(os.path.join(root, "build", "programs")), out


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
