# A mount among the hosts of its catalog (docs/multi-host.md):
#   - without [library] host it is one host alone: no row in the host
#     table, the rows of work it makes leased to no one;
#   - with host = alpha (lease = 2) it joins: its row in the host table,
#     the heartbeat moving every third of the lease; the dump and the
#     verify run it makes are leased to alpha while it works;
#   - a second mount under alpha while alpha lives is refused before it
#     mounts, with the config's line and why, and the first one is left
#     alone (same start, still beating);
#   - an unmount leaves: the row deleted, no lease held by alpha;
#   - kill -9, then a new mount under alpha at once: the dead run's row is
#     watched, waited out (at most the lease time) and joined again.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 4 --tapes 2 --capacity 32M --pools 2 -- \
	copies=2 pools=A,B block_size=64K
q() { sqlite3 -cmd '.timeout 5000' cat.db "$1"; }
mkdir -p src/d1 src/d2 src/d3
head -c 200000 /dev/urandom >src/d1/a.bin
head -c 3000000 /dev/urandom >src/d2/b.bin
head -c 100000 /dev/urandom >src/d3/c.bin

# ---- one host alone --------------------------------------------------------------------
check "mount without host" tf_mount tapefs.ini mnt
check "dump d1" tf_dump_dir d1
check_eq "no row in the host table" 0 "$(q 'select count(*) from host')"
check_eq "its dump leased to no one" "|0" "$(q 'select lease_host || "|" || lease_until from dump order by id desc limit 1')"
tf_umount mnt

# ---- host = alpha ---------------------------------------------------------------------------
tf_config tapefs.ini copies=2 pools=A,B block_size=64K library.host=alpha library.lease=2
tf_set_rate 2
hline=$(grep -n '^host = alpha' tapefs.ini | cut -d: -f1)
check_eq "tapefs config says the lease" "lease = 2s" "$("$TAPEFS" config -c tapefs.ini | grep '^lease')"
check "mount as alpha" tf_mount tapefs.ini mnt
pid1=$TF_PID
check_eq "alpha in the host table" alpha "$(q 'select name from host')"
row1=$(q 'select started || " " || heartbeat from host where name = "alpha"')
started1=${row1% *}
n=50
while [ "$(q 'select heartbeat from host where name = "alpha"')" = "${row1#* }" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
check "its heartbeat moves (every third of 2 s)" test "$(q 'select heartbeat from host where name = "alpha"')" -gt "${row1#* }"

# a dump made by alpha is leased to alpha while it is under way (the
# tapes at 2 MB/s keep it writing long enough to look)
cp -r src/d2 mnt/staging/d2
echo "now d2" >mnt/.dump
n=300
while [ "$(q 'select count(*) from dump where state in (0, 1)')" = 0 ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
check_eq "the dump under way is leased to alpha" alpha "$(q 'select lease_host from dump where state in (0, 1)')"
check "its lease runs past now" test "$(q 'select lease_until from dump where state in (0, 1)')" -gt "$(q 'select heartbeat from host')"
check "and dumps" tf_wait_dumps 1 60
run=$(tf_verify all)
check "verify all ends" test -n "$run"
check_eq "the verify run was alpha's" alpha "$(q "select lease_host from run where id = $run")"

# ---- a second daemon under the same live name ---------------------------------------------
mkdir -p mnt2
out=$(timeout 30 "$TAPEFS" -f -c tapefs.ini mnt2 2>&1)
rc=$?
check_eq "a second mount as alpha: exit 1" 1 "$rc"
check "it says the line and why" grep -qF "tapefs.ini:$hline: host 'alpha' is alive in the catalog: another daemon runs under this name; not mounted" <<<"$out"
check "it did not mount" sh -c "! grep -q ' $(realpath mnt2) ' /proc/mounts"
check_eq "the first run's row is untouched" "$started1" "$(q 'select started from host where name = "alpha"')"
hb=$(q 'select heartbeat from host')
sleep 1.5
check "the first one still beats" test "$(q 'select heartbeat from host')" -gt "$hb"
check "and still serves" cmp src/d2/b.bin mnt/archive/d2/b.bin

# ---- leave at unmount ---------------------------------------------------------------------------
tf_umount mnt
check "the daemon ended" sh -c "! kill -0 $pid1 2>/dev/null"
check_eq "alpha left the host table" 0 "$(q 'select count(*) from host')"
check_eq "no lease held by alpha" 0 "$(q "select (select count(*) from dump where lease_host != '') + (select count(*) from run where lease_host != '')")"

# ---- kill -9 and a restart under the same name ----------------------------------------------
# (a lease of 6 s: the restart comes within it even on a loaded machine)
tf_config tapefs.ini copies=2 pools=A,B block_size=64K library.host=alpha library.lease=6
check "mount as alpha again" tf_mount tapefs.ini mnt
started2=$(q 'select started from host where name = "alpha"')
cp -r src/d3 mnt/staging/d3
kill -9 "$TF_PID"
wait "$TF_PID" 2>/dev/null
fusermount3 -u mnt 2>/dev/null || umount -l mnt
check_eq "the dead run's row stays" "$started2" "$(q 'select started from host where name = "alpha"')"
check "a new mount as alpha at once waits it out and joins" tf_mount tapefs.ini mnt
check "joined anew" test "$(q 'select started from host where name = "alpha"')" -gt "$started2"
check "the log says it watched the name" grep -q "host 'alpha' beat [0-9]* ms ago: watching" "$TEST_TMP/tapefs.log"
check "the staged file is still staged" cmp src/d3/c.bin mnt/staging/d3/c.bin
echo "now d3" >mnt/.dump
check "and dumps" tf_wait_dumps 1 60
check "its bytes from tape" cmp src/d3/c.bin mnt/archive/d3/c.bin
tf_umount mnt
check_eq "alpha left again" 0 "$(q 'select count(*) from host')"
