# Repair over a real mount (2 drives, pools A and B, 2 copies):
#  - a byte flipped in one copy: verify finds 1 BAD; `repair` rewrites that
#    copy from the good one onto another tape of its pool, tape to tape;
#    verify all then finds 0 bad, every archive has 2 good copies, the new
#    one on another tape of the pool, user.tapefs.copies names it and not
#    the bad one, and the files read back with their MD5;
#  - `repair LABEL` repairs only the bad copies on LABEL;
#  - a source that turns out bad while copying (its byte flipped after the
#    last verification) is marked bad and the next good copy is read (a
#    third copy added with `copy C`);
#  - malformed requests fail with EINVAL and .status says why.
. "$TOP/tests/lib.sh"
. "$TOP/tests/lib_lifecycle.sh"

tf_setup --drives 2 --slots 12 --capacity 256M --pools 3 -- copies=2 pools=A,B

block_of() { # PATH LABEL -> the tape block of PATH's header on LABEL
	getfattr --only-values -n user.tapefs.copies "mnt/archive/$1" | tr ',' '\n' |
		sed -n "s/^$2:[0-9]*://p"
}
copies_of() { getfattr --only-values -n user.tapefs.copies "mnt/archive/$1"; }
flip() { # LABEL PATH OFFSET: flip a byte OFFSET bytes into PATH's data on LABEL
	local b
	b=$(block_of "$2" "$1")
	"$TAPEFS" vtape inject "lib/tapes/$1.vtape" flip $((b + 1)) "$3"
}
md5_ok() { [ "$(md5sum < "mnt/archive/$1" | cut -d' ' -f1)" = "$(md5sum < "src/$1" | cut -d' ' -f1)" ]; }

mkdir -p src/d1 src/d2
for i in $(seq 12); do head -c $((i * 7919 % 30000 + 1)) /dev/urandom > "src/d1/f$i"; done
head -c $((3 << 20)) /dev/urandom > src/d1/big
head -c $((2 << 20)) /dev/urandom > src/d2/big2
echo small > src/d2/small

check "mount" tf_mount tapefs.ini mnt
check "dump d1" tf_dump_dir d1
check "dump d2" tf_dump_dir d2
check_eq "d1 on A00001L9 and B00001L9" 2 "$(copies_of d1/big | tr ',' '\n' | grep -c '^[AB]00001L9:')"

# ---- malformed requests --------------------------------------------------------
for r in "repair NOPE0001" "repair A00001L9 B00001L9" "copy" "copy Z" "copy A B" "repairs" "copy  "; do
	check_fails "refused: [$r]" "Invalid argument" bash -c "echo '$r' > mnt/.library"
done
check "refusal explained" grep -q "repair: unknown label 'NOPE0001'" mnt/.status

# ---- a flipped byte, verify, repair --------------------------------------------
check "flip a byte of d1/big on A00001L9" flip A00001L9 d1/big 100
run=$(tf_verify all)
check_eq "verify: 1 bad" 1 "$(tf_field bad "mnt/verify/$run/summary")"
check_eq "verify: the bad member" "A00001L9 BAD d1/big" "$(awk '{ print $1, $2, $4 }' "mnt/verify/$run/failures")"
check "repair queued" bash -c "echo repair > mnt/.library"
res=$(wait_life)
check_eq "repair: outcome" "repair: 1 of 1 archives copied, 0 failed" "${res%, * bytes}"
check "repair: the bytes of the archive ($res)" test "$(echo "$res" | awk '{ print $(NF - 1) }')" -gt $((3 << 20))
echo "# $res"
cp=$(copies_of d1/big)
echo "# copies of d1/big: $cp"
check_eq "d1/big: 2 copies listed" 2 "$(echo "$cp" | tr ',' '\n' | wc -l)"
check "d1/big: the bad copy is not listed" bash -c "! echo '$cp' | grep -q A00001L9"
check "d1/big: the new copy is on another tape of pool A" bash -c "echo '$cp' | grep -q 'A0000[2-9]L9:1:'"
check "d1/big: still on B00001L9" bash -c "echo '$cp' | grep -q 'B00001L9:1:'"
run=$(tf_verify all)
s=mnt/verify/$run/summary
check_eq "verify after repair: state" done "$(tf_field state "$s")"
check_eq "verify after repair: 0 bad" 0 "$(tf_field bad "$s")"
check_eq "verify after repair: 0 unreadable" 0 "$(tf_field unreadable "$s")"
check_eq "verify after repair: 4 good copies (2 archives x 2)" 4 "$(tf_field archives "$s")"
check "every d1 file reads back" bash -c 'for f in src/d1/*; do f=${f#src/}; [ "$(md5sum < mnt/archive/$f)" = "$(md5sum < src/$f)" ] || exit 1; done'
check "the error log names no failure" bash -c "! grep -q 'got no copy' mnt/.status"

