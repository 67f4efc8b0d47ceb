/* fs/cmd_vtape.c - placeholder until the owning module lands; replaced. */
#include <stdio.h>
#include "fs/cmd.h"

int cmd_vtape(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tapefs vtape: not built yet\n");
	return 2;
}
