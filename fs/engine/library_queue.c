/* fs/engine/library_queue.c - the library module's lifetime and the
 * operator's queue of `.library` (inventory, export LABEL, label SLOT
 * BARCODE POOL, repair, copy POOL, repack LABEL, migrate POOL NEWPOOL,
 * reclaim LABEL, rebuild, adopt): FUSE threads queue a request and return;
 * the module's worker thread runs one at a time (robot work with the
 * library operation lock held, the lifecycle requests without it, a
 * rebuild on a thread of its own it starts), and keeps the outcome for the
 * rendering of `.library`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/library_int.h"
#include "fs/engine/lifecycle.h"
#include "tapeio/sched.h"

#define NQUEUE LIBRARY_QUEUE_MAX

int library_init(struct tapefs *fs)
{
	struct library *lib = calloc(1, sizeof(*lib));

	if (!lib)
		return -ENOMEM;
	lib->fs = fs;
	pthread_mutex_init(&lib->op, NULL);
	pthread_mutex_init(&lib->mu, NULL);
	pthread_cond_init(&lib->cv, NULL);
	fs->library = lib;
	return 0;
}

void library_free(struct tapefs *fs)
{
	struct library *lib = fs ? fs->library : NULL;

	if (!lib)
		return;
	library_stop(fs);
	free(lib->unknown);
	pthread_cond_destroy(&lib->cv);
	pthread_mutex_destroy(&lib->mu);
	pthread_mutex_destroy(&lib->op);
	fs->library = NULL;
	free(lib);
}

/* Move tape bc to an import/export slot (robot work). */
static void export_one(struct library *lib, const char *bc)
{
	struct tapefs *fs = lib->fs;
	char res[256], loc[64];
	int ret, ie = 0;

	if (sched_tape_reserved(fs->sched, bc))
		ret = -EBUSY;
	else
		ret = sched_tape_export(fs->sched, bc, &ie);
	if (ret == 0) {
		snprintf(loc, sizeof(loc), "slot %d (import/export)", ie);
		catalog_tape_set_location(fs->cat, bc, loc);
		snprintf(res, sizeof(res), "%s moved to %s", bc, loc);
	} else {
		snprintf(res, sizeof(res), "%s refused: %s", bc,
			 ret == -EBUSY ? "the tape is in use; try again later"
			 : ret == -ENOSPC ? "no empty import/export slot"
			 : ret == -ENOENT ? "the library does not hold it"
					  : changer_error(fs->changer));
		tapefs_error(fs, "export %s", res);
	}
	pthread_mutex_lock(&lib->mu);
	snprintf(lib->q.export_result, sizeof(lib->q.export_result), "%s", res);
	pthread_mutex_unlock(&lib->mu);
}

static void inventory_one(struct library *lib)
{
	char res[256];
	int r = library_inventory_run(lib, res, sizeof(res));

	if (r < 0)
		tapefs_error(lib->fs, "inventory: %s (%s)", res, strerror(-r));
	pthread_mutex_lock(&lib->mu);
	snprintf(lib->q.inventory_result, sizeof(lib->q.inventory_result),
		 "%s%.200s", r < 0 ? "failed: " : "", res);
	lib->q.inventory_time = time(NULL);
	lib->q.inventory_running = lib->inventory_req; /* asked again */
	pthread_mutex_unlock(&lib->mu);
}

static void label_one(struct library *lib, const struct library_label_req *lr)
{
	char res[256];

	if (library_label_run(lib, lr->slot, lr->barcode, lr->pool, res,
			      sizeof(res)) < 0)
		tapefs_error(lib->fs, "label %s", res);
	pthread_mutex_lock(&lib->mu);
	snprintf(lib->q.label_result, sizeof(lib->q.label_result), "%s", res);
	pthread_mutex_unlock(&lib->mu);
}

static void life_report(void *ctx, const struct lifecycle_progress *p)
{
	struct library *lib = ctx;

	pthread_mutex_lock(&lib->mu);
	lib->q.life_progress = *p;
	pthread_mutex_unlock(&lib->mu);
}

static int life_stop(void *ctx)
{
	struct library *lib = ctx;
	int stop;

	pthread_mutex_lock(&lib->mu);
	stop = lib->stopping;
	pthread_mutex_unlock(&lib->mu);
	return stop;
}

/* Run the lifecycle request at the head of the queue (caller holds mu;
 * it is released meanwhile). Not under the operation lock: see
 * library_lifecycle_request(). */
static void life_one(struct library *lib)
{
	struct lifecycle_hooks h = {life_report, life_stop, lib};
	struct library_view *q = &lib->q;
	struct lifecycle_progress p;
	char res[256];

	q->life_now = q->life[0];
	memmove(&q->life[0], &q->life[1],
		(size_t)(--q->nlife) * sizeof(q->life[0]));
	q->life_running = 1;
	memset(&q->life_progress, 0, sizeof(q->life_progress));
	pthread_mutex_unlock(&lib->mu);
	lifecycle_run(lib->fs, &q->life_now, &h, &p, res, sizeof(res));
	pthread_mutex_lock(&lib->mu);
	q->life_running = 0;
	q->life_progress = p;
	snprintf(q->life_result, sizeof(q->life_result), "%s", res);
}

/* Take the next request off the queue (caller holds mu) and run it
 * without mu, under the operation lock. 0 when there was none. */
static int run_next(struct library *lib)
{
	struct library_view *q = &lib->q;
	struct library_label_req lr;
	char bc[40];

	if (lib->inventory_req) {
		lib->inventory_req = 0;
		pthread_mutex_unlock(&lib->mu);
		pthread_mutex_lock(&lib->op);
		inventory_one(lib);
	} else if (lib->rebuild_req) {
		/* hours of tape reading: on a thread of its own, so that the
		 * queue goes on */
		lib->rebuild_req = 0;
		pthread_mutex_unlock(&lib->mu);
		library_rebuild_start(lib);
		pthread_mutex_lock(&lib->mu);
		return 1;
	} else if (q->nlabels) {
		lr = q->labels[0];
		memmove(&q->labels[0], &q->labels[1],
			(size_t)(--q->nlabels) * sizeof(q->labels[0]));
		pthread_mutex_unlock(&lib->mu);
		pthread_mutex_lock(&lib->op);
		label_one(lib, &lr);
	} else if (q->nexports) {
		snprintf(bc, sizeof(bc), "%s", q->exports[0]);
		memmove(q->exports[0], q->exports[1],
			(size_t)(--q->nexports) * sizeof(q->exports[0]));
		pthread_mutex_unlock(&lib->mu);
		pthread_mutex_lock(&lib->op);
		export_one(lib, bc);
	} else if (lib->usage_req) {
		lib->usage_req = 0;
		pthread_mutex_unlock(&lib->mu);
		lifecycle_sparse(lib->fs);
		pthread_mutex_lock(&lib->mu);
		return 1;
	} else if (q->nlife) {
		life_one(lib);
		return 1;
	} else if (lib->adopt_req) {
		lib->adopt_req = 0;
		pthread_mutex_unlock(&lib->mu);
		library_adopt_run(lib);
		pthread_mutex_lock(&lib->mu);
		return 1;
	} else {
		return 0;
	}
	pthread_mutex_unlock(&lib->op);
	pthread_mutex_lock(&lib->mu);
	return 1;
}

static void *worker_main(void *arg)
{
	struct library *lib = arg;

	pthread_mutex_lock(&lib->mu);
	while (!lib->stopping) {
		if (!run_next(lib))
			pthread_cond_wait(&lib->cv, &lib->mu);
	}
	pthread_mutex_unlock(&lib->mu);
	return NULL;
}

static int any_archive(void *ctx, const struct catalog_archive *a)
{
	(void)ctx;
	(void)a;
	return 1;
}

/* `copies` raised (or a pool of the configuration new): every pool a
 * copy goes to that some archive has no copy in gets `copy POOL` queued,
 * named in .status. Its destinations are reserved for the copy alone
 * (sched_tape_reserve_excl()), so a dump never writes the same tape. */
void library_copies_queue(struct tapefs *fs)
{
	const struct tapefs_config *cfg = &fs->cfg;
	struct lifecycle_req q = {.kind = LIFECYCLE_COPY};
	int ret;

	if (!fs->library || !fs->cat || !fs->sched)
		return;
	for (int i = 0; i < cfg->copies && i < cfg->npools; i++) {
		if (catalog_archives_lacking(fs->cat, cfg->pools[i],
					     any_archive, NULL) != 1)
			continue;
		snprintf(q.arg, sizeof(q.arg), "%s", cfg->pools[i]);
		ret = library_lifecycle_request(fs->library, &q);
		tapefs_error(
		    fs, "archives without a copy in pool %s: 'copy %s' %s",
		    q.arg, q.arg, ret == 0 ? "queued" : strerror(-ret));
	}
}

int library_start(struct tapefs *fs)
{
	struct library *lib = fs->library;
	int ret;

	if (!lib)
		return -EINVAL;
	pthread_mutex_lock(&lib->mu);
	lib->stopping = 0;
	pthread_mutex_unlock(&lib->mu);
	/* copies a crash cut short: their tape files may be written over */
	if (fs->cat && catalog_xfer_interrupt_stale(fs->cat) > 0)
		tapefs_error(fs, "copies cut short by a stop were given up");
	ret = -pthread_create(&lib->th, NULL, worker_main, lib);
	if (ret == 0)
		lib->th_started = 1;
	return ret;
}

void library_stop(struct tapefs *fs)
{
	struct library *lib = fs ? fs->library : NULL;

	if (!lib)
		return;
	pthread_mutex_lock(&lib->mu);
	lib->stopping = 1;
	lib->inventory_req = 0;
	lib->q.inventory_running = 0;
	lib->rebuild_req = 0;
	lib->q.rebuild_running = 0;
	lib->adopt_req = 0;
	lib->q.adopt_running = 0;
	lib->q.nexports = 0;
	lib->q.nlabels = 0;
	lib->q.nlife = 0;
	pthread_cond_broadcast(&lib->cv);
	pthread_mutex_unlock(&lib->mu);
	if (lib->th_started)
		pthread_join(lib->th, NULL);
	lib->th_started = 0;
	library_rebuild_join(lib);
}

/* The queue takes requests: the worker runs and the mount has a robot. */
static int queue_open(struct library *lib)
{
	return lib && lib->th_started && lib->fs->changer && lib->fs->sched &&
	       lib->fs->cat;
}

int library_inventory_request(struct library *lib)
{
	if (!queue_open(lib))
		return -ENODEV;
	pthread_mutex_lock(&lib->mu);
	lib->inventory_req = 1;
	lib->q.inventory_running = 1;
	pthread_cond_broadcast(&lib->cv);
	pthread_mutex_unlock(&lib->mu);
	return 0;
}

