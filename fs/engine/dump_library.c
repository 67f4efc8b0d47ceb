/* fs/engine/dump_library.c - cartridges in the library that the catalog does not
 * know yet (a new library, tapes put in through the mailbox).
 *
 * The catalog learns a tape from its label, never from its barcode alone:
 * each unknown cartridge is read once through the scheduler (a read-only
 * job at dump priority): the label gives its pool and uuid; a tape that
 * holds nothing after its label becomes scratch, one that holds data
 * (written by another catalog) is added closed so that it is never
 * overwritten. Unlabelled or foreign tapes are reported and left alone.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/changer.h"
#include "tapeio/label.h"

struct import_job {
	struct sched_job job;
	struct dump *d;
	int slot; /* where the inventory saw it, 0 in a drive */
	struct tape_label label;
	int has_data;
	uint64_t capacity;
	char new_pool[16]; /* label a blank tape for this pool ("" = never) */
	int labelled;      /* it was blank and got a label */
};

/* The configured pool a barcode's prefix names (the longest that
 * matches), or NULL. */
static const char *prefix_pool(struct dump *d, const char *barcode)
{
	const struct tapefs_config *c = &d->fs->cfg;
	const char *best = NULL;

	for (int i = 0; i < c->npools; i++) {
		size_t n = strlen(c->pools[i]);
		if (n && !strncmp(barcode, c->pools[i], n) &&
		    (!best || n > strlen(best)))
			best = c->pools[i];
	}
	return best;
}

static int import_run(struct sched_job *job, const struct sched_run *r)
{
	struct import_job *ij = (struct import_job *)job;
	struct tape_status st;
	char *buf;
	ssize_t n;
	int ret;

	ret = label_read(r->tape[0], &ij->label);
	if (ret == -ENODATA && ij->new_pool[0]) {
		/* a blank cartridge the operator's inventory may label */
		label_init(&ij->label, ij->job.barcode[0], ij->new_pool,
			   ij->d->fs->cfg.block_size);
		ret = label_write(r->tape[0], &ij->label);
		if (ret < 0)
			return ret;
		ij->labelled = 1;
		if (tape_status(r->tape[0], &st) == 0)
			ij->capacity = st.capacity;
		return 0;
	}
	if (ret < 0)
		return ret;
	if (tape_status(r->tape[0], &st) == 0)
		ij->capacity = st.capacity;
	/* At the start of file 1: a record means data, a filemark (an empty
	 * file) or end of data (-EIO, as st's blank check) means none. */
	buf = malloc(ij->label.block_size ? ij->label.block_size : 256 * 1024);
	if (!buf)
		return -ENOMEM;
	n = tape_read(r->tape[0], buf,
		      ij->label.block_size ? ij->label.block_size : 256 * 1024);
	ij->has_data = n > 0 || n == -ENOMEM;
	free(buf);
	return 0;
}

/* While an import job waits: give it up when the engine stops. */
static int import_tick(void *arg)
{
	struct dump *d = arg;
	int stop;

	pthread_mutex_lock(&d->mu);
	stop = d->stopping;
	pthread_mutex_unlock(&d->mu);
	return stop;
}

static void refuse(struct dump *d, char *why, size_t whylen, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));

/* Why a cartridge was not added: into why and an error line of .status. */
static void refuse(struct dump *d, char *why, size_t whylen, const char *fmt,
		   ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	tapefs_error(d->fs, "%s", why);
}

/* Run the read (and label) job of ij - its fields set but the job's -
 * for the cartridge the scheduler knows as barcode, and wait for it.
 * Returns the job's result (0, -ECANCELED, label_read()'s -errno) or
 * sched_submit()'s refusal. */
static int import_wait(struct dump *d, struct import_job *ij,
		       const char *barcode)
{
	int ret, result;

	ij->d = d;
	ij->job.prio = SCHED_PRIO_DUMP;
	ij->job.mode = ij->new_pool[0] ? TAPE_RDWR : TAPE_RDONLY;
	ij->job.ntapes = 1;
	snprintf(ij->job.barcode[0], sizeof(ij->job.barcode[0]), "%s",
		 barcode);
	ij->job.run = import_run;
	snprintf(ij->job.desc, sizeof(ij->job.desc), "read label of %s",
		 barcode);
	ret = sched_run_wait(d->fs->sched, &ij->job, 250, import_tick, d,
			     &result);
	return ret < 0 ? ret : result;
}

/* Add the tape whose label ij read (and maybe wrote) to the catalog.
 * Returns 1 added, 2 labelled and added, 0 not (why says why). */
