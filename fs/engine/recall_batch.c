/* fs/engine/recall_batch.c - the batch worker: `.recall` requests, resolved
 * to the members they name off the request thread that wrote them. A line
 * naming a directory may stand for a hundred thousand files; the write
 * only checks that the path exists and hands it here, and this thread
 * walks the catalog and queues each file. Consecutive lines naming files
 * (a list) are kept in the catalog in one transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/recall_int.h"
#include "fs/engine/tapefs.h"

#define BATCH_FILES 256 /* recalls of files kept in one transaction */

/* Every regular file below a directory, depth first. */
struct walk {
	struct catalog *cat;
	int64_t archive;
	int64_t *ids;
	size_t n, cap;
	char **dirs; /* directories still to list */
	size_t ndirs, dcap;
	const char *dir;
	struct recall *r;
};

static int grow(void **a, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		void *na = realloc(*a, nc * size);

		if (!na)
			return -ENOMEM;
		*a = na;
		*cap = nc;
	}
	return 0;
}

static int walk_entry(void *ctx, const char *name,
		      const struct catalog_member *m)
{
	struct walk *w = ctx;
	char *sub;

	if (__atomic_load_n(&w->r->stopping, __ATOMIC_RELAXED))
		return -ESHUTDOWN;
	if (m->type == CATALOG_FILE) {
		if (grow((void **)&w->ids, &w->n, &w->cap, sizeof(*w->ids)))
			return -ENOMEM;
		w->ids[w->n++] = m->id;
		return 0;
	}
	if (m->type != CATALOG_DIR)
		return 0;
	if (asprintf(&sub, "%s%s%s", w->dir, *w->dir ? "/" : "", name) < 0)
		return -ENOMEM;
	if (grow((void **)&w->dirs, &w->ndirs, &w->dcap, sizeof(*w->dirs))) {
		free(sub);
		return -ENOMEM;
	}
	w->dirs[w->ndirs++] = sub;
	return 0;
}

/* The files below directory path into w->ids. */
static int walk_dir(struct walk *w, const char *path)
{
	char *d = strdup(path);
	int ret = d ? 0 : -ENOMEM;

	if (d && grow((void **)&w->dirs, &w->ndirs, &w->dcap, sizeof(*w->dirs)))
		ret = -ENOMEM;
	if (ret) {
		free(d);
		return ret;
	}
	w->dirs[w->ndirs++] = d;
	while (!ret && w->ndirs) {
		char *dir = w->dirs[--w->ndirs];

		w->dir = dir;
		ret = w->archive
			  ? catalog_archive_list(w->cat, w->archive, dir, NULL,
						 walk_entry, w)
			  : catalog_ns_list(w->cat, dir, NULL, walk_entry, w);
		free(dir);
	}
	while (w->ndirs)
		free(w->dirs[--w->ndirs]);
	free(w->dirs);
	return ret;
}

/* The members b names: one file, or every file below a directory. *ids
 * is malloc'ed. 0 or -errno. */
static int resolve(struct recall *r, const struct rbatch *b, int64_t **ids,
		   size_t *n)
{
	struct catalog *cat = r->fs->cat;
	struct catalog_member m = {0};
	struct walk w = {.cat = cat, .archive = b->archive, .r = r};
	int ret = b->archive
		      ? catalog_archive_lookup(cat, b->archive, b->path, &m)
		      : catalog_ns_lookup(cat, b->path, &m);

	if (!ret && m.type == CATALOG_FILE) {
		ret = grow((void **)&w.ids, &w.n, &w.cap, sizeof(*w.ids));
		if (!ret)
			w.ids[w.n++] = m.id;
	} else if (!ret && m.type == CATALOG_DIR) {
		ret = walk_dir(&w, b->path);
	} else if (!ret) {
		ret = -EINVAL;
	}
	catalog_member_release(&m);
	if (ret) {
		free(w.ids);
		return ret;
	}
	*ids = w.ids;
	*n = w.n;
	return 0;
}

/* What a cancel or release asks of one member. -EBUSY and -ENOENT (one
 * being read, one not queued) are not errors. */
static int batch_one(struct recall *r, const struct rbatch *b, int64_t id)
{
	int ret = b->op == RECALL_OP_CANCEL ? recall_cancel(r, id)
					    : recall_drop(r, id);

	return ret == -EBUSY || ret == -ENOENT ? 0 : ret;
}

/* The members resolved for k recall requests: b[i] names ids[i][0..n[i])
 * (err[i]: why it names none, n[i] 0; or why one could not be queued). */
struct resolved {
	struct rbatch **b;
	int64_t **ids;
	size_t *n;
	int *err;
	size_t k, total;
};

