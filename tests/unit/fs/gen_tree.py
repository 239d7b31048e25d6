#!/usr/bin/python3
"""Generates a deterministic test tree for lib/fs: files of many sizes (empty, inside one
block, direct, single/double indirect, sparse), nested directories, a directory with
enough entries to be hashed (dir_index), fast and slow symlinks, hard links and fifos.
Usage: gen_tree.py DIR [SEED]"""
import os
import random
import sys

root = sys.argv[1]
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
os.makedirs(root, exist_ok=True)


def data(n):
    return bytes(rng.getrandbits(8) for _ in range(min(n, 4096))) * (n // 4096 + 1)


sizes = [0, 1, 100, 1023, 1024, 1025, 4095, 4096, 4097, 12 * 1024, 13 * 1024, 50000,
         270 * 1024, 300 * 1024, 1100 * 1024]
for i, n in enumerate(sizes):
    with open(os.path.join(root, "file%02d" % i), "wb") as f:
        f.write(data(n)[:n])
# Sparse: holes at the start, in the middle and at the end, across indirect levels.
with open(os.path.join(root, "sparse"), "wb") as f:
    f.seek(5000)
    f.write(b"middle")
    f.seek(3 * 1024 * 1024)
    f.write(b"far")
    f.truncate(5 * 1024 * 1024)
os.makedirs(os.path.join(root, "d1/d2/d3"), exist_ok=True)
with open(os.path.join(root, "d1/d2/d3/deep"), "wb") as f:
    f.write(b"deep file\n")
big = os.path.join(root, "bigdir")
os.makedirs(big, exist_ok=True)
for i in range(400):
    with open(os.path.join(big, "entry-with-a-longish-name-%04d" % i), "wb") as f:
        f.write(b"%d\n" % i)
os.symlink("file02", os.path.join(root, "fastlink"))
os.symlink("d1/" + "x" * 100, os.path.join(root, "slowlink"))
os.symlink("/d1/d2", os.path.join(root, "abslink"))
os.link(os.path.join(root, "file03"), os.path.join(root, "hardlink"))
os.mkfifo(os.path.join(root, "fifo"))
os.chmod(os.path.join(root, "file01"), 0o600)
os.chmod(os.path.join(root, "d1"), 0o750)
