/* fs/cmd_rebuild.c - `tapefs rebuild -c CONFIG [--full] [--no-snapshot]
 * [LABEL...]`: the catalog named by the config rebuilt from the tapes,
 * offline (the library is not mounted; while it is, `echo rebuild >
 * .library` does the same through the daemon). docs/catalog.md, "Lost
 * catalog", says when to use it.
 *
 * Order: the catalog (created when missing; a file that is not a sqlite
 * database is refused: it may be the only copy of something), the
 * changer, the registration of every cartridge the catalog does not know
 * (library_sync(): closed when it holds archives), the drive scheduler;
 * then, when the catalog holds no archive at all, the newest snapshot of
 * the catalog on tape is restored in its place (unless --no-snapshot);
 * then rebuild_run() (fs/engine/rebuild.h) reads the manifests the
 * catalog lacks and commits them.
 *
 * Exit status: 0 every tape read and every archive found recorded, 1
 * some were not (each on stderr) or the catalog could not be opened, 2
 * usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/cmd.h"
#include "fs/config.h"
#include "fs/engine/library.h"
#include "fs/engine/private_dir.h"
#include "fs/engine/rebuild.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"

struct rebuild_args {
	const char *config;
	int full, no_snapshot, verbose;
	const char *const *labels;
	size_t nlabels;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tapefs rebuild -c CONFIG [--full] [--no-snapshot] "
		   "[--verbose] [LABEL...]\n");
}

static int parse(int argc, char **argv, struct rebuild_args *a)
{
	const struct cmd_switch sw[] = {
	    {"full", 'f', &a->full},
	    {"no-snapshot", 'n', &a->no_snapshot},
	    {"verbose", 'v', &a->verbose},
	};
	int ret, first;

	memset(a, 0, sizeof(*a));
	ret = cmd_parse(argc, argv, sw, 3, usage, &a->config, &first);
	if (ret >= 0)
		return ret;
	a->labels = (const char *const *)argv + first;
	a->nlabels = (size_t)(argc - first);
	return -1;
}

/* The catalog file replaced by the snapshot at snap (the catalog is
 * closed meanwhile): its -wal and -shm go first, then an atomic rename. */
static int install_file(struct tapefs *fs, const char *snap)
{
	char wal[4200], shm[4200];

	cmd_library_down(fs);
	snprintf(wal, sizeof(wal), "%s-wal", fs->cfg.catalog);
	snprintf(shm, sizeof(shm), "%s-shm", fs->cfg.catalog);
	if ((unlink(wal) < 0 && errno != ENOENT) ||
	    (unlink(shm) < 0 && errno != ENOENT) ||
	    rename(snap, fs->cfg.catalog) < 0) {
		fprintf(stderr, "tapefs rebuild: install %s: %s\n", snap,
			strerror(errno));
		return -errno;
	}
	return cmd_library_up(fs, "tapefs rebuild");
}

/* A server's catalog gets the snapshot's rows (catalog_restore(): one
 * transaction, refused when an archive got in meanwhile), then the
 * library is brought up again, so that the cartridges the snapshot does
 * not know are registered as at any start. */
static int install_rows(struct tapefs *fs, const char *snap)
{
	int ret = catalog_restore(fs->cat, snap);

	unlink(snap);
	if (ret < 0) {
		fprintf(stderr, "tapefs rebuild: restore into %s: %s\n",
			fs->cfg.catalog_shown,
			ret == -ENOTEMPTY ? "it holds archives now: nothing "
					    "restored"
					  : strerror(-ret));
		return ret;
	}
	cmd_library_down(fs);
	return cmd_library_up(fs, "tapefs rebuild");
}

/* Where the snapshot read from tape goes: beside a catalog file (renamed
 * over it), or a name of its own in the catalog's temporary directory. */
static int snapshot_path(struct tapefs *fs, char *snap, size_t len)
{
	int fd;

	if (catalog_kind_of(fs->cfg.catalog) == CATALOG_KIND_FILE) {
		snprintf(snap, len, "%s.snapshot", fs->cfg.catalog);
		return 0;
	}
	fd = private_dir_make(fs->cfg.catalog_tmp);
	if (fd < 0)
		return fd;
	snprintf(snap, len, "%s/.tapefs-restore.XXXXXX", fs->cfg.catalog_tmp);
	fd = mkostemp(snap, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* A catalog holding no archive starts from the newest snapshot on tape,
 * when there is one. 1 restored, 0 none, -errno. */
static int from_snapshot(struct tapefs *fs, const struct rebuild_args *a)
{
	char snap[4200], why[512];
	int64_t n;
	int ret;

	if (a->no_snapshot || a->nlabels)
		return 0;
	n = catalog_archive_count(fs->cat, CATALOG_ARCHIVE_DATA);
	if (n == 0)
		n = catalog_archive_count(fs->cat, CATALOG_ARCHIVE_CATALOG);
	if (n != 0)
		return n < 0 ? (int)n : 0;
	ret = snapshot_path(fs, snap, sizeof(snap));
	if (ret < 0) {
		fprintf(stderr, "tapefs rebuild: %s: %s\n", fs->cfg.catalog_tmp,
			strerror(-ret));
		return ret;
	}
	ret = rebuild_snapshot_fetch(fs, snap, why, sizeof(why));
	if (ret < 0 && catalog_kind_of(fs->cfg.catalog) != CATALOG_KIND_FILE)
		unlink(snap);
	if (ret == -ENOENT) {
		printf("%s: no snapshot of the catalog on the tapes: every "
		       "manifest is read\n",
		       fs->cfg.catalog_shown);
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "tapefs rebuild: %s\n", why);
		return ret;
	}
	if (catalog_kind_of(fs->cfg.catalog) == CATALOG_KIND_FILE)
		ret = install_file(fs, snap);
	else
		ret = install_rows(fs, snap);
	if (ret < 0)
		return ret;
	printf("%s: restored from the %s\n", fs->cfg.catalog_shown, why);
	return ret < 0 ? ret : 1;
}

static void progress(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "tapefs rebuild: %s\n", line);
}

static int run(struct tapefs *fs, const struct rebuild_args *a)
{
	struct rebuild_opts o = {.labels = a->labels,
				 .nlabels = a->nlabels,
				 .full = a->full,
				 .progress = a->verbose ? progress : NULL};
	struct rebuild_report r;
	char line[640];
	int ret;

	ret = cmd_library_up(fs, "tapefs rebuild");
	if (!ret)
		ret = from_snapshot(fs, a);
	if (ret < 0)
		return 1;
	o.skip_closed = ret == 1;
	ret = rebuild_run(fs, &o, &r);
	rebuild_summary(&r, line, sizeof(line));
	printf("%s: %s\n", fs->cfg.catalog_shown, line);
	printf("read %llu bytes in %llu positionings; modelled drive time "
	       "%.3f s; %llu bytes on the tapes read\n",
	       (unsigned long long)r.bytes_read, (unsigned long long)r.locates,
	       r.model_seconds, (unsigned long long)r.bytes_on_tape);
	if (ret < 0)
		fprintf(stderr, "tapefs rebuild: %s\n",
			r.error[0] ? r.error : strerror(-ret));
	return ret < 0 ? 1 : 0;
}

/* cmd_library_run()'s callback. */
static int rebuild_main(struct tapefs *fs, void *arg)
{
	return run(fs, arg);
}

int cmd_rebuild(int argc, char **argv)
{
	struct rebuild_args a;
	int status = parse(argc, argv, &a);

	if (status >= 0)
		return status;
	return cmd_library_run(a.config, "tapefs rebuild", rebuild_main, &a);
}
