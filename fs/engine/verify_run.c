/* fs/engine/verify_run.c - runs: the engine's start and stop, a request
 * becoming a run (parsed, planned, recorded in the catalog, one scheduler
 * job per tape queued), and its end: the last job's done callback, or
 * verify_stop(), stores the run's totals and state in the catalog.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>

#include "fs/engine/library.h"
#include "fs/engine/tapefs.h"
#include "fs/engine/verify_int.h"

static uint64_t rng_seed(void)
{
	uint64_t s = 0;

	if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s) || !s)
		s = (uint64_t)time(NULL) * 2654435761ULL + 1;
	return s;
}

static void set_reason(struct verify *v, const char *req, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Keep why a request was refused (lock held by the caller). */
static void set_reason(struct verify *v, const char *req, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
	tapefs_request_reason(v->fs, "%s", v->reason);
	/* the request as written, printable and short */
	for (i = 0; req[i] && i < sizeof(v->refused) - 4; i++)
		v->refused[i] =
		    (req[i] >= 0x20 && req[i] < 0x7f) ? req[i] : '?';
	if (req[i])
		memcpy(v->refused + i, "...", 4);
	else
		v->refused[i] = 0;
	v->refused_at = time(NULL);
}

/* ---- the end of a run --------------------------------------------------- */

void verify_run_free(struct vrun *run)
{
	if (!run)
		return;
	for (size_t i = 0; i < run->ntasks; i++)
		free(run->tasks[i].items);
	free(run->tasks);
	free(run);
}

/* [verify] repair = auto: the damage a run found is repaired
 * (fs/engine/lifecycle.h), on the library module's worker. */
static void verify_repair_auto(struct tapefs *fs, int64_t run_id)
{
	struct lifecycle_req q = {.kind = LIFECYCLE_REPAIR};
	int ret = library_lifecycle_request(fs->library, &q);

	if (ret < 0 && ret != -EALREADY)
		tapefs_error(fs, "verify: run %" PRId64 ": repair not queued: %s",
			     run_id, strerror(-ret));
}

/* The audit line of a run that ended, and a line per tape it could not
 * verify (errors: a copy of run->errors). */
static void run_audit(struct verify *v, const struct vrun *run,
		      enum catalog_run_state st,
		      const struct catalog_run_totals *t, const char *errors)
{
	const char *e = errors;
	char qr[600];

	tapefs_audit(v->fs,
		     st == CATALOG_RUN_DONE ? "verify done"
					    : "verify interrupted",
		     "run=%" PRId64 " request=%s tapes=%" PRIu64
		     " tapes_planned=%" PRIu64 " archives=%" PRIu64
		     " members=%" PRIu64 " ok=%" PRIu64 " bad=%" PRIu64
		     " unreadable=%" PRIu64 " bytes=%" PRIu64 " seconds=%.1f",
		     run->id, tapefs_log_quote(run->request, qr, sizeof(qr)),
		     t->tapes, run->tapes_planned, t->archives, t->members,
		     t->ok, t->bad, t->unreadable, t->bytes, t->seconds);
	while (*e) {
		int n = (int)strcspn(e, "\n");

		tapefs_log(v->fs, LOG_ERR, "verify run %" PRId64 ": %.*s",
			   run->id, n, e);
		e += n + (e[n] == '\n');
	}
}

/* Store the run's end in the catalog (called once per run: by the last
 * job's done callback or by verify_stop()). */
static void run_finish(struct verify *v, struct vrun *run, int interrupted)
{
	struct catalog_run_totals t;
	char detail[1024], errors[sizeof(run->errors)];
	enum catalog_run_state st;
	int ret;

	pthread_mutex_lock(&v->lock);
	run->ended_mono = verify_now_mono();
	run->ended = time(NULL);
	st = interrupted || run->cancelled || run->aborted || v->stopping
		 ? CATALOG_RUN_INTERRUPTED
		 : CATALOG_RUN_DONE;
	run->state = st;
	verify_run_totals(run, &t, detail, sizeof(detail));
	memcpy(errors, run->errors, sizeof(errors));
	pthread_mutex_unlock(&v->lock);
	ret = catalog_run_update(v->fs->cat, run->id, st, &t, detail);
	if (ret)
		tapefs_error(v->fs, "verify: run %" PRId64 ": catalog: %s",
			     run->id, strerror(-ret));
	if (t.bad + t.unreadable && v->fs->cfg.verify_repair_auto)
		verify_repair_auto(v->fs, run->id);
	run_audit(v, run, st, &t, errors);
}

static void verify_unref_locked(struct verify *v, int *free_it)
{
	*free_it = --v->refs == 0;
}

static void verify_free(struct verify *v)
{
	pthread_cond_destroy(&v->tick_cond);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

static void run_add_error(struct vrun *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void run_add_error(struct vrun *run, const char *fmt, ...)
{
	size_t off = strlen(run->errors);
	va_list ap;

	if (off + 2 >= sizeof(run->errors))
		return;
	va_start(ap, fmt);
	vsnprintf(run->errors + off, sizeof(run->errors) - off - 1, fmt, ap);
	va_end(ap);
	off = strlen(run->errors);
	run->errors[off] = '\n';
	run->errors[off + 1] = 0;
}

/* Called with v->lock held by a job (or the submitter) leaving run;
 * returns with it released. Finishes run outside the lock when finish,
 * frees it when free_run, drops the caller's reference to v and wakes the
 * waiters. Returns 1 when that was the last reference: the caller frees v. */
static int run_end_unlock(struct verify *v, struct vrun *run, int finish,
			  int free_run)
{
	int free_v;

	pthread_mutex_unlock(&v->lock);
	if (finish)
		run_finish(v, run, 0);
	pthread_mutex_lock(&v->lock);
	if (free_run) {
		if (v->run == run)
			v->run = NULL;
		verify_run_free(run);
	}
	verify_unref_locked(v, &free_v);
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return free_v;
}

/* The end of one tape's job: requeue after a yield, or count it done and
 * end the run after the last one. */
void verify_task_done(struct sched_job *job, int result)
{
	struct vtask *t = job->arg;
	struct verify *v = t->v;
	struct vrun *run = t->run;
	int finish = 0, free_run = 0;

	pthread_mutex_lock(&v->lock);
	if (result == 0 && t->requeue && !v->stopping && !run->cancelled) {
		t->requeue = 0;
		pthread_mutex_unlock(&v->lock);
		result = sched_submit(v->fs->sched, &t->job);
		if (result == 0)
			return; /* still ours: done comes again */
		pthread_mutex_lock(&v->lock);
	}
	if (result == -ECANCELED)
		run->aborted = 1;
	if (result == 0 && t->next == t->n)
		run->tapes_done++;
	else if (result && result != -ECANCELED)
		run_add_error(run,
			      "error: tape %s: %s (%zu of %zu archives"
			      " verified)",
			      t->barcode, strerror(-result), t->next, t->n);
	if (--run->tasks_left == 0) {
		finish = !run->finalized;
		run->finalized = 1;
		free_run = 1;
	}
	if (run_end_unlock(v, run, finish, free_run))
		verify_free(v);
}

/* ---- the public API ------------------------------------------------------ */

int verify_start(struct tapefs *fs)
{
	struct verify *v;
	int ret;

	if (!fs || !fs->cat || !fs->sched)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->fs = fs;
	v->refs = 1;
	v->page = VERIFY_PAGE;
	v->batch = VERIFY_BATCH;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	pthread_cond_init(&v->tick_cond, NULL);
	v->rng = rng_seed();
	ret = catalog_run_interrupt_stale(fs->cat);
	if (ret < 0) {
		verify_free(v);
		return ret;
	}
	fs->verify = v;
	verify_schedule_start(v);
	return 0;
}

void verify_stop(struct tapefs *fs)
{
	struct verify *v;
	struct vrun *run = NULL;
	int free_v;

	if (!fs || !(v = fs->verify))
		return;
	verify_schedule_stop(v);
	pthread_mutex_lock(&v->lock);
	v->stopping = 1;
	while (v->running > 0 || v->planning)
		pthread_cond_wait(&v->cond, &v->lock);
	if (v->run && !v->run->finalized) {
		run = v->run;
		run->finalized = 1;
		/* held like a task while run_finish() reads it: a job still
		 * queued ends (its done callback) meanwhile, and the last one
		 * to leave frees the run */
		run->tasks_left++;
	}
	pthread_mutex_unlock(&v->lock);
	if (run)
		run_finish(v, run, 1);
	pthread_mutex_lock(&v->lock);
	if (run && --run->tasks_left == 0) {
		if (v->run == run)
			v->run = NULL;
		verify_run_free(run);
	}
	fs->verify = NULL;
	verify_unref_locked(v, &free_v);
	pthread_mutex_unlock(&v->lock);
	if (free_v)
		verify_free(v);
}

static int request_cancel(struct verify *v, const char *line)
{
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	if (!v->run || v->run->finalized) {
		set_reason(v, line, "no verification is running");
		ret = -ESRCH;
	} else {
		__atomic_store_n(&v->run->cancelled, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

/* Queue every task of run; the run holds one extra count while this goes
 * on so that it cannot end before every job is queued. */
static void run_submit(struct verify *v, struct vrun *run)
{
	int finish = 0;

	for (size_t i = 0; i < run->ntasks; i++) {
		struct vtask *t = &run->tasks[i];
		int ret;

		t->v = v;
		t->run = run;
		t->rng = verify_rng_next(&v->rng) | 1;
		t->job.prio = SCHED_PRIO_VERIFY;
		t->job.mode = TAPE_RDONLY;
		t->job.ntapes = 1;
		snprintf(t->job.barcode[0], sizeof(t->job.barcode[0]), "%.*s",
			 (int)sizeof(t->job.barcode[0]) - 1, t->barcode);
		t->job.run = verify_task_run;
		t->job.done = verify_task_done;
		t->job.arg = t;
		snprintf(t->job.desc, sizeof(t->job.desc),
			 "verify run %" PRId64 " %s", run->id, t->barcode);
		ret = sched_submit(v->fs->sched, &t->job);
		pthread_mutex_lock(&v->lock);
		if (ret) {
			char why[256] = "";

			sched_error(v->fs->sched, why, sizeof(why));
			run_add_error(run, "error: tape %s: %s%s%s", t->barcode,
				      strerror(-ret), why[0] ? ": " : "", why);
			run->tasks_left--;
			v->refs--;
		}
		pthread_mutex_unlock(&v->lock);
	}
	pthread_mutex_lock(&v->lock);
	if (--run->tasks_left == 0) {
		finish = 1;
		run->finalized = 1;
	}
	/* the mount's reference is held: never the last */
	(void)run_end_unlock(v, run, finish, finish);
}

/* Take the planning slot: one run at a time. 0, -ECANCELED, -EBUSY (the
 * reason kept). */
static int request_admit(struct verify *v, const char *line)
{
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	if (v->stopping) {
		ret = -ECANCELED;
	} else if (v->run || v->planning) {
		ret = -EBUSY;
		set_reason(v, line,
			   "run %" PRId64 " is running: wait for it"
			   " to end, or write 'cancel'",
			   v->run ? v->run->id : 0);
	} else {
		v->planning = 1;
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

/* A new run of q: planned and recorded in the catalog, not queued yet.
 * On failure *out stays NULL and why says why (empty when memory ran
 * out before anything was tried). */
static int run_new(struct verify *v, const char *line,
		   const struct verify_req *q, struct vrun **out, char *why,
		   size_t whylen)
{
	struct vrun *run = calloc(1, sizeof(*run));
	int ret;

	if (!run)
		return -ENOMEM;
	run->kind = q->kind;
	run->pct = q->pct;
	snprintf(run->request, sizeof(run->request), "%s", line);
	for (char *p = run->request; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = 0;
	ret = verify_plan_build(v, run, q, why, whylen);
	if (!ret) {
		ret = catalog_run_start(v->fs->cat, run->request, &run->id);
		if (ret)
			snprintf(why, whylen, "catalog: %s", strerror(-ret));
	}
	if (ret) {
		verify_run_free(run);
		return ret;
	}
	run->started = time(NULL);
	run->t0 = verify_now_mono();
	run->tapes_planned = run->ntasks;
	run->tasks_left = run->ntasks + 1;
	*out = run;
	return 0;
}

/* Plan, record and queue the run of q (the planning slot taken). */
static int request_run(struct verify *v, const char *line,
		       const struct verify_req *q, int64_t *run_id)
{
	struct vrun *run = NULL;
	char why[256] = "";
	int ret;

	ret = run_new(v, line, q, &run, why, sizeof(why));
	pthread_mutex_lock(&v->lock);
	if (ret && why[0])
		set_reason(v, line, "%s", why);
	if (!ret) {
		v->run = run;
		v->refs += (int)run->ntasks + 1;
	}
	pthread_mutex_unlock(&v->lock);
	if (ret)
		return ret;
	if (run_id)
		*run_id = run->id;
	run_submit(v, run);
	return 0;
}

/* The labels of q: each known to the catalog and not retired. */
static int labels_check(struct verify *v, const struct verify_req *q, char *why,
			size_t whylen)
{
	struct catalog_tape t;
	int ret;

	for (int i = 0; i < q->nlabels; i++) {
		ret = catalog_tape_get(v->fs->cat, q->labels[i], &t);
		if (ret == -ENOENT || ret == -EINVAL) {
			snprintf(why, whylen, "unknown label '%s'",
				 q->labels[i]);
			return -EINVAL;
		}
		if (ret) {
			snprintf(why, whylen, "catalog: %s", strerror(-ret));
			return ret;
		}
		if (t.state == CATALOG_TAPE_RETIRED) {
			snprintf(why, whylen,
				 "tape '%s' is retired: never read",
				 q->labels[i]);
			return -EINVAL;
		}
	}
	return 0;
}

int verify_request_check(struct verify *v, const char *line, char *why,
			 size_t whylen)
{
	struct verify_req *q;
	int ret, going;

	if (!v || !line)
		return -EINVAL;
	q = malloc(sizeof(*q));
	if (!q)
		return -ENOMEM;
	ret = verify_parse(line, q, why, whylen);
	if (!ret)
		ret = labels_check(v, q, why, whylen);
	if (ret)
		goto out_free;
	/* what request_cancel() and request_admit() test */
	pthread_mutex_lock(&v->lock);
	going = v->run || v->planning;
	if (q->kind == VERIFY_CANCEL && (!v->run || v->run->finalized)) {
		snprintf(why, whylen, "no verification is running");
		ret = -ESRCH;
	} else if (q->kind != VERIFY_CANCEL && going) {
		snprintf(why, whylen,
			 "run %" PRId64 " is running: wait for it to end, or "
			 "write 'cancel'",
			 v->run ? v->run->id : 0);
		ret = -EBUSY;
	}
	pthread_mutex_unlock(&v->lock);
out_free:
	free(q);
	return ret;
}

/* Admit, plan, record and queue the run of q. */
static int request_go(struct verify *v, const char *line,
		      const struct verify_req *q, int64_t *run_id)
{
	int ret = request_admit(v, line);

	if (ret)
		return ret;
	ret = request_run(v, line, q, run_id);
	/* verify_stop() waits until every job is queued */
	pthread_mutex_lock(&v->lock);
	v->planning = 0;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

int verify_request(struct verify *v, const char *line, int64_t *run_id)
{
	struct verify_req *q = NULL;
	char why[256];
	int ret;

	if (!v || !line)
		return -EINVAL;
	q = malloc(sizeof(*q));
	if (!q)
		return -ENOMEM;
	ret = verify_parse(line, q, why, sizeof(why));
	if (ret) {
		pthread_mutex_lock(&v->lock);
		set_reason(v, line, "%s", why);
		pthread_mutex_unlock(&v->lock);
		goto out_free;
	}
	if (q->kind == VERIFY_CANCEL)
		ret = request_cancel(v, line);
	else
		ret = request_go(v, line, q, run_id);
out_free:
	free(q);
	return ret;
}

/* "scheduled: verified before 2026-06-01 12:00, sample 25%" */
static void due_line(int64_t before, int pct, char *buf, size_t len)
{
	time_t t = (time_t)before;
	struct tm tm;
	char when[32] = "?";

	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "scheduled: verified before %s%s", when,
		 pct < 100 ? ", sample" : "");
	if (pct < 100)
		snprintf(buf + strlen(buf), len - strlen(buf), " %d%%", pct);
}

static int any_copy(void *ctx, const struct catalog_copy *c)
{
	(void)ctx;
	(void)c;
	return 1;
}

int verify_request_due(struct verify *v, int64_t before, int pct,
		       int64_t *run_id)
{
	struct verify_req *q;
	char line[128];
	int ret;

	if (!v || pct < 1 || pct > 100)
		return -EINVAL;
	if (run_id)
		*run_id = 0;
	ret = catalog_copies_due(v->fs->cat, before, any_copy, NULL);
	if (ret <= 0) /* 0: nothing due */
		return ret;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->kind = VERIFY_DUE;
	q->pct = pct;
	q->before = before;
	due_line(before, pct, line, sizeof(line));
	ret = request_go(v, line, q, run_id);
	free(q);
	return ret;
}

void verify_set_limits(struct verify *v, size_t page, size_t batch)
{
	v->page = page < 1 ? 1 : page > VERIFY_PAGE ? VERIFY_PAGE : page;
	v->batch = batch < 1 ? 1 : batch > VERIFY_BATCH ? VERIFY_BATCH : batch;
}
