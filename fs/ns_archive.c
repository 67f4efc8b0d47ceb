/* fs/ns_archive.c - archive/: the latest version of every dumped path. */
#include <errno.h>
#include <string.h>

#include "fs/modules.h"
#include "fs/ns_local.h"
#include "fs/tapefs.h"

static int archive_getattr(struct tapefs *fs, const char *rel,
			   struct ns_attr *out)
{
	(void)fs;
	if (*rel)
		return -ENOENT;
	out->kind = NS_DIR;
	out->st.st_mode = 0555;
	return 0;
}

static int archive_readdir(struct tapefs *fs, const char *rel, ns_fill_fn fill,
			   void *ctx)
{
	(void)fs;
	(void)fill;
	(void)ctx;
	return *rel ? -ENOENT : 0;
}

const struct ns_provider ns_archive = {
	.name = "archive",
	.getattr = archive_getattr,
	.readdir = archive_readdir,
};
