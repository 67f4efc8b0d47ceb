/* tests/test_catalog_drives.c - the library's drives as their hosts
 * publish them (catalog_drive_publish(), catalog_drive_list()): each
 * host's rows with its name, read by every host; rows of a host whose
 * heartbeat is older than its lease time are stale, and a host that
 * leaves takes its rows with it; a drive that changes hosts is one row;
 * a handle that joined no host publishes nothing. On sqlite, and on
 * PostgreSQL with TAPEFS_TEST_PG (tests/t_catalog_pg.sh).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define NMAX 8

struct seen {
	int n;
	struct catalog_drive d[NMAX];
};

static int collect(void *ctx, const struct catalog_drive *d)
{
	struct seen *s = ctx;

	if (s->n < NMAX)
		s->d[s->n] = *d;
	s->n++;
	return 0;
}

static struct seen list(struct catalog *cat)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	CHECK_INT(catalog_drive_list(cat, collect, &s), 0);
	return s;
}

static struct catalog *host(const char *name, int64_t lease_ms)
{
	struct catalog *cat = NULL;

	CHECK_INT(catalog_testing_open(&cat, "drives.db"), 0);
	if (cat && name)
		CHECK(catalog_host_join(cat, name, lease_ms) >= 0);
	return cat;
}

static struct catalog_drive row(int id, const char *state, const char *label,
				const char *job, int progress)
{
	struct catalog_drive d;

	memset(&d, 0, sizeof(d));
	d.id = id;
	snprintf(d.state, sizeof(d.state), "%s", state);
	snprintf(d.label, sizeof(d.label), "%s", label);
	snprintf(d.job, sizeof(d.job), "%s", job);
	d.progress = progress;
	return d;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void test_drives(void)
{
	struct catalog *a = host("host-a", 600000), *b = host("B", 5000);
	struct catalog *none = host(NULL, 0);
	struct catalog_drive da[2] = {row(0, "idle", "", "", -1),
				      row(1, "writing", "A00003L9",
					  "dump 7 'x'\n\"y\"", 41)};
	struct catalog_drive db[2] = {row(2, "reading", "B00001L9",
					  "recall 3", 5),
				      row(3, "idle", "", "", -1)};
	struct catalog_drive bad = row(CATALOG_DRIVE_MAX, "idle", "", "", -1);
	struct seen s;
	int i;

	if (!a || !b || !none)
		return;
	/* a handle of no host publishes nothing; ids are the changer's */
	CHECK_INT(catalog_drive_publish(none, da, 2, 0), -EINVAL);
	bad.id = -1;
	CHECK_INT(catalog_drive_publish(a, &bad, 1, 0), -EINVAL);
	bad.id = CATALOG_DRIVE_MAX;
	CHECK_INT(catalog_drive_publish(a, &bad, 1, 0), -EINVAL);
	s = list(none);
	CHECK_INT(s.n, 0);

	CHECK_INT(catalog_drive_publish(a, da, 2, 1), 0);
	CHECK_INT(catalog_drive_publish(b, db, 2, 1), 0);
	/* every host sees every drive, with its host, as published */
	s = list(none);
	CHECK_INT(s.n, 4);
	for (i = 0; i < 4 && i < s.n; i++) {
		CHECK_INT(s.d[i].id, i);
		CHECK_STR(s.d[i].host, i < 2 ? "host-a" : "B");
		CHECK_INT(s.d[i].stale, 0);
		CHECK(s.d[i].updated > 0 && s.d[i].updated <= s.d[i].now);
		CHECK(s.d[i].heartbeat > 0);
	}
	CHECK_STR(s.d[1].state, "writing");
	CHECK_STR(s.d[1].label, "A00003L9");
	CHECK_STR(s.d[1].job, "dump 7 'x'\n\"y\"");
	CHECK_INT(s.d[1].progress, 41);
	CHECK_INT(s.d[0].progress, -1);
	CHECK_STR(s.d[2].label, "B00001L9");
	CHECK_INT(s.d[2].lease_ms, 5000);

	/* B stops beating: after its lease time its rows are stale, A's
	 * (it beats) are not */
	for (i = 0; i < 400; i++) {
		CHECK(catalog_host_beat(a) >= 0);
		s = list(a);
		if (s.n == 4 && s.d[2].stale)
			break;
		sleep_ms(50);
	}
	CHECK_INT(s.n, 4);
	CHECK(s.d[2].stale && s.d[3].stale);
	CHECK(!s.d[0].stale && !s.d[1].stale);
	CHECK(s.d[2].now - s.d[2].heartbeat >= 5000);
	/* and fresh again once it beats */
	CHECK(catalog_host_beat(b) >= 0);
	s = list(a);
	CHECK(s.n == 4 && !s.d[2].stale);

	/* whole: A drives drive 0 alone now; drive 1 moved to B */
	CHECK_INT(catalog_drive_publish(a, da, 1, 1), 0);
	db[0] = row(1, "loading", "C00001L9", "", -1);
	CHECK_INT(catalog_drive_publish(b, db, 1, 0), 0);
	s = list(none);
	CHECK_INT(s.n, 4);
	CHECK_STR(s.d[1].host, "B");
	CHECK_STR(s.d[1].state, "loading");
	CHECK_STR(s.d[1].job, "");

	/* B leaves: its rows go with it */
	CHECK_INT(catalog_host_leave(b), 0);
	s = list(none);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.d[0].host, "host-a");
	/* A killed (no leave) and started again: its rows stay meanwhile,
	 * and the new run's first publish (whole) replaces them */
	catalog_close(a);
	a = host("host-a", 600000);
	s = list(none);
	CHECK(s.n == 1 && !s.d[0].stale);
	if (a) {
		da[0] = row(4, "idle", "", "", -1);
		CHECK_INT(catalog_drive_publish(a, da, 1, 1), 0);
		s = list(none);
		CHECK(s.n == 1 && s.d[0].id == 4);
		CHECK_INT(catalog_host_leave(a), 0);
		catalog_close(a);
	}
	s = list(none);
	CHECK_INT(s.n, 0);
	catalog_close(b);
	catalog_close(none);
}

int main(void)
{
	RUN(test_drives);
	return check_done();
}
