/* tests/test_library_register.c - the library module's registration policy
 * (fs/engine/library.h) against a virtual library whose tapes a catalog
 * does not know: a labelled tape holding anything after file 0 becomes
 * closed and is counted as holding unknown archives, never scratch; a
 * labelled tape with nothing after its label becomes scratch; blank,
 * foreign and mislabelled cartridges are left out. Then the check before
 * a write: data this catalog did not write at the append point refuses
 * the tape (the bytes stay), a partial archive its own journal names is
 * written over, a wrong label refuses, a blank scratch tape is labelled.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/library.h"
#include "fs/engine/tapefs.h"
#include "tapeio/changer.h"
#include "tapeio/label.h"
#include "tapeio/tape.h"
#include "tapeio/vlib.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define BS 65536

enum what { BLANK, LABEL_ONLY, ARCHIVES, EMPTY_FILE, OTHER_LABEL };

/* An image at path: blank, labelled (barcode of label_bc, pool), with
 * `what` after the label. */
static void image(const char *path, const char *label_bc, const char *pool,
		  enum what what)
{
	static char rec[BS];
	struct tape *t = fx_vtape(path, label_bc, 64 << 20, 0);

	if (!t)
		return;
	if (what != BLANK)
		CHECK_INT(fx_label(t, NULL, label_bc, pool, BS), 0);
	if (what == ARCHIVES) {
		/* two tape files of another catalog: records, filemarks */
		fx_fill(rec, sizeof(rec), 7);
		for (int f = 0; f < 2; f++) {
			for (int r = 0; r < 3; r++)
				CHECK_INT(tape_write(t, rec, sizeof(rec)),
					  sizeof(rec));
			CHECK_INT(tape_weof(t, 1), 0);
		}
	} else if (what == EMPTY_FILE) {
		CHECK_INT(tape_weof(t, 1), 0);
	}
	CHECK_INT(tape_close(t), 0);
}

/* A cartridge barcode in slot of the library at dir. */
static void cartridge(const char *dir, const char *barcode,
		      const char *label_bc, const char *pool, enum what what,
		      int slot)
{
	char err[256], path[512];
	struct vlib *v;

	CHECK_INT(vlib_open(&v, dir, err, sizeof(err)), 0);
	CHECK_INT(vlib_tape_path(v, barcode, path, sizeof(path)), 0);
	image(path, label_bc, pool, what);
	CHECK_INT(vlib_add(v, barcode, slot, err, sizeof(err)), 0);
	vlib_close(v);
}

static char *pools[] = {"A", "B"};

