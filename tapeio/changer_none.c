/* tapeio/changer_none.c - the "none" changer: one drive, no robot.
 *
 * The spec is the drive's device (e.g. /dev/nst0, or a vtape image).
 * Whatever tape is in the drive was loaded by hand: the inventory shows one
 * drive, full when its device exists, with no barcode (the label on the
 * tape, read by the caller, names it), and no slots. Moves are refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapeio/changer.h"

extern const struct changer_ops changer_none_ops;

static int cn_open(struct changer *c, const char *spec)
{
	c->priv = strdup(spec ? spec : "");
	return c->priv ? 0 : -ENOMEM;
}

/* The drive's device is the whole spec. */
static int cn_conf_spec(const struct changer_conf *cf, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", cf->drive0 ? cf->drive0 : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void cn_close(struct changer *c)
{
	free(c->priv);
	c->priv = NULL;
}

static int cn_inventory(struct changer *c, struct changer_inv *inv)
{
	const char *dev = c->priv;

	memset(inv, 0, sizeof(*inv));
	inv->elems = calloc(1, sizeof(*inv->elems));
	if (!inv->elems)
		return -ENOMEM;
	inv->ndrives = 1;
	inv->nelems = 1;
	inv->elems[0].type = CHANGER_DRIVE;
	inv->elems[0].full = dev[0] && access(dev, F_OK) == 0;
	return 0;
}

static int cn_refuse(struct changer *c)
{
	snprintf(c->err, sizeof(c->err),
		 "changer none: tapes are loaded by hand, there is no robot");
	return -ENOTSUP;
}

static int cn_load(struct changer *c, int slot, int drive)
{
	(void)slot;
	(void)drive;
	return cn_refuse(c);
}

static int cn_unload(struct changer *c, int drive, int slot)
{
	(void)slot;
	(void)drive;
	return cn_refuse(c);
}

static int cn_transfer(struct changer *c, int from_slot, int to_slot)
{
	(void)from_slot;
	(void)to_slot;
	return cn_refuse(c);
}

static int cn_drive_device(struct changer *c, int drive, char *buf,
			   size_t len)
{
	const char *dev = c->priv;
	int n;

	if (drive != 0) {
		snprintf(c->err, sizeof(c->err),
			 "no drive %d (changer none has one drive, 0)", drive);
		return -EINVAL;
	}
	if (!dev[0]) {
		snprintf(c->err, sizeof(c->err),
			 "changer none: no drive device configured");
		return -ENODEV;
	}
	n = snprintf(buf, len, "%s", dev);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const struct changer_ops changer_none_ops = {
	.name = "none",
	.open = cn_open,
	.conf_spec = cn_conf_spec,
	.close = cn_close,
	.inventory = cn_inventory,
	.load = cn_load,
	.unload = cn_unload,
	.transfer = cn_transfer,
	.drive_device = cn_drive_device,
};
