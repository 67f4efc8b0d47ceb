# shellcheck shell=bash
# scripts/bench-lib.sh - sourced by every benchmark part (scripts/bench-*).
#
# What makes a figure worth trusting on a machine shared with other work:
#   - peer and tapefs measured interleaved, round after round (bl_abab:
#     A B A B ...), BENCH_ROUNDS rounds (default 3, at least 1); a figure is
#     the median of the per-round values, shown with its spread (min-max);
#   - the 1-minute load average at the start of a part, at each figure and
#     at the end, with a warning when it was above half the cores (above 1
#     on 2 cores): the figures were then taken on a busy machine;
#   - the daemon's own CPU time (/proc/PID/stat) beside wall-clock ratios.
# Every figure is one line:
#   FIGURE: VALUE (median of N, spread MIN–MAX) target OP T [ok|BELOW]
# (BELOW: the target is missed, whichever way it points), and one row of
# $BENCH_RESULTS (tab separated: part, figure, target, median, spread, N,
# date, load) from which scripts/bench prints the summary table.
#
# Sizes: BENCH_QUICK=1 runs every part on tiny sizes (a smoke run, whose
# figures mean nothing); bl_size FULL QUICK picks one.
# Disk: a part never deletes a large tree just before making another (on
# some file systems creating files is slow for minutes after many were
# deleted): what a part is done with goes to $BENCH_DIR/trash (bl_trash, a
# rename), which scripts/bench empties once every part has run.

# A part runs alone too (scripts/bench-dump): the same defaults as
# scripts/bench.
: "${TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${BUILD:=$TOP/build}"
: "${TAPEFS:=$BUILD/tapefs}"
: "${BENCH_DIR:=$TOP/build/bench}"
mkdir -p "$BENCH_DIR"
BL_ROUNDS=${BENCH_ROUNDS:-3}
[ "$BL_ROUNDS" -ge 1 ] 2>/dev/null || BL_ROUNDS=3
BL_NCPU=$(nproc 2>/dev/null || echo 1)
BL_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
BL_RESULTS=${BENCH_RESULTS:-/dev/null}
BL_MOUNTS=() BL_PIDS=() BL_ATEXIT=()
BL_T="" BL_PID=""

# ---- sizes, numbers ----------------------------------------------------------

# bl_size FULL QUICK: QUICK under BENCH_QUICK=1, else FULL.
bl_size() { if [ "${BENCH_QUICK:-0}" = 1 ]; then echo "$2"; else echo "$1"; fi; }

# bl_calc EXPR: awk arithmetic on numbers, printed with %.6g.
bl_calc() { awk "BEGIN { printf \"%.6g\", ($1) }"; }

# bl_num V: V for a reader: 3 significant digits, whole numbers from 1000.
bl_num() { awk -v v="$1" 'BEGIN { if (v >= 1000 || v <= -1000) printf "%.0f", v; else printf "%.3g", v }'; }

# bl_stats V...: "MEDIAN MIN MAX N" of the values (median of an even
# count: the mean of the middle two).
bl_stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print "0 0 0 0"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.6g %.6g %.6g %d\n", m, v[1], v[NR], NR }'
}

# bl_median V...: the median alone.
bl_median() { local m _; read -r m _ <<<"$(bl_stats "$@")"; echo "$m"; }

# bl_ratios NUM DEN: the element-wise ratios NUM[i] / DEN[i] of two arrays
# (given by name), one per line.
bl_ratios() {
	local -n _n=$1 _d=$2
	local i
	for i in "${!_n[@]}"; do bl_calc "${_n[i]} / ${_d[i]}"; echo; done
}

# ---- time ----------------------------------------------------------------------

# bl_nap SECONDS: sleep without starting a process (a read that times out
# on a pipe nobody writes), so that polling takes no CPU from a run.
exec {BL_NAP_FD}<> <(:)
bl_nap() { read -r -t "$1" -u "$BL_NAP_FD" _ 2>/dev/null || true; }

# bl_time CMD...: run CMD (its stdout to /dev/null), wall seconds in BL_T;
# returns CMD's status.
bl_time() {
	local t0=$EPOCHREALTIME rc=0
	"$@" >/dev/null || rc=$?
	BL_T=$(bl_calc "$EPOCHREALTIME - $t0")
	return $rc
}

