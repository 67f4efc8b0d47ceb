# While the robot is busy with slow moves (5 s each, modelled by the vlib),
# the mount answers at once: stat and getxattr of archived files and an
# open(O_NONBLOCK) of an offline file each take well under 100 ms (p99 over
# many calls), although a recall is loading one tape and another recall
# asks for a cartridge the scheduler has not seen yet (put into the
# library by an operator after the mount: finding it needs an inventory,
# which waits for the robot). Both recalls then return the original bytes.
# tests/run: alone
# (its p99 latency bounds are measured with no other test beside it)
. "$TOP/tests/lib.sh"

"$TAPEFS" mkvlib lib --drives 1 --slots 4 --ie 1 --capacity 64M --pools 1 >/dev/null
cat > tapefs.ini <<'INI'
[tapefs]
staging = stg
catalog = cat.db
cache = cache
copies = 1
pools = A
block_size = 64K
[dump]
bytes = 1T
files = 1000000
idle = 0
[library]
changer = vlib
path = lib
INI
M=mnt
T1=A00001L9 T2=A00002L9
committed() { sed -n 's/^dumps_committed: //p' $M/.dump; }
wait_committed() { # N
	for _ in $(seq 600); do
		[ "$(committed)" = "$1" ] && grep -q '^state: idle' $M/.dump && return 0
		sleep 0.1
	done
	return 1
}
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Two archives of 60 small files: d1 on T1, d2 on T2 (T1 closed first).
check "mount" tf_mount tapefs.ini $M
for d in d1 d2; do
	mkdir -p src/$d
	for i in $(seq 1 60); do head -c $((3000 + i)) /dev/urandom > src/$d/f$i; done
done
cp -r src/d1 $M/staging/d1
echo "now d1" > $M/.dump
check "d1 dumped" wait_committed 1
check "close $T1" bash -c "echo close > $M/tapes/$T1/.ctl"
cp -r src/d2 $M/staging/d2
echo "now d2" > $M/.dump
check "d2 dumped" wait_committed 2
check_eq "d2 is on $T2" "$T2" "$(getfattr --only-values -n user.tapefs.copies $M/archive/d2/f1 | cut -d: -f1)"
# T2 leaves the library through the import/export slot (slot 5).
echo "export $T2" > $M/.library
for _ in $(seq 100); do grep -q "^last_export: $T2" $M/.library && break; sleep 0.1; done
check "$T2 exported" grep -q "^last_export: $T2 moved to slot 5" $M/.library
check "unmount" tf_umount $M

# The operator takes T2 away; every robot move now takes 5 s.
flock lib/lock sed -i "s/^slot 5 $T2\$/slot 5 -/" lib/state
check "$T2 out of the library" grep -qx "slot 5 -" lib/state
sed -i 's/^move_seconds = .*/move_seconds = 5/' lib/library.conf
check "robot moves take 5 s" grep -qx "move_seconds = 5" lib/library.conf
check "mount again" tf_mount tapefs.ini $M
# ... and puts T2 back while the mount runs: the scheduler has not seen it.
flock lib/lock sed -i "s/^slot 5 -\$/slot 5 $T2/" lib/state

t0=$(ms)
cat $M/archive/d1/f1 > out1 &
p1=$!
for _ in $(seq 100); do grep -q '^state: loading' $M/drives/0 && break; sleep 0.05; done
check "the robot is loading $T1" grep -q '^state: loading' $M/drives/0
cat $M/archive/d2/f1 > out2 &
p2=$!

files=()
for d in d1 d2; do for i in $(seq 2 60); do files+=("$M/archive/$d/f$i"); done; done
"$BUILD/tests/tool/latency" 8 $M/archive/d1/f30 "${files[@]}" > lat.out
cat lat.out
check "the second recall still waited for the robot after the measurement" kill -0 $p2
field() { # KIND FIELD
	awk -v k="$1" -v f="$2" '$1 == k { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }' lat.out
}
for k in stat getxattr open; do
	check "$k: many calls ($(field $k calls))" test "$(field $k calls)" -ge 100
	check_eq "$k: every call answered as expected" 0 "$(field $k errors)"
	check "$k: p99 $(field $k p99) ms < 100 ms" awk -v v="$(field $k p99)" 'BEGIN { exit !(v < 100) }'
	# the slowest one, well below a robot move: none waited for the robot
	check "$k: max $(field $k max) ms < 1000 ms" awk -v v="$(field $k max)" 'BEGIN { exit !(v < 1000) }'
done

wait $p1
t1=$(ms)
check "recall from $T1 took a 5 s load ($((t1 - t0)) ms)" test $((t1 - t0)) -ge 4500
check "d1/f1: original bytes" cmp src/d1/f1 out1
wait $p2
check "d2/f1 from the cartridge put back: original bytes" cmp src/d2/f1 out2
check "$T2 now in drive 0" grep -qx "drive 0 $T2 5" lib/state
check "unmount" tf_umount $M
