/* fs/cmd.h - the subcommands of the tapefs binary; fs/main.c dispatches.
 * Each returns the process exit status (0 success, 1 failure, 2 usage) and
 * prints its own errors to stderr. */
#ifndef TAPEFS_CMD_H
#define TAPEFS_CMD_H

int cmd_mount(int argc, char **argv);  /* tapefs [-f] [-o OPTS] -c CONFIG MNT */
int cmd_mkvlib(int argc, char **argv); /* tapefs mkvlib DIR --drives N ... */
int cmd_vtape(int argc,
	      char **argv); /* tapefs vtape create|info|set|inject ... */
int cmd_fsck(int argc, char **argv);   /* tapefs fsck -c CONFIG [--repair] */
int cmd_config(int argc, char **argv); /* tapefs config -c CONFIG */
int cmd_export_catalog(int argc, char **argv); /* tapefs export -c CONFIG */
int cmd_rebuild(int argc, char **argv); /* tapefs rebuild -c CONFIG ... */
int cmd_adopt(int argc, char **argv);	/* tapefs adopt -c CONFIG LABEL ... */

#include <stddef.h>
#include <stdio.h>

/* A switch of an offline command: --name or -letter sets *on to 1. */
struct cmd_switch {
	const char *name;
	int letter;
	int *on;
};
#define CMD_SWITCHES_MAX 8
/* The options of an offline command (fs/cmd_parse.c): -c/--config CONFIG
 * (required) into *config, -h/--help, and the switches sw[0..n) (at most
 * CMD_SWITCHES_MAX); the operands start at argv[*first]. Returns -1 to go
 * on, else the exit status: 0 after --help (usage on stdout), 2 for an
 * unknown option or no -c (usage on stderr). */
int cmd_parse(int argc, char **argv, const struct cmd_switch *sw, size_t n,
	      void (*usage)(FILE *), const char **config, int *first);

struct tapefs;
/* For the offline commands that read tapes (fs/cmd_library.c): open
 * fs->cat (created when missing; a file that is no catalog refused),
 * fs->changer, register the cartridges the catalog does not know
 * (library_sync()), start fs->sched. Messages on stderr start with who.
 * 0 or -errno (what was opened stays for cmd_library_down()). */
int cmd_library_up(struct tapefs *fs, const char *who);
/* Stop and close what cmd_library_up() opened (safe when it failed). */
void cmd_library_down(struct tapefs *fs);
/* A struct tapefs with config loaded and its library module made, given
 * to fn (which calls cmd_library_up() when it needs tapes), then torn
 * down. Returns fn's exit status, 1 when the config does not load. */
int cmd_library_run(const char *config, const char *who,
		    int (*fn)(struct tapefs *fs, void *arg), void *arg);

#endif
