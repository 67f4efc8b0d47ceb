/* fs/engine/verify_int.h - what the files of the verify engine share. Not for
 * other modules: their API is fs/engine/verify.h. The engine in four ideas:
 *
 *   verify_request.c  the request grammar: a `.verify` line -> verify_req
 *   verify_plan.c     the plan: which archive copies a request names,
 *                     grouped by tape (one task each) in file order
 *   verify_run.c      runs: start and stop of the engine, a request
 *                     becoming a run, its jobs queued, its end stored
 *   verify_results.c  results and the figures: each member's result
 *                     stored in batches, progress, totals, what the
 *                     namespace reads
 *   verify_walk.c     the job on a drive: walk each archive copy of its
 *                     tape with the tar reader and hash every member
 *   verify_schedule.c verification on a schedule: a thread that starts
 *                     verify_request_due() when copies are due
 *
 * Memory: a run holds its plan (the copies of each tape) and live totals;
 * member lists come from the catalog in pages (struct verify.page
 * members), so an archive of millions of members never sits in memory;
 * member data only streams through the hash.
 *
 * Lifetime: struct verify is reference counted: the mount holds one
 * reference (dropped by verify_stop()) and every job accepted by the
 * scheduler holds one until its done callback. verify_stop() comes before
 * sched_stop(), so jobs still queued then are completed later (with
 * -ECANCELED, or run and return at once); they must find their memory.
 */
#ifndef TAPEFS_VERIFY_INT_H
#define TAPEFS_VERIFY_INT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/verify.h"
#include "tapeio/md5.h"
#include "tapeio/sched.h"

#define VERIFY_PAGE	  1024	     /* catalog members fetched at a time */
#define VERIFY_BATCH	  1024	     /* results stored per transaction */
#define VERIFY_REPORT	  (1u << 20) /* bytes between progress reports */
#define VERIFY_LINE_MAX	  4096	     /* longest request line accepted */
#define VERIFY_LABELS_MAX 256	     /* labels one `tape` request may name */
#define VERIFY_LOG_MAX	  20	     /* failed members of a copy logged */

/* One archive copy to verify: the catalog's copy and its block size. */
struct vitem {
	struct catalog_copy c;
	uint32_t block_size;
	int manifest; /* tapefs wrote it: it ends with a manifest member */
};

/* A regular file of an archive, as the catalog holds it. */
struct vmember {
	int64_t id;
	uint64_t header_offset, size;
	char md5[MD5_HEX_SIZE];
	char path[1024]; /* to compare with the name on tape */
	int path_long;	 /* path was longer: compare the first bytes */
};

struct verify;
struct vrun;

/* One tape of a run: a scheduler job over its copies in file order. */
struct vtask {
	struct sched_job job; /* job.arg points back here */
	struct verify *v;
	struct vrun *run;
	char barcode[40];
	struct vitem *items;
	size_t n, cap, next; /* next: the first copy not done yet */
	uint64_t bytes;	     /* sum of the copies' sizes */
	uint64_t pos;	     /* bytes of them covered (progress) */
	uint64_t rng;	     /* the sample's random state */
	int requeue;	     /* gave the drive up: submit again */
};

/* Time and bytes one drive spent on a run. */
struct vdrive {
	int used;
	uint64_t bytes;
	double seconds;
};

struct vrun {
	int64_t id;
	enum verify_kind kind;
	int pct;
	char request[256];
	time_t started, ended;
	double t0, ended_mono;
	enum catalog_run_state state; /* once finalized */
	int cancelled;		      /* atomic: `cancel` was written */
	int finalized;		      /* its end was (being) stored */
	int aborted;		      /* a job stopped before its end */
	struct vtask *tasks;
	size_t ntasks, cap_tasks;
	size_t tasks_left; /* jobs not done yet, +1 while submitting */
	uint64_t tapes_planned, tapes_done, archives, members, bytes;
	uint64_t ok, bad, unreadable;
	uint64_t bytes_planned, progress;
	struct vdrive drive[SCHED_DRIVES_MAX];
	char errors[512]; /* tapes that could not be verified */
};

struct verify {
	struct tapefs *fs;
	size_t page;  /* members per catalog page, 1..VERIFY_PAGE */
	size_t batch; /* results per transaction, 1..VERIFY_BATCH */
	/* lock guards every field below, and the counters of every run and
	 * task (the fields a job updates while others read them). Never
	 * held across a catalog or tape call, except the cheap in-memory
	 * work of the namespace accessors. Taken after no other lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* running, planning or a run changed */
	int refs;	     /* the mount's + one per job the scheduler holds */
	int stopping;	     /* verify_stop() began (read atomically by jobs) */
	int running;	     /* jobs inside their run callback */
	int planning;	     /* a request is building its plan */
	struct vrun *run;    /* the current run, NULL when idle */
	char reason[320];    /* why the last request was refused */
	char refused[128];   /* that request, printable and cut short */
	time_t refused_at;
	uint64_t rng;
	/* the schedule's thread (verify_schedule.c), and its stop */
	pthread_t tick_th;
	int tick_started;
	int tick_stop;
	pthread_cond_t tick_cond;
};

/* The results of one copy, stored in batches. */
struct vcopy {
	struct vtask *t;
	const struct vitem *it;
	struct tape *tape;
	int drive;
	int adopted; /* on an adopted tape: names are neutralised, below a
			prefix (docs/adopt.md) */
	struct catalog_result_in in[VERIFY_BATCH];
	char md5[VERIFY_BATCH][MD5_HEX_SIZE];
	size_t nin;
	uint64_t ok, bad, unreadable;
	uint64_t pos;	   /* archive bytes covered (progress) */
	uint64_t reported; /* pos at the last report */
	int err;	   /* a catalog error stops the copy */
};

/* ---- small helpers (every file) ----------------------------------------- */

static inline double verify_now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: the sample's random choice; not for secrets. */
static inline uint64_t verify_rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* ---- verify_plan.c ------------------------------------------------------- */

/* Fill run->tasks for request q: one task per tape (by barcode), its
 * copies in file order; retired tapes and lost copies are left out.
 * Returns 0, -EINVAL (an unknown or retired label: reason in why),
 * -ENOMEM, -EIO (reason in why). */
int verify_plan_build(struct verify *v, struct vrun *run,
		      const struct verify_req *q, char *why, size_t whylen);

/* ---- verify_run.c -------------------------------------------------------- */

/* The scheduler's done callback of a task (job.done): requeue after a
 * yield, or count the tape done and end the run after its last task. */
void verify_task_done(struct sched_job *job, int result);

/* Free run and its plan. Safe on NULL. */
void verify_run_free(struct vrun *run);

/* Members per catalog page and results per transaction, each clamped to
 * 1..VERIFY_PAGE / VERIFY_BATCH (verify_start() sets the maxima). Smaller
 * ones let a test cross page and batch boundaries with a few members.
 * Call before any request. */
void verify_set_limits(struct verify *v, size_t page, size_t batch);

/* ---- verify_results.c ---------------------------------------------------- */

/* Store the result of member m (batched: flushed every v->batch
 * results). md5: what was read, NULL when nothing was. bytes: data read.
 * A BAD or UNREADABLE result is logged (the first VERIFY_LOG_MAX of a
 * copy). Returns 0 or the catalog's error (also in vc->err and
 * reported). */
int verify_result_add(struct vcopy *vc, const struct vmember *m,
		      enum catalog_result r, const char *md5, uint64_t bytes);

/* The copy's manifest member is missing, does not parse or differs from
 * the catalog (unreadable: it cannot be read): an error line of .status,
 * one BAD (UNREADABLE) in the run's totals and the copy's verdict (it
 * holds no member row: verify/RUN/LABEL does not list it). Returns 0. */
int verify_manifest_fault(struct vcopy *vc, int unreadable, const char *why);

/* Store the results still batched. 0 or the catalog's error. */
int verify_results_flush(struct vcopy *vc);

/* Progress of the copy: pos bytes of it covered. Reported to the run and
 * to the drive's status every VERIFY_REPORT bytes, or now when force. */
void verify_report(struct vcopy *vc, uint64_t pos, int force);

/* Totals of run and the detail text stored with it (MB/s per drive,
 * cancellation, tapes that failed). Lock held. */
void verify_run_totals(const struct vrun *run, struct catalog_run_totals *t,
		       char *detail, size_t len);

/* ---- verify_schedule.c ----------------------------------------------------
 */

/* With [verify] every set, start the thread that calls
 * verify_schedule_tick() at once and then every VERIFY_TICK seconds;
 * verify_schedule_stop() stops and joins it (first thing verify_stop()
 * does). 0 or -errno (logged: the mount goes on without a schedule). */
#define VERIFY_TICK 60
int verify_schedule_start(struct verify *v);
void verify_schedule_stop(struct verify *v);

/* A run whose copies are read in part (a sample): `sample PCT`, or the
 * schedule with [verify] sample below 100. */
static inline int verify_sampled(const struct vrun *run)
{
	return run->kind == VERIFY_SAMPLE ||
	       (run->kind == VERIFY_DUE && run->pct < 100);
}

/* ---- verify_walk.c ------------------------------------------------------- */

/* The scheduler's run callback of a task (job.run): verify its copies in
 * file order on the loaded tape, giving the drive up between archives
 * when a more urgent job waits (t->requeue). 0, -ECANCELED, -errno. */
int verify_task_run(struct sched_job *job, const struct sched_run *r);

#endif
