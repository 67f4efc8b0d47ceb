# A cartridge smaller than the catalog says (its early warning comes long
# before the 1% the catalog keeps): an archive sized for it reaches early
# warning on an empty tape. That tape is not marked full - neither is any
# other scratch tape of the pool - its capacity is lowered to what it
# took, and the dump is cut again to fit; every byte is archived.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 8 --capacity 16M --pools 2 -- copies=2 pools=A,B
# Every A tape: early warning 4 MiB before the end (at 12 MiB).
for t in lib/tapes/A*.vtape; do
	printf '\x00\x00\x40\x00\x00\x00\x00\x00' | dd of="$t" bs=1 seek=72 conv=notrunc 2>/dev/null
done
check_eq "A00001L9's early warning moved" "4194304" \
	"$("$TAPEFS" vtape info lib/tapes/A00001L9.vtape | sed -n 's/^early_warning: //p')"
check "mount" tf_mount tapefs.ini mnt
scratch0=$(tf_field tapes_scratch mnt/.status)
mkdir -p src/run mnt/staging/run
for i in $(seq -w 1 14); do head -c $((1 << 20)) /dev/urandom > src/run/f$i.bin; done
cp src/run/* mnt/staging/run/
echo now > mnt/.dump
check "the dump ends in two archives" tf_wait_dumps 2 120
check "no tape marked full" test -z "$(grep -l '^state: full' mnt/tapes/*/.status)"
check ".status says the tape was smaller" grep -q "A0000[0-9]L9 reached early warning after [0-9]* bytes.*capacity now" mnt/.status
check_eq "no pause" "" "$(grep '^paused' mnt/.dump)"
n=0
for i in $(seq -w 1 14); do cmp -s src/run/f$i.bin mnt/archive/run/f$i.bin && n=$((n + 1)); done
check_eq "every file archived" "14" "$n"
check_eq "no file left in staging/" "" "$(find stg -type f)"
check_eq "scratch tapes: four fewer (two per copy)" "$((scratch0 - 4))" "$(tf_field tapes_scratch mnt/.status)"
check "A00003L9 never written" test "$("$TAPEFS" vtape info lib/tapes/A00003L9.vtape | sed -n 's/^filemarks: //p')" -le 1
tf_umount mnt
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini
