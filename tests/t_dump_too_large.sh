# A file larger than any tape: on 16 MiB tapes a 20 MiB file beside small
# ones stays staged with state too_large (user.tapefs.state, .dump and
# .status naming it and the sizes) while the small ones dump in the same
# `now`; no tape is marked full, the scratch count drops only by the tapes
# the small ones took, dumps never pause for it, and `now` of it alone
# says why nothing was dumped.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 8 --capacity 16M --pools 2 -- copies=2 pools=A,B
check "mount" tf_mount tapefs.ini mnt
scratch0=$(tf_field tapes_scratch mnt/.status)
mkdir -p src mnt/staging/run
head -c $((20 << 20)) /dev/urandom > src/big.bin
for i in 1 2 3; do head -c 100000 /dev/urandom > src/small$i.bin; done
cp src/big.bin mnt/staging/run/big.bin
for i in 1 2 3; do cp src/small$i.bin mnt/staging/run/small$i.bin; done
echo now > mnt/.dump
check "the small ones dump" tf_wait_dumps 1
for i in 1 2 3; do check "small$i archived" cmp src/small$i.bin mnt/archive/run/small$i.bin; done
check "the big one stays staged" cmp src/big.bin stg/run/big.bin
check "the big one is not archived" test ! -e mnt/archive/run/big.bin
check_eq "user.tapefs.state: too_large" "too_large" \
	"$(getfattr --only-values -n user.tapefs.state mnt/staging/run/big.bin)"
check ".dump names it and the sizes" \
	grep -q "^too_large: 1 (run/big.bin (20971520 bytes)): larger than any tape takes ([0-9]* bytes); stays staged" mnt/.dump
check ".status names it" grep -q "^staged_too_large: 1 (run/big.bin (20971520 bytes))" mnt/.status
check "an error line says so" grep -q "run/big.bin' (20971520 bytes) is larger than any tape" mnt/.status
check "no tape marked full" test -z "$(grep -l '^state: full' mnt/tapes/*/.status)"
check_eq "scratch tapes: two fewer (one per copy)" "$((scratch0 - 2))" "$(tf_field tapes_scratch mnt/.status)"
check_eq "pending: nothing eligible" "0" "$(tf_field pending_files mnt/.dump)"

# It never blocks: more small files dump, again and again, with no pause.
for n in 1 2 3 4; do
	echo "round $n" > mnt/staging/run/more$n.txt
	echo now > mnt/.dump
	check "dump $((n + 1)) with the big one still staged" tf_wait_dumps $((n + 1))
done
check_eq "no pause" "" "$(grep '^paused' mnt/.dump)"
check_eq "more4.txt archived" "round 4" "$(cat mnt/archive/run/more4.txt)"
check_eq "scratch count still two fewer" "$((scratch0 - 2))" "$(tf_field tapes_scratch mnt/.status)"

# now PATH of it alone: nothing to dump, and why.
check_fails "now run/big.bin: refused" "File too large" bash -c 'echo "now run/big.bin" > mnt/.dump'
for _ in $(seq 50); do grep -q 'too_large' mnt/.dump && grep -q '^last_error: .*larger than any tape' mnt/.dump && break; sleep 0.1; done
check ".dump says why" grep -q '^last_error: .*run/big.bin.*larger than any tape' mnt/.dump
check_eq "no pause" "" "$(grep '^paused' mnt/.dump)"

# Made small, it dumps.
truncate -s 1000 mnt/staging/run/big.bin
echo now > mnt/.dump
check "truncated, it dumps" tf_wait_dumps 6
check_eq "its size on archive/" "1000" "$(stat -c %s mnt/archive/run/big.bin)"
check "no too_large any more" test -z "$(grep "^too_large" mnt/.dump)"
tf_umount mnt
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini
