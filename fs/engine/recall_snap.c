/* fs/engine/recall_snap.c - what the recall engine shows: its figures and
 * a copy of its queues, taken under the engine's lock at one instant, for
 * the namespace to render (fs/ns/ns_recall.c) after the lock is released.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/engine/recall_int.h"

void recall_stats(struct recall *r, struct recall_stats *out)
{
	pthread_mutex_lock(&r->lock);
	out->queued = r->queued + r->nbatch;
	out->waiting = r->nwaiters;
	out->used = r->used;
	out->limit = r->limit;
	pthread_mutex_unlock(&r->lock);
}

static char *path_dup(const struct rentry *e)
{
	return strdup(e->path ? e->path : "?");
}

/* The queue of t: its members with the block of the copy they wait for. */
static int snap_tape(const struct rtape *t, struct recall_snap_tape *out)
{
	snprintf(out->barcode, sizeof(out->barcode), "%s", t->barcode);
	out->served = t->job;
	out->rate = t->rate;
	out->m = calloc(t->n, sizeof(*out->m));
	if (!out->m)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		const struct rentry *e = t->q[i];

		out->m[out->n].block = e->copies[e->next].block;
		out->m[out->n].priority = e->prio;
		out->m[out->n].present = e->present;
		out->m[out->n].size = e->size;
		out->m[out->n].path = path_dup(e);
		if (!out->m[out->n++].path)
			return -ENOMEM;
	}
	return 0;
}

static int snap_tapes(struct recall *r, struct recall_snap *out)
{
	size_t n = 0;
	int ret;

	for (const struct rtape *t = r->tapes; t; t = t->next)
		n += t->n != 0;
	out->tapes = calloc(n ? n : 1, sizeof(*out->tapes));
	if (!out->tapes)
		return -ENOMEM;
	for (const struct rtape *t = r->tapes; t; t = t->next) {
		if (!t->n)
			continue;
		ret = snap_tape(t, &out->tapes[out->ntapes++]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Seconds to read bytes more on barcode, at the rate its reads ran so
 * far; -1 when unknown. */
static int64_t tape_eta(struct recall *r, const char *barcode, uint64_t bytes)
{
	for (const struct rtape *t = r->tapes; t; t = t->next)
		if (!strcmp(t->barcode, barcode) && t->rate > 0)
			return (int64_t)((double)bytes / t->rate + 0.5);
	return -1;
}

/* The members being read from a drive now. */
static int snap_reading(struct recall *r, struct recall_snap *out)
{
	size_t cap = 0;

	for (size_t i = 0; i < r->nbuckets; i++) {
		for (struct rentry *e = r->hash[i]; e; e = e->hnext) {
			struct recall_snap_read *rd;

			if (e->st != E_READING)
				continue;
			if (out->nreading == cap) {
				size_t nc = cap ? cap * 2 : 4;

				rd = realloc(out->reading, nc * sizeof(*rd));
				if (!rd)
					return -ENOMEM;
				out->reading = rd;
				cap = nc;
			}
			rd = &out->reading[out->nreading];
			memset(rd, 0, sizeof(*rd));
			snprintf(rd->barcode, sizeof(rd->barcode), "%s",
				 e->copies[e->next].barcode);
			rd->present = e->present;
			rd->size = e->size;
			rd->eta =
			    tape_eta(r, rd->barcode, e->size - e->present);
			rd->path = path_dup(e);
			if (!rd->path)
				return -ENOMEM;
			out->nreading++;
		}
	}
	return 0;
}

/* The last results, oldest first. */
static int snap_recent(struct recall *r, struct recall_snap *out)
{
	unsigned first = r->nresults > RECALL_RESULTS_MAX
			     ? r->nresults - RECALL_RESULTS_MAX
			     : 0;

	out->recent = calloc(RECALL_RESULTS_MAX, sizeof(*out->recent));
	if (!out->recent)
		return -ENOMEM;
	for (unsigned i = first; i < r->nresults; i++)
		out->recent[out->nrecent++] =
		    r->results[i % RECALL_RESULTS_MAX];
	return 0;
}

static int cmp_block(const void *a, const void *b)
{
	const struct recall_snap_member *x = a, *y = b;

	return x->block < y->block ? -1 : x->block > y->block;
}

/* The ETA of each member of t's queue: what is being read on its tape,
 * then the members before it in block order (the order a sweep takes),
 * at the tape's rate. Locates are not counted: an estimate. */
static void queue_etas(const struct recall_snap *s, struct recall_snap_tape *t)
{
	uint64_t bytes = 0;

	for (size_t i = 0; i < s->nreading; i++)
		if (!strcmp(s->reading[i].barcode, t->barcode))
			bytes += s->reading[i].size - s->reading[i].present;
	for (size_t i = 0; i < t->n; i++) {
		bytes += t->m[i].size - t->m[i].present;
		t->m[i].eta =
		    t->rate > 0 ? (int64_t)((double)bytes / t->rate + 0.5) : -1;
	}
}

int recall_snapshot(struct recall *r, struct recall_snap *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&r->lock);
	out->queued = r->queued + r->nbatch;
	out->resolving = r->nbatch;
	out->syncing = recall_durable_pending(r);
	out->handed = r->nhanded;
	ret = snap_tapes(r, out);
	if (!ret)
		ret = snap_reading(r, out);
	if (!ret)
		ret = snap_recent(r, out);
	pthread_mutex_unlock(&r->lock);
	if (ret) {
		recall_snap_release(out);
		return ret;
	}
	for (size_t i = 0; i < out->ntapes; i++) {
		qsort(out->tapes[i].m, out->tapes[i].n,
		      sizeof(*out->tapes[i].m), cmp_block);
		queue_etas(out, &out->tapes[i]);
	}
	return 0;
}

void recall_snap_release(struct recall_snap *s)
{
	for (size_t i = 0; i < s->ntapes; i++) {
		for (size_t j = 0; j < s->tapes[i].n; j++)
			free(s->tapes[i].m[j].path);
		free(s->tapes[i].m);
	}
	free(s->tapes);
	for (size_t i = 0; i < s->nreading; i++)
		free(s->reading[i].path);
	free(s->reading);
	free(s->recent);
	memset(s, 0, sizeof(*s));
}
