# A catalog whose pages are damaged (random bytes in the member b-tree:
# its root page, or one of its leaves) is refused at mount with a message
# naming `tapefs fsck`, and fsck does not call it clean; fsck of a catalog
# file that is missing or empty is an error, and creates nothing.
. "$TOP/tests/lib.sh"
tf_need /usr/bin/sqlite3

tf_setup --drives 1 --slots 2 --capacity 64M --pools 1 -- copies=1 pools=A
mkdir -p src/many
for i in $(seq 1 1500); do echo "$i" >"src/many/a-file-with-a-long-name-$i"; done
check "mount" tf_mount tapefs.ini mnt
check "1500 files archived" tf_dump_dir many
tf_umount mnt
check "fsck: clean before" "$TAPEFS" fsck -c tapefs.ini
cp cat.db good.db

pages() { sqlite3 "$1" "SELECT count(*) FROM dbstat WHERE name = 'member'"; }
check "the member b-tree has several pages ($(pages good.db))" test "$(pages good.db)" -gt 3
ps=$(sqlite3 good.db "PRAGMA page_size")
root=$(sqlite3 good.db "SELECT rootpage FROM sqlite_schema WHERE name = 'member'")
leaf=$(sqlite3 good.db "SELECT pageno FROM dbstat WHERE name = 'member' AND pagetype = 'leaf' LIMIT 1 OFFSET 1")
check "the member root is an interior page" \
	test "$(sqlite3 good.db "SELECT pagetype FROM dbstat WHERE pageno = $root")" = internal

# damage PAGE: 512 random bytes over the start of that page of cat.db
damage() {
	cp good.db cat.db
	head -c 512 /dev/urandom | dd of=cat.db bs=1 seek=$((($1 - 1) * ps)) conv=notrunc status=none
}
# mount_refused WHAT: the daemon exits 1 with the message, nothing mounted
mount_refused() {
	timeout 60 "$TAPEFS" -f -c tapefs.ini mnt >"mount-$1.log" 2>&1
	local rc=$?
	check_eq "$1: the mount fails" 1 "$rc"
	check "$1: it says the catalog is damaged" grep -q "catalog '.*cat.db' is damaged" "mount-$1.log"
	check "$1: and names tapefs fsck" grep -q "run \`tapefs fsck -c .*tapefs.ini\`" "mount-$1.log"
	check "$1: nothing is mounted" bash -c "! grep -q ' $(realpath mnt) ' /proc/mounts"
	"$TAPEFS" fsck -c tapefs.ini >"fsck-$1.log" 2>&1
	rc=$?
	check "$1: fsck fails ($rc)" test "$rc" -ne 0
	check "$1: fsck does not say clean" bash -c "! grep -q ': clean' fsck-$1.log"
}
damage "$root"
mount_refused root
damage "$leaf"
mount_refused leaf

cp good.db cat.db
check "the sound catalog mounts again" tf_mount tapefs.ini mnt
check "and reads" cmp src/many/a-file-with-a-long-name-7 mnt/archive/many/a-file-with-a-long-name-7
tf_umount mnt

# fsck of a missing or an empty catalog: an error, and nothing created
tf_config missing.ini catalog=none.db
"$TAPEFS" fsck -c missing.ini >fsck-missing.log 2>&1
check_eq "fsck of a missing catalog: exit 2" 2 "$?"
check "it says so" grep -q "catalog '.*none.db' does not exist" fsck-missing.log
check "and does not create it" test ! -e none.db
: >empty.db
tf_config empty.ini catalog=empty.db
"$TAPEFS" fsck -c empty.ini >fsck-empty.log 2>&1
check_eq "fsck of an empty catalog: exit 2" 2 "$?"
check "it says so" grep -q "catalog '.*empty.db' is empty" fsck-empty.log
check_eq "and leaves it empty" 0 "$(stat -c %s empty.db)"
check "no WAL made beside it" test ! -e empty.db-wal
