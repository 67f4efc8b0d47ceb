/* fs/engine/dump_gang.c - the drive side of a round (dump.h, steps 4 and
 * 5): one scheduler job holding the tapes of the round's copies, so they
 * start together on different drives, writing one archive to all of them.
 *
 * On its drives the job checks each tape (library_write_check(): its label
 * is the catalog's, nothing unknown at the copy's tape file), which leaves
 * it positioned at that file, journals the tape file, then runs the tar
 * writer fanned out to every tape that passed: each source is read once.
 * What became of each copy goes into its out; the member list of a
 * complete archive into the gang. While the job waits or runs, the engine
 * thread reports the writer's progress and, when the engine stops, cancels
 * the writer or gives the job up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/library.h"
#include "fs/engine/tapefs.h"
#include "tapeio/tarw.h"

/* ---- on the drive ------------------------------------------------------- */

/* Journal c's tape file (the dump is "writing" there). */
static int copy_journal(struct dump_gang *g, struct dump_copy *c)
{
	struct catalog_dump_tape dt;
	int ret;

	memset(&dt, 0, sizeof(dt));
	dt.copy = c->idx;
	snprintf(dt.barcode, sizeof(dt.barcode), "%s", c->tape.barcode);
	dt.fileno = c->fileno;
	dt.start_lblock = c->start_lblock;
	ret = catalog_dump_tape_add(g->d->fs->cat, g->a->dump_id, &dt);
	c->journaled = ret == 0;
	if (ret < 0)
		snprintf(c->why, sizeof(c->why), "journal: %s", strerror(-ret));
	return ret;
}

/* Check c's tape (the library's rule: its label is the catalog's, nothing
 * unknown at c->fileno), position it there, journal it. */
static int copy_prepare(struct dump_gang *g, struct dump_copy *c,
			struct tape *t)
{
	int ret;

	ret = library_write_check(g->d->fs, t, &c->tape, c->fileno,
				  g->a->block_size, g->a->need, c->why,
				  sizeof(c->why));
	if (ret < 0) {
		c->out = ret == -EMEDIUMTYPE ? DUMP_OUT_REFUSED
			 : ret == -ENOSPC    ? DUMP_OUT_FULL
			 : ret == -EFBIG     ? DUMP_OUT_NO_ROOM
					     : DUMP_OUT_FAILED;
		return ret;
	}
	ret = tape_tell(t, &c->start_lblock);
	if (ret < 0) {
		snprintf(c->why, sizeof(c->why),
			 "tape %s: position at file %lld: %s", c->tape.barcode,
			 (long long)c->fileno, strerror(-ret));
		c->out = DUMP_OUT_FAILED;
		return ret;
	}
	ret = copy_journal(g, c);
	if (ret < 0)
		c->out = DUMP_OUT_FAILED;
	return ret;
}

/* Prepare every tape of the round; those that passed go into tapes, and
 * which[k] says whose copy tapes[k] is. Returns how many passed. */
static int gang_prepare(struct dump_gang *g, const struct sched_run *r,
			struct tape **tapes, int *which)
{
	int nok = 0;

	for (int i = 0; i < r->n; i++) {
		struct dump_copy *c = g->copy[i];

		sched_drive_report(r->s, r->drive[i], SCHED_DRIVE_LOCATING,
				   (long)c->fileno, -1, 0, g->a->need);
		if (copy_prepare(g, c, r->tape[i]) == 0) {
			tapes[nok] = r->tape[i];
			which[nok++] = i;
		}
	}
	return nok;
}

/* Set the outcome of the copies which[0..nok) and its reason. */
static void gang_fail(struct dump_gang *g, const int *which, int nok,
		      enum dump_copy_outcome out, int err)
{
	for (int k = 0; k < nok; k++) {
		struct dump_copy *c = g->copy[which[k]];

		c->out = out;
		if (err)
			snprintf(c->why, sizeof(c->why), "writer: %s",
				 strerror(-err));
	}
}

/* Show w as the engine's running writer (progress, cancel), unless the
 * engine is stopping: -ECANCELED then. */
static int gang_publish(struct dump_gang *g, const struct sched_run *r,
			struct tarw *w, const int *which, int nok)
{
	struct dump *d = g->d;

	pthread_mutex_lock(&d->mu);
	if (d->stopping) {
		pthread_mutex_unlock(&d->mu);
		return -ECANCELED;
	}
	d->cur_w = w;
	d->cur_ncopy = nok;
	for (int k = 0; k < nok; k++) {
		d->cur_drive[k] = r->drive[which[k]];
		d->cur_fileno[k] = (long)g->copy[which[k]]->fileno;
	}
	pthread_mutex_unlock(&d->mu);
	for (int k = 0; k < nok; k++)
		sched_drive_report(
		    r->s, r->drive[which[k]], SCHED_DRIVE_WRITING,
		    (long)g->copy[which[k]]->fileno, 0, 0, g->a->need);
	return 0;
}

static void gang_unpublish(struct dump *d)
{
	pthread_mutex_lock(&d->mu);
	d->cur_w = NULL;
	d->cur_ncopy = 0;
	pthread_mutex_unlock(&d->mu);
}

/* What the writer made of copy k (the round's copy which[k]). */
static void copy_result(struct dump_gang *g, const struct sched_run *r,
			struct tarw *w, int k, int i)
{
	const struct tarw_copy *tc = tarw_copy(w, k);
	struct dump_copy *c = g->copy[i];

	switch (tc->state) {
	case TARW_COPY_DONE:
		c->out = DUMP_OUT_WRITTEN;
		c->start_lblock = tc->start_lblock;
		c->bytes = tc->bytes;
		break;
	case TARW_COPY_FULL:
		c->out = DUMP_OUT_FULL;
		c->bytes = tc->bytes; /* where early warning came */
		snprintf(c->why, sizeof(c->why),
			 "tape %s reached early warning", c->tape.barcode);
		break;
	case TARW_COPY_ERROR:
		c->out = DUMP_OUT_FAILED;
		snprintf(c->why, sizeof(c->why), "tape %s: write: %s",
			 c->tape.barcode, strerror(-tc->err));
		sched_drive_fault(r->s, r->drive[i], c->why);
		break;
	default:
		c->out = DUMP_OUT_ABORTED;
		break;
	}
}

/* Take w's member list into g (handed over, not copied). 0 or -EIO. */
static int members_take(struct dump_gang *g, struct tarw *w)
{
	size_t n;

	g->members = tarw_members_take(w, &n);
	if (!g->members)
		return -EIO;
	g->nmembers = n;
	return 0;
}

/* Write the archive to tapes[0..nok) with the tar writer. */
static int gang_write(struct dump_gang *g, const struct sched_run *r,
		      struct tape **tapes, const int *which, int nok)
{
	struct dump_opener *op = NULL;
	struct tarw *w = NULL;
	struct tarw_opts o;
	int ret;

	memset(&o, 0, sizeof(o));
	o.block_size = g->a->block_size;
	if (g->a->fixed) { /* a copy of the catalog, open already */
		o.open = dump_fixed_open;
		o.open_arg = g->a;
	} else { /* beneath staging/, no symlink followed */
		o.open = dump_source_open;
		o.open_arg = op = dump_opener_new(g->d);
	}
	o.archive = &g->a->man;
	ret = o.open_arg ? tarw_new(&w, tapes, nok, &o) : -ENOMEM;
	if (ret < 0) {
		dump_opener_free(op);
		gang_fail(g, which, nok, DUMP_OUT_FAILED, ret);
		return ret;
	}
	ret = gang_publish(g, r, w, which, nok);
	if (ret < 0) {
		dump_opener_free(op);
		tarw_free(w);
		gang_fail(g, which, nok, DUMP_OUT_ABORTED, 0);
		return ret;
	}
	ret = tarw_run(w, g->a->src, g->a->nsrc);
	gang_unpublish(g->d);
	g->ret = ret;
	if (ret == -ESTALE || ret == -EINVAL)
		g->changed = tarw_changed(w, &g->changed_why);
	for (int k = 0; k < nok; k++)
		copy_result(g, r, w, k, which[k]);
	if (ret == 0)
		g->written = tarw_manifest_archive(w)->written;
	if (ret == 0 && members_take(g, w) < 0) {
		/* Without the member list the archive cannot be committed:
		 * treat it as a failed round. */
		gang_fail(g, which, nok, DUMP_OUT_FAILED, 0);
		ret = -ENOMEM;
	}
	tarw_free(w);
	dump_opener_free(op);
	return ret;
}

