/* fs/engine/recall_hosts.c - recalls across the hosts sharing one catalog
 * (docs/multi-host.md, "Recalls across hosts"). Only on a host that
 * joined (fs->host): one thread, every RECALL_HOSTS_POLL_MS,
 *
 * 1. hands over: a tape with a queue here that sits in another host's
 *    drive (sched_tape_away(): a job for it would wait for that host to
 *    put it back) has its queued members taken off the queue, and a free
 *    request row is written for each (catalog_recall_hand());
 * 2. watches what it handed: a row gone means a host served it, and the
 *    member's cache entry (the cache directory is shared) makes it
 *    cached here: its readers are answered from the file that host
 *    wrote. A row gone without a whole cache entry (that host failed,
 *    or the cache lost it since) and a row no host took within the
 *    lease time (the tape's host cannot, or died) are taken back: served
 *    here, the copies in other hosts' drives tried last;
 * 3. serves the others: a free request whose tape is in one of our
 *    drives is taken (catalog_lease_take(): one host gets it) and
 *    queued here as a `.recall` request kept in the catalog; its row is
 *    deleted when its member's cache entry is written (the syncers do
 *    both in one transaction).
 *
 * A host that dies while serving a request stops renewing its lease; the
 * host that asked (or any other) takes the row over (host.c: its beat's
 * sweep, recall_resume()), and the asking host, finding its own handed
 * row come back, serves it here (recall_hosts_back()).
 *
 * Nothing here runs on a request thread: the thread writes and reads the
 * catalog without the engine's lock, and takes the lock only to move
 * entries (the lock order of recall_int.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/host.h"
#include "fs/engine/recall_int.h"
#include "fs/engine/tapefs.h"

#define RECALL_HOSTS_POLL_MS 200
#define HAND_MAX	     256 /* members handed or watched per round */
#define GONE_GRACE_MS	     1000 /* a row served, its cache entry not seen yet */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int handed_add(struct recall *r, struct rentry *e)
{
	if (r->nhanded == r->handed_cap) {
		size_t nc = r->handed_cap ? r->handed_cap * 2 : 32;
		struct rentry **n = realloc(r->handed, nc * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->handed = n;
		r->handed_cap = nc;
	}
	r->handed[r->nhanded++] = e;
	return 0;
}

static void handed_remove(struct recall *r, struct rentry *e)
{
	for (size_t i = 0; i < r->nhanded; i++)
		if (r->handed[i] == e) {
			r->handed[i] = r->handed[--r->nhanded];
			return;
		}
}

/* The entry of member id still handed as row (-1: not written yet), or
 * NULL. Lock held. */
static struct rentry *handed_find(struct recall *r, int64_t id, int64_t row)
{
	struct rentry *e = recall_entry_find(r, id);

	return e && e->hrow && e->hrow == row ? e : NULL;
}

/* ---- 1. hand over ------------------------------------------------------- */

/* Queued members of tapes in other hosts' drives leave their queues,
 * to be handed. Lock held. */
static void hand_away_tapes(struct recall *r)
{
	for (struct rtape *t = r->tapes; t; t = t->next) {
		size_t k = 0;

		if (!t->n || !sched_tape_away(r->fs->sched, t->barcode))
			continue;
		for (size_t i = 0; i < t->n; i++) {
			struct rentry *e = t->q[i];

			if (e->local || e->st != E_QUEUED ||
			    handed_add(r, e) < 0) {
				t->q[k++] = e;
				continue;
			}
			e->hrow = -1;
			e->hsince = mono_ms();
		}
		t->n = k;
	}
}

struct pending {
	int64_t id, row;
	int64_t since; /* handed (monotonic ms) */
	int64_t gone;  /* its row was found gone, not cached (ms), 0 */
	int prio;
	char barcode[40];
	enum { P_WAIT, P_GONE, P_CACHED, P_BACK } what;
	int taken; /* row is ours now (P_BACK) */
};

/* Write the rows of the members handed and not written yet. */
static void hand_write(struct recall *r)
{
	struct pending *p = calloc(HAND_MAX, sizeof(*p));
	int64_t *orphans = calloc(HAND_MAX, sizeof(*orphans));
	size_t n = 0, no = 0;

	if (!p || !orphans)
		goto out;
	pthread_mutex_lock(&r->lock);
	hand_away_tapes(r);
	for (size_t i = 0; i < r->nhanded && n < HAND_MAX; i++) {
		struct rentry *e = r->handed[i];

		if (e->hrow != -1)
			continue;
		p[n].id = e->id;
		p[n].prio = e->prio;
		snprintf(p[n].barcode, sizeof(p[n].barcode), "%s",
			 e->copies[e->next].barcode);
		n++;
	}
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < n; i++) {
		struct catalog_recall_req q = {.member = p[i].id,
					       .priority = p[i].prio};

		snprintf(q.prefer, sizeof(q.prefer), "%s", p[i].barcode);
		if (catalog_recall_hand(r->fs->cat, &q, &p[i].row) < 0)
			p[i].row = 0; /* tried again next round */
	}
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < n; i++) {
		struct rentry *e = handed_find(r, p[i].id, -1);

		if (!p[i].row)
			continue;
		if (!e) { /* taken back meanwhile */
			orphans[no++] = p[i].row;
			continue;
		}
		e->hrow = p[i].row;
		e->hsince = mono_ms();
	}
	pthread_mutex_unlock(&r->lock);
	catalog_recall_remove(r->fs->cat, orphans, no);
