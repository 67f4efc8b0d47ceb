# A mount whose catalog is on PostgreSQL (a throw-away cluster of the
# test's own, tests/pg_cluster.sh), reached by a URI that holds a password:
#   - cp into staging/, a dump with 2 copies (one per pool), the bytes read
#     back from tape equal, `echo all > .verify` all OK;
#   - the catalog's backup after the dump is a sqlite file (plain sqlite3
#     reads it: the same rows as the database), and the snapshot on tape
#     restores: `tapefs rebuild` into an empty database gives archive/
#     and tapes/ as they were;
#   - kill -9 of the daemon, then a new mount: what was archived is there
#     and reads back, what was staged is still staged and dumps;
#   - the URI's password appears in no output: .status, .status.json,
#     the daemon's log, `tapefs config`, fsck, rebuild, export, errors.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pg_cluster.sh"

pg_cluster_start
case $? in
0) ;;
3) not_ok "the PostgreSQL server is not installed (scripts/install-deps)"; exit 1 ;;
*) not_ok "a PostgreSQL cluster"; exit 1 ;;
esac
trap 't_cleanup; pg_cluster_stop' EXIT
PW=Pw0rdXyZ
# the cluster trusts its socket: libpq is given the password and not asked
uri() { echo "postgresql://tapefs:$PW@/$1?host=$PG_DIR"; }
psql_() { (cd / && pg_cluster_as "$(pg_cluster_bin)/psql" -qAt -h "$PG_DIR" -U tapefs -d "${2:-tapefs}" -c "$1"); }
# snapshot_copies: the copies of catalog snapshots on tape. The snapshot
# is written after a dump's files have left staging: wait_snapshots N
# waits (60 s) until there are N, so that a listing includes them.
snapshot_copies() { psql_ "select count(*) from copy c join archive a on a.id = c.archive where a.kind = 1"; }
wait_snapshots() {
	local n=600
	while [ "$(snapshot_copies)" != "$1" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	[ "$(snapshot_copies)" = "$1" ]
}

tf_setup --drives 2 --slots 6 --tapes 4 --capacity 64M --pools 2 -- \
	copies=2 pools=A,B block_size=64K catalog="$(uri tapefs)" \
	catalog_backup=backups catalog_to_tape=1
out=$("$TF_TAPEFS" config -c tapefs.ini 2>&1)
check "tapefs config shows the URI masked" grep -qxF "catalog = postgresql://tapefs:***@/tapefs?host=$PG_DIR" <<<"$out"
echo "$out" >shown.txt

mkdir -p src/d1/sub src/d2
head -c 300000 /dev/urandom >src/d1/data.bin
echo "note" >src/d1/sub/note.txt
head -c 70000 /dev/urandom >src/d2/more.bin
check "mount" tf_mount tapefs.ini mnt
check "dump d1" tf_dump_dir d1
check_eq "two copies, one per pool" "A B" \
	"$(getfattr --only-values -n user.tapefs.copies mnt/archive/d1/data.bin | tr ',' '\n' | cut -c1 | sort | xargs)"
check "the bytes read back equal" cmp src/d1/data.bin mnt/archive/d1/data.bin
check "the small file too" cmp src/d1/sub/note.txt mnt/archive/d1/sub/note.txt
check_eq "the members are rows of the database" 1 \
	"$(psql_ "select count(*) from member m join node n on n.id = m.node where n.name = 'data.bin'::bytea")"
run=$(tf_verify all)
check_eq "verify all: 0 bad" 0 "$(tf_field bad mnt/verify/$run/summary)"
check "verify all: every copy OK" test "$(tf_field ok mnt/verify/$run/summary)" -ge 4
cat mnt/.status mnt/.status.json mnt/.dump mnt/.library >>shown.txt 2>&1

# the backup on disk: a sqlite file with the database's rows
bk=$(ls -d backups/catalog-*.db 2>/dev/null | tail -n 1)
check "a backup after the dump" test -n "$bk"
check_eq "the backup is private" 600 "$(stat -c %a "$bk")"
check_eq "sqlite3 reads it whole" ok "$(sqlite3 "$bk" 'pragma integrity_check')"
check_eq "it holds the database's members" \
	"$(psql_ "select count(*) || ' ' || coalesce(sum(size), 0) from member")" \
	"$(sqlite3 "$bk" "select count(*) || ' ' || coalesce(sum(size), 0) from member")"
check_eq "the snapshot was made in the cache's tapefs-tmp/ (0700), and removed" "700 0" \
	"$(stat -c %a cache/tapefs-tmp) $(ls -A cache/tapefs-tmp | wc -l)"
check "a snapshot on tape, two copies" wait_snapshots 2
tf_listing mnt >full.list
tf_tapes_state mnt >full.tapes

# kill -9, then mount again
cp -r src/d2 mnt/staging/d2
kill -9 "$TF_PID"
wait "$TF_PID" 2>/dev/null
fusermount3 -u mnt 2>/dev/null || umount -l mnt
check "mount again after kill -9" tf_mount tapefs.ini mnt
check "archived bytes after the crash" cmp src/d1/data.bin mnt/archive/d1/data.bin
check "the staged file is still staged" cmp src/d2/more.bin mnt/staging/d2/more.bin
echo "now d2" >mnt/.dump
n=600
while [ -e mnt/staging/d2/more.bin ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
check "and dumps" test ! -e mnt/staging/d2/more.bin -a -f mnt/archive/d2/more.bin
check "its bytes from tape" cmp src/d2/more.bin mnt/archive/d2/more.bin
check "and a second snapshot on tape, two copies" wait_snapshots 4
cat mnt/.status mnt/.status.json >>shown.txt 2>&1
tf_listing mnt >full.list
tf_tapes_state mnt >full.tapes
tf_umount mnt
out=$("$TF_TAPEFS" fsck -c tapefs.ini 2>&1)
check_eq "tapefs fsck: clean" 0 $?
echo "$out" >>shown.txt

# the snapshot on tape, restored into an empty database
psql_ "create database tapefs2" postgres
sed -i "s|^catalog = .*|catalog = $(uri tapefs2)|; s|^catalog_backup = .*|catalog_backup = none|" tapefs.ini
out=$("$TF_TAPEFS" rebuild -c tapefs.ini 2>&1)
check_eq "tapefs rebuild into an empty database: exit 0" 0 $?
echo "$out" >>shown.txt
echo "$out" | sed 's/^/# /'
check "restored from the newest snapshot on tape" grep -q 'restored from the' <<<"$out"
check "mount the rebuilt database" tf_mount tapefs.ini mnt
tf_listing mnt >rebuilt.list
tf_tapes_state mnt >rebuilt.tapes
check "rebuilt: archive/ and tapes/ as they were" cmp full.list rebuilt.list
diff full.list rebuilt.list | head -n 6 | sed 's/^/# /'
check "rebuilt: every tape's state and counts" cmp full.tapes rebuilt.tapes
check "rebuilt: bytes read back" cmp src/d2/more.bin mnt/archive/d2/more.bin
tf_umount mnt
out=$("$TF_TAPEFS" rebuild -c tapefs.ini 2>&1)
echo "$out" >>shown.txt
check "a second rebuild changes nothing" grep -q ' 0 archives added' <<<"$out"

# an unreachable server: the error names it, masked
sed -i "s|^catalog = .*|catalog = postgresql://tapefs:$PW@/nosuchdb?host=$PG_DIR|" tapefs.ini
out=$(timeout 30 "$TF_TAPEFS" -f -c tapefs.ini mnt 2>&1)
check "a mount of a missing database fails" test $? -ne 0
echo "$out" >>shown.txt
check "and says which, masked" grep -qF "tapefs:***@/nosuchdb" <<<"$out"
"$TF_TAPEFS" export -c tapefs.ini >>shown.txt 2>&1
"$TF_TAPEFS" fsck -c tapefs.ini >>shown.txt 2>&1

check "the password is in no output" eval '! grep -l "$PW" shown.txt "${TEST_TMP:-.}/tapefs.log" backups/* 2>/dev/null'
