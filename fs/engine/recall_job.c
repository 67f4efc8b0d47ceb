/* fs/engine/recall_job.c - the drive side of a recall: one scheduler job
 * per tape with a queue. On the drive the job lets its queue settle (a
 * batch written line by line is sorted whole), then serves it as an
 * elevator in block order; each member is reached through the job's
 * cursor (read on from where the tape stands when it is there or a little
 * ahead, else located to: tapeio/tarr.h) and streamed into its m<ID>.part
 * cache file, readers waking as bytes land, while the job's checker
 * hashes it beside the drive (recall_check.c); once its MD5 matches it is
 * published as cached (made durable off the drive's path:
 * recall_durable.c), or moved on to its next copy when not. The engine's
 * lock is never held while the tape is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/recall_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/chunk.h"
#include "tapeio/tarr.h"

/* A tape's queue is sorted once requests have stopped arriving for 20 ms
 * and the batch worker has no `.recall` request left to resolve (a batch
 * arrives line by line, each kept in the catalog first) ... */
#define SETTLE_NS     20000000
#define SETTLE_MAX_NS 1000000000 /* ... or after at most 1 s */
/* ... or at once when the batch worker is resolving a list that so far
 * came in tape order, at least this many requests of it: the drive reads
 * them while the rest is resolved (and joins the sweep ahead) */
#define SETTLE_IN_ORDER 64

struct sink_ctx {
	struct recall *r;
	struct rentry *e;
	int fd;
	uint64_t off;
	int drive;
	long fileno;
	int local; /* the error was the cache's (a write), not the tape's */
	struct chunk_digester dg; /* a member without chunk digests gets
				     them as it is read whole */
	struct rcheck *check;	  /* hashes the bytes */
};

static int sink_write(void *arg, const void *buf, size_t len)
{
	struct sink_ctx *s = arg;
	const char *p = buf;

	chunk_digester_update(&s->dg, buf, len);
	recall_check_data(s->check, buf, len);
	while (len) {
		ssize_t n = pwrite(s->fd, p, len, (off_t)s->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->local = 1;
			return -errno;
		}
		if (s->off + (uint64_t)n > s->e->size)
			return -EFBIG; /* longer than the catalog says */
		p += n;
		len -= (size_t)n;
		s->off += (uint64_t)n;
	}
	pthread_mutex_lock(&s->r->lock);
	entry_present_set(s->r, s->e, s->off);
	recall_progress(s->r);
	pthread_mutex_unlock(&s->r->lock);
	sched_drive_report(s->r->fs->sched, s->drive, SCHED_DRIVE_READING,
			   s->fileno, -1, s->off, s->e->size);
	if (__atomic_load_n(&s->r->stopping, __ATOMIC_RELAXED) ||
	    sched_stopping(s->r->fs->sched))
		return -ECANCELED;
	return 0;
}

/* Does a start before b on the tape? (Members sharing a record go in
 * the order they lie in it.) */
static int place_before(const struct rentry *a, const struct rentry *b)
{
	return a->qblock < b->qblock ||
	       (a->qblock == b->qblock && a->qoff < b->qoff);
}

/* Take the request of t to serve next: among those of the highest
 * priority, the first at or after the head (where the last one started),
 * else the first of the tape (a new sweep). Lock held. */
static struct rentry *tape_pick(struct rtape *t, const struct rentry *head)
{
	size_t best = SIZE_MAX, low = SIZE_MAX;
	struct rentry *e;
	int prio = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->q[i]->prio > prio)
			prio = t->q[i]->prio;
	for (size_t i = 0; i < t->n; i++) {
		e = t->q[i];
		if (e->prio != prio)
			continue;
		if (!place_before(e, head) &&
		    (best == SIZE_MAX || place_before(e, t->q[best])))
			best = i;
		if (low == SIZE_MAX || place_before(e, t->q[low]))
			low = i;
	}
	if (best == SIZE_MAX)
		best = low;
	if (best == SIZE_MAX)
		return NULL;
	e = t->q[best];
	memmove(&t->q[best], &t->q[best + 1],
		(t->n - best - 1) * sizeof(*t->q));
	t->n--;
	return e;
}

static const char *why_of(int ret)
{
	switch (ret) {
	case -EBADMSG:
		return "MD5 mismatch";
	case -EIO:
		return "unreadable";
	case -EINVAL:
		return "no member at its block";
	case -EFBIG:
		return "longer than the catalog says";
	case -ECANCELED:
		return "cancelled";
	default:
		return strerror(-ret);
	}
}

/* Stream e from the tape in the drive into its file part, its bytes
 * handed to check (which hashes them: its MD5 is checked there). Called
 * without the lock. 0 (*fd: the part file, open: its bytes are not on
 * disk yet, recall_durable.c) or -errno (*fd -1); *local is set when the
 * error is the cache's (it cannot take the bytes: ENOSPC, EIO of its
 * disk), which no other copy would mend. A member larger than a chunk
 * that has no chunk digests gets them in *digests (malloc'ed), to be kept
 * if its MD5 matches: old archives get them the first time they are
 * read. */
static int read_member(struct recall *r, struct rentry *e,
		       struct tarr_cursor *cur, int drive, const char *part,
		       struct rcheck *check, int *local,
		       unsigned char **digests, int *fd)
{
	const struct rcopy *c = &e->copies[e->next];
	struct sink_ctx s = {.r = r,
			     .e = e,
			     .drive = drive,
			     .fileno = (long)c->fileno,
			     .check = check};
	int ret;

	s.fd = recall_ahead_take(r, e->id); /* made ahead, or now: */
	if (s.fd < 0)
		s.fd = openat(r->dirfd, part,
			      O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ret = s.fd < 0 ? -errno : 0;
	s.local = s.fd < 0;
	if (!ret && !e->nchunks)
		ret = chunk_digester_init(&s.dg, e->size, CHUNK_SIZE);
	if (!ret) /* no MD5 asked for: not hashed on this thread */
		ret = tarr_read_member_at(cur, c->start_lblock,
					  c->header_offset, c->block_size, NULL,
					  sink_write, &s, NULL);
	if (!ret && s.off != e->size)
		ret = -EINVAL;
	if (ret && s.fd >= 0)
		close(s.fd);
	*fd = ret ? -1 : s.fd;
	*local = ret && s.local;
	if (!ret && chunk_digester_done(&s.dg)) {
		*digests = s.dg.digests;
		s.dg.digests = NULL;
	}
	chunk_digester_release(&s.dg);
	return ret;
}

void recall_publish(struct recall *r, struct rentry *e, const struct rcopy *c)
{
	struct recall_result *res;

	e->last_access = e->touched = now_s();
	entry_state_set(e, E_CACHED);
	entry_present_set(r, e, e->size);
	free(e->map);
	e->map = NULL;
	r->queued--;
	entry_row_done(r, e);
	if (!e->opens)
		recall_lru_append(r, e);
	res = recall_result_next(r, RECALL_DONE, e->path);
	snprintf(res->barcode, sizeof(res->barcode), "%s", c->barcode);
	res->fileno = c->fileno;
}

void recall_log_attempt(struct recall *r, const char *path, int64_t id,
			const struct rcopy *c, int drive, uint64_t bytes,
			int64_t offset, double seconds, const char *why)
{
	char qp[1400], qw[160], off[40] = "";

	if (path[0])
		tapefs_log_quote(path, qp, sizeof(qp));
	else
		snprintf(qp, sizeof(qp), "member:%" PRId64, id);
	if (offset >= 0)
		snprintf(off, sizeof(off), " offset=%" PRId64, offset);
	if (!why)
		tapefs_audit(r->fs, "recall served",
			     "path=%s tape=%s file=%" PRId64 " bytes=%" PRIu64
			     " seconds=%.2f drive=%d%s",
			     qp, c->barcode, c->fileno, bytes, seconds, drive,
			     off);
	else
		tapefs_log(
		    r->fs, LOG_WARNING,
		    "recall failed on a copy: path=%s tape=%s file=%" PRId64
		    " drive=%d%s reason=%s",
		    qp, c->barcode, c->fileno, drive, off,
		    tapefs_log_quote(why, qw, sizeof(qw)));
}

double recall_seconds(const struct timespec *t0, const struct timespec *t1)
{
	return (double)(t1->tv_sec - t0->tv_sec) +
	       (double)(t1->tv_nsec - t0->tv_nsec) / 1e9;
}

/* What the tape's reads run at, for the ETAs `.recall` shows: bytes read
 * between t0 and t1, averaged with what was seen before. Lock held. */
void recall_rate_note(struct rtape *t, uint64_t bytes,
		      const struct timespec *t0, const struct timespec *t1)
{
	double s = recall_seconds(t0, t1);

	if (s < 0.01 || !bytes)
		return; /* too short to say anything */
	t->rate =
	    t->rate > 0 ? (t->rate + (double)bytes / s) / 2 : (double)bytes / s;
}

/* e is whole in m<ID> (name): cached from now on, its row into *ce and
 * the `.recall` request it served returned (its row goes with the cache
 * row, recall_durable.c). A member that had no chunk digests has them
 * from digests: read by ranges from now on; *nd says how many to keep in
 * the catalog. Lock held. */
static int64_t publish_whole(struct recall *r, struct rentry *e,
			     const struct rcopy *c, const char *name,
			     const unsigned char *digests,
			     struct catalog_cache_entry *ce, uint32_t *nd)
{
	int64_t row = e->row;

	e->row = 0;
	recall_publish(r, e, c);
	ce->member_id = e->id;
	ce->size = ce->present = e->size;
	ce->last_access = e->last_access;
	snprintf(ce->file, sizeof(ce->file), "%s", name);
	if (digests && !e->nchunks) {
		*nd = chunk_count(e->size, CHUNK_SIZE);
		e->digests = malloc((size_t)*nd * CHUNK_DIGEST);
		if (e->digests) {
			memcpy(e->digests, digests, (size_t)*nd * CHUNK_DIGEST);
			e->chunk_size = CHUNK_SIZE;
			e->map_len = (*nd + 7) / 8;
			e->nchunks = *nd;
		}
	}
	return row;
}

/* The attempt failed with ret: its part file goes, and the next copy is
 * tried (or, the cache's error, its readers get ret). Lock held. */
static void attempt_failed(struct recall *r, struct rentry *e, const char *part,
			   int ret, int local)
{
	unlinkat(r->dirfd, part, 0);
	r->used -= e->size;
	if (local)
		recall_fail_local(r, e, ret);
	else
		recall_fail_attempt(r, e, why_of(ret));
}

/* Read e from the tape in the drive into m<ID>.part, hashed beside the
 * drive by the job's checker, which finishes it (recall_serve_done()).
 * Called without the lock. */
static void serve_one(struct recall *r, struct rjob *j, struct rentry *e,
		      struct tarr_cursor *cur, int drive)
{
	struct rdone d = {
	    .t = j->t, .e = e, .c = e->copies[e->next], .drive = drive};
	char part[64];

	recall_cache_name(e->id, 1, part, sizeof(part));
	clock_gettime(CLOCK_MONOTONIC, &d.t0);
	d.ret = read_member(r, e, cur, drive, part, &j->check, &d.local,
			    &d.digests, &d.fd);
	clock_gettime(CLOCK_MONOTONIC, &d.t1);
	recall_check_end(&j->check, &d);
}

void recall_serve_done(struct recall *r, struct rdone *d)
{
	struct rentry *e = d->e;
	struct catalog_cache_entry ce = {0};
	uint32_t nd = 0;
	char part[64], name[64], path[1024];
	int64_t id = e->id, row = 0; /* e is E_READING: these stay */
	uint64_t size = e->size;
	unsigned gen = e->gen;
	int ret = d->ret, local = d->local;

	recall_cache_name(id, 1, part, sizeof(part));
	recall_cache_name(id, 0, name, sizeof(name));
	pthread_mutex_lock(&r->lock);
	snprintf(path, sizeof(path), "%s", e->path ? e->path : "");
	recall_rate_note(d->t, e->present, &d->t0, &d->t1);
	if (!ret && renameat(r->dirfd, part, r->dirfd, name)) {
		ret = -errno;
		local = 1;
	}
	if (ret)
		attempt_failed(r, e, part, ret, local);
	else
		row = publish_whole(r, e, &d->c, name, d->digests, &ce, &nd);
	recall_progress(r);
	pthread_mutex_unlock(&r->lock);
	if (nd)
		catalog_chunks_put(r->fs->cat, id, CHUNK_SIZE, nd, d->digests);
	free(d->digests);
	if (ret && d->fd >= 0)
		close(d->fd);
	if (!ret && recall_durable_add(r, id, gen, d->fd, row, &ce)) {
		fdatasync(d->fd); /* no memory to hand it over: alone */
		close(d->fd);
		catalog_cache_put_many(r->fs->cat, &ce, 1, &row, row ? 1 : 0);
	}
	if (ret != -ECANCELED)
		recall_log_attempt(r, path, id, &d->c, d->drive, size, -1,
				   recall_seconds(&d->t0, &d->t1),
				   ret ? why_of(ret) : NULL);
}

static long ns_since(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000L +
	       (b->tv_nsec - a->tv_nsec);
}

/* Wait until requests stopped arriving for SETTLE_NS and none is being
 * resolved, so that a batch is sorted whole before the first locate (at
 * most SETTLE_MAX_NS); a list being resolved in tape order is read as it
 * comes (SETTLE_IN_ORDER). Lock held. */
static void tape_settle(struct recall *r, struct rtape *t)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (r->stopping ||
		    (!r->nbatch && ns_since(&t->last_add, &now) >= SETTLE_NS) ||
		    (r->nbatch && t->in_order >= SETTLE_IN_ORDER) ||
		    ns_since(&start, &now) >= SETTLE_MAX_NS)
			return;
		pthread_mutex_unlock(&r->lock);
		usleep(10000);
		pthread_mutex_lock(&r->lock);
	}
}

/* The next request of t (tape_pick()). When the queue is empty while the
 * batch worker still resolves `.recall` requests, the job waits for them
 * (at most SETTLE_MAX_NS): it keeps the drive and the tape where it
 * stands, rather than leaving it for a new job that would locate back to
 * it. Lock held (released while waiting). */
static struct rentry *tape_next(struct recall *r, struct rtape *t,
				const struct rentry *head)
{
	struct timespec start, now;
	struct rentry *e;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!(e = tape_pick(t, head)) && r->nbatch && !r->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ns_since(&start, &now) >= SETTLE_MAX_NS)
			break;
		pthread_mutex_unlock(&r->lock);
		usleep(SETTLE_NS / 4000);
		pthread_mutex_lock(&r->lock);
	}
	return e;
}

/* Of the requests of t of priority prio, the first after head (strictly),
 * SIZE_MAX when none. Lock held. */
static size_t tape_after(const struct rtape *t, const struct rentry *head,
			 int prio)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < t->n; i++)
		if (t->q[i]->prio == prio && place_before(head, t->q[i]) &&
		    (best == SIZE_MAX || place_before(t->q[i], t->q[best])))
			best = i;
	return best;
}

/* The members after e in its sweep (the next RECALL_AHEAD_WANT, as far as
 * they are read whole) get their files made while e is read
 * (recall_ahead.c). Lock held. */
