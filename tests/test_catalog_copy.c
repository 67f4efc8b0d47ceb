/* tests/test_catalog_copy.c - the catalog copied row by row, as a catalog
 * on a server is backed up (catalog_backup_rows(): a sqlite file whatever
 * the live database) and as a snapshot is put back into one
 * (catalog_restore()):
 *   - every table of the schema holds rows here (a table added to the
 *     schema and not to this fixture fails, naming it), and every row of
 *     every table comes through with the same bytes and the same types,
 *     NULLs, empty blobs, bytes that are not text, the extremes of 64
 *     bits and a fraction included; the file is private, alone (no
 *     journal or temporary file beside it) and of the same schema;
 *   - a restore gives the same rows again, and the catalog answers
 *     lookups from them; it is refused, changing nothing, by a catalog
 *     that holds an archive, for a file that holds no catalog, and when a
 *     row cannot go in (all or nothing).
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

/* A row of every table, consistent with the schema's foreign keys, with
 * the values a copy could get wrong. */
static const char FILL[] =
    "INSERT INTO tape VALUES('A00001L9', 'SN1', 'A', 1, 1000000, 300, 2, "
    " 9223372036854775807, 'slot 7', 'u-1');"
    "INSERT INTO tape VALUES('B00001L9', '', 'B', 0, 0, 0, 0, 0, '', '');"
    "INSERT INTO dump VALUES(1, 2, 10, 11, 2, 300, 1, '', 1, '', 0, 0);"
    "INSERT INTO dump VALUES(2, 3, -9223372036854775808, 12, 0, 0, 0,"
    " 'tape \"A00001L9\": I/O error' || char(10) || 'é', 0, 'host-b',"
    " 9223372036854775807, 3);"
    "INSERT INTO dump_file VALUES(1, 0, X'6400FF0A', 100, 5, 999999999,"
    " 33188, 2049, 123456789012, 6, 7, 0);"
    "INSERT INTO dump_file VALUES(1, 1, X'', 0, 0, 0, 16877, 0, 0, 0, 0, 1);"
    "INSERT INTO dump_tape VALUES(1, 0, 'A00001L9', 2, 17, 0);"
    "INSERT INTO dump_tape VALUES(2, 1, 'B00001L9', 1, 0, 1);"
    "INSERT INTO archive VALUES(1, 1, 10, 3, 300, 262144,"
    " '0123456789abcdef0123456789abcdef', 1, 'uuid-1', 0);"
    "INSERT INTO archive VALUES(2, 0, 20, 1, 50, 512, '', 4, '', 1);"
    "INSERT INTO copy VALUES(1, 1, 'A00001L9', 2, 17, 300, 0, 33, 1);"
    "INSERT INTO copy VALUES(2, 2, 'A00001L9', 1, 3, 50, 2, 0, 0);"
    "INSERT INTO node VALUES(1, 0, X'64', 3);"
    "INSERT INTO node VALUES(2, 1, X'660A00FF', 1);"
    "INSERT INTO node VALUES(3, 0, X'6C', NULL);"
    "INSERT INTO member VALUES(1, 1, 2, 1, 0, 100, 33188, 1000, 100, 5,"
    " 999999999, X'00112233445566778899AABBCCDDEEFF', NULL, 0, 512, 0);"
    "INSERT INTO member VALUES(2, 1, 3, 0, 2, 0, 41471, 0, 0, -1, 0, NULL,"
    " X'2E2E2F66', 1024, 1536, 0);"
    "INSERT INTO member VALUES(3, 1, 1, 0, 1, 0, 16877, 0, 0, 10, 0, NULL,"
    " NULL, NULL, NULL, 0);"
    "INSERT INTO member VALUES(4, 2, 3, 0, 0, 50, 33152, 0, 0, 20, 0,"
    " X'FFEEDDCCBBAA99887766554433221100', NULL, 0, 512, 3);"
    "INSERT INTO xattr VALUES(1, X'757365722E61', X'');"
    "INSERT INTO xattr VALUES(1, X'757365722E62', X'0001FF');"
    "INSERT INTO chunk VALUES(1, 4194304, 1, X'000102030405060708090A0B0C0D0E0F');"
    "INSERT INTO run VALUES(1, 'all', 1, 30, 40, 1, 1, 3, 300, 2, 1, 0,"
    " 0.125, 'detail', 'host-a', 1764672000123, 1);"
    "INSERT INTO result VALUES(1, 1, 1, 1, X'00112233445566778899AABBCCDDEEFF');"
    "INSERT INTO result VALUES(1, 1, 2, 2, NULL);"
    "INSERT INTO xfer VALUES(1, 1, 1, 0, 'B00001L9', 1, 0, 1, 50, 60, 0,"
    " 'no room', '', 0, 2);"
    "INSERT INTO cache VALUES(1, 'm1', 100, 40, 70, 1, X'05');"
    "INSERT INTO cache VALUES(4, 'm4', 50, 50, 80, 0, NULL);"
    "INSERT INTO recall_request VALUES(1, 1, 0, NULL, '', 5, 90, 'host-a',"
    " 1764672000456, 7);"
    "INSERT INTO recall_request VALUES(2, 0, 1, X'640A', 'A00001L9', 0, 91,"
    " '', 0, 0);"
    "INSERT INTO host VALUES('host-a', 1764672000000, 1764672000999);"
    "INSERT INTO host VALUES('host-b.site', -1, 0);"
    "INSERT INTO drive VALUES(0, 'host-a', 'idle', '', '', -1,"
    " 1764672000999, 30000);"
    "INSERT INTO drive VALUES(3, 'host-b.site', 'reading', 'A00001L9',"
    " 'recall 7', 41, -1, 2000);";

