#!/usr/bin/python3
"""Writes the seed corpus of fuzz_net (tests/fuzz/corpus/net): one file per scenario, in
fuzz_net's record format (op byte, 16-bit little-endian length, bytes). Checksums are left
for fuzz_net's op 1 to fix (op | 0x60), so the seeds stay readable here.

Run from the repository root: /usr/bin/python3 tests/fuzz/gen_net_corpus.py
"""
import os
import struct

OUT = "tests/fuzz/corpus/net"
MAC_B = bytes([2, 0, 0, 0, 0, 2])
MAC_X = bytes([2, 0, 0, 0, 0, 0x99])
IP_B = bytes([10, 0, 2, 2])
IP_X = bytes([10, 0, 2, 99])
FIX = 0x60  # op 1: fix the IPv4 total length and the UDP/ICMP checksum


def rec(op, data=b""):
    return bytes([op]) + struct.pack("<H", len(data)) + data


def arp(op, spa, tpa):
    return (MAC_B + MAC_X + b"\x08\x06" + struct.pack(">HHBBH", 1, 0x0800, 6, 4, op) + MAC_X
            + spa + bytes(6) + tpa + bytes(18))


def ip(proto, payload, ident=1, off=0, mf=False, opts=b""):
    hl = 20 + len(opts)
    frag = (off // 8) | (0x2000 if mf else 0)
    return (struct.pack(">BBHHHBBH", 0x40 | hl // 4, 0, hl + len(payload), ident, frag, 64, proto, 0)
            + IP_X + IP_B + opts + payload)


def udp(dport, data):
    return struct.pack(">HHHH", 5000, dport, 8 + len(data), 0) + data


def echo(data, ident=1, seq=1):
    return struct.pack(">BBHHH", 8, 0, 0, ident, seq) + data


def icmp_csum(msg):
    s = 0
    for i in range(0, len(msg) - 1, 2):
        s += (msg[i] << 8) | msg[i + 1]
    if len(msg) % 2:
        s += msg[-1] << 8
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    c = ~s & 0xFFFF
    return msg[:2] + struct.pack(">H", c) + msg[4:]


def frags(proto, whole, size, ident):
    """Fragments of a whole payload (checksum already in it), as a list of op-1 records."""
    return [rec(1 | 0x20, ip(proto, whole[off:off + size], ident, off, off + size < len(whole)))
            for off in range(0, len(whole), size)]


def dhcp(msg_type, yiaddr=bytes([10, 0, 2, 15]), lease=3600, extra=b""):
    """A DHCP reply; fuzz_net fills in the client's xid and MAC (op bit 0x20)."""
    m = bytearray(240)
    m[0:3] = b"\x02\x01\x06"
    m[16:20] = yiaddr
    m[236:240] = b"\x63\x82\x53\x63"
    opts = bytes([53, 1, msg_type, 54, 4]) + IP_B + bytes([1, 4, 255, 255, 255, 0, 3, 4]) + IP_B
    opts += bytes([51, 4]) + struct.pack(">I", lease) + bytes([6, 4, 10, 0, 2, 3]) + extra
    return bytes(m) + opts + b"\xff" + bytes(50)


DHCP = 0x18 | 0x20  # to C's client, xid and MAC made C's
DHCP_LATER = DHCP | 0x40  # ... then time runs to the client's next deadline


def dns_answer(ttl=300):
    """Answers to B's query; fuzz_net puts the query's ID and question in front (op 0x40)."""
    q = struct.pack(">HHHHHH", 0, 0x8180, 1, 1, 0, 0) + b"\x07example\x03com\x00\x00\x01\x00\x01"
    return q + struct.pack(">HHHIH", 0xC00C, 1, 1, ttl, 4) + bytes([93, 184, 216, 34])


DNS_NAME = 0x08 | 0x20
DNS_REPLY = 0x08 | 0x40
DNS_LATER = 0x08 | 0x80


def main():
    os.makedirs(OUT, exist_ok=True)
    learn = rec(0, arp(1, IP_X, IP_B))
    big = icmp_csum(echo(bytes(range(256)) * 12))
    seeds = {
        "arp_request": learn,
        "arp_reply_gratuitous": rec(0, arp(2, IP_X, IP_X)),
        "ping": learn + rec(1 | FIX, ip(1, echo(b"hello"))),
        "ping_options": learn + rec(1 | FIX, ip(1, echo(b"opt"), opts=b"\x94\x04\x00\x00")),
        "udp_echo": learn + rec(1 | FIX, ip(17, udp(7, b"echo me"))),
        "udp_closed_port": learn + rec(1 | FIX, ip(17, udp(9, b"nobody"))),
        "frag_in_order": learn + b"".join(frags(1, big, 1024, 7)),
        "frag_reverse": learn + b"".join(reversed(frags(1, big, 1024, 8))),
        "frag_overlap": learn + rec(1 | 0x20, ip(1, big[:1400], 9, 0, True))
        + rec(1 | 0x20, ip(1, big[800:2200], 9, 800, True))
        + rec(1 | 0x20, ip(1, big[2200:], 9, 2200, False)),
        "frag_endless": learn + b"".join(rec(1 | 0x20, ip(17, bytes(8), 10, o, True))
                                         for o in range(0, 800, 8)) + rec(2, b"\xff\xff\x01"),
        "a_to_b_udp_big": rec(3, bytes(5000)) + rec(5) + rec(5) + rec(2, b"\x30\x75"),
        "a_pings_b": rec(4, b"ping") + rec(5) + rec(2, b"\x10\x27\x05") + rec(4, b"again") + rec(5),
        "no_tx_buffers": learn + rec(7, b"\x00") + rec(1 | FIX, ip(1, echo(b"x"))) + rec(7, b"\x40"),
"dhcp_lease": rec(DHCP, dhcp(2)) + rec(DHCP, dhcp(5)),
        "dhcp_renew_rebind_expire": rec(DHCP, dhcp(2)) + rec(DHCP, dhcp(5, lease=120))
        + rec(DHCP_LATER, b"") + rec(DHCP_LATER, b"") + rec(DHCP_LATER, b"") + rec(DHCP_LATER, b""),
        "dhcp_nak": rec(DHCP, dhcp(2)) + rec(DHCP, dhcp(6)) + rec(DHCP_LATER, b""),
        "dhcp_t1_t2": rec(DHCP, dhcp(2)) + rec(DHCP, dhcp(5, extra=bytes([58, 4, 0, 0, 0, 10, 59, 4, 0, 0, 0, 20])))
        + rec(DHCP_LATER, b"") + rec(DHCP, dhcp(5)),
        "dns_answer": rec(DNS_NAME, b"example.com") + rec(DNS_REPLY, dns_answer())
        + rec(DNS_NAME, b"example.com"),
        "dns_timeout": rec(DNS_NAME, b"example.com") + rec(DNS_LATER, b"") + rec(DNS_LATER, b"")
        + rec(DNS_LATER, b"") + rec(DNS_LATER, b""),
        "dns_two_queries": rec(DNS_NAME, b"a.example") + rec(DNS_NAME, b"b.example")
        + rec(DNS_NAME, b"c.example") + rec(DNS_REPLY, dns_answer(0)),
        "bind_close": rec(6, b"\x01\x35\x00") + learn + rec(1 | FIX, ip(17, udp(53, b"dns"))) + rec(6, b"\x01"),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
