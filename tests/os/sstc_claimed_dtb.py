#!/usr/bin/python3
"""Writes a device tree that claims Sstc for a hart that does not have it.

Usage: tests/os/sstc_claimed_dtb.py OUT.dtb

The kernel must not trust the device tree alone: it probes stimecmp and falls back to the
SBI timer when the access traps (kernel/src/plat/qemu-virt/timer.c). QEMU's hart with
sstc=false has no stimecmp, so OpenSBI cannot enable it; this script dumps that machine's
tree (with the flags tools/qemu_run.py boots with) and renames one ISA extension in place
to "sstc", keeping every length, so the blob stays valid. The timer-sbi-probe step in
tests/steps.txt boots init with it and expects the kernel to say it fell back.
"""
import os
import subprocess
import sys
import tempfile

# The same length on both sides: the property keeps its size and the blob its layout.
FROM = b"_zihintpause_"
TO = b"_sstc_zihint_"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: sstc_claimed_dtb.py OUT.dtb")
    out = sys.argv[1]
    qemu = os.environ.get("QEMU", "qemu-system-riscv64")
    with tempfile.TemporaryDirectory() as tmp:
        full = os.path.join(tmp, "virt.dtb")
        subprocess.run([qemu, "-machine", "virt,dumpdtb=" + full, "-cpu", "rv64,sstc=false",
                        "-m", "256M", "-smp", "1", "-nographic", "-bios", "default"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(full, "rb") as f:
            blob = f.read()
    total = int.from_bytes(blob[4:8], "big")
    blob = blob[:total]
    if b"sstc" in blob or blob.count(FROM) != 1:
        sys.exit("sstc_claimed_dtb.py: QEMU's ISA string is not the one expected")
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "wb") as f:
        f.write(blob.replace(FROM, TO))


if __name__ == "__main__":
    main()
