/* fs/engine/recall.c - the recall engine: members requested by readers and by
 * `.recall` are queued per tape, read from tape in position order by one
 * scheduler job per tape, streamed into cache files while readers wait,
 * checked against the catalog's MD5 and kept in a size-limited LRU cache.
 * fs/engine/recall.h documents the contract, docs/recall.md the design,
 * fs/engine/recall_int.h which file holds what. This file: the members the
 * engine knows and the cache's room, the queue of each tape, and the
 * reader-facing API.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/engine/recall_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/sched.h"

#define TOUCH_EVERY 60 /* seconds between catalog LRU updates */

/* ---- entries ------------------------------------------------------------ */

static size_t bucket(const struct recall *r, int64_t id)
{
	return (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ull >> 20) %
	       r->nbuckets;
}

/* Caller holds lock or index_lock. */
static struct rentry *entry_find(struct recall *r, int64_t id)
{
	struct rentry *e = r->hash[bucket(r, id)];

	while (e && e->id != id)
		e = e->hnext;
	return e;
}

struct rentry *recall_entry_find(struct recall *r, int64_t id)
{
	return entry_find(r, id);
}

/* Caller holds lock and index_lock. */
static void hash_grow(struct recall *r)
{
	size_t nb = r->nbuckets * 2;
	struct rentry **h = calloc(nb, sizeof(*h)), **old = r->hash;
	size_t ob = r->nbuckets;

	if (!h)
		return; /* longer chains, still correct */
	r->hash = h;
	r->nbuckets = nb;
	for (size_t i = 0; i < ob; i++) {
		struct rentry *e = old[i], *n;

		for (; e; e = n) {
			size_t b = bucket(r, e->id);

			n = e->hnext;
			e->hnext = h[b];
			h[b] = e;
		}
	}
	free(old);
}

static struct rentry *entry_add(struct recall *r, int64_t id, uint64_t size)
{
	struct rentry *e = calloc(1, sizeof(*e));
	size_t b;

	if (!e)
		return NULL;
	e->id = id;
	e->size = size;
	e->gen = 1;
	pthread_mutex_lock(&r->index_lock);
	if (r->nentries >= r->nbuckets * 2)
		hash_grow(r);
	b = bucket(r, id);
	e->hnext = r->hash[b];
	r->hash[b] = e;
	r->nentries++;
	pthread_mutex_unlock(&r->index_lock);
	return e;
}

static void lru_remove(struct recall *r, struct rentry *e)
{
	if (!e->on_lru)
		return;
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		r->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		r->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
	e->on_lru = 0;
}

void recall_lru_append(struct recall *r, struct rentry *e)
{
	lru_remove(r, e);
	e->lru_prev = r->lru_tail;
	if (r->lru_tail)
		r->lru_tail->lru_next = e;
	else
		r->lru_head = e;
	r->lru_tail = e;
	e->on_lru = 1;
}

