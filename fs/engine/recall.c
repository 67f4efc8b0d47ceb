/* fs/engine/recall.c - the recall engine: members requested by readers and by
 * `.recall` are queued per tape, read from tape in position order by one
 * scheduler job per tape, streamed into cache files while readers wait,
 * checked against the catalog's MD5 and kept in a size-limited LRU cache.
 * fs/engine/recall.h documents the contract, docs/recall.md the design;
 * fs/engine/recall_cache.c keeps the directory and the catalog in agreement.
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
#include "fs/ns/ns.h"
#include "fs/engine/recall.h"
#include "fs/engine/tapefs.h"
#include "tapeio/sched.h"
#include "tapeio/tarr.h"

#define RESULTS_MAX 64     /* recent results shown by `.recall` */
#define SETTLE_NS 20000000 /* a tape's queue is sorted once requests have
			      stopped arriving for 20 ms (a `.recall` batch
			      arrives line by line) ... */
#define SETTLE_MAX_NS 1000000000 /* ... or after at most 1 s */
#define TOUCH_EVERY 60     /* seconds between catalog LRU updates */

enum est {
	E_IDLE,    /* only on tape (or failed: err says why) */
	E_QUEUED,  /* waiting in a tape's queue */
	E_READING, /* being read from tape into m<ID>.part */
	E_CACHED,  /* whole and checked: m<ID> */
};

struct rcopy {
	char barcode[40];
	int64_t fileno;
	uint64_t start_lblock, header_offset, block;
	uint32_t block_size;
};

/* One member the engine knows: cached, queued, reading, open or failed.
 * Every field is guarded by recall.lock; st and present are also read
 * without it (recall_state(), recall_cached_bytes(): under index_lock,
 * with atomic loads), so they are written with entry_state_set() and
 * entry_present_set(). */
struct rentry {
	int64_t id;
	uint64_t size;
	char md5[33];
	char *path;         /* for messages; NULL for entries found cached */
	enum est st;
	int err;            /* E_IDLE after a failed recall: -EIO, else 0 */
	uint64_t present;   /* bytes of the current attempt on disk */
	unsigned gen;       /* attempt number: a new .part file each */
	int opens;          /* open handles */
	int64_t last_access;
	int64_t touched;    /* last_access last written to the catalog */
	struct rcopy *copies;
	int ncopies, next;  /* copies[next] is the one to try */
	char *failed;       /* "A00001L9: unreadable; B00001L9: ..." of the
			       attempts so far, NULL when none failed (an
			       entry per cached file: keep it small) */
	struct rentry *hnext;             /* hash chain (and index_lock) */
	struct rentry *lru_prev, *lru_next; /* on the LRU list: cached, closed */
	int on_lru;
};

/* The queue of one tape, and whether a job serves it. */
struct rtape {
	char barcode[CHANGER_BARCODE_MAX];
	struct rentry **q;
	size_t n, cap;
	int job;            /* a job is submitted and has not left its loop */
	struct timespec last_add;
	struct rtape *next;
};

struct rjob {
	struct sched_job job;
	struct recall *r;
	struct rtape *t;
	int finished; /* left its loop: the tape's queue is not its own */
};

struct rresult {
	int64_t when;
	int ok;
	char text[300];
};

struct recall {
	struct tapefs *fs;
	int dirfd;
	uint64_t limit;
	/* lock guards every field below, every struct rentry and rtape, and
	 * the cache files' names. It is held for memory operations, catalog
	 * reads, sched_submit() (which never waits: tapeio/sched.h) and
	 * renames or unlinks in the cache directory; never while reading a
	 * tape, while waiting for a drive or the robot, or while writing the
	 * catalog (a long dump commit must not stall an open): the catalog's
	 * cache rows are written after it is released. Two such writes for
	 * one member racing can leave a row without its file or a file
	 * without its row: the next start (recall_cache_open) drops both, so
	 * the cache only loses a file. getattr and getxattr do not take it at
	 * all (index_lock below).
	 * Lock order: lock, then index_lock, or the scheduler's, the
	 * catalog's (reads) or the error log's own locks. */
	pthread_mutex_t lock;
	/* index_lock guards the structure of the entry index (hash, nbuckets,
	 * nentries, each entry's hnext): changed by holders of lock that also
	 * take it, read under it alone by recall_state() and
	 * recall_cached_bytes(), so that a FUSE getattr or getxattr never waits
	 * for lock. A leaf: held for a lookup or a link/unlink only. */
	pthread_mutex_t index_lock;
	pthread_cond_t cond;  /* progress of any recall; jobs ending */
	struct rentry **hash;
	size_t nbuckets, nentries;
	struct rentry *lru_head, *lru_tail; /* least recently used first */
	uint64_t used;        /* bytes cached + reserved by reads */
	struct rtape *tapes;
	size_t queued;        /* members queued or reading */
	int refs;             /* 1 for the mount + 1 per outstanding job */
	int running;          /* jobs inside their run callback */
	int stopping;
	struct rresult results[RESULTS_MAX];
	unsigned nresults;    /* total ever; ring index = n % RESULTS_MAX */
};

struct recall_handle {
	struct recall *r;
	struct rentry *e;
	int fd;
	unsigned fd_gen;    /* attempt whose file fd is */
	unsigned seen_gen;  /* attempt of unchecked bytes served, 0 = none */
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

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

/* Writers of the two fields the index readers see (lock held). */
static void entry_state_set(struct rentry *e, enum est st)
{
	__atomic_store_n(&e->st, st, __ATOMIC_RELAXED);
}

static void entry_present_set(struct rentry *e, uint64_t present)
{
	__atomic_store_n(&e->present, present, __ATOMIC_RELAXED);
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

static void lru_append(struct recall *r, struct rentry *e)
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

	if (e->st != E_IDLE || e->opens)
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
	free(e);
}

static void result_add(struct recall *r, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result_add(struct recall *r, int ok, const char *fmt, ...)
{
	struct rresult *res = &r->results[r->nresults++ % RESULTS_MAX];
	va_list ap;

	res->when = now_s();
	res->ok = ok;
	va_start(ap, fmt);
	vsnprintf(res->text, sizeof(res->text), fmt, ap);
	va_end(ap);
}

/* ---- the cache: room, eviction ---------------------------------------- */

/* Members evicted under the lock, whose catalog rows go after it. */
struct evicted {
	int64_t *ids;
	size_t n, cap;
};

/* Drop cached member e (closed, on the LRU list): its file now, its row
 * by evicted_commit(). */
static void cache_evict(struct recall *r, struct rentry *e,
			struct evicted *ev)
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
	r->used -= e->size;
	entry_state_set(e, E_IDLE);
	entry_present_set(e, 0);
	entry_maybe_free(r, e);
}

/* Make room for need more bytes, evicting least recently used closed
 * files. A file being recalled or open is never evicted; when those alone
 * exceed the limit the cache goes over it until they are closed. */
static void cache_make_room(struct recall *r, uint64_t need,
			    struct evicted *ev)
{
	while (r->lru_head && r->used + need > r->limit)
		cache_evict(r, r->lru_head, ev);
}

/* The catalog side of evictions; called without the lock. */
static void evicted_commit(struct recall *r, struct evicted *ev)
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

static int job_run(struct sched_job *job, const struct sched_run *run);
static void job_done(struct sched_job *job, int result);

/* Submit a job for t unless one is serving it. Called with the lock held,
 * also from FUSE request threads: sched_submit() only queues (it never
 * waits for the robot, even for a tape the scheduler has not seen, and
 * never calls back synchronously). */
static int tape_kick(struct recall *r, struct rtape *t)
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
	j->job.prio = SCHED_PRIO_RECALL;
	j->job.mode = TAPE_RDONLY;
	j->job.ntapes = 1;
	snprintf(j->job.barcode[0], sizeof(j->job.barcode[0]), "%s",
		 t->barcode);
	j->job.run = job_run;
	j->job.done = job_done;
	j->job.arg = j;
	snprintf(j->job.desc, sizeof(j->job.desc), "recall %s", t->barcode);
	ret = sched_submit(r->fs->sched, &j->job);
	if (ret) {
		free(j);
		return ret;
	}
	t->job = 1;
	r->refs++;
	return 0;
}

static void fail_attempt(struct recall *r, struct rentry *e, const char *why);

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
	clock_gettime(CLOCK_MONOTONIC, &t->last_add);
	ret = tape_kick(r, t);
	if (ret) {
		t->n--;
		goto fail;
	}
	return;
fail:
	/* fail_attempt() expects a request in flight */
	entry_state_set(e, E_QUEUED);
	fail_attempt(r, e, ret == -ENODEV ? "no drive in service" :
			   ret == -ECANCELED ? "scheduler stopping" :
			   strerror(-ret));
}

/* The attempt on copies[next] failed: try the next copy, or give up and
 * fail every reader with -EIO. Lock held. */
static void fail_attempt(struct recall *r, struct rentry *e, const char *why)
{
	char *f = NULL;

	if (asprintf(&f, "%s%s%s: %s", e->failed ? e->failed : "",
		     e->failed ? "; " : "", e->copies[e->next].barcode,
		     why) >= 0) {
		free(e->failed);
		e->failed = f;
	}
	entry_present_set(e, 0);
	if (!r->stopping && ++e->next < e->ncopies) {
		e->gen++;
		entry_enqueue(r, e);
		return;
	}
	entry_state_set(e, E_IDLE);
	e->err = -EIO;
	r->queued--;
	result_add(r, 0, "FAILED %s: %s", e->path ? e->path : "?",
		   e->failed ? e->failed : "?");
	if (!r->stopping)
		tapefs_error(r->fs, "recall of '%s' failed on every copy: %s",
			     e->path ? e->path : "?",
			     e->failed ? e->failed : "?");
	pthread_cond_broadcast(&r->cond);
	entry_maybe_free(r, e);
}

struct copies_ctx {
	struct rcopy *c;
	int n, cap;
};

static int copy_add(void *vctx, const struct catalog_location *l)
{
	struct copies_ctx *c = vctx;

	if (l->state == CATALOG_COPY_LOST)
		return 0;
	if (c->n == c->cap) {
		int nc = c->cap ? c->cap * 2 : 4;
		struct rcopy *n = realloc(c->c, (size_t)nc * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->c = n;
		c->cap = nc;
	}
	snprintf(c->c[c->n].barcode, sizeof(c->c[c->n].barcode), "%s",
		 l->barcode);
	c->c[c->n].fileno = l->fileno;
	c->c[c->n].start_lblock = l->start_lblock;
	c->c[c->n].header_offset = l->header_offset;
	c->c[c->n].block = l->block;
	c->c[c->n].block_size = l->block_size;
	c->n++;
	return 0;
}

/* Is barcode in a drive now? (Reading from a loaded tape saves a load.) */
static int tape_loaded(struct recall *r, const char *barcode)
{
	struct sched_drive_status ds;
	int n = sched_ndrives(r->fs->sched);

	for (int i = 0; i < n; i++)
		if (!sched_drive_status(r->fs->sched, i, &ds) &&
		    !strcmp(ds.barcode, barcode))
			return 1;
	return 0;
}

/* Order e's copies: the preferred tape first, else a tape in a drive or
 * with a queue already, else the catalog's order (good copies first). */
static void copies_order(struct recall *r, struct rentry *e,
			 const char *prefer)
{
	int best = -1;

	for (int i = 0; i < e->ncopies && best < 0; i++)
		if (prefer && !strcmp(e->copies[i].barcode, prefer))
			best = i;
	for (int i = 0; i < e->ncopies && best < 0; i++) {
		struct rtape *t;

		for (t = r->tapes; t; t = t->next)
			if (t->job && !strcmp(t->barcode, e->copies[i].barcode))
				best = i;
	}
	for (int i = 0; i < e->ncopies && best < 0; i++)
		if (tape_loaded(r, e->copies[i].barcode))
			best = i;
	if (best > 0) {
		struct rcopy c = e->copies[best];

		memmove(&e->copies[1], &e->copies[0],
			(size_t)best * sizeof(c));
		e->copies[0] = c;
	}
}

/* Start a recall of e (idle). Lock held; reads the catalog. */
static int entry_recall(struct recall *r, struct rentry *e, const char *prefer)
{
	struct copies_ctx cc = { 0 };
	int ret;

	ret = catalog_member_whereis(r->fs->cat, e->id, copy_add, &cc);
	if (!ret && !cc.n) {
		tapefs_error(r->fs, "recall of '%s': no copy left (every tape "
			     "holding it is marked lost)", e->path);
		ret = -EIO;
	}
	if (ret) {
		free(cc.c);
		return ret == -ENOENT ? -EIO : ret;
	}
	free(e->copies);
	e->copies = cc.c;
	e->ncopies = cc.n;
	e->next = 0;
	e->err = 0;
	free(e->failed);
	e->failed = NULL;
	e->gen++;
	copies_order(r, e, prefer);
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
	struct catalog_member m = { 0 };
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
	e->path = m.path;
	m.path = NULL;
	*out = e;
out:
	catalog_member_release(&m);
	return ret;
}

/* ---- the drive side ----------------------------------------------------- */

struct sink_ctx {
	struct recall *r;
	struct rentry *e;
	int fd;
	uint64_t off;
	int drive;
	long fileno;
};

static int sink_write(void *arg, const void *buf, size_t len)
{
	struct sink_ctx *s = arg;
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(s->fd, p, len, (off_t)s->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (s->off + (uint64_t)n > s->e->size)
			return -EFBIG; /* longer than the catalog says */
		p += n;
		len -= (size_t)n;
		s->off += (uint64_t)n;
	}
	pthread_mutex_lock(&s->r->lock);
	entry_present_set(s->e, s->off);
	pthread_cond_broadcast(&s->r->cond);
	pthread_mutex_unlock(&s->r->lock);
	sched_drive_report(s->r->fs->sched, s->drive, SCHED_DRIVE_READING,
			   s->fileno, -1, s->off, s->e->size);
	if (__atomic_load_n(&s->r->stopping, __ATOMIC_RELAXED) ||
	    sched_stopping(s->r->fs->sched))
		return -ECANCELED;
	return 0;
}

/* Take the request of t to serve next: the first at or after the head's
 * block, else the first of the tape (a new sweep). Lock held. */
static struct rentry *tape_pick(struct rtape *t, uint64_t head)
{
	size_t best = SIZE_MAX, low = SIZE_MAX;
	struct rentry *e;

	for (size_t i = 0; i < t->n; i++) {
		uint64_t b = t->q[i]->copies[t->q[i]->next].block;

		if (b >= head && (best == SIZE_MAX ||
		    b < t->q[best]->copies[t->q[best]->next].block))
			best = i;
		if (low == SIZE_MAX ||
		    b < t->q[low]->copies[t->q[low]->next].block)
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
	case -EBADMSG: return "MD5 mismatch";
	case -EIO: return "unreadable";
	case -EINVAL: return "no member at its block";
	case -EFBIG: return "longer than the catalog says";
	case -ECANCELED: return "cancelled";
	default: return strerror(-ret);
	}
}

/* Read e from the tape in the drive into m<ID>.part; then, with the lock,
 * publish it as cached or fail the attempt. Called without the lock. */
static void serve_one(struct recall *r, struct rentry *e, struct tape *tape,
		      int drive)
{
	struct rcopy c = e->copies[e->next];
	struct sink_ctx s = { .r = r, .e = e, .drive = drive,
			      .fileno = (long)c.fileno };
	struct catalog_cache_entry ce = { 0 };
	char part[64], name[64];
	int ret;

	recall_cache_name(e->id, 1, part, sizeof(part));
	recall_cache_name(e->id, 0, name, sizeof(name));
	s.fd = openat(r->dirfd, part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		      0600);
	ret = s.fd < 0 ? -errno : 0;
	if (!ret)
		ret = tarr_read_member(tape, c.start_lblock, c.header_offset,
				       c.block_size, e->md5, sink_write, &s,
				       NULL);
	if (!ret && s.off != e->size)
		ret = -EINVAL;
	if (!ret && fdatasync(s.fd))
		ret = -errno;
	if (s.fd >= 0)
		close(s.fd);

	pthread_mutex_lock(&r->lock);
	if (!ret && renameat(r->dirfd, part, r->dirfd, name))
		ret = -errno;
	if (ret) {
		unlinkat(r->dirfd, part, 0);
		r->used -= e->size;
		fail_attempt(r, e, why_of(ret));
	} else {
		ce.member_id = e->id;
		ce.size = ce.present = e->size;
		snprintf(ce.file, sizeof(ce.file), "%s", name);
		e->last_access = e->touched = ce.last_access = now_s();
		entry_state_set(e, E_CACHED);
		entry_present_set(e, e->size);
		r->queued--;
		if (!e->opens)
			lru_append(r, e);
		result_add(r, 1, "OK %s (%s file %" PRId64 ")",
			   e->path ? e->path : "?", c.barcode, c.fileno);
	}
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (!ret)
		catalog_cache_put(r->fs->cat, &ce);
}

static long ns_since(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000L +
	       (b->tv_nsec - a->tv_nsec);
}

/* Wait until requests stopped arriving for SETTLE_NS, so that a batch is
 * sorted whole before the first locate. Lock held. */
static void tape_settle(struct recall *r, struct rtape *t)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (r->stopping || ns_since(&t->last_add, &now) >= SETTLE_NS ||
		    ns_since(&start, &now) >= SETTLE_MAX_NS)
			return;
		pthread_mutex_unlock(&r->lock);
		usleep(10000);
		pthread_mutex_lock(&r->lock);
	}
}

static int job_run(struct sched_job *job, const struct sched_run *run)
{
	struct rjob *j = job->arg;
	struct recall *r = j->r;
	struct rtape *t = j->t;
	struct tape *tape = run->tape[0];
	uint64_t head = 0;
	struct rentry *e;
	struct evicted ev = { 0 };

	pthread_mutex_lock(&r->lock);
	if (r->stopping) {
		pthread_mutex_unlock(&r->lock);
		return -ECANCELED;
	}
	r->running++;
	tape_settle(r, t);
	pthread_mutex_unlock(&r->lock);
	tape_tell(tape, &head);

	pthread_mutex_lock(&r->lock);
	while (!r->stopping && (e = tape_pick(t, head))) {
		head = e->copies[e->next].block;
		entry_state_set(e, E_READING);
		entry_present_set(e, 0);
		cache_make_room(r, e->size, &ev);
		r->used += e->size;
		pthread_mutex_unlock(&r->lock);
		evicted_commit(r, &ev);
		serve_one(r, e, tape, run->drive[0]);
		pthread_mutex_lock(&r->lock);
	}
	if (!r->stopping) {
		t->job = 0; /* requests from now on submit a new job */
		j->finished = 1;
	}
	r->running--;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static void recall_free(struct recall *r);

/* The job ended (or never ran: tape unknown, no drive, stopping): what is
 * still queued on its tape moves on to other copies. */
static void job_done(struct sched_job *job, int result)
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
			 result == -ENOENT ? "tape not in the library" :
			 result ? strerror(-result) : "job ended");
		t->job = 0;
		t->q = NULL;
		t->n = t->cap = 0;
		for (size_t i = 0; i < n; i++)
			fail_attempt(r, q[i], why);
		free(q);
	}
	last = --r->refs == 0;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	free(j);
	if (last)
		recall_free(r);
}

/* ---- start, stop -------------------------------------------------------- */

static void found_cached(void *arg, int64_t id, uint64_t size,
			 int64_t last_access)
{
	struct recall *r = arg;
	struct rentry *e = entry_find(r, id);

	if (e || !(e = entry_add(r, id, size)))
		return;
	entry_state_set(e, E_CACHED);
	entry_present_set(e, size);
	e->last_access = e->touched = last_access;
	r->used += size;
	lru_append(r, e);
}

int recall_start(struct tapefs *fs)
{
	struct recall *r = calloc(1, sizeof(*r));
	struct evicted ev = { 0 };
	int ret = -ENOMEM;

	if (!r)
		return -ENOMEM;
	r->fs = fs;
	r->dirfd = -1;
	r->refs = 1;
	r->limit = fs->cfg.cache_size ? fs->cfg.cache_size : UINT64_MAX;
	r->nbuckets = 4096;
	r->hash = calloc(r->nbuckets, sizeof(*r->hash));
	if (!r->hash)
		goto out_free;
	if (!fs->cat || !fs->sched || !fs->cfg.cache) {
		ret = -EINVAL;
		fprintf(stderr, "tapefs: recall: no catalog, scheduler or "
				"cache directory\n");
		goto out_free;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->index_lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	ret = recall_cache_open(fs->cfg.cache, fs->cat, &r->dirfd,
				found_cached, r);
	if (ret) {
		fprintf(stderr, "tapefs: recall: cache '%s': %s\n",
			fs->cfg.cache, strerror(-ret));
		goto out_destroy;
	}
	pthread_mutex_lock(&r->lock);
	cache_make_room(r, 0, &ev); /* the limit may have shrunk since */
	pthread_mutex_unlock(&r->lock);
	evicted_commit(r, &ev);
	fs->recall = r;
	return 0;
out_destroy:
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->index_lock);
	pthread_mutex_destroy(&r->lock);
out_free:
	free(r->hash);
	free(r);
	return ret;
}

