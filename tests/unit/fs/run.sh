#!/bin/sh
# lib/fs host tests on image files (docs/storage.md#tests). Usage:
#   run.sh TEST_FS OUTDIR [RANDOM_STEPS] [RANDOM_SEEDS]
# 1. Images made by mke2fs -d (ext2 and ext3, 1 KiB and 4 KiB blocks, revision 0, and one
#    with its directories hashed by e2fsck -D) are read back by lib/fs and must equal the tree.
# 2. lib/fs copies the tree into empty images; e2fsck -fn must pass, debugfs must dump
#    the same tree and see the fifo and the hard link.
# 3. Random operations on lib/fs and on a host directory, compared after every step,
#    from an empty image and from the hashed one; e2fsck -fn after each run.
# 4. Journal replay of transactions debugfs writes, against e2fsck's replay.
# 5. The error-path tests; e2fsck -fn on the image they leave.
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

# Journal replay: transactions written by debugfs's journal commands (several blocks, one
# starting with the JBD2 magic so the log escapes it, one revoked by a later transaction)
# are replayed by lib/fs; the home blocks must hold what e2fsck's own replay puts there.
jimg=$out/journal.img
rm -f "$jimg"
/usr/sbin/mke2fs -q -F -t ext3 -b 1024 -d "$tree" "$jimg" 24M > /dev/null 2>&1
/usr/bin/python3 -c 'import sys, random
r = random.Random(3)
sys.stdout.buffer.write(bytes.fromhex("c03b3998") + bytes(r.getrandbits(8) for _ in range(3068)))' \
    > "$out/jdata"
free=$(/usr/sbin/debugfs -R "ffb 6 20000" "$jimg" 2>/dev/null | sed 's/.*: *//' | tr -s ' ' ',' | sed 's/,$//')
b1=$(echo "$free" | cut -d, -f1-3)
b2=$(echo "$free" | cut -d, -f4-5)
b3=$(echo "$free" | cut -d, -f6)
printf 'jo\njw -b %s %s\njc\njo\njw -b %s,%s %s\njc\njo\njw -r %s\njc\n' \
    "$b1" "$out/jdata" "$b2" "$b3" "$out/jdata" "$b3" |
    /usr/sbin/debugfs -w -f - "$jimg" > /dev/null 2>&1
cp "$jimg" "$out/journal-e2fsck.img"
/usr/sbin/e2fsck -fy "$out/journal-e2fsck.img" > /dev/null 2>&1
if ! /usr/sbin/dumpe2fs -h "$jimg" 2>/dev/null | grep -q needs_recovery; then
    fail "fs/journal/replay" "debugfs made no journal to recover"
else
    step "fs/journal/replay" "$test_fs" recover "$jimg"
    fsck "fs/journal/e2fsck" "$jimg"
    ok=1
    for b in $(echo "$free" | tr ',' ' '); do
        a=$(dd if="$jimg" bs=1024 skip="$b" count=1 2>/dev/null | md5sum)
        e=$(dd if="$out/journal-e2fsck.img" bs=1024 skip="$b" count=1 2>/dev/null | md5sum)
        [ "$a" = "$e" ] || ok=0
    done
    first=$(echo "$free" | cut -d, -f1)
    magic=$(dd if="$jimg" bs=1024 skip="$first" count=1 2>/dev/null | od -An -tx1 -N4 | tr -d ' ')
    revoked=$(dd if="$jimg" bs=1024 skip="$b3" count=1 2>/dev/null | od -An -tx1 | tr -d ' 0*\n')
    if [ $ok = 1 ] && [ "$magic" = c03b3998 ] && [ -z "$revoked" ]; then
        pass "fs/journal/same_as_e2fsck"
    else
        fail "fs/journal/same_as_e2fsck" "home blocks differ from e2fsck's replay (magic $magic, revoked block '$revoked')"
    fi
    step "fs/journal/read" "$test_fs" compare "$jimg" "$tree"
fi

# The superblock itself logged (as ext3 does): after replay the mount checks run again on
# the replayed superblock, here with a new volume label (4 KiB blocks: block 0).
simg=$out/journal-sb.img
rm -f "$simg"
/usr/sbin/mke2fs -q -F -t ext3 -b 4096 -L before "$simg" 24M > /dev/null 2>&1
dd if="$simg" of="$out/sbblock" bs=4096 count=1 2>/dev/null
printf 'replayed\000' | dd of="$out/sbblock" bs=1 seek=$((1024 + 120)) conv=notrunc 2>/dev/null
printf 'jo\njw -b 0 %s\njc\n' "$out/sbblock" | /usr/sbin/debugfs -w -f - "$simg" > /dev/null 2>&1
step "fs/journal/superblock" "$test_fs" recover "$simg"
if /usr/sbin/dumpe2fs -h "$simg" 2>/dev/null | grep -q 'volume name: *replayed'; then
    pass "fs/journal/superblock_replayed"
else
    fail "fs/journal/superblock_replayed" "label not replayed"
fi
fsck "fs/journal/superblock/e2fsck" "$simg"

img=$out/errors.img
rm -f "$img"
/usr/sbin/mke2fs -q -F -t ext3 -b 1024 "$img" 8M > /dev/null 2>&1
"$test_fs" errors "$img" || failed=1
fsck "fs/errors/e2fsck" "$img"
exit $failed
