# A pool out of room: the only tape cannot take the next archive and there
# is no scratch tape left; the dump fails with a clear reason in .dump and
# .status, every file stays in staging/, and the daemon stays up.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 3 --tapes 1 --capacity 8M --pools 1 -- copies=1 pools=A block_size=64K
check "mount" tf_mount tapefs.ini mnt
head -c $((6 << 20)) /dev/urandom > src1.bin
head -c $((3 << 20)) /dev/urandom > src2.bin
cp src1.bin mnt/staging/one.bin
echo now > mnt/.dump
for i in $(seq 200); do grep -q '^dumps_committed: 1' mnt/.dump && break; sleep 0.1; done
check "first dump fits" grep -q '^dumps_committed: 1' mnt/.dump
cp src2.bin mnt/staging/two.bin
echo now > mnt/.dump
for i in $(seq 200); do grep -q '^last_error: .*no tape' mnt/.dump && break; sleep 0.1; done
check ".dump says the pool has no room" grep -q '^last_error: .*no tape with [0-9]* bytes free in pool A' mnt/.dump
check ".status says so too" grep -q '^dump_error: .*no tape' mnt/.status
check_eq "nothing more committed" "1" "$(sed -n 's/^dumps_committed: //p' mnt/.dump)"
check "two.bin still staged" cmp src2.bin stg/two.bin
check "one.bin archived" cmp src1.bin mnt/archive/one.bin
check "daemon up" kill -0 "$TF_PID"
tf_umount mnt
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini
