# Reading archived files through the mount recalls them: original bytes
# from archive/ and from each copy under tapes/, straight from the member's
# block (nothing of the archives before it is read), O_NONBLOCK -> EAGAIN,
# st_blocks and user.tapefs.state follow the cache, a `.recall` batch in
# random order is read in tape order, a bad copy falls back to the good one
# and all copies bad -> EIO with a line in .status.
. "$TOP/tests/lib.sh"

BS=32768
tf_setup --drives 2 --slots 4 --capacity 64M --pools 2 -- cache_size=64M block_size=32K copies=2 pools=A,B
export TAPEFS_VTAPE_TRACE=$PWD/trace
check "mount" tf_mount tapefs.ini mnt
M=mnt

# gen DIR N SIZE...: N files of pseudo-random bytes under src/DIR
gen() {
	local d=$1 n=$2 size=$3 i
	mkdir -p src/$d
	for ((i = 0; i < n; i++)); do
		head -c $((size + i * 37)) /dev/urandom > src/$d/f$i.bin
	done
}

gen d1 4 100000     # archive 1: a few members spanning records
gen batch 200 3000  # archive 2: 200 small members
gen d3 6 100000     # archive 3: the last one on the tape
check "dump 1" tf_dump_dir d1
check "dump 2 (200 files)" tf_dump_dir batch
check "dump 3" tf_dump_dir d3

state() { getfattr --only-values -n user.tapefs.state "$1" 2>/dev/null; }
# block LABEL FILE: the block of FILE's copy on LABEL (user.tapefs.copies)
block() {
	getfattr --only-values -n user.tapefs.copies "$2" | tr ',' '\n' |
		awk -F: -v l="$1" '$1 == l { print $3 }'
}
label() { # label POOL: the tape of that pool holding the archives
	ls $M/tapes | grep "^$1" | while read -r t; do
		[ -d $M/tapes/$t/0001 ] && echo $t
	done | head -n 1
}
LA=$(label A) LB=$(label B)
check "two tapes with archives" test -n "$LA" -a -n "$LB"

# --- offline: no tape touched by stat, getxattr, or a non-blocking open ---
f=$M/archive/d3/f2.bin
check_eq "state before reading" archived "$(state $f)"
check_eq "st_blocks before reading" 0 "$(stat -c %b $f)"
check_eq "st_size from the catalog" "$(stat -c %s src/d3/f2.bin)" "$(stat -c %s $f)"
check_fails "O_NONBLOCK open of an offline file" "Resource temporarily unavailable" \
	dd if=$f of=/dev/null iflag=nonblock count=1 status=none
check_eq "still offline after EAGAIN" archived "$(state $f)"

# --- the last archive of a tape, read straight from its block ---
: > trace
check "read from archive/: original bytes" cmp src/d3/f2.bin $f
blk=$(block $LA $f) blkb=$(block $LB $f)
first=$(awk -v l=$LA '$1 == l && $2 == "read" && $4 ~ /^[0-9]+$/ { print $3 }' trace | sort -n | head -n 1)
firstb=$(awk -v l=$LB '$1 == l && $2 == "read" && $4 ~ /^[0-9]+$/ { print $3 }' trace | sort -n | head -n 1)
# whichever copy served it, nothing before the member's block was read
if [ -n "$first" ]; then
	check "no record before the member's block read ($first >= $blk)" test "$first" -ge "$blk"
else
	check "no record before the member's block read ($firstb >= $blkb)" test "${firstb:-0}" -ge "$blkb"
fi
check "archive 1 not read" test "$(awk '$2 == "read" && $4 ~ /^[0-9]+$/' trace | wc -l)" -le $((100000 / BS + 3))
check_eq "state after reading" cached "$(state $f)"
check "st_blocks counts the cached bytes" test $(( $(stat -c %b $f) * 512 )) -ge "$(stat -c %s $f)"
check "O_NONBLOCK open of a cached file" dd if=$f of=/dev/null iflag=nonblock status=none

# --- both copies under tapes/ ---
: > trace
check "tapes/$LA/0003: original bytes" cmp src/d3/f0.bin $M/tapes/$LA/0003/d3/f0.bin
check "read from $LA" grep -q "^$LA read" trace
: > trace
check "tapes/$LB/0003: original bytes" cmp src/d3/f1.bin $M/tapes/$LB/0003/d3/f1.bin
check "read from $LB" grep -q "^$LB read" trace
check "tapes/$LB/0001: original bytes" cmp src/d1/f0.bin $M/tapes/$LB/0001/d1/f0.bin