static void ahead_next(struct recall *r, const struct rtape *t,
		       const struct rentry *e)
{
	int64_t ids[RECALL_AHEAD_WANT];
	const struct rentry *head = e;
	int n = 0;

	while (n < RECALL_AHEAD_WANT) {
		size_t i = tape_after(t, head, e->prio);

		if (i == SIZE_MAX || t->q[i]->ranged)
			break; /* none left, or a run of chunks */
		head = t->q[i];
		ids[n++] = head->id;
	}
	recall_ahead_want(r, ids, n);
}

/* Has this mount of the tape had its turn? per_tape requests served and
 * another job waits for a drive. Lock held. */
static int turn_over(struct recall *r, unsigned served)
{
	return r->per_tape && served >= r->per_tape &&
	       sched_queued(r->fs->sched) > 0;
}

int recall_job_run(struct sched_job *job, const struct sched_run *run)
{
	struct rjob *j = job->arg;
	struct recall *r = j->r;
	struct rtape *t = j->t;
	struct rentry *e, head = {0};
	struct tarr_cursor cur;
	struct evicted ev = {0};
	unsigned served = 0;

	pthread_mutex_lock(&r->lock);
	if (r->stopping) {
		pthread_mutex_unlock(&r->lock);
		return -ECANCELED;
	}
	r->running++;
	tape_settle(r, t);
	pthread_mutex_unlock(&r->lock);
	recall_check_start(&j->check, r);
	tarr_cursor_init(&cur, run->tape[0]);
	head.qblock = cur.known ? cur.at : 0;

	pthread_mutex_lock(&r->lock);
	while (!r->stopping && !turn_over(r, served) &&
	       (e = tape_next(r, t, &head))) {
		head.qblock = e->qblock;
		head.qoff = e->qoff;
		entry_state_set(e, E_READING);
		served++;
		if (e->ranged) {
			pthread_mutex_unlock(&r->lock);
			recall_serve_range(r, t, e, &cur, run->drive[0]);
			pthread_mutex_lock(&r->lock);
			continue;
		}
		entry_present_set(r, e, 0);
		ahead_next(r, t, e);
		recall_cache_make_room(r, e->size, &ev);
		r->used += e->size;
		pthread_mutex_unlock(&r->lock);
		recall_evicted_commit(r, &ev);
		serve_one(r, j, e, &cur, run->drive[0]);
		pthread_mutex_lock(&r->lock);
	}
	/* the members read are finished before the job ends (a stop waits
	 * for the jobs, then for the syncers) */
	pthread_mutex_unlock(&r->lock);
	recall_check_stop(&j->check);
	pthread_mutex_lock(&r->lock);
	if (!r->stopping) {
		t->job = 0; /* requests from now on submit a new job */
		t->rj = NULL;
		j->finished = 1;
		/* Served per_tape requests while another job waited: the
		 * rest wait for the tape's next turn, and a more urgent tape
		 * may go first. */
		if (t->n)
			recall_tape_kick(r, t);
	}
	r->running--;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	tarr_cursor_release(&cur);
	return 0;
}

/* The job ended (or never ran: tape unknown, no drive, stopping): what is
 * still queued on its tape moves on to other copies. */
void recall_job_done(struct sched_job *job, int result)
{
	struct rjob *j = job->arg;
	struct recall *r = j->r;
	struct rtape *t = j->t;
	int last;

	pthread_mutex_lock(&r->lock);
	if (!r->stopping && !j->finished) {
		char why[128];
		size_t n = t->n;
		struct rentry **q = t->q;

		snprintf(why, sizeof(why), "%s",
			 result == -ENOENT ? "tape not in the library"
			 : result	   ? strerror(-result)
					   : "job ended");
		t->job = 0;
		t->rj = NULL;
		t->q = NULL;
		t->n = t->cap = 0;
		for (size_t i = 0; i < n; i++)
			recall_fail_attempt(r, q[i], why);
		free(q);
	}
	last = --r->refs == 0;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	free(j);
	if (last)
		recall_free(r);
}
