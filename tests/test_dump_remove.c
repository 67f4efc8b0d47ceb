/* tests/test_dump_remove.c - the removal of dumped entries from staging/
 * (dump_staged_remove, the clean-up's step): an entry goes only while it
 * is the snapshot's, unchanged; the parent's descriptor is kept for the
 * next entries of the same directory (one descriptor, not one per entry);
 * a directory renamed meanwhile takes its entries along, and a symlink
 * put in its place is never followed: nothing outside staging/ goes. A
 * whole clean-up large enough to run in two parts removes and tells each
 * name once, and leaves what changed, was dropped or is reached through
 * a symlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static struct tapefs fs;
static struct dump d;

static void engine_make(const char *staging)
{
	memset(&fs, 0, sizeof(fs));
	memset(&d, 0, sizeof(d));
	pthread_mutex_init(&d.mu, NULL);
	d.fs = &fs;
	fs.staging_fd = open(staging, O_PATH | O_DIRECTORY);
	CHECK(fs.staging_fd >= 0);
}

static void engine_drop(void)
{
	close(fs.staging_fd);
	pthread_mutex_destroy(&d.mu);
}

static void snap(const char *path, struct stat *st)
{
	CHECK_INT(lstat(path, st), 0);
}

static int gone(const char *path)
{
	struct stat st;

	return lstat(path, &st) < 0 && errno == ENOENT;
}

/* Entries of one directory after another: each removed; the descriptor
 * of the parent is opened once and kept; a changed entry stays. */
static void test_same_parent(void)
{
	struct dump_parent p;
	struct stat s1, s2, s3, sd;
	int fd;

	mkdir("stg", 0755);
	mkdir("stg/a", 0755);
	fx_make_file("stg/a/f1", 100, 1);
	fx_make_file("stg/a/f2", 100, 2);
	fx_make_file("stg/a/f3", 100, 3);
	snap("stg/a/f1", &s1);
	snap("stg/a/f2", &s2);
	snap("stg/a/f3", &s3);
	snap("stg/a", &sd);
	engine_make("stg");
	dump_parent_init(&p);
	CHECK_INT(dump_staged_remove(&d, &p, "a/f1", &s1, 0), 0);
	CHECK(gone("stg/a/f1"));
	fd = p.fd;
	CHECK(fd >= 0);
	CHECK_INT((int)p.len, 1);
	/* f2 rewritten since its snapshot: it stays. */
	fx_make_file("stg/a/f2", 100, 9);
	CHECK_INT(dump_staged_remove(&d, &p, "a/f2", &s2, 0), -ESTALE);
	CHECK(!gone("stg/a/f2"));
	CHECK_INT(dump_staged_remove(&d, &p, "a/f3", &s3, 0), 0);
	CHECK(gone("stg/a/f3"));
	CHECK_INT(p.fd, fd); /* the same descriptor, not one per entry */
	CHECK_INT(dump_staged_remove(&d, &p, "a/nothere", &s3, 0), -ENOENT);
	/* The directory itself: its parent is the root, opened now. */
	CHECK_INT(unlink("stg/a/f2"), 0);
	CHECK_INT(dump_staged_remove(&d, &p, "a", &sd, 0), 0);
	CHECK(gone("stg/a"));
	CHECK_INT((int)p.len, 0);
	dump_parent_release(&p);
	CHECK_INT(p.fd, -1);
	CHECK(fcntl(fd, F_GETFD) < 0); /* released: closed */
	/* Without a kept parent: the same answers. */
	fx_make_file("stg/g", 10, 4);
	snap("stg/g", &s1);
	CHECK_INT(dump_staged_remove(&d, NULL, "g", &s1, 0), 0);
	CHECK(gone("stg/g"));
	engine_drop();
}

/* The directory renamed between two removals and a symlink to a
 * directory outside put in its place: the kept descriptor still names
 * the renamed directory, whose unchanged entry goes; the file outside
 * under the same name stays. A new lookup of the path refuses the
 * symlink. */
static void test_swapped_parent(void)
{
	struct dump_parent p;
	struct stat s1, s2, s3;

	mkdir("s2", 0755);
	mkdir("s2/b", 0755);
	mkdir("outside", 0755);
	fx_make_file("s2/b/f1", 10, 1);
	fx_make_file("s2/b/f2", 10, 2);
	fx_make_file("s2/b/f3", 10, 3);
	fx_make_file("outside/f2", 10, 5);
	fx_make_file("outside/f3", 10, 6);
	snap("s2/b/f1", &s1);
	snap("s2/b/f2", &s2);
	snap("s2/b/f3", &s3);
	engine_make("s2");
	dump_parent_init(&p);
	CHECK_INT(dump_staged_remove(&d, &p, "b/f1", &s1, 0), 0);
	CHECK_INT(rename("s2/b", "s2/b2"), 0);
	CHECK_INT(symlink("../outside", "s2/b"), 0);
	CHECK_INT(dump_staged_remove(&d, &p, "b/f2", &s2, 0), 0);
	CHECK(gone("s2/b2/f2"));
	CHECK(!gone("outside/f2"));
	/* A parent looked up again (p released): the symlink is refused. */
	dump_parent_release(&p);
	CHECK_INT(dump_staged_remove(&d, &p, "b/f3", &s3, 0), -ESTALE);
	CHECK(!gone("outside/f3"));
	CHECK(!gone("s2/b2/f3"));
	/* Another entry's snapshot: not this one, it stays. */
	CHECK_INT(dump_staged_remove(&d, &p, "b2/f3", &s2, 0), -ESTALE);
	CHECK(!gone("s2/b2/f3"));
	dump_parent_release(&p);
	engine_drop();
}

/* Hard links: once one name is removed the other shows a new ctime; it
 * is removed only when told that is why (linked), and never when its
 * data changed. */
static void test_linked(void)
{
	struct stat s1, s2, s3, s4;

	mkdir("stg", 0755);
	fx_make_file("stg/l1", 100, 1);
	CHECK_INT(link("stg/l1", "stg/l2"), 0);
	CHECK_INT(link("stg/l1", "stg/l3"), 0);
	fx_make_file("stg/m1", 100, 2);
	CHECK_INT(link("stg/m1", "stg/m2"), 0);
	snap("stg/l1", &s1);
	snap("stg/l2", &s2);
	snap("stg/l3", &s3);
	snap("stg/m2", &s4);
	engine_make("stg");
	usleep(20000); /* a ctime the unlink moves */
	CHECK_INT(dump_staged_remove(&d, NULL, "l1", &s1, 0), 0);
	CHECK_INT(dump_staged_remove(&d, NULL, "l2", &s2, 0), -ESTALE);
	CHECK_INT(dump_staged_remove(&d, NULL, "l2", &s2, 1), 0);
	CHECK_INT(dump_staged_remove(&d, NULL, "l3", &s3, 1), 0);
	CHECK(gone("stg/l2") && gone("stg/l3"));
	/* written since: stays, linked or not */
	CHECK_INT(unlink("stg/m1"), 0);
	fx_make_file("stg/m2", 100, 3);
	CHECK_INT(dump_staged_remove(&d, NULL, "m2", &s4, 1), -ESTALE);
	CHECK(!gone("stg/m2"));
	engine_drop();
}

/* ---- a whole clean-up (dump_staging_clean) ------------------------------ */

#define NDIRS 5
#define NPER  1000

static size_t told;    /* names the clean-up told removed */
static int told_twice; /* one told more than once */
static unsigned char told_mark[NDIRS * NPER];

static void *note_begin(void *arg)
{
	return arg;
}

static void note_changed(void *batch, const char *area, const char *rel)
{
	unsigned dir, n;

	(void)batch;
	if (strcmp(area, "staging") || sscanf(rel, "d%u/f%u", &dir, &n) != 2 ||
	    dir >= NDIRS || n >= NPER)
		return;
	told_twice |= told_mark[dir * NPER + n]++;
	told++;
}

static void note_end(void *batch)
{
	(void)batch;
}

/* Enough entries for the clean-up to run in parts: each entry still the
 * snapshot's is removed and told once; a changed file, a replaced one, a
 * dropped one and a directory swapped for a symlink to outside stay, and
 * nothing outside goes. */
static void test_clean_parts(void)
{
	struct dump_snap s = {0};
	struct stat st;
	char rel[64], path[80];
	int64_t id;

	mkdir("outp", 0755);
	mkdir("stgp", 0755);
	for (int k = 0; k < NDIRS; k++) {
		snprintf(rel, sizeof(rel), "d%d", k);
		snprintf(path, sizeof(path), "stgp/%s", rel);
		CHECK_INT(mkdir(path, 0755), 0);
		snap(path, &st);
		CHECK_INT(dump_snap_add(&s, rel, &st), 0);
		for (int i = 0; i < NPER; i++) {
			snprintf(rel, sizeof(rel), "d%d/f%04d", k, i);
			snprintf(path, sizeof(path), "stgp/%s", rel);
			fx_make_file(path, 1, (unsigned)i);
			snap(path, &st);
			CHECK_INT(dump_snap_add(&s, rel, &st), 0);
			if (k == NDIRS - 1) { /* the same names outside */
				snprintf(path, sizeof(path), "outp/f%04d", i);
				fx_make_file(path, 1, (unsigned)i);
			}
		}
	}
	fx_make_file("stgp/d1/f0007", 2, 1); /* changed */
	CHECK_INT(unlink("stgp/d3/f0500"), 0);
	fx_make_file("stgp/d3/f0500", 1, 500); /* another inode */
	s.e[s.n - 1].dropped = 1;	      /* d4/f0999 */
	CHECK_INT(rename("stgp/d4", "stgp/d4x"), 0);
	CHECK_INT(symlink("../outp", "stgp/d4"), 0);

	engine_make("stgp");
	fs.cat = fx_catalog("cat.db");
	fs.notify = (struct tapefs_notifier){.begin = note_begin,
					     .changed = note_changed,
					     .end = note_end,
					     .arg = &fs};
	CHECK_INT(dump_journal_create(&d, &s, &id), 0);
	CHECK_INT((int)dump_staging_clean(&d, &s, id), 2 + NPER);
	CHECK_INT((int)told, (NDIRS - 1) * NPER - 2);
	CHECK_INT(told_twice, 0);
	CHECK(gone("stgp/d0/f0000") && gone("stgp/d2/f0999"));
	CHECK(gone("stgp/d1/f0006") && gone("stgp/d3/f0501"));
	CHECK(!gone("stgp/d1/f0007") && !gone("stgp/d3/f0500"));
	CHECK(!told_mark[1 * NPER + 7] && !told_mark[3 * NPER + 500]);
	for (int i = 0; i < NPER; i += 111) {
		snprintf(path, sizeof(path), "outp/f%04d", i);
		CHECK(!gone(path));
		snprintf(path, sizeof(path), "stgp/d4x/f%04d", i);
		CHECK(!gone(path));
	}
	CHECK(!gone("stgp/d0")); /* directories stay */
	catalog_close(fs.cat);
	memset(&fs.notify, 0, sizeof(fs.notify));
	engine_drop();
	dump_snap_free(&s);
}

int main(void)
{
	RUN(test_same_parent);
	RUN(test_linked);
	RUN(test_swapped_parent);
	RUN(test_clean_parts);
	return check_done();
}