/* A mount's state over the library in dir and a new catalog db. */
static void fs_open(struct tapefs *fs, const char *changer, const char *dir,
		    const char *drive0, const char *db)
{
	struct changer_conf cc = {changer, dir, NULL, drive0};
	char err[512];

	memset(fs, 0, sizeof(*fs));
	pthread_mutex_init(&fs->errors.lock, NULL);
	fs->cfg.changer = (char *)changer;
	fs->cfg.changer_spec = (char *)dir;
	fs->cfg.tape = "vtape";
	fs->cfg.block_size = BS;
	fs->cfg.copies = 2;
	fs->cfg.npools = 2;
	fs->cfg.pools[0] = pools[0];
	fs->cfg.pools[1] = pools[1];
	fs->cfg.drive_dev[0] = (char *)drive0;
	fs->cat = fx_catalog(db);
	CHECK_INT(changer_open_conf(&fs->changer, &cc, err, sizeof(err)), 0);
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

/* The catalog state of barcode, -1 when it is not in the catalog. */
static int state_of(struct tapefs *fs, const char *barcode)
{
	struct catalog_tape t;

	if (catalog_tape_get(fs->cat, barcode, &t))
		return -1;
	return (int)t.state;
}

/* 1 when one of the kept error lines of fs contains s. */
static int error_logged(struct tapefs *fs, const char *s)
{
	int found = 0;

	for (int i = 0; i < TAPEFS_ERRORS_KEPT; i++)
		found |= strstr(fs->errors.last[i].msg, s) != NULL;
	return found;
}

static void test_sync_policy(void)
{
	struct tapefs fs;
	struct catalog_tape t;
	char unknown[8][40];

	CHECK_INT(vlib_create("lib", 1, 8, 0), 0);
	cartridge("lib", "A00001L9", "A00001L9", "A", ARCHIVES, 1);
	cartridge("lib", "B00001L9", "B00001L9", "B", ARCHIVES, 2);
	cartridge("lib", "A00002L9", "A00002L9", "A", LABEL_ONLY, 3);
	cartridge("lib", "B00002L9", "B00002L9", "B", EMPTY_FILE, 4);
	cartridge("lib", "C00001L9", "C00001L9", "A", BLANK, 5);
	cartridge("lib", "D00001L9", "A00009L9", "A", OTHER_LABEL, 6);
	fs_open(&fs, "vlib", "lib", NULL, "cat.db");
	if (!fs.library)
		return;

	/* registered: the four labelled tapes that name their barcode */
	CHECK_INT(library_sync(&fs), 4);
	CHECK_INT(state_of(&fs, "A00001L9"), CATALOG_TAPE_CLOSED);
	CHECK_INT(state_of(&fs, "B00001L9"), CATALOG_TAPE_CLOSED);
	CHECK_INT(state_of(&fs, "A00002L9"), CATALOG_TAPE_SCRATCH);
	CHECK_INT(state_of(&fs, "B00002L9"), CATALOG_TAPE_CLOSED);
	CHECK_INT(state_of(&fs, "C00001L9"), -1); /* blank */
	CHECK_INT(state_of(&fs, "D00001L9"), -1); /* another's label */
	CHECK_INT(catalog_tape_count(fs.cat, "A", CATALOG_TAPE_SCRATCH), 1);
	CHECK_INT(catalog_tape_count(fs.cat, "B", CATALOG_TAPE_SCRATCH), 0);
	CHECK_INT(catalog_tape_get(fs.cat, "A00001L9", &t), 0);
	CHECK_STR(t.pool, "A");
	CHECK_STR(t.location, "slot 1");
	CHECK_INT(strlen(t.label_uuid), 36);
	CHECK_INT(t.last_file, 0);
	CHECK(t.capacity > 0);

	/* counted, for .status and tapes/LABEL/.status */
	CHECK_INT(library_unknown(fs.library, unknown, 8), 3);
	CHECK_STR(unknown[0], "A00001L9");
	CHECK_STR(unknown[1], "B00001L9");
	CHECK_STR(unknown[2], "B00002L9");
	CHECK(library_tape_unknown(fs.library, "A00001L9"));
	CHECK(!library_tape_unknown(fs.library, "A00002L9"));
	CHECK(error_logged(&fs, "tape A00001L9 holds archives this catalog "
				"does not know"));
	CHECK(error_logged(&fs, "D00001L9: its label names A00009L9"));

	/* a second sync changes nothing: known tapes keep their state */
	CHECK_INT(library_sync(&fs), 0);
	CHECK_INT(state_of(&fs, "A00001L9"), CATALOG_TAPE_CLOSED);
	CHECK_INT(library_unknown(fs.library, NULL, 0), 3);
	fs_close(&fs);
}

/* changer none: the tape in the drive names itself; one that holds
 * archives is closed all the same. */
static void test_sync_none(void)
{
	struct tapefs fs;

	image("drive.vtape", "N00001L9", "B", ARCHIVES);
	fs_open(&fs, "none", NULL, "drive.vtape", "none.db");
	if (!fs.library)
		return;
	CHECK_INT(library_sync(&fs), 1);
	CHECK_INT(state_of(&fs, "N00001L9"), CATALOG_TAPE_CLOSED);
	CHECK(library_tape_unknown(fs.library, "N00001L9"));
	CHECK_INT(library_sync(&fs), 0);
	fs_close(&fs);

	image("drive2.vtape", "N00002L9", "A", LABEL_ONLY);
	fs_open(&fs, "none", NULL, "drive2.vtape", "none2.db");
	if (!fs.library)
		return;
	CHECK_INT(library_sync(&fs), 1);
	CHECK_INT(state_of(&fs, "N00002L9"), CATALOG_TAPE_SCRATCH);
	CHECK_INT(library_unknown(fs.library, NULL, 0), 0);
	fs_close(&fs);
}

/* library_write_check() of ct on the image at path, at fileno. */
static int write_check(struct tapefs *fs, const char *path,
		       const struct catalog_tape *ct, int64_t fileno, char *why,
		       size_t len, long *file_after)
{
	struct tape_status st;
	struct tape *t;
	int ret;

	CHECK_INT(tape_open(&t, tape_backend("vtape"), path, TAPE_RDWR), 0);
	ret = library_write_check(fs, t, ct, fileno, BS, 1, why, len);
	if (file_after && tape_status(t, &st) == 0)
		*file_after = st.file * 1000 + st.block;
	tape_close(t);
	return ret;
}

static void test_write_check(void)
{
	struct catalog_dump_file f = {.path = "x", .size = 1, .mtime = 1};
	struct catalog_dump_tape dt;
	struct catalog_tape ct;
	char why[256], before[MD5_HEX_SIZE], after[MD5_HEX_SIZE];
	long pos = -1;
	int64_t dump;
	struct tapefs fs;

	fs_open(&fs, "vlib", "lib", NULL, "cat.db");
	if (!fs.library)
		return;
	/* a scratch tape with nothing after its label: written at file 1 */
	CHECK_INT(catalog_tape_get(fs.cat, "A00002L9", &ct), 0);
	CHECK_INT(write_check(&fs, "lib/tapes/A00002L9.vtape", &ct, 1, why,
			      sizeof(why), &pos),
		  0);
	CHECK_INT(pos, 1000); /* file 1, block 0 */

	/* the catalog says scratch (as the old mount-time sync made it),
	 * but the tape holds archives: refused, nothing written */
	CHECK_INT(catalog_tape_get(fs.cat, "A00001L9", &ct), 0);
	CHECK_INT(
	    catalog_tape_set_state(fs.cat, "A00001L9", CATALOG_TAPE_SCRATCH),
	    0);
	ct.state = CATALOG_TAPE_SCRATCH;
	CHECK_INT(fx_file_md5("lib/tapes/A00001L9.vtape", before), 0);
	CHECK_INT(write_check(&fs, "lib/tapes/A00001L9.vtape", &ct, 1, why,
			      sizeof(why), NULL),
		  -EMEDIUMTYPE);
	CHECK(strstr(why, "holds archives this catalog does not know") != NULL);
	CHECK_INT(fx_file_md5("lib/tapes/A00001L9.vtape", after), 0);
	CHECK_STR(after, before);
	/* at file 2 too (the catalog thinks file 1 is its last) */
	CHECK_INT(write_check(&fs, "lib/tapes/A00001L9.vtape", &ct, 2, why,
			      sizeof(why), NULL),
		  -EMEDIUMTYPE);

	/* a partial archive the journal says this catalog began writing
	 * there: written over, the tape stands at its start */
	CHECK_INT(catalog_dump_create(fs.cat, &f, 1, &dump), 0);
	memset(&dt, 0, sizeof(dt));
	snprintf(dt.barcode, sizeof(dt.barcode), "A00001L9");
	dt.fileno = 1;
	CHECK_INT(catalog_dump_tape_add(fs.cat, dump, &dt), 0);
	CHECK_INT(catalog_dump_tape_wrote(fs.cat, "A00001L9", 1), 1);
	CHECK_INT(catalog_dump_tape_wrote(fs.cat, "A00001L9", 2), 0);
	CHECK_INT(write_check(&fs, "lib/tapes/A00001L9.vtape", &ct, 1, why,
			      sizeof(why), &pos),
		  0);
	CHECK_INT(pos, 1000);
	CHECK_INT(write_check(&fs, "lib/tapes/A00001L9.vtape", &ct, 2, why,
			      sizeof(why), NULL),
		  -EMEDIUMTYPE);

	/* a label that is not the catalog's: refused */
	ct = fx_tape("D00001L9", "A", CATALOG_TAPE_SCRATCH, 0);
	CHECK_INT(write_check(&fs, "lib/tapes/D00001L9.vtape", &ct, 1, why,
			      sizeof(why), NULL),
		  -EMEDIUMTYPE);
	CHECK(strstr(why, "its label names A00009L9") != NULL);

	/* a blank tape the catalog holds scratch: labelled, then written */
	ct = fx_tape("C00001L9", "A", CATALOG_TAPE_SCRATCH, 0);
	CHECK_INT(catalog_tape_add(fs.cat, &ct), 0);
	CHECK_INT(write_check(&fs, "lib/tapes/C00001L9.vtape", &ct, 1, why,
			      sizeof(why), &pos),
		  0);
	CHECK_INT(pos, 1000);
	CHECK_INT(catalog_tape_get(fs.cat, "C00001L9", &ct), 0);
	CHECK_INT(strlen(ct.label_uuid), 36);
	fs_close(&fs);
}

static void report(void *ctx, int repaired, const char *msg)
{
	int *n = ctx;

	n[0]++;
	n[1] += repaired;
	CHECK(strstr(msg, "holds archives this catalog does not know") != NULL);
}

/* fsck: a tape the catalog holds scratch that holds archives. */
static void test_fsck_rule(void)
{
	struct library_labels ll;
	struct catalog_tape t;
	struct catalog *cat;
	struct tapefs_config cfg;
	char err[256];
	int n[2] = {0, 0};

	memset(&cfg, 0, sizeof(cfg));
	cfg.changer = "vlib";
	cfg.changer_spec = "lib";
	cfg.tape = "vtape";
	cat = fx_catalog("fsck.db");
	if (!cat)
		return;
	/* scratch, as a catalog that registered every labelled tape so */
	t = fx_tape("A00001L9", "A", CATALOG_TAPE_SCRATCH, 0);
	CHECK_INT(catalog_tape_add(cat, &t), 0);
	t = fx_tape("A00002L9", "A", CATALOG_TAPE_SCRATCH, 0);
	CHECK_INT(catalog_tape_add(cat, &t), 0);
	CHECK_INT(library_labels_read(&cfg, &ll, err, sizeof(err)), 0);
	CHECK(ll.n >= 6);
	CHECK_INT(library_labels_check(cat, &ll, 0, report, n), 1);
	CHECK_INT(n[0], 1);
	CHECK_INT(n[1], 0);
	CHECK_INT(library_labels_check(cat, &ll, 1, report, n), 1);
	CHECK_INT(n[1], 1);
	CHECK_INT(catalog_tape_get(cat, "A00001L9", &t), 0);
	CHECK_INT(t.state, CATALOG_TAPE_CLOSED);
	CHECK_INT(catalog_tape_get(cat, "A00002L9", &t), 0);
	CHECK_INT(t.state, CATALOG_TAPE_SCRATCH);
	CHECK_INT(library_labels_check(cat, &ll, 0, report, n), 0);
	library_labels_release(&ll);
	catalog_close(cat);
}

int main(void)
{
	RUN(test_sync_policy);
	RUN(test_sync_none);
	RUN(test_write_check);
	RUN(test_fsck_rule);
	return check_done();
}
