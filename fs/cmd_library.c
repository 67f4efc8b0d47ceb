/* fs/cmd_library.c - what the offline commands that read tapes share
 * (`tapefs rebuild`, `tapefs adopt`): the catalog, the changer, the
 * registration of the cartridges the catalog does not know
 * (library_sync()) and the drive scheduler brought up, and down again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/cmd.h"
#include "fs/config.h"
#include "fs/engine/library.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"

static int open_catalog(struct tapefs *fs, const char *who)
{
	int ret = catalog_open(&fs->cat, fs->cfg.catalog);

	if (ret < 0) {
		fprintf(stderr, "%s: catalog '%s': %s%s\n", who,
			fs->cfg.catalog_shown, strerror(-ret),
			ret != -EIO ? ""
			: catalog_kind_of(fs->cfg.catalog) == CATALOG_KIND_FILE
			    ? " (not a catalog: move the file aside, then run "
			      "the command again)"
			    : " (the database's log says why)");
		fs->cat = NULL;
	}
	return ret;
}

int cmd_library_up(struct tapefs *fs, const char *who)
{
	struct changer_conf cc = {fs->cfg.changer, fs->cfg.changer_spec,
				  fs->cfg.mtx, fs->cfg.drive_dev[0]};
	struct sched_config sc;
	char err[4400];
	int ret = open_catalog(fs, who);

	if (ret)
		return ret;
	ret = changer_open_conf(&fs->changer, &cc, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", who, fs->cfg.path, err);
		fs->changer = NULL;
		return ret;
	}
	library_robot_share(fs);
	ret = library_sync(fs);
	if (ret < 0) {
		fprintf(stderr, "%s: library: %s\n", who,
			changer_error(fs->changer));
		return ret;
	}
	memset(&sc, 0, sizeof(sc));
	ret = library_sched_start(fs, &sc, err, sizeof(err));
	if (ret)
		fprintf(stderr, "%s: %s\n", who, err);
	return ret;
}

void cmd_library_down(struct tapefs *fs)
{
	if (fs->sched)
		sched_stop(fs->sched);
	fs->sched = NULL;
	if (fs->changer)
		changer_close(fs->changer);
	fs->changer = NULL;
	if (fs->cat)
		catalog_close(fs->cat);
	fs->cat = NULL;
}

int cmd_library_run(const char *config, const char *who,
		    int (*fn)(struct tapefs *fs, void *arg), void *arg)
{
	struct tapefs *fs;
	char err[768];
	int status;

	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return 1;
	fs->staging_fd = -1;
	pthread_mutex_init(&fs->errors.lock, NULL);
	status = 1;
	if (config_load(&fs->cfg, config, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", who, err);
		goto out_fs;
	}
	fs->mounted = time(NULL);
	if (library_init(fs) == 0) {
		status = fn(fs, arg);
		cmd_library_down(fs);
		library_free(fs);
	}
	config_release(&fs->cfg);
out_fs:
	pthread_mutex_destroy(&fs->errors.lock);
	free(fs);
	return status;
}
