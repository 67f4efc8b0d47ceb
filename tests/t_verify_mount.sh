# `.verify` on a real mount over a 2-drive virtual library:
#  - `all` verifies every copy, both drives reading at the same time (their
#    reads interleave in the vtape trace), every member's MD5 as md5sum says;
#  - a byte flipped in one member on one tape: exactly that member BAD on
#    exactly that tape; an unreadable record inside another member on the
#    other tape: exactly that member UNREADABLE; the run finishes;
#  - `sample 25` reads 25% (+-1) of each archive and at least one;
#  - malformed requests fail with EINVAL, .verify says why, daemon stays up;
#  - a run cut by an unmount is "interrupted" after remount and
#    `unverified` picks up what it did not do; so is one whose daemon was
#    killed with SIGKILL.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 6 --capacity 256M --pools 2 -- copies=2 pools=A,B
export TAPEFS_VTAPE_TRACE="$PWD/trace"

# dump_dir DIR N: copy src/DIR into staging, dump it, wait for commit N.
dump_dir() { cp -a "src/$1" mnt/staging/ && echo now > mnt/.dump && tf_wait_dumps "$2" 30; }
block_of() { # PATH LABEL -> the tape block of PATH's header on LABEL
	getfattr --only-values -n user.tapefs.copies "mnt/archive/$1" | tr ',' '\n' |
		sed -n "s/^$2:[0-9]*://p"
}

mkdir -p src/d1 src/d2 src/d3
for i in $(seq 30); do head -c $((i * 997 % 20000 + 1)) /dev/urandom > "src/d1/f$i"; done
printf 'a name\nwith a newline' > "src/d1/new
line"
head -c $((1 << 20)) /dev/urandom > src/d1/big1
head -c $((1 << 20)) /dev/urandom > src/d1/big2
echo one > src/d2/x1
echo two > src/d2/x2
for i in 1 2 3; do head -c $((1 << 20)) /dev/urandom > "src/d3/m$i"; done
n1=$(find src/d1 -type f -printf . | wc -c)
# "md5 path" of every file of d1 and d2, as the results list them (a
# newline in a name is written \n)
(cd src && find d1 d2 -type f -print0 | while IFS= read -r -d '' p; do
	printf '%s %s\n' "$(md5sum < "$p" | cut -d' ' -f1)" "${p//$'\n'/\\n}"
done | sort) > want.txt

check "mount" tf_mount tapefs.ini mnt
check "dump d1" dump_dir d1 1
check "dump d2" dump_dir d2 2

# ---- all, on both drives at once -------------------------------------------
tf_set_rate 3
: > trace
run=$(tf_verify all)
check "all: run ends" test -n "$run"
s=mnt/verify/$run/summary
check_eq "all: state" done "$(tf_field state "$s")"
check_eq "all: tapes" 2 "$(tf_field tapes "$s")"
check_eq "all: archives" 4 "$(tf_field archives "$s")"
check_eq "all: members" $((2 * (n1 + 2))) "$(tf_field members "$s")"
check_eq "all: ok" $((2 * (n1 + 2))) "$(tf_field ok "$s")"
check_eq "all: bad" 0 "$(tf_field bad "$s")"
check_eq "all: unreadable" 0 "$(tf_field unreadable "$s")"
check "all: MB/s per drive" grep -q '^drive1: [0-9.]* MB/s' "$s"
for t in A00001L9 B00001L9; do
	sed -n 's/^OK //p' "mnt/verify/$run/$t" | sort > "got-$t.txt"
	check "all: $t lists every member OK with its md5sum" diff want.txt "got-$t.txt"
	check "all: tapes/$t/.status shows the verification" \
		grep -q '^copies_verified: 2/2' "mnt/tapes/$t/.status"
done
check_eq "all: no failures" "" "$(cat "mnt/verify/$run/failures")"
# A result file is read in parts: any offset and size gives its bytes.
f=mnt/verify/$run/A00001L9
check "a result file read 7 bytes at a time is the same" \
	cmp <(cat "$f") <(dd if="$f" bs=7 status=none)
check "a result file read at random offsets, backwards too" python3 - "$f" <<'EOF2'
import os, random, sys
p = sys.argv[1]
whole = open(p, "rb").read()
assert len(whole) > 200, len(whole)
fd = os.open(p, os.O_RDONLY)
r = random.Random(5)
for i in range(300):
    off, n = r.randrange(len(whole) + 20), r.randrange(1, 300)
    assert os.pread(fd, n, off) == whole[off:off + n], (off, n)
EOF2
# Both drives read at once: their reads interleave in the trace.
switches=$(awk '$2 == "read" { if (last != "" && $1 != last) n++; last = $1 } END { print n + 0 }' trace)
check "all: both drives read at the same time ($switches switches)" test "$switches" -ge 4
check_eq "verify/latest" "$run" "$(readlink mnt/verify/latest)"
check "all: .status idle again" grep -q '^verify: idle' mnt/.status

