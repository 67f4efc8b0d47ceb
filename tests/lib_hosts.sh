# tests/lib_hosts.sh - two hosts on one library, sourced by shell tests
# after tests/lib.sh (docs/multi-host.md): a PostgreSQL catalog of the
# test's own (tests/pg_cluster.sh, stopped at exit after the mounts),
# one vlib of 4 drives (lib/), host A driving drives 0,1 (a.ini, mounted
# on mntA) and host B drives 2,3 (b.ini, mntB), the staging and cache
# directories shared (stg/, cache/: one file system seen by both, as a
# site's NFS or CephFS), each host its own catalog backups.
#
#   hosts_setup [MKVLIB-OPTIONS...] [-- KEY=VALUE...]
#       the cluster, lib/ (`tapefs mkvlib lib --drives 4 MKVLIB-OPTIONS`),
#       a.ini and b.ini (tf_config, the KEY=VALUEs on both, A:KEY=VALUE
#       on A's only, B:KEY=VALUE on B's only); leases of
#       HOSTS_LEASE seconds (3). Fails the test when PostgreSQL is missing.
#   hosts_mount A|B      mount the host; its daemon's pid in PID_A / PID_B
#   hosts_umount A|B     unmount it cleanly (it leaves the catalog's hosts)
#   hosts_kill A|B       kill -9 its daemon, the dead mount cleared
#   hosts_sql SQL        the rows of a query on the catalog (psql -qAt)
#   hosts_unload_drives D...   the cartridges of drives D... back to their
#       slots, as an operator's robot command (mtx over the SCSI shim): a
#       dead host's drives keep what they held
. "$TOP/tests/pg_cluster.sh"

HOSTS_LEASE=${HOSTS_LEASE:-3}

hosts_setup() {
	local -a lib=()
	local rc
	while [ $# -gt 0 ] && [ "$1" != -- ]; do lib+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	pg_cluster_start
	rc=$?
	case $rc in
	0) ;;
	3) not_ok "the PostgreSQL server is not installed (scripts/install-deps)"; exit 1 ;;
	*) not_ok "a PostgreSQL cluster"; exit 1 ;;
	esac
	# the mounts first (t_cleanup), then the server
	trap 't_cleanup; pg_cluster_stop' EXIT
	tf_mkvlib lib --drives 4 "${lib[@]}" || { not_ok "mkvlib"; exit 1; }
	local -a a=() b=()
	local kv
	for kv; do
		case $kv in
		A:*) a+=("${kv#A:}") ;;
		B:*) b+=("${kv#B:}") ;;
		*) a+=("$kv"); b+=("$kv") ;;
		esac
	done
	tf_config a.ini catalog="$PG_URI" catalog_backup=backups-A \
		library.host=A library.drive_ids=0,1 library.lease="$HOSTS_LEASE" "${a[@]}"
	tf_config b.ini catalog="$PG_URI" catalog_backup=backups-B \
		library.host=B library.drive_ids=2,3 library.lease="$HOSTS_LEASE" "${b[@]}"
}

hosts_ini() { echo "$(echo "$1" | tr AB ab).ini"; }

hosts_mount() {
	local h=$1
	tf_mount "$(hosts_ini "$h")" "mnt$h" || return 1
	printf -v "PID_$h" %s "$TF_PID"
}

hosts_umount() {
	local h=$1 pid n=300
	pid=$(eval echo "\${PID_$h:-}")
	fusermount3 -u "mnt$h" 2>/dev/null
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	[ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null
}

hosts_kill() {
	local h=$1 pid
	pid=$(eval echo "\${PID_$h:-}")
	[ -n "$pid" ] || return 1
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	fusermount3 -u "mnt$h" 2>/dev/null || umount -l "mnt$h" 2>/dev/null
	return 0
}

hosts_sql() {
	(cd / && pg_cluster_as "$(pg_cluster_bin)/psql" -qAt -h "$PG_DIR" -U tapefs -d tapefs -c "$1")
}

hosts_unload_drives() {
	local d bc slot
	for d; do
		read -r _ _ bc slot < <(grep "^drive $d " lib/state)
		[ -n "${slot:-}" ] && [ "$bc" != - ] || continue
		TAPEFS_SGSHIM=/dev/sg9=$PWD/lib LD_PRELOAD=$BUILD/tests/libsgshim.so \
			mtx -f /dev/sg9 unload "$slot" "$d" >/dev/null || return 1
	done
}
