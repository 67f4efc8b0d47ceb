/* tests/test_changer_backends.c - the changer interface: backends by name,
 * "vlib" and "none" through changer_*(), reasons in changer_error(). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapeio/changer.h"
#include "tapeio/label.h"
#include "tapeio/tape.h"
#include "tapeio/vlib.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static void test_backend_names(void)
{
	CHECK(changer_backend("vlib") != NULL);
	CHECK(changer_backend("none") != NULL);
	CHECK(changer_backend("mtx") != NULL);
	CHECK(changer_backend("robot9000") == NULL);
	CHECK(changer_backend(NULL) == NULL);
	CHECK_STR(changer_backend("vlib")->name, "vlib");
}

static void test_open_failure(void)
{
	struct changer *c = NULL;

	CHECK_INT(changer_open(&c, changer_backend("vlib"), "/no/such/lib"),
		  -ENOENT);
	CHECK(c == NULL);
	CHECK(strstr(changer_error(NULL), "not a tapefs library") != NULL);
	CHECK_INT(changer_open(&c, NULL, "x"), -EINVAL);
	CHECK_STR(changer_error(NULL), "unknown changer backend");
}

static void test_none(void)
{
	struct changer *c = NULL;
	struct changer_inv inv;
	char dev[200];

	close(open("fake-nst0", O_CREAT | O_WRONLY, 0644));
	CHECK_INT(changer_open(&c, changer_backend("none"), "fake-nst0"), 0);
	CHECK_INT(changer_inventory(c, &inv), 0);
	CHECK_INT(inv.ndrives, 1);
	CHECK_INT(inv.nslots, 0);
	CHECK_INT(inv.nelems, 1);
	CHECK(inv.elems[0].full);
	CHECK_STR(inv.elems[0].barcode, "");
	changer_inv_free(&inv);
	CHECK_INT(inv.nelems, 0);
	CHECK_INT(changer_load(c, 1, 0), -ENOTSUP);
	CHECK(strstr(changer_error(c), "loaded by hand") != NULL);
	CHECK_INT(changer_unload(c, 0, 0), -ENOTSUP);
	CHECK_INT(changer_transfer(c, 1, 2), -ENOTSUP);
	CHECK_INT(changer_drive_device(c, 0, dev, sizeof(dev)), 0);
	CHECK_STR(changer_error(c), "");
	CHECK_STR(dev, "fake-nst0");
	CHECK_INT(changer_drive_device(c, 1, dev, sizeof(dev)), -EINVAL);
	changer_close(c);

	CHECK_INT(changer_open(&c, changer_backend("none"), ""), 0);
	CHECK_INT(changer_inventory(c, &inv), 0);
	CHECK(!inv.elems[0].full);
	changer_inv_free(&inv);
	CHECK_INT(changer_drive_device(c, 0, dev, sizeof(dev)), -ENODEV);
	changer_close(c);
}

static void test_vlib_through_changer(void)
{
	struct changer *c = NULL;
	struct changer_inv inv;
	const struct changer_elem *e;
	char dev[200], want[200];

	CHECK_INT(vlib_create("lib", 2, 4, 1), 0);
	CHECK_INT(changer_open(&c, changer_backend("vlib"), "lib"), 0);
	/* a cartridge added by another handle on the library */
	fx_cartridge("lib", &(struct fx_cart){"A00001L9", 2, 0, NULL, 0});
	CHECK_INT(changer_load(c, 2, 1), 0);
	CHECK_INT(changer_inventory(c, &inv), 0);
	e = changer_inv_find(&inv, "A00001L9");
	CHECK(e && e->type == CHANGER_DRIVE && e->index == 1 && e->source == 2);
	CHECK_INT(inv.nie, 1);
	CHECK_INT(inv.elems[inv.nelems - 1].type, CHANGER_IE);
	changer_inv_free(&inv);
	CHECK_INT(changer_drive_device(c, 1, dev, sizeof(dev)), 0);
	snprintf(want, sizeof(want), "lib/drive1");
	CHECK_STR(dev, want);
	CHECK_INT(changer_drive_device(c, 2, dev, sizeof(dev)), -EINVAL);
	CHECK_INT(changer_load(c, 3, 0), -ENOMEDIUM);
	CHECK_STR(changer_error(c), "slot 3 is empty");
	CHECK_INT(changer_unload(c, 0, 0), -ENOMEDIUM);
	CHECK_STR(changer_error(c), "drive 0 is empty");
	CHECK_INT(changer_transfer(c, 2, 4), -ENOMEDIUM);
	CHECK_INT(changer_unload(c, 1, 4), 0);
	CHECK_STR(changer_error(c), "");
	CHECK_INT(changer_transfer(c, 4, 1), 0);
	CHECK_INT(changer_inventory(c, &inv), 0);
	e = changer_inv_find(&inv, "A00001L9");
	CHECK(e && e->type == CHANGER_SLOT && e->index == 1);
	changer_inv_free(&inv);
	changer_close(c);
}

/* Labelled for B, blank, labelled for A, and an empty slot 4. */
static const struct fx_cart probe_carts[] = {
    {"P00001L9", 1, 4 << 20, "B", 65536},
    {"P00002L9", 2, 4 << 20, NULL, 0},
    {"P00003L9", 3, 4 << 20, "A", 65536},
};

static void test_label_probe(void)
{
	const struct tape_ops *vt = tape_backend("vtape");
	struct changer *c;
	struct changer_inv inv;
	struct label_probe l;
	char dev[200];

	CHECK_INT(vlib_create("plib", 2, 4, 0), 0);
	for (int i = 0; i < 3; i++)
		fx_cartridge("plib", &probe_carts[i]);
	c = fx_changer("plib");
	if (!c)
		return;
	CHECK_INT(changer_drive_device(c, 1, dev, sizeof(dev)), 0);
	memset(&l, 0, sizeof(l));
	CHECK_INT(changer_label_probe(c, 1, 1, vt, dev, &l), 0);
	CHECK_STR(l.label.barcode, "P00001L9");
	CHECK_STR(l.label.pool, "B");
	CHECK_INT(l.data_after, 0);
	CHECK_INT(l.label.block_size, 65536);
	CHECK_STR(changer_error(c), "");
	/* a blank tape: no label, and it goes back home all the same */
	CHECK_INT(changer_label_probe(c, 2, 1, vt, dev, &l), -ENODATA);
	CHECK(strstr(changer_error(c), "slot 2: label") != NULL);
	CHECK_INT(changer_inventory(c, &inv), 0);
	CHECK(!inv.elems[0].full && !inv.elems[1].full);
	CHECK_STR(inv.elems[2].barcode, "P00001L9");
	CHECK_STR(inv.elems[3].barcode, "P00002L9");
	changer_inv_free(&inv);
	/* robot refusals come back as they are, nothing moved */
	CHECK_INT(changer_label_probe(c, 4, 1, vt, dev, &l), -ENOMEDIUM);
	CHECK_STR(changer_error(c), "slot 4 is empty");
	CHECK_INT(changer_load(c, 3, 1), 0);
	CHECK_INT(changer_label_probe(c, 1, 1, vt, dev, &l), -EBUSY);
	CHECK_STR(changer_error(c), "drive 1 is full (P00003L9)");
	changer_close(c);
}

int main(void)
{
	RUN(test_backend_names);
	RUN(test_open_failure);
	RUN(test_none);
	RUN(test_vlib_through_changer);
	RUN(test_label_probe);
	return check_done();
}
