/* fs/engine/dump_int.h - what the files of the dump engine share. Not for
 * other modules: their API is fs/engine/dump.h. Tapes the catalog does not
 * know yet are the library module's (fs/engine/library.h).
 *
 * The files, and the step of a dump (dump.h) each one does:
 *   dump.c          the engine: what the mount calls (writers, changes,
 *                   status), its thread and its triggers; dump_once()
 *                   runs the steps below for one dump, one dump at a time
 *   dump_request.c  the `.dump` requests that queue dumps
 *   dump_snap.c     1. snapshot: walk staging/ into a struct dump_snap
 *   dump_journal.c  2. journal the snapshot (its entries while the
 *                   archive is written), fail a dump that does not commit
 *   dump_plan.c     3. choose a tape per copy (and, before a dump starts,
 *                   whether every pool has one at all)
 *   dump_fill.c     3. what fits on a tape: a tape's room, the tape a
 *                   copy takes, the cut of a snapshot into archives that
 *                   fill the tapes, the size of the largest tape
 *   dump_target.c   3. `now to LABEL,... PATH` / `now pool POOL,... PATH`:
 *                   the tapes or pools named, checked when asked for
 *   dump_large.c    staged files larger than any tape (too_large)
 *   dump_dirs.c     the sweep of staged directories empty and untouched
 *                   for [dump] dir_keep seconds
 *   dump_write.c    4.-6. write the archive to its copies in rounds until
 *                   every copy is written or the dump is abandoned
 *   dump_gang.c     the drive side of a round: one scheduler gang writing
 *                   the archive to its copies' tapes with the tar writer
 *   dump_commit.c   7. the catalog transaction; 8. clean-up of staging/
 *   dump_catalog.c  9. the catalog's backup, and its snapshot to tape
 *   dump_staged.c   every access to an entry of staging/ by its path
 *                   (lstat, opendir, the removal, the opening of the
 *                   sources the writer reads), beneath the staging root
 *                   without following a symlink (fs/engine/beneath.h)
 *   dump_recover.c  at start-up, what a crash left behind
 *   dump_shared.c   the lease on the staging directory several hosts
 *                   share: one dumps it at a time
 */
#ifndef TAPEFS_DUMP_INT_H
#define TAPEFS_DUMP_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "tapeio/manifest.h"
#include "tapeio/sched.h"

struct tapefs;
struct tarw;
struct tarw_source;
struct tar_member;
struct tarw_bound;

/* One entry of a snapshot: a path under staging/ and its lstat. */
struct dump_entry {
	char *rel;	/* relative to the staging root */
	struct stat st; /* lstat when the snapshot was taken */
	int dropped;	/* changed while being written: left staged */
	uint64_t meta;	/* bytes its extended attributes add to its member
			   (tarw_bound_xattr), when the walk read them */
	int no_xattrs;	/* a regular file the walk listed, after its lstat
			   st, with no extended attribute at all: the
			   writer need not list them (tarw_source) */
};

struct dump_snap {
	struct dump_entry *e;
	size_t n, cap;
	uint64_t bytes;	    /* of regular files */
	uint64_t files;	    /* regular files and symlinks */
	uint64_t gen;	    /* a full scan's scan_gen (rel ""), else 0 */
	uint64_t too_large; /* files left out: larger than any tape */
	int view;	    /* e is a range of another snapshot's entries,
			       which own their paths (dump_cut_batch) */
};

/* An inode with writers open through the mount. */
struct dump_writer {
	dev_t dev;
	ino_t ino;
	int count;
	int failed;  /* a handle of its writers saw a write fail */
	int rewrote; /* a handle of its writers wrote and closed cleanly */
	int flushed; /* of count: closed by their users, not yet released */
};

/* An inode whose last writers saw a write fail: held back until it is
 * written again cleanly (dump_writers.c). */
struct dump_failed {
	dev_t dev;
	ino_t ino;
	char *rel;	/* its name when last seen */
	uint64_t since; /* scan_gen when it was marked */
	uint64_t seen;	/* the last full scan that saw it */
	int missed;	/* full scans in a row that did not see it */
};

/* A staged file larger than the largest tape of a copy's pool: it stays
 * staged (dump_large.c). */
struct dump_large {
	dev_t dev;
	ino_t ino;
	char *rel;	/* its name when last seen */
	uint64_t size;	/* its bytes */
	uint64_t limit; /* what the largest tape takes */
	uint64_t seen;	/* the last full scan that found it too large */
};

/* Where a `now PATH` sends its archive (dump_target.c): the
 * configuration's pools (NONE), the pools named, or the very tapes
 * named, one per copy. */
enum dump_target_kind {
	DUMP_TARGET_NONE = 0,
	DUMP_TARGET_POOLS,
	DUMP_TARGET_TAPES,
};

struct dump_target {
	enum dump_target_kind kind;
	char name[SCHED_GANG_MAX][40];
	int n;
};

/* A request from `.dump`: path NULL = everything. */
struct dump_req {
	char *path;
	struct dump_target target;
	struct dump_req *next;
};

struct dump {
	struct tapefs *fs;
	pthread_t th;
	int th_started;

	/* Guards every field below it. Never held across I/O, catalog
	 * calls or scheduler calls, except the cheap sched_drive_report. */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* with mu: something to do for the engine */
	int stopping;

	struct dump_writer *writers;
	size_t nwriters, capwriters;
	struct dump_failed *failed;
	size_t nfailed, capfailed;
	struct dump_large *large;
	size_t nlarge, caplarge;
	uint64_t scan_gen; /* full scans of staging/ begun */

	/* What staging/ holds (last scan plus closes since). */
	uint64_t staged_files, staged_bytes;
	uint64_t elig_files, elig_bytes;
	int dirty;	    /* changed since the last scan */
	time_t last_change; /* of a close or change, for dump_idle */
	time_t last_scan;
	time_t last_sweep;	/* of staged directories (dump_dirs.c) */
	time_t retry_after;	/* no automatic dump before (after a failure) */
	time_t scan_every;	/* seconds between scans while dirty */
	size_t pending_entries; /* entries a dump would take now */
	int started_up;		/* recovery and the first scan are done */

	struct dump_req *reqs; /* from `.dump`, in order */

	/* The dump being written. */
	int running;
	int64_t cur_id;
	uint64_t cur_files, cur_bytes, cur_total, cur_done;
	char cur_tapes[256];
	char **cur_paths; /* sorted, for dump_path_dumping() */
	size_t ncur_paths;
	struct tarw *cur_w; /* the writer now running, for progress/cancel */
	int cur_drive[SCHED_GANG_MAX];
	long cur_fileno[SCHED_GANG_MAX];
	int cur_ncopy;

	/* History. */
	uint64_t committed;
	int64_t last_id;
	time_t last_time;
	uint64_t last_files, last_bytes;
	char last_tapes[256];
	char last_error[512];
	time_t last_error_time;
	char cut_note[512]; /* the last `now PATH` cut along directories */

	/* Waiting and pausing (operator control). */
	time_t wait_until; /* no dump before: a pool had no writable tape */
	char waiting[256]; /* why dumps wait, "" = they do not */
	int fails;	   /* dumps failed in a row */
	int paused;	   /* after DUMP_FAILS_PAUSE failures: until resume */
	int staging_waiting; /* waiting is another host's dump of staging */

	/* The lease on the shared staging directory (dump_shared.c): the
	 * engine's thread only. */
	struct catalog_lease staging_lease;
	int staging_held;
};

/* ---- the state of one archive being written ------------------------------
 *
 * A copy of the archive goes through these states, round after round
 * (dump_write.c settles each round from the copies' outcomes):
 *   NO_TAPE --dump_copy_choose()--> TAPE --written--> WRITTEN
 *   TAPE --early warning (tape marked full), refused by the library's
 *          check (tape closed), write error, its tape's load or open
 *          failed--> NO_TAPE (that tape is never taken again for it)
 *   TAPE --aborted, not reached (another copy's tape failed to load),
 *          a failure that names no tape--> TAPE
 *   WRITTEN --a source changed: the archive is written again without
 *          it--> TAPE (same tape, same tape file: nothing was committed)
 * The archive is written when every copy is WRITTEN. It is abandoned
 * (the dump fails) when a copy fails DUMP_TRIES_MAX rounds (full tapes do
 * not count), a copy finds no tape, the engine stops, or after
 * DUMP_ROUNDS_MAX rounds. */
enum dump_copy_state {
	DUMP_COPY_NO_TAPE = 0, /* none chosen yet, or its tape failed it */
	DUMP_COPY_TAPE,	       /* a tape is chosen and reserved */
	DUMP_COPY_WRITTEN,     /* archive and filemark are on that tape */
};

/* What one round did to a copy: set on the drive (dump_gang.c). */
enum dump_copy_outcome {
	DUMP_OUT_NOT_RUN = 0, /* the job never ran: a load or open failed */
	DUMP_OUT_WRITTEN,     /* archive and filemark on tape */
	DUMP_OUT_FULL,	      /* early warning: the copy was abandoned; or
				 the drive said the tape is full */
	DUMP_OUT_NO_ROOM,     /* the drive said the archive does not fit
				 in what is left: not started there */
	DUMP_OUT_FAILED,      /* write, position or journal error */
	DUMP_OUT_REFUSED,     /* library_write_check() refused the tape */
	DUMP_OUT_ABORTED,     /* the archive was aborted (changed source,
				 stop): nothing is wrong with the tape */
};

struct dump_copy {
	int idx;	  /* copy idx + 1 of cfg.copies */
	const char *pool; /* cfg.pools[idx], or the one a `now pool` or
			     `now to` named (dump_copy_pool()) */
	enum dump_copy_state state;
	int tries;		      /* rounds failed (not "full") */
	struct catalog_tape tape;     /* unless NO_TAPE; reserved */
	int64_t fileno;		      /* its tape file: last_file + 1 */
	uint64_t start_lblock, bytes; /* where it starts, its size */
	/* The current round. */
	enum dump_copy_outcome out;
	int journaled; /* its tape file is in the journal */
	char why[160]; /* a failure's reason */
	int gone;      /* the round's tape was not in the library */
};

#define DUMP_EXCLUDE_MAX 64 /* tapes one archive remembers as failed */

/* Where the cut (dump_fill.c) meant an archive to go: copy i's tape
 * tape[i], and the tapes filled earlier in the dump, which no copy
 * takes again. */
struct dump_fill_plan {
	char tape[SCHED_GANG_MAX][40];
	char done[DUMP_EXCLUDE_MAX][40];
	size_t ndone;
	char pool[SCHED_GANG_MAX][40]; /* copy i's pool; "": cfg.pools[i] */
	int pinned; /* tape[] were named (`now to`): no other tape, no cut */
};

/* A snapshot being cut into archives: [next, end) is the next one. */
struct dump_cut {
	struct dump_snap *s;
	size_t next, end;
	int whole;	/* a `now PATH`: one archive if it fits anywhere */
	int along_dirs; /* it did not: cut where a directory begins */
	uint32_t bs;
	int recuts;
	int imported; /* the library was asked for new cartridges */
	int no_tape;  /* the cut found no tape with room for the next */
	struct dump_fill_plan plan;
	/* Hard links (NULL: none in s): per entry, 1 + the index of the
	 * first name of its file (tarw_links_of), and the next later name
	 * of that file after it (0: none). Every later name goes into the
	 * archive of the first: [next, end) without the later names of
	 * earlier archives, with those whose first name is in it. */
	size_t *first, *later;
	int linked; /* first and later were made */
};

/* One archive written to its copies. A dump is one archive today: the
 * snapshot's entries that were not dropped. */
struct dump_archive {
	int64_t dump_id;	/* its journal entry */
	struct dump_snap *snap; /* its entries; changed ones get dropped */
	uint32_t block_size;
	int ncopies;
	struct dump_copy copy[SCHED_GANG_MAX];
	/* Tapes that failed one of its copies: never taken again. */
	char bad[DUMP_EXCLUDE_MAX][40];
	size_t nbad;
	int rounds;
	/* The sources of the current rounds (made again after a drop):
	 * src[k] is snapshot entry srcidx[k]. */
	struct tarw_source *src;
	size_t *srcidx, nsrc;
	uint64_t need; /* bytes on tape, a bound (tarw_bound) */
	const struct dump_fill_plan *plan; /* the cut's tapes, may be NULL */
	/* Members of the first round that wrote every source; the commit. */
	struct tar_member *members;
	size_t nmembers;
	/* What its manifests say of it (the same uuid on every copy), and
	 * the latest time one of its copies' manifests was written: the
	 * archive's time in the catalog, as a rebuild finds it. */
	struct manifest_archive man;
	struct timespec written;
	int fixed;	    /* its sources are not staged (a snapshot of the
			       catalog): never made again from the snapshot */
	int fixed_fd;	    /* fixed: its one source, opened by the engine and
			       held until the archive is released; else -1 */
	int64_t archive_id; /* once committed */
};

/* One round: the copies that run as one scheduler gang. */
struct dump_gang {
	struct sched_job job;
	struct dump *d;
	struct dump_archive *a;
	int n;
	struct dump_copy *copy[SCHED_GANG_MAX];
	/* Results: written by the job on its drives, read after it ended. */
	int ret;		    /* tarw_run()'s */
	size_t changed;		    /* index in a->src, (size_t)-1 none */
	int changed_why;	    /* tarw_changed()'s why */
	struct tar_member *members; /* when ret == 0 */
	size_t nmembers;
	struct timespec written; /* its manifest's time, when ret == 0 */
	int result; /* how the job ended: 0, or its -errno (-EROFS ...) */
};

/* ---- dump.c: the engine -------------------------------------------------- */
/* Record a failure as last_error (`.dump`, `.status`) and log it as an
 * error line "dump: ..." (vnote: "WHO: ..."). */
void dump_error_set(struct dump *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dump_error_vnote(struct dump *d, const char *who, const char *fmt,
		      va_list ap) __attribute__((format(printf, 3, 0)));
/* Whether the engine is stopping: -ECANCELED, else 0. */
int dump_stopping(struct dump *d);

/* ---- dump_partial.c ------------------------------------------------------ */
/* The on-disk mark of a partial file (an extended attribute of its own):
 * set on, cleared from (0 also when it had none) the open file fd, or
 * looked for on entry name of directory dirfd (1 marked, 0 not or
 * unknown). set and clear return 0 or -errno (-ENOTSUP: the staging disk
 * keeps no such attribute). */
int dump_partial_set(int fd);
int dump_partial_clear(int fd);
int dump_partial_marked(int dirfd, const char *name);

/* ---- dump_writers.c ------------------------------------------------------ */
/* 1 when the regular file st may not be dumped: a writer has it open
 * through the mount, or a write to it failed (held back). A full scan
 * (gen: its dump_scan_gen_next()) passes the name it found it under, so
 * that a held-back file is known to be still there and under which name;
 * others pass gen 0. */
int dump_file_held(struct dump *d, const struct stat *st, const char *rel,
		   uint64_t gen);
/* A new full scan of staging/ begins: its generation. */
uint64_t dump_scan_gen_next(struct dump *d);
/* After full scan gen completed: forget held-back inodes it did not see
 * (nor the one before: FAILED_MISSED_MAX). */
void dump_failed_prune(struct dump *d, uint64_t gen);
/* The first full scan after the start found regular file st, named rel
 * and `name` in directory dirfd: when it carries the on-disk mark of a
 * failed write (dump_partial.c) it is held back again. Returns 1 when
 * it is. */
int dump_file_partial_found(struct dump *d, int dirfd, const char *name,
			    const struct stat *st, const char *rel);
/* Before the snapshot of a `now` request: wait while a file's every
 * writer was closed by its user (flushed) but is not released yet, at
 * most DUMP_RELEASE_WAIT_S (dump_file_flushed(), dump.h). */
void dump_writers_settle(struct dump *d);
/* The held-back files for dump_stats(). Called with d->mu held. */
void dump_failed_stats(struct dump *d, struct dump_stats *out);
/* At stop. */
void dump_writers_free(struct dump *d);

/* ---- dump_request.c ------------------------------------------------------ */
/* Free the requests still queued (at stop). */
void dump_requests_free(struct dump *d);

/* ---- dump_snap.c: step 1 ------------------------------------------------- */
/* Walk staging/ (or the subtree under rel, "" = all) into s: regular
 * files without writers, symlinks, and directories whose whole subtree
 * is taken, parents before children, names in byte order. Also counts
 * everything staged into *staged_files / *staged_bytes (may be NULL).
 * Returns 0, -ENOENT (rel missing), -ENOMEM, -errno of the walk. */
int dump_snap_take(struct dump *d, const char *rel, struct dump_snap *s,
		   uint64_t *staged_files, uint64_t *staged_bytes);
void dump_snap_free(struct dump_snap *s);
/* Append entry rel with its lstat st to s. 0 or -ENOMEM. */
int dump_snap_add(struct dump_snap *s, const char *rel, const struct stat *st);
/* Drop every entry whose lstat no longer matches the snapshot (it stays
 * staged). Returns how many were dropped. */
size_t dump_snap_drop_changed(struct dump *d, struct dump_snap *s);

/* ---- dump_journal.c: step 2 ---------------------------------------------- */
/* Journal s as a new dump "pending" (*id) with all its entries, in one
 * transaction. 0 or -errno. */
int dump_journal_create(struct dump *d, const struct dump_snap *s, int64_t *id);
/* The journaling of a snapshot while its archive is written: the dump's
 * row at once (id), its entries on a thread of their own. */
struct dump_journal {
	struct dump *d;
	const struct dump_snap *s; /* read (rel, st) until joined: the
				      engine may set an entry's dropped */
	int64_t id;
	pthread_t th;
	int started;
	int stop; /* atomic: give up before the next part */
	int ret;  /* the entries': 0 or -errno, once joined */
};
/* Journal s as a new dump "pending" (j->id) now, and its entries from
 * now on. 0 (then dump_journal_wait or _stop must follow) or -errno
 * (nothing journaled). */
int dump_journal_start(struct dump *d, const struct dump_snap *s,
		       struct dump_journal *j);
/* Once every entry is journaled: 0, or the -errno that stopped it (the
 * dump must not commit: its clean-up after a crash would miss some). */
int dump_journal_wait(struct dump_journal *j);
/* Stop journaling entries (the dump will not commit) and join. */
void dump_journal_stop(struct dump_journal *j);
/* Mark the dump failed in the journal, with last_error as the reason
 * ("stopped" for -ECANCELED). */
void dump_journal_fail(struct dump *d, int64_t id, int err);

/* ---- dump_plan.c: step 3 ------------------------------------------------- */
/* Before a dump: 1 when every pool a copy goes to has a tape that may be
 * written, else 0 with the reason in d->waiting (`.status`) and no dump
 * before d->wait_until. Asks the library for new cartridges once per
 * wait. */
int dump_tapes_ready(struct dump *d);
/* Bytes the archive of s takes on tape at most (tarw_bound: headers,
 * manifest, end blocks; the data of a hard-linked file once), for
 * choosing a tape with room and for progress. */
uint64_t dump_archive_estimate(const struct dump_snap *s, uint32_t bs);
/* Choose c's tape: the one the cut planned (a->plan) while it is still
 * writable with room, else one of its pool with a->need bytes of room
 * (dump_tape_pick), never one that failed a copy of a, one another copy
 * holds, or one the dump filled already; reserve it in the scheduler
 * (sched_tape_reserved()) and set c->fileno. A tape a tape-to-tape copy
 * holds (sched_tape_reserve_excl()) is skipped, or waited for when no
 * other tape can take the archive. NO_TAPE -> TAPE. Returns 0
 * or -errno with the reason recorded (dump_error_set). */
int dump_copy_choose(struct dump *d, struct dump_archive *a,
		     struct dump_copy *c);
/* c's tape failed it: never again for a; its reservation goes.
 * -> NO_TAPE. */
void dump_copy_drop_tape(struct dump *d, struct dump_archive *a,
			 struct dump_copy *c);
/* Release the reservation of every copy's tape (-> NO_TAPE). */
void dump_copies_release(struct dump *d, struct dump_archive *a);
/* The copies' tapes ("A00003L9:7,B00002L9:5") for `.dump`. */
void dump_tapes_note(struct dump *d, const struct dump_archive *a);

/* ---- dump_write.c: the rounds (steps 3 to 6), the whole dump (2 to 7) ---- */
/* Journal s, write it as one archive to every copy (on the tapes of plan
 * when it may), commit it. Returns 0 (committed), or -errno with the
 * reason recorded by dump_error_set(); the journal entry is failed then.
 * -EFBIG: a tape that held nothing reached early warning before the
 * archive ended - the tape is smaller than the catalog said; its
 * capacity is lowered to what it took and nothing is marked full, so the
 * caller cuts again. */
int dump_write(struct dump *d, struct dump_snap *s,
	       const struct dump_fill_plan *plan);
/* The member of a snapshot of the catalog on tape. */
#define DUMP_SNAPSHOT_MEMBER "TAPEFS.CATALOG"
/* The same for the copy of the catalog at path (catalog_backup()): an
 * archive of one member, DUMP_SNAPSHOT_MEMBER, its manifest of kind
 * catalog, committed as a snapshot (under tapes/, not in archive/); its
 * tapes the fill's choice (no cut plans them). */
int dump_write_snapshot(struct dump *d, const char *path);
/* The tar writer's opener for a fixed archive (arg: the dump_archive):
 * a new descriptor of its fixed_fd, at offset 0 (the writer closes it),
 * never a name opened again. */
int dump_fixed_open(void *arg, const struct tarw_source *src, int flags);

/* ---- dump_fill.c: step 3, archives that fit ------------------------------ */
/* Bytes an archive may take on t and still end before early warning
 * (capacity less 1% and a label's room less bytes_used; UINT64_MAX when
 * the capacity is unknown). */
uint64_t dump_tape_room(const struct catalog_tape *t);
/* The capacity of a tape that reached early warning after took bytes of
 * an archive: one whose room is at most took. */
uint64_t dump_tape_capacity_for(uint64_t took);
/* The tape of pool for an archive of need bytes: the fullest open tape
 * with that much room, else the scratch tape with the lowest barcode that
 * has it; not retired, full or closed, none of ex[0..nex). 0, -ENOSPC,
 * -EIO. */
int dump_tape_pick(struct dump *d, const char *pool, uint64_t need,
		   const char *const *ex, size_t nex, struct catalog_tape *out);
/* The most an archive of one file may take: the room of the largest
 * empty tape of the smallest among the copies' pools; UINT64_MAX when
 * that cannot be told (a tape of unknown capacity, no tape). */
uint64_t dump_file_limit(struct dump *d);
/* Add entry e to a bound, or the bound of e alone. */
void dump_bound_add(struct tarw_bound *b, const struct dump_entry *e);
uint64_t dump_entry_bound(const struct dump_entry *e, uint32_t bs);
/* Add entry i of s to a bound, where first (NULL: no hard links) is as
 * tarw_links_of() made it for s: a later name of a file whose first name
 * is not dropped is a hard-link entry (its header, no data). */
void dump_bound_linked(struct tarw_bound *b, const struct dump_snap *s,
		       const size_t *first, size_t i);
/* Cut s into archives (whole: a `now PATH`); dump_cut_release() after. */
void dump_cut_init(struct dump_cut *cut, struct dump_snap *s, int whole,
		   uint32_t bs);
void dump_cut_release(struct dump_cut *cut);
/* The next archive: [cut->next, cut->end) with the hard links of its
 * files (dump_cut_batch), and its tapes in cut->plan. 0, 1 when nothing
 * is left, or -errno recorded (no tape, no memory). */
int dump_cut_next(struct dump *d, struct dump_cut *cut);
/* A snapshot of the next archive's entries (dump_snap_free): without
 * hard links in the snapshot, a view of the range [next, end) of cut->s
 * (no copy: it lives as long as cut->s and shares its entries, whose
 * dropped marks it clears); else a copy of them. 0 or -ENOMEM. */
int dump_cut_batch(const struct dump_cut *cut, struct dump_snap *b);
/* A tape proved smaller than the catalog said: 1 when the same entries
 * may be cut again, 0 after DUMP_RECUT_MAX times. */
int dump_cut_again(struct dump_cut *cut);

/* ---- dump_target.c: `now to LABEL,... PATH`, `now pool POOL,... PATH` ---- */
/* The target at the front of *arg ("to L1,L2 " or "pool P1,P2 ", one
 * name per copy of copies), *arg moved past it; no target: t->kind NONE.
 * 0, or -EINVAL with the reason in why. */
int dump_target_parse(char **arg, struct dump_target *t, int copies, char *why,
		      size_t whylen);
/* Whether t takes the archive of staged rel now (its snapshot measured
 * by the tar writer's bound): every named tape known, scratch or open
 * and with room; every named pool with a tape with room. 0, or with the
 * reason in why: -ENOENT (unknown tape), -ENOSPC (full, no room), -EROFS
 * (closed, retired), -ENODATA (nothing to dump), -errno of the walk. */
int dump_target_check(struct dump *d, const struct dump_target *t,
		      const char *rel, char *why, size_t whylen);
/* Set plan p for t (NULL or NONE: nothing): its pools, and for tapes
 * its tapes, pinned. */
void dump_target_plan(struct dump *d, const struct dump_target *t,
		      struct dump_fill_plan *p);
/* The pool of copy i under plan p (may be NULL). */
const char *dump_copy_pool(const struct dump *d, const struct dump_fill_plan *p,
			   int i);

/* ---- dump_large.c: files larger than any tape ---------------------------- */
/* Regular file st (named rel) is too large for the tapes (its archive
 * alone would take more than limit): note it, say so once in an error
 * line; gen: a full scan's generation, else 0. 0 or -ENOMEM. */
int dump_large_note(struct dump *d, const struct stat *st, const char *rel,
		    uint64_t limit, uint64_t gen);
/* 1 when st is a file noted too large (with this size), else 0. */
int dump_large_is(struct dump *d, const struct stat *st);
/* After full scan gen: forget the files it did not find too large. */
void dump_large_prune(struct dump *d, uint64_t gen);
/* For dump_stats(), with d->mu held. */
void dump_large_stats(struct dump *d, struct dump_stats *out);
void dump_large_free(struct dump *d);

/* ---- dump_catalog.c: step 9, the catalog kept safe -------------------- */
/* After a dump that committed archives: a backup of the catalog into
 * cfg.catalog_backup (the last catalog_backups kept), and, when catalog_to_tape
 * says one is due, a snapshot of it to tape (dump_write_snapshot()). Failures
 * are error lines of .status; the dump stays committed. */
void dump_catalog_keep(struct dump *d);

/* ---- dump_gang.c: a round on the drives ---------------------------------- */
/* Add c (state TAPE) to round g (zeroed before its first copy); c's
 * outcome starts as NOT_RUN. 0, or -ENAMETOOLONG recorded. */
int dump_gang_add(struct dump *d, struct dump_gang *g, struct dump_copy *c);
/* Run round g of archive a on the drives and wait for it: each copy's
 * tape is checked (library_write_check()) and positioned at its tape
 * file, which is journaled; the tar writer streams a->src to all of them.
 * Sets each copy's out and g's results. Returns 0 when the job ran (what
 * became of each copy is in its out), or -errno when it could not be
 * queued (recorded by dump_error_set). */
int dump_gang_run(struct dump *d, struct dump_archive *a, struct dump_gang *g);
/* Free what g's job left (its member list, unless taken). */
void dump_gang_release(struct dump_gang *g);

/* ---- dump_commit.c: steps 7 and 8 ---------------------------------------- */
/* When a's member list is whole and its copies are the same size: one
 * catalog transaction commits the archive (a->archive_id), its copies,
 * every member, the tapes' use, and the dump. 0 or -errno recorded by
 * dump_error_set(). */
int dump_archive_commit(struct dump *d, struct dump_archive *a);
/* After the commit of dump dump_id: remove every entry of s not dropped
 * that is still what the snapshot saw and has no writer
 * (dump_staged_remove) - files and symlinks; directories stay (the sweep
 * of dump_dirs.c removes them once empty and untouched) - then note in
 * the journal that the dump's clean-up is done (catalog_dump_cleaned).
 * A large one runs on two threads (this one and one of its own, joined
 * before it returns). Returns how many entries stayed (dropped, or
 * changed meanwhile). */
size_t dump_staging_clean(struct dump *d, const struct dump_snap *s,
			  int64_t dump_id);

/* ---- dump_staged.c: staging/ by path ------------------------------------- */
/* Every rel is relative to the staging root and resolved beneath it
 * without following a symlink at any component (beneath.h: -ELOOP for a
 * symlink on the way, -ENOTDIR for a file where a directory was). */
/* lstat of rel. 0 or -errno. */
int dump_staged_lstat(struct dump *d, const char *rel, struct stat *st);
/* Open directory rel ("" = the root). A descriptor or -errno. */
int dump_staged_opendir(struct dump *d, const char *rel);
/* The parent directory of the last removal, kept for the next removal
 * from the same directory (a clean-up goes through a directory's entries
 * in a row): one descriptor at a time, never one per entry. */
struct dump_parent {
	int fd;		    /* O_PATH, beneath the root; -1: none */
	char rel[PATH_MAX]; /* its path, rel[0..len): "" = the root */
	size_t len;
};
void dump_parent_init(struct dump_parent *p);
/* Close p's descriptor (p stays usable, empty). */
void dump_parent_release(struct dump_parent *p);
/* Remove rel (unlinkat from its parent's descriptor; rmdir for a
 * directory) when fstatat() of its name there still equals snap
 * (dump_entry_same; linked: but for the ctime, a hard link of a file
 * whose other name was just removed) and, for a regular file, it is not
 * held (dump_file_held). The parent is p's descriptor when p holds rel's
 * parent path, else opened beneath the root now and kept in p (p NULL:
 * opened for this removal alone). 0 when removed; -ENOENT when gone;
 * -ESTALE when it is not the same any more (or its path no longer leads
 * to it): it stays; or the -errno of the unlink (-ENOTEMPTY: a directory
 * that got new entries). */
int dump_staged_remove(struct dump *d, struct dump_parent *p, const char *rel,
		       const struct stat *snap, int linked);
/* 1 when the entry still matches its snapshot lstat: device, inode,
 * mode, owner, and but for a directory size, mtime and ctime. */
int dump_entry_same(const struct stat *a, const struct stat *b);
/* The tar writer's opener (tarw_opts.open, arg: a struct dump_opener
 * made with dump_opener_new()): the source's name beneath the staging
 * root: its last component opened beneath its parent's descriptor, which
 * is kept for the next sources of the same directory (as a clean-up's,
 * struct dump_parent); what is opened is then checked against its
 * snapshot by the writer. Called on the writer's reader thread alone. */
struct dump_opener {
	struct dump *d;
	struct dump_parent p;
};
struct dump_opener *dump_opener_new(struct dump *d); /* NULL: no memory */
void dump_opener_free(struct dump_opener *o);
int dump_source_open(void *arg, const struct tarw_source *src, int flags);
/* The tar writer's sources of a: its entries not dropped (a->src,
 * a->srcidx, a->nsrc). 0 or -ENOMEM. */
int dump_sources_make(struct dump_archive *a);
void dump_sources_free(struct dump_archive *a);

/* ---- dump_dirs.c ----------------------------------------------------------
 */
/* 1 when rel is a directory archive/ already shows (the catalog's
 * namespace), else 0. */
int dump_dir_archived(struct dump *d, const char *rel);
/* Remove the staged directories (never the root) that are empty, were
 * untouched (mtime and ctime) for cfg.dir_keep seconds and are archived;
 * deepest first. Nothing when dir_keep is 0. Returns how many went. */
size_t dump_dirs_sweep(struct dump *d);

/* ---- dump_shared.c ------------------------------------------------------- */

/* Before a dump's snapshot, on a host among others (fs->host): the lease
 * on the staging directory the hosts share, and what hosts that died left
 * put right (dump_recover()). 0 when the dump may go on (taken, or one
 * host alone), 1 when another live host dumps it (`.dump` says so, and
 * the engine asks again in a second), -errno (said). */
int dump_staging_take(struct dump *d);
/* After the dump's clean-up: the lease given up. Nothing when not held. */
void dump_staging_release(struct dump *d);

/* ---- dump_recover.c ------------------------------------------------------ */
/* At start-up: dumps a crash interrupted are failed (their files are
 * still staged); a committed dump whose clean-up the journal does not
 * show done (a crash between commit and clean-up) has its clean-up now:
 * exactly the entries it committed, each only while its identity is the
 * journaled one. */
void dump_recover(struct dump *d);

#endif