# ---- faults ----------------------------------------------------------------------
tf_set_rate 0
bA=$(block_of d1/big2 A00001L9)
bB=$(block_of d1/big1 B00001L9)
check "where big1/big2 are" test -n "$bA" -a -n "$bB"
check "flip a byte of big1 on B" "$TAPEFS" vtape inject lib/tapes/B00001L9.vtape flip $((bB + 2)) 1000
check "unreadable record in big2 on A" "$TAPEFS" vtape inject lib/tapes/A00001L9.vtape unreadable $((bA + 2))
run=$(tf_verify all)
s=mnt/verify/$run/summary
check_eq "faults: state" done "$(tf_field state "$s")"
check_eq "faults: ok" $((2 * (n1 + 2) - 2)) "$(tf_field ok "$s")"
check_eq "faults: bad" 1 "$(tf_field bad "$s")"
check_eq "faults: unreadable" 1 "$(tf_field unreadable "$s")"
check_eq "faults: B's only failure" "BAD d1/big1" \
	"$(grep -v '^OK ' "mnt/verify/$run/B00001L9" | awk '{ print $1, $3 }')"
check_eq "faults: A's only failure" "UNREADABLE - d1/big2" \
	"$(grep -v '^OK ' "mnt/verify/$run/A00001L9" | cut -d' ' -f1-3)"
badmd5=$(awk '$1 == "BAD" { print $2 }' "mnt/verify/$run/B00001L9")
check "faults: the BAD md5 is what the tape holds, not the file's" \
	test "$badmd5" != "$(md5sum < src/d1/big1 | cut -d' ' -f1)" -a ${#badmd5} -eq 32
check_eq "faults: failures lists both" "A00001L9 UNREADABLE d1/big2
B00001L9 BAD d1/big1" "$(awk '{ print $1, $2, $4 }' "mnt/verify/$run/failures")"
check "faults: B's copy is marked failed" grep -q '^copies_failed_verify: 1' mnt/tapes/B00001L9/.status

# ---- sample 25 ------------------------------------------------------------------
: > trace
run=$(tf_verify 'sample 25')
check_eq "sample: state" done "$(tf_field state "mnt/verify/$run/summary")"
want=$(( (n1 * 25 + 50) / 100 ))
for t in A00001L9 B00001L9; do
	k1=$(grep -c ' d1/' "mnt/verify/$run/$t")
	k2=$(grep -c ' d2/' "mnt/verify/$run/$t")
	check "sample: $t: 25% of d1 ($k1 of $n1, want $want +-1)" \
		test "$k1" -ge $((want - 1)) -a "$k1" -le $((want + 1))
	check_eq "sample: $t: one of the 2 files of d2" 1 "$k2"
done
reads=$(awk '$2 == "read"' trace | wc -l)
check "sample: reads only some records ($reads)" test "$reads" -lt 40

# ---- malformed requests -----------------------------------------------------
for r in "" "everything" "sample 0" "sample 101" "sample x" "tape NOPE0001" \
	"all now" "tape"; do
	check_fails "refused: [$r]" "Invalid argument" bash -c "echo '$r' > mnt/.verify"
done
check "refusal explained" grep -q "^reason: unknown label 'NOPE0001'\|^reason: 'tape' needs" mnt/.verify
check_fails "refused: 10 KB of garbage" "Invalid argument" \
	bash -c "head -c 7680 /dev/urandom | base64 -w0 > mnt/.verify"
check_fails "refused: binary garbage" "Invalid argument" \
	bash -c "head -c 10240 /dev/urandom > mnt/.verify"
check ".verify shows the grammar" grep -q '^  sample PCT' mnt/.verify
check_fails "cancel with nothing running" "No such process" bash -c "echo cancel > mnt/.verify"
check "daemon still up" kill -0 "$TF_PID"
check "and answers" grep -q '^verify: idle' mnt/.status

# ---- interrupted by an unmount, picked up by `unverified` --------------------
check "dump d3" dump_dir d3 3
tf_set_rate 1
echo unverified > mnt/.verify
run=$(readlink mnt/verify/latest)
sleep 0.7
check "a run is going" grep -q '^verify: run' mnt/.status
tf_umount mnt
check "daemon exited" test ! -e "/proc/$TF_PID"
tf_set_rate 0
check "remount" tf_mount tapefs.ini mnt
check_eq "cut run is interrupted" interrupted "$(tf_field state "mnt/verify/$run/summary")"
cut_ok=$(tf_field ok "mnt/verify/$run/summary")
run2=$(tf_verify unverified)
check_eq "unverified: done" done "$(tf_field state "mnt/verify/$run2/summary")"
m2=$(tf_field members "mnt/verify/$run2/summary")
check "unverified: picked up the rest ($cut_ok + $m2)" test "$m2" -gt 0 -a $((m2 + cut_ok)) -ge 6
run3=$(tf_verify unverified)
check_eq "unverified: nothing left" 0 "$(tf_field members "mnt/verify/$run3/summary")"

# ---- the daemon killed during a run ------------------------------------------
tf_set_rate 1
echo all > mnt/.verify
run=$(readlink mnt/verify/latest)
sleep 0.5
kill -9 "$TF_PID"
sleep 0.2
fusermount3 -u mnt 2>/dev/null || umount -l mnt 2>/dev/null
tf_set_rate 0
check "remount after kill -9" tf_mount tapefs.ini mnt
check_eq "killed run is interrupted" interrupted "$(tf_field state "mnt/verify/$run/summary")"
check "idle after the kill" grep -q '^verify: idle' mnt/.status
run4=$(tf_verify all)
check_eq "a new run after the kill" done "$(tf_field state "mnt/verify/$run4/summary")"
tf_umount mnt
