# Byte ranges: a read of an offline range locates to the record holding
# its first byte and recalls from there, in 4 MiB chunks each checked
# against its digest. On a drive modelled at 4 MB/s (a whole recall of 48
# MiB takes 12 s), `tail -c 1M` and `head -c 1M` of an uncached 48 MiB
# file return the right bytes in a few seconds; the file is then PAR with
# st_blocks counting the chunks cached, DUL after a full read, OFL with 0
# blocks after `release`. A dump commits the chunk digests its writer
# took; a member without them (an old archive) gets the same digests the
# first time it is read whole, or verified. A flipped byte inside one
# chunk of one copy: the read of that chunk comes from the other copy; a
# read of an intact chunk does not touch the other tape.
# tests/run: alone
# (a cached range is timed, and a trace read while read-ahead may run)
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 4 --capacity 256M --pools 2 -- block_size=256K copies=2 pools=A,B
export TAPEFS_VTAPE_TRACE=$PWD/trace
check "mount" tf_mount tapefs.ini mnt
M=mnt
mkdir -p src/r
head -c $((48 << 20)) /dev/urandom > src/r/big.bin
head -c $((9 << 20)) /dev/urandom > src/r/verified.bin
check "dumped" tf_dump_dir r
f=$M/archive/r/big.bin
LA=$(ls $M/tapes | grep '^A' | head -n 1) LB=$(ls $M/tapes | grep '^B' | head -n 1)
dm() { getfattr --only-values -n user.tapefs.dmstate "$1" 2>/dev/null; }
blocks() { stat --cached=never -c %b "$1"; } # asked of the daemon, not the 1 s cache
ms() { echo $(( $(date +%s%N) / 1000000 )); }
rate() { for t in $LA $LB; do "$TAPEFS" vtape set lib/tapes/$t.vtape rate=$1 scale=1 >/dev/null; done; }
# until the recall in flight (read-ahead, the last fdatasync) has ended
settle() { for _ in $(seq 100); do [ "$(dm $1)" != UNM ] && return 0; sleep 0.1; done; }
release() {
	echo "release $PWD/$1" > $M/.recall
	for _ in $(seq 100); do [ "$(dm $1)" = OFL ] && return 0; sleep 0.05; done
	return 1
}

# The dump committed the chunk digests the tar writer took.
id=$(( $(stat -c %i $f) & ((1 << 62) - 1) ))
id2=$(( $(stat -c %i $M/archive/r/verified.bin) & ((1 << 62) - 1) ))
digests() { sqlite3 cat.db "SELECT chunk_size, n, hex(digests) FROM chunk WHERE member = $1"; }
check_eq "dumped: 12 chunk digests of 4 MiB" "4194304|12" "$(digests $id | cut -d'|' -f1,2)"
check_eq "dumped: 3 of the 9 MiB file" "4194304|3" "$(digests $id2 | cut -d'|' -f1,2)"
dumped=$(digests $id)

# An old archive (a catalog from before the writer took them): no chunk
# digests; a whole read gives them, the same as the writer's.
check "unmount" tf_umount mnt
sqlite3 cat.db "DELETE FROM chunk"
check "mount again" tf_mount tapefs.ini mnt
check_eq "no chunk digests at first" 0 "$(sqlite3 cat.db "SELECT count(*) FROM chunk WHERE member = $id")"
check "read whole: original bytes" cmp src/r/big.bin $f
# kept once the recall has ended (after its last bytes were served)
for _ in $(seq 100); do [ -n "$(digests $id)" ] && break; sleep 0.1; done
check_eq "read whole: its 12 chunk digests are kept, the writer's" "$dumped" "$(digests $id)"
check "verify all" tf_verify all
check_eq "a member verified good gets its 3 chunk digests" 3 \
	"$(sqlite3 cat.db "SELECT n FROM chunk WHERE member = $id2")"
check "release" release $f
check_eq "released: 0 blocks" 0 "$(blocks $f)"

