# tests/t_service_notify.sh - tapefs under a service manager: what it
# tells systemd through $NOTIFY_SOCKET (a socket of the test's, as systemd
# would give a Type=notify unit): STATUS= with the progress of the mount's
# start (a line per cartridge whose label the inventory reads), each with
# EXTEND_TIMEOUT_USEC= so that a long inventory never hits the start
# timeout; READY=1 only once the mount answers; STOPPING=1 at unmount.
# SIGHUP never unmounts: it reloads, and a config that no longer reads
# changes nothing. Where systemd is PID 1, `systemd-run -p Type=notify`
# starts it as a unit and `systemctl stop` unmounts it; elsewhere that part
# says it is skipped.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 12 --tapes 6 --capacity 64M --pools 2
check "a notify socket" tf_sink "$PWD/notify.sock" "$PWD/notify"
mkdir -p mnt
NOTIFY_SOCKET=$PWD/notify.sock "$TAPEFS" -f tapefs.ini mnt >>tapefs.log 2>&1 &
pid=$!
T_PIDS+=("$pid") T_MOUNTS+=("$PWD/mnt")
n=300
while ! grep -q '^READY=1' notify && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
check "READY=1" grep -q '^READY=1' notify
check "the mount answers when READY=1 came" stat mnt/.status
ready=$(grep -n '^READY=1' notify | cut -d: -f1)
check_eq "READY=1 names the mount" "READY=1|STATUS=mounted at $PWD/mnt" "$(grep '^READY=1' notify)"
check_eq "STATUS= for every new cartridge read, before READY" 6 \
	"$(head -n "$ready" notify | grep -c '^STATUS=library inventory: reading the label of [AB]0000[1-3]L9 (slot [1-6])|EXTEND_TIMEOUT_USEC=600000000$')"
check "every STATUS= extends the start timeout" \
	bash -c "! grep '^STATUS=' '$PWD/notify' | grep -v '|EXTEND_TIMEOUT_USEC=600000000$'"
check "STATUS= says the engines start" grep -q '^STATUS=starting the engines|' notify

kill -HUP "$pid"
check "SIGHUP: reloaded" bash -c "for i in \$(seq 50); do grep -q 'tapefs: reload: log_level=info' tapefs.log && exit 0; sleep 0.1; done; exit 1"
check "SIGHUP: the daemon lives" kill -0 "$pid"
check "SIGHUP: still mounted" tf_wait_mount mnt 5
echo "bogus = 1" >>tapefs.ini
kill -HUP "$pid"
check "SIGHUP with a bad config: says why, changes nothing" \
	bash -c "for i in \$(seq 50); do grep -qF \"reload: $PWD/tapefs.ini:\" tapefs.log && exit 0; sleep 0.1; done; exit 1"
check "the reason names the line" grep -qF "unknown key 'bogus' in [library]; nothing changed" tapefs.log
check "SIGHUP with a bad config: still mounted" tf_wait_mount mnt 5
check_eq "no STOPPING=1 yet" 0 "$(grep -c '^STOPPING=1' notify)"

check "fusermount3 -u" fusermount3 -u mnt
wait "$pid"
check_eq "the daemon exits 0" 0 $?
check_eq "STOPPING=1 once, last" "STOPPING=1|STATUS=unmounting" "$(tail -n 1 notify)"

# ---- SIGHUP while the inventory runs --------------------------------------------
# Six new (blank) cartridges, each taking 0.5 s to load: the start's inventory takes
# seconds. A SIGHUP then (a `systemctl reload` during a long start) neither
# ends the daemon nor keeps it from mounting.
sed -i '/^bogus = 1$/d' tapefs.ini
for i in 4 5 6; do
	for p in A B; do
		"$TAPEFS" vtape create lib/tapes/${p}0000${i}L9.vtape --barcode ${p}0000${i}L9 --capacity 64M >/dev/null
		"$TAPEFS" vtape set lib/tapes/${p}0000${i}L9.vtape load=0.5 scale=1 >/dev/null
	done
done
n=7
for b in A00004L9 B00004L9 A00005L9 B00005L9 A00006L9 B00006L9; do
	sed -i "s/^slot $n -\$/slot $n $b/" lib/state
	n=$((n + 1))
done
: >notify
NOTIFY_SOCKET=$PWD/notify.sock "$TAPEFS" -f tapefs.ini mnt >>tapefs.log 2>&1 &
pid=$!
T_PIDS+=("$pid")
n=500
while ! grep -q '^STATUS=library inventory: reading the label of' notify && [ $n -gt 0 ]; do sleep 0.01; n=$((n - 1)); done
kill -HUP "$pid"
check_eq "SIGHUP came during the inventory (no READY yet)" 0 "$(grep -c '^READY=1' notify)"
n=300
while ! grep -q '^READY=1' notify && kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
check "SIGHUP during the start: the daemon lives" kill -0 "$pid"
check "SIGHUP during the start: READY=1 all the same" grep -q '^READY=1' notify
check "and the mount answers" stat mnt/.status
check_eq "the inventory read all six new cartridges before READY" 6 \
	"$(sed '/^READY=1/q' notify | grep -o '^STATUS=library inventory: reading the label of [AB]0000[456]L9 ' | sort -u | wc -l)"
check "fusermount3 -u" fusermount3 -u mnt
wait "$pid"
check_eq "the daemon exits 0" 0 $?

# ---- systemd -----------------------------------------------------------------
if [ "$(ps -p 1 -o comm= 2>/dev/null)" != systemd ] || ! command -v systemd-run >/dev/null; then
	echo "# systemd is not PID 1 here ($(ps -p 1 -o comm= 2>/dev/null)): systemd-run skipped"
	exit 0
fi
unit=tapefs-test-$$
check "systemd-run -p Type=notify: started once READY" \
	systemd-run --quiet --unit="$unit" -p Type=notify -p TimeoutStartSec=120 \
	"$TF_TAPEFS" -f "$PWD/tapefs.ini" "$PWD/mnt"
T_MOUNTS+=("$PWD/mnt")
check "the unit's mount answers" stat mnt/.status
check_eq "the unit is active" active "$(systemctl is-active "$unit")"
check "systemctl stop" systemctl stop "$unit"
check "unmounted" bash -c "! grep -q ' $PWD/mnt ' /proc/mounts"
systemctl reset-failed "$unit" 2>/dev/null
