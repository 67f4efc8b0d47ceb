# Operator control of tapes (tapes/LABEL/.ctl) and of dumps (.dump resume,
# each): every request and its bad forms; a closed or retired tape is never
# written again (the dump waits and .status says so); a tape in use by a
# dump cannot be closed or retired (EBUSY, nothing changed); repeated dump
# failures pause dumps until `resume`.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 4 --tapes 2 --capacity 16M --pools 1 --rate 4 -- copies=1 pools=A block_size=64K
check "mount" tf_mount tapefs.ini mnt
T1=A00001L9 T2=A00002L9
committed() { sed -n 's/^dumps_committed: //p' mnt/.dump; }
wait_committed() { tf_wait_dumps "$1" 30; } # N
field() { tf_field "$2" "mnt/tapes/$1/.status"; } # LABEL KEY

check_eq "ls tapes/ lists every tape" "$T1 $T2" "$(ls mnt/tapes | tr '\n' ' ' | sed 's/ $//')"
check "the tape directory holds .ctl" test -f mnt/tapes/$T1/.ctl
check ".ctl reads the state and grammar" grep -q '^usage: .*close | reopen | retire | location TEXT | serial TEXT' mnt/tapes/$T1/.ctl

# one archive on T1
mkdir -p mnt/staging/a && head -c 100000 /dev/urandom > a.bin && cp a.bin mnt/staging/a/a.bin
echo "now a" > mnt/.dump
check "first dump" wait_committed 1
check_eq "T1 open" "open" "$(field $T1 state)"
check_eq "T1 holds one archive" "1" "$(field $T1 archives)"
check ".status shows bytes free" grep -q '^bytes_free: [0-9]' mnt/tapes/$T1/.status

# location and serial
check "location" bash -c "echo 'location offsite: vault 3, box 12' > mnt/tapes/$T1/.ctl"
check_eq "location shown" "offsite: vault 3, box 12" "$(field $T1 location)"
check "serial" bash -c "echo 'serial SN-0042' > mnt/tapes/$T1/.ctl"
check_eq "serial shown" "SN-0042" "$(field $T1 serial)"
check_fails "location without text" "Invalid argument" bash -c "echo location > mnt/tapes/$T1/.ctl"
check_fails "serial of blanks" "Invalid argument" bash -c "echo 'serial ' > mnt/tapes/$T1/.ctl"
check_fails "over-long serial" "Invalid argument" bash -c "echo serial $(head -c 100 /dev/zero | tr '\0' x) > mnt/tapes/$T1/.ctl"
check_eq "serial unchanged" "SN-0042" "$(field $T1 serial)"
check_fails "unknown verb" "Invalid argument" bash -c "echo explode > mnt/tapes/$T1/.ctl"
check_fails "a leading blank" "Invalid argument" bash -c "echo ' x' > mnt/tapes/$T1/.ctl"
check_fails "an over-long verb" "Invalid argument" bash -c "echo closeclosecloseclose > mnt/tapes/$T1/.ctl"
check_fails "an empty line" "Invalid argument" bash -c "echo > mnt/tapes/$T1/.ctl"
check_fails "close with an argument" "Invalid argument" bash -c "echo 'close now' > mnt/tapes/$T1/.ctl"
check ".status names the bad request" grep -q "^error: .*tapes/$T1/.ctl: unknown request 'explode'" mnt/.status
check_fails "unknown label" "No such file or directory" bash -c "echo close > mnt/tapes/NOSUCH/.ctl"
check_fails ".status of a tape is read-only" "Read-only file system" bash -c "echo close > mnt/tapes/$T1/.status"
check_fails "no .ctl inside an archive" "" bash -c "echo close > mnt/tapes/$T1/0001/.ctl"
check_eq "state unchanged by bad requests" "open" "$(field $T1 state)"

# close, reopen, retire
check "close" bash -c "echo close > mnt/tapes/$T1/.ctl"
check_eq "closed" "closed" "$(field $T1 state)"
check_eq "closed is not writable" "no" "$(field $T1 writable)"
check_fails "close twice" "Operation already in progress" bash -c "echo close > mnt/tapes/$T1/.ctl"
check "reopen" bash -c "echo reopen > mnt/tapes/$T1/.ctl"
check_eq "open again" "open" "$(field $T1 state)"
check_fails "reopen an open tape" "Operation already in progress" bash -c "echo reopen > mnt/tapes/$T1/.ctl"
check "retire T1" bash -c "echo retire > mnt/tapes/$T1/.ctl"
check_eq "retired" "retired" "$(field $T1 state)"
check_fails "retire twice" "Operation already in progress" bash -c "echo retire > mnt/tapes/$T1/.ctl"
check_fails "reopen a retired tape" "Operation not permitted" bash -c "echo reopen > mnt/tapes/$T1/.ctl"
check_fails "close a retired tape" "Operation not permitted" bash -c "echo close > mnt/tapes/$T1/.ctl"
check "a retired tape is still readable" cmp a.bin mnt/archive/a/a.bin
check "close the scratch tape T2" bash -c "echo close > mnt/tapes/$T2/.ctl"

