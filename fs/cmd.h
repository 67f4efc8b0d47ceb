/* fs/cmd.h - the subcommands of the tapefs binary; fs/main.c dispatches.
 * Each returns the process exit status (0 success, 1 failure, 2 usage) and
 * prints its own errors to stderr. */
#ifndef TAPEFS_CMD_H
#define TAPEFS_CMD_H

int cmd_mount(int argc, char **argv);  /* tapefs [-f] [-o OPTS] -c CONFIG MNT */
int cmd_mkvlib(int argc, char **argv); /* tapefs mkvlib DIR --drives N ... */
int cmd_vtape(int argc, char **argv);  /* tapefs vtape create|info|set|inject ... */
int cmd_fsck(int argc, char **argv);   /* tapefs fsck -c CONFIG [--repair] */
int cmd_config(int argc, char **argv); /* tapefs config -c CONFIG */
int cmd_export_catalog(int argc, char **argv); /* tapefs export -c CONFIG */
int cmd_rebuild(int argc, char **argv); /* tapefs rebuild -c CONFIG ... */

#endif
