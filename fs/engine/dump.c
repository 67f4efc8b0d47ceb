/* fs/engine/dump.c - the dump engine (fs/engine/dump.h): what the mount
 * calls, the engine's thread and its triggers, and dump_once(), which runs
 * the steps of one dump (the other dump_*.c files, dump_int.h).
 *
 * The engine thread does everything slow: recovery at start-up, scans of
 * staging/ to keep the pending counts honest, and the dumps themselves
 * (one at a time). The functions the mount calls from FUSE threads only
 * update counters under the engine's mutex and wake the thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fs/engine/dump_int.h"
#include "fs/engine/library.h"
#include "fs/engine/tapefs.h"
#include "tapeio/tarw.h"

#define DUMP_RETRY_S	 30 /* pause of automatic dumps after a failure */
#define DUMP_FAILS_PAUSE 3  /* failed dumps in a row that pause dumping */

static time_t now_s(void)
{
	return time(NULL);
}

void dump_error_vnote(struct dump *d, const char *who, const char *fmt,
		      va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	pthread_mutex_lock(&d->mu);
	snprintf(d->last_error, sizeof(d->last_error), "%s", msg);
	d->last_error_time = now_s();
	pthread_mutex_unlock(&d->mu);
	tapefs_error(d->fs, "%s: %s", who, msg);
}

void dump_error_set(struct dump *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dump_error_vnote(d, "dump", fmt, ap);
	va_end(ap);
}

int dump_stopping(struct dump *d)
{
	int ret;

	pthread_mutex_lock(&d->mu);
	ret = d->stopping ? -ECANCELED : 0;
	pthread_mutex_unlock(&d->mu);
	return ret;
}

void dump_path_changed(struct dump *d, const char *relpath)
{
	(void)relpath;
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->dirty = 1;
	d->last_change = now_s();
	pthread_mutex_unlock(&d->mu);
}

/* ---- one dump ----------------------------------------------------------- */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void current_set(struct dump *d, const struct dump_snap *s)
{
	char **v = s ? calloc(s->n ? s->n : 1, sizeof(*v)) : NULL;
	size_t n = 0;

	if (v) {
		for (size_t i = 0; i < s->n; i++)
			v[n++] = s->e[i].rel;
		qsort(v, n, sizeof(*v), str_cmp);
	}
	pthread_mutex_lock(&d->mu);
	free(d->cur_paths);
	d->cur_paths = v;
	d->ncur_paths = v ? n : 0;
	d->running = s != NULL;
	if (s) {
		d->cur_files = s->files;
		d->cur_bytes = s->bytes;
		d->cur_done = 0;
		d->cur_total = 0;
		d->cur_id = 0;
		d->cur_tapes[0] = 0;
	}
	pthread_mutex_unlock(&d->mu);
}

/* After a dump: count failures in a row; enough of them pause dumps. A
 * stop (-ECANCELED) and sources that all changed (-ESTALE: they simply
 * dump later) are no failure of the archive's path to tape. */
static void fails_note(struct dump *d, int ret)
{
	pthread_mutex_lock(&d->mu);
	if (!ret) {
		d->fails = 0;
	} else if (ret != -ECANCELED && ret != -ESTALE &&
		   ++d->fails >= DUMP_FAILS_PAUSE && !d->paused) {
		d->paused = 1;
		pthread_mutex_unlock(&d->mu);
		tapefs_error(d->fs,
			     "dump: paused after %d failed dumps in a row; "
			     "echo resume > .dump",
			     DUMP_FAILS_PAUSE);
		return;
	}
	pthread_mutex_unlock(&d->mu);
}

/* Step 1 for dump_once(): the snapshot of rel (NULL: everything). 1 when
 * it holds something to dump, else 0 (the reason recorded when it
 * matters: a failure, or a request that finds nothing). */
static int snapshot(struct dump *d, const char *rel, int requested,
		    struct dump_snap *s)
{
	int ret;

	ret = dump_snap_take(d, rel ? rel : "", s, NULL, NULL);
	if (ret == 0)
		dump_large_prune(d, s->gen); /* a full one knows them all */
	if (ret < 0) {
		dump_error_set(d, "snapshot of '%s': %s",
			       rel ? rel : "staging/", strerror(-ret));
		return 0;
	}
	if (!s->n) {
		if (requested && s->too_large)
			dump_error_set(d,
				       "nothing to dump in '%s': %llu files "
				       "larger than any tape stay staged "
				       "(too_large)",
				       rel ? rel : "staging/",
				       (unsigned long long)s->too_large);
		else if (requested)
			dump_error_set(d,
				       "nothing to dump in '%s' (files still "
				       "open for writing?)",
				       rel ? rel : "staging/");
		dump_snap_free(s);
		return 0;
	}
	return 1;
}

