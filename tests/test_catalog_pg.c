/* tests/test_catalog_pg.c - what the PostgreSQL backend adds beside the
 * catalog suite it passes (make check-pg): sqlite's schema told to
 * PostgreSQL (always: no server needed); and, when TAPEFS_TEST_PG gives a
 * server (tests/t_catalog_pg.sh, make check-pg): one writer at a time
 * across processes, a reopened catalog keeps its rows and version, an
 * empty database is no catalog for fsck, a database that would not keep
 * names as bytes is refused, an unreachable server is an error.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "catalog/dialect_pg.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static void test_dialect(void)
{
	char *s = dialect_pg_script(
	    "CREATE TABLE t( id INTEGER PRIMARY KEY, name BLOB NOT NULL,"
	    " note TEXT NOT NULL DEFAULT 'INTEGER; BLOB', r REAL,"
	    " PRIMARY KEY(id)) WITHOUT ROWID;"
	    "CREATE INDEX t_name ON t(name);"
	    "ALTER TABLE t ADD COLUMN n INTEGER NOT NULL DEFAULT 0;"
	    "PRAGMA user_version=7;PRAGMA journal_mode=WAL;");

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(strstr(s, "id BIGINT PRIMARY KEY") != NULL);
	CHECK(strstr(s, "name BYTEA NOT NULL") != NULL);
	CHECK(strstr(s, "note TEXT COLLATE \"C\" NOT NULL") != NULL);
	/* quoted text is left alone, ';' in it ends nothing */
	CHECK(strstr(s, "DEFAULT 'INTEGER; BLOB'") != NULL);
	CHECK(strstr(s, "r DOUBLE PRECISION") != NULL);
	CHECK(strstr(s, "ROWID") == NULL);
	CHECK(strstr(s, "CREATE TRIGGER t_rowid BEFORE INSERT ON t") != NULL);
	CHECK(strstr(s, "WHEN (NEW.id IS NULL)") != NULL);
	CHECK(strstr(s, "CREATE INDEX t_name ON t(name)") != NULL);
	CHECK(strstr(s, "ADD COLUMN n BIGINT NOT NULL") != NULL);
	CHECK(strstr(s, "INSERT INTO tapefs_schema(version) VALUES(7)") !=
	      NULL);
	CHECK(strstr(s, "PRAGMA") == NULL);
	CHECK(strstr(s, "journal_mode") == NULL);
	free(s);
	CHECK(strcmp(dialect_pg_stmt("PRAGMA user_version"),
		     "PRAGMA user_version") != 0);
	CHECK(strcmp(dialect_pg_stmt("SELECT 1"), "SELECT 1") == 0);
	CHECK_INT(catalog_kind_of("postgresql:///x"), CATALOG_KIND_POSTGRESQL);
	CHECK_INT(catalog_kind_of("postgres.db"), CATALOG_KIND_FILE);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A commit held open by this process keeps another process's write
 * waiting until it ends: sqlite's one writer, across processes. */
static void test_one_writer(void)
{
	struct catalog *cat;
	struct catalog_tape t = fx_tape("W1", "A", CATALOG_TAPE_SCRATCH, 1e9);
	struct catalog_archive_in ai = {.bytes = 512, .block_size = 512};
	struct catalog_copy_in cp = {"W1", 1, 0, 512};
	struct catalog_commit *c = NULL;
	double ended = 0, done = 0;
	int64_t dump, arch;
	int p[2], st;
	pid_t pid;

	cat = fx_catalog("writer.db");
	if (!cat)
		return;
	CHECK_INT(catalog_tape_add(cat, &t), 0);
	CHECK_INT(catalog_dump_create(cat, NULL, 0, &dump), 0);
	CHECK_INT(catalog_commit_begin(cat, dump, &ai, &cp, 1, &c), 0);
	CHECK_INT(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		struct catalog *other;
		struct catalog_tape u =
		    fx_tape("W2", "A", CATALOG_TAPE_SCRATCH, 1e9);
		double at;

		close(p[0]);
		other = fx_catalog("writer.db");
		if (!other || catalog_tape_add(other, &u) != 0)
			_exit(1);
		at = now_s();
		if (write(p[1], &at, sizeof(at)) != sizeof(at))
			_exit(1);
		catalog_close(other);
		_exit(0);
	}
	close(p[1]);
	usleep(500000); /* the child waits on the writer's lock */
	ended = now_s();
	if (c)
		CHECK_INT(catalog_commit_end(c, &arch), 0);
	CHECK_INT(read(p[0], &done, sizeof(done)), sizeof(done));
	close(p[0]);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(done >= ended); /* written after the commit, not beside it */
	CHECK_INT(catalog_tape_get(cat, "W2", &t), 0);
	catalog_close(cat);
}

