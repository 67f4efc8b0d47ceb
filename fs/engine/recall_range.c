/* fs/engine/recall_range.c - byte ranges: a member with chunk digests
 * (tapeio/chunk.h) is recalled chunk by chunk from the chunk that holds
 * the first byte a reader wants, into a sparse cache file m<ID> whose
 * chunks present are a bitmap (the entry's map, kept in the catalog's
 * cache row). Every chunk is checked against its digest before any reader
 * sees it; a chunk that fails moves the run to the next copy from that
 * chunk on. A run goes on while readers want the chunks ahead (plus one
 * chunk of read-ahead), or to the end for a `.recall` request; it stops
 * at a chunk already present. Members without digests are read whole
 * (recall_job.c), and get their digests then.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "fs/engine/recall_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/chunk.h"
#include "tapeio/tarr.h"

#define READ_AHEAD 1 /* chunks read past the last one a reader wants */
#define EXTEND_MAX                                                             \
	4 /* a run extends to a wanted chunk this close ahead;                 \
	     farther ones get a run (a locate) of their own */

/* ---- the map --------------------------------------------------------------
 */

static uint64_t chunk_len(const struct rentry *e, uint32_t k)
{
	uint64_t start = (uint64_t)k * e->chunk_size;

	return e->size - start < e->chunk_size ? e->size - start
					       : e->chunk_size;
}

int recall_chunk_has(const struct rentry *e, uint32_t k)
{
	return e->map && k < e->nchunks && (e->map[k / 8] >> (k % 8)) & 1;
}

int recall_chunks_cover(const struct rentry *e, uint64_t off, uint64_t end)
{
	if (!e->nchunks || !e->map || end <= off)
		return 0;
	for (uint32_t k = (uint32_t)(off / e->chunk_size);
	     (uint64_t)k * e->chunk_size < end; k++)
		if (!recall_chunk_has(e, k))
			return 0;
	return 1;
}

/* The first chunk of [from, to] not in the cache; UINT32_MAX when none. */
static uint32_t first_missing(const struct rentry *e, uint32_t from,
			      uint32_t to)
{
	for (uint32_t k = from; k <= to && k < e->nchunks; k++)
		if (!recall_chunk_has(e, k))
			return k;
	return UINT32_MAX;
}

void recall_entry_place(struct rentry *e)
{
	const struct rcopy *c = &e->copies[e->next];
	uint64_t at =
	    e->ranged ? c->data_offset + (uint64_t)e->run_from * e->chunk_size
		      : c->header_offset;

	if (!c->block_size) { /* not a catalog's: its read will say so */
		e->qblock = c->block;
		e->qoff = 0;
		return;
	}
	e->qblock = c->start_lblock + at / c->block_size;
	e->qoff = (uint32_t)(at % c->block_size);
}

int recall_chunks_load(struct recall *r, struct rentry *e)
{
	struct catalog_chunks cc = {0};
	size_t maplen;
	int ret = catalog_chunks_get(r->fs->cat, e->id, &cc);

	if (ret == -ENOENT)
		return 0; /* read whole */
	if (ret)
		return ret;
	if (!cc.chunk_size || cc.n != chunk_count(e->size, cc.chunk_size)) {
		catalog_chunks_release(&cc); /* not this member's: ignore */
		return 0;
	}
	free(e->digests);
	e->digests = cc.digests;
	e->chunk_size = cc.chunk_size;
	e->nchunks = cc.n;
	maplen = (e->nchunks + 7) / 8;
	if (e->map && e->map_len != maplen) {
		/* a map that does not fit: its chunks are not known good */
		free(e->map);
		e->map = NULL;
		r->used -= e->present;
		entry_present_set(r, e, 0);
	}
	e->map_len = maplen;
	return 0;
}

/* ---- what readers want ------------------------------------------------------
 */

