/* fs/engine/lifecycle_xfer.c - one archive copied tape to tape
 * (lifecycle_copy_archive(), fs/engine/lifecycle.h): the choice of a
 * source and a destination, the gang job that streams one to the other,
 * and what each failure means for the next try.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/library.h"
#include "fs/engine/lifecycle_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/sched.h"
#include "tapeio/tcopy.h"

#define XFER_EXCLUDE 32	 /* tapes one archive may not go to */
#define XFER_SOURCES 16	 /* copies of one archive considered */
#define XFER_TRIES   8	 /* destinations tried per archive */
#define XFER_POLL_MS 200 /* how often the waiting thread looks */

/* One archive's attempt: what the job needs and what it found. */
struct xjob {
	struct sched_job job; /* first: the scheduler's callbacks get it */
	struct tapefs *fs;
	const struct lifecycle_hooks *h;
	struct catalog_archive a;
	struct catalog_copy src;
	struct catalog_tape dst;
	int64_t replaces;
	struct lcheck *chk;
	int drive[2];
	/* out */
	int ran;	      /* the run callback was called */
	enum tcopy_side side; /* which side stopped it */
	int64_t fileno;	      /* the destination's tape file */
	uint64_t bytes;	      /* committed */
	char why[640];
};

/* The tapes an archive may not go to, and the good copies to read. */
struct xplan {
	char ex[XFER_EXCLUDE][40];
	const char *exp[XFER_EXCLUDE];
	size_t nex;
	struct catalog_copy src[XFER_SOURCES];
	size_t nsrc;
	int64_t replaces;
};

static int stop_asked(struct tapefs *fs, const struct lifecycle_hooks *h)
{
	return sched_stopping(fs->sched) || (h && h->stop && h->stop(h->ctx));
}

/* ---- on the drives ------------------------------------------------------ */

static int xjob_poll(void *arg, uint64_t bytes)
{
	struct xjob *x = arg;
	struct sched *s = x->fs->sched;

	sched_drive_report(s, x->drive[0], SCHED_DRIVE_READING,
			   (long)x->src.fileno, -1, bytes, x->a.bytes);
	sched_drive_report(s, x->drive[1], SCHED_DRIVE_WRITING, (long)x->fileno,
			   -1, bytes, x->a.bytes);
	return stop_asked(x->fs, x->h);
}

static int xjob_member(void *arg, const struct tar_member *m)
{
	struct xjob *x = arg;

	return lcheck_member(x->chk, m);
}

/* The destination checked (label, nothing unknown at its append point,
 * room) and positioned, its tape file journalled: *xid. */
static int dst_prepare(struct xjob *x, struct tape *t, int64_t *xid)
{
	struct catalog_xfer_in in = {.archive = x->a.id,
				     .source = x->src.id,
				     .replaces = x->replaces,
				     .barcode = x->dst.barcode};
	struct catalog_tape now;
	int ret;

	ret = catalog_tape_get(x->fs->cat, x->dst.barcode, &now);
	if (ret < 0)
		return ret;
	x->fileno = now.last_file + 1;
	ret = library_write_check(x->fs, t, &now, x->fileno, x->a.block_size,
				  x->a.bytes, x->why, sizeof(x->why));
	if (ret < 0)
		return ret;
	ret = tape_tell(t, &in.start_lblock);
	if (ret < 0) {
		snprintf(x->why, sizeof(x->why), "tape %s: position: %s",
			 x->dst.barcode, strerror(-ret));
		return ret;
	}
	in.fileno = x->fileno;
	ret = catalog_xfer_begin(x->fs->cat, &in, xid);
	if (ret < 0)
		snprintf(x->why, sizeof(x->why),
			 "tape %s file %" PRId64 ": journal: %s",
			 x->dst.barcode, x->fileno, strerror(-ret));
	return ret;
}

/* Stream the source to the destination; 0 when the copy is whole and
 * every member is the catalog's. */
