/* fs/engine/recall_durable.c - members read whole reach the cache's disk
 * off the drive's path. A member whose MD5 matched is served at once
 * (renamed to m<ID>, cached) and handed here; the engine's syncer threads
 * make its bytes durable (fdatasync) and then write its cache row and
 * delete the `.recall` request it served, grouped with the others made
 * durable meanwhile into one catalog transaction. The drive reads on
 * while they do: a small member costs the drive no disk flush and no
 * commit. Several syncers flush at once, so that the file system commits
 * their flushes together (one cache flush of the disk for many files,
 * where one after another would each wait for their own). The order that
 * makes a crash safe holds for every member: its row is written only once
 * its file's bytes are on disk (a file without a row is dropped at the
 * next start, and its request, still in the catalog, recalls it again).
 * The drive never waits for the disk's flushes unless far ahead of them
 * (DURABLE_BACKLOG members): past DURABLE_FDS members waiting, a member's
 * descriptor is closed when it is handed over and its file is opened
 * again by name to be flushed (its dirty pages stay in the page cache
 * either way; a write-back error not seen yet is reported to the next
 * fdatasync of any descriptor of the file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/recall_int.h"
#include "fs/engine/tapefs.h"

#define DURABLE_THREADS 4   /* fdatasyncs at once */
#define DURABLE_FDS	256 /* descriptors held for members waiting */
#define DURABLE_BACKLOG                                                        \
	16384 /* members handed and not durable (a few hundred bytes each):    \
		 a job handing more waits */

struct rdurable_one {
	int64_t id;
	unsigned gen; /* the entry's attempt: a row only if still so */
	int fd;	      /* -1: closed, opened again by name to be flushed */
	int ok;	      /* its fdatasync succeeded */
	int gone;     /* its file was no longer there to flush (evicted or
			 released meanwhile): no row, nothing to report */
	int64_t row;  /* the `.recall` request it served, 0 */
	struct catalog_cache_entry ce;
	struct rdurable_one *next;
};

struct rdurable {
	pthread_mutex_t mu;  /* a leaf: never held while taking recall.lock */
	pthread_cond_t work; /* something to sync, or stop */
	pthread_cond_t room; /* members became durable (or failed) */
	struct rdurable_one *todo, **todo_tail; /* to fdatasync, oldest first */
	struct rdurable_one *synced;		/* flushed, rows to write */
	size_t pending; /* handed, rows not written yet (read atomically) */
	size_t nfds;	/* descriptors held in todo */
	size_t fds_max; /* at most (DURABLE_FDS) */
	int committing; /* a syncer writes rows now */
	int stop;
	int nthreads;
	pthread_t th[DURABLE_THREADS];
};

/* Which members of list are still cached as they were read (one evicted
 * or released since has no row), into rows; every request goes into done.
 * Lock held. */
