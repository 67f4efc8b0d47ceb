/* fs/engine/recall.h - recall: reading an archived file returns its bytes from
 * the recall cache, recalling it from tape first when needed (SPEC 3.4, 3.5).
 *
 * The engine is plain C with pthreads (no FUSE headers). The mount calls it
 * from open/read/release/getattr/getxattr of archived files (archive/ and
 * tapes/LABEL/NNNN/); fs/ns/ns_recall.c serves the `.recall` control file
 * and renders the engine's figures (recall_stats, recall_snapshot). Its
 * files are fs/engine/recall*.c (fs/engine/recall_int.h says which holds
 * what).
 *
 * How a recall runs: recall_open() of a member that is not fully cached
 * and has no chunk digests queues a request for it; a member with chunk
 * digests (tapeio/chunk.h) is recalled by ranges, from the chunk holding
 * the first byte a read wants. Requests are grouped per tape and served
 * in tape position order by one recall job per tape, run by the drive
 * scheduler at the highest priority (URGENT for a tape holding a
 * `.recall` request with a priority). On the drive the job locates
 * straight to each member's block (or to the record holding its chunk)
 * and streams just that entry (those chunks) into a cache file while
 * hashing it; readers waiting for a byte range are answered as soon as
 * that range is on disk (and checked, chunk by chunk, for ranges). A
 * member read whole has its MD5 compared with the catalog's at its end: a
 * mismatch or an unreadable record discards the cache file and the next
 * copy (another tape) is tried (a bad chunk: the next copy from that
 * chunk on); only when every copy failed do the waiting reads fail with
 * -EIO, and `.status` gets an error naming the member and the tapes that
 * failed (tapefs_error). A cache that cannot take the bytes fails the
 * reads with its own errno (ENOSPC) and no other copy is read.
 *
 * The cache: files under cfg.cache, at most cfg.cache_size bytes in all;
 * least recently used files that are neither open nor being recalled are
 * evicted to make room; recall_drop() (`release PATH`) drops one now.
 * Which members are cached (wholly, or which chunks) is kept in the
 * catalog's cache entries, so the cache survives a remount; a file left
 * half-recalled whole by a crash is discarded at start-up. Cache files are
 * opened per open handle only, never one fd per cached file. `.recall`
 * requests are kept in the catalog until served, cancelled or failed.
 *
 * THREADS - what the mount must do: nothing that holds a thread. A read
 *   whose bytes are not in the cache yet is parked in the engine
 *   (recall_read_submit) and answered later by the engine's replier
 *   thread through the mount's reply function: the request thread goes
 *   back to serve other requests at once, so a crowd of readers waiting
 *   for a tape costs no threads and `ls`/`stat` keep answering. The mount
 *   registers what answers an interrupt before it arms the read
 *   (recall_read_arm), and recall_read_cancel() takes a killed reader's
 *   read back. No other function the mount calls from a request waits for
 *   a drive or the robot (recall_stop() does, at unmount): recall_open()
 *   only queues (the scheduler's sched_submit() never blocks), `.recall`
 *   requests are resolved by the engine's batch worker, and
 *   recall_state() and recall_cached_bytes(), which getattr and getxattr
 *   of every archived file call, do not even wait for the engine's lock.
 *   Open members with fi->keep_cache = 0 and direct_io unless wholly
 *   cached: a large member is served while it streams in, before its MD5
 *   can be checked; if that copy then proves bad, the reader gets -EIO
 *   and the next open must not find the bad copy's pages in the kernel's
 *   page cache. (Members up to RECALL_STREAM_MIN bytes are only served
 *   once checked.)
 *
 * All functions return 0 (or a count) on success and -errno on failure.
 */
#ifndef TAPEFS_RECALL_H
#define TAPEFS_RECALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tapefs;
struct recall;
struct recall_handle;

/* Members larger than this are served while they stream in from tape;
 * smaller ones only once whole and MD5-checked. */
#define RECALL_STREAM_MIN (16u << 20)

/* Start the engine: open the cache directory (created if missing), drop
 * half-recalled files left by a crash, reconcile the catalog's cache
 * entries with the files present, and set fs->recall. Needs fs->cat and
 * fs->sched. Returns 0 or -errno (with a message on stderr). */
int recall_start(struct tapefs *fs);

/* Stop: fail every waiting read and queued request with -ESHUTDOWN, wait
 * for running recall jobs to end (a half-filled cache file is discarded),
 * free the engine and set fs->recall to NULL. Safe when never started. */
void recall_stop(struct tapefs *fs);

/* Queue the `.recall` request kept in the catalog's row (a request a host
 * that died left: host.c took it over), as a start-up resumes its own.
 * 0, -ENOENT when the row is gone (served), -ESHUTDOWN without engine. */
int recall_resume(struct tapefs *fs, int64_t row);

/* Open member_id (a catalog member id of a regular file) for reading.
 * When the member is fully cached, this only opens the cache file.
 * Otherwise:
 *   nonblock (O_NONBLOCK in the open flags): returns -EAGAIN, queues
 *     nothing, and the file stays offline (SPEC 3.4);
 *   else: queues a recall (or joins one in progress) and returns at once;
 *     recall_read() waits for the bytes.
 * prefer: barcode of the copy to try first (the tape a tapes/LABEL/...
 *   path names), or NULL for the engine's choice. Bytes are the same from
 *   any copy (MD5 checked); other copies are the fallback.
 * On success *out is a new handle (store it in fi->fh), freed by
 * recall_release(). Returns 0, -EAGAIN, -ENOENT (no such member),
 * -EISDIR / -EINVAL (not a regular file), -EIO (no copy left on any tape
 * not marked lost: also reported with tapefs_error(); or a catalog error),
 * -ESHUTDOWN, -ENOMEM. */
int recall_open(struct recall *r, int64_t member_id, int nonblock,
		const char *prefer, struct recall_handle **out);

/* How a read is answered: n bytes at buf (n >= 0: short only at end of
 * file, 0 at or past it, as a regular file), or n = -errno: -EIO when
 * every copy failed, or when the handle was served bytes of a copy that
 * then failed its check (the next open reads the good copy), -ESHUTDOWN
 * on unmount, -ENOMEM. buf is valid during the call only. Called exactly
 * once per read; on the submitter's thread or on the engine's. */
typedef void (*recall_reply_fn)(void *arg, const void *buf, ssize_t n);

/* A read of size bytes at off. When it can be answered now (its bytes are
 * in the cache: bytes already recalled are served at once while the rest
 * arrives, for members over RECALL_STREAM_MIN; the last byte is always
 * held back until the MD5 matched, so a reader never sees the end of an
 * unchecked file; or it fails), fn(arg, ...) is called before this
 * returns and 0 is returned. Else the read is parked, *token names it and
 * 1 is returned: the engine answers it through fn once armed with
 * recall_read_arm(), from its own thread. Several reads of one handle may
 * be in flight; the handle must outlive them. */
int recall_read_submit(struct recall_handle *h, size_t size, off_t off,
		       recall_reply_fn fn, void *arg, uint64_t *token);

/* Let the engine answer the parked read token (from now on, possibly
 * before this returns). A token already taken back is ignored. */
void recall_read_arm(struct recall *r, uint64_t token);

/* Take the parked read token back (its reader was interrupted): 1 when it
 * was still parked, and then the caller answers it (fn is never called
 * for it); 0 when it is answered or being answered. The recall goes on
 * for the other readers, for open handles and for `.recall` requests; a
 * recall nobody wants any more leaves its queue (one on a drive ends its
 * member, or its chunk). */
int recall_read_cancel(struct recall *r, uint64_t token);

/* recall_read_submit() waited for on the calling thread: the count read
 * into buf, or -errno as above. For callers with a thread to spare (tests,
 * tools); never from a request thread of the mount. */
ssize_t recall_read(struct recall_handle *h, void *buf, size_t size, off_t off);

/* Close the handle (its cache fd) and mark the file recently used. */
void recall_release(struct recall_handle *h);

/* Bytes of member_id held in the cache now (0..size), for st_blocks:
 * st_blocks = (recall_cached_bytes() + 511) / 512. Never touches a tape,
 * never blocks on one, never waits for the engine's lock (only for a
 * lookup in its index). 0 when r is NULL. */
uint64_t recall_cached_bytes(struct recall *r, int64_t member_id);

enum recall_state {
	RECALL_OFFLINE,	  /* only on tape: "archived" (or "verified") */
	RECALL_RECALLING, /* queued or being read from tape: "recalling" */
	RECALL_CACHED,	  /* whole and checked in the cache: "cached" */
	RECALL_PARTIAL,	  /* some chunks in the cache, none being read:
			     "archived" (DMF's PAR) */
};

/* State of member_id for user.tapefs.state. Never touches a tape, never
 * waits for the engine's lock (as recall_cached_bytes()). */
enum recall_state recall_state(struct recall *r, int64_t member_id);

/* Queue member_id for recall without opening it (`.recall` batches);
 * prefer as in recall_open(). priority (0..RECALL_PRIO_MAX): within a
 * tape's queue higher priorities are read first, and a tape whose queue
 * holds a request of priority above 0 goes before the other tapes at the
 * next tape change. Returns 0 (queued, already queued or already cached),
 * -ENOENT, -EISDIR (a directory), -ESHUTDOWN. Kept in memory only (the
 * batch worker keeps `.recall` requests in the catalog). */
