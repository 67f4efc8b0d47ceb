/* catalog/db.c - the handle: connections, the statement cache, binding by
 * name, steps and columns, transactions; the database itself is reached
 * through the backend's struct cat_ops: db_sqlite.c for a file,
 * db_pg.c for a postgresql:// URI.
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

struct catstmt *cat_stmt(struct catconn *c, const char *sql)
{
	size_t i = slot_of(sql);

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
	c->slots[i].st = c->ops->prepare(c, sql);
	if (!c->slots[i].st)
		return NULL;
	c->slots[i].st->c = c;
	c->slots[i].st->sql = sql;
	c->slots[i].sql = sql;
	return c->slots[i].st;
}

struct catstmt *cat_stmt_nested(struct catconn *c, const char *sql)
{
	struct catstmt *st = cat_stmt(c, sql);

	if (st)
		st->nested = 1;
	return st;
}

void cat_done(struct catstmt *st)
{
	if (st)
		st->c->ops->reset(st);
}

/* The index of parameter name in st, 0 when it has none. Names are
 * static strings: the address last bound to each parameter is compared
 * first, so a string compare happens once per name and statement (it
 * was a tenth of the CPU of a commit of many members). */
static int param_find(struct catstmt *st, const char *name)
{
	for (int i = 1; i <= st->nparam; i++)
		if (st->hit[i] == name)
			return i;
	for (int i = 1; i <= st->nparam; i++)
		if (st->pname[i] && !strcmp(st->pname[i], name)) {
			st->hit[i] = name;
			return i;
		}
	return 0;
}

static int param(struct catstmt *st, const char *name)
{
	int i = param_find(st, name);

	if (i == 0)
		fprintf(stderr, "catalog: no parameter %s in \"%.60s\"\n", name,
			st->sql);
	return i;
}

int cat_has_param(struct catstmt *st, const char *name)
{
	return param_find(st, name) != 0;
}

void cat_bind_i64(struct catstmt *st, const char *name, int64_t v)
{
	int i = param(st, name);

	if (i)
		st->c->ops->bind_i64(st, i, v);
}

void cat_bind_double(struct catstmt *st, const char *name, double v)
{
	int i = param(st, name);

	if (i)
		st->c->ops->bind_double(st, i, v);
}

void cat_bind_text(struct catstmt *st, const char *name, const char *s)
{
	int i = param(st, name);

	if (i && s)
		st->c->ops->bind_text(st, i, s);
	else if (i)
		st->c->ops->bind_null(st, i);
}

void cat_bind_blob(struct catstmt *st, const char *name, const void *p,
		   size_t n)
{
	int i = param(st, name);

	/* a zero-length blob, not NULL, for an empty name */
	if (i)
		st->c->ops->bind_blob(st, i, p ? p : "", n);
}

void cat_bind_null(struct catstmt *st, const char *name)
{
	int i = param(st, name);

	if (i)
		st->c->ops->bind_null(st, i);
}

int cat_step(struct catstmt *st, const char *what)
{
	return st->c->ops->step(st, what);
}

int64_t cat_col_i64(struct catstmt *st, int col)
{
	return st->c->ops->col_i64(st, col);
}

int cat_col_int(struct catstmt *st, int col)
{
	return (int)st->c->ops->col_i64(st, col);
}

double cat_col_double(struct catstmt *st, int col)
{
	return st->c->ops->col_double(st, col);
}

const void *cat_col_blob(struct catstmt *st, int col)
{
	return st->c->ops->col_blob(st, col);
}

size_t cat_col_bytes(struct catstmt *st, int col)
{
	return st->c->ops->col_bytes(st, col);
}

const char *cat_col_str(struct catstmt *st, int col)
{
	return st->c->ops->col_str(st, col);
}

int cat_col_null(struct catstmt *st, int col)
{
	return st->c->ops->col_null(st, col);
}

void cat_col_text(struct catstmt *st, int col, char *dst, size_t size)
{
	const char *s = cat_col_str(st, col);
	size_t n = strlen(s);

	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, s, n);
	dst[n] = 0;
}

int64_t cat_changes(struct catconn *c)
{
	return c->ops->changes(c);
}

int64_t cat_last_id(struct catconn *c)
{
	return c->ops->last_id(c);
}

int cat_exec(struct catconn *c, struct catstmt *st, const char *what)
{
	int ret = cat_step(st, what);

	(void)c;
	cat_done(st);
	return ret < 0 ? ret : 0;
}

int cat_row_get(struct catconn *c, struct catstmt *st, cat_row_fn fill,
		void *out, const char *what)
{
	int ret = cat_step(st, what);

	(void)c;
	if (ret == 1) {
		fill(st, out);
		ret = 0;
	} else if (ret == 0) {
		ret = -ENOENT;
	}
	cat_done(st);
	return ret;
}

int cat_row_each(struct catconn *c, struct catstmt *st, cat_visit_fn visit,
		 void *arg, const char *what)
{
	int rc, ret = 0;

	(void)c;
	while ((rc = cat_step(st, what)) == 1) {
		ret = visit(st, arg);
		if (ret)
			break;
	}
	if (rc < 0)
		ret = rc;
	cat_done(st);
	return ret;
}

