/* catalog/db.c - the handle: connections, the statement cache, binding by
 * name, transactions, and sqlite errors mapped to -errno once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/internal.h"

#define CAT_MAX_READERS 32

int cat_err(struct catconn *c, int rc, const char *what)
{
	/* A taken unique key is the caller's -EEXIST, not a database fault. */
	if ((rc & 0xff) != SQLITE_CONSTRAINT)
		fprintf(stderr, "catalog: %s: %s\n", what,
			c && c->db ? sqlite3_errmsg(c->db)
				   : sqlite3_errstr(rc));
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

int64_t cat_now(void)
{
	return (int64_t)time(NULL);
}

static size_t slot_of(const char *sql)
{
	uintptr_t h = (uintptr_t)sql;

	h ^= h >> 17;
	h *= 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 32) & (CAT_STMT_SLOTS - 1);
}

sqlite3_stmt *cat_stmt(struct catconn *c, const char *sql)
{
	size_t i = slot_of(sql);
	int rc;

	for (size_t n = 0; n < CAT_STMT_SLOTS;
	     n++, i = (i + 1) % CAT_STMT_SLOTS) {
		if (c->slots[i].sql == sql)
			return c->slots[i].st;
		if (!c->slots[i].sql)
			break;
	}
	if (c->slots[i].sql) {
		fprintf(stderr, "catalog: statement cache full\n");
		return NULL;
	}
	rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
				&c->slots[i].st, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "catalog: prepare \"%.60s\": %s\n", sql,
			sqlite3_errmsg(c->db));
		c->slots[i].st = NULL;
		return NULL;
	}
	c->slots[i].sql = sql;
	return c->slots[i].st;
}

void cat_done(sqlite3_stmt *st)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* sqlite3_bind_parameter_index() walks the statement's parameter names
 * with a string compare each: per row and per parameter, a tenth of the
 * CPU of a commit of many members. So the index found is remembered (per
 * thread: no lock) by statement and name pointer, and is used again only
 * after sqlite3_bind_parameter_name() (a walk of integers) says it is
 * still that name: a statement finalized and another one made at the
 * same address never gets a stale index. */
#define PARAM_CACHE 256

struct param_hit {
	const sqlite3_stmt *st;
	const char *name;
	int idx;
};

static __thread struct param_hit param_cache[PARAM_CACHE];

static int param(sqlite3_stmt *st, const char *name)
{
	uintptr_t h = (uintptr_t)st * 31u + (uintptr_t)name;
	struct param_hit *e = &param_cache[(h ^ (h >> 9)) % PARAM_CACHE];
	const char *was;
	int i;

	if (e->st == st && e->name == name) {
		was = sqlite3_bind_parameter_name(st, e->idx);
		if (was && !strcmp(was, name))
			return e->idx;
	}
	i = sqlite3_bind_parameter_index(st, name);
	if (i == 0) {
		fprintf(stderr, "catalog: no parameter %s in \"%.60s\"\n", name,
			sqlite3_sql(st));
		return 0;
	}
	e->st = st;
	e->name = name;
	e->idx = i;
	return i;
}

void cat_bind_i64(sqlite3_stmt *st, const char *name, int64_t v)
{
	sqlite3_bind_int64(st, param(st, name), v);
}

void cat_bind_text(sqlite3_stmt *st, const char *name, const char *s)
{
	if (s)
		sqlite3_bind_text(st, param(st, name), s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, param(st, name));
}

void cat_bind_blob(sqlite3_stmt *st, const char *name, const void *p, size_t n)
{
	/* a zero-length blob, not NULL, for an empty name */
	sqlite3_bind_blob64(st, param(st, name), p ? p : "", n,
			    SQLITE_TRANSIENT);
}

void cat_bind_null(sqlite3_stmt *st, const char *name)
{
	sqlite3_bind_null(st, param(st, name));
}

void cat_col_text(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	size_t n = s ? (size_t)sqlite3_column_bytes(st, col) : 0;

	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, s, n);
	dst[n] = 0;
}

int cat_exec(struct catconn *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int ret = 0;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = cat_err(c, rc, what);
	cat_done(st);
	return ret;
}

int cat_row_get(struct catconn *c, sqlite3_stmt *st, cat_row_fn fill, void *out,
		const char *what)
{
	int rc = sqlite3_step(st);
	int ret;

	if (rc == SQLITE_ROW) {
		fill(st, out);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? -ENOENT : cat_err(c, rc, what);
	}
	cat_done(st);
	return ret;
}

int cat_row_each(struct catconn *c, sqlite3_stmt *st, cat_visit_fn visit,
		 void *arg, const char *what)
{
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = visit(st, arg);
		if (ret)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = cat_err(c, rc, what);
	cat_done(st);
	return ret;
}

/* A reader connection and sql's statement, with key bound to id unless
 * key is NULL: 0, or -EIO (the connection is given back). */
static int read_begin(struct catalog *cat, const char *sql, const char *key,
		      int64_t id, struct catconn **c, sqlite3_stmt **st)
{
	*c = cat_conn_get(cat);
	if (!*c)
		return -EIO;
	*st = cat_stmt(*c, sql);
	if (!*st) {
		cat_conn_put(cat, *c);
		return -EIO;
	}
	if (key)
		cat_bind_i64(*st, key, id);
	return 0;
}

int cat_read_get(struct catalog *cat, const char *sql, const char *key,
		 int64_t id, cat_row_fn fill, void *out, const char *what)
{
	struct catconn *c;
	sqlite3_stmt *st;
	int ret = read_begin(cat, sql, key, id, &c, &st);

	if (ret < 0)
		return ret;
	ret = cat_row_get(c, st, fill, out, what);
	cat_conn_put(cat, c);
	return ret;
}

int cat_read_each(struct catalog *cat, const char *sql, const char *key,
		  int64_t id, cat_visit_fn visit, void *arg, const char *what)
{
	struct catconn *c;
	sqlite3_stmt *st;
	int ret = read_begin(cat, sql, key, id, &c, &st);

	if (ret < 0)
		return ret;
	ret = cat_row_each(c, st, visit, arg, what);
	cat_conn_put(cat, c);
	return ret;
}

void cat_row_none(sqlite3_stmt *st, void *out)
{
	(void)st;
	(void)out;
}

int cat_read_tape(struct catalog *cat, const char *sql, const char *barcode,
		  int64_t fileno, cat_row_fn fill, void *out, const char *what)
{
	struct catconn *c;
	sqlite3_stmt *st;
	int ret = read_begin(cat, sql, NULL, 0, &c, &st);

	if (ret < 0)
		return ret;
	cat_bind_text(st, ":barcode", barcode ? barcode : "");
	if (fileno >= 0)
		cat_bind_i64(st, ":fileno", fileno);
	ret = cat_row_get(c, st, fill, out, what);
	cat_conn_put(cat, c);
	return ret;
}

int cat_tape_file_known(struct catalog *cat, const char *sql,
			const char *barcode, int64_t fileno, const char *what)
{
	int ret =
	    cat_read_tape(cat, sql, barcode, fileno, cat_row_none, NULL, what);

	return ret == 0 ? 1 : ret == -ENOENT ? 0 : ret;
}

int cat_write_id(struct catalog *cat, const char *sql, const char *key,
		 int64_t id, const char *text_key, const char *text,
		 const char *what)
{
	struct catconn *c;
	sqlite3_stmt *st;
	int ret;

	ret = cat_txn_begin(cat, &c, 1);
	if (ret < 0)
		return ret;
	ret = -EIO;
	st = cat_stmt(c, sql);
	if (!st)
		goto out;
	cat_bind_i64(st, key, id);
	if (text_key)
		cat_bind_text(st, text_key, text ? text : "");
	if (sqlite3_bind_parameter_index(st, ":now"))
		cat_bind_i64(st, ":now", cat_now());
	ret = cat_exec(c, st, what);
	if (ret == 0 && sqlite3_changes(c->db) == 0)
		ret = -ENOENT;
out:
	return cat_txn_end(cat, c, 1, ret);
}

