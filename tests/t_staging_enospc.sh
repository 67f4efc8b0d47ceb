# A staged file whose write failed is never archived as if complete: with
# staging/ on a 2 MiB tmpfs, a 4 MiB copy fails with ENOSPC and leaves a
# partial file; `.status` names it (under its new name after a rename),
# dumps leave it staged, a remount still holds it back (the mark it
# carries on the staging disk, which no user sees, sets or removes through
# the mount), and only once it is written again completely and closed
# cleanly is it eligible and archived with the new bytes, its mark gone.
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

# The mark is on the staging disk, out of users' reach through the mount.
check_eq "the partial file carries the mark on disk" 1 "$(getfattr --only-values -n trusted.tapefs.partial stg/big2.bin 2>/dev/null)"
check_eq "the mount does not list it" "" "$(getfattr -d -m - mnt/staging/big2.bin 2>/dev/null | grep tapefs.partial)"
check_fails "nor shows it" "No such attribute" getfattr -n trusted.tapefs.partial mnt/staging/big2.bin
check_fails "nor lets it be removed" "Operation not permitted" setfattr -x trusted.tapefs.partial mnt/staging/big2.bin
touch mnt/staging/empty.txt
check_fails "nor set on another file" "Operation not permitted" setfattr -n trusted.tapefs.partial -v 1 mnt/staging/empty.txt
rm -f mnt/staging/empty.txt
check "another attribute of the user's still works" setfattr -n user.note -v x mnt/staging/big2.bin
check_eq "and lists" "user.note" "$(getfattr -d -m - mnt/staging/big2.bin 2>/dev/null | grep -o '^user.note')"

# A remount still holds it back: nothing in memory, the mark on disk.
tf_umount mnt
check "remount" tf_mount tapefs.ini mnt
for _ in $(seq 100); do grep -q '(big2.bin)' mnt/.status && break; sleep 0.1; done
check ".status names it after the remount" grep -q '^staged_write_failed: 1 (big2.bin)' mnt/.status
echo "now big2.bin" > mnt/.dump
for _ in $(seq 100); do grep -q "nothing to dump in 'big2.bin'" mnt/.dump && break; sleep 0.1; done
check "now big2.bin after the remount: nothing to dump" grep -q "nothing to dump in 'big2.bin'" mnt/.dump
check "not archived" test ! -e mnt/archive/big2.bin

# Written again completely (1 MiB fits) and closed cleanly: eligible.
head -c $((1 << 20)) /dev/urandom > new-src.bin
check "rewritten" cp new-src.bin mnt/staging/big2.bin
for _ in $(seq 50); do grep -q '^staged_write_failed' mnt/.status || break; sleep 0.1; done
check ".status no longer names it" sh -c "! grep -q '^staged_write_failed' mnt/.status"
check_fails "the mark is gone from the disk" "No such attribute" getfattr -n trusted.tapefs.partial stg/big2.bin
echo now > mnt/.dump
check "the next dump commits (the first since the remount)" tf_wait_dumps 1
check_eq "archived with the new bytes" "$(md5sum < new-src.bin | cut -d' ' -f1)" \
	"$(getfattr --only-values -n user.tapefs.md5 mnt/archive/big2.bin)"
check_eq "staging empty" "" "$(ls -A stg)"
tf_umount mnt
