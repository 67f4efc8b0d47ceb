/* fs/engine/inventory.c - register the library's cartridges in the catalog. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fs/engine/inventory.h"
#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/recall.h"
#include "fs/engine/verify.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/engine/tapefs.h"
#include "tapeio/label.h"
#include "tapeio/vlib.h"

int inventory_read_label(const struct tapefs_config *cfg, const char *dev,
			 struct tape_label *l, uint64_t *capacity)
{
	const struct tape_ops *ops = tape_backend(cfg->tape);
	struct tape_status st;
	struct tape *t;
	int ret;

	if (!ops)
		return -EINVAL;
	ret = tape_open(&t, ops, dev, TAPE_RDONLY);
	if (ret)
		return ret;
	*capacity = tape_status(t, &st) == 0 ? st.capacity : 0;
	ret = label_read(t, l);
	tape_close(t);
	return ret;
}

static void location_of(const struct changer_elem *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s %d", e->type == CHANGER_DRIVE ? "drive" : "slot",
		 e->index);
}

static int add_tape(struct tapefs *fs, const char *dev, const char *expect,
		    const char *location)
{
	struct catalog_tape t;
	struct tape_label l;
	uint64_t cap = 0;
	int ret = inventory_read_label(&fs->cfg, dev, &l, &cap);

	if (ret) {
		tapefs_error(fs, "tape %s (%s): cannot read its label: %s",
			     expect ? expect : "in drive 0", dev,
			     strerror(-ret));
		return 0;
	}
	if (expect && strcmp(l.barcode, expect)) {
		tapefs_error(fs, "tape %s: its label names %s; not used",
			     expect, l.barcode);
		return 0;
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.barcode, sizeof(t.barcode), "%s", l.barcode);
	snprintf(t.pool, sizeof(t.pool), "%s", l.pool);
	snprintf(t.label_uuid, sizeof(t.label_uuid), "%s", l.uuid);
	snprintf(t.location, sizeof(t.location), "%s", location);
	t.state = CATALOG_TAPE_SCRATCH;
	t.capacity = cap;
	ret = catalog_tape_add(fs->cat, &t);
	if (ret == -EEXIST)
		return 0; /* a "none" drive's tape, known under its label */
	return ret ? ret : 1;
}

/* With a robot that cannot read images (mtx): load the cartridge of slot
 * e into an empty drive, read its label, put it back. */
static int probe_slot(struct tapefs *fs, const struct changer_elem *e,
		      const char *loc, int drive)
{
	const struct tape_ops *ops = tape_backend(fs->cfg.tape);
	struct catalog_tape t;
	struct tape_label l;
	char dev[4096];
	int ret;

	if (drive < 0) {
		tapefs_error(fs,
			     "tape %s is not in the catalog and no drive is "
			     "empty to read its label; it is not used",
			     e->barcode);
		return 0;
	}
	if (fs->cfg.drive_dev[drive])
		snprintf(dev, sizeof(dev), "%s", fs->cfg.drive_dev[drive]);
	else if (changer_drive_device(fs->changer, drive, dev, sizeof(dev)))
		return 0;
	ret = ops ? changer_label_probe(fs->changer, e->index, drive, ops, dev,
					&l)
		  : -EINVAL;
	if (ret) {
		tapefs_error(fs, "tape %s (slot %d): cannot read its label: %s",
			     e->barcode, e->index, changer_error(fs->changer));
		return 0;
	}
	if (strcmp(l.barcode, e->barcode)) {
		tapefs_error(fs, "tape %s: its label names %s; not used",
			     e->barcode, l.barcode);
		return 0;
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.barcode, sizeof(t.barcode), "%s", l.barcode);
	snprintf(t.pool, sizeof(t.pool), "%s", l.pool);
	snprintf(t.label_uuid, sizeof(t.label_uuid), "%s", l.uuid);
	snprintf(t.location, sizeof(t.location), "%s", loc);
	t.state = CATALOG_TAPE_SCRATCH;
	ret = catalog_tape_add(fs->cat, &t);
	return ret == -EEXIST ? 0 : ret ? ret : 1;
}

static int sync_elem(struct tapefs *fs, struct vlib *v,
		     const struct changer_elem *e, int empty_drive)
{
	struct catalog_tape known;
	char loc[64], dev[4096];

	location_of(e, loc, sizeof(loc));
	if (!e->barcode[0]) {
		/* changer none: the tape in the drive names itself */
		if (e->type == CHANGER_DRIVE &&
		    !strcmp(fs->cfg.changer, "none"))
			return add_tape(fs, fs->cfg.drive_dev[0], NULL, loc);
		return 0;
	}
	if (catalog_tape_get(fs->cat, e->barcode, &known) == 0) {
		if (strcmp(known.location, loc))
			catalog_tape_set_location(fs->cat, e->barcode, loc);
		return 0;
	}
	if (v) {
		if (vlib_tape_path(v, e->barcode, dev, sizeof(dev)))
			return 0;
		return add_tape(fs, dev, e->barcode, loc);
	}
	if (e->type == CHANGER_DRIVE) {
		if (fs->cfg.drive_dev[e->index])
			snprintf(dev, sizeof(dev), "%s",
				 fs->cfg.drive_dev[e->index]);
		else if (changer_drive_device(fs->changer, e->index, dev,
					      sizeof(dev)))
			return 0;
		return add_tape(fs, dev, e->barcode, loc);
	}
	return probe_slot(fs, e, loc, empty_drive);
}

/* An empty drive among those tapefs uses, or -1. */
static int empty_drive_of(const struct tapefs *fs,
			  const struct changer_inv *inv)
{
	int n = fs->cfg.ndrives ? fs->cfg.ndrives : inv->ndrives;

	for (size_t i = 0; i < inv->nelems; i++)
		if (inv->elems[i].type == CHANGER_DRIVE &&
		    !inv->elems[i].full && inv->elems[i].index < n)
			return inv->elems[i].index;
	return -1;
}

int inventory_sync(struct tapefs *fs)
{
	struct changer_inv inv;
	struct vlib *v = NULL;
	char err[256];
	int ret, added = 0;

	ret = changer_inventory(fs->changer, &inv);
	if (ret) {
		tapefs_error(fs, "changer inventory: %s",
			     changer_error(fs->changer));
		return ret;
	}
	if (!strcmp(fs->cfg.changer, "vlib") &&
	    vlib_open(&v, fs->cfg.changer_spec, err, sizeof(err)))
		v = NULL;
	for (size_t i = 0; i < inv.nelems; i++) {
		if (!inv.elems[i].full)
			continue;
		ret = sync_elem(fs, v, &inv.elems[i], empty_drive_of(fs, &inv));
		if (ret < 0)
			break;
		added += ret;
		ret = 0;
	}
	if (v)
		vlib_close(v);
	changer_inv_free(&inv);
	return ret < 0 ? ret : added;
}
