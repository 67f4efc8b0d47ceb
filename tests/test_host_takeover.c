/* tests/test_host_takeover.c - a host takes over the work of a host that
 * died, without a mount: host "ghost" (a catalog handle of its own on the
 * same catalog) keeps a `.recall` request for a member, journals a dump
 * and starts a verify run, then dies (no leave, no beat). The engine of
 * host "here" starts while ghost's leases are live: it resumes none of
 * ghost's work (its start-up lists only what no live host holds). Once
 * the leases expired, one beat of "here" takes all three over: the dump
 * is failed as a crash fails it, the run interrupted, and the recall is
 * served here: the member's bytes in the cache, MD5-checked, its request
 * row gone. At the end "here" leaves: its row is gone, ghost's stays.
 */
#include <errno.h>
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
#include "tests/check.h"
#include "tests/lib_fixture.h"
#include "tests/lib_recall.h"

#define BS	 (64 * 1024)
#define SIZE_A	 (1u << 20)
#define GHOST_MS 4000 /* ghost's lease time: long enough to start "here" */

static const char *bc = "A00001L9";
static struct tapefs fs;
static struct fx_recall rx;
static int64_t id_a;

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int setup(void)
{
	struct fx_lib lib = {.drives = 1,
			     .slots = 2,
			     .tapes = 1,
			     .capacity = 64 << 20,
			     .pools = 1,
			     .block_size = BS};
	struct tarw_opts o = {.block_size = BS};
	struct catalog_archive_in ai = {.block_size = BS};
	struct catalog_copy_in ci;
	struct catalog_member cm;
	struct catalog_member got = {0};
	struct tarw_source src;
	struct tape *t = NULL;
	struct fx_archive a;
	int64_t dump;
	int ret;

	if ((ret = fx_lib_setup(rx.lib, &lib)) ||
	    (ret = fx_make_file("a.bin", SIZE_A, 5)) ||
	    (ret = fx_source(&src, "a.bin")) ||
	    (ret = fx_recall_tape(&rx, bc, "A", 64 << 20, &t)) ||
	    (ret = fx_write_archive(&t, 1, &src, 1, &o, &a)))
		return ret ? ret : -EIO;
	tape_close(t);
	ci = (struct catalog_copy_in){bc, 1, a.start[0], a.bytes};
	ai.bytes = a.bytes;
	fx_recall_member(&cm, &a.members[0]);
	ret = catalog_dump_create(fs.cat, NULL, 0, &dump);
	if (!ret)
		ret = catalog_dump_commit(fs.cat, dump, &ai, &ci, 1, &cm, 1,
					  NULL);
	fx_archive_free(&a);
	if (!ret)
		ret = catalog_ns_lookup(fs.cat, "a.bin", &got);
	id_a = got.id;
	catalog_member_release(&got);
	return ret;
}

struct ghost_work {
	int64_t req, dump, run;
};

/* ghost joins, keeps its work, and dies. */
static void ghost_lives_and_dies(struct ghost_work *w)
{
	struct catalog *g = NULL;
	struct catalog_recall_req r = {.member = id_a};

	CHECK_INT(catalog_open(&g, "catalog.db"), 0);
	if (!g)
		return;
	CHECK_INT(catalog_host_join(g, "ghost", GHOST_MS), 0);
	CHECK_INT(catalog_recall_add(g, &r, 1, 0, &w->req), 0);
	CHECK_INT(catalog_dump_create(g, NULL, 0, &w->dump), 0);
	CHECK_INT(catalog_run_start(g, "all", &w->run), 0);
	catalog_close(g); /* killed: no leave */
}

static void wait_expired(int64_t job, enum catalog_work kind)
{
	struct catalog_lease l;
	int64_t now = 0;

	CHECK_INT(catalog_lease_get(fs.cat, kind, job, &l), 0);
	for (int i = 0; i < 200; i++) {
		CHECK_INT(catalog_clock_ms(fs.cat, &now), 0);
		if (now > l.until)
			return;
		sleep_ms(50);
	}
	CHECK(now > l.until);
}

static int wait_cached(int64_t member)
{
	for (int i = 0; i < 600; i++) {
		if (recall_state(fs.recall, member) == RECALL_CACHED)
			return 1;
		sleep_ms(50);
	}
	return 0;
}

/* Counts the hosts of the catalog; the name of the last in ctx's. */
struct hosts {
	int n;
	char last[CATALOG_HOST_LEN];
};

static int count_host(void *ctx, const struct catalog_host *h)
{
	struct hosts *hs = ctx;

	hs->n++;
	snprintf(hs->last, sizeof(hs->last), "%s", h->name);
	return 0;
}

static void test_takeover(void)
{
	struct ghost_work w = {0};
	struct catalog_lease l;
	struct catalog_dump d;
	struct catalog_run run;

	ghost_lives_and_dies(&w);
	CHECK_INT(host_start(&fs, "here", 600), 0);
	CHECK_INT(fx_recall_start(&rx), 0);
	/* ghost is alive still: nothing of it resumed or taken */
	CHECK_INT(host_beat_now(&fs), 0);
	CHECK_INT(catalog_dump_get(fs.cat, w.dump, &d), 0);
	CHECK_INT(d.state, CATALOG_DUMP_PENDING);
	CHECK_INT(recall_state(fs.recall, id_a), RECALL_OFFLINE);
	CHECK_INT(catalog_lease_get(fs.cat, CATALOG_WORK_RECALL, w.req, &l),
		  0);
	CHECK_STR(l.host, "ghost");
	/* ghost's leases expire: the beat (the thread's, or this one) takes
	 * its three jobs */
	wait_expired(w.run, CATALOG_WORK_VERIFY);
	CHECK(host_beat_now(&fs) >= 0);
	CHECK_INT(catalog_dump_get(fs.cat, w.dump, &d), 0);
	CHECK_INT(d.state, CATALOG_DUMP_FAILED);
	CHECK(strstr(d.error, "ghost") != NULL);
	CHECK_INT(catalog_run_get(fs.cat, w.run, &run), 0);
	CHECK_INT(run.state, CATALOG_RUN_INTERRUPTED);
	CHECK_INT(catalog_lease_get(fs.cat, CATALOG_WORK_DUMP, w.dump, &l), 0);
	CHECK_STR(l.host, ""); /* released once failed */
	CHECK(wait_cached(id_a));
	CHECK_INT(recall_cached_bytes(fs.recall, id_a), SIZE_A);
	/* the request is deleted once served (the batch worker's pace) */
	for (int i = 0; i < 100 && catalog_lease_get(fs.cat,
						     CATALOG_WORK_RECALL,
						     w.req, &l) == 0;
	     i++)
		sleep_ms(50);
	CHECK_INT(catalog_lease_get(fs.cat, CATALOG_WORK_RECALL, w.req, &l),
		  -ENOENT);
	/* nothing more to take */
	CHECK_INT(host_beat_now(&fs), 0);
}

int main(void)
{
	if (fx_recall_init(&rx, &fs, 1, 0) || setup()) {
		fprintf(stderr, "set-up failed\n");
		return 1;
	}
	RUN(test_takeover);
	recall_stop(&fs);
	host_stop(&fs);
	/* "here" left; the row of ghost, dead, stays (its last heartbeat) */
	struct hosts hs = {0};
	CHECK_INT(catalog_host_list(fs.cat, count_host, &hs), 0);
	CHECK_INT(hs.n, 1);
	CHECK_STR(hs.last, "ghost");
	fx_recall_fini(&rx);
	return check_done();
}