# --- a .recall batch in random order is read in tape order ---
: > trace
ls src/batch | shuf | sed "s|^|archive/batch/|" > order
dd if=order of=$M/.recall bs=1M iflag=fullblock status=none
check ".recall accepted 200 paths" test "$(wc -l < order)" -eq 200
n=600
while grep -q "^queued: [1-9]" $M/.recall && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
check_eq "queue drained" "queued: 0" "$(grep '^queued:' $M/.recall)"
ncached=0
for f in src/batch/*; do
	[ "$(state $M/archive/batch/${f##*/})" = cached ] && ncached=$((ncached + 1))
done
check_eq "all 200 cached" 200 $ncached
for t in $LA $LB; do
	awk -v l=$t '$1 == l && $2 == "locate" { print $5 }' trace > loc.$t
done
check "one tape served the batch" test ! -s loc.$LA -o ! -s loc.$LB
cat loc.$LA loc.$LB > loc
check "the drive located in tape order" cmp loc <(sort -n loc)
# one pass over the batch's records (adjacent members are read on, not
# located to), starting at the first located to: not a read from the start
awk '$2 == "read" && $4 != "filemark" { print $3 }' trace > reads
check "one pass: no record read twice or going back" \
	awk 'NR > 1 && $1 <= p { exit 1 } { p = $1 }' reads
check_eq "nothing read before the first member located to" \
	"$(head -n 1 loc)" "$(sort -n reads | head -n 1)"
bad=0
for f in src/batch/*; do cmp -s $f $M/archive/batch/${f##*/} || bad=$((bad + 1)); done
check_eq "200 files: original bytes" 0 $bad
# a long list written in 4 KiB pieces (as stdio does for `find > .recall`)
# has lines cut across writes: each is put back together, none refused
for i in 1 2 3; do ls src/batch | sed "s|^|$PWD/$M/archive/batch/|"; done > long
check "a 4 KiB-chunked list is $(wc -c < long) bytes, more than one write" test "$(wc -c < long)" -gt 8192
check "a list written in 4 KiB pieces is accepted" dd if=long of=$M/.recall bs=4096 status=none
check "no line of it was refused" bash -c "! grep -q '^ *REFUSED' $M/.recall"
check_fails "a request without a newline fails on its write" "No such file" bash -c "printf archive/nope2 > $M/.recall"
# a directory queues every file below it (here as a full path)
echo "$PWD/$M/archive/d3" > $M/.recall
n=300
while grep -q "^queued: [1-9]" $M/.recall && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
ncached=0
for i in 0 1 2 3 4 5; do [ "$(state $M/archive/d3/f$i.bin)" = cached ] && ncached=$((ncached + 1)); done
check_eq ".recall of a directory: its 6 files cached" 6 $ncached
check_fails ".recall: unknown path" "No such file" bash -c "echo archive/nope > $M/.recall"
check ".recall shows the refusal" grep -q "nope" $M/.recall

# --- bad copies: unreadable record on one, flipped byte on the other ---
ia=lib/tapes/$LA.vtape ib=lib/tapes/$LB.vtape
fu=$M/archive/d1/f1.bin ff=$M/archive/d1/f2.bin fx=$M/archive/d1/f3.bin
# records block+1 and block+2 of a 100 KB member hold only its data
: > trace
"$TAPEFS" vtape inject $ia unreadable $(( $(block $LA $fu) + 1 ))
check "unreadable copy on $LA: right bytes from $LB" cmp src/d1/f1.bin $M/tapes/$LA/0001/d1/f1.bin
check "$LA tried first, then $LB" sh -c "grep -q '^$LA read' trace && grep -q '^$LB read' trace"
"$TAPEFS" vtape inject $ib flip $(( $(block $LB $ff) + 1 )) 100
check "flipped copy on $LB: right bytes from $LA" cmp src/d1/f2.bin $M/tapes/$LB/0001/d1/f2.bin
"$TAPEFS" vtape inject $ia unreadable $(( $(block $LA $fx) + 2 ))
"$TAPEFS" vtape inject $ib flip $(( $(block $LB $fx) + 2 )) 7
check_fails "every copy bad: EIO" "Input/output error" cat $fx
check ".status names the file and both tapes" sh -c \
	"grep -i 'recall' $M/.status | grep 'd1/f3.bin' | grep $LA | grep -q $LB"
check_eq "the failed file is offline" archived "$(state $fx)"
check "daemon still up" stat -c %n $M/.status
"$TAPEFS" vtape inject $ia clear

check "unmount" tf_umount mnt
