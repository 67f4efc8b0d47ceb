/* fs/cmd_fsck.c - placeholder until the owning module lands; replaced. */
#include <stdio.h>
#include "fs/cmd.h"

int cmd_fsck(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tapefs fsck: not built yet\n");
	return 2;
}
