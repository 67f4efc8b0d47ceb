/* tests/test_sched_untagged.c - a library without a barcode reader: the
 * robot reports full slots without a tag; the scheduler finds such a
 * cartridge by barcode only once told which slot holds it
 * (sched_slot_name), keeps the name while it moves the cartridge to a
 * drive and back, and forgets it on request. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "tapeio/vlib.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static char libdir[512];

struct wait_job {
	struct sched_job job;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, result, drive;
};

static int run_write(struct sched_job *job, const struct sched_run *r)
{
	struct wait_job *w = (struct wait_job *)job;
	char rec[512];

	memset(rec, 'x', sizeof(rec));
	w->drive = r->drive[0];
	return tape_write(r->tape[0], rec, sizeof(rec)) == sizeof(rec) ? 0
								       : -EIO;
}

static void done_signal(struct sched_job *job, int result)
{
	struct wait_job *w = (struct wait_job *)job;

	pthread_mutex_lock(&w->mu);
	w->result = result;
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Submit a one-tape write job for barcode and wait for it: its result,
 * or sched_submit()'s refusal. */
static int job_for(struct sched *s, const char *barcode)
{
	struct wait_job w;
	int ret;

	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	w.job.prio = SCHED_PRIO_DUMP;
	w.job.mode = TAPE_RDWR;
	w.job.ntapes = 1;
	snprintf(w.job.barcode[0], sizeof(w.job.barcode[0]), "%s", barcode);
	w.job.run = run_write;
	w.job.done = done_signal;
	ret = sched_submit(s, &w.job);
	if (ret == 0) {
		pthread_mutex_lock(&w.mu);
		while (!w.done)
			pthread_cond_wait(&w.cv, &w.mu);
		pthread_mutex_unlock(&w.mu);
		ret = w.result;
	}
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return ret;
}

/* "slot 1 T00" style line of the vlib state file present? */
static int state_has(const char *line)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/state", libdir);
	return fx_count_lines(path, line) > 0;
}

/* One drive, four slots, blank tapes T00 and T01 in slots 1 and 2, and
 * no barcode reader. */
static struct changer *untagged_lib(void)
{
	struct fx_lib o = {.drives = 1,
			   .slots = 4,
			   .tapes = 2,
			   .capacity = 8 << 20,
			   .barcode = "T%02d"};

	snprintf(libdir, sizeof(libdir), "%s/lib", fx_tmp());
	if (fx_lib_setup(libdir, &o))
		return NULL;
	CHECK_INT(vlib_set_barcode_reader(libdir, 0), 0);
	return fx_changer(libdir);
}

static void test_untagged(void)
{
	struct changer *c = untagged_lib();
	struct changer_inv inv;
	struct sched *s;

	if (!c)
		return;
	CHECK_INT(changer_inventory(c, &inv), 0);
	CHECK(inv.nelems == 5 && inv.elems[1].full &&
	      inv.elems[1].barcode[0] == 0);
	changer_inv_free(&inv);

	s = fx_sched(c, 1);
	if (!s)
		goto out_changer;
	CHECK_INT(sched_nslots(s), 4);
	CHECK_INT(sched_slot_state(s, 1), 0);
	CHECK_INT(sched_slot_state(s, 3), -ENOMEDIUM);
	CHECK_INT(sched_slot_state(s, 5), -EINVAL);
	CHECK_INT(sched_slot_state(s, 0), -EINVAL);
	CHECK_INT(job_for(s, "X1"), -ENOENT); /* no tag, not named */
	CHECK_INT(sched_slot_name(s, 0, "X1"), -EINVAL);
	CHECK_INT(sched_slot_name(s, 1, ""), -EINVAL);

	CHECK_INT(sched_slot_name(s, 1, "X1"), 0);
	CHECK_INT(job_for(s, "X1"), 0);
	CHECK(state_has("drive 0 T00 1"));
	CHECK_INT(sched_tape_return(s, "X1"), 0);
	CHECK(state_has("slot 1 T00"));
	CHECK(state_has("drive 0 -"));
	CHECK_INT(sched_tape_return(s, "X1"), 0); /* in no drive: nothing */

	/* the name survives the round trip through the drive, and an
	 * inventory (the next job for another tape refreshes it) */
	CHECK_INT(sched_slot_name(s, 2, "X2"), 0);
	CHECK_INT(job_for(s, "X2"), 0);
	CHECK(state_has("drive 0 T01 2"));
	CHECK_INT(job_for(s, "X1"), 0); /* X2 back to slot 2, X1 loaded */
	CHECK(state_has("drive 0 T00 1"));
	CHECK(state_has("slot 2 T01"));
	CHECK_INT(job_for(s, "X2"), 0);
	CHECK(state_has("drive 0 T01 2"));

	/* forgotten: no longer found */
	CHECK_INT(sched_tape_return(s, "X2"), 0);
	CHECK_INT(sched_slot_name(s, 2, NULL), 0);
	CHECK_INT(job_for(s, "X2"), -ENOENT);
	CHECK_INT(job_for(s, "X1"), 0);
	sched_stop(s);
out_changer:
	changer_close(c);
}

int main(void)
{
	RUN(test_untagged);
	return check_done();
}
