#!/usr/bin/env python3
"""Tests for tools/vlidl. Usage: run_tests.py VLIDL WORKDIR TEST_IDL

Prints one line per case, "VLTEST PASS idl/<name>" or "VLTEST FAIL idl/<name> <reason>",
and nothing else; exits 1 if any case failed.

fixtures/e_*.idl are invalid descriptions: each ends with "# expect: LINE: MESSAGE", the one
error `vlidl check` must print for it (and `vlidl c` and `vlidl md` too, writing nothing).
fixtures/v_*.idl and interfaces/*.idl are valid: the C generated from each must compile
warning-free for the host and for the target, and the reference page of each of
interfaces/*.idl must equal the committed docs/interfaces/<name>.md. TEST_IDL is
tests/idl/test_idl.c built against the generated store and v_every code: its round trips
are run, then tests/idl/wire.py (an encoder written from docs/idl.md) is run against it.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(HERE, "fixtures")
results = []


def report(name, ok, reason=""):
    results.append(ok)
    if ok:
        print("VLTEST PASS idl/%s" % name)
    else:
        print("VLTEST FAIL idl/%s %s" % (name, reason.replace("\n", "\\n")[:600]))


def run(*args, **kw):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=120, **kw)
    return p.returncode, p.stdout, p.stderr


def expect_error(vlidl, path, expected, workdir, name):
    """vlidl check, c and md all fail with exactly the expected message, writing nothing."""
    out = os.path.join(workdir, "out-" + name)
    os.makedirs(out, exist_ok=True)
    for args in (["check", path], ["c", path, out], ["md", path, os.path.join(out, "x.md")]):
        rc, so, se = run(vlidl, *args)
        if rc != 1 or so or se.splitlines() != expected or os.listdir(out):
            return "%s: rc %d, stdout %r, stderr %r, files %r, expected %r" % (
                args[0], rc, so, se, os.listdir(out), expected)
    return ""


def test_fixtures(vlidl, workdir):
    for f in sorted(x for x in os.listdir(FIXTURES) if x.startswith("e_") and x.endswith(".idl")):
        path = os.path.join(FIXTURES, f)
        exp = []
        for line in open(path):
            if line.startswith("# expect: "):
                lineno, msg = line[len("# expect: "):].rstrip("\n").split(": ", 1)
                exp.append("%s:%s: error: %s" % (path, lineno, msg))
        if len(exp) != 1:
            report("check/" + f[:-4], False, "fixture needs one expectation")
            continue
        why = expect_error(vlidl, path, exp, workdir, f[:-4])
        report("check/" + f[:-4], not why, why)


def generated_cases():
    """Descriptions too long to keep as files: (name, text, line, message)."""
    many = lambda n, fmt: ", ".join(fmt % i for i in range(n))
    yield ("too_many_methods", "interface %s 1\n" + "".join("method m%d()\n" % i for i in range(65)),
           66, "more than 64 methods")
    yield ("too_many_enums", "interface %s 1\n" + "".join("enum e%d { a }\n" % i for i in range(17)),
           18, "more than 16 enums")
    yield ("too_many_values", "interface %s 1\nenum e { " + many(65, "v%d") + " }\n", 2,
           "enum 'e' has more than 64 values")
    yield ("too_many_args", "interface %s 1\nmethod f(" + many(17, "u8 a%d") + ")\n", 2,
           "method 'f' has more than 16 arguments")
    yield ("too_many_results", "interface %s 1\nmethod f() -> (" + many(17, "u8 a%d") + ")\n", 2,
           "method 'f' has more than 16 results")
    yield ("too_many_errors", "interface %s 1\nmethod f() errors(" + many(33, "e%d") + ")\n", 2,
           "method 'f' has more than 32 errors")
    yield ("long_comment", "# " + "x" * 1100 + "\ninterface %s 1\n", 1,
           "comment longer than 1022 characters")
    yield ("control_char", "interface %s 1\nmethod f()\x01\n", 2, "invalid character (byte 1)")
    yield ("nul_byte", "interface %s 1\nmethod f()\x00\n", 0,
           "cannot read: the file contains a NUL byte")


def test_generated(vlidl, workdir):
    for name, text, line, msg in generated_cases():
        iface = "g_" + name
        path = os.path.join(workdir, iface + ".idl")
        with open(path, "w") as f:
            f.write(text.replace("%s", iface, 1) if "%s" in text else text)
        why = expect_error(vlidl, path, ["%s:%d: error: %s" % (path, line, msg)], workdir, iface)
        report("check/" + name, not why, why)
    # The largest of everything is accepted.
    path = os.path.join(workdir, "g_limits.idl")
    with open(path, "w") as f:
        f.write("interface g_limits 65535\n")
        f.write("".join("enum e%d { %s }\n" % (i, ", ".join("v%d" % j for j in range(64)))
                        for i in range(16)))
        f.write("method big(u64[119] a) -> (bytes<512> b, u64[54] c) errors(%s)\n"
                % ", ".join("e%d" % i for i in range(32)))
        f.write("".join("method m%d(%s)\n" % (i, ", ".join("u8 a%d" % j for j in range(16)))
                        for i in range(63)))
    rc, out, err = run(vlidl, "check", path)
    report("check/limits", rc == 0 and not out and not err, "rc %d %r" % (rc, err))
    rc, out, err = run(vlidl, "check", os.path.join(workdir, "missing.idl"))
    report("check/missing_file", rc == 1 and "missing.idl:0: error: cannot read: " in err, err)
    for args in ([], ["check"], ["c", path], ["frob", path], ["check", path, "x"]):
        rc, out, err = run(vlidl, *args)
        report("usage/" + ("_".join(args[:1]) or "none") + "_%d" % len(args),
               rc == 2 and err.startswith("usage:"), "rc %d %r" % (rc, err))
    rc, out, err = run(vlidl, "c", path, os.path.join(workdir, "no", "such", "dir"))
    report("usage/unwritable", rc == 1 and "cannot write" in err, err)


def compile_c(gen, name):
    """The generated C builds warning-free for the host (ASan) and for the target."""
    why = []
    inc = ["-I" + os.path.join(ROOT, "uapi"), "-I" + os.path.join(ROOT, "lib/os/include"), "-I" + gen]
    for part in ("client", "server"):
        src = os.path.join(gen, "%s_%s.c" % (name, part))
        rc, out, err = run("clang-14", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                           *inc, src)
        if rc != 0:
            why.append("host: " + err)
        rc, out, err = run("riscv64-unknown-elf-gcc", "--specs=picolibc.specs", "-std=gnu11", "-O2",
                           "-Wall", "-Wextra", "-Werror", "-march=rv64imac", "-mabi=lp64",
                           "-fsyntax-only", *inc, src)
        if rc != 0:
            why.append("target: " + err)
    return "; ".join(why)


def test_valid(vlidl, workdir):
    paths = [os.path.join(FIXTURES, f) for f in sorted(os.listdir(FIXTURES)) if f.startswith("v_")]
    idir = os.path.join(ROOT, "interfaces")
    paths += [os.path.join(idir, f) for f in sorted(os.listdir(idir)) if f.endswith(".idl")]
    for path in paths:
        name = os.path.basename(path)[:-4]
        gen = os.path.join(workdir, "gen-" + name)
        os.makedirs(gen, exist_ok=True)
        rc, out, err = run(vlidl, "c", path, gen)
        ok = rc == 0 and not out and not err and sorted(os.listdir(gen)) == sorted(
            [name + ".h", name + "_client.c", name + "_server.c"])
        report("c/" + name, ok, "rc %d %r %r" % (rc, err, os.listdir(gen)))
        if ok:
            why = compile_c(gen, name)
            report("compile/" + name, not why, why)
        md = os.path.join(workdir, name + ".md")
        rc, out, err = run(vlidl, "md", path, md)
        report("md/" + name, rc == 0 and not err, err)
        if path.startswith(idir) and rc == 0:
            page = os.path.join(ROOT, "docs", "interfaces", name + ".md")
            same = os.path.exists(page) and open(page).read() == open(md).read()
            report("page_up_to_date/" + name, same,
                   "docs/interfaces/%s.md differs from `vlidl md`: run make idl-docs" % name)


def test_programs(test_idl):
    rc, out, err = run(test_idl)
    lines = out.splitlines()
    for line in lines:
        print(line)
        results.append(line.startswith("VLTEST PASS"))
    if rc != 0 or not lines:
        report("round_trip", False, "rc %d %r" % (rc, err[-400:]))
    rc, out, err = run(sys.executable, os.path.join(HERE, "wire.py"), test_idl)
    for line in out.splitlines():
        print(line)
        results.append(line.startswith("VLTEST PASS"))
    if rc != 0 or not out:
        report("wire", False, "rc %d %r" % (rc, err[-400:]))


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    vlidl, workdir, test_idl = (os.path.abspath(a) for a in sys.argv[1:])
    os.makedirs(workdir, exist_ok=True)
    test_fixtures(vlidl, workdir)
    test_generated(vlidl, workdir)
    test_valid(vlidl, workdir)
    test_programs(test_idl)
    return 1 if False in results else 0


if __name__ == "__main__":
    sys.exit(main())
