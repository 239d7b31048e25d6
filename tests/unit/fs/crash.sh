#!/bin/sh
# The crash test of lib/fs's journal (docs/storage.md#the-crash-test). Usage:
#   crash.sh CRASH_FS OUTDIR OPS FSCK_EVERY VARIANTS "SEEDS"
# 1. For each seed, crash_fs runs the workload on a fresh 8 MiB mke2fs -t ext3 image with
#    1 KiB blocks and checks every cut point (lib/fs; e2fsck -fn on every FSCK_EVERY-th);
#    the first seed again with 4 KiB blocks, and with a synchronous mount.
# 2. Interoperability: an image cut just before a commit block (mid-transaction) is replayed by
#    e2fsck -fy; e2fsck -fn must then pass and debugfs must read every file synced before
#    the cut with exactly its synced contents; lib/fs's replay of the same image too.
# Prints VLTEST lines; exits non-zero if any failed.
set -u
crash_fs=$1
out=$2
ops=$3
fsck_every=$4
variants=$5
seeds=$6
failed=0
mkdir -p "$out"

pass() { echo "VLTEST PASS $1"; }
fail() { echo "VLTEST FAIL $1 $2"; failed=1; }

# $1: image; $2: block size.
mkimage() {
    rm -f "$1"
    /usr/sbin/mke2fs -q -F -t ext3 -b "$2" "$1" 8M > /dev/null 2>&1
}

run() {
    if ! "$crash_fs" "$@"; then
        failed=1
    fi
}

first=
for seed in $seeds; do
    first=${first:-$seed}
    mkimage "$out/base-1024.img" 1024
    run "$out/base-1024.img" "$seed" "$ops" "$fsck_every" "$variants" "$out"
done
mkimage "$out/base-4096.img" 4096
run "$out/base-4096.img" "$first" "$ops" "$fsck_every" "$variants" "$out" b4096
run "$out/base-1024.img" "$first" "$((ops / 2))" "$fsck_every" "$variants" "$out" sync

# Interoperability: Linux's tools replay a journal lib/fs wrote, and agree with lib/fs.
rm -rf "$out/expect" "$out/cut.img"
run "$out/base-1024.img" "$first" "$ops" 0 0 "$out" keep
cut=$out/cut.img
if [ ! -f "$cut" ] || [ ! -f "$out/expect/list" ]; then
    fail "fs/crash/interop" "no cut image or no file synced before the cut"
    exit 1
fi
if ! /usr/sbin/dumpe2fs -h "$cut" 2>/dev/null | grep -q needs_recovery; then
    fail "fs/crash/interop/needs_recovery" "the cut image does not ask for recovery"
else
    pass "fs/crash/interop/needs_recovery"
fi
cp "$cut" "$out/cut-e2fsck.img"
/usr/sbin/e2fsck -fy "$out/cut-e2fsck.img" > "$out/e2fsck-y.log" 2>&1
if ! grep -q 'recovering journal' "$out/e2fsck-y.log"; then
    fail "fs/crash/interop/e2fsck_replays" "e2fsck did not recover the journal"
elif ! /usr/sbin/e2fsck -fn "$out/cut-e2fsck.img" > "$out/e2fsck-n.log" 2>&1; then
    fail "fs/crash/interop/e2fsck_replays" "e2fsck -fn after its replay: $(head -3 "$out/e2fsck-n.log" | tr '\n' ' ')"
else
    pass "fs/crash/interop/e2fsck_replays"
fi
n=0
bad=
while read -r idx path; do
    n=$((n + 1))
    /usr/sbin/debugfs -R "dump $path $out/got" "$out/cut-e2fsck.img" > /dev/null 2>&1
    cmp -s "$out/got" "$out/expect/$idx" || bad="$bad $path"
done < "$out/expect/list"
if [ -n "$bad" ]; then
    fail "fs/crash/interop/debugfs_reads" "$n synced files; differ:$bad"
else
    pass "fs/crash/interop/debugfs_reads"
    echo "fs/crash/interop: $n synced files read back by debugfs after e2fsck's replay"
fi
# The same cut replayed by lib/fs (a mount with nothing to do but replay) gives the same
# files, and e2fsck -fn agrees with the result.
cp "$cut" "$out/cut-libfs.img"
"$crash_fs" replay "$out/cut-libfs.img" > "$out/replay.log" 2>&1
bad=
while read -r idx path; do
    /usr/sbin/debugfs -R "dump $path $out/got" "$out/cut-libfs.img" > /dev/null 2>&1
    cmp -s "$out/got" "$out/expect/$idx" || bad="$bad $path"
done < "$out/expect/list"
if ! grep -q '^replayed' "$out/replay.log"; then
    fail "fs/crash/interop/libfs_replays" "$(tail -2 "$out/replay.log" | tr '\n' ' ')"
elif [ -n "$bad" ]; then
    fail "fs/crash/interop/libfs_replays" "differ:$bad"
elif ! /usr/sbin/e2fsck -fn "$out/cut-libfs.img" > "$out/e2fsck-n.log" 2>&1; then
    fail "fs/crash/interop/libfs_replays" "e2fsck -fn: $(head -3 "$out/e2fsck-n.log" | tr '\n' ' ')"
else
    pass "fs/crash/interop/libfs_replays"
fi
exit $failed
