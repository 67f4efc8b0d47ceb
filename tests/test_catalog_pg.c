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
	return check_done();
}
