# tests/lib.sh - sourced by shell tests (tests/t_*.sh).
# Counts checks, prints "N passed, N failed" at exit, and mounts/unmounts
# tapefs safely: every mount made through tf_mount is unmounted by the EXIT
# trap, whatever happens. Also makes what most mount tests start from (a
# virtual library and a config: tf_setup, tf_mkvlib, tf_config) and waits
# for what they wait for (dumps, verify runs). tests/README.md shows how.
set -u
: "${TAPEFS:?run through tests/run or make check}"
: "${TOP:?}"
TF_TAPEFS=$TAPEFS # the real binary, whatever a test points TAPEFS at
# python3: the interpreter tests/run found (TF_PYTHON), not a version
# manager's wrapper script that PATH may find first (a pyenv shim costs a
# fraction of a second a call, and some tests call python3 dozens of times)
python3() { command "${TF_PYTHON:-python3}" "$@"; }
T_PASS=0 T_FAIL=0 T_MOUNTS=() T_PIDS=() T_USERS=() T_UNMOUNT=()

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
	for m in "${T_UNMOUNT[@]+"${T_UNMOUNT[@]}"}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	for m in "${T_USERS[@]+"${T_USERS[@]}"}"; do
		userdel "$m" 2>/dev/null
	done
	# a daemon's sanitizer report (make asan) fails the test that ran it
	if [ -f "$log" ] && grep -Eq "ERROR: (Address|Leak|Thread)Sanitizer|runtime error:" "$log"; then
		not_ok "sanitizer report in the daemon's log:"
		grep -E -A12 "ERROR: (Address|Leak|Thread)Sanitizer|runtime error:" "$log" | head -n 40
	fi
	# a failed check: the end of the daemon's log goes with it (the
	# scratch directory is gone once tests/run has read this output)
	if [ "$T_FAIL" -gt 0 ] && [ -s "$log" ]; then
		echo "# the daemon's log ($log), last 40 lines:"
		tail -n 40 "$log" | sed 's/^/#   /'
	fi
	echo "$T_PASS passed, $T_FAIL failed"
}
trap t_cleanup EXIT