int cat_exec_sql(struct catconn *c, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return 0;
	fprintf(stderr, "catalog: \"%.60s\": %s\n", sql,
		msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return cat_err(NULL, rc, "exec");
}

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_BEGIN_READ[] = "BEGIN";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SYNC_FULL[] = "PRAGMA synchronous=FULL";
static const char SQL_SYNC_NORMAL[] = "PRAGMA synchronous=NORMAL";

static int run(struct catconn *c, const char *sql)
{
	sqlite3_stmt *st = cat_stmt(c, sql);

	if (!st)
		return -EIO;
	return cat_exec(c, st, sql);
}

int cat_txn_try_begin(struct catalog *cat, struct catconn **out)
{
	int ret;

	if (pthread_mutex_trylock(&cat->write_lock) != 0)
		return -EAGAIN;
	ret = run(cat->wconn, SQL_BEGIN);
	if (ret < 0) {
		pthread_mutex_unlock(&cat->write_lock);
		return ret;
	}
	*out = cat->wconn;
	return 0;
}

int cat_txn_begin(struct catalog *cat, struct catconn **out, int durable)
{
	struct catconn *c;
	int ret;

	pthread_mutex_lock(&cat->write_lock);
	c = cat->wconn;
	if (durable && (ret = run(c, SQL_SYNC_FULL)) < 0)
		goto out_unlock;
	ret = run(c, SQL_BEGIN);
	if (ret < 0)
		goto out_sync;
	*out = c;
	return 0;

out_sync:
	if (durable)
		run(c, SQL_SYNC_NORMAL);
out_unlock:
	pthread_mutex_unlock(&cat->write_lock);
	return ret;
}

int cat_txn_end(struct catalog *cat, struct catconn *c, int durable, int ret)
{
	if (ret == 0) {
		ret = run(c, SQL_COMMIT);
		if (ret < 0 && !sqlite3_get_autocommit(c->db))
			run(c, SQL_ROLLBACK);
	} else if (!sqlite3_get_autocommit(c->db)) {
		run(c, SQL_ROLLBACK);
	}
	if (durable)
		run(c, SQL_SYNC_NORMAL);
	pthread_mutex_unlock(&cat->write_lock);
	return ret;
}

int cat_conn_open(struct catconn **out, const char *path, int writer)
{
	struct catconn *c = calloc(1, sizeof(*c));
	int rc, ret;

	if (!c)
		return -ENOMEM;
	rc = sqlite3_open_v2(path, &c->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		ret = cat_err(c, rc, path);
		goto out_close;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, 10000);
	ret = cat_exec_sql(c, "PRAGMA foreign_keys=ON;"
			      "PRAGMA synchronous=NORMAL;");
	if (ret < 0)
		goto out_close;
	/* WAL lets readers run beside the one writer; it is a property of
	 * the file, set by the first (writer) connection. */
	if (writer)
		ret = cat_exec_sql(c, "PRAGMA journal_mode=WAL;"
				      "PRAGMA journal_size_limit=67108864;"
				      "PRAGMA cache_size=-32768;");
	else
		ret = cat_exec_sql(c, "PRAGMA cache_size=-4096;");
	if (ret < 0)
		goto out_close;
	*out = c;
	return 0;

out_close:
	sqlite3_close_v2(c->db);
	free(c);
	return ret;
}

void cat_conn_close(struct catconn *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CAT_STMT_SLOTS; i++)
		if (c->slots[i].st)
			sqlite3_finalize(c->slots[i].st);
	sqlite3_close_v2(c->db);
	free(c);
}

struct catconn *cat_conn_get(struct catalog *cat)
{
	struct catconn *c = NULL;