/* Free e when nothing needs it any more: idle (offline) and closed. */
static void entry_maybe_free(struct recall *r, struct rentry *e)
{
	struct rentry **pp;

	if (e->st != E_IDLE || e->opens || e->nwait || e->present)
		return;
	lru_remove(r, e);
	pthread_mutex_lock(&r->index_lock);
	for (pp = &r->hash[bucket(r, e->id)]; *pp != e; pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	r->nentries--;
	pthread_mutex_unlock(&r->index_lock);
	free(e->copies);
	free(e->path);
	free(e->failed);
	free(e->digests);
	free(e->map);
	free(e);
}

struct recall_result *
recall_result_next(struct recall *r, enum recall_outcome what, const char *path)
{
	struct recall_result *res =
	    &r->results[r->nresults++ % RECALL_RESULTS_MAX];

	memset(res, 0, sizeof(*res));
	res->when = now_s();
	res->what = what;
	snprintf(res->path, sizeof(res->path), "%s", path ? path : "?");
	return res;
}

/* The entry of a member found in the cache at start-up: whole, or the
 * chunks of map (its digests are loaded with its path, at first use). */
void recall_found_cached(void *arg, int64_t id, uint64_t size, uint64_t present,
			 const unsigned char *map, size_t map_len,
			 int64_t last_access)
{
	struct recall *r = arg;
	struct rentry *e = entry_find(r, id);

	if (e || !(e = entry_add(r, id, size)))
		return;
	if (map && present < size) {
		e->map = malloc(map_len);
		if (!e->map) {
			entry_maybe_free(r, e);
			return;
		}
		memcpy(e->map, map, map_len);
		e->map_len = map_len;
	} else {
		present = size;
		entry_state_set(e, E_CACHED);
	}
	entry_present_set(r, e, present);
	e->last_access = e->touched = last_access;
	r->used += present;
	recall_lru_append(r, e);
}

/* ---- the cache: room, eviction ---------------------------------------- */

/* Drop cached member e (closed, on the LRU list): its file now, its row
 * by evicted_commit(). */
static void cache_evict(struct recall *r, struct rentry *e, struct evicted *ev)
{
	char name[64];

	recall_cache_name(e->id, 0, name, sizeof(name));
	unlinkat(r->dirfd, name, 0);
	if (ev->n == ev->cap) {
		size_t nc = ev->cap ? ev->cap * 2 : 16;
		int64_t *n = realloc(ev->ids, nc * sizeof(*n));

		if (n) {
			ev->ids = n;
			ev->cap = nc;
		}
	}
	if (ev->n < ev->cap)
		ev->ids[ev->n++] = e->id; /* else: dropped at the next start */
	r->used -= e->present;
	entry_state_set(e, E_IDLE);
	entry_present_set(r, e, 0);
	free(e->map);
	e->map = NULL;
	e->gen++; /* open handles' descriptors are of the old file */
	entry_maybe_free(r, e);
}

/* Make room for need more bytes, evicting least recently used closed
 * files. A file being recalled or open is never evicted; when those alone
 * exceed the limit the cache goes over it until they are closed. */
void recall_cache_make_room(struct recall *r, uint64_t need, struct evicted *ev)
{
	while (r->lru_head && r->used + need > r->limit)
		cache_evict(r, r->lru_head, ev);
}

/* The catalog side of evictions; called without the lock. */
void recall_evicted_commit(struct recall *r, struct evicted *ev)
{
	for (size_t i = 0; i < ev->n; i++)
		catalog_cache_remove(r->fs->cat, ev->ids[i]);
	free(ev->ids);
	memset(ev, 0, sizeof(*ev));
}

/* ---- queues ------------------------------------------------------------- */

static struct rtape *tape_get(struct recall *r, const char *barcode)
{
	struct rtape *t;
	size_t len;

	for (t = r->tapes; t; t = t->next)
		if (!strcmp(t->barcode, barcode))
			return t;
	len = strlen(barcode);
	if (len >= sizeof(t->barcode))
		return NULL; /* longer than any volume tag */
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	memcpy(t->barcode, barcode, len + 1);
	t->next = r->tapes;
	r->tapes = t;
	return t;
}

/* Does t's queue hold a request with a priority? Lock held. */
static int tape_urgent(const struct rtape *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->q[i]->prio > 0)
			return 1;
	return 0;
}

/* Submit a job for t unless one is serving it. Called with the lock held,
 * also from FUSE request threads: sched_submit() only queues (it never
 * waits for the robot, even for a tape the scheduler has not seen, and
 * never calls back synchronously). */
int recall_tape_kick(struct recall *r, struct rtape *t)
{
	struct rjob *j;
	int ret;

	if (t->job)
		return 0;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->r = r;
	j->t = t;
	j->job.prio = tape_urgent(t) ? SCHED_PRIO_URGENT : SCHED_PRIO_RECALL;
	j->job.mode = TAPE_RDONLY;
	j->job.ntapes = 1;
	snprintf(j->job.barcode[0], sizeof(j->job.barcode[0]), "%s",
		 t->barcode);
	j->job.run = recall_job_run;
	j->job.done = recall_job_done;
	j->job.arg = j;
	snprintf(j->job.desc, sizeof(j->job.desc), "recall %s", t->barcode);
	ret = sched_submit(r->fs->sched, &j->job);
	if (ret) {
		free(j);
		return ret;
	}
	t->job = 1;
	t->rj = j;
	r->refs++;
	return 0;
}

/* A request of e now has priority prio: its tape's job, still waiting for
 * a drive, goes before the other tapes' (sched_set_prio() never waits).
 * Lock held. */
static void entry_prio_raise(struct recall *r, struct rentry *e, int prio)
{
	struct rtape *t;

	if (prio <= e->prio)
		return;
	e->prio = prio;
	if (e->st != E_QUEUED)
		return;
	for (t = r->tapes; t; t = t->next)
		if (!strcmp(t->barcode, e->copies[e->next].barcode))
			break;
	if (t && t->job && t->rj && t->rj->job.prio < SCHED_PRIO_URGENT &&
	    !sched_set_prio(r->fs->sched, &t->rj->job, SCHED_PRIO_URGENT))
		t->rj->job.prio = SCHED_PRIO_URGENT;
}

/* e (placed) joined t's queue: do the requests keep coming in tape order?
 * Lock held. */
static void tape_note_order(struct rtape *t, const struct rentry *e)
{
	if (t->n == 1)
		t->in_order = 1;
	else if (t->in_order &&
		 (e->qblock > t->last_qblock ||
		  (e->qblock == t->last_qblock && e->qoff >= t->last_qoff)))
		t->in_order++;
	else
		t->in_order = 0;
	t->last_qblock = e->qblock;
	t->last_qoff = e->qoff;
}

/* Queue e on the tape of its next copy and make sure a job serves it. */
static void entry_enqueue(struct recall *r, struct rentry *e)
{
	struct rcopy *c = &e->copies[e->next];
	struct rtape *t = tape_get(r, c->barcode);
	int ret = -ENOMEM;

	if (!t)
		goto fail;
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct rentry **nq = realloc(t->q, nc * sizeof(*nq));

		if (!nq)
			goto fail;
		t->q = nq;
		t->cap = nc;
	}
	t->q[t->n++] = e;
	entry_state_set(e, E_QUEUED);
	recall_entry_place(e);
	tape_note_order(t, e);
	lru_remove(r, e); /* partly cached: not evicted while queued */
	clock_gettime(CLOCK_MONOTONIC, &t->last_add);
	ret = recall_tape_kick(r, t);
	if (ret) {
		t->n--;
		goto fail;
	}
	return;
fail:
	/* recall_fail_attempt() expects a request in flight */
	entry_state_set(e, E_QUEUED);
	recall_fail_attempt(r, e,
			    ret == -ENODEV	? "no drive in service"
			    : ret == -ECANCELED ? "scheduler stopping"
						: strerror(-ret));
}

/* e no longer recalled: partly cached (on the LRU list unless open), or
 * offline (freed when nothing else holds it). Lock held. */
static void entry_idle(struct recall *r, struct rentry *e)
{
	recall_progress(r);
	if (e->present && !e->opens)
		recall_lru_append(r, e);
	entry_maybe_free(r, e);
}

/* The attempt on copies[next] failed: try the next copy, or give up and
 * fail every reader with -EIO. Lock held. */
void recall_fail_attempt(struct recall *r, struct rentry *e, const char *why)
{
	struct recall_result *res;
	char *f = NULL;

	if (asprintf(&f, "%s%s%s: %s", e->failed ? e->failed : "",
		     e->failed ? "; " : "", e->copies[e->next].barcode,
		     why) >= 0) {
		free(e->failed);
		e->failed = f;
	}
	if (!e->ranged)
		entry_present_set(r, e, 0); /* a new .part file for the next */
	if (!r->stopping && ++e->next < e->ncopies) {
		if (!e->ranged)
			e->gen++;
		entry_enqueue(r, e);
		return;
	}
	entry_state_set(e, E_IDLE);
	e->err = -EIO;
	r->queued--;
	res = recall_result_next(r, RECALL_FAILED, e->path);
	snprintf(res->text, sizeof(res->text), "%s",
		 e->failed ? e->failed : "?");
	if (!r->stopping)
		tapefs_error(r->fs, "recall of '%s' failed on every copy: %s",
			     e->path ? e->path : "?",
			     e->failed ? e->failed : "?");
	if (r->stopping)
		e->row = 0; /* cut short by the stop: kept for the restart */
	else
		entry_row_done(r, e);
	entry_idle(r, e);
}

/* The cache cannot take e's bytes (err: ENOSPC, EIO of the cache's disk,
 * ...): every reader gets err now, and no other copy is read for it (the
 * tapes are not at fault). The chunks of e already cached go too, so that
 * a full cache is not kept full by the member it could not take (open
 * handles read them again, as after a release). Lock held. */
void recall_fail_local(struct recall *r, struct rentry *e, int err)
{
	struct recall_result *res;
	char name[64];

	if (e->ranged && e->present) {
		recall_cache_name(e->id, 0, name, sizeof(name));
		unlinkat(r->dirfd, name, 0);
		r->used -= e->present;
		free(e->map);
		e->map = NULL;
		e->gen++; /* open handles' descriptors are of the old file */
	}
	entry_present_set(r, e, 0);
	entry_state_set(e, E_IDLE);
	e->err = err;
	entry_row_done(r, e);
	r->queued--;
	res = recall_result_next(r, RECALL_FAILED, e->path);
	snprintf(res->text, sizeof(res->text), "the cache cannot take it: %s",
		 strerror(-err));
	if (!r->stopping)
		tapefs_error(r->fs,
			     "recall of '%s': the cache cannot take it: %s "
			     "(read from %s; no other copy tried)",
			     e->path ? e->path : "?", strerror(-err),
			     e->copies[e->next].barcode);
	entry_idle(r, e);
}

void recall_entry_requeue(struct recall *r, struct rentry *e)
{
	entry_enqueue(r, e);
}

/* Start a recall of e (idle). Lock held; reads the catalog. */
int recall_entry_recall(struct recall *r, struct rentry *e, const char *prefer)
{
	int ret;

	ret = recall_copies_load(r, e, prefer);
	if (ret)
		return ret;
	e->err = 0;
	free(e->failed);
	e->failed = NULL;
	if (!e->ranged)
		e->gen++; /* a new .part file */
	r->queued++;
	e->opens++; /* a failure to queue on every copy must not free e */
	entry_enqueue(r, e);
	e->opens--;
	return e->st == E_IDLE ? e->err : 0;
}

/* The entry of member id with its size, md5 and path from the catalog,
 * created when unknown. Lock held. */
static int entry_of(struct recall *r, int64_t id, struct rentry **out)
{
	struct catalog_member m = {0};
	struct rentry *e = entry_find(r, id);
	int ret;

	if (e && e->path) {
		*out = e;
		return 0;
	}
	ret = catalog_member_get(r->fs->cat, id, &m);
	if (ret)
		return ret;
	if (m.type != CATALOG_FILE) {
		ret = m.type == CATALOG_DIR ? -EISDIR : -EINVAL;
		goto out;
	}
	if (!e && !(e = entry_add(r, id, m.size))) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(e->md5, m.md5, sizeof(e->md5));
	ret = recall_chunks_load(r, e);
	if (ret)
		goto out;
	e->path = m.path;
	m.path = NULL;
	*out = e;
out:
	catalog_member_release(&m);
	return ret;
}

