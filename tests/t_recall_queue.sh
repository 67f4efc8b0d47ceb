# The recall queue lives in the catalog: 50 `.recall` requests waiting on a
# slow drive survive a kill -9 of the daemon and are all served after the
# remount; `cancel PATH` takes one back (it stays offline). A tape's mount
# serves at most inflight_per_tape requests: a request for another tape
# waits for the whole queue of the tape in the drive (that tape needs no
# robot move), unless it has a priority: then it is served at the next
# tape change. Reading `.recall` shows each request's bytes and ETA.
# tests/run: alone
# (its queue is read while a drive modelled at 0.1 MB/s works through it)
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 4 --capacity 64M --pools 2 -- block_size=32K copies=2 pools=A,B recall.inflight_per_tape=3
check "mount" tf_mount tapefs.ini mnt
M=mnt
mkdir -p src/q src/a src/b
for i in $(seq -w 1 50); do head -c 50000 /dev/urandom > src/q/f$i; done
for i in $(seq -w 1 24); do head -c 50000 /dev/urandom > src/a/f$i; done
for i in 1 2; do head -c 50000 /dev/urandom > src/b/g$i; done
check "dump q" tf_dump_dir q
check "dump a" tf_dump_dir a
check "dump b" tf_dump_dir b
LA=$(ls $M/tapes | grep '^A' | head -n 1) LB=$(ls $M/tapes | grep '^B' | head -n 1)
rate() { "$TAPEFS" vtape set lib/tapes/$LA.vtape rate=$1 scale=1 >/dev/null
	"$TAPEFS" vtape set lib/tapes/$LB.vtape rate=$1 scale=1 >/dev/null; }
dm() { getfattr --only-values -n user.tapefs.dmstate "$1" 2>/dev/null; }
wait_idle() { # SECONDS: until nothing is queued
	local n=$(($1 * 10))
	while ! grep -qx "queued: 0" $M/.recall && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	grep -qx "queued: 0" $M/.recall
}
count_dm() { # DIR STATE FILES...
	local d=$1 s=$2 n=0 f; shift 2
	for f; do [ "$(dm $M/archive/$d/$f)" = "$s" ] && n=$((n + 1)); done
	echo $n
}

# --- 50 requests, one cancelled, kill -9, remount -------------------------
rate 0.1 # 50 KB: half a second each
ls src/q | sed 's|^|archive/q/|' > list
cat list > $M/.recall
for _ in $(seq 100); do
	grep -q '^resolving' $M/.recall || break
	sleep 0.1
done
check "50 requests queued (.recall: $(grep '^queued' $M/.recall))" grep -qx "queued: 50" $M/.recall
grep -m 3 ' block ' $M/.recall
check "each request shows its bytes and ETA" \
	grep -qE '^  block [0-9]+ priority 0 queued 0 of 50000 eta ([0-9]+:[0-9]{2}:[0-9]{2}|\?) q/f' $M/.recall
for _ in $(seq 50); do grep -q '^reading: ' $M/.recall && break; sleep 0.1; done
check "the file being read shows its progress" grep -qE '^reading: q/f[0-9]+ from [AB][0-9]+L9 \([0-9]+ of 50000\) eta ' $M/.recall
for _ in $(seq 50); do [ "$(count_dm q DUL f01 f02 f03)" -ge 1 ] && break; sleep 0.1; done
check "once the tape has read one: ETAs from its rate" \
	grep -qE '^  block [0-9]+ priority 0 queued 0 of 50000 eta 0:00:[0-9]{2} q/f' $M/.recall
echo "cancel archive/q/f50" > $M/.recall
for _ in $(seq 50); do grep -q ' q/f50$' $M/.recall || break; sleep 0.1; done
check "cancel: f50 left the queue" bash -c "! grep -q ' q/f50\$' $M/.recall"
check "the others are still queued" grep -q ' q/f49$' $M/.recall
served=$(count_dm q DUL $(ls src/q))
check "few served before the crash ($served)" test "$served" -lt 10
kill -9 $TF_PID
wait $TF_PID 2>/dev/null
rate 0
check "mount again after kill -9" tf_mount tapefs.ini mnt
check "the queue resumed and drained" wait_idle 60
check_eq "all 49 requests served" 49 "$(count_dm q DUL $(ls src/q | grep -v f50))"
check_eq "the cancelled one was not" OFL "$(dm $M/archive/q/f50)"
check_eq "no request left in the catalog" 0 "$(sqlite3 cat.db 'SELECT count(*) FROM recall_request')"
bad=0
for f in $(ls src/q | grep -v f50); do cmp -s src/q/$f $M/archive/q/$f || bad=$((bad + 1)); done
check_eq "49 files: original bytes" 0 $bad

# --- priority: the next tape change -----------------------------------------
# All of a/ on tape A (the loaded one stays preferred), then g1 on tape B:
# without a priority it waits for A's whole queue.
run_a() { # FIRST LAST: queue a/fFIRST..a/fLAST from tape A
	for i in $(seq -w $1 $2); do echo "tapes/$LA/0002/a/f$i"; done > $M/.recall
}
rate 0.1
run_a 01 12
sleep 0.3
echo "tapes/$LB/0003/b/g1" > $M/.recall
for _ in $(seq 300); do [ "$(dm $M/archive/b/g1)" = DUL ] && break; sleep 0.1; done
a_done=$(count_dm a DUL $(seq -f 'f%02g' 1 12))
check_eq "without a priority, B waited for A's whole queue" 12 "$a_done"
wait_idle 30
run_a 13 24
sleep 0.3
echo "priority 5 tapes/$LB/0003/b/g2" > $M/.recall
for _ in $(seq 300); do [ "$(dm $M/archive/b/g2)" = DUL ] && break; sleep 0.1; done
a_done=$(count_dm a DUL $(seq -f 'f%02g' 13 24))
check "with priority 5, B went at the next tape change ($a_done of 12 of A served)" test "$a_done" -le 7
check_eq "g2: DUL" DUL "$(dm $M/archive/b/g2)"
rate 0
check "A's queue then drained" wait_idle 30
check_eq "all of A served" 24 "$(count_dm a DUL $(ls src/a))"
check "g2: original bytes" cmp src/b/g2 $M/archive/b/g2
check "unmount" tf_umount mnt
