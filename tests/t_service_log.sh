# tests/t_service_log.sh - the log an operator reads afterwards reaches
# syslog: in a private mount namespace a datagram socket of the test's
# stands at /dev/log (where journald or a syslog daemon would listen), and
# a mount with -f logs there and to stderr. One session writes every kind
# of audit line: a dump committed (its archive, the tape:file of each copy,
# files and bytes), a drive fault (a tape whose writes fail), robot moves,
# a request refused, a verification with one BAD member (a byte flipped on
# one copy) and its result, a recall served; each at its syslog priority.
# SIGHUP reloads log_level: at warning a recall is served without an
# audit line, back at info the next one has its line again.
. "$TOP/tests/lib.sh"
tf_private_ns "$@"

check "a writable /dev for this test" tf_overlay /dev
rm -f /dev/log
check "a syslog socket at /dev/log" tf_sink /dev/log "$PWD/syslog"

tf_setup --drives 2 --slots 8 --capacity 128M --pools 2 -- copies=2 pools=A,B block_size=64K
"$TAPEFS" vtape inject lib/tapes/A00001L9.vtape write-fail 3000000
mkdir -p src/run7
for i in 1 2 3; do head -c $((i * 70001)) /dev/urandom >src/run7/f$i; done
head -c $((1 << 20)) /dev/urandom >src/run7/big
head -c $((8 << 20)) /dev/urandom >src/run7/data
files=$(find src/run7 -type f | wc -l)
bytes=$(find src/run7 -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')

check "mount" tf_mount tapefs.ini mnt
pid=$TF_PID
check "dump run7" tf_dump_dir run7
tapes=$(tf_last_tapes)
check_eq "copy A went on past the failing tape" "A00002L9:1,B00001L9:1" "$tapes"
echo "tape NOPE" >mnt/.verify 2>/dev/null
blk=$(getfattr --only-values -n user.tapefs.copies mnt/archive/run7/big | tr ',' '\n' | sed -n 's/^B00001L9:[0-9]*://p')
check "flip a byte of run7/big on B00001L9" "$TAPEFS" vtape inject lib/tapes/B00001L9.vtape flip $((blk + 2)) 77
run=$(tf_verify all)
check_eq "verify: one BAD" "1 0" "$(tf_field bad "mnt/verify/$run/summary") $(tf_field unreadable "mnt/verify/$run/summary")"
check "recall run7/f1" cmp src/run7/f1 mnt/archive/run7/f1

# wait (10 s) until the command succeeds
wait_until() {
	local n=100
	while ! "$@" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	"$@"
}
# wait until the log holds a line matching the fixed string $1
wait_log() { wait_until grep -qF -- "$1" syslog; }
tf_config tapefs.ini copies=2 pools=A,B block_size=64K log_level=warning
kill -HUP "$pid"
check "SIGHUP: reloaded, said in the log" wait_log "tapefs[$pid]: reload: log_level=warning"
check "SIGHUP: still mounted" tf_wait_mount mnt 5
check "recall run7/f2 at log_level=warning" cmp src/run7/f2 mnt/archive/run7/f2
tf_config tapefs.ini copies=2 pools=A,B block_size=64K log_level=info
kill -HUP "$pid"
check "SIGHUP again: log_level=info" wait_log "tapefs[$pid]: reload: log_level=info"
check "recall run7/f3 at log_level=info" cmp src/run7/f3 mnt/archive/run7/f3
check "the recall of run7/f3 is in the log" wait_log "recall served: path=run7/f3 "
tf_umount mnt
check "the daemon said it unmounts" wait_log "tapefs[$pid]: unmounting: "

# line PRIO TEXT: the daemon's syslog lines at priority PRIO (daemon
# facility: 27 err, 28 warning, 29 notice, 30 info) that contain TEXT
line() { grep -F "<$1>" syslog | grep -F "tapefs[$pid]: " | grep -F -- "$2"; }
check_eq "dump committed: archive, tapes, files, bytes" \
	"archive=1 dump=1 tapes=$tapes files=$files bytes=$bytes" \
	"$(line 29 'dump committed: ' | sed -E 's/.*dump committed: (.* bytes=[0-9]+).*/\1/')"
check "drive fault: the drive, the tape, the errno text" \
	grep -qE 'drive fault: drive=[01] tape=A00001L9 error="tape A00001L9: write: Input/output error"' <<<"$(line 27 'drive fault: ')"
check "robot move: barcode, from, to" \
	grep -qF 'robot move: barcode=B00001L9 from="slot 2" to="drive ' <<<"$(line 29 'robot move: ')"
check_eq "request refused: the file, the request, the reason" \
	"request refused: file=.verify request=\"tape NOPE\" reason=\"unknown label 'NOPE'\"" \
	"$(line 28 'request refused: ' | sed 's/.*\]: //')"
check_eq "verify BAD: the run, tape, file, archive, path" \
	"verify BAD: run=$run tape=B00001L9 file=1 archive=1 path=run7/big" \
	"$(line 28 'verify BAD: ' | sed 's/.*\]: //')"
check "verify done: run, tapes, members, ok/bad/unreadable" \
	grep -qE "verify done: run=$run request=all tapes=2 tapes_planned=2 archives=2 members=$((2 * files)) ok=$((2 * files - 1)) bad=1 unreadable=0 " \
	<<<"$(line 29 'verify done: ')"
check "recall served: path, tape, bytes, seconds" \
	grep -qE "recall served: path=run7/f1 tape=(A00002L9|B00001L9) file=1 bytes=70001 seconds=[0-9.]+ drive=[01]$" \
	<<<"$(line 29 'recall served: path=run7/f1 ')"
check_eq "no recall line at log_level=warning" "" "$(line 29 'recall served: path=run7/f2 ')"
check "mounted and unmounting are in the log" \
	test -n "$(line 29 'mounted: config=')" -a -n "$(line 29 'unmounting: ')"
check "-f: the same lines on stderr" \
	grep -qF "tapefs: dump committed: archive=1 dump=1 tapes=$tapes files=$files bytes=$bytes" tapefs.log
check "-f: the refusal on stderr" grep -qF 'tapefs: request refused: file=.verify' tapefs.log

# ---- in the background: what reaches stderr reaches the log too ----------------
# The catalog writes its sqlite errors to stderr; the background daemon's
# stderr is a pipe into the log. An operator's sqlite3 holding the catalog
# locked past the busy timeout (10 s) makes one.
"$TAPEFS" -c "$PWD/tapefs.ini" "$PWD/mnt" </dev/null >/dev/null 2>&1
check "background mount" tf_wait_mount mnt 30
T_MOUNTS+=("$PWD/mnt")
bpid=$(pgrep -f "^$TAPEFS -c $PWD/tapefs.ini $PWD/mnt\$")
check "the background daemon's stderr is a pipe" grep -q '^pipe:' <<<"$(readlink "/proc/$bpid/fd/2")"
python3 -c "
import sqlite3, time
c = sqlite3.connect('cat.db', isolation_level=None)
c.execute('BEGIN EXCLUSIVE')
open('locked', 'w').close()
time.sleep(14)" &
locker=$!
n=100
while [ ! -e locked ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
check_fails "a .ctl write while the catalog is locked" "Device or resource busy" \
	bash -c "echo 'location vault 9' > mnt/tapes/A00001L9/.ctl"
# The refusal is logged by the daemon itself, the catalog's error through
# its stderr pipe: either may reach the log first, so wait for the latter.
locked_lines() {
	grep -F "tapefs[$bpid]: " syslog | grep -F '<27>' | grep -c 'catalog: .*database is locked'
}
some_locked() { [ "$(locked_lines)" -ge 1 ]; }
check "the catalog's error reached the log at err" wait_until some_locked
check_eq "it names the catalog's cause once" 1 "$(locked_lines)"
check "and the refusal with it" \
	grep -qF "tapefs[$bpid]: request refused: file=tapes/A00001L9/.ctl request=\"location vault 9\"" syslog
kill "$locker" 2>/dev/null # (the lock has done its part: no need to wait it out)
wait "$locker"
check "unmount" fusermount3 -u mnt
