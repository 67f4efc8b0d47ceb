/* fs/engine/recall_int.h - what the files of the recall engine share. Not
 * for other modules: their API is fs/engine/recall.h.
 *
 *   recall.c         the members the engine knows (hash, LRU, eviction),
 *                    the request queue of each tape, and the reader-facing
 *                    API (open, read, release, state, request)
 *   recall_copies.c  which copies a member has and which to read first
 *   recall_job.c     the job of one tape on a drive: its queue served in
 *                    block order, each member read into the cache
 *   recall_start.c   start and stop of the engine
 *   recall_cache.c   the cache directory on disk and the catalog's rows
 *   recall_snap.c    the figures and the queue the namespace renders
 *   recall_wait.c    reads parked until their bytes are in the cache, and
 *                    the replier thread that answers them
 *   recall_batch.c   the batch worker: `.recall` requests resolved to
 *                    members (directories walked) off the request thread,
 *                    kept in the catalog, and their rows deleted when done
 *   recall_range.c   byte ranges: runs of checked chunks into a sparse
 *                    cache file with a chunk map
 *   recall_durable.c members read whole made durable off the drive's
 *                    path by syncer threads: their files' fdatasync, then
 *                    their cache rows grouped in one catalog transaction
 *   recall_ahead.c   the cache file of the member a job reads next made
 *                    ahead by a thread of its own
 *   recall_check.c   the MD5 of the members a job reads whole, on a thread
 *                    beside the drive's, and each member finished there
 *   recall_hosts.c   recalls across the hosts sharing a catalog: requests
 *                    for a tape in another host's drive handed to it, and
 *                    the requests other hosts handed served here
 */
#ifndef TAPEFS_RECALL_INT_H
#define TAPEFS_RECALL_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fs/engine/recall.h"
#include "fs/engine/tapefs.h"
#include "tapeio/ahead.h"
#include "tapeio/changer.h"
#include "tapeio/md5.h"
#include "tapeio/ring.h"
#include "tapeio/sched.h"

struct catalog;
struct catalog_cache_entry;
struct rdurable;
struct rahead;
struct tarr_cursor;

#define RECALL_RESULTS_MAX 64 /* recent results shown by `.recall` */

enum est {
	E_IDLE,	   /* only on tape (or failed: err says why) */
	E_QUEUED,  /* waiting in a tape's queue */
	E_READING, /* being read from tape into m<ID>.part */
	E_CACHED,  /* whole and checked: m<ID> */
};

struct rcopy {
	char barcode[40];
	int64_t fileno;
	uint64_t start_lblock, header_offset, block;
	uint64_t data_offset; /* of the member, from the archive's start */
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
	char *path; /* for messages; NULL for entries found cached */
	enum est st;
	int err;	  /* E_IDLE after a failed recall: -EIO, else 0 */
	uint64_t present; /* bytes of the current attempt on disk */
	unsigned gen;	  /* attempt number: a new .part file each */
	int opens;	  /* open handles */
	int nwait;	  /* parked reads (recall_wait.c) */
	int batch;	  /* a `.recall` request wants it whole */
	int prio;	  /* its `.recall` priority (0..RECALL_PRIO_MAX) */
	int64_t row;	  /* its request's catalog row (recall_request), 0 */
	/* Across hosts (recall_hosts.c): a member queued on a tape in another
	 * host's drive is handed over, E_QUEUED on no tape's queue: hrow is
	 * the free request row written for it (-1 until written), hsince
	 * when (monotonic ms). local: taken back, served here (its copies
	 * in other hosts' drives tried last), never handed again. */
	int64_t hrow;
	int64_t hsince;
	int64_t hgone; /* its row found gone without a whole cache entry
			  (monotonic ms; the entry may follow), 0 */
	int local;
	/* Byte ranges (recall_range.c): a member with chunk digests is read
	 * chunk by chunk; map has a bit per chunk in the cache, checked */
	uint32_t nchunks; /* chunks with digests; 0: read whole only */
	uint32_t chunk_size;
	unsigned char *digests; /* nchunks * 16, loaded with path */
	unsigned char *map;	/* NULL: no chunk (or wholly cached) */
	size_t map_len;		/* (nchunks + 7) / 8 */
	int ranged;		/* the recall queued or running is a run of
				   chunks from run_from (else whole) */
	uint32_t run_from, want_hi, run_at; /* the run: first chunk, last
					       one a reader wants, the one
					       being read */
	uint64_t qblock; /* the record its queued recall starts in */
	uint32_t qoff;	 /* and the byte there (members sharing a record
			    are read in the order they lie in it) */
	int64_t last_access;
	int64_t touched; /* last_access last written to the catalog */
	struct rcopy *copies;
	int ncopies, next;    /* copies[next] is the one to try */
	char *failed;	      /* "A00001L9: unreadable; B00001L9: ..." of the
				 attempts so far, NULL when none failed (an
				 entry per cached file: keep it small) */
	struct rentry *hnext; /* hash chain (and index_lock) */
	struct rentry *lru_prev,
	    *lru_next; /* on the LRU list: cached, closed */
	int on_lru;
};

