/* fs/engine/recall_durable.c - members read whole reach the cache's disk
 * in batches. A member whose MD5 matched is served at once (renamed to
 * m<ID>, cached); its bytes are then written back in the background
 * (sync_file_range) and made durable with the others of its batch: each
 * file's fdatasync, then one catalog transaction putting their cache rows
 * and deleting the `.recall` requests they served. A small member thus
 * costs no disk flush and no commit of its own, and the order that makes
 * a crash safe holds: a row is written only once its file's bytes are on
 * disk (a file without a row is dropped at the next start, and its
 * request, still in the catalog, recalls it again).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/recall_int.h"
#include "fs/engine/tapefs.h"

#define DURABLE_MAX 64	 /* members in a batch (descriptors held) */
#define DURABLE_MS  1000 /* the oldest waits at most this long */

struct rdurable_one {
	int64_t id;
	unsigned gen; /* the entry's attempt: a row only if still so */
	int fd;
	int ok;
	int64_t row; /* the `.recall` request it served, 0 */
	struct catalog_cache_entry ce;
};

void recall_durable_init(struct rdurable *d)
{
	memset(d, 0, sizeof(*d));
}

static long ms_since(const struct timespec *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - a->tv_sec) * 1000L +
	       (now.tv_nsec - a->tv_nsec) / 1000000L;
}

/* Which files of the batch are still cached as they were read (one
 * evicted or released since has no row), into rows; every request goes
 * into done. Lock held. */
static void durable_pick(struct recall *r, struct rdurable *d,
			 struct catalog_cache_entry *rows, size_t *nrows,
			 int64_t *done, size_t *ndone)
{
	for (size_t i = 0; i < d->n; i++) {
		struct rdurable_one *p = &d->p[i];
		struct rentry *e = recall_entry_find(r, p->id);

		if (p->ok && e && e->st == E_CACHED && e->gen == p->gen)
			rows[(*nrows)++] = p->ce;
		if (p->row)
			done[(*ndone)++] = p->row;
	}
}

/* The rows could not be written: the requests go the usual way (the batch
 * worker deletes them); the files are dropped at the next start. */
static void durable_rows_lost(struct recall *r, const int64_t *done,
			      size_t ndone)
{
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < ndone; i++)
		recall_row_done(r, done[i]);
	pthread_mutex_unlock(&r->lock);
}

void recall_durable_flush(struct recall *r, struct rdurable *d)
{
	struct catalog_cache_entry *rows;
	int64_t *done;
	size_t nrows = 0, ndone = 0;

	if (!d->n)
		return;
	for (size_t i = 0; i < d->n; i++) {
		d->p[i].ok = fdatasync(d->p[i].fd) == 0;
		close(d->p[i].fd);
	}
	rows = calloc(d->n, sizeof(*rows));
	done = calloc(d->n, sizeof(*done));
	pthread_mutex_lock(&r->lock);
	if (rows && done)
		durable_pick(r, d, rows, &nrows, done, &ndone);
	pthread_mutex_unlock(&r->lock);
	if (rows && done &&
	    catalog_cache_put_many(r->fs->cat, rows, nrows, done, ndone))
		durable_rows_lost(r, done, ndone);
	for (size_t i = 0; i < d->n; i++) {
		if (d->p[i].ok)
			continue;
		/* its bytes may not be what the disk keeps: read it again
		 * next time (a file being read again is left alone) */
		recall_drop(r, d->p[i].id);
		tapefs_error(r->fs,
			     "recall cache: '%s' cannot be written to disk",
			     d->p[i].ce.file);
	}
	free(rows);
	free(done);
	d->n = 0;
}

int recall_durable_add(struct recall *r, struct rdurable *d, int64_t id,
		       unsigned gen, int fd, int64_t row,
		       const struct catalog_cache_entry *ce)
{
	struct rdurable_one *p;

	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 16;

		p = realloc(d->p, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		d->p = p;
		d->cap = nc;
	}
	if (!d->n)
		clock_gettime(CLOCK_MONOTONIC, &d->first);
	/* the disk starts writing it now; the flush finds it written */
	sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	p = &d->p[d->n++];
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->gen = gen;
	p->fd = fd;
	p->row = row;
	p->ce = *ce;
	p->ce.map = NULL;
	p->ce.map_len = 0;
	if (d->n >= DURABLE_MAX || ms_since(&d->first) >= DURABLE_MS)
		recall_durable_flush(r, d);
	return 0;
}

void recall_durable_release(struct recall *r, struct rdurable *d)
{
	recall_durable_flush(r, d);
	free(d->p);
	memset(d, 0, sizeof(*d));
}
