/* fs/engine/fsck_labels.c - read every tape's label for `tapefs fsck`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/engine/fsck_labels.h"
#include "fs/engine/inventory.h"
#include "tapeio/changer.h"
#include "tapeio/label.h"
#include "tapeio/vlib.h"

void fsck_labels_release(struct fsck_labels *fl)
{
	for (size_t i = 0; i < fl->n; i++) {
		free((char *)fl->labels[i].barcode);
		free((char *)fl->labels[i].uuid);
		free((char *)fl->labels[i].label_barcode);
	}
	free(fl->labels);
	for (size_t i = 0; i < fl->nskipped; i++)
		free(fl->skipped[i]);
	free(fl->skipped);
	memset(fl, 0, sizeof(*fl));
}

static int skip(struct fsck_labels *fl, const char *barcode, const char *why)
{
	char **p = realloc(fl->skipped, (fl->nskipped + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	fl->skipped = p;
	if (asprintf(&p[fl->nskipped], "%s: %s", barcode, why) < 0)
		return -ENOMEM;
	fl->nskipped++;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Read the label at dev and add it; barcode "" = learn it from the label. */
static int add(struct fsck_labels *fl, const struct tapefs_config *cfg,
	       const char *barcode, const char *dev)
{
	struct catalog_label *p, *l;
	struct tape_label tl;
	uint64_t cap;
	int ret = inventory_read_label(cfg, dev, &tl, &cap);

	if (ret && ret != -ENODATA && ret != -EINVAL)
		return skip(fl, *barcode ? barcode : dev, strerror(-ret));
	if (ret && !*barcode)
		return skip(fl, dev,
			    "no tapefs label on the tape in the drive");
	p = realloc(fl->labels, (fl->n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	fl->labels = p;
	l = &p[fl->n];
	memset(l, 0, sizeof(*l));
	l->barcode = strdup(*barcode ? barcode : tl.barcode);
	if (!ret) {
		l->uuid = dup_or_null(tl.uuid);
		if (strcmp(tl.barcode, l->barcode ? l->barcode : ""))
			l->label_barcode = dup_or_null(tl.barcode);
	}
	fl->n++;
	return l->barcode ? 0 : -ENOMEM;
}

static int read_elem(struct fsck_labels *fl, const struct tapefs_config *cfg,
		     struct changer *c, struct vlib *v,
		     const struct changer_elem *e)
{
	char dev[4096];

	if (!e->full)
		return 0;
	if (v && e->barcode[0] &&
	    !vlib_tape_path(v, e->barcode, dev, sizeof(dev)))
		return add(fl, cfg, e->barcode, dev);
	if (e->type == CHANGER_DRIVE) {
		if (cfg->drive_dev[e->index])
			snprintf(dev, sizeof(dev), "%s",
				 cfg->drive_dev[e->index]);
		else if (changer_drive_device(c, e->index, dev, sizeof(dev)))
			return skip(fl, e->barcode[0] ? e->barcode : "drive",
				    changer_error(c));
		return add(fl, cfg, e->barcode, dev);
	}
	return skip(fl, e->barcode[0] ? e->barcode : "slot",
		    "in a slot: reading its label needs a load");
}

int fsck_labels_read(const struct tapefs_config *cfg, struct fsck_labels *out,
		     char *err, size_t errlen)
{
	const struct changer_ops *ops = changer_backend(cfg->changer);
	struct changer_inv inv;
	struct changer *c = NULL;
	struct vlib *v = NULL;
	char spec[4200], verr[256];
	int ret;

	memset(out, 0, sizeof(*out));
	if (!ops) {
		snprintf(err, errlen, "unknown changer '%s'", cfg->changer);
		return -EINVAL;
	}
	if (!strcmp(cfg->changer, "mtx"))
		snprintf(spec, sizeof(spec), "%s %s", cfg->mtx,
			 cfg->changer_spec);
	else if (!strcmp(cfg->changer, "none"))
		snprintf(spec, sizeof(spec), "%s", cfg->drive_dev[0]);
	else
		snprintf(spec, sizeof(spec), "%s", cfg->changer_spec);
	ret = changer_open(&c, ops, spec);
	if (ret) {
		snprintf(err, errlen, "changer %s '%s': %s", cfg->changer, spec,
			 strerror(-ret));
		return ret;
	}
	ret = changer_inventory(c, &inv);
	if (ret) {
		snprintf(err, errlen, "changer inventory: %s",
			 changer_error(c));
		goto out_close;
	}
	if (!strcmp(cfg->changer, "vlib") &&
	    vlib_open(&v, cfg->changer_spec, verr, sizeof(verr)))
		v = NULL;
	for (size_t i = 0; i < inv.nelems && !ret; i++)
		ret = read_elem(out, cfg, c, v, &inv.elems[i]);
	if (ret) {
		snprintf(err, errlen, "%s", strerror(-ret));
		fsck_labels_release(out);
	}
	if (v)
		vlib_close(v);
	changer_inv_free(&inv);
out_close:
	changer_close(c);
	return ret;
}
