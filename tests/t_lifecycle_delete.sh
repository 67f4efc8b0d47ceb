# Delete and reclaim over a shared mount (allow_other). Files of user U
# archived on A00001L9. With allow_delete at its default (no), rm under
# archive/ fails EROFS. With allow_delete = yes: another user's rm is
# refused, U's rm takes the path out of archive/ while the bytes stay on
# tape (tapes/A00001L9/.status: dead_bytes grow, live_bytes shrink);
# reclaim is refused while a live archive is on the tape; once root has
# deleted the rest, `reclaim A00001L9` gives it a new label (new uuid) and
# makes it scratch, and the next dump writes it. With repack_below = 50, a
# full tape whose live share falls under half is repacked on its own.
. "$TOP/tests/lib.sh"
. "$TOP/tests/lib_lifecycle.sh"
tf_need /usr/sbin/useradd /usr/bin/setpriv

tf_setup --drives 2 --slots 6 --capacity 64M --pools 1 -- copies=1 pools=A block_size=64K
tf_user && U=$TF_USER
tf_user && V=$TF_USER
field() { sed -n "s/^$1: //p" "mnt/tapes/$2/.status"; }
# dump_as USER DIR: stage src/DIR as USER's files, dump it
dump_as() {
	cp -r "src/$2" "mnt/staging/$2" && chown -R "$1" "mnt/staging/$2" &&
		chmod "$(stat -c %a "src/$2")" "mnt/staging/$2" && tf_dump_staged "$2"
}
tf_dump_staged() {
	local n=600
	echo "now $1" > mnt/.dump || return 1
	while [ -n "$(find "mnt/staging/$1" ! -type d 2>/dev/null)" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
	[ -d "mnt/archive/$1" ]
}

mkdir -p src
for d in d1 d2 d3 d9; do
	mkdir -p src/$d
	for i in 1 2; do head -c $((i * 100000 + 5)) /dev/urandom > src/$d/f$i; done
done
chmod 777 src/d3 # root's files in a directory anyone may write
check "mount" tf_mount tapefs.ini mnt -o allow_other
check "dump d1 as U" dump_as "$U" d1
check "dump d2 as U" dump_as "$U" d2
check "dump d3 as root" dump_as root d3
check_fails "rm refused by default" "Read-only file system" rm mnt/archive/d1/f1
tf_umount mnt

tf_config tapefs.ini copies=1 pools=A block_size=64K allow_delete=yes
check "mount (allow_delete = yes)" tf_mount tapefs.ini mnt -o allow_other
check_eq "nothing dead yet" 0 "$(field dead_bytes A00001L9)"
check_eq "3 live archives" 3 "$(field live_archives A00001L9)"
live0=$(field live_bytes A00001L9)
check_fails "another user's rm refused (the directory is U's)" "Permission denied" tf_as "$V" rm -f mnt/archive/d1/f1
check "U's file still there" test -f mnt/archive/d1/f1
check_fails "rm of a directory refused" "Is a directory" rm -f mnt/archive/d1
check "U removes U's file" tf_as "$U" rm mnt/archive/d1/f1
check "gone from archive/" bash -c '! test -e mnt/archive/d1/f1 && ! ls mnt/archive/d1 | grep -qx f1'
check "its bytes still on tape (tapes/)" cmp mnt/tapes/A00001L9/0001/d1/f1 src/d1/f1
check_eq "dead_bytes: f1's" 100005 "$(field dead_bytes A00001L9)"
check_eq "live_bytes: the rest" $((live0 - 100005)) "$(field live_bytes A00001L9)"
check_fails "U may not rm root's file in a directory open to all" "not permitted" tf_as "$U" rm -f mnt/archive/d3/f1
check_fails "reclaim refused: live archives" "Device or resource busy" bash -c "echo 'reclaim A00001L9' > mnt/.library"
check "root removes the rest" rm mnt/archive/d1/f2 mnt/archive/d2/f1 mnt/archive/d2/f2 mnt/archive/d3/f1 mnt/archive/d3/f2
check_eq "no live archive" 0 "$(field live_archives A00001L9)"
check_eq "no live bytes" 0 "$(field live_bytes A00001L9)"
check_eq "every byte dead" 900030 "$(field dead_bytes A00001L9)"
uuid0=$(field label_uuid A00001L9)
check "reclaim queued" bash -c "echo 'reclaim A00001L9' > mnt/.library"
res=$(wait_life)
echo "# $res"
check "reclaimed" bash -c "echo '$res' | grep -q '^reclaim A00001L9: scratch, new label '"
check_eq "A00001L9 scratch" scratch "$(field state A00001L9)"
check_eq "A00001L9 empty" 0 "$(field last_file A00001L9)"
check "a new label uuid" bash -c "[ -n '$(field label_uuid A00001L9)' ] && [ '$(field label_uuid A00001L9)' != '$uuid0' ]"
check_eq "tapes/A00001L9 lists no archive" "" "$(ls mnt/tapes/A00001L9)"
check_fails "reclaim of a scratch tape refused" "already in progress" bash -c "echo 'reclaim A00001L9' > mnt/.library"
check "the next dump" dump_as root d9
# the files leave staging/ at the commit; .dump's last_dump is set just
# after it: wait for it (under load the read came first)
for _ in $(seq 100); do [ -n "$(tf_last_tapes)" ] && break; sleep 0.1; done
check_eq "... writes A00001L9" "A00001L9:1" "$(tf_last_tapes)"
check "its files read back" bash -c 'for f in d9/f1 d9/f2; do cmp mnt/archive/$f src/$f || exit 1; done'
tf_umount mnt
check "tapefs fsck clean" fsck_clean

# repack_below: A00001L9 full; half of it deleted -> repacked on its own
tf_config tapefs.ini copies=1 pools=A block_size=64K allow_delete=yes repack_below=60
sqlite3 cat.db "UPDATE tape SET state = 2 WHERE barcode = 'A00001L9'" # as early warning does
check "mount (repack_below = 60)" tf_mount tapefs.ini mnt -o allow_other
check "rm d9/f2 (2/3 of the tape's bytes)" rm mnt/archive/d9/f2
res=$(wait_life)
echo "# $res"
check_eq "repacked on its own" "repack A00001L9: 1 of 1 archives copied, 0 failed" "${res%, * bytes}"
check_eq "A00001L9: no live archive" 0 "$(field live_archives A00001L9)"
check "d9/f1 reads back from A00002L9" bash -c "getfattr --only-values -n user.tapefs.copies mnt/archive/d9/f1 | grep -q '^A00002L9:' && cmp mnt/archive/d9/f1 src/d9/f1"
tf_umount mnt
check "tapefs fsck clean at the end" fsck_clean