# ---- repair LABEL: only that tape's bad copies ------------------------------------
check "flip a byte of d2/big2 on B00001L9" flip B00001L9 d2/big2 5000
run=$(tf_verify all)
check_eq "verify: 1 bad on B" "B00001L9 BAD d2/big2" "$(awk '{ print $1, $2, $4 }' "mnt/verify/$run/failures")"
check "repair A00001L9 queued" bash -c "echo 'repair A00001L9' > mnt/.library"
check_eq "repair A00001L9: nothing to do" "repair A00001L9: 0 of 0 archives copied, 0 failed, 0 bytes" "$(wait_life)"
check "repair B00001L9 queued" bash -c "echo 'repair B00001L9' > mnt/.library"
check "repair B00001L9: 1 copied" bash -c "wait_life() { for _ in \$(seq 600); do grep -q '^lifecycle: ' mnt/.library || { grep -q '^last_lifecycle: repair B00001L9: 1 of 1 archives copied, 0 failed' mnt/.library && return 0; }; sleep 0.1; done; return 1; }; wait_life"
check "d2/big2 not on B00001L9 any more" bash -c "! getfattr --only-values -n user.tapefs.copies mnt/archive/d2/big2 | grep -q B00001L9"
check "d2/big2 reads back" md5_ok d2/big2

# ---- a source found bad while copying: the next one is read --------------------------
check "copy C queued" bash -c "echo 'copy C' > mnt/.library"
res=$(wait_life)
check_eq "copy C: both archives" "copy C: 2 of 2 archives copied, 0 failed" "${res%, * bytes}"
cp=$(copies_of d1/big)
echo "# copies of d1/big: $cp"
check_eq "d1/big: 3 copies" 3 "$(echo "$cp" | tr ',' '\n' | wc -l)"
check "d1/big: one on C00001L9" bash -c "echo '$cp' | grep -q 'C00001L9:1:'"
bad=$(copies_of d1/big | tr ',' '\n' | sed -n 's/^\(A0000[0-9]L9\):.*/\1/p')
check "flip d1/big on $bad (verified)" flip "$bad" d1/big 7
run=$(tf_verify "tape $bad")
check_eq "verify $bad: 1 bad" 1 "$(tf_field bad "mnt/verify/$run/summary")"
# B's copy goes bad silently: the repair reads it first (lowest copy id),
# finds the MD5 wrong, marks it bad and reads C's.
check "flip d1/big on B00001L9 (not verified)" flip B00001L9 d1/big 9
check "repair queued" bash -c "echo repair > mnt/.library"
res=$(wait_life)
echo "# $res"
check_eq "repair: the copy was made" "repair: 1 of 1 archives copied, 0 failed" "${res%, * bytes}"
check "the error log says B's copy was bad" grep -q "MD5 differs from the catalog's: d1/big" mnt/.status
check "repair queued again (B's copy)" bash -c "echo repair > mnt/.library"
res=$(wait_life)
check_eq "repair: B's copy rewritten" "repair: 1 of 1 archives copied, 0 failed" "${res%, * bytes}"
run=$(tf_verify all)
s=mnt/verify/$run/summary
check_eq "verify all: 0 bad" 0 "$(tf_field bad "$s")"
check_eq "verify all: 6 good copies" 6 "$(tf_field archives "$s")"
check_eq "d1/big: 3 copies, none on the bad tapes" 3 "$(copies_of d1/big | tr ',' '\n' | grep -vc "^$bad:\|^B00001L9:")"
check "d1/big reads back" md5_ok d1/big
check "daemon alive" test -r mnt/.status
tf_umount mnt

# ---- [verify] repair = auto: the damage a verification finds is repaired --------------
tf_config tapefs.ini copies=2 pools=A,B verify.repair=auto
check "mount with repair = auto" tf_mount tapefs.ini mnt
check_eq "tapefs config shows it" "repair = auto" "$("$TAPEFS" config -c tapefs.ini | grep '^repair')"
t=$(copies_of d1/big | tr ',' '\n' | sed -n 's/^\(C0000[0-9]L9\):.*/\1/p')
check "flip d1/big on $t" flip "$t" d1/big 3
run=$(tf_verify all)
check_eq "verify: 1 bad" 1 "$(tf_field bad "mnt/verify/$run/summary")"
res=$(wait_life)
check_eq "repair followed by itself" "repair: 1 of 1 archives copied, 0 failed" "${res%, * bytes}"
run=$(tf_verify all)
check_eq "verify all: 0 bad" 0 "$(tf_field bad "mnt/verify/$run/summary")"
check "d1/big not on $t any more" bash -c "! getfattr --only-values -n user.tapefs.copies mnt/archive/d1/big | grep -q $t"
tf_umount mnt
tf_config tapefs.ini copies=2 pools=A,B verify.repair=sometimes
check_fails "repair = sometimes refused" "repair: 'sometimes' is not auto or no" \
	"$TAPEFS" config -c tapefs.ini
tf_config tapefs.ini copies=2 pools=A,B
check "tapefs fsck clean" "$TAPEFS" fsck -c tapefs.ini