/* Queue the members of the k requests of rs, each kept in the catalog
 * first, all in one transaction that also deletes done (the row of a
 * directory request now walked, 0: none): a restart or a crash from then
 * on resumes them. Without the catalog (an error: logged) they are queued
 * all the same, in memory only. A request that cannot be queued gets its
 * error in rs->err. */
static void batch_recall(struct recall *r, struct resolved *rs, int64_t done)
{
	struct catalog_recall_req *reqs =
	    calloc(rs->total ? rs->total : 1, sizeof(*reqs));
	int64_t *rows = calloc(rs->total ? rs->total : 1, sizeof(*rows));
	size_t j = 0;

	if (!reqs || !rows) {
		for (size_t i = 0; i < rs->k; i++)
			rs->err[i] = rs->err[i] ? rs->err[i] : -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < rs->k; i++)
		for (size_t m = 0; m < rs->n[i]; m++, j++) {
			reqs[j].member = rs->ids[i][m];
			reqs[j].priority = rs->b[i]->priority;
			snprintf(reqs[j].prefer, sizeof(reqs[j].prefer), "%s",
				 rs->b[i]->prefer);
		}
	if (catalog_recall_add(r->fs->cat, reqs, j, done, rows)) {
		tapefs_error(r->fs,
			     ".recall: '%.200s'%s: not kept in the catalog (a "
			     "restart forgets it)",
			     rs->b[0]->path, rs->k > 1 ? " and others" : "");
		memset(rows, 0, j * sizeof(*rows));
	}
	j = 0;
	for (size_t i = 0; i < rs->k; i++) {
		const char *prefer =
		    rs->b[i]->prefer[0] ? rs->b[i]->prefer : NULL;

		for (size_t m = 0; m < rs->n[i]; m++, j++)
			if (!rs->err[i])
				rs->err[i] = recall_request_row(
				    r, rs->ids[i][m], prefer,
				    rs->b[i]->priority, rows[j]);
	}
out:
	free(reqs);
	free(rows);
}

/* A directory request is kept in the catalog before its walk, so that a
 * crash during a long walk resumes it. Returns its row (0: not kept). */
static int64_t batch_keep_dir(struct recall *r, const struct rbatch *b)
{
	struct catalog_recall_req req = {
	    .archive = b->archive, .path = b->path, .priority = b->priority};
	int64_t row = 0;

	snprintf(req.prefer, sizeof(req.prefer), "%s", b->prefer);
	if (catalog_recall_add(r->fs->cat, &req, 1, 0, &row))
		return 0;
	return row;
}

static void batch_refused(struct recall *r, const struct rbatch *b, int ret)
{
	if (!ret || ret == -ESHUTDOWN)
		return;
	recall_note(r, "REFUSED %.200s: %s", b->path, strerror(-ret));
	tapefs_error(r->fs, ".recall: '%.200s': %s", b->path, strerror(-ret));
}

/* Carry out one request. Called without the lock. */
static void batch_run(struct recall *r, struct rbatch *b)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int ret;
	struct resolved rs = {&b, &ids, &n, &ret, 1, 0};

	if (b->op == RECALL_OP_RECALL && !b->row && b->dir)
		b->row = batch_keep_dir(r, b);
	ret = resolve(r, b, &ids, &n);
	rs.total = n;
	if (!ret && b->op == RECALL_OP_RECALL)
		batch_recall(r, &rs, b->row);
	for (size_t i = 0; !ret && b->op != RECALL_OP_RECALL && i < n; i++)
		ret = batch_one(r, b, ids[i]);
	free(ids);
	if (ret == -ENOENT && b->row) /* the directory is gone */
		catalog_recall_remove(r->fs->cat, &b->row, 1);
	batch_refused(r, b, ret);
}

/* Carry out k recalls of files (a list written to `.recall`) at once: one
 * catalog transaction keeps them all. Called without the lock. */
static void batch_run_files(struct recall *r, struct rbatch **b, size_t k)
{
	struct resolved rs = {b,
			      calloc(k, sizeof(*rs.ids)),
			      calloc(k, sizeof(*rs.n)),
			      calloc(k, sizeof(*rs.err)),
			      k,
			      0};

	if (!rs.ids || !rs.n || !rs.err) {
		free(rs.ids);
		free(rs.n);
		free(rs.err);
		for (size_t i = 0; i < k; i++)
			batch_run(r, b[i]);
		return;
	}
	for (size_t i = 0; i < k; i++) {
		rs.err[i] = resolve(r, b[i], &rs.ids[i], &rs.n[i]);
		if (rs.err[i])
			rs.n[i] = 0; /* none of its members is kept */
		rs.total += rs.n[i];
	}
	batch_recall(r, &rs, 0);
	for (size_t i = 0; i < k; i++) {
		batch_refused(r, b[i], rs.err[i]);
		free(rs.ids[i]);
	}
	free(rs.ids);
	free(rs.n);
	free(rs.err);
}

