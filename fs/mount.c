/* fs/mount.c - placeholder until the mount lands; replaced. */
#include <stdio.h>
#include "fs/cmd.h"

int cmd_mount(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tapefs: mount not built yet\n");
	return 2;
}
