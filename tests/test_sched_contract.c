/* tests/test_sched_contract.c - what the scheduler promises callers that
 * must not wait (tapeio/sched.h, "Blocking"): sched_submit() and the
 * status calls return while the robot is busy, even for a cartridge the
 * scheduler has not seen (its inventory worker looks for it); and the one
 * submit-and-wait helper, sched_run_wait().
 *
 * The robot is the vlib's behind a gate: while the test keeps the gate
 * shut, every load, unload and inventory waits at it, as behind a slow
 * robot move. A call that needed the robot could not return before the
 * gate opens, so "returned while shut" proves it did not need it; no
 * timing is involved (the 10 s bounds only keep a broken scheduler from
 * hanging the test).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tapeio/changer.h"
#include "tapeio/label.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "tapeio/vlib.h"
#include "tapeio/vtape.h"
#include "tests/check.h"

static char libdir[512];

/* ---- the gated robot ----------------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER; /* any change below */
static int robot_shut;	  /* robot calls wait while set */
static int robot_waiting; /* robot calls waiting at the gate now */
static struct changer_ops gated_ops;

static void robot_gate(void)
{
	pthread_mutex_lock(&mu);
	robot_waiting++;
	pthread_cond_broadcast(&cv);
	while (robot_shut)
		pthread_cond_wait(&cv, &mu);
	robot_waiting--;
	pthread_mutex_unlock(&mu);
}

static void robot_set(int shut)
{
	pthread_mutex_lock(&mu);
	robot_shut = shut;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int gated_inventory(struct changer *c, struct changer_inv *inv)
{
	robot_gate();
	return changer_backend("vlib")->inventory(c, inv);
}

static int gated_load(struct changer *c, int slot, int drive)
{
	robot_gate();
	return changer_backend("vlib")->load(c, slot, drive);
}

static int gated_unload(struct changer *c, int drive, int slot)
{
	robot_gate();
	return changer_backend("vlib")->unload(c, drive, slot);
}

/* Wait (10 s at most) until cond() holds; cond is called under mu. */
static int wait_for(int (*cond)(void))
{
	struct timespec ts;
	int ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&mu);
	while (!cond())
		if (pthread_cond_timedwait(&cv, &mu, &ts) == ETIMEDOUT)
			break;
	ok = cond();
	pthread_mutex_unlock(&mu);
	return ok;
}

static int robot_held(void)
{
	return robot_waiting > 0;
}

/* ---- the library ------------------------------------------------------------
 */

/* A labelled tape bc put into slot. */
static int tape_add(struct vlib *v, const char *bc, int slot)
{
	struct tape_label l;
	struct tape *t = NULL;
	char path[700];
	int ret;

	snprintf(path, sizeof(path), "%s/tapes/%s.vtape", libdir, bc);
	if (vtape_create(path, bc, 16 << 20, 0) < 0 ||
	    tape_open(&t, tape_backend("vtape"), path, TAPE_RDWR) < 0)
		return -1;
	label_init(&l, bc, "P", 0);
	ret = label_write(t, &l);
	if (tape_close(t) < 0 || ret < 0)
		return -1;
	return vlib_add(v, bc, slot, NULL, 0);
}

/* One drive, tapes T00 and T01 in slots 1 and 2 (8 slots), behind the
 * gate. */
static struct changer *lib_make(void)
{
	static int serial;
	struct changer *c = NULL;
	struct vlib *v;
	char path[700];

