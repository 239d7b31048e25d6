#!/usr/bin/env python3
"""Tests for tools/vlsys. Usage: run_tests.py VLSYS WORKDIR

Prints one line per case, "VLTEST PASS vlsys/<name>" or "VLTEST FAIL vlsys/<name> <reason>",
and nothing else; exits 1 if any case failed.

fixtures/e_*.yaml and m_*.yaml are invalid descriptions: each ends with "# expect: LINE:
MESSAGE" comments giving, in order, every error `vlsys check` must print for it (and nothing
else); "# args: noprograms" runs the check without --programs. fixtures/v_*.yaml are valid:
each is built, and `vlsys dump` of the image must equal fixtures/v_*.dump. Program files are
minimal RISC-V ELF64 executables written by this script.
"""
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
results = []


def report(name, ok, reason=""):
    results.append(ok)
    if ok:
        print("VLTEST PASS vlsys/%s" % name)
    else:
        print("VLTEST FAIL vlsys/%s %s" % (name, reason.replace("\n", "\\n")[:600]))


def elf(segments, entry, tag):
    """A minimal ELF64 little-endian RISC-V ET_EXEC. segments: (vaddr, filesz, memsz, flags);
    file bytes of every segment start at offset 0 (the headers, then tag, then zeros)."""
    phoff, phnum = 64, len(segments)
    size = max([phoff + 56 * phnum + len(tag)] + [s[1] for s in segments])
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 243, 1, entry, phoff, 0, 0, 64, 56, phnum,
                              64, 0, 0)
    ph = b"".join(struct.pack("<IIQQQQQQ", 1, flags, 0, vaddr, vaddr, filesz, memsz, 0x1000)
                  for vaddr, filesz, memsz, flags in segments)
    data = hdr + ph + tag
    return data + bytes(size - len(data))


def with_sections(data, sections):
    """data (an ELF file from elf()) with section headers added: a null section, .shstrtab
    and the given sections (name: contents)."""
    names = b"\0.shstrtab\0" + b"".join(n.encode() + b"\0" for n in sections)
    body = bytearray(data)
    heads = [bytes(64)]
    offsets = []
    for contents in [names] + list(sections.values()):
        offsets.append((len(body), len(contents)))
        body += contents
    name_at = [1] + [names.index(n.encode() + b"\0") for n in sections]
    for (off, size), nm in zip(offsets, name_at):
        heads.append(struct.pack("<IIQQQQIIQQ", nm, 1, 0, 0, off, size, 0, 0, 1, 0))
    while len(body) % 8:
        body += b"\0"
    shoff = len(body)
    body += b"".join(heads)
    struct.pack_into("<Q", body, 0x28, shoff)
    struct.pack_into("<HHH", body, 0x3a, 64, len(heads), 1)
    return bytes(body)


def make_programs(d):
    os.makedirs(d, exist_ok=True)
    progs = {}
    for name in ["hello", "ping", "pong", "crash"]:
        progs[name] = elf([(0x10000, 0x100, 0x100, 5)], 0x10000 + 0x78, name.encode())
    # Text page at 0x10000, then 8 KiB of zero-filled data: the image is [0x10000, 0x13000).
    progs["big"] = elf([(0x10000, 0x100, 0x100, 5), (0x11000, 0, 0x2000, 6)], 0x10000 + 0xb0,
                       b"big")
    progs["garbage"] = b"this is not an ELF file\n"
    # Programs built with vlidl stubs record their interfaces in a .vlidl section (iface.c).
    for name, rec in [("cclient", b"counter 1 client\0"), ("cserver", b"counter 1 server\0"),
                      ("cserver2", b"other 1 client\0counter 2 server\0"),
                      ("cbad", b"counter one server\0"), ("ctrunc", b"counter 1 client")]:
        progs[name] = with_sections(progs["hello"], {".vlidl": rec})
    for name, data in progs.items():
        with open(os.path.join(d, name + ".elf"), "wb") as f:
            f.write(data)
    return progs


