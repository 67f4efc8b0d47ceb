/* tests/test_mtx_shim.c - the mtx changer backend driving the real
 * /usr/sbin/mtx, itself driving a virtual library through the SG_IO shim
 * ($BUILD/tests/libsgshim.so): the same inventory as the vlib backend
 * after every move, and the failures a library gives (empty slot, full
 * drive, a tape still in use, not ready, missing device, missing mtx),
 * each a clear error that leaves the library as it was. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "tapeio/changer.h"
#include "tapeio/label.h"
#include "tapeio/mtx.h"
#include "tapeio/tape.h"
#include "tapeio/vlib.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

#define MTX "/usr/sbin/mtx"

static char dir[1024], spec[1200];

static int setup(void)
{
	char shim[1024], map[1200], bc[16];

	snprintf(shim, sizeof(shim), "%s/tests/libsgshim.so",
		 getenv("BUILD") ?: "build");
	if (access(MTX, X_OK) || access(shim, R_OK)) {
		fprintf(stderr, "# needs %s and %s\n", MTX, shim);
		return -1;
	}
	if (!getcwd(dir, sizeof(dir) - 8))
		return -1;
	strcat(dir, "/lib");
	snprintf(map, sizeof(map), "/dev/sg9=%s", dir);
	setenv("TAPEFS_SGSHIM", map, 1);
	setenv("LD_PRELOAD", shim, 1); /* for the mtx we start, not for us */
	snprintf(spec, sizeof(spec), MTX " /dev/sg9");
	if (vlib_create(dir, 2, 9, 1))
		return -1;
	for (int i = 1; i <= 6; i++) {
		/* the first a real, labelled tape; the others empty images */
		struct fx_cart c = {bc, i, i == 1 ? 4 << 20 : 0,
				    i == 1 ? "A" : NULL, 65536};

		snprintf(bc, sizeof(bc), "%c%05dL9", i % 2 ? 'A' : 'B', i);
		if (fx_cartridge(dir, &c))
			return -1;
	}
	return 0;
}

/* Both backends see the same library. */
static void same(struct changer *m, struct changer *v)
{
	struct changer_inv a, b;
	int diff = 0;

	CHECK_INT(changer_inventory(m, &a), 0);
	CHECK_INT(changer_inventory(v, &b), 0);
	CHECK_INT(a.ndrives, b.ndrives);
	CHECK_INT(a.nslots, b.nslots);
	CHECK_INT(a.nie, b.nie);
	CHECK_INT(a.nelems, b.nelems);
	for (size_t i = 0; i < a.nelems && a.nelems == b.nelems; i++) {
		const struct changer_elem *x = &a.elems[i], *y = &b.elems[i];

		if (x->type != y->type || x->index != y->index ||
		    x->full != y->full || x->source != y->source ||
		    strcmp(x->barcode, y->barcode)) {
			diff++;
			fprintf(stderr,
				"# elem %zu: mtx %d/%d/%d/%d/%s vlib "
				"%d/%d/%d/%d/%s\n",
				i, x->type, x->index, x->full, x->source,
				x->barcode, y->type, y->index, y->full,
				y->source, y->barcode);
		}
	}
	CHECK_INT(diff, 0);
	changer_inv_free(&a);
	changer_inv_free(&b);
}

/* The library's state file (free() it). */
static char *state_read(void)
{
	char path[1100];

	snprintf(path, sizeof(path), "%s/state", dir);
	return fx_slurp(path);
}

static void test_moves_agree(struct changer *m, struct changer *v)
{
	same(m, v);
	CHECK_INT(changer_load(m, 3, 1), 0);
	same(m, v);
	CHECK_INT(changer_load(m, 2, 0), 0);
	same(m, v);
	CHECK_INT(changer_transfer(m, 5, 9), 0); /* into the mailbox */
	same(m, v);
	CHECK_INT(changer_unload(m, 1, 0), 0); /* home: slot 3 */
	same(m, v);
	CHECK_INT(changer_unload(m, 0, 8), 0);
	same(m, v);
	CHECK_INT(changer_transfer(m, 9, 5), 0);
	CHECK_INT(changer_transfer(m, 8, 2), 0);
	same(m, v);
}

