/* fs/ns_tapes.c - tapes/: one directory per tape. */
#include <errno.h>
#include <string.h>

#include "fs/modules.h"
#include "fs/ns_local.h"
#include "fs/tapefs.h"

static int tapes_getattr(struct tapefs *fs, const char *rel,
			   struct ns_attr *out)
{
	(void)fs;
	if (*rel)
		return -ENOENT;
	out->kind = NS_DIR;
	out->st.st_mode = 0555;
	return 0;
}

static int tapes_readdir(struct tapefs *fs, const char *rel, ns_fill_fn fill,
			   void *ctx)
{
	(void)fs;
	(void)fill;
	(void)ctx;
	return *rel ? -ENOENT : 0;
}

const struct ns_provider ns_tapes = {
	.name = "tapes",
	.getattr = tapes_getattr,
	.readdir = tapes_readdir,
};

void status_tapes_render(struct tapefs *fs, struct strbuf *out)
{
	(void)fs;
	strbuf_addf(out, "tapes_scratch: 0\n");
}
