/* fs/cmd_fsck.c - `tapefs fsck -c CONFIG [--repair]`: check the catalog
 * named by the config against itself (catalog_check) and print what it
 * finds, one line each; with --repair, fix what is safe.
 *
 * Exit status: 0 the catalog is consistent, 1 problems were found (all of
 * them repaired or not: each line says), 2 usage or the catalog cannot be
 * opened. Safe while the catalog is mounted: reads use a snapshot and
 * repairs one write transaction.
 *
 * Labels: with a virtual library (changer = vlib) every cartridge's label
 * is read from its image, without a robot move, and compared with the
 * catalog (unknown tapes, missing labels, a label naming another barcode,
 * another uuid). With a real library that would mean loading every tape,
 * so fsck leaves labels alone there and says so.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/cmd.h"
#include "fs/config.h"
#include "fs/inventory.h"
#include "tapeio/label.h"

/* The labels read from a library, for catalog_check(). */
struct fsck_labels {
	struct catalog_label *v;
	struct tape_label *l;
	char (*barcode)[64];
	size_t n, cap;
};

static void labels_free(struct fsck_labels *ls)
{
	free(ls->v);
	free(ls->l);
	free(ls->barcode);
}

static int labels_grow(struct fsck_labels *ls)
{
	size_t cap = ls->cap ? ls->cap * 2 : 16;
	struct catalog_label *v = realloc(ls->v, cap * sizeof(*v));
	struct tape_label *l;
	char(*b)[64];

	if (!v)
		return -ENOMEM;
	ls->v = v;
	l = realloc(ls->l, cap * sizeof(*l));
	if (!l)
		return -ENOMEM;
	ls->l = l;
	b = realloc(ls->barcode, cap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	ls->barcode = b;
	ls->cap = cap;
	return 0;
}

/* One image DIR/tapes/BARCODE.vtape: its label, or none. */
static int label_one(const struct tapefs_config *cfg, const char *dir,
		     const char *file, struct fsck_labels *ls)
{
	size_t len = strlen(file), sfx = strlen(".vtape");
	char path[4096];
	uint64_t cap;
	int ret;

	if (len <= sfx || len - sfx >= sizeof(ls->barcode[0]) ||
	    strcmp(file + len - sfx, ".vtape") != 0)
		return 0;
	if (ls->n == ls->cap && (ret = labels_grow(ls)) < 0)
		return ret;
	snprintf(ls->barcode[ls->n], sizeof(ls->barcode[0]), "%.*s",
		 (int)(len - sfx), file);
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    (int)sizeof(path))
		return 0;
	memset(&ls->l[ls->n], 0, sizeof(ls->l[0]));
	ret = inventory_read_label(cfg, path, &ls->l[ls->n], &cap);
	if (ret < 0 && ret != -ENODATA && ret != -EINVAL) {
		printf("tape \"%s\": label unreadable: %s\n",
		       ls->barcode[ls->n], strerror(-ret));
		return 0;
	}
	ls->v[ls->n].barcode = ls->barcode[ls->n];
	ls->v[ls->n].uuid = ret == 0 ? ls->l[ls->n].uuid : NULL;
	ls->v[ls->n].label_barcode = ret == 0 ? ls->l[ls->n].barcode : NULL;
	ls->n++;
	return 0;
}

/* Labels of every cartridge of a vlib, read from the images. */
static int labels_read(const struct tapefs_config *cfg,
		       struct fsck_labels *ls)
{
	char dir[4096];
	struct dirent *e;
	DIR *d;
	int ret = 0;

	if (!cfg->changer || strcmp(cfg->changer, "vlib") != 0 ||
	    !cfg->changer_spec) {
		printf("labels: not read (changer %s: it would load every "
		       "tape)\n",
		       cfg->changer ? cfg->changer : "none");
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s/tapes", cfg->changer_spec);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "tapefs fsck: cannot read library '%s': %s\n",
			dir, strerror(errno));
		return -errno;
	}
	while (ret == 0 && (e = readdir(d)))
		ret = label_one(cfg, dir, e->d_name, ls);
	closedir(d);
	if (ret == 0)
		printf("labels: %zu read from %s\n", ls->n, dir);
	return ret;
}

struct fsck_count {
	int repaired;
};

static void fsck_report(void *ctx, int repaired, const char *msg)
{
	struct fsck_count *n = ctx;

	if (repaired)
		n->repaired++;
	printf("%s\n", msg);
}

static void usage(void)
{
	fprintf(stderr, "usage: tapefs fsck -c CONFIG [--repair]\n");
}

int cmd_fsck(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "repair", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tapefs_config cfg;
	struct fsck_count n = { 0 };
	struct fsck_labels ls = { 0 };
	struct catalog *cat;
	const char *config = NULL;
	char err[512];
	int repair = 0, opt, ret, status = 2;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:rh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'r':
			repair = 1;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!config || optind != argc) {
		usage();
		return 2;
	}
	ret = config_load(&cfg, config, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "tapefs fsck: %s\n", err);
		return 2;
	}
	if (!cfg.catalog) {
		fprintf(stderr, "tapefs fsck: '%s' names no catalog\n", config);
		goto out_cfg;
	}
	ret = catalog_open(&cat, cfg.catalog);
	if (ret < 0) {
		fprintf(stderr, "tapefs fsck: cannot open catalog '%s': %s\n",
			cfg.catalog, strerror(-ret));
		goto out_cfg;
	}
	ret = labels_read(&cfg, &ls);
	if (ret == 0)
		ret = catalog_check(cat, repair, ls.v, ls.n, fsck_report, &n);
	if (ret < 0) {
		fprintf(stderr, "tapefs fsck: checking '%s' failed: %s\n",
			cfg.catalog, strerror(-ret));
		status = 2;
	} else if (ret == 0) {
		printf("%s: clean\n", cfg.catalog);
		status = 0;
	} else {
		printf("%s: %d problem%s found, %d repaired\n", cfg.catalog,
		       ret, ret == 1 ? "" : "s", n.repaired);
		status = 1;
	}
	catalog_close(cat);
out_cfg:
	labels_free(&ls);
	config_release(&cfg);
	return status;
}
