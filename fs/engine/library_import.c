/* fs/engine/library_import.c - cartridges the catalog does not know yet (a
 * new library, tapes put in through the mailbox), looked at through the
 * drive scheduler while the daemon runs.
 *
 * Each unknown cartridge is read once, by a read-only job at dump
 * priority: label_probe() gives its label and whether it holds anything
 * after file 0, and library_register() decides what it becomes (scratch,
 * or closed when it holds archives this catalog does not know).
 * Unlabelled or foreign tapes are reported and left alone; a blank one is
 * labelled only when the operator's inventory or label asks for it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/library_int.h"
#include "tapeio/sched.h"

struct import_job {
	struct sched_job job;
	struct library *lib;
	int slot; /* where the inventory saw it, 0 in a drive */
	struct label_probe probe;
	char new_pool[16]; /* label a blank tape for this pool ("" = never) */
	int labelled;	   /* it was blank and got a label */
};

static int import_run(struct sched_job *job, const struct sched_run *r)
{
	struct import_job *ij = (struct import_job *)job;
	struct tape_space sp;
	int ret;

	ret = label_probe(r->tape[0], &ij->probe);
	if (ret == -ENODATA && ij->new_pool[0]) {
		/* a blank cartridge the operator's inventory may label */
		label_init(&ij->probe.label, ij->job.barcode[0], ij->new_pool,
			   ij->lib->fs->cfg.block_size);
		ret = label_write(r->tape[0], &ij->probe.label);
		if (ret < 0)
			return ret;
		ij->labelled = 1;
		if (tape_space(r->tape[0], &sp) == 0)
			ij->probe.capacity = sp.capacity;
		return 0;
	}
	return ret;
}

/* While an import job waits: give it up when the library stops. */
static int import_tick(void *arg)
{
	return library_stopping(arg);
}

static void refuse(struct library *lib, char *why, size_t whylen,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Why a cartridge was not added: into why and an error line of .status. */
static void refuse(struct library *lib, char *why, size_t whylen,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	tapefs_error(lib->fs, "%s", why);
}

/* Run the read (and label) job of ij - its fields set but the job's -
 * for the cartridge the scheduler knows as barcode, and wait for it.
 * Returns the job's result (0, -ECANCELED, label_probe()'s -errno) or
 * sched_submit()'s refusal. */
static int import_wait(struct library *lib, struct import_job *ij,
		       const char *barcode)
{
	int ret, result;

	ij->lib = lib;
	ij->job.prio = SCHED_PRIO_DUMP;
	ij->job.mode = ij->new_pool[0] ? TAPE_RDWR : TAPE_RDONLY;
	ij->job.ntapes = 1;
	snprintf(ij->job.barcode[0], sizeof(ij->job.barcode[0]), "%s",
		 barcode);
	ij->job.run = import_run;
	snprintf(ij->job.desc, sizeof(ij->job.desc), "read label of %s",
		 barcode);
	ret = sched_run_wait(lib->fs->sched, &ij->job, 250, import_tick, lib,
			     &result);
	return ret < 0 ? ret : result;
}

/* Register the cartridge ij looked at (and maybe labelled); why says why
 * when it was not added. */
static enum library_added import_register(struct library *lib,
					  const struct import_job *ij,
					  char *why, size_t whylen)
{
	char loc[32] = "";
	int ret;

	if (ij->slot)
		snprintf(loc, sizeof(loc), "slot %d", ij->slot);
	ret = library_register(lib->fs, &ij->probe, loc, why, whylen);
	if (ret < 0)
		tapefs_error(lib->fs, "%s", why);
	if (ret <= 0)
		return LIBRARY_NOT_ADDED;
	if (ij->labelled)
		return LIBRARY_ADDED_LABELLED;
	return ret == 2 ? LIBRARY_ADDED_CLOSED : LIBRARY_ADDED_SCRATCH;
}

enum library_added library_import_one(struct library *lib,
				      const struct changer_elem *e,
				      const char *label_pool, char *why,
				      size_t whylen)
{
	enum library_added added = LIBRARY_NOT_ADDED;
	struct import_job *ij;
	int ret;

	ij = calloc(1, sizeof(*ij));
	if (!ij)
		return 0;
	ij->slot = e->type == CHANGER_DRIVE ? 0 : e->index;
	if (label_pool)
		snprintf(ij->new_pool, sizeof(ij->new_pool), "%s", label_pool);
	ret = import_wait(lib, ij, e->barcode);
	if (ret == -ECANCELED) {
		snprintf(why, whylen, "stopped");
		goto out;
	}
	if (ret < 0) {
		refuse(lib, why, whylen,
		       "tape %s: no tapefs label (%s): not used", e->barcode,
		       strerror(-ret));
		goto out;
	}
	if (strcmp(ij->probe.label.barcode, e->barcode) != 0) {
		char shown[48];

		refuse(lib, why, whylen,
		       "tape %s: its label names %s: not used", e->barcode,
		       library_shown(ij->probe.label.barcode, shown,
				     sizeof(shown)));
		goto out;
	}
	added = import_register(lib, ij, why, whylen);
out:
	free(ij);
	return added;
}

const struct changer_elem *library_untagged_at(const struct changer_inv *inv,
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
	struct library *lib;
	const struct changer_inv *inv;
};

static int name_one(void *vctx, const struct catalog_tape *t)
{
	struct name_ctx *c = vctx;
	const struct changer_elem *e = library_untagged_at(c->inv, t->location);

	if (e && e->type != CHANGER_DRIVE)
		sched_slot_name(c->lib->fs->sched, e->index, t->barcode);
	return 0;
}

/* Tapes the catalog places in a slot (or drive) whose cartridge the
 * library reports without a tag are taken to be that cartridge: they were
 * labelled by hand there, and the scheduler only moves a cartridge
 * between its home slot and a drive. */
void library_name_untagged(struct library *lib, const struct changer_inv *inv)
{
	struct name_ctx c = {lib, inv};

	catalog_tape_list(lib->fs->cat, NULL, -1, name_one, &c);
}

int library_stopping(struct library *lib)
{
	int r;

	pthread_mutex_lock(&lib->mu);
	r = lib->stopping;
	pthread_mutex_unlock(&lib->mu);
	return r;
}

int library_import_locked(struct library *lib)
{
	struct tapefs *fs = lib->fs;
	struct changer_inv inv;
	char why[256];
	int ret;

	memset(&inv, 0, sizeof(inv));
	ret = changer_inventory(fs->changer, &inv);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < inv.nelems; i++) {
		const struct changer_elem *e = &inv.elems[i];
		struct catalog_tape t;

		if (!e->full || !e->barcode[0] ||
		    library_is_cleaning(e->barcode))
			continue;
		if (catalog_tape_get(fs->cat, e->barcode, &t) == 0)
			continue;
		if (library_stopping(lib))
			break;
		library_import_one(lib, e, NULL, why, sizeof(why));
	}
	library_name_untagged(lib, &inv);
	changer_inv_free(&inv);
	return library_stopping(lib) ? -ECANCELED : 0;
}

