/* fs/engine/library_peek.c - looking at a cartridge without the drive
 * scheduler (at mount, before it runs, and for `tapefs fsck`): where it is
 * when the changer can, through the drive that holds it, or loaded into
 * an empty drive and put back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fs/engine/library_int.h"
#include "tapeio/tape.h"

void library_location(const struct changer_elem *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s %d", e->type == CHANGER_DRIVE ? "drive" : "slot",
		 e->index);
}

int library_drive_ours(const struct tapefs_config *cfg, int drive)
{
	if (!cfg->ndrives)
		return drive >= 0;
	for (int i = 0; i < cfg->ndrives; i++)
		if (cfg->drive_id[i] == drive)
			return 1;
	return 0;
}

int library_drive_dev(const struct tapefs_config *cfg, struct changer *c,
		      int drive, char *buf, size_t len)
{
	int n;

	if (drive < 0 || drive >= TAPEFS_MAX_DRIVES)
		return -EINVAL;
	if (!cfg->drive_dev[drive])
		return changer_drive_device(c, drive, buf, len);
	n = snprintf(buf, len, "%s", cfg->drive_dev[drive]);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Through the drive e, which holds the cartridge. */
static int peek_drive(const struct tapefs_config *cfg, struct changer *c,
		      const struct tape_ops *ops, const struct changer_elem *e,
		      struct label_probe *p, char *why, size_t len)
{
	char dev[4096];
	struct tape *t;
	int ret = library_drive_dev(cfg, c, e->index, dev, sizeof(dev));

	if (ret) {
		snprintf(why, len, "drive %d: %s", e->index, changer_error(c));
		return -ENODEV; /* not the tape's -EINVAL (no tapefs label) */
	}
	ret = tape_open(&t, ops, dev, TAPE_RDONLY);
	if (!ret) {
		ret = label_probe(t, p);
		tape_close(t);
	}
	if (ret)
		snprintf(why, len, "drive %d (%.200s): %s", e->index, dev,
			 strerror(-ret));
	return ret;
}

/* The slot's cartridge, loaded into the empty drive and put back. */
static int peek_load(const struct tapefs_config *cfg, struct changer *c,
		     const struct tape_ops *ops, const struct changer_elem *e,
		     int drive, struct label_probe *p, char *why, size_t len)
{
	char dev[4096];
	int ret = library_drive_dev(cfg, c, drive, dev, sizeof(dev));

	if (!ret)
		ret = changer_label_probe(c, e->index, drive, ops, dev, p);
	if (ret)
		snprintf(why, len, "slot %d: %s", e->index, changer_error(c));
	return ret;
}

int library_peek_elem(const struct tapefs_config *cfg, struct changer *c,
		      const struct changer_elem *e, int load_drive,
		      struct label_probe *p, char *why, size_t len, int *loaded)
{
	const struct tape_ops *ops = tape_backend(cfg->tape);
	int ret = -ENOTSUP;

	if (loaded)
		*loaded = 0;
	if (!ops) {
		snprintf(why, len, "unknown tape backend '%s'",
			 cfg->tape ? cfg->tape : "");
		return -ENODEV;
	}
	if (e->barcode[0]) {
		ret = changer_label_peek(c, e->barcode, ops, p);
		if (ret && ret != -ENOTSUP)
			snprintf(why, len, "%s", changer_error(c));
	}
	if (ret != -ENOTSUP)
		return ret;
	if (e->type == CHANGER_DRIVE && !library_drive_ours(cfg, e->index)) {
		snprintf(why, len, "in drive %d, another host's", e->index);
		return -EBUSY;
	}
	if (e->type == CHANGER_DRIVE)
		return peek_drive(cfg, c, ops, e, p, why, len);
	if (load_drive >= 0) {
		if (loaded)
			*loaded = 1;
		return peek_load(cfg, c, ops, e, load_drive, p, why, len);
	}
	snprintf(why, len, "in a slot: reading its label needs a load");
	return -ENOTSUP;
}
