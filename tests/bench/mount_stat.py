#!/usr/bin/env python3
# tests/bench/mount_stat.py ROOT N COUNT: stat() of COUNT random members of
# the catalog tests/bench/catalog_bench.c fills with N members, under ROOT
# (the mount's archive/); checks each size, prints p50 and p99 in us.
import os
import random
import sys
import time

root, n, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
BIG = 100000


def member_path(i):
    if i < BIG:
        return "big/frame_%07d.tif" % i
    return "inst%d/day%05d/run%03d/frame_%07d.tif" % (
        i % 7, i // 100000, i // 1000 % 100, i)


random.seed(4321)
lat = []
for _ in range(count):
    k = random.randrange(n)
    p = os.path.join(root, member_path(k))
    t0 = time.perf_counter()
    st = os.stat(p)
    lat.append(time.perf_counter() - t0)
    if st.st_size != 1000 + k % 100000:
        sys.exit("%s: size %d" % (p, st.st_size))
lat.sort()
print("mount_stat_p50_us %.1f" % (lat[len(lat) // 2] * 1e6))
print("mount_stat_p99_us %.1f" % (lat[len(lat) * 99 // 100] * 1e6))
