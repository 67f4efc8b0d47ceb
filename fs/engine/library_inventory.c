/* fs/engine/library_inventory.c - the operator's inventory of the library
 * and label by hand (`.library`: inventory, label SLOT BARCODE POOL), run
 * by the queue's worker with the library operation lock held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/library_int.h"
#include "tapeio/sched.h"

/* The configured pool a barcode's prefix names (the longest that
 * matches), or NULL. */
static const char *prefix_pool(const struct tapefs_config *c,
			       const char *barcode)
{
	const char *best = NULL;

	for (int i = 0; i < c->npools; i++) {
		size_t n = strlen(c->pools[i]);
		if (n && !strncmp(barcode, c->pools[i], n) &&
		    (!best || n > strlen(best)))
			best = c->pools[i];
	}
	return best;
}

struct mark_ctx {
	const struct changer_inv *inv;
	int missing;
	struct mark { /* locations to write once the listing is done */
		char barcode[40];
		char where[64];
	} * v;
	size_t n, cap;
};

/* Where the inventory saw tape t: its location, or "out of library". */
static int mark_one(void *vctx, const struct catalog_tape *t)
{
	struct mark_ctx *m = vctx;
	char where[64] = "out of library";
	const struct changer_elem *e = changer_inv_find(m->inv, t->barcode);

	if (e)
		library_location(e, where, sizeof(where));
	if (!e && library_untagged_at(m->inv, t->location))
		return 0; /* labelled by hand, still where it was */
	if (!e) {
		m->missing++;
		/* an operator's own text (offsite box) says more */
		if (t->location[0] && strncmp(t->location, "slot ", 5) &&
		    strncmp(t->location, "drive ", 6))
			return 0;
	}
	if (!strcmp(where, t->location))
		return 0;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct mark *v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	snprintf(m->v[m->n].barcode, sizeof(m->v[m->n].barcode), "%s",
		 t->barcode);
	snprintf(m->v[m->n].where, sizeof(m->v[m->n].where), "%s", where);
	m->n++;
	return 0;
}

struct slot_ctx {
	int slot;
	int found;
};

static int slot_match(void *vctx, const struct catalog_tape *t)
{
	struct slot_ctx *c = vctx;
	char loc[32];

	snprintf(loc, sizeof(loc), "slot %d", c->slot);
	c->found |= !strcmp(t->location, loc);
	return 0;
}

/* Whether a catalog tape says it is in slot. */
static int slot_in_catalog(struct library *lib, int slot)
{
	struct slot_ctx c = {slot, 0};

	catalog_tape_list(lib->fs->cat, NULL, -1, slot_match, &c);
	return c.found;
}

/* Every catalog tape gets the location inv reports. Returns how many
 * are out of library, or -errno. */
static int locations_mark(struct library *lib, const struct changer_inv *inv)
{
	struct mark_ctx m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.inv = inv;
	ret = catalog_tape_list(lib->fs->cat, NULL, -1, mark_one, &m);
	for (size_t i = 0; ret >= 0 && i < m.n; i++)
		ret = catalog_tape_set_location(lib->fs->cat, m.v[i].barcode,
						m.v[i].where);
	free(m.v);
	return ret < 0 ? ret : m.missing;
}

/* What an inventory added. */
struct inv_count {
	int added, labelled, closed;
};

static void count(struct inv_count *n, enum library_added how)
{
	n->added += how != LIBRARY_NOT_ADDED;
	n->labelled += how == LIBRARY_ADDED_LABELLED;
	n->closed += how == LIBRARY_ADDED_CLOSED;
}

/* Tagged cartridges the catalog does not know, a blank one labelled for
 * the pool its barcode names. */
static void inventory_tagged(struct library *lib, const struct changer_inv *inv,
			     struct inv_count *n)
{
	struct tapefs *fs = lib->fs;
	char why[256];

	for (size_t i = 0; i < inv->nelems; i++) {
		const struct changer_elem *e = &inv->elems[i];
		struct catalog_tape t;
		const char *pool;

		if (!e->full || !e->barcode[0] ||
		    library_is_cleaning(e->barcode) ||
		    catalog_tape_get(fs->cat, e->barcode, &t) == 0)
			continue;
		library_location(e, why, sizeof(why));
		if (library_tag_refused(fs, e, why))
			continue;
		pool = prefix_pool(&fs->cfg, e->barcode);
		if (!pool)
			tapefs_error(fs,
				     "tape %s: its barcode prefix names no "
				     "configured pool: not labelled",
				     e->barcode);
		count(n, library_import_one(lib, e, pool, why, sizeof(why)));
	}
}