static int stream(struct xjob *x, const struct sched_run *r)
{
	struct tcopy_opts o = {.block_size = x->a.block_size,
			       .member = xjob_member,
			       .poll = xjob_poll,
			       .arg = x};
	struct tcopy_result res;
	int ret;

	ret = tape_locate(r->tape[0], x->src.start_lblock);
	if (ret < 0) {
		x->side = TCOPY_SOURCE;
		snprintf(x->why, sizeof(x->why), "tape %s: locate: %s",
			 x->src.barcode, strerror(-ret));
		return ret;
	}
	ret = tcopy_run(r->tape[0], r->tape[1], &o, &res);
	if (ret == 0 && (ret = lcheck_end(x->chk)) != 0)
		res.side = TCOPY_CHECK;
	x->side = res.side;
	x->bytes = res.bytes;
	if (ret == -EBADMSG)
		snprintf(x->why, sizeof(x->why),
			 "copy on %s file %" PRId64 ": %s", x->src.barcode,
			 x->src.fileno, lcheck_why(x->chk));
	else if (ret < 0)
		snprintf(x->why, sizeof(x->why), "%s %s: %s",
			 res.side == TCOPY_DEST ? "writing" : "reading",
			 res.side == TCOPY_DEST ? x->dst.barcode
						: x->src.barcode,
			 strerror(-ret));
	return ret;
}

static int xjob_run(struct sched_job *job, const struct sched_run *r)
{
	struct xjob *x = (struct xjob *)job;
	int64_t xid = 0;
	int ret;

	x->ran = 1;
	x->drive[0] = r->drive[0];
	x->drive[1] = r->drive[1];
	x->side = TCOPY_DEST;
	ret = dst_prepare(x, r->tape[1], &xid);
	if (ret < 0)
		return ret;
	ret = lcheck_new(&x->chk, x->fs->cat, x->a.id);
	if (ret == 0)
		ret = stream(x, r);
	lcheck_free(x->chk);
	x->chk = NULL;
	if (ret == 0) {
		/* before the tapes are given back: nobody writes after it */
		ret = catalog_xfer_commit(x->fs->cat, xid, x->bytes, NULL);
		if (ret < 0) {
			x->side = TCOPY_DEST;
			snprintf(x->why, sizeof(x->why),
				 "tape %s file %" PRId64 ": commit: %s",
				 x->dst.barcode, x->fileno, strerror(-ret));
		}
	}
	if (ret < 0)
		catalog_xfer_fail(x->fs->cat, xid, x->why);
	return ret;
}

/* ---- choosing ------------------------------------------------------------ */

static void exclude(struct xplan *p, const char *barcode)
{
	for (size_t i = 0; i < p->nex; i++)
		if (!strcmp(p->ex[i], barcode))
			return;
	if (p->nex == XFER_EXCLUDE)
		return;
	snprintf(p->ex[p->nex], sizeof(p->ex[0]), "%s", barcode);
	p->exp[p->nex] = p->ex[p->nex];
	p->nex++;
}

static int plan_copy(void *ctx, const struct catalog_copy *c)
{
	struct xplan *p = ctx;

	if (c->state == CATALOG_COPY_LOST)
		return 0;
	exclude(p, c->barcode); /* never two copies on one tape */
	if (c->state != CATALOG_COPY_GOOD || p->nsrc == XFER_SOURCES)
		return 0;
	if (c->id == p->replaces && p->nsrc) { /* read the tape emptied first */
		memmove(&p->src[1], &p->src[0], p->nsrc * sizeof(p->src[0]));
		p->src[0] = *c;
	} else {
		p->src[p->nsrc] = *c;
	}
	p->nsrc++;
	return 0;
}

/* A tape of pool for need bytes that no dump writes, reserved for this
 * copy alone (sched_tape_reserve_excl(): the check and the reservation
 * are one step, so a dump choosing at the same moment takes another tape);
 * xjob_wait() releases it. The library is asked for new cartridges once
 * when the pool has none. */
static int dest_choose(struct tapefs *fs, const char *pool, uint64_t need,
		       struct xplan *p, struct catalog_tape *out)
{
	int ret, imported = 0;

	for (;;) {
		ret = catalog_tape_choose(fs->cat, pool, need, p->exp, p->nex,
					  out);
		if (ret == -ENOSPC && !imported) {
			imported = 1;
			library_import(fs);
			continue;
		}
		if (ret < 0)
			return ret;
		ret = sched_tape_reserve_excl(fs->sched, out->barcode);
		if (ret != -EBUSY)
			return ret;
		if (p->nex == XFER_EXCLUDE)
			return -ENOSPC;
		exclude(p, out->barcode);
	}
}

/* Run x on the scheduler (its destination reserved by dest_choose(),
 * released here); the job's result. */