out:
	free(p);
	free(orphans);
}

/* ---- 2. watch ----------------------------------------------------------- */

/* e, handed, is cached: another host wrote its file and its row. Lock
 * held. */
static void handed_cached(struct recall *r, struct rentry *e)
{
	struct recall_result *res;

	handed_remove(r, e);
	e->hrow = 0;
	e->hgone = 0;
	r->used += e->size - e->present;
	free(e->map);
	e->map = NULL;
	e->gen++; /* a new file: handles open it again */
	e->last_access = e->touched = now_s();
	entry_state_set(e, E_CACHED);
	entry_present_set(r, e, e->size);
	r->queued--;
	entry_row_done(r, e);
	if (!e->opens)
		recall_lru_append(r, e);
	res = recall_result_next(r, RECALL_DONE, e->path);
	snprintf(res->barcode, sizeof(res->barcode), "%s",
		 e->copies ? e->copies[e->next].barcode : "?");
	snprintf(res->text, sizeof(res->text), "served by another host");
	recall_progress(r);
}

int recall_hosts_back(struct recall *r, struct rentry *e, int64_t row)
{
	int ret;

	handed_remove(r, e);
	e->hrow = 0;
	e->hgone = 0;
	e->local = 1;
	if (row > 0) {
		if (!e->row) {
			e->row = row; /* deleted once served, as `.recall`'s */
			e->batch = 1;
		} else {
			recall_row_done(r, row);
		}
	}
	ret = recall_copies_load(r, e, NULL);
	if (ret) {
		/* as a failure of every copy: its readers get -EIO */
		e->next = e->ncopies ? e->ncopies - 1 : 0;
		if (!e->ncopies) {
			entry_state_set(e, E_IDLE);
			e->err = -EIO;
			r->queued--;
			entry_row_done(r, e);
			recall_progress(r);
			return ret;
		}
		recall_fail_attempt(r, e, "its copies could not be read");
		return ret;
	}
	recall_entry_requeue(r, e);
	return 0;
}

/* What became of the rows handed: each p[i].what. Without the lock. */
static void watch_rows(struct recall *r, struct pending *p, size_t n)
{
	int64_t now = mono_ms();

	for (size_t i = 0; i < n; i++) {
		struct catalog_cache_entry ce;
		struct catalog_lease l;
		int ret = catalog_lease_get(r->fs->cat, CATALOG_WORK_RECALL,
					    p[i].row, &l);

		p[i].what = P_WAIT;
		if (ret == -ENOENT) {
			/* served: cached; or that host failed, or its cache
			 * entry is not written yet (a run of chunks writes
			 * it after the request goes): a second later the
			 * member is served here from its copies */
			ret = catalog_cache_get(r->fs->cat, p[i].id, &ce);
			if (ret == 0 && ce.present == ce.size)
				p[i].what = P_CACHED;
			else if (!p[i].gone)
				p[i].what = P_GONE;
			else if (now - p[i].gone >= GONE_GRACE_MS)
				p[i].what = P_BACK;
			continue;
		}
		if (ret < 0 || l.host[0] || now - p[i].since < r->hand_back_ms)
			continue;
		/* no host took it within a lease time: taken back */
		if (catalog_lease_take(r->fs->cat, CATALOG_WORK_RECALL,
				       p[i].row, NULL) == 0) {
			p[i].what = P_BACK;
			p[i].taken = 1;
		}
	}
}