static char *tpath(const char *name)
{
	static char buf[32][4096];
	static int i;

	i = (i + 1) % 32;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", fx_tmp(), name);
	return buf[i];
}

static sqlite3 *db_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* The tables of the schema, at most n, into names (freed by the caller);
 * their number. */
static int tables_of(sqlite3 *db, char **names, int n)
{
	sqlite3_stmt *st;
	int k = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT name FROM sqlite_master WHERE type = "
			       "'table' AND name NOT LIKE 'sqlite_%' "
			       "ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (k < n && sqlite3_step(st) == SQLITE_ROW)
		names[k++] = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return k;
}

/* Every row of table in a and b, in the order of all its columns:
 * 1 equal (types and bytes), 0 not; *rows the rows of a. */
static int table_equal(sqlite3 *a, sqlite3 *b, const char *table,
		       long *rows)
{
	char sql[512];
	sqlite3_stmt *sa = NULL, *sb = NULL;
	int ncol, ra, rb, same = 1;

	snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" ORDER BY 1", table);
	if (sqlite3_prepare_v2(a, sql, -1, &sa, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(b, sql, -1, &sb, NULL) != SQLITE_OK)
		goto out;
	ncol = sqlite3_column_count(sa);
	/* ORDER BY every column, so that rows of a key of several columns
	 * come in one order in both */
	snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" ORDER BY ", table);
	for (int j = 1; j <= ncol; j++)
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), "%s%d",
			 j > 1 ? ", " : "", j);
	sqlite3_finalize(sa);
	sqlite3_finalize(sb);
	sa = sb = NULL;
	if (sqlite3_prepare_v2(a, sql, -1, &sa, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(b, sql, -1, &sb, NULL) != SQLITE_OK ||
	    sqlite3_column_count(sb) != ncol)
		goto out;
	*rows = 0;
	for (;;) {
		ra = sqlite3_step(sa);
		rb = sqlite3_step(sb);
		if (ra != rb) {
			same = 0;
			break;
		}
		if (ra != SQLITE_ROW)
			break;
		++*rows;
		for (int j = 0; j < ncol && same; j++) {
			int t = sqlite3_column_type(sa, j);
			int n = sqlite3_column_bytes(sa, j);

			same = t == sqlite3_column_type(sb, j) &&
			       n == sqlite3_column_bytes(sb, j) &&
			       (t == SQLITE_NULL || n == 0 ||
				!memcmp(sqlite3_column_blob(sa, j),
					sqlite3_column_blob(sb, j), (size_t)n));
			if (!same)
				fprintf(stderr, "# %s row %ld column %d differs\n",
					table, *rows, j);
		}
		if (!same)
			break;
	}
	sqlite3_finalize(sa);
	sqlite3_finalize(sb);
	return same && ra == SQLITE_DONE;
out:
	fprintf(stderr, "# %s: %s\n", table, sqlite3_errmsg(a));
	sqlite3_finalize(sa);
	sqlite3_finalize(sb);
	return 0;
}