def run(vlsys, *args):
    p = subprocess.run([vlsys] + list(args), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def expectations(path, progdir):
    exp, noprog = [], False
    with open(path) as f:
        for line in f:
            if line.startswith("# expect: "):
                lineno, msg = line[len("# expect: "):].rstrip("\n").split(": ", 1)
                msg = msg.replace("{programs}", progdir)
                exp.append("%s:%s: error: %s" % (path, lineno, msg))
            elif line.startswith("# args: noprograms"):
                noprog = True
    return exp, noprog


def test_errors(vlsys, progdir, workdir):
    names = sorted(f for f in os.listdir(FIXTURES)
                   if (f.startswith("e_") or f.startswith("m_")) and f.endswith(".yaml"))
    for f in names:
        path = os.path.join(FIXTURES, f)
        exp, noprog = expectations(path, progdir)
        name = "check/" + f[:-5]
        if not exp:
            report(name, False, "fixture has no expectations")
            continue
        args = ["check", path] + ([] if noprog else ["--programs", progdir])
        rc, out, err = run(vlsys, *args)
        got = err.splitlines()
        if rc != 1 or out or got != exp:
            report(name, False, "rc %d, stdout %r, stderr %r, expected %r" % (rc, out, got, exp))
            continue
        # build must fail the same way and leave nothing behind.
        img = os.path.join(workdir, f[:-5] + ".img")
        rc, out, err2 = run(vlsys, "build", path, "--programs", progdir, "-o", img)
        leftovers = [x for x in os.listdir(workdir) if x.startswith(f[:-5] + ".img")]
        if rc != 1 or leftovers or (not noprog and err2 != err):
            report(name, False, "build: rc %d, files %r, stderr %r" % (rc, leftovers, err2))
            continue
        report(name, True)


def test_too_many(vlsys, progdir, workdir):
    path = os.path.join(workdir, "too_many.yaml")
    with open(path, "w") as f:
        f.write("system: many\ncomponents:\n")
        for i in range(33):
            f.write("  - {name: c%d, program: hello, priority: 1}\n" % i)
    rc, out, err = run(vlsys, "check", path, "--programs", progdir)
    exp = ["%s:35: error: too many components: at most 32" % path]
    report("check/too_many_components", rc == 1 and err.splitlines() == exp, repr(err))
    with open(path, "w") as f:
        f.write("system: many\ncomponents:\n")
        for i in range(32):
            f.write("  - {name: c%d, program: hello, priority: 1}\n" % i)
    rc, out, err = run(vlsys, "check", path, "--programs", progdir)
    report("check/max_components", rc == 0 and not out and not err, repr(err))


def read_image(data):
    """Checks the layout rules of sysimage.h on an image; returns (header words, problems)."""
    bad = []
    h = struct.unpack_from("<18Q", data, 0)
    if h[0] != 0x474d49535953564c or h[1] != 6 or h[2] != len(data):
        bad.append("header magic/version/size")
    # (header word of the table, record size): components, regions, maps, channels, irqs,
    # then configs (at the end of the header, before the string table in the file).
    tables = [(4, 96), (6, 32), (8, 32), (10, 48), (12, 24), (16, 32)]
    end = 144
    for w, rec in tables:
        off, count = h[w], h[w + 1]
        if off % 8 or off < end or off + count * rec > len(data):
            bad.append("table %d at %#x" % (w, off))
        end = off + count * rec
    if h[14] % 8 or h[14] < end or h[14] + h[15] > len(data) or data[h[14] + h[15] - 1] != 0:
        bad.append("strings")
    return h, bad


def test_valid(vlsys, progdir, progs, workdir):
    for f in sorted(x for x in os.listdir(FIXTURES) if x.startswith("v_") and x.endswith(".yaml")):
        path = os.path.join(FIXTURES, f)
        base = f[:-5]
        rc, out, err = run(vlsys, "check", path, "--programs", progdir)
        report("check/" + base, rc == 0 and not out and not err, "rc %d %r %r" % (rc, out, err))
        rc, out, err = run(vlsys, "check", path)
        report("check/%s_noprograms" % base, rc == 0 and not out and not err, repr(err))
        imgs = []
        for n in (1, 2):
            img = os.path.join(workdir, "%s.%d.img" % (base, n))
            rc, out, err = run(vlsys, "build", path, "--programs", progdir, "-o", img)
            ok = rc == 0 and not err and len(out.splitlines()) == 1 and out.startswith("vlsys: ")
            report("build/%s.%d" % (base, n), ok, "rc %d %r %r" % (rc, out, err))
            imgs.append(open(img, "rb").read() if ok else b"")
        report("build/%s_deterministic" % base, imgs[0] == imgs[1] and imgs[0] != b"",
               "images differ")
        data = imgs[0]
        if not data:
            continue
        h, bad = read_image(data)
        # Each component's program is the ELF file byte for byte.
        for i in range(h[5]):
            c = struct.unpack_from("<12Q", data, h[4] + 96 * i)
            if c[1] % 8 or data[c[1]:c[1] + c[2]] not in progs.values():
                bad.append("component %d program" % i)
        report("image/" + base, not bad, ", ".join(bad))
        rc, out, err = run(vlsys, "dump", os.path.join(workdir, base + ".1.img"))
        exp_path = os.path.join(FIXTURES, base + ".dump")
        exp = open(exp_path).read() if os.path.exists(exp_path) else None
        report("dump/" + base, rc == 0 and not err and out == exp,
               "rc %d, stderr %r, got:\n%s" % (rc, err, out))


def test_misc(vlsys, progdir, workdir):
    hello = os.path.join(FIXTURES, "v_hello.yaml")
    rc, out, err = run(vlsys, "build", hello, "-o", os.path.join(workdir, "x.img"))
    report("usage/build_needs_programs", rc == 2 and "usage" in err, repr(err))
    rc, out, err = run(vlsys, "frobnicate", hello)
    report("usage/unknown_command", rc == 2 and "usage" in err, repr(err))
    rc, out, err = run(vlsys, "check", os.path.join(workdir, "nonexistent.yaml"))
    report("usage/missing_file", rc == 1 and "error: cannot open" in err, repr(err))
    # The example in the spec is a correct description.
    root = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
    doc = open(os.path.join(root, "docs/system-description.md")).read()
    example = os.path.join(workdir, "spec_example.yaml")
    with open(example, "w") as f:
        f.write(doc.split("```yaml\n", 1)[1].split("```", 1)[0])
    rc, out, err = run(vlsys, "check", example, "--programs", progdir)
    report("check/spec_example", rc == 0 and not out and not err, repr(err))
    # A failing build leaves an existing output file alone.
    img = os.path.join(workdir, "keep.img")
    with open(img, "wb") as f:
        f.write(b"old")
    rc, out, err = run(vlsys, "build", os.path.join(FIXTURES, "e_priority_range.yaml"),
                       "--programs", progdir, "-o", img)
    report("build/failure_keeps_old_output", rc == 1 and open(img, "rb").read() == b"old", err)
    # dump rejects damaged images instead of reading out of bounds.
    good = open(os.path.join(workdir, "v_pingpong.1.img"), "rb").read()
    cases = {
        "truncated": good[:100],
        "bad_magic": b"X" + good[1:],
        "short": good[:-8],
        "table_out_of_bounds": good[:32] + struct.pack("<Q", 1 << 60) + good[40:],
        "bad_string": good[:24] + struct.pack("<Q", 1 << 40) + good[32:],
        "bad_index": bytearray(good),
    }
    h = struct.unpack_from("<18Q", good, 0)
    struct.pack_into("<Q", cases["bad_index"], h[8], 99)  # first map's region index
    # The config table: a bad component index, kind, and string offset of v_config's image.
    good = open(os.path.join(workdir, "v_config.1.img"), "rb").read()
    h = struct.unpack_from("<18Q", good, 0)
    for name, field, value in [("config_component", 0, 99), ("config_name", 1, 1 << 40),
                               ("config_kind", 2, 7), ("config_string", 3, 1 << 40)]:
        data = bytearray(good)
        struct.pack_into("<Q", data, h[16] + 8 * field, value)  # config 0: a string
        cases["bad_" + name] = data
    # Channel flags (v_grant's): a bit no version defines, and grant on its notify channel.
    good_grant = open(os.path.join(workdir, "v_grant.1.img"), "rb").read()
    h = struct.unpack_from("<18Q", good_grant, 0)
    for name, channel, value in [("channel_flags", 0, 2), ("grant_on_notify", 3, 1)]:
        data = bytearray(good_grant)
        struct.pack_into("<Q", data, h[10] + 48 * channel + 40, value)
        cases["bad_" + name] = data
    cases["config_table_out_of_bounds"] = good[:136] + struct.pack("<Q", 1 << 50) + good[144:]
    for name, data in cases.items():
        p = os.path.join(workdir, "damaged_%s.img" % name)
        with open(p, "wb") as f:
            f.write(bytes(data))
        rc, out, err = run(vlsys, "dump", p)
        report("dump/damaged_" + name, rc == 1 and (p + ": error: ") in err, "rc %d %r" % (rc, err))


def test_folder_warning(vlsys, progdir, workdir):
    """A systems/SYSTEM/system.yaml whose `system` is not SYSTEM is accepted with a warning; a
    file of another name, in a folder of its name, or outside a systems/ folder (an SDK
    project's, named by its file) gets none."""
    body = "system: %s\ncomponents:\n  - {name: a, program: hello, priority: 1}\n"
    cases = [("other", "system.yaml", "demo", True), ("demo", "system.yaml", "demo", False),
             ("other", "demo.yaml", "demo", False), ("../project", "system.yaml", "demo", False)]
    for folder, base, name, warns in cases:
        d = os.path.normpath(os.path.join(workdir, "systems", folder))
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, base)
        with open(path, "w") as f:
            f.write(body % name)
        exp = []
        if warns:
            exp = ["%s:1: warning: system 'demo' is in folder 'other': the build names it "
                   "'other' (make run SYSTEM=other); rename one so that they agree" % path]
        rc, out, err = run(vlsys, "check", path, "--programs", progdir)
        case = "check/folder_%s_%s" % (os.path.basename(folder), base[:-5])
        report(case, rc == 0 and not out and err.splitlines() == exp, "rc %d %r" % (rc, err))
        # build still builds, after the same warning.
        img = os.path.join(workdir, "folder.img")
        rc, out, err = run(vlsys, "build", path, "--programs", progdir, "-o", img)
        report("build/folder_%s_%s" % (os.path.basename(folder), base[:-5]),
               rc == 0 and err.splitlines() == exp and os.path.exists(img), repr(err))
    # With an error too, both are printed in line order and the status is 1.
    path = os.path.join(workdir, "systems", "other", "system.yaml")
    with open(path, "w") as f:
        f.write(body.replace("priority: 1", "priority: 1, colour: red") % "demo")
    rc, out, err = run(vlsys, "check", path, "--programs", progdir)
    got = [l.split(": ", 2)[1] for l in err.splitlines()]
    report("check/folder_warning_with_error", rc == 1 and got == ["warning", "error"], repr(err))


