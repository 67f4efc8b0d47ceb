# tests/t_catalog_pg.sh - the PostgreSQL catalog backend in make check: a
# throw-away cluster (tests/pg_cluster.sh) and, on it, the backend's own
# test (test_catalog_pg: one writer across processes, bytes kept, bad
# databases refused, a walk of 200 000 rows streamed, the server
# restarted between calls and during a commit) and a representative part of the catalog suite
# (queries, walks). make check-pg runs all of it. Skipped,
# saying so, where the PostgreSQL server is not installed
# (scripts/install-deps installs it).
. "$TOP/tests/lib.sh"
. "$TOP/tests/pg_cluster.sh"

pg_cluster_start
rc=$?
if [ $rc -eq 3 ]; then
	echo "# SKIP: the PostgreSQL server (initdb, pg_ctl) is not installed (scripts/install-deps installs it)"
	exit 0
fi
check "a throw-away cluster starts" test $rc -eq 0
[ $rc -eq 0 ] || exit 1
trap 'pg_cluster_stop; t_cleanup' EXIT
check "the cluster listens on no TCP port" sh -c "! grep -q '^listen_addresses' '$PG_DIR/data/postgresql.auto.conf' 2>/dev/null && grep -q 'listening on Unix socket' '$PG_DIR/log' && ! grep -q 'listening on IPv' '$PG_DIR/log'"

for t in test_catalog_pg test_catalog_queries test_catalog_walk test_robot_lock test_catalog_drives; do
	# test_catalog_pg restarts the server (the catalog reconnects): the
	# cluster is this test's own, and nothing runs beside it on it
	out=$(TAPEFS_TEST_PG=$PG_URI TAPEFS_TEST_PG_RESTART=1 "$BUILD/tests/$t" 2>&1)
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	if [ -z "$line" ] || [ "$f" != 0 ]; then
		not_ok "$t on PostgreSQL: ${line:-no total}"
		grep -E '^(not ok|catalog:)' <<<"$out" | head -n 20
	else
		ok "$t on PostgreSQL: $p passed"
	fi
done
