# tests/lib.sh - sourced by shell tests (tests/t_*.sh).
# Counts checks, prints "N passed, N failed" at exit, and mounts/unmounts
# tapefs safely: every mount made through tf_mount is unmounted by the EXIT
# trap, whatever happens.
set -u
: "${TAPEFS:?run through tests/run or make check}"
: "${TOP:?}"
T_PASS=0 T_FAIL=0 T_MOUNTS=() T_PIDS=()

ok()     { T_PASS=$((T_PASS + 1)); echo "ok   $*"; }
not_ok() { T_FAIL=$((T_FAIL + 1)); echo "not ok $*"; }
# check "description" command... : passes when the command exits 0
check()  { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# check_eq "description" expected actual
check_eq() { if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1: expected [$2] got [$3]"; fi; }
# check_fails "description" errno-text command... : command must fail and
# its stderr must contain errno-text (e.g. "Read-only file system")
check_fails() {
	local d=$1 want=$2 err; shift 2
	if err=$("$@" 2>&1 >/dev/null); then not_ok "$d: succeeded"; return; fi
	case "$err" in *"$want"*) ok "$d" ;; *) not_ok "$d: wanted [$want] got [$err]" ;; esac
}

t_cleanup() {
	local m p n log=${TEST_TMP:-.}/tapefs.log
	for m in "${T_MOUNTS[@]+"${T_MOUNTS[@]}"}"; do
		fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	# let unmounted daemons finish (and a sanitizer write its report)
	for p in "${T_PIDS[@]+"${T_PIDS[@]}"}"; do
		n=100
		while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
		kill -9 "$p" 2>/dev/null
	done
	# a daemon's sanitizer report (make asan) fails the test that ran it
	if [ -f "$log" ] && grep -Eq "ERROR: (Address|Leak|Thread)Sanitizer|runtime error:" "$log"; then
		not_ok "sanitizer report in the daemon's log:"
		grep -E -A12 "ERROR: (Address|Leak|Thread)Sanitizer|runtime error:" "$log" | head -n 40
	fi
	echo "$T_PASS passed, $T_FAIL failed"
}
trap t_cleanup EXIT

# tf_wait_mount MNT [SECONDS]: wait until MNT is a FUSE mount answering stat.
tf_wait_mount() {
	local m=$1 n=$(( ${2:-20} * 10 ))
	while [ "$n" -gt 0 ]; do
		if grep -q " $(realpath -m "$m") fuse" /proc/mounts && stat "$m/.status" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1; n=$((n - 1))
	done
	return 1
}

# tf_mount CONFIG MNT [extra tapefs args]: mount in the foreground in the
# background, remember the pid in TF_PID, wait for the mount.
tf_mount() {
	local cfg=$1 m=$2; shift 2
	mkdir -p "$m"
	"$TAPEFS" -f -c "$cfg" "$@" "$m" >>"${TEST_TMP:-.}/tapefs.log" 2>&1 &
	TF_PID=$!
	T_PIDS+=("$TF_PID")
	T_MOUNTS+=("$m")
	tf_wait_mount "$m" 30
}

# tf_umount MNT: clean unmount; waits for the daemon to exit.
tf_umount() {
	local m=$1
	fusermount3 -u "$m" 2>/dev/null
	if [ -n "${TF_PID:-}" ]; then
		local n=300
		while kill -0 "$TF_PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	fi
}