static void hand_watch(struct recall *r)
{
	struct pending *p = calloc(HAND_MAX, sizeof(*p));
	size_t n = 0;

	if (!p)
		return;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->nhanded && n < HAND_MAX; i++) {
		struct rentry *e = r->handed[i];

		if (e->hrow <= 0)
			continue;
		p[n].id = e->id;
		p[n].row = e->hrow;
		p[n].since = e->hsince;
		p[n].gone = e->hgone;
		n++;
	}
	pthread_mutex_unlock(&r->lock);
	if (!n)
		goto out;
	watch_rows(r, p, n);
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < n; i++) {
		struct rentry *e = handed_find(r, p[i].id, p[i].row);

		if (p[i].what == P_WAIT)
			continue;
		if (!e) { /* taken back meanwhile: the row is not wanted */
			if (p[i].taken)
				recall_row_done(r, p[i].row);
			continue;
		}
		if (p[i].what == P_GONE)
			e->hgone = mono_ms();
		else if (p[i].what == P_CACHED)
			handed_cached(r, e);
		else
			recall_hosts_back(r, e, p[i].taken ? p[i].row : 0);
	}
	pthread_mutex_unlock(&r->lock);
out:
	free(p);
}

/* ---- 3. serve the others ------------------------------------------------ */

struct free_reqs {
	struct catalog_recall_req q[64];
	size_t n;
};

static int free_add(void *ctx, const struct catalog_recall_req *q)
{
	struct free_reqs *f = ctx;

	if (f->n < sizeof(f->q) / sizeof(f->q[0]))
		f->q[f->n++] = *q;
	return 0;
}

/* The free requests for a tape in one of our drives: taken, queued. */
static void serve_free(struct recall *r)
{
	struct free_reqs *f = calloc(1, sizeof(*f));

	if (!f)
		return;
	if (catalog_recall_free(r->fs->cat, free_add, f) < 0)
		f->n = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct catalog_recall_req *q = &f->q[i];

		if (!q->prefer[0] || !recall_tape_loaded(r, q->prefer))
			continue;
		if (catalog_lease_take(r->fs->cat, CATALOG_WORK_RECALL, q->id,
				       NULL) < 0)
			continue; /* another host was first */
		recall_request_row(r, q->member, q->prefer, q->priority, q->id);
	}
	free(f);
}

/* ---- the thread --------------------------------------------------------- */

static void *hosts_main(void *arg)
{
	struct recall *r = arg;

	pthread_mutex_lock(&r->lock);
	while (!r->hosts_stop) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += RECALL_HOSTS_POLL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->hosts_cond, &r->lock, &until);
		if (r->hosts_stop)
			break;
		pthread_mutex_unlock(&r->lock);
		hand_write(r);
		hand_watch(r);
		serve_free(r);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int recall_hosts_start(struct recall *r)
{
	int64_t lease = host_lease_ms(r->fs);
	int ret;

	if (lease <= 0)
		return 0; /* one host: nothing to share */
	r->hand_back_ms = lease;
	pthread_cond_init(&r->hosts_cond, NULL);
	ret = -pthread_create(&r->hosts, NULL, hosts_main, r);
	if (ret) {
		pthread_cond_destroy(&r->hosts_cond);
		return ret;
	}
	r->hosts_on = 1;
	return 0;
}

void recall_hosts_stop(struct recall *r)
{
	if (!r->hosts_on)
		return;
	pthread_mutex_lock(&r->lock);
	r->hosts_stop = 1;
	pthread_cond_signal(&r->hosts_cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->hosts, NULL);
	pthread_cond_destroy(&r->hosts_cond);
	r->hosts_on = 0;
}