# 4 MB/s: the whole file would take 12 s.
rate 4
t0=$(ms)
tail -c 1M $f > tail.out
t1=$(ms)
settle $f
check "tail -c 1M: original bytes" cmp tail.out <(tail -c 1M src/r/big.bin)
check "tail -c 1M of an uncached 48 MiB file: $((t1 - t0)) ms < 6000" test $((t1 - t0)) -lt 6000
check_eq "after tail: PAR" PAR "$(dm $f)"
check "the log has the range served (audit line with its offset)" \
	grep -qE "recall served: path=r/big.bin tape=[A-Z0-9]+ file=[0-9]+ bytes=[0-9]+ seconds=[0-9.]+ drive=[0-9]+ offset=[0-9]+$" tapefs.log
check_eq "after tail: st_blocks = the last chunk" $((4 << 20 >> 9)) "$(blocks $f)"
t0=$(ms)
head -c 1M $f > head.out
t1=$(ms)
check "head -c 1M: original bytes" cmp head.out <(head -c 1M src/r/big.bin)
check "head -c 1M of a partly cached file: $((t1 - t0)) ms < 6000" test $((t1 - t0)) -lt 6000
settle $f
check_eq "after head (and its read-ahead): PAR" PAR "$(dm $f)"
b=$(blocks $f)
check "after head: st_blocks counts 2 or 3 chunks ($b)" test "$b" -ge $((8 << 20 >> 9)) -a "$b" -le $((12 << 20 >> 9))
# a cached range is served at once, whatever the drive does
t0=$(ms)
tail -c 1M $f > tail2.out
t1=$(ms)
check "a cached range again: $((t1 - t0)) ms < 500" test $((t1 - t0)) -lt 500
check "and right" cmp tail2.out tail.out
rate 0
check "full read: original bytes" cmp src/r/big.bin $f
settle $f
check_eq "after a full read: DUL" DUL "$(dm $f)"
check_eq "DUL: every block" $(((48 << 20) >> 9)) "$(blocks $f)"
check "release" release $f
check_eq "after release: OFL, 0 blocks" "OFL 0" "$(dm $f) $(blocks $f)"
check_eq "nothing in the cache" "" "$(ls -A cache/tapefs-cache 2>&1)"

# A flipped byte in chunk 5 of copy A.
hblk=$(getfattr --only-values -n user.tapefs.copies $f | tr ',' '\n' | awk -F: -v l=$LA '$1 == l { print $3 }')
"$TAPEFS" vtape inject lib/tapes/$LA.vtape flip $((hblk + 85)) 100
fa=$M/tapes/$LA/0001/r/big.bin
: > trace
dd if=$fa of=c5.out bs=1M skip=21 count=1 status=none
check "chunk 5 through copy A: original bytes" cmp c5.out <(dd if=src/r/big.bin bs=1M skip=21 count=1 status=none)
check "copy A was tried" grep -q "^$LA read" trace
check "the chunk came from copy B" grep -q "^$LB read" trace
check "the log warns of the bad chunk on copy A" \
	grep -q "recall failed on a copy: path=r/big.bin tape=$LA .* offset=$((20 << 20)) reason=\"chunk digest mismatch\"" tapefs.log
settle $f # (what that read started from copy B has ended)
: > trace
dd if=$fa of=c2.out bs=1M skip=9 count=1 status=none
check "an intact chunk through copy A: original bytes" cmp c2.out <(dd if=src/r/big.bin bs=1M skip=9 count=1 status=none)
check "read from copy A" grep -q "^$LA read" trace
check "copy B not touched" bash -c "! grep -q '^$LB read' trace"
check "nothing before the chunk's record read" test \
	"$(awk -v l=$LA '$1 == l && $2 == "read" && $4 ~ /^[0-9]+$/ { print $3 }' trace | sort -n | head -n 1)" -ge $((hblk + 32))
check "no error in .status for a good chunk" bash -c "! grep -q 'failed on every copy' $M/.status"
check "unmount" tf_umount mnt
