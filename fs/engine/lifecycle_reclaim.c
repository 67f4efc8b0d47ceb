/* fs/engine/lifecycle_reclaim.c - `reclaim LABEL` (fs/engine/lifecycle.h):
 * a tape with no live archive gets a new label and goes back to scratch.
 *
 * Three steps, each safe to stop after: the catalog closes the tape and
 * records the uuid of its new label (catalog_tape_reclaim(), end = 0);
 * a scheduler job writes that label (everything after file 0 is gone);
 * the catalog forgets the tape's copies and makes it scratch (end = 1).
 * Stopped after the first or second step, the tape stays closed (nothing
 * writes it; its label may already be the new one, which the catalog
 * names): asking again finishes it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/lifecycle_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/label.h"
#include "tapeio/sched.h"

struct reclaim_job {
	struct sched_job job; /* first: the scheduler's callbacks get it */
	struct tape_label label;
};

static int reclaim_run(struct sched_job *job, const struct sched_run *r)
{
	struct reclaim_job *rj = (struct reclaim_job *)job;

	return label_write(r->tape[0], &rj->label);
}

static int reclaim_tick(void *arg)
{
	struct tapefs *fs = arg;

	return sched_stopping(fs->sched);
}

/* Write rj's label on its tape through the scheduler: 0 or -errno. */
static int label_job(struct tapefs *fs, struct reclaim_job *rj)
{
	struct sched_job *j = &rj->job;
	int ret, result = 0;

	j->prio = SCHED_PRIO_VERIFY;
	j->mode = TAPE_RDWR;
	j->ntapes = 1;
	snprintf(j->barcode[0], sizeof(j->barcode[0]), "%.*s",
		 (int)sizeof(j->barcode[0]) - 1, rj->label.barcode);
	j->run = reclaim_run;
	snprintf(j->desc, sizeof(j->desc), "reclaim %.*s",
		 (int)sizeof(j->desc) - 9, rj->label.barcode);
	ret = sched_run_wait(fs->sched, j, 250, reclaim_tick, fs, &result);
	return ret < 0 ? ret : result;
}

int lifecycle_reclaim(struct tapefs *fs, const char *barcode, char *result,
		      size_t len)
{
	struct reclaim_job rj;
	struct catalog_tape t;
	int ret;

	memset(&rj, 0, sizeof(rj));
	ret = catalog_tape_get(fs->cat, barcode, &t);
	if (ret < 0)
		goto out;
	label_init(&rj.label, barcode, t.pool, fs->cfg.block_size);
	ret = catalog_tape_reclaim(fs->cat, barcode, rj.label.uuid, 0);
	if (ret == 0)
		ret = label_job(fs, &rj);
	if (ret == 0)
		ret = catalog_tape_reclaim(fs->cat, barcode, rj.label.uuid, 1);
out:
	if (ret == 0) {
		snprintf(result, len, "reclaim %s: scratch, new label %s",
			 barcode, rj.label.uuid);
		tapefs_audit(fs, "reclaim", "tape=%s uuid=%s", barcode,
			     rj.label.uuid);
	} else {
		snprintf(result, len, "reclaim %s: %s%s", barcode,
			 ret == -EBUSY ? "it holds live archives"
				       : strerror(-ret),
			 ret == -EBUSY ? "" : " (ask again)");
		tapefs_error(fs, "%s", result);
	}
	return ret;
}
