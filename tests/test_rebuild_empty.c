/* tests/test_rebuild_empty.c - rebuild_run() (fs/engine/rebuild.h) over a
 * library whose tapes hold nothing but their labels, as a new library's
 * do: every tape is read, nothing is found, nothing is committed, and the
 * rebuild succeeds (found by the ctl fuzz target: with no copy found the
 * commit sorted a NULL list, which UndefinedBehaviorSanitizer aborts on
 * under make asan). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "catalog/catalog.h"
#include "fs/engine/rebuild.h"
#include "fs/engine/tapefs.h"
#include "tapeio/sched.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

int main(void)
{
	struct fx_lib lib = {.drives = 2,
			     .slots = 4,
			     .tapes = 3,
			     .capacity = 8 << 20,
			     .pools = 2,
			     .block_size = 64 << 10};
	static const char *const tapes[][2] = {
	    {"A00001L9", "A"}, {"B00001L9", "B"}, {"A00002L9", "A"}};
	struct rebuild_report rep;
	struct tapefs fs = {0};
	struct changer *chg = NULL;
	char dir[512], db[600];

	pthread_mutex_init(&fs.errors.lock, NULL);
	CHECK_INT(fx_mkdtemp(dir, sizeof(dir), "rebuild-empty"), 0);
	snprintf(db, sizeof(db), "%s/catalog.db", dir);
	fs.cfg.catalog = db;
	fs.cfg.catalog_tmp = dir;
	CHECK_INT(fx_lib_setup(dir, &lib), 0);
	CHECK((chg = fx_changer(dir)) != NULL);
	CHECK((fs.sched = fx_sched(chg, 2)) != NULL);
	CHECK_INT(catalog_testing_open(&fs.cat, db), 0);
	fs.changer = chg;
	for (size_t i = 0; fs.cat && i < sizeof(tapes) / sizeof(*tapes); i++) {
		struct catalog_tape t = fx_tape(tapes[i][0], tapes[i][1],
						CATALOG_TAPE_SCRATCH, 8 << 20);

		CHECK_INT(catalog_tape_add(fs.cat, &t), 0);
	}
	if (fs.cat && fs.sched) {
		CHECK_INT(rebuild_run(&fs, NULL, &rep), 0);
		CHECK_INT(rep.tapes, 3);
		CHECK_INT(rep.tapes_failed, 0);
		CHECK_INT(rep.manifests, 0);
		CHECK_INT(rep.archives_new, 0);
		CHECK(rep.error[0] == 0);
	}
	if (fs.sched)
		sched_stop(fs.sched);
	if (chg)
		changer_close(chg);
	if (fs.cat)
		catalog_close(fs.cat);
	pthread_mutex_destroy(&fs.errors.lock);
	return check_done();
}
