/* tests/test_recall_hosts.c - recalls across two hosts sharing one
 * library, one catalog and one cache directory, without a mount: host A
 * drives drive 0, host B drive 1 (each its own changer handle, scheduler
 * and catalog handle, as two daemons). An archive of three files has two
 * copies, on T1 and T2; T1 sits in B's drive.
 *
 * 1. A reads f1 (T1 its first copy): A hands the request over, B serves
 *    it from T1 in its drive into the shared cache, and A's reader gets
 *    the right bytes without A moving a tape; the request row is gone.
 * 2. B's engine stopped (B still beats): A reads f2, hands it, nobody
 *    takes it; after the lease time A takes it back and reads it from
 *    T2 in its own drive (the copy in another host's drive last).
 * 3. A reads f3 asking for T1: handed; host C takes the request and dies
 *    (no beat); once C's lease expired A's beat takes the request over
 *    and A serves it from T2: the reader gets the right bytes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/host.h"
#include "fs/engine/recall.h"
#include "fs/engine/tapefs.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"
#include "tests/lib_recall.h"

#define BS	 (64 * 1024)
#define NFILES	 3
#define LEASE_MS 3000 /* A's and B's */
#define C_MS	 500  /* C's, who dies */

static const char *bc[2] = {"A00001L9", "B00001L9"};
static const size_t sizes[NFILES] = {300000, 150000, 70000};
static struct tapefs fa, fb;
static struct fx_recall rx;
static int64_t ids[NFILES];

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int setup(void)
{
	struct fx_lib lib = {.drives = 2,
			     .slots = 4,
			     .tapes = 2,
			     .capacity = 64 << 20,
			     .pools = 2,
			     .block_size = BS};
	struct tarw_opts o = {.block_size = BS};
	struct catalog_archive_in ai = {.block_size = BS};
	struct tarw_source src[NFILES];
	struct catalog_member cm[NFILES];
	struct catalog_copy_in ci[2];
	struct tape *t[2] = {NULL, NULL};
	char name[NFILES][16];
	struct fx_archive a;
	int64_t dump;
	int ret;

	if ((ret = fx_lib_setup(rx.lib, &lib)))
		return ret;
	for (int c = 0; c < 2; c++)
		if ((ret = fx_recall_tape(&rx, bc[c], c ? "B" : "A", 64 << 20,
					  &t[c])))
			return ret;
	for (int i = 0; i < NFILES; i++) {
		snprintf(name[i], sizeof(name[i]), "f%d.bin", i + 1);
		if ((ret = fx_make_file(name[i], sizes[i], 40 + i)) ||
		    (ret = fx_source(&src[i], name[i])))
			return ret;
	}
	if ((ret = fx_write_archive(t, 2, src, NFILES, &o, &a)))
		return ret;
	for (int c = 0; c < 2; c++) {
		tape_close(t[c]);
		ci[c] = (struct catalog_copy_in){bc[c], 1, a.start[c], a.bytes};
	}
	ai.bytes = a.bytes;
	for (size_t i = 0; i < a.nmembers; i++)
		fx_recall_member(&cm[i], &a.members[i]);
	ret = catalog_dump_create(fa.cat, NULL, 0, &dump);
	if (!ret)
		ret = catalog_dump_commit(fa.cat, dump, &ai, ci, 2, cm,
					  a.nmembers, NULL);
	fx_archive_free(&a);
	for (int i = 0; !ret && i < NFILES; i++) {
		struct catalog_member got = {0};

		ret = catalog_ns_lookup(fa.cat, name[i], &got);
		ids[i] = got.id;
		catalog_member_release(&got);
	}
	return ret;
}

/* Host B: the library's drive 1, the same catalog and cache. */
static int b_up(void)
{
	static const int id1 = 1;
	struct sched_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	pthread_mutex_init(&fb.errors.lock, NULL);
	fb.cfg.cache = rx.cache;
	fb.cat = fx_catalog("catalog.db");
	fb.changer = fx_changer(rx.lib);
	if (!fb.cat || !fb.changer)
		return -EIO;
	cfg.changer = fb.changer;
	cfg.tape_ops = tape_backend("vtape");
	cfg.ndrives = 1;
	cfg.drive_id = &id1;
	return sched_start(&fb.sched, &cfg);
}

/* A reader of member i on host A, on a thread of its own. */
struct reader {
	int i;
	const char *prefer;
	pthread_t th;
	int ret; /* 0: every byte right */
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	size_t size = sizes[rd->i];
	char *want = malloc(size), *got = malloc(size + 4096);
	struct recall_handle *h = NULL;
	uint64_t off = 0;
	ssize_t n = 0;

	rd->ret = -ENOMEM;
	if (!want || !got)
		goto out;
	fx_fill(want, size, 40 + rd->i);
	rd->ret = recall_open(fa.recall, ids[rd->i], 0, rd->prefer, &h);
	if (rd->ret)
		goto out;
	while ((n = recall_read(h, got + off, 65536, (off_t)off)) > 0)
		off += (uint64_t)n;
	recall_release(h);
	rd->ret = n < 0			    ? (int)n
		  : off != size		    ? -EBADMSG
		  : memcmp(want, got, size) ? -EILSEQ
					    : 0;
out:
	free(want);
	free(got);
	return NULL;
}

static void reader_start(struct reader *rd, int i, const char *prefer)
{
	rd->i = i;
	rd->prefer = prefer;
	CHECK_INT(pthread_create(&rd->th, NULL, reader_main, rd), 0);
}

/* Did A's engine note a member served by another host? */
static int served_elsewhere(const char *path)
{
	struct recall_snap s;
	int found = 0;

	if (recall_snapshot(fa.recall, &s))
		return 0;
	for (size_t i = 0; i < s.nrecent; i++)
		if (s.recent[i].what == RECALL_DONE &&
		    !strcmp(s.recent[i].path, path) &&
		    strstr(s.recent[i].text, "another host"))
			found = 1;
	recall_snap_release(&s);
	return found;
}

/* 1 once A's `.recall` figures show one member handed (2 s at most). */
static int handed_seen(void)
{
	for (int i = 0; i < 200; i++) {
		struct recall_snap s;
		size_t n = 0;

		if (!recall_snapshot(fa.recall, &s)) {
			n = s.handed;
			recall_snap_release(&s);
		}
		if (n == 1)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

static int count_free(void *ctx, const struct catalog_recall_req *q)
{
	(void)q;
	++*(int *)ctx;
	return 0;
}

static int free_rows(void)
{
	int n = 0;

	CHECK_INT(catalog_recall_free(fa.cat, count_free, &n), 0);
	return n;
}

static void test_served_by_b(void)
{
	struct sched_drive_status ds;
	struct reader rd;

	CHECK_INT(recall_start(&fb), 0);
	reader_start(&rd, 0, NULL);
	pthread_join(rd.th, NULL);
	CHECK_INT(rd.ret, 0);
	CHECK_INT(recall_state(fa.recall, ids[0]), RECALL_CACHED);
	CHECK(served_elsewhere("f1.bin"));
	CHECK_INT(sched_robot_moves(fa.sched), 0); /* A moved no tape */
	CHECK_INT(sched_drive_status(fb.sched, 1, &ds), 0);
	CHECK(ds.bytes_read >= sizes[0]); /* B's drive read it */
	CHECK_INT(free_rows(), 0);
	recall_stop(&fb);
}

static void test_taken_back(void)
{
	struct sched_drive_status ds;
	struct reader rd;

	reader_start(&rd, 1, NULL);
	/* handed while no host takes it (`.recall` says so) */
	CHECK(handed_seen());
	pthread_join(rd.th, NULL);
	CHECK_INT(rd.ret, 0);
	CHECK(!served_elsewhere("f2.bin"));
	CHECK_INT(sched_drive_status(fa.sched, 0, &ds), 0);
	CHECK_STR(ds.barcode, bc[1]); /* read here, from T2 */
	for (int i = 0; i < 200 && free_rows(); i++)
		sleep_ms(25);
	CHECK_INT(free_rows(), 0);
}

struct take_f3 {
	int64_t row;
};

static int find_f3(void *ctx, const struct catalog_recall_req *q)
{
	struct take_f3 *t = ctx;

	if (q->member == ids[2])
		t->row = q->id;
	return 0;
}

static void test_taker_dies(void)
{
	struct catalog *c = fx_catalog("catalog.db");
	struct take_f3 t = {0};
	struct catalog_lease l;
	struct reader rd;

	if (!c)
		return;
	CHECK_INT(catalog_host_join(c, "C", C_MS), 0);
	reader_start(&rd, 2, bc[0]);
	for (int i = 0; i < 200 && !t.row; i++) {
		CHECK_INT(catalog_recall_free(c, find_f3, &t), 0);
		if (!t.row)
			sleep_ms(10);
	}
	CHECK(t.row > 0);
	CHECK_INT(catalog_lease_take(c, CATALOG_WORK_RECALL, t.row, &l), 0);
	catalog_close(c); /* C dies holding it: no beat, no leave */
	pthread_join(rd.th, NULL);
	CHECK_INT(rd.ret, 0);
	CHECK(!served_elsewhere("f3.bin"));
	/* the request is deleted once its member is durable (the
	 * syncers' pace) */
	for (int i = 0;
	     i < 200 &&
	     catalog_lease_get(fa.cat, CATALOG_WORK_RECALL, t.row, &l) == 0;
	     i++)
		sleep_ms(25);
	CHECK_INT(catalog_lease_get(fa.cat, CATALOG_WORK_RECALL, t.row, &l),
		  -ENOENT);
}

int main(void)
{
	struct fx_holder hold;

	alarm(240); /* a reader never answered fails the test */
	if (fx_recall_init(&rx, &fa, 1, 0) || setup() || b_up()) {
		fprintf(stderr, "set-up failed\n");
		return 1;
	}
	/* T1 into B's drive, where it stays */
	fx_hold(fb.sched, &hold, bc[0]);
	fx_unhold(&hold);
	CHECK_INT(host_start(&fb, "B", LEASE_MS), 0);
	CHECK_INT(host_start(&fa, "A", LEASE_MS), 0);
	CHECK_INT(fx_recall_start(&rx), 0);
	RUN(test_served_by_b);
	RUN(test_taken_back);
	RUN(test_taker_dies);
	recall_stop(&fa);
	host_stop(&fa);
	host_stop(&fb);
	sched_stop(fb.sched);
	changer_close(fb.changer);
	catalog_close(fb.cat);
	fx_recall_fini(&rx);
	return check_done();
}
