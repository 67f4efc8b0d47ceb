/* fs/engine/library_sched.c - the drive scheduler brought up on the
 * library's drives (library_sched_start(), library.h): what the mount and
 * the offline commands that read tapes both start.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/library_int.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"

/* The number of drives tapefs uses: cfg.ndrives (drives = N, or as many
 * as drive_ids lists), or every drive of the changer when 0. 0 or -errno
 * with why. */
static int drive_count(struct tapefs *fs, int *n, char *why, size_t len)
{
	struct changer_inv inv;
	int ret;

	*n = fs->cfg.ndrives;
	if (*n)
		return 0;
	ret = changer_inventory(fs->changer, &inv);
	if (ret) {
		snprintf(why, len, "changer inventory: %s",
			 changer_error(fs->changer));
		return ret;
	}
	*n = inv.ndrives;
	changer_inv_free(&inv);
	return 0;
}

static int robot_lock(void *arg)
{
	return catalog_robot_lock(arg);
}

static void robot_unlock(void *arg)
{
	catalog_robot_unlock(arg);
}

void library_robot_share(struct tapefs *fs)
{
	struct changer_guard g = {robot_lock, robot_unlock, fs->cat};

	if (fs->changer && fs->cat)
		changer_set_guard(fs->changer, &g);
}

int library_sched_start(struct tapefs *fs, struct sched_config *sc, char *why,
			size_t len)
{
	int ret;

	fs->sched = NULL;
	sc->changer = fs->changer;
	sc->tape_ops = tape_backend(fs->cfg.tape);
	if (!sc->tape_ops) {
		snprintf(why, len, "unknown tape backend '%s'", fs->cfg.tape);
		return -EINVAL;
	}
	ret = drive_count(fs, &sc->ndrives, why, len);
	if (ret)
		return ret;
	if (fs->cfg.ndrives)
		sc->drive_id = fs->cfg.drive_id; /* drive_ids = 2,3 */
	for (int i = 0; i < sc->ndrives && i < SCHED_DRIVES_MAX; i++)
		sc->drive_dev[i] =
		    fs->cfg.drive_dev[fs->cfg.ndrives ? fs->cfg.drive_id[i]
						      : i];
	ret = sched_start(&fs->sched, sc);
	if (ret) {
		snprintf(why, len, "drive scheduler: %s", strerror(-ret));
		fs->sched = NULL;
	}
	return ret;
}
