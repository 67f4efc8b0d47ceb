/* fs/cmd_export.c - `tapefs export -c CONFIG [--format csv|jsonl]
 * [-o FILE]`: every member of every archive of the catalog the config
 * names, with where its copies are, as CSV or JSON lines
 * (fs/ns/export.h), on standard output or into FILE.
 *
 * Exit status: 0 written, 1 the catalog could not be read or the output
 * not written (FILE is then removed), 2 usage, a bad config, no catalog.
 * Reads only: safe while the catalog is mounted (sqlite readers under
 * WAL see committed dumps only).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/cmd.h"
#include "fs/config.h"
#include "fs/ns/export.h"

static void usage(void)
{
	fprintf(stderr, "usage: tapefs export -c CONFIG [--format csv|jsonl] "
			"[-o FILE]\n");
}

struct export_opts {
	const char *config, *output;
	enum export_format format;
};

/* 0, or 2 (usage, printed). */
static int parse(int argc, char **argv, struct export_opts *o)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->format = EXPORT_CSV;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:f:o:h", opts, NULL)) != -1) {
		if (opt == 'c') {
			o->config = optarg;
		} else if (opt == 'o') {
			o->output = optarg;
		} else if (opt == 'f' &&
			   !export_format_parse(optarg, &o->format)) {
			continue;
		} else {
			if (opt == 'f')
				fprintf(stderr,
					"tapefs export: unknown format '%s'\n",
					optarg);
			usage();
			return 2;
		}
	}
	if (!o->config || optind != argc) {
		usage();
		return 2;
	}
	return 0;
}

/* Write the export of the catalog of cfg to o->output or stdout. A
 * server's catalog must hold one already: an export never makes it. */
static int run(const struct tapefs_config *cfg, const struct export_opts *o)
{
	FILE *out = stdout;
	struct catalog *cat;
	uint64_t n = 0;
	int ret, werr;

	ret = catalog_kind_of(cfg->catalog) == CATALOG_KIND_FILE
		  ? catalog_open(&cat, cfg->catalog)
		  : catalog_open_existing(&cat, cfg->catalog);
	if (ret < 0) {
		fprintf(stderr, "tapefs export: cannot open catalog '%s': %s\n",
			cfg->catalog_shown, strerror(-ret));
		return 1;
	}
	if (o->output && !(out = fopen(o->output, "w"))) {
		fprintf(stderr, "tapefs export: cannot write '%s': %s\n",
			o->output, strerror(errno));
		catalog_close(cat);
		return 1;
	}
	ret = export_catalog(cat, o->format, out, &n);
	werr = ferror(out);
	if (o->output && fclose(out) != 0)
		werr = 1;
	catalog_close(cat);
	if (werr && !ret)
		ret = -EIO;
	if (ret < 0) {
		fprintf(stderr, "tapefs export: %s: %s\n",
			werr ? "writing" : "reading the catalog",
			strerror(-ret));
		if (o->output)
			unlink(o->output);
		return 1;
	}
	fprintf(stderr, "tapefs export: %" PRIu64 " members\n", n);
	return 0;
}

int cmd_export_catalog(int argc, char **argv)
{
	struct export_opts o;
	struct tapefs_config cfg;
	char err[512];
	int status;

	status = parse(argc, argv, &o);
	if (status)
		return status;
	if (config_load(&cfg, o.config, err, sizeof(err)) < 0) {
		fprintf(stderr, "tapefs export: %s\n", err);
		return 2;
	}
	if (!cfg.catalog ||
	    (catalog_kind_of(cfg.catalog) == CATALOG_KIND_FILE &&
	     access(cfg.catalog, R_OK) != 0)) {
		fprintf(stderr, "tapefs export: no catalog at '%s'\n",
			cfg.catalog_shown ? cfg.catalog_shown : "");
		config_release(&cfg);
		return 2;
	}
	status = run(&cfg, &o);
	config_release(&cfg);
	return status;
}