	pthread_mutex_lock(&cat->pool_lock);
	while (!cat->free && cat->nconn >= CAT_MAX_READERS)
		pthread_cond_wait(&cat->pool_cond, &cat->pool_lock);
	if (cat->free) {
		c = cat->free;
		cat->free = c->next;
	} else if (cat_conn_open(&c, cat->path, 0) == 0) {
		c->cat = cat;
		c->all = cat->all;
		cat->all = c;
		cat->nconn++;
	}
	pthread_mutex_unlock(&cat->pool_lock);
	/* One read transaction per call: every statement of it sees the same
	 * snapshot, and the locks are taken once, not per statement. */
	if (c && run(c, SQL_BEGIN_READ) < 0) {
		cat_conn_put(cat, c);
		c = NULL;
	}
	return c;
}

void cat_conn_put(struct catalog *cat, struct catconn *c)
{
	if (!c)
		return;
	if (!sqlite3_get_autocommit(c->db))
		run(c, SQL_COMMIT);
	pthread_mutex_lock(&cat->pool_lock);
	c->next = cat->free;
	cat->free = c;
	pthread_cond_signal(&cat->pool_cond);
	pthread_mutex_unlock(&cat->pool_lock);
}

/* path (made 0600 when missing) and its -wal and -shm, when group or
 * others may read or write them: made private (0600 less what the owner
 * lacked), said on stderr. Failing to is said too, never fatal. */
static void private_files(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char p[4200];
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & 077))
			continue;
		if (chmod(p, st.st_mode & 0700) < 0)
			fprintf(stderr, "catalog: '%s' is mode %04o: %s\n", p,
				st.st_mode & 07777, strerror(errno));
		else
			fprintf(stderr,
				"catalog: '%s' was mode %04o: now %04o (the "
				"catalog is private)\n",
				p, st.st_mode & 07777, st.st_mode & 0700);
	}
}

/* Open path; existing: it must exist and hold a tapefs schema. */
static int open_at(struct catalog **out, const char *path, int existing)
{
	struct catalog *cat;
	struct stat st;
	int ret = -ENOMEM;

	if (!path || !*path)
		return -EINVAL;
	if (existing && stat(path, &st) < 0)
		return -errno;
	if (existing && st.st_size == 0)
		return -ENODATA;
	private_files(path);
	cat = calloc(1, sizeof(*cat));
	if (!cat)
		return -ENOMEM;
	cat->path = strdup(path);
	if (!cat->path)
		goto out_free;
	cat->dcache = calloc(CAT_DCACHE_SLOTS, sizeof(*cat->dcache));
	if (!cat->dcache)
		goto out_path;
	pthread_mutex_init(&cat->write_lock, NULL);
	pthread_mutex_init(&cat->pool_lock, NULL);
	pthread_mutex_init(&cat->dcache_lock, NULL);
	pthread_cond_init(&cat->pool_cond, NULL);
	ret = cat_conn_open(&cat->wconn, path, 1);
	if (ret < 0)
		goto out_locks;
	ret = existing ? cat_schema_exists(cat->wconn) : 0;
	if (ret == 0)
		ret = cat_schema_migrate(cat->wconn);
	if (ret < 0)
		goto out_conn;
	*out = cat;
	return 0;

out_conn:
	cat_conn_close(cat->wconn);
out_locks:
	pthread_cond_destroy(&cat->pool_cond);
	pthread_mutex_destroy(&cat->dcache_lock);
	pthread_mutex_destroy(&cat->pool_lock);
	pthread_mutex_destroy(&cat->write_lock);
	free(cat->dcache);
out_path:
	free(cat->path);
out_free:
	free(cat);
	return ret;
}

int catalog_open(struct catalog **out, const char *path)
{
	return open_at(out, path, 0);
}

int catalog_open_existing(struct catalog **out, const char *path)
{
	return open_at(out, path, 1);
}

void catalog_close(struct catalog *cat)
{
	struct catconn *c, *next;

	if (!cat)
		return;
	for (c = cat->all; c; c = next) {
		next = c->all;
		cat_conn_close(c);
	}
	cat_conn_close(cat->wconn);
	pthread_cond_destroy(&cat->pool_cond);
	pthread_mutex_destroy(&cat->dcache_lock);
	pthread_mutex_destroy(&cat->pool_lock);
	pthread_mutex_destroy(&cat->write_lock);
	free(cat->dcache);
	free(cat->path);
	free(cat);
}
