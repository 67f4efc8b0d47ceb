/* fs/cmd_config.c - `tapefs config -c CONFIG`: read a config file as a
 * mount would (config_load) and print the settings it gives, defaults and
 * resolved paths included, as an ini file; nothing else is touched (no
 * catalog, no library). For an operator checking a config before a mount
 * or a service start, and for the tests of the shipped example.
 *
 * Exit status: 0 the file is valid (its settings on stdout), 1 it is not
 * (one line "tapefs config: FILE:LINE: reason" on stderr), 2 usage.
 */
#include <inttypes.h>
#include <stdio.h>

#include "fs/cmd.h"
#include "fs/config.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: tapefs config -c CONFIG\n");
}

/* 10737418240 -> "10G": the largest suffix that divides the size exactly
 * (as config_parse_size() reads it back). */
static void print_size(const char *key, uint64_t v)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && v && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		printf("%s = %" PRIu64 "\n", key, v);
	else
		printf("%s = %" PRIu64 "%c\n", key, v, units[u]);
}

/* 43200 -> "12h": the largest unit that divides the seconds exactly. */
static void print_time(const char *key, unsigned s)
{
	static const struct {
		unsigned secs;
		char unit;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s % units[i].secs == 0) {
			printf("%s = %u%c\n", key, s / units[i].secs,
			       units[i].unit);
			return;
		}
}

static void print_tapefs(const struct tapefs_config *cfg)
{
	printf("[tapefs]\ncatalog = %s\nstaging = %s\ncache = %s\n",
	       cfg->catalog_shown, cfg->staging, cfg->cache);
	print_size("cache_size", cfg->cache_size);
	print_size("block_size", cfg->block_size);
	printf("copies = %d\npools = ", cfg->copies);
	for (int i = 0; i < cfg->npools; i++)
		printf("%s%s", i ? "," : "", cfg->pools[i]);
	printf("\ncatalog_backup = %s\ncatalog_backups = %u\n",
	       cfg->catalog_backup ? cfg->catalog_backup : "none",
	       cfg->catalog_backups);
	if (cfg->snap_dumps)
		printf("catalog_to_tape = %u\n", cfg->snap_dumps);
	else if (cfg->snap_secs)
		print_time("catalog_to_tape", cfg->snap_secs);
	else
		printf("catalog_to_tape = never\n");
	printf("allow_delete = %s\nrepack_below = %u\n",
	       cfg->allow_delete ? "yes" : "no", cfg->repack_below);
	printf("log_level = %s\n", tapefs_log_level_name(cfg->log_level));
}

static void print_dump(const struct tapefs_config *cfg)
{
	printf("\n[dump]\n");
	print_size("bytes", cfg->dump_bytes);
	printf("files = %" PRIu64 "\nidle = %u\n", cfg->dump_files,
	       cfg->dump_idle);
	printf("dir_keep = %u\n", cfg->dir_keep);
}

static void print_verify(const struct tapefs_config *cfg)
{
	printf("\n[verify]\nrepair = %s\n",
	       cfg->verify_repair_auto ? "auto" : "no");
	if (cfg->verify_every)
		print_time("every", cfg->verify_every);
	else
		printf("every = never\n");
	printf("sample = %u\n", cfg->verify_sample ? cfg->verify_sample : 100);
}

static void print_recall(const struct tapefs_config *cfg)
{
	printf("\n[recall]\ninflight_per_tape = %u\n", cfg->recall_per_tape);
}

/* Keys left to the changer (drives, driveN) are printed as comments. */
static void print_library(const struct tapefs_config *cfg)
{
	printf("\n[library]\nchanger = %s\n", cfg->changer);
	if (cfg->changer_spec)
		printf("path = %s\n", cfg->changer_spec);
	printf("mtx = %s\ntape = %s\nhost = %s\n", cfg->mtx, cfg->tape,
	       cfg->host);
	if (!cfg->host_set)
		printf("; one host alone: joins no hosts of the catalog "
		       "(set host to join)\n");
	print_time("lease", cfg->lease_secs);
	if (cfg->drive_ids_set) {
		printf("drive_ids = ");
		for (int i = 0; i < cfg->ndrives; i++)
			printf("%s%d", i ? "," : "", cfg->drive_id[i]);
		printf("\n");
	} else if (cfg->ndrives)
		printf("drives = %d\n", cfg->ndrives);
	else
		printf("; drives: every drive of the changer\n");
	for (int i = 0; i < TAPEFS_MAX_DRIVES; i++)
		if (cfg->drive_dev[i])
			printf("drive%d = %s\n", i, cfg->drive_dev[i]);
}

int cmd_config(int argc, char **argv)
{
	struct tapefs_config cfg;
	const char *config;
	char err[768];
	int ret, first;

	ret = cmd_parse(argc, argv, NULL, 0, usage, &config, &first);
	if (ret >= 0)
		return ret;
	if (first != argc) {
		usage(stderr);
		return 2;
	}
	if (config_load(&cfg, config, err, sizeof(err)) < 0) {
		fprintf(stderr, "tapefs config: %s\n", err);
		return 1;
	}
	printf("; %s\n", cfg.path);
	print_tapefs(&cfg);
	print_dump(&cfg);
	print_library(&cfg);
	print_verify(&cfg);
	print_recall(&cfg);
	config_release(&cfg);
	return 0;
}