# tf_wait_mount MNT [SECONDS] [PID]: wait until MNT is a FUSE mount
# answering stat; fails at once when the daemon PID (if given) has exited
# (a refused mount is not waited out).
tf_wait_mount() {
	local m=$1 n=$(( ${2:-20} * 10 )) pid=${3:-}
	while [ "$n" -gt 0 ]; do
		if grep -q " $(realpath -m "$m") fuse" /proc/mounts && stat "$m/.status" >/dev/null 2>&1; then
			return 0
		fi
		[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && return 1
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
	tf_wait_mount "$m" 30 "$TF_PID"
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

# tf_user: create a throw-away user (no home, no login shell) for a test
# that needs someone other than root; its name in TF_USER. It is removed
# at exit. Makes the scratch directory reachable (0755) for it.
tf_user() {
	TF_USER=tf$$u$RANDOM
	useradd -M -U -s /usr/sbin/nologin "$TF_USER" || return 1
	T_USERS+=("$TF_USER")
	chmod 755 "${TEST_TMP:-.}"
}

# tf_as USER COMMAND...: run COMMAND as USER (its uid, gid and groups).
tf_as() {
	local u=$1; shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"
}

# tf_tmpfs DIR SIZE: a tmpfs of SIZE (e.g. 2m) mounted on DIR, unmounted
# at exit.
tf_tmpfs() {
	mkdir -p "$1" && mount -t tmpfs -o size="$2" tmpfs "$1" || return 1
	T_UNMOUNT+=("$(realpath "$1")")
}

# ---- a library and a config ------------------------------------------------

# tf_mkvlib DIR [mkvlib options]: `tapefs mkvlib DIR ...`, quietly.
tf_mkvlib() { "$TF_TAPEFS" mkvlib "$@" >/dev/null; }

# The config every mount test starts from: staging, catalog and cache in
# the config's directory, no dump started by a threshold (only by `now`),
# the virtual library in lib/. One SECTION.KEY=VALUE a word, in file order.
TF_CONFIG_BASE=(
	tapefs.staging=stg tapefs.catalog=cat.db tapefs.cache=cache
	dump.bytes=1T dump.files=1000000 dump.idle=0
	library.changer=vlib library.path=lib
)

# tf_config FILE [KEY=VALUE]...: write FILE, the base config with each KEY
# set to VALUE. KEY is SECTION.NAME, or NAME alone for [tapefs]. A key of
# the base keeps its place; a new key goes at the end of its section, a
# new section at the end of the file.
tf_config() {
	local file=$1 kv key sec cur=
	shift
	local -a keys=()
	local -A val=()
	for kv in "${TF_CONFIG_BASE[@]}" "$@"; do
		key=${kv%%=*}
		[[ $key == *.* ]] || key=tapefs.$key
		[[ -v val[$key] ]] || keys+=("$key")
		val[$key]=${kv#*=}
	done
	{
		for sec in $(printf '%s\n' "${keys[@]}" | cut -d. -f1 | awk '!seen[$0]++'); do
			echo "[$sec]"
			for key in "${keys[@]}"; do
				[ "${key%%.*}" = "$sec" ] && echo "${key#*.} = ${val[$key]}"
			done
		done
	} >"$file"
}

# tf_setup MKVLIB-OPTIONS... [-- KEY=VALUE...]: the usual start of a mount
# test: the library lib/ (`tapefs mkvlib lib MKVLIB-OPTIONS`) and the
# config tapefs.ini (tf_config with the KEY=VALUE overrides). Mount it with
# tf_mount tapefs.ini mnt.
tf_setup() {
	local -a lib=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do lib+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	tf_mkvlib lib "${lib[@]}" && tf_config tapefs.ini "$@"
}

# tf_need FILE...: every FILE exists, or the test fails here.
tf_need() {
	local f
	for f; do [ -e "$f" ] || { not_ok "needs $*"; exit 1; }; done
}

# tf_preloaded LIB...: write ./tapefs-preloaded, the real tapefs run with
# LIB... preloaded (the daemon and the programs it runs, such as mtx; never
# the test itself), and print its path: TAPEFS=$(tf_preloaded ...).
tf_preloaded() {
	cat >tapefs-preloaded <<SH
#!/bin/sh
export LD_PRELOAD="$*"
export ASAN_OPTIONS="verify_asan_link_order=0:\${ASAN_OPTIONS:-}"
exec "$TF_TAPEFS" "\$@"
SH
	chmod +x tapefs-preloaded
	echo "$PWD/tapefs-preloaded"
}

# ---- waiting on the mount ---------------------------------------------------

# tf_wait_dumps N [SECONDS] [MNT]: until MNT/.dump (MNT: mnt) says exactly
# N dumps committed and the dumper idle; fails after SECONDS (60).
tf_wait_dumps() {
	local n=$1 t=$(( ${2:-60} * 10 )) m=${3:-mnt}
	while [ "$t" -gt 0 ]; do
		grep -qx "dumps_committed: $n" "$m/.dump" && grep -q '^state: idle' "$m/.dump" && return 0
		sleep 0.1; t=$((t - 1))
	done
	return 1
}

# tf_last_tapes [MNT]: where the last dump went, as .dump says it
# ("A00001L9:1,B00001L9:1").
tf_last_tapes() { sed -n 's/^last_dump: .* tapes //p' "${1:-mnt}/.dump"; }

# tf_dump_dir DIR [MNT]: copy src/DIR into MNT/staging/ (MNT: mnt), dump it
# as one archive (`now DIR`) and wait (60 s) until its files left staging/
# (directories stay); succeeds when they did and archive/DIR is there.
tf_dump_dir() {
	local d=$1 m=${2:-mnt} n=600
	cp -r "src/$d" "$m/staging/$d"
	echo "now $d" >"$m/.dump" || return 1
	while [ -n "$(find "$m/staging/$d" ! -type d 2>/dev/null)" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	[ -z "$(find "$m/staging/$d" ! -type d 2>/dev/null)" ] && [ -d "$m/archive/$d" ]
}

# tf_verify REQUEST [MNT]: start a verify run (MNT: mnt), wait (60 s) until
# its summary says it ended; prints the run number.
tf_verify() {
	local m=${2:-mnt} before after
	before=$(readlink "$m/verify/latest" 2>/dev/null || echo 0)
	echo "$1" >"$m/.verify" || return 1
	for _ in $(seq 600); do
		after=$(readlink "$m/verify/latest" 2>/dev/null || echo 0)
		if [ "$after" != "$before" ] &&
			grep -qE '^state: (done|interrupted)' "$m/verify/$after/summary"; then
			echo "$after"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# tf_field KEY FILE: the value of the line "KEY: value" of FILE.
tf_field() { sed -n "s/^$1: //p" "$2"; }

# tf_set_rate MB/S: every tape of lib/ reads and writes at MB/S (0: as
# fast as the disk), really slept (time scale 1).
tf_set_rate() {
	local t
	for t in lib/tapes/*.vtape; do "$TF_TAPEFS" vtape set "$t" rate="$1" scale=1 >/dev/null; done
}

# ---- what a mount shows, what the tapes hold ---------------------------------

# tf_listing MNT: every entry of MNT's archive/ and tapes/ (not the tapes'
# own .status and .ctl) with what a user sees of it: type, size, mode,
# owner, group, mtime in ns (not for a tape's own directory: it has the
# time of the mount), user.tapefs.md5 and user.tapefs.copies; sorted.
# (One python3 for the whole tree: a stat and two getfattr per entry
# took most of a rebuild test's time.)
tf_listing() {
	python3 - "$1" <<'PY'
import grp, os, pwd, stat, sys
os.chdir(sys.argv[1])
def who(get, i):
    try:
        return get(i)[0]
    except KeyError:
        return str(i)
def xattr(p, name):
    try:
        return os.getxattr(p, name).decode("utf-8", "surrogateescape")
    except OSError:
        return ""
def line(p):
    st = os.lstat(p)
    f = [stat.filemode(st.st_mode)[0], str(st.st_size), "%o" % stat.S_IMODE(st.st_mode),
         who(pwd.getpwuid, st.st_uid), who(grp.getgrgid, st.st_gid)]
    if not (p.startswith("tapes/") and p.count("/") == 1):
        f.append(str(st.st_mtime_ns))
    return "%s|%s|%s|%s" % (p, " ".join(f), xattr(p, "user.tapefs.md5"), xattr(p, "user.tapefs.copies"))
out = []
for top in ("archive", "tapes"):
    for d, dirs, files in os.walk(top):
        dirs[:] = [n for n in dirs if n not in (".status", ".ctl")]
        out += [line(os.path.join(d, n)) for n in dirs + files if n not in (".status", ".ctl")]
for l in sorted(out, key=lambda l: l.encode("utf-8", "surrogateescape")):
    sys.stdout.buffer.write(l.encode("utf-8", "surrogateescape") + b"\n")
PY
}

# tf_tapes_state MNT: one line per tape of MNT/tapes/: its barcode, state
# and counts (last_file, archives, members, bytes_used).
tf_tapes_state() {
	local t
	for t in "$1"/tapes/*/; do
		echo "$(basename "$t") $(grep -E '^(state|last_file|archives|members|bytes_used):' "$t/.status" | tr '\n' ' ')"
	done
}

# tf_tape_files IMAGE: every tape file of the vtape IMAGE after the label,
# "FILENO MD5" a line.
tf_tape_files() {
	local img=$1 n f
	n=$("$TF_TAPEFS" vtape ls "$img" | awk 'NR > 1 && $1 > 0 { n = $1 } END { print n + 0 }')
	for f in $(seq 1 "$n"); do
		echo "$f $("$TF_TAPEFS" vtape export "$img" "$f" - | md5sum | cut -d' ' -f1)"
	done
}

# ---- a private mount namespace ----------------------------------------------

# tf_private_ns "$@": first thing after sourcing this file: run the test
# again in a mount namespace of its own (what it mounts there - a socket
# over /dev/log, a program in /usr/local/sbin, the FUSE mounts - nobody
# else sees, and all of it goes with the test). Says so and exits (0
# passed) where that is not possible (not root).
tf_private_ns() {
	[ -n "${TF_IN_PRIVATE_NS:-}" ] && return 0
	if ! unshare -m true 2>/dev/null; then
		echo "# no private mount namespace (unshare -m): skipped"
		exit 0
	fi
	TF_IN_PRIVATE_NS=1 exec unshare -m --propagation private bash "$0" "$@"
}

# tf_overlay DIR: make DIR writable for this namespace alone: an overlay
# with a tmpfs upper layer (what is in DIR stays visible). In a private
# namespace only (tf_private_ns).
tf_overlay() {
	local d=$1 w
	w=$(mktemp -d "$TEST_TMP/overlay.XXXXXX")
	mount -t tmpfs tmpfs "$w" && mkdir "$w/up" "$w/work" &&
		mount -t overlay overlay -o "lowerdir=$d,upperdir=$w/up,workdir=$w/work" "$d"
}

# tf_sink SOCKET OUT: a datagram socket at SOCKET whose messages go to OUT,
# one a line (tests/dgram_sink.py; it ends with the test). Waits until it
# is bound.
tf_sink() {
	python3 "$TOP/tests/dgram_sink.py" "$1" "$2" $$ &
	local n=100
	while [ ! -e "$2.ready" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	[ -e "$2.ready" ]
}