int library_inventory_run(struct library *lib, char *result, size_t len)
{
	struct tapefs *fs = lib->fs;
	struct inv_count n = {0, 0, 0};
	enum library_added how;
	struct changer_inv inv;
	int ret, probed = 0, named = 0, missing;

	memset(&inv, 0, sizeof(inv));
	ret = changer_inventory(fs->changer, &inv);
	if (ret < 0) {
		snprintf(result, len, "changer: %s",
			 changer_error(fs->changer));
		return ret;
	}
	inventory_tagged(lib, &inv, &n);
	for (size_t i = 0; i < inv.nelems; i++) {
		const struct changer_elem *e = &inv.elems[i];

		if (!e->full || e->barcode[0] || e->type == CHANGER_DRIVE ||
		    slot_in_catalog(lib, e->index))
			continue;
		probed++;
		named += library_probe_untagged(lib, e->index, &how);
		count(&n, how);
	}
	library_name_untagged(lib, &inv);
	missing = locations_mark(lib, &inv);
	changer_inv_free(&inv);
	snprintf(result, len,
		 "%d new tapes (%d labelled), %d tapes out of library", n.added,
		 n.labelled, missing < 0 ? 0 : missing);
	if (probed)
		snprintf(
		    result + strlen(result), len - strlen(result),
		    ", %d of %d cartridges without a tag named by their label",
		    named, probed);
	if (n.closed)
		snprintf(result + strlen(result), len - strlen(result),
			 "; %d of the new tapes hold archives this catalog "
			 "does not know: closed",
			 n.closed);
	return missing < 0 ? missing : 0;
}

/* The slot's element in inv, or NULL. */
static const struct changer_elem *slot_elem(const struct changer_inv *inv,
					    int slot)
{
	for (size_t i = 0; i < inv->nelems; i++)
		if (inv->elems[i].type != CHANGER_DRIVE &&
		    inv->elems[i].index == slot)
			return &inv->elems[i];
	return NULL;
}

/* Whether the cartridge of e may be labelled barcode; 0 or -errno with
 * the reason in result. */
static int label_allowed(struct library *lib, const struct changer_inv *inv,
			 const struct changer_elem *e, int slot,
			 const char *barcode, char *result, size_t len)
{
	const struct changer_elem *other = changer_inv_find(inv, barcode);
	struct catalog_tape t;

	if (library_is_cleaning(barcode)) {
		snprintf(
		    result, len,
		    "slot %d refused: %s is a cleaning cartridge's barcode",
		    slot, barcode);
		return -EINVAL;
	}

	if (!e) {
		snprintf(result, len,
			 "slot %d refused: no such slot (the library has %d)",
			 slot, inv->nslots);
		return -EINVAL;
	}
	if (!e->full) {
		snprintf(result, len, "slot %d refused: the slot is empty",
			 slot);
		return -ENOMEDIUM;
	}
	if (e->barcode[0] && strcmp(e->barcode, barcode)) {
		snprintf(result, len,
			 "slot %d refused: its cartridge has the barcode %s",
			 slot, e->barcode);
		return -EEXIST;
	}
	if (other && other != e) {
		snprintf(result, len,
			 "slot %d refused: the cartridge in %s %d has the "
			 "barcode %s",
			 slot, other->type == CHANGER_DRIVE ? "drive" : "slot",
			 other->index, barcode);
		return -EEXIST;
	}
	if (catalog_tape_get(lib->fs->cat, barcode, &t) == 0) {
		snprintf(result, len,
			 "slot %d refused: %s is already a tape of the catalog",
			 slot, barcode);
		return -EEXIST;
	}
	return 0;
}

/* The cartridge of slot, named barcode, looked at and registered. */
static int label_one(struct library *lib, const struct changer_elem *e,
		     int slot, const char *barcode, const char *pool,
		     char *result, size_t len)
{
	struct sched *sc = lib->fs->sched;
	struct changer_elem el = *e;
	enum library_added how;
	char why[256] = "";
	int ret;

	snprintf(el.barcode, sizeof(el.barcode), "%s", barcode);
	ret = sched_slot_name(sc, slot, barcode);
	if (ret < 0)
		return ret;
	how = library_import_one(lib, &el, pool, why, sizeof(why));
	/* back into its slot, ejected, whatever happened */
	if (sched_tape_return(sc, barcode) < 0)
		tapefs_error(lib->fs,
			     "label %s: could not put it back into slot %d",
			     barcode, slot);
	if (how == LIBRARY_NOT_ADDED) {
		sched_slot_name(sc, slot, NULL);
		snprintf(result, len, "slot %d refused: %.200s", slot, why);
		return -EIO;
	}
	if (how == LIBRARY_ADDED_LABELLED)
		snprintf(result, len, "slot %d labelled %s (pool %s), scratch",
			 slot, barcode, pool);
	else if (how == LIBRARY_ADDED_CLOSED)
		snprintf(result, len,
			 "slot %d already carried the label %s and holds "
			 "archives this catalog does not know: added closed",
			 slot, barcode);
	else
		snprintf(result, len,
			 "slot %d already carried the label %s: added as it is",
			 slot, barcode);
	return 0;
}

int library_label_run(struct library *lib, int slot, const char *barcode,
		      const char *pool, char *result, size_t len)
{
	struct tapefs *fs = lib->fs;
	const struct changer_elem *e;
	struct changer_inv inv;
	int ret;

	snprintf(result, len, "slot %d refused: no changer", slot);
	if (!fs->changer || !fs->sched)
		return -ENODEV;
	memset(&inv, 0, sizeof(inv));
	ret = changer_inventory(fs->changer, &inv);
	if (ret < 0) {
		snprintf(result, len, "slot %d refused: changer: %s", slot,
			 changer_error(fs->changer));
		return ret;
	}
	e = slot_elem(&inv, slot);
	ret = label_allowed(lib, &inv, e, slot, barcode, result, len);
	if (ret == 0)
		ret = label_one(lib, e, slot, barcode, pool, result, len);
	changer_inv_free(&inv);
	return ret;
}