static void durable_pick(struct recall *r, const struct rdurable_one *list,
			 struct catalog_cache_entry *rows, size_t *nrows,
			 int64_t *done, size_t *ndone)
{
	for (const struct rdurable_one *p = list; p; p = p->next) {
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

/* The rows of n members whose fdatasync returned (list), in one catalog
 * transaction; a file the disk did not take is dropped from the cache.
 * Neither lock held. */
static void durable_commit(struct recall *r, struct rdurable_one *list,
			   size_t n)
{
	struct catalog_cache_entry *rows = calloc(n, sizeof(*rows));
	int64_t *done = calloc(n, sizeof(*done));
	size_t nrows = 0, ndone = 0;

	pthread_mutex_lock(&r->lock);
	if (rows && done)
		durable_pick(r, list, rows, &nrows, done, &ndone);
	pthread_mutex_unlock(&r->lock);
	if (rows && done &&
	    catalog_cache_put_many(r->fs->cat, rows, nrows, done, ndone))
		durable_rows_lost(r, done, ndone);
	for (const struct rdurable_one *p = list; p; p = p->next) {
		if (p->ok || p->gone)
			continue;
		/* its bytes may not be what the disk keeps: read it again
		 * next time (a file being read again is left alone) */
		recall_drop(r, p->id);
		tapefs_error(r->fs,
			     "recall cache: '%s' cannot be written to disk",
			     p->ce.file);
	}
	free(rows);
	free(done);
}

/* Flush member p's file: by its descriptor, or (closed when handed)
 * opened again by name. Neither lock held. */
static void durable_flush(struct recall *r, struct rdurable_one *p)
{
	int fd = p->fd;

	if (fd < 0)
		fd = openat(r->dirfd, p->ce.file,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		p->gone = errno == ENOENT;
		return;
	}
	p->ok = fdatasync(fd) == 0;
	close(fd);
}

/* Flush the oldest member to do. d->mu held (released meanwhile). */
static void durable_sync_one(struct recall *r, struct rdurable *d)
{
	struct rdurable_one *p = d->todo;

	d->todo = p->next;
	if (!d->todo)
		d->todo_tail = &d->todo;
	if (p->fd >= 0)
		d->nfds--;
	pthread_mutex_unlock(&d->mu);
	durable_flush(r, p);
	pthread_mutex_lock(&d->mu);
	p->next = d->synced;
	d->synced = p;
}

/* Write the rows of every member flushed so far. d->mu held (released
 * meanwhile). */
static void durable_commit_synced(struct recall *r, struct rdurable *d)
{
	struct rdurable_one *list = d->synced, *p;
	size_t n = 0;

	d->synced = NULL;
	d->committing = 1;
	pthread_mutex_unlock(&d->mu);
	for (p = list; p; p = p->next)
		n++;
	durable_commit(r, list, n);
	while (list) {
		p = list->next;
		free(list);
		list = p;
	}
	pthread_mutex_lock(&d->mu);
	d->committing = 0;
	__atomic_store_n(&d->pending, d->pending - n, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&d->room);
	pthread_cond_broadcast(&d->work);
}

/* A syncer: flushes members as they come; whoever finds nothing left to
 * flush writes the rows of those flushed (one writer at a time: rows
 * flushed meanwhile go into the next transaction). */
static void *durable_main(void *arg)
{
	struct recall *r = arg;
	struct rdurable *d = r->durable;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		if (d->synced && !d->committing && !d->todo)
			durable_commit_synced(r, d);
		else if (d->todo)
			durable_sync_one(r, d);
		else if (d->stop && !d->synced)
			break;
		else
			pthread_cond_wait(&d->work, &d->mu);
	}
	pthread_cond_broadcast(&d->work);
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int recall_durable_start(struct recall *r)
{
	struct rdurable *d = calloc(1, sizeof(*d));
	int ret = 0;

	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->work, NULL);
	pthread_cond_init(&d->room, NULL);
	d->todo_tail = &d->todo;
	d->fds_max = DURABLE_FDS;
	r->durable = d;
	for (int i = 0; i < DURABLE_THREADS && !ret; i++) {
		ret = -pthread_create(&d->th[i], NULL, durable_main, r);
		if (!ret)
			d->nthreads++;
	}
	if (ret)
		recall_durable_stop(r);
	return ret;
}

void recall_durable_stop(struct recall *r)
{
	struct rdurable *d = r->durable;

	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = 1;
	pthread_cond_broadcast(&d->work);
	pthread_cond_broadcast(&d->room);
	pthread_mutex_unlock(&d->mu);
	for (int i = 0; i < d->nthreads; i++)
		pthread_join(d->th[i], NULL);
	/* nothing is left unless no syncer ever ran: done here */
	pthread_mutex_lock(&d->mu);
	while (d->todo)
		durable_sync_one(r, d);
	if (d->synced)
		durable_commit_synced(r, d);
	pthread_mutex_unlock(&d->mu);
	pthread_cond_destroy(&d->room);
	pthread_cond_destroy(&d->work);
	pthread_mutex_destroy(&d->mu);
	free(d);
	r->durable = NULL;
}

int recall_durable_add(struct recall *r, int64_t id, unsigned gen, int fd,
		       int64_t row, const struct catalog_cache_entry *ce)
{
	struct rdurable *d = r->durable;
	struct rdurable_one *p = calloc(1, sizeof(*p));

	if (!p || !d || !d->nthreads) {
		free(p);
		return -ENOMEM;
	}
	p->id = id;
	p->gen = gen;
	p->fd = fd;
	p->row = row;
	p->ce = *ce;
	p->ce.map = NULL;
	p->ce.map_len = 0;
	pthread_mutex_lock(&d->mu);
	while (d->pending >= DURABLE_BACKLOG && !d->stop)
		pthread_cond_wait(&d->room, &d->mu);
	if (d->nfds >= d->fds_max) {
		close(fd); /* flushed by name: the open-files limit */
		p->fd = -1;
	} else {
		d->nfds++;
	}
	*d->todo_tail = p;
	d->todo_tail = &p->next;
	__atomic_store_n(&d->pending, d->pending + 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

void recall_durable_set_fds(struct recall *r, size_t n)
{
	struct rdurable *d = r->durable;

	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->fds_max = n;
	pthread_mutex_unlock(&d->mu);
}

size_t recall_durable_pending(const struct recall *r)
{
	const struct rdurable *d = r->durable;

	return d ? __atomic_load_n(&d->pending, __ATOMIC_RELAXED) : 0;
}

void recall_durable_wait(struct recall *r)
{
	struct rdurable *d = r->durable;

	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	while (d->pending)
		pthread_cond_wait(&d->room, &d->mu);
	pthread_mutex_unlock(&d->mu);
}