int recall_request(struct recall *r, int64_t member_id, const char *prefer,
		   int priority);

/* Take back the `.recall` request of member_id (`cancel PATH`): a member
 * still queued leaves its queue unless a reader or an open handle wants
 * it. 0, -ENOENT (no `.recall` request of it), -EBUSY (being read from
 * tape: that read ends normally). */
int recall_cancel(struct recall *r, int64_t member_id);

/* Drop the cached copy of member_id now (`release PATH`; DMF's `dmput
 * -r`): its cache file and catalog row go, st_blocks is 0 and its state
 * offline. Done whatever handles are open: their next read of a byte not
 * in the kernel's page cache recalls it again. A member being recalled
 * (queued or on a drive) is left alone. 0, or -EBUSY for such a member. */
int recall_drop(struct recall *r, int64_t member_id);

/* What a `.recall` line asks of a file or of every file below a
 * directory. */
enum recall_op {
	RECALL_OP_RECALL,  /* queue it (recall_request) */
	RECALL_OP_CANCEL,  /* drop its queued request (recall_cancel) */
	RECALL_OP_RELEASE, /* drop its cached copy (recall_drop) */
};
#define RECALL_PRIO_MAX 9 /* priorities of `.recall` requests: 0..9 */

/* Hand a `.recall` request to the engine's batch worker, which resolves
 * path (in archive, or archive/ when archive is 0; dir: it names a
 * directory) to its members, walking a directory, off the caller's
 * thread; `.recall` counts it as queued meanwhile. A recall is kept in
 * the catalog until served, cancelled or failed (a restart resumes it).
 * prefer: as in recall_open(), or NULL. 0, -ENOMEM, -ESHUTDOWN. */
int recall_batch_add(struct recall *r, enum recall_op op, int64_t archive,
		     const char *path, const char *prefer, int priority,
		     int dir);

/* One of the recent results `.recall` shows. */
enum recall_outcome {
	RECALL_DONE,   /* read and checked: path from barcode, file fileno */
	RECALL_FAILED, /* every copy failed: text names each tape and why */
	RECALL_NOTE,   /* a line recall_note() added: text */
};
struct recall_result {
	int64_t when;
	enum recall_outcome what;
	char path[300]; /* DONE, FAILED: the member, "?" when unknown */
	char barcode[40];
	int64_t fileno;
	char text[300];
};

/* Add a line to the recent results `.recall` shows (a refused request). */
void recall_note(struct recall *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Figures for `.status` (fs/ns/ns_recall.c renders them). */
struct recall_stats {
	size_t queued;	/* members queued or being read */
	size_t waiting; /* reads parked until their bytes are cached */
	uint64_t used;	/* bytes in the cache, and reserved by reads */
	uint64_t limit; /* cfg.cache_size; UINT64_MAX when unlimited */
};
void recall_stats(struct recall *r, struct recall_stats *out);

/* What the engine is doing, taken at one instant, for reading `.recall`
 * (fs/ns/ns_recall.c renders it). Paths are copies ("?" when unknown). */
struct recall_snap_member {
	uint64_t block; /* where on its tape: start lblock + header block */
	int priority;
	uint64_t present, size; /* bytes in the cache already, of size */
	int64_t eta;		/* seconds until it is cached, -1 unknown */
	char *path;
};
struct recall_snap_tape {
	char barcode[40];
	int served;  /* a job serves the queue (else waiting for a drive) */
	double rate; /* bytes/s of its reads, 0 unknown */
	size_t n;    /* members queued */
	struct recall_snap_member *m; /* in block order */
};
struct recall_snap_read {
	char *path;
	char barcode[40];
	uint64_t present, size; /* bytes on disk so far, of size */
	int64_t eta;		/* seconds until it is cached, -1 unknown */
};
struct recall_snap {
	size_t queued;	  /* members queued or being read, and
			     `.recall` requests being resolved */
	size_t resolving; /* those requests */
	size_t syncing;	  /* members cached, not yet durable (their cache rows
			     and served requests not yet in the catalog) */
	size_t handed;	  /* members queued on tapes in other hosts' drives,
			     handed to those hosts (docs/multi-host.md) */
	struct recall_snap_tape *tapes; /* tapes with a queue */
	size_t ntapes;
	struct recall_snap_read *reading; /* members being read now */
	size_t nreading;
	struct recall_result *recent; /* the last results, oldest first */
	size_t nrecent;
};
/* Fill *out (free it with recall_snap_release()). 0, -ENOMEM (*out is
 * then empty). */
int recall_snapshot(struct recall *r, struct recall_snap *out);
void recall_snap_release(struct recall_snap *s);

#endif
