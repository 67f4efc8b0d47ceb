/* tests/test_sched_basic.c - the drive scheduler on a virtual library:
 * priorities, one drive per tape, gangs, robot serialization, drives going
 * out of service, stop. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "tapeio/vlib.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static char libdir[512];

/* A library of ndrives drives and ntapes blank tapes T00..T(n-1) in slots
 * 1.. (and two empty slots), in a new directory libdir. */
static struct changer *lib_make(int ndrives, int ntapes)
{
	static int serial;
	struct fx_lib o = {.drives = ndrives,
			   .slots = ntapes + 2,
			   .tapes = ntapes,
			   .capacity = 64 << 20,
			   .barcode = "T%02d"};

	snprintf(libdir, sizeof(libdir), "%s/lib%d", fx_tmp(), serial++);
	return fx_lib_setup(libdir, &o) ? NULL : fx_changer(libdir);
}

/* ---- a job that records what it saw ----------------------------------- */

struct tjob {
	struct sched_job job;
	int result;
	int done;
	int ran;
	int order; /* position in which runs began */
	int n;	   /* tapes it got */
	int drive[SCHED_GANG_MAX];
	int gate; /* wait for the gate to open */
	int sleep_ms;
	int check_stop; /* return -ECANCELED when stopping */
	int write;	/* write one record to each tape */
	int fault;	/* report a drive fault */
	int both_busy;	/* saw every drive of its gang busy with it */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int gate_open, run_order, ndone;
static atomic_int tape_users[16]; /* running jobs per tape T00.. */
static atomic_int overlap;	  /* a tape used by two jobs at once */

static int tjob_run(struct sched_job *j, const struct sched_run *r)
{
	struct tjob *t = (struct tjob *)j;
	int ret = 0;

	pthread_mutex_lock(&mu);
	t->ran = 1;
	t->order = run_order++;
	t->n = r->n;
	memcpy(t->drive, r->drive, sizeof(t->drive));
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < r->n; i++) {
		int k = atoi(j->barcode[i] + 1);
		if (atomic_fetch_add(&tape_users[k], 1) != 0)
			atomic_store(&overlap, 1);
	}
	if (r->n > 1) {
		int busy = 1;
		for (int i = 0; i < r->n; i++) {
			struct sched_drive_status st;
			sched_drive_status(r->s, r->drive[i], &st);
			if (strcmp(st.job, j->desc) != 0 ||
			    strcmp(st.barcode, j->barcode[i]) != 0)
				busy = 0;
		}
		t->both_busy = busy;
	}
	if (t->write)
		for (int i = 0; i < r->n; i++) {
			char rec[512];
			memset(rec, 'a' + i, sizeof(rec));
			if (tape_write(r->tape[i], rec, sizeof(rec)) !=
			    (ssize_t)sizeof(rec))
				ret = -EIO;
		}
	if (t->fault)
		sched_drive_fault(r->s, r->drive[0], "test fault");
	pthread_mutex_lock(&mu);
	while (t->gate && !gate_open) {
		if (t->check_stop && sched_stopping(r->s)) {
			ret = -ECANCELED;
			break;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&cv, &mu, &ts);
	}
	pthread_mutex_unlock(&mu);
	if (t->sleep_ms)
		usleep((useconds_t)t->sleep_ms * 1000);
	for (int i = 0; i < r->n; i++)
		atomic_fetch_sub(&tape_users[atoi(j->barcode[i] + 1)], 1);
	return ret;
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

static void tjob_init(struct tjob *t, enum sched_prio prio, const char *desc,
		      int ntapes, ...)
{
	va_list ap;

	memset(t, 0, sizeof(*t));
	t->job.prio = prio;
	t->job.mode = TAPE_RDWR;
	t->job.ntapes = ntapes;
	t->job.run = tjob_run;
	t->job.done = tjob_done;
	snprintf(t->job.desc, sizeof(t->job.desc), "%s", desc);
	va_start(ap, ntapes);
	for (int i = 0; i < ntapes; i++)
		snprintf(t->job.barcode[i], sizeof(t->job.barcode[i]), "T%02d",
			 va_arg(ap, int));
	va_end(ap);
}

static void reset(void)
{
	pthread_mutex_lock(&mu);
	gate_open = 0;
	run_order = 0;
	ndone = 0;
	pthread_mutex_unlock(&mu);
	atomic_store(&overlap, 0);
}

static void open_gate(void)
{
	pthread_mutex_lock(&mu);
	gate_open = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* Wait until n jobs are done (10 s at most). */
static int wait_done(int n)
{
	int ok;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&mu);
	while (ndone < n)
		if (pthread_cond_timedwait(&cv, &mu, &ts) == ETIMEDOUT)
			break;
	ok = ndone >= n;
	pthread_mutex_unlock(&mu);
	return ok;
}

static int wait_ran(struct tjob *t)
{
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&mu);
		int r = t->ran;
		pthread_mutex_unlock(&mu);
		if (r)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Submit t, a job on T00 that holds its drive until open_gate() (or, with
 * check_stop, until the scheduler stops); 1 once it runs. */
static int run_gated(struct sched *s, struct tjob *t, enum sched_prio prio,
		     const char *desc, int check_stop)
{
	tjob_init(t, prio, desc, 1, 0);
	t->gate = 1;
	t->check_stop = check_stop;
	CHECK_INT(sched_submit(s, &t->job), 0);
	return wait_ran(t);
}

/* What the scheduler told the log (sched_config.log) while rig_log is
 * set: each line prefixed with its kind's number. */
static int rig_log;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_lines[64][400];
static int nlog;

static void log_collect(void *arg, enum sched_log_kind kind, const char *line)
{
	(void)arg;
	pthread_mutex_lock(&log_mu);
	if (nlog < 64)
		snprintf(log_lines[nlog++], sizeof(log_lines[0]), "%d %s",
			 (int)kind, line);
	pthread_mutex_unlock(&log_mu);
}

/* How many lines the log got that are exactly line ("KIND text"). */
static int log_count(const char *line)
{
	int n = 0;

	pthread_mutex_lock(&log_mu);
	for (int i = 0; i < nlog; i++)
		n += !strcmp(log_lines[i], line);
	pthread_mutex_unlock(&log_mu);
	return n;
}

/* A test's rig: a library (lib_make) in *c, its robot driven by ops
 * (NULL: vlib's), and a scheduler of all its drives (drive i opened as
 * dev[i] when dev and dev[i] are set), with the job bookkeeping reset;
 * NULL (and nothing left open) when either could not start. */
static struct sched *rig_with(struct changer **c, int ndrives, int ntapes,
			      const struct changer_ops *ops,
			      const char *const *dev)
{
	struct sched_config cfg;
	struct sched *s = NULL;

	*c = lib_make(ndrives, ntapes);
	if (*c) {
		if (ops)
			(*c)->ops = ops;
		memset(&cfg, 0, sizeof(cfg));
		cfg.changer = *c;
		cfg.tape_ops = tape_backend("vtape");
		cfg.ndrives = ndrives;
		for (int i = 0; dev && i < ndrives; i++)
			cfg.drive_dev[i] = dev[i];
		if (rig_log)
			cfg.log = log_collect;
		CHECK_INT(sched_start(&s, &cfg), 0);
	}
	reset();
	if (!s) {
		changer_close(*c);
		*c = NULL;
	}
	return s;
}

/* The rig with vlib's robot and the drives the library names. */
static struct sched *rig_up(struct changer **c, int ndrives, int ntapes)
{
	return rig_with(c, ndrives, ntapes, NULL, NULL);
}

static void rig_down(struct sched *s, struct changer *c)
{
	sched_stop(s);
	changer_close(c);
}

/* ---- tests --------------------------------------------------------------- */

/* One drive busy; then a verify, a dump and a recall queue up: they run
 * recall, dump, verify; the busy verify is told to yield meanwhile. */
static void test_priority(void)
{
	struct changer *c;
	struct sched *s = rig_up(&c, 1, 4);
	struct tjob blocker, v, d, r;

	if (!s)
		return;
	tjob_init(&v, SCHED_PRIO_VERIFY, "verify", 1, 1);
	tjob_init(&d, SCHED_PRIO_DUMP, "dump", 1, 2);
	tjob_init(&r, SCHED_PRIO_RECALL, "recall", 1, 3);
	CHECK(run_gated(s, &blocker, SCHED_PRIO_VERIFY, "blocker", 0));
	CHECK_INT(sched_should_yield(s, 0), 0);
	CHECK_INT(sched_submit(s, &v.job), 0);
	CHECK_INT(sched_should_yield(s, 0), 0); /* same priority */
	CHECK_INT(sched_submit(s, &d.job), 0);
	CHECK_INT(sched_submit(s, &r.job), 0);
	CHECK_INT(sched_should_yield(s, 0), 1);
	CHECK_INT(sched_queued(s), 3);
	open_gate();
	CHECK(wait_done(4));
	CHECK_INT(r.order, 1);
	CHECK_INT(d.order, 2);
	CHECK_INT(v.order, 3);
	CHECK_INT(r.result, 0);
	CHECK_INT(v.result, 0);
	rig_down(s, c);
}

/* A cartridge is ejected (offline) before the robot takes it out of a
 * drive: real libraries refuse to move a tape the drive still holds. */
static void test_eject_before_unload(void)
{
	struct changer *c;
	struct sched *s = rig_up(&c, 1, 2);
	struct tjob a, b;
	char trace[700], line[256];
	FILE *f;
	int offline_t00 = 0, open_t01 = 0, order_ok = 0;

	if (!s)
		return;
	snprintf(trace, sizeof(trace), "%s/eject.trace", libdir);
	setenv("TAPEFS_VTAPE_TRACE", trace, 1);
	tjob_init(&a, SCHED_PRIO_VERIFY, "first tape", 1, 0);
	tjob_init(&b, SCHED_PRIO_VERIFY, "second tape", 1, 1);
	open_gate();
	CHECK_INT(sched_submit(s, &a.job), 0);
	CHECK(wait_done(1));
	CHECK_INT(sched_submit(s, &b.job), 0);
	CHECK(wait_done(2));
	rig_down(s, c);
	unsetenv("TAPEFS_VTAPE_TRACE");
	f = fopen(trace, "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "T00 offline", 11))
			offline_t00++;
		if (!strncmp(line, "T01 open", 8)) {
			open_t01++;
			order_ok = offline_t00 > 0;
		}
	}
	if (f)
		fclose(f);
	CHECK(offline_t00 >= 1);
	CHECK(open_t01 >= 1);
	CHECK(order_ok); /* T00 was ejected before T01 went into the drive */
}

/* Within one priority, a job whose tape is already loaded goes first. */
static void test_loaded_first(void)
{
	struct changer *c;
	struct sched *s = rig_up(&c, 1, 3);
	struct tjob blocker, b, a;
	uint64_t moves;

	if (!s)
		return;
	tjob_init(&b, SCHED_PRIO_VERIFY, "other tape", 1, 1);
	tjob_init(&a, SCHED_PRIO_VERIFY, "same tape", 1, 0);
	CHECK(run_gated(s, &blocker, SCHED_PRIO_VERIFY, "blocker", 0));
	CHECK_INT(sched_submit(s, &b.job), 0);
	CHECK_INT(sched_submit(s, &a.job), 0);
	open_gate();
	CHECK(wait_done(3));
	CHECK_INT(a.order, 1);
	CHECK_INT(b.order, 2);
	moves = sched_robot_moves(s);
	CHECK_INT(moves, 3); /* load T00, unload T00, load T01 */
	rig_down(s, c);
}

/* Many jobs on few tapes and three drives: a tape is never in two jobs at
 * once, all succeed, the vlib shows each tape in at most one place. */
static void test_one_drive_per_tape(void)
{
	struct changer *c;
	struct sched *s = rig_up(&c, 3, 4);
	struct tjob j[24];
	struct changer_inv inv;
	int ok = 1;

	if (!s)
		return;
	open_gate();
	for (int i = 0; i < 24; i++) {
		tjob_init(&j[i], (enum sched_prio)(i % 3), "mix", 1, i % 4);
		j[i].sleep_ms = 5;
		CHECK_INT(sched_submit(s, &j[i].job), 0);
	}
	CHECK(wait_done(24));
	for (int i = 0; i < 24; i++)
		if (j[i].result != 0) {
			fprintf(stderr, "# job %d: %s\n", i,
				strerror(-j[i].result));
			ok = 0;
		}
	CHECK(ok);
	CHECK_INT(atomic_load(&overlap), 0);
	memset(&inv, 0, sizeof(inv));
	CHECK_INT(changer_inventory(c, &inv), 0);
	for (int t = 0; t < 4; t++) {
		char bc[16];
		int where = 0;
		snprintf(bc, sizeof(bc), "T%02d", t);
		for (size_t e = 0; e < inv.nelems; e++)
			if (inv.elems[e].full &&
			    strcmp(inv.elems[e].barcode, bc) == 0)
				where++;
		CHECK_INT(where, 1);
	}
	changer_inv_free(&inv);
	rig_down(s, c);
}

/* A gang gets its tapes together on different drives, both drives show
 * the job; each tape got its record. More tapes than drives: -ENODEV. */
static void test_gang(void)
{
	struct changer *c;
	struct sched *s = rig_up(&c, 2, 4);
	struct tjob g, big;
	char path[700];
	struct vtape_info vi;

	if (!s)
		return;
	open_gate();
	tjob_init(&g, SCHED_PRIO_DUMP, "dump 1", 2, 1, 2);
	g.write = 1;
	CHECK_INT(sched_submit(s, &g.job), 0);
	CHECK(wait_done(1));
	CHECK_INT(g.result, 0);
	CHECK_INT(g.n, 2);
	CHECK(g.drive[0] != g.drive[1]);
	CHECK(g.both_busy);
	for (int t = 1; t <= 2; t++) {
		snprintf(path, sizeof(path), "%s/tapes/T%02d.vtape", libdir, t);
		CHECK_INT(vtape_info(path, &vi), 0);
		CHECK_INT(vi.records, 1);
	}
	tjob_init(&big, SCHED_PRIO_DUMP, "dump 2", 3, 0, 1, 2);
	CHECK_INT(sched_submit(s, &big.job), -ENODEV);
	{
		char err[320];
		sched_error(s, err, sizeof(err));
		CHECK(strstr(err, "in service") != NULL);
	}
	rig_down(s, c);
}

/* A gang waiting for a busy drive is not overtaken by lower jobs that
 * could use the drive that is free. */
static void test_gang_not_starved(void)
{
	struct changer *c;
	struct sched *s = rig_up(&c, 2, 6);
	struct tjob blocker, g, low[3];

	if (!s)
		return;
	CHECK(run_gated(s, &blocker, SCHED_PRIO_DUMP, "blocker", 0));
	tjob_init(&g, SCHED_PRIO_DUMP, "gang", 2, 1, 2);
	CHECK_INT(sched_submit(s, &g.job), 0);
	for (int i = 0; i < 3; i++) {
		tjob_init(&low[i], SCHED_PRIO_VERIFY, "low", 1, 3 + i);
		CHECK_INT(sched_submit(s, &low[i].job), 0);
	}
	usleep(100000);
	for (int i = 0; i < 3; i++)
		CHECK_INT(low[i].ran, 0);
	open_gate();
	CHECK(wait_done(5));
	CHECK_INT(g.order, 1);
	CHECK_INT(g.result, 0);
	for (int i = 0; i < 3; i++)
		CHECK(low[i].order > g.order);
	rig_down(s, c);
}

/* The robot is used by one drive at a time. */
static atomic_int in_robot, robot_overlap, robot_calls;
static struct changer_ops slow_ops;

/* A move of 15 ms by the vlib robot (load, or unload when !load),
 * noting when another move was under way at the same time. */
static int slow_move(struct changer *c, int load, int slot, int drive)
{
	int r;

	if (atomic_fetch_add(&in_robot, 1) != 0)
		atomic_store(&robot_overlap, 1);
	atomic_fetch_add(&robot_calls, 1);
	usleep(15000);
	r = load ? changer_vlib_ops.load(c, slot, drive)
		 : changer_vlib_ops.unload(c, drive, slot);
	atomic_fetch_sub(&in_robot, 1);
	return r;
}

static int slow_load(struct changer *c, int slot, int drive)
{
	return slow_move(c, 1, slot, drive);
}

static int slow_unload(struct changer *c, int drive, int slot)
{
	return slow_move(c, 0, slot, drive);
}

static void test_robot_serialized(void)
{
	struct changer *c;
	struct sched *s;
	struct tjob j[18];

	slow_ops = changer_vlib_ops;
	slow_ops.load = slow_load;
	slow_ops.unload = slow_unload;
	s = rig_with(&c, 3, 6, &slow_ops, NULL);
	if (!s)
		return;
	open_gate();
	for (int i = 0; i < 18; i++) {
		tjob_init(&j[i], SCHED_PRIO_DUMP, "robot", 1, i % 6);
		CHECK_INT(sched_submit(s, &j[i].job), 0);
	}
	CHECK(wait_done(18));
	CHECK(atomic_load(&robot_calls) >= 6);
	CHECK_INT(atomic_load(&robot_overlap), 0);
	CHECK_INT((int)sched_robot_moves(s), atomic_load(&robot_calls));
	rig_down(s, c);
}

/* A drive whose device cannot be opened goes out of service after
 * SCHED_FAULTS_MAX faults; every job still succeeds on the other one. */
static void test_out_of_service(void)
{
	static const char *const dev[] = {NULL, "/nonexistent/tapefs-drive1"};
	struct changer *c;
	struct sched *s = rig_with(&c, 2, 4, NULL, dev);
	struct sched_drive_status st;
	struct tjob j[8], g;
	char line[512];
	int ok = 1;

	if (!s)
		return;
	open_gate();
	for (int i = 0; i < 8; i++) {
		tjob_init(&j[i], SCHED_PRIO_DUMP, "job", 1, i % 4);
		j[i].sleep_ms = 10;
		CHECK_INT(sched_submit(s, &j[i].job), 0);
	}
	CHECK(wait_done(8));
	for (int i = 0; i < 8; i++) {
		if (j[i].result != 0)
			ok = 0;
		if (j[i].ran && j[i].drive[0] != 0)
			ok = 0;
	}
	CHECK(ok);
	CHECK_INT(sched_drive_status(s, 1, &st), 0);
	CHECK_INT(st.state, SCHED_DRIVE_OUT_OF_SERVICE);
	CHECK(strstr(st.reason, "faults in a row") != NULL);
	CHECK_INT(sched_drives_in_service(s), 1);
	CHECK_INT(sched_drive_line(s, 1, line, sizeof(line)), 0);
	CHECK(strncmp(line, "out of service", 14) == 0);
	CHECK_INT(sched_drive_line(s, 0, line, sizeof(line)), 0);
	CHECK(strncmp(line, "idle T", 6) == 0);
	/* Nothing stays stuck in the failed drive. */
	CHECK_STR(st.barcode, "");
	tjob_init(&g, SCHED_PRIO_DUMP, "gang", 2, 0, 1);
	CHECK_INT(sched_submit(s, &g.job), -ENODEV);
	CHECK_INT(sched_drive_status(s, 7, &st), -ENOENT);
	rig_down(s, c);
}

/* Faults a job reports count too; a clean job resets the count. */
static void test_fault_reset(void)
{
	struct changer *c;
	struct sched *s = rig_up(&c, 1, 2);
	struct tjob j[4];
	struct sched_drive_status st;

	if (!s)
		return;
	open_gate();
	for (int i = 0; i < 4; i++) {
		tjob_init(&j[i], SCHED_PRIO_DUMP, "f", 1, 0);
		j[i].fault = i != 2; /* fault, fault, clean, fault */
		CHECK_INT(sched_submit(s, &j[i].job), 0);
		CHECK(wait_done(i + 1));
	}
	CHECK_INT(sched_drive_status(s, 0, &st), 0);
	CHECK_INT(st.faults, 1);
	CHECK(st.state != SCHED_DRIVE_OUT_OF_SERVICE);
	rig_down(s, c);
}

/* The log hears of every robot move (barcode, from, to: as many lines as
 * moves) and of every drive fault (drive, tape, reason), and once that
 * the drive went out of service. */
static void test_log(void)
{
	struct changer *c;
	struct sched *s;
	struct tjob j[5];
	int moves;

	rig_log = 1;
	nlog = 0;
	s = rig_up(&c, 1, 3);
	rig_log = 0;
	if (!s)
		return;
	open_gate();
	for (int i = 0; i < 2; i++) {
		tjob_init(&j[i], SCHED_PRIO_DUMP, "move", 1, i);
		CHECK_INT(sched_submit(s, &j[i].job), 0);
		CHECK(wait_done(i + 1));
	}
	CHECK_INT(log_count("0 barcode=T00 from=\"slot 1\" to=\"drive 0\""), 1);
	CHECK_INT(log_count("0 barcode=T00 from=\"drive 0\" to=\"slot 1\""), 1);
	CHECK_INT(log_count("0 barcode=T01 from=\"slot 2\" to=\"drive 0\""), 1);
	moves = (int)sched_robot_moves(s);
	CHECK_INT(moves, 3);
	CHECK_INT(nlog, moves);
	for (int i = 2; i < 5; i++) {
		tjob_init(&j[i], SCHED_PRIO_DUMP, "fault", 1, 1);
		j[i].fault = 1;
		CHECK_INT(sched_submit(s, &j[i].job), 0);
		CHECK(wait_done(i + 1));
	}
	CHECK_INT(log_count("2 drive=0 tape=T01 error=\"test fault\""),
		  SCHED_FAULTS_MAX);
	CHECK_INT(log_count("3 drive=0 tape=T01 error=\"test fault\" faults=3"),
		  1);
	rig_down(s, c);
}

/* Bad jobs are refused; a job for an unknown tape is queued and ends with
 * -ENOENT once the inventory worker has looked for its tape. */
static void test_bad_jobs(void)
{
	struct changer *c;
	struct sched *s = rig_up(&c, 1, 2);
	struct tjob j;
	char why[320];

	if (!s)
		return;
	tjob_init(&j, SCHED_PRIO_DUMP, "bad", 1, 0);
	j.job.run = NULL;
	CHECK_INT(sched_submit(s, &j.job), -EINVAL);
	tjob_init(&j, SCHED_PRIO_DUMP, "bad", 0);
	CHECK_INT(sched_submit(s, &j.job), -EINVAL);
	tjob_init(&j, SCHED_PRIO_DUMP, "twice", 2, 1, 1);
	CHECK_INT(sched_submit(s, &j.job), -EINVAL);
	reset();
	tjob_init(&j, SCHED_PRIO_DUMP, "unknown", 1, 9);
	CHECK_INT(sched_submit(s, &j.job), 0);
	CHECK(wait_done(1));
	CHECK_INT(j.result, -ENOENT);
	CHECK_INT(j.job.failed, 0);
	CHECK_INT(j.ran, 0);
	sched_error(s, why, sizeof(why));
	CHECK_STR(why, "no tape T09 in the library");
	rig_down(s, c);
}

/* Stop: queued jobs end -ECANCELED, the running one sees sched_stopping(),
 * and the tape stays in its drive. */
static void test_stop(void)
{
	struct changer *c;
	struct sched *s = rig_up(&c, 1, 2);
	struct tjob run, queued;
	struct changer_inv inv;

	if (!s)
		return;
	tjob_init(&queued, SCHED_PRIO_DUMP, "queued", 1, 1);
	CHECK(run_gated(s, &run, SCHED_PRIO_DUMP, "running", 1));
	CHECK_INT(sched_submit(s, &queued.job), 0);
	sched_stop(s);
	CHECK_INT(run.done, 1);
	CHECK_INT(run.result, -ECANCELED);
	CHECK_INT(queued.done, 1);
	CHECK_INT(queued.result, -ECANCELED);
	CHECK_INT(queued.ran, 0);
	memset(&inv, 0, sizeof(inv));
	CHECK_INT(changer_inventory(c, &inv), 0);
	CHECK_INT(inv.elems[0].full, 1);
	CHECK_STR(inv.elems[0].barcode, "T00");
	changer_inv_free(&inv);
	/* A new scheduler finds the tape in its drive: no move for T00. */
	s = fx_sched(c, 1);
	if (s) {
		reset();
		open_gate();
		tjob_init(&run, SCHED_PRIO_DUMP, "again", 1, 0);
		CHECK_INT(sched_submit(s, &run.job), 0);
		CHECK(wait_done(1));
		CHECK_INT(run.result, 0);
		CHECK_INT((int)sched_robot_moves(s), 0);
		sched_stop(s);
	}
	changer_close(c);
}

/* sched_cancel: a queued job ends -ECANCELED at once; a running one is
 * -EBUSY. A write-protected tape fails its job with -EROFS, names the tape
 * (failed), is not retried and is no fault of the drive. */
static void test_cancel_and_protected(void)
{
	struct changer *c;
	struct sched *s = rig_up(&c, 1, 3);
	struct tjob run, queued, prot;
	struct sched_drive_status st;
	char path[700];

	if (!s)
		return;
	tjob_init(&queued, SCHED_PRIO_DUMP, "queued", 1, 1);
	CHECK(run_gated(s, &run, SCHED_PRIO_DUMP, "running", 0));
	CHECK_INT(sched_submit(s, &queued.job), 0);
	CHECK_INT(sched_cancel(s, &queued.job), 0);
	CHECK_INT(queued.done, 1);
	CHECK_INT(queued.result, -ECANCELED);
	CHECK_INT(queued.ran, 0);
	CHECK_INT(sched_cancel(s, &run.job), -EBUSY);
	CHECK_INT(sched_cancel(s, &queued.job), -ENOENT);
	open_gate();
	CHECK(wait_done(2));
	CHECK_INT(run.result, 0);
	CHECK_INT(run.job.failed, -1);

	snprintf(path, sizeof(path), "%s/tapes/T02.vtape", libdir);
	CHECK_INT(vtape_inject(path, VTAPE_FAULT_PROTECT, 1, 0), 0);
	tjob_init(&prot, SCHED_PRIO_DUMP, "protected", 1, 2);
	CHECK_INT(sched_submit(s, &prot.job), 0);
	CHECK(wait_done(3));
	CHECK_INT(prot.result, -EROFS);
	CHECK_INT(prot.job.failed, 0);
	CHECK_INT(prot.ran, 0);
	CHECK_INT(sched_drive_status(s, 0, &st), 0);
	CHECK_INT(st.faults, 0);
	CHECK(st.state != SCHED_DRIVE_OUT_OF_SERVICE);
	rig_down(s, c);
}

int main(void)
{
	RUN(test_priority);
	RUN(test_loaded_first);
	RUN(test_one_drive_per_tape);
	RUN(test_gang);
	RUN(test_gang_not_starved);
	RUN(test_robot_serialized);
	RUN(test_eject_before_unload);
	RUN(test_out_of_service);
	RUN(test_fault_reset);
	RUN(test_log);
	RUN(test_bad_jobs);
	RUN(test_stop);
	RUN(test_cancel_and_protected);
	return check_done();
}
