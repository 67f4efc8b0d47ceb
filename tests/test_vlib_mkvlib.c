/* tests/test_vlib_mkvlib.c - `tapefs mkvlib`: the library it makes (slots,
 * import/export, drives, pools, labels, capacity, rate) and its refusals
 * (existing library, bad arguments). Runs $TAPEFS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tapeio/changer.h"
#include "tapeio/label.h"
#include "tapeio/tape.h"
#include "tapeio/vlib.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

/* Exit status of `$TAPEFS mkvlib ARGS` (output to mkvlib.log). */
static int mkvlib(const char *args)
{
	char cmd[2048];
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' mkvlib %s >>mkvlib.log 2>&1",
		 getenv("TAPEFS") ?: "tapefs", args);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `mkvlib ARGS` makes the library dir: opened, its inventory in *inv
 * (changer_inv_free() it). NULL when any step failed. */
static struct vlib *made(const char *args, const char *dir,
			 struct changer_inv *inv)
{
	struct vlib *v = NULL;
	char err[256];
	int ret;

	CHECK_INT(mkvlib(args), 0);
	CHECK_INT(vlib_open(&v, dir, err, sizeof(err)), 0);
	if (!v)
		return NULL;
	ret = vlib_inventory(v, inv, err, sizeof(err));
	CHECK_INT(ret, 0);
	if (ret) {
		vlib_close(v);
		return NULL;
	}
	return v;
}

static void label_is(struct vlib *v, const char *barcode, const char *pool)
{
	char path[4096];
	struct tape_label l;
	struct tape *t = NULL;

	CHECK_INT(vlib_tape_path(v, barcode, path, sizeof(path)), 0);
	CHECK_INT(tape_open(&t, tape_backend("vtape"), path, TAPE_RDONLY), 0);
	if (!t)
		return;
	memset(&l, 0, sizeof(l));
	CHECK_INT(label_read(t, &l), 0);
	CHECK_STR(l.barcode, barcode);
	CHECK_STR(l.pool, pool);
	CHECK_INT(l.block_size, 256 * 1024);
	CHECK_INT(strlen(l.uuid), 36);
	tape_close(t);
}

static void test_make(void)
{
	struct changer_inv inv;
	struct vtape_info info;
	struct vtape_model m;
	char path[4096];
	struct vlib *v = made("lib --drives 2 --slots 6 --ie 1 --capacity 8M "
			      "--pools 2 --rate 300 --time-scale 0.001",
			      "lib", &inv);

	if (!v)
		return;
	CHECK_INT(inv.ndrives, 2);
	CHECK_INT(inv.nslots, 7);
	CHECK_INT(inv.nie, 1);
	CHECK(!inv.elems[0].full && !inv.elems[1].full);
	CHECK_STR(inv.elems[2].barcode, "A00001L9");
	CHECK_STR(inv.elems[3].barcode, "B00001L9");
	CHECK_STR(inv.elems[6].barcode, "A00003L9");
	CHECK_STR(inv.elems[7].barcode, "B00003L9");
	CHECK(!inv.elems[8].full);
	CHECK_INT(inv.elems[8].type, CHANGER_IE);
	changer_inv_free(&inv);
	label_is(v, "A00001L9", "A");
	label_is(v, "B00003L9", "B");
	CHECK_INT(vlib_tape_path(v, "A00002L9", path, sizeof(path)), 0);
	CHECK_INT(vtape_info(path, &info), 0);
	CHECK_INT(info.capacity, 8 << 20);
	CHECK_STR(info.barcode, "A00002L9");
	CHECK_INT(vtape_get_model(path, &m), 0);
	CHECK(m.rate_mbps == 300);
	CHECK(m.time_scale == 0.001);
	vlib_close(v);
}

