/* fs/main.c - the tapefs binary: a subcommand, or a mount. */
#include <stdio.h>
#include <string.h>

#include "fs/cmd.h"

/* `tapefs version` is `tapefs --version`: the mount's option parser prints
 * tapefs's version and the FUSE library's (only the FUSE edge may ask the
 * library for its version). */
static int cmd_version(int argc, char **argv)
{
	char prog[] = "tapefs", opt[] = "--version";
	char *args[] = {prog, opt, NULL};

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: tapefs version\n");
		return 2;
	}
	return cmd_mount(2, args);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
    {"mkvlib", cmd_mkvlib},   {"vtape", cmd_vtape},
    {"fsck", cmd_fsck},	      {"config", cmd_config},
    {"version", cmd_version}, {"export", cmd_export_catalog},
    {"rebuild", cmd_rebuild}, {"adopt", cmd_adopt},
};

int main(int argc, char **argv)
{
	if (argc > 1) {
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (strcmp(argv[1], cmds[i].name) == 0)
				return cmds[i].fn(argc - 1, argv + 1);
	}
	return cmd_mount(argc, argv);
}
