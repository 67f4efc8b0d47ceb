/* fs/engine/library_fsck.c - the labels of the library's cartridges for
 * `tapefs fsck` (library_labels_read(), library.h): catalog_check()
 * compares them with the catalog. No robot moves: what cannot be read
 * where it is is listed as skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/engine/library_int.h"

void library_labels_release(struct library_labels *ll)
{
	for (size_t i = 0; i < ll->n; i++) {
		free((char *)ll->labels[i].barcode);
		free((char *)ll->labels[i].uuid);
		free((char *)ll->labels[i].label_barcode);
	}
	free(ll->labels);
	free(ll->data_after);
	for (size_t i = 0; i < ll->nskipped; i++)
		free(ll->skipped[i]);
	free(ll->skipped);
	memset(ll, 0, sizeof(*ll));
}

static int skip(struct library_labels *ll, const char *barcode, const char *why)
{
	char **p = realloc(ll->skipped, (ll->nskipped + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	ll->skipped = p;
	if (asprintf(&p[ll->nskipped], "%s: %s", barcode, why) < 0)
		return -ENOMEM;
	ll->nskipped++;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* One label as the look p at the cartridge named barcode ("" = learn it
 * from the label) found it; ret: the look's result. */
static int add(struct library_labels *ll, const char *barcode, int ret,
	       const struct label_probe *p)
{
	struct catalog_label *v, *l;
	unsigned char *d;

	d = realloc(ll->data_after, ll->n + 1);
	if (!d)
		return -ENOMEM;
	ll->data_after = d;
	d[ll->n] = !ret && p->data_after;
	v = realloc(ll->labels, (ll->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ll->labels = v;
	l = &v[ll->n];
	memset(l, 0, sizeof(*l));
	l->barcode = strdup(*barcode ? barcode : p->label.barcode);
	if (!ret) {
		l->uuid = dup_or_null(p->label.uuid);
		if (strcmp(p->label.barcode, l->barcode ? l->barcode : ""))
			l->label_barcode = dup_or_null(p->label.barcode);
	}
	ll->n++;
	return l->barcode ? 0 : -ENOMEM;
}

static int read_elem(struct library_labels *ll, const struct tapefs_config *cfg,
		     struct changer *c, const struct changer_elem *e)
{
	struct label_probe p;
	char why[512], name[64];
	int ret;

	if (!e->full || library_is_cleaning(e->barcode))
		return 0;
	if (e->barcode[0])
		snprintf(name, sizeof(name), "%s", e->barcode);
	else
		library_location(e, name, sizeof(name));
	ret = library_peek_elem(cfg, c, e, -1, &p, why, sizeof(why), NULL);
	if (ret == -ENOTSUP)
		return skip(ll, name, why);
	/* a blank tape or one without a tapefs label is a finding of the
	 * catalog check (no label); any other failure is a tape not read */
	if (ret && ret != -ENODATA && ret != -EINVAL)
		return skip(ll, name, why);
	if (ret && !e->barcode[0])
		return skip(ll, name,
			    "no tapefs label on the tape in the drive");
	return add(ll, e->barcode, ret, &p);
}

int library_labels_read(const struct tapefs_config *cfg,
			struct library_labels *out, char *err, size_t errlen)
{
	struct changer_conf cc = {cfg->changer, cfg->changer_spec, cfg->mtx,
				  cfg->drive_dev[0]};
	struct changer_inv inv;
	struct changer *c = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = changer_open_conf(&c, &cc, err, errlen);
	if (ret)
		return ret;
	ret = changer_inventory(c, &inv);
	if (ret) {
		snprintf(err, errlen, "changer inventory: %s",
			 changer_error(c));
		goto out_close;
	}
	for (size_t i = 0; i < inv.nelems && !ret; i++)
		ret = read_elem(out, cfg, c, &inv.elems[i]);
	if (ret) {
		snprintf(err, errlen, "%s", strerror(-ret));
		library_labels_release(out);
	}
	changer_inv_free(&inv);
out_close:
	changer_close(c);
	return ret;
}

/* One label of ll against the rule. 1 a finding, 0 none, -errno. */
static int check_one(struct catalog *cat, const struct catalog_label *l,
		     int repair, catalog_report_fn report, void *ctx)
{
	struct catalog_tape t;
	char msg[320];
	int ret, fixed = 0;

	if (catalog_tape_get(cat, l->barcode, &t) != 0 ||
	    t.state != CATALOG_TAPE_SCRATCH || t.last_file != 0)
		return 0;
	ret = catalog_dump_tape_wrote(cat, t.barcode, 1);
	if (ret == 0)
		ret = catalog_xfer_wrote(cat, t.barcode, 1);
	if (ret != 0)
		return ret < 0 ? ret : 0; /* a partial archive of its own */
	if (repair)
		fixed = catalog_tape_set_state(cat, t.barcode,
					       CATALOG_TAPE_CLOSED) == 0;
	snprintf(msg, sizeof(msg),
		 "tape \"%s\" is scratch in the catalog but holds archives "
		 "this catalog does not know after its label%s",
		 t.barcode,
		 fixed ? ": closed, so nothing is written over them"
		       : " (--repair closes it)");
	report(ctx, fixed, msg);
	return 1;
}

int library_labels_check(struct catalog *cat, const struct library_labels *ll,
			 int repair, catalog_report_fn report, void *ctx)
{
	int n = 0;

	for (size_t i = 0; i < ll->n; i++) {
		int ret;

		if (!ll->data_after[i])
			continue;
		ret = check_one(cat, &ll->labels[i], repair, report, ctx);
		if (ret < 0)
			return ret;
		n += ret;
	}
	return n;
}
