/* tests/test_library_space.c - the library module's word on what a
 * cartridge holds (fs/engine/library.h, "Capacity"): registered with the
 * capacity its drive reports, or with its barcode's LTO generation when
 * the drive cannot say (a drive without MAM: ILLEGAL REQUEST), and before
 * a write the drive's figures correct the catalog's - the capacity it
 * reports, less when it reports less room left than the catalog counts -
 * and an archive that does not fit in what is left is not started there.
 * The vtape checks run here; the st ones in a child of this binary with
 * the st and SG shims preloaded (the drives' MAM is the images').
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/engine/library.h"
#include "fs/engine/tapefs.h"
#include "tapeio/changer.h"
#include "tapeio/label.h"
#include "tapeio/tape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BS  65536
#define MiB (1024ULL * 1024)
#define TB  1000000000000ULL

static char dir[512];
static char *pools[] = {"A", "B"};

/* A mount's state: a catalog db, the library module; changer "none"
 * with drive0 (for library_sync()) when drive0 is not NULL. */
static void fs_open(struct tapefs *fs, const char *tape, const char *drive0,
		    const char *db)
{
	struct changer_conf cc = {"none", NULL, NULL, drive0};
	char err[512];

	memset(fs, 0, sizeof(*fs));
	pthread_mutex_init(&fs->errors.lock, NULL);
	fs->cfg.changer = "none";
	fs->cfg.tape = (char *)tape;
	fs->cfg.block_size = BS;
	fs->cfg.copies = 1;
	fs->cfg.npools = 2;
	fs->cfg.pools[0] = pools[0];
	fs->cfg.pools[1] = pools[1];
	fs->cfg.drive_dev[0] = (char *)drive0;
	fs->cat = fx_catalog(db);
	if (drive0)
		CHECK_INT(
		    changer_open_conf(&fs->changer, &cc, err, sizeof(err)), 0);
	CHECK_INT(library_init(fs), 0);
}

static void fs_close(struct tapefs *fs)
{
	library_free(fs);
	if (fs->changer)
		changer_close(fs->changer);
	if (fs->cat)
		catalog_close(fs->cat);
	pthread_mutex_destroy(&fs->errors.lock);
}

/* A labelled image at dir/name.vtape of cap bytes (early warning 64 KiB
 * before the end) holding `files` tape files of n64k records of 64 KiB
 * each after the label; driveN (n >= 0) links to it. */
static void labelled(const char *name, const char *barcode, uint64_t cap,
		     int files, int n64k, int n)
{
	static char rec[BS];
	char img[600], drv[600];
	struct tape *t;

	snprintf(img, sizeof(img), "%s/%s.vtape", dir, name);
	t = fx_vtape(img, barcode, cap, BS);
	if (!t)
		return;
	CHECK_INT(fx_label(t, NULL, barcode, "A", BS), 0);
	for (int f = 0; f < files; f++) {
		for (int i = 0; i < n64k; i++)
			CHECK_INT(tape_write(t, rec, sizeof(rec)), sizeof(rec));
		CHECK_INT(tape_weof(t, 1), 0);
	}
	CHECK_INT(tape_close(t), 0);
	if (n < 0)
		return;
	snprintf(drv, sizeof(drv), "%s/drive%d", dir, n);
	CHECK_INT(symlink(img, drv), 0);
}

/* n records of 64 KiB at the start of tape file fileno of the image, as
 * a dump of this catalog's journal began writing there. */
static void partial(struct catalog *cat, const char *name, const char *barcode,
		    int64_t fileno, int n)
{
	static char rec[BS];
	struct catalog_dump_file f = {.path = "x", .size = 1, .mtime = 1};
	struct catalog_dump_tape dt;
	char img[600];
	int64_t dump;
	struct tape *t;

	snprintf(img, sizeof(img), "%s/%s.vtape", dir, name);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), img, TAPE_RDWR), 0);
	CHECK_INT(tape_goto_file(t, (unsigned)fileno), 0);
	for (int i = 0; i < n; i++)
		CHECK_INT(tape_write(t, rec, sizeof(rec)), sizeof(rec));
	CHECK_INT(tape_close(t), 0);
	CHECK_INT(catalog_dump_create(cat, &f, 1, &dump), 0);
	memset(&dt, 0, sizeof(dt));
	snprintf(dt.barcode, sizeof(dt.barcode), "%s", barcode);
	dt.fileno = fileno;
	CHECK_INT(catalog_dump_tape_add(cat, dump, &dt), 0);
}