static void test_errors(struct changer *m, struct changer *v)
{
	char *before, *after, path[1200];
	int fd;

	before = state_read();
	CHECK_INT(changer_load(m, 7, 0), -ENOMEDIUM);
	CHECK(strstr(changer_error(m), "slot 7 is empty") != NULL);
	CHECK_INT(changer_load(m, 1, 0), 0);
	free(before);
	before = state_read();
	CHECK_INT(changer_load(m, 2, 0), -EBUSY);
	CHECK(strstr(changer_error(m), "drive 0 is full") != NULL);
	CHECK_INT(changer_unload(m, 1, 0), -ENOMEDIUM);
	CHECK_STR(changer_error(m), "drive 1 is empty");
	CHECK_INT(changer_unload(m, 0, 2), -EBUSY);
	CHECK(strstr(changer_error(m), "slot 2 is full") != NULL);
	CHECK_INT(changer_load(m, 99, 1), -EINVAL);
	CHECK(strstr(changer_error(m), "'99'") != NULL);
	/* the cartridge is open in its drive: the robot cannot take it */
	snprintf(path, sizeof(path), "%s/drive0", dir);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
	CHECK_INT(changer_unload(m, 0, 0), -EBUSY);
	CHECK(strstr(changer_error(m), "removal prevented") != NULL);
	close(fd);
	after = state_read();
	CHECK_STR(after, before); /* no failure changed anything */
	free(after);
	free(before);
	CHECK_INT(changer_unload(m, 0, 0), 0);
	same(m, v);
}

/* The shim answers NOT READY to the next n commands. */
static void notready(int n)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s/sgshim.notready", dir);
	fx_write_text(path, "%d\n", n);
}

static void test_not_ready(struct changer *m, struct changer *v)
{
	struct changer_inv inv;

	CHECK_INT(mtx_configure(m, 30, 3, 0.01), 0);
	/* mtx asks twice (with and without barcodes) before it gives up:
	 * 3 NOT READY answers make its first run fail, the retry works */
	notready(3);
	CHECK_INT(changer_inventory(m, &inv), 0);
	CHECK_INT(inv.ndrives, 2);
	changer_inv_free(&inv);
	notready(1);
	CHECK_INT(changer_load(m, 4, 1), 0);
	same(m, v);
	notready(100);
	CHECK_INT(changer_unload(m, 1, 0), -EIO);
	CHECK(strstr(changer_error(m), "not ready") != NULL);
	notready(0);
	CHECK_INT(changer_unload(m, 1, 0), 0);
	same(m, v);
}

/* The label of a tape the catalog does not know, read through the robot:
 * mtx loads it, the drive (DIR/drive0, kept by the shim's moves) reads it,
 * mtx puts it back. */
static void test_label_probe(struct changer *m, struct changer *v)
{
	struct label_probe l;
	char dev[1200];

	snprintf(dev, sizeof(dev), "%s/drive0", dir);
	memset(&l, 0, sizeof(l));
	CHECK_INT(changer_label_probe(m, 1, 0, tape_backend("vtape"), dev, &l),
		  0);
	CHECK_STR(l.label.barcode, "A00001L9");
	CHECK_STR(l.label.pool, "A");
	same(m, v);
	/* not a tape image at all: an error, and the cartridge goes back */
	CHECK(changer_label_probe(m, 2, 0, tape_backend("vtape"), dev, &l) < 0);
	CHECK(strstr(changer_error(m), "slot 2: label") != NULL);
	same(m, v);
	CHECK(access(dev, F_OK) != 0);
}

static void test_open_errors(void)
{
	struct changer *c = NULL;

	CHECK_INT(changer_open(&c, changer_backend("mtx"), MTX " /dev/sg8"),
		  -ENODEV);
	CHECK(strstr(changer_error(NULL), "cannot open SCSI device "
					  "'/dev/sg8'") != NULL);
	CHECK_INT(changer_open(&c, changer_backend("mtx"),
			       "/usr/sbin/no-mtx /dev/sg9"),
		  -ENOENT);
	CHECK_STR(changer_error(NULL), "mtx: command not found "
				       "('/usr/sbin/no-mtx')");
	CHECK_INT(changer_open(&c, changer_backend("mtx"), MTX " /dev/null"),
		  -ENODEV);
	CHECK(strstr(changer_error(NULL), "not an sg device") != NULL);
}

int main(void)
{
	struct changer *m = NULL, *v = NULL;

	if (setup())
		CHECK(!"setup");
	CHECK_INT(changer_open(&m, changer_backend("mtx"), spec), 0);
	CHECK_INT(changer_open(&v, changer_backend("vlib"), dir), 0);
	if (m && v) {
		mtx_configure(m, 30, 0, 0);
		test_moves_agree(m, v);
		fprintf(stderr, "done test_moves_agree\n");
		test_errors(m, v);
		fprintf(stderr, "done test_errors\n");
		test_not_ready(m, v);
		fprintf(stderr, "done test_not_ready\n");
		test_label_probe(m, v);
		fprintf(stderr, "done test_label_probe\n");
	}
	changer_close(m);
	changer_close(v);
	RUN(test_open_errors);
	return check_done();
}