int recall_want(struct recall *r, struct rentry *e, const char *prefer,
		uint64_t off, uint64_t end)
{
	uint32_t lo, hi, m;

	if (!e->nchunks) {
		if (e->st != E_IDLE)
			return 0; /* its recall brings every byte */
		e->ranged = 0;
		return recall_entry_recall(r, e, prefer);
	}
	lo = (uint32_t)(off / e->chunk_size);
	hi = (uint32_t)((end - 1) / e->chunk_size);
	m = first_missing(e, lo, hi);
	if (m == UINT32_MAX)
		return 0; /* cannot happen: the read would be ready */
	switch (e->st) {
	case E_IDLE:
		e->ranged = 1;
		e->run_from = m;
		e->want_hi = hi;
		return recall_entry_recall(r, e, prefer);
	case E_QUEUED:
		if (m < e->run_from && e->run_from - m <= EXTEND_MAX) {
			e->run_from = m;
			recall_entry_place(e);
		}
		if (m >= e->run_from && m <= e->want_hi + EXTEND_MAX &&
		    hi > e->want_hi)
			e->want_hi = hi;
		return 0;
	case E_READING:
		if (m >= e->run_at && m <= e->want_hi + EXTEND_MAX &&
		    hi > e->want_hi)
			e->want_hi = hi; /* the run goes on to it */
		return 0; /* else a run of its own once this one ends */
	default:
		return 0;
	}
}

void recall_range_whole(struct rentry *e)
{
	e->ranged = e->nchunks > 0;
	if (!e->ranged)
		return;
	e->run_from = first_missing(e, 0, e->nchunks - 1);
	if (e->run_from == UINT32_MAX)
		e->run_from = 0;
	e->want_hi = e->nchunks - 1;
}

/* The lowest chunk still wanted of e, by its parked reads or a `.recall`
 * request (every chunk), and the highest one the same readers want in
 * *hi; UINT32_MAX when none. Lock held. */
static uint32_t next_wanted(struct recall *r, struct rentry *e, uint32_t *hi)
{
	uint32_t lo = UINT32_MAX, k;

	*hi = 0;
	if (e->batch) {
		lo = first_missing(e, 0, e->nchunks - 1);
		*hi = e->nchunks - 1;
	}
	for (struct rwait *w = r->waiters; w; w = w->next) {
		if (w->h->e != e)
			continue;
		k = first_missing(e, (uint32_t)(w->off / e->chunk_size),
				  (uint32_t)((w->end - 1) / e->chunk_size));
		if (k < lo)
			lo = k;
		if (k != UINT32_MAX &&
		    (uint32_t)((w->end - 1) / e->chunk_size) > *hi)
			*hi = (uint32_t)((w->end - 1) / e->chunk_size);
	}
	return lo;
}

/* ---- the run on the drive -------------------------------------------------
 */

struct range_sink {
	struct recall *r;
	struct rentry *e;
	int fd;
	uint32_t k;	   /* the chunk being read */
	uint64_t at;	   /* member offset of the next byte */
	uint64_t reserved; /* cache room held for chunk k */
	struct chunk_hash h;
	int local; /* the error was the cache's */
	int drive;
	long fileno;
};

/* Should the run go on to chunk k? Lock held. */
static int run_goes_on(const struct recall *r, const struct rentry *e,
		       uint32_t k)
{
	if (k >= e->nchunks || recall_chunk_has(e, k) || r->stopping)
		return 0;
	return e->batch || k <= e->want_hi + READ_AHEAD;
}

/* Chunk s->k is whole in the file: check it; then, with the lock, add it
 * to the map and decide whether to go on (1: stop here). */
