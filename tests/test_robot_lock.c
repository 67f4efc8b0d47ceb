/* tests/test_robot_lock.c - one robot for several hosts: two processes
 * moving cartridges of one virtual library at once, without the robot's
 * lock, overlap, and the library says so (the second move fails with
 * EBUSY, a line in DIR/overlaps); with the catalog's robot lock
 * (catalog_robot_lock(), through the changer's guard as the daemon sets
 * it) they never do, and every move succeeds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "tapeio/changer.h"
#include "tapeio/vlib.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static char libdir[512], catpath[512];

/* Lines of DIR/overlaps (0 when it does not exist). */
static int overlaps(void)
{
	char path[600], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/overlaps", libdir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

static int guard_lock(void *arg)
{
	return catalog_robot_lock(arg);
}

static void guard_unlock(void *arg)
{
	catalog_robot_unlock(arg);
}

/* Child c: rounds load/unload trips of slot c+1 through drive c, with
 * the catalog's lock when locked (its own catalog handle, as another host
 * has). Exits with the number of moves that failed with EBUSY, 100 on a
 * set-up failure or another error. */
static void child(int c, int locked, int rounds)
{
	struct changer_guard g = {guard_lock, guard_unlock, NULL};
	struct catalog *cat = NULL;
	struct changer *ch = fx_changer(libdir);
	int busy = 0;

	if (!ch)
		_exit(100);
	if (locked) {
		if (catalog_open(&cat, catpath))
			_exit(100);
		g.arg = cat;
		changer_set_guard(ch, &g);
	}
	for (int i = 0; i < rounds; i++) {
		int r = changer_load(ch, c + 1, c);

		if (r == -EBUSY) {
			busy++;
			continue;
		}
		if (r)
			_exit(100);
		do
			r = changer_unload(ch, c, 0);
		while (r == -EBUSY && ++busy); /* still in the drive: again */
		if (r)
			_exit(100);
	}
	changer_close(ch);
	catalog_close(cat);
	_exit(busy > 99 ? 99 : busy);
}

/* Two processes, rounds trips each; returns the EBUSY count (-1 on a
 * child's failure). */
static int race(int locked, int rounds)
{
	int total = 0, status;

	for (int c = 0; c < 2; c++)
		if (fork() == 0)
			child(c, locked, rounds);
	for (int c = 0; c < 2; c++) {
		wait(&status);
		if (!WIFEXITED(status) || WEXITSTATUS(status) == 100)
			return -1;
		total += WEXITSTATUS(status);
	}
	return total;
}

/* Where the cartridges are after a race: both back in their slots. */
static void check_home(void)
{
	struct vlib *v = NULL;
	struct changer_inv inv;

	CHECK_INT(vlib_open(&v, libdir, NULL, 0), 0);
	if (!v)
		return;
	CHECK_INT(vlib_inventory(v, &inv, NULL, 0), 0);
	CHECK(!inv.elems[0].full && !inv.elems[1].full);
	CHECK_STR(inv.elems[2].barcode, "T00");
	CHECK_STR(inv.elems[3].barcode, "T01");
	changer_inv_free(&inv);
	vlib_close(v);
}

static void test_overlap_detected(void)
{
	struct fx_lib o = {.drives = 2,
			   .slots = 2,
			   .tapes = 2,
			   .capacity = 1 << 20,
			   .barcode = "T%02d"};
	int busy;

	snprintf(libdir, sizeof(libdir), "%s/lib", fx_tmp());
	CHECK_INT(fx_lib_setup(libdir, &o), 0);
	/* each move takes 20 ms of robot time: two movers meet */
	CHECK_INT(vlib_set_robot(libdir, 0.02, 1), 0);
	busy = race(0, 15);
	CHECK(busy > 0);
	CHECK_INT(overlaps(), busy);
	check_home();
}

static void test_lock_serializes(void)
{
	struct fx_lib o = {.drives = 2,
			   .slots = 2,
			   .tapes = 2,
			   .capacity = 1 << 20,
			   .barcode = "T%02d"};
	struct catalog *cat = NULL;
	char lockfile[600];
	struct stat st;

	snprintf(libdir, sizeof(libdir), "%s/lib2", fx_tmp());
	snprintf(catpath, sizeof(catpath), "%s/cat.db", fx_tmp());
	CHECK_INT(fx_lib_setup(libdir, &o), 0);
	CHECK_INT(vlib_set_robot(libdir, 0.02, 1), 0);
	CHECK_INT(catalog_open(&cat, catpath), 0); /* the schema, once */
	catalog_close(cat);
	CHECK_INT(race(1, 15), 0);
	CHECK_INT(overlaps(), 0);
	check_home();
	/* the lock of a sqlite catalog is a private file beside it */
	snprintf(lockfile, sizeof(lockfile), "%s-robot", catpath);
	CHECK_INT(stat(lockfile, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
}

/* The lock is taken and given back, again and again. */
static void test_lock_handles(void)
{
	struct catalog *a = NULL;

	snprintf(catpath, sizeof(catpath), "%s/cat3.db", fx_tmp());
	CHECK_INT(catalog_open(&a, catpath), 0);
	if (!a)
		return;
	for (int i = 0; i < 3; i++) {
		CHECK_INT(catalog_robot_lock(a), 0);
		catalog_robot_unlock(a);
	}
	catalog_close(a);
}

int main(void)
{
	RUN(test_overlap_detected);
	RUN(test_lock_serializes);
	RUN(test_lock_handles);
	return check_done();
}
