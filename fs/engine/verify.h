/* fs/engine/verify.h - MD5 verification of what is on tape (SPEC 3.3), on every
 * drive at once, with its results as files (verify/RUN/...).
 *
 * A request written to `.verify` (one line) becomes a run: a row in the
 * catalog and one job per tape, queued with the drive scheduler at the
 * lowest priority (recall > dump > verify). The job for a tape positions to
 * each archive copy on it in file order, walks it with the tar reader,
 * hashing every member as it streams (a member is never held in memory),
 * and records OK / BAD (MD5 differs from the catalog) / UNREADABLE (read
 * error) per member in the catalog. Between archives a job asks the
 * scheduler whether a more urgent job waits and, if so, requeues the rest
 * of its tape and gives the drive up.
 *
 * Request grammar (one line; surrounding blanks ignored):
 *   all              every copy of every archive
 *   tape LABEL...    every copy on these tapes (each must be in the catalog)
 *   unverified       copies never verified OK (includes what an interrupted
 *                    run did not reach)
 *   sample PCT       PCT (1..100) percent of the members of every copy,
 *                    chosen at random, at least one per archive; only the
 *                    chosen members are read (locate to each one's block)
 *   cancel           stop the running run (it ends "interrupted")
 * and, with [verify] every (and sample), on its own: verify_request_due().
 * Anything else is refused with -EINVAL and the reason is kept: reading
 * `.verify` shows it with this grammar.
 *
 * One run at a time: a request while a run is going is refused with
 * -EBUSY (reason kept the same way).
 *
 * Results (rendered by fs/ns/ns_verify.c from the catalog and the live state):
 *   verify/RUN/summary   state, request, progress while running; totals at
 *                        the end: tapes, archives, members, bytes, ok, bad,
 *                        unreadable, seconds, MB/s per drive
 *   verify/RUN/LABEL     one line per member checked on that tape:
 *                        "OK|BAD|UNREADABLE <md5 read or -> <path>"
 *   verify/RUN/failures  the same lines, BAD and UNREADABLE only, prefixed
 *                        with the label: "<LABEL> BAD <md5> <path>"
 *   verify/latest        symlink to the newest run
 *
 * Lifetime: verify_start() after the catalog and the scheduler are up;
 * verify_stop() before they go down. A run still going at verify_stop()
 * (unmount) or at a crash is marked "interrupted" by the next
 * verify_start(); `unverified` then picks up the copies it did not reach.
 *
 * The engine is fs/engine/verify_*.c (fs/engine/verify_int.h says which
 * file holds which idea). It exports figures; every text of it is
 * rendered by fs/ns/ns_verify.c. This module never includes FUSE headers.
 * All functions are thread-safe. Functions return 0 or -errno unless said
 * otherwise.
 */
#ifndef TAPEFS_VERIFY_H
#define TAPEFS_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct tapefs;
struct verify;

/* Create fs->verify; marks runs left "running" in the catalog as
 * "interrupted". Needs fs->cat and fs->sched. Returns 0, -EINVAL (no
 * catalog or scheduler), -ENOMEM, -EIO. */
int verify_start(struct tapefs *fs);

/* Stop: no new jobs start, running jobs stop at the next member, the
 * current run (if any) is marked "interrupted" with what it had done
 * recorded; frees fs->verify and sets it NULL. Waits for the drive jobs to
 * return (a member being read is abandoned, not finished). Safe on NULL. */
void verify_stop(struct tapefs *fs);

/* Parse one request line (without or with its trailing newline) and start
 * a run. Returns at once: the run is queued, not done. Returns 0 and sets
 * *run_id (may be NULL) to the new run's id (a request that matches no
 * copy makes a run that is done at once, with zero totals); -EINVAL for a
 * malformed request, an unknown or retired label; -EBUSY when a run is
 * going; -ESRCH for `cancel` with no run going (0 when it cancels one: the
 * run ends soon as "interrupted", and `unverified` picks up the rest);
 * -ECANCELED while stopping; -EIO on a catalog error. On failure the
 * reason is kept for verify_refusal(). Tapes that the library does not hold
 * (or whose drive fails) are named in the run's summary as errors. */
int verify_request(struct verify *v, const char *line, int64_t *run_id);

/* The scheduled verification ([verify] every, sample): a run of the good
 * copies (on tapes not retired) whose last good verification is older
 * than before, never verified included, the oldest first (one job per
 * tape, queued in that order); with pct < 100 a sample of pct% of each
 * copy's files, which here counts as the copy's verification. Returns 0
 * and *run_id (0 when nothing is due: no run is made), -EBUSY (a run is
 * going), verify_request()'s other -errno. */
int verify_request_due(struct verify *v, int64_t before, int pct,
		       int64_t *run_id);

/* Check now whether a scheduled verification is due and start it: with
 * [verify] every set, when no run goes on and no job waits for a drive
 * (only drives nothing else needs). Called by the engine's own thread
 * every minute and at the start. 0 or -errno. */
int verify_schedule_tick(struct verify *v);

/* Whether verify_request() would take line now, without acting and without
 * keeping a reason: the grammar, every label known and not retired, no run
 * going (or, for `cancel`, one going). 0, or verify_request()'s -errno
 * with the reason in why (whylen bytes). */
int verify_request_check(struct verify *v, const char *line, char *why,
			 size_t whylen);

/* Live figures of the current run, for .status.json and drives/N. */
struct verify_progress {
	int64_t run_id; /* 0 when no run ever happened */
	int running;	/* 1 while the run goes on */
	char state[16]; /* idle|running|done|interrupted */
	int percent;	/* of the bytes planned, 0..100 */
	uint64_t bytes_planned, bytes_done;
	uint64_t tapes_planned, tapes_done;
	uint64_t members_done, ok, bad, unreadable;
	time_t started, ended; /* ended 0 while running */
};
/* Fill *out with the current run, or the last one when idle. */
int verify_progress(struct verify *v, struct verify_progress *out);

/* ---- for fs/ns/ns_verify.c and the unit tests --------------------------- */

enum verify_kind {
	VERIFY_ALL = 0,
	VERIFY_TAPE,
	VERIFY_UNVERIFIED,
	VERIFY_SAMPLE,
	VERIFY_CANCEL,
	VERIFY_DUE, /* the schedule's (verify_request_due()), no grammar */
};

/* A parsed request. */
struct verify_req {
	enum verify_kind kind;
	int pct;	/* VERIFY_SAMPLE, VERIFY_DUE: 1..100 */
	int64_t before; /* VERIFY_DUE: copies last verified before this */
	int nlabels; /* VERIFY_TAPE: labels[0..nlabels), no repeats */
	char labels[256][40];
};

/* Parse line (grammar above; labels are not looked up here). Returns 0,
 * or -EINVAL with a one-line reason in why. */
int verify_parse(const char *line, struct verify_req *q, char *why,
		 size_t whylen);

struct catalog_run;
/* The catalog's row of run_id; while that run goes on, its totals, detail
 * (MB/s per drive so far) and state come from the live run and *live is 1.
 * Returns 0, -ENOENT, -EIO. */
int verify_run_get(struct verify *v, int64_t run_id, struct catalog_run *out,
		   int *live);

/* Live progress of run_id while it goes on. -ENOENT when it is not the
 * running run. */
struct verify_live {
	uint64_t bytes_planned, progress;
	uint64_t tapes_planned, tapes_done;
	int pct; /* the sample percentage, 0 otherwise */
};
int verify_run_live(struct verify *v, int64_t run_id, struct verify_live *out);

/* 1 when barcode is one of the tapes of the running run run_id, else 0. */
int verify_run_has_tape(struct verify *v, int64_t run_id, const char *barcode);

/* The last refused request (printable, cut short), the reason and when;
 * "" and 0 when none. */
void verify_refusal(struct verify *v, char *req, size_t reqlen, char *why,
		    size_t whylen, time_t *when);

#endif