/* The queue of one tape, and whether a job serves it. */
struct rtape {
	char barcode[CHANGER_BARCODE_MAX];
	struct rentry **q;
	size_t n, cap;
	int job;	 /* a job is submitted and has not left its loop */
	struct rjob *rj; /* that job (its priority may be raised) */
	double rate;	 /* bytes/s of its last reads, 0 unknown (ETAs) */
	struct timespec last_add;
	/* requests added one after the other in tape order since the queue
	 * was last empty (0 once one came before the one added before it),
	 * and where the last one added starts */
	size_t in_order;
	uint64_t last_qblock;
	uint32_t last_qoff;
	struct rtape *next;
};

/* A read waiting for its bytes (recall_wait.c): on recall.waiters. */
struct rwait {
	uint64_t token;
	struct recall_handle *h;
	uint64_t off, end;
	recall_reply_fn fn;
	void *arg;
	int armed; /* may be answered (recall_read_arm) */
	struct rwait *prev, *next;
};

/* A `.recall` request the batch worker resolves (recall_batch.c). */
struct rbatch {
	enum recall_op op;
	int64_t archive; /* 0: archive/ */
	char *path;
	char prefer[40];
	int priority;
	int dir;     /* path is a directory (walked) */
	int64_t row; /* a directory request's catalog row, 0 */
	struct rbatch *next;
};

/* One member read whole on a drive, to be finished once its MD5 is known
 * (recall_check.c, then recall_serve_done()). */
struct rdone {
	struct rtape *t;
	struct rentry *e; /* E_READING until finished */
	struct rcopy c;	  /* the copy read */
	int ret;	  /* the read: 0 or -errno (-EBADMSG once checked) */
	int local;	  /* the error is the cache's, not the tape's */
	int fd;		  /* its m<ID>.part, open; -1 */
	unsigned char *digests; /* chunk digests made as it was read
				   (malloc'ed), NULL */
	int drive;
	struct timespec t0, t1; /* the read */
};

/* The checker of one job (recall_check.c): the MD5 of each member read
 * whole, on a thread beside the drive's. */
struct rcheck {
	struct recall *r;
	struct ring ring; /* pieces, then each member's end: one consumer */
	struct ahead_job job;
	struct md5 h;	    /* the member being hashed */
	int err;	    /* md5_init() failed: every member fails with it */
	int on;		    /* a thread checks; 0: the job, inline */
	pthread_mutex_t mu; /* guards done */
	pthread_cond_t cond;
	int done; /* the thread is finished with this struct */
};