static int import_register(struct dump *d, const struct import_job *ij,
			   char *why, size_t whylen)
{
	const char *bc = ij->label.barcode;
	struct catalog_tape t;
	int ret;

	memset(&t, 0, sizeof(t));
	snprintf(t.barcode, sizeof(t.barcode), "%s", bc);
	snprintf(t.pool, sizeof(t.pool), "%s", ij->label.pool);
	snprintf(t.label_uuid, sizeof(t.label_uuid), "%s", ij->label.uuid);
	t.capacity = ij->capacity;
	t.state = ij->has_data ? CATALOG_TAPE_CLOSED : CATALOG_TAPE_SCRATCH;
	if (ij->slot)
		snprintf(t.location, sizeof(t.location), "slot %d", ij->slot);
	ret = catalog_tape_add(d->fs->cat, &t);
	if (ret == -EEXIST) {
		snprintf(why, whylen, "tape %s: already in the catalog", bc);
		return 0;
	}
	if (ret < 0) {
		refuse(d, why, whylen, "tape %s: catalog: %s", bc,
		       strerror(-ret));
		return 0;
	}
	if (ij->has_data)
		tapefs_error(d->fs, "tape %s holds archives this catalog does not know: added closed",
			     bc);
	return ij->labelled ? 2 : 1;
}

/* Read the unknown cartridge e (named e->barcode for the scheduler) and
 * add it to the catalog; a blank one is first labelled for label_pool
 * (NULL: never). Returns 1 added, 2 labelled and added, 0 not (why says
 * why). */
static int import_one(struct dump *d, const struct changer_elem *e,
		      const char *label_pool, char *why, size_t whylen)
{
	int added = 0;
	struct import_job *ij;
	int ret;

	ij = calloc(1, sizeof(*ij));
	if (!ij)
		return 0;
	ij->slot = e->type == CHANGER_DRIVE ? 0 : e->index;
	if (label_pool)
		snprintf(ij->new_pool, sizeof(ij->new_pool), "%s", label_pool);
	ret = import_wait(d, ij, e->barcode);
	if (ret == -ECANCELED) {
		snprintf(why, whylen, "stopped");
		goto out;
	}
	if (ret < 0) {
		refuse(d, why, whylen, "tape %s: no tapefs label (%s): not used",
		       e->barcode, strerror(-ret));
		goto out;
	}
	if (strcmp(ij->label.barcode, e->barcode) != 0) {
		refuse(d, why, whylen, "tape %s: its label names %.40s: not used",
		       e->barcode, ij->label.barcode);
		goto out;
	}
	added = import_register(d, ij, why, whylen);
out:
	free(ij);
	return added;
}

/* Tapes the catalog places in a slot (or drive) whose cartridge the
 * library reports without a tag are taken to be that cartridge: they were
 * labelled by hand there, and the scheduler only moves a cartridge
 * between its home slot and a drive. */
static const struct changer_elem *untagged_at(const struct changer_inv *inv,
					      const char *location)
{
	char kind[8];
	int idx;

	if (sscanf(location, "%7s %d", kind, &idx) != 2)
		return NULL;
	for (size_t i = 0; i < inv->nelems; i++) {
		const struct changer_elem *e = &inv->elems[i];
		if (e->full && !e->barcode[0] && e->index == idx &&
		    (e->type == CHANGER_DRIVE) == !strcmp(kind, "drive") &&
		    (!strcmp(kind, "drive") || !strcmp(kind, "slot")))
			return e;
	}
	return NULL;
}

struct name_ctx {
	struct dump *d;
	const struct changer_inv *inv;
};

static int name_one(void *vctx, const struct catalog_tape *t)
{
	struct name_ctx *c = vctx;
	const struct changer_elem *e = untagged_at(c->inv, t->location);

	if (e && e->type != CHANGER_DRIVE)
		sched_slot_name(c->d->fs->sched, e->index, t->barcode);
	return 0;
}

/* Tell the scheduler which catalog tape each untagged slot holds. */
static void name_untagged(struct dump *d, const struct changer_inv *inv)
{
	struct name_ctx c = { d, inv };

	catalog_tape_list(d->fs->cat, NULL, -1, name_one, &c);
}

int dump_library_import(struct dump *d)
{
	struct changer_inv inv;
	char why[256];
	int ret;

	if (!d->fs->changer)
		return 0;
	memset(&inv, 0, sizeof(inv));
	ret = changer_inventory(d->fs->changer, &inv);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < inv.nelems; i++) {
		const struct changer_elem *e = &inv.elems[i];
		struct catalog_tape t;

		if (!e->full || !e->barcode[0])
			continue;
		if (catalog_tape_get(d->fs->cat, e->barcode, &t) == 0)
			continue;
		pthread_mutex_lock(&d->mu);
		ret = d->stopping;
		pthread_mutex_unlock(&d->mu);
		if (ret)
			break;
		import_one(d, e, NULL, why, sizeof(why));
	}
	name_untagged(d, &inv);
	changer_inv_free(&inv);
	return 0;
}