void recall_row_done(struct recall *r, int64_t row)
{
	if (r->nrows_done == r->rows_cap) {
		size_t nc = r->rows_cap ? r->rows_cap * 2 : 64;
		int64_t *n = realloc(r->rows_done, nc * sizeof(*n));

		if (!n)
			return; /* deleted at the next start (served then) */
		r->rows_done = n;
		r->rows_cap = nc;
	}
	r->rows_done[r->nrows_done++] = row;
	pthread_cond_signal(&r->batch_cond);
}

/* Take e off the queue of its tape. Lock held. */
static void tape_dequeue(struct recall *r, struct rentry *e)
{
	struct rtape *t;

	for (t = r->tapes; t; t = t->next)
		for (size_t i = 0; i < t->n; i++)
			if (t->q[i] == e) {
				memmove(&t->q[i], &t->q[i + 1],
					(t->n - i - 1) * sizeof(*t->q));
				t->n--;
				return;
			}
}

void recall_unwanted(struct recall *r, struct rentry *e)
{
	/* one handed to another host goes on: its bytes land in the cache */
	if (e->st != E_QUEUED || e->batch || e->nwait || e->opens || e->hrow)
		return;
	tape_dequeue(r, e);
	entry_state_set(e, E_IDLE);
	if (!e->ranged)
		entry_present_set(r, e, 0);
	r->queued--;
	entry_idle(r, e);
}

/* ---- the mount's side --------------------------------------------------- */

int recall_open(struct recall *r, int64_t member_id, int nonblock,
		const char *prefer, struct recall_handle **out)
{
	struct recall_handle *h = calloc(1, sizeof(*h));
	struct rentry *e = NULL;
	int ret;

	if (!h)
		return -ENOMEM;
	h->r = r;
	h->fd = -1;
	pthread_mutex_lock(&r->lock);
	ret = r->stopping ? -ESHUTDOWN : entry_of(r, member_id, &e);
	if (ret)
		goto out_unlock;
	if (e->st == E_IDLE && e->size > 0) {
		if (nonblock) {
			ret = -EAGAIN;
			goto out_idle;
		}
		/* one to read whole starts now; ranges when they are read
		 * (a failure before does not stay: they try again) */
		e->ranged = 0;
		e->err = 0;
		ret = e->nchunks ? 0 : recall_entry_recall(r, e, prefer);
		if (ret)
			goto out_idle;
	}
	snprintf(h->prefer, sizeof(h->prefer), "%s", prefer ? prefer : "");
	e->opens++;
	e->last_access = now_s();
	lru_remove(r, e);
	h->e = e;
	pthread_mutex_unlock(&r->lock);
	*out = h;
	return 0;
out_idle:
	entry_maybe_free(r, e);
out_unlock:
	pthread_mutex_unlock(&r->lock);
	free(h);
	return ret;
}

void recall_release(struct recall_handle *h)
{
	struct evicted ev = {0};
	struct recall *r;
	struct rentry *e;
	int64_t touch = 0, id;

	if (!h)
		return;
	r = h->r;
	e = h->e;
	id = e->id;
	pthread_mutex_lock(&r->lock);
	recall_handle_quiesce(r, h);
	if (h->fd >= 0)
		close(h->fd);
	e->last_access = now_s();
	if (!--e->opens &&
	    (e->st == E_CACHED || (e->st == E_IDLE && e->present))) {
		recall_lru_append(r, e);
		if (e->last_access - e->touched >= TOUCH_EVERY && !r->stopping)
			touch = e->touched = e->last_access;
		recall_cache_make_room(r, 0, &ev); /* may evict and free e */
	} else if (h->interrupted && e->st == E_QUEUED) {
		recall_unwanted(r, e); /* may free e */
	} else {
		entry_maybe_free(r, e);
	}
	pthread_mutex_unlock(&r->lock);
	if (touch)
		catalog_cache_touch(r->fs->cat, id, touch);
	recall_evicted_commit(r, &ev);
	free(h);
}