struct rjob {
	struct sched_job job;
	struct recall *r;
	struct rtape *t;
	int finished; /* left its loop: the tape's queue is not its own */
	struct rcheck check; /* while it runs */
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
	pthread_cond_t cond; /* progress of any recall; jobs ending */
	struct rentry **hash;
	size_t nbuckets, nentries;
	struct rentry *lru_head, *lru_tail; /* least recently used first */
	uint64_t used; /* bytes cached + reserved by reads */
	struct rtape *tapes;
	size_t queued; /* members queued or reading */
	int refs;      /* 1 for the mount + 1 per outstanding job */
	int running;   /* jobs inside their run callback */
	int stopping;
	/* parked reads, newest first, and the replier that answers them */
	struct rwait *waiters;
	size_t nwaiters;
	uint64_t next_token;
	pthread_t replier;
	int replier_on, replier_stop;
	int wake; /* something changed: the replier looks at every read */
	pthread_cond_t wake_cond;
	/* `.recall` requests for the batch worker, oldest first */
	struct rbatch *batch_head, *batch_tail;
	size_t nbatch; /* queued or being resolved */
	/* catalog rows of requests served, failed or cancelled: the batch
	 * worker deletes them */
	int64_t *rows_done;
	size_t nrows_done, rows_cap;
	unsigned per_tape; /* requests one mount of a tape serves, 0: all */
	pthread_t batcher;
	int batcher_on;
	struct rdurable *durable; /* the syncers (recall_durable.c) */
	struct rahead *ahead;	  /* the maker of files (recall_ahead.c) */
	pthread_cond_t batch_cond;
	/* across hosts (recall_hosts.c): the entries handed over, and the
	 * thread that hands, watches and serves (only on a joined host) */
	struct rentry **handed;
	size_t nhanded, handed_cap;
	int64_t hand_back_ms; /* a handed request no host took for this long
				 is taken back */
	pthread_t hosts;
	int hosts_on, hosts_stop;
	pthread_cond_t hosts_cond;
	struct recall_result results[RECALL_RESULTS_MAX];
	unsigned nresults; /* total ever; ring index = n % RECALL_RESULTS_MAX */
};

struct recall_handle {
	struct recall *r;
	struct rentry *e;
	int fd;
	unsigned fd_gen;   /* attempt whose file fd is */
	unsigned seen_gen; /* attempt of unchecked bytes served, 0 = none */
	int interrupted;   /* a read of it was taken back: its reader was
			      killed, and its close may end the recall */
	unsigned replying; /* its reads the replier is answering (fd in
			      use) */
	char prefer[40];   /* the copy its path names, "" */
};

static inline int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* Writers of the two fields the index readers see (lock held). */
static inline void entry_state_set(struct rentry *e, enum est st)
{
	__atomic_store_n(&e->st, st, __ATOMIC_RELAXED);
}

/* A mount's kernel is told when the bytes held go from none to some, to
 * all, or back (st_blocks: tapefs_member_changed()); not of every part. */
static inline void entry_present_set(struct recall *r, struct rentry *e,
				     uint64_t present)
{
	uint64_t was = e->present;

	__atomic_store_n(&e->present, present, __ATOMIC_RELAXED);
	if ((was == 0) != (present == 0) ||
	    (was == e->size) != (present == e->size))
		tapefs_member_changed(r->fs, e->id);
}

/* The catalog row of a request is done with (lock held): deleted later by
 * the batch worker. */
void recall_row_done(struct recall *r, int64_t row);
static inline void entry_row_done(struct recall *r, struct rentry *e)
{
	if (e->row)
		recall_row_done(r, e->row);
	e->row = 0;
	e->batch = 0;
	e->prio = 0;
}

/* A reader may use a recall's progress (lock held): the replier looks at
 * the parked reads, when there are any (waking it for none would hand the
 * lock to it and back for every piece a drive brings). */
void recall_wake(struct recall *r);
static inline void recall_progress(struct recall *r)
{
	pthread_cond_broadcast(&r->cond);
	if (r->nwaiters)
		recall_wake(r);
}

/* Members evicted under the lock, whose catalog rows go after it. */
struct evicted {
	int64_t *ids;
	size_t n, cap;
};

/* ---- recall.c (r->lock held unless said otherwise) ---------------------- */

/* The entry of member id, NULL when the engine holds none. */
struct rentry *recall_entry_find(struct recall *r, int64_t id);

/* Put e last on the LRU list (cached and closed). */
void recall_lru_append(struct recall *r, struct rentry *e);

/* The next slot of the recent results, cleared, its time set and its
 * path "?": the caller fills what it knows. */
struct recall_result *recall_result_next(struct recall *r,
					 enum recall_outcome what,
					 const char *path);

/* The entry of a member found in the cache at start-up (recall_cache_fn;
 * before anything else can see r, so without the lock). */
void recall_found_cached(void *arg, int64_t id, uint64_t size, uint64_t present,
			 const unsigned char *map, size_t map_len,
			 int64_t last_access);

/* Make room for need more bytes, evicting least recently used closed
 * files (their rows in ev). A file being recalled or open is never
 * evicted; when those alone exceed the limit the cache goes over it until
 * they are closed. */
void recall_cache_make_room(struct recall *r, uint64_t need,
			    struct evicted *ev);

/* The catalog side of evictions; called without the lock. */
void recall_evicted_commit(struct recall *r, struct evicted *ev);

/* The attempt on e->copies[e->next] failed for reason why: try the next
 * copy, or give up and fail every reader with -EIO. */
void recall_fail_attempt(struct recall *r, struct rentry *e, const char *why);

/* Start a recall of e (idle): copies loaded (prefer first), queued.
 * Lock held. 0 or -errno. */
int recall_entry_recall(struct recall *r, struct rentry *e, const char *prefer);
/* Queue e (being read) again for its next run, on its copies[next]. */
void recall_entry_requeue(struct recall *r, struct rentry *e);

/* A read of e was taken back or e closed: a recall queued for nobody (no
 * read, open handle or `.recall` request wants it) leaves its queue. */
void recall_unwanted(struct recall *r, struct rentry *e);

/* ---- recall_range.c ------------------------------------------------------ */

/* 1 when chunk k of e is in the cache, checked. */
int recall_chunk_has(const struct rentry *e, uint32_t k);
/* 1 when every chunk holding [off, end) of e is in the cache, checked. */
int recall_chunks_cover(const struct rentry *e, uint64_t off, uint64_t end);
/* Where e's queued recall starts: qblock, the record of the member's
 * header (for a run, of its first chunk's first byte) and qoff, that
 * byte's offset in the record. */
void recall_entry_place(struct rentry *e);
/* Load e's chunk digests from the catalog (none: it is read whole). Lock
 * held. 0 or -errno. */
int recall_chunks_load(struct recall *r, struct rentry *e);
/* A read of [off, end) of e waits: make sure a recall brings those bytes
 * (a run from the first chunk missing, or the whole member; prefer: the
 * copy to read first). Lock held. 0, or -errno when none can. */
int recall_want(struct recall *r, struct rentry *e, const char *prefer,
		uint64_t off, uint64_t end);
/* e is to be recalled whole (a `.recall` request): a run from its first
 * chunk missing to its end when it has chunk digests. Lock held. */
void recall_range_whole(struct rentry *e);
/* The job's side: read e's run of chunks from the tape in the drive, then
 * publish, requeue, leave it partly cached or fail the attempt. Called
 * without the lock. */
void recall_serve_range(struct recall *r, struct rtape *t, struct rentry *e,
			struct tarr_cursor *cur, int drive);

/* ---- recall_job.c (lock held) -------------------------------------------- */

/* The log of one attempt at copy c: an audit line for bytes served (a
 * whole member, offset -1; or a range from offset), a warning for a copy
 * that failed (why: the next copy is tried). path "" names the member by
 * its id. Called without the lock. */
void recall_log_attempt(struct recall *r, const char *path, int64_t id,
			const struct rcopy *c, int drive, uint64_t bytes,
			int64_t offset, double seconds, const char *why);
/* Seconds from t0 to t1 (CLOCK_MONOTONIC). */
double recall_seconds(const struct timespec *t0, const struct timespec *t1);
/* What t's reads run at, for the ETAs `.recall` shows: bytes read between
 * t0 and t1, averaged with what was seen before. */
void recall_rate_note(struct rtape *t, uint64_t bytes,
		      const struct timespec *t0, const struct timespec *t1);
/* e is whole in its cache file m<ID>, read from copy c: cached from now
 * on (its row is the caller's to write). */
void recall_publish(struct recall *r, struct rentry *e, const struct rcopy *c);

/* ---- recall_wait.c ------------------------------------------------------- */

/* recall_range_ready: may [off, end) of h be served now? 1 yes, 0 wait,
 * -errno: fail the read. */
