/* fs/cmd_fsck.c - `tapefs fsck -c CONFIG [--repair]`: check the catalog
 * named by the config against itself (catalog_check) and print what it
 * finds, one line each; with --repair, fix what is safe.
 *
 * Exit status: 0 the catalog is consistent, 1 problems were found (all of
 * them repaired or not: each line says), 2 usage or the catalog cannot be
 * opened: a catalog file that does not exist or is empty is such an error
 * (never "clean", and never created here). Safe while the catalog is
 * mounted: reads use a snapshot and repairs one write transaction.
 *
 * Labels: the label of every cartridge that can be read without a robot
 * move (library_labels_read(), fs/engine/library.h: a vlib's images,
 * tapes already in drives) is compared with the catalog (unknown tapes,
 * missing labels, a label naming another barcode, another uuid), and a
 * tape the catalog holds scratch that holds archives after its label is
 * a problem (--repair closes it: library_labels_check()); the cartridges
 * it could not read are listed, and are not problems of the catalog.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fs/cmd.h"
#include "fs/config.h"
#include "fs/engine/library.h"

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
	struct library_labels ls = { 0 };
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
	ret = catalog_open_existing(&cat, cfg.catalog);
	if (ret == -ENOENT || ret == -ENODATA) {
		fprintf(stderr,
			"tapefs fsck: catalog '%s' %s: nothing to check (a "
			"mount makes a new catalog; a lost one is restored "
			"from its backup)\n",
			cfg.catalog_shown,
			ret == -ENOENT ? "does not exist" : "is empty");
		goto out_cfg;
	}
	if (ret < 0) {
		fprintf(stderr, "tapefs fsck: cannot open catalog '%s': %s\n",
			cfg.catalog_shown, strerror(-ret));
		goto out_cfg;
	}
	if (library_labels_read(&cfg, &ls, err, sizeof(err)) < 0) {
		printf("labels: not read: %s\n", err);
	} else {
		printf("labels: %zu read, %zu not read\n", ls.n, ls.nskipped);
		for (size_t i = 0; i < ls.nskipped; i++)
			printf("labels: not read: %s\n", ls.skipped[i]);
	}
	ret = catalog_check(cat, repair, ls.labels, ls.n, fsck_report, &n);
	if (ret >= 0) {
		int more = library_labels_check(cat, &ls, repair, fsck_report,
						 &n);
		ret = more < 0 ? more : ret + more;
	}
	if (ret < 0) {
		fprintf(stderr, "tapefs fsck: checking '%s' failed: %s\n",
			cfg.catalog_shown, strerror(-ret));
		status = 2;
	} else if (ret == 0) {
		printf("%s: clean\n", cfg.catalog_shown);
		status = 0;
	} else {
		printf("%s: %d problem%s found, %d repaired\n", cfg.catalog_shown,
		       ret, ret == 1 ? "" : "s", n.repaired);
		status = 1;
	}
	catalog_close(cat);
out_cfg:
	library_labels_release(&ls);
	config_release(&cfg);
	return status;
}
