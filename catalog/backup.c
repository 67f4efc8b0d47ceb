/* catalog/backup.c - a copy of the whole catalog in a sqlite file of its
 * own (catalog.h, catalog_backup()), and such a file put back into a
 * catalog (catalog_restore()). The copy is one consistent snapshot, taken
 * from a reader connection, so neither the daemon's readers nor its
 * writers wait for it: of a sqlite catalog with sqlite's online backup
 * API (pages), of any other by reading every row (copy.c) into a new
 * sqlite file. Either way the file is a sqlite catalog, which the same
 * tools read back whatever the live database was.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/internal.h"

/* A new empty file at path, private to its owner (sqlite would make it
 * 0644): 0 or -errno. */
static int private_file(const char *path)
{
	int fd;

	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The whole database of c into the (empty) sqlite file at path, page by
 * page. */
static int backup_pages(struct catconn *c, const char *path)
{
	sqlite3 *src = cat_sqlite_handle(c);
	sqlite3_backup *b;
	sqlite3 *dst = NULL;
	int rc, ret;

	if (!src)
		return -EOPNOTSUPP; /* not sqlite: backup_rows() */
	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		ret = cat_sqlite_err(NULL, rc, "backup open");
		goto out_close;
	}
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		fprintf(stderr, "catalog: backup: %s\n", sqlite3_errmsg(dst));
		ret = -EIO;
		goto out_close;
	}
	/* All pages in one step: one read transaction of the source, so the
	 * copy is consistent and never restarts. */
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	ret = rc == SQLITE_DONE ? 0 : cat_sqlite_err(NULL, rc, "backup step");
	if (!ret) {
		rc = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL,
				  NULL);
		ret = rc == SQLITE_OK
			  ? 0
			  : cat_sqlite_err(NULL, rc, "backup journal");
	}
out_close:
	sqlite3_close(dst);
	return ret;
}

/* The whole database of c into the (empty) sqlite file at path, row by
 * row: a new catalog made there, every row copied in one transaction,
 * with no journal left beside it. */
static int backup_rows(struct catconn *c, const char *path)
{
	struct catalog *dst;
	struct catconn *w;
	int ret = catalog_open(&dst, path);

	if (ret < 0)
		return ret;
	ret = cat_exec_sql(dst->wconn, "PRAGMA journal_mode=DELETE");
	if (!ret)
		ret = cat_txn_begin(dst, &w, 0);
	if (!ret)
		ret = cat_txn_end(dst, w, 0, cat_copy_rows(c, w, NULL));
	catalog_close(dst);
	return ret;
}

/* fsync of a file, and of the directory holding it when dir. */
static int sync_path(const char *path, int dir)
{
	char *d = NULL, *slash;
	int fd, ret = 0;

	if (dir) {
		d = strdup(path);
		if (!d)
			return -ENOMEM;
		slash = strrchr(d, '/');
		if (slash)
			*(slash == d ? slash + 1 : slash) = '\0';
		else
			strcpy(d, ".");
	}
	fd = open(d ? d : path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	free(d);
	return ret;
}

static int backup_file(struct catalog *cat, const char *path, int rows)
{
	struct catconn *c;
	char *tmp = NULL;
	int ret;

	if (!path || !*path)
		return -EINVAL;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	ret = private_file(tmp);
	if (ret < 0)
		goto out_free;
	c = cat_conn_get(cat);
	if (!c) {
		ret = -EIO;
		goto out_unlink;
	}
	ret = rows ? backup_rows(c, tmp) : backup_pages(c, tmp);
	cat_conn_put(cat, c);
	if (!ret)
		ret = sync_path(tmp, 0);
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (!ret)
		ret = sync_path(path, 1);
out_unlink:
	if (ret < 0)
		unlink(tmp);
out_free:
	free(tmp);
	return ret;
}

int catalog_backup(struct catalog *cat, const char *path)
{
	return backup_file(cat, path, cat->ops != &cat_sqlite_ops);
}

int catalog_backup_rows(struct catalog *cat, const char *path)
{
	return backup_file(cat, path, 1);
}

static const char SQL_ANY_ARCHIVE[] = "SELECT 1 FROM archive LIMIT 1";

/* Whether the database of c (in its transaction) holds an archive: 1, 0,
 * -errno. */
static int holds_archives(struct catconn *c)
{
	struct catstmt *st = cat_stmt(c, SQL_ANY_ARCHIVE);
	int ret;

	if (!st)
		return -EIO;
	ret = cat_step(st, "restore: archives");
	cat_done(st);
	return ret;
}

/* Forget the directories readers resolved: the node rows changed. */
static void dcache_clear(struct catalog *cat)
{
	pthread_mutex_lock(&cat->dcache_lock);
	memset(cat->dcache, 0, CAT_DCACHE_SLOTS * sizeof(*cat->dcache));
	pthread_mutex_unlock(&cat->dcache_lock);
}

int catalog_restore(struct catalog *cat, const char *path)
{
	struct catalog *src;
	struct catconn *r, *w;
	int ret = catalog_open_existing(&src, path);

	if (ret < 0)
		return ret;
	r = cat_conn_get(src);
	if (!r) {
		ret = -EIO;
		goto out_close;
	}
	ret = cat_txn_begin(cat, &w, 1);
	if (ret < 0)
		goto out_put;
	/* In the transaction that replaces them: no archive can be added
	 * between the look and the delete. */
	ret = holds_archives(w);
	if (ret > 0)
		ret = -ENOTEMPTY;
	if (!ret)
		ret = cat_copy_clear(w);
	if (!ret)
		ret = cat_copy_rows(r, w, NULL);
	ret = cat_txn_end(cat, w, 1, ret);
	if (!ret)
		dcache_clear(cat);
out_put:
	cat_conn_put(src, r);
out_close:
	catalog_close(src);
	return ret;
}
