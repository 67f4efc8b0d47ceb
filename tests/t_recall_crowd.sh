# A crowd never stalls the mount: 1000 reads (one process, a thread and a
# descriptor each) wait for a file being recalled from a slow drive
# (1 MB/s). Meanwhile stat, getxattr, a listing and `cat .status` answer
# with a p99 under 100 ms, and the daemon's threads stay under 64 plus the
# drive (waiting reads hold no thread). Then every reader gets the right
# bytes. Readers killed while they wait stop waiting at once.
# tests/run: alone
# (its p99 latency bounds are measured with no other test beside it)
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 2 --capacity 256M --pools 1 -- block_size=256K copies=1 pools=A
check "mount" tf_mount tapefs.ini mnt
M=mnt

mkdir -p src/c
head -c $((12 << 20)) /dev/urandom > src/c/crowd.bin
head -c $((6 << 20)) /dev/urandom > src/c/killed.bin
for i in $(seq 1 40); do head -c 5000 /dev/urandom > src/c/s$i; done
check "dumped" tf_dump_dir c
T=$(ls $M/tapes | head -n 1)
# 12 MiB at 1 MB/s: the recall takes some 12 s
"$TAPEFS" vtape set lib/tapes/$T.vtape rate=1 scale=1

threads() { awk '/^Threads:/ { print $2 }' /proc/$TF_PID/status; }
field() { # FILE KIND FIELD
	awk -v k="$2" -v f="$3" '$1 == k { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }' "$1"
}

"$BUILD/tests/tool/readers" 1000 $M/archive/c/crowd.bin src/c/crowd.bin > readers.out 2> readers.err &
rp=$!
for _ in $(seq 200); do
	[ "$(tf_field recall_waiting $M/.status)" = 1000 ] && break
	sleep 0.1
done
check_eq "1000 reads wait in the recall engine" 1000 "$(tf_field recall_waiting $M/.status)"
files=()
for i in $(seq 1 40); do files+=("$M/archive/c/s$i"); done
"$BUILD/tests/tool/latency" -t $M/.status -d $M/archive/c 5 $M/archive/c/killed.bin "${files[@]}" > lat.out
cat lat.out
nthreads=$(threads)
check "the reads still waited after the measurement" kill -0 $rp
check "daemon threads $nthreads < 64 + 1 drive" test "$nthreads" -lt 65
for k in stat getxattr open text readdir; do
	check "$k: many calls ($(field lat.out $k calls))" test "$(field lat.out $k calls)" -ge 20
	check_eq "$k: every call answered as expected" 0 "$(field lat.out $k errors)"
	check "$k: p99 $(field lat.out $k p99) ms < 100 ms" awk -v v="$(field lat.out $k p99)" 'BEGIN { exit !(v < 100) }'
done
wait $rp
check "every reader: the right bytes ($(cat readers.out | tail -n 1))" \
	grep -qx "readers 1000 ok 1000 bad 0 errors 0" readers.out
check_eq "no read waits any more" 0 "$(tf_field recall_waiting $M/.status)"

# Readers killed while they wait stop waiting at once (6 MiB at 1 MB/s
# would keep them 6 s); the daemon keeps its threads.
pids=()
for i in $(seq 1 20); do
	dd if=$M/archive/c/killed.bin of=/dev/null bs=64K status=none &
	pids+=($!)
done
for _ in $(seq 100); do
	[ "$(tf_field recall_waiting $M/.status)" = 20 ] && break
	sleep 0.05
done
check_eq "20 killable reads wait" 20 "$(tf_field recall_waiting $M/.status)"
t0=$(date +%s%N)
kill -9 "${pids[@]}"
for p in "${pids[@]}"; do wait $p 2>/dev/null; done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "killed readers gone in $ms ms (< 2000)" test $ms -lt 2000
check_eq "their reads were taken back" 0 "$(tf_field recall_waiting $M/.status)"
check "daemon threads still bounded ($(threads))" test "$(threads)" -lt 65
"$TAPEFS" vtape set lib/tapes/$T.vtape rate=0 scale=0
check "the file reads right afterwards" cmp src/c/killed.bin $M/archive/c/killed.bin

check "unmount" tf_umount mnt
