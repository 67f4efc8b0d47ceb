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
 * queues a request for it. Requests are grouped per tape and served in tape
 * position order (start lblock + header_offset / block_size) by one recall
 * job per tape, run by the drive scheduler at the highest priority. On the
 * drive the job locates straight to each member's block and streams just
 * that entry into a cache file while hashing it; readers waiting for a byte
 * range wake up as soon as that range is on disk. At the end the MD5 is
 * compared with the catalog's: a mismatch or an unreadable record discards
 * the cache file and the next copy (another tape) is tried; only when every
 * copy failed do the waiting reads fail with -EIO, and `.status` gets an
 * error naming the member and the tapes that failed (tapefs_error).
 *
 * The cache: files under cfg.cache, at most cfg.cache_size bytes in all;
 * least recently used files that are neither open nor being recalled are
 * evicted to make room. Which members are cached is kept in the catalog's
 * cache entries, so the cache survives a remount; a file left half-recalled
 * by a crash is discarded at start-up. Cache files are opened per open
 * handle only, never one fd per cached file.
 *
 * THREADS - what the mount must do:
 *   recall_read() blocks the calling FUSE worker thread until the bytes it
 *   asked for are in the cache (possibly minutes: a tape load and locate).
 *   libfuse's multithreaded loop starts a worker per concurrent request only
 *   up to max_threads (default 10 in fuse 3.14), so with the default ten
 *   waiting reads would leave no thread for `ls`/`stat`. The mount must:
 *     - run fuse_session_loop_mt() with a fuse_loop_config whose max_threads
 *       is large (e.g. fuse_loop_cfg_set_max_threads(cfg, 1024)) and
 *       max_idle_threads modest (e.g. 16): waiting reads cost a sleeping
 *       thread each, and lookups/getattr always find a free worker;
 *     - in init(), raise conn->max_background (e.g. 64) and
 *       conn->congestion_threshold (e.g. 48): page-cache reads are sent as
 *       background requests, and the kernel stops sending them beyond that
 *       limit (lookups are not affected, but more readers can progress);
 *     - not hold any mount-wide lock while calling recall_read().
 *   No other function the mount calls from a request waits for a drive
 *   or the robot (recall_stop() does, at unmount): recall_open() and
 *   recall_request() only queue (the scheduler's sched_submit() never
 *   blocks), and recall_state() and recall_cached_bytes(), which getattr
 *   and getxattr of every archived file call, do not even wait for the
 *   engine's lock, so `ls -l` answers while recalls are being queued.
 *   Open members with fi->keep_cache = 0 (and no direct_io): a large
 *   member is served while it streams in, before its MD5 can be checked;
 *   if that copy then proves bad, the reader gets -EIO and the next open
 *   must not find the bad copy's pages in the kernel's page cache.
 *   (Members up to RECALL_STREAM_MIN bytes are only served once checked.)
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

/* Read up to size bytes at off. Returns the count (short only at end of
 * file, 0 at or past it, as a regular file), waiting until those bytes are
 * in the cache: bytes already recalled are served at once while the rest
 * arrives (for members over RECALL_STREAM_MIN; the last byte is always held
 * back until the MD5 matched, so a reader never sees the end of an
 * unchecked file). Returns -EIO when every copy failed, or when this
 * handle was served bytes of a copy that then failed its check (the next
 * open reads the good copy), -ESHUTDOWN on unmount,
 * -EINTR never (a waiting read cannot be interrupted; it ends when its
 * recall ends). Thread-safe: several reads on one handle may run at once. */
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
};

/* State of member_id for user.tapefs.state. Never touches a tape, never
 * waits for the engine's lock (as recall_cached_bytes()). */
enum recall_state recall_state(struct recall *r, int64_t member_id);

/* Queue member_id for recall without opening it (`.recall` batches);
 * prefer as in recall_open(). Returns 0 (queued, already queued or
 * already cached), -ENOENT, -EISDIR (a directory), -ESHUTDOWN. */
int recall_request(struct recall *r, int64_t member_id, const char *prefer);

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
	uint64_t used;	/* bytes in the cache, and reserved by reads */
	uint64_t limit; /* cfg.cache_size; UINT64_MAX when unlimited */
};
void recall_stats(struct recall *r, struct recall_stats *out);

/* What the engine is doing, taken at one instant, for reading `.recall`
 * (fs/ns/ns_recall.c renders it). Paths are copies ("?" when unknown). */
struct recall_snap_member {
	uint64_t block; /* where on its tape: start lblock + header block */
	char *path;
};
struct recall_snap_tape {
	char barcode[40];
	int served; /* a job serves the queue (else waiting for a drive) */
	size_t n;   /* members queued */
	struct recall_snap_member *m; /* in block order */
};
struct recall_snap_read {
	char *path;
	char barcode[40];
	uint64_t present, size; /* bytes on disk so far, of size */
};
struct recall_snap {
	size_t queued;			/* members queued or being read */
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
