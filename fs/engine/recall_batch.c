/* fs/engine/recall_batch.c - the batch worker: `.recall` requests, resolved
 * to the members they name off the request thread that wrote them. A line
 * naming a directory may stand for a hundred thousand files; the write
 * only checks that the path exists and hands it here, and this thread
 * walks the catalog and queues each file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/recall_int.h"
#include "fs/engine/tapefs.h"

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

/* What b asks of one member. -EBUSY and -ENOENT of a cancel or release
 * of many members (one being read, one not queued) are not errors. */
static int batch_one(struct recall *r, const struct rbatch *b, int64_t id)
{
	const char *prefer = b->prefer[0] ? b->prefer : NULL;
	int ret;

	switch (b->op) {
	case RECALL_OP_CANCEL:
		ret = recall_cancel(r, id);
		break;
	case RECALL_OP_RELEASE:
		ret = recall_drop(r, id);
		break;
	default:
		return recall_request(r, id, prefer);
	}
	return ret == -EBUSY || ret == -ENOENT ? 0 : ret;
}

/* Carry out one request. Called without the lock. */
static void batch_run(struct recall *r, const struct rbatch *b)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int ret = resolve(r, b, &ids, &n);

	for (size_t i = 0; !ret && i < n; i++)
		ret = batch_one(r, b, ids[i]);
	free(ids);
	if (ret && ret != -ESHUTDOWN) {
		recall_note(r, "REFUSED %.200s: %s", b->path, strerror(-ret));
		tapefs_error(r->fs, ".recall: '%.200s': %s", b->path,
			     strerror(-ret));
	}
}

static void batch_free(struct rbatch *b)
{
	free(b->path);
	free(b);
}

static void *batcher_main(void *arg)
{
	struct recall *r = arg;
	struct rbatch *b;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->batch_head && !r->stopping)
			pthread_cond_wait(&r->batch_cond, &r->lock);
		if (r->stopping)
			break;
		b = r->batch_head;
		pthread_mutex_unlock(&r->lock);
		batch_run(r, b);
		pthread_mutex_lock(&r->lock);
		/* taken off only now: `.recall` counts it until its members
		 * are queued */
		r->batch_head = b->next;
		if (!r->batch_head)
			r->batch_tail = NULL;
		r->nbatch--;
		batch_free(b);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int recall_batch_add(struct recall *r, enum recall_op op, int64_t archive,
		     const char *path, const char *prefer, int priority)
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
	while (r->batch_head) {
		struct rbatch *b = r->batch_head;

		r->batch_head = b->next;
		batch_free(b);
	}
	r->batch_tail = NULL;
	r->nbatch = 0;
}