/* library_write_check() of ct at its next file on dev (backend tape) for
 * an archive of need bytes; ct is read again from the catalog after. */
static int write_check(struct tapefs *fs, const char *tape, const char *dev,
		       struct catalog_tape *ct, uint64_t need, char *why)
{
	struct tape *t;
	int ret;

	CHECK_INT(tape_open(&t, tape_backend(tape), dev, TAPE_RDWR), 0);
	ret = library_write_check(fs, t, ct, ct->last_file + 1, BS, need, why,
				  256);
	tape_close(t);
	CHECK_INT(catalog_tape_get(fs->cat, ct->barcode, ct), 0);
	return ret;
}

/* ---- vtape -------------------------------------------------------------- */

/* A tape of unknown capacity gets the drive's. */
static void test_learned(void)
{
	struct catalog_tape ct = fx_tape("A00001L9", "A", 0, 0);
	char img[600], why[256] = "";
	struct tapefs fs;

	fs_open(&fs, "vtape", NULL, "learn.db");
	labelled("learn", "A00001L9", 40 * MiB, 0, 0, -1);
	snprintf(img, sizeof(img), "%s/learn.vtape", dir);
	CHECK_INT(catalog_tape_add(fs.cat, &ct), 0);
	CHECK_INT(write_check(&fs, "vtape", img, &ct, MiB, why), 0);
	CHECK_INT(ct.capacity, 40 * MiB);
	CHECK_INT(ct.state, CATALOG_TAPE_SCRATCH);
	fs_close(&fs);
}

/* The drive says less is left than the catalog counts: the catalog's
 * capacity comes down to what is written plus what is left; an archive
 * that does not fit is not started (the tape stays open); under 1% left
 * the tape is full. Before a partial archive that will be written over,
 * what is left after it says nothing: the capacity is the drive's. */
static void test_drive_says_less(void)
{
	struct catalog_tape ct = fx_tape("A00002L9", "A", 1, 64 * MiB);
	char img[600], why[256] = "";
	struct tapefs fs;

	fs_open(&fs, "vtape", NULL, "less.db");
	/* file 1 holds 40 MiB, the catalog counts 10 */
	labelled("less", "A00002L9", 64 * MiB, 1, 640, -1);
	snprintf(img, sizeof(img), "%s/less.vtape", dir);
	ct.last_file = 1;
	ct.bytes_used = 10 * MiB;
	CHECK_INT(catalog_tape_add(fs.cat, &ct), 0);
	CHECK_INT(write_check(&fs, "vtape", img, &ct, 20 * MiB, why), 0);
	/* 24 MiB less the label are left: 10 + that */
	CHECK(ct.capacity < 34 * MiB && ct.capacity > 33 * MiB);
	CHECK_INT(write_check(&fs, "vtape", img, &ct, 30 * MiB, why), -EFBIG);
	CHECK(strstr(why, "tape A00002L9: its drive reports") != NULL);
	CHECK_INT(ct.state, CATALOG_TAPE_OPEN);

	/* 5 MiB of this catalog's own partial file 2: written over */
	partial(fs.cat, "less", "A00002L9", 2, 80);
	CHECK_INT(write_check(&fs, "vtape", img, &ct, 30 * MiB, why), 0);
	CHECK_INT(ct.capacity, 64 * MiB);

	/* 15 7/8 MiB of 16 written: under 1% left */
	labelled("full", "A00003L9", 16 * MiB, 1, 254, -1);
	snprintf(img, sizeof(img), "%s/full.vtape", dir);
	ct = fx_tape("A00003L9", "A", 1, 16 * MiB);
	ct.last_file = 1;
	ct.bytes_used = 15 * MiB;
	CHECK_INT(catalog_tape_add(fs.cat, &ct), 0);
	CHECK_INT(write_check(&fs, "vtape", img, &ct, MiB, why), -ENOSPC);
	CHECK_INT(ct.capacity, 16 * MiB); /* within the drive's slack */
	fs_close(&fs);
}