uint64_t recall_cached_bytes(struct recall *r, int64_t member_id)
{
	struct rentry *e;
	uint64_t n = 0;

	if (!r)
		return 0;
	pthread_mutex_lock(&r->index_lock);
	e = entry_find(r, member_id);
	if (e)
		n = __atomic_load_n(&e->present, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&r->index_lock);
	return n;
}

enum recall_state recall_state(struct recall *r, int64_t member_id)
{
	struct rentry *e;
	enum recall_state s = RECALL_OFFLINE;

	if (!r)
		return s;
	pthread_mutex_lock(&r->index_lock);
	e = entry_find(r, member_id);
	if (e) {
		enum est st = __atomic_load_n(&e->st, __ATOMIC_RELAXED);

		if (st == E_CACHED)
			s = RECALL_CACHED;
		else if (st == E_QUEUED || st == E_READING)
			s = RECALL_RECALLING;
		else if (__atomic_load_n(&e->present, __ATOMIC_RELAXED))
			s = RECALL_PARTIAL;
	}
	pthread_mutex_unlock(&r->index_lock);
	return s;
}

int recall_request_row(struct recall *r, int64_t member_id, const char *prefer,
		       int priority, int64_t row)
{
	struct rentry *e = NULL;
	int ret;

	pthread_mutex_lock(&r->lock);
	ret = r->stopping ? -ESHUTDOWN : entry_of(r, member_id, &e);
	if (!ret && row && e->hrow == row) {
		/* the request this host handed over came back to it */
		ret = recall_hosts_back(r, e, row);
		pthread_mutex_unlock(&r->lock);
		return ret;
	}
	if (!ret && e->st == E_IDLE && e->size > 0) {
		e->prio = priority;
		recall_range_whole(e);
		ret = recall_entry_recall(r, e, prefer);
		if (ret)
			entry_maybe_free(r, e);
	}
	if (!ret && (e->st == E_QUEUED || e->st == E_READING)) {
		e->batch = 1;
		entry_prio_raise(r, e, priority);
		if (!e->row) {
			e->row = row;
			row = 0;
		}
	}
	if (row && ret != -ESHUTDOWN)
		recall_row_done(r, row); /* cached, failed, or asked twice */
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int recall_request(struct recall *r, int64_t member_id, const char *prefer,
		   int priority)
{
	return recall_request_row(r, member_id, prefer, priority, 0);
}

int recall_cancel(struct recall *r, int64_t member_id)
{
	struct rentry *e;
	int ret = -ENOENT;

	pthread_mutex_lock(&r->lock);
	e = entry_find(r, member_id);
	if (e && e->batch) {
		entry_row_done(r, e);
		ret = e->st == E_QUEUED ? 0 : -EBUSY;
		recall_unwanted(r, e); /* may free e */
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int recall_drop(struct recall *r, int64_t member_id)
{
	struct rentry *e;
	char name[64];
	int ret = 0, dropped = 0;

	pthread_mutex_lock(&r->lock);
	e = entry_find(r, member_id);
	if (e && (e->st == E_QUEUED || e->st == E_READING)) {
		ret = -EBUSY;
	} else if (e && e->present) {
		recall_cache_name(e->id, 0, name, sizeof(name));
		unlinkat(r->dirfd, name, 0);
		r->used -= e->present;
		lru_remove(r, e);
		entry_state_set(e, E_IDLE);
		entry_present_set(r, e, 0);
		free(e->map);
		e->map = NULL;
		e->err = 0;
		e->gen++; /* open handles' descriptors are of the old file */
		dropped = 1;
		entry_maybe_free(r, e);
	}
	pthread_mutex_unlock(&r->lock);
	if (dropped)
		catalog_cache_remove(r->fs->cat, member_id);
	return ret;
}

void recall_note(struct recall *r, const char *fmt, ...)
{
	struct recall_result *res;
	va_list ap;

	pthread_mutex_lock(&r->lock);
	res = recall_result_next(r, RECALL_NOTE, NULL);
	va_start(ap, fmt);
	vsnprintf(res->text, sizeof(res->text), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&r->lock);
}