struct mark_ctx {
	const struct changer_inv *inv;
	int missing;
	struct mark { /* locations to write once the listing is done */
		char barcode[40];
		char where[64];
	} *v;
	size_t n, cap;
};

/* Where the inventory saw tape t: its location, or "out of library". */
static int mark_one(void *vctx, const struct catalog_tape *t)
{
	struct mark_ctx *m = vctx;
	char where[64] = "out of library";

	for (size_t i = 0; i < m->inv->nelems; i++) {
		const struct changer_elem *e = &m->inv->elems[i];
		if (e->full && !strcmp(e->barcode, t->barcode)) {
			snprintf(where, sizeof(where), "%s %d",
				 e->type == CHANGER_DRIVE ? "drive" : "slot",
				 e->index);
			break;
		}
	}
	if (!strcmp(where, "out of library") && untagged_at(m->inv, t->location))
		return 0; /* labelled by hand, still where it was */
	if (!strcmp(where, "out of library")) {
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
static int slot_in_catalog(struct dump *d, int slot)
{
	struct slot_ctx c = { slot, 0 };

	catalog_tape_list(d->fs->cat, NULL, -1, slot_match, &c);
	return c.found;
}

/* An untagged cartridge in slot that no catalog tape accounts for (new,
 * or moved by hand): read its label under a temporary name and put it
 * back. A label names it: a catalog tape gets its new location, an
 * unknown one is added; a blank one waits for `label`. Returns 1 when it
 * was identified, 0 not. */
static int probe_untagged(struct dump *d, int slot, int *added)
{
	struct sched *sc = d->fs->sched;
	struct import_job *ij = calloc(1, sizeof(*ij));
	char tmp[CHANGER_BARCODE_MAX], loc[32], why[256];
	struct catalog_tape t;
	int ret;

	if (!ij)
		return 0;
	ij->slot = slot;
	snprintf(tmp, sizeof(tmp), "?slot-%d", slot);
	ret = sched_slot_name(sc, slot, tmp);
	if (!ret)
		ret = import_wait(d, ij, tmp);
	sched_tape_return(sc, tmp);
	sched_slot_name(sc, slot, NULL);
	if (ret == -ENODATA)
		tapefs_error(d->fs, "slot %d: a blank cartridge without a tag: label it with 'label %d BARCODE POOL' > .library",
			     slot, slot);
	else if (ret < 0 && ret != -ECANCELED)
		tapefs_error(d->fs, "slot %d: a cartridge without a tag and without a tapefs label (%s): not used",
			     slot, strerror(-ret));
	if (ret < 0)
		goto out;
	snprintf(loc, sizeof(loc), "slot %d", slot);
	if (catalog_tape_get(d->fs->cat, ij->label.barcode, &t) == 0) {
		if (t.label_uuid[0] && strcmp(t.label_uuid, ij->label.uuid)) {
			/* a cartridge labelled alike elsewhere */
			tapefs_error(d->fs, "slot %d: its label names %s, but not the tape of the catalog (another uuid): not used",
				     slot, t.barcode);
			ret = -EEXIST;
			goto out;
		}
		ret = catalog_tape_set_location(d->fs->cat, t.barcode, loc);
	} else
		ret = (*added += import_register(d, ij, why, sizeof(why)) > 0)
			      ? 0
			      : -EIO;
	if (!ret)
		ret = sched_slot_name(sc, slot, ij->label.barcode);
out:
	free(ij);
	return ret == 0;
}

int dump_library_inventory(struct dump *d, char *result, size_t len)
{
	struct changer_inv inv;
	struct mark_ctx m;
	char why[256];
	int ret, added = 0, labelled = 0, probed = 0, named = 0;

	snprintf(result, len, "no changer");
	if (!d->fs->changer)
		return -ENODEV;
	memset(&inv, 0, sizeof(inv));
	ret = changer_inventory(d->fs->changer, &inv);
	if (ret < 0) {
		snprintf(result, len, "changer: %s",
			 changer_error(d->fs->changer));
		return ret;
	}
	for (size_t i = 0; i < inv.nelems; i++) {
		const struct changer_elem *e = &inv.elems[i];
		struct catalog_tape t;

		const char *pool;

		if (!e->full || !e->barcode[0] ||
		    catalog_tape_get(d->fs->cat, e->barcode, &t) == 0)
			continue;
		pool = prefix_pool(d, e->barcode);
		if (!pool)
			tapefs_error(d->fs, "tape %s: its barcode prefix names no configured pool: not labelled",
				     e->barcode);
		ret = import_one(d, e, pool, why, sizeof(why));
		added += ret > 0;
		labelled += ret == 2;
	}
	for (size_t i = 0; i < inv.nelems; i++) {
		const struct changer_elem *e = &inv.elems[i];

		if (!e->full || e->barcode[0] || e->type == CHANGER_DRIVE ||
		    slot_in_catalog(d, e->index))
			continue;
		probed++;
		named += probe_untagged(d, e->index, &added);
	}
	name_untagged(d, &inv);
	memset(&m, 0, sizeof(m));
	m.inv = &inv;
	ret = catalog_tape_list(d->fs->cat, NULL, -1, mark_one, &m);
	for (size_t i = 0; ret >= 0 && i < m.n; i++)
		ret = catalog_tape_set_location(d->fs->cat, m.v[i].barcode,
						m.v[i].where);
	free(m.v);
	changer_inv_free(&inv);
	snprintf(result, len,
		 "%d new tapes (%d labelled), %d tapes out of library", added,
		 labelled, m.missing);
	if (probed)
		snprintf(result + strlen(result), len - strlen(result),
			 ", %d of %d cartridges without a tag named by their label",
			 named, probed);
	return ret < 0 ? ret : 0;
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
static int label_allowed(struct dump *d, const struct changer_inv *inv,
			 const struct changer_elem *e, int slot,
			 const char *barcode, char *result, size_t len)
{
	const struct changer_elem *other = changer_inv_find(inv, barcode);
	struct catalog_tape t;

	if (!e) {
		snprintf(result, len, "slot %d refused: no such slot (the library has %d)",
			 slot, inv->nslots);
		return -EINVAL;
	}
	if (!e->full) {
		snprintf(result, len, "slot %d refused: the slot is empty",
			 slot);
		return -ENOMEDIUM;
	}
	if (e->barcode[0] && strcmp(e->barcode, barcode)) {
		snprintf(result, len, "slot %d refused: its cartridge has the barcode %s",
			 slot, e->barcode);
		return -EEXIST;
	}
	if (other && other != e) {
		snprintf(result, len, "slot %d refused: the cartridge in %s %d has the barcode %s",
			 slot, other->type == CHANGER_DRIVE ? "drive" : "slot",
			 other->index, barcode);
		return -EEXIST;
	}
	if (catalog_tape_get(d->fs->cat, barcode, &t) == 0) {
		snprintf(result, len, "slot %d refused: %s is already a tape of the catalog",
			 slot, barcode);
		return -EEXIST;
	}
	return 0;
}

int dump_library_label(struct dump *d, int slot, const char *barcode,
		       const char *pool, char *result, size_t len)
{
	const struct changer_elem *e;
	struct changer_elem el;
	struct changer_inv inv;
	char why[256] = "";
	int ret;

	snprintf(result, len, "slot %d refused: no changer", slot);
	if (!d->fs->changer || !d->fs->sched)
		return -ENODEV;
	memset(&inv, 0, sizeof(inv));
	ret = changer_inventory(d->fs->changer, &inv);
	if (ret < 0) {
		snprintf(result, len, "slot %d refused: changer: %s", slot,
			 changer_error(d->fs->changer));
		return ret;
	}
	e = slot_elem(&inv, slot);
	ret = label_allowed(d, &inv, e, slot, barcode, result, len);
	if (ret < 0)
		goto out;
	el = *e;
	snprintf(el.barcode, sizeof(el.barcode), "%s", barcode);
	ret = sched_slot_name(d->fs->sched, slot, barcode);
	if (ret < 0)
		goto out;
	ret = import_one(d, &el, pool, why, sizeof(why));
	/* back into its slot, ejected, whatever happened */
	if (sched_tape_return(d->fs->sched, barcode) < 0)
		tapefs_error(d->fs, "label %s: could not put it back into slot %d",
			     barcode, slot);
	if (ret == 0) {
		sched_slot_name(d->fs->sched, slot, NULL);
		snprintf(result, len, "slot %d refused: %.200s", slot, why);
		ret = -EIO;
		goto out;
	}
	if (ret == 2)
		snprintf(result, len, "slot %d labelled %s (pool %s), scratch",
			 slot, barcode, pool);
	else
		snprintf(result, len, "slot %d already carried the label %s: added as it is",
			 slot, barcode);
	ret = 0;
out:
	changer_inv_free(&inv);
	return ret;
}