static int chunk_end(struct range_sink *s)
{
	struct recall *r = s->r;
	struct rentry *e = s->e;
	unsigned char d[CHUNK_DIGEST];
	struct evicted ev = {0};
	int more;

	chunk_hash_final(&s->h, d);
	if (memcmp(d, e->digests + (size_t)s->k * CHUNK_DIGEST, CHUNK_DIGEST))
		return -EBADMSG;
	pthread_mutex_lock(&r->lock);
	e->map[s->k / 8] |= (unsigned char)(1u << (s->k % 8));
	entry_present_set(r, e, e->present + chunk_len(e, s->k));
	s->reserved = 0;
	e->run_at = ++s->k;
	more = run_goes_on(r, e, s->k);
	if (more) {
		s->reserved = chunk_len(e, s->k);
		recall_cache_make_room(r, s->reserved, &ev);
		r->used += s->reserved;
	}
	recall_progress(r);
	pthread_mutex_unlock(&r->lock);
	recall_evicted_commit(r, &ev);
	sched_drive_report(r->fs->sched, s->drive, SCHED_DRIVE_READING,
			   s->fileno, -1, e->present, e->size);
	return more ? 0 : 1;
}

static int range_write(void *arg, const void *buf, size_t len)
{
	struct range_sink *s = arg;
	const char *p = buf;
	int ret;

	while (len) {
		uint64_t end =
		    (uint64_t)s->k * s->e->chunk_size + chunk_len(s->e, s->k);
		size_t take = end - s->at < len ? (size_t)(end - s->at) : len;
		ssize_t n = pwrite(s->fd, p, take, (off_t)s->at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->local = 1;
			return -errno;
		}
		chunk_hash_update(&s->h, p, (size_t)n);
		p += n;
		len -= (size_t)n;
		s->at += (uint64_t)n;
		if (s->at == end && (ret = chunk_end(s)))
			return ret;
	}
	if (__atomic_load_n(&s->r->stopping, __ATOMIC_RELAXED) ||
	    sched_stopping(s->r->fs->sched))
		return -ECANCELED;
	return 0;
}

/* The cache file of e, made (sparse, its full size) when missing. */
static int range_file(struct recall *r, struct rentry *e, int *local)
{
	char name[64];
	struct stat st;
	int fd;

	recall_cache_name(e->id, 0, name, sizeof(name));
	fd = openat(r->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st) ||
	    ((uint64_t)st.st_size != e->size &&
	     ftruncate(fd, (off_t)e->size))) {
		int ret = -errno;

		if (fd >= 0)
			close(fd);
		*local = 1;
		return ret;
	}
	return fd;
}

/* Read chunks of e from run_from on the tape in the drive. Called without
 * the lock. 0 or -errno (*local: the cache's error); s->k is the chunk
 * the run stopped at. After an error the bytes of the chunk left unchecked
 * are punched out of the file. */
static int range_read(struct recall *r, struct rentry *e,
		      struct tarr_cursor *cur, struct range_sink *s)
{
	const struct rcopy *c = &e->copies[e->next];
	struct evicted ev = {0};
	int ret;

	s->fd = range_file(r, e, &s->local);
	if (s->fd < 0)
		return s->fd;
	ret = chunk_hash_init(&s->h);
	if (!ret) {
		pthread_mutex_lock(&r->lock);
		s->reserved = chunk_len(e, s->k);
		recall_cache_make_room(r, s->reserved, &ev);
		r->used += s->reserved;
		pthread_mutex_unlock(&r->lock);
		recall_evicted_commit(r, &ev);
		ret = tarr_read_extent_at(cur, c->start_lblock, c->data_offset,
					  c->block_size, s->at, e->size - s->at,
					  range_write, s);
	}
	if (ret && s->k < e->nchunks) /* the unchecked bytes take no room */
		fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)s->k * e->chunk_size,
			  (off_t)chunk_len(e, s->k));
	if (!ret && fdatasync(s->fd)) { /* the catalog row may say so */
		ret = -errno;
		s->local = 1;
	}
	chunk_hash_release(&s->h);
	close(s->fd);
	return ret;
}