int recall_range_ready(struct recall_handle *h, uint64_t off, uint64_t end);
/* Before h goes: its parked reads are taken off the list (answered with
 * -ESHUTDOWN; only a session that ended holds any) and the replies in
 * flight on its descriptor are waited for. Lock held (and dropped while
 * waiting); may answer reads, so it is called from no reply callback. */
void recall_handle_quiesce(struct recall *r, struct recall_handle *h);
/* The replier thread: started with the engine, stopped once no read is
 * parked. */
int recall_replier_start(struct recall *r);
void recall_replier_stop(struct recall *r);

/* Submit a job for t unless one serves it (sched_submit() never waits).
 * 0 or -errno. */
int recall_tape_kick(struct recall *r, struct rtape *t);

/* recall_request() of a `.recall` request kept in the catalog as row (0:
 * none): the row is deleted once the member is cached, failed or the
 * request cancelled. Lock not held. */
int recall_request_row(struct recall *r, int64_t member_id, const char *prefer,
		       int priority, int64_t row);

/* ---- recall_batch.c ------------------------------------------------------ */

/* recall_batch_add() of a directory request kept as catalog row (resumed
 * at start). */
int recall_batch_add_row(struct recall *r, int64_t archive, const char *path,
			 const char *prefer, int priority, int64_t row);
int recall_batcher_start(struct recall *r);
/* Drop what is queued and join the worker (stopping is set). */
void recall_batcher_stop(struct recall *r);

/* The cache cannot take e's bytes: fail its readers with err, read no
 * other copy. */
void recall_fail_local(struct recall *r, struct rentry *e, int err);

/* ---- recall_copies.c ----------------------------------------------------- */

/* Load e's copies from the catalog (copies on tapes marked lost left out)
 * in the order to try them: the preferred tape first, else a tape with a
 * queue already, else one in a drive, else the catalog's order. Lock held.
 * 0, -EIO (no copy left: reported with tapefs_error; or the catalog),
 * -ENOMEM. */
int recall_copies_load(struct recall *r, struct rentry *e, const char *prefer);

/* Is barcode in one of this host's drives now? */
int recall_tape_loaded(struct recall *r, const char *barcode);

/* ---- recall_hosts.c ------------------------------------------------------ */

/* Start the thread of recalls across hosts when fs joined a host (else
 * nothing). 0 or -errno. */
int recall_hosts_start(struct recall *r);
/* Stop it (stopping is set): requests handed stay in the catalog, for
 * the host that took them or the next that can. Called without the
 * lock. */
void recall_hosts_stop(struct recall *r);
/* The request row of e handed over came back to this host (taken here:
 * a take-over of the lease of a host that died, or its tape is now in
 * one of our drives): e is served here (row becomes its request). Lock
 * held. 0 or -errno. */
int recall_hosts_back(struct recall *r, struct rentry *e, int64_t row);
/* ---- recall_durable.c ---------------------------------------------------- */

/* Start the engine's syncers (threads making members read whole durable
 * off the drive's path). 0 or -errno. */
int recall_durable_start(struct recall *r);
/* Member id (attempt gen) is cached in the file open as fd, its row ce,
 * and served `.recall` request row (0: none): the syncers take fd,
 * fdatasync it, then write its row (if it is still cached as read) and
 * delete the request in one catalog transaction with the others flushed
 * meanwhile; a file the disk did not take is dropped from the cache.
 * Past a few hundred members waiting, fd is closed at once and the file
 * opened again by its name ce->file to be flushed (the open-files limit);
 * one no longer there then (evicted or released) gets no row. Waits only
 * while too many members (thousands) are not durable yet: the drive reads
 * on while the disk flushes. Called without the lock. 0, or -ENOMEM
 * (nothing taken: the caller does it alone). */
int recall_durable_add(struct recall *r, int64_t id, unsigned gen, int fd,
		       int64_t row, const struct catalog_cache_entry *ce);
/* For tests: hold at most n descriptors of members waiting (256 unless
 * set), so that those past them are flushed by name. */
void recall_durable_set_fds(struct recall *r, size_t n);
/* Members handed and whose rows are not written yet (any lock or none). */
size_t recall_durable_pending(const struct recall *r);
/* Until every member handed so far is durable and its row written. Called
 * without the lock. */