static void batch_free(struct rbatch *b)
{
	free(b->path);
	free(b);
}

/* Delete the catalog rows of requests done with. Lock held; released
 * meanwhile. */
static void rows_flush(struct recall *r)
{
	int64_t *rows = r->rows_done;
	size_t n = r->nrows_done;

	if (!n)
		return;
	r->rows_done = NULL;
	r->nrows_done = r->rows_cap = 0;
	pthread_mutex_unlock(&r->lock);
	catalog_recall_remove(r->fs->cat, rows, n);
	free(rows);
	pthread_mutex_lock(&r->lock);
}

/* The requests to carry out next, from the head of the list into run:
 * one, or a run of up to BATCH_FILES recalls of files (lines of a list),
 * done together. Lock held. Returns how many. */
static size_t batch_take(struct recall *r, struct rbatch **run)
{
	struct rbatch *b = r->batch_head;
	size_t k = 0;

	run[k++] = b;
	if (b->op != RECALL_OP_RECALL || b->dir || b->row)
		return k;
	for (b = b->next; b && k < BATCH_FILES; b = b->next) {
		if (b->op != RECALL_OP_RECALL || b->dir || b->row)
			break;
		run[k++] = b;
	}
	return k;
}

static void *batcher_main(void *arg)
{
	struct recall *r = arg;
	struct rbatch *b, *run[BATCH_FILES];
	size_t k;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->batch_head && !r->nrows_done && !r->stopping)
			pthread_cond_wait(&r->batch_cond, &r->lock);
		rows_flush(r);
		if (r->stopping)
			break;
		if (!r->batch_head)
			continue;
		k = batch_take(r, run);
		pthread_mutex_unlock(&r->lock);
		if (k > 1)
			batch_run_files(r, run, k);
		else
			batch_run(r, run[0]);
		pthread_mutex_lock(&r->lock);
		/* taken off only now: `.recall` counts them until their
		 * members are queued */
		for (size_t i = 0; i < k; i++) {
			b = r->batch_head;
			r->batch_head = b->next;
			r->nbatch--;
			batch_free(b);
		}
		if (!r->batch_head)
			r->batch_tail = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static int batch_add(struct recall *r, enum recall_op op, int64_t archive,
		     const char *path, const char *prefer, int priority,
		     int dir, int64_t row)
{
	struct rbatch *b = calloc(1, sizeof(*b));
	int ret = 0;

	if (!b || !(b->path = strdup(path))) {
		free(b);
		return -ENOMEM;
	}
	b->op = op;
	b->archive = archive;
	b->priority = priority;
	b->dir = dir;
	b->row = row;
	snprintf(b->prefer, sizeof(b->prefer), "%s", prefer ? prefer : "");
	pthread_mutex_lock(&r->lock);
	if (r->stopping) {
		ret = -ESHUTDOWN;
	} else {
		if (r->batch_tail)
			r->batch_tail->next = b;
		else
			r->batch_head = b;
		r->batch_tail = b;
		r->nbatch++;
		pthread_cond_signal(&r->batch_cond);
	}
	pthread_mutex_unlock(&r->lock);
	if (ret)
		batch_free(b);
	return ret;
}

int recall_batch_add(struct recall *r, enum recall_op op, int64_t archive,
		     const char *path, const char *prefer, int priority,
		     int dir)
{
	return batch_add(r, op, archive, path, prefer, priority, dir, 0);
}

int recall_batch_add_row(struct recall *r, int64_t archive, const char *path,
			 const char *prefer, int priority, int64_t row)
{
	return batch_add(r, RECALL_OP_RECALL, archive, path, prefer, priority,
			 1, row);
}

int recall_batcher_start(struct recall *r)
{
	int ret = pthread_create(&r->batcher, NULL, batcher_main, r);

	if (ret)
		return -ret;
	r->batcher_on = 1;
	return 0;
}

void recall_batcher_stop(struct recall *r)
{
	if (r->batcher_on) {
		pthread_mutex_lock(&r->lock);
		pthread_cond_signal(&r->batch_cond);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->batcher, NULL);
		r->batcher_on = 0;
	}
	pthread_mutex_lock(&r->lock);
	rows_flush(r); /* requests served until now */
	pthread_mutex_unlock(&r->lock);
	while (r->batch_head) {
		struct rbatch *b = r->batch_head;

		r->batch_head = b->next;
		batch_free(b);
	}
	r->batch_tail = NULL;
	r->nbatch = 0;
}
