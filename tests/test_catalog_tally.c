/* tests/test_catalog_tally.c - what the catalog tells the status for
 * machines: the journal's dumps by state and when the last committed and
 * failed one ended (catalog_dump_tally), the end of the last verification
 * run without a BAD or UNREADABLE member (catalog_run_last_clean), and the
 * copies of a tape whose last verification failed (catalog_tape_summary's
 * failed). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

/* Commit a dump of one 3-byte file name to file fileno of barcode. */
static int64_t commit_one(struct catalog *cat, const char *name,
			  const char *barcode, int64_t fileno)
{
	struct catalog_member m = {.path = (char *)name,
				   .type = CATALOG_FILE,
				   .size = 3,
				   .mode = 0100644};
	struct catalog_archive_in ai = {.bytes = 3, .block_size = 512};
	struct catalog_copy_in cp = {barcode, fileno, (uint64_t)fileno * 10,
				     1024};
	int64_t dump, arch = 0;

	CHECK_INT(catalog_dump_create(cat, NULL, 0, &dump), 0);
	CHECK_INT(catalog_dump_commit(cat, dump, &ai, &cp, 1, &m, 1, &arch), 0);
	return arch;
}

static int first_copy(void *ctx, const struct catalog_copy *c)
{
	*(int64_t *)ctx = c->id;
	return 1;
}

static void test_dump_tally(struct catalog *cat)
{
	struct catalog_dump_tally t;
	int64_t failed, pending;
	time_t before = time(NULL);

	CHECK_INT(catalog_dump_tally(cat, &t), 0);
	CHECK_INT(t.committed + t.failed + t.unfinished, 0);
	CHECK_INT(t.last_committed, 0);
	commit_one(cat, "a", "A00001L9", 1);
	commit_one(cat, "b", "A00001L9", 2);
	CHECK_INT(catalog_dump_create(cat, NULL, 0, &failed), 0);
	CHECK_INT(catalog_dump_fail(cat, failed, "no tape"), 0);
	CHECK_INT(catalog_dump_create(cat, NULL, 0, &pending), 0);
	CHECK_INT(catalog_dump_tally(cat, &t), 0);
	CHECK_INT(t.committed, 2);
	CHECK_INT(t.failed, 1);
	CHECK_INT(t.unfinished, 1);
	CHECK(t.last_committed >= before && t.last_committed <= time(NULL));
	CHECK(t.last_failed >= before && t.last_failed <= time(NULL));
}

static void test_last_clean(struct catalog *cat)
{
	struct catalog_run_totals ok = {.members = 2, .ok = 2};
	struct catalog_run_totals bad = {.members = 2, .ok = 1, .bad = 1};
	struct catalog_tape_summary sum;
	int64_t run, copy = 0;

	CHECK_INT(catalog_run_last_clean(cat), 0);
	CHECK_INT(catalog_run_start(cat, "all", &run), 0);
	CHECK_INT(catalog_run_last_clean(cat), 0); /* running: not yet */
	CHECK_INT(catalog_run_update(cat, run, CATALOG_RUN_DONE, &ok, NULL), 0);
	CHECK(catalog_run_last_clean(cat) > 0);
	/* a later run with a BAD member, one interrupted: the clean one
	 * stays the last clean one */
	CHECK_INT(catalog_run_start(cat, "all", &run), 0);
	CHECK_INT(catalog_run_update(cat, run, CATALOG_RUN_DONE, &bad, NULL),
		  0);
	CHECK_INT(catalog_run_start(cat, "all", &run), 0);
	CHECK_INT(
	    catalog_run_update(cat, run, CATALOG_RUN_INTERRUPTED, &ok, NULL),
	    0);
	CHECK(catalog_run_last_clean(cat) > 0);

	CHECK_INT(catalog_tape_summary(cat, "A00001L9", &sum), 0);
	CHECK_INT(sum.failed, 0);
	catalog_tape_copies(cat, "A00001L9", first_copy, &copy);
	CHECK(copy > 0);
	CHECK_INT(catalog_copy_verified(cat, copy, CATALOG_RESULT_BAD), 0);
	CHECK_INT(catalog_tape_summary(cat, "A00001L9", &sum), 0);
	CHECK_INT(sum.failed, 1);
	CHECK_INT(catalog_copy_verified(cat, copy, CATALOG_RESULT_OK), 0);
	CHECK_INT(catalog_tape_summary(cat, "A00001L9", &sum), 0);
	CHECK_INT(sum.failed, 0);
}

int main(void)
{
	struct catalog *cat = fx_catalog("tally.db");
	struct catalog_tape t =
	    fx_tape("A00001L9", "A", CATALOG_TAPE_SCRATCH, 64 << 20);

	if (cat) {
		CHECK_INT(catalog_tape_add(cat, &t), 0);
		test_dump_tally(cat);
		test_last_clean(cat);
		catalog_close(cat);
	}
	return check_done();
}
