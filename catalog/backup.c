/* catalog/backup.c - a copy of the whole catalog in a file of its own
 * (catalog.h, catalog_backup()), with sqlite's online backup API: the
 * copy is one consistent snapshot, taken from a reader connection, so
 * neither the daemon's readers nor its writers wait for it.
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

/* The whole database of c into the (empty) sqlite file at path. */
static int backup_into(struct catconn *c, const char *path)
{
	sqlite3 *src = cat_sqlite_handle(c);
	sqlite3_backup *b;
	sqlite3 *dst = NULL;
	int rc, ret;

	if (!src)
		return -EOPNOTSUPP; /* a server's catalog: its own tools */
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

int catalog_backup(struct catalog *cat, const char *path)
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
	ret = backup_into(c, tmp);
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
