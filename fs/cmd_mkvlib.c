/* fs/cmd_mkvlib.c - placeholder until the owning module lands; replaced. */
#include <stdio.h>
#include "fs/cmd.h"

int cmd_mkvlib(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tapefs mkvlib: not built yet\n");
	return 2;
}
