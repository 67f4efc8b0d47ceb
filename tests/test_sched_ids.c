/* tests/test_sched_ids.c - a scheduler that drives some of a library's
 * drives (a host sharing the library: [library] drive_ids): its jobs run
 * on those drives only and its moves never touch the others; a tape in
 * another host's drive is waited for, not lost, and taken once that host
 * puts it back. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "tapeio/vlib.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static char libdir[512];

struct ijob {
	struct sched_job job;
	pthread_mutex_t mu;
	int done, result, drive, ran;
};

static int ijob_run(struct sched_job *j, const struct sched_run *r)
{
	struct ijob *t = (struct ijob *)j;

	pthread_mutex_lock(&t->mu);
	t->ran = 1;
	t->drive = r->drive[0];
	pthread_mutex_unlock(&t->mu);
	return 0;
}

static void ijob_done(struct sched_job *j, int result)
{
	struct ijob *t = (struct ijob *)j;

	pthread_mutex_lock(&t->mu);
	t->result = result;
	t->done = 1;
	pthread_mutex_unlock(&t->mu);
}

static void ijob_init(struct ijob *t, const char *barcode)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	t->job.prio = SCHED_PRIO_RECALL;
	t->job.mode = TAPE_RDONLY;
	t->job.ntapes = 1;
	t->job.run = ijob_run;
	t->job.done = ijob_done;
	t->drive = -1;
	snprintf(t->job.barcode[0], sizeof(t->job.barcode[0]), "%s", barcode);
	snprintf(t->job.desc, sizeof(t->job.desc), "read %s", barcode);
}

/* 1 once t is done (ms at most). */
static int ijob_wait(struct ijob *t, int ms)
{
	for (; ms > 0; ms -= 10) {
		int d;

		pthread_mutex_lock(&t->mu);
		d = t->done;
		pthread_mutex_unlock(&t->mu);
		if (d)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* What lib/state says of drive n: "drive N BARCODE SLOT" or "drive N -". */
static void state_drive(int n, char *buf, size_t len)
{
	char path[600], line[256], want[32];
	FILE *f;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "%s/state", libdir);
	snprintf(want, sizeof(want), "drive %d ", n);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want))) {
			line[strcspn(line, "\n")] = 0;
			snprintf(buf, len, "%s", line);
		}
	fclose(f);
}

/* drive_ids = {1} on a 2-drive library whose drive 0 holds T02 (another
 * host's): a job runs on drive 1, status and ids say drive 1, drive 0 is
 * never touched; a job for T02 waits while drive 0 holds it and runs on
 * drive 1 once "the other host" puts T02 back. */
static void test_one_of_two(void)
{
	struct fx_lib o = {.drives = 2,
			   .slots = 5,
			   .tapes = 3,
			   .capacity = 16 << 20,
			   .barcode = "T%02d"};
	static const int ids[] = {1};
	struct sched_config cfg;
	struct sched_drive_status st;
	struct changer *c;
	struct sched *s = NULL;
	struct vlib *v = NULL;
	struct ijob a, b;
	char line[256];

	snprintf(libdir, sizeof(libdir), "%s/lib", fx_tmp());
	CHECK_INT(fx_lib_setup(libdir, &o), 0);
	CHECK_INT(vlib_open(&v, libdir, NULL, 0), 0);
	if (!v)
		return;
	CHECK_INT(vlib_move(v, CHANGER_SLOT, 3, CHANGER_DRIVE, 0, NULL, 0), 0);
	c = fx_changer(libdir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.changer = c;
	cfg.tape_ops = tape_backend("vtape");
	cfg.ndrives = 1;
	cfg.drive_id = ids;
	CHECK_INT(sched_start(&s, &cfg), 0);
	if (!s)
		goto out;
	CHECK_INT(sched_ndrives(s), 1);
	CHECK_INT(sched_drive_id(s, 0), 1);
	CHECK_INT(sched_drive_id(s, 1), -1);
	CHECK_INT(sched_drive_status(s, 0, &st), -ENOENT);
	CHECK_INT(sched_drive_status(s, 1, &st), 0);
	CHECK_INT(st.drive, 1);
	CHECK_STR(st.barcode, ""); /* drive 0's T02 is not ours */

	ijob_init(&a, "T00");
	CHECK_INT(sched_submit(s, &a.job), 0);
	CHECK(ijob_wait(&a, 10000));
	CHECK_INT(a.result, 0);
	CHECK_INT(a.drive, 1);
	state_drive(1, line, sizeof(line));
	CHECK_STR(line, "drive 1 T00 1");
	state_drive(0, line, sizeof(line));
	CHECK_STR(line, "drive 0 T02 3");
	CHECK_INT(sched_drive_line(s, 1, line, sizeof(line)), 0);
	CHECK_STR(line, "idle T00");

	/* T02 sits in drive 0: the job waits (no -ENOENT, no move) */
	ijob_init(&b, "T02");
	CHECK_INT(sched_submit(s, &b.job), 0);
	usleep(300 * 1000);
	CHECK(!ijob_wait(&b, 10));
	state_drive(0, line, sizeof(line));
	CHECK_STR(line, "drive 0 T02 3");
	/* the other host puts it back: the next look finds it */
	CHECK_INT(vlib_move(v, CHANGER_DRIVE, 0, CHANGER_SLOT, 0, NULL, 0), 0);
	CHECK(ijob_wait(&b, 10000));
	CHECK_INT(b.result, 0);
	CHECK_INT(b.drive, 1);
	state_drive(1, line, sizeof(line));
	CHECK_STR(line, "drive 1 T02 3");
	state_drive(0, line, sizeof(line));
	CHECK_STR(line, "drive 0 -");
	sched_stop(s);
out:
	changer_close(c);
	vlib_close(v);
}

/* Ids that cannot name drives are refused. */
static void test_bad_ids(void)
{
	struct fx_lib o = {.drives = 2,
			   .slots = 2,
			   .tapes = 1,
			   .capacity = 16 << 20,
			   .barcode = "T%02d"};
	static const int twice[] = {1, 1}, negative[] = {-1};
	struct sched_config cfg;
	struct changer *c;
	struct sched *s = NULL;

	snprintf(libdir, sizeof(libdir), "%s/libbad", fx_tmp());
	CHECK_INT(fx_lib_setup(libdir, &o), 0);
	c = fx_changer(libdir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.changer = c;
	cfg.tape_ops = tape_backend("vtape");
	cfg.ndrives = 2;
	cfg.drive_id = twice;
	CHECK_INT(sched_start(&s, &cfg), -EINVAL);
	cfg.ndrives = 1;
	cfg.drive_id = negative;
	CHECK_INT(sched_start(&s, &cfg), -EINVAL);
	changer_close(c);
}

int main(void)
{
	RUN(test_one_of_two);
	RUN(test_bad_ids);
	return check_done();
}