static void test_reopen(void)
{
	struct catalog *cat = fx_catalog("reopen.db");
	struct catalog_tape t = fx_tape("R1", "A", CATALOG_TAPE_SCRATCH, 1e9);
	char where[8192];

	if (!cat)
		return;
	/* a name that is not valid UTF-8 is kept as its bytes */
	snprintf(t.location, sizeof(t.location), "slot \xe9\xff 3");
	CHECK_INT(catalog_tape_add(cat, &t), 0);
	catalog_close(cat);
	CHECK_INT(catalog_testing_where("reopen.db", where, sizeof(where)), 0);
	CHECK_INT(catalog_open_existing(&cat, where), 0);
	CHECK_INT(catalog_schema_version(cat), CATALOG_SCHEMA_VERSION);
	memset(&t, 0, sizeof(t));
	CHECK_INT(catalog_tape_get(cat, "R1", &t), 0);
	CHECK(strcmp(t.location, "slot \xe9\xff 3") == 0);
	catalog_close(cat);
	/* a schema of its own with nothing in it: no catalog */
	CHECK_INT(catalog_testing_where("empty.db", where, sizeof(where)), 0);
	CHECK_INT(catalog_open_existing(&cat, where), -ENODATA);
}

/* psql's job, with libpq: run sql on the server's database. */
static int server_sql(const char *uri, const char *sql)
{
	PGconn *pg = PQconnectdb(uri);
	PGresult *res = PQexec(pg, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "# %s: %s", sql, PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	return ok ? 0 : -1;
}

static void test_refused(const char *base)
{
	struct catalog *cat = NULL;
	char uri[4096];
	const char *q = strchr(base, '?');

	/* a UTF8 database would refuse a label's bytes that are not UTF-8 */
	CHECK_INT(server_sql(base, "DROP DATABASE IF EXISTS tapefs_utf8"), 0);
	CHECK_INT(server_sql(base, "CREATE DATABASE tapefs_utf8 ENCODING "
				   "'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' "
				   "TEMPLATE template0"),
		  0);
	snprintf(uri, sizeof(uri), "postgresql:///tapefs_utf8%s", q ? q : "");
	CHECK_INT(catalog_open(&cat, uri), -EPROTO);
	/* a server that is not there */
	snprintf(uri, sizeof(uri),
		 "postgresql:///tapefs?host=/nonexistent&user=x&password=y");
	CHECK_INT(catalog_open(&cat, uri), -EIO);
	snprintf(uri, sizeof(uri), "postgresql:///no_such_db%s", q ? q : "");
	CHECK_INT(catalog_open(&cat, uri), -EIO);
}

/* ---- a lost connection ------------------------------------------------ */

/* tests/pg_cluster.sh restart|down|up on this test's own cluster. */
static int cluster(const char *what)
{
	char cmd[4200];
	const char *top = getenv("TOP");

	snprintf(cmd, sizeof(cmd), "'%s/tests/pg_cluster.sh' %s",
		 top ? top : ".", what);
	return system(cmd);
}

/* The server restarted between two calls: the next read and the next
 * write reconnect. Restarted during a commit: that commit fails, nothing
 * of it is there, and it is not sent again; the next write works. The
 * server down: calls fail (-EIO), and work once it is back. */
static void test_reconnect(void)
{
	struct catalog *cat = fx_catalog("reconnect.db");
	struct catalog_tape t = fx_tape("RC01", "A", CATALOG_TAPE_SCRATCH, 1e9);
	struct catalog_archive_in ai = {.bytes = 512, .block_size = 512};
	struct catalog_copy_in cp = {"RC01", 1, 0, 512};
	struct catalog_member m = {
	    .path = "lost.txt", .type = CATALOG_FILE, .mode = 0100644};
	struct catalog_commit *c = NULL;
	struct catalog_archive a;
	int64_t dump, arch;

	if (!cat)
		return;
	CHECK_INT(catalog_tape_add(cat, &t), 0);
	CHECK_INT(catalog_tape_get(cat, "RC01", &t), 0);
	CHECK_INT(cluster("restart"), 0);
	CHECK_INT(catalog_tape_get(cat, "RC01", &t), 0);
	t = fx_tape("RC02", "A", CATALOG_TAPE_SCRATCH, 1e9);
	CHECK_INT(catalog_tape_add(cat, &t), 0);

	CHECK_INT(catalog_dump_create(cat, NULL, 0, &dump), 0);
	CHECK_INT(catalog_commit_begin(cat, dump, &ai, &cp, 1, &c), 0);
	if (c) {
		CHECK_INT(cluster("restart"), 0);
		/* the member's insert, or the commit, meets the lost
		 * connection: the commit fails */
		if (catalog_commit_member(c, &m) == 0)
			CHECK(catalog_commit_end(c, &arch) < 0);
		else
			catalog_commit_abort(c);
	}
	CHECK_INT(catalog_archive_get(cat, 1, &a), -ENOENT);
	t = fx_tape("RC03", "A", CATALOG_TAPE_SCRATCH, 1e9);
	CHECK_INT(catalog_tape_add(cat, &t), 0);

	CHECK_INT(cluster("down"), 0);
	CHECK_INT(catalog_tape_get(cat, "RC01", &t), -EIO);
	t = fx_tape("RC04", "A", CATALOG_TAPE_SCRATCH, 1e9);
	CHECK_INT(catalog_tape_add(cat, &t), -EIO);
	CHECK_INT(cluster("up"), 0);
	CHECK_INT(catalog_tape_get(cat, "RC03", &t), 0);
	CHECK_INT(catalog_tape_add(cat, &t), -EEXIST);
	t = fx_tape("RC04", "A", CATALOG_TAPE_SCRATCH, 1e9);
	CHECK_INT(catalog_tape_add(cat, &t), 0);
	CHECK_INT(catalog_tape_get(cat, "RC04", &t), 0);
	catalog_close(cat);
}

/* ---- a walk of many rows --------------------------------------------- */

/* WALK_N members (TAPEFS_TEST_WALK_N: 200 000 by hand; make check's
 * size keeps it to seconds on a loaded machine and is still 40 times a
 * cursor's batch): WALK_BIG of them in big/, one directory, then
 * directories d000.. of 1000 members each. */
static int WALK_N = 12000, WALK_BIG = 8000;
#define WALK_HELD 256 /* at most a cursor's batch in memory */

/* What a walk gave, in its order: a hash of every field, and a count. */
struct walk_sum {
	uint64_t h, n, stop; /* stop: nonzero, the walk stops at that row */
};

static void sum_add(struct walk_sum *w, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		w->h = (w->h ^ b[i]) * 1099511628211ull;
}

static void sum_member(struct walk_sum *w, const struct catalog_member *m)
{
	int64_t v[8] = {m->id,	  m->archive,	    m->ordinal,
			m->type,  (int64_t)m->size, m->mode,
			m->mtime, m->mtime_nsec};

	sum_add(w, v, sizeof(v));
	sum_add(w, m->md5, strlen(m->md5));
	if (m->path)
		sum_add(w, m->path, strlen(m->path) + 1);
	w->n++;
}

static int walk_member(void *ctx, const struct catalog_member *m)
{
	struct walk_sum *w = ctx;

	sum_member(w, m);
	return w->stop && w->n >= w->stop;
}

static int walk_entry(void *ctx, const char *name,
		      const struct catalog_member *m)
{
	struct walk_sum *w = ctx;

	sum_add(w, name, strlen(name) + 1);
	sum_member(w, m);
	return w->stop && w->n >= w->stop;
}

/* WALK_N members in one archive, through the dump commit. 0 or -errno. */
static int walk_fill(struct catalog *cat, int64_t *archive)
{
	struct catalog_tape t =
	    fx_tape("WK01", "A", CATALOG_TAPE_SCRATCH, 1e12);
	struct catalog_archive_in ai = {.bytes = 1 << 30, .block_size = 512};
	struct catalog_copy_in cp = {"WK01", 1, 0, 1 << 30};
	struct catalog_commit *c;
	struct catalog_member m;
	char path[64];
	int64_t dump;
	int ret;

	if ((ret = catalog_tape_add(cat, &t)) < 0 ||
	    (ret = catalog_dump_create(cat, NULL, 0, &dump)) < 0 ||
	    (ret = catalog_commit_begin(cat, dump, &ai, &cp, 1, &c)) < 0)
		return ret;
	for (int i = 0; i < WALK_N && ret == 0; i++) {
		memset(&m, 0, sizeof(m));
		if (i < WALK_BIG)
			snprintf(path, sizeof(path), "big/f%07d", i);
		else
			snprintf(path, sizeof(path), "d%03d/f%07d",
				 (i - WALK_BIG) / 1000, i);
		m.path = path;
		m.type = CATALOG_FILE;
		m.size = (uint64_t)i * 7;
		m.mode = 0100644;
		m.mtime = 1700000000 + i;
		snprintf(m.md5, sizeof(m.md5), "%032x", i);
		m.header_offset = (uint64_t)i * 1024;
		m.data_offset = m.header_offset + 512;
		ret = catalog_commit_member(c, &m);
	}
	if (ret < 0) {
		catalog_commit_abort(c);
		return ret;
	}
	return catalog_commit_end(c, archive);
}

/* The walks of cat: the archive's members in tape order (what a verify
 * of the tape reads), the listing of big/, and the same two stopped
 * early (the connection then serves the next call). */
static void walk_all(struct catalog *cat, int64_t archive,
		     struct walk_sum out[2])
{
	struct walk_sum early = {.stop = 5};

	memset(out, 0, 2 * sizeof(*out));
	CHECK_INT(
	    catalog_archive_members(cat, archive, 0, walk_member, &out[0]), 0);
	CHECK_INT(catalog_ns_list(cat, "big", NULL, walk_entry, &out[1]), 0);
	CHECK_INT(catalog_archive_members(cat, archive, 0, walk_member, &early),
		  1);
	early.n = 0;
	CHECK_INT(catalog_ns_list(cat, "big", NULL, walk_entry, &early), 1);
	CHECK_INT((int)early.n, 5);
}

/* A walk of WALK_N rows on the server streams: the same rows as sqlite's
 * walk of the same catalog, with at most a batch of rows in memory (a
 * whole result would hold them all); a backup by rows of the server's
 * catalog (its member and node tables read whole) is the same catalog. */
static void test_large_walk(void)
{
	struct catalog *sq = NULL, *pg = NULL, *back = NULL;
	struct walk_sum ws[2], wp[2], wb[2];
	char file[4096], where[8192], backup[4096];
	int64_t archive = 0;
	double t0, t1, t2, t3;

	if (getenv("TAPEFS_TEST_WALK_N") &&
	    atoi(getenv("TAPEFS_TEST_WALK_N")) >= 2000) {
		WALK_N = atoi(getenv("TAPEFS_TEST_WALK_N"));
		WALK_BIG = WALK_N / 5 * 3;
	}
	snprintf(file, sizeof(file), "%s/walk-sqlite.db", fx_tmp());
	snprintf(backup, sizeof(backup), "%s/walk-backup.db", fx_tmp());
	CHECK_INT(catalog_open(&sq, file), 0);
	if (!sq)
		return;
	t0 = now_s();
	CHECK_INT(walk_fill(sq, &archive), 0);
	walk_all(sq, archive, ws);
	CHECK_INT((int)ws[0].n, WALK_N);
	CHECK_INT((int)ws[1].n, WALK_BIG);
	catalog_close(sq);

	CHECK_INT(catalog_testing_where("walk.db", where, sizeof(where)), 0);
	CHECK_INT(catalog_open(&pg, where), 0);
	if (!pg)
		return;
	t1 = now_s();
	CHECK_INT(catalog_restore(pg, file), 0);
	t2 = now_s();
	dialect_pg_rows_held_peak(1);
	walk_all(pg, archive, wp);
	t3 = now_s();
	CHECK_INT((int)wp[0].n, WALK_N);
	CHECK_INT((int)wp[1].n, WALK_BIG);
	CHECK(wp[0].h == ws[0].h);
	CHECK(wp[1].h == ws[1].h);
	CHECK_INT(catalog_backup(pg, backup), 0);
	printf("# rows held at once by a statement: %llu of %d walked "
	       "(%.1f s to fill sqlite, %.1f s to copy to the server, %.1f s "
	       "to walk)\n",
	       (unsigned long long)dialect_pg_rows_held_peak(0), WALK_N,
	       t1 - t0, t2 - t1, t3 - t2);
	CHECK(dialect_pg_rows_held_peak(0) <= WALK_HELD);
	catalog_close(pg);

	CHECK_INT(catalog_open_existing(&back, backup), 0);
	if (!back)
		return;
	walk_all(back, archive, wb);
	CHECK(wb[0].h == ws[0].h && wb[0].n == ws[0].n);
	CHECK(wb[1].h == ws[1].h && wb[1].n == ws[1].n);
	catalog_close(back);
}

int main(void)
{
	const char *base = getenv("TAPEFS_TEST_PG");

	test_dialect();
	if (!base || !*base) {
		printf("# no TAPEFS_TEST_PG: the server's part runs in "
		       "t_catalog_pg and make check-pg\n");
		return check_done();
	}
	test_one_writer();
	test_reopen();
	test_refused(base);
	test_large_walk();
	/* restarts the server: only on a cluster of its own */
	if (getenv("TAPEFS_TEST_PG_RESTART"))
		test_reconnect();
	else
		printf("# no TAPEFS_TEST_PG_RESTART: the reconnection is "
		       "tested in t_catalog_pg\n");
	return check_done();
}