/* The files at a and b hold the same schema and the same rows; with
 * every_table, every table of a holds some. */
static void same_catalog(const char *a, const char *b, int every_table)
{
	sqlite3 *da = db_open(a), *dbb = db_open(b);
	char *names[64], *names_b[64];
	int n, nb;

	CHECK(da && dbb);
	if (!da || !dbb)
		goto out;
	n = tables_of(da, names, 64);
	nb = tables_of(dbb, names_b, 64);
	CHECK(n > 10);
	CHECK_INT(nb, n);
	for (int i = 0; i < n; i++) {
		long rows = 0;
		int eq = table_equal(da, dbb, names[i], &rows);

		if (!eq || (every_table && rows == 0))
			fprintf(stderr,
				"# table %s: %s (a table of the schema must be "
				"filled in tests/test_catalog_copy.c and "
				"copied by catalog/copy.c)\n",
				names[i], eq ? "no rows" : "rows differ");
		CHECK(eq);
		if (every_table)
			CHECK(rows > 0);
		free(names[i]);
	}
	for (int i = 0; i < nb; i++)
		free(names_b[i]);
out:
	sqlite3_close(da);
	sqlite3_close(dbb);
}

/* A catalog at path (made by catalog_open, the current schema) holding
 * FILL. */
static void make_source(const char *path)
{
	struct catalog *cat = NULL;
	sqlite3 *db = NULL;

	CHECK_INT(catalog_open(&cat, path), 0);
	catalog_close(cat);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, FILL, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

static void test_backup_rows(void)
{
	const char *src = tpath("src.db"), *dst = tpath("rows.db");
	char side[4200];
	struct catalog *cat = NULL;

	make_source(src);
	CHECK_INT(catalog_open(&cat, src), 0);
	if (!cat)
		return;
	CHECK_INT(catalog_backup_rows(cat, dst), 0);
	/* again, over the first: replaced whole */
	CHECK_INT(catalog_backup_rows(cat, dst), 0);
	catalog_close(cat);
	same_catalog(src, dst, 1);
	CHECK_INT(file_mode(dst), 0600);
	snprintf(side, sizeof(side), "%s-wal", dst);
	CHECK(access(side, F_OK) != 0);
	snprintf(side, sizeof(side), "%s-journal", dst);
	CHECK(access(side, F_OK) != 0);
	snprintf(side, sizeof(side), "%s.tmp", dst);
	CHECK(access(side, F_OK) != 0);
	/* the page copy of sqlite gives the same rows */
	CHECK_INT(catalog_open(&cat, src), 0);
	CHECK_INT(catalog_backup(cat, tpath("pages.db")), 0);
	catalog_close(cat);
	same_catalog(dst, tpath("pages.db"), 1);
	/* the copy is a catalog: it opens and answers */
	CHECK_INT(catalog_open_existing(&cat, dst), 0);
	if (cat) {
		CHECK_INT(catalog_schema_version(cat), CATALOG_SCHEMA_VERSION);
		CHECK_INT(catalog_archive_count(cat, CATALOG_ARCHIVE_DATA), 1);
		catalog_close(cat);
	}
	CHECK_INT(catalog_open(&cat, src), 0);
	CHECK_INT(catalog_backup_rows(cat, tpath("no/such/dir/x.db")), -ENOENT);
	catalog_close(cat);
}

/* A catalog as a daemon makes it, with one dump committed. */
static void commit_one(struct catalog *cat, const char *barcode, int64_t fno)
{
	struct catalog_dump_file df = {.path = "d/f", .size = 5,
				       .mode = S_IFREG | 0644};
	struct catalog_member m = fx_member("d/f", CATALOG_FILE, 5, 0, 7, 1);
	struct catalog_archive_in ain = {.bytes = 5, .block_size = 512};
	struct catalog_copy_in cp = {barcode, fno, 0, 512};
	int64_t dump = 0, id = 0;

	CHECK_INT(catalog_dump_create(cat, &df, 1, &dump), 0);
	CHECK_INT(catalog_dump_commit(cat, dump, &ain, &cp, 1, &m, 1, &id), 0);
}

static void test_restore(void)
{
	const char *snap = tpath("snap.db"), *live = tpath("live.db");
	struct catalog_tape t = fx_tape("C00001L9", "A", CATALOG_TAPE_SCRATCH,
					1e9);
	struct catalog *cat = NULL, *src = NULL;
	struct catalog_member m;

	/* the snapshot: a catalog the daemon made, copied by rows */
	CHECK_INT(catalog_open(&src, tpath("daemon.db")), 0);
	if (!src)
		return;
	CHECK_INT(catalog_tape_add(src, &t), 0);
	commit_one(src, "C00001L9", 1);
	CHECK_INT(catalog_backup_rows(src, snap), 0);
	catalog_close(src);
	/* the live catalog: tapes registered, nothing archived */
	CHECK_INT(catalog_open(&cat, live), 0);
	if (!cat)
		return;
	t = fx_tape("Z00001L9", "A", CATALOG_TAPE_SCRATCH, 1e9);
	CHECK_INT(catalog_tape_add(cat, &t), 0);
	/* resolve a path first: what readers cached is forgotten */
	CHECK_INT(catalog_ns_lookup(cat, "d/f", &m), -ENOENT);
	CHECK_INT(catalog_restore(cat, snap), 0);
	CHECK_INT(catalog_ns_lookup(cat, "d/f", &m), 0);
	CHECK_INT(m.size, 5);
	catalog_member_release(&m);
	CHECK_INT(catalog_tape_get(cat, "Z00001L9", &t), -ENOENT);
	same_catalog(tpath("daemon.db"), live, 0);
	/* now it holds an archive: refused, nothing changed */
	CHECK_INT(catalog_restore(cat, tpath("rows.db")), -ENOTEMPTY);
	same_catalog(tpath("daemon.db"), live, 0);
	catalog_close(cat);
}

/* Refusals leave the catalog as it was. */
static void test_restore_refused(void)
{
	const char *live = tpath("live2.db"), *bad = tpath("bad.db");
	struct catalog_tape t = fx_tape("D00001L9", "A", CATALOG_TAPE_SCRATCH,
					1e9);
	struct catalog *cat = NULL;
	sqlite3 *db = NULL;
	char zeros[4096] = {0};
	int fd;

	CHECK_INT(catalog_open(&cat, live), 0);
	if (!cat)
		return;
	CHECK_INT(catalog_tape_add(cat, &t), 0);
	CHECK_INT(catalog_restore(cat, tpath("missing.db")), -ENOENT);
	fd = open(tpath("empty.db"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	close(fd);
	CHECK_INT(catalog_restore(cat, tpath("empty.db")), -ENODATA);
	fd = open(tpath("zeros.db"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK_INT(write(fd, zeros, sizeof(zeros)), (int)sizeof(zeros));
	close(fd);
	CHECK(catalog_restore(cat, tpath("zeros.db")) < 0);
	/* a file whose last tables cannot go in (a request twice: its key
	 * is taken): nothing of it stays, the tape is still there */
	make_source(bad);
	CHECK_INT(sqlite3_open(bad, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db,
			       "DROP INDEX recall_request_member;"
			       "ALTER TABLE recall_request RENAME TO rr;"
			       "CREATE TABLE recall_request(id INTEGER, member "
			       "INTEGER NOT NULL DEFAULT 0, archive INTEGER "
			       "NOT NULL DEFAULT 0, path BLOB, prefer TEXT NOT "
			       "NULL DEFAULT '', priority INTEGER NOT NULL "
			       "DEFAULT 0, created INTEGER NOT NULL, "
			       "lease_host TEXT NOT NULL DEFAULT '', "
			       "lease_until INTEGER NOT NULL DEFAULT 0, "
			       "lease_gen INTEGER NOT NULL DEFAULT 0);"
			       "INSERT INTO recall_request SELECT * FROM rr;"
			       "INSERT INTO recall_request SELECT * FROM rr;"
			       "DROP TABLE rr;",
			       NULL, NULL, NULL),
		  SQLITE_OK);
	sqlite3_close(db);
	CHECK(catalog_restore(cat, bad) < 0);
	CHECK_INT(catalog_tape_get(cat, "D00001L9", &t), 0);
	CHECK_INT(catalog_archive_count(cat, CATALOG_ARCHIVE_DATA), 0);
	catalog_close(cat);
}

int main(void)
{
	test_backup_rows();
	test_restore();
	test_restore_refused();
	return check_done();
}