static void test_fewer_tapes_three_pools(void)
{
	struct changer_inv inv;
	int full = 0, pools[3] = {0};
	struct vlib *v = made("lib3 --drives 1 --slots 10 --capacity 2M "
			      "--pools 3 --tapes 7",
			      "lib3", &inv);

	if (!v)
		return;
	for (size_t i = 0; i < inv.nelems; i++) {
		if (!inv.elems[i].full)
			continue;
		full++;
		if (inv.elems[i].barcode[0] >= 'A' &&
		    inv.elems[i].barcode[0] <= 'C')
			pools[inv.elems[i].barcode[0] - 'A']++;
	}
	CHECK_INT(full, 7);
	CHECK_INT(pools[0], 3);
	CHECK_INT(pools[1], 2);
	CHECK_INT(pools[2], 2);
	CHECK_INT(inv.nie, 0);
	changer_inv_free(&inv);
	vlib_close(v);
}

/* The test fixture fx_lib_setup() makes the library mkvlib makes: the
 * same robot state, the same barcodes in the same slots, each image of the
 * same capacity and labelled for the same pool. */
static void test_fixture_is_mkvlib(void)
{
	struct fx_lib o = {.drives = 2,
			   .slots = 6,
			   .ie = 1,
			   .tapes = 5,
			   .capacity = 8 << 20,
			   .pools = 2};
	struct changer_inv inv;
	struct vlib *v = made("mk --drives 2 --slots 6 --ie 1 --tapes 5 "
			      "--capacity 8M --pools 2",
			      "mk", &inv);
	struct vlib *fx = NULL;
	struct vtape_info info;
	char *a, *b, err[256], path[4096];
	int full = 0;

	CHECK_INT(fx_lib_setup("fx", &o), 0);
	a = fx_slurp("mk/state");
	b = fx_slurp("fx/state");
	CHECK_STR(b, a);
	free(a);
	free(b);
	CHECK_INT(vlib_open(&fx, "fx", err, sizeof(err)), 0);
	if (!v || !fx)
		goto out;
	for (size_t i = 0; i < inv.nelems; i++) {
		const char *bc = inv.elems[i].barcode;
		const char *pool = bc[0] == 'A' ? "A" : "B";

		if (!inv.elems[i].full)
			continue;
		full++;
		label_is(v, bc, pool);
		label_is(fx, bc, pool);
		CHECK_INT(vlib_tape_path(fx, bc, path, sizeof(path)), 0);
		CHECK_INT(vtape_info(path, &info), 0);
		CHECK_INT(info.capacity, 8 << 20);
	}
	CHECK_INT(full, 5);
out:
	if (v)
		changer_inv_free(&inv);
	vlib_close(fx);
	vlib_close(v);
}

static void test_refusals(void)
{
	struct stat before, after;

	CHECK_INT(mkvlib("once --drives 1 --slots 2 --capacity 2M"), 0);
	CHECK_INT(stat("once/state", &before), 0);
	/* an existing library is never overwritten */
	CHECK_INT(mkvlib("once --drives 1 --slots 2 --capacity 2M"), 1);
	CHECK_INT(stat("once/state", &after), 0);
	CHECK_INT(before.st_ino, after.st_ino);
	CHECK_INT(before.st_mtime, after.st_mtime);
	/* bad arguments: usage, exit 2, nothing created */
	CHECK_INT(mkvlib("bad1 --drives 0 --slots 2 --capacity 2M"), 2);
	CHECK_INT(mkvlib("bad1 --drives 1 --slots 2 --capacity 2Q"), 2);
	CHECK_INT(mkvlib("bad1 --drives 1 --slots 2"), 2);
	CHECK_INT(mkvlib("bad1 --drives 1 --slots 2 --capacity 2M --tapes 3"),
		  2);
	CHECK_INT(mkvlib("bad1 --drives 1 --slots 2 --capacity 2M --pools 27"),
		  2);
	CHECK_INT(mkvlib("bad1 extra --drives 1 --slots 2 --capacity 2M"), 2);
	CHECK_INT(mkvlib("--drives 1 --slots 2 --capacity 2M"), 2);
	CHECK_INT(mkvlib("bad1 --drives 1 --slots 2 --capacity 2M --frob"), 2);
	CHECK(access("bad1", F_OK) != 0);
}

int main(void)
{
	RUN(test_make);
	RUN(test_fewer_tapes_three_pools);
	RUN(test_fixture_is_mkvlib);
	RUN(test_refusals);
	return check_done();
}