static void recall_free(struct recall *r)
{
	for (size_t i = 0; i < r->nbuckets; i++) {
		struct rentry *e = r->hash[i], *n;

		for (; e; e = n) {
			n = e->hnext;
			free(e->copies);
			free(e->path);
			free(e->failed);
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
	/* Jobs inside their loop stop after the member they read (its read
	 * ends with -ECANCELED as soon as the scheduler stops, or whole);
	 * jobs still queued in the scheduler end later without touching
	 * anything but this struct, which the last of them frees. */
	while (r->running)
		pthread_cond_wait(&r->cond, &r->lock);
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
		ret = entry_recall(r, e, prefer);
		if (ret)
			goto out_idle;
	}
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

/* May [off, end) be served now? 1 yes, 0 wait, -errno fail. Lock held. */
static int range_ready(struct recall_handle *h, uint64_t end)
{
	struct rentry *e = h->e;

	if (h->seen_gen && h->seen_gen != e->gen)
		return -EIO; /* served bytes of a copy that proved bad */
	if (e->st == E_CACHED || e->size == 0)
		return 1;
	if (e->st == E_IDLE)
		return e->err ? e->err : -EIO;
	if (h->r->stopping)
		return -ESHUTDOWN;
	/* Unchecked bytes: only of a large member, never its last byte. */
	if (e->st == E_READING && e->size > RECALL_STREAM_MIN &&
	    end <= e->present && end < e->size) {
		h->seen_gen = e->gen;
		return 1;
	}
	return 0;
}

ssize_t recall_read(struct recall_handle *h, void *buf, size_t size,
		    off_t off)
{
	struct recall *r = h->r;
	struct rentry *e = h->e;
	uint64_t end;
	ssize_t ret;
	size_t done = 0;

	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= e->size || !size)
		return 0;
	end = (uint64_t)off + size < e->size ? (uint64_t)off + size : e->size;
	pthread_mutex_lock(&r->lock);
	while (!(ret = range_ready(h, end)))
		pthread_cond_wait(&r->cond, &r->lock);
	if (ret > 0 && h->fd >= 0 && h->fd_gen != e->gen)
		ret = -EIO; /* cannot happen (seen_gen catches it): be safe,
			       never close an fd another read may be using */
	if (ret > 0 && h->fd < 0) {
		char name[64];

		recall_cache_name(e->id, e->st != E_CACHED, name, sizeof(name));
		h->fd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC);
		h->fd_gen = e->gen;
		if (h->fd < 0)
			ret = -errno;
	}
	pthread_mutex_unlock(&r->lock);
	if (ret < 0)
		return ret;
	while (done < end - (uint64_t)off) {
		ssize_t n = pread(h->fd, (char *)buf + done,
				  end - (uint64_t)off - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

void recall_release(struct recall_handle *h)
{
	struct evicted ev = { 0 };
	struct recall *r;
	struct rentry *e;
	int64_t touch = 0, id;

	if (!h)
		return;
	r = h->r;
	e = h->e;
	id = e->id;
	if (h->fd >= 0)
		close(h->fd);
	pthread_mutex_lock(&r->lock);
	e->last_access = now_s();
	if (!--e->opens && e->st == E_CACHED) {
		lru_append(r, e);
		if (e->last_access - e->touched >= TOUCH_EVERY &&
		    !r->stopping)
			touch = e->touched = e->last_access;
		cache_make_room(r, 0, &ev); /* may evict and free e */
	} else {
		entry_maybe_free(r, e);
	}
	pthread_mutex_unlock(&r->lock);
	if (touch)
		catalog_cache_touch(r->fs->cat, id, touch);
	evicted_commit(r, &ev);
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
	if (e) {
		enum est st = __atomic_load_n(&e->st, __ATOMIC_RELAXED);

		if (st == E_CACHED || st == E_READING)
			n = __atomic_load_n(&e->present, __ATOMIC_RELAXED);
	}
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
	}
	pthread_mutex_unlock(&r->index_lock);
	return s;
}

int recall_request(struct recall *r, int64_t member_id, const char *prefer)
{
	struct rentry *e;
	int ret;

	pthread_mutex_lock(&r->lock);
	ret = r->stopping ? -ESHUTDOWN : entry_of(r, member_id, &e);
	if (!ret && e->st == E_IDLE && e->size > 0) {
		ret = entry_recall(r, e, prefer);
		if (ret)
			entry_maybe_free(r, e);
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void recall_note(struct recall *r, const char *fmt, ...)
{
	struct rresult *res;
	va_list ap;

	pthread_mutex_lock(&r->lock);
	res = &r->results[r->nresults++ % RESULTS_MAX];
	res->when = now_s();
	res->ok = 0;
	va_start(ap, fmt);
	vsnprintf(res->text, sizeof(res->text), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&r->lock);
}

static void human(char *buf, size_t len, uint64_t v)
{
	static const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)v;
	int i = 0;

	while (d >= 1024 && i < 5) {
		d /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", d, u[i]);
}

void recall_status_render(struct recall *r, struct strbuf *out)
{
	char used[32], lim[32];

	pthread_mutex_lock(&r->lock);
	human(used, sizeof(used), r->used);
	if (r->limit == UINT64_MAX)
		snprintf(lim, sizeof(lim), "unlimited");
	else
		human(lim, sizeof(lim), r->limit);
	strbuf_addf(out, "recall_queue: %zu\n", r->queued);
	strbuf_addf(out, "recall_cache: %s of %s\n", used, lim);
	pthread_mutex_unlock(&r->lock);
}

static int cmp_block(const void *a, const void *b)
{
	const struct rentry *x = *(struct rentry *const *)a;
	const struct rentry *y = *(struct rentry *const *)b;
	uint64_t bx = x->copies[x->next].block, by = y->copies[y->next].block;

	return bx < by ? -1 : bx > by;
}

void recall_queue_render(struct recall *r, struct strbuf *out)
{
	pthread_mutex_lock(&r->lock);
	strbuf_addf(out, "# write archive paths, one per line, to recall "
			 "them in tape order\n");
	strbuf_addf(out, "queued: %zu\n", r->queued);
	for (struct rtape *t = r->tapes; t; t = t->next) {
		struct rentry **q;

		if (!t->n)
			continue;
		strbuf_addf(out, "tape %s: %zu queued%s\n", t->barcode, t->n,
			    t->job ? "" : " (waiting for a drive)");
		q = malloc(t->n * sizeof(*q));
		if (!q)
			continue;
		memcpy(q, t->q, t->n * sizeof(*q));
		qsort(q, t->n, sizeof(*q), cmp_block);
		for (size_t i = 0; i < t->n; i++)
			strbuf_addf(out, "  block %" PRIu64 " %s\n",
				    q[i]->copies[q[i]->next].block,
				    q[i]->path ? q[i]->path : "?");
		free(q);
	}
	for (size_t i = 0; i < r->nbuckets; i++)
		for (struct rentry *e = r->hash[i]; e; e = e->hnext)
			if (e->st == E_READING)
				strbuf_addf(out, "reading: %s from %s "
					    "(%" PRIu64 " of %" PRIu64 ")\n",
					    e->path ? e->path : "?",
					    e->copies[e->next].barcode,
					    e->present, e->size);
	strbuf_addf(out, "recent:\n");
	for (unsigned i = r->nresults > RESULTS_MAX ?
			  r->nresults - RESULTS_MAX : 0;
	     i < r->nresults; i++) {
		const struct rresult *res = &r->results[i % RESULTS_MAX];

		strbuf_addf(out, "  %s\n", res->text);
	}
	pthread_mutex_unlock(&r->lock);
}