	snprintf(libdir, sizeof(libdir), "%s/lib%d",
		 getenv("TEST_TMP") ? getenv("TEST_TMP") : ".", serial++);
	if (vlib_create(libdir, 1, 8, 0) < 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/tapes", libdir);
	mkdir(path, 0755);
	if (vlib_open(&v, libdir, NULL, 0) < 0)
		return NULL;
	if (tape_add(v, "T00", 1) < 0 || tape_add(v, "T01", 2) < 0) {
		vlib_close(v);
		return NULL;
	}
	vlib_close(v);
	gated_ops = *changer_backend("vlib");
	gated_ops.inventory = gated_inventory;
	gated_ops.load = gated_load;
	gated_ops.unload = gated_unload;
	if (changer_open(&c, &gated_ops, libdir) < 0)
		return NULL;
	return c;
}

static struct sched *sched_make(struct changer *c)
{
	struct sched_config cfg;
	struct sched *s = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.changer = c;
	cfg.tape_ops = tape_backend("vtape");
	cfg.ndrives = 1;
	if (sched_start(&s, &cfg) < 0)
		return NULL;
	return s;
}

/* ---- jobs ------------------------------------------------------------------
 */

struct tjob {
	struct sched_job job;
	int ran, done, result;
	int hold;     /* the run waits while job_hold is set */
	int sleep_ms; /* then sleeps that long */
	int ret;      /* what the run returns */
	char got[40]; /* barcode of the label on the tape it got */
};

static int job_hold, ndone;

static int one_done(void)
{
	return ndone >= 1;
}

static int tjob_run(struct sched_job *j, const struct sched_run *r)
{
	struct tjob *t = (struct tjob *)j;
	struct tape_label l;
	int ret = label_read(r->tape[0], &l);

	pthread_mutex_lock(&mu);
	t->ran = 1;
	snprintf(t->got, sizeof(t->got), "%s", ret == 0 ? l.barcode : "?");
	pthread_cond_broadcast(&cv);
	while (t->hold && job_hold)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	if (t->sleep_ms)
		usleep((useconds_t)t->sleep_ms * 1000);
	return t->ret;
}

static void tjob_done(struct sched_job *j, int result)
{
	struct tjob *t = (struct tjob *)j;

	pthread_mutex_lock(&mu);
	t->result = result;
	t->done = 1;
	ndone++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void tjob_init(struct tjob *t, const char *barcode)
{
	memset(t, 0, sizeof(*t));
	t->job.prio = SCHED_PRIO_RECALL;
	t->job.mode = TAPE_RDONLY;
	t->job.ntapes = 1;
	t->job.run = tjob_run;
	t->job.done = tjob_done;
	snprintf(t->job.barcode[0], sizeof(t->job.barcode[0]), "%s", barcode);
	snprintf(t->job.desc, sizeof(t->job.desc), "job %s", barcode);
}

/* ---- sched_submit() while the robot is busy ------------------------------ */

struct submitter {
	struct sched *s;
	struct tjob *jobs;
	int n;
	int ret[4];
	int finished; /* under mu */
};

static struct submitter *sub_now;

static int sub_finished(void)
{
	return sub_now->finished;
}

static void *submit_main(void *arg)
{
	struct submitter *sb = arg;

	for (int i = 0; i < sb->n; i++)
		sb->ret[i] = sched_submit(sb->s, &sb->jobs[i].job);
	pthread_mutex_lock(&mu);
	sb->finished = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static int three_done(void)
{
	return ndone >= 3;
}

/* A load waits at the shut gate (the robot is busy). Meanwhile an operator
 * puts T05 into slot 5; jobs for T05 and for T09 (nowhere) are submitted
 * from another thread: sched_submit() returns 0 for both while the gate
 * is still shut, and the status calls answer. Once the gate opens, the
 * inventory worker finds T05 (its job runs on it) and not T09 (-ENOENT). */
static void test_submit_robot_busy(void)
{
	struct changer *c = lib_make();
	struct sched *s = c ? sched_make(c) : NULL;
	struct tjob first, later[2];
	struct submitter sb = {.s = s, .jobs = later, .n = 2};
	struct sched_drive_status st;
	struct vlib *v = NULL;
	pthread_t th;
	char why[320];

	CHECK(s != NULL);
	if (!s)
		return;
	ndone = 0;
	robot_set(1);
	tjob_init(&first, "T00");
	CHECK_INT(sched_submit(s, &first.job), 0);
	CHECK(wait_for(robot_held)); /* the load of T00 waits at the gate */

	CHECK_INT(vlib_open(&v, libdir, NULL, 0), 0);
	CHECK_INT(v ? tape_add(v, "T05", 5) : -1, 0);
	vlib_close(v);
	tjob_init(&later[0], "T05");
	tjob_init(&later[1], "T09");
	sub_now = &sb;
	CHECK_INT(pthread_create(&th, NULL, submit_main, &sb), 0);
	CHECK(wait_for(sub_finished));
	pthread_mutex_lock(&mu);
	CHECK(robot_shut); /* returned while the robot was still busy */
	CHECK(!later[0].done && !later[1].done);
	pthread_mutex_unlock(&mu);
	CHECK_INT(sb.ret[0], 0);
	CHECK_INT(sb.ret[1], 0);
	CHECK_INT(sched_queued(s), 2);
	CHECK_INT(sched_drive_status(s, 0, &st), 0);
	CHECK_INT(st.state, SCHED_DRIVE_LOADING);
	CHECK_STR(st.job, "job T00");

	robot_set(0);
	CHECK(wait_for(three_done));
	pthread_join(th, NULL);
	CHECK_INT(first.result, 0);
	CHECK_STR(first.got, "T00");
	CHECK_INT(later[0].result, 0);
	CHECK_INT(later[0].ran, 1);
	CHECK_STR(later[0].got, "T05");
	CHECK_INT(later[1].result, -ENOENT);
	CHECK_INT(later[1].ran, 0);
	CHECK_INT(later[1].job.failed, 0);
	sched_error(s, why, sizeof(why));
	CHECK_STR(why, "no tape T09 in the library");
	sched_stop(s);
	changer_close(c);
}

/* ---- sched_run_wait() ---------------------------------------------------- */

static int ticks;

static int tick_count(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	ticks++;
	pthread_mutex_unlock(&mu);
	return 0;
}

static int tick_give_up(void *arg)
{
	(void)arg;
	return 1;
}

struct waiter {
	struct sched *s;
	struct tjob *t;
	int ret, result;
};

static void *wait_main(void *arg)
{
	struct waiter *w = arg;

	w->ret =
	    sched_run_wait(w->s, &w->t->job, 5, tick_give_up, NULL, &w->result);
	return NULL;
}

/* The job's result comes back, ticks run while it waits; a refusal is
 * told apart from a result; a tick that gives up takes a queued job off
 * (-ECANCELED, never run) while the running one is untouched. */
static void test_run_wait(void)
{
	struct changer *c = lib_make();
	struct sched *s = c ? sched_make(c) : NULL;
	struct tjob t, blocker, queued;
	struct waiter w = {.s = s, .t = &queued};
	pthread_t th;
	int result = 1;

	CHECK(s != NULL);
	if (!s)
		return;
	tjob_init(&t, "T01");
	t.ret = -EMEDIUMTYPE;
	t.sleep_ms = 200;
	t.job.done = NULL; /* the helper's */
	ticks = 0;
	CHECK_INT(sched_run_wait(s, &t.job, 1, tick_count, NULL, &result), 0);
	CHECK_INT(result, -EMEDIUMTYPE);
	CHECK(ticks > 0);
	CHECK_INT(t.ran, 1);
	CHECK_STR(t.got, "T01");
	CHECK_INT(sched_run_wait(s, &t.job, 0, tick_count, NULL, &result),
		  -EINVAL);
	tjob_init(&t, "T00");
	t.job.ntapes = 2; /* two tapes, one drive */
	snprintf(t.job.barcode[1], sizeof(t.job.barcode[1]), "T01");
	result = 1;
	CHECK_INT(sched_run_wait(s, &t.job, 0, NULL, NULL, &result), -ENODEV);
	CHECK_INT(result, 1);

	tjob_init(&blocker, "T00");
	blocker.hold = 1;
	job_hold = 1;
	ndone = 0;
	CHECK_INT(sched_submit(s, &blocker.job), 0);
	tjob_init(&queued, "T01");
	CHECK_INT(pthread_create(&th, NULL, wait_main, &w), 0);
	pthread_join(th, NULL);
	CHECK_INT(w.ret, 0);
	CHECK_INT(w.result, -ECANCELED);
	CHECK_INT(queued.ran, 0);
	pthread_mutex_lock(&mu);
	job_hold = 0;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	CHECK(wait_for(one_done));
	sched_stop(s);
	CHECK_INT(blocker.done, 1);
	CHECK_INT(blocker.result, 0);
	CHECK_INT(blocker.ran, 1);
	changer_close(c);
}

int main(void)
{
	RUN(test_submit_robot_busy);
	RUN(test_run_wait);
	return check_done();
}