/* ---- st over the shims (the child) -------------------------------------- */

/* The drive's MAM: the image's capacity in whole MiB. */
static void test_st_mam(void)
{
	struct catalog_tape ct = fx_tape("A00001L9", "A", 0, 0);
	char why[256] = "";
	struct tapefs fs;

	fs_open(&fs, "st", NULL, "st.db");
	CHECK_INT(catalog_tape_add(fs.cat, &ct), 0);
	CHECK_INT(write_check(&fs, "st", "/dev/nst0", &ct, MiB, why), 0);
	CHECK_INT(ct.capacity, 64 * MiB);
	fs_close(&fs);
}

/* A drive without MAM (ILLEGAL REQUEST): registered with the capacity of
 * its barcode's generation; before a write, a tape of unknown capacity
 * gets it too; a barcode that names none leaves it unknown. */
static void test_st_fallback(void)
{
	struct catalog_tape ct;
	char why[256] = "", drv[600];
	struct tapefs fs;

	snprintf(drv, sizeof(drv), "/dev/nst1");
	fs_open(&fs, "st", drv, "fb.db");
	CHECK_INT(library_sync(&fs), 1);
	CHECK_INT(catalog_tape_get(fs.cat, "B00001L9", &ct), 0);
	CHECK_INT(ct.capacity, 18 * TB); /* LTO-9 */
	CHECK_INT(ct.state, CATALOG_TAPE_SCRATCH);
	CHECK_INT(catalog_tape_set_capacity(fs.cat, "B00001L9", 0), 0);
	CHECK_INT(catalog_tape_get(fs.cat, "B00001L9", &ct), 0);
	CHECK_INT(write_check(&fs, "st", "/dev/nst1", &ct, MiB, why), 0);
	CHECK_INT(ct.capacity, 18 * TB);
	fs_close(&fs);

	fs_open(&fs, "st", NULL, "fb2.db");
	ct = fx_tape("C00001XX", "A", 0, 0);
	CHECK_INT(catalog_tape_add(fs.cat, &ct), 0);
	CHECK_INT(write_check(&fs, "st", "/dev/nst2", &ct, MiB, why), 0);
	CHECK_INT(ct.capacity, 0);
	fs_close(&fs);
}

static int st_child(void)
{
	RUN(test_st_mam);
	RUN(test_st_fallback);
	return check_done();
}

/* ---- the parent --------------------------------------------------------- */

static void test_st_over_shims(const char *self)
{
	char st[600], sg[600], pre[1300], stmap[2600], sgmap[2600];
	const char *env[] = {pre, stmap, sgmap, NULL};

	if (fx_shim("stshim", st, sizeof(st)) ||
	    fx_shim("sgshim", sg, sizeof(sg))) {
		CHECK(!"shims built");
		return;
	}
	labelled("a", "A00001L9", 64 * MiB, 0, 0, 0);
	labelled("b", "B00001L9", 32 * MiB, 0, 0, 1);
	labelled("c", "C00001XX", 32 * MiB, 0, 0, 2);
	snprintf(pre, sizeof(pre), "LD_PRELOAD=%s %s", st, sg);
	snprintf(stmap, sizeof(stmap),
		 "TAPEFS_STSHIM=/dev/nst0=%s/drive0,/dev/nst1=%s/drive1,"
		 "/dev/nst2=%s/drive2",
		 dir, dir, dir);
	snprintf(sgmap, sizeof(sgmap),
		 "TAPEFS_SGSHIM=/dev/sg5=tape:%s/drive0,"
		 "/dev/sg6=tape+nomam:%s/drive1,/dev/sg7=tape+nomam:%s/drive2",
		 dir, dir, dir);
	fx_rerun(self, "st", dir, env);
}

int main(int argc, char **argv)
{
	char rel[512];

	if (argc > 2 && strcmp(argv[1], "st") == 0) {
		snprintf(dir, sizeof(dir), "%s", argv[2]);
		if (chdir(dir) < 0)
			return 1;
		return st_child();
	}
	if (fx_mkdtemp(rel, sizeof(rel), "lspace") || !realpath(rel, dir))
		return check_done();
	RUN(test_learned);
	RUN(test_drive_says_less);
	test_st_over_shims(argv[0]);
	return check_done();
}
