# Two daemons on one library and one catalog (tests/lib_hosts.sh: a
# PostgreSQL catalog, a vlib of 4 drives, host A driving drives 0,1 and
# host B drives 2,3, the staging and cache directories shared; leases of
# 3 s; the tapes at 2 MB/s; each host writes its own pools, A and B for
# A, C and D for B: a tape stays in the drive of the host that used it,
# and a host never moves a tape in another's drive):
#   - both join: the host table holds A and B;
#   - a cp into A's staging/ and one into B's, then `now` on both hosts at
#     once: every file is dumped once (one member each, in the catalog's
#     rows), with 2 copies in two pools, and leaves staging/;
#   - kill -9 of A while it writes a dump: B takes it over after the
#     lease time, without being asked (A's dump failed, interrupted; B
#     dumps the files again, under the shared staging's lease): each file
#     once, 2 copies, the bytes equal, nothing left staged;
#   - a file dumped by A (its dump leased to A) read on host B: the same
#     MD5 (B recalls it through its own drives into the shared cache, once
#     A's drives gave their cartridges back);
#   - `tapefs fsck` clean.
. "$TOP/tests/lib.sh"
. "$TOP/tests/lib_hosts.sh"

hosts_setup --slots 10 --tapes 8 --capacity 64M --pools 4 -- \
	copies=2 block_size=64K A:pools=A,B B:pools=C,D
tf_set_rate 2
# A's tapes (pools A and B) slower: its dump of k below writes for 12 s, so
# that the kill lands within it whatever the machine's load (at 2 MB/s the
# dump was committed before the kill once in three runs)
for t in lib/tapes/[AB]*.vtape; do "$TF_TAPEFS" vtape set "$t" rate=0.5 scale=1 >/dev/null; done
staged() { find stg ! -type d 2>/dev/null | wc -l; }
# wait_staged N: until staging/ holds N files (60 s)
wait_staged() {
	local n=600
	while [ "$(staged)" != "$1" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	[ "$(staged)" = "$1" ]
}
# members NAME: how many members of the catalog are named NAME
members() { hosts_sql "select count(*) from member m join node n on n.id = m.node where n.name = '$1'::bytea"; }
# copies NAME: the copies of the archive holding member NAME
copies() { hosts_sql "select count(*) from copy c join member m on m.archive = c.archive join node n on n.id = m.node where n.name = '$1'::bytea"; }
# dumper NAME: the host whose dump committed member NAME
dumper() { hosts_sql "select d.lease_host from dump d join archive a on a.dump = d.id join member m on m.archive = a.id join node n on n.id = m.node where n.name = '$1'::bytea"; }
md5() { md5sum <"$1" | cut -d' ' -f1; }

mkdir -p src/a1/sub src/b1 src/a2 src/k
head -c 200000 /dev/urandom >src/a1/fa.bin
echo "a note" >src/a1/sub/note.txt
head -c 150000 /dev/urandom >src/b1/fb.bin
head -c 300000 /dev/urandom >src/a2/fa2.bin
head -c 6000000 /dev/urandom >src/k/big.bin
head -c 5000 /dev/urandom >src/k/small.bin

check "mount A" hosts_mount A
check "mount B" hosts_mount B
check_eq "both joined the catalog's hosts" "A B" "$(hosts_sql 'select name from host order by name' | xargs)"

# ---- a cp into either staging/, `now` on both at once: dumped once -----------------------
cp -r src/a1 mntA/staging/a1
cp -r src/b1 mntB/staging/b1
check "B's staging/ shows what A staged (shared)" cmp src/a1/fa.bin mntB/staging/a1/fa.bin
echo now >mntA/.dump &
wa=$!
echo now >mntB/.dump &
wb=$!
wait $wa $wb # (not the daemons)
check "every file left staging/" wait_staged 0
for f in fa.bin note.txt fb.bin; do
	check_eq "$f: dumped once (one member)" 1 "$(members $f)"
	check_eq "$f: its archive has 2 copies" 2 "$(copies $f)"
done
check "the copies in two pools" test "$(getfattr --only-values -n user.tapefs.copies mntB/archive/b1/fb.bin | tr ',' '\n' | cut -c1 | sort -u | wc -l)" = 2

# ---- a file dumped by A ----------------------------------------------------------------------------------
cp -r src/a2 mntA/staging/a2
echo "now a2" >mntA/.dump
check "A dumps a2" wait_staged 0
check_eq "the dump of a2 was A's" A "$(dumper fa2.bin)"

# ---- kill -9 of A during a dump: B finishes it --------------------------------------------------------
cp -r src/k mntA/staging/k
echo "now k" >mntA/.dump
n=600
while [ "$(hosts_sql "select count(*) from dump where state = 1 and lease_host = 'A'")" = 0 ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
dumpA=$(hosts_sql "select id from dump where state = 1 and lease_host = 'A'")
check "A writes the dump of k" test -n "$dumpA"
sleep 0.3
check "kill -9 A during it" hosts_kill A
check_eq "nothing of k committed" 0 "$(members big.bin)"
check "A's drives unloaded" hosts_unload_drives 0 1
check "B dumps k after A's lease ran out" wait_staged 0
check_eq "A's dump: failed, interrupted" "3 interrupted" \
	"$(hosts_sql "select state || ' ' || split_part(error, ':', 1) from dump where id = ${dumpA:-0}")"
for f in big.bin small.bin; do
	check_eq "$f: dumped once (one member)" 1 "$(members $f)"
	check_eq "$f: 2 copies" 2 "$(copies $f)"
	check_eq "$f: by B" B "$(dumper $f)"
done
check "big.bin reads back on B" cmp src/k/big.bin mntB/archive/k/big.bin
check "B's log: A's dump taken over" grep -q "dump $dumpA was interrupted (" "$TEST_TMP/tapefs.log"
for f in fa.bin note.txt fb.bin fa2.bin; do
	check_eq "$f: still one member" 1 "$(members $f)"
done
check_eq "no dump left pending or writing" 0 "$(hosts_sql 'select count(*) from dump where state in (0, 1)')"

# ---- a file dumped by A, read on B (A's drives emptied above) ----------------------------
check_eq "a read on B: the MD5 of A's file" "$(md5 src/a2/fa2.bin)" "$(md5 mntB/archive/a2/fa2.bin)"
check "B recalled it into the shared cache" test -n "$(find cache -type f -size 300000c 2>/dev/null | head -n 1)"

check "B unmounts" hosts_umount B
check_eq "B left; the row of A, dead, stays" A "$(hosts_sql 'select name from host' | xargs)"
out=$("$TF_TAPEFS" fsck -c b.ini 2>&1)
check_eq "tapefs fsck: clean" 0 $?
[ -n "$out" ] && echo "$out" | sed 's/^/# fsck: /' | tail -n 5
