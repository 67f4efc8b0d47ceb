# The three ways back to a lost catalog, each tested. A library of eight
# dumps over two pools with a snapshot of the catalog to tape after every
# three (catalog_to_tape = 3) and a backup on disk after every dump:
#   - the newest disk backup put in place gives archive/ and tapes/ as
#     they were;
#   - with the backups gone too, `tapefs rebuild` restores the newest
#     snapshot from tape and reads only the manifests written after it
#     (the two dumps after it): the same archive/ and tapes/, verify finds
#     nothing bad, the next dump appends after the last archive;
#   - a rebuild from the manifests alone (--no-snapshot) killed with
#     SIGKILL in the middle of its commit (strace injects the signal at
#     the Nth fdatasync of the catalog's thread: each archive is one
#     durable transaction), then run again, gives the same catalog as one never
#     interrupted: the same tapes, archives, copies, members, names.
. "$TOP/tests/lib.sh"
tf_need /usr/bin/strace

tf_setup --drives 2 --slots 8 --tapes 6 --capacity 64M --pools 2 -- copies=2 pools=A,B block_size=64K catalog_to_tape=3
# the catalog's content, without the times of its own bookkeeping
cat_dump() {
	sqlite3 cat.db "
	select 'tape', barcode, pool, state, capacity, bytes_used, last_file, label_uuid from tape order by 2;
	select 'archive', id, dump, created, members, bytes, block_size, md5, first_member, uuid, kind from archive order by 2;
	select 'copy', id, archive, barcode, fileno, start_lblock, size, state from copy order by 2;
	select 'node', id, parent, hex(name), member from node order by 2;
	select 'member', * from member order by 2;"
}
lose() { rm -f cat.db cat.db-wal cat.db-shm; }

for i in 1 2 3 4 5 6 7 8; do
	mkdir -p src/d$i/sub
	head -c $((200000 + 1000 * i)) /dev/urandom >src/d$i/data.bin
	echo "note $i" >src/d$i/sub/note.txt
	ln -s data.bin src/d$i/latest
done
check "mount" tf_mount tapefs.ini mnt
for i in 1 2 3 4 5 6 7 8; do check "dump d$i" tf_dump_dir d$i; done
tf_listing mnt >full.list
tf_tapes_state mnt >full.tapes
tf_umount mnt
check_eq "two snapshots of the catalog on tape, each with two copies" 4 "$(sqlite3 cat.db "select count(*) from copy c join archive a on a.id = c.archive where a.kind = 1")"
check "a backup on disk after every dump (seven kept by default)" test "$(ls catalog-backups | grep -c '^catalog-.*\.db$')" -eq 7
check_eq "backups are private" 600 "$(stat -c %a "$(ls -d catalog-backups/catalog-*.db | tail -n 1)")"
cp cat.db truth.db

# 1. the disk backup
lose
cp "$(ls -d catalog-backups/catalog-*.db | sort | tail -n 1)" cat.db
check "mount the newest backup" tf_mount tapefs.ini mnt
tf_listing mnt >backup.list
tf_tapes_state mnt >backup.tapes
tf_umount mnt
check "backup: archive/ and tapes/ as they were" cmp full.list backup.list
check "backup: every tape's state and counts" cmp full.tapes backup.tapes

# 2. the snapshot on tape (the backups are lost too)
lose
mv catalog-backups catalog-backups.gone
out=$("$TF_TAPEFS" rebuild -c tapefs.ini 2>&1)
check_eq "snapshot: tapefs rebuild exits 0" 0 $?
echo "$out" | sed 's/^/# /'
check "snapshot: restored from the newest snapshot on tape" grep -q 'restored from the' <<<"$out"
# (the snapshot's own archive, which it cannot hold, and d7, d8)
check "snapshot: then only the archives after it are read" grep -q ', 3 archives added' <<<"$out"
check "mount the catalog from the snapshot" tf_mount tapefs.ini mnt
tf_listing mnt >snap.list
tf_tapes_state mnt >snap.tapes
check "snapshot: archive/ and tapes/ as they were" cmp full.list snap.list
diff full.list snap.list | head -n 6 | sed 's/^/# /'
check "snapshot: every tape's state and counts" cmp full.tapes snap.tapes
diff full.tapes snap.tapes | sed 's/^/# /'
run=$(tf_verify all)
check_eq "snapshot: verify all: 0 bad" 0 "$(tf_field bad mnt/verify/$run/summary)"
# two copies of 2 files x 8 dumps and of the two snapshots' database
check_eq "snapshot: verify all: every copy of every file OK" 36 "$(tf_field ok mnt/verify/$run/summary)"
mkdir -p src/d9 && echo nine >src/d9/f.txt
last=$(tf_field last_file mnt/tapes/A00001L9/.status)
check "snapshot: a dump after it" tf_dump_dir d9
check_eq "snapshot: it appends after the last archive of A00001L9" "A00001L9:$((last + 1))" \
	"$(getfattr --only-values -n user.tapefs.copies mnt/archive/d9/f.txt | tr ',' '\n' | grep '^A00001L9:' | cut -d: -f1,2)"
tf_umount mnt

# 3. kill -9 in the middle of a rebuild's commit, then again
lose
check "a rebuild from the manifests alone" "$TF_TAPEFS" rebuild -c tapefs.ini --no-snapshot
cat_dump >whole.dump
narch=$(sqlite3 cat.db "select count(*) from archive")
syncs=$(strace -f -qq -e trace=fdatasync -o syncs.log "$TF_TAPEFS" rebuild -c tapefs.ini --no-snapshot >/dev/null 2>&1; grep -c fdatasync syncs.log)
lose
# the syncs of an empty catalog's rebuild, less those of one that knows
# everything: what its commit takes; kill half way through those
strace -f -qq -e trace=fdatasync -o syncs_all.log "$TF_TAPEFS" rebuild -c tapefs.ini --no-snapshot >/dev/null 2>&1
total=$(grep -c fdatasync syncs_all.log)
lose
at=$((total - (total - syncs) / 2))
strace -f -qq -o /dev/null -e trace=fdatasync -e inject=fdatasync:signal=KILL:when=$at "$TF_TAPEFS" rebuild -c tapefs.ini --no-snapshot >/dev/null 2>&1
check_eq "the rebuild was killed" 137 $?
got=$(sqlite3 cat.db "select count(*) from archive")
echo "# killed at sync $at of $total: $got of $narch archives committed"
check "the kill came in the middle of the commit" test "$got" -gt 0 -a "$got" -lt "$narch"
out=$("$TF_TAPEFS" rebuild -c tapefs.ini --no-snapshot 2>&1)
check_eq "the rebuild run again exits 0" 0 $?
echo "$out" | sed 's/^/# /'
cat_dump >again.dump
check "the same catalog as a rebuild never interrupted" cmp whole.dump again.dump
diff whole.dump again.dump | head -n 6 | sed 's/^/# /'
check "tapefs fsck: clean" "$TF_TAPEFS" fsck -c tapefs.ini