int library_import(struct tapefs *fs)
{
	struct library *lib = fs->library;
	int ret;

	if (!lib || !fs->changer || !fs->sched || !fs->cat)
		return 0;
	if (library_stopping(lib))
		return -ECANCELED;
	pthread_mutex_lock(&lib->op);
	ret = library_import_locked(lib);
	pthread_mutex_unlock(&lib->op);
	return ret;
}

/* An untagged cartridge in slot that no catalog tape accounts for (new,
 * or moved by hand): read its label under a temporary name and put it
 * back. A label names it: a catalog tape gets its new location, an
 * unknown one is added; a blank one waits for `label`. */
int library_probe_untagged(struct library *lib, int slot,
			   enum library_added *how)
{
	struct tapefs *fs = lib->fs;
	struct sched *sc = fs->sched;
	struct import_job *ij = calloc(1, sizeof(*ij));
	char tmp[CHANGER_BARCODE_MAX], loc[32], why[256];
	struct catalog_tape t;
	int ret;

	*how = LIBRARY_NOT_ADDED;
	if (!ij)
		return 0;
	ij->slot = slot;
	snprintf(tmp, sizeof(tmp), "?slot-%d", slot);
	ret = sched_slot_name(sc, slot, tmp);
	if (!ret)
		ret = import_wait(lib, ij, tmp);
	sched_tape_return(sc, tmp);
	sched_slot_name(sc, slot, NULL);
	if (ret == -ENODATA)
		tapefs_error(fs,
			     "slot %d: a blank cartridge without a tag: label "
			     "it with 'label %d BARCODE POOL' > .library",
			     slot, slot);
	else if (ret < 0 && ret != -ECANCELED)
		tapefs_error(fs,
			     "slot %d: a cartridge without a tag and without a "
			     "tapefs label (%s): not used",
			     slot, strerror(-ret));
	if (ret < 0)
		goto out;
	snprintf(loc, sizeof(loc), "slot %d", slot);
	if (catalog_tape_get(fs->cat, ij->probe.label.barcode, &t) == 0) {
		if (t.label_uuid[0] &&
		    strcmp(t.label_uuid, ij->probe.label.uuid)) {
			/* a cartridge labelled alike elsewhere */
			tapefs_error(
			    fs,
			    "slot %d: its label names %s, but not the tape of "
			    "the catalog (another uuid): not used",
			    slot, t.barcode);
			ret = -EEXIST;
			goto out;
		}
		ret = catalog_tape_set_location(fs->cat, t.barcode, loc);
	} else {
		*how = import_register(lib, ij, why, sizeof(why));
		ret = *how != LIBRARY_NOT_ADDED ? 0 : -EIO;
	}
	if (!ret)
		ret = sched_slot_name(sc, slot, ij->probe.label.barcode);
out:
	free(ij);
	return ret == 0;
}
