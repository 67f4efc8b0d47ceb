/* fs/engine/verify_results.c - the results of a run and its figures: each
 * member's result stored in the catalog in batches, the progress and
 * totals counted under the engine's lock as jobs go, and the figures the
 * namespace renders (fs/ns/ns_verify.c): the current run's live numbers,
 * or the last run's from the catalog.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "fs/engine/tapefs.h"
#include "fs/engine/verify_int.h"

/* ---- storing results ---------------------------------------------------- */

int verify_results_flush(struct vcopy *vc)
{
	struct verify *v = vc->t->v;
	int ret;

	if (!vc->nin)
		return 0;
	ret = catalog_run_results_add(v->fs->cat, vc->t->run->id, vc->in,
				      vc->nin);
	vc->nin = 0;
	if (ret) {
		tapefs_error(v->fs,
			     "verify: run %" PRId64 ": storing results: %s",
			     vc->t->run->id, strerror(-ret));
		vc->err = ret;
	}
	return ret;
}

void verify_report(struct vcopy *vc, uint64_t pos, int force)
{
	struct vtask *t = vc->t;
	struct verify *v = t->v;

	if (pos < vc->pos)
		pos = vc->pos;
	if (!force && pos - vc->reported < VERIFY_REPORT)
		return;
	pthread_mutex_lock(&v->lock);
	t->run->progress += pos - vc->pos;
	t->pos += pos - vc->pos;
	pthread_mutex_unlock(&v->lock);
	vc->pos = pos;
	vc->reported = pos;
	sched_drive_report(v->fs->sched, vc->drive, SCHED_DRIVE_READING,
			   (long)vc->it->c.fileno, -1, t->pos, t->bytes);
}

/* A failed member in the log: run, tape, tape file, archive, path. */
static void failure_log(struct vcopy *vc, const struct vmember *m,
			enum catalog_result r)
{
	const struct catalog_copy *c = &vc->it->c;
	uint64_t n = vc->bad + vc->unreadable; /* before this one */
	char qp[1400];

	if (n >= VERIFY_LOG_MAX)
		return;
	tapefs_log(vc->t->v->fs, LOG_WARNING,
		   "verify %s: run=%" PRId64 " tape=%s file=%" PRId64
		   " archive=%" PRId64 " path=%s%s%s",
		   r == CATALOG_RESULT_BAD ? "BAD" : "UNREADABLE",
		   vc->t->run->id, c->barcode, c->fileno, c->archive,
		   tapefs_log_quote(m->path, qp, sizeof(qp)),
		   m->path_long ? " (cut)" : "",
		   n + 1 == VERIFY_LOG_MAX ? "; the copy's further failures "
					     "are in verify/RUN/failures only"
					   : "");
}

int verify_result_add(struct vcopy *vc, const struct vmember *m,
		      enum catalog_result r, const char *md5, uint64_t bytes)
{
	struct vrun *run = vc->t->run;
	struct verify *v = vc->t->v;
	size_t i = vc->nin;

	if (r != CATALOG_RESULT_OK)
		failure_log(vc, m, r);
	vc->in[i].copy_id = vc->it->c.id;
	vc->in[i].member_id = m->id;
	vc->in[i].result = r;
	snprintf(vc->md5[i], MD5_HEX_SIZE, "%s", md5 ? md5 : "");
	vc->in[i].md5 = vc->md5[i][0] ? vc->md5[i] : NULL;
	vc->nin++;
	pthread_mutex_lock(&v->lock);
	run->members++;
	run->bytes += bytes;
	run->drive[vc->drive].bytes += bytes;
	if (r == CATALOG_RESULT_OK)
		run->ok++;
	else if (r == CATALOG_RESULT_BAD)
		run->bad++;
	else
		run->unreadable++;
	pthread_mutex_unlock(&v->lock);
	if (r == CATALOG_RESULT_OK)
		vc->ok++;
	else if (r == CATALOG_RESULT_BAD)
		vc->bad++;
	else
		vc->unreadable++;
	if (vc->nin >= v->batch)
		return verify_results_flush(vc);
	return 0;
}

/* ---- the figures -------------------------------------------------------- */

void verify_run_totals(const struct vrun *run, struct catalog_run_totals *t,
		       char *detail, size_t len)
{
	size_t off = 0;

	memset(t, 0, sizeof(*t));
	t->tapes = run->tapes_done;
	t->archives = run->archives;
	t->members = run->members;
	t->bytes = run->bytes;
	t->ok = run->ok;
	t->bad = run->bad;
	t->unreadable = run->unreadable;
	t->seconds =
	    (run->ended_mono ? run->ended_mono : verify_now_mono()) - run->t0;
	detail[0] = 0;
	for (int d = 0; d < SCHED_DRIVES_MAX && off < len; d++) {
		const struct vdrive *dr = &run->drive[d];

		if (!dr->used)
			continue;
		off += (size_t)snprintf(
		    detail + off, len - off,
		    "drive%d: %.1f MB/s %" PRIu64 " bytes %.1f s\n", d,
		    dr->seconds > 0 ? (double)dr->bytes / 1e6 / dr->seconds
				    : 0.0,
		    dr->bytes, dr->seconds);
	}
	if (run->cancelled && off < len)
		off += (size_t)snprintf(detail + off, len - off,
					"note: cancelled by request\n");
	if (run->errors[0] && off < len)
		snprintf(detail + off, len - off, "%s", run->errors);
}

/* The figures of the running run (lock held): running until its end is
 * in the catalog and it is gone. */
static void progress_live(const struct vrun *run, struct verify_progress *out)
{
	out->run_id = run->id;
	out->running = 1;
	snprintf(out->state, sizeof(out->state), "running");
	out->bytes_planned = run->bytes_planned;
	out->bytes_done = run->progress;
	out->percent = run->bytes_planned
			   ? (int)(run->progress * 100 / run->bytes_planned)
			   : 0;
	if (out->percent > 100)
		out->percent = 100;
	out->tapes_planned = run->tapes_planned;
	out->tapes_done = run->tapes_done;
	out->members_done = run->members;
	out->ok = run->ok;
	out->bad = run->bad;
	out->unreadable = run->unreadable;
	out->started = run->started;
}

/* The figures of the last run the catalog holds ("idle" when none). */
static int progress_last(struct verify *v, struct verify_progress *out)
{
	struct catalog_run r;
	int64_t id;
	int ret;

	id = catalog_run_latest(v->fs->cat);
	if (id < 0)
		return (int)id;
	if (id == 0) {
		snprintf(out->state, sizeof(out->state), "idle");
		return 0;
	}
	ret = catalog_run_get(v->fs->cat, id, &r);
	if (ret)
		return ret;
	out->run_id = r.id;
	snprintf(out->state, sizeof(out->state), "%s",
		 catalog_run_state_name(r.state));
	out->percent = r.state == CATALOG_RUN_DONE ? 100 : 0;
	out->bytes_planned = r.totals.bytes;
	out->bytes_done = r.totals.bytes;
	out->tapes_planned = r.totals.tapes;
	out->tapes_done = r.totals.tapes;
	out->members_done = r.totals.members;
	out->ok = r.totals.ok;
	out->bad = r.totals.bad;
	out->unreadable = r.totals.unreadable;
	out->started = r.started;
	out->ended = r.ended;
	return 0;
}

int verify_progress(struct verify *v, struct verify_progress *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&v->lock);
	if (v->run) {
		progress_live(v->run, out);
		pthread_mutex_unlock(&v->lock);
		return 0;
	}
	pthread_mutex_unlock(&v->lock);
	return progress_last(v, out);
}

int verify_run_get(struct verify *v, int64_t run_id, struct catalog_run *out,
		   int *live)
{
	int ret = catalog_run_get(v->fs->cat, run_id, out);

	*live = 0;
	if (ret)
		return ret;
	pthread_mutex_lock(&v->lock);
	if (v->run && v->run->id == run_id) {
		struct vrun *run = v->run;

		*live = 1;
		out->state = CATALOG_RUN_RUNNING;
		verify_run_totals(run, &out->totals, out->detail,
				  sizeof(out->detail));
		out->totals.tapes = run->tapes_done;
	}
	pthread_mutex_unlock(&v->lock);
	return 0;
}

int verify_run_live(struct verify *v, int64_t run_id, struct verify_live *out)
{
	int ret = -ENOENT;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&v->lock);
	if (v->run && v->run->id == run_id) {
		struct vrun *run = v->run;

		out->bytes_planned = run->bytes_planned;
		out->progress = run->progress;
		out->tapes_planned = run->tapes_planned;
		out->tapes_done = run->tapes_done;
		out->pct = run->pct;
		ret = 0;
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

int verify_run_has_tape(struct verify *v, int64_t run_id, const char *barcode)
{
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	if (v->run && v->run->id == run_id)
		for (size_t i = 0; i < v->run->ntasks && !ret; i++)
			ret = !strcmp(v->run->tasks[i].barcode, barcode);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

void verify_refusal(struct verify *v, char *req, size_t reqlen, char *why,
		    size_t whylen, time_t *when)
{
	pthread_mutex_lock(&v->lock);
	snprintf(req, reqlen, "%s", v->refused);
	snprintf(why, whylen, "%s", v->reason);
	*when = v->refused_at;
	pthread_mutex_unlock(&v->lock);
}

int verify_manifest_fault(struct vcopy *vc, int unreadable, const char *why)
{
	struct vtask *t = vc->t;
	struct verify *v = t->v;

	tapefs_error(v->fs, "verify: %s file %" PRId64 ": manifest %s",
		     t->barcode, vc->it->c.fileno, why);
	pthread_mutex_lock(&v->lock);
	if (unreadable)
		t->run->unreadable++;
	else
		t->run->bad++;
	pthread_mutex_unlock(&v->lock);
	if (unreadable)
		vc->unreadable++;
	else
		vc->bad++;
	return 0;
}
