# Faults while dumping: a tape whose writes fail after a few MB and a
# write-protected tape: the copy goes to another tape of the pool, .status
# says why, nothing is lost. An unmount in the middle of a dump leaves the
# files staged; the next mount dumps them.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 6 --capacity 128M --pools 2 -- copies=2 pools=A,B block_size=64K
"$TAPEFS" vtape inject lib/tapes/A00001L9.vtape write-fail 3000000
"$TAPEFS" vtape inject lib/tapes/B00001L9.vtape protect on
check "mount" tf_mount tapefs.ini mnt
head -c $((8 << 20)) /dev/urandom > src.bin
cp src.bin mnt/staging/data.bin
echo now > mnt/.dump
check "dump committed despite the faults" tf_wait_dumps 1
check_eq "copies on the next tapes" "A00002L9:1,B00002L9:1" "$(tf_last_tapes)"
check ".status: the write error" grep -q 'A00001L9: write: Input/output error' mnt/.status
check ".status: the protected tape" grep -q 'tape B00001L9: write-protected; tape closed' mnt/.status
check "archive/: bytes" cmp src.bin mnt/archive/data.bin
check_eq "staging empty" "" "$(ls -A stg)"
tf_umount mnt

# Unmount during a slow dump: the daemon stops within seconds, and the
# file is either still staged (the dump abandoned) or committed whole (the
# writer had already produced the whole archive and only the drives'
# buffers were draining): never lost, never half-committed.
tf_set_rate 4
check "mount (slow drives)" tf_mount tapefs.ini mnt
head -c $((16 << 20)) /dev/urandom > src2.bin
cp src2.bin mnt/staging/slow.bin
echo now > mnt/.dump
for i in $(seq 100); do grep -q '^drive[01]: writing' mnt/.status && break; sleep 0.1; done
check "dump writing" grep -q '^state: running' mnt/.dump
t0=$SECONDS
tf_umount mnt
check "daemon gone within 10 s" test $((SECONDS - t0)) -le 10
check "daemon exited" bash -c "! kill -0 $TF_PID 2>/dev/null"
tf_set_rate 0
check "mount again" tf_mount tapefs.ini mnt
if [ -e stg/slow.bin ]; then
	check "slow.bin still staged, whole" cmp src2.bin stg/slow.bin
	echo now > mnt/.dump
	check "dumped on the next mount" tf_wait_dumps 1
else
	check "slow.bin committed before the stop" test -f mnt/archive/slow.bin
fi
check "archive/: slow.bin" cmp src2.bin mnt/archive/slow.bin
check_eq "staging empty" "" "$(ls -A stg)"
tf_umount mnt
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini
