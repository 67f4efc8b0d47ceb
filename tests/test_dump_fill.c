/* tests/test_dump_fill.c - the cut of a dump into archives that fit the
 * tapes (fs/engine/dump_fill.c) and hard links: the names of one file go
 * into the archive of its first name however far apart in path order
 * they are, the bound counts the data once (so the archive fits where
 * the data twice would not), the writer writes it once and a hard-link
 * entry, and the clean-up takes every name out of staging/ together; no
 * later archive holds a name again.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"
#include "tapeio/tape.h"
#include "tapeio/tarw.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BS     65536
#define KiB    1024ULL
#define CAP    (1536 * KiB) /* of each tape in the catalog */
#define NCUT   8	    /* archives at most */
#define NPATHS 64

static char *pools[] = {"A", "B"};
static struct tapefs fs;
static struct dump d;

/* The engine's state the cut and the clean-up use: a catalog with four
 * tapes of CAP bytes in each of pools A and B, two copies. */
static void engine_make(const char *staging)
{
	char bc[16];

	memset(&fs, 0, sizeof(fs));
	memset(&d, 0, sizeof(d));
	pthread_mutex_init(&fs.errors.lock, NULL);
	pthread_mutex_init(&d.mu, NULL);
	d.fs = &fs;
	fs.cfg.block_size = BS;
	fs.cfg.copies = 2;
	fs.cfg.npools = 2;
	fs.cfg.pools[0] = pools[0];
	fs.cfg.pools[1] = pools[1];
	fs.staging_fd = open(staging, O_PATH | O_DIRECTORY);
	CHECK(fs.staging_fd >= 0);
	fs.cat = fx_catalog("cat.db");
	for (int i = 1; fs.cat && i <= 4; i++)
		for (int p = 0; p < 2; p++) {
			struct catalog_tape t;

			snprintf(bc, sizeof(bc), "%c%05dL9", 'A' + p, i);
			t = fx_tape(bc, pools[p], CATALOG_TAPE_SCRATCH, CAP);
			CHECK_INT(catalog_tape_add(fs.cat, &t), 0);
		}
}

static void engine_drop(void)
{
	if (fs.cat)
		catalog_close(fs.cat);
	close(fs.staging_fd);
	pthread_mutex_destroy(&d.mu);
	pthread_mutex_destroy(&fs.errors.lock);
}

/* The snapshot of stg/ in path order (names given sorted). */
static void snap_take(struct dump_snap *s, const char *const *rel, size_t n)
{
	char path[256];
	struct stat st;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "stg/%s", rel[i]);
		CHECK_INT(lstat(path, &st), 0);
		CHECK_INT(dump_snap_add(s, rel[i], &st), 0);
	}
}

/* Index of rel in b, or -1. */
static int find(const struct dump_snap *b, const char *rel)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->e[i].rel, rel))
			return (int)i;
	return -1;
}

static int gone(const char *path)
{
	struct stat st;

	return lstat(path, &st) < 0 && errno == ENOENT;
}

/* Write b as one archive to a fresh vtape: its members and size. */
static int write_batch(const struct dump_snap *b, struct fx_archive *a)
{
	struct tarw_source src[NPATHS];
	char path[NPATHS][256];
	struct tarw_opts o = {.block_size = BS};
	struct tape *t = fx_vtape("w.vtape", "W00001L9", 64ULL << 20, 0);
	int ret;

	CHECK(t != NULL);
	if (!t || b->n > NPATHS)
		return -EINVAL;
	for (size_t i = 0; i < b->n; i++) {
		snprintf(path[i], sizeof(path[i]), "stg/%s", b->e[i].rel);
		src[i] = (struct tarw_source){
		    .path = path[i], .name = b->e[i].rel, .st = b->e[i].st};
	}
	ret = fx_write_archive(&t, 1, src, b->n, &o, a);
	tape_close(t);
	return ret;
}

/* a/big and z/twin are one file of 512 KiB; 24 files of 64 KiB in a/
 * between them, more in m/ and z/: a tape of CAP takes a/big and about
 * fifteen of them, so in path order the cut falls in a/, before z/. */
static void test_links_one_archive(void)
{
	static const char *const rel[] = {
	    "a",     "a/big", "a/f01", "a/f02", "a/f03", "a/f04", "a/f05",
	    "a/f06", "a/f07", "a/f08", "a/f09", "a/f10", "a/f11", "a/f12",
	    "a/f13", "a/f14", "a/f15", "a/f16", "a/f17", "a/f18", "a/f19",
	    "a/f20", "a/f21", "a/f22", "a/f23", "a/f24", "m",	  "m/g1",
	    "m/g2",  "m/g3",  "m/g4",  "z",	"z/h1",	 "z/twin"};
	const size_t n = sizeof(rel) / sizeof(rel[0]);
	struct dump_snap s, b[NCUT];
	struct dump_cut cut;
	struct fx_archive a;
	struct catalog_tape t;
	size_t nb = 0, total = 0;
	uint64_t data = 0, room = 0, need;
	int64_t id = 0;
	int ret, twin = -1;
	char path[64];

	CHECK_INT(mkdir("stg", 0755), 0);
	CHECK_INT(mkdir("stg/a", 0755), 0);
	CHECK_INT(mkdir("stg/m", 0755), 0);
	CHECK_INT(mkdir("stg/z", 0755), 0);
	CHECK_INT(fx_make_file("stg/a/big", 512 * KiB, 1), 0);
	CHECK_INT(link("stg/a/big", "stg/z/twin"), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "stg/%s", rel[i]);
		if (strchr(rel[i], '/') && strcmp(rel[i], "a/big") &&
		    strcmp(rel[i], "z/twin"))
			CHECK_INT(fx_make_file(path, 64 * KiB, 10 + (int)i), 0);
	}
	engine_make("stg");
	snap_take(&s, rel, n);
	dump_cut_init(&cut, &s, 0, BS);
	while (nb < NCUT && !(ret = dump_cut_next(&d, &cut))) {
		CHECK_INT(dump_cut_batch(&cut, &b[nb]), 0);
		if (nb == 0) {
			CHECK_INT(
			    catalog_tape_get(fs.cat, cut.plan.tape[0], &t), 0);
			room = dump_tape_room(&t);
		}
		total += b[nb++].n;
		cut.next = cut.end;
	}
	CHECK_INT(ret, 1);
	CHECK(nb >= 2);
	CHECK_INT((int)total, (int)n); /* every entry in one archive */

	/* The cut fell between the names; both are in the first archive,
	 * in path order; no later archive has either. */
	CHECK(find(&b[0], "a/big") >= 0);
	CHECK(find(&b[0], "a/f24") < 0);
	CHECK(find(&b[0], "z") < 0);
	twin = find(&b[0], "z/twin");
	CHECK_INT(twin, (int)b[0].n - 1);
	for (size_t k = 1; k < nb; k++) {
		CHECK(find(&b[k], "z/twin") < 0);
		CHECK(find(&b[k], "a/big") < 0);
	}
	CHECK(find(&b[nb - 1], "z/h1") >= 0);

	/* The bound counts the data once: the first archive fits its
	 * tapes, which its data counted twice would not. */
	need = dump_archive_estimate(&b[0], BS);
	for (size_t i = 0; i < b[0].n; i++)
		if (S_ISREG(b[0].e[i].st.st_mode))
			data += (uint64_t)b[0].e[i].st.st_size;
	CHECK(need <= room);
	CHECK(data > room);

	/* Written: the data once, the twin as a hard-link entry. */
	CHECK_INT(write_batch(&b[0], &a), 0);
	CHECK(a.bytes <= need);
	CHECK(a.bytes < data);
	CHECK_INT((int)a.nmembers, (int)b[0].n);
	if (twin >= 0 && a.nmembers == b[0].n) {
		int big = find(&b[0], "a/big");

		CHECK(a.members[twin].flags & TAR_MEMBER_LINK);
		CHECK(!(a.members[big].flags & TAR_MEMBER_LINK));
		CHECK_STR(a.members[twin].md5, a.members[big].md5);
	}
	fx_archive_free(&a);

	/* Committed: every name of the file leaves staging/ at once. (The
	 * journal's dump is not committed here: the clean-up says so.) */
	CHECK_INT(dump_journal_create(&d, &b[0], &id), 0);
	CHECK_INT((int)dump_staging_clean(&d, &b[0], id), 0);
	CHECK(gone("stg/a/big"));
	CHECK(gone("stg/z/twin"));
	CHECK(!gone("stg/a/f24")); /* the next archive's */
	CHECK(!gone("stg/z/h1"));

	for (size_t k = 0; k < nb; k++)
		dump_snap_free(&b[k]);
	dump_cut_release(&cut);
	dump_snap_free(&s);
	engine_drop();
}

int main(void)
{
	RUN(test_links_one_archive);
	return check_done();
}
