#!/bin/sh
# Makes the seed images for fuzz_fs: small ext2 and ext3 file systems (1 KiB and 4 KiB
# blocks) holding a few files of each kind, an indirect-mapped file and a hashed directory.
# Usage: fs_seeds.sh OUTDIR
set -e
out=$1
# Fixed UUIDs, hash seeds and file times, so that seeds differ between runs only in the
# times mke2fs and e2fsck stamp themselves.
export E2FSPROGS_FAKE_TIME=1700000000
ids="-U 6a9c33b8-1d5e-4c1b-9a3e-5e7f0c2d4b11 -E hash_seed=0b4e9c2a-3f1d-4e8a-b5c6-7d8e9f0a1b2c"
mkdir -p "$out"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/d1/d2" "$tree/many"
printf 'small\n' > "$tree/file01"
head -c 20000 /dev/zero | tr '\0' 'x' > "$tree/indirect"
ln "$tree/file01" "$tree/hard"
ln -s file01 "$tree/fastlink"
ln -s "d1/$(printf '%070d' 0)" "$tree/slowlink"
mkfifo "$tree/fifo"
i=0
while [ $i -lt 60 ]; do : > "$tree/many/entry-with-a-long-name-$i"; i=$((i + 1)); done
find "$tree" -exec touch -h -d @1700000000 {} +
/usr/sbin/mke2fs -q -F $ids -t ext2 -b 1024 -N 96 -d "$tree" "$out/ext2-1k.img" 192k
/usr/sbin/mke2fs -q -F $ids -t ext2 -b 4096 -N 96 -d "$tree" "$out/ext2-4k.img" 256k
# The smallest journal mke2fs makes is 1024 blocks; it must fit with room to spare.
/usr/sbin/mke2fs -q -F $ids -t ext3 -b 1024 -N 96 -J size=1 -d "$tree" "$out/ext3-1k.img" 3072k
for img in "$out"/*.img; do
    /usr/sbin/e2fsck -fyD "$img" >/dev/null 2>&1 || [ $? -le 1 ]
done
# An ext3 image whose journal holds committed transactions (one with a revoke), so that
# the fuzzer mutates replay too.
cp "$out/ext3-1k.img" "$out/ext3-1k-recover.img"
head -c 2048 /dev/zero | tr '\0' 'j' > "$tree/jdata"
set -- $(/usr/sbin/debugfs -R "ffb 3 100" "$out/ext3-1k-recover.img" 2>/dev/null | sed 's/.*: *//')
printf 'jo\njw -b %s,%s %s\njc\njo\njw -b %s %s\njw -r %s\njc\n' "$1" "$2" "$tree/jdata" "$3" \
    "$tree/jdata" "$2" |
    /usr/sbin/debugfs -w -f - "$out/ext3-1k-recover.img" > /dev/null 2>&1
