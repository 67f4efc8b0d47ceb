/* fs/engine/dump_catalog.c - the catalog kept safe after every committed
 * dump (dump.h, step 9; docs/catalog.md, "Backups and snapshots"):
 *   - a backup: a copy of the whole catalog, a sqlite file whatever the
 *     live database (catalog_backup()), into
 *     cfg.catalog_backup (a directory, ideally on another disk) as
 *     catalog-YYYYmmdd-HHMMSS-DUMP.db (0600), the oldest beyond
 *     cfg.catalog_backups removed;
 *   - from time to time (cfg.catalog_to_tape: every N dumps, or the first
 *     dump once a time has passed since the last snapshot) a snapshot to
 *     tape: the same copy (made in cfg.catalog_tmp) written as an archive
 *     of its own to an open tape
 *     of every copy's pool, so that the tapes alone give back a recent
 *     catalog (fs/engine/rebuild.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/private_dir.h"
#include "fs/engine/tapefs.h"

#define BACKUP_PREFIX "catalog-"
#define BACKUP_SUFFIX ".db"

static int backup_name(const struct dirent *e)
{
	size_t n = strlen(e->d_name), s = strlen(BACKUP_SUFFIX);

	return !strncmp(e->d_name, BACKUP_PREFIX, strlen(BACKUP_PREFIX)) &&
	       n > s && !strcmp(e->d_name + n - s, BACKUP_SUFFIX);
}

/* Keep the newest keep backups of dir (their names sort by time). */
static void backups_trim(struct dump *d, const char *dir, unsigned keep)
{
	struct dirent **v = NULL;
	char path[4352];
	int n = scandir(dir, &v, backup_name, alphasort);

	for (int i = 0; i < n; i++) {
		if ((unsigned)(n - i) > keep) {
			snprintf(path, sizeof(path), "%s/%s", dir,
				 v[i]->d_name);
			if (unlink(path) < 0 && errno != ENOENT)
				tapefs_error(d->fs, "catalog backup: %s: %s",
					     path, strerror(errno));
		}
		free(v[i]);
	}
	free(v);
}

/* The backup after dump id. */
static void backup(struct dump *d, int64_t id)
{
	const struct tapefs_config *cfg = &d->fs->cfg;
	char path[4352], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int ret;

	if (!cfg->catalog_backup)
		return;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(path, sizeof(path),
		 "%s/" BACKUP_PREFIX "%s-%06lld" BACKUP_SUFFIX,
		 cfg->catalog_backup, stamp, (long long)id);
	ret = private_dir_make(cfg->catalog_backup);
	if (!ret)
		ret = catalog_backup(d->fs->cat, path);
	if (ret < 0) {
		tapefs_error(d->fs, "catalog backup to %s: %s", path,
			     strerror(-ret));
		return;
	}
	backups_trim(d, cfg->catalog_backup, cfg->catalog_backups);
}

/* Is a snapshot to tape due (catalog_to_tape)? */
static int snapshot_due(struct dump *d)
{
	const struct tapefs_config *cfg = &d->fs->cfg;
	struct catalog_archive last;
	int64_t id = 0, since = 0, n;

	if (!cfg->snap_dumps && !cfg->snap_secs)
		return 0;
	if (catalog_snapshot_latest(d->fs->cat, &id) == 0 &&
	    catalog_archive_get(d->fs->cat, id, &last) == 0)
		since = last.created;
	else
		id = 0;
	n = catalog_archives_after(d->fs->cat, id, id ? NULL : &since);
	if (n <= 0)
		return 0;
	if (cfg->snap_dumps)
		return n >= cfg->snap_dumps;
	return time(NULL) - since >= (time_t)cfg->snap_secs;
}

/* A name of its own in the catalog's temporary directory (beside a
 * catalog file; several hosts may share it): 0, or -errno. */
static int snapshot_name(struct dump *d, char *path, size_t len)
{
	int fd, ret = private_dir_make(d->fs->cfg.catalog_tmp);

	if (ret < 0)
		return ret;
	snprintf(path, len, "%s/.tapefs-snapshot.XXXXXX",
		 d->fs->cfg.catalog_tmp);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* A copy of the catalog (a sqlite file, whatever the live catalog),
 * written to tape, then removed. */
static void snapshot(struct dump *d)
{
	char path[4200];
	int ret = snapshot_name(d, path, sizeof(path));

	if (ret < 0) {
		tapefs_error(d->fs, "catalog snapshot: %s: %s",
			     d->fs->cfg.catalog_tmp, strerror(-ret));
		return;
	}
	ret = catalog_backup(d->fs->cat, path);
	if (ret < 0) {
		tapefs_error(d->fs, "catalog snapshot: %s: %s", path,
			     strerror(-ret));
		return;
	}
	ret = dump_write_snapshot(d, path);
	if (ret < 0)
		tapefs_error(d->fs, "catalog snapshot to tape: %s",
			     strerror(-ret));
	unlink(path);
}

void dump_catalog_keep(struct dump *d)
{
	int64_t id;

	pthread_mutex_lock(&d->mu);
	id = d->last_id;
	pthread_mutex_unlock(&d->mu);
	if (snapshot_due(d) && !dump_stopping(d))
		snapshot(d);
	backup(d, id);
}