/* The scheduler's run callback, on the round's drives. */
static int gang_job(struct sched_job *job, const struct sched_run *r)
{
	struct dump_gang *g = (struct dump_gang *)job;
	struct tape *tapes[SCHED_GANG_MAX];
	int which[SCHED_GANG_MAX], nok;

	nok = gang_prepare(g, r, tapes, which);
	if (!nok)
		return -EIO;
	return gang_write(g, r, tapes, which, nok);
}

/* ---- on the engine thread ----------------------------------------------- */

/* While g waits or runs: report the writer's progress to the drives'
 * status; when the engine stops, cancel the writer, or give the job up
 * while it has none (queued, or not writing yet). */
static int gang_tick(void *arg)
{
	struct dump_gang *g = arg;
	struct dump *d = g->d;
	struct sched *s = d->fs->sched;
	uint64_t low = UINT64_MAX;
	int give_up = 0;

	pthread_mutex_lock(&d->mu);
	if (d->stopping) {
		if (d->cur_w)
			tarw_cancel(d->cur_w);
		else
			give_up = 1;
	}
	for (int k = 0; d->cur_w && k < d->cur_ncopy; k++) {
		uint64_t b = tarw_progress(d->cur_w, k);
		sched_drive_report(s, d->cur_drive[k], SCHED_DRIVE_WRITING,
				   d->cur_fileno[k],
				   (long)(b / g->a->block_size), b, g->a->need);
		if (b < low)
			low = b;
	}
	if (d->cur_w && low != UINT64_MAX)
		d->cur_done = low;
	pthread_mutex_unlock(&d->mu);
	return give_up;
}

int dump_gang_add(struct dump *d, struct dump_gang *g, struct dump_copy *c)
{
	if (strlen(c->tape.barcode) >= sizeof(g->job.barcode[0])) {
		dump_error_set(d, "tape %s: barcode too long for the library",
			       c->tape.barcode);
		return -ENAMETOOLONG;
	}
	c->out = DUMP_OUT_NOT_RUN;
	c->journaled = 0;
	c->why[0] = 0;
	c->gone = 0;
	g->copy[g->n] = c;
	snprintf(g->job.barcode[g->n], sizeof(g->job.barcode[g->n]), "%.35s",
		 c->tape.barcode);
	g->n++;
	return 0;
}

int dump_gang_run(struct dump *d, struct dump_archive *a, struct dump_gang *g)
{
	char why[320];
	int ret;

	g->d = d;
	g->a = a;
	g->changed = (size_t)-1;
	g->job.prio = SCHED_PRIO_DUMP;
	g->job.mode = TAPE_RDWR;
	g->job.ntapes = g->n;
	g->job.run = gang_job;
	g->job.arg = g;
	snprintf(g->job.desc, sizeof(g->job.desc), "dump %lld",
		 (long long)a->dump_id);
	ret = sched_run_wait(d->fs->sched, &g->job, 250, gang_tick, g,
			     &g->result);
	if (ret < 0) {
		sched_error(d->fs->sched, why, sizeof(why));
		dump_error_set(d, "dump %lld: %s", (long long)a->dump_id, why);
	}
	return ret;
}

void dump_gang_release(struct dump_gang *g)
{
	if (g->members)
		tar_members_free(g->members, g->nmembers);
	g->members = NULL;
	g->nmembers = 0;
}