/* A reader connection and sql's statement, with key bound to id unless
 * key is NULL: 0, or -EIO (the connection is given back). */
static int read_begin(struct catalog *cat, const char *sql, const char *key,
		      int64_t id, struct catconn **c, struct catstmt **st)
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
	struct catstmt *st;
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
	struct catstmt *st;
	int ret = read_begin(cat, sql, key, id, &c, &st);

	if (ret < 0)
		return ret;
	ret = cat_row_each(c, st, visit, arg, what);
	cat_conn_put(cat, c);
	return ret;
}

void cat_row_none(struct catstmt *st, void *out)
{
	(void)st;
	(void)out;
}

int cat_read_tape(struct catalog *cat, const char *sql, const char *barcode,
		  int64_t fileno, cat_row_fn fill, void *out, const char *what)
{
	struct catconn *c;
	struct catstmt *st;
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
	struct catstmt *st;
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
	if (cat_has_param(st, ":now"))
		cat_bind_i64(st, ":now", cat_now());
	ret = cat_exec(c, st, what);
	if (ret == 0 && cat_changes(c) == 0)
		ret = -ENOENT;
out:
	return cat_txn_end(cat, c, 1, ret);
}

int cat_exec_sql(struct catconn *c, const char *sql)
{
	return c->ops->exec_sql(c, sql);
}

static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";

/* Run sql, a static string (NULL: nothing). */
static int run(struct catconn *c, const char *sql)
{
	struct catstmt *st;

	if (!sql)
		return 0;
	st = cat_stmt(c, sql);
	if (!st)
		return -EIO;
	return cat_exec(c, st, sql);
}

int cat_txn_try_begin(struct catalog *cat, struct catconn **out)
{
	int ret;

	if (pthread_mutex_trylock(&cat->write_lock) != 0)
		return -EAGAIN;
	ret = run(cat->wconn, cat->ops->begin_write);
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
	if (durable && (ret = run(c, c->ops->sync_full)) < 0)
		goto out_unlock;
	ret = run(c, c->ops->begin_write);
	if (ret < 0)
		goto out_sync;
	*out = c;
	return 0;

out_sync:
	if (durable)
		run(c, c->ops->sync_normal);
out_unlock:
	pthread_mutex_unlock(&cat->write_lock);
	return ret;
}

int cat_txn_end(struct catalog *cat, struct catconn *c, int durable, int ret)
{
	if (ret == 0) {
		ret = run(c, SQL_COMMIT);
		if (ret < 0 && c->ops->in_txn(c))
			run(c, SQL_ROLLBACK);
	} else if (c->ops->in_txn(c)) {
		run(c, SQL_ROLLBACK);
	}
	if (durable)
		run(c, c->ops->sync_normal);
	pthread_mutex_unlock(&cat->write_lock);
	return ret;
}

int cat_conn_open(struct catconn **out, const struct cat_ops *ops,
		  const char *path, int writer)
{
	struct catconn *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	c->ops = ops;
	ret = ops->open(c, path, writer);
	if (ret < 0) {
		if (c->h)
			ops->close(c);
		free(c);
		return ret;
	}
	*out = c;
	return 0;
}

void cat_conn_close(struct catconn *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CAT_STMT_SLOTS; i++)
		if (c->slots[i].st)
			c->ops->finalize(c->slots[i].st);
	c->ops->close(c);
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
	} else if (cat_conn_open(&c, cat->ops, cat->path, 0) == 0) {
		c->cat = cat;
		c->all = cat->all;
		cat->all = c;
		cat->nconn++;
	}
	pthread_mutex_unlock(&cat->pool_lock);
	/* One read transaction per call: every statement of it sees the same
	 * snapshot, and the locks are taken once, not per statement. */
	if (c && run(c, c->ops->begin_read) < 0) {
		cat_conn_put(cat, c);
		c = NULL;
	}
	return c;
}

void cat_conn_put(struct catalog *cat, struct catconn *c)
{
	if (!c)
		return;
	if (c->ops->in_txn(c))
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
	const struct cat_ops *ops = &cat_sqlite_ops;
	struct stat st;
	int ret = -ENOMEM;

	if (!path || !*path)
		return -EINVAL;
	if (catalog_kind_of(path) == CATALOG_KIND_POSTGRESQL) {
		ops = &cat_pg_ops; /* a server's: no file to look at */
	} else {
		if (existing && stat(path, &st) < 0)
			return -errno;
		if (existing && st.st_size == 0)
			return -ENODATA;
		private_files(path);
	}
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
	pthread_mutex_init(&cat->robot_lock, NULL);
	cat->robot_fd = -1;
	pthread_cond_init(&cat->pool_cond, NULL);
	cat->ops = ops;
	ret = cat_conn_open(&cat->wconn, cat->ops, path, 1);
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
	pthread_mutex_destroy(&cat->robot_lock);
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
	cat_robot_close(cat);
	pthread_cond_destroy(&cat->pool_cond);
	pthread_mutex_destroy(&cat->robot_lock);
	pthread_mutex_destroy(&cat->dcache_lock);
	pthread_mutex_destroy(&cat->pool_lock);
	pthread_mutex_destroy(&cat->write_lock);
	free(cat->dcache);
	free(cat->path);
	free(cat);
}