# only a retired and a closed tape: the dump waits and says so
mkdir -p mnt/staging/b && head -c 100000 /dev/urandom > b.bin && cp b.bin mnt/staging/b/b.bin
check "dump request queued" bash -c "echo 'now b' > mnt/.dump"
for _ in $(seq 50); do grep -q '^dump_waiting:' mnt/.status && break; sleep 0.1; done
check ".status says the dump waits for a scratch tape of pool A" grep -q '^dump_waiting: waiting for a scratch tape in pool A' mnt/.status
check ".dump says so too" grep -q '^waiting: waiting for a scratch tape in pool A' mnt/.dump
sleep 2.5
check_eq "nothing committed" "1" "$(committed)"
check "b still staged" cmp b.bin stg/b/b.bin
check_eq "T1 not written" "1" "$(field $T1 last_file)"
check_eq "T2 not written" "0" "$(field $T2 last_file)"
check "reopen T2 (back to scratch)" bash -c "echo reopen > mnt/tapes/$T2/.ctl"
check_eq "T2 is scratch" "scratch" "$(field $T2 state)"
check "the waiting dump goes on" wait_committed 2
check "b archived" cmp b.bin mnt/archive/b/b.bin
check_eq "b went to T2" "$T2:1" "$(getfattr --only-values -n user.tapefs.copies mnt/archive/b/b.bin | cut -d: -f1,2)"
check_eq "T1 still one archive" "1" "$(field $T1 archives)"
check "no more waiting" bash -c "! grep -q '^dump_waiting:' mnt/.status"

# a tape a dump is writing cannot be closed or retired
mkdir -p mnt/staging/c && head -c $((6 << 20)) /dev/urandom > c.bin && cp c.bin mnt/staging/c/c.bin
echo "now c" > mnt/.dump
for _ in $(seq 100); do grep -q "^current: .*tapes $T2" mnt/.dump && break; sleep 0.05; done
check "dump c is writing to T2" grep -q "^current: .*tapes $T2" mnt/.dump
check_fails "close mid-write" "Device or resource busy" bash -c "echo close > mnt/tapes/$T2/.ctl"
check_fails "retire mid-write" "Device or resource busy" bash -c "echo retire > mnt/tapes/$T2/.ctl"
check ".status says why" grep -q "tapes/$T2/.ctl: retire refused: a dump is writing" mnt/.status
check "dump c commits" wait_committed 3
check_eq "T2 still open" "open" "$(field $T2 state)"
check "c archived" cmp c.bin mnt/archive/c/c.bin

# each PATH: one archive per subdirectory
mkdir -p "mnt/staging/e/one" "mnt/staging/e/two dir" && echo 1 > mnt/staging/e/one/f && echo 2 > "mnt/staging/e/two dir/g"
check_fails "each of a missing directory" "No such file or directory" bash -c "echo 'each nosuch' > mnt/.dump"
check_fails "each of a file" "Not a directory" bash -c "echo 'each e/one/f' > mnt/.dump"
check "each e" bash -c "echo 'each e' > mnt/.dump"
check "two archives" wait_committed 5
f1=$(getfattr --only-values -n user.tapefs.copies mnt/archive/e/one/f | cut -d: -f1,2)
f2=$(getfattr --only-values -n user.tapefs.copies "mnt/archive/e/two dir/g" | cut -d: -f1,2)
check "in two tape files" test "$f1" != "$f2"

# repeated failures pause dumps; resume continues them (every tape fails
# its writes; a file larger than a tape would not do: it stays staged as
# too_large and never fails a dump)
mkdir -p mnt/staging/big && head -c $((1 << 20)) /dev/zero > mnt/staging/big/big.bin
for t in lib/tapes/*.vtape; do "$TAPEFS" vtape inject "$t" write-fail 0 >/dev/null; done
for n in 1 2 3; do
	echo "now big" > mnt/.dump
	for _ in $(seq 100); do grep -q '^state: idle' mnt/.dump && break; sleep 0.05; done
	sleep 0.3
done
for _ in $(seq 50); do grep -q '^dump_paused:' mnt/.status && break; sleep 0.1; done
check ".status says dumps are paused" grep -q '^dump_paused: after 3 failed dumps' mnt/.status
check ".dump says how to resume" grep -q '^paused: .*echo resume > .dump' mnt/.dump
for t in lib/tapes/*.vtape; do "$TAPEFS" vtape inject "$t" clear >/dev/null; done
check "resume" bash -c "echo resume > mnt/.dump"
check "not paused after resume" bash -c "! grep -q '^dump_paused:' mnt/.status"
check_fails "unknown .dump request" "Invalid argument" bash -c "echo pause-forever > mnt/.dump"
check "big still staged" test -f stg/big/big.bin
check "daemon up" kill -0 "$TF_PID"
tf_umount mnt
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini
