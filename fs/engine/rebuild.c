/* fs/engine/rebuild.c - a rebuild run (fs/engine/rebuild.h): which tapes
 * are read, their jobs on every drive at once, then the commit
 * (rebuild_commit.c) and the report.
 *
 * The manifests found are kept in a spill file beside the catalog (an
 * unnamed O_TMPFILE, else a file unlinked at once), not in memory: a
 * library of millions of members has gigabytes of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/engine/private_dir.h"
#include "fs/engine/rebuild_int.h"

int rb_stopping(struct rebuild *rb)
{
	return (rb->o->stop && rb->o->stop(rb->o->arg)) ||
	       (rb->fs->sched && sched_stopping(rb->fs->sched));
}

void rb_progress(struct rebuild *rb, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!rb->o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	rb->o->progress(rb->o->arg, line);
}

void rb_fail(struct rebuild *rb, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	tapefs_error(rb->fs, "rebuild: %s", line);
	if (!rb->rep->error[0])
		snprintf(rb->rep->error, sizeof(rb->rep->error), "%s", line);
}

/* The spill file, in the catalog's temporary directory (a catalog
 * file's own, the same disk, which the catalog needs room on anyway; the
 * cache's tapefs-tmp/ for a server's catalog). -errno. */
static int spill_open(const char *dir)
{
	char tmpl[4200];
	int fd = dir ? private_dir_make(dir) : -EINVAL;

	if (fd < 0)
		return fd;
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(tmpl, sizeof(tmpl), "%s/.tapefs-rebuild.XXXXXX", dir);
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
	}
	return fd < 0 ? -errno : fd;
}

/* The tapes to read: those named, or every tape of the catalog. */
struct tape_list {
	struct rebuild *rb;
	int failed;
};

static int tape_add(void *ctx, const struct catalog_tape *t)
{
	struct tape_list *tl = ctx;
	struct rebuild *rb = tl->rb;
	struct rb_tape *tp;

	if (t->state == CATALOG_TAPE_ADOPTED)
		return 0; /* no tapefs label, no manifests: adopted once */
	if (rb->o->skip_closed &&
	    (t->state == CATALOG_TAPE_FULL || t->state == CATALOG_TAPE_RETIRED))
		return 0;
	tp = realloc(rb->tapes, (rb->ntapes + 1) * sizeof(*tp));
	if (!tp)
		return -ENOMEM;
	rb->tapes = tp;
	tp = &rb->tapes[rb->ntapes++];
	memset(tp, 0, sizeof(*tp));
	tp->rb = rb;
	tp->ct = *t;
	tp->from = rb->o->full ? 1 : t->last_file + 1;
	return 0;
}

static int tapes_list(struct rebuild *rb)
{
	struct tape_list tl = {rb, 0};
	struct catalog_tape t;
	int ret = 0;

	if (!rb->o->nlabels)
		return catalog_tape_list(rb->fs->cat, NULL, -1, tape_add, &tl);
	for (size_t i = 0; i < rb->o->nlabels && ret >= 0; i++) {
		ret = catalog_tape_get(rb->fs->cat, rb->o->labels[i], &t);
		if (ret == -ENOENT) {
			rb_fail(rb,
				"tape %s: not in the catalog (an inventory "
				"registers it)",
				rb->o->labels[i]);
			rb->rep->tapes_failed++;
			ret = 0;
			continue;
		}
		if (!ret)
			ret = tape_add(&tl, &t);
	}
	return ret;
}

static void tape_done(struct sched_job *job, int result)
{
	struct rb_tape *tp = (struct rb_tape *)job;
	struct rebuild *rb = tp->rb;

	pthread_mutex_lock(&rb->mu);
	tp->result = result;
	tp->ended = 1;
	rb->ended++;
	pthread_cond_broadcast(&rb->cv);
	pthread_mutex_unlock(&rb->mu);
}

/* Queue the read of every tape; a tape the scheduler refuses ends at
 * once with that error. */
static void tapes_submit(struct rebuild *rb)
{
	for (size_t i = 0; i < rb->ntapes; i++) {
		struct rb_tape *tp = &rb->tapes[i];
		int ret;

		tp->job.prio = SCHED_PRIO_VERIFY;
		tp->job.mode = TAPE_RDONLY;
		tp->job.ntapes = 1;
		snprintf(tp->job.barcode[0], sizeof(tp->job.barcode[0]),
			 "%.35s", tp->ct.barcode);
		tp->job.run = rb_tape_job;
		tp->job.done = tape_done;
		snprintf(tp->job.desc, sizeof(tp->job.desc), "rebuild: %s",
			 tp->ct.barcode);
		ret = sched_submit(rb->fs->sched, &tp->job);
		if (ret < 0)
			tape_done(&tp->job, ret);
	}
}

/* Wait for every job; when the run must stop, take the queued ones off
 * (the running ones see it between files). */
static void tapes_wait(struct rebuild *rb)
{
	struct timespec until;
	int cancelled = 0;

	pthread_mutex_lock(&rb->mu);
	while (rb->ended < rb->ntapes) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&rb->cv, &rb->mu, &until);
		if (cancelled || !rb_stopping(rb))
			continue;
		cancelled = 1;
		pthread_mutex_unlock(&rb->mu);
		for (size_t i = 0; i < rb->ntapes; i++)
			sched_cancel(rb->fs->sched, &rb->tapes[i].job);
		pthread_mutex_lock(&rb->mu);
	}
	pthread_mutex_unlock(&rb->mu);
}

/* What each tape's read came to, in the report and .status. */
static void tapes_account(struct rebuild *rb)
{
	for (size_t i = 0; i < rb->ntapes; i++) {
		struct rb_tape *tp = &rb->tapes[i];

		if (tp->ok && !tp->result) {
			rb->rep->tapes++;
			continue;
		}
		rb->rep->tapes_failed++;
		if (tp->result == -ECANCELED)
			continue;
		if (tp->why[0])
			rb_fail(rb, "%s", tp->why);
		else
			rb_fail(rb, "tape %s: %s", tp->ct.barcode,
				strerror(-tp->result));
	}
}

static int rebuild_tapes(struct rebuild *rb)
{
	int ret;

	if (!rb->fs->cat || !rb->fs->sched)
		return -ENODEV;
	ret = tapes_list(rb);
	if (ret < 0)
		return ret;
	rb->spill_fd = spill_open(rb->fs->cfg.catalog_tmp);
	if (rb->spill_fd < 0)
		return rb->spill_fd;
	rb_progress(rb, "reading %zu tapes", rb->ntapes);
	tapes_submit(rb);
	tapes_wait(rb);
	tapes_account(rb);
	if (rb_stopping(rb))
		return -ECANCELED;
	ret = rb_commit_all(rb);
	if (!ret && rb->rep->tapes_failed)
		ret = -EIO;
	return ret;
}

int rebuild_run(struct tapefs *fs, const struct rebuild_opts *o,
		struct rebuild_report *out)
{
	static const struct rebuild_opts none;
	struct rebuild rb;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&rb, 0, sizeof(rb));
	rb.fs = fs;
	rb.o = o ? o : &none;
	rb.rep = out;
	rb.spill_fd = -1;
	pthread_mutex_init(&rb.mu, NULL);
	pthread_cond_init(&rb.cv, NULL);
	ret = rebuild_tapes(&rb);
	if (ret < 0 && ret != -EIO && ret != -ECANCELED && !out->error[0])
		rb_fail(&rb, "%s", strerror(-ret));
	if (rb.spill_fd >= 0)
		close(rb.spill_fd);
	free(rb.copies);
	free(rb.tapes);
	pthread_cond_destroy(&rb.cv);
	pthread_mutex_destroy(&rb.mu);
	return ret;
}

void rebuild_summary(const struct rebuild_report *r, char *buf, size_t len)
{
	snprintf(
	    buf, len,
	    "%llu tapes read (%llu not), %llu files, %llu archives "
	    "added (%llu members), %llu copies added, %llu known, "
	    "%llu partial, %llu without manifest, %llu tapes full, "
	    "%.1f MB read",
	    (unsigned long long)r->tapes, (unsigned long long)r->tapes_failed,
	    (unsigned long long)r->files, (unsigned long long)r->archives_new,
	    (unsigned long long)r->members_new,
	    (unsigned long long)r->copies_new, (unsigned long long)r->known,
	    (unsigned long long)r->partial, (unsigned long long)r->no_manifest,
	    (unsigned long long)r->tapes_full, r->bytes_read / 1e6);
}
