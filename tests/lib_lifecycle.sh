# tests/lib_lifecycle.sh - sourced after tests/lib.sh by the lifecycle
# tests (repair, copy, repack, migrate, their crashes): waiting for a
# request of .library, a kill -9 of the daemon, and what the catalog says
# of each archive's copies.

# Wait for the lifecycle request running or queued to end; print its
# outcome (the last_lifecycle line of .library).
wait_life() {
	for _ in $(seq 1200); do
		if ! grep -q '^lifecycle: ' mnt/.library && grep -q '^last_lifecycle: ' mnt/.library; then
			sed -n 's/^last_lifecycle: //p' mnt/.library
			return 0
		fi
		sleep 0.05
	done
	return 1
}
kill_daemon() {
	kill -9 "$TF_PID" 2>/dev/null
	wait "$TF_PID" 2>/dev/null
	fusermount3 -u mnt 2>/dev/null || umount -l mnt 2>/dev/null
}
# "ARCHIVE GOOD" per archive: its copies the catalog holds good
good_copies() {
	"$TAPEFS" export -c tapefs.ini --format jsonl 2>/dev/null |
		jq -r 'select(.copies and .archive) | "\(.archive) \([.copies[] | select(.state == "good")] | length)"' |
		sort -n -u
}
# never_fewer BEFORE AFTER: every archive of BEFORE has at least as many
# good copies in AFTER
never_fewer() {
	join <(echo "$1") <(echo "$2") | awk 'NF != 3 || $3 < $2 { bad = 1 } END { exit bad }' &&
		[ "$(echo "$1" | wc -l)" = "$(echo "$2" | wc -l)" ]
}
fsck_clean() {
	local out
	out=$("$TAPEFS" fsck -c tapefs.ini 2>&1) || { echo "$out"; return 1; }
}
# "BARCODE STATE N": how many archives have a copy in that state there
copies() {
	"$TAPEFS" export -c tapefs.ini --format jsonl 2>/dev/null |
		jq -r 'select(.copies) | .archive as $a | .copies[] | "\($a) \(.tape) \(.state)"' |
		sort -u | awk '{ print $2, $3 }' | sort | uniq -c | awk '{ print $2, $3, $1 }'
}
# live (not lost) copies on tapes whose barcode starts with $1
live_on() { copies | awk -v t="$1" 'index($1, t) == 1 && $2 != "lost" { n += $3 } END { print n + 0 }'; }