/* A committed dump of s: its entries leave staging/ (step 8), and it
 * becomes the last dump of `.dump`. */
static void committed(struct dump *d, const struct dump_snap *s)
{
	size_t kept = dump_staging_clean(d, s, d->cur_id);

	pthread_mutex_lock(&d->mu);
	d->committed++;
	d->last_id = d->cur_id;
	d->last_time = now_s();
	d->last_files = 0;
	d->last_bytes = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct dump_entry *e = &s->e[i];

		if (e->dropped || S_ISDIR(e->st.st_mode))
			continue;
		d->last_files++;
		if (S_ISREG(e->st.st_mode))
			d->last_bytes += (uint64_t)e->st.st_size;
	}
	snprintf(d->last_tapes, sizeof(d->last_tapes), "%s", d->cur_tapes);
	d->retry_after = 0;
	pthread_mutex_unlock(&d->mu);
	if (kept)
		tapefs_error(d->fs,
			     "dump %lld: %zu entries changed after the "
			     "snapshot: they stay staged",
			     (long long)d->last_id, kept);
}

/* The next archive of cut, steps 2 to 8: journaled, written, committed,
 * its entries leaving staging/. 0 when committed, else -errno. */
static int dump_archive(struct dump *d, struct dump_cut *cut)
{
	struct dump_snap b;
	int ret;

	ret = dump_cut_batch(cut, &b);
	if (ret < 0) {
		dump_error_set(d, "snapshot: %s", strerror(-ret));
		return ret;
	}
	current_set(d, &b);
	ret = dump_write(d, &b, &cut->plan); /* journal, rounds, commit */
	if (ret == 0)
		committed(d, &b);
	current_set(d, NULL);
	dump_snap_free(&b);
	return ret;
}

/* One dump of rel (NULL: everything); requested: from `.dump`, with
 * its target (may be NULL: the configuration's pools). The snapshot, cut
 * into archives that fit the tapes (a `now PATH` is one archive when a
 * tape takes it whole; on tapes it named, one or none), each written as a
 * dump of its own, in path order. Returns 1 when it must wait for a tape
 * (nothing was done), else 0: how it went is in the history and
 * `.status`. */
static int dump_once_held(struct dump *d, const char *rel, int requested,
			  const struct dump_target *target)
{
	const struct tapefs_config *c = &d->fs->cfg;
	struct dump_snap s;
	struct dump_cut cut;
	uint64_t before;
	int ret, any;

	/* a target was checked when it was asked for */
	if ((!target || target->kind == DUMP_TARGET_NONE) &&
	    !dump_tapes_ready(d))
		return 1;
	if (requested)
		dump_writers_settle(d);
	if (!snapshot(d, rel, requested, &s))
		return 0;
	pthread_mutex_lock(&d->mu);
	before = d->committed;
	pthread_mutex_unlock(&d->mu);
	dump_cut_init(&cut, &s, rel != NULL,
		      c->block_size ? c->block_size : TARW_BLOCK_SIZE);
	dump_target_plan(d, target, &cut.plan);
	while (!(ret = dump_cut_next(d, &cut))) {
		ret = dump_archive(d, &cut);
		if (ret == -EFBIG && dump_cut_again(&cut))
			continue; /* a tape proved smaller: cut again */
		if (ret)
			break;
		cut.next = cut.end;
		ret = 0;
	}
	/* 1: all done. The cut's -ENOSPC: no tape has room for the rest; it
	 * waits for one (dump_tapes_ready) and is no failed dump. */
	fails_note(d, ret == 1 || (ret == -ENOSPC && cut.no_tape) ? 0 : ret);
	if (ret < 0) {
		pthread_mutex_lock(&d->mu);
		d->retry_after = now_s() + DUMP_RETRY_S;
		pthread_mutex_unlock(&d->mu);
	}
	pthread_mutex_lock(&d->mu);
	d->dirty = 1;
	d->last_scan = 0;
	any = d->committed != before;
	pthread_mutex_unlock(&d->mu);
	dump_cut_release(&cut);
	dump_snap_free(&s);
	if (any)
		dump_catalog_keep(d); /* step 9, once for the dump's archives */
	return 0;
}