void recall_durable_wait(struct recall *r);
/* Make what was handed durable and end the syncers (the engine stops: no
 * job runs any more). Called without the lock. */
void recall_durable_stop(struct recall *r);

/* ---- recall_ahead.c ------------------------------------------------------ */

/* Start and stop the maker thread (stop: no job runs any more; the files
 * made and not taken are removed). 0 or -errno. */
int recall_ahead_start(struct recall *r);
void recall_ahead_stop(struct recall *r);
#define RECALL_AHEAD_WANT 4 /* files a job asks to be made ahead */
/* A job will read members ids[0..n) whole next, in that order: make their
 * m<ID>.part now (the files asked for before and not made yet are no
 * longer wanted). Lock held or not. */
void recall_ahead_want(struct recall *r, const int64_t *ids, int n);
/* The descriptor of m<ID>.part made for member id (new, empty), or -1:
 * the caller creates it, and the maker will not. Lock not held. */
int recall_ahead_take(struct recall *r, int64_t id);

/* ---- recall_check.c ------------------------------------------------------ */

/* Start k for a job of r: on a thread of tapeio's pool, or (none could be
 * made) inline. Never fails: without an MD5 context every member fails. */
void recall_check_start(struct rcheck *k, struct recall *r);
/* len bytes of the member being read, in order: hashed (a copy is
 * handed to the thread; waits while CHECK_SLOTS pieces wait). */
void recall_check_data(struct rcheck *k, const void *buf, size_t len);
/* The member's read ended (d, copied): once its bytes are hashed, its
 * MD5 is compared with the catalog's and recall_serve_done() finishes it
 * (on the thread, or now when inline). Called without the lock. */
void recall_check_end(struct rcheck *k, const struct rdone *d);
/* Every member handed finished; the thread is done with k. Called
 * without the lock. */
void recall_check_stop(struct rcheck *k);

/* ---- recall_job.c -------------------------------------------------------- */

/* Finish a member read whole (d->ret: its read and MD5 check): renamed
 * to m<ID> and published as cached, handed to the syncers, logged; or the
 * attempt failed (next copy, or the cache's error to its readers). d->fd
 * and d->digests are taken. Called without the lock. */
void recall_serve_done(struct recall *r, struct rdone *d);

/* The job serving one tape's queue (sched_job.run and .done; job.arg is a
 * struct rjob). */
int recall_job_run(struct sched_job *job, const struct sched_run *run);
void recall_job_done(struct sched_job *job, int result);

/* ---- recall_start.c ------------------------------------------------------ */

/* Free r and everything it holds (the last reference gone). */
void recall_free(struct recall *r);

/* ---- recall_cache.c: the cache on disk ----------------------------------- */

/* Name of member_id's cache file: "m<ID>", or "m<ID>.part" while it is
 * being recalled. */
void recall_cache_name(int64_t member_id, int part, char *buf, size_t len);

/* Called once per cached member found on disk, LRU first: whole (present
 * = size, map NULL) or partly (map: the chunks present, valid during the
 * call). */
typedef void (*recall_cache_fn)(void *arg, int64_t member_id, uint64_t size,
				uint64_t present, const unsigned char *map,
				size_t map_len, int64_t last_access);

#define RECALL_CACHE_SUBDIR "tapefs-cache" /* the files' directory */

/* Create the cache directory dir and the engine's own directory inside it
 * (RECALL_CACHE_SUBDIR, 0700; a symlink there is refused: -ELOOP or
 * -ENOTDIR) when missing, and make it agree with the catalog: catalog
 * entries whose file is missing or not of the member's size, or that are
 * neither whole nor partial with the map of their chunks, are removed;
 * files of the engine's naming no entry claims (a .part file a crash
 * left) are deleted, and nothing else; each good entry is reported to fn.
 * On success *dirfd is the engine's directory's fd (the caller closes
 * it). Returns 0 or -errno. */
int recall_cache_open(const char *dir, struct catalog *cat, int *dirfd,
		      recall_cache_fn fn, void *arg);

#endif