int library_rebuild_request(struct library *lib, int full,
			    const char *const *labels, size_t n)
{
	int ret = 0;

	if (!queue_open(lib))
		return -ENODEV;
	if (n > LIBRARY_QUEUE_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (strlen(labels[i]) >= sizeof(lib->rebuild_labels[0]))
			return -EINVAL;
	pthread_mutex_lock(&lib->mu);
	if (lib->q.rebuild_running) {
		ret = -EALREADY;
	} else {
		lib->rebuild_req = 1;
		lib->rebuild_full = full;
		lib->rebuild_nlabels = n;
		for (size_t i = 0; i < n; i++)
			snprintf(lib->rebuild_labels[i],
				 sizeof(lib->rebuild_labels[i]), "%s",
				 labels[i]);
		lib->q.rebuild_running = 1;
		snprintf(lib->q.rebuild_progress,
			 sizeof(lib->q.rebuild_progress), "queued");
		pthread_cond_broadcast(&lib->cv);
	}
	pthread_mutex_unlock(&lib->mu);
	return ret;
}

int library_export_request(struct library *lib, const char *barcode)
{
	int ret = 0;

	if (!queue_open(lib))
		return -ENODEV;
	if (sched_tape_reserved(lib->fs->sched, barcode))
		return -EBUSY;
	if (strlen(barcode) >= sizeof(lib->q.exports[0]))
		return -EINVAL;
	pthread_mutex_lock(&lib->mu);
	if (lib->q.nexports == NQUEUE)
		ret = -EAGAIN;
	else
		snprintf(lib->q.exports[lib->q.nexports++],
			 sizeof(lib->q.exports[0]), "%s", barcode);
	pthread_cond_broadcast(&lib->cv);
	pthread_mutex_unlock(&lib->mu);
	return ret;
}

int library_label_request(struct library *lib, int slot, const char *barcode,
			  const char *pool)
{
	struct library_view *q;
	int ret = 0;

	if (!queue_open(lib))
		return -ENODEV;
	q = &lib->q;
	if (strlen(barcode) >= sizeof(q->labels[0].barcode) ||
	    strlen(pool) >= sizeof(q->labels[0].pool))
		return -EINVAL;
	pthread_mutex_lock(&lib->mu);
	for (int i = 0; i < q->nlabels; i++)
		if (q->labels[i].slot == slot ||
		    !strcmp(q->labels[i].barcode, barcode))
			ret = -EALREADY;
	if (!ret && q->nlabels == NQUEUE)
		ret = -EAGAIN;
	if (!ret) {
		struct library_label_req *lr = &q->labels[q->nlabels++];
		lr->slot = slot;
		snprintf(lr->barcode, sizeof(lr->barcode), "%s", barcode);
		snprintf(lr->pool, sizeof(lr->pool), "%s", pool);
	}
	pthread_cond_broadcast(&lib->cv);
	pthread_mutex_unlock(&lib->mu);
	return ret;
}

int library_view(struct library *lib, struct library_view *out)
{
	if (!lib)
		return -ENODEV;
	pthread_mutex_lock(&lib->mu);
	*out = lib->q;
	pthread_mutex_unlock(&lib->mu);
	return 0;
}

void library_usage_changed(struct library *lib)
{
	pthread_mutex_lock(&lib->mu);
	lib->usage_req = 1;
	pthread_cond_broadcast(&lib->cv);
	pthread_mutex_unlock(&lib->mu);
}

int library_lifecycle_request(struct library *lib,
			      const struct lifecycle_req *q)
{
	struct library_view *v;
	int ret = 0;

	if (!lib || !lib->th_started || !lib->fs->sched || !lib->fs->cat)
		return -ENODEV;
	v = &lib->q;
	pthread_mutex_lock(&lib->mu);
	for (int i = 0; i < v->nlife; i++)
		if (v->life[i].kind == q->kind &&
		    !strcmp(v->life[i].arg, q->arg) &&
		    !strcmp(v->life[i].arg2, q->arg2))
			ret = -EALREADY;
	if (!ret && v->nlife == NQUEUE)
		ret = -EAGAIN;
	if (!ret)
		v->life[v->nlife++] = *q;
	pthread_cond_broadcast(&lib->cv);
	pthread_mutex_unlock(&lib->mu);
	return ret;
}

int library_adopt_request(struct library *lib, const char *label,
			  const char *prefix)
{
	int ret = 0;

	if (!queue_open(lib))
		return -ENODEV;
	if (strlen(label) >= sizeof(lib->q.adopt_label) ||
	    (prefix && strlen(prefix) >= sizeof(lib->adopt_prefix)))
		return -EINVAL;
	pthread_mutex_lock(&lib->mu);
	if (lib->q.adopt_running) {
		ret = -EALREADY;
	} else {
		lib->adopt_req = 1;
		lib->q.adopt_running = 1;
		snprintf(lib->q.adopt_label, sizeof(lib->q.adopt_label), "%s",
			 label);
		snprintf(lib->adopt_prefix, sizeof(lib->adopt_prefix), "%s",
			 prefix ? prefix : "");
		snprintf(lib->q.adopt_progress, sizeof(lib->q.adopt_progress),
			 "queued");
	}
	pthread_cond_broadcast(&lib->cv);
	pthread_mutex_unlock(&lib->mu);
	return ret;
}
