/* fs/engine/recall_start.c - the recall engine's start and stop: the cache
 * directory opened and made to agree with the catalog, the entries of what
 * is cached, and at stop every waiting read failed and the engine freed
 * once the last scheduler job referring to it has ended.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/recall_int.h"
#include "fs/engine/tapefs.h"

/* The requests a restart (or a crash) left in the catalog. */
struct resume {
	struct catalog_recall_req *reqs;
	char **paths;
	size_t n, cap;
};

static int resume_one(void *ctx, const struct catalog_recall_req *req)
{
	struct resume *rs = ctx;

	if (rs->n == rs->cap) {
		size_t nc = rs->cap ? rs->cap * 2 : 64;
		struct catalog_recall_req *nr =
		    realloc(rs->reqs, nc * sizeof(*nr));
		char **np = nr ? realloc(rs->paths, nc * sizeof(*np)) : NULL;

		if (nr)
			rs->reqs = nr;
		if (!np)
			return -ENOMEM;
		rs->paths = np;
		rs->cap = nc;
	}
	rs->paths[rs->n] = req->path ? strdup(req->path) : NULL;
	if (req->path && !rs->paths[rs->n])
		return -ENOMEM;
	rs->reqs[rs->n] = *req;
	rs->reqs[rs->n].path = rs->paths[rs->n];
	rs->n++;
	return 0;
}

/* Queue request q kept in the catalog: a member, or a directory still
 * to walk. */
static void resume_queue(struct recall *r, const struct catalog_recall_req *q)
{
	const char *prefer = q->prefer[0] ? q->prefer : NULL;

	if (q->member)
		recall_request_row(r, q->member, prefer, q->priority, q->id);
	else
		recall_batch_add_row(r, q->archive, q->path, prefer,
				     q->priority, q->id);
}

static int resume_got(void *ctx, const struct catalog_recall_req *q)
{
	resume_queue(ctx, q);
	return 0;
}

int recall_resume(struct tapefs *fs, int64_t row)
{
	struct recall *r = fs->recall;

	if (!r)
		return -ESHUTDOWN;
	return catalog_recall_get(fs->cat, row, resume_got, r);
}

/* Queue again what `.recall` asked before the last unmount or crash:
 * members, and directories still to walk. On a catalog shared by hosts,
 * only the requests no live host holds, each taken first (one another
 * host takes meanwhile is its). */
static void resume_requests(struct recall *r)
{
	struct resume rs = {0};
	int ret = catalog_recall_list(r->fs->cat, resume_one, &rs);

	if (ret)
		tapefs_error(r->fs,
			     "recall: the queue kept in the catalog "
			     "could not be read: %s",
			     strerror(-ret));
	for (size_t i = 0; i < rs.n; i++) {
		const struct catalog_recall_req *q = &rs.reqs[i];
		int t = catalog_lease_take(r->fs->cat, CATALOG_WORK_RECALL,
					   q->id, NULL);

		if (t == 0 || t == -EINVAL) /* -EINVAL: one host, no lease */
			resume_queue(r, q);
		free(rs.paths[i]);
	}
	free(rs.reqs);
	free(rs.paths);
}

int recall_start(struct tapefs *fs)
{
	struct recall *r = calloc(1, sizeof(*r));
	struct evicted ev = {0};
	int ret = -ENOMEM;

	if (!r)
		return -ENOMEM;
	r->fs = fs;
	r->dirfd = -1;
	r->refs = 1;
	r->limit = fs->cfg.cache_size ? fs->cfg.cache_size : UINT64_MAX;
	r->per_tape = fs->cfg.recall_per_tape;
	r->nbuckets = 4096;
	r->hash = calloc(r->nbuckets, sizeof(*r->hash));
	if (!r->hash)
		goto out_free;
	if (!fs->cat || !fs->sched || !fs->cfg.cache) {
		ret = -EINVAL;
		tapefs_log(fs, LOG_ERR,
			   "recall: no catalog, scheduler or cache directory");
		goto out_free;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->index_lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	pthread_cond_init(&r->wake_cond, NULL);
	pthread_cond_init(&r->batch_cond, NULL);
	ret = recall_cache_open(fs->cfg.cache, fs->cat, &r->dirfd,
				recall_found_cached, r);
	if (ret) {
		tapefs_log(fs, LOG_ERR, "recall: cache '%s': %s", fs->cfg.cache,
			   strerror(-ret));
		goto out_destroy;
	}
	pthread_mutex_lock(&r->lock);
	recall_cache_make_room(r, 0, &ev); /* the limit may have shrunk since */
	pthread_mutex_unlock(&r->lock);
	recall_evicted_commit(r, &ev);
	ret = recall_replier_start(r);
	if (!ret)
		ret = recall_durable_start(r);
	if (!ret)
		ret = recall_ahead_start(r);
	if (!ret)
		ret = recall_batcher_start(r);
	if (!ret)
		ret = recall_hosts_start(r);
	if (ret) {
		fprintf(stderr, "tapefs: recall: threads: %s\n",
			strerror(-ret));
		__atomic_store_n(&r->stopping, 1, __ATOMIC_RELAXED);
		recall_batcher_stop(r);
		recall_ahead_stop(r);
		recall_durable_stop(r);
		recall_replier_stop(r);
		close(r->dirfd);
		goto out_destroy;
	}
	fs->recall = r;
	resume_requests(r);
	return 0;
out_destroy:
	pthread_cond_destroy(&r->batch_cond);
	pthread_cond_destroy(&r->wake_cond);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->index_lock);
	pthread_mutex_destroy(&r->lock);
out_free:
	free(r->hash);
	free(r);
	return ret;
}

void recall_free(struct recall *r)
{
	for (size_t i = 0; i < r->nbuckets; i++) {
		struct rentry *e = r->hash[i], *n;

		for (; e; e = n) {
			n = e->hnext;
			free(e->copies);
			free(e->path);
			free(e->failed);
			free(e->digests);
			free(e->map);
			free(e);
		}
	}
	while (r->tapes) {
		struct rtape *t = r->tapes;

		r->tapes = t->next;
		free(t->q);
		free(t);
	}
	free(r->hash);
	free(r->rows_done);
	free(r->handed);
	pthread_cond_destroy(&r->batch_cond);
	pthread_cond_destroy(&r->wake_cond);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->index_lock);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void recall_stop(struct tapefs *fs)
{
	struct recall *r = fs ? fs->recall : NULL;
	int last;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	__atomic_store_n(&r->stopping, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	recall_hosts_stop(r);
	recall_batcher_stop(r);
	/* Parked reads are answered (-ESHUTDOWN, or their bytes when they
	 * are in the cache) by the replier; nobody can arm them any more. */
	pthread_mutex_lock(&r->lock);
	for (struct rwait *w = r->waiters; w; w = w->next)
		w->armed = 1;
	recall_wake(r);
	while (r->nwaiters)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	recall_replier_stop(r);
	pthread_mutex_lock(&r->lock);
	/* Jobs inside their loop stop after the member they read (its read
	 * ends with -ECANCELED as soon as the scheduler stops, or whole);
	 * jobs still queued in the scheduler end later without touching
	 * anything but this struct, which the last of them frees. */
	while (r->running)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	recall_durable_stop(r); /* what the jobs read reaches the disk */
	recall_ahead_stop(r);
	pthread_mutex_lock(&r->lock);
	for (struct rtape *t = r->tapes; t; t = t->next)
		t->n = 0;
	if (r->dirfd >= 0)
		close(r->dirfd);
	r->dirfd = -1;
	fs->recall = NULL;
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->lock);
	if (last)
		recall_free(r);
}
