# A recalled file is trusted as cached across a restart only once its
# bytes are durable: a daemon killed after members were read whole,
# checked and served (m<ID> complete in the cache directory, renamed from
# its .part) but before their fdatasync (LD_PRELOAD killshim: SIGKILL at
# the first fdatasync of a cache file) left no cache row in the catalog
# and kept every `.recall` request. The next start drops the files the
# crash left, and the requests recall every member from tape again: all
# served once more, right bytes, a row each, no request left.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 2 --capacity 64M --pools 1 -- copies=1 pools=A block_size=64K
tf_need "$BUILD/tests/libkillshim.so"
N=6
check "mount" tf_mount tapefs.ini mnt
mkdir -p src/c
for i in $(seq $N); do head -c 30000 /dev/urandom >src/c/f$i; done
check "dump" tf_dump_dir c
tf_umount mnt
dm() { getfattr --only-values -n user.tapefs.dmstate "mnt/archive/c/$1" 2>/dev/null; }
rows() { sqlite3 cat.db "SELECT count(*) FROM $1"; }
served() { grep -c 'recall served: path=c/f' tapefs.log; }

# ---- killed between the read and the durability -------------------------
export TAPEFS_KILLSHIM_FDATASYNC='m[0-9]*'
TAPEFS=$(tf_preloaded "$BUILD/tests/libkillshim.so") tf_mount tapefs.ini mnt
unset TAPEFS_KILLSHIM_FDATASYNC
check "mount with the kill at a cache file's fdatasync" test -n "$TF_PID"
ls src/c | sed 's|^|archive/c/|' >mnt/.recall
for _ in $(seq 300); do kill -0 "$TF_PID" 2>/dev/null || break; sleep 0.1; done
check "the daemon died before a recalled file was durable" sh -c "! kill -0 $TF_PID 2>/dev/null"
fusermount3 -u mnt 2>/dev/null || umount -l mnt
whole=$(find cache/tapefs-cache -name 'm*' ! -name '*.part' -size 30000c | wc -l)
check "a cache file was whole when the daemon died ($whole)" test "$whole" -ge 1
check_eq "no cache row written" 0 "$(rows cache)"
check_eq "every request kept" $N "$(rows recall_request)"
before=$(served) # the audit line of a member served may not be written yet

# ---- the next start ----------------------------------------------------
check "mount again" tf_mount tapefs.ini mnt
wait_idle() { # until nothing is queued, nothing left to make durable
	local n=300
	until grep -qx "queued: 0" mnt/.recall && ! grep -q '^syncing' mnt/.recall; do
		[ $n -gt 0 ] || return 1
		sleep 0.1
		n=$((n - 1))
	done
}
check "the kept requests were served" wait_idle
check_eq "every member recalled from tape again" $N $(($(served) - before))
ok=0
for i in $(seq $N); do
	[ "$(dm f$i)" = DUL ] && cmp -s src/c/f$i mnt/archive/c/f$i && ok=$((ok + 1))
done
check_eq "all cached, original bytes" $N $ok
tf_umount mnt
check_eq "a cache row each" $N "$(rows cache)"
check_eq "no request left" 0 "$(rows recall_request)"
check_eq "no file without its row" $N "$(find cache/tapefs-cache -type f | wc -l)"