/* dump_once_held() under the lease on a staging directory other hosts
 * share (dump_shared.c): 1 too while another host dumps it. */
static int dump_once(struct dump *d, const char *rel, int requested,
		     const struct dump_target *target)
{
	int ret = dump_staging_take(d);

	if (ret)
		return ret > 0;
	ret = dump_once_held(d, rel, requested, target);
	dump_staging_release(d);
	return ret;
}

/* ---- the engine's thread and its triggers ------------------------------ */

/* Scan staging/ for the exact pending figures. */
static void rescan(struct dump *d)
{
	struct dump_snap s;
	uint64_t files = 0, bytes = 0;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&d->mu);
	d->dirty = 0;
	pthread_mutex_unlock(&d->mu);
	if (dump_snap_take(d, "", &s, &files, &bytes) < 0) {
		pthread_mutex_lock(&d->mu);
		d->dirty = 1;
		d->last_scan = now_s();
		pthread_mutex_unlock(&d->mu);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_lock(&d->mu);
	d->staged_files = files;
	d->staged_bytes = bytes;
	d->elig_files = s.files;
	d->elig_bytes = s.bytes;
	/* Directories alone (empty ones) are pending too. */
	d->pending_entries = s.n;
	/* Scan again at most every 2 s, and never spend more than a tenth
	 * of the time scanning (a huge staging/ during ingest). */
	d->scan_every =
	    2 + (time_t)(10 * ((double)(t1.tv_sec - t0.tv_sec) +
			       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9));
	d->last_scan = now_s();
	pthread_mutex_unlock(&d->mu);
	dump_failed_prune(d, s.gen);
	dump_large_prune(d, s.gen);
	dump_snap_free(&s);
}

/* The thresholds are read atomically: SIGHUP's reload changes them
 * (fs/reload.h). */
static int auto_due(struct dump *d, time_t now)
{
	const struct tapefs_config *c = &d->fs->cfg;
	uint64_t bytes = __atomic_load_n(&c->dump_bytes, __ATOMIC_RELAXED);
	uint64_t files = __atomic_load_n(&c->dump_files, __ATOMIC_RELAXED);
	unsigned idle = __atomic_load_n(&c->dump_idle, __ATOMIC_RELAXED);

	if (now < d->retry_after || now < d->wait_until || d->paused)
		return 0;
	if (bytes && d->elig_bytes >= bytes)
		return 1;
	if (files && d->elig_files >= files)
		return 1;
	if ((d->elig_files || d->pending_entries) && !d->dirty && idle &&
	    now - d->last_change >= (time_t)idle)
		return 1;
	return 0;
}

/* The steps of the engine's loop run with d->mu held (dropped while they
 * work) and return 1 when they did something. */

/* The first request of `.dump`, unless dumps pause or wait for a tape
 * (then it stays first in line). 1 when one was served. */
static int serve_request(struct dump *d, time_t now)
{
	struct dump_req *r = d->reqs;

	if (!r || d->paused || now < d->wait_until)
		return 0;
	d->reqs = r->next;
	pthread_mutex_unlock(&d->mu);
	if (dump_once(d, r->path, 1, &r->target)) {
		/* no tape yet: first in line again */
		pthread_mutex_lock(&d->mu);
		r->next = d->reqs;
		d->reqs = r;
		return 1;
	}
	free(r->path);
	free(r);
	pthread_mutex_lock(&d->mu);
	return 1;
}

/* Scan staging/ again when it changed and the last scan is old enough. */
static int serve_rescan(struct dump *d, time_t now)
{
	if (!d->dirty || now - d->last_scan < d->scan_every)
		return 0;
	pthread_mutex_unlock(&d->mu);
	rescan(d);
	pthread_mutex_lock(&d->mu);
	return 1;
}

/* The sweep of empty, untouched, archived staged directories: every
 * quarter of dir_keep, at least every 10 minutes, at most every second. */
static int serve_sweep(struct dump *d, time_t now)
{
	time_t every = d->fs->cfg.dir_keep / 4;
	size_t n;

	if (!d->fs->cfg.dir_keep)
		return 0;
	every = every < 1 ? 1 : every > 600 ? 600 : every;
	if (now - d->last_sweep < every)
		return 0;
	d->last_sweep = now;
	pthread_mutex_unlock(&d->mu);
	n = dump_dirs_sweep(d);
	pthread_mutex_lock(&d->mu);
	if (n)
		d->dirty = 1;
	return 1;
}

/* An automatic dump when a threshold is reached (checked again on fresh
 * figures). */
static int serve_auto(struct dump *d, time_t now)
{
	if (!auto_due(d, now))
		return 0;
	pthread_mutex_unlock(&d->mu);
	rescan(d);
	pthread_mutex_lock(&d->mu);
	if (!auto_due(d, now_s()))
		return 1;
	pthread_mutex_unlock(&d->mu);
	(void)dump_once(d, NULL, 0, NULL);
	pthread_mutex_lock(&d->mu);
	return 1;
}

static void *engine_main(void *arg)
{
	struct dump *d = arg;

	dump_recover(d);
	library_import(d->fs);
	rescan(d);
	pthread_mutex_lock(&d->mu);
	d->started_up = 1;
	pthread_cond_broadcast(&d->cv);
	while (!d->stopping) {
		time_t now = now_s();
		struct timespec ts;

		if (serve_request(d, now) || serve_rescan(d, now) ||
		    serve_auto(d, now) || serve_sweep(d, now))
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&d->cv, &d->mu, &ts);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int dump_start(struct tapefs *fs)
{
	struct dump *d;
	int ret;

	if (fs->cfg.copies < 1 || fs->cfg.copies > SCHED_GANG_MAX ||
	    fs->cfg.copies > fs->cfg.npools) {
		fprintf(
		    stderr,
		    "tapefs: dump: %d copies need as many pools (%d given)\n",
		    fs->cfg.copies, fs->cfg.npools);
		return -EINVAL;
	}
	if (!fs->cat || !fs->sched || fs->staging_fd < 0)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->fs = fs;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	d->dirty = 1;
	d->scan_every = 2;
	d->last_change = now_s();
	fs->dump = d;
	ret = -pthread_create(&d->th, NULL, engine_main, d);
	if (ret < 0) {
		fs->dump = NULL;
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		free(d);
		return ret;
	}
	d->th_started = 1;
	return 0;
}

void dump_stop(struct tapefs *fs)
{
	struct dump *d = fs ? fs->dump : NULL;

	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = 1;
	if (d->cur_w)
		tarw_cancel(d->cur_w);
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	if (d->th_started)
		pthread_join(d->th, NULL);
	dump_requests_free(d);
	dump_writers_free(d);
	dump_large_free(d);
	free(d->cur_paths);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	fs->dump = NULL;
	free(d);
}

/* ---- status ------------------------------------------------------------- */

static int percent_locked(const struct dump *d)
{
	uint64_t p;

	if (!d->running || !d->cur_total)
		return 0;
	p = d->cur_done * 100 / d->cur_total;
	return p > 100 ? 100 : (int)p;
}

int dump_stats(struct dump *d, struct dump_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&d->mu);
	out->running = d->running;
	out->percent = percent_locked(d);
	if (d->running) {
		out->current_id = d->cur_id;
		out->current_files = d->cur_files;
		out->current_bytes = d->cur_bytes;
		snprintf(out->current_tapes, sizeof(out->current_tapes), "%s",
			 d->cur_tapes);
	}
	out->staged_files = d->staged_files;
	out->staged_bytes = d->staged_bytes;
	out->eligible_files = d->elig_files;
	out->eligible_bytes = d->elig_bytes;
	out->dumps_committed = d->committed;
	out->last_id = d->last_id;
	out->last_time = d->last_time;
	out->last_files = d->last_files;
	out->last_bytes = d->last_bytes;
	snprintf(out->last_tapes, sizeof(out->last_tapes), "%s", d->last_tapes);
	snprintf(out->last_error, sizeof(out->last_error), "%s", d->last_error);
	out->last_error_time = d->last_error_time;
	snprintf(out->waiting, sizeof(out->waiting), "%s", d->waiting);
	out->paused = d->paused;
	out->fails = d->fails;
	dump_failed_stats(d, out);
	dump_large_stats(d, out);
	snprintf(out->cut_note, sizeof(out->cut_note), "%s", d->cut_note);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

int dump_path_dumping(struct dump *d, const char *relpath)
{
	int r = 0;

	if (!d || !relpath)
		return 0;
	while (*relpath == '/')
		relpath++;
	pthread_mutex_lock(&d->mu);
	if (d->running && d->cur_paths)
		r = bsearch(&relpath, d->cur_paths, d->ncur_paths,
			    sizeof(char *), str_cmp) != NULL;
	pthread_mutex_unlock(&d->mu);
	return r;
}

int dump_file_too_large(struct dump *d, const struct stat *st)
{
	return dump_large_is(d, st);
}