# bl_run FN: one measurement: FN sets BL_T to the seconds it measured, or
# leaves it empty to be timed whole. A failing FN ends the part (set -e).
bl_run() {
	local t0
	BL_T=""
	t0=$EPOCHREALTIME
	"$1"
	[ -n "$BL_T" ] || BL_T=$(bl_calc "$EPOCHREALTIME - $t0")
}

# bl_abab PEER OURS: BL_ROUNDS rounds of PEER then OURS (functions, see
# bl_run); their seconds in the arrays BL_A and BL_B, and the per-round
# ratios PEER / OURS (tapefs's speed against the peer's) in BL_R.
bl_abab() {
	local i
	BL_A=() BL_B=() BL_R=()
	for ((i = 1; i <= BL_ROUNDS; i++)); do
		bl_run "$1"
		BL_A+=("$BL_T")
		bl_run "$2"
		BL_B+=("$BL_T")
		BL_R+=("$(bl_calc "${BL_A[-1]} / ${BL_B[-1]}")")
	done
}

# ---- the machine -------------------------------------------------------------------

# bl_load: the 1-minute load average now.
bl_load() { local l _; read -r l _ </proc/loadavg; echo "$l"; }

# bl_busy LOAD: true when LOAD is above half the cores.
bl_busy() { awk -v l="$1" -v n="$BL_NCPU" 'BEGIN { exit !(l > n / 2) }'; }

# bl_cpu PID: user + system CPU seconds of process PID (all its threads).
bl_cpu() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) } # past the command name, which may hold spaces
	set -- $s   # $1 is field 3 (state): utime is field 14, stime 15
	bl_calc "(${12} + ${13}) / $BL_TCK"
}

# bl_mem PID KEY: a memory figure of /proc/PID/status in MB (KEY: VmRSS
# now, VmHWM the peak).
bl_mem() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }

# bl_drop_caches: write back and drop the page, dentry and inode caches
# (a cold start for a peer and for tapefs alike). Needs root; without it
# the figure is warm, and the part says so once.
bl_drop_caches() {
	sync
	if ! { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
		[ -n "${BL_NOT_COLD:-}" ] || echo "$BL_PART: cannot drop caches (not root?): 'cold' figures are warm"
		BL_NOT_COLD=1
	fi
}

# bl_need_space DIR MB: at least MB MiB free on DIR's file system, or the
# part stops with a message.
bl_need_space() {
	local free
	free=$(df -Pk "$1" | awk 'NR == 2 { print int($4 / 1024) }')
	if [ "$free" -lt "$2" ]; then
		echo "$BL_PART: needs $2 MiB free on $(df -P "$1" | awk 'NR == 2 { print $6 }'), has $free" >&2
		exit 1
	fi
}

# bl_trash PATH...: move PATH out of the way (a rename into
# $BENCH_DIR/trash, emptied by scripts/bench at the end of the run).
bl_trash() {
	local p
	mkdir -p "$BENCH_DIR/trash"
	for p; do
		[ -e "$p" ] || [ -L "$p" ] || continue
		mv "$p" "$(mktemp -u "$BENCH_DIR/trash/$(basename "$p").XXXXXX")"
	done
}

# bl_cc NAME LIB...: build the helper tests/bench/NAME.c, linked with the
# archives LIB... of $BUILD (libcatalog.a, libtapeio.a), into
# $BENCH_DIR/bin/NAME; prints its path.
bl_cc() {
	local name=$1 out="$BENCH_DIR/bin/$1" lib libs=()
	shift
	mkdir -p "$BENCH_DIR/bin"
	for lib; do
		make -C "$TOP" BUILD="$BUILD" "$BUILD/$lib" >/dev/null || exit 1
		libs+=("$BUILD/$lib")
	done
	# shellcheck disable=SC2046
	cc -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I"$TOP" -std=gnu11 -O2 -pthread \
		-o "$out" "$TOP/tests/bench/$name.c" "${libs[@]}" \
		$(pkg-config --cflags --libs libarchive libcrypto libxxhash uuid sqlite3 libpq) -lm >&2 || exit 1
	echo "$out"
}

# bl_members_db N: the path of the shared catalog of N bench members
# ($BENCH_DIR/shared/members-N.db, tests/bench/catalog_bench.c's layout).
# bl_members_key: what it was made from (catalog sources and the helper);
# a catalog whose DB.key differs is made again.
bl_members_db() { echo "$BENCH_DIR/shared/members-$1.db"; }
bl_members_key() { cat "$TOP"/catalog/*.[ch] "$TOP/tests/bench/catalog_bench.c" | md5sum | cut -c1-32; }

# ---- figures ---------------------------------------------------------------------

BL_BUSY=0
# bl_figure NAME OP TARGET UNIT V...: the figure line for values V (one
# per round), OP one of >= <= > <, UNIT empty for a ratio.
bl_figure() {
	local name=$1 op=$2 target=$3 unit=$4 med lo hi n verdict load
	shift 4
	read -r med lo hi n <<<"$(bl_stats "$@")"
	verdict=$(awk -v v="$med" -v t="$target" -v op="$op" 'BEGIN {
		ok = (op == ">=") ? v >= t : (op == "<=") ? v <= t : (op == ">") ? v > t : v < t
		print ok ? "ok" : "BELOW" }')
	load=$(bl_load)
	bl_busy "$load" && BL_BUSY=1
	printf '%s: %s%s (median of %d, spread %s–%s) target %s %s%s [%s]\n' \
		"$name" "$(bl_num "$med")" "${unit:+ $unit}" "$n" "$(bl_num "$lo")" \
		"$(bl_num "$hi")" "$op" "$target" "${unit:+ $unit}" "$verdict"
	printf '%s\t%s\t%s %s%s\t%s%s\t%s–%s\t%d\t%s\t%s\t%s\n' "$BL_PART" "$name" \
		"$op" "$target" "${unit:+ $unit}" "$(bl_num "$med")" "${unit:+ $unit}" \
		"$(bl_num "$lo")" "$(bl_num "$hi")" "$n" "$(date +%F)" \
		"$BL_LOAD0–$load" "$verdict" >>"$BL_RESULTS"
}

# bl_info NAME UNIT V...: a figure without a target (shown beside one).
bl_info() {
	local name=$1 unit=$2 med lo hi n
	shift 2
	read -r med lo hi n <<<"$(bl_stats "$@")"
	printf '  %s: %s%s (median of %d, spread %s–%s)\n' "$name" \
		"$(bl_num "$med")" "${unit:+ $unit}" "$n" "$(bl_num "$lo")" "$(bl_num "$hi")"
	printf '%s\t%s\t-\t%s%s\t%s–%s\t%d\t%s\t%s\t-\n' "$BL_PART" "$name" \
		"$(bl_num "$med")" "${unit:+ $unit}" "$(bl_num "$lo")" \
		"$(bl_num "$hi")" "$n" "$(date +%F)" "$BL_LOAD0–$(bl_load)" >>"$BL_RESULTS"
}

# ---- a part's start and end -------------------------------------------------------

# bl_atexit CMD: run the shell command CMD when the part ends (last in,
# first run), before its mounts are unmounted.
bl_atexit() { BL_ATEXIT+=("$1"); }

bl_exit() {
	local rc=$? i m p n load
	for ((i = ${#BL_ATEXIT[@]} - 1; i >= 0; i--)); do eval "${BL_ATEXIT[i]}" || true; done
	for m in "${BL_MOUNTS[@]+"${BL_MOUNTS[@]}"}"; do
		grep -q " $m fuse" /proc/mounts 2>/dev/null && { fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; }
	done
	for p in "${BL_PIDS[@]+"${BL_PIDS[@]}"}"; do
		n=300
		while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do bl_nap 0.1; n=$((n - 1)); done
	done
	load=$(bl_load)
	bl_busy "$load" && BL_BUSY=1
	if [ "$BL_BUSY" = 1 ] || bl_busy "$BL_LOAD0"; then
		echo "$BL_PART: load $BL_LOAD0 at the start, $load at the end on $BL_NCPU cores: BUSY machine, trust the interleaved ratios over absolute times"
	else
		echo "$BL_PART: load $BL_LOAD0 at the start, $load at the end on $BL_NCPU cores"
	fi
	exit $rc
}

# bl_init NAME: start a part: its name for messages, the load now, set -e
# (also in functions and command substitutions; a failure is reported with
# its line), the EXIT trap (bl_atexit commands, then every mount made by bl_mount is
# unmounted and its daemon waited for).
bl_init() {
	BL_PART=$1
	BL_LOAD0=$(bl_load)
	set -eE
	shopt -s inherit_errexit
	trap bl_exit EXIT
	trap 'echo "$BL_PART: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
	[ "${BENCH_QUICK:-0}" = 1 ] && echo "$BL_PART: quick run (tiny sizes: a smoke test, not figures)"
	return 0
}

# ---- mounts --------------------------------------------------------------------

# bl_mount CONFIG MNT [NAME=VALUE...]: mount tapefs in the foreground, in
# the background (environment NAME=VALUE for the daemon), its pid in
# BL_PID, its log in tapefs.log beside CONFIG; waits (up to
# BENCH_MOUNT_WAIT s, 300) until MNT answers.
bl_mount() {
	local cfg=$1 m=$2 n
	shift 2
	mkdir -p "$m"
	m=$(realpath "$m")
	env "$@" "$TAPEFS" -f -c "$cfg" "$m" >>"$(dirname "$cfg")/tapefs.log" 2>&1 &
	BL_PID=$!
	BL_PIDS+=("$BL_PID")
	BL_MOUNTS+=("$m")
	n=$((${BENCH_MOUNT_WAIT:-300} * 20))
	until grep -q " $m fuse" /proc/mounts && stat "$m/.status" >/dev/null 2>&1; do
		kill -0 "$BL_PID" 2>/dev/null && [ $n -gt 0 ] || {
			echo "$BL_PART: mount of $m failed (log: $(dirname "$cfg")/tapefs.log)" >&2
			tail -n 5 "$(dirname "$cfg")/tapefs.log" >&2
			exit 1
		}
		bl_nap 0.05
		n=$((n - 1))
	done
}

# bl_umount MNT: unmount, and wait for the daemon of the last bl_mount.
bl_umount() {
	local n=600
	fusermount3 -u "$1"
	while [ -n "$BL_PID" ] && kill -0 "$BL_PID" 2>/dev/null && [ $n -gt 0 ]; do
		bl_nap 0.05
		n=$((n - 1))
	done
	BL_PID=""
}

# bl_field FILE KEY: the value of the line "KEY: value" of FILE, read with
# builtins only (no process per poll).
bl_field() {
	local line
	while IFS= read -r line; do
		[ "${line%%: *}" = "$2" ] && { echo "${line#*: }"; return 0; }
	done <"$1"
	return 1
}

# bl_wait_dumps MNT N [SECONDS]: until MNT/.dump says N dumps committed
# (polled every 20 ms with builtins); fails after SECONDS (3600).
bl_wait_dumps() {
	local m=$1 want=$2 n=$((${3:-3600} * 50)) line
	while [ $n -gt 0 ]; do
		while IFS= read -r line; do
			[ "$line" = "dumps_committed: $want" ] && return 0
		done <"$m/.dump"
		bl_nap 0.02
		n=$((n - 1))
	done
	echo "$BL_PART: dump $want did not finish" >&2
	return 1
}

# bl_wait_gone DIR [SECONDS]: until no regular file is left under DIR (a
# staging directory on disk: the dumped files have left it).
bl_wait_gone() {
	local n=$((${2:-600} * 20))
	while [ -n "$(find "$1" -type f -print -quit 2>/dev/null)" ]; do
		[ $n -gt 0 ] || { echo "$BL_PART: files still in $1" >&2; return 1; }
		bl_nap 0.05
		n=$((n - 1))
	done
}

# bl_wait_staged MNT N [SECONDS]: until MNT/.dump counts N staged files
# (the daemon's scan saw them all).
bl_wait_staged() {
	local m=$1 want=$2 n=$((${3:-600} * 10))
	while [ "$(bl_field "$m/.dump" staged_files)" != "$want" ]; do
		[ $n -gt 0 ] || { echo "$BL_PART: $m/.dump never counted $want staged files" >&2; return 1; }
		bl_nap 0.1
		n=$((n - 1))
	done
}

# bl_config FILE KEY=VALUE...: a tapefs config: staging, catalog and cache
# beside FILE, dumps only on request, a vlib in lib/; each SECTION.KEY=VALUE
# (KEY alone: [tapefs]) sets or adds that key.
bl_config() {
	local file=$1 kv key sec
	local -a keys=()
	local -A val=()
	shift
	for kv in tapefs.staging=stg tapefs.catalog=cat.db tapefs.cache=cache \
		dump.bytes=1T dump.files=1000000000 dump.idle=0 \
		library.changer=vlib library.path=lib "$@"; do
		key=${kv%%=*}
		[[ $key == *.* ]] || key=tapefs.$key
		[[ -v val[$key] ]] || keys+=("$key")
		val[$key]=${kv#*=}
	done
	for sec in tapefs dump library; do
		echo "[$sec]"
		for key in "${keys[@]}"; do
			[ "${key%%.*}" = "$sec" ] && echo "${key#*.} = ${val[$key]}"
		done
	done >"$file"
	return 0
}
