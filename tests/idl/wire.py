#!/usr/bin/env python3
"""An encoder and decoder of vlidl's wire format written from docs/idl.md alone (it shares
no code with tools/vlidl), checked against the C that vlidl generates: test_idl's "wire"
mode runs the generated dispatches of interfaces/store.idl and
tests/idl/fixtures/v_every.idl on requests this file encodes, and the generated client
stubs on arguments this file gives. Usage: wire.py TEST_IDL. Prints VLTEST lines.
"""
import subprocess
import sys

MASK = (1 << 64) - 1
BAD = {"METHOD": 0x100, "VERSION": 0x101, "LENGTH": 0x102, "RANGE": 0x103, "ENUM": 0x104,
       "BOOL": 0x105, "SIZE": 0x106, "BULK": 0x107, "CAPS": 0x108, "CAP_TYPE": 0x109,
       "SERVER_ERROR": 0x10b}
CAP_NOTIFICATION, CAP_ENDPOINT = 4, 3


def msginfo(label, length, caps=0, unwrapped=0):
    """docs/kernel/syscalls.md: label 63..12, unwrapped 11..9, extra caps 8..7, length 6..0."""
    return (label << 12) | (unwrapped << 9) | (caps << 7) | length


def label(version, method):
    return (version << 16) | method


def word(kind, v):
    """A scalar in one word: unsigned as is, signed two's complement over 64 bits."""
    return v & MASK


def pack_bytes(b):
    """A length word, then the bytes 8 a word, little-endian, zero-padded."""
    words = [len(b)]
    for i in range(0, len(b), 8):
        words.append(int.from_bytes(b[i:i + 8].ljust(8, b"\0"), "little"))
    return words


def unpack_bytes(words, pos):
    n = words[pos]
    data = b"".join(w.to_bytes(8, "little") for w in words[pos + 1:pos + 1 + (n + 7) // 8])
    return data[:n], pos + 1 + (n + 7) // 8


def signed(w):
    return w - (1 << 64) if w >> 63 else w


class Runner:
    def __init__(self, prog):
        self.p = subprocess.Popen([prog, "wire"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        self.ok = True

    def serve(self, iface, info, words, extra=""):
        self.p.stdin.write("serve %s %x %s %s\n" % (iface, info, " ".join("%x" % w for w in words),
                                                    extra))
        self.p.stdin.flush()
        got = []
        while True:
            line = self.p.stdout.readline().split()
            if not line:
                raise RuntimeError("test_idl stopped")
            if line[0] == "reply":
                info = int(line[1], 16)
                return got, info >> 12, info & 0x7f, [int(x, 16) for x in line[2:]], (info >> 7) & 3
            got.append(" ".join(line[1:]))

    def call(self, args):
        self.p.stdin.write("call %s\n" % args)
        self.p.stdin.flush()
        req = self.p.stdout.readline().split()
        status = self.p.stdout.readline().split()
        return int(req[1], 16), [int(x, 16) for x in req[2:]], int(status[1])


results = []


def report(name, ok, why=""):
    results.append(ok)
    print("VLTEST %s idl/wire/%s%s" % ("PASS" if ok else "FAIL", name, "" if ok else " " + why))


STORE = 2  # interfaces/store.idl's version


def put(key, kind, sticky, value):
    words = [word("u8", key), kind, int(sticky)] + pack_bytes(value)
    return msginfo(label(STORE, 1), len(words)), words


def main():
    r = Runner(sys.argv[1])
    # Requests encoded here, decoded by the generated dispatch.
    info, words = put(7, 1, True, b"wire format")
    got, st, n, reply, caps = r.serve("store", info, words)
    report("put", got == ["put 7 1 1 " + b"wire format".hex()] and st == 0 and n == 0,
           repr((got, st, n)))
    got, st, n, reply, caps = r.serve("store", msginfo(label(STORE, 2), 1), [7])
    value, end = unpack_bytes(reply, 1) if n >= 2 else (None, 0)
    report("get_reply", st == 0 and reply[0] == 1 and value == b"wire format" and end == n,
           repr((st, reply)))
    got, st, n, reply, caps = r.serve("store", msginfo(label(STORE, 2), 1), [8])
    report("get_error", st == 1 and n == 0, repr((st, n)))
    xs = [-32768, 32767, -1, 2]
    words = [len(xs)] + [x & MASK for x in xs] + [(-7) & MASK]
    got, st, n, reply, caps = r.serve("store", msginfo(label(STORE, 3), len(words)), words)
    report("sum", got == ["sum -32768 32767 -1 2 bias -7"] and st == 0 and n == 2 and
           signed(reply[0]) == sum(xs) - 7 and reply[1] == 2, repr((got, st, reply)))
    words = [10, 6, 3, 2, 0, 1]
    got, st, n, reply, caps = r.serve("store", msginfo(label(STORE, 4), len(words)), words)
    report("load", got == ["load " + bytes(range(10, 16)).hex() + " 2 0 1"] and st == 0 and
           reply == [sum(range(10, 16)), 3, 0, 1, 2], repr((got, reply)))
    got, st, n, reply, caps = r.serve("store", msginfo(label(STORE, 5), 0, caps=1), [],
                                      "cap=%d" % CAP_NOTIFICATION)
    report("tag", len(got) == 1 and st == 1, repr((got, st)))

    # Requests that break the format: the status docs/idl.md names, and no handler runs.
    bad = [
        ("version", "store", msginfo(label(1, 1), 0), [], "", "VERSION"),
        ("high_label_bits", "store", msginfo(label(STORE, 2) | 1 << 32, 1), [1], "", "VERSION"),
        ("method_0", "store", msginfo(label(STORE, 0), 0), [], "", "METHOD"),
        ("method_6", "store", msginfo(label(STORE, 6), 0), [], "", "METHOD"),
        ("get_length", "store", msginfo(label(STORE, 2), 2), [1, 0], "", "LENGTH"),
        ("get_range", "store", msginfo(label(STORE, 2), 1), [256], "", "RANGE"),
        ("put_enum", "store", *put(1, 3, 0, b""), "", "ENUM"),
        ("put_bool", "store", msginfo(label(STORE, 1), 4), [1, 0, 2, 0], "", "BOOL"),
        ("put_size", "store", msginfo(label(STORE, 1), 7), [1, 0, 0, 25, 0, 0, 0], "", "SIZE"),
        ("put_short", "store", msginfo(label(STORE, 1), 5), [1, 0, 0, 9, 0], "", "LENGTH"),
        ("put_long", "store", msginfo(label(STORE, 1), 6), [1, 0, 0, 8, 0, 0], "", "LENGTH"),
        ("put_padding", "store", msginfo(label(STORE, 1), 5), [1, 0, 0, 1, 0x161], "", "RANGE"),
        ("sum_range", "store", msginfo(label(STORE, 3), 3), [1, 32768, 0], "", "RANGE"),
        ("sum_bias", "store", msginfo(label(STORE, 3), 2), [0, 1 << 31], "", "RANGE"),
        ("sum_lies", "store", msginfo(label(STORE, 3), 3), [5, 1, 1], "", "LENGTH"),
        ("load_past", "store", msginfo(label(STORE, 4), 3), [60, 5, 0], "", "BULK"),
        ("load_wrap", "store", msginfo(label(STORE, 4), 3), [MASK, 2, 0], "", "BULK"),
        ("load_small_region", "store", msginfo(label(STORE, 4), 3), [0, 9], "region=8", "BULK"),
        ("get_with_cap", "store", msginfo(label(STORE, 2), 1, caps=1), [1], "", "CAPS"),
        ("tag_no_cap", "store", msginfo(label(STORE, 5), 0), [], "", "CAPS"),
        ("tag_unwrapped", "store", msginfo(label(STORE, 5), 0, 1, 1), [], "cap=4", "CAPS"),
        ("tag_type", "store", msginfo(label(STORE, 5), 0, caps=1), [], "cap=%d" % CAP_ENDPOINT,
         "CAP_TYPE"),
        ("scalars_i8", "v_every", msginfo(label(65535, 1), 10),
         [0, 0, 0, 0, 128, 0, 0, 0, 0, 0], "", "RANGE"),
        ("scalars_i8_low", "v_every", msginfo(label(65535, 1), 10),
         [0, 0, 0, 0, (-129) & MASK, 0, 0, 0, 0, 0], "", "RANGE"),
        ("scalars_u32", "v_every", msginfo(label(65535, 1), 10),
         [0, 0, 1 << 32, 0, 0, 0, 0, 0, 0, 0], "", "RANGE"),
        ("scalars_enum", "v_every", msginfo(label(65535, 1), 10),
         [0, 0, 0, 0, 0, 0, 0, 0, 0, 3], "", "ENUM"),
        ("mixed_bool_array", "v_every", msginfo(label(65535, 2), 8),
         [0, 0, 1, 2, 0, 0, 0, 0], "", "BOOL"),
        ("mixed_undeclared_error", "v_every", msginfo(label(65535, 2), 6),
         [0, 4, 0, 0, 0, 0], "", "SERVER_ERROR"),
    ]
    for name, iface, info, words, extra, status in bad:
        got, st, n, reply, caps = r.serve(iface, info, words, extra)
        # (v_every's mixed handler prints nothing: an undeclared status comes from it.)
        report("refuse_" + name, st == BAD[status] and n == 0 and not got,
               "status %#x, handler %r" % (st, got))

    # Scalars at their limits, as docs/idl.md encodes them, and back.
    vals = [255, 65535, (1 << 32) - 1, MASK, -128, -32768, -(1 << 31), -(1 << 63), 1, 2]
    words = [v & MASK for v in vals]
    got, st, n, reply, caps = r.serve("v_every", msginfo(label(65535, 1), 10), words)
    report("scalars", st == 0 and reply == words and got == [
        "scalars 255 65535 4294967295 18446744073709551615 -128 -32768 -2147483648 "
        "-9223372036854775808 1 2"], repr((got, reply)))
    words = pack_bytes(b"A") + [5] + [2, 1, 0] + pack_bytes(b"0123456789abcdefg") + [1, 0] + \
        [0]
    got, st, n, reply, caps = r.serve("v_every", msginfo(label(65535, 2), len(words)), words)
    ra, pos = unpack_bytes(reply, 0) if st == 0 else (None, 0)
    report("mixed_error_status", st == BAD["SERVER_ERROR"] and n == 0, repr((st, reply)))
    words[2] = 0
    got, st, n, reply, caps = r.serve("v_every", msginfo(label(65535, 2), len(words)), words)
    ra, pos = unpack_bytes(reply, 0) if st == 0 else (None, 0)
    report("mixed", st == 0 and ra == b"012345678" and reply[pos:] == [2, 1, 3, 1],
           repr((st, reply)))

    # Client stubs: the request they send is this file's encoding.
    info, words, status = r.call("put 3 2 1 x" + b"twelve bytes".hex())
    want_info, want_words = put(3, 2, True, b"twelve bytes")
    report("client_put", info == want_info and words == want_words and status == 0x77,
           repr((hex(info), words, status)))
    info, words, status = r.call("sum %d %d %d" % ((-5) & MASK, 7, (-1) & MASK))
    report("client_sum", info == msginfo(label(STORE, 3), 4) and
           words == [2, 7, MASK, (-5) & MASK], repr((hex(info), words)))
    r.p.stdin.close()
    r.p.wait(timeout=30)
    report("exit", r.p.returncode == 0, "rc %d" % r.p.returncode)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
