#!/bin/sh
# lib/fs host tests on image files (docs/storage.md#tests). Usage:
#   run.sh TEST_FS OUTDIR [RANDOM_STEPS] [RANDOM_SEEDS]
# 1. Images made by mke2fs -d (ext2 and ext3, 1 KiB and 4 KiB blocks, revision 0, and one
#    with its directories hashed by e2fsck -D) are read back by lib/fs and must equal the tree.
# 2. lib/fs copies the tree into empty images; e2fsck -fn must pass, debugfs must dump
#    the same tree and see the fifo and the hard link.
# 3. Random operations on lib/fs and on a host directory, compared after every step,
#    from an empty image and from the hashed one; e2fsck -fn after each run.
# 4. The error-path tests; e2fsck -fn on the image they leave.
# Prints VLTEST lines; exits non-zero if any failed.
set -u
test_fs=$1
out=$2
steps=${3:-300}
seeds=${4:-"1 2"}
here=$(dirname "$0")
failed=0
mkdir -p "$out"

pass() { echo "VLTEST PASS $1"; }
fail() { echo "VLTEST FAIL $1 $2"; failed=1; }

# $1: test name; $2: image. e2fsck -fn must exit 0 (nothing to fix).
fsck() {
    if /usr/sbin/e2fsck -fn "$2" > "$out/e2fsck.log" 2>&1; then
        pass "$1"
    else
        fail "$1" "e2fsck -fn: $(grep -v '^Pass\|^e2fsck' "$out/e2fsck.log" | head -3 | tr '\n' ' ')"
    fi
}

# $1: name; rest: the command, which prints its own VLTEST line.
step() {
    name=$1
    shift
    if ! "$@" > "$out/step.log" 2>&1; then
        failed=1
    fi
    sed "s|VLTEST \([A-Z]*\) fs/[a-z]*/[^ ]*|VLTEST \1 $name|" "$out/step.log"
    grep -q '^VLTEST' "$out/step.log" || fail "$name" "$(tail -3 "$out/step.log" | tr '\n' ' ')"
}

rm -rf "$out/tree"
/usr/bin/python3 "$here/gen_tree.py" "$out/tree" 1
tree=$out/tree

for t in ext2 ext3; do
    for bs in 1024 4096; do
        img=$out/read-$t-$bs.img
        rm -f "$img"
        /usr/sbin/mke2fs -q -F -t $t -b $bs -d "$tree" "$img" 24M > /dev/null 2>&1
        step "fs/read/$t-$bs" "$test_fs" compare "$img" "$tree"
    done
done

# Revision 0 (no features at all: no file types in entries, 128-byte inodes).
img=$out/read-rev0.img
rm -f "$img"
/usr/sbin/mke2fs -q -F -r 0 -t ext2 -b 1024 -d "$tree" "$img" 24M > /dev/null 2>&1
step "fs/read/rev0" "$test_fs" compare "$img" "$tree"

# Hashed directories: e2fsck -D indexes every directory of more than one block.
hashed=$out/hashed.img
cp "$out/read-ext3-1024.img" "$hashed"
/usr/sbin/e2fsck -fyD "$hashed" > /dev/null 2>&1
if /usr/sbin/debugfs -R "stat bigdir" "$hashed" 2>/dev/null | grep -q 'Flags: 0x1000'; then
    step "fs/read/hashed" "$test_fs" compare "$hashed" "$tree"
else
    fail "fs/read/hashed" "e2fsck -D did not index bigdir"
fi

for t in ext2 ext3; do
    for bs in 1024 4096; do
        img=$out/write-$t-$bs.img
        rm -f "$img" && rm -rf "$out/dump"
        /usr/sbin/mke2fs -q -F -t $t -b $bs "$img" 24M > /dev/null 2>&1
        step "fs/write/$t-$bs" "$test_fs" build "$img" "$tree"
        fsck "fs/write/$t-$bs/e2fsck" "$img"
        mkdir -p "$out/dump"
        /usr/sbin/debugfs -R "rdump / $out/dump" "$img" > /dev/null 2>&1
        rmdir "$out/dump/lost+found" > /dev/null 2>&1
        # rdump skips special files; debugfs's stat shows them.
        if ! diff -r --no-dereference -x fifo "$tree" "$out/dump" > "$out/diff.log" 2>&1; then
            fail "fs/write/$t-$bs/debugfs" "$(head -3 "$out/diff.log" | tr '\n' ' ')"
        elif ! /usr/sbin/debugfs -R "stat fifo" "$img" 2>/dev/null | grep -q 'Type: FIFO'; then
            fail "fs/write/$t-$bs/debugfs" "fifo missing"
        elif ! /usr/sbin/debugfs -R "stat hardlink" "$img" 2>/dev/null | grep -q 'Links: 2'; then
            fail "fs/write/$t-$bs/debugfs" "hard link count"
        else
            pass "fs/write/$t-$bs/debugfs"
        fi
    done
done

img=$out/write-rev0.img
rm -f "$img"
/usr/sbin/mke2fs -q -F -r 0 -t ext2 -b 1024 "$img" 24M > /dev/null 2>&1
step "fs/write/rev0" "$test_fs" build "$img" "$tree"
fsck "fs/write/rev0/e2fsck" "$img"

for seed in $seeds; do
    for bs in 1024 4096; do
        img=$out/random-$bs-$seed.img
        rm -f "$img" && rm -rf "$out/random-host"
        mkdir -p "$out/random-host"
        /usr/sbin/mke2fs -q -F -t ext3 -b $bs "$img" 32M > /dev/null 2>&1
        step "fs/random/$bs-seed$seed" "$test_fs" random "$img" "$out/random-host" "$seed" "$steps"
        fsck "fs/random/$bs-seed$seed/e2fsck" "$img"
    done
done
rm -rf "$out/random-host"
cp -a "$tree" "$out/random-host"
cp "$hashed" "$out/random-hashed.img"
/usr/sbin/debugfs -w -R "rmdir lost+found" "$out/random-hashed.img" > /dev/null 2>&1
step "fs/random/hashed" "$test_fs" random "$out/random-hashed.img" "$out/random-host" 7 \
    $((steps / 4 + 1))
fsck "fs/random/hashed/e2fsck" "$out/random-hashed.img"

img=$out/errors.img
rm -f "$img"
/usr/sbin/mke2fs -q -F -t ext3 -b 1024 "$img" 8M > /dev/null 2>&1
"$test_fs" errors "$img" || failed=1
fsck "fs/errors/e2fsck" "$img"
exit $failed
