"""The network example (systems/net, docs/virtio.md): the virtio-net driver and a client
running lib/net boot on QEMU's user networking, get an address by DHCP, ping the gateway,
and echo UDP datagrams the host sends through a forwarded port. Run once per virtio-mmio
transport version: legacy (QEMU 7.2's default) and version 2."""

import os
import re
import selectors
import socket
import subprocess
import time

import pytest
from test_systems import IMAGES, QEMU, build, system_qemu_args  # noqa: F401 (build: the images)

BOOT_TIMEOUT = 60.0
DATAGRAMS = 64  # bounded: sizes 0..8000 bytes, some fragmented on the way


def free_udp_port():
    """A UDP port on 127.0.0.1 nobody holds now (the hostfwd of qemu.args is fixed for make
    run; a test never relies on a fixed port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def net_args(port, modern):
    """systems/net/qemu.args with the forwarded host port replaced by port."""
    args = [re.sub(r"hostfwd=udp:127\.0\.0\.1:\d+-", "hostfwd=udp:127.0.0.1:%d-" % port, a)
            for a in system_qemu_args("net")]
    assert any("hostfwd=udp:127.0.0.1:%d-:7" % port in a for a in args), args
    return args + (["-global", "virtio-mmio.force-legacy=false"] if modern else [])


class Console:
    """QEMU's console, read line by line without blocking."""

    def __init__(self, proc):
        self.proc, self.lines, self.pending = proc, [], b""
        self.sel = selectors.DefaultSelector()
        self.sel.register(proc.stdout, selectors.EVENT_READ)

    def poll(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not self.sel.select(timeout=0.05):
                continue
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                return
            self.pending += data
            *complete, self.pending = self.pending.split(b"\n")
            self.lines += [l.decode(errors="replace").rstrip("\r") for l in complete]

    def wait_for(self, regex, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in self.lines:
                m = re.search(regex, line)
                if m:
                    return m
            if self.proc.poll() is not None:
                break
            self.poll(0.2)
        pytest.fail("no console line matches %r; console:\n%s" % (regex, "\n".join(self.lines)))


@pytest.mark.parametrize("version", [1, 2])
def test_net_udp_echo(version):
    port = free_udp_port()
    image = os.path.join(IMAGES, "net-check.bin")
    proc = subprocess.Popen(QEMU + ["-kernel", image] + net_args(port, version == 2),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    con = Console(proc)
    try:
        con.wait_for(r"virtio_net: virtio-mmio version %d, MAC 52:54:00:12:34:56, link up"
                     % version, BOOT_TIMEOUT)
        con.wait_for(r"netecho: physical address of rx_data: physical address not given",
                     BOOT_TIMEOUT)
        con.wait_for(r"netecho: address 10\.0\.2\.15/24, gateway 10\.0\.2\.2, from DHCP server "
                     r"10\.0\.2\.2", BOOT_TIMEOUT)
        con.wait_for(r"netecho: ping reply from 10\.0\.2\.2, seq 1, 7 bytes", BOOT_TIMEOUT)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(3.0)
        echoed = 0
        for i in range(DATAGRAMS):
            msg = bytes((i * 7 + j) & 255 for j in range((i * 127) % 8001))
            for _ in range(3):  # UDP: a datagram may be lost before the stack is warm
                sock.sendto(msg, ("127.0.0.1", port))
                try:
                    data = sock.recv(65536)
                except socket.timeout:
                    continue
                assert data == msg, "datagram %d: %d bytes came back for %d" % (
                    i, len(data), len(msg))
                echoed += 1
                break
        sock.close()
        con.poll(0.5)
        assert echoed == DATAGRAMS, "%d of %d echoed; console:\n%s" % (
            echoed, DATAGRAMS, "\n".join(con.lines))
        bad = [l for l in con.lines if re.search(r"panic|broke|assertion|fault", l, re.I)]
        assert not bad, "\n".join(con.lines)
    finally:
        proc.kill()
        proc.wait()
        con.sel.close()
        proc.stdout.close()


ENTROPY_LINE = r"netecho: entropy from the service: DHCP xid (0x[0-9a-f]+), first ephemeral port (\d+)"


def entropy_draws(extra_args=()):
    """Boots systems/net (legacy transport) with extra QEMU arguments until netecho has its
    lease, and returns (DHCP xid, first ephemeral port) as it printed them: both drawn from
    the entropy service, which the virtio-rng device seeded (rng says so first)."""
    image = os.path.join(IMAGES, "net-check.bin")
    proc = subprocess.Popen(QEMU + ["-kernel", image] + net_args(free_udp_port(), False) +
                            list(extra_args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    con = Console(proc)
    try:
        con.wait_for(r"rng: virtio-mmio version 1, seeded \(32 bytes from the device\)",
                     BOOT_TIMEOUT)
        con.wait_for(r"netecho: entropy service refuses 0 bytes: bad_size, 257 bytes: bad_size",
                     BOOT_TIMEOUT)
        m = con.wait_for(ENTROPY_LINE, BOOT_TIMEOUT)
        return int(m.group(1), 16), int(m.group(2))
    finally:
        proc.kill()
        proc.wait()
        con.sel.close()
        proc.stdout.close()


def test_net_entropy_differs_between_boots():
    """Two boots draw different DHCP transaction ids and ephemeral ports; under -icount
    (the guest's clocks and instruction counts the same from boot to boot) two boots with the
    same `-seed` (QEMU's random source, which the virtio-rng device reads) draw the same ones,
    and a third without it others: what differs from boot to boot is the device's entropy,
    not the timing. (Two independent ports coincide with probability 2^-14, ids 2^-32.)"""
    first, second = entropy_draws(), entropy_draws()
    assert first[0] != second[0], (first, second)
    assert first[1] != second[1], (first, second)
    for xid, port in (first, second):
        assert 49152 <= port <= 65535, port
    icount = ["-icount", "shift=0,sleep=on"]
    seeded = [entropy_draws(icount + ["-seed", "1234"]) for _ in range(2)]
    assert seeded[0] == seeded[1], seeded
    unseeded = entropy_draws(icount)
    assert unseeded != seeded[0], (unseeded, seeded)
