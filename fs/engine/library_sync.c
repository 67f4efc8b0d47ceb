/* fs/engine/library_sync.c - the library's cartridges into the catalog at
 * mount, before the drive scheduler runs (library_sync(), library.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "catalog/catalog.h"
#include "fs/engine/library_int.h"

/* An empty drive among those this host uses (drive_ids), or -1. */
static int empty_drive_of(const struct tapefs_config *cfg,
			  const struct changer_inv *inv)
{
	for (size_t i = 0; i < inv->nelems; i++)
		if (inv->elems[i].type == CHANGER_DRIVE &&
		    !inv->elems[i].full &&
		    library_drive_ours(cfg, inv->elems[i].index))
			return inv->elems[i].index;
	return -1;
}

/* Look at the cartridge of e and register it. 1 added, 0 not, -errno
 * (catalog). */
static int sync_unknown(struct tapefs *fs, const struct changer_elem *e,
			const char *loc, int empty_drive)
{
	const char *name = e->barcode[0] ? e->barcode : loc;
	struct catalog_tape known;
	struct label_probe p;
	char why[512];
	int ret, loaded;

	ret = library_peek_elem(&fs->cfg, fs->changer, e, empty_drive, &p, why,
				sizeof(why), &loaded);
	if (loaded)
		tapefs_audit(fs, "robot move",
			     "barcode=%s from=\"%s\" to=\"drive %d\" and back "
			     "(its label read)",
			     name, loc, empty_drive);
	if (ret == -ENOTSUP) {
		tapefs_error(fs,
			     "tape %s is not in the catalog and no drive is "
			     "empty to read its label; it is not used",
			     name);
		return 0;
	}
	if (ret == -ENODATA)
		tapefs_error(fs,
			     "tape %s is blank: not used (echo inventory > "
			     ".library labels it when its barcode starts with "
			     "a pool's name)",
			     name);
	else if (ret == -EINVAL)
		tapefs_error(fs, "tape %s has no tapefs label: not used", name);
	else if (ret)
		tapefs_error(fs, "tape %s: cannot read its label: %s", name,
			     why);
	if (ret)
		return 0;
	if (e->barcode[0] && strcmp(p.label.barcode, e->barcode)) {
		tapefs_error(fs, "tape %s: its label names %s; not used",
			     e->barcode,
			     library_shown(p.label.barcode, why, sizeof(why)));
		return 0;
	}
	if (!e->barcode[0] &&
	    catalog_tape_get(fs->cat, p.label.barcode, &known) == 0)
		return 0; /* the tape in the drive, known by its label */
	ret = library_register(fs, &p, loc, why, sizeof(why));
	if (ret < 0)
		tapefs_error(fs, "%s", why);
	return ret < 0 ? ret : ret > 0;
}

static int sync_elem(struct tapefs *fs, const struct changer_inv *inv,
		     const struct changer_elem *e)
{
	struct catalog_tape known;
	char loc[64];

	library_location(e, loc, sizeof(loc));
	if (library_tag_refused(fs, e, loc))
		return 0;
	if (library_is_cleaning(e->barcode)) {
		tapefs_log(fs, LOG_INFO,
			   "cleaning cartridge %s in %s: not a tape, skipped",
			   e->barcode, loc);
		return 0;
	}
	if (!e->barcode[0]) {
		/* Without a tag, only a drive with no slot to come from
		 * (changer none) names its tape by the label; untagged
		 * slots wait for `.library inventory`. */
		if (e->type == CHANGER_DRIVE && inv->nslots == 0)
			return sync_unknown(fs, e, loc, -1);
		return 0;
	}
	if (catalog_tape_get(fs->cat, e->barcode, &known) == 0) {
		if (strcmp(known.location, loc))
			catalog_tape_set_location(fs->cat, e->barcode, loc);
		return 0;
	}
	tapefs_progress(fs, "library inventory: reading the label of %s (%s)",
			e->barcode, loc);
	return sync_unknown(fs, e, loc, empty_drive_of(&fs->cfg, inv));
}

int library_sync(struct tapefs *fs)
{
	struct changer_inv inv;
	int ret, added = 0;

	tapefs_progress(fs, "library inventory");
	ret = changer_inventory(fs->changer, &inv);
	if (ret) {
		tapefs_error(fs, "changer inventory: %s",
			     changer_error(fs->changer));
		return ret;
	}
	for (size_t i = 0; i < inv.nelems; i++) {
		if (!inv.elems[i].full)
			continue;
		ret = sync_elem(fs, &inv, &inv.elems[i]);
		if (ret < 0)
			break;
		added += ret;
		ret = 0;
	}
	changer_inv_free(&inv);
	if (ret >= 0)
		tapefs_progress(fs, "library inventory: done, %d new tapes",
				added);
	return ret < 0 ? ret : added;
}