static int xjob_wait(struct xjob *x)
{
	struct sched_job *j = &x->job;
	int ret, result = 0;

	j->prio = SCHED_PRIO_VERIFY;
	j->mode = SCHED_MODE_COPY;
	j->ntapes = 2;
	snprintf(j->barcode[0], sizeof(j->barcode[0]), "%.*s",
		 (int)sizeof(j->barcode[0]) - 1, x->src.barcode);
	snprintf(j->barcode[1], sizeof(j->barcode[1]), "%.*s",
		 (int)sizeof(j->barcode[1]) - 1, x->dst.barcode);
	j->run = xjob_run;
	snprintf(j->desc, sizeof(j->desc), "copy archive %" PRId64 " to %s",
		 x->a.id, x->dst.barcode);
	ret =
	    sched_run_wait(x->fs->sched, j, XFER_POLL_MS, NULL, NULL, &result);
	sched_tape_release(x->fs->sched, x->dst.barcode);
	if (ret < 0) {
		snprintf(x->why, sizeof(x->why), "scheduler: %s",
			 strerror(-ret));
		return ret;
	}
	if (!x->ran && result < 0)
		snprintf(x->why, sizeof(x->why), "tape %s: %s",
			 j->failed == 0 ? x->src.barcode : x->dst.barcode,
			 strerror(-result));
	return result;
}

/* What a failed attempt means: 1 try the next source, 0 try another
 * destination, < 0 give up with that. */
static int settle(struct tapefs *fs, struct xjob *x, struct xplan *p,
		  int result)
{
	if (result == -ECANCELED)
		return result;
	tapefs_error(fs, "copy of archive %" PRId64 ": %s", x->a.id, x->why);
	if (!x->ran)
		return x->job.failed == 0 ? 1 : (exclude(p, x->dst.barcode), 0);
	if (x->side == TCOPY_SOURCE || x->side == TCOPY_CHECK) {
		/* the source is not what the catalog says: never read again
		 * for a recall before a good copy, and repaired in turn */
		catalog_copy_set_state(fs->cat, x->src.id, CATALOG_COPY_BAD);
		return 1;
	}
	if (result == -ENOSPC)
		catalog_tape_set_state(fs->cat, x->dst.barcode,
				       CATALOG_TAPE_FULL);
	exclude(p, x->dst.barcode);
	return 0;
}

/* Tries from source si on; 0 once a copy is committed. */
static int copy_tries(struct tapefs *fs, struct xjob *x, struct xplan *p,
		      const char *pool, char *why, size_t len)
{
	size_t si = 0;
	int tries = 0, ret = -ENODATA;

	while (si < p->nsrc && tries < XFER_TRIES) {
		if (stop_asked(fs, x->h))
			return -ECANCELED;
		ret = dest_choose(fs, pool, x->a.bytes, p, &x->dst);
		if (ret < 0) {
			snprintf(why, len,
				 "no tape of pool %s can take %" PRIu64
				 " bytes",
				 pool, x->a.bytes);
			return ret;
		}
		x->src = p->src[si];
		x->ran = 0;
		x->why[0] = 0;
		memset(&x->job, 0, sizeof(x->job));
		ret = xjob_wait(x);
		if (ret == 0)
			return 0;
		snprintf(why, len, "%s", x->why);
		ret = settle(fs, x, p, ret);
		if (ret < 0)
			return ret;
		si += (size_t)ret;
		tries += !ret;
		ret = si < p->nsrc ? -EIO : -ENODATA;
	}
	return ret;
}

int lifecycle_copy_archive(struct tapefs *fs, int64_t archive_id,
			   const char *pool, int64_t replaces,
			   const struct lifecycle_hooks *h, uint64_t *bytes,
			   char *why, size_t len)
{
	struct xplan *p = calloc(1, sizeof(*p));
	struct xjob *x = calloc(1, sizeof(*x));
	int ret = -ENOMEM;

	snprintf(why, len, "%s", "");
	if (!p || !x)
		goto out_free;
	x->fs = fs;
	x->h = h;
	x->replaces = p->replaces = replaces;
	ret = catalog_archive_get(fs->cat, archive_id, &x->a);
	if (ret == 0)
		ret = catalog_archive_copies(fs->cat, archive_id, plan_copy, p);
	if (ret < 0) {
		snprintf(why, len, "archive %" PRId64 ": catalog: %s",
			 archive_id, strerror(-ret));
		goto out_free;
	}
	if (!p->nsrc)
		snprintf(why, len, "archive %" PRId64 " has no good copy",
			 archive_id);
	ret = copy_tries(fs, x, p, pool, why, len);
	if (ret == 0 && bytes)
		*bytes = x->bytes;
out_free:
	free(x);
	free(p);
	return ret;
}
