/* fs/main.c - the tapefs binary: a subcommand, or a mount. */
#include <stdio.h>
#include <string.h>

#include "fs/cmd.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "mkvlib", cmd_mkvlib },
	{ "vtape", cmd_vtape },
	{ "fsck", cmd_fsck },
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
