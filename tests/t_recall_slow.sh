# While 20 reads wait for a slow (rate-limited) drive, the rest of the
# mount answers: `ls -lR` and getxattr complete while the reads are still
# waiting, and every read then returns the original bytes. A large member
# is served while it streams in. A small cache evicts what was read least
# recently, never a file being read.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 2 --capacity 128M --pools 1 -- cache_size=30M block_size=64K copies=1 pools=A
check "mount" tf_mount tapefs.ini mnt
M=mnt

mkdir -p src/w
for i in $(seq 1 20); do head -c $((200000 + i)) /dev/urandom > src/w/f$i.bin; done
head -c $((20 << 20)) /dev/urandom > src/w/large.bin
check "dumped" tf_dump_dir w
T=$(ls $M/tapes | head -n 1)

# Reads from now on: 2 MB/s, really slept (time scale 1).
"$TAPEFS" vtape set lib/tapes/$T.vtape rate=2 scale=1

pids=()
for i in $(seq 1 20); do
	cat $M/archive/w/f$i.bin > out$i &
	pids+=($!)
done
sleep 0.5
check "ls -lR of the mount" timeout 30 ls -lR $M >/dev/null
check "getfattr of a waiting file" timeout 30 getfattr -n user.tapefs.state $M/archive/w/f20.bin
waiting=0
for p in "${pids[@]}"; do kill -0 $p 2>/dev/null && waiting=$((waiting + 1)); done
# 20 x 200 KB at 2 MB/s take 2 s: most reads are still waiting
check "ls -lR finished while reads still waited ($waiting)" test $waiting -ge 10
# the files whose reads still wait show recalling (one may land meanwhile)
shown=0
for i in $(seq 1 20); do
	kill -0 ${pids[$((i - 1))]} 2>/dev/null || continue
	[ "$(getfattr --only-values -n user.tapefs.state $M/archive/w/f$i.bin)" = recalling ] && shown=$((shown + 1))
done
check "files still waiting show recalling ($shown)" test $shown -ge 5
check "recall_queue in .status" grep -q "^recall_queue: [1-9]" $M/.status
for p in "${pids[@]}"; do wait $p; done
bad=0
for i in $(seq 1 20); do cmp -s src/w/f$i.bin out$i || bad=$((bad + 1)); done
check_eq "20 waiting reads: original bytes" 0 $bad

# A 20 MiB member at 2 MB/s takes 10 s: its first MiB comes long before.
"$TAPEFS" vtape set lib/tapes/$T.vtape rate=4 scale=1
head -c 1048576 $M/archive/w/large.bin > head.out
check_eq "first MiB of a large member while it streams" recalling \
	"$(getfattr --only-values -n user.tapefs.state $M/archive/w/large.bin)"
check "first MiB: original bytes" cmp head.out <(head -c 1048576 src/w/large.bin)
check "whole large member: original bytes" cmp src/w/large.bin $M/archive/w/large.bin
# its last chunk served, the run ends (fdatasync, the catalog row) soon after
for _ in $(seq 50); do
	[ "$(getfattr --only-values -n user.tapefs.state $M/archive/w/large.bin)" = cached ] && break
	sleep 0.1
done
check_eq "large member cached" cached "$(getfattr --only-values -n user.tapefs.state $M/archive/w/large.bin)"
"$TAPEFS" vtape set lib/tapes/$T.vtape rate=0 scale=0

# Cache of 30 MiB holding 20 small files (4 MB) and large (20 MiB). Hold
# f1 open, read f2 again, then an 8 MiB file needs room: small files read
# before large are evicted first; f1 (open), f2 and large stay.
exec 7< $M/archive/w/f1.bin
cat $M/archive/w/f2.bin > /dev/null
mkdir -p src/x && head -c $((8 << 20)) /dev/urandom > src/x/big2.bin
tf_dump_dir x
check "second dump" test -f $M/archive/x/big2.bin
check "big2: original bytes" cmp src/x/big2.bin $M/archive/x/big2.bin
st() { getfattr --only-values -n user.tapefs.state $M/archive/$1; }
evicted=0
for i in $(seq 3 20); do [ "$(st w/f$i.bin)" = archived ] && evicted=$((evicted + 1)); done
check "least recently used small files evicted ($evicted)" test $evicted -ge 8
check_eq "open f1 kept" cached "$(st w/f1.bin)"
check_eq "recently read f2 kept" cached "$(st w/f2.bin)"
check_eq "large (read after the small ones) kept" cached "$(st w/large.bin)"
check_eq "big2 cached" cached "$(st x/big2.bin)"
for i in $(seq 3 20); do
	if [ "$(st w/f$i.bin)" = archived ]; then
		check_eq "st_blocks of an evicted file" 0 "$(stat -c %b $M/archive/w/f$i.bin)"
		break
	fi
done
exec 7<&-
check "cache within its limit" test "$(du -sk cache | cut -f1)" -le $((30 * 1024 + 64))

check "unmount" tf_umount mnt
