/* tests/test_catalog_leases.c - several hosts on one catalog, each a
 * catalog handle of its own: two hosts taking the same job at once get it
 * once; a lease not renewed expires and the other host takes it over; the
 * host that lost it can neither renew it, release it, nor commit the
 * work's outcome (fencing by generation); a host that died and joins
 * again frees what it held; the start-up clean-ups of one host leave the
 * live work of another alone.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "tests/check.h"

#define DB     "leases.db"
#define TTL_MS 2000 /* the tests' hosts' lease time: no step between a
		     * take and a check that it is live outlasts it, even
		     * on a loaded machine; expiry is waited for */
#define JOBS   200 /* recall requests two hosts take at once */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Wait until the database's clock is past until (a lease's expiry). */
static void wait_past(struct catalog *cat, int64_t until)
{
	int64_t now = 0;

	for (int i = 0; i < 100; i++) {
		CHECK_INT(catalog_clock_ms(cat, &now), 0);
		if (now > until)
			return;
		sleep_ms(until - now + 5);
	}
	CHECK(now > until);
}

static struct catalog *host_open_ttl(const char *name, int64_t ttl)
{
	struct catalog *cat = NULL;

	CHECK_INT(catalog_open(&cat, DB), 0);
	if (cat && name)
		CHECK_INT(catalog_host_join(cat, name, ttl), 0);
	return cat;
}

static struct catalog *host_open(const char *name)
{
	return host_open_ttl(name, TTL_MS);
}

static int64_t recall_add(struct catalog *cat, int64_t member)
{
	struct catalog_recall_req r = {.member = member};
	int64_t id = 0;

	CHECK_INT(catalog_recall_add(cat, &r, 1, 0, &id), 0);
	return id;
}

static void test_names(void)
{
	struct catalog *a = host_open(NULL);
	char big[80];

	memset(big, 'h', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK(catalog_host_name_valid("tape-server-1.site"));
	CHECK(!catalog_host_name_valid(""));
	CHECK(!catalog_host_name_valid("a b"));
	CHECK(!catalog_host_name_valid("a/b"));
	CHECK(!catalog_host_name_valid("a'b"));
	CHECK(!catalog_host_name_valid(big));
	CHECK(!catalog_host_name_valid(NULL));
	CHECK_INT(catalog_host_join(a, "a;drop", TTL_MS), -EINVAL);
	CHECK_INT(catalog_host_join(a, "a", 0), -EINVAL);
	/* without a host nothing is leased, and nothing can be taken */
	CHECK_INT(catalog_lease_take(a, CATALOG_WORK_RECALL, 1, NULL), -EINVAL);
	CHECK_INT(catalog_host_beat(a), -EINVAL);
	catalog_close(a);
}

/* One host alone never joins: its rows carry no lease. */
static void test_single_host(void)
{
	struct catalog *a = host_open(NULL);
	struct catalog_lease l;
	int64_t id = recall_add(a, 7);

	CHECK_INT(catalog_lease_get(a, CATALOG_WORK_RECALL, id, &l), 0);
	CHECK_STR(l.host, "");
	CHECK_INT(l.gen, 0);
	CHECK_INT(catalog_recall_remove(a, &id, 1), 0);
	catalog_close(a);
}

static void test_take_one_job(void)
{
	struct catalog *a = host_open("a"), *b = host_open("b");
	struct catalog_lease la, lb;
	int64_t id = recall_add(a, 11); /* leased to a when added */

	CHECK_INT(catalog_lease_get(b, CATALOG_WORK_RECALL, id, &la), 0);
	CHECK_STR(la.host, "a");
	CHECK_INT(la.gen, 1);
	CHECK_INT(catalog_lease_take(b, CATALOG_WORK_RECALL, id, &lb), -EBUSY);
	/* a takes its own again: a new generation fences the old one */
	CHECK_INT(catalog_lease_take(a, CATALOG_WORK_RECALL, id, &lb), 0);
	CHECK_INT(lb.gen, 2);
	CHECK_INT(catalog_lease_renew(a, &la), -ESTALE);
	CHECK_INT(catalog_lease_renew(a, &lb), 0);
	CHECK_INT(catalog_lease_take(b, CATALOG_WORK_RECALL, 999999, NULL),
		  -ENOENT);
	/* released, b takes it */
	CHECK_INT(catalog_lease_release(a, &lb), 0);
	CHECK_INT(catalog_lease_take(b, CATALOG_WORK_RECALL, id, &lb), 0);
	CHECK_STR(lb.host, "b");
	CHECK_INT(lb.gen, 3);
	CHECK_INT(catalog_recall_done(a, &la), -ESTALE);
	CHECK_INT(catalog_recall_done(b, &lb), 0);
	CHECK_INT(catalog_lease_get(a, CATALOG_WORK_RECALL, id, &la), -ENOENT);
	catalog_host_leave(a);
	catalog_host_leave(b);
	catalog_close(a);
	catalog_close(b);
}

/* Two hosts race for the same free job: exactly one gets it. */
struct racer {
	struct catalog *cat;
	int64_t job;
	pthread_barrier_t *go;
	int ret;
	int64_t got[JOBS];
	int ngot, errors;
};

static void *race_take(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	r->ret = catalog_lease_take(r->cat, CATALOG_WORK_RECALL, r->job, NULL);
	return NULL;
}

static void *race_next(void *arg)
{
	struct racer *r = arg;
	struct catalog_lease l;
	int ret;

	pthread_barrier_wait(r->go);
	while ((ret = catalog_lease_next(r->cat, CATALOG_WORK_RECALL, &l)) == 0)
		if (r->ngot < JOBS)
			r->got[r->ngot++] = l.job;
	if (ret != -ENOENT)
		r->errors++;
	return NULL;
}

static void race(struct racer *r, void *(*fn)(void *))
{
	pthread_barrier_t go;
	pthread_t t[2];

	pthread_barrier_init(&go, NULL, 2);
	for (int i = 0; i < 2; i++) {
		r[i].go = &go;
		CHECK_INT(pthread_create(&t[i], NULL, fn, &r[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
}

static void test_race(void)
{
	struct catalog *plain = host_open(NULL);
	static struct racer r[2];
	static char seen[JOBS + 1];
	int64_t first = 0, id;

	/* leases that outlast the race: one expired meanwhile (a loaded
	 * machine) would rightly be taken again */
	r[0].cat = host_open_ttl("a", 600000);
	r[1].cat = host_open_ttl("b", 600000);
	for (int round = 0; round < 20; round++) {
		r[0].job = r[1].job = recall_add(plain, 100 + round);
		race(r, race_take);
		CHECK((r[0].ret == 0) + (r[1].ret == 0) == 1);
		CHECK(r[0].ret == -EBUSY || r[1].ret == -EBUSY);
	}
	/* a queue of JOBS free requests, taken by both at once */
	for (int i = 0; i < JOBS; i++) {
		id = recall_add(plain, 1000 + i);
		first = first ? first : id;
	}
	r[0].ngot = r[1].ngot = 0;
	race(r, race_next);
	CHECK_INT(r[0].errors + r[1].errors, 0);
	CHECK_INT(r[0].ngot + r[1].ngot, JOBS);
	memset(seen, 0, sizeof(seen));
	for (int h = 0; h < 2; h++)
		for (int i = 0; i < r[h].ngot; i++) {
			int64_t k = r[h].got[i] - first;

			CHECK(k >= 0 && k < JOBS);
			if (k >= 0 && k < JOBS)
				CHECK_INT(seen[k]++, 0); /* once only */
		}
	catalog_host_leave(r[0].cat);
	catalog_host_leave(r[1].cat);
	catalog_close(r[0].cat);
	catalog_close(r[1].cat);
	catalog_close(plain);
}

static int expired_one(void *ctx, const struct catalog_lease *l)
{
	*(struct catalog_lease *)ctx = *l;
	return 1;
}

/* a takes a dump and stops renewing (it hangs); b takes it over after
 * the lease time; a, back, can neither renew nor commit. */
static void test_expire_fence(void)
{
	struct catalog *a = host_open("a"), *b = host_open("b");
	struct catalog_tape t = {
	    .barcode = "L00001", .pool = "A", .capacity = 1 << 20};
	struct catalog_archive_in ai = {.bytes = 1, .block_size = 512};
	struct catalog_copy_in cp = {"L00001", 1, 1, 512};
	struct catalog_member m = {.path = "fenced",
				   .type = CATALOG_FILE,
				   .mode = S_IFREG | 0644,
				   .size = 1,
				   .header_offset = 0,
				   .data_offset = 512};
	struct catalog_lease la, lb, ex = {0};
	struct catalog_commit *c;
	struct catalog_member got;
	int64_t dump;

	CHECK_INT(catalog_tape_add(a, &t), 0);
	CHECK_INT(catalog_dump_create(a, NULL, 0, &dump), 0);
	CHECK_INT(catalog_lease_get(a, CATALOG_WORK_DUMP, dump, &la), 0);
	CHECK_STR(la.host, "a");
	CHECK_INT(catalog_lease_take(b, CATALOG_WORK_DUMP, dump, NULL), -EBUSY);
	CHECK_INT(catalog_lease_next(b, CATALOG_WORK_DUMP, &lb), -ENOENT);
	CHECK_INT(catalog_lease_expired(b, CATALOG_WORK_DUMP, expired_one, &ex),
		  0);
	CHECK_INT(ex.job, 0); /* a's lease is live */
	/* a renews: its lease runs on */
	CHECK_INT(catalog_lease_renew(a, &la), 0);
	wait_past(b, la.until);
	CHECK_INT(catalog_lease_expired(b, CATALOG_WORK_DUMP, expired_one, &ex),
		  1);
	CHECK_INT(ex.job, dump);
	CHECK_STR(ex.host, "a");
	CHECK_INT(catalog_lease_next(b, CATALOG_WORK_DUMP, &lb), 0);
	CHECK_INT(lb.job, dump);
	CHECK_INT(lb.gen, la.gen + 1);
	/* a lost it */
	CHECK_INT(catalog_lease_renew(a, &la), -ESTALE);
	CHECK_INT(catalog_lease_release(a, &la), -ESTALE);
	CHECK_INT(catalog_lease_check(a, &la), -ESTALE);
	CHECK_INT(catalog_lease_check(b, &lb), 0);
	/* a's beat renews nothing it lost */
	CHECK_INT(catalog_host_beat(a), 0);
	CHECK_INT(catalog_lease_get(a, CATALOG_WORK_DUMP, dump, &ex), 0);
	CHECK_STR(ex.host, "b");
	/* a's commit of the dump is fenced off at its begin: a works for
	 * host a, and the dump's lease is b's now */
	CHECK_INT(catalog_commit_begin(a, dump, &ai, &cp, 1, &c), -ESTALE);
	/* a commit fenced on a lost lease commits nothing */
	CHECK_INT(catalog_commit_begin(b, dump, &ai, &cp, 1, &c), 0);
	CHECK_INT(catalog_commit_member(c, &m), 0);
	CHECK_INT(catalog_commit_fence(c, &la), -ESTALE);
	catalog_commit_abort(c);
	CHECK_INT(catalog_ns_lookup(a, "fenced", &got), -ENOENT);
	/* b's commits (the fence of begin too: b holds it) */
	CHECK_INT(catalog_commit_begin(b, dump, &ai, &cp, 1, &c), 0);
	CHECK_INT(catalog_commit_member(c, &m), 0);
	CHECK_INT(catalog_commit_fence(c, &lb), 0);
	CHECK_INT(catalog_commit_end(c, NULL), 0);
	CHECK_INT(catalog_ns_lookup(a, "fenced", &got), 0);
	catalog_member_release(&got);
	/* a committed dump is no work left to take */
	CHECK_INT(catalog_lease_release(b, &lb), 0);
	CHECK_INT(catalog_lease_next(a, CATALOG_WORK_DUMP, &la), -ENOENT);
	catalog_host_leave(a);
	catalog_host_leave(b);
	catalog_close(a);
	catalog_close(b);
}

static int count_dump(void *ctx, const struct catalog_dump *d)
{
	(void)d;
	++*(int *)ctx;
	return 0;
}

/* Counts the requests for member 5 (the test's own). */
static int count_recall(void *ctx, const struct catalog_recall_req *r)
{
	if (r->member == 5)
		++*(int *)ctx;
	return 0;
}

/* The clean-ups a host runs as it starts (dumps left unfinished, runs
 * and copies left running, the recall queue to resume) leave alone what
 * another live host holds, and take what a dead one left. */
static void test_startup_spares_live_host(void)
{
	struct catalog *a = host_open("a"), *b;
	struct catalog_run r;
	struct catalog_lease l;
	int64_t dump, run, req;
	int n = 0;

	CHECK_INT(catalog_dump_create(a, NULL, 0, &dump), 0);
	CHECK_INT(catalog_run_start(a, "all", &run), 0);
	req = recall_add(a, 5);
	b = host_open("b");
	CHECK_INT(catalog_dump_unfinished(b, count_dump, &n), 0);
	CHECK_INT(n, 0);
	n = 0;
	CHECK_INT(catalog_recall_list(b, count_recall, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(catalog_run_interrupt_stale(b), 0);
	CHECK_INT(catalog_run_get(b, run, &r), 0);
	CHECK_INT(r.state, CATALOG_RUN_RUNNING);
	/* a itself sees its own */
	n = 0;
	CHECK_INT(catalog_recall_list(a, count_recall, &n), 0);
	CHECK_INT(n, 1);
	/* a dies (no leave, no beat): its leases expire */
	CHECK_INT(catalog_lease_get(b, CATALOG_WORK_VERIFY, run, &l), 0);
	catalog_close(a);
	wait_past(b, l.until);
	n = 0;
	CHECK_INT(catalog_dump_unfinished(b, count_dump, &n), 0);
	CHECK_INT(n, 1);
	n = 0;
	CHECK_INT(catalog_recall_list(b, count_recall, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(catalog_run_interrupt_stale(b), 1);
	CHECK_INT(catalog_dump_fail(b, dump, "host a died"), 0);
	CHECK_INT(catalog_recall_remove(b, &req, 1), 0);
	catalog_host_leave(b);
	catalog_close(b);
}

static int took(void *ctx, const struct catalog_lease *l, const char *prev)
{
	struct catalog_lease *out = ctx;

	*out = *l;
	CHECK_STR(prev, "dead");
	return 0;
}

/* The sweep of a live host: the expired leases of others taken over,
 * each once, never its own. */
static void test_takeover(void)
{
	struct catalog *a = host_open("dead"), *b = host_open("b");
	struct catalog_lease l, got = {0};
	int64_t run, mine;

	CHECK_INT(catalog_run_start(a, "all", &run), 0);
	CHECK_INT(catalog_run_start(b, "all", &mine), 0);
	CHECK_INT(catalog_lease_takeover(b, CATALOG_WORK_VERIFY, took, &got),
		  0);
	catalog_close(a); /* dies */
	CHECK_INT(catalog_lease_get(b, CATALOG_WORK_VERIFY, mine, &l), 0);
	wait_past(b, l.until); /* b's own expired too: not taken by itself */
	CHECK_INT(catalog_lease_takeover(b, CATALOG_WORK_VERIFY, took, &got),
		  1);
	CHECK_INT(got.job, run);
	CHECK_STR(got.host, "b");
	CHECK_INT(catalog_run_interrupt(b, run), 0);
	CHECK_INT(catalog_run_interrupt(b, run), -ENOENT);
	CHECK_INT(catalog_lease_takeover(b, CATALOG_WORK_VERIFY, took, &got),
		  0);
	CHECK_INT(catalog_run_interrupt(b, mine), 0);
	CHECK_INT(catalog_host_leave(b), 0);
	catalog_close(b);
}

static int count_host(void *ctx, const struct catalog_host *h)
{
	(void)h;
	++*(int *)ctx;
	return 0;
}

/* A host killed and started again at once under its name: the join
 * says the name beat a moment ago, frees what the dead run held, and
 * the run before (were it alive: a second daemon of one name) renews
 * nothing any more, and its leave leaves the new run's row and leases. */
static void test_rejoin(void)
{
	struct catalog *a = host_open("a"), *a2 = host_open(NULL);
	struct catalog_lease l;
	int64_t id = recall_add(a, 9), id2;
	int n = 0;

	CHECK_INT(catalog_host_list(a2, count_host, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(catalog_host_beat(a), 1); /* its one lease */
	CHECK_INT(catalog_host_join(a2, "a", TTL_MS), 1);
	CHECK_INT(catalog_lease_get(a2, CATALOG_WORK_RECALL, id, &l), 0);
	CHECK_STR(l.host, ""); /* freed: resumed by the crash rules */
	id2 = recall_add(a2, 10);
	CHECK_INT(catalog_host_beat(a), -ENOENT);
	CHECK_INT(catalog_host_leave(a), -ENOENT);
	CHECK_INT(catalog_lease_get(a2, CATALOG_WORK_RECALL, id2, &l), 0);
	CHECK_STR(l.host, "a");
	CHECK_INT(catalog_host_beat(a2), 1);
	catalog_close(a); /* killed */
	/* after a leave, a join is a plain one */
	CHECK_INT(catalog_host_leave(a2), 0);
	CHECK_INT(catalog_host_join(a2, "a", TTL_MS), 0);
	CHECK_INT(catalog_recall_remove(a2, &id2, 1), 0);
	CHECK_INT(catalog_host_leave(a2), 0);
	n = 0;
	CHECK_INT(catalog_host_list(a2, count_host, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(catalog_host_beat(a2), -EINVAL);
	CHECK_INT(catalog_recall_remove(a2, &id, 1), 0);
	catalog_close(a2);
}

/* The database's clock moves forward in ms. */
static void test_clock(void)
{
	struct catalog *a = host_open(NULL);
	int64_t t0 = 0, t1 = 0;

	CHECK_INT(catalog_clock_ms(a, &t0), 0);
	sleep_ms(20);
	CHECK_INT(catalog_clock_ms(a, &t1), 0);
	CHECK(t1 - t0 >= 15);
	CHECK(t0 > (int64_t)time(NULL) * 1000 - 60000); /* ms of the epoch */
	catalog_close(a);
}

int main(void)
{
	unlink(DB);
	RUN(test_names);
	RUN(test_clock);
	RUN(test_single_host);
	RUN(test_take_one_job);
	RUN(test_race);
	RUN(test_expire_fence);
	RUN(test_startup_spares_live_host);
	RUN(test_rejoin);
	RUN(test_takeover);
	return check_done();
}