def test_real_elf(vlsys, workdir):
    """A program linked by the cross compiler with lib/sys/user.ld, if the compiler is here."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
    progdir = os.path.join(workdir, "real")
    os.makedirs(progdir, exist_ok=True)
    src = os.path.join(progdir, "real.c")
    with open(src, "w") as f:
        f.write("int counter;\nvoid _start(void) { for (;;) { counter++; } }\n")
    try:
        p = subprocess.run(["riscv64-unknown-elf-gcc", "-O2", "-march=rv64imac", "-mabi=lp64",
                            "-mcmodel=medany", "-ffreestanding", "-nostdlib", "-static", "-T",
                            os.path.join(root, "lib/sys/user.ld"), "-o",
                            os.path.join(progdir, "real.elf"), src], capture_output=True)
    except FileNotFoundError:
        report("check/real_elf", True)  # no cross compiler: covered by the generated ELFs
        return
    if p.returncode != 0:
        report("check/real_elf", False, "cross compile failed: %r" % p.stderr)
        return
    path = os.path.join(workdir, "real.yaml")
    with open(path, "w") as f:
        f.write("system: real\ncomponents:\n  - {name: a, program: real, priority: 1}\n"
                "memory:\n  - name: r\n    size: 4KiB\n    map:\n"
                "      - {component: a, vaddr: 0x10000, perms: r}\n")
    rc, out, err = run(vlsys, "check", path, "--programs", progdir)
    exp = ("%s:8: error: in component 'a', region 'r' at [0x10000, 0x11000) overlaps the program "
           "image [0x10000, 0x" % path)
    report("check/real_elf", rc == 1 and err.startswith(exp) and len(err.splitlines()) == 1,
           repr(err))


def test_programs(vlsys, workdir):
    """`vlsys programs` and `vlsys layout`: each program once, in order of first use (with its
    link address, VL_COMP_PROGRAM_BASE, for layout); errors as `check` prints them without
    --programs; usage errors."""
    path = os.path.join(workdir, "programs.yaml")
    with open(path, "w") as f:
        f.write("system: progs\ncomponents:\n  - {name: a, program: pong, priority: 1}\n"
                "  - {name: b, program: hello, priority: 2}\n"
                "  - {name: c, program: pong, priority: 3}\n")
    rc, out, err = run(vlsys, "programs", path)
    report("programs/list", rc == 0 and out == "pong\nhello\n" and not err,
           "rc %d %r %r" % (rc, out, err))
    # 16 MiB slots from 16 MiB: init keeps 0x10000, and no two programs share a code address.
    rc, out, err = run(vlsys, "layout", path)
    report("layout/list", rc == 0 and out == "pong 0x1000000\nhello 0x2000000\n" and not err,
           "rc %d %r %r" % (rc, out, err))
    for cmd in ("programs", "layout"):
        for f in ("e_priority_range.yaml", "e_missing_program.yaml"):
            bad = os.path.join(FIXTURES, f)
            rc, out, err = run(vlsys, cmd, bad)
            rc_check, _, err_check = run(vlsys, "check", bad)
            report("%s/error_%s" % (cmd, f[:-5]),
                   rc == 1 and not out and err == err_check and err,
                   "rc %d %r %r, check said %r" % (rc, out, err, err_check))
        for args in ([], [path, path], ["--programs", path]):
            rc, out, err = run(vlsys, cmd, *args)
            report("usage/%s_%d_args" % (cmd, len(args)), rc == 2 and "usage" in err and not out,
                   "rc %d %r" % (rc, err))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    vlsys, workdir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(workdir, exist_ok=True)
    for f in os.listdir(workdir):
        os.unlink(os.path.join(workdir, f)) if os.path.isfile(os.path.join(workdir, f)) else None
    progdir = os.path.join(workdir, "programs")
    progs = make_programs(progdir)
    test_errors(vlsys, progdir, workdir)
    test_too_many(vlsys, progdir, workdir)
    test_valid(vlsys, progdir, progs, workdir)
    test_misc(vlsys, progdir, workdir)
    test_folder_warning(vlsys, progdir, workdir)
    test_programs(vlsys, workdir)
    test_real_elf(vlsys, workdir)
    return 1 if False in results else 0


if __name__ == "__main__":
    sys.exit(main())
