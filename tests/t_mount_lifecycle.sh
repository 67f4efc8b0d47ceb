# Start and stop: SIGTERM unmounts cleanly; an unmount in the middle of a
# dump loses nothing (the files stay staged and dump at the next mount);
# staged files survive a remount.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 6 --capacity 64M --pools 2
check "mount" tf_mount tapefs.ini mnt
mkdir -p mnt/staging/set
for i in 1 2 3; do head -c 2000000 /dev/urandom > src$i; cp src$i mnt/staging/set/f$i; done

# SIGTERM: the daemon unmounts and exits, also with files and directories
# still open (the handles it holds are given back: make asan's leak check)
exec 3<mnt/.status 4<mnt/staging/set/f1 5>>mnt/staging/set/f2 6<mnt/staging/set 7<mnt/tapes
kill -TERM "$TF_PID"
n=100; while kill -0 "$TF_PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n-1)); done
check "SIGTERM: the daemon exited" test ! -e /proc/$TF_PID
exec 3<&- 4<&- 5>&- 6<&- 7<&-
check "SIGTERM: unmounted" sh -c "! grep -q ' $(pwd)/mnt ' /proc/mounts"
check_eq "staged files survive" "f1 f2 f3" "$(ls stg/set | paste -sd' ')"
check "f2, open for writing at the unmount, keeps its bytes" cmp src2 stg/set/f2

# remount: the files are pending; unmount during their dump. The drives
# write 10 kB/s: the dump of 6 MB would take 10 minutes, so the unmount
# lands in its middle however slowly this script gets there (the daemon
# abandons the dump at once: it waits for no drive)
tf_set_rate 0.01
check "mount again" tf_mount tapefs.ini mnt
check_eq "staged files seen after remount" "f1 f2 f3" "$(ls mnt/staging/set | paste -sd' ')"
echo now > mnt/.dump
n=600; while ! grep -q "^state: running\|^dump: running" mnt/.status mnt/.dump && [ $n -gt 0 ]; do sleep 0.05; n=$((n-1)); done
check "a dump is running" grep -q "running" mnt/.dump
check_eq "a file being dumped says so" "dumping" \
	"$(getfattr --only-values -n user.tapefs.state mnt/staging/set/f1 2>/dev/null)"
check_eq "and dmstate MIG" "MIG" \
	"$(getfattr --only-values -n user.tapefs.dmstate mnt/staging/set/f1 2>/dev/null)"
t0=$SECONDS
tf_umount mnt
check "unmount during a dump: the daemon exited" test ! -e /proc/$TF_PID
check "it exited promptly" test $((SECONDS - t0)) -le 15
check_eq "the files are still staged" "f1 f2 f3" "$(ls stg/set 2>/dev/null | paste -sd' ')"

# the next mount dumps them; nothing lost, nothing twice (the drives need
# no longer be slow: nothing below lands in the middle of anything)
tf_set_rate 0
check "mount a third time" tf_mount tapefs.ini mnt
echo now > mnt/.dump
n=600; while [ -n "$(find stg -mindepth 1 ! -type d)" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n-1)); done
check_eq "no file staged after the dump" "" "$(find stg -mindepth 1 ! -type d)"
for i in 1 2 3; do
	check "f$i archived with its bytes" cmp src$i mnt/archive/set/f$i
done
check_eq "one archive per copy, at file 1 (the abandoned one overwritten)" "0001 0001" \
	"$(for t in mnt/tapes/*/; do ls "$t"; done | grep -v '^$' | paste -sd' ')"

# kill -9 leaves a dead mount; the next mount clears it by itself
kill -9 "$TF_PID"
n=50; while [ -e /proc/$TF_PID ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n-1)); done
# (asked of the daemon: the kernel may still cache the root's attributes)
check_fails "after kill -9 the mountpoint is dead" "not connected" stat --cached=never mnt
check "mount over the dead mount" tf_mount tapefs.ini mnt
check "it says why" grep -q "dead daemon" tapefs.log
check_eq "archived files still there" "f1 f2 f3" "$(ls mnt/archive/set | paste -sd' ')"
tf_umount mnt
check "no sanitizer report in the daemon's log" sh -c '! grep -Eq "Sanitizer|runtime error" tapefs.log'
