#!/usr/bin/python3
"""Writes the seed corpus of fuzz_tcp (tests/fuzz/corpus/tcp): one file per scenario, in
fuzz_tcp's record format (op byte, 16-bit little-endian length, bytes). Segments (op 0)
give their sequence and acknowledgment numbers as offsets from the live connection's
RCV.NXT and SND.UNA, so the seeds start inside the window.

Run from the repository root: /usr/bin/python3 tests/fuzz/gen_tcp_corpus.py
"""
import os
import struct

OUT = "tests/fuzz/corpus/tcp"
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def rec(op, data=b""):
    return bytes([op]) + struct.pack("<H", len(data)) + data


def seg(flags, seq=0, ack=0, wnd=65535, opts=b"", data=b"", op=0):
    return rec(op, bytes([flags]) + struct.pack("<hhH", seq, ack, wnd) + bytes([len(opts)])
               + opts + data)


def wait(ms):
    return rec(1, struct.pack("<HB", ms, 0))


CARRY = rec(2)

SEEDS = {
    "data_both_ways": rec(3, b"\x00hello from A") + rec(3, b"\x01hello from B") + CARRY
    + rec(4, b"\x00\x00\x10") + rec(4, b"\x01\x00\x10") + wait(100),
    "inject_data_ooo": seg(ACK | PSH, 0, 0, data=b"abcd") + seg(ACK, 100, 0, data=b"later")
    + seg(ACK, 4, 0, data=b"x" * 96) + rec(4, b"\x00\x00\x01"),
    "rst_syn_fin": seg(RST, 10) + seg(SYN, 5) + seg(ACK | FIN, 0, 0) + wait(200) + seg(RST, 1),
    "dup_acks": rec(3, b"\x00" + b"z" * 3000) + seg(ACK) + seg(ACK) + seg(ACK) + seg(ACK)
    + wait(300) + CARRY,
    "timestamps_paws": seg(ACK, 0, 0, opts=bytes([1, 1, 8, 10]) + struct.pack(">II", 5, 0),
                           data=b"t") + wait(10),
    "close_handshake": rec(5, b"\x01\x00") + CARRY + rec(5, b"\x02\x00") + CARRY + wait(5000)
    + wait(5000),
    "listener_syns": seg(SYN, op=0x20, data=b"\x01") + seg(SYN, op=0x20, data=b"\x02")
    + seg(SYN, op=0x20, data=b"\x03") + seg(ACK, op=0x20, data=b"\x03") + CARRY,
    "zero_window": seg(ACK, 0, 0, wnd=0) + rec(3, b"\x00" + b"q" * 2000) + wait(1000)
    + wait(2000) + seg(ACK, 0, 0, wnd=4000) + CARRY,
    "starved_link": rec(7, b"\x00") + rec(3, b"\x01" + b"s" * 500) + wait(1000) + rec(7, b"\x40")
    + wait(2000) + CARRY,
    "lost_reordered": rec(3, b"\x00" + b"r" * 6000) + rec(6, b"\x01") + rec(3, b"\x00" + b"r" * 100)
    + rec(6, b"\x00") + wait(1000) + CARRY,
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
