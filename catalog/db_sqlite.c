/* catalog/db_sqlite.c - the sqlite backend of the statement API
 * (struct cat_ops, internal.h): connections, prepared statements, steps,
 * columns, and sqlite's errors mapped to -errno once.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

struct lstmt {
	struct catstmt s; /* first: a struct catstmt * is a struct lstmt * */
	sqlite3_stmt *st;
};

static sqlite3 *db_of(struct catconn *c)
{
	return c->h;
}

static sqlite3_stmt *st_of(struct catstmt *s)
{
	return ((struct lstmt *)s)->st;
}

/* Log "catalog: what: errmsg" and map rc to -errno. */
static int lite_err(sqlite3 *db, int rc, const char *what)
{
	/* A taken unique key is the caller's -EEXIST, not a database fault. */
	if ((rc & 0xff) != SQLITE_CONSTRAINT)
		fprintf(stderr, "catalog: %s: %s\n", what,
			db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	default:
		return -EIO;
	}
}

int cat_sqlite_err(struct sqlite3 *db, int rc, const char *what)
{
	return lite_err(db, rc, what);
}

struct sqlite3 *cat_sqlite_handle(struct catconn *c)
{
	return c && c->ops == &cat_sqlite_ops ? c->h : NULL;
}

static int lite_exec_sql(struct catconn *c, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db_of(c), sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return 0;
	fprintf(stderr, "catalog: \"%.60s\": %s\n", sql,
		msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return lite_err(NULL, rc, "exec");
}

static int lite_open(struct catconn *c, const char *path, int writer)
{
	sqlite3 *db = NULL;
	int rc, ret;

	rc = sqlite3_open_v2(path, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		ret = lite_err(db, rc, path);
		sqlite3_close_v2(db);
		return ret;
	}
	c->h = db;
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 10000);
	ret = lite_exec_sql(c, "PRAGMA foreign_keys=ON;"
			       "PRAGMA synchronous=NORMAL;");
	if (ret < 0)
		return ret;
	/* WAL lets readers run beside the one writer; it is a property of
	 * the file, set by the first (writer) connection. */
	if (writer)
		return lite_exec_sql(c, "PRAGMA journal_mode=WAL;"
					"PRAGMA journal_size_limit=67108864;"
					"PRAGMA cache_size=-32768;");
	return lite_exec_sql(c, "PRAGMA cache_size=-4096;");
}

static void lite_close(struct catconn *c)
{
	sqlite3_close_v2(db_of(c));
	c->h = NULL;
}

static struct catstmt *lite_prepare(struct catconn *c, const char *sql)
{
	struct lstmt *l = calloc(1, sizeof(*l));
	int rc, n;

	if (!l)
		return NULL;
	rc = sqlite3_prepare_v3(db_of(c), sql, -1, SQLITE_PREPARE_PERSISTENT,
				&l->st, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "catalog: prepare \"%.60s\": %s\n", sql,
			sqlite3_errmsg(db_of(c)));
		free(l);
		return NULL;
	}
	n = sqlite3_bind_parameter_count(l->st);
	l->s.pname = calloc((size_t)n + 1, sizeof(*l->s.pname));
	l->s.hit = calloc((size_t)n + 1, sizeof(*l->s.hit));
	if (!l->s.pname || !l->s.hit) {
		free(l->s.pname);
		free(l->s.hit);
		sqlite3_finalize(l->st);
		free(l);
		return NULL;
	}
	for (int i = 1; i <= n; i++)
		l->s.pname[i] = sqlite3_bind_parameter_name(l->st, i);
	l->s.nparam = n;
	return &l->s;
}

static void lite_finalize(struct catstmt *s)
{
	struct lstmt *l = (struct lstmt *)s;

	sqlite3_finalize(l->st);
	free(s->pname);
	free(s->hit);
	free(l);
}

static void lite_reset(struct catstmt *s)
{
	sqlite3_reset(st_of(s));
	sqlite3_clear_bindings(st_of(s));
}

static void lite_bind_i64(struct catstmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(st_of(s), i, v);
}

static void lite_bind_double(struct catstmt *s, int i, double v)
{
	sqlite3_bind_double(st_of(s), i, v);
}

static void lite_bind_text(struct catstmt *s, int i, const char *v)
{
	sqlite3_bind_text(st_of(s), i, v, -1, SQLITE_TRANSIENT);
}

static void lite_bind_blob(struct catstmt *s, int i, const void *p, size_t n)
{
	sqlite3_bind_blob64(st_of(s), i, p, n, SQLITE_TRANSIENT);
}

static void lite_bind_null(struct catstmt *s, int i)
{
	sqlite3_bind_null(st_of(s), i);
}

static int lite_step(struct catstmt *s, const char *what)
{
	int rc = sqlite3_step(st_of(s));

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return lite_err(db_of(s->c), rc, what);
}

static int64_t lite_col_i64(struct catstmt *s, int col)
{
	return sqlite3_column_int64(st_of(s), col);
}

static double lite_col_double(struct catstmt *s, int col)
{
	return sqlite3_column_double(st_of(s), col);
}

static const void *lite_col_blob(struct catstmt *s, int col)
{
	return sqlite3_column_blob(st_of(s), col);
}

static size_t lite_col_bytes(struct catstmt *s, int col)
{
	return (size_t)sqlite3_column_bytes(st_of(s), col);
}

static const char *lite_col_str(struct catstmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(st_of(s), col);

	return t ? (const char *)t : "";
}

static int lite_col_null(struct catstmt *s, int col)
{
	return sqlite3_column_type(st_of(s), col) == SQLITE_NULL;
}

static int64_t lite_changes(struct catconn *c)
{
	return sqlite3_changes64(db_of(c));
}

static int64_t lite_last_id(struct catconn *c)
{
	return sqlite3_last_insert_rowid(db_of(c));
}

static int lite_in_txn(struct catconn *c)
{
	return !sqlite3_get_autocommit(db_of(c));
}

const struct cat_ops cat_sqlite_ops = {
    .name = "sqlite",
    .begin_write = "BEGIN IMMEDIATE",
    .begin_read = "BEGIN",
    .sync_full = "PRAGMA synchronous=FULL",
    .sync_normal = "PRAGMA synchronous=NORMAL",
    .open = lite_open,
    .close = lite_close,
    .prepare = lite_prepare,
    .finalize = lite_finalize,
    .reset = lite_reset,
    .bind_i64 = lite_bind_i64,
    .bind_double = lite_bind_double,
    .bind_text = lite_bind_text,
    .bind_blob = lite_bind_blob,
    .bind_null = lite_bind_null,
    .step = lite_step,
    .col_i64 = lite_col_i64,
    .col_double = lite_col_double,
    .col_blob = lite_col_blob,
    .col_bytes = lite_col_bytes,
    .col_str = lite_col_str,
    .col_null = lite_col_null,
    .changes = lite_changes,
    .last_id = lite_last_id,
    .exec_sql = lite_exec_sql,
    /* one machine: the robot's lock is a file beside the catalog */
    .robot_lock = NULL,
    .robot_unlock = NULL,
    .in_txn = lite_in_txn,
    /* the clock of the machine that runs the statement: the one machine
     * of every daemon sharing a sqlite file */
    .clock_ms = "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 "
		"AS INTEGER)",
    .skip_locked = 0,
};