/* The catalog row of e now (lock held); its map is a copy (free it). */
static void range_row(const struct rentry *e, struct catalog_cache_entry *ce)
{
	unsigned char *map = NULL;

	memset(ce, 0, sizeof(*ce));
	ce->member_id = e->id;
	ce->size = e->size;
	ce->present = e->present;
	ce->last_access = e->last_access;
	recall_cache_name(e->id, 0, ce->file, sizeof(ce->file));
	if (e->present < e->size && (map = malloc(e->map_len)))
		memcpy(map, e->map, e->map_len);
	ce->map = map;
	ce->map_len = map ? e->map_len : 0;
}

/* The run ended at chunk k without a fault: e is whole, or waits for its
 * next run, or is partly cached. Lock held. */
static void range_done(struct recall *r, struct rentry *e,
		       const struct rcopy *c)
{
	uint32_t hi, next;

	if (first_missing(e, 0, e->nchunks - 1) == UINT32_MAX) {
		recall_publish(r, e, c);
		return;
	}
	next = next_wanted(r, e, &hi);
	if (next != UINT32_MAX && !r->stopping) {
		e->run_from = next;
		e->want_hi = hi;
		e->next = 0; /* each run starts from the best copy */
		recall_entry_requeue(r, e);
		return;
	}
	entry_state_set(e, E_IDLE);
	r->queued--;
	if (!e->opens)
		recall_lru_append(r, e);
}

/* The run failed with ret: a cache error fails e's reads, a copy's error
 * moves the run to the next copy from the chunk it stopped at. A file
 * holding no chunk goes, as a whole recall's part file does. Returns why,
 * for the log. Lock held. */
static const char *range_failed(struct recall *r, struct rentry *e,
				const struct range_sink *s, int ret)
{
	const char *why = ret == -EBADMSG  ? "chunk digest mismatch"
			  : ret == -EIO	   ? "unreadable"
			  : ret == -EINVAL ? "no member data at its block"
					   : strerror(-ret);
	char name[64];

	if (!e->present) {
		recall_cache_name(e->id, 0, name, sizeof(name));
		unlinkat(r->dirfd, name, 0);
	}
	if (s->local) {
		recall_fail_local(r, e, ret);
	} else {
		e->run_from = s->k;
		recall_fail_attempt(r, e, why);
	}
	return why;
}

void recall_serve_range(struct recall *r, struct rtape *t, struct rentry *e,
			struct tarr_cursor *cur, int drive)
{
	struct rcopy c = e->copies[e->next];
	struct range_sink s = {.r = r,
			       .e = e,
			       .k = e->run_from,
			       .at = (uint64_t)e->run_from * e->chunk_size,
			       .drive = drive,
			       .fileno = (long)c.fileno};
	uint64_t at0 = s.at;
	struct catalog_cache_entry ce;
	struct timespec t0, t1;
	const char *why = NULL;
	char path[1024];
	int64_t id = e->id;
	int ret;

	pthread_mutex_lock(&r->lock);
	e->run_at = e->run_from;
	if (!e->map)
		e->map = calloc(1, e->map_len);
	ret = e->map ? 0 : -ENOMEM;
	pthread_mutex_unlock(&r->lock);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!ret)
		ret = range_read(r, e, cur, &s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_lock(&r->lock);
	recall_rate_note(t, s.at - at0, &t0, &t1);
	r->used -= s.reserved; /* a chunk begun and not checked */
	range_row(e, &ce);     /* before e may be freed */
	snprintf(path, sizeof(path), "%s", e->path ? e->path : "");
	if (ret)
		why = range_failed(r, e, &s, ret);
	else
		range_done(r, e, &c);
	recall_progress(r);
	pthread_mutex_unlock(&r->lock);
	if (ce.present && ret && s.local) /* its chunks went: fail_local */
		catalog_cache_remove(r->fs->cat, id);
	else if (ce.present)
		catalog_cache_put(r->fs->cat, &ce);
	free((void *)ce.map);
	if (ret != -ECANCELED)
		recall_log_attempt(r, path, id, &c, drive, s.at - at0,
				   (int64_t)at0, recall_seconds(&t0, &t1), why);
}
