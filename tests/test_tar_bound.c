/* tests/test_tar_bound.c - the tar writer's bound (tarw_bound_add,
 * tarw_bound_total) is never below what tarw_run() really writes, and
 * within one record and a little per member above it: for many small
 * files, for files whose size is a multiple of 512, for long names
 * (pax path records), names with control bytes (escaped in the
 * manifest), non-UTF-8 names, symlinks with long targets, directories,
 * and an archive of nothing. Dumps cut by it fill a tape to within one
 * record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tapeio/tape.h"
#include "tapeio/tarw.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BS    (64 * 1024)
#define NMAX  400
#define SLACK 200 /* bytes per member the bound may exceed the truth */

static struct tarw_source src[NMAX];
static size_t nsrc;

/* path (copied) as the next source. */
static void add(const char *path)
{
	char *p = strdup(path);

	if (p && nsrc < NMAX && fx_source(&src[nsrc], p) == 0)
		nsrc++;
	else
		free(p);
}

static void sources_free(void)
{
	for (size_t i = 0; i < nsrc; i++)
		free((char *)src[i].path);
	nsrc = 0;
}

/* Write src as one archive, compare with the bound. */
static void compare(const char *what)
{
	struct tarw_bound b;
	struct fx_archive a;
	struct tape *t;
	uint64_t bound;
	int ret;

	memset(&b, 0, sizeof(b));
	for (size_t i = 0; i < nsrc; i++) {
		mode_t m = src[i].st.st_mode;
		uint64_t sz = (uint64_t)src[i].st.st_size;

		tarw_bound_add(&b, src[i].name, S_ISLNK(m) ? sz : 0,
			       S_ISREG(m) ? sz : 0, 0);
	}
	bound = tarw_bound_total(&b, BS);
	t = fx_vtape("b.vtape", NULL, 1ull << 30, 0);
	CHECK(t != NULL);
	if (!t)
		return;
	struct tarw_opts o = {.block_size = BS};
	ret = fx_write_archive(&t, 1, src, nsrc, &o, &a);
	CHECK_INT(ret, 0);
	if (ret == 0) {
		printf("# %s: %zu members, %llu bytes, bound %llu\n", what,
		       nsrc, (unsigned long long)a.bytes,
		       (unsigned long long)bound);
		CHECK(bound >= a.bytes);
		CHECK(bound % BS == 0);
		CHECK(bound <= a.bytes + BS + SLACK * (nsrc + 1));
		fx_archive_free(&a);
	}
	tape_close(t);
}

static void test_small_files(void)
{
	char p[64];

	mkdir("s", 0755);
	for (int i = 0; i < 300; i++) {
		snprintf(p, sizeof(p), "s/f%03d", i);
		fx_make_file(p, (size_t)(i * 977) % 70000, (unsigned)i);
		add(p);
	}
	compare("small files");
	sources_free();
}

static void test_blocks(void)
{
	char p[64];

	mkdir("k", 0755);
	add("k");
	for (int i = 0; i < 20; i++) {
		snprintf(p, sizeof(p), "k/b%02d", i);
		fx_make_file(p, (size_t)i * 512 * 7, (unsigned)i);
		add(p);
	}
	compare("512-byte multiples and a directory");
	sources_free();
}

static void test_awkward_names(void)
{
	char p[400], t[300];

	mkdir("w", 0755);
	memset(p, 0, sizeof(p));
	strcpy(p, "w/");
	memset(p + 2, 'n', 250);
	fx_make_file(p, 1000, 1);
	add(p);
	fx_make_file("w/tab\tnew\nline\x01", 10, 2);
	add("w/tab\tnew\nline\x01");
	fx_make_file("w/latin\xe9\xff", 10, 3);
	add("w/latin\xe9\xff");
	memset(t, 'x', sizeof(t) - 1);
	t[sizeof(t) - 1] = 0;
	CHECK_INT(symlink(t, "w/longlink"), 0);
	add("w/longlink");
	CHECK_INT(symlink("short", "w/link"), 0);
	add("w/link");
	compare("long, escaped and binary names, links");
	sources_free();
}

static void test_nothing(void)
{
	compare("nothing");
}

int main(void)
{
	char dir[256];

	if (fx_mkdtemp(dir, sizeof(dir), "tarbound") || chdir(dir))
		return 1;
	RUN(test_small_files);
	RUN(test_blocks);
	RUN(test_awkward_names);
	RUN(test_nothing);
	return check_done();
}
