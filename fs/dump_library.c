/* fs/dump_library.c - cartridges in the library that the catalog does not
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/dump_int.h"
#include "fs/tapefs.h"
#include "tapeio/changer.h"
#include "tapeio/label.h"

struct import_job {
	struct sched_job job;
	struct dump *d;
	int slot; /* where the inventory saw it, 0 in a drive */
	int finished;
	int result;
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

static void import_done(struct sched_job *job, int result)
{
	struct import_job *ij = (struct import_job *)job;
	struct dump *d = ij->d;

	pthread_mutex_lock(&d->mu);
	ij->result = result;
	ij->finished = 1;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* Read (and, with label_blank, label) the unknown cartridge e and add
 * it to the catalog. Returns 1 added, 2 labelled and added, 0 not. */
static int import_one(struct dump *d, const struct changer_elem *e,
		      int label_blank)
{
	int added = 0;
	struct import_job *ij;
	struct catalog_tape t;
	int ret;

	ij = calloc(1, sizeof(*ij));
	if (!ij)
		return 0;
	ij->d = d;
	ij->slot = e->type == CHANGER_DRIVE ? 0 : e->index;
	ij->job.prio = SCHED_PRIO_DUMP;
	ij->job.mode = TAPE_RDONLY;
	if (label_blank) {
		const char *pool = prefix_pool(d, e->barcode);
		if (!pool) {
			tapefs_error(d->fs, "tape %s: its barcode prefix names no configured pool: not labelled",
				     e->barcode);
		} else {
			snprintf(ij->new_pool, sizeof(ij->new_pool), "%s",
				 pool);
			ij->job.mode = TAPE_RDWR;
		}
	}
	ij->job.ntapes = 1;
	snprintf(ij->job.barcode[0], sizeof(ij->job.barcode[0]), "%s",
		 e->barcode);
	ij->job.run = import_run;
	ij->job.done = import_done;
	snprintf(ij->job.desc, sizeof(ij->job.desc), "read label of %s",
		 e->barcode);
	ret = sched_submit(d->fs->sched, &ij->job);
	if (ret < 0) {
		free(ij);
		return 0;
	}
	pthread_mutex_lock(&d->mu);
	while (!ij->finished) {
		if (d->stopping) {
			pthread_mutex_unlock(&d->mu);
			sched_cancel(d->fs->sched, &ij->job);
			pthread_mutex_lock(&d->mu);
			if (ij->finished)
				break;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&d->cv, &d->mu, &ts);
	}
	pthread_mutex_unlock(&d->mu);
	ret = ij->result;
	if (ret == -ECANCELED)
		goto out;
	if (ret < 0) {
		tapefs_error(d->fs, "tape %s: no tapefs label (%s): not used",
			     e->barcode, strerror(-ret));
		goto out;
	}
	if (strcmp(ij->label.barcode, e->barcode) != 0) {
		tapefs_error(d->fs, "tape %s: its label names %.40s: not used",
			     e->barcode, ij->label.barcode);
		goto out;
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.barcode, sizeof(t.barcode), "%s", e->barcode);
	snprintf(t.pool, sizeof(t.pool), "%s", ij->label.pool);
	snprintf(t.label_uuid, sizeof(t.label_uuid), "%s", ij->label.uuid);
	t.capacity = ij->capacity;
	t.state = ij->has_data ? CATALOG_TAPE_CLOSED : CATALOG_TAPE_SCRATCH;
	if (ij->slot)
		snprintf(t.location, sizeof(t.location), "slot %d", ij->slot);
	ret = catalog_tape_add(d->fs->cat, &t);
	if (ret < 0 && ret != -EEXIST)
		tapefs_error(d->fs, "tape %s: catalog: %s", e->barcode,
			     strerror(-ret));
	else if (ij->has_data)
		tapefs_error(d->fs, "tape %s holds archives this catalog does not know: added closed",
			     e->barcode);
	if (ret == 0)
		added = ij->labelled ? 2 : 1;
out:
	free(ij);
	return added;
}

int dump_library_import(struct dump *d)
{
	struct changer_inv inv;
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
		import_one(d, e, 0);
	}
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

int dump_library_inventory(struct dump *d, char *result, size_t len)
{
	struct changer_inv inv;
	struct mark_ctx m;
	int ret, added = 0, labelled = 0;

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

		if (!e->full || !e->barcode[0] ||
		    catalog_tape_get(d->fs->cat, e->barcode, &t) == 0)
			continue;
		ret = import_one(d, e, 1);
		added += ret > 0;
		labelled += ret == 2;
	}
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
	return ret < 0 ? ret : 0;
}
