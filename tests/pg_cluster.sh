#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests: initdb in a temporary
# directory as an unprivileged user (tests run as root; the server refuses
# root), listening on a Unix socket in that directory only (no TCP),
# stopped and removed when done. The initdb is made once and kept in
# $BUILD/pg-template (copied for each cluster: initdb takes seconds).
#
#   tests/pg_cluster.sh run CMD [ARG...]
#       start a cluster, run CMD with TAPEFS_TEST_PG set to its URI (the
#       catalog tests then run on it: catalog_testing_where()), stop it;
#       exits with CMD's status
#   . tests/pg_cluster.sh; pg_cluster_start; trap pg_cluster_stop EXIT
#       the same from a shell test: pg_cluster_start sets PG_URI and
#       PG_DIR; it returns 3 when the server's programs are not installed
#       (scripts/install-deps installs them)
#   tests/pg_cluster.sh restart | down | up
#       the server of the cluster in $PG_DIR (exported by pg_cluster_start)
#       restarted (every connection cut), stopped, or started again on
#       the same data and socket: a test of the catalog's reconnection
#       (only with a cluster of its own: the others' connections go too)
#
# PG_BIN overrides where initdb, pg_ctl and postgres are found.

pg_cluster_bin() {
	local d
	for d in "${PG_BIN:-}" /usr/lib/postgresql/*/bin; do
		[ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
	done
	return 1
}

# as the unprivileged owner of the cluster
pg_cluster_as() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid="$PG_USER" --regid="$PG_GROUP" --clear-groups -- "$@"
	else
		"$@"
	fi
}

pg_cluster_user() {
	PG_USER=nobody
	PG_GROUP=$(id -gn nobody 2>/dev/null || echo nogroup)
	[ "$(id -u)" -eq 0 ] || { PG_USER=$(id -un); PG_GROUP=$(id -gn); }
}

# the server's options: no TCP; fsync off (the cluster dies with the test)
pg_cluster_opts() {
	echo "-c listen_addresses= -c unix_socket_directories=$PG_DIR \
-c fsync=off -c full_page_writes=off -c max_connections=300 \
-c shared_buffers=32MB"
}

pg_cluster_start() {
	local bin build tmpl
	bin=$(pg_cluster_bin) || return 3
	pg_cluster_user
	build=${BUILD:-build}
	mkdir -p "$build" || return 1
	build=$(cd "$build" && pwd)
	tmpl="$build/pg-template"
	if [ ! -f "$tmpl/PG_VERSION" ]; then
		local t
		t=$(mktemp -d /tmp/tapefs-pginit.XXXXXX) || return 1
		chown "$PG_USER:$PG_GROUP" "$t"
		if ! pg_cluster_as "$bin/initdb" -D "$t/data" -U tapefs \
			--auth=trust --encoding=SQL_ASCII --locale=C --no-sync \
			>"$t/initdb.log" 2>&1; then
			echo "pg_cluster: initdb failed:" >&2
			cat "$t/initdb.log" >&2
			rm -rf "$t"
			return 1
		fi
		rm -rf "$tmpl.new"
		cp -a "$t/data" "$tmpl.new" && mv "$tmpl.new" "$tmpl" 2>/dev/null
		rm -rf "$t" "$tmpl.new"
	fi
	PG_DIR=$(mktemp -d /tmp/tapefs-pg.XXXXXX) || return 1
	cp -a "$tmpl" "$PG_DIR/data" || return 1
	chown -R "$PG_USER:$PG_GROUP" "$PG_DIR"
	chmod 0700 "$PG_DIR/data"
	if ! pg_cluster_as "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" \
		-w -t 60 -o "$(pg_cluster_opts)" start >/dev/null; then
		echo "pg_cluster: the server did not start:" >&2
		tail -n 20 "$PG_DIR/log" >&2
		rm -rf "$PG_DIR"
		return 1
	fi
	PG_URI="postgresql:///tapefs?host=$PG_DIR&user=tapefs"
	if ! (cd / && pg_cluster_as "$bin/psql" -q -h "$PG_DIR" -U tapefs -d postgres \
		-c "CREATE DATABASE tapefs") >/dev/null 2>>"$PG_DIR/log"; then
		echo "pg_cluster: cannot create the database" >&2
		pg_cluster_stop
		return 1
	fi
	export PG_URI PG_DIR
}

# pg_cluster_ctl restart|stop|start: pg_ctl on the server of $PG_DIR
pg_cluster_ctl() {
	local bin
	bin=$(pg_cluster_bin) || return 3
	[ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/PG_VERSION" ] || return 1
	pg_cluster_user
	(cd / && pg_cluster_as "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" \
		-o "$(pg_cluster_opts)" -m fast -w -t 60 "$1" >/dev/null)
}

pg_cluster_stop() {
	local bin
	[ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
	bin=$(pg_cluster_bin) &&
		pg_cluster_as "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case "${1:-}" in
	run)
		shift
		[ $# -gt 0 ] || { echo "usage: $0 run CMD [ARG...]" >&2; exit 2; }
		pg_cluster_start
		rc=$?
		if [ $rc -eq 3 ]; then
			echo "pg_cluster: the PostgreSQL server is not installed (scripts/install-deps)" >&2
			exit 3
		fi
		[ $rc -eq 0 ] || exit 1
		trap pg_cluster_stop EXIT INT TERM
		TAPEFS_TEST_PG=$PG_URI "$@"
		exit $?
		;;
	restart) pg_cluster_ctl restart ;;
	down) pg_cluster_ctl stop ;;
	up) pg_cluster_ctl start ;;
	*)
		echo "usage: $0 run CMD [ARG...] | restart | down | up" >&2
		exit 2
		;;
	esac
fi
