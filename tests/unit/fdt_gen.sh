#!/bin/sh
# Generates the QEMU "virt" devicetree blobs that tests/unit/test_fdt.c checks against.
#
# Usage: tests/unit/fdt_gen.sh [OUTDIR]      (default OUTDIR: build/host/dtb)
# Environment: QEMU overrides the emulator (default qemu-system-riscv64).
#
# Each blob is named qemu-virt-<MiB>M-<harts>cpu[-aia|-nosstc].dtb; test_fdt derives the values it
# expects from that name, so keep the pattern when adding variants. QEMU dumps its whole 1 MiB
# FDT buffer; the files are trimmed to the header's totalsize so that they also make compact
# seeds for the fuzzer (tests/fuzz/fuzz_fdt.c).
set -eu

out=${1:-build/host/dtb}
qemu=${QEMU:-qemu-system-riscv64}

if ! command -v "$qemu" >/dev/null 2>&1; then
    echo "fdt_gen.sh: $qemu not found (install qemu-system-misc)" >&2
    exit 1
fi
mkdir -p "$out"

# gen NAME MACHINE-OPTIONS QEMU-ARGS...: dumps the DTB of one configuration to OUTDIR/NAME.dtb.
gen() {
    name=$1
    machine=$2
    shift 2
    full="$out/$name.full"
    "$qemu" -machine "virt${machine},dumpdtb=$full" "$@" -nographic -bios default \
        >/dev/null 2>&1 || {
        echo "fdt_gen.sh: $qemu failed for $name" >&2
        exit 1
    }
    # totalsize is the big-endian 32-bit word at byte offset 4.
    total=$(od -An -tu1 -j4 -N4 "$full" |
        awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
    head -c "$total" "$full" >"$out/$name.dtb"
    rm -f "$full"
    echo "$out/$name.dtb ($total bytes)"
}

gen qemu-virt-128M-1cpu "" -m 128M
gen qemu-virt-1024M-1cpu "" -m 1G
gen qemu-virt-1024M-2cpu "" -m 1G -smp 2
gen qemu-virt-8192M-4cpu "" -m 8G -smp 4
gen qemu-virt-128M-8cpu "" -m 128M -smp 8
gen qemu-virt-128M-1cpu-aia ",aia=aplic-imsic" -m 128M
gen qemu-virt-128M-2cpu-nosstc "" -m 128M -smp 2 -cpu rv64,sstc=false
