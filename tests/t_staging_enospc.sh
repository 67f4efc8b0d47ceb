# A staged file whose write failed is never archived as if complete: with
# staging/ on a 2 MiB tmpfs, a 4 MiB copy fails with ENOSPC and leaves a
# partial file; `.status` names it (under its new name after a rename),
# dumps leave it staged, and only once it is written again completely and
# closed cleanly is it eligible and archived with the new bytes.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 4 --capacity 256M --pools 1 -- copies=1 pools=A block_size=64K
check "staging on a 2 MiB tmpfs" tf_tmpfs stg 2m
check "mount" tf_mount tapefs.ini mnt

echo small > mnt/staging/good.txt
head -c $((4 << 20)) /dev/urandom > big-src.bin
check_fails "a 4 MiB write to a 2 MiB staging fails" "No space left on device" \
	dd if=big-src.bin of=mnt/staging/big.bin bs=64k status=none
partial=$(stat -c %s stg/big.bin)
check "the partial file is there (${partial} bytes)" test "$partial" -gt 0 -a "$partial" -lt $((4 << 20))
check ".status names it" grep -q '^staged_write_failed: 1 (big.bin): a write failed' mnt/.status
check ".dump too" grep -q '^write_failed: 1 (big.bin)' mnt/.dump
check "the daemon's log says why" grep -q "a write to 'big.bin' failed: it is not dumped until it is written again" tapefs.log

echo now > mnt/.dump
check "a dump commits" tf_wait_dumps 1
check "good.txt archived" test -f mnt/archive/good.txt
check "the partial file is not archived" test ! -e mnt/archive/big.bin
check_eq "it is still staged, as it was" "$partial" "$(stat -c %s stg/big.bin)"

# Renamed, it is still held back, and named as it is now.
mv mnt/staging/big.bin mnt/staging/big2.bin
for _ in $(seq 100); do grep -q '(big2.bin)' mnt/.status && break; sleep 0.1; done
check ".status follows the rename" grep -q '^staged_write_failed: 1 (big2.bin)' mnt/.status
echo "now big2.bin" > mnt/.dump
for _ in $(seq 100); do grep -q "nothing to dump in 'big2.bin'" mnt/.dump && break; sleep 0.1; done
check "now big2.bin: nothing to dump" grep -q "nothing to dump in 'big2.bin'" mnt/.dump
check "still not archived" test ! -e mnt/archive/big2.bin

# Written again completely (1 MiB fits) and closed cleanly: eligible.
head -c $((1 << 20)) /dev/urandom > new-src.bin
check "rewritten" cp new-src.bin mnt/staging/big2.bin
for _ in $(seq 50); do grep -q '^staged_write_failed' mnt/.status || break; sleep 0.1; done
check ".status no longer names it" sh -c "! grep -q '^staged_write_failed' mnt/.status"
echo now > mnt/.dump
check "the next dump commits" tf_wait_dumps 2
check_eq "archived with the new bytes" "$(md5sum < new-src.bin | cut -d' ' -f1)" \
	"$(getfattr --only-values -n user.tapefs.md5 mnt/archive/big2.bin)"
check_eq "staging empty" "" "$(ls -A stg)"
tf_umount mnt
